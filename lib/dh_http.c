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

struct ctx {
	struct dh_http		*h;
	struct dh_http_resp	*r;
	int			 too_large;
};

static size_t
on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct ctx	*c = arg;

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
	struct ctx	*c = arg;
	size_t		 len = sz * n, nl;
	const char	*v;
	long long	 x;
	char		 tmp[32];

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
	} else if (IS("Retry-After") || IS("X-RateLimit-Retry-After") ||
	    IS("X-Ratelimit-Remaining") || IS("X-Ratelimit-Total")) {
		if (vl >= sizeof(tmp))
			return len;
		memcpy(tmp, v, vl);
		tmp[vl] = '\0';
		if (dh_parse_ll(tmp, 0, 1000000000, &x) == -1)
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
    const char *pass, struct curl_slist *hdrs, struct ctx *c)
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

enum dh_http_rc
dh_http_get(struct dh_http *h, const char *url, const char *user,
    const char *pass, struct dh_http_resp *r, char *err, size_t errlen)
{
	struct curl_slist	*hdrs = NULL;
	struct ctx		 c;
	char			 what[512];
	CURLcode		 cc;
	enum dh_http_rc		 rc = DH_HTTP_ERROR;
	int			 attempt;

	describe(url, what, sizeof(what));
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	for (attempt = 0; ; attempt++) {
		dh_buf_reset(&r->body);
		r->status = 0;
		r->link_next[0] = '\0';
		r->retry_after = -1;
		memset(&c, 0, sizeof(c));
		c.h = h;
		c.r = r;
		setup_easy(h, h->curl, url, user, pass, hdrs, &c);
		cc = curl_easy_perform(h->curl);
		curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &r->status);
		if (c.too_large) {
			snprintf(err, errlen, "%s: answer larger than %u bytes",
			    what, DH_HTTP_BODY_MAX);
			rc = DH_HTTP_TOO_LARGE;
			break;
		}
		if (cc == CURLE_OK && r->status >= 200 && r->status < 300) {
			rc = DH_HTTP_OK;
			break;
		}
		if (cc == CURLE_OK && (r->status == 401 || r->status == 403)) {
			snprintf(err, errlen, "%s: HTTP %ld, the provider "
			    "rejected the credentials", what, r->status);
			rc = DH_HTTP_AUTH;
			break;
		}
		if (cc == CURLE_OK && r->status == 429) {
			long	 wait = r->retry_after >= 0 ? r->retry_after : 1;

			if (wait > h->max_wait_s || attempt >= h->max_retries +
			    4) {
				snprintf(err, errlen, "%s: rate limited (HTTP "
				    "429, Retry-After %ld s)", what, wait);
				rc = DH_HTTP_RATE_LIMITED;
				break;
			}
			dh_info("%s: 429, waiting %ld s as Retry-After says",
			    what, wait);
			h->retries_done++;
			sleep_ms(h, wait * 1000);
			continue;
		}
		/* What remains: 5xx, other statuses, transport errors. */
		if (cc == CURLE_OK && r->status < 500) {
			snprintf(err, errlen, "%s: HTTP %ld", what, r->status);
			rc = DH_HTTP_STATUS;
			break;
		}
		if (cc == CURLE_OK) {
			snprintf(err, errlen, "%s: HTTP %ld", what, r->status);
			rc = DH_HTTP_STATUS;
		} else if (cc == CURLE_OPERATION_TIMEDOUT) {
			snprintf(err, errlen, "%s: timed out after %ld ms",
			    what, h->timeout_ms);
			rc = DH_HTTP_TIMEOUT;
		} else if (cc == CURLE_COULDNT_CONNECT ||
		    cc == CURLE_COULDNT_RESOLVE_HOST) {
			snprintf(err, errlen, "%s: cannot connect (%s)", what,
			    curl_easy_strerror(cc));
			rc = DH_HTTP_UNREACHABLE;
		} else if (cc == CURLE_PARTIAL_FILE) {
			snprintf(err, errlen, "%s: truncated answer, the "
			    "connection closed early", what);
			rc = DH_HTTP_TRUNCATED;
		} else if (cc == CURLE_GOT_NOTHING || cc == CURLE_RECV_ERROR ||
		    cc == CURLE_SEND_ERROR) {
			snprintf(err, errlen, "%s: connection dropped without "
			    "an answer (%s)", what, curl_easy_strerror(cc));
			rc = DH_HTTP_UNREACHABLE;
		} else {
			snprintf(err, errlen, "%s: %s", what,
			    curl_easy_strerror(cc));
			rc = DH_HTTP_ERROR;
		}
		/* A timeout is not retried: it already cost its full time. */
		if (rc == DH_HTTP_TIMEOUT || attempt >= h->max_retries)
			break;
		h->retries_done++;
		dh_info("%s, retry %d of %d", err, attempt + 1,
		    h->max_retries);
		sleep_ms(h, backoff(h, attempt));
	}
	curl_slist_free_all(hdrs);
	return rc;
}

