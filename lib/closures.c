/*
 * The counting rules of ticket closures and the mapping file, kept free of
 * I/O (but for reading the mapping file) so that the unit tests can drive
 * them with tables: the date of a closure is the business-timezone date of
 * stats.closed_at, else stats.resolved_at, never of updated_at.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "closures.h"
#include "dh_jscan.h"
#include "dh_json.h"
#include "dh_tz.h"
#include "dh_util.h"

/* A stats time: absent or null is -1, otherwise it must parse. */
static int
read_time(const char *v, const char *end, struct dh_buf *b, int64_t *out)
{
	int	 oom = 0;

	*out = -1;
	if (v == NULL || *v == 'n')
		return 0;
	if (dh_jtext_str(v, end, b, &oom) == NULL)
		return -1;
	return dh_tz_parse(b->data, "UTC", out) == -1 ? -1 : 0;
}

/* An optional positive id: absent or null is 0. */
static int
read_id(const char *v, const char *end, struct dh_buf *b, long long *out)
{
	int	 rc;

	*out = 0;
	rc = dh_jtext_ll(v, end, b, out);
	if (rc == 1) {
		*out = 0;
		return 0;
	}
	if (rc == -1 || *out < 0)
		return -1;
	return 0;
}

enum { K_ID, K_STATUS, K_RESPONDER, K_GROUP, K_STATS, K__MAX };
static const char *const ticket_key[K__MAX] = {
	"id", "status", "responder_id", "group_id", "stats",
};
enum { S_CLOSED, S_RESOLVED, S__MAX };
static const char *const stats_key[S__MAX] = { "closed_at", "resolved_at" };

int
dh_fresh_ticket_read_text(const char *p, const char *end,
    struct dh_fresh_ticket *t, char *err, size_t errlen)
{
	const char	*v[K__MAX], *sv[S__MAX] = { NULL, NULL };
	const char	*bad = NULL;
	struct dh_buf	 b;

	memset(t, 0, sizeof(*t));
	t->closed_utc = t->resolved_utc = -1;
	if (p >= end || *p != '{') {
		snprintf(err, errlen, "ticket: expected an object");
		return -1;
	}
	/* Decoded strings are never longer than the text. */
	dh_buf_init(&b, (size_t)(end - p) + 1);
	dh_js_members(p, end, ticket_key, v, K__MAX);
	if (dh_jtext_ll(v[K_ID], end, &b, &t->id) != 0 || t->id <= 0)
		bad = "id";
	else if (dh_jtext_ll(v[K_STATUS], end, &b, &t->status) == -1)
		bad = "status";
	else if (read_id(v[K_RESPONDER], end, &b, &t->responder_id) == -1)
		bad = "responder_id";
	else if (read_id(v[K_GROUP], end, &b, &t->group_id) == -1)
		bad = "group_id";
	else if (v[K_STATS] != NULL && *v[K_STATS] != 'n' &&
	    *v[K_STATS] != '{')
		bad = "stats";
	if (bad == NULL && v[K_STATS] != NULL && *v[K_STATS] == '{') {
		dh_js_members(v[K_STATS], end, stats_key, sv, S__MAX);
		if (read_time(sv[S_CLOSED], end, &b, &t->closed_utc) == -1)
			bad = "stats.closed_at";
		else if (read_time(sv[S_RESOLVED], end, &b,
		    &t->resolved_utc) == -1)
			bad = "stats.resolved_at";
	}
	dh_buf_release(&b);
	if (bad != NULL) {
		if (t->id > 0)
			snprintf(err, errlen, "ticket %lld: %s: malformed",
			    t->id, bad);
		else
			snprintf(err, errlen, "ticket: %s: missing or "
			    "malformed", bad);
		return -1;
	}
	return 0;
}

