/*
 * The closure sync engine.  The network is only used while no transaction
 * is open: the tickets of the date are counted in memory (bounded by
 * closures.h), then one transaction deletes the date's Freshservice rows,
 * inserts the new counts, updates ticket_sync_metadata, finishes the run
 * and frees the lease.  A run that dies leaves nothing but its run row,
 * which the next run marks failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "closures.h"
#include "dh_json.h"
#include "dh_log.h"
#include "dh_tz.h"
#include "dh_util.h"
#include "prov_fresh.h"
#include "sync_fresh.h"
#include "sync_lock.h"

#define LOCK_NAME	"fresh"
#define MAX_PAGES	500	/* the API's advice: no page above 500 */
#define MAX_AGENT_PAGES	50
#define ISO(col)	"DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"

enum {
	Q_REAP,
	Q_ORPHANS,
	Q_LAST,
	Q_NEW_RUN,
	Q_PROGRESS,
	Q_FAIL_RUN,
	Q_MAPPINGS,
	Q_DEL_DATE,
	Q_INS_CLOSURE,
	Q_META,
	Q_FINISH,
	Q_SYNCED_AT,
	Q_USERS,
	Q_MAP_IDS,
	Q_MAP_UPSERT,
	Q_MAP_DEL,
	Q_MAP_RELINK,
	Q_RUNNING,
	Q__MAX
};

static struct dh_stmt	 q[Q__MAX] = {
	[Q_REAP] = { "UPDATE ticket_sync_runs SET status = 'failed', "
	    "finished_at = NOW(3), error_message = 'the sync process stopped "
	    "before finishing (killed or crashed); nothing was saved' "
	    "WHERE status = 'in_progress' AND id <> COALESCE("
	    "(SELECT run_id FROM sync_locks WHERE name = 'fresh'), 0)",
	    NULL, 0 },
	[Q_ORPHANS] = { "SELECT COUNT(*) FROM ticket_sync_runs "
	    "WHERE status = 'in_progress' AND id <> COALESCE("
	    "(SELECT run_id FROM sync_locks WHERE name = 'fresh'), 0)",
	    NULL, 0 },
	[Q_LAST] = { "SELECT " ISO("last_sync_time") ", "
	    ISO("last_sync_time + INTERVAL 1 HOUR") ", "
	    "TIMESTAMPDIFF(SECOND, NOW(), last_sync_time + INTERVAL 1 HOUR), "
	    "sync_count, tickets_processed "
	    "FROM ticket_sync_metadata WHERE sync_date = ?", NULL, 0 },
	[Q_NEW_RUN] = { "INSERT INTO ticket_sync_runs (sync_date, started_at, "
	    "status, forced, host, pid) VALUES (?, NOW(3), 'in_progress', ?, "
	    "?, ?)", NULL, 0 },
	[Q_PROGRESS] = { "UPDATE ticket_sync_runs SET pages = ?, "
	    "tickets_processed = ? WHERE id = ?", NULL, 0 },
	[Q_FAIL_RUN] = { "UPDATE ticket_sync_runs SET status = 'failed', "
	    "finished_at = NOW(3), pages = ?, tickets_processed = ?, "
	    "error_message = ? WHERE id = ? AND status = 'in_progress'",
	    NULL, 0 },
	[Q_MAPPINGS] = { "SELECT freshworks_user_id, user_id, "
	    "freshworks_username FROM freshworks_user_mapping", NULL, 0 },
	[Q_DEL_DATE] = { "DELETE FROM ticket_closure WHERE date = ? "
	    "AND source = 'freshservice'", NULL, 0 },
	[Q_INS_CLOSURE] = { "INSERT INTO ticket_closure (user_id, "
	    "freshworks_user_id, agent_name, source, date, tickets_closed) "
	    "VALUES (?, ?, ?, 'freshservice', ?, ?)", NULL, 0 },
	[Q_META] = { "INSERT INTO ticket_sync_metadata (sync_date, "
	    "last_sync_time, sync_count, tickets_processed) "
	    "VALUES (?, NOW(), 1, ?) ON DUPLICATE KEY UPDATE "
	    "last_sync_time = NOW(), sync_count = sync_count + 1, "
	    "tickets_processed = VALUES(tickets_processed)", NULL, 0 },
	[Q_FINISH] = { "UPDATE ticket_sync_runs SET status = 'success', "
	    "finished_at = NOW(3), tickets_processed = ?, closures = ?, "
	    "agents = ?, pages = ? WHERE id = ?", NULL, 0 },
	[Q_SYNCED_AT] = { "SELECT " ISO("last_sync_time") " FROM "
	    "ticket_sync_metadata WHERE sync_date = ?", NULL, 0 },
	[Q_USERS] = { "SELECT id, name, email FROM users WHERE disabled = 0 "
	    "ORDER BY id", NULL, 0 },
	[Q_MAP_IDS] = { "SELECT freshworks_user_id FROM "
	    "freshworks_user_mapping", NULL, 0 },
	[Q_MAP_UPSERT] = { "INSERT INTO freshworks_user_mapping (user_id, "
	    "freshworks_user_id, freshworks_username) VALUES (?, ?, ?) "
	    "ON DUPLICATE KEY UPDATE user_id = VALUES(user_id), "
	    "freshworks_username = VALUES(freshworks_username)", NULL, 0 },
	[Q_MAP_DEL] = { "DELETE FROM freshworks_user_mapping "
	    "WHERE freshworks_user_id = ?", NULL, 0 },
	[Q_MAP_RELINK] = { "UPDATE ticket_closure c "
	    "LEFT JOIN freshworks_user_mapping m "
	    "ON m.freshworks_user_id = c.freshworks_user_id "
	    "SET c.user_id = m.user_id WHERE c.source = 'freshservice'",
	    NULL, 0 },
	[Q_RUNNING] = { "SELECT COALESCE(run_id, 0) FROM sync_locks "
	    "WHERE name = 'fresh'", NULL, 0 },
};

