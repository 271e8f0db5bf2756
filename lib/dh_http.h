/*
 * The HTTP client for provider APIs: one reused libcurl handle (keep-alive),
 * connect and transfer timeouts, 429 honoured through Retry-After, 5xx and
 * dropped connections retried with bounded jittered backoff, bodies capped.
 * Failures are classified so the sync can say precisely what went wrong.
 */
#ifndef DH_HTTP_H
#define DH_HTTP_H

#include <stddef.h>

#include <curl/curl.h>

#include "dh_config.h"
#include "dh_util.h"

#define DH_HTTP_BODY_MAX	(32u * 1024 * 1024)
#define DH_HTTP_MAX_PARALLEL	16

enum dh_http_rc {
	DH_HTTP_OK,		/* 2xx with a complete body */
	DH_HTTP_AUTH,		/* 401 or 403 */
	DH_HTTP_STATUS,		/* another non-2xx status (after retries) */
	DH_HTTP_UNREACHABLE,	/* could not connect (after retries) */
	DH_HTTP_TIMEOUT,	/* connect or transfer timed out */
	DH_HTTP_TRUNCATED,	/* connection closed before the body ended */
	DH_HTTP_TOO_LARGE,	/* body over the cap */
	DH_HTTP_RATE_LIMITED,	/* 429 with a wait longer than allowed */
	DH_HTTP_ERROR,		/* anything else */
};

struct dh_http;
struct dh_http_resp;

/* What a transfer's callbacks write to. */
struct dh_http_ctx {
	struct dh_http		*h;
	struct dh_http_resp	*r;
	int			 too_large;
};

/* One of the parallel transfers (dh_http_start, dh_http_finish). */
struct dh_http_job {
	enum { DH_JOB_IDLE, DH_JOB_RUNNING, DH_JOB_DONE } state;
	struct dh_http_ctx	 c;		/* c.r: the answer */
	CURLcode		 result;
	char			 url[4096];
};

struct dh_http {
	CURL		*curl;
	CURLM		*multi;		/* the parallel transfers */
	CURL		*par[DH_HTTP_MAX_PARALLEL];
	struct dh_http_job job[DH_HTTP_MAX_PARALLEL];
	struct curl_slist *hdrs;	/* request headers, built once */
	long		 connect_timeout_ms;
	long		 timeout_ms;
	int		 max_retries;
	long		 max_wait_s;	/* longest Retry-After honoured */
	long		 backoff_base_ms;
	/* Rate-limit headers of the last answer, -1 when absent. */
	long		 ratelimit_remaining;
	long		 ratelimit_total;
	int		 retries_done;	/* over the life of the handle */
	long		 slept_ms;	/* total time waited for 429/backoff */
};

struct dh_http_resp {
	long		 status;
	struct dh_buf	 body;
	char		 content_type[128];
	char		 link_next[2048];	/* rel="next" of a Link header */
	long		 retry_after;		/* seconds, -1 when absent */
};

/*
 * Set up a client with the timeouts, retries and longest wait of the
 * configuration; -1 when libcurl cannot.  Release with dh_http_free().
 */
int	 dh_http_init(struct dh_http *, const struct dh_config *);
void	 dh_http_free(struct dh_http *);

void	 dh_http_resp_init(struct dh_http_resp *);
void	 dh_http_resp_release(struct dh_http_resp *);

/*
 * GET url with basic auth user:pass (either may be NULL for none) and
 * Accept: application/json.  Retries as described above.  Returns the
 * classification; resp holds the last answer, err a message that names the
 * URL's host and path but never the credentials.
 */
enum dh_http_rc dh_http_get(struct dh_http *, const char *url,
	    const char *user, const char *pass, struct dh_http_resp *,
	    char *err, size_t errlen);

/*
 * Start a GET of url in slot (below DH_HTTP_MAX_PARALLEL) and return
 * without waiting: the answer goes to resp, which must stay in place
 * until dh_http_finish or dh_http_cancel.  Started transfers progress
 * whenever a dh_http call waits, and the kernel keeps receiving while the
 * caller works.  0, or -1 with err.
 */
int	 dh_http_start(struct dh_http *, size_t slot, const char *url,
	    const char *user, const char *pass, struct dh_http_resp *,
	    char *err, size_t errlen);

/*
 * Let the transfers progress for up to wait_ms, or until
 * dh_http_wakeup: 1 once the transfer in slot has ended (dh_http_finish
 * then does not wait for it, unless it retries), 0 while it runs.
 */
int	 dh_http_ready(struct dh_http *, size_t slot, int wait_ms);

/* End the wait of dh_http_ready at once; safe from any thread. */
void	 dh_http_wakeup(struct dh_http *);

/*
 * Wait for the transfer in slot.  What did not simply succeed is retried
 * as dh_http_get does, once the other transfers have ended (a timeout is
 * not retried).  The classification, with the slot's resp as the answer.
 */
enum dh_http_rc dh_http_finish(struct dh_http *, size_t slot,
	    const char *user, const char *pass, char *err, size_t errlen);

/* Drop the transfers still running; their slots become free. */
void	 dh_http_cancel(struct dh_http *);

/* Whether a body looks like JSON (first non-blank byte is { or [ or "). */
int	 dh_http_looks_json(const char *, size_t);

/* Append a percent-encoded copy of s to b. */
int	 dh_http_escape(struct dh_buf *, const char *s);

#endif
