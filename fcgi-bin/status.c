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

enum {
	Q_LAST_RUN,
	Q_BREAKDOWN,
	Q_PING,
	Q__MAX
};

static const char *const sql[Q__MAX] = {
	[Q_LAST_RUN] = "SELECT id, " ISO("last_sync_at") " AS last_sync_at, "
	    "last_sync_status, tickets_fetched, tickets_added, "
	    "tickets_updated, tickets_skipped, sync_duration_ms, "
	    "DATE_FORMAT(date_filter, '%Y-%m-%d') AS date_filter, "
	    "error_message, " ISO("started_at") " AS started_at, "
	    "IF(finished_at IS NULL, NULL, " ISO("finished_at") ") "
	    "AS finished_at, pages_fetched, tickets_total "
	    "FROM fluent_sync_status ORDER BY id DESC LIMIT 1",
	/* As of the last successful sync (sql/004_fluent_stats.sql). */
	[Q_BREAKDOWN] = "SELECT ticket_status, count "
	    "FROM fluent_ticket_stats ORDER BY count DESC, ticket_status",
	[Q_PING] = "SELECT 1",
};

static void
h_fluent_status(struct dh_req *req)
{
	struct dh_db		*db = &req->app->db;
	struct dh_result	*run = NULL, *br = NULL;
	json_t			*o, *st = json_null();
	long long		 total = 0;
	int			 rc;

	if ((rc = dh_db_exec(db, Q_LAST_RUN, NULL, 0, &run, NULL)) != DH_DB_OK)
		goto fail;
	/*
	 * A run shown in progress may belong to a process that died: check
	 * the lease, mark it failed if so, and read it again.  (A new run
	 * marks every older orphan failed, so only the last can be one.)
	 */
	if (run != NULL && run->nrows == 1 &&
	    strcmp(dh_res_get(run, 0, 2), "in_progress") == 0) {
		dh_result_free(run);
		run = NULL;
		if ((rc = dh_fluent_reap(db, &req->app->cfg)) != DH_DB_OK ||
		    (rc = dh_db_exec(db, Q_LAST_RUN, NULL, 0, &run,
		    NULL)) != DH_DB_OK)
			goto fail;
	}
	if ((rc = dh_db_exec(db, Q_BREAKDOWN, NULL, 0, &br, NULL)) != DH_DB_OK)
		goto fail;
	for (size_t i = 0; i < br->nrows; i++)
		total += dh_res_int(br, i, 1, 0);
	if (run != NULL && run->nrows == 1) {
		json_decref(st);
		st = dh_res_row_json(run, 0);
		if (strcmp(dh_res_get(run, 0, 2), "in_progress") == 0)
			json_object_set_new(st, "progress", json_pack(
			    "{s:I,s:I,s:o}",
			    "pagesFetched", (json_int_t)dh_res_int(run, 0, 12, 0),
			    "ticketsFetched", (json_int_t)dh_res_int(run, 0, 3, 0),
			    "ticketsTotal", dh_res_get(run, 0, 13) != NULL ?
			    json_integer(dh_res_int(run, 0, 13, 0)) :
			    json_null()));
	}
	o = json_pack("{s:o,s:I,s:o}", "syncStatus", st, "totalTickets",
	    (json_int_t)total, "statusBreakdown", dh_res_json(br));
	dh_reply_json(req, 200, o);
	goto out;
fail:
	json_decref(st);
	dh_reply_db(req, rc);
out:
	dh_result_free(run);
	dh_result_free(br);
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