/* A name and user for each counted agent. */
struct agent_info {
	long long	 user_id;	/* 0 when none */
	int		 named;		/* by the mapping or API */
	char		 name[DH_CLOSE_NAME_MAX + 1];
};

static enum dh_csync_rc
db_rc(int rc)
{
	return rc == DH_DB_DOWN ? DH_CSYNC_DB_DOWN : DH_CSYNC_DB;
}

const char *
dh_closure_zone(const struct dh_config *cfg)
{
	return cfg->timezone[0] != '\0' ? cfg->timezone : "UTC";
}

void
dh_closure_today(const struct dh_config *cfg, char *out)
{
	struct dh_wall	 w;

	dh_tz_to_local(dh_closure_zone(cfg), (int64_t)time(NULL), &w);
	dh_wall_date(&w, out);
}

int
dh_closure_reap(struct dh_db *db, const struct dh_config *cfg)
{
	return dh_lock_reap(db, LOCK_NAME, cfg->sync_stale, &q[Q_ORPHANS],
	    &q[Q_REAP]);
}

/*
 * In one transaction: refuse when the lease is held or (unless forced)
 * the date was synced within the hour, else record the run and take the
 * lease.  The hourly check sits behind the lease row lock, so two callers
 * cannot both pass it.
 */
static enum dh_csync_rc
begin_run(struct dh_db *db, const struct dh_config *cfg,
    struct dh_csync_result *res)
{
	struct dh_result	*r = NULL;
	char			 host[256] = "";
	int			 rc;

