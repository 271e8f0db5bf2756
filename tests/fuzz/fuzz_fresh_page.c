/*
 * Freshservice list pages as the closures sync reads them: the JSON check
 * and parse of dh_fresh_get_page, dh_fresh_ticket_read on every ticket and
 * the tally of dh_tally_add for one business date; and the input's first
 * line as a Link header target for dh_fresh_same_origin.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "closures.h"
#include "dh_http.h"
#include "prov_fresh.h"
#include "fuzz_common.h"

static const char base[] = "https://acme.freshservice.com/api/v2/";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dh_fresh_ticket	 t;
	struct dh_tally		 ty;
	json_error_t		 e;
	json_t			*root, *items;
	char			 err[256], *body, *nl;

	if ((body = fuzz_strdup(data, size)) == NULL)
		return 0;
	if (!dh_http_looks_json(body, size))
		goto link;
	if ((root = json_loadb(body, size, 0, &e)) == NULL)
		goto link;
	items = json_object_get(root, "tickets");
	dh_tally_init(&ty);
	for (size_t i = 0; i < json_array_size(items); i++) {
		if (dh_fresh_ticket_read(json_array_get(items, i), &t, err,
		    sizeof(err)) == -1)
			continue;
		if (t.id <= 0)
			abort();
		if (dh_tally_add(&ty, &t, "America/New_York", "2026-03-08",
		    0) == -1)
			break;
		dh_tally_add(&ty, &t, "Asia/Kolkata", "2026-03-09", 7);
	}
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
