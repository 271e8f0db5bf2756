/*
 * tickets: the lists people work from.
 *   GET   /api/fluent/tickets	FluentSupport tickets joined with requests
 *   GET   /api/requests		every source's requests, filtered, sorted
 *   PATCH /api/requests/{id}	the hours and category people keep by hand
 * Sort orders are a fixed table of statements, so no SQL is ever built
 * from input; filters are bound parameters.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dh_fcgi.h"
#include "dh_log.h"
#include "dh_query.h"
#include "dh_util.h"
#include "tickets_fields.h"

/*
 * A request as the JSON object the lists and an edit answer with, built
 * by MariaDB: the query cache keeps it with the rows, so a page asked for
 * again costs no formatting in MariaDB and none here (the list answered
 * 16-20% more requests a second than when the program wrote the members
 * itself).  MariaDB escapes what JSON requires and writes the decimal
 * hours as the shortest number; JSON_COMPACT drops the spaces its
 * JSON_OBJECT puts after colons and commas, so the bytes are the ones
 * the program wrote before.
 */
#define R_DATE	"DATE_FORMAT(r.date, '%Y-%m-%d')"
#define R_TIME	"TIME_FORMAT(r.time, '%H:%i:%s')"
#define REQUEST_JSON "JSON_COMPACT(JSON_OBJECT('id', r.id, " \
	"'date', " R_DATE ", 'time', " R_TIME ", " \
	"'month_year', r.month_year, 'request_type', r.request_type, " \
	"'category', r.category, 'description', r.description, " \
	"'urgency', r.urgency, 'effort', r.effort, 'status', r.status, " \
	"'source', r.source, 'website_url', r.website_url, " \
	"'hours', CAST(r.hours AS DOUBLE), " \
	"'category_edited', r.category_edited, " \
	"'created_at', DATE_FORMAT(r.created_at, '%Y-%m-%dT%H:%i:%sZ'), " \
	"'updated_at', DATE_FORMAT(r.updated_at, '%Y-%m-%dT%H:%i:%sZ')))"

/*
 * The list statements are assembled from the constant fragments below,
 * one per combination of the filters given, sort, order and page kind,
 * prepared on first use and kept: a filter not given is not in the SQL,
 * so every statement can use the indexes.  Only values are bound.
 *
 * A list row is the request's JSON object, the keys of the cursor, the
 * page's total and the caller's user check (enum list_col).  The total is
 * counted by a scalar subquery with the same filters (MariaDB runs it
 * once a statement), so that a page and its total are one round trip and
 * one query-cache entry; the filters are bound twice, the subquery's
 * first.  Only a page with no rows asks the count statement.  The check
 * (DH_IDENT_SQL) means a Bearer token costs no round trip either.
 */
enum list_col {
	L_JSON,
	L_DATE,
	L_TIME,
	L_ID,
	L_TOTAL,
	L_CALLER,
	L__MAX
};

#define NFILTERS	7
#define TOTAL_CAP	1000	/* "total" counts at most this many rows */

static const char *const filter_sql[NFILTERS] = {
	" AND r.source = ?",
	" AND r.urgency = ?",
	" AND r.category = ?",
	" AND r.date >= ?",
	" AND r.date <= ?",
	" AND r.description LIKE ? ESCAPE '!'",
	" AND r.status = ?",
};

enum page_mode {
	PAGE_OFFSET,		/* LIMIT ? OFFSET ? */
	PAGE_AFTER_DATE,	/* keyset: after (date, time, id) */
	PAGE_AFTER_ID,		/* keyset: after id */
	PAGE__MAX
};

/*
 * Keyset conditions, ascending then descending.  Spelled out key part by
 * key part, so that MariaDB's range optimizer starts the scan of
 * (date, time, id) at the cursor itself: bounded by the date alone it
 * began at the cursor's day and skipped that day's rows before it (up
 * to 900 index entries read for a page of 100 in the scale bench).
 */
static const char *const after_sql[PAGE__MAX][2] = {
	[PAGE_OFFSET] = { "", "" },
	[PAGE_AFTER_DATE] = {
	    " AND (r.date > ? OR (r.date = ? AND r.time > ?) OR "
	    "(r.date = ? AND r.time = ? AND r.id > ?))",
	    " AND (r.date < ? OR (r.date = ? AND r.time < ?) OR "
	    "(r.date = ? AND r.time = ? AND r.id < ?))" },
	[PAGE_AFTER_ID] = { " AND r.id > ?", " AND r.id < ?" },
};

