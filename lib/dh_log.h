/*
 * One line per event on stderr: program, pid, level, request id, route,
 * message.  Callers must never pass a secret; dh_log_redact() helps when a
 * message may carry one (provider URLs with credentials, for example).
 */
#ifndef DH_LOG_H
#define DH_LOG_H

enum dh_log_level {
	DH_LOG_ERR,
	DH_LOG_WARN,
	DH_LOG_INFO,
	DH_LOG_DEBUG
};

/* Set the program name shown on every line (static storage expected). */
void	 dh_log_init(const char *prog);
/* Set the current request id and route; NULL clears them. */
void	 dh_log_request(const char *reqid, const char *route);
/* Minimum level that is printed (default DH_LOG_INFO). */
void	 dh_log_level(enum dh_log_level);
/*
 * While held, lines of level info and below are kept and written together
 * by dh_log_flush (or when 4 KB are kept, or a warning or an error comes):
 * one write for a batch of requests instead of one a request.  Not for a
 * process with threads.  Releasing flushes.
 */
void	 dh_log_hold(int on);
void	 dh_log_flush(void);
void	 dh_log(enum dh_log_level, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#define dh_err(...)	dh_log(DH_LOG_ERR, __VA_ARGS__)
#define dh_warn(...)	dh_log(DH_LOG_WARN, __VA_ARGS__)
#define dh_info(...)	dh_log(DH_LOG_INFO, __VA_ARGS__)
#define dh_debug(...)	dh_log(DH_LOG_DEBUG, __VA_ARGS__)

#endif
