/*
 * The Freshservice client.  Every URL of a first page is built here with
 * every parameter explicit; the next pages come from the Link header and
 * are only followed to the configured host.  Quirks handled: the 30-day
 * default window (updated_since is always sent), per_page above 100
 * rejected, 429 with Retry-After, HTML error pages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dh_jscan.h"
#include "dh_json.h"
#include "dh_log.h"
#include "dh_tz.h"
#include "dh_util.h"
#include "prov_fresh.h"

int
dh_fresh_init(struct dh_fresh *f, const struct dh_config *c, char *err,
    size_t errlen)
{
	size_t	 n;

	memset(f, 0, sizeof(*f));
	f->cfg = c;
	dh_http_resp_init(&f->ahead_resp);
	if (c->fresh_api[0] == '\0' || c->fresh_endpoint[0] == '\0') {
		snprintf(err, errlen, "Freshservice is not configured "
		    "(FRESH_API, FRESH_ENDPOINT)");
		return -1;
	}
	if (strncmp(c->fresh_endpoint, "http://", 7) != 0 &&
	    strncmp(c->fresh_endpoint, "https://", 8) != 0) {
		snprintf(err, errlen, "FRESH_ENDPOINT: expected an https:// "
		    "URL such as https://acme.freshservice.com/api/v2/");
		return -1;
	}
	n = strlen(c->fresh_endpoint);
	if (n + 2 > sizeof(f->base)) {
		snprintf(err, errlen, "FRESH_ENDPOINT: too long");
		return -1;
	}
	memcpy(f->base, c->fresh_endpoint, n + 1);
	if (f->base[n - 1] != '/') {
		f->base[n] = '/';
		f->base[n + 1] = '\0';
	}
	if (dh_http_init(&f->http, c) == -1) {
		snprintf(err, errlen, "curl_easy_init failed");
		return -1;
	}
	return 0;
}

void
dh_fresh_free(struct dh_fresh *f)
{
	dh_http_free(&f->http);
	dh_http_resp_release(&f->ahead_resp);
	f->ahead = 0;
}

int
dh_fresh_tickets_url(const char *base, int64_t since, struct dh_buf *b)
{
	char	 t[20];

	dh_tz_format_utc(since, t);
	t[10] = 'T';
	dh_buf_reset(b);
	return dh_buf_printf(b, "%stickets?updated_since=%sZ&include=stats&"
	    "per_page=%d&page=1", base, t, DH_FRESH_PER_PAGE);
}

int
dh_fresh_agents_url(const char *base, struct dh_buf *b)
{
	dh_buf_reset(b);
	return dh_buf_printf(b, "%sagents?per_page=%d&page=1", base,
	    DH_FRESH_PER_PAGE);
}

int
dh_fresh_same_origin(const char *base, const char *url)
{
	CURLU	*a = curl_url(), *b = curl_url();
	char	*pa[3] = { NULL, NULL, NULL };
	char	*pb[3] = { NULL, NULL, NULL };
	static const CURLUPart part[3] = { CURLUPART_SCHEME, CURLUPART_HOST,
	    CURLUPART_PORT };
	int	 same = 0;

	if (a == NULL || b == NULL ||
	    curl_url_set(a, CURLUPART_URL, base, 0) != CURLUE_OK ||
	    curl_url_set(b, CURLUPART_URL, url, 0) != CURLUE_OK)
		goto out;
	for (int i = 0; i < 3; i++)
		if (curl_url_get(a, part[i], &pa[i], CURLU_DEFAULT_PORT) !=
		    CURLUE_OK ||
		    curl_url_get(b, part[i], &pb[i], CURLU_DEFAULT_PORT) !=
		    CURLUE_OK)
			goto out;
	same = strcasecmp(pa[0], pb[0]) == 0 && strcasecmp(pa[1], pb[1]) == 0 &&
	    strcmp(pa[2], pb[2]) == 0;
out:
	for (int i = 0; i < 3; i++) {
		curl_free(pa[i]);
		curl_free(pb[i]);
	}
	curl_url_cleanup(a);
	curl_url_cleanup(b);
	return same;
}

long
dh_fresh_pace_ms(long remaining, long total, long cost, long max_wait_s)
{
	long	 ms;

	if (remaining < 0 || remaining >= 2 * cost || max_wait_s <= 0)
		return 0;
	ms = total > 0 ? DH_FRESH_WINDOW_MS * cost / total : 1000;
	if (ms < 100)
		ms = 100;
	if (ms > max_wait_s * 1000)
		ms = max_wait_s * 1000;
	return ms;
}

static void
pace(struct dh_fresh *f, long cost)
{
	struct timespec	 ts;
	long		 ms;

	ms = dh_fresh_pace_ms(f->http.ratelimit_remaining,
	    f->http.ratelimit_total, cost, f->http.max_wait_s);
	if (ms == 0)
		return;
	dh_info("freshservice rate limit: %ld of %ld credits left, slowing "
	    "down %ld ms", f->http.ratelimit_remaining,
	    f->http.ratelimit_total, ms);
	f->paced_ms += ms;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1)
		continue;
	/* The window may have rolled over: the old count is stale now. */
	f->http.ratelimit_remaining = -1;
}

