/*
 * FluentSupport ticket pages: dh_fluent_parse_page on the body as the
 * HTTP client hands it over, then dh_fluent_page_ticket and
 * dh_fluent_map_raw on every ticket with the site and business zones the
 * test stack uses.  Every span must lie inside the body.
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
	json_t			*o;
	char			 err[256], *body;

	/* dh_http bodies are NUL-terminated (dh_buf); keep that promise. */
	if ((body = fuzz_strdup(data, size)) == NULL)
		return 0;
	if (dh_fluent_parse_page(body, size, &p, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < p.n; i++) {
			if (p.text < body || p.span[i].len == 0 ||
			    p.text + p.span[i].off + p.span[i].len >
			    body + size)
				abort();
			if ((o = dh_fluent_page_ticket(&p, i, err,
			    sizeof(err))) == NULL)
				continue;
			if (dh_fluent_map_raw(o, p.text + p.span[i].off,
			    p.span[i].len, i % 2 ? "Asia/Dhaka" : "UTC",
			    "America/New_York", &t, err, sizeof(err)) == -1) {
				json_decref(o);
				continue;
			}
			json_decref(o);
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
		dh_fluent_page_release(&p);
	} else if (p.span != NULL || p.n != 0)
		abort();
	free(body);
	return 0;
}
