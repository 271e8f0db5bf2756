/*
 * Query-string decoding and validation against field tables.  All limits
 * are fixed at compile time; nothing here trusts the input's length.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dh_query.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
dh_url_decode(const char *src, size_t n, char *dst, size_t cap)
{
	size_t	 o = 0;
	int	 hi, lo, c;

	for (size_t i = 0; i < n; i++) {
		c = (unsigned char)src[i];
		if (c == '+')
			c = ' ';
		else if (c == '%') {
			if (i + 2 >= n)
				return -1;
			if ((hi = hexval(src[i + 1])) < 0 ||
			    (lo = hexval(src[i + 2])) < 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		}
		if (c == '\0' || o + 1 >= cap)
			return -1;
		dst[o++] = (char)c;
	}
	if (o >= cap)
		return -1;
	dst[o] = '\0';
	return 0;
}

void
dh_query_release(struct dh_query *q)
{
	for (size_t i = 0; i < q->n; i++) {
		free(q->keys[i]);
		free(q->vals[i]);
	}
	q->n = 0;
}

int
dh_query_parse(struct dh_query *q, const char *qs, char *err, size_t errlen)
{
	const char	*p, *amp, *eq;
	char		 key[DH_QUERY_MAX_KEY + 1], val[DH_QUERY_MAX_VALUE + 1];
	size_t		 klen, vlen;

	q->n = 0;
	if (qs == NULL)
		return 0;
	for (p = qs; *p != '\0'; p = *amp ? amp + 1 : amp) {
		amp = strchr(p, '&');
		if (amp == NULL)
			amp = p + strlen(p);
		if (amp == p)
			continue;
		eq = memchr(p, '=', (size_t)(amp - p));
		klen = (size_t)((eq ? eq : amp) - p);
		vlen = eq ? (size_t)(amp - eq - 1) : 0;
		if (dh_url_decode(p, klen, key, sizeof(key)) == -1) {
			snprintf(err, errlen, "query: malformed or oversized "
			    "parameter name");
			goto fail;
		}
		if (dh_url_decode(eq ? eq + 1 : "", vlen, val,
		    sizeof(val)) == -1) {
			snprintf(err, errlen, "%s: malformed or oversized "
			    "value (at most %d bytes)", key,
			    DH_QUERY_MAX_VALUE);
			goto fail;
		}
		if (dh_query_get(q, key) != NULL) {
			snprintf(err, errlen, "%s: given more than once", key);
			goto fail;
		}
		if (q->n == DH_QUERY_MAX_PAIRS) {
			snprintf(err, errlen, "query: more than %d parameters",
			    DH_QUERY_MAX_PAIRS);
			goto fail;
		}
		q->keys[q->n] = strdup(key);
		q->vals[q->n] = strdup(val);
		if (q->keys[q->n] == NULL || q->vals[q->n] == NULL) {
			free(q->keys[q->n]);
			free(q->vals[q->n]);
			snprintf(err, errlen, "query: out of memory");
			goto fail;
		}
		q->n++;
	}
	return 0;
fail:
	dh_query_release(q);
	return -1;
}

const char *
dh_query_get(const struct dh_query *q, const char *key)
{
	for (size_t i = 0; i < q->n; i++)
		if (strcmp(q->keys[i], key) == 0)
			return q->vals[i];
	return NULL;
}

int
dh_query_validate(const struct dh_query *q, const struct dh_field *f,
    size_t n, struct dh_fval *out, char *err, size_t errlen)
{
	const char	*v;

	for (size_t i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		if ((v = dh_query_get(q, f[i].name)) == NULL)
			continue;
		out[i].s = v;
		switch (f[i].type) {
		case DH_F_INT:
			if (dh_parse_ll(v, f[i].min, f[i].max, &out[i].i)) {
				snprintf(err, errlen, "%s: expected an integer "
				    "from %lld to %lld", f[i].name, f[i].min,
				    f[i].max);
				return -1;
			}
			break;
		case DH_F_DATE:
			if (dh_date_parse(v, &out[i].d) == -1) {
				snprintf(err, errlen, "%s: expected a date as "
				    "YYYY-MM-DD", f[i].name);
				return -1;
			}
			break;
		case DH_F_ENUM: {
			size_t	 k;

			for (k = 0; f[i].enums[k] != NULL; k++)
				if (strcmp(f[i].enums[k], v) == 0)
					break;
			if (f[i].enums[k] == NULL) {
				size_t	 o;

				o = (size_t)snprintf(err, errlen,
				    "%s: expected one of", f[i].name);
				for (k = 0; f[i].enums[k] != NULL && o < errlen;
				    k++)
					o += (size_t)snprintf(err + o,
					    errlen - o, " %s", f[i].enums[k]);
				return -1;
			}
			out[i].i = (long long)k;
			break;
		}
		case DH_F_STR:
			if ((long long)strlen(v) > f[i].max) {
				snprintf(err, errlen, "%s: longer than %lld "
				    "bytes", f[i].name, f[i].max);
				return -1;
			}
			for (const char *p = v; *p; p++)
				if ((unsigned char)*p < 0x20) {
					snprintf(err, errlen, "%s: control "
					    "characters are not allowed",
					    f[i].name);
					return -1;
				}
			break;
		}
		out[i].set = 1;
	}
	return 0;
}
