/*
 * closures: the ticket-closure leaderboard.
 *   GET /api/tickets/closures/today		today, per agent
 *   GET /api/tickets/closures/period	?period=today|yesterday|week|month
 *   GET /api/tickets/top-performers	?date=YYYY-MM-DD, the top 10
 *   GET /api/tickets/stats		totals over every date
 * Freshservice closures come from ticket_closure (written by the sync);
 * FluentSupport closures are counted from fluent_tickets at query time,
 * by the business-timezone date of resolved_at, computed here in C from
 * the UTC bounds of the period so that MariaDB needs no zone tables.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "closures.h"
#include "dh_fcgi.h"
#include "dh_jw.h"
#include "dh_log.h"
#include "dh_query.h"
#include "dh_tz.h"
#include "dh_util.h"
#include "sync_fresh.h"

#define TOP_N		10
#define MAX_ROWS	20000	/* lines of a leaderboard, at most */

/*
 * A leaderboard line, its short form (a top closer or performer), and
 * their order: most closed first, then by name without regard to case
 * or accents (the column's collation), source and agent.  The statement
 * writes them through JSON_COMPACT, without the spaces of JSON_OBJECT.
 * MAX_ROWS lines of the longest names fit in the group_concat_max_len
 * every connection sets (lib/dh_db.c).
 */
#define LINE "JSON_OBJECT('name', name, 'freshworks_user_id', " \
	"IF(src = 'freshservice', agent, NULL), 'agent_id', agent, " \
	"'user_id', IF(user > 0, user, NULL), 'source', src, " \
	"'tickets_closed', closed)"
#define SHORT "JSON_OBJECT('name', name, 'tickets_closed', closed, " \
	"'source', src)"
#define BY "closed DESC, name, src, agent"

/* Columns of Q_BOARD. */
enum {
	C_LINES,
	C_TOP,
	C_TOP_CLOSER,
	C_TOTAL,
	C_CALLER,
};

enum {
	Q_BOARD,
	Q_FRESH_TOTALS,
	Q_FRESH_DAYS,
	Q_FLUENT_ALL,
	Q__MAX
};

static const char *const sql[Q__MAX] = {
	/*
	 * The leaderboard of a range, written by MariaDB in one round trip
	 * (one statement a source answered 11-30% fewer leaderboards a
	 * second): every line, the top TOP_N, the top closer, the total,
	 * and the caller's user check (DH_IDENT_SQL), so that a Bearer
	 * token costs no round trip of its own; columns as enum C_ above.
	 * The query cache keeps the text, so a leaderboard asked again costs
	 * no sorting or formatting (done here in C, they cost 30% more of
	 * the program's CPU a request).  Every query gives one row, so an
	 * empty leaderboard checks the user too.
	 * Freshservice's local days [?, ?]; FluentSupport's UTC instants
	 * [?, ?) of the same local days.
	 */
	[Q_BOARD] = "SELECT SQL_CACHE "
	    "JSON_COMPACT(COALESCE(JSON_ARRAYAGG(" LINE " ORDER BY " BY "), "
	    "'[]')), JSON_COMPACT(COALESCE(JSON_ARRAYAGG(" SHORT " ORDER BY "
	    BY " LIMIT " DH_STR(TOP_N) "), '[]')), "
	    "JSON_COMPACT(JSON_EXTRACT(JSON_ARRAYAGG(" SHORT " ORDER BY " BY
	    " LIMIT 1), '$[0]')), COALESCE(SUM(closed), 0), " DH_IDENT_SQL " "
	    "FROM (SELECT src, agent, user, closed, COALESCE(NULLIF(name, ''), "
	    "CONCAT(IF(src = 'fluent', 'FluentSupport', 'Freshservice'), "
	    "' agent ', agent)) AS name FROM ("
	    "SELECT 'freshservice' AS src, c.freshworks_user_id AS agent, "
	    "COALESCE(m.freshworks_username, SUBSTRING_INDEX(GROUP_CONCAT("
	    "c.agent_name ORDER BY c.date DESC SEPARATOR '\\n'), '\\n', 1)) "
	    "AS name, COALESCE(m.user_id, MAX(c.user_id)) AS user, "
	    "SUM(c.tickets_closed) AS closed "
	    "FROM ticket_closure c LEFT JOIN freshworks_user_mapping m "
	    "ON m.freshworks_user_id = c.freshworks_user_id "
	    "WHERE c.source = 'freshservice' AND c.date >= ? AND c.date <= ? "
	    "GROUP BY c.freshworks_user_id, m.freshworks_username, m.user_id "
	    "HAVING SUM(c.tickets_closed) > 0 "
	    "UNION ALL SELECT 'fluent', f.closed_by, "
	    "(SELECT a.agent_name FROM fluent_tickets a "
	    "WHERE a.agent_id = f.closed_by AND a.agent_name IS NOT NULL "
	    "AND a.agent_name <> '' ORDER BY a.id DESC LIMIT 1), 0, "
	    "COUNT(*) FROM fluent_tickets f "
	    "WHERE f.ticket_status = 'closed' AND f.closed_by IS NOT NULL "
	    "AND f.resolved_at >= ? AND f.resolved_at < ? "
	    "GROUP BY f.closed_by) u LIMIT " DH_STR(MAX_ROWS) ") t",
	[Q_FRESH_TOTALS] = "SELECT SQL_CACHE "
	    "COALESCE(SUM(tickets_closed), 0), COUNT(*), "
	    "COUNT(DISTINCT freshworks_user_id), "
	    "COALESCE(SUM(IF(date = ?, tickets_closed, 0)), 0) "
	    "FROM ticket_closure WHERE source = 'freshservice'",
	[Q_FRESH_DAYS] = "SELECT SQL_CACHE DISTINCT "
	    "DATE_FORMAT(date, '%Y-%m-%d') FROM ticket_closure "
	    "WHERE source = 'freshservice' "
	    "AND tickets_closed > 0",
	[Q_FLUENT_ALL] = "SELECT closed_by, "
	    "DATE_FORMAT(resolved_at, '%Y-%m-%d %H:%i:%s') "
	    "FROM fluent_tickets WHERE ticket_status = 'closed' "
	    "AND closed_by IS NOT NULL AND resolved_at IS NOT NULL",
};