/* Append the API's own message (description or message) to err. */
static void
add_message(const struct dh_http_resp *r, char *err, size_t errlen)
{
	json_t		*j;
	const char	*m = NULL;
	size_t		 l = strlen(err);

	if (r->body.len == 0 || l + 1 >= errlen)
		return;
	if (!dh_http_looks_json(r->body.data, r->body.len)) {
		snprintf(err + l, errlen - l, " (an HTML page, not JSON)");
		return;
	}
	j = json_loadb(r->body.data, r->body.len, 0, NULL);
	if (json_is_object(j)) {
		json_t	*e = json_object_get(j, "errors");

		m = dh_json_str(j, "description");
		if (m == NULL)
			m = dh_json_str(j, "message");
		if (json_is_array(e) && json_array_size(e) > 0) {
			json_t		*e0 = json_array_get(e, 0);
			const char	*fld = dh_json_str(e0, "field");
			const char	*msg = dh_json_str(e0, "message");

			if (fld != NULL && msg != NULL) {
				snprintf(err + l, errlen - l, ": %.60s: "
				    "%.60s: %.120s", m != NULL ? m : "error",
				    fld, msg);
				m = NULL;
				l = errlen;
			}
		}
	}
	if (m != NULL && l + 1 < errlen)
		snprintf(err + l, errlen - l, ": %.200s", m);
	json_decref(j);
}

/*
 * With read_ahead set, start the page at url now (paced like any list
 * page), so that it downloads while the caller works on this one.
 */
static void
read_ahead(struct dh_fresh *f, const char *url, long cost)
{
	char	 err[256];

	if (!f->read_ahead || f->ahead ||
	    dh_strlcpy(f->ahead_url, url, sizeof(f->ahead_url)) != 0)
		return;
	pace(f, cost);
	if (dh_http_start(&f->http, 0, url, f->cfg->fresh_api, "X",
	    &f->ahead_resp, err, sizeof(err)) == 0)
		f->ahead = 1;
}

/* Drop a page read ahead that nobody asked for. */
void
dh_fresh_cancel(struct dh_fresh *f)
{
	dh_http_cancel(&f->http);
	f->ahead = 0;
}

enum dh_prov_rc
dh_fresh_get_page(struct dh_fresh *f, const char *url, const char *key,
    struct dh_fresh_page *pg, char *err, size_t errlen)
{
	struct dh_http_resp	 own, *r = &own;
	json_error_t		 e;
	enum dh_http_rc		 hr;
	enum dh_prov_rc		 rc;
	long			 cost = strcmp(key, "tickets") == 0 ?
	    DH_FRESH_LIST_COST : 1;

