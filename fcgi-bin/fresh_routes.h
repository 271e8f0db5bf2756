/*
 * The closure routes linked into the sync and status programs (from
 * sync_fresh.c and status_fresh.c); the programs list them in their route
 * tables.
 */
#ifndef FRESH_ROUTES_H
#define FRESH_ROUTES_H

#include "dh_fcgi.h"

/* POST /api/tickets/sync {"date"?}: hourly-limited closure sync. */
void	 h_fresh_sync(struct dh_req *);
/* POST /api/tickets/force-sync {"date"?}: the same, bypassing the limit. */
void	 h_fresh_force_sync(struct dh_req *);
/* POST /api/tickets/refresh-mappings: reload FRESH_IDS_FILE. */
void	 h_fresh_refresh_mappings(struct dh_req *);
/* GET /api/tickets/sync-status: today's sync state and the limit. */
void	 h_fresh_sync_status(struct dh_req *);

#endif
