/*
 * Outside input at the edge: query strings and form bodies are decoded into
 * bounded key/value pairs and checked against a field table, so handlers
 * only ever see typed, range-checked values.
 */
#ifndef DH_QUERY_H
#define DH_QUERY_H

#include <stddef.h>

#include "dh_util.h"

#define DH_QUERY_MAX_PAIRS	64
#define DH_QUERY_MAX_KEY	64
#define DH_QUERY_MAX_VALUE	1024

enum dh_ftype {
	DH_F_INT,	/* integer within [min, max] */
	DH_F_DATE,	/* YYYY-MM-DD */
	DH_F_ENUM,	/* one of enums[] (exact, case-sensitive) */
	DH_F_STR,	/* text of at most max bytes, no control characters */
};

/* One declared input field. */
struct dh_field {
	const char		*name;
	enum dh_ftype		 type;
	long long		 min, max;
	const char *const	*enums;	/* NULL-terminated, for DH_F_ENUM */
};

/* One validated value; s points into the dh_query that produced it. */
struct dh_fval {
	int		 set;
	long long	 i;
	const char	*s;
	struct dh_date	 d;
};

struct dh_query {
	size_t	 n;
	char	*keys[DH_QUERY_MAX_PAIRS];
	char	*vals[DH_QUERY_MAX_PAIRS];
};

/* Percent-decode src[0..n) into dst (cap bytes); '+' is a space. -1 on bad
 * escapes, NUL bytes or overflow. */
int	 dh_url_decode(const char *src, size_t n, char *dst, size_t cap);

/*
 * Split and decode a query string.  Returns 0, or -1 with a message in err
 * (too many pairs, bad escape, duplicate key, oversized key or value).
 * Release with dh_query_release().
 */
int	 dh_query_parse(struct dh_query *, const char *qs, char *err,
	    size_t errlen);
void	 dh_query_release(struct dh_query *);
const char *dh_query_get(const struct dh_query *, const char *key);

/*
 * Validate the declared fields of q into out[0..n).  Keys not declared are
 * ignored.  Returns 0, or -1 with err naming the field and what it expects.
 */
int	 dh_query_validate(const struct dh_query *, const struct dh_field *,
	    size_t n, struct dh_fval *out, char *err, size_t errlen);

#endif
