/*
 * Freshservice list pages as the closures sync reads them: the check of
 * dh_fresh_page_text, dh_fresh_ticket_read_text on every ticket and the
 * tally of dh_tally_add for one business date; and the input's first line
 * as a Link header target for dh_fresh_same_origin.
 *
 * jansson is the reference: a page it parses with a "tickets" array must
 * pass the text check with as many tickets, each read the same from its
 * own bytes as from jansson's value (the scanner does not range-check
 * numbers no ticket field uses, so it may accept a page jansson refuses).
 * jansson skips a NUL byte between tokens; the scanner refuses it, so
 * input with one is left out of the comparison.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "closures.h"
#include "dh_http.h"
#include "prov_fresh.h"
#include "fuzz_common.h"

static const char base[] = "https://acme.freshservice.com/api/v2/";

static void
same_ticket(const json_t *j, const char *p, const char *e)
{
	struct dh_fresh_ticket	 a, b;
	char			 ea[256], eb[256];
	int			 ra, rb;

	ra = dh_fresh_ticket_read(j, &a, ea, sizeof(ea));
	rb = dh_fresh_ticket_read_text(p, e, &b, eb, sizeof(eb));
	if (ra != rb)
		abort();
	if (ra == 0 && memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	if (ra == -1 && strcmp(ea, eb) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dh_fresh_page	 pg;
	struct dh_fresh_ticket	 t;
	struct dh_tally		 ty;
	json_t			*root, *items;
	const char		*it, *p, *e;
	char			 err[256], *body, *nl;
	size_t			 n = 0;
	int			 ok;

	if ((body = fuzz_strdup(data, size)) == NULL)
		return 0;
	if (!dh_http_looks_json(body, size))
		goto link;
	memset(&pg, 0, sizeof(pg));
	ok = dh_fresh_page_text(body, size, &pg, err, sizeof(err)) == 0;
	if (!ok && memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	root = memchr(body, '\0', size) == NULL ?
	    json_loadb(body, size, 0, NULL) : NULL;
	items = json_object_get(root, "tickets");
	if (json_is_array(items) && !ok)
		abort();
	dh_tally_init(&ty);
	for (it = NULL; ok && dh_fresh_page_item(&pg, &it, &p, &e); n++) {
		if (e == NULL || e <= p || e > body + size)
			abort();
		if (json_is_array(items))
			same_ticket(json_array_get(items, n), p, e);
		if (dh_fresh_ticket_read_text(p, e, &t, err,
		    sizeof(err)) == -1)
			continue;
		if (t.id <= 0)
			abort();
		if (dh_tally_add(&ty, &t, "America/New_York", "2026-03-08",
		    0) == -1)
			break;
		dh_tally_add(&ty, &t, "Asia/Kolkata", "2026-03-09", 7);
	}
	if (json_is_array(items) && n != json_array_size(items) &&
	    ty.processed < DH_CLOSE_MAX_TICKETS)
		abort();
	dh_tally_sort(&ty);
	if (ty.closures + ty.unassigned > ty.processed)
		abort();
	dh_tally_release(&ty);
	json_decref(root);
link:
	if ((nl = strchr(body, '\n')) != NULL)
		*nl = '\0';
	dh_fresh_same_origin(base, body);
	free(body);
	return 0;
}