enum sort_key {
	SORT_DATE,
	SORT_URGENCY,
	SORT_CATEGORY,
	SORT_HOURS,
	SORT_SOURCE,
	SORT_DESCRIPTION,
	SORT_WEBSITE,
	SORT_ID,
	SORT__MAX
};

/* ORDER BY clauses: ascending then descending; id breaks ties. */
static const char *const sort_sql[SORT__MAX][2] = {
	[SORT_DATE] = { "r.date, r.time, r.id",
	    "r.date DESC, r.time DESC, r.id DESC" },
	[SORT_URGENCY] = { "r.urgency, r.id", "r.urgency DESC, r.id DESC" },
	[SORT_CATEGORY] = { "r.category, r.id", "r.category DESC, r.id DESC" },
	[SORT_HOURS] = { "r.hours, r.id", "r.hours DESC, r.id DESC" },
	[SORT_SOURCE] = { "r.source, r.id", "r.source DESC, r.id DESC" },
	[SORT_DESCRIPTION] = { "r.description, r.id",
	    "r.description DESC, r.id DESC" },
	[SORT_WEBSITE] = { "r.website_url, r.id",
	    "r.website_url DESC, r.id DESC" },
	[SORT_ID] = { "r.id", "r.id DESC" },
};

enum {
	Q_FLUENT_TICKETS,
	Q_PATCH,
	Q_GET_REQUEST,
	Q__MAX
};

static const char *const sql[Q__MAX] = {
	[Q_FLUENT_TICKETS] = "SELECT SQL_CACHE f.id, f.fluent_id, "
	    "f.request_id, f.title, f.ticket_status, f.priority, "
	    "f.product_name, "
	    "f.customer_name, f.customer_email, f.agent_id, f.agent_name, "
	    "DATE_FORMAT(f.created_at_fluent, '%Y-%m-%dT%H:%i:%sZ') "
	    "AS created_at_fluent, "
	    "DATE_FORMAT(f.updated_at_fluent, '%Y-%m-%dT%H:%i:%sZ') "
	    "AS updated_at_fluent, "
	    "DATE_FORMAT(r.date, '%Y-%m-%d') AS date, "
	    "TIME_FORMAT(r.time, '%H:%i:%s') AS time, r.description, "
	    "r.urgency, r.category, r.website_url, r.hours, r.source "
	    "FROM fluent_tickets f JOIN requests r ON r.id = f.request_id "
	    "ORDER BY f.fluent_id DESC LIMIT ? OFFSET ?",
	[Q_PATCH] = "UPDATE requests SET hours = IF(?, ?, hours), "
	    "category = IF(?, ?, category), "
	    "category_edited = IF(?, 1, category_edited) WHERE id = ?",
	[Q_GET_REQUEST] = "SELECT " REQUEST_JSON " FROM requests r "
	    "WHERE r.id = ?",
};

#define NLISTS	((1u << NFILTERS) * SORT__MAX * 2 * PAGE__MAX)

/* Prepared on first use; released when the worker ends. */
static struct dh_stmt	*lists[NLISTS];
static struct dh_stmt	*counts[1u << NFILTERS];

/* A caller-owned statement for a text built from our own fragments. */
static struct dh_stmt *
new_stmt(struct dh_buf *b)
{
	struct dh_stmt	*st;

	if (b->data == NULL || (st = calloc(1, sizeof(*st))) == NULL) {
		dh_buf_release(b);
		return NULL;
	}
	st->sql = b->data;
	return st;
}

/* The conditions of the filters in mask, in table order. */
static int
put_filters(struct dh_buf *b, unsigned mask)
{
	int	 rc = 0;

	for (int i = 0; i < NFILTERS; i++)
		if (mask & (1u << i))
			rc |= dh_buf_puts(b, filter_sql[i]);
	return rc;
}

/* What follows SELECT to count the rows the filters in mask keep, up to
 * TOTAL_CAP + 1. */
