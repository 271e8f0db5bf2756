/*
 * The FluentSupport client and mapping.  Quirks handled here: integers as
 * numeric strings, two date formats (ISO with offset in 2.0.1, site-local
 * "YYYY-MM-DD HH:MM:SS" before), next_page_url that drops the query (we
 * build every URL), order_type that only accepts "DESC", pages past the
 * end, and HTML printed before the JSON when WP_DEBUG is on.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "dh_jscan.h"
#include "dh_json.h"
#include "dh_log.h"
#include "dh_tz.h"
#include "dh_util.h"
#include "prov_fluent.h"

const char *
dh_fluent_urgency(const char *p)
{
	static const struct {
		const char	*from;
		const char	*to;
	} map[] = {
		{ "critical", "HIGH" },
		{ "high", "HIGH" },
		{ "urgent", "HIGH" },
		{ "medium", "MEDIUM" },
		{ "normal", "MEDIUM" },
		{ "low", "LOW" },
	};
	char	 buf[32];
	size_t	 n;

	if (p == NULL)
		return "MEDIUM";
	while (isspace((unsigned char)*p))
		p++;
	dh_strlcpy(buf, p, sizeof(buf));
	n = strlen(buf);
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	for (size_t i = 0; i < DH_ARRAY_LEN(map); i++)
		if (strcasecmp(buf, map[i].from) == 0)
			return map[i].to;
	return "MEDIUM";
}

const char *
dh_fluent_category(const char *product)
{
	static const char *const same[] = { "Support", "Hosting", "Migration",
	    "Website", "Email", "Forms", "Scripts", "Advisory" };

	if (product == NULL)
		return "Support";
	for (size_t i = 0; i < DH_ARRAY_LEN(same); i++)
		if (strcasecmp(product, same[i]) == 0)
			return same[i];
	if (strcasecmp(product, "Project") == 0 ||
	    strcasecmp(product, "General") == 0)
		return "General";
	return "Support";
}

/* Decode one entity at s (after '&'); returns bytes consumed or 0. */
static size_t
entity(const char *s, struct dh_buf *b)
{
	static const struct {
		const char	*name;
		unsigned long	 cp;
	} names[] = {
		{ "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' },
		{ "quot;", '"' }, { "apos;", '\'' }, { "nbsp;", ' ' },
		{ "#39;", '\'' }, { "ndash;", 0x2013 }, { "mdash;", 0x2014 },
		{ "hellip;", 0x2026 }, { "rsquo;", 0x2019 },
		{ "lsquo;", 0x2018 }, { "rdquo;", 0x201d },
		{ "ldquo;", 0x201c },
	};
	unsigned long	 cp = 0;
	size_t		 i = 1;
	int		 hex = 0, digits = 0;

	for (size_t k = 0; k < DH_ARRAY_LEN(names); k++) {
		size_t	 l = strlen(names[k].name);

		if (strncmp(s, names[k].name, l) == 0) {
			dh_buf_put_utf8(b, names[k].cp);
			return l;
		}
	}
	if (s[0] != '#')
		return 0;
	if (s[1] == 'x' || s[1] == 'X') {
		hex = 1;
		i = 2;
	}
	for (; s[i] != ';' && digits < 8; i++, digits++) {
		int	 c = (unsigned char)s[i];

		if (isdigit(c))
			cp = cp * (hex ? 16 : 10) + (unsigned long)(c - '0');
		else if (hex && isxdigit(c))
			cp = cp * 16 + (unsigned long)(tolower(c) - 'a' + 10);
		else
			return 0;
	}
	if (digits == 0 || s[i] != ';')
		return 0;
	dh_buf_put_utf8(b, cp);
	return i + 1;
}

int
dh_html_to_text(const char *h, struct dh_buf *out)
{
	struct dh_buf	 raw;
	size_t		 k;
	int		 rc = -1, pending = 0;

	dh_buf_init(&raw, DH_DESC_MAX * 2);
	for (const char *p = h; *p != '\0'; ) {
		if (*p == '<') {
			const char	*e = strchr(p, '>');
			int		 brk;

			if (e == NULL)
				break;
			brk = strncasecmp(p, "<br", 3) == 0 ||
			    strncasecmp(p, "</p", 3) == 0 ||
			    strncasecmp(p, "</div", 5) == 0 ||
			    strncasecmp(p, "</li", 4) == 0 ||
			    strncasecmp(p, "<li", 3) == 0;
			if (dh_buf_append(&raw, brk ? "\n" : " ", 1) == -1)
				goto out;
			p = e + 1;
		} else if (*p == '&') {
			size_t	 used = entity(p + 1, &raw);

			if (used == 0 && dh_buf_append(&raw, "&", 1) == -1)
				goto out;
			p += used + 1;
		} else {
			if (dh_buf_append(&raw, p, 1) == -1)
				goto out;
			p++;
		}
	}
	/* Fold runs of blanks; a run holding a line break becomes one. */
	for (size_t i = 0; i < raw.len; i++) {
		char	 c = raw.data[i];

		if (c == '\n') {
			pending = 2;
			continue;
		}
		if (isspace((unsigned char)c)) {
			if (pending == 0)
				pending = 1;
			continue;
		}
		if (out->len > 0 && pending > 0 &&
		    dh_buf_append(out, pending == 2 ? "\n" : " ", 1) == -1)
			goto out;
		/* A whole UTF-8 sequence at once, so that the cap never
		 * cuts a character in two. */
		k = 1;
		while (i + k < raw.len &&
		    ((unsigned char)raw.data[i + k] & 0xc0) == 0x80 &&
		    ((unsigned char)c & 0xc0) == 0xc0)
			k++;
		if (dh_buf_append(out, raw.data + i, k) == -1)
			goto out;
		i += k - 1;
		pending = 0;
	}
	rc = 0;
out:
	dh_buf_release(&raw);
	return rc;
}

void
dh_fluent_hash(const char *raw, size_t len,
    unsigned char out[DH_FLUENT_HASH_LEN])
{
	static const unsigned char key[crypto_shorthash_siphashx24_KEYBYTES] = {
		0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
		0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	};

	crypto_shorthash_siphashx24(out, (const unsigned char *)raw, len, key);
}

void
dh_fluent_ticket_release(struct dh_fluent_ticket *t)
{
	free(t->description);
	free(t->website_url);
	free(t->title);
	free(t->agent_name);
	free(t->customer_name);
	free(t->customer_email);
	free(t->raw);
	memset(t, 0, sizeof(*t));
}

/* Trim a string to at most n bytes without splitting a UTF-8 sequence. */
static void
utf8_cut(char *s, size_t n)
{
	size_t	 l = strlen(s);

	if (l <= n)
		return;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	s[n] = '\0';
}

/* Copy src into dst (cap bytes), cut at a UTF-8 character boundary. */
static void
copy_cut(char *dst, const char *src, size_t cap)
{
	size_t	 n;

	if (dh_strlcpy(dst, src, cap) == 0)
		return;
	n = cap - 1;
	while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
		n--;
	dst[n] = '\0';
}

/* The members of a ticket the mapping reads. */
enum {
	T_ID, T_CREATED, T_UPDATED, T_RESOLVED, T_TITLE, T_SUBJECT,
	T_MESSAGE, T_CONTENT, T_PRIORITY, T_CPRIORITY, T_STATUS, T_PRODUCT,
	T_PRODUCT_NAME, T_AGENT_ID, T_CLOSED_BY, T_AGENT, T_CUSTOMER, T__MAX
};
static const char *const ticket_key[T__MAX] = {
	"id", "created_at", "updated_at", "resolved_at", "title", "subject",
	"customer_message", "content", "priority", "client_priority",
	"status", "product", "product_name", "agent_id", "closed_by",
	"agent", "customer",
};
enum { A_FULL_NAME, A_ID, A_EMAIL, A_TITLE, A__MAX };
static const char *const inner_key[A__MAX] = {
	"full_name", "id", "email", "title",
};

/* dh_jtext_str as a string of the caller's, NULL when absent. */
static char *
jdup(const char *v, const char *end, struct dh_buf *b, int *oom)
{
	const char	*s = dh_jtext_str(v, end, b, oom);
	char		*d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*oom = 1;
	return d;
}

int
dh_fluent_map(const json_t *o, const char *site_tz, const char *biz_tz,
    struct dh_fluent_ticket *t, char *err, size_t errlen)
{
	char	*text;
	int	 rc;

	memset(t, 0, sizeof(*t));
	if ((text = json_dumps(o, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL) {
		snprintf(err, errlen, "ticket: out of memory");
		return -1;
	}
	rc = dh_fluent_map_text(text, strlen(text), site_tz, biz_tz, t, err,
	    errlen);
	free(text);
	return rc;
}

int
dh_fluent_map_text(const char *raw, size_t rawlen, const char *site_tz,
    const char *biz_tz, struct dh_fluent_ticket *t, char *err, size_t errlen)
{
	const char	*m[T__MAX], *in[A__MAX], *end = raw + rawlen, *bad;
	const char	*s;
	struct dh_buf	 d, b;
	struct dh_wall	 w;
	int64_t		 ts;
	unsigned char	 h[DH_FLUENT_HASH_LEN];
	int		 r, oom = 0;

	memset(t, 0, sizeof(*t));
	dh_buf_init(&d, DH_DESC_MAX + 8);
	dh_buf_init(&b, rawlen + 1);
	bad = raw;
	if (dh_js_value(raw, end, &bad) != end) {
		snprintf(err, errlen, "ticket: not valid JSON (byte %td of "
		    "%zu)", bad - raw + 1, rawlen);
		goto fail;
	}
	if (*raw != '{') {
		snprintf(err, errlen, "ticket: not an object");
		goto fail;
	}
	dh_js_members(raw, end, ticket_key, m, T__MAX);
	if (dh_jtext_ll(m[T_ID], end, &b, &t->id) != 0 || t->id <= 0) {
		snprintf(err, errlen, "ticket: missing or invalid id");
		goto fail;
	}
	s = dh_jtext_str(m[T_CREATED], end, &b, &oom);
	if (s == NULL || dh_tz_parse(s, site_tz, &ts) == -1) {
		if (oom)
			goto oom;
		snprintf(err, errlen, "ticket %lld: created_at: unreadable "
		    "date", t->id);
		goto fail;
	}
	t->created_utc = ts;
	dh_tz_format_utc(ts, t->created_at);
	dh_tz_to_local(biz_tz, ts, &w);
	dh_wall_date(&w, t->date);
	dh_wall_time(&w, t->time);
	if ((s = dh_jtext_str(m[T_UPDATED], end, &b, &oom)) != NULL &&
	    dh_tz_parse(s, site_tz, &ts) == 0)
		dh_tz_format_utc(ts, t->updated_at);
	if ((s = dh_jtext_str(m[T_RESOLVED], end, &b, &oom)) != NULL &&
	    dh_tz_parse(s, site_tz, &ts) == 0)
		dh_tz_format_utc(ts, t->resolved_utc);

	t->title = jdup(m[T_TITLE], end, &b, &oom);
	if (t->title == NULL && !oom)
		t->title = jdup(m[T_SUBJECT], end, &b, &oom);
	if (t->title == NULL && !oom)
		t->title = strdup("");
	if (t->title == NULL)
		goto oom;
	/* The column holds 255 bytes; an absurd title is cut, not fatal. */
	utf8_cut(t->title, 255);
	if (dh_buf_puts(&d, t->title) == -1)
		goto oom;
	s = dh_jtext_str(m[T_MESSAGE], end, &b, &oom);
	if (s == NULL && !oom)
		s = dh_jtext_str(m[T_CONTENT], end, &b, &oom);
	if (oom)
		goto oom;
	if (s != NULL && *s != '\0') {
		struct dh_buf	 txt;

		dh_buf_init(&txt, DH_DESC_MAX);
		r = dh_html_to_text(s, &txt);
		if (txt.len > 0 && d.len > 0)
			r |= dh_buf_append(&d, "\n\n", 2);
		if (txt.len > 0) {
			size_t	 take = txt.len > DH_DESC_MAX - d.len ?
			    DH_DESC_MAX - d.len : txt.len;

			/* Cut at a character boundary, never inside one. */
			while (take > 0 && take < txt.len &&
			    ((unsigned char)txt.data[take] & 0xc0) == 0x80)
				take--;
			r |= dh_buf_append(&d, txt.data, take);
		}
		dh_buf_release(&txt);
		(void)r;	/* an over-long message is cut, not fatal */
	}
	if (d.data == NULL && dh_buf_append(&d, "", 0) == -1)
		goto oom;
	utf8_cut(d.data, DH_DESC_MAX);
	t->description = d.data;
	dh_buf_init(&d, 0);

	s = dh_jtext_str(m[T_PRIORITY], end, &b, &oom);
	if (s == NULL && !oom)
		s = dh_jtext_str(m[T_CPRIORITY], end, &b, &oom);
	t->urgency = dh_fluent_urgency(s);
	copy_cut(t->priority, s != NULL ? s : "", sizeof(t->priority));
	s = dh_jtext_str(m[T_STATUS], end, &b, &oom);
	copy_cut(t->status, s != NULL ? s : "unknown", sizeof(t->status));

	s = NULL;
	if (m[T_PRODUCT] != NULL && *m[T_PRODUCT] == '{') {
		dh_js_members(m[T_PRODUCT], end, inner_key, in, A__MAX);
		s = dh_jtext_str(in[A_TITLE], end, &b, &oom);
	}
	if (s == NULL && !oom)
		s = dh_jtext_str(m[T_PRODUCT_NAME], end, &b, &oom);
	if (oom)
		goto oom;
	t->category = dh_fluent_category(s);
	if (s != NULL && *s != '\0') {
		if ((t->website_url = strdup(s)) == NULL)
			goto oom;
		utf8_cut(t->website_url, 255);
	}
	if (dh_jtext_ll(m[T_AGENT_ID], end, &b, &t->agent_id) == -1)
		t->agent_id = 0;
	if (dh_jtext_ll(m[T_CLOSED_BY], end, &b, &t->closed_by) == -1)
		t->closed_by = 0;
	if (m[T_AGENT] != NULL && *m[T_AGENT] == '{') {
		dh_js_members(m[T_AGENT], end, inner_key, in, A__MAX);
		t->agent_name = jdup(in[A_FULL_NAME], end, &b, &oom);
		if (t->agent_id == 0)
			dh_jtext_ll(in[A_ID], end, &b, &t->agent_id);
	}
	if (m[T_CUSTOMER] != NULL && *m[T_CUSTOMER] == '{') {
		dh_js_members(m[T_CUSTOMER], end, inner_key, in, A__MAX);
		t->customer_name = jdup(in[A_FULL_NAME], end, &b, &oom);
		t->customer_email = jdup(in[A_EMAIL], end, &b, &oom);
	}
	if (oom)
		goto oom;
	if (t->agent_name != NULL)
		utf8_cut(t->agent_name, 190);
	if (t->customer_name != NULL)
		utf8_cut(t->customer_name, 190);
	if (t->customer_email != NULL)
		utf8_cut(t->customer_email, 190);

	/* raw_data keeps the provider's bytes, as hashed. */
	if ((t->raw = malloc(rawlen + 1)) == NULL)
		goto oom;
	memcpy(t->raw, raw, rawlen);
	t->raw[rawlen] = '\0';
	dh_fluent_hash(t->raw, rawlen, h);
	sodium_bin2hex(t->hash, sizeof(t->hash), h, sizeof(h));
	dh_buf_release(&b);
	return 0;
oom:
	snprintf(err, errlen, "ticket %lld: out of memory", t->id);
fail:
	dh_buf_release(&d);
	dh_buf_release(&b);
	dh_fluent_ticket_release(t);
	return -1;
}

int
dh_fluent_init(struct dh_fluent *f, const struct dh_config *c, char *err,
    size_t errlen)
{
	size_t	 n;

	memset(f, 0, sizeof(*f));
	f->cfg = c;
	if (c->fluent_url[0] == '\0' || c->fluent_user[0] == '\0' ||
	    c->fluent_password[0] == '\0') {
		snprintf(err, errlen, "FluentSupport API credentials not "
		    "configured (FLUENT_API_URL, FLUENT_API_USERNAME, "
		    "FLUENT_API_PASSWORD)");
		return -1;
	}
	if (strncmp(c->fluent_url, "http://", 7) != 0 &&
	    strncmp(c->fluent_url, "https://", 8) != 0) {
		snprintf(err, errlen, "FLUENT_API_URL: expected an http:// or "
		    "https:// URL");
		return -1;
	}
	dh_strlcpy(f->base, c->fluent_url, sizeof(f->base));
	n = strlen(f->base);
	while (n > 0 && f->base[n - 1] == '/')
		f->base[--n] = '\0';
	for (size_t i = 0; i < DH_HTTP_MAX_PARALLEL; i++)
		dh_http_resp_init(&f->resp[i]);
	if (dh_http_init(&f->http, c) == -1) {
		snprintf(err, errlen, "curl_easy_init failed");
		return -1;
	}
	return 0;
}

void
dh_fluent_free(struct dh_fluent *f)
{
	dh_http_free(&f->http);
	for (size_t i = 0; i < DH_HTTP_MAX_PARALLEL; i++)
		dh_http_resp_release(&f->resp[i]);
}

/* The app password may be stored with its display spaces; both work. */
static void
app_password(const char *in, char *out, size_t cap)
{
	size_t	 o = 0;

	for (; *in != '\0' && o + 1 < cap; in++)
		if (*in != ' ')
			out[o++] = *in;
	out[o] = '\0';
}

static enum dh_prov_rc
classify(enum dh_http_rc hr)
{
	switch (hr) {
	case DH_HTTP_OK:
		return DH_PROV_OK;
	case DH_HTTP_AUTH:
		return DH_PROV_AUTH;
	case DH_HTTP_UNREACHABLE:
	case DH_HTTP_TIMEOUT:
		return DH_PROV_UNREACHABLE;
	case DH_HTTP_TRUNCATED:
	case DH_HTTP_TOO_LARGE:
		return DH_PROV_BAD_ANSWER;
	default:
		return DH_PROV_STATUS;
	}
}

/* Add the provider's own message to err for an error status. */
static void
add_message(struct dh_http_resp *r, char *err, size_t errlen)
{
	json_t		*j;
	const char	*m = NULL;
	size_t		 l = strlen(err);

	if (!dh_http_looks_json(r->body.data ? r->body.data : "", r->body.len)) {
		if (r->body.len > 0 && l < errlen)
			snprintf(err + l, errlen - l, " (an HTML page, not "
			    "JSON)");
		return;
	}
	j = json_loadb(r->body.data, r->body.len, 0, NULL);
	if (json_is_object(j))
		m = dh_json_str(j, "message");
	else if (json_is_string(j))
		m = json_string_value(j);
	if (m != NULL && l < errlen)
		snprintf(err + l, errlen - l, ": %.200s", m);
	json_decref(j);
}

static enum dh_prov_rc
get_json(struct dh_fluent *f, const char *url, struct dh_http_resp *r,
    char *err, size_t errlen)
{
	char		 pw[256];
	enum dh_http_rc	 hr;

	app_password(f->cfg->fluent_password, pw, sizeof(pw));
	hr = dh_http_get(&f->http, url, f->cfg->fluent_user, pw, r, err,
	    errlen);
	sodium_memzero(pw, sizeof(pw));
	if (hr == DH_HTTP_AUTH)
		add_message(r, err, errlen);
	else if (hr == DH_HTTP_STATUS)
		add_message(r, err, errlen);
	return classify(hr);
}

enum dh_prov_rc
dh_fluent_site_tz(struct dh_fluent *f, char *zone, size_t cap, char *err,
    size_t errlen)
{
	struct dh_http_resp	 r;
	struct dh_buf		 url;
	enum dh_prov_rc		 rc;
	json_t			*j = NULL, *off;
	const char		*tz;

	dh_http_resp_init(&r);
	dh_buf_init(&url, 1024);
	if (dh_buf_printf(&url, "%s/wp-json/", f->base) == -1) {
		snprintf(err, errlen, "FLUENT_API_URL: too long");
		rc = DH_PROV_CONFIG;
		goto out;
	}
	if ((rc = get_json(f, url.data, &r, err, errlen)) != DH_PROV_OK)
		goto out;
	rc = DH_PROV_BAD_ANSWER;
	j = json_loadb(r.body.data, r.body.len, 0, NULL);
	if (!json_is_object(j)) {
		snprintf(err, errlen, "%s: not a JSON object", url.data);
		goto out;
	}
	tz = dh_json_str(j, "timezone_string");
	off = json_object_get(j, "gmt_offset");
	if (tz != NULL && *tz != '\0' && dh_tz_valid(tz))
		dh_strlcpy(zone, tz, cap);
	else if (json_is_number(off))
		dh_tz_from_offset(json_number_value(off), zone, cap);
	else if (json_is_string(off) && *json_string_value(off) != '\0')
		dh_tz_from_offset(strtod(json_string_value(off), NULL), zone,
		    cap);
	else
		dh_strlcpy(zone, "UTC", cap);
	rc = DH_PROV_OK;
out:
	json_decref(j);
	dh_buf_release(&url);
	dh_http_resp_release(&r);
	return rc;
}

int
dh_fluent_page_url(const char *base, long page, long per_page,
    struct dh_buf *b)
{
	dh_buf_reset(b);
	return dh_buf_printf(b, "%s/wp-json/fluent-support/v2/tickets?"
	    "page=%ld&per_page=%ld&order_by=created_at&order_type=DESC&"
	    "filters%%5Bstatus_type%%5D=all", base, page, per_page);
}

/* A count in the paginator: a number, a numeric string, else -1. */
static long long
page_count(const char *v, const char *e)
{
	long long	 n;

	if (v < e && *v == '"') {
		v++;
		e--;
	}
	if (dh_parse_lln(v, (size_t)(e - v), 0, LLONG_MAX, &n) == -1)
		return -1;
	return n;
}

/* Where a walk through an answer stands. */
struct walk {
	struct dh_fluent_page	*pg;
	const char		*end;
	const char		*bad;	/* first wrong byte; NULL: no memory */
	int			 found;	/* tickets.data met */
};

static const char *
walk_fail(struct walk *w, const char *at)
{
	w->bad = at;
	return NULL;
}

/* Record the element at [p, e) of tickets.data. */
static int
add_span(struct dh_fluent_page *pg, const char *p, const char *e)
{
	if (pg->n == pg->cap) {
		size_t			 cap = pg->cap ? pg->cap * 2 : 128;
		struct dh_fluent_span	*s;

		if ((s = reallocarray(pg->span, cap, sizeof(*s))) == NULL)
			return -1;
		pg->span = s;
		pg->cap = cap;
	}
	pg->span[pg->n].off = (size_t)(p - pg->text);
	pg->span[pg->n].len = (size_t)(e - p);
	pg->n++;
	return 0;
}

/*
 * The tickets.data array at p: where each element is, found by following
 * strings and nesting only.  The elements are checked later, by
 * dh_fluent_map_text when a ticket is read, or by their hash matching
 * bytes it checked before.  The byte after the array, or NULL.
 */
static const char *
walk_data(struct walk *w, const char *p)
{
	const char	*e, *end = w->end;
	int		 more;

	w->found = 1;
	for (p = dh_js_enter(p, end, &more); more; ) {
		if ((e = dh_js_skip(p, end)) == NULL || e == p)
			return walk_fail(w, e == NULL ? end : p);
		if (add_span(w->pg, p, e) == -1)
			return walk_fail(w, NULL);
		if ((p = dh_js_after(e, end, ']', &more, &w->bad)) == NULL)
			return NULL;
	}
	return p;
}

/*
 * The object at p, every member checked.  When paginator is set it is
 * tickets: data, total and last_page are read.  Otherwise it is the
 * answer, whose first object named tickets is walked as the paginator.
 */
static const char *
walk_object(struct walk *w, const char *p, int paginator)
{
	const char	*k, *v, *end = w->end;
	int		 more;

	for (p = dh_js_enter(p, end, &more); more; ) {
		k = p;
		if ((p = dh_js_string(p, end, &w->bad)) == NULL)
			return NULL;
		p = dh_js_ws(p, end);
		if (p >= end || *p != ':')
			return walk_fail(w, p);
		v = p = dh_js_ws(p + 1, end);
		if (v >= end)
			return walk_fail(w, v);
		if (!w->found && !paginator && *v == '{' &&
		    dh_js_key_is(k, "tickets"))
			p = walk_object(w, p, 1);
		else if (!w->found && paginator && *v == '[' &&
		    dh_js_key_is(k, "data"))
			p = walk_data(w, p);
		else
			p = dh_js_value(p, end, &w->bad);
		if (p == NULL)
			return NULL;
		if (paginator && dh_js_key_is(k, "total"))
			w->pg->total = page_count(v, p);
		else if (paginator && dh_js_key_is(k, "last_page"))
			w->pg->last_page = page_count(v, p);
		if ((p = dh_js_after(p, end, '}', &more, &w->bad)) == NULL)
			return NULL;
	}
	return p;
}

void
dh_fluent_page_release(struct dh_fluent_page *pg)
{
	free(pg->span);
	free(pg->own);
	memset(pg, 0, sizeof(*pg));
}

int
dh_fluent_parse_page(const char *body, size_t len,
    struct dh_fluent_page *p, char *err, size_t errlen)
{
	struct walk	 w;
	const char	*start = body, *end = body + len, *q;

	memset(p, 0, sizeof(*p));
	p->total = p->last_page = -1;
	if (len == 0) {
		snprintf(err, errlen, "empty answer");
		return -1;
	}
	/* WP_DEBUG prints an HTML notice before the JSON: skip it. */
	if (!dh_http_looks_json(body, len)) {
		const char	*j = memmem(body, len, "{\"tickets\"", 10);

		if (j == NULL) {
			snprintf(err, errlen, "answer is not JSON (%.40s...)",
			    body[0] == '<' ? "an HTML page" : "unknown text");
			return -1;
		}
		start = j;
	}
	p->text = start;
	memset(&w, 0, sizeof(w));
	w.pg = p;
	w.end = end;
	q = dh_js_ws(start, end);
	if (q < end && *q == '{')
		q = walk_object(&w, q, 0);
	else
		q = dh_js_value(q, end, &w.bad);
	if (q != NULL && (q = dh_js_ws(q, end)) < end)
		q = walk_fail(&w, q);
	if (q == NULL) {
		if (w.bad == NULL)
			snprintf(err, errlen, "out of memory");
		else if (w.bad >= end)
			snprintf(err, errlen, "answer is not valid JSON (it "
			    "ends early at byte %zu, truncated?)",
			    (size_t)(end - start));
		else
			snprintf(err, errlen, "answer is not valid JSON "
			    "(unexpected byte at %zu)",
			    (size_t)(w.bad - start));
		dh_fluent_page_release(p);
		return -1;
	}
	if (!w.found) {
		snprintf(err, errlen, "answer has no tickets.data array");
		dh_fluent_page_release(p);
		return -1;
	}
	return 0;
}

/*
 * Parse the answer for page into p, which then keeps the body (its spans
 * point into it).  DH_PROV_OK, or DH_PROV_BAD_ANSWER with err.
 */
static enum dh_prov_rc
take_page(long page, struct dh_http_resp *r, struct dh_fluent_page *p,
    char *err, size_t errlen)
{
	char	 perr[256];

	if (dh_fluent_parse_page(r->body.data, r->body.len, p, perr,
	    sizeof(perr)) == -1) {
		snprintf(err, errlen, "FluentSupport tickets page %ld: %s",
		    page, perr);
		return DH_PROV_BAD_ANSWER;
	}
	p->own = r->body.data;
	dh_buf_init(&r->body, DH_HTTP_BODY_MAX);
	return DH_PROV_OK;
}

enum dh_prov_rc
dh_fluent_page_start(struct dh_fluent *f, size_t slot, long page,
    long per_page, char *err, size_t errlen)
{
	struct dh_buf	 url;
	char		 pw[256];
	enum dh_prov_rc	 rc = DH_PROV_OK;

	if (slot >= DH_HTTP_MAX_PARALLEL) {
		snprintf(err, errlen, "dh_fluent_page_start: bad slot");
		return DH_PROV_CONFIG;
	}
	dh_buf_init(&url, 2048);
	if (dh_fluent_page_url(f->base, page, per_page, &url) == -1) {
		snprintf(err, errlen, "FLUENT_API_URL: too long");
		dh_buf_release(&url);
		return DH_PROV_CONFIG;
	}
	app_password(f->cfg->fluent_password, pw, sizeof(pw));
	if (dh_http_start(&f->http, slot, url.data, f->cfg->fluent_user, pw,
	    &f->resp[slot], err, errlen) == -1)
		rc = DH_PROV_CONFIG;
	sodium_memzero(pw, sizeof(pw));
	dh_buf_release(&url);
	return rc;
}

enum dh_prov_rc
dh_fluent_page_finish(struct dh_fluent *f, size_t slot, long page,
    struct dh_fluent_page *p, char *err, size_t errlen)
{
	char		 pw[256];
	enum dh_http_rc	 hr;

	memset(p, 0, sizeof(*p));
	if (slot >= DH_HTTP_MAX_PARALLEL) {
		snprintf(err, errlen, "dh_fluent_page_finish: bad slot");
		return DH_PROV_CONFIG;
	}
	app_password(f->cfg->fluent_password, pw, sizeof(pw));
	hr = dh_http_finish(&f->http, slot, f->cfg->fluent_user, pw, err,
	    errlen);
	sodium_memzero(pw, sizeof(pw));
	if (hr != DH_HTTP_OK) {
		if (hr == DH_HTTP_AUTH || hr == DH_HTTP_STATUS)
			add_message(&f->resp[slot], err, errlen);
		return classify(hr);
	}
	return take_page(page, &f->resp[slot], p, err, errlen);
}

/* Up to 18 digits: a longer id is left to the parse. */
long long
dh_fluent_raw_id(const char *p, size_t len)
{
	const char	*end = p + len;
	long long	 v = 0;
	int		 quoted = 0, nd = 0;

	if (len < 8 || memcmp(p, "{\"id\":", 6) != 0)
		return 0;
	p += 6;
	if (*p == '"') {
		quoted = 1;
		p++;
	}
	for (; p < end && *p >= '0' && *p <= '9' && nd < 18; p++, nd++)
		v = v * 10 + (*p - '0');
	if (nd == 0 || (quoted && (p >= end || *p++ != '"')) || p >= end ||
	    (*p != ',' && *p != '}'))
		return 0;
	return v;
}

int
dh_fluent_page_ready(struct dh_fluent *f, size_t slot, int wait_ms)
{
	return dh_http_ready(&f->http, slot, wait_ms);
}

void
dh_fluent_wakeup(struct dh_fluent *f)
{
	dh_http_wakeup(&f->http);
}

void
dh_fluent_cancel(struct dh_fluent *f)
{
	dh_http_cancel(&f->http);
}
