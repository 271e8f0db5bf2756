/*
 * Bounded buffers, strict number and date parsing, constant-time
 * comparison.  These are the only places in Deskhub that turn outside text
 * into numbers, so every caller gets the same range checks.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "dh_util.h"

void
dh_buf_init(struct dh_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
dh_buf_release(struct dh_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
dh_buf_reset(struct dh_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

int
dh_buf_reserve(struct dh_buf *b, size_t n)
{
	size_t	 need, ncap;
	char	*nd;

	if (n > b->max || b->len > b->max - n)
		return -1;
	need = b->len + n + 1;
	if (need > b->cap) {
		ncap = b->cap ? b->cap : 256;
		while (ncap < need)
			ncap *= 2;
		if (ncap > b->max + 1)
			ncap = b->max + 1;
		nd = realloc(b->data, ncap);
		if (nd == NULL)
			return -1;
		b->data = nd;
		b->cap = ncap;
	}
	return 0;
}

int
dh_buf_append(struct dh_buf *b, const void *p, size_t n)
{
	if (dh_buf_reserve(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
dh_buf_put_utf8(struct dh_buf *b, unsigned long cp)
{
	char	 u[4];
	size_t	 n;

	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return dh_buf_append(b, u, n);
}

int
dh_buf_puts(struct dh_buf *b, const char *s)
{
	return dh_buf_append(b, s, strlen(s));
}

int
dh_buf_printf(struct dh_buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	 small[512], *big = NULL;
	int	 n, rc = -1;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(small))
		return dh_buf_append(b, small, (size_t)n);
	if ((size_t)n > b->max)
		return -1;
	if ((big = malloc((size_t)n + 1)) == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = dh_buf_append(b, big, (size_t)n);
	free(big);
	return rc;
}

int
dh_parse_lln(const char *s, size_t n, long long min, long long max,
    long long *out)
{
	char	 tmp[32];

	if (s == NULL || n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return dh_parse_ll(tmp, min, max, out);
}

int
dh_parse_ll(const char *s, long long min, long long max, long long *out)
{
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
dh_parse_double(const char *s, double min, double max, double *out)
{
	char	*end;
	double	 v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int	 leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 ? 28 + leap : dm[m - 1];
}

int
dh_date_parse(const char *s, struct dh_date *d)
{
	long long	 y, m, dd;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return -1;
	if (dh_parse_lln(s, 4, 1970, 9999, &y) == -1 ||
	    dh_parse_lln(s + 5, 2, 1, 12, &m) == -1 ||
	    dh_parse_lln(s + 8, 2, 1, 31, &dd) == -1)
		return -1;
	if (dd > days_in_month((int)y, (int)m))
		return -1;
	d->year = (int)y;
	d->month = (int)m;
	d->day = (int)dd;
	return 0;
}

void
dh_date_format(const struct dh_date *d, char *buf)
{
	char	 tmp[48];

	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d", d->year, d->month,
	    d->day);
	memcpy(buf, tmp, 10);
	buf[10] = '\0';
}

/* Howard Hinnant's days_from_civil. */
long
dh_date_to_days(const struct dh_date *d)
{
	long	 y = d->year - (d->month <= 2);
	long	 era = (y >= 0 ? y : y - 399) / 400;
	long	 yoe = y - era * 400;
	long	 mp = (d->month + 9) % 12;
	long	 doy = (153 * mp + 2) / 5 + d->day - 1;
	long	 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

void
dh_days_to_date(long z, struct dh_date *d)
{
	long	 era, doe, yoe, y, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d->day = (int)(doy - (153 * mp + 2) / 5 + 1);
	d->month = (int)(mp < 10 ? mp + 3 : mp - 9);
	d->year = (int)(y + (d->month <= 2));
}

int64_t
dh_timegm(int y, int mo, int d, int h, int mi, int s)
{
	struct dh_date	 dd = { y, mo, d };

	return (int64_t)dh_date_to_days(&dd) * 86400 + h * 3600 + mi * 60 + s;
}

int
dh_ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	if (alen != blen)
		return 0;
	if (alen == 0)
		return 1;
	return sodium_memcmp(a, b, alen) == 0;
}

int
dh_strlcpy(char *dst, const char *src, size_t n)
{
	size_t	 l = strlen(src);

	if (n == 0)
		return -1;
	if (l >= n) {
		memcpy(dst, src, n - 1);
		dst[n - 1] = '\0';
		return -1;
	}
	memcpy(dst, src, l + 1);
	return 0;
}

int64_t
dh_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
dh_random_hex(char *buf, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 b;

	for (size_t i = 0; i < n; i++) {
		b = (unsigned char)randombytes_uniform(16);
		buf[i] = hex[b];
	}
	buf[n] = '\0';
}
