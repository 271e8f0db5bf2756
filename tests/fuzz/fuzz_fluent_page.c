/*
 * FluentSupport ticket pages: dh_fluent_parse_page on the body as the
 * HTTP client hands it over, then dh_fluent_map on every ticket with the
 * site and business zones the test stack uses.
 */
#include <stdio.h>
#include <string.h>

#include "dh_util.h"
#include "prov_fluent.h"
#include "fuzz_common.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dh_fluent_page	 p;
	struct dh_fluent_ticket	 t;
	char			 err[256], *body;

	/* dh_http bodies are NUL-terminated (dh_buf); keep that promise. */
	if ((body = fuzz_strdup(data, size)) == NULL)
		return 0;
	if (dh_fluent_parse_page(body, size, &p, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < json_array_size(p.data); i++) {
			if (dh_fluent_map(json_array_get(p.data, i),
			    i % 2 ? "Asia/Dhaka" : "UTC", "America/New_York",
			    &t, err, sizeof(err)) == -1)
				continue;
			if (t.description == NULL || t.title == NULL ||
			    t.raw == NULL ||
			    strlen(t.description) > DH_DESC_MAX ||
			    strlen(t.title) > 255 || strlen(t.hash) != 64 ||
			    strlen(t.date) != 10 || strlen(t.time) != 8 ||
			    strlen(t.created_at) != 19)
				abort();
			/* jansson hands over valid UTF-8; what is cut to fit
			 * a column must stay valid, or strict MariaDB refuses
			 * the row and the sync fails. */
			if (!fuzz_utf8_valid(t.description) ||
			    !fuzz_utf8_valid(t.title) ||
			    !fuzz_utf8_valid(t.status) ||
			    !fuzz_utf8_valid(t.priority) ||
			    !fuzz_utf8_valid(t.website_url) ||
			    !fuzz_utf8_valid(t.agent_name) ||
			    !fuzz_utf8_valid(t.customer_name) ||
			    !fuzz_utf8_valid(t.customer_email))
				abort();
			dh_fluent_ticket_release(&t);
		}
		json_decref(p.root);
	} else if (p.root != NULL)
		abort();
	free(body);
	return 0;
}