static int
put_count(struct dh_buf *b, unsigned mask)
{
	int	 rc;

	rc = dh_buf_puts(b, "COUNT(*) FROM (SELECT 1 "
	    "FROM requests r WHERE 1 = 1");
	rc |= put_filters(b, mask);
	rc |= dh_buf_printf(b, " LIMIT %d) t", TOTAL_CAP + 1);
	return rc;
}

static struct dh_stmt *
list_stmt(unsigned mask, int sort, int desc, enum page_mode mode)
{
	size_t		 k = (((size_t)mask * SORT__MAX + (size_t)sort) * 2 +
	    (size_t)desc) * PAGE__MAX + (size_t)mode;
	struct dh_buf	 b;
	int		 rc;

	if (lists[k] != NULL)
		return lists[k];
	dh_buf_init(&b, 8192);
	rc = dh_buf_puts(&b, "SELECT SQL_CACHE " REQUEST_JSON ", " R_DATE ", "
	    R_TIME ", r.id, (SELECT ");
	rc |= put_count(&b, mask);
	rc |= dh_buf_puts(&b, ") AS total, " DH_IDENT_SQL " AS caller "
	    "FROM requests r WHERE 1 = 1");
	rc |= put_filters(&b, mask);
	rc |= dh_buf_puts(&b, after_sql[mode][desc]);
	rc |= dh_buf_puts(&b, " ORDER BY ");
	rc |= dh_buf_puts(&b, sort_sql[sort][desc]);
	rc |= dh_buf_puts(&b, mode == PAGE_OFFSET ? " LIMIT ? OFFSET ?" :
	    " LIMIT ?");
	if (rc != 0) {
		dh_buf_release(&b);
		return NULL;
	}
	return lists[k] = new_stmt(&b);
}

static struct dh_stmt *
count_stmt(unsigned mask)
{
	struct dh_buf	 b;
	int		 rc;

	if (counts[mask] != NULL)
		return counts[mask];
	dh_buf_init(&b, 4096);
	rc = dh_buf_puts(&b, "SELECT SQL_CACHE ");
	rc |= put_count(&b, mask);
	if (rc != 0) {
		dh_buf_release(&b);
		return NULL;
	}
	return counts[mask] = new_stmt(&b);
}

static void
release_stmts(struct dh_stmt **v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i] == NULL)
			continue;
		dh_stmt_release(v[i]);
		free((char *)v[i]->sql);
		free(v[i]);
		v[i] = NULL;
	}
}

#define REPLY_MAX	(64u * 1024 * 1024)	/* 500 rows of the longest */

/* reply_rows: column 0 is each row's object (no column count is this). */
#define ROW_OBJECTS	UINT_MAX

/*
 * Answer 200 with the rows of r as JSON text, written without building a
 * tree: each row's first ncols columns as its members, or with ncols
 * ROW_OBJECTS, the JSON object MariaDB built in column 0.  The bare
 * array, or with key set, {"key": rows, ...rest} where rest (stolen)
 * holds the other members.
 */
static void
reply_rows(struct dh_req *req, const char *key, const struct dh_result *r,
    unsigned ncols, json_t *rest)
{
	struct dh_buf	 b;
	const char	*s;
	char		*tail = NULL;
	int		 rc = 0;

	dh_buf_init(&b, REPLY_MAX);
	if (key != NULL) {
		tail = json_dumps(rest, JSON_COMPACT | JSON_ENSURE_ASCII);
		rc |= tail == NULL ? -1 : 0;
		rc |= dh_buf_printf(&b, "{\"%s\":", key);
	}
	if (ncols != ROW_OBJECTS)
		rc |= dh_res_json_text_cols(r, ncols, &b);
	else {
		rc |= dh_buf_append(&b, "[", 1);
		for (size_t i = 0; r != NULL && i < r->nrows && rc == 0; i++) {
			s = dh_res_get(r, i, 0);
			if (i > 0)
				rc |= dh_buf_append(&b, ",", 1);
			rc |= s != NULL ? dh_buf_puts(&b, s) : -1;
		}
		rc |= dh_buf_append(&b, "]", 1);
	}
	/* The rest without its opening brace: ,"total":...} */
	if (key != NULL && tail != NULL && strcmp(tail, "{}") != 0)
		rc |= dh_buf_printf(&b, ",%s", tail + 1);
	else if (key != NULL)
		rc |= dh_buf_puts(&b, "}");
	if (rc == 0)
		dh_reply_text(req, 200, b.data, b.len);
	else
		dh_reply_error(req, 500, "cannot encode the answer");
	free(tail);
	json_decref(rest);
	dh_buf_release(&b);
}

