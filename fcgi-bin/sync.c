/*
 * sync: the route family that starts provider syncs.
 *   POST /api/fluent/sync	FluentSupport tickets into requests
 * A sync runs inside the request, as the systems Deskhub replaces did; the
 * lease in the database keeps it to one at a time across every host.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dh_fcgi.h"
#include "dh_log.h"
#include "dh_tz.h"
#include "dh_util.h"
#include "fresh_routes.h"
#include "sync_fluent.h"

/* The default date filter: the configured one, else 7 days ago. */
static void
default_filter(const struct dh_config *c, char *out)
{
	struct dh_wall	 w;
	struct dh_date	 d;

	if (c->fluent_date_filter[0] != '\0') {
		dh_strlcpy(out, c->fluent_date_filter, 11);
		return;
	}
	dh_tz_to_local(c->timezone, (int64_t)time(NULL), &w);
	d.year = w.year;
	d.month = w.month;
	d.day = w.day;
	dh_days_to_date(dh_date_to_days(&d) - 7, &d);
	dh_date_format(&d, out);
}

static void
h_fluent_sync(struct dh_req *req)
{
	struct dh_sync_result	 res;
	struct dh_date		 d;
	char			 filter[11], err[512];
	const char		*key;
	json_t			*body, *v, *o;
	enum dh_sync_rc		 rc;

	if ((body = dh_req_json(req, 1)) == NULL)
		return;
	json_object_foreach(body, key, v) {
		if (strcmp(key, "dateFilter") != 0) {
			dh_reply_error(req, 400, "%.64s: unknown field; the "
			    "body takes only dateFilter", key);
			json_decref(body);
			return;
		}
	}
	v = json_object_get(body, "dateFilter");
	if (v == NULL || json_is_null(v) ||
	    (json_is_string(v) && *json_string_value(v) == '\0'))
		default_filter(&req->app->cfg, filter);
	else if (!json_is_string(v) ||
	    dh_date_parse(json_string_value(v), &d) == -1) {
		dh_reply_error(req, 400, "dateFilter: expected a date as "
		    "YYYY-MM-DD");
		json_decref(body);
		return;
	} else
		dh_date_format(&d, filter);
	json_decref(body);

	rc = dh_fluent_sync(&req->app->db, &req->app->cfg, filter, &res, err,
	    sizeof(err));
	switch (rc) {
	case DH_SYNC_OK:
		o = json_pack("{s:b,s:I,s:I,s:I,s:I,s:I,s:s}",
		    "success", 1,
		    "ticketsFetched", (json_int_t)res.fetched,
		    "ticketsAdded", (json_int_t)res.added,
		    "ticketsUpdated", (json_int_t)res.updated,
		    "ticketsSkipped", (json_int_t)res.skipped,
		    "syncDuration", (json_int_t)res.duration_ms,
		    "dateFilter", res.date_filter);
		dh_reply_json(req, 200, o);
		return;
	case DH_SYNC_BUSY:
		o = json_pack("{s:b,s:I}", "success", 0, "runningSyncId",
		    (json_int_t)res.busy_run);
		dh_reply_error_obj(req, 409, o, "%s", err);
		return;
	case DH_SYNC_DB_DOWN:
		dh_reply_db(req, DH_DB_DOWN);
		return;
	default:
		break;
	}
	o = json_pack("{s:b,s:I,s:s,s:s}", "success", 0, "syncId",
	    (json_int_t)res.run_id, "dateFilter", res.date_filter, "reason",
	    rc == DH_SYNC_AUTH ? "provider_rejected_credentials" :
	    rc == DH_SYNC_PROVIDER ? "provider_failed" :
	    rc == DH_SYNC_CONFIG ? "not_configured" : "database_error");
	dh_reply_error_obj(req, rc == DH_SYNC_AUTH || rc == DH_SYNC_PROVIDER ?
	    502 : 500, o, "%s", err);
}

static const struct dh_route routes[] = {
	{ "POST", "/api/fluent/sync", DH_AUTH, h_fluent_sync },
	{ "POST", "/api/tickets/sync", DH_AUTH, h_fresh_sync },
	{ "POST", "/api/tickets/force-sync", DH_ADMIN, h_fresh_force_sync },
	{ "POST", "/api/tickets/refresh-mappings", DH_ADMIN,
	    h_fresh_refresh_mappings },
};

int
main(int argc, char **argv)
{
	static struct dh_app	 app = {
		.name = "sync",
		.routes = routes,
		.nroutes = DH_ARRAY_LEN(routes),
		.workers = 3,	/* a run holds its worker for minutes */
	};

	return dh_fcgi_main(&app, argc, argv);
}
