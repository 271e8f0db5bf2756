/*
 * Unit tests of lib/closures.c and the pure parts of lib/prov_fresh.c:
 * which ticket counts on which business-timezone date (near midnight,
 * across DST changes, edited after closing, reopened, without an agent,
 * outside the group), reading tickets, the tally, the IDs.txt parser with
 * bad lines, matching names to users, pacing and the Link host check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "closures.h"
#include "dh_tz.h"
#include "dh_util.h"
#include "prov_fresh.h"

#define NY	"America/New_York"
#define A	21000000001LL
#define G	14000012345LL

static int64_t
utc(const char *s)
{
	int64_t	 t;

	if (s == NULL)
		return -1;
	assert_int_equal(dh_tz_parse(s, "UTC", &t), 0);
	return t;
}

struct jcase {
	const char		*name;
	long long		 status;
	long long		 responder;
	long long		 group;
	const char		*closed;
	const char		*resolved;
	const char		*zone;
	const char		*date;
	long long		 want_group;
	enum dh_close_verdict	 want;
};

static const struct jcase jcases[] = {
	{ "midnight: 23:59:59 EDT is the day before", 5, A, G,
	    "2025-06-16T03:59:59Z", NULL, NY, "2025-06-15", 0,
	    DH_CLOSE_COUNTED },
	{ "midnight: 00:00:00 EDT is the new day", 5, A, G,
	    "2025-06-16T04:00:00Z", NULL, NY, "2025-06-15", 0,
	    DH_CLOSE_OTHER_DAY },
	{ "midnight: 00:00:00 EDT counts that day", 5, A, G,
	    "2025-06-16T04:00:00Z", NULL, NY, "2025-06-16", 0,
	    DH_CLOSE_COUNTED },
	{ "midnight: in UTC the same moment is the 16th", 5, A, G,
	    "2025-06-16T03:59:59Z", NULL, "", "2025-06-16", 0,
	    DH_CLOSE_COUNTED },
	{ "dst spring: 23:30 EDT of the 23-hour day", 5, A, G,
	    "2025-03-10T03:30:00Z", NULL, NY, "2025-03-09", 0,
	    DH_CLOSE_COUNTED },
	{ "dst spring: 00:30 EDT, not 23:30 EST", 5, A, G,
	    "2025-03-10T04:30:00Z", NULL, NY, "2025-03-10", 0,
	    DH_CLOSE_COUNTED },
	{ "dst spring: 23:30 EST the day before", 5, A, G,
	    "2025-03-09T04:30:00Z", NULL, NY, "2025-03-08", 0,
	    DH_CLOSE_COUNTED },
	{ "dst fall: 23:30 EST of the 25-hour day", 5, A, G,
	    "2025-11-03T04:30:00Z", NULL, NY, "2025-11-02", 0,
	    DH_CLOSE_COUNTED },
	{ "dst fall: 23:30 EDT the day before", 5, A, G,
	    "2025-11-02T03:30:00Z", NULL, NY, "2025-11-01", 0,
	    DH_CLOSE_COUNTED },
	{ "edited after closing: the closing day counts", 5, A, G,
	    "2025-07-01T15:00:00Z", NULL, NY, "2025-07-05", 0,
	    DH_CLOSE_OTHER_DAY },
	{ "reopened: open again despite closed_at", 2, A, G,
	    "2025-07-01T15:00:00Z", NULL, NY, "2025-07-01", 0,
	    DH_CLOSE_NOT_CLOSED },
	{ "pending with a resolved time", 3, A, G, NULL,
	    "2025-07-01T15:00:00Z", NY, "2025-07-01", 0,
	    DH_CLOSE_NOT_CLOSED },
	{ "resolved only: resolved_at counts", 4, A, G, NULL,
	    "2025-07-01T15:00:00Z", NY, "2025-07-01", 0, DH_CLOSE_COUNTED },
	{ "closed_at wins over resolved_at", 5, A, G,
	    "2025-07-02T15:00:00Z", "2025-07-01T15:00:00Z", NY,
	    "2025-07-01", 0, DH_CLOSE_OTHER_DAY },
	{ "no closed or resolved time", 5, A, G, NULL, NULL, NY,
	    "2025-07-01", 0, DH_CLOSE_NO_TIME },
	{ "no agent", 5, 0, G, "2025-07-01T15:00:00Z", NULL, NY,
	    "2025-07-01", 0, DH_CLOSE_NO_AGENT },
	{ "group filter: our group", 5, A, G, "2025-07-01T15:00:00Z", NULL,
	    NY, "2025-07-01", G, DH_CLOSE_COUNTED },
	{ "group filter: another group", 5, A, 14000099901LL,
	    "2025-07-01T15:00:00Z", NULL, NY, "2025-07-01", G,
	    DH_CLOSE_OTHER_GROUP },
	{ "group filter: no group", 5, A, 0, "2025-07-01T15:00:00Z", NULL,
	    NY, "2025-07-01", G, DH_CLOSE_OTHER_GROUP },
	{ "no group filter: any group", 5, A, 14000099901LL,
	    "2025-07-01T15:00:00Z", NULL, NY, "2025-07-01", 0,
	    DH_CLOSE_COUNTED },
};

static void
test_judge(void **state)
{
	for (size_t i = 0; i < DH_ARRAY_LEN(jcases); i++) {
		const struct jcase	*c = &jcases[i];
		struct dh_fresh_ticket	 t;

		memset(&t, 0, sizeof(t));
		t.id = (long long)i + 1;
		t.status = c->status;
		t.responder_id = c->responder;
		t.group_id = c->group;
		t.closed_utc = utc(c->closed);
		t.resolved_utc = utc(c->resolved);
		if (dh_close_judge(&t, c->zone, c->date, c->want_group) !=
		    c->want)
			fail_msg("%s: got %d, want %d", c->name,
			    dh_close_judge(&t, c->zone, c->date,
			    c->want_group), c->want);
	}
}

struct rcase {
	const char	*name;
	const char	*json;
	int		 ok;
	long long	 responder;
	const char	*closed;
};

static const struct rcase rcases[] = {
	{ "numbers", "{\"id\":1,\"status\":5,\"responder_id\":21000000001,"
	    "\"group_id\":null,\"stats\":{\"closed_at\":"
	    "\"2025-07-01T15:00:00Z\",\"resolved_at\":null}}", 1, A,
	    "2025-07-01T15:00:00Z" },
	{ "numeric strings", "{\"id\":\"2\",\"status\":\"5\","
	    "\"responder_id\":\"21000000001\",\"stats\":{}}", 1, A, NULL },
	{ "no stats", "{\"id\":3,\"status\":2}", 1, 0, NULL },
	{ "null stats", "{\"id\":3,\"status\":2,\"stats\":null}", 1, 0,
	    NULL },
	{ "no id", "{\"status\":5}", 0, 0, NULL },
	{ "bad closed_at", "{\"id\":4,\"status\":5,\"stats\":"
	    "{\"closed_at\":\"yesterday\"}}", 0, 0, NULL },
	{ "bad responder", "{\"id\":5,\"status\":5,\"responder_id\":\"x\"}",
	    0, 0, NULL },
	{ "not an object", "[1]", 0, 0, NULL },
	/* As the provider's bytes come: blanks, escapes, repeats, reals. */
	{ "blanks", " { \"id\" : 7 , \"status\" : 4 , \"responder_id\" :"
	    " 21000000001 , \"stats\" : { \"closed_at\" : "
	    "\"2025-07-01T15:00:00Z\" } } ", 1, A, "2025-07-01T15:00:00Z" },
	{ "escaped names", "{\"\\u0069d\":8,\"resp\\u006fnder_id\":"
	    "21000000001,\"st\\u0061ts\":{\"closed_\\u0061t\":"
	    "\"2025-07-01T15:00:00\\u005a\"}}", 1, A, "2025-07-01T15:00:00Z" },
	{ "a repeated member counts last", "{\"id\":9,\"responder_id\":1,"
	    "\"responder_id\":21000000001}", 1, A, NULL },
	{ "integral real", "{\"id\":10.0,\"responder_id\":2.1e10}", 1,
	    21000000000LL, NULL },
	{ "fractional id", "{\"id\":10.5}", 0, 0, NULL },
	/* Longer than any stack copy: read whole, as jansson reads it. */
	{ "long integral real", "{\"id\":15,\"responder_id\":"
	    "2.1000000000000000000000000000000000000000000000000000000000000"
	    "0000000001e10}", 1, 21000000000LL, NULL },
	{ "stats not an object", "{\"id\":11,\"stats\":\"x\"}", 0, 0,
	    NULL },
	{ "resolved_at only", "{\"id\":12,\"status\":4,\"stats\":"
	    "{\"resolved_at\":\"2025-07-01T15:00:00Z\"}}", 1, 0, NULL },
	{ "negative responder", "{\"id\":13,\"responder_id\":-1}", 0, 0,
	    NULL },
	{ "numeric closed_at", "{\"id\":14,\"stats\":{\"closed_at\":1}}",
	    0, 0, NULL },
};

