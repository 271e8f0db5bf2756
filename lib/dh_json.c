/*
 * Readers that accept what providers actually send.
 */
#include <math.h>
#include <string.h>

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
