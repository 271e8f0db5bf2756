/*
 * Query strings and form bodies: dh_query_parse and dh_query_validate with
 * the field tables of the tickets program (fcgi-bin/tickets_fields.h:
 * GET /api/requests and GET /api/fluent/tickets), plus dh_url_decode on the
 * raw bytes.
 */
#include <stdio.h>
#include <string.h>

#include "dh_query.h"
#include "dh_util.h"
#include "fuzz_common.h"
#include "tickets_fields.h"

/* The invariants a handler relies on for one validated table. */
static void
check(const struct dh_query *q, const struct dh_field *f, size_t n)
{
	struct dh_fval	 v[16];
	char		 err[256];

	if (dh_query_validate(q, f, n, v, err, sizeof(err)) == -1) {
		if (memchr(err, '\0', sizeof(err)) == NULL)
			abort();
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (!v[i].set)
			continue;
		switch (f[i].type) {
		case DH_F_INT:
			if (v[i].i < f[i].min || v[i].i > f[i].max)
				abort();
			break;
		case DH_F_DATE: {
			char	 d[11];

			dh_date_format(&v[i].d, d);
			if (strcmp(d, v[i].s) != 0)
				abort();
			break;
		}
		case DH_F_ENUM:
			if (strcmp(f[i].enums[v[i].i], v[i].s) != 0)
				abort();
			break;
		case DH_F_STR:
			if ((long long)strlen(v[i].s) > f[i].max)
				abort();
			break;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dh_query	 q;
	char		 err[256], dec[DH_QUERY_MAX_VALUE + 1];
	char		*s, *raw;

	if ((s = fuzz_strdup(data, size)) == NULL ||
	    (raw = fuzz_memdup(data, size)) == NULL) {
		free(s);
		return 0;
	}
	if (dh_url_decode(raw, size, dec, sizeof(dec)) == 0 &&
	    strlen(dec) > DH_QUERY_MAX_VALUE)
		abort();
	if (dh_query_parse(&q, s, err, sizeof(err)) == 0) {
		if (q.n > DH_QUERY_MAX_PAIRS)
			abort();
		for (size_t i = 0; i < q.n; i++)
			if (strlen(q.keys[i]) > DH_QUERY_MAX_KEY ||
			    strlen(q.vals[i]) > DH_QUERY_MAX_VALUE)
				abort();
		check(&q, requests_fields, DH_ARRAY_LEN(requests_fields));
		check(&q, fluent_tickets_fields,
		    DH_ARRAY_LEN(fluent_tickets_fields));
		dh_query_release(&q);
	}
	free(raw);
	free(s);
	return 0;
}
