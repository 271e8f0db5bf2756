/*
 * "One sync at a time" across every app host, kept in the database: a
 * lease row per sync kind in sync_locks.  A lease is held while its holder's
 * MariaDB connection lives (checked in the processlist when the holder used
 * the same server) or, through another server of a cluster, while its
 * heartbeat is fresher than the stale limit.
 */
#ifndef SYNC_LOCK_H
#define SYNC_LOCK_H

#include <stdint.h>

#include "dh_db.h"

/*
 * Inside an open transaction: lock the lease row of name.  *holder_run is
 * the run holding it (0 when free) and *alive whether that holder still
 * runs.  DH_DB_OK or an error code.
 */
int	 dh_lock_inspect(struct dh_db *, const char *name, long long stale_s,
	    long long *holder_run, int *alive);
/* The same without locking the row, outside a transaction: cheap. */
int	 dh_lock_peek(struct dh_db *, const char *name, long long stale_s,
	    long long *holder_run, int *alive);
/*
 * Inside the transaction of dh_lock_claim, right after the caller inserted
 * its run row: give the lease to that run (*run_id gets the row's id) and
 * commit.  DH_DB_OK, or an error code with the transaction rolled back.
 */
int	 dh_lock_hold(struct dh_db *, const char *name, long long *run_id);
/*
 * Refresh the heartbeat (and the holder connection after a reconnect).
 * Returns DH_DB_OK, DH_DB_ERR when the lease is no longer ours, or
 * DH_DB_DOWN.
 */
int	 dh_lock_heartbeat(struct dh_db *, const char *name, long long run_id);
/* Free the lease if run_id holds it. */
int	 dh_lock_release(struct dh_db *, const char *name, long long run_id);

#define DH_PROGRESS_MS	250	/* progress and heartbeat at most this often */
/*
 * Whether a sync should write its progress and renew its lease now: the
 * first time, then at most every DH_PROGRESS_MS (*last_ms keeps when).
 * Two round trips a page cost more than a page's work on a re-sync.
 */
int	 dh_lock_due(int64_t *last_ms);

/*
 * Inside an open transaction, for a new run: lock the lease row; when a
 * live run holds it set *busy_run and change nothing; else free a dead
 * holder's lease and run reap (the kind's "mark runs without the lease
 * failed" statement).  The caller then records its run and calls
 * dh_lock_hold.
 */
int	 dh_lock_claim(struct dh_db *, const char *name, long long stale_s,
	    struct dh_stmt *reap, long long *busy_run);
/*
 * Outside a transaction: when the lease holder died or runs are left
 * in_progress (orphans counts them), free the lease and run reap, in one
 * transaction; otherwise only read.
 */
int	 dh_lock_reap(struct dh_db *, const char *name, long long stale_s,
	    struct dh_stmt *orphans, struct dh_stmt *reap);

#endif
