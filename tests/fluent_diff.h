/*
 * Two mappings of one FluentSupport ticket, compared field by field: the
 * unit tests and the fluent_page fuzz target map a ticket from its text
 * and from jansson's tree of it, and both must read the same.
 */
#ifndef FLUENT_DIFF_H
#define FLUENT_DIFF_H

#include <string.h>

#include "prov_fluent.h"

/* Both NULL, or the same text; NULL only where null_ok. */
static int
fluent_same_str(const char *a, const char *b, int null_ok)
{
	if (a == NULL || b == NULL)
		return null_ok && a == b;
	return strcmp(a, b) == 0;
}

/*
 * The name of the first field in which a and b differ, or NULL when they
 * agree on every field but the raw bytes and their hash.
 */
static const char *
fluent_ticket_diff(const struct dh_fluent_ticket *a,
    const struct dh_fluent_ticket *b)
{
#define FD_INT(f)	if (a->f != b->f) return #f
#define FD_STR(f)	if (!fluent_same_str(a->f, b->f, 0)) return #f
#define FD_OPT(f)	if (!fluent_same_str(a->f, b->f, 1)) return #f
	FD_INT(id);
	FD_INT(created_utc);
	FD_STR(date);
	FD_STR(time);
	FD_STR(description);
	FD_STR(urgency);
	FD_STR(category);
	FD_OPT(website_url);
	FD_STR(title);
	FD_STR(status);
	FD_STR(priority);
	FD_INT(agent_id);
	FD_INT(closed_by);
	FD_STR(resolved_utc);
	FD_STR(created_at);
	FD_STR(updated_at);
	FD_OPT(agent_name);
	FD_OPT(customer_name);
	FD_OPT(customer_email);
#undef FD_INT
#undef FD_STR
#undef FD_OPT
	return NULL;
}

#endif