	gethostname(host, sizeof(host) - 1);
	if ((rc = dh_db_begin(db)) != DH_DB_OK)
		return db_rc(rc);
	if ((rc = dh_lock_claim(db, LOCK_NAME, cfg->sync_stale, &q[Q_REAP],
	    &res->busy_run)) != DH_DB_OK)
		goto fail;
	if (res->busy_run != 0) {
		dh_db_rollback(db);
		return DH_CSYNC_BUSY;
	}
	if (!res->forced) {
		struct dh_val	 a[] = { DH_VSTR(res->date) };

		if ((rc = dh_db_stmt(db, &q[Q_LAST], a, 1, &r,
		    NULL)) != DH_DB_OK)
			goto fail;
		if (r != NULL && r->nrows == 1 && dh_res_int(r, 0, 2, 0) > 0) {
			res->wait_s = dh_res_int(r, 0, 2, 0);
			dh_strlcpy(res->next_at, dh_res_get(r, 0, 1),
			    sizeof(res->next_at));
			dh_result_free(r);
			dh_db_rollback(db);
			return DH_CSYNC_LIMITED;
		}
		dh_result_free(r);
		r = NULL;
	}
	{
		struct dh_val	 a[] = { DH_VSTR(res->date),
		    DH_VINT(res->forced), DH_VSTR(host),
		    DH_VINT((long long)getpid()) };

		if ((rc = dh_db_stmt(db, &q[Q_NEW_RUN], a, 4, NULL,
		    NULL)) != DH_DB_OK)
			goto fail;
	}
	if ((rc = dh_lock_hold(db, LOCK_NAME, &res->run_id)) != DH_DB_OK)
		return db_rc(rc);
	return DH_CSYNC_OK;
fail:
	dh_result_free(r);
	dh_db_rollback(db);
	return db_rc(rc);
}

/* Record the failure on the run (autocommit) and free the lease. */
static void
fail_run(struct dh_db *db, const struct dh_csync_result *res,
    const char *why)
{
	struct dh_val	 a[] = { DH_VINT(res->pages),
	    DH_VINT(res->processed),
	    DH_VSTR(why), DH_VINT(res->run_id) };

	if (db->in_tx)
		dh_db_rollback(db);
	if (dh_db_stmt(db, &q[Q_FAIL_RUN], a, 4, NULL, NULL) != DH_DB_OK)
		dh_err("cannot record failed closure run %lld: %s",
		    res->run_id, db->err);
	dh_lock_release(db, LOCK_NAME, res->run_id);
}

static enum dh_csync_rc
prov_rc(enum dh_prov_rc p)
{
	switch (p) {
	case DH_PROV_AUTH:
		return DH_CSYNC_AUTH;
	case DH_PROV_CONFIG:
		return DH_CSYNC_CONFIG;
	default:
		return DH_CSYNC_PROVIDER;
	}
}

