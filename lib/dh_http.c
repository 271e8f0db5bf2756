/*
 * libcurl behind the provider clients.  One easy handle is kept for the
 * life of a sync so the TCP (and TLS) connection is reused; every retry is
 * counted and bounded, and every wait is capped.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "dh_http.h"
#include "dh_log.h"

int
dh_http_init(struct dh_http *h, const struct dh_config *c)
{
	memset(h, 0, sizeof(*h));
	h->connect_timeout_ms = (long)c->http_connect_timeout;
	h->timeout_ms = (long)c->http_timeout;
	h->max_retries = (int)c->http_retries;
	h->max_wait_s = (long)c->http_max_wait;
	h->backoff_base_ms = 200;
	h->ratelimit_remaining = h->ratelimit_total = -1;
	if ((h->curl = curl_easy_init()) == NULL)
		return -1;
	return 0;
}

void
dh_http_free(struct dh_http *h)
{
	for (size_t i = 0; i < DH_HTTP_MAX_PARALLEL; i++) {
		if (h->par[i] != NULL) {
			if (h->multi != NULL)
				curl_multi_remove_handle(h->multi, h->par[i]);
			curl_easy_cleanup(h->par[i]);
		}
		h->par[i] = NULL;
	}
	if (h->multi != NULL)
		curl_multi_cleanup(h->multi);
	curl_slist_free_all(h->hdrs);
	h->hdrs = NULL;
	h->multi = NULL;
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	h->curl = NULL;
}

void
dh_http_resp_init(struct dh_http_resp *r)
{
	memset(r, 0, sizeof(*r));
	dh_buf_init(&r->body, DH_HTTP_BODY_MAX);
	r->retry_after = -1;
}

void
dh_http_resp_release(struct dh_http_resp *r)
{
	dh_buf_release(&r->body);
}

/* Empty r for a new attempt, keeping its buffer. */
static void
resp_clear(struct dh_http_resp *r)
{
	dh_buf_reset(&r->body);
	r->status = 0;
	r->link_next[0] = '\0';
	r->retry_after = -1;
}

/* The request headers of every transfer, built once per client. */
static struct curl_slist *
headers(struct dh_http *h)
{
	if (h->hdrs == NULL)
		h->hdrs = curl_slist_append(NULL, "Accept: application/json");
	return h->hdrs;
}

static size_t
on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct dh_http_ctx	*c = arg;

	if (dh_buf_append(&c->r->body, p, sz * n) == -1) {
		c->too_large = 1;
		return 0;
	}
	return sz * n;
}

/* Parse `<url>; rel="next"` out of a Link header value. */
static void
parse_link(const char *v, size_t n, char *out, size_t cap)
{
	const char	*p = v, *end = v + n, *lt, *gt, *semi;

	while (p < end) {
		if ((lt = memchr(p, '<', (size_t)(end - p))) == NULL)
			return;
		if ((gt = memchr(lt, '>', (size_t)(end - lt))) == NULL)
			return;
		semi = memchr(gt, ',', (size_t)(end - gt));
		if (semi == NULL)
			semi = end;
		/* Look for rel="next" or rel=next between gt and the comma. */
		for (const char *q = gt; q + 8 <= semi; q++)
			if (strncasecmp(q, "rel=", 4) == 0 &&
			    (strncasecmp(q + 4, "\"next\"", 6) == 0 ||
			    strncasecmp(q + 4, "next", 4) == 0)) {
				size_t	 l = (size_t)(gt - lt - 1);

				if (l < cap) {
					memcpy(out, lt + 1, l);
					out[l] = '\0';
				}
				return;
			}
		p = semi + 1;
	}
}

static size_t
on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct dh_http_ctx	*c = arg;
	size_t		 len = sz * n, nl;
	const char	*v;
	long long	 x;

	if (len > 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* A new response (after a redirect or 100): reset. */
		c->r->link_next[0] = '\0';
		c->r->retry_after = -1;
		c->r->content_type[0] = '\0';
		return len;
	}
	if ((v = memchr(p, ':', len)) == NULL)
		return len;
	nl = (size_t)(v - p);
	v++;
	while (v < p + len && (*v == ' ' || *v == '\t'))
		v++;
	size_t	 vl = (size_t)(p + len - v);

	while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' ||
	    v[vl - 1] == ' '))
		vl--;