static void
test_read(void **state)
{
	for (size_t i = 0; i < DH_ARRAY_LEN(rcases); i++) {
		const struct rcase	*c = &rcases[i];
		struct dh_fresh_ticket	 t;
		char			 err[256] = "";
		json_t			*j = json_loads(c->json, 0, NULL);
		int			 rc;

		struct dh_fresh_ticket	 u;
		char			 uerr[256] = "";
		const char		*p = c->json;

		/* The provider's bytes as they are, and jansson's dump of
		 * the parsed value: the same ticket, or the same error. */
		while (*p == ' ')
			p++;
		assert_non_null(j);
		rc = dh_fresh_ticket_read(j, &t, err, sizeof(err));
		json_decref(j);
		if (dh_fresh_ticket_read_text(p, c->json + strlen(c->json), &u,
		    uerr, sizeof(uerr)) != rc || strcmp(err, uerr) != 0 ||
		    (rc == 0 && memcmp(&t, &u, sizeof(t)) != 0))
			fail_msg("%s: text and parsed differ (%s / %s)",
			    c->name, err, uerr);
		if ((rc == 0) != c->ok)
			fail_msg("%s: rc %d (%s)", c->name, rc, err);
		if (!c->ok) {
			if (err[0] == '\0')
				fail_msg("%s: no message", c->name);
			continue;
		}
		assert_int_equal(t.responder_id, c->responder);
		assert_int_equal(t.closed_utc, c->closed != NULL ?
		    utc(c->closed) : -1);
	}
}