/* Fetch every page of tickets updated since the date began and count. */
static enum dh_csync_rc
fetch(struct dh_db *db, const struct dh_config *cfg, struct dh_fresh *f,
    struct dh_tally *ty, struct dh_csync_result *res, char *err,
    size_t errlen)
{
	struct dh_fresh_page	 pg;
	struct dh_fresh_ticket	 t;
	struct dh_buf		 url;
	struct dh_wall		 w;
	struct dh_date		 d;
	const char		*zone = dh_closure_zone(cfg);
	const char		*it, *tp, *te;
	char			 terr[256];
	enum dh_prov_rc		 pr;
	enum dh_csync_rc	 rc = DH_CSYNC_OK;
	int64_t			 since, reported_ms = 0;
	int			 dbrc;

	memset(&pg, 0, sizeof(pg));
	dh_buf_init(&url, 4096);
	dh_date_parse(res->date, &d);
	memset(&w, 0, sizeof(w));
	w.year = d.year;
	w.month = d.month;
	w.day = d.day;
	since = dh_tz_from_local(zone, &w);
	if (dh_fresh_tickets_url(f->base, since, &url) == -1) {
		snprintf(err, errlen, "FRESH_ENDPOINT: too long");
		rc = DH_CSYNC_CONFIG;
		goto out;
	}
	dh_info("closure run %lld: date %s in %s, tickets updated since "
	    "%s", res->run_id, res->date, zone, url.data + strlen(f->base));
	for (;;) {
		if (res->pages == MAX_PAGES) {
			snprintf(err, errlen, "more than %d pages of tickets "
			    "were updated since %s began; not counted",
			    MAX_PAGES, res->date);
			rc = DH_CSYNC_PROVIDER;
			goto out;
		}
		pr = dh_fresh_get_page(f, url.data, "tickets", &pg, err,
		    errlen);
		if (pr != DH_PROV_OK) {
			size_t	 l = strlen(err);

			snprintf(err + l, errlen - l, " (tickets page %lld)",
			    res->pages + 1);
			rc = prov_rc(pr);
			goto out;
		}
		res->pages++;
		for (it = NULL; dh_fresh_page_item(&pg, &it, &tp, &te); ) {
			if (dh_fresh_ticket_read_text(tp, te, &t, terr,
			    sizeof(terr)) == -1) {
				snprintf(err, errlen, "Freshservice tickets "
				    "page %lld: %s", res->pages, terr);
				rc = DH_CSYNC_PROVIDER;
				goto out;
			}
			if (dh_tally_add(ty, &t, zone, res->date,
			    cfg->fresh_group_id) == -1) {
				snprintf(err, errlen, "more than %d tickets "
				    "or %d agents; not counted",
				    DH_CLOSE_MAX_TICKETS, DH_CLOSE_MAX_AGENTS);
				rc = DH_CSYNC_PROVIDER;
				goto out;
			}
		}
		res->processed = ty->processed;
		if (dh_lock_due(&reported_ms)) {
			struct dh_val	 a[] = { DH_VINT(res->pages),
			    DH_VINT(res->processed), DH_VINT(res->run_id) };

			if ((dbrc = dh_db_stmt(db, &q[Q_PROGRESS], a, 3, NULL,
			    NULL)) != DH_DB_OK ||
			    (dbrc = dh_lock_heartbeat(db, LOCK_NAME,
			    res->run_id)) != DH_DB_OK) {
				snprintf(err, errlen, dbrc == DH_DB_ERR ?
				    "the sync lease was taken over" : "%s",
				    db->err);
				rc = db_rc(dbrc);
				goto out;
			}
		}
		if (pg.next[0] == '\0')
			break;
		dh_buf_reset(&url);
		if (dh_buf_puts(&url, pg.next) == -1) {
			snprintf(err, errlen, "Freshservice: next page URL "
			    "too long");
			rc = DH_CSYNC_PROVIDER;
			goto out;
		}
		dh_fresh_page_release(&pg);
	}
out:
	dh_fresh_page_release(&pg);
	dh_buf_release(&url);
	return rc;
}

static struct agent_info *
find_info(struct agent_info *info, const struct dh_tally *ty, long long id)
{
	for (size_t i = 0; i < ty->nagents; i++)
		if (ty->agents[i].responder_id == id)
			return &info[i];
	return NULL;
}

/*
 * Name every counted agent: the mapping file's name (and user) first,
 * then the Freshservice agent's own name.  Names are cosmetic, so a
 * failure to list agents only leaves "Freshservice agent N".
 */
static int
name_agents(struct dh_db *db, struct dh_fresh *f, const struct dh_tally *ty,
    struct agent_info *info, long long run)
{
	struct dh_result	*r = NULL;
	struct dh_fresh_page	 pg;
	struct agent_info	*ai;
	struct dh_buf		 url;
	char			 err[512];
	size_t			 missing = 0;
	int			 rc;

	for (size_t i = 0; i < ty->nagents; i++)
		snprintf(info[i].name, sizeof(info[i].name),
		    "Freshservice agent %lld", ty->agents[i].responder_id);
	if ((rc = dh_db_stmt(db, &q[Q_MAPPINGS], NULL, 0, &r, NULL)) !=
	    DH_DB_OK)
		return rc;
	for (size_t k = 0; r != NULL && k < r->nrows; k++) {
		ai = find_info(info, ty, dh_res_int(r, k, 0, 0));
		if (ai == NULL || dh_res_get(r, k, 2) == NULL)
			continue;
		ai->user_id = dh_res_int(r, k, 1, 0);
		dh_strlcpy(ai->name, dh_res_get(r, k, 2), sizeof(ai->name));
		ai->named = 1;
	}
	dh_result_free(r);
	for (size_t i = 0; i < ty->nagents; i++)
		if (!info[i].named)
			missing++;
	if (missing == 0)
		return DH_DB_OK;

