/*
 * The closure sync routes, part of the sync program:
 *   POST /api/tickets/sync		{"date"?} at most hourly per date
 *   POST /api/tickets/force-sync	{"date"?} admin roles, no limit
 *   POST /api/tickets/refresh-mappings	admin roles, reload the IDs file
 * The sync runs inside the request; the 'fresh' lease keeps it to one at a
 * time across every host.
 */
#include <stdio.h>
#include <string.h>

#include "dh_fcgi.h"
#include "dh_log.h"
#include "dh_util.h"
#include "fresh_routes.h"
#include "sync_fresh.h"

/*
 * Read the optional {"date"} body into date (today when absent).  Returns
 * 0, or -1 after answering 400.
 */
static int
read_date(struct dh_req *req, char *date)
{
	struct dh_date	 d;
	const char	*key;
	json_t		*body, *v;
	int		 rc = -1;

	if ((body = dh_req_json(req, 1)) == NULL)
		return -1;
	json_object_foreach(body, key, v) {
		if (strcmp(key, "date") != 0) {
			dh_reply_error(req, 400, "%.64s: unknown field; the "
			    "body takes only date", key);
			goto out;
		}
	}
	v = json_object_get(body, "date");
	if (v == NULL || json_is_null(v) ||
	    (json_is_string(v) && *json_string_value(v) == '\0'))
		dh_closure_today(&req->app->cfg, date);
	else if (!json_is_string(v) ||
	    dh_date_parse(json_string_value(v), &d) == -1) {
		dh_reply_error(req, 400, "date: expected a date as "
		    "YYYY-MM-DD");
		goto out;
	} else
		dh_date_format(&d, date);
	rc = 0;
out:
	json_decref(body);
	return rc;
}

static void
run_sync(struct dh_req *req, int force)
{
	struct dh_csync_result	 res;
	char			 date[11], err[768], secs[32];
	enum dh_csync_rc	 rc;
	json_t			*o;

	if (read_date(req, date) == -1)
		return;
	rc = dh_closure_sync(&req->app->db, &req->app->cfg, date, force,
	    &res, err, sizeof(err));
	switch (rc) {
	case DH_CSYNC_OK:
		o = json_pack("{s:b,s:s,s:I,s:I,s:I,s:I,s:I,s:b,s:s,s:I,s:I}",
		    "success", 1,
		    "date", res.date,
		    "ticketsProcessed", (json_int_t)res.processed,
		    "closures", (json_int_t)res.closures,
		    "agents", (json_int_t)res.agents,
		    "unassigned", (json_int_t)res.unassigned,
		    "pages", (json_int_t)res.pages,
		    "forced", res.forced,
		    "syncedAt", res.synced_at,
		    "syncId", (json_int_t)res.run_id,
		    "durationMs", (json_int_t)res.duration_ms);
		dh_reply_json(req, 200, o);
		return;
	case DH_CSYNC_LIMITED:
		snprintf(secs, sizeof(secs), "%lld", res.wait_s);
		dh_reply_header(req, "Retry-After", secs);
		o = json_pack("{s:b,s:b,s:s,s:I,s:s}", "success", 0,
		    "rateLimited", 1, "date", res.date,
		    "minutesUntilNextSync",
		    (json_int_t)((res.wait_s + 59) / 60),
		    "nextSyncAt", res.next_at);
		dh_reply_error_obj(req, 429, o, "%s", err);
		return;
	case DH_CSYNC_BUSY:
		o = json_pack("{s:b,s:I}", "success", 0, "runningSyncId",
		    (json_int_t)res.busy_run);
		dh_reply_error_obj(req, 409, o, "%s", err);
		return;
	case DH_CSYNC_BAD_DATE:
		dh_reply_error(req, 400, "%s", err);
		return;
	case DH_CSYNC_DB_DOWN:
		dh_reply_db(req, DH_DB_DOWN);
		return;
	default:
		break;
	}
	o = json_pack("{s:b,s:s,s:I,s:s}", "success", 0, "date", res.date,
	    "syncId", (json_int_t)res.run_id, "reason",
	    rc == DH_CSYNC_AUTH ? "provider_rejected_credentials" :
	    rc == DH_CSYNC_PROVIDER ? "provider_failed" :
	    rc == DH_CSYNC_CONFIG ? "not_configured" : "database_error");
	dh_reply_error_obj(req, rc == DH_CSYNC_AUTH ||
	    rc == DH_CSYNC_PROVIDER ? 502 : 500, o, "%s", err);
}

void
h_fresh_sync(struct dh_req *req)
{
	run_sync(req, 0);
}

void
h_fresh_force_sync(struct dh_req *req)
{
	run_sync(req, 1);
}

void
h_fresh_refresh_mappings(struct dh_req *req)
{
	struct dh_map_result	 res;
	char			 err[768];
	enum dh_csync_rc	 rc;
	json_t			*o;

	rc = dh_closure_refresh_mappings(&req->app->db, &req->app->cfg, &res,
	    err, sizeof(err));
	if (rc == DH_CSYNC_OK) {
		o = json_pack("{s:b,s:I,s:I,s:I,s:I,s:I,s:O}",
		    "success", 1,
		    "entries", (json_int_t)res.entries,
		    "mapped", (json_int_t)res.mapped,
		    "unmatched", (json_int_t)res.unmatched,
		    "removed", (json_int_t)res.removed,
		    "badLines", (json_int_t)res.bad_lines,
		    "errors", res.errors);
		dh_reply_json(req, 200, o);
	} else if (rc == DH_CSYNC_DB_DOWN)
		dh_reply_db(req, DH_DB_DOWN);
	else
		dh_reply_error_obj(req, 500, json_pack("{s:b}", "success", 0),
		    "%s", err);
	json_decref(res.errors);
}