#define IS(name) (nl == strlen(name) && strncasecmp(p, name, nl) == 0)
	if (IS("Link"))
		parse_link(v, vl, c->r->link_next, sizeof(c->r->link_next));
	else if (IS("Content-Type")) {
		size_t	 l = vl < sizeof(c->r->content_type) - 1 ? vl :
		    sizeof(c->r->content_type) - 1;

		memcpy(c->r->content_type, v, l);
		c->r->content_type[l] = '\0';
	} else if (IS("Content-Length")) {
		/* The body in one allocation; a longer one still grows. */
		if (dh_parse_lln(v, vl, 0, (long long)c->r->body.max,
		    &x) == 0 && c->r->body.len == 0)
			dh_buf_reserve(&c->r->body, (size_t)x);
	} else if (IS("Retry-After") || IS("X-RateLimit-Retry-After") ||
	    IS("X-Ratelimit-Remaining") || IS("X-Ratelimit-Total")) {
		if (dh_parse_lln(v, vl, 0, 1000000000, &x) == -1)
			return len;
		if (IS("Retry-After") || IS("X-RateLimit-Retry-After"))
			c->r->retry_after = (long)x;
		else if (IS("X-Ratelimit-Remaining"))
			c->h->ratelimit_remaining = (long)x;
		else
			c->h->ratelimit_total = (long)x;
	}
#undef IS
	return len;
}

/* Host and path of url without any userinfo or query, for messages. */
static void
describe(const char *url, char *out, size_t cap)
{
	CURLU	*u = curl_url();
	char	*host = NULL, *path = NULL;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK)
		snprintf(out, cap, "%s%s", host, path);
	else
		snprintf(out, cap, "provider");
	curl_free(host);
	curl_free(path);
	curl_url_cleanup(u);
}

static void
sleep_ms(struct dh_http *h, long ms)
{
	struct timespec	 ts;

	if (ms <= 0)
		return;
	h->slept_ms += ms;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1)
		continue;
}

/* Exponential backoff with full jitter, capped at 5 s. */
static long
backoff(struct dh_http *h, int attempt)
{
	long	 cap = h->backoff_base_ms << (attempt < 5 ? attempt : 5);

	if (cap > 5000)
		cap = 5000;
	return cap / 2 + (long)randombytes_uniform((uint32_t)(cap / 2 + 1));
}

int
dh_http_looks_json(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (isspace((unsigned char)s[i]))
			continue;
		return s[i] == '{' || s[i] == '[' || s[i] == '"';
	}
	return 0;
}

int
dh_http_escape(struct dh_buf *b, const char *s)
{
	char	*e = curl_easy_escape(NULL, s, 0);
	int	 rc;

	if (e == NULL)
		return -1;
	rc = dh_buf_puts(b, e);
	curl_free(e);
	return rc;
}

/* Options of every transfer; c receives the body and headers. */
static void
setup_easy(struct dh_http *h, CURL *e, const char *url, const char *user,
    const char *pass, struct curl_slist *hdrs, struct dh_http_ctx *c)
{
	curl_easy_reset(e);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, h->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, h->timeout_ms);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "deskhub/1.0");
	if (user != NULL) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, user);
		curl_easy_setopt(e, CURLOPT_PASSWORD, pass != NULL ? pass : "");
	}
}

/*
 * Judge the answer of one attempt (cc, r, too_large).  Returns 1 when the
 * GET is over, with *rc its result and err set on failure; 0 when it is
 * worth another attempt after *wait_ms.
 */