	memset(&pg, 0, sizeof(pg));
	dh_buf_init(&url, 4096);
	if (dh_fresh_agents_url(f->base, &url) == -1)
		goto out;
	for (int page = 0; page < MAX_AGENT_PAGES; page++) {
		if (dh_fresh_get_page(f, url.data, "agents", &pg, err,
		    sizeof(err)) != DH_PROV_OK) {
			dh_warn("closure run %lld: cannot list agents, %zu "
			    "shown by id: %s", run, missing, err);
			goto out;
		}
		for (size_t i = 0; i < json_array_size(pg.items); i++) {
			json_t		*a = json_array_get(pg.items, i);
			const char	*fn = dh_json_str(a, "first_name");
			const char	*ln = dh_json_str(a, "last_name");
			long long	 id;

			if (dh_json_get_ll(a, "id", &id) != 0)
				continue;
			ai = find_info(info, ty, id);
			if (ai == NULL || ai->named)
				continue;
			if (fn == NULL && ln == NULL)
				continue;
			snprintf(ai->name, sizeof(ai->name), "%s%s%s",
			    fn != NULL ? fn : "",
			    fn != NULL && ln != NULL && *ln != '\0' ? " " : "",
			    ln != NULL ? ln : "");
			dh_utf8_trunc(ai->name, DH_CLOSE_NAME_MAX);
			ai->named = 1;
			missing--;
		}
		json_decref(pg.root);
		pg.root = NULL;
		if (missing == 0 || pg.next[0] == '\0')
			break;
		dh_buf_reset(&url);
		if (dh_buf_puts(&url, pg.next) == -1)
			break;
	}
out:
	json_decref(pg.root);
	dh_buf_release(&url);
	return DH_DB_OK;
}

/* Replace the date's rows; everything or nothing. */
static int
merge(struct dh_db *db, const struct dh_tally *ty,
    const struct agent_info *info, struct dh_csync_result *res)
{
	struct dh_val	 d[] = { DH_VSTR(res->date) };
	int		 rc;

	if ((rc = dh_db_begin(db)) != DH_DB_OK)
		return rc;
	if ((rc = dh_db_stmt(db, &q[Q_DEL_DATE], d, 1, NULL, NULL)) !=
	    DH_DB_OK)
		goto fail;
	for (size_t i = 0; i < ty->nagents; i++) {
		struct dh_val	 a[] = {
		    info[i].user_id > 0 ? DH_VINT(info[i].user_id) : DH_VNULL,
		    DH_VINT(ty->agents[i].responder_id),
		    DH_VSTR(info[i].name), DH_VSTR(res->date),
		    DH_VINT(ty->agents[i].closed) };

		if ((rc = dh_db_stmt(db, &q[Q_INS_CLOSURE], a, 5, NULL,
		    NULL)) != DH_DB_OK)
			goto fail;
	}
	{
		struct dh_val	 a[] = { DH_VSTR(res->date),
		    DH_VINT(res->processed) };

		if ((rc = dh_db_stmt(db, &q[Q_META], a, 2, NULL, NULL)) !=
		    DH_DB_OK)
			goto fail;
	}
	{
		struct dh_val	 a[] = { DH_VINT(res->processed),
		    DH_VINT(res->closures), DH_VINT(res->agents),
		    DH_VINT(res->pages), DH_VINT(res->run_id) };

		if ((rc = dh_db_stmt(db, &q[Q_FINISH], a, 5, NULL, NULL)) !=
		    DH_DB_OK)
			goto fail;
	}
	if ((rc = dh_lock_release(db, LOCK_NAME, res->run_id)) != DH_DB_OK)
		goto fail;
	return dh_db_commit(db);
fail:
	dh_db_rollback(db);
	return rc;
}

