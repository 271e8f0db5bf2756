/*
 * Lenient readers for provider JSON, where integers may come as numbers or
 * as numeric strings and any field may be null.
 */
#ifndef DH_JSON_H
#define DH_JSON_H

#include <jansson.h>

/* obj[key] as a string, or NULL when absent, null or not a string. */
const char *dh_json_str(const json_t *obj, const char *key);
/*
 * v as an integer: a JSON integer, a real with no fraction, or a string of
 * decimal digits.  0 with *out set, 1 when v is NULL or null, -1 otherwise.
 */
int	 dh_json_ll(const json_t *v, long long *out);
/* A real as dh_json_ll reads it: 0 with *out set when d has no fraction
 * and is exact as an integer (|d| <= 9e15), else -1. */
int	 dh_real_ll(double d, long long *out);
/* dh_json_ll of obj[key]. */
int	 dh_json_get_ll(const json_t *obj, const char *key, long long *out);

/*
 * The same readers for JSON text checked by dh_jscan, where v is the first
 * byte of a member's value (dh_js_members) or NULL when it is absent.
 *
 * dh_jtext_str: the string at v decoded into b (which cannot overflow if
 * it can hold the text: a decoded string is never longer than its JSON),
 * or NULL when absent or not a string; *oom set when memory ran out.
 * dh_jtext_ll: as dh_json_ll, 1 when absent or null, 0 for an integer, an
 * integral real or a numeric string, -1 for anything else; b is scratch
 * room for a string or a number too long for the stack, as dh_jtext_str.
 */
struct dh_buf;
const char *dh_jtext_str(const char *v, const char *end, struct dh_buf *b,
	    int *oom);
int	 dh_jtext_ll(const char *v, const char *end, struct dh_buf *b,
	    long long *out);

#endif