int
dh_fresh_ticket_read(const json_t *o, struct dh_fresh_ticket *t, char *err,
    size_t errlen)
{
	char	*text;
	int	 rc;

	if ((text = json_dumps(o, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL) {
		memset(t, 0, sizeof(*t));
		snprintf(err, errlen, "ticket: expected an object");
		return -1;
	}
	rc = dh_fresh_ticket_read_text(text, text + strlen(text), t, err,
	    errlen);
	free(text);
	return rc;
}

enum dh_close_verdict
dh_close_judge(const struct dh_fresh_ticket *t, const char *zone,
    const char *date, long long group)
{
	struct dh_wall	 w;
	char		 d[11];
	int64_t		 when;

	if (t->status != 4 && t->status != 5)
		return DH_CLOSE_NOT_CLOSED;
	if (group != 0 && t->group_id != group)
		return DH_CLOSE_OTHER_GROUP;
	when = t->closed_utc >= 0 ? t->closed_utc : t->resolved_utc;
	if (when < 0)
		return DH_CLOSE_NO_TIME;
	dh_tz_to_local(zone, when, &w);
	dh_wall_date(&w, d);
	if (strcmp(d, date) != 0)
		return DH_CLOSE_OTHER_DAY;
	if (t->responder_id <= 0)
		return DH_CLOSE_NO_AGENT;
	return DH_CLOSE_COUNTED;
}

void
dh_tally_init(struct dh_tally *ty)
{
	memset(ty, 0, sizeof(*ty));
}

void
dh_tally_release(struct dh_tally *ty)
{
	free(ty->agents);
	free(ty->seen);
	memset(ty, 0, sizeof(*ty));
}

static size_t
slot(long long id, size_t cap)
{
	unsigned long long	 h = (unsigned long long)id;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t)(h & (cap - 1));
}

/* Add id to the set; 1 when new, 0 when already there, -1 on OOM. */
static int
seen_add(struct dh_tally *ty, long long id)
{
	size_t	 i;

	if (ty->seen_n * 2 >= ty->seen_cap) {
		size_t		 ncap = ty->seen_cap == 0 ? 1024 :
		    ty->seen_cap * 2;
		long long	*n = calloc(ncap, sizeof(*n));

		if (n == NULL)
			return -1;
		for (size_t k = 0; k < ty->seen_cap; k++) {
			if (ty->seen[k] == 0)
				continue;
			for (i = slot(ty->seen[k], ncap); n[i] != 0;
			    i = (i + 1) & (ncap - 1))
				continue;
			n[i] = ty->seen[k];
		}
		free(ty->seen);
		ty->seen = n;
		ty->seen_cap = ncap;
	}
	for (i = slot(id, ty->seen_cap); ty->seen[i] != 0;
	    i = (i + 1) & (ty->seen_cap - 1))
		if (ty->seen[i] == id)
			return 0;
	ty->seen[i] = id;
	ty->seen_n++;
	return 1;
}

static int
credit(struct dh_tally *ty, long long responder)
{
	for (size_t i = 0; i < ty->nagents; i++)
		if (ty->agents[i].responder_id == responder) {
			ty->agents[i].closed++;
			return 0;
		}
	if (ty->nagents == DH_CLOSE_MAX_AGENTS)
		return -1;
	if (ty->nagents == ty->agents_cap) {
		size_t			 ncap = ty->agents_cap == 0 ? 16 :
		    ty->agents_cap * 2;
		struct dh_tally_agent	*n;

		n = reallocarray(ty->agents, ncap, sizeof(*n));
		if (n == NULL)
			return -1;
		ty->agents = n;
		ty->agents_cap = ncap;
	}
	ty->agents[ty->nagents].responder_id = responder;
	ty->agents[ty->nagents].closed = 1;
	ty->nagents++;
	return 0;
}

int
dh_tally_add(struct dh_tally *ty, const struct dh_fresh_ticket *t,
    const char *zone, const char *date, long long group)
{
	enum dh_close_verdict	 v;
	int			 isnew;

	if (ty->seen_n >= DH_CLOSE_MAX_TICKETS)
		return -1;
	if ((isnew = seen_add(ty, t->id)) == -1)
		return -1;
	if (!isnew) {
		ty->duplicates++;
		return dh_close_judge(t, zone, date, group);
	}
	ty->processed++;
	v = dh_close_judge(t, zone, date, group);
	if (v == DH_CLOSE_NO_AGENT)
		ty->unassigned++;
	else if (v == DH_CLOSE_COUNTED) {
		if (credit(ty, t->responder_id) == -1)
			return -1;
		ty->closures++;
	}
	return (int)v;
}

static int
cmp_agent(const void *a, const void *b)
{
	const struct dh_tally_agent	*x = a, *y = b;

	if (x->closed != y->closed)
		return x->closed > y->closed ? -1 : 1;
	if (x->responder_id != y->responder_id)
		return x->responder_id < y->responder_id ? -1 : 1;
	return 0;
}

void
dh_tally_sort(struct dh_tally *ty)
{
	if (ty->nagents > 1)
		qsort(ty->agents, ty->nagents, sizeof(ty->agents[0]),
		    cmp_agent);
}

void
dh_utf8_trunc(char *s, size_t max)
{
	size_t	 n = strlen(s);

	if (n <= max)
		return;
	n = max;
	/* Step back over continuation bytes to a character start. */
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	s[n] = '\0';
}

void
dh_ids_init(struct dh_ids *ids)
{
	memset(ids, 0, sizeof(*ids));
}

void
dh_ids_release(struct dh_ids *ids)
{
	free(ids->e);
	memset(ids, 0, sizeof(*ids));
}

static void
ids_bad(struct dh_ids *ids, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
ids_bad(struct dh_ids *ids, size_t line, const char *fmt, ...)
{
	va_list	 ap;

	ids->nbad++;
	if (ids->nerr == DH_IDS_MAX_ERRORS)
		return;
	ids->err[ids->nerr].line = line;
	va_start(ap, fmt);
	vsnprintf(ids->err[ids->nerr].msg, sizeof(ids->err[0].msg), fmt, ap);
	va_end(ap);
	ids->nerr++;
}

/* Whether the n bytes at s are valid UTF-8 without control characters. */
static int
clean_utf8(const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0;

	while (i < n) {
		unsigned char	 c = p[i];
		size_t		 k;

		if (c < 0x20 || c == 0x7f)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 1;
		else if (c >= 0xe0 && c <= 0xef)
			k = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 3;
		else
			return 0;
		if (i + k >= n)
			return 0;
		for (size_t j = 1; j <= k; j++)
			if ((p[i + j] & 0xc0) != 0x80)
				return 0;
		i += k + 1;
	}
	return 1;
}

/* Parse one line (without its end of line); -1 only when out of memory. */
static int
ids_line(struct dh_ids *ids, const char *s, size_t n, size_t line)
{
	const char	*dash, *name, *num;
	size_t		 nl, ml;
	long long	 id;

	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0 || *s == '#')
		return 0;
	if ((dash = memrchr(s, '-', n)) == NULL) {
		ids_bad(ids, line, "expected 'Name - ID'");
		return 0;
	}
	name = s;
	nl = (size_t)(dash - s);
	while (nl > 0 && isspace((unsigned char)name[nl - 1]))
		nl--;
	num = dash + 1;
	ml = n - (size_t)(num - s);
	while (ml > 0 && isspace((unsigned char)*num)) {
		num++;
		ml--;
	}
	if (ml == 0) {
		ids_bad(ids, line, "expected 'Name - ID'");
		return 0;
	}
	for (size_t i = 0; i < ml; i++)
		if (!isdigit((unsigned char)num[i])) {
			ids_bad(ids, line, "ID: expected a positive integer "
			    "after the last '-', got '%.*s'",
			    (int)(ml < 40 ? ml : 40), num);
			return 0;
		}
	if (dh_parse_lln(num, ml, 1, 9223372036854775807LL, &id) == -1) {
		ids_bad(ids, line, "ID: out of range");
		return 0;
	}
	if (nl == 0) {
		ids_bad(ids, line, "name: empty before ' - %lld'", id);
		return 0;
	}
	if (nl > DH_CLOSE_NAME_MAX) {
		ids_bad(ids, line, "name: longer than %d bytes",
		    DH_CLOSE_NAME_MAX);
		return 0;
	}
	if (!clean_utf8(name, nl)) {
		ids_bad(ids, line, "name: not valid UTF-8 text");
		return 0;
	}
	for (size_t i = 0; i < ids->n; i++)
		if (ids->e[i].id == id) {
			ids_bad(ids, line, "ID %lld: already given on line "
			    "%zu", id, ids->e[i].line);
			return 0;
		}
	if (ids->n == DH_IDS_MAX_ENTRIES)
		return -1;
	if (ids->n == ids->cap) {
		size_t			 ncap = ids->cap == 0 ? 32 :
		    ids->cap * 2;
		struct dh_ids_entry	*e;

		if ((e = reallocarray(ids->e, ncap, sizeof(*e))) == NULL)
			return -1;
		ids->e = e;
		ids->cap = ncap;
	}
	memcpy(ids->e[ids->n].name, name, nl);
	ids->e[ids->n].name[nl] = '\0';
	ids->e[ids->n].id = id;
	ids->e[ids->n].line = line;
	ids->n++;
	return 0;
}

int
dh_ids_parse(const char *text, size_t len, struct dh_ids *ids, char *err,
    size_t errlen)
{
	const char	*p = text, *end = text + len, *nl;
	size_t		 line = 0;

	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end) {
		line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (memchr(p, '\0', (size_t)(nl - p)) != NULL)
			ids_bad(ids, line, "a NUL byte in the line");
		else if (ids_line(ids, p, (size_t)(nl - p), line) == -1) {
			snprintf(err, errlen, "line %zu: more than %d entries "
			    "or out of memory", line, DH_IDS_MAX_ENTRIES);
			return -1;
		}
		p = nl + 1;
	}
	return 0;
}