static int
judge(struct dh_http *h, const char *what, int attempt, CURLcode cc,
    struct dh_http_resp *r, int too_large, enum dh_http_rc *rc,
    long *wait_ms, char *err, size_t errlen)
{
	if (too_large) {
		snprintf(err, errlen, "%s: answer larger than %u bytes",
		    what, DH_HTTP_BODY_MAX);
		*rc = DH_HTTP_TOO_LARGE;
		return 1;
	}
	if (cc == CURLE_OK && r->status >= 200 && r->status < 300) {
		*rc = DH_HTTP_OK;
		return 1;
	}
	if (cc == CURLE_OK && (r->status == 401 || r->status == 403)) {
		snprintf(err, errlen, "%s: HTTP %ld, the provider rejected "
		    "the credentials", what, r->status);
		*rc = DH_HTTP_AUTH;
		return 1;
	}
	if (cc == CURLE_OK && r->status == 429) {
		long	 wait = r->retry_after >= 0 ? r->retry_after : 1;

		if (wait > h->max_wait_s || attempt >= h->max_retries + 4) {
			snprintf(err, errlen, "%s: rate limited (HTTP 429, "
			    "Retry-After %ld s)", what, wait);
			*rc = DH_HTTP_RATE_LIMITED;
			return 1;
		}
		dh_info("%s: 429, waiting %ld s as Retry-After says", what,
		    wait);
		*wait_ms = wait * 1000;
		return 0;
	}
	/* What remains: 5xx, other statuses, transport errors. */
	if (cc == CURLE_OK && r->status < 500) {
		snprintf(err, errlen, "%s: HTTP %ld", what, r->status);
		*rc = DH_HTTP_STATUS;
		return 1;
	}
	if (cc == CURLE_OK) {
		snprintf(err, errlen, "%s: HTTP %ld", what, r->status);
		*rc = DH_HTTP_STATUS;
	} else if (cc == CURLE_OPERATION_TIMEDOUT) {
		snprintf(err, errlen, "%s: timed out after %ld ms", what,
		    h->timeout_ms);
		*rc = DH_HTTP_TIMEOUT;
	} else if (cc == CURLE_COULDNT_CONNECT ||
	    cc == CURLE_COULDNT_RESOLVE_HOST) {
		snprintf(err, errlen, "%s: cannot connect (%s)", what,
		    curl_easy_strerror(cc));
		*rc = DH_HTTP_UNREACHABLE;
	} else if (cc == CURLE_PARTIAL_FILE) {
		snprintf(err, errlen, "%s: truncated answer, the connection "
		    "closed early", what);
		*rc = DH_HTTP_TRUNCATED;
	} else if (cc == CURLE_GOT_NOTHING || cc == CURLE_RECV_ERROR ||
	    cc == CURLE_SEND_ERROR) {
		snprintf(err, errlen, "%s: connection dropped without an "
		    "answer (%s)", what, curl_easy_strerror(cc));
		*rc = DH_HTTP_UNREACHABLE;
	} else {
		snprintf(err, errlen, "%s: %s", what, curl_easy_strerror(cc));
		*rc = DH_HTTP_ERROR;
	}
	/* A timeout is not retried: it already cost its full time. */
	if (*rc == DH_HTTP_TIMEOUT || attempt >= h->max_retries)
		return 1;
	dh_info("%s, retry %d of %d", err, attempt + 1, h->max_retries);
	*wait_ms = backoff(h, attempt);
	return 0;
}

/* Attempts from attempt on, over the single handle. */
static enum dh_http_rc
get_from(struct dh_http *h, const char *url, const char *user,
    const char *pass, struct dh_http_resp *r, int attempt, char *err,
    size_t errlen)
{
	struct dh_http_ctx	 c;
	char			 what[512];
	CURLcode		 cc;
	enum dh_http_rc		 rc = DH_HTTP_ERROR;
	long			 wait = 0;

	describe(url, what, sizeof(what));
	if (headers(h) == NULL) {
		snprintf(err, errlen, "%s: out of memory", what);
		return DH_HTTP_ERROR;
	}
	for (;; attempt++) {
		resp_clear(r);
		memset(&c, 0, sizeof(c));
		c.h = h;
		c.r = r;
		setup_easy(h, h->curl, url, user, pass, h->hdrs, &c);
		cc = curl_easy_perform(h->curl);
		curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &r->status);
		if (judge(h, what, attempt, cc, r, c.too_large, &rc, &wait,
		    err, errlen))
			break;
		h->retries_done++;
		sleep_ms(h, wait);
	}
	return rc;
}

enum dh_http_rc
dh_http_get(struct dh_http *h, const char *url, const char *user,
    const char *pass, struct dh_http_resp *r, char *err, size_t errlen)
{
	return get_from(h, url, user, pass, r, 0, err, errlen);
}

/*
 * Let the parallel transfers progress, waiting up to wait_ms for one of
 * them, and mark the jobs that ended.
 */
static void
drive(struct dh_http *h, int wait_ms)
{
	struct dh_http_job	*j;
	CURLMsg			*m;
	int			 running = 0, left;

	if (curl_multi_perform(h->multi, &running) != CURLM_OK) {
		/* The multi handle itself failed: end every job. */
		for (size_t i = 0; i < DH_HTTP_MAX_PARALLEL; i++)
			if (h->job[i].state == DH_JOB_RUNNING) {
				curl_multi_remove_handle(h->multi, h->par[i]);
				h->job[i].state = DH_JOB_DONE;
				h->job[i].result = CURLE_FAILED_INIT;
			}
		return;
	}
	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		j = NULL;
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
		if (j == NULL || j->state != DH_JOB_RUNNING)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE,
		    &j->c.r->status);
		j->result = m->data.result;
		j->state = DH_JOB_DONE;
		curl_multi_remove_handle(h->multi, m->easy_handle);
	}
	if (running > 0 && wait_ms > 0)
		curl_multi_poll(h->multi, NULL, 0, wait_ms, NULL);
}