static const char *const periods[] = { "today", "yesterday", "week",
	"month", NULL };

static long
today_days(const struct dh_config *cfg)
{
	struct dh_date	 d;
	char		 s[11];

	dh_closure_today(cfg, s);
	dh_date_parse(s, &d);
	return dh_date_to_days(&d);
}

/* The first and last local day of a period, as days since 1970. */
static void
period_range(const struct dh_config *cfg, const char *period, long *from,
    long *to)
{
	struct dh_date	 d;
	long		 t = today_days(cfg);

	*from = *to = t;
	if (strcmp(period, "yesterday") == 0)
		*from = *to = t - 1;
	else if (strcmp(period, "week") == 0)
		*from = t - ((t + 3) % 7);	/* 1970-01-01: Thursday */
	else if (strcmp(period, "month") == 0) {
		dh_days_to_date(t, &d);
		*from = t - (d.day - 1);
	}
}

/* UTC "YYYY-MM-DD HH:MM:SS" of the local midnight that begins day. */
static void
day_start_utc(const char *zone, long day, char *out)
{
	struct dh_wall	 w;
	struct dh_date	 d;

	dh_days_to_date(day, &d);
	memset(&w, 0, sizeof(w));
	w.year = d.year;
	w.month = d.month;
	w.day = d.day;
	dh_tz_format_utc(dh_tz_from_local(zone, &w), out);
}

/*
 * Read the leaderboard of local days [from, to] into *r.  DH_DB_OK, 1
 * after answering 401 to a caller whose user the statement refused, or
 * an error code.
 */
static int
board_read(struct dh_req *req, long from, long to, struct dh_result **r)
{
	struct dh_app	*app = req->app;
	struct dh_date	 d;
	const char	*zone = dh_closure_zone(&app->cfg);
	char		 df[11], dt[11], uf[20], ut[20];
	int		 rc;

	dh_days_to_date(from, &d);
	dh_date_format(&d, df);
	dh_days_to_date(to, &d);
	dh_date_format(&d, dt);
	day_start_utc(zone, from, uf);
	day_start_utc(zone, to + 1, ut);
	{
		struct dh_val	 a[] = { DH_VSTR(req->ident.user),
		    DH_VSTR(df), DH_VSTR(dt), DH_VSTR(uf), DH_VSTR(ut) };

		rc = dh_db_exec(&app->db, Q_BOARD, a, DH_ARRAY_LEN(a), r,
		    NULL);
	}
	if (rc != DH_DB_OK)
		return rc;
	if (*r == NULL || (*r)->nrows != 1 || (*r)->ncols != C_CALLER + 1 ||
	    dh_res_get(*r, 0, C_LINES) == NULL ||
	    dh_res_get(*r, 0, C_TOP) == NULL)
		return DH_DB_ERR;
	return dh_ident_confirm(req, dh_res_get(*r, 0, C_CALLER)) == -1 ?
	    1 : DH_DB_OK;
}

