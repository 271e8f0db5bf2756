/*
 * The query fields of the tickets program (GET /api/requests and
 * GET /api/fluent/tickets), in one place so that the query fuzz target
 * validates exactly the tables the program does.
 */
#ifndef TICKETS_FIELDS_H
#define TICKETS_FIELDS_H

#include "dh_query.h"

static const char *const urgencies[] = { "LOW", "MEDIUM", "HIGH", NULL };
static const char *const categories[] = { "Support", "Hosting",
	"Migration", "Website", "Email", "Forms", "Scripts", "Advisory",
	"General", NULL };
static const char *const sources[] = { "fluent", "sms", "ticket", "email",
	"phone", "freshservice", "freshdesk", "helpscout", "slack", NULL };
static const char *const orders[] = { "asc", "desc", NULL };
static const char *const statuses[] = { "active", "deleted", "ignored",
	NULL };
/* In the order of enum sort_key of tickets.c. */
static const char *const sort_names[] = {
	"date", "urgency", "category", "hours", "source", "description",
	"website_url", "id", NULL
};

/* GET /api/requests; the filters come first, in filter_sql order. */
enum requests_field {
	F_SOURCE, F_URGENCY, F_CATEGORY, F_FROM, F_TO, F_Q, F_STATUS,
	F_SORT, F_ORDER, F_LIMIT, F_OFFSET, F_CURSOR, F__MAX
};

static const struct dh_field requests_fields[F__MAX] = {
	[F_SOURCE] = { "source", DH_F_ENUM, 0, 0, sources },
	[F_URGENCY] = { "urgency", DH_F_ENUM, 0, 0, urgencies },
	[F_CATEGORY] = { "category", DH_F_ENUM, 0, 0, categories },
	[F_FROM] = { "date_from", DH_F_DATE, 0, 0, NULL },
	[F_TO] = { "date_to", DH_F_DATE, 0, 0, NULL },
	[F_Q] = { "q", DH_F_STR, 0, 200, NULL },
	[F_STATUS] = { "status", DH_F_ENUM, 0, 0, statuses },
	[F_SORT] = { "sort", DH_F_ENUM, 0, 0, sort_names },
	[F_ORDER] = { "order", DH_F_ENUM, 0, 0, orders },
	[F_LIMIT] = { "limit", DH_F_INT, 1, 500, NULL },
	[F_OFFSET] = { "offset", DH_F_INT, 0, 100000000, NULL },
	[F_CURSOR] = { "cursor", DH_F_STR, 0, 64, NULL },
};

/* GET /api/fluent/tickets. */
static const struct dh_field fluent_tickets_fields[] = {
	{ "limit", DH_F_INT, 1, 1000, NULL },
	{ "offset", DH_F_INT, 0, 100000000, NULL },
};

#endif
