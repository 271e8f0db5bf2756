/*
 * status: read-only views of sync runs.
 *   GET /api/fluent/status	the last FluentSupport run, totals, progress
 *   GET /api/health		liveness of the program and the database
 */
#include <string.h>

#include "dh_fcgi.h"
#include "dh_log.h"
#include "dh_util.h"
#include "fresh_routes.h"
#include "sync_fluent.h"

#define ISO(col) "CONCAT(DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%s.'), " \
	"LPAD(FLOOR(MICROSECOND(" col ") / 1000), 3, '0'), 'Z')"

#define BREAKDOWN "SELECT COALESCE(JSON_ARRAYAGG(JSON_OBJECT('ticket_status', " \
	"ticket_status, 'count', count) ORDER BY count DESC, ticket_status), " \
	"'[]') FROM fluent_ticket_stats"
#define TOTAL	"SELECT COALESCE(SUM(count), 0) FROM fluent_ticket_stats"

enum {
	Q_STATUS,
	Q_COUNTS,
	Q_PING,
	Q__MAX
};

static const char *const sql[Q__MAX] = {
	/*
	 * One round trip: the last run and, as its two last columns, the
	 * counts by status as of the last sync that changed tickets
	 * (sql/004_fluent_stats.sql).  Scalar subqueries: a join of derived
	 * tables cost four times as much here.
	 */
	[Q_STATUS] = "SELECT SQL_CACHE id, "
	    ISO("last_sync_at") " AS last_sync_at, last_sync_status, "
	    "tickets_fetched, tickets_added, "
	    "tickets_updated, tickets_skipped, sync_duration_ms, "
	    "DATE_FORMAT(date_filter, '%Y-%m-%d') AS date_filter, "
	    "error_message, " ISO("started_at") " AS started_at, "
	    "IF(finished_at IS NULL, NULL, " ISO("finished_at") ") "
	    "AS finished_at, pages_fetched, tickets_total, "
	    "(" BREAKDOWN ") AS breakdown, (" TOTAL ") AS total "
	    "FROM fluent_sync_status ORDER BY id DESC LIMIT 1",
	/* Before any sync there is no run row to carry the counts. */
	[Q_COUNTS] = "SELECT SQL_CACHE (" BREAKDOWN ") AS breakdown, "
	    "(" TOTAL ") AS total",
	[Q_PING] = "SELECT 1",
};

/* Columns of Q_STATUS. */
enum {
	C_ID = 0,
	C_STATUS = 2,
	C_FETCHED = 3,
	C_PAGES = 12,
	C_TICKETS_TOTAL = 13,
	C_BREAKDOWN = 14,	/* and the total after it */
};

static void
h_fluent_status(struct dh_req *req)
{
	struct dh_db		*db = &req->app->db;
	struct dh_result	*r = NULL;
	json_t			*o, *st = json_null(), *br;
	const char		*state;
	unsigned		 bcol = C_BREAKDOWN;
	int			 rc;

	if ((rc = dh_db_exec(db, Q_STATUS, NULL, 0, &r, NULL)) != DH_DB_OK)
		goto fail;
	/*
	 * A run shown in progress may belong to a process that died: check
	 * the lease, mark it failed if so, and read it again.  (A new run
	 * marks every older orphan failed, so only the last can be one.)
	 */
	state = r != NULL && r->nrows == 1 ? dh_res_get(r, 0, C_STATUS) : NULL;
	if (state != NULL && strcmp(state, "in_progress") == 0) {
		dh_result_free(r);
		r = NULL;
		if ((rc = dh_fluent_reap(db, &req->app->cfg)) != DH_DB_OK ||
		    (rc = dh_db_exec(db, Q_STATUS, NULL, 0, &r,
		    NULL)) != DH_DB_OK)
			goto fail;
	}
	if (r == NULL || r->nrows == 0) {
		dh_result_free(r);
		r = NULL;
		if ((rc = dh_db_exec(db, Q_COUNTS, NULL, 0, &r,
		    NULL)) != DH_DB_OK)
			goto fail;
		bcol = 0;
	}
	if (r == NULL || r->nrows != 1) {
		rc = DH_DB_ERR;
		goto fail;
	}
	br = json_loads(dh_res_get(r, 0, bcol), 0, NULL);
	if (!json_is_array(br)) {
		json_decref(br);
		rc = DH_DB_ERR;
		goto fail;
	}
	if (bcol == C_BREAKDOWN) {
		json_decref(st);
		st = dh_res_row_json(r, 0);
		json_object_del(st, "breakdown");
		json_object_del(st, "total");
		state = dh_res_get(r, 0, C_STATUS);
		if (state != NULL && strcmp(state, "in_progress") == 0)
			json_object_set_new(st, "progress", json_pack(
			    "{s:I,s:I,s:o}", "pagesFetched",
			    (json_int_t)dh_res_int(r, 0, C_PAGES, 0),
			    "ticketsFetched",
			    (json_int_t)dh_res_int(r, 0, C_FETCHED, 0),
			    "ticketsTotal",
			    dh_res_get(r, 0, C_TICKETS_TOTAL) != NULL ?
			    json_integer(dh_res_int(r, 0, C_TICKETS_TOTAL, 0)) :
			    json_null()));
	}
	o = json_pack("{s:o,s:I,s:o}", "syncStatus", st, "totalTickets",
	    (json_int_t)dh_res_int(r, 0, bcol + 1, 0), "statusBreakdown", br);
	dh_reply_json(req, 200, o);
	goto out;
fail:
	json_decref(st);
	dh_reply_db(req, rc);
out:
	dh_result_free(r);
}

static void
h_health(struct dh_req *req)
{
	struct dh_result	*r = NULL;
	int			 rc;

	rc = dh_db_exec(&req->app->db, Q_PING, NULL, 0, &r, NULL);
	dh_result_free(r);
	if (rc != DH_DB_OK) {
		dh_reply_header(req, "Retry-After", "5");
		dh_reply_json(req, 503, json_pack("{s:s,s:s,s:s}", "status",
		    "degraded", "database", "down", "error",
		    "database unavailable"));
		return;
	}
	dh_reply_json(req, 200, json_pack("{s:s,s:s}", "status", "ok",
	    "database", "up"));
}

static const struct dh_route routes[] = {
	{ "GET", "/api/fluent/status", DH_PUBLIC, h_fluent_status },
	{ "GET", "/api/health", DH_PUBLIC, h_health },
	{ "GET", "/api/tickets/sync-status", DH_AUTH, h_fresh_sync_status },
};

int
main(int argc, char **argv)
{
	static struct dh_app	 app = {
		.name = "status",
		.routes = routes,
		.nroutes = DH_ARRAY_LEN(routes),
		.sql = sql,
		.nsql = Q__MAX,
	};

	return dh_fcgi_main(&app, argc, argv);
}
