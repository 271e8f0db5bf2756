/*
 * The FluentSupport sync: fetch newest first until past the date filter,
 * saving each page in one transaction on a connection of the run's own,
 * committed at the end or not at all.  Every run is recorded in
 * fluent_sync_status, with its progress while it runs.
 */
#ifndef SYNC_FLUENT_H
#define SYNC_FLUENT_H

#include <stddef.h>

#include "dh_config.h"
#include "dh_db.h"

enum dh_sync_rc {
	DH_SYNC_OK,
	DH_SYNC_BUSY,		/* another run holds the lease (409) */
	DH_SYNC_AUTH,		/* provider rejected the credentials (502) */
	DH_SYNC_PROVIDER,	/* provider unreachable or bad answer (502) */
	DH_SYNC_CONFIG,		/* provider not configured (500) */
	DH_SYNC_DB_DOWN,	/* database unreachable (503) */
	DH_SYNC_DB,		/* a statement failed (500) */
};

struct dh_sync_result {
	long long	 run_id;
	long long	 busy_run;	/* DH_SYNC_BUSY: the running run */
	long long	 fetched, added, updated, skipped;
	long long	 pages;
	long long	 duration_ms;
	long long	 started_ms;	/* monotonic start, internal */
	char		 date_filter[11];
};

/*
 * Run one sync with date_filter ("YYYY-MM-DD", tickets created on or after
 * it in the business timezone).  Fills res and, unless OK, err with the
 * reason that is also stored on the run.
 */
enum dh_sync_rc dh_fluent_sync(struct dh_db *, const struct dh_config *,
	    const char *date_filter, struct dh_sync_result *, char *err,
	    size_t errlen);

/*
 * Mark runs left in_progress by a process that died as failed and free
 * their lease.  Returns DH_DB_OK or an error code.
 */
int	 dh_fluent_reap(struct dh_db *, const struct dh_config *);

#endif