int
dh_ids_load(const char *path, struct dh_ids *ids, char *err, size_t errlen)
{
	FILE		*f = NULL;
	struct dh_buf	 b;
	char		 chunk[8192];
	size_t		 got;
	int		 rc = -1;

	dh_buf_init(&b, DH_IDS_FILE_MAX);
	if (path == NULL || *path == '\0') {
		snprintf(err, errlen, "FRESH_IDS_FILE: not configured");
		goto out;
	}
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "FRESH_IDS_FILE: cannot open %s: %s",
		    path, strerror(errno));
		goto out;
	}
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (dh_buf_append(&b, chunk, got) == -1) {
			snprintf(err, errlen, "FRESH_IDS_FILE: %s is larger "
			    "than %d bytes", path, DH_IDS_FILE_MAX);
			goto out;
		}
	if (ferror(f)) {
		snprintf(err, errlen, "FRESH_IDS_FILE: cannot read %s", path);
		goto out;
	}
	rc = dh_ids_parse(b.data != NULL ? b.data : "", b.len, ids, err,
	    errlen);
out:
	if (f != NULL)
		fclose(f);
	dh_buf_release(&b);
	return rc;
}

/* Split s into at most max words at any of seps; words point into buf. */
static size_t
words(const char *s, const char *seps, char *buf, size_t cap, char **w,
    size_t max)
{
	size_t	 n = 0;
	char	*p, *save = NULL;

	if (s == NULL || dh_strlcpy(buf, s, cap) == -1)
		return 0;
	for (p = strtok_r(buf, seps, &save); p != NULL && n < max;
	    p = strtok_r(NULL, seps, &save))
		w[n++] = p;
	return n;
}