/* MAX_ROWS lines, each name escaped at its longest, and the rest. */
#define REPLY_MAX	(MAX_ROWS * (6u * DH_CLOSE_NAME_MAX + 256) + 4096)

/* The cell c of the leaderboard r as JSON text: null for NULL. */
static void
raw_cell(struct dh_jw *w, const struct dh_result *r, unsigned c)
{
	const char	*s = dh_res_get(r, 0, c);

	if (s == NULL)
		dh_jw_null(w);
	else
		dh_jw_raw(w, s, strlen(s));
}

static void
reply_jw(struct dh_req *req, struct dh_jw *w)
{
	dh_reply_text(req, 200, dh_jw_failed(w) ? NULL : w->b.data,
	    w->b.len);
	dh_jw_release(w);
}

static void
reply_period(struct dh_req *req, const char *period)
{
	struct dh_result	*r = NULL;
	struct dh_date		 d;
	struct dh_jw		 w;
	char			 df[11], dt[11];
	long			 from, to;
	int			 rc;

	period_range(&req->app->cfg, period, &from, &to);
	if ((rc = board_read(req, from, to, &r)) != DH_DB_OK) {
		if (rc != 1)
			dh_reply_db(req, rc);
		dh_result_free(r);
		return;
	}
	dh_days_to_date(from, &d);
	dh_date_format(&d, df);
	dh_days_to_date(to, &d);
	dh_date_format(&d, dt);
	dh_jw_init(&w, REPLY_MAX);
	dh_jw_obj(&w);
	dh_jw_kstr(&w, "date", dt);
	dh_jw_kstr(&w, "period", period);
	dh_jw_kstr(&w, "start", df);
	dh_jw_kstr(&w, "end", dt);
	dh_jw_kstr(&w, "timezone", dh_closure_zone(&req->app->cfg));
	dh_jw_key(&w, "closures");
	raw_cell(&w, r, C_LINES);
	dh_jw_key(&w, "total");
	raw_cell(&w, r, C_TOTAL);
	dh_jw_key(&w, "topCloser");
	raw_cell(&w, r, C_TOP_CLOSER);
	dh_jw_end(&w, '}');
	reply_jw(req, &w);
	dh_result_free(r);
}

static void
h_today(struct dh_req *req)
{
	reply_period(req, "today");
}

static void
h_period(struct dh_req *req)
{
	static const struct dh_field fields[] = {
		{ "period", DH_F_ENUM, 0, 0, periods },
	};
	struct dh_fval	 v[DH_ARRAY_LEN(fields)];
	struct dh_query	 qs;
	char		 p[16] = "today";

	if (dh_req_query(req, &qs, fields, DH_ARRAY_LEN(fields), v) == -1)
		return;
	if (v[0].set)
		dh_strlcpy(p, v[0].s, sizeof(p));
	dh_query_release(&qs);
	reply_period(req, p);
}

static void
h_top(struct dh_req *req)
{
	static const struct dh_field fields[] = {
		{ "date", DH_F_DATE, 0, 0, NULL },
	};
	struct dh_fval		 v[DH_ARRAY_LEN(fields)];
	struct dh_query		 qs;
	struct dh_result	*r = NULL;
	struct dh_date		 d;
	struct dh_jw		 w;
	char			 ds[11];
	long			 day;
	int			 rc;

	if (dh_req_query(req, &qs, fields, DH_ARRAY_LEN(fields), v) == -1)
		return;
	day = v[0].set ? dh_date_to_days(&v[0].d) : today_days(&req->app->cfg);
	dh_query_release(&qs);
	if ((rc = board_read(req, day, day, &r)) != DH_DB_OK) {
		if (rc != 1)
			dh_reply_db(req, rc);
		dh_result_free(r);
		return;
	}
	dh_days_to_date(day, &d);
	dh_date_format(&d, ds);
	dh_jw_init(&w, REPLY_MAX);
	dh_jw_obj(&w);
	dh_jw_kstr(&w, "date", ds);
	dh_jw_key(&w, "performers");
	raw_cell(&w, r, C_TOP);
	dh_jw_end(&w, '}');
	reply_jw(req, &w);
	dh_result_free(r);
}

static int
cmp_ll(const void *a, const void *b)
{
	long long	 x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* Sort v[0..n) and return the number of distinct values. */
static size_t
distinct(long long *v, size_t n)
{
	size_t	 k = 0;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_ll);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || v[i] != v[i - 1])
			k++;
	return k;
}

