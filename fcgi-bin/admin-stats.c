/*
 * admin-stats: what the admin modal of the closure leaderboard shows.
 *   GET /api/tickets/admin-stats	sync status, database statistics and
 *					the last 10 closure sync runs
 * Admin roles only (admin, manager, developer).
 */
#include <string.h>

#include "dh_fcgi.h"
#include "dh_log.h"
#include "dh_util.h"
#include "sync_fresh.h"

#define ISO(col)	"DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"

enum {
	Q_DATABASE,
	Q_RECENT,
	Q__MAX
};

static const char *const sql[Q__MAX] = {
	[Q_DATABASE] = "SELECT SQL_CACHE "
	    "(SELECT COUNT(*) FROM ticket_closure), "
	    "(SELECT COUNT(*) FROM freshworks_user_mapping), "
	    "(SELECT COUNT(*) FROM freshworks_user_mapping "
	    "WHERE user_id IS NOT NULL), "
	    "(SELECT COUNT(DISTINCT date) FROM ticket_closure), "
	    "(SELECT COALESCE(SUM(sync_count), 0) FROM ticket_sync_metadata), "
	    "(SELECT COUNT(*) FROM ticket_sync_runs WHERE status = 'failed')",
	[Q_RECENT] = "SELECT SQL_CACHE "
	    "DATE_FORMAT(r.sync_date, '%Y-%m-%d'), "
	    ISO("COALESCE(r.finished_at, r.started_at)") ", "
	    "COALESCE(m.sync_count, 0), r.tickets_processed, r.id, r.status, "
	    "r.forced, r.closures, r.agents, r.error_message, "
	    ISO("r.started_at") " "
	    "FROM ticket_sync_runs r LEFT JOIN ticket_sync_metadata m "
	    "ON m.sync_date = r.sync_date ORDER BY r.id DESC LIMIT 10",
};

static void
h_admin_stats(struct dh_req *req)
{
	struct dh_result	*db = NULL, *rec = NULL;
	json_t			*status = NULL, *recent, *o;
	int			 rc;

	if ((rc = dh_closure_status(&req->app->db, &req->app->cfg,
	    &status)) != DH_DB_OK ||
	    (rc = dh_db_exec(&req->app->db, Q_DATABASE, NULL, 0, &db,
	    NULL)) != DH_DB_OK ||
	    (rc = dh_db_exec(&req->app->db, Q_RECENT, NULL, 0, &rec,
	    NULL)) != DH_DB_OK) {
		json_decref(status);
		dh_reply_db(req, rc);
		goto out;
	}
	recent = json_array();
	for (size_t i = 0; rec != NULL && i < rec->nrows; i++) {
		const char	*e = dh_res_get(rec, i, 9);

		json_array_append_new(recent, json_pack(
		    "{s:s,s:s,s:I,s:I,s:I,s:s,s:b,s:I,s:I,s:o,s:s}",
		    "sync_date", dh_res_get(rec, i, 0),
		    "last_sync_time", dh_res_get(rec, i, 1),
		    "sync_count", (json_int_t)dh_res_int(rec, i, 2, 0),
		    "tickets_processed", (json_int_t)dh_res_int(rec, i, 3, 0),
		    "id", (json_int_t)dh_res_int(rec, i, 4, 0),
		    "status", dh_res_get(rec, i, 5),
		    "forced", dh_res_int(rec, i, 6, 0) != 0,
		    "closures", (json_int_t)dh_res_int(rec, i, 7, 0),
		    "agents", (json_int_t)dh_res_int(rec, i, 8, 0),
		    "error", e != NULL ? json_string(e) : json_null(),
		    "started_at", dh_res_get(rec, i, 10)));
	}
	o = json_pack("{s:o,s:{s:I,s:I,s:I,s:I,s:I,s:I},s:o}",
	    "syncStatus", status,
	    "database",
	    "closureRecords", (json_int_t)dh_res_int(db, 0, 0, 0),
	    "mappedUsers", (json_int_t)dh_res_int(db, 0, 1, 0),
	    "linkedUsers", (json_int_t)dh_res_int(db, 0, 2, 0),
	    "daysWithData", (json_int_t)dh_res_int(db, 0, 3, 0),
	    "totalSyncs", (json_int_t)dh_res_int(db, 0, 4, 0),
	    "failedSyncs", (json_int_t)dh_res_int(db, 0, 5, 0),
	    "recentSyncs", recent);
	dh_reply_json(req, 200, o);
out:
	dh_result_free(db);
	dh_result_free(rec);
}

static const struct dh_route routes[] = {
	{ "GET", "/api/tickets/admin-stats", DH_ADMIN, h_admin_stats },
};

int
main(int argc, char **argv)
{
	static struct dh_app	 app = {
		.name = "admin-stats",
		.routes = routes,
		.nroutes = DH_ARRAY_LEN(routes),
		.sql = sql,
		.nsql = Q__MAX,
		.batch = 1,
		.workers = 1,
	};

	return dh_fcgi_main(&app, argc, argv);
}
