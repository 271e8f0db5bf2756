/*
 * Readers that accept what providers actually send.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dh_jscan.h"
#include "dh_json.h"
#include "dh_util.h"

const char *
dh_json_str(const json_t *obj, const char *key)
{
	const json_t	*v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

int
dh_real_ll(double d, long long *out)
{
	if (d != floor(d) || fabs(d) > 9e15)
		return -1;
	*out = (long long)d;
	return 0;
}

int
dh_json_ll(const json_t *v, long long *out)
{
	if (v == NULL || json_is_null(v))
		return 1;
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (json_is_real(v))
		return dh_real_ll(json_real_value(v), out);
	if (json_is_string(v))
		return dh_parse_ll(json_string_value(v),
		    -9223372036854775807LL - 1, 9223372036854775807LL, out);
	return -1;
}

int
dh_json_get_ll(const json_t *obj, const char *key, long long *out)
{
	return dh_json_ll(json_object_get(obj, key), out);
}

/* Readers of checked text: see dh_json.h. */
const char *
dh_jtext_str(const char *v, const char *end, struct dh_buf *b, int *oom)
{
	dh_buf_reset(b);
	if (v == NULL || *v != '"')
		return NULL;
	if (dh_js_decode(v, end, b) == -1) {
		*oom = 1;
		return NULL;
	}
	return b->data;
}

int
dh_jtext_ll(const char *v, const char *end, struct dh_buf *b, long long *out)
{
	const char	*e, *s;
	char		 num[64];
	int		 oom = 0;

	if (v == NULL || *v == 'n')
		return 1;
	if (*v == '"')
		return dh_jtext_str(v, end, b, &oom) == NULL ? -1 :
		    dh_parse_ll(b->data, LLONG_MIN, LLONG_MAX, out);
	if (*v != '-' && (*v < '0' || *v > '9'))
		return -1;
	if ((e = dh_js_skip(v, end)) == NULL)
		return -1;
	/*
	 * A number of any length reads as jansson reads it: a real with
	 * a long fraction may still round to an integer.  Short ones, all
	 * that providers send, are copied to the stack.
	 */
	if ((size_t)(e - v) < sizeof(num)) {
		memcpy(num, v, (size_t)(e - v));
		num[e - v] = '\0';
		s = num;
	} else {
		dh_buf_reset(b);
		if (dh_buf_append(b, v, (size_t)(e - v)) == -1)
			return -1;
		s = b->data;
	}
	if (strpbrk(s, ".eE") == NULL)
		return dh_parse_ll(s, LLONG_MIN, LLONG_MAX, out);
	return dh_real_ll(strtod(s, NULL), out);
}