static void
test_tally(void **state)
{
	struct dh_tally		 ty;
	struct dh_fresh_ticket	 t;
	static const struct {
		long long	 id, responder;
		const char	*closed;
	} tk[] = {
		{ 1, A, "2025-07-01T15:00:00Z" },
		{ 2, A + 1, "2025-07-01T16:00:00Z" },
		{ 3, A + 1, "2025-07-01T17:00:00Z" },
		{ 2, A + 1, "2025-07-01T16:00:00Z" },	/* on two pages */
		{ 4, 0, "2025-07-01T17:00:00Z" },	/* no agent */
		{ 5, A, "2025-07-02T17:00:00Z" },	/* another day */
	};

	dh_tally_init(&ty);
	for (size_t i = 0; i < DH_ARRAY_LEN(tk); i++) {
		memset(&t, 0, sizeof(t));
		t.id = tk[i].id;
		t.status = 5;
		t.responder_id = tk[i].responder;
		t.closed_utc = utc(tk[i].closed);
		t.resolved_utc = -1;
		assert_true(dh_tally_add(&ty, &t, NY, "2025-07-01", 0) >= 0);
	}
	dh_tally_sort(&ty);
	assert_int_equal(ty.processed, 5);
	assert_int_equal(ty.duplicates, 1);
	assert_int_equal(ty.closures, 3);
	assert_int_equal(ty.unassigned, 1);
	assert_int_equal(ty.nagents, 2);
	assert_int_equal(ty.agents[0].responder_id, A + 1);
	assert_int_equal(ty.agents[0].closed, 2);
	assert_int_equal(ty.agents[1].closed, 1);
	dh_tally_release(&ty);
}

struct icase {
	const char	*name;
	const char	*text;
	size_t		 n;
	const char	*first_name;
	long long	 first_id;
	size_t		 nbad;
	size_t		 bad_line;	/* of the first error */
	const char	*bad_msg;	/* part of it */
};

