/*
 * A JSON text writer for answers: members and values go straight into a
 * bounded buffer, with the commas placed for the caller, and strings
 * escaped as jansson escapes them with JSON_ENSURE_ASCII.  Building a
 * jansson tree to dump it at once cost more than the database query on
 * the leaderboard.
 *
 *	struct dh_jw	 w;
 *
 *	dh_jw_init(&w, max);
 *	dh_jw_obj(&w);
 *	dh_jw_key(&w, "total");
 *	dh_jw_int(&w, 3);
 *	dh_jw_end(&w, '}');
 *	if (dh_jw_failed(&w)) ...	// out of memory, over max, bad UTF-8
 *	use w.b.data, w.b.len; dh_jw_release(&w);
 *
 * An error sticks: later calls do nothing and dh_jw_failed says so.
 */
#ifndef DH_JW_H
#define DH_JW_H

#include <stddef.h>

#include "dh_util.h"

struct dh_jw {
	struct dh_buf	 b;
	int		 comma;		/* a value was written at this level */
	int		 err;
};

void	 dh_jw_init(struct dh_jw *, size_t max);
void	 dh_jw_release(struct dh_jw *);
int	 dh_jw_failed(const struct dh_jw *);

void	 dh_jw_obj(struct dh_jw *);		/* { */
void	 dh_jw_arr(struct dh_jw *);		/* [ */
void	 dh_jw_end(struct dh_jw *, char close);	/* } or ] */
/* A member's name; its value is the next call. */
void	 dh_jw_key(struct dh_jw *, const char *);
/* A string, or null when s is NULL. */
void	 dh_jw_str(struct dh_jw *, const char *s);
void	 dh_jw_strn(struct dh_jw *, const char *s, size_t n);
void	 dh_jw_int(struct dh_jw *, long long);
void	 dh_jw_null(struct dh_jw *);
void	 dh_jw_bool(struct dh_jw *, int);
/* A value that is JSON text already, written as it is. */
void	 dh_jw_raw(struct dh_jw *, const char *text, size_t n);
/* A member: its name and a string (null when NULL) or an integer. */
void	 dh_jw_kstr(struct dh_jw *, const char *k, const char *s);
void	 dh_jw_kint(struct dh_jw *, const char *k, long long v);

/*
 * The inside of a JSON string for the n bytes at s, written at o, which
 * has room for DH_JSON_ESC_MAX(n) bytes; escaped as jansson does with
 * JSON_ENSURE_ASCII.  The end of what was written, or NULL when the bytes
 * are not UTF-8 (a sequence cut by n included).
 */
#define DH_JSON_ESC_MAX(n)	(6 * (n))
char	*dh_json_esc(char *o, const char *s, size_t n);
/* Append pre (plen bytes) and s of n bytes as a JSON string to b. */
int	 dh_json_put_string(struct dh_buf *b, const char *pre, size_t plen,
	    const char *s, size_t n);

#endif