static void
h_stats(struct dh_req *req)
{
	struct dh_result	*tot = NULL, *days = NULL, *fl = NULL;
	struct dh_date		 d;
	const char		*zone = dh_closure_zone(&req->app->cfg);
	long long		*alldays = NULL, *pairs = NULL, *agents = NULL;
	long long		 fl_total = 0, fl_today = 0, today;
	size_t			 nd = 0, nfl, nfd;
	char			 ts[11];
	int			 rc;

	today = today_days(&req->app->cfg);
	dh_days_to_date(today, &d);
	dh_date_format(&d, ts);
	{
		struct dh_val	 a[] = { DH_VSTR(ts) };

		if ((rc = dh_db_exec(&req->app->db, Q_FRESH_TOTALS, a, 1, &tot,
		    NULL)) != DH_DB_OK)
			goto fail;
	}
	if ((rc = dh_db_exec(&req->app->db, Q_FRESH_DAYS, NULL, 0, &days,
	    NULL)) != DH_DB_OK ||
	    (rc = dh_db_exec(&req->app->db, Q_FLUENT_ALL, NULL, 0, &fl,
	    NULL)) != DH_DB_OK)
		goto fail;
	nfd = days != NULL ? days->nrows : 0;
	nfl = fl != NULL ? fl->nrows : 0;
	alldays = calloc(nfd + nfl + 1, sizeof(*alldays));
	pairs = calloc(nfl + 1, sizeof(*pairs));
	agents = calloc(nfl + 1, sizeof(*agents));
	if (alldays == NULL || pairs == NULL || agents == NULL) {
		rc = DH_DB_ERR;
		goto fail;
	}
	for (size_t i = 0; i < nfd; i++)
		if (dh_date_parse(dh_res_get(days, i, 0), &d) == 0)
			alldays[nd++] = dh_date_to_days(&d);
	for (size_t i = 0; i < nfl; i++) {
		struct dh_wall	 w;
		int64_t		 utc;
		long long	 day;

		if (dh_tz_parse(dh_res_get(fl, i, 1), "UTC", &utc) == -1)
			continue;
		dh_tz_to_local(zone, utc, &w);
		d.year = w.year;
		d.month = w.month;
		d.day = w.day;
		day = dh_date_to_days(&d);
		alldays[nd++] = day;
		agents[fl_total] = dh_res_int(fl, i, 0, 0);
		/* One closure record per agent per local day. */
		pairs[fl_total] = agents[fl_total] * 4000000LL + day;
		fl_total++;
		if (day == today)
			fl_today++;
	}
	{
		long long	 fs_total = dh_res_int(tot, 0, 0, 0);
		size_t		 nagents;
		json_t		*o;

		nagents = distinct(agents, (size_t)fl_total);

		o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:s,s:[{s:s,s:I},{s:s,"
		    "s:I}]}",
		    "totalClosures", (json_int_t)(fs_total + fl_total),
		    "closureRecords", (json_int_t)(dh_res_int(tot, 0, 1, 0) +
		    (long long)distinct(pairs, (size_t)fl_total)),
		    "daysWithData", (json_int_t)distinct(alldays, nd),
		    "agents", (json_int_t)(dh_res_int(tot, 0, 2, 0) +
		    (long long)nagents),
		    "today", (json_int_t)(dh_res_int(tot, 0, 3, 0) + fl_today),
		    "timezone", zone,
		    "bySource",
		    "source", "freshservice", "tickets_closed",
		    (json_int_t)fs_total,
		    "source", "fluent", "tickets_closed", (json_int_t)fl_total);
		dh_reply_json(req, 200, o);
	}
	goto out;
fail:
	dh_reply_db(req, rc);
out:
	free(alldays);
	free(pairs);
	free(agents);
	dh_result_free(tot);
	dh_result_free(days);
	dh_result_free(fl);
}

static const struct dh_route routes[] = {
	{ "GET", "/api/tickets/closures/today", DH_AUTH_READ, h_today },
	{ "GET", "/api/tickets/closures/period", DH_AUTH_READ, h_period },
	{ "GET", "/api/tickets/top-performers", DH_AUTH_READ, h_top },
	{ "GET", "/api/tickets/stats", DH_AUTH, h_stats },
};

int
main(int argc, char **argv)
{
	static struct dh_app	 app = {
		.name = "closures",
		.routes = routes,
		.nroutes = DH_ARRAY_LEN(routes),
		.sql = sql,
		.nsql = Q__MAX,
		.batch = 1,
		.workers = 1,
	};

	return dh_fcgi_main(&app, argc, argv);
}
