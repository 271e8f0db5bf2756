/*
 * The sync lease.  All statements are constants.  The caller opens the
 * transaction, dh_lock_claim locks the lease row and dh_lock_hold commits
 * it, so marking a dead run failed, recording the new run and taking the
 * lease commit together.
 */
#include <stdlib.h>

#include "dh_util.h"
#include "sync_lock.h"

enum {
	Q_PEEK,
	Q_INSPECT,
	Q_TAKE,
	Q_BEAT,
	Q_RELEASE,
	Q__MAX
};

static struct dh_stmt	 q[Q__MAX] = {
	[Q_PEEK] = { "SELECT COALESCE(l.run_id, 0), "
	    "l.holder_server = CONCAT(@@hostname, ':', @@port), "
	    "EXISTS (SELECT 1 FROM information_schema.PROCESSLIST p "
	    "WHERE p.ID = l.holder_conn), "
	    "COALESCE(TIMESTAMPDIFF(SECOND, l.heartbeat_at, NOW(3)), 0) "
	    "FROM sync_locks l WHERE l.name = ?", NULL, 0 },
	[Q_INSPECT] = { "SELECT COALESCE(l.run_id, 0), "
	    "l.holder_server = CONCAT(@@hostname, ':', @@port), "
	    "EXISTS (SELECT 1 FROM information_schema.PROCESSLIST p "
	    "WHERE p.ID = l.holder_conn), "
	    "COALESCE(TIMESTAMPDIFF(SECOND, l.heartbeat_at, NOW(3)), 0) "
	    "FROM sync_locks l WHERE l.name = ? FOR UPDATE", NULL, 0 },
	[Q_TAKE] = { "UPDATE sync_locks SET run_id = ?, "
	    "holder_conn = CONNECTION_ID(), "
	    "holder_server = CONCAT(@@hostname, ':', @@port), "
	    "heartbeat_at = NOW(3) WHERE name = ?", NULL, 0 },
	[Q_BEAT] = { "UPDATE sync_locks SET heartbeat_at = NOW(3), "
	    "holder_conn = CONNECTION_ID(), "
	    "holder_server = CONCAT(@@hostname, ':', @@port) "
	    "WHERE name = ? AND run_id = ?", NULL, 0 },
	[Q_RELEASE] = { "UPDATE sync_locks SET run_id = NULL, "
	    "holder_conn = NULL, heartbeat_at = NULL "
	    "WHERE name = ? AND run_id = ?", NULL, 0 },
};

static int
inspect(struct dh_db *db, unsigned which, const char *name, long long stale_s,
    long long *holder_run, int *alive)
{
	struct dh_val		 a[] = { DH_VSTR(name) };
	struct dh_result	*r = NULL;
	int			 rc;

	*holder_run = 0;
	*alive = 0;
	rc = dh_db_stmt(db, &q[which], a, 1, &r, NULL);
	if (rc != DH_DB_OK)
		goto out;
	if (r == NULL || r->nrows != 1) {
		rc = DH_DB_ERR;
		goto out;
	}
	*holder_run = dh_res_int(r, 0, 0, 0);
	if (*holder_run != 0) {
		if (dh_res_int(r, 0, 1, 0))
			*alive = dh_res_int(r, 0, 2, 0) != 0;
		else
			*alive = dh_res_int(r, 0, 3, 0) < stale_s;
	}
out:
	dh_result_free(r);
	return rc;
}

int
dh_lock_inspect(struct dh_db *db, const char *name, long long stale_s,
    long long *holder_run, int *alive)
{
	return inspect(db, Q_INSPECT, name, stale_s, holder_run, alive);
}

int
dh_lock_peek(struct dh_db *db, const char *name, long long stale_s,
    long long *holder_run, int *alive)
{
	return inspect(db, Q_PEEK, name, stale_s, holder_run, alive);
}

int
dh_lock_hold(struct dh_db *db, const char *name, long long *run_id)
{
	struct dh_val	 a[2];
	int		 rc;

	*run_id = (long long)dh_db_insert_id(db);
	a[0] = DH_VINT(*run_id);
	a[1] = DH_VSTR(name);
	if ((rc = dh_db_stmt(db, &q[Q_TAKE], a, 2, NULL, NULL)) != DH_DB_OK) {
		dh_db_rollback(db);
		return rc;
	}
	return dh_db_commit(db);
}

int
dh_lock_heartbeat(struct dh_db *db, const char *name, long long run_id)
{
	struct dh_val		 a[] = { DH_VSTR(name), DH_VINT(run_id) };
	struct dh_result	*r = NULL;
	unsigned long long	 n = 0;
	int			 rc;

	rc = dh_db_stmt(db, &q[Q_BEAT], a, 2, &r, &n);
	dh_result_free(r);
	if (rc != DH_DB_OK)
		return rc;
	/* Connections use CLIENT_FOUND_ROWS: n counts matched rows. */
	return n == 1 ? DH_DB_OK : DH_DB_ERR;
}

int
dh_lock_release(struct dh_db *db, const char *name, long long run_id)
{
	struct dh_val	 a[] = { DH_VSTR(name), DH_VINT(run_id) };

	return dh_db_stmt(db, &q[Q_RELEASE], a, 2, NULL, NULL);
}

int
dh_lock_claim(struct dh_db *db, const char *name, long long stale_s,
    struct dh_stmt *reap, long long *busy_run)
{
	long long	 holder;
	int		 alive, rc;

	*busy_run = 0;
	rc = dh_lock_inspect(db, name, stale_s, &holder, &alive);
	if (rc != DH_DB_OK)
		return rc;
	if (holder != 0 && alive) {
		*busy_run = holder;
		return DH_DB_OK;
	}
	if (holder != 0 && (rc = dh_lock_release(db, name, holder)) != DH_DB_OK)
		return rc;
	return dh_db_stmt(db, reap, NULL, 0, NULL, NULL);
}

int
dh_lock_reap(struct dh_db *db, const char *name, long long stale_s,
    struct dh_stmt *orphans, struct dh_stmt *reap)
{
	struct dh_result	*r = NULL;
	long long		 holder, n;
	int			 alive, rc;

	/* The common case, nothing to reap, costs two reads and no lock. */
	if ((rc = dh_lock_peek(db, name, stale_s, &holder, &alive)) != DH_DB_OK)
		return rc;
	if ((rc = dh_db_stmt(db, orphans, NULL, 0, &r, NULL)) != DH_DB_OK)
		return rc;
	n = dh_res_int(r, 0, 0, 0);
	dh_result_free(r);
	if ((holder == 0 || alive) && n == 0)
		return DH_DB_OK;
	if ((rc = dh_db_begin(db)) != DH_DB_OK)
		return rc;
	if ((rc = dh_lock_claim(db, name, stale_s, reap, &holder)) != DH_DB_OK) {
		dh_db_rollback(db);
		return rc;
	}
	return dh_db_commit(db);
}

int
dh_lock_due(int64_t *last_ms)
{
	int64_t	 now = dh_now_ms();

	if (*last_ms != 0 && now - *last_ms < DH_PROGRESS_MS)
		return 0;
	*last_ms = now;
	return 1;
}
