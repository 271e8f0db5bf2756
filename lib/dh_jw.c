/*
 * JSON text written straight into a buffer; see dh_jw.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dh_jw.h"

/* A byte a JSON string carries as it is. */
static inline int
json_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/*
 * Whether any of the 8 bytes at p needs escaping: below 0x20, from 0x80,
 * '"' or '\\'.  A borrow may flag a byte after one that does, never when
 * none does, so a block flagged is only looked at byte by byte.
 */
static inline int
any_special8(const unsigned char *p)
{
	const uint64_t	 ones = 0x0101010101010101ULL;
	const uint64_t	 high = 0x8080808080808080ULL;
	uint64_t	 v, q, b;

	memcpy(&v, p, 8);
	q = v ^ (ones * '"');
	b = v ^ (ones * '\\');
	return ((v - ones * 0x20) | (q - ones) | (b - ones) | v) & high ?
	    1 : 0;
}

/*
 * See dh_jw.h.  A byte takes 6 at most: a control byte becomes \u00XX, a
 * UTF-8 sequence of k bytes 6 or 12.
 */
char *
dh_json_esc(char *o, const char *s, size_t n)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p = (const unsigned char *)s, *end = p + n;
	const unsigned char	*run;
	unsigned long		 cp, lo;

	while (p < end) {
		/* Eight plain bytes at a time, then byte by byte up to the
		 * first that is not. */
		for (run = p; end - p >= 8 && !any_special8(p); p += 8)
			;
		for (; p < end && json_plain(*p); p++)
			;
		memcpy(o, run, (size_t)(p - run));
		o += p - run;
		if (p == end)
			break;
		*o++ = '\\';
		switch (*p) {
		case '"':  *o++ = '"'; p++; continue;
		case '\\': *o++ = '\\'; p++; continue;
		case '\b': *o++ = 'b'; p++; continue;
		case '\f': *o++ = 'f'; p++; continue;
		case '\n': *o++ = 'n'; p++; continue;
		case '\r': *o++ = 'r'; p++; continue;
		case '\t': *o++ = 't'; p++; continue;
		default: break;
		}
		/* A control byte or a UTF-8 sequence, whole before end:
		 * \uXXXX. */
		if (*p < 0x80) {
			cp = *p;
			p++;
		} else if ((*p & 0xe0) == 0xc0 && end - p >= 2 &&
		    (p[1] & 0xc0) == 0x80) {
			cp = ((unsigned long)(p[0] & 0x1f) << 6) |
			    (p[1] & 0x3f);
			if (cp < 0x80)
				return NULL;
			p += 2;
		} else if ((*p & 0xf0) == 0xe0 && end - p >= 3 &&
		    (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80) {
			cp = ((unsigned long)(p[0] & 0x0f) << 12) |
			    ((unsigned long)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
			if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))
				return NULL;
			p += 3;
		} else if ((*p & 0xf8) == 0xf0 && end - p >= 4 &&
		    (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80 &&
		    (p[3] & 0xc0) == 0x80) {
			cp = ((unsigned long)(p[0] & 0x07) << 18) |
			    ((unsigned long)(p[1] & 0x3f) << 12) |
			    ((unsigned long)(p[2] & 0x3f) << 6) | (p[3] & 0x3f);
			if (cp < 0x10000 || cp > 0x10ffff)
				return NULL;
			p += 4;
		} else
			return NULL;
		if (cp > 0xffff) {
			cp -= 0x10000;
			lo = 0xdc00 | (cp & 0x3ff);
			cp = 0xd800 | (cp >> 10);
			*o++ = 'u';
			*o++ = hex[cp >> 12];
			*o++ = hex[(cp >> 8) & 15];
			*o++ = hex[(cp >> 4) & 15];
			*o++ = hex[cp & 15];
			*o++ = '\\';
			cp = lo;
		}
		*o++ = 'u';
		*o++ = hex[cp >> 12];
		*o++ = hex[(cp >> 8) & 15];
		*o++ = hex[(cp >> 4) & 15];
		*o++ = hex[cp & 15];
	}
	return o;
}

/*
 * Append pre, then s of n bytes as a JSON string, to b.  Room for the
 * longest escape is reserved at once; a buffer too near its limit for
 * that is written through a scratch copy, so that only an answer that
 * does not fit fails.
 */