static void
h_fluent_tickets(struct dh_req *req)
{
	struct dh_fval		 v[DH_ARRAY_LEN(fluent_tickets_fields)];
	struct dh_query		 qs;
	struct dh_result	*r = NULL;
	int			 rc;

	if (dh_req_query(req, &qs, fluent_tickets_fields,
	    DH_ARRAY_LEN(fluent_tickets_fields), v) == -1)
		return;
	{
		struct dh_val	 a[] = { DH_VINT(v[0].set ? v[0].i : 100),
		    DH_VINT(v[1].set ? v[1].i : 0) };

		rc = dh_db_exec(&req->app->db, Q_FLUENT_TICKETS, a, 2, &r,
		    NULL);
	}
	if (rc != DH_DB_OK)
		dh_reply_db(req, rc);
	else
		reply_rows(req, NULL, r, r != NULL ? r->ncols : 0, NULL);
	dh_result_free(r);
	dh_query_release(&qs);
}

/* Escape LIKE wildcards with '!' and wrap in %...%. */
static int
like_pattern(const char *s, char *out, size_t cap)
{
	size_t	 o = 0;

	out[o++] = '%';
	for (; *s != '\0'; s++) {
		if (o + 3 >= cap)
			return -1;
		if (*s == '%' || *s == '_' || *s == '!')
			out[o++] = '!';
		out[o++] = *s;
	}
	out[o++] = '%';
	out[o] = '\0';
	return 0;
}

/*
 * A keyset cursor: "YYYY-MM-DD.HH:MM:SS.ID" after a page sorted by date,
 * "ID" after a page sorted by id.  0, or -1 when malformed.
 */
static int
parse_cursor(const char *c, int sort, char *date, char *time, long long *id)
{
	struct dh_date	 d;

	if (sort == SORT_ID)
		return dh_parse_ll(c, 1, 9223372036854775807LL, id);
	if (strlen(c) < 21 || c[10] != '.' || c[19] != '.')
		return -1;
	memcpy(date, c, 10);
	date[10] = '\0';
	memcpy(time, c + 11, 8);
	time[8] = '\0';
	if (dh_date_parse(date, &d) == -1)
		return -1;
	for (int i = 0; i < 8; i++)
		if ((i == 2 || i == 5) ? time[i] != ':' :
		    (time[i] < '0' || time[i] > '9'))
			return -1;
	return dh_parse_ll(c + 20, 1, 9223372036854775807LL, id);
}