/* Whether date is a real day not after today in the business zone. */
static int
check_date(const struct dh_config *cfg, const char *date, char *err,
    size_t errlen)
{
	struct dh_date	 d;
	char		 today[11], norm[11];

	if (date == NULL || dh_date_parse(date, &d) == -1) {
		snprintf(err, errlen, "date: expected a date as YYYY-MM-DD");
		return -1;
	}
	dh_date_format(&d, norm);
	dh_closure_today(cfg, today);
	if (strcmp(norm, today) > 0) {
		snprintf(err, errlen, "date: %s is after today (%s in %s)",
		    norm, today, dh_closure_zone(cfg));
		return -1;
	}
	return 0;
}

enum dh_csync_rc
dh_closure_sync(struct dh_db *db, const struct dh_config *cfg,
    const char *date, int force, struct dh_csync_result *res, char *err,
    size_t errlen)
{
	struct dh_fresh		 f;
	struct dh_tally		 ty;
	struct agent_info	*info = NULL;
	struct dh_result	*r = NULL;
	enum dh_csync_rc	 rc;
	int64_t			 t0 = dh_now_ms();
	int			 dbrc, have_f = 0;

	memset(res, 0, sizeof(*res));
	dh_tally_init(&ty);
	err[0] = '\0';
	res->forced = force != 0;
	if (check_date(cfg, date, err, errlen) == -1)
		return DH_CSYNC_BAD_DATE;
	dh_strlcpy(res->date, date, sizeof(res->date));
	if (!dh_tz_valid(dh_closure_zone(cfg))) {
		snprintf(err, errlen, "DESKHUB_TIMEZONE: unknown time zone "
		    "'%s'", cfg->timezone);
		return DH_CSYNC_CONFIG;
	}
	if ((rc = begin_run(db, cfg, res)) != DH_CSYNC_OK) {
		if (rc == DH_CSYNC_BUSY)
			snprintf(err, errlen, "a closure sync is already "
			    "running (run %lld)", res->busy_run);
		else if (rc == DH_CSYNC_LIMITED)
			snprintf(err, errlen, "the closures of %s were synced "
			    "less than an hour ago; the next sync is allowed "
			    "at %s (in %lld minutes)", res->date,
			    res->next_at, (res->wait_s + 59) / 60);
		else
			snprintf(err, errlen, "%s", db->err);
		return rc;
	}
	dh_info("closure run %lld: started for %s%s", res->run_id, res->date,
	    res->forced ? " (forced)" : "");
	if (dh_fresh_init(&f, cfg, err, errlen) == -1) {
		rc = DH_CSYNC_CONFIG;
		goto fail;
	}
	have_f = 1;
	/* Each ticket page downloads while the one before is counted. */
	f.read_ahead = 1;
	rc = fetch(db, cfg, &f, &ty, res, err, errlen);
	f.read_ahead = 0;
	dh_fresh_cancel(&f);
	if (rc != DH_CSYNC_OK)
		goto fail;
	dh_tally_sort(&ty);
	res->processed = ty.processed;
	res->closures = ty.closures;
	res->agents = (long long)ty.nagents;
	res->unassigned = ty.unassigned;
	if (ty.nagents > 0 &&
	    (info = calloc(ty.nagents, sizeof(*info))) == NULL) {
		snprintf(err, errlen, "out of memory");
		rc = DH_CSYNC_DB;
		goto fail;
	}
	if ((dbrc = name_agents(db, &f, &ty, info, res->run_id)) !=
	    DH_DB_OK) {
		snprintf(err, errlen, "%s", db->err);
		rc = db_rc(dbrc);
		goto fail;
	}
	dh_fresh_free(&f);
	have_f = 0;
	res->duration_ms = dh_now_ms() - t0;
	if ((dbrc = merge(db, &ty, info, res)) != DH_DB_OK) {
		snprintf(err, errlen, "saving the closures failed: %s",
		    db->err);
		rc = db_rc(dbrc);
		goto fail;
	}
	{
		struct dh_val	 a[] = { DH_VSTR(res->date) };

		if (dh_db_stmt(db, &q[Q_SYNCED_AT], a, 1, &r, NULL) ==
		    DH_DB_OK && r != NULL && r->nrows == 1)
			dh_strlcpy(res->synced_at, dh_res_get(r, 0, 0),
			    sizeof(res->synced_at));
		dh_result_free(r);
	}
	dh_info("closure run %lld: success, %s: %lld tickets read, %lld "
	    "closures by %lld agents, %lld without agent, %lld pages, "
	    "%lld ms", res->run_id, res->date, res->processed, res->closures,
	    res->agents, res->unassigned, res->pages, res->duration_ms);
	free(info);
	dh_tally_release(&ty);
	return DH_CSYNC_OK;
fail:
	if (have_f)
		dh_fresh_free(&f);
	res->duration_ms = dh_now_ms() - t0;
	dh_warn("closure run %lld: failed, nothing saved for %s: %s",
	    res->run_id, res->date, err);
	fail_run(db, res, err);
	free(info);
	dh_tally_release(&ty);
	return rc;
}