int
dh_http_start(struct dh_http *h, size_t slot, const char *url,
    const char *user, const char *pass, struct dh_http_resp *r, char *err,
    size_t errlen)
{
	struct dh_http_job	*j;

	if (slot >= DH_HTTP_MAX_PARALLEL ||
	    h->job[slot].state == DH_JOB_RUNNING) {
		snprintf(err, errlen, "dh_http_start: slot %zu busy or out of "
		    "range", slot);
		return -1;
	}
	j = &h->job[slot];
	if (dh_strlcpy(j->url, url, sizeof(j->url)) != 0) {
		snprintf(err, errlen, "dh_http_start: URL too long");
		return -1;
	}
	if ((h->multi == NULL && (h->multi = curl_multi_init()) == NULL) ||
	    (h->par[slot] == NULL &&
	    (h->par[slot] = curl_easy_init()) == NULL) ||
	    headers(h) == NULL) {
		snprintf(err, errlen, "curl_multi_init failed");
		return -1;
	}
	resp_clear(r);
	j->c.h = h;
	j->c.r = r;
	j->c.too_large = 0;
	j->result = CURLE_OK;
	setup_easy(h, h->par[slot], url, user, pass, h->hdrs, &j->c);
	curl_easy_setopt(h->par[slot], CURLOPT_PRIVATE, (char *)j);
	if (curl_multi_add_handle(h->multi, h->par[slot]) != CURLM_OK) {
		snprintf(err, errlen, "curl_multi_add_handle failed");
		return -1;
	}
	j->state = DH_JOB_RUNNING;
	/* Send the request now, so the answer is on its way while the
	 * caller works. */
	drive(h, 0);
	return 0;
}

static int
any_running(const struct dh_http *h)
{
	for (size_t i = 0; i < DH_HTTP_MAX_PARALLEL; i++)
		if (h->job[i].state == DH_JOB_RUNNING)
			return 1;
	return 0;
}

enum dh_http_rc
dh_http_finish(struct dh_http *h, size_t slot, const char *user,
    const char *pass, char *err, size_t errlen)
{
	struct dh_http_job	*j;
	char			 what[512];
	enum dh_http_rc		 rc = DH_HTTP_ERROR;
	long			 wait = 0;

	if (slot >= DH_HTTP_MAX_PARALLEL || h->job[slot].state == DH_JOB_IDLE) {
		snprintf(err, errlen, "dh_http_finish: slot %zu not started",
		    slot);
		return DH_HTTP_ERROR;
	}
	j = &h->job[slot];
	/* Bounded: every transfer has its own timeout. */
	while (j->state == DH_JOB_RUNNING)
		drive(h, 1000);
	j->state = DH_JOB_IDLE;
	describe(j->url, what, sizeof(what));
	if (judge(h, what, 0, j->result, j->c.r, j->c.too_large, &rc, &wait,
	    err, errlen))
		return rc;
	/* Worth another try (a 429, a 5xx, a dropped connection): let the
	 * other transfers end first, so that none of them idles through
	 * the wait into its timeout, then go on as dh_http_get would. */
	while (any_running(h))
		drive(h, 1000);
	h->retries_done++;
	sleep_ms(h, wait);
	return get_from(h, j->url, user, pass, j->c.r, 1, err, errlen);
}

int
dh_http_ready(struct dh_http *h, size_t slot, int wait_ms)
{
	if (slot >= DH_HTTP_MAX_PARALLEL ||
	    h->job[slot].state != DH_JOB_RUNNING)
		return 1;
	drive(h, 0);
	if (h->job[slot].state == DH_JOB_RUNNING && wait_ms > 0) {
		curl_multi_poll(h->multi, NULL, 0, wait_ms, NULL);
		drive(h, 0);
	}
	return h->job[slot].state != DH_JOB_RUNNING;
}

void
dh_http_wakeup(struct dh_http *h)
{
	if (h->multi != NULL)
		curl_multi_wakeup(h->multi);
}

void
dh_http_cancel(struct dh_http *h)
{
	for (size_t i = 0; i < DH_HTTP_MAX_PARALLEL; i++) {
		if (h->job[i].state == DH_JOB_RUNNING)
			curl_multi_remove_handle(h->multi, h->par[i]);
		h->job[i].state = DH_JOB_IDLE;
	}
}