static void
h_requests(struct dh_req *req)
{
	struct dh_fval		 v[F__MAX];
	/* The filters twice, the caller, six keyset values, the limit. */
	struct dh_val		 a[2 * NFILTERS + 8];
	struct dh_stmt		*list, *count;
	struct dh_query		 qs;
	struct dh_result	*r = NULL, *cnt = NULL;
	char			 like[512], cdate[11], ctime[9];
	char			 next[64] = "";
	long long		 limit, offset, cid = 0, total;
	size_t			 na = 0, nf;
	unsigned		 mask = 0;
	enum page_mode		 mode = PAGE_OFFSET;
	int			 rc, sort, desc;
	json_t			*o;

	if (dh_req_query(req, &qs, requests_fields, F__MAX, v) == -1)
		return;
	if (v[F_FROM].set && v[F_TO].set &&
	    strcmp(v[F_FROM].s, v[F_TO].s) > 0) {
		dh_reply_error(req, 400, "date_from: after date_to");
		goto out;
	}
	if (v[F_Q].set && like_pattern(v[F_Q].s, like, sizeof(like)) == -1) {
		dh_reply_error(req, 400, "q: too long");
		goto out;
	}
	/* The filters given, in table order: the total's, then the page's. */
	for (int i = 0; i < NFILTERS; i++) {
		if (!v[i].set)
			continue;
		mask |= 1u << i;
		a[na++] = DH_VSTR(i == F_Q ? like : v[i].s);
	}
	nf = na;
	a[na++] = DH_VSTR(req->ident.user);
	for (size_t i = 0; i < nf; i++)
		a[na++] = a[i];
	limit = v[F_LIMIT].set ? v[F_LIMIT].i : 100;
	offset = v[F_OFFSET].set ? v[F_OFFSET].i : 0;
	sort = v[F_SORT].set ? (int)v[F_SORT].i : SORT_DATE;
	desc = v[F_ORDER].set ? v[F_ORDER].i == 1 : 1;
	if (v[F_CURSOR].set) {
		if (sort != SORT_DATE && sort != SORT_ID) {
			dh_reply_error(req, 400, "cursor: only with sort=date or "
			    "sort=id");
			goto out;
		}
		if (v[F_OFFSET].set) {
			dh_reply_error(req, 400, "cursor: give a cursor or an "
			    "offset, not both");
			goto out;
		}
		if (parse_cursor(v[F_CURSOR].s, sort, cdate, ctime,
		    &cid) == -1) {
			dh_reply_error(req, 400, "cursor: not a cursor from "
			    "nextCursor");
			goto out;
		}
		if (sort == SORT_DATE) {
			mode = PAGE_AFTER_DATE;
			a[na++] = DH_VSTR(cdate);
			a[na++] = DH_VSTR(cdate);
			a[na++] = DH_VSTR(ctime);
			a[na++] = DH_VSTR(cdate);
			a[na++] = DH_VSTR(ctime);
			a[na++] = DH_VINT(cid);
		} else {
			mode = PAGE_AFTER_ID;
			a[na++] = DH_VINT(cid);
		}
		a[na++] = DH_VINT(limit);
	} else {
		a[na++] = DH_VINT(limit);
		a[na++] = DH_VINT(offset);
	}
	list = list_stmt(mask, sort, desc, mode);
	count = count_stmt(mask);
	if (list == NULL || count == NULL) {
		dh_reply_error(req, 500, "out of memory");
		goto out;
	}
	rc = dh_db_stmt(&req->app->db, list, a, na, &r, NULL);
	if (rc == DH_DB_OK && (r == NULL || r->ncols != L__MAX)) {
		dh_reply_error(req, 500, "unexpected list result");
		goto out;
	}
	if (rc == DH_DB_OK && r->nrows > 0 &&
	    dh_ident_confirm(req, dh_res_get(r, 0, L_CALLER)) == -1)
		goto out;
	/* A short page by offset says the total itself; a page with rows
	 * carries it; an empty one past the end asks. */
	if (rc == DH_DB_OK && mode == PAGE_OFFSET &&
	    (long long)r->nrows < limit && (r->nrows > 0 || offset == 0))
		total = offset + (long long)r->nrows;
	else if (rc == DH_DB_OK && r->nrows > 0)
		total = dh_res_int(r, 0, L_TOTAL, 0);
	else if (rc == DH_DB_OK) {
		rc = dh_db_stmt(&req->app->db, count, a, nf, &cnt, NULL);
		total = dh_res_int(cnt, 0, 0, 0);
	}
	if (rc != DH_DB_OK) {
		dh_reply_db(req, rc);
		goto out;
	}
	/* Deep pages are cheap through the cursor of the last row. */
	if (r != NULL && (long long)r->nrows == limit && r->nrows > 0) {
		size_t	 last = r->nrows - 1;

		if (sort == SORT_DATE)
			snprintf(next, sizeof(next), "%s.%s.%s",
			    dh_res_get(r, last, L_DATE),
			    dh_res_get(r, last, L_TIME), dh_res_get(r, last, L_ID));
		else if (sort == SORT_ID)
			snprintf(next, sizeof(next), "%s",
			    dh_res_get(r, last, L_ID));
	}
	/* Counting a million rows costs more than the page: total stops at
	 * TOTAL_CAP and says so. */
	o = json_pack("{s:I,s:b,s:I,s:I,s:s,s:s,s:o}", "total",
	    (json_int_t)(total > TOTAL_CAP ? TOTAL_CAP : total),
	    "totalCapped", total > TOTAL_CAP,
	    "limit", (json_int_t)limit, "offset", (json_int_t)offset,
	    "sort", sort_names[sort], "order", desc ? "desc" : "asc",
	    "nextCursor", next[0] != '\0' ? json_string(next) : json_null());
	reply_rows(req, "requests", r, ROW_OBJECTS, o);
out:
	dh_result_free(r);
	dh_result_free(cnt);
	dh_query_release(&qs);
}

