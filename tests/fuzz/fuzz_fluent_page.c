/*
 * FluentSupport ticket pages: dh_fluent_parse_page on the body as the
 * HTTP client hands it over, then dh_fluent_map_text on every ticket with
 * the site and business zones the test stack uses.  Every span must lie
 * inside the body, and the text mapping must read each ticket as jansson
 * does: mapping jansson's tree of it gives the same fields.  The id read
 * from the start of a ticket's bytes is its id.
 */
#include <stdio.h>
#include <string.h>

#include "dh_util.h"
#include "prov_fluent.h"
#include "fuzz_common.h"
#include "../fluent_diff.h"

/* The ticket at raw as jansson reads it maps to the same fields as t. */
static void
as_jansson(const char *raw, size_t len, int rc, const struct dh_fluent_ticket *t,
    const char *site_tz, const char *why)
{
	struct dh_fluent_ticket	 u;
	json_t			*o;
	char			 err[256];
	int			 rc2;

	if ((o = json_loadb(raw, len, JSON_DECODE_ANY, NULL)) == NULL)
		return;		/* refused by both: fuzz_jscan's business */
	rc2 = dh_fluent_map(o, site_tz, "America/New_York", &u, err,
	    sizeof(err));
	json_decref(o);
	/* Nesting deeper than the scanner's bound is refused by it alone. */
	if (rc != 0 && strncmp(why, "ticket: not valid JSON", 22) == 0) {
		if (rc2 == 0)
			dh_fluent_ticket_release(&u);
		return;
	}
	if (rc != rc2)
		abort();
	if (rc != 0)
		return;
	if (fluent_ticket_diff(t, &u) != NULL)
		abort();
	dh_fluent_ticket_release(&u);
}

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
		for (size_t i = 0; i < p.n; i++) {
			if (p.text < body || p.span[i].len == 0 ||
			    p.text + p.span[i].off + p.span[i].len >
			    body + size)
				abort();
			const char	*raw = p.text + p.span[i].off;
			const char	*tz = i % 2 ? "Asia/Dhaka" : "UTC";
			int		 rc;

			long long	 id = dh_fluent_raw_id(raw,
			    p.span[i].len);

			rc = dh_fluent_map_text(raw, p.span[i].len, tz,
			    "America/New_York", &t, err, sizeof(err));
			as_jansson(raw, p.span[i].len, rc, &t, tz, err);
			if (rc == -1)
				continue;
			/* The id read from the start is the ticket's, but
			 * where "id" is repeated (the parse keeps the last). */
			if (id != 0 && id != t.id) {
				json_t	*o = json_loadb(raw, p.span[i].len,
				    JSON_REJECT_DUPLICATES, NULL);

				if (o != NULL)
					abort();
			}
			if (t.description == NULL || t.title == NULL ||
			    t.raw == NULL ||
			    strlen(t.description) > DH_DESC_MAX ||
			    strlen(t.title) > 255 ||
			    strlen(t.hash) != 2 * DH_FLUENT_HASH_LEN ||
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
