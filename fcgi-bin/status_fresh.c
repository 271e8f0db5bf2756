/*
 * The closure sync status, part of the status program:
 *   GET /api/tickets/sync-status	last sync, next allowed, syncs today
 */
#include "dh_fcgi.h"
#include "fresh_routes.h"
#include "sync_fresh.h"

void
h_fresh_sync_status(struct dh_req *req)
{
	json_t	*o = NULL;
	int	 rc;

	rc = dh_closure_status(&req->app->db, &req->app->cfg, &o);
	if (rc != DH_DB_OK) {
		dh_reply_db(req, rc);
		return;
	}
	dh_reply_json(req, 200, o);
}