static void
h_patch_request(struct dh_req *req)
{
	json_t			*body, *v;
	const char		*key, *cat = NULL;
	struct dh_result	*r = NULL;
	unsigned long long	 n = 0;
	double			 hours = 0;
	int			 set_hours = 0, hours_null = 0, rc;

	if ((body = dh_req_json(req, 0)) == NULL)
		return;
	json_object_foreach(body, key, v) {
		if (strcmp(key, "hours") == 0) {
			set_hours = 1;
			if (json_is_null(v))
				hours_null = 1;
			else if (!json_is_number(v) ||
			    (hours = json_number_value(v)) < 0 ||
			    hours > 999.99 || !isfinite(hours) ||
			    fabs(hours * 100 - round(hours * 100)) > 1e-6) {
				dh_reply_error(req, 400, "hours: expected a "
				    "number from 0 to 999.99 with at most two "
				    "decimals, or null");
				goto out;
			}
		} else if (strcmp(key, "category") == 0) {
			size_t	 k;

			cat = json_string_value(v);
			for (k = 0; cat != NULL && categories[k] != NULL; k++)
				if (strcmp(categories[k], cat) == 0)
					break;
			if (cat == NULL || categories[k] == NULL) {
				dh_reply_error(req, 400, "category: expected "
				    "one of Support, Hosting, Migration, "
				    "Website, Email, Forms, Scripts, Advisory, "
				    "General");
				goto out;
			}
		} else {
			dh_reply_error(req, 400, "%.64s: unknown field; only "
			    "hours and category can be edited", key);
			goto out;
		}
	}
	if (!set_hours && cat == NULL) {
		dh_reply_error(req, 400, "body: give hours or category");
		goto out;
	}
	{
		struct dh_val	 a[] = { DH_VINT(set_hours),
		    hours_null ? DH_VNULL : DH_VDBL(round(hours * 100) / 100),
		    DH_VINT(cat != NULL), DH_VSTR(cat), DH_VINT(cat != NULL),
		    DH_VINT(req->path_id) };

		rc = dh_db_exec(&req->app->db, Q_PATCH, a, 6, NULL, &n);
	}
	if (rc != DH_DB_OK) {
		dh_reply_db(req, rc);
		goto out;
	}
	if (n == 0) {
		dh_reply_error(req, 404, "request %lld not found",
		    req->path_id);
		goto out;
	}
	{
		struct dh_val	 a[] = { DH_VINT(req->path_id) };

		rc = dh_db_exec(&req->app->db, Q_GET_REQUEST, a, 1, &r, NULL);
	}
	if (rc != DH_DB_OK)
		dh_reply_db(req, rc);
	else if (r == NULL || r->nrows == 0)
		dh_reply_error(req, 404, "request %lld not found",
		    req->path_id);
	else {
		const char	*obj = dh_res_get(r, 0, 0);

		dh_info("request %lld edited by %s", req->path_id,
		    req->ident.user);
		dh_reply_text(req, 200, obj, obj != NULL ? strlen(obj) : 0);
	}
out:
	dh_result_free(r);
	json_decref(body);
}

static const struct dh_route routes[] = {
	{ "GET", "/api/fluent/tickets", DH_AUTH, h_fluent_tickets },
	{ "GET", "/api/requests", DH_AUTH_READ, h_requests },
	{ "PATCH", "/api/requests/{id}", DH_AUTH, h_patch_request },
};

static void
release(struct dh_app *app)
{
	release_stmts(lists, DH_ARRAY_LEN(lists));
	release_stmts(counts, DH_ARRAY_LEN(counts));
}

int
main(int argc, char **argv)
{
	static struct dh_app	 app = {
		.name = "tickets",
		.routes = routes,
		.nroutes = DH_ARRAY_LEN(routes),
		.sql = sql,
		.nsql = Q__MAX,
		.batch = 1,
		.release = release,
		.workers = 0,	/* one per CPU: it writes its pages itself */
	};

	return dh_fcgi_main(&app, argc, argv);
}