	memset(pg, 0, sizeof(*pg));
	dh_http_resp_init(&own);
	if (f->ahead && strcmp(url, f->ahead_url) == 0) {
		/* Already on its way (paced and counted when started). */
		f->ahead = 0;
		hr = dh_http_finish(&f->http, 0, f->cfg->fresh_api, "X", err,
		    errlen);
		/* Take the answer over: the buffer is free for the next. */
		own = f->ahead_resp;
		dh_http_resp_init(&f->ahead_resp);
	} else {
		if (f->ahead)
			dh_fresh_cancel(f);
		pace(f, cost);
		hr = dh_http_get(&f->http, url, f->cfg->fresh_api, "X", r,
		    err, errlen);
	}
	f->requests++;
	switch (hr) {
	case DH_HTTP_OK:
		rc = DH_PROV_OK;
		break;
	case DH_HTTP_AUTH:
		snprintf(err, errlen, "Freshservice rejected the API key "
		    "(HTTP %ld)", r->status);
		add_message(r, err, errlen);
		rc = DH_PROV_AUTH;
		goto out;
	case DH_HTTP_UNREACHABLE:
	case DH_HTTP_TIMEOUT:
		rc = DH_PROV_UNREACHABLE;
		goto out;
	case DH_HTTP_TRUNCATED:
	case DH_HTTP_TOO_LARGE:
		rc = DH_PROV_BAD_ANSWER;
		goto out;
	case DH_HTTP_STATUS:
		add_message(r, err, errlen);
		rc = DH_PROV_STATUS;
		goto out;
	default:
		rc = DH_PROV_STATUS;
		goto out;
	}
	rc = DH_PROV_BAD_ANSWER;
	if (r->link_next[0] != '\0') {
		if (!dh_fresh_same_origin(f->base, r->link_next)) {
			snprintf(err, errlen, "Freshservice %s: the Link "
			    "header points to another host; not followed",
			    key);
			goto out;
		}
		dh_strlcpy(pg->next, r->link_next, sizeof(pg->next));
		/* The next page downloads while this one is read. */
		read_ahead(f, pg->next, cost);
	}
	if (!dh_http_looks_json(r->body.data != NULL ? r->body.data : "",
	    r->body.len)) {
		snprintf(err, errlen, "Freshservice %s: the answer is not "
		    "JSON (%s)", key, r->body.len > 0 &&
		    r->body.data[0] == '<' ? "an HTML page" : "unknown text");
		goto out;
	}
	if (strcmp(key, "tickets") == 0) {
		if (dh_fresh_page_text(r->body.data, r->body.len, pg, err,
		    errlen) == -1)
			goto out;
		/* The page keeps the body. */
		pg->own = r->body.data;
		r->body.data = NULL;
		r->body.len = r->body.cap = 0;
	} else {
		if ((pg->root = json_loadb(r->body.data, r->body.len, 0,
		    &e)) == NULL) {
			snprintf(err, errlen, "Freshservice %s: invalid JSON "
			    "(%s at byte %d)", key, e.text, e.position);
			goto out;
		}
		pg->items = json_object_get(pg->root, key);
		if (!json_is_array(pg->items)) {
			snprintf(err, errlen, "Freshservice %s: no \"%s\" "
			    "array in the answer", key, key);
			goto out;
		}
	}
	rc = DH_PROV_OK;
out:
	if (rc != DH_PROV_OK)
		dh_fresh_page_release(pg);
	dh_http_resp_release(&own);
	return rc;
}

void
dh_fresh_page_release(struct dh_fresh_page *pg)
{
	json_decref(pg->root);
	free(pg->own);
	memset(pg, 0, sizeof(*pg));
}

int
dh_fresh_page_text(const char *body, size_t len, struct dh_fresh_page *pg,
    char *err, size_t errlen)
{
	static const char *const key[] = { "tickets" };
	const char	*end = body + len, *p, *e, *bad = body, *v;

	p = dh_js_ws(body, end);
	e = p < end ? dh_js_value(p, end, &bad) : NULL;
	if (e == NULL || dh_js_ws(e, end) != end) {
		/* Where it went wrong: the scanner says, or it is what
		 * follows a whole value, or the text is empty. */
		if (e != NULL)
			bad = dh_js_ws(e, end);
		else if (p >= end)
			bad = end;
		snprintf(err, errlen, "Freshservice tickets: invalid JSON "
		    "(byte %td of %zu)", bad - body + 1, len);
		return -1;
	}
	v = NULL;
	if (*p == '{')
		dh_js_members(p, end, key, &v, 1);
	if (v == NULL || *v != '[') {
		snprintf(err, errlen, "Freshservice tickets: no \"tickets\" "
		    "array in the answer");
		return -1;
	}
	pg->body = body;
	pg->len = len;
	pg->list = v;
	return 0;
}

int
dh_fresh_page_item(const struct dh_fresh_page *pg, const char **it,
    const char **p, const char **e)
{
	const char	*end = pg->body + pg->len, *q;
	int		 more;

	if (*it == end)
		return 0;
	q = *it;
	if (q == NULL) {
		q = dh_js_enter(pg->list, end, &more);
		if (!more) {
			*it = end;
			return 0;
		}
	}
	/* Checked already: follow strings and nesting only. */
	*p = q;
	if ((*e = dh_js_skip(q, end)) == NULL) {
		*it = end;	/* cannot happen in checked text */
		return 0;
	}
	q = dh_js_after(*e, end, ']', &more, NULL);
	*it = more && q != NULL ? q : end;
	return 1;
}