int
dh_json_put_string(struct dh_buf *b, const char *pre, size_t plen,
    const char *s, size_t n)
{
	char	*o, *e, *tmp;
	int	 rc;

	if (n > (SIZE_MAX - plen - 2) / 6)
		return -1;
	if (dh_buf_reserve(b, plen + 6 * n + 2) == 0) {
		o = b->data + b->len;
		if (plen > 0)
			memcpy(o, pre, plen);
		o += plen;
		*o++ = '"';
		if ((e = dh_json_esc(o, s, n)) == NULL) {
			b->data[b->len] = '\0';
			return -1;
		}
		*e++ = '"';
		b->len = (size_t)(e - b->data);
		b->data[b->len] = '\0';
		return 0;
	}
	if ((tmp = malloc(plen + 6 * n + 2)) == NULL)
		return -1;
	if (plen > 0)
		memcpy(tmp, pre, plen);
	tmp[plen] = '"';
	if ((e = dh_json_esc(tmp + plen + 1, s, n)) == NULL) {
		free(tmp);
		return -1;
	}
	*e++ = '"';
	rc = dh_buf_append(b, tmp, (size_t)(e - tmp));
	free(tmp);
	return rc;
}

void
dh_jw_init(struct dh_jw *w, size_t max)
{
	dh_buf_init(&w->b, max);
	w->comma = 0;
	w->err = 0;
}

void
dh_jw_release(struct dh_jw *w)
{
	dh_buf_release(&w->b);
}

int
dh_jw_failed(const struct dh_jw *w)
{
	return w->err || w->b.data == NULL;
}

/* Before a value: the comma after the one before it, if any. */
static int
sep(struct dh_jw *w)
{
	if (w->err)
		return -1;
	if (w->comma && dh_buf_append(&w->b, ",", 1) == -1) {
		w->err = 1;
		return -1;
	}
	w->comma = 1;
	return 0;
}

static void
put(struct dh_jw *w, const char *s, size_t n)
{
	if (!w->err && dh_buf_append(&w->b, s, n) == -1)
		w->err = 1;
}

void
dh_jw_obj(struct dh_jw *w)
{
	if (sep(w) == 0)
		put(w, "{", 1);
	w->comma = 0;
}

void
dh_jw_arr(struct dh_jw *w)
{
	if (sep(w) == 0)
		put(w, "[", 1);
	w->comma = 0;
}

void
dh_jw_end(struct dh_jw *w, char close)
{
	put(w, &close, 1);
	w->comma = 1;
}

void
dh_jw_key(struct dh_jw *w, const char *k)
{
	if (w->err)
		return;
	if (dh_json_put_string(&w->b, ",", w->comma ? 1 : 0, k,
	    strlen(k)) == -1)
		w->err = 1;
	put(w, ":", 1);
	w->comma = 0;
}

void
dh_jw_strn(struct dh_jw *w, const char *s, size_t n)
{
	if (sep(w) == 0 &&
	    dh_json_put_string(&w->b, NULL, 0, s, n) == -1)
		w->err = 1;
}

void
dh_jw_str(struct dh_jw *w, const char *s)
{
	if (s == NULL)
		dh_jw_null(w);
	else
		dh_jw_strn(w, s, strlen(s));
}

void
dh_jw_int(struct dh_jw *w, long long v)
{
	char		 t[24], *p = t + sizeof(t);
	unsigned long long u = v < 0 ? 0 - (unsigned long long)v :
			    (unsigned long long)v;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	if (sep(w) == 0)
		put(w, p, (size_t)(t + sizeof(t) - p));
}

void
dh_jw_null(struct dh_jw *w)
{
	if (sep(w) == 0)
		put(w, "null", 4);
}

void
dh_jw_bool(struct dh_jw *w, int v)
{
	if (sep(w) == 0)
		put(w, v ? "true" : "false", v ? 4 : 5);
}

void
dh_jw_raw(struct dh_jw *w, const char *text, size_t n)
{
	if (sep(w) == 0)
		put(w, text, n);
}

void
dh_jw_kstr(struct dh_jw *w, const char *k, const char *s)
{
	dh_jw_key(w, k);
	dh_jw_str(w, s);
}

void
dh_jw_kint(struct dh_jw *w, const char *k, long long v)
{
	dh_jw_key(w, k);
	dh_jw_int(w, v);
}
