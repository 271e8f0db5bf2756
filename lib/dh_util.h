/*
 * Small shared helpers: bounded dynamic buffers, range-checked integer
 * parsing, strict date parsing and constant-time comparison.  Nothing here
 * allocates without a cap and nothing here writes to stdout.
 */
#ifndef DH_UTIL_H
#define DH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define DH_ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

/* A macro's value as a string literal: DH_STR(TOP_N) is "10". */
#define DH_STR_(x)	#x
#define DH_STR(x)	DH_STR_(x)

/* A growable byte buffer with a hard maximum size; data is NUL-terminated. */
struct dh_buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
	size_t	 max;
};

/* Initialise an empty buffer that may grow to at most max bytes. */
void	 dh_buf_init(struct dh_buf *, size_t max);
/* Free the contents; the struct may be reused after dh_buf_init. */
void	 dh_buf_release(struct dh_buf *);
/* Empty the buffer, keeping its memory. */
void	 dh_buf_reset(struct dh_buf *);
/* Append n bytes; -1 (buffer unchanged) if max would be exceeded or OOM. */
int	 dh_buf_append(struct dh_buf *, const void *, size_t n);
/* Make room for n more bytes at once (when the size is known ahead);
 * -1 as dh_buf_append. */
int	 dh_buf_reserve(struct dh_buf *, size_t n);
int	 dh_buf_puts(struct dh_buf *, const char *);
int	 dh_buf_printf(struct dh_buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Append code point cp as UTF-8; one that UTF-8 cannot hold (NUL,
 * surrogates, past U+10FFFF) as U+FFFD. */
int	 dh_buf_put_utf8(struct dh_buf *, unsigned long cp);

/*
 * Parse a whole string as a base-10 integer within [min, max].
 * Returns 0 and sets *out, or -1 on empty input, junk or overflow.
 */
int	 dh_parse_ll(const char *, long long min, long long max,
	    long long *out);
/* Same for a string of known length (not NUL-terminated). */
int	 dh_parse_lln(const char *, size_t, long long min, long long max,
	    long long *out);
/* Parse a decimal number within [min, max]; rejects NaN, inf and junk. */
int	 dh_parse_double(const char *, double min, double max, double *out);

/* A calendar date. */
struct dh_date {
	int	year, month, day;
};

/* Parse exactly "YYYY-MM-DD" naming a real day (1970..9999); 0 or -1. */
int	 dh_date_parse(const char *, struct dh_date *);
/* Format as "YYYY-MM-DD" into buf (at least 11 bytes). */
void	 dh_date_format(const struct dh_date *, char *buf);
/* Days since 1970-01-01 (civil calendar) and back. */
long	 dh_date_to_days(const struct dh_date *);
void	 dh_days_to_date(long days, struct dh_date *);
/* Seconds since the epoch for a UTC broken-down time (no TZ involved). */
int64_t	 dh_timegm(int y, int mo, int d, int h, int mi, int s);

/* Constant-time equality of two byte strings (length leak only). */
int	 dh_ct_equal(const void *, size_t, const void *, size_t);

/* Copy src into dst of size n, always terminating; -1 if truncated. */
int	 dh_strlcpy(char *dst, const char *src, size_t n);

/* Milliseconds from a monotonic clock. */
int64_t	 dh_now_ms(void);

/* Fill buf with n random hex digits (n even) and a NUL. */
void	 dh_random_hex(char *buf, size_t n);

#endif
