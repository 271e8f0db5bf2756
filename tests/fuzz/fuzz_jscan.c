/*
 * The strict JSON scanner against jansson: dh_js_value must accept exactly
 * the texts jansson accepts (JSON_DECODE_ANY), except where jansson adds
 * limits of its own (integers and reals out of range, nesting deeper than
 * the scanner allows) and where jansson reads a NUL byte outside a string
 * as the end of the text, which the scanner refuses.  A disagreement
 * aborts.  Where the text is valid, dh_js_skip must end the value at the
 * same byte; on any text it must agree with dh_js_skip_bytewise wherever
 * either of them ends a valid value.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "dh_jscan.h"
#include "fuzz_common.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t	 e;
	json_t		*j;
	const char	*end, *p, *bad = NULL;
	char		*text;
	int		 ours, theirs;

	if ((text = fuzz_memdup(data, size)) == NULL)
		return 0;
	end = text + size;
	p = dh_js_value(dh_js_ws(text, end), end, &bad);
	if (p != NULL && (p < text || p > end))
		abort();
	if (p == NULL && (bad == NULL || bad < text || bad > end))
		abort();
	ours = p != NULL && dh_js_ws(p, end) == end;
	/* On valid text the unchecked skip ends where the check does. */
	if (ours && dh_js_skip(dh_js_ws(text, end), end) != p)
		abort();
	/*
	 * On any text, the skip by blocks and the bytewise one may differ
	 * only where neither found a valid value (a checking parser reads
	 * the span afterwards and refuses it either way).
	 */
	{
		const char	*s = dh_js_ws(text, end);
		const char	*a = dh_js_skip(s, end);
		const char	*b = dh_js_skip_bytewise(s, end);

		if ((a != NULL && (a < s || a > end)) ||
		    (b != NULL && (b < s || b > end)))
			abort();
		if (a != b && ((a != NULL && dh_js_value(s, a, NULL) == a) ||
		    (b != NULL && dh_js_value(s, b, NULL) == b)))
			abort();
	}
	j = json_loadb(text, size, JSON_DECODE_ANY, &e);
	theirs = j != NULL;
	json_decref(j);
	if (ours != theirs && !(ours && (strstr(e.text, "too big") != NULL ||
	    strstr(e.text, "overflow") != NULL ||
	    strstr(e.text, "depth") != NULL)) &&
	    !(theirs && memchr(text, '\0', size) != NULL)) {
		fprintf(stderr, "scanner %s, jansson %s (%s)\n",
		    ours ? "accepts" : "refuses", theirs ? "accepts" :
		    "refuses", theirs ? "" : e.text);
		abort();
	}
	free(text);
	return 0;
}