static const struct icase icases[] = {
	{ "plain", "Oscar S. - 12345\nAJ Thompson - 67890\n", 2, "Oscar S.",
	    12345, 0, 0, NULL },
	{ "crlf, bom, blanks, comments", "\xef\xbb\xbfOscar S. - 1\r\n\r\n"
	    "# note\r\n  Cole O'Grady -2  \r\n", 2, "Oscar S.", 1, 0, 0, NULL },
	{ "hyphen in the name", "Mary-Jane Watson - 77", 1,
	    "Mary-Jane Watson", 77, 0, 0, NULL },
	{ "no dash", "Oscar S. - 1\nno id here\n", 1, "Oscar S.", 1, 1, 2,
	    "expected 'Name - ID'" },
	{ "not a number", "Oscar - 12a\n", 0, NULL, 0, 1, 1,
	    "positive integer" },
	{ "no name", "Oscar - 1\n - 2\n", 1, "Oscar", 1, 1, 2,
	    "name: empty" },
	{ "nothing after the dash", "Oscar -\n", 0, NULL, 0, 1, 1,
	    "expected 'Name - ID'" },
	{ "repeated id", "A - 5\nB - 6\nC - 5\n", 2, "A", 5, 1, 3,
	    "already given on line 1" },
	{ "out of range", "A - 99999999999999999999\n", 0, NULL, 0, 1, 1,
	    "out of range" },
	{ "bad utf-8", "A\xff - 5\n", 0, NULL, 0, 1, 1, "UTF-8" },
	{ "no final newline", "A - 5", 1, "A", 5, 0, 0, NULL },
	{ "the message quotes only its line", "Bad - abc\nA - 5\n", 1, "A",
	    5, 1, 1, "got 'abc'" },
};

static void
test_ids(void **state)
{
	for (size_t i = 0; i < DH_ARRAY_LEN(icases); i++) {
		const struct icase	*c = &icases[i];
		struct dh_ids		 ids;
		char			 err[256];

		dh_ids_init(&ids);
		assert_int_equal(dh_ids_parse(c->text, strlen(c->text), &ids,
		    err, sizeof(err)), 0);
		if (ids.n != c->n || ids.nbad != c->nbad)
			fail_msg("%s: %zu entries, %zu bad", c->name, ids.n,
			    ids.nbad);
		if (c->n > 0) {
			assert_string_equal(ids.e[0].name, c->first_name);
			assert_int_equal(ids.e[0].id, c->first_id);
		}
		if (c->nbad > 0) {
			assert_int_equal(ids.err[0].line, c->bad_line);
			if (strstr(ids.err[0].msg, c->bad_msg) == NULL)
				fail_msg("%s: message '%s'", c->name,
				    ids.err[0].msg);
		}
		dh_ids_release(&ids);
	}
}

