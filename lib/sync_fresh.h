/*
 * The closure sync: the tickets closed on one business-timezone date,
 * counted per agent from Freshservice and stored in ticket_closure, at
 * most once an hour per date (ticket_sync_metadata), one sync at a time
 * (the 'fresh' lease of sync_locks), every run recorded in
 * ticket_sync_runs.  Also the user mapping refresh and the status views
 * shared by the sync, status and admin-stats programs.
 */
#ifndef SYNC_FRESH_H
#define SYNC_FRESH_H

#include <stddef.h>

#include <jansson.h>

#include "dh_config.h"
#include "dh_db.h"

#define DH_CSYNC_INTERVAL_S	3600	/* one sync per date per hour */

enum dh_csync_rc {
	DH_CSYNC_OK,
	DH_CSYNC_LIMITED,	/* synced less than an hour ago (429) */
	DH_CSYNC_BUSY,		/* another closure sync runs (409) */
	DH_CSYNC_BAD_DATE,	/* not a date, or in the future (400) */
	DH_CSYNC_AUTH,		/* Freshservice rejected the key (502) */
	DH_CSYNC_PROVIDER,	/* Freshservice failed (502) */
	DH_CSYNC_CONFIG,	/* not configured (500) */
	DH_CSYNC_DB_DOWN,	/* database unreachable (503) */
	DH_CSYNC_DB,		/* a statement failed (500) */
};

struct dh_csync_result {
	long long	 run_id;
	long long	 busy_run;	/* BUSY: the running run */
	char		 date[11];
	int		 forced;
	long long	 processed;	/* distinct tickets read */
	long long	 closures;	/* counted for an agent */
	long long	 agents;
	long long	 unassigned;	/* closed without an agent */
	long long	 pages;
	long long	 duration_ms;
	long long	 wait_s;	/* LIMITED: seconds until allowed */
	char		 next_at[32];	/* LIMITED: allowed again */
	char		 synced_at[32];	/* OK: time of the sync */
};

/* Today's date in the business timezone (DESKHUB_TIMEZONE, else UTC). */
void	 dh_closure_today(const struct dh_config *, char *out11);
/* The business timezone: cfg->timezone or "UTC". */
const char *dh_closure_zone(const struct dh_config *);

/*
 * Sync the closures of date ("YYYY-MM-DD", not after today).  Unless
 * force, a date synced less than DH_CSYNC_INTERVAL_S ago is refused with
 * DH_CSYNC_LIMITED.  The date's rows are replaced in one transaction, so
 * a failure saves nothing for it; the reason goes to err and to the run.
 */
enum dh_csync_rc dh_closure_sync(struct dh_db *, const struct dh_config *,
	    const char *date, int force, struct dh_csync_result *, char *err,
	    size_t errlen);

/*
 * Mark runs left in_progress by a dead process as failed and free their
 * lease.  DH_DB_OK or an error code.
 */
int	 dh_closure_reap(struct dh_db *, const struct dh_config *);

struct dh_map_result {
	long long	 entries;	/* valid lines of the file */
	long long	 mapped;	/* matched to a local user */
	long long	 unmatched;
	long long	 removed;	/* mappings no longer in the file */
	long long	 bad_lines;
	json_t		*errors;	/* [{"line","error"}], owned */
	char		 file[512];
};

/*
 * Read FRESH_IDS_FILE and replace freshworks_user_mapping with its
 * entries in one transaction, each matched to a local user (exact name,
 * then partial).  res->errors must be released with json_decref.
 */
enum dh_csync_rc dh_closure_refresh_mappings(struct dh_db *,
	    const struct dh_config *, struct dh_map_result *, char *err,
	    size_t errlen);

/*
 * The sync status of today: {"date","timezone","lastSync","nextAllowedSync",
 * "canSync","minutesUntilNextSync","syncsToday","ticketsProcessedToday",
 * "syncInProgress"}.  DH_DB_OK with *out a new reference, or an error.
 */
int	 dh_closure_status(struct dh_db *, const struct dh_config *,
	    json_t **out);

#endif