/* Load the enabled users; a missing users table means none. */
static struct dh_user_ref *
load_users(struct dh_db *db, struct dh_result **r, size_t *n)
{
	struct dh_user_ref	*u;

	*n = 0;
	*r = NULL;
	if (dh_db_stmt(db, &q[Q_USERS], NULL, 0, r, NULL) != DH_DB_OK) {
		dh_warn("cannot read users, mapping names only: %s", db->err);
		return NULL;
	}
	if (*r == NULL || (*r)->nrows == 0)
		return NULL;
	if ((u = calloc((*r)->nrows, sizeof(*u))) == NULL)
		return NULL;
	for (size_t i = 0; i < (*r)->nrows; i++) {
		u[i].id = dh_res_int(*r, i, 0, 0);
		u[i].name = dh_res_get(*r, i, 1);
		u[i].email = dh_res_get(*r, i, 2);
	}
	*n = (*r)->nrows;
	return u;
}

enum dh_csync_rc
dh_closure_refresh_mappings(struct dh_db *db, const struct dh_config *cfg,
    struct dh_map_result *res, char *err, size_t errlen)
{
	struct dh_ids		 ids;
	struct dh_user_ref	*users = NULL;
	struct dh_result	*ur = NULL, *old = NULL;
	enum dh_csync_rc	 rc = DH_CSYNC_CONFIG;
	size_t			 nusers = 0, idx;
	int			 dbrc;

