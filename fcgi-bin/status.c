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

/* The columns of a run, as the object syncStatus. */
#define RUN "JSON_OBJECT('id', id, " \
	"'last_sync_at', " ISO("last_sync_at") ", " \
	"'last_sync_status', last_sync_status, " \
	"'tickets_fetched', tickets_fetched, 'tickets_added', tickets_added, " \
	"'tickets_updated', tickets_updated, " \
	"'tickets_skipped', tickets_skipped, " \
	"'sync_duration_ms', sync_duration_ms, " \
	"'date_filter', DATE_FORMAT(date_filter, '%Y-%m-%d'), " \
	"'error_message', error_message, " \
	"'started_at', " ISO("started_at") ", " \
	"'finished_at', IF(finished_at IS NULL, NULL, " ISO("finished_at") "), " \
	"'pages_fetched', pages_fetched, 'tickets_total', tickets_total)"

/* A run in progress shows how far it got. */
#define RUN_PROGRESS "IF(last_sync_status = 'in_progress', JSON_INSERT(" \
	RUN ", '$.progress', JSON_OBJECT('pagesFetched', pages_fetched, " \
	"'ticketsFetched', tickets_fetched, 'ticketsTotal', tickets_total)), " \
	RUN ")"

/* The whole answer, with run as syncStatus, without spaces. */
#define ANSWER(run) "JSON_COMPACT(JSON_OBJECT('syncStatus', " run ", " \
	"'totalTickets', (" TOTAL "), " \
	"'statusBreakdown', JSON_EXTRACT((" BREAKDOWN "), '$')))"

/* Columns of Q_STATUS (Q_COUNTS has the first). */
enum {
	C_ANSWER,
	C_STATE,
};

enum {
	Q_STATUS,
	Q_COUNTS,
	Q_PING,
	Q__MAX
};

static const char *const sql[Q__MAX] = {
	/*
	 * One round trip, and the answer written by MariaDB: the last run
	 * and the counts by status as of the last sync that changed tickets
	 * (sql/004_fluent_stats.sql), then the run's state.  The query cache
	 * keeps the text, so a status asked again costs no formatting (the
	 * program built it with jansson: 100 -> 75 us of its CPU a request).
	 * Scalar subqueries: a join of derived tables cost four times as
	 * much here.
	 */
	[Q_STATUS] = "SELECT SQL_CACHE " ANSWER(RUN_PROGRESS) ", "
	    "last_sync_status FROM fluent_sync_status ORDER BY id DESC LIMIT 1",
	/* Before any sync there is no run. */
	[Q_COUNTS] = "SELECT SQL_CACHE " ANSWER("NULL"),
	[Q_PING] = "SELECT 1",
};

static void
h_fluent_status(struct dh_req *req)
{
	struct dh_db		*db = &req->app->db;
	struct dh_result	*r = NULL;
	const char		*state, *text;
	int			 rc;

	if ((rc = dh_db_exec(db, Q_STATUS, NULL, 0, &r, NULL)) != DH_DB_OK)
		goto fail;
	/*
	 * A run shown in progress may belong to a process that died: check
	 * the lease, mark it failed if so, and read it again.  (A new run
	 * marks every older orphan failed, so only the last can be one.)
	 */
	state = r != NULL && r->nrows == 1 ? dh_res_get(r, 0, C_STATE) :
	    NULL;
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
	}
	if (r == NULL || r->nrows != 1 ||
	    (text = dh_res_get(r, 0, C_ANSWER)) == NULL) {
		rc = DH_DB_ERR;
		goto fail;
	}
	dh_reply_text(req, 200, text, strlen(text));
	goto out;
fail:
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
		.batch = 1,
		.workers = 1,
	};

	return dh_fcgi_main(&app, argc, argv);
}
