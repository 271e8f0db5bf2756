/*
 * A strict JSON scanner that builds nothing: it checks JSON text the way
 * jansson would accept it (RFC 8259, UTF-8, escapes and surrogate pairs,
 * no NUL) and says where each value ends, so a caller can walk a large
 * document and hand only the parts it needs to a real parser.
 */
#ifndef DH_JSCAN_H
#define DH_JSCAN_H

#include <stddef.h>

struct dh_buf;

#define DH_JS_MAX_DEPTH	256	/* nesting accepted by dh_js_value */

/* The first byte at or after p that is not JSON white space, or end. */
const char *dh_js_ws(const char *p, const char *end);

/*
 * Check the one value that starts at p (no leading blanks) and ends before
 * end.  Returns the byte after it, or NULL when it is not valid JSON, with
 * *bad (when not NULL) at the first byte found wrong.  Integers are not
 * range-checked: that is the reader's business.
 */
const char *dh_js_value(const char *p, const char *end, const char **bad);

/* Check a string value at p (at its opening quote); as dh_js_value. */
const char *dh_js_string(const char *p, const char *end, const char **bad);

/*
 * Step into the array or object whose opening bracket is at p: the first
 * element's first byte with *more set, or the byte after an empty one's
 * closing bracket with *more clear.
 */
const char *dh_js_enter(const char *p, const char *end, int *more);

/*
 * Step past the element that ended at p in an array or object closed by
 * close (']' or '}'): the next element's first byte with *more set, or
 * the byte after close with *more clear.  NULL, with *bad at p's next
 * byte, when neither a comma nor close follows.
 */
const char *dh_js_after(const char *p, const char *end, char close,
	    int *more, const char **bad);

/*
 * Find the end of the value at p without checking it: strings, escapes and
 * nesting are followed, nothing else.  NULL when the text ends first.  For
 * text that a checking parser reads afterwards anyway.
 */
const char *dh_js_skip(const char *p, const char *end);

/* The same, a byte at a time: the reference dh_js_skip is tested against
 * (it reads 64 bytes at a time where SSE2 is there). */
const char *dh_js_skip_bytewise(const char *p, const char *end);

/*
 * Whether the string at p (opening quote, already checked) holds exactly
 * the bytes key, with no escapes.
 */
int	 dh_js_key_is(const char *p, const char *key);

/*
 * Append the text of the checked string at p (its opening quote) to out,
 * escapes resolved, as UTF-8.  0, or -1 when out is full.
 */
int	 dh_js_decode(const char *p, const char *end, struct dh_buf *out);

/*
 * Look up members of the checked object at p (its opening brace): v[i]
 * becomes the first byte of the value of the member named key[i], the last
 * one when a name repeats (as jansson keeps it), or NULL when there is
 * none.  Names are compared after their escapes are resolved.
 */
void	 dh_js_members(const char *p, const char *end,
	    const char *const *key, const char **v, size_t n);

#endif