	memset(res, 0, sizeof(*res));
	dh_ids_init(&ids);
	err[0] = '\0';
	dh_strlcpy(res->file, cfg->fresh_ids_file, sizeof(res->file));
	if ((res->errors = json_array()) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (dh_ids_load(cfg->fresh_ids_file, &ids, err, errlen) == -1)
		goto out;
	res->entries = (long long)ids.n;
	res->bad_lines = (long long)ids.nbad;
	for (size_t i = 0; i < ids.nerr; i++)
		json_array_append_new(res->errors, json_pack("{s:I,s:s}",
		    "line", (json_int_t)ids.err[i].line, "error",
		    ids.err[i].msg));
	users = load_users(db, &ur, &nusers);
	if ((dbrc = dh_db_begin(db)) != DH_DB_OK) {
		rc = db_rc(dbrc);
		snprintf(err, errlen, "%s", db->err);
		goto out;
	}
	if ((dbrc = dh_db_stmt(db, &q[Q_MAP_IDS], NULL, 0, &old, NULL)) !=
	    DH_DB_OK)
		goto dbfail;
	for (size_t k = 0; old != NULL && k < old->nrows; k++) {
		long long	 id = dh_res_int(old, k, 0, 0);
		int		 keep = 0;

		for (size_t i = 0; i < ids.n && !keep; i++)
			keep = ids.e[i].id == id;
		if (keep)
			continue;
		{
			struct dh_val	 a[] = { DH_VINT(id) };

			if ((dbrc = dh_db_stmt(db, &q[Q_MAP_DEL], a, 1, NULL,
			    NULL)) != DH_DB_OK)
				goto dbfail;
		}
		res->removed++;
	}
	for (size_t i = 0; i < ids.n; i++) {
		enum dh_match	 m;
		long long	 uid = 0;

		m = dh_match_user(ids.e[i].name, users, nusers, &idx);
		if (m == DH_MATCH_EXACT || m == DH_MATCH_PARTIAL) {
			uid = users[idx].id;
			res->mapped++;
		} else
			res->unmatched++;
		{
			struct dh_val	 a[] = { uid > 0 ? DH_VINT(uid) :
			    DH_VNULL, DH_VINT(ids.e[i].id),
			    DH_VSTR(ids.e[i].name) };

			if ((dbrc = dh_db_stmt(db, &q[Q_MAP_UPSERT], a, 3,
			    NULL, NULL)) != DH_DB_OK)
				goto dbfail;
		}
	}
	if ((dbrc = dh_db_stmt(db, &q[Q_MAP_RELINK], NULL, 0, NULL, NULL)) !=
	    DH_DB_OK)
		goto dbfail;
	if ((dbrc = dh_db_commit(db)) != DH_DB_OK)
		goto dbfail;
	dh_info("mappings refreshed from %s: %lld entries, %lld mapped to "
	    "users, %lld unmatched, %lld removed, %lld bad lines", res->file,
	    res->entries, res->mapped, res->unmatched, res->removed,
	    res->bad_lines);
	rc = DH_CSYNC_OK;
	goto out;
dbfail:
	snprintf(err, errlen, "saving the mappings failed: %s", db->err);
	if (db->in_tx)
		dh_db_rollback(db);
	rc = db_rc(dbrc);
out:
	dh_result_free(old);
	dh_result_free(ur);
	free(users);
	dh_ids_release(&ids);
	return rc;
}

int
dh_closure_status(struct dh_db *db, const struct dh_config *cfg,
    json_t **out)
{
	struct dh_result	*r = NULL, *run = NULL;
	char			 today[11];
	long long		 wait = 0;
	int			 rc, have;

	*out = NULL;
	dh_closure_today(cfg, today);
	if ((rc = dh_closure_reap(db, cfg)) != DH_DB_OK)
		goto out;
	{
		struct dh_val	 a[] = { DH_VSTR(today) };

		if ((rc = dh_db_stmt(db, &q[Q_LAST], a, 1, &r, NULL)) !=
		    DH_DB_OK)
			goto out;
	}
	if ((rc = dh_db_stmt(db, &q[Q_RUNNING], NULL, 0, &run, NULL)) !=
	    DH_DB_OK)
		goto out;
	have = r != NULL && r->nrows == 1;
	if (have && dh_res_int(r, 0, 2, 0) > 0)
		wait = dh_res_int(r, 0, 2, 0);
	*out = json_pack("{s:s,s:s,s:o,s:o,s:b,s:I,s:I,s:I,s:b}",
	    "date", today,
	    "timezone", dh_closure_zone(cfg),
	    "lastSync", have ? json_string(dh_res_get(r, 0, 0)) : json_null(),
	    "nextAllowedSync", have ? json_string(dh_res_get(r, 0, 1)) :
	    json_null(),
	    "canSync", wait == 0,
	    "minutesUntilNextSync", (json_int_t)((wait + 59) / 60),
	    "syncsToday", (json_int_t)(have ? dh_res_int(r, 0, 3, 0) : 0),
	    "ticketsProcessedToday", (json_int_t)(have ?
	    dh_res_int(r, 0, 4, 0) : 0),
	    "syncInProgress", dh_res_int(run, 0, 0, 0) != 0);
	if (*out == NULL)
		rc = DH_DB_ERR;
out:
	dh_result_free(r);
	dh_result_free(run);
	return rc;
}