/* Whether candidate words c[0..nc) fit the wanted first and last word. */
static int
fits(char **c, size_t nc, const char *first, const char *last)
{
	if (nc == 0 || strcasecmp(c[0], first) != 0)
		return 0;
	if (last == NULL)
		return 1;
	if (nc < 2)
		return 0;
	return strncasecmp(c[nc - 1], last, strlen(last)) == 0;
}

enum dh_match
dh_match_user(const char *name, const struct dh_user_ref *u, size_t n,
    size_t *idx)
{
	char	 nb[DH_CLOSE_NAME_MAX + 1], cb[256], eb[256];
	char	 lastb[DH_CLOSE_NAME_MAX + 1];
	char	*w[16], *c[16], *at;
	const char *first, *last = NULL;
	size_t	 nw, nc, found = 0, which = 0;

	for (size_t i = 0; i < n; i++)
		if (u[i].name != NULL && strcmp(u[i].name, name) == 0) {
			which = i;
			found++;
		}
	if (found == 1) {
		*idx = which;
		return DH_MATCH_EXACT;
	}
	if (found > 1)
		return DH_MATCH_AMBIGUOUS;

	nw = words(name, " \t", nb, sizeof(nb), w, DH_ARRAY_LEN(w));
	if (nw == 0)
		return DH_MATCH_NONE;
	first = w[0];
	if (nw > 1) {
		dh_strlcpy(lastb, w[nw - 1], sizeof(lastb));
		nc = strlen(lastb);
		while (nc > 0 && lastb[nc - 1] == '.')
			lastb[--nc] = '\0';
		if (nc > 0)
			last = lastb;
	}
	for (size_t i = 0; i < n; i++) {
		int	 ok = 0;

		nc = words(u[i].name, " \t", cb, sizeof(cb), c,
		    DH_ARRAY_LEN(c));
		ok = fits(c, nc, first, last);
		if (!ok && u[i].email != NULL &&
		    dh_strlcpy(eb, u[i].email, sizeof(eb)) == 0 &&
		    (at = strchr(eb, '@')) != NULL) {
			*at = '\0';
			nc = words(eb, "._-+", cb, sizeof(cb), c,
			    DH_ARRAY_LEN(c));
			ok = fits(c, nc, first, last);
		}
		if (ok) {
			which = i;
			found++;
		}
	}
	if (found == 1) {
		*idx = which;
		return DH_MATCH_PARTIAL;
	}
	return found > 1 ? DH_MATCH_AMBIGUOUS : DH_MATCH_NONE;
}