enum dh_http_rc
dh_http_get_many(struct dh_http *h, const char *const *urls, size_t n,
    const char *user, const char *pass, struct dh_http_resp *resp,
    size_t *failed, char *err, size_t errlen)
{
	struct curl_slist	*hdrs = NULL;
	struct ctx		 c[DH_HTTP_MAX_PARALLEL];
	CURLMsg			*m;
	enum dh_http_rc		 rc = DH_HTTP_OK;
	int			 running = 0, left, ok[DH_HTTP_MAX_PARALLEL];
	int			 timed_out[DH_HTTP_MAX_PARALLEL];

	if (n == 0 || n > DH_HTTP_MAX_PARALLEL) {
		snprintf(err, errlen, "dh_http_get_many: bad count %zu", n);
		return DH_HTTP_ERROR;
	}
	if (h->multi == NULL && (h->multi = curl_multi_init()) == NULL) {
		snprintf(err, errlen, "curl_multi_init failed");
		return DH_HTTP_ERROR;
	}
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	for (size_t i = 0; i < n; i++) {
		if (h->par[i] == NULL && (h->par[i] = curl_easy_init()) == NULL) {
			snprintf(err, errlen, "curl_easy_init failed");
			curl_slist_free_all(hdrs);
			return DH_HTTP_ERROR;
		}
		dh_buf_reset(&resp[i].body);
		resp[i].status = 0;
		resp[i].link_next[0] = '\0';
		resp[i].retry_after = -1;
		memset(&c[i], 0, sizeof(c[i]));
		c[i].h = h;
		c[i].r = &resp[i];
		ok[i] = timed_out[i] = 0;
		setup_easy(h, h->par[i], urls[i], user, pass, hdrs, &c[i]);
		curl_easy_setopt(h->par[i], CURLOPT_PRIVATE, (char *)&c[i]);
		curl_multi_add_handle(h->multi, h->par[i]);
	}
	do {
		if (curl_multi_perform(h->multi, &running) != CURLM_OK)
			break;
		if (running > 0)
			curl_multi_poll(h->multi, NULL, 0, 1000, NULL);
	} while (running > 0);
	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		struct ctx	*cx = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&cx);
		if (cx == NULL)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE,
		    &cx->r->status);
		if (m->data.result == CURLE_OK && !cx->too_large &&
		    cx->r->status >= 200 && cx->r->status < 300)
			ok[cx - c] = 1;
		else if (m->data.result == CURLE_OPERATION_TIMEDOUT)
			timed_out[cx - c] = 1;
	}
	for (size_t i = 0; i < n; i++)
		curl_multi_remove_handle(h->multi, h->par[i]);
	curl_slist_free_all(hdrs);
	/* Anything that did not simply work goes through the full retry
	 * logic of dh_http_get, one at a time, in order. */
	for (size_t i = 0; i < n; i++) {
		if (ok[i])
			continue;
		/* As in dh_http_get, a timeout already cost its full time. */
		if (timed_out[i]) {
			char	 what[512];

			describe(urls[i], what, sizeof(what));
			snprintf(err, errlen, "%s: timed out after %ld ms", what,
			    h->timeout_ms);
			*failed = i;
			return DH_HTTP_TIMEOUT;
		}
		rc = dh_http_get(h, urls[i], user, pass, &resp[i], err, errlen);
		if (rc != DH_HTTP_OK) {
			*failed = i;
			return rc;
		}
	}
	return DH_HTTP_OK;
}
