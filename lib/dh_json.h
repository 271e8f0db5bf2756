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

#endif
