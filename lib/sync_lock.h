/*
 * "One sync at a time" across every app host, kept in the database: a
 * lease row per sync kind in sync_locks.  A lease is held while its holder's
 * MariaDB connection lives (checked in the processlist when the holder used
 * the same server) or, through another server of a cluster, while its
 * heartbeat is fresher than the stale limit.
 */
#ifndef SYNC_LOCK_H
#define SYNC_LOCK_H

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
/* Inside the same transaction: give the lease to run_id. */
int	 dh_lock_take(struct dh_db *, const char *name, long long run_id);
/*
 * Refresh the heartbeat (and the holder connection after a reconnect).
 * Returns DH_DB_OK, DH_DB_ERR when the lease is no longer ours, or
 * DH_DB_DOWN.
 */
int	 dh_lock_heartbeat(struct dh_db *, const char *name, long long run_id);
/* Free the lease if run_id holds it. */
int	 dh_lock_release(struct dh_db *, const char *name, long long run_id);

#endif