static void
test_ids_load(void **state)
{
	struct dh_ids	 ids;
	char		 err[256];

	dh_ids_init(&ids);
	assert_int_equal(dh_ids_load("/nonexistent/IDs.txt", &ids, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "FRESH_IDS_FILE"));
	assert_int_equal(dh_ids_load("", &ids, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not configured"));
	dh_ids_release(&ids);
}

static const struct dh_user_ref users[] = {
	{ 1, "Oscar Solis", "oscar.solis@example.com" },
	{ 2, "AJ Thompson", "aj@example.com" },
	{ 3, "Cole OGrady", "cole@example.com" },
	{ 4, "Dana Smith", "dana.smith@example.com" },
	{ 5, "Dana Stone", "dstone@example.com" },
	{ 6, "Eve", "eve.adams@example.com" },
};

static const struct {
	const char	*name;
	enum dh_match	 want;
	size_t		 idx;
} mcases[] = {
	{ "AJ Thompson", DH_MATCH_EXACT, 1 },
	{ "Oscar S.", DH_MATCH_PARTIAL, 0 },
	{ "oscar solis", DH_MATCH_PARTIAL, 0 },
	{ "Eve A.", DH_MATCH_PARTIAL, 5 },	/* by the e-mail */
	{ "Dana S.", DH_MATCH_AMBIGUOUS, 0 },
	{ "Dana Sm.", DH_MATCH_PARTIAL, 3 },
	{ "Oscar T.", DH_MATCH_NONE, 0 },
	{ "Nobody Here", DH_MATCH_NONE, 0 },
	{ "", DH_MATCH_NONE, 0 },
};

static void
test_match(void **state)
{
	for (size_t i = 0; i < DH_ARRAY_LEN(mcases); i++) {
		size_t		 idx = 99;
		enum dh_match	 m;

		m = dh_match_user(mcases[i].name, users, DH_ARRAY_LEN(users),
		    &idx);
		if (m != mcases[i].want)
			fail_msg("%s: got %d, want %d", mcases[i].name, m,
			    mcases[i].want);
		if (m == DH_MATCH_EXACT || m == DH_MATCH_PARTIAL)
			assert_int_equal(idx, mcases[i].idx);
	}
	assert_int_equal(dh_match_user("Oscar S.", NULL, 0, NULL),
	    DH_MATCH_NONE);
}

static void
test_pace(void **state)
{
	static const struct {
		long	 remaining, total, cost, max_wait, want;
	} c[] = {
		{ -1, -1, 3, 120, 0 },		/* no headers */
		{ 100, 400, 3, 120, 0 },	/* plenty left */
		{ 6, 400, 3, 120, 0 },		/* two requests' worth */
		{ 5, 400, 3, 120, 450 },	/* refill time of 3 */
		{ 0, 3, 3, 5, 5000 },		/* capped by max wait */
		{ 0, -1, 1, 120, 1000 },	/* total unknown */
		{ 0, 100000, 1, 120, 100 },	/* at least 100 ms */
		{ 0, 400, 3, 0, 0 },		/* waiting not allowed */
	};

	for (size_t i = 0; i < DH_ARRAY_LEN(c); i++)
		if (dh_fresh_pace_ms(c[i].remaining, c[i].total, c[i].cost,
		    c[i].max_wait) != c[i].want)
			fail_msg("row %zu: got %ld, want %ld", i,
			    dh_fresh_pace_ms(c[i].remaining, c[i].total,
			    c[i].cost, c[i].max_wait), c[i].want);
}

static void
test_urls(void **state)
{
	static const struct {
		const char	*url;
		int		 same;
	} c[] = {
		{ "https://acme.freshservice.com/api/v2/tickets?page=2", 1 },
		{ "https://ACME.freshservice.com:443/api/v2/tickets", 1 },
		{ "http://acme.freshservice.com/api/v2/tickets?page=2", 0 },
		{ "https://evil.example/api/v2/tickets?page=2", 0 },
		{ "https://acme.freshservice.com:8443/api/v2/tickets", 0 },
		{ "not a url", 0 },
	};
	const char	*base = "https://acme.freshservice.com/api/v2/";
	struct dh_buf	 b;

	for (size_t i = 0; i < DH_ARRAY_LEN(c); i++)
		if (dh_fresh_same_origin(base, c[i].url) != c[i].same)
			fail_msg("%s: want %d", c[i].url, c[i].same);
	dh_buf_init(&b, 4096);
	assert_int_equal(dh_fresh_tickets_url(base,
	    utc("2025-06-15T04:00:00Z"), &b), 0);
	assert_string_equal(b.data, "https://acme.freshservice.com/api/v2/"
	    "tickets?updated_since=2025-06-15T04:00:00Z&include=stats&"
	    "per_page=100&page=1");
	dh_buf_release(&b);
}

static void
test_utf8_trunc(void **state)
{
	char	 s[16];

	snprintf(s, sizeof(s), "ab\xc3\xa9" "cd");	/* ab e-acute cd */
	dh_utf8_trunc(s, 3);
	assert_string_equal(s, "ab");
	snprintf(s, sizeof(s), "ab\xc3\xa9" "cd");
	dh_utf8_trunc(s, 4);
	assert_string_equal(s, "ab\xc3\xa9");
	dh_utf8_trunc(s, 10);
	assert_string_equal(s, "ab\xc3\xa9");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_tally),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_ids_load),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_pace),
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_utf8_trunc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
