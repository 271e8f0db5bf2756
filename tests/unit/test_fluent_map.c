/*
 * FluentSupport mapping as seed 000 specifies it: urgency, category,
 * description as plain text, date and time in the business timezone, and
 * the provider's quirks (numeric strings, both date formats).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "dh_util.h"
#include "prov_fluent.h"
#include "../fluent_diff.h"

static void
urgency_table(void **state)
{
	static const struct {
		const char	*in;
		const char	*want;
	} t[] = {
		{ "critical", "HIGH" }, { "Critical", "HIGH" },
		{ "HIGH", "HIGH" }, { "urgent", "HIGH" },
		{ "medium", "MEDIUM" }, { "normal", "MEDIUM" },
		{ "NORMAL", "MEDIUM" }, { " low ", "LOW" }, { "Low", "LOW" },
		{ "whatever", "MEDIUM" }, { "", "MEDIUM" }, { NULL, "MEDIUM" },
	};

	(void)state;
	for (size_t i = 0; i < DH_ARRAY_LEN(t); i++)
		assert_string_equal(dh_fluent_urgency(t[i].in), t[i].want);
}

static void
category_table(void **state)
{
	static const struct {
		const char	*in;
		const char	*want;
	} t[] = {
		{ "Support", "Support" }, { "Hosting", "Hosting" },
		{ "Migration", "Migration" }, { "Website", "Website" },
		{ "Email", "Email" }, { "Forms", "Forms" },
		{ "Scripts", "Scripts" }, { "Advisory", "Advisory" },
		{ "hosting", "Hosting" }, { "Project", "General" },
		{ "General", "General" }, { "Widget Pro", "Support" },
		{ "", "Support" }, { NULL, "Support" },
	};

	(void)state;
	for (size_t i = 0; i < DH_ARRAY_LEN(t); i++)
		assert_string_equal(dh_fluent_category(t[i].in), t[i].want);
}

static void
html_text(void **state)
{
	static const struct {
		const char	*in;
		const char	*want;
	} t[] = {
		{ "<p>It does not print 1</p>", "It does not print 1" },
		{ "<p>a &amp; b &lt;c&gt;</p><p>next</p>", "a & b <c>\nnext" },
		{ "line1<br>line2<br/>  line3", "line1\nline2\nline3" },
		{ "  spaced   out  ", "spaced out" },
		{ "caf&#233; &#x263A; &nbsp;x", "caf\xc3\xa9 \xe2\x98\xba x" },
		{ "broken &unknown; &", "broken &unknown; &" },
		{ "<b>un<i>closed", "un closed" },
		{ "", "" },
	};

	(void)state;
	for (size_t i = 0; i < DH_ARRAY_LEN(t); i++) {
		struct dh_buf	 b;

		dh_buf_init(&b, 4096);
		assert_int_equal(dh_html_to_text(t[i].in, &b), 0);
		assert_string_equal(b.data ? b.data : "", t[i].want);
		dh_buf_release(&b);
	}
}

static json_t *
ticket(const char *text)
{
	json_error_t	 e;
	json_t		*j = json_loads(text, 0, &e);

	assert_non_null(j);
	return j;
}

static void
map_iso_and_numeric_strings(void **state)
{
	struct dh_fluent_ticket	 t;
	char			 err[256];
	json_t			*j;

	(void)state;
	j = ticket("{\"id\":1,\"agent_id\":\"3\",\"closed_by\":\"4\","
	    "\"priority\":\"critical\",\"status\":\"closed\","
	    "\"title\":\"Printer 1 broken\","
	    "\"content\":\"<p>It does not print</p>\","
	    "\"created_at\":\"2026-11-21T13:26:33+00:00\","
	    "\"updated_at\":\"2026-11-21T13:26:35+00:00\","
	    "\"resolved_at\":\"2026-11-21 19:30:00\","
	    "\"product\":{\"id\":1,\"title\":\"Hosting\"},"
	    "\"agent\":{\"id\":3,\"full_name\":\"Ada Admin\"},"
	    "\"customer\":{\"full_name\":\"Cust N1\",\"email\":\"c@x.test\"}}");
	assert_int_equal(dh_fluent_map(j, "Asia/Dhaka", "America/New_York",
	    &t, err, sizeof(err)), 0);
	assert_int_equal(t.id, 1);
	assert_int_equal(t.agent_id, 3);
	assert_int_equal(t.closed_by, 4);
	/* 13:26:33Z is 08:26:33 in New York (EST). */
	assert_string_equal(t.date, "2026-11-21");
	assert_string_equal(t.time, "08:26:33");
	assert_string_equal(t.created_at, "2026-11-21 13:26:33");
	/* resolved_at is site-local (Dhaka, UTC+6). */
	assert_string_equal(t.resolved_utc, "2026-11-21 13:30:00");
	assert_string_equal(t.urgency, "HIGH");
	assert_string_equal(t.category, "Hosting");
	assert_string_equal(t.website_url, "Hosting");
	assert_string_equal(t.description, "Printer 1 broken\n\nIt does not "
	    "print");
	assert_string_equal(t.agent_name, "Ada Admin");
	assert_int_equal(strlen(t.hash), 2 * DH_FLUENT_HASH_LEN);
	dh_fluent_ticket_release(&t);
	json_decref(j);
}

static void
map_old_format_and_nulls(void **state)
{
	struct dh_fluent_ticket	 t;
	char			 err[256];
	json_t			*j;

	(void)state;
	j = ticket("{\"id\":\"7\",\"agent_id\":null,\"closed_by\":null,"
	    "\"priority\":null,\"client_priority\":\"low\","
	    "\"title\":\"T\",\"content\":null,\"product\":null,"
	    "\"created_at\":\"2026-03-08 02:30:00\"}");
	/* 02:30 on the day DST starts in New York does not exist. */
	assert_int_equal(dh_fluent_map(j, "America/New_York", "UTC", &t,
	    err, sizeof(err)), 0);
	assert_int_equal(t.id, 7);
	assert_int_equal(t.agent_id, 0);
	assert_string_equal(t.urgency, "LOW");
	assert_string_equal(t.category, "Support");
	assert_null(t.website_url);
	assert_string_equal(t.description, "T");
	assert_string_equal(t.date, "2026-03-08");
	dh_fluent_ticket_release(&t);
	json_decref(j);
}

static void
map_rejects_bad_tickets(void **state)
{
	static const char *const bad[] = {
		"{\"title\":\"no id\",\"created_at\":\"2026-01-01 00:00:00\"}",
		"{\"id\":0,\"created_at\":\"2026-01-01 00:00:00\"}",
		"{\"id\":\"x1\",\"created_at\":\"2026-01-01 00:00:00\"}",
		"{\"id\":1}",
		"{\"id\":1,\"created_at\":\"yesterday\"}",
		"{\"id\":1,\"created_at\":\"2026-13-01 00:00:00\"}",
		"[1,2]",
	};
	struct dh_fluent_ticket	 t;
	char			 err[256];

	(void)state;
	for (size_t i = 0; i < DH_ARRAY_LEN(bad); i++) {
		json_t	*j = ticket(bad[i]);

		err[0] = '\0';
		assert_int_equal(dh_fluent_map(j, "UTC", "UTC", &t, err,
		    sizeof(err)), -1);
		assert_true(strlen(err) > 0);
		json_decref(j);
	}
}

/* Regression: a 70 KiB title used to fail the map as "out of memory". */
static void
absurd_title_is_cut(void **state)
{
	struct dh_fluent_ticket	 t;
	char			 err[256];
	json_t			*j;
	char			*title;

	(void)state;
	title = malloc(70 * 1024 + 1);
	assert_non_null(title);
	memset(title, 'x', 70 * 1024);
	title[70 * 1024] = '\0';
	j = json_pack("{s:i,s:s,s:s}", "id", 9, "title", title, "created_at",
	    "2026-01-01 00:00:00");
	assert_int_equal(dh_fluent_map(j, "UTC", "UTC", &t, err, sizeof(err)),
	    0);
	assert_int_equal(strlen(t.title), 255);
	assert_int_equal(strlen(t.description), 255);
	dh_fluent_ticket_release(&t);
	json_decref(j);
	free(title);
}

static void
page_shapes(void **state)
{
	static const char new_shape[] = "{\"tickets\":{\"current_page\":1,"
	    "\"data\":[{\"id\":1}],\"last_page\":2,\"total\":4,"
	    "\"next_page_url\":\"http://h/wp-json/fluent-support/v2/tickets/"
	    "?page=2\"}}";
	static const char old_shape[] = "{\"tickets\":{\"total\":114,"
	    "\"per_page\":15,\"current_page\":1,\"last_page\":8,"
	    "\"data\":[]}}";
	static const char debug[] = "<div id=\"error\">notice</div>"
	    "{\"tickets\":{\"data\":[],\"total\":\"3\"}}";
	struct dh_fluent_page	 p;
	char			 err[256];

	(void)state;
	assert_int_equal(dh_fluent_parse_page(new_shape, strlen(new_shape),
	    &p, err, sizeof(err)), 0);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.total, 4);
	assert_int_equal(p.last_page, 2);
	dh_fluent_page_release(&p);
	assert_int_equal(dh_fluent_parse_page(old_shape, strlen(old_shape),
	    &p, err, sizeof(err)), 0);
	assert_int_equal(p.last_page, 8);
	dh_fluent_page_release(&p);
	assert_int_equal(dh_fluent_parse_page(debug, strlen(debug), &p, err,
	    sizeof(err)), 0);
	assert_int_equal(p.total, 3);
	dh_fluent_page_release(&p);
	assert_int_equal(dh_fluent_parse_page("<html>oops</html>", 17, &p,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not JSON"));
	assert_int_equal(dh_fluent_parse_page(new_shape, 40, &p, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "truncated"));
	assert_int_equal(dh_fluent_parse_page("{\"message\":\"x\"}", 15, &p,
	    err, sizeof(err)), -1);
}

/* Whether s is well-formed UTF-8 (what strict utf8mb4 columns accept). */
static int
utf8_ok(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;

	while (*p != '\0') {
		size_t	 k = *p < 0x80 ? 0 : *p >= 0xf0 ? 3 : *p >= 0xe0 ? 2 :
		    *p >= 0xc2 ? 1 : 9;

		if (k == 9)
			return 0;
		for (size_t i = 1; i <= k; i++)
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		p += k + 1;
	}
	return 1;
}

/*
 * Regression (fuzz_fluent_page, fuzz_html): text cut to fit a column or
 * the description cap was cut inside a UTF-8 character, which strict
 * MariaDB refuses, failing the whole sync.
 */
static void
cuts_keep_utf8_whole(void **state)
{
	struct dh_fluent_ticket	 t;
	struct dh_buf		 b, msg;
	json_t			*o;
	char			 err[256], status[64];

	(void)state;
	/* status and priority: 32-byte columns, 'é' across the cut. */
	memset(status, 'a', 30);
	strcpy(status + 30, "\xc3\xa9\xc3\xa9");
	dh_buf_init(&msg, 200000);
	assert_int_equal(dh_buf_puts(&msg, "x"), 0);
	for (int i = 0; i < 40000; i++)
		assert_int_equal(dh_buf_puts(&msg, "\xc3\xa9"), 0);
	o = json_pack("{s:i,s:s,s:s,s:s,s:s,s:s}", "id", 5, "created_at",
	    "2026-03-08T07:00:00Z", "title", "tt", "status", status,
	    "priority", status + 1, "customer_message", msg.data);
	assert_non_null(o);
	assert_int_equal(dh_fluent_map(o, "UTC", "UTC", &t, err, sizeof(err)),
	    0);
	assert_true(utf8_ok(t.status));
	assert_int_equal(strlen(t.status), 30);
	assert_true(utf8_ok(t.priority));
	assert_true(utf8_ok(t.description));
	assert_true(strlen(t.description) <= DH_DESC_MAX);
	assert_true(strlen(t.description) > DH_DESC_MAX - 4);
	dh_fluent_ticket_release(&t);
	json_decref(o);

	/* dh_html_to_text at its cap: whole characters only. */
	dh_buf_init(&b, DH_DESC_MAX);
	assert_int_equal(dh_html_to_text(msg.data, &b), -1);
	assert_true(utf8_ok(b.data));
	assert_true(b.len >= DH_DESC_MAX - 1);
	dh_buf_release(&b);
	dh_buf_release(&msg);
}

/*
 * The text mapper reads the provider's bytes as jansson would: escapes,
 * blanks, a repeated member (the last counts), numbers as strings or
 * integral reals, members of the wrong type.  Each ticket is mapped from
 * its text and from jansson's tree (re-encoded compactly), and both give
 * the same fields; the text mapping keeps the bytes as sent.
 */
static void
text_reads_as_jansson(void **state)
{
	static const char *const raw[] = {
		"{ \"id\" : \"7\", \"created_at\":\"2026-11-21 10:00:00\","
		"\"title\":\"A \\\"quoted\\\" \\u00e9 \\ud83d\\ude00 \\/ t\","
		"\"content\":\"<p>x\\n\\ty</p>\",\"priority\":\" High \","
		"\"status\":\"new\",\"agent_id\":5.0,\"closed_by\":\"x\","
		"\"agent\":{\"id\":9,\"full_name\":\"Ag\\u0065nt\"},"
		"\"customer\":{\"full_name\":null,\"email\":\"e@x.test\"},"
		"\"product\":{\"title\":\"Hosting\"},\"title\":\"second\"}",
		"{\"id\":8,\"created_at\":\"2026-11-21T10:00:00+02:00\","
		"\"subject\":\"subj\",\"customer_message\":\"m &amp; n\","
		"\"client_priority\":\"low\",\"product_name\":\"Other\","
		"\"agent\":{\"id\":\"4\"},\"agent_id\":null,"
		"\"updated_at\":\"bad\",\"resolved_at\":17,"
		"\"t\\u0069tle\":[1,{\"x\":\"y\"}],\"status\":3}",
		"{\"id\":1e2,\"created_at\":\"2026-01-01 00:00:00\","
		"\"title\":7,\"product\":\"not an object\",\"customer\":[]}",
	};
	struct dh_fluent_ticket	 a, b;
	char			 err[256];
	const char		*d;
	json_t			*j;

	(void)state;
	for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
		j = json_loads(raw[i], 0, NULL);
		assert_non_null(j);
		if (dh_fluent_map_text(raw[i], strlen(raw[i]), "Asia/Dhaka",
		    "America/New_York", &a, err, sizeof(err)) != 0)
			fail_msg("ticket %zu: %s", i, err);
		assert_int_equal(dh_fluent_map(j, "Asia/Dhaka",
		    "America/New_York", &b, err, sizeof(err)), 0);
		if ((d = fluent_ticket_diff(&a, &b)) != NULL)
			fail_msg("ticket %zu: %s differs", i, d);
		assert_string_equal(a.raw, raw[i]);
		dh_fluent_ticket_release(&a);
		dh_fluent_ticket_release(&b);
		json_decref(j);
	}
	/* Spot checks of what both read. */
	assert_int_equal(dh_fluent_map_text(raw[0], strlen(raw[0]), "UTC",
	    "UTC", &a, err, sizeof(err)), 0);
	assert_int_equal(a.id, 7);
	assert_string_equal(a.title, "second");
	assert_string_equal(a.urgency, "HIGH");
	assert_int_equal(a.agent_id, 5);
	assert_int_equal(a.closed_by, 0);
	assert_string_equal(a.agent_name, "Agent");
	assert_null(a.customer_name);
	assert_string_equal(a.category, "Hosting");
	dh_fluent_ticket_release(&a);
	assert_int_equal(dh_fluent_map_text(raw[1], strlen(raw[1]), "UTC",
	    "UTC", &a, err, sizeof(err)), 0);
	assert_string_equal(a.title, "subj");
	assert_int_equal(a.agent_id, 4);
	assert_string_equal(a.status, "unknown");
	assert_string_equal(a.updated_at, "");
	dh_fluent_ticket_release(&a);
}

/* Each ticket's own bytes are found, escapes and nesting included. */
static void
page_spans(void **state)
{
	static const char body[] = "<b>notice</b>{\"tickets\": {\"total\":2, "
	    "\"data\" : [ {\"id\":1,\"title\":\"a \\\"]}\\\" b\","
	    "\"tags\":[{\"x\":[1,2]}]} ,{\"id\":2,\"t\":\"\\/x\"}],"
	    "\"last_page\":1}}";
	struct dh_fluent_page	 p;
	struct dh_fluent_ticket	 t;
	char			 err[256];

	(void)state;
	assert_int_equal(dh_fluent_parse_page(body, strlen(body), &p, err,
	    sizeof(err)), 0);
	assert_int_equal(p.n, 2);
	assert_int_equal(p.span[0].len, strlen("{\"id\":1,\"title\":"
	    "\"a \\\"]}\\\" b\",\"tags\":[{\"x\":[1,2]}]}"));
	assert_memory_equal(p.text + p.span[1].off, "{\"id\":2,\"t\":"
	    "\"\\/x\"}", p.span[1].len);
	assert_int_equal(dh_fluent_map_text(p.text + p.span[1].off,
	    p.span[1].len, "UTC", "UTC", &t, err, sizeof(err)), -1);
	/* no created_at: still refused */
	assert_string_equal(err, "ticket 2: created_at: unreadable date");
	dh_fluent_page_release(&p);
}

static void
page_url_keeps_every_parameter(void **state)
{
	struct dh_buf	 b;

	(void)state;
	dh_buf_init(&b, 1024);
	assert_int_equal(dh_fluent_page_url("https://s.test", 3, 100, &b), 0);
	assert_string_equal(b.data, "https://s.test/wp-json/fluent-support/v2/"
	    "tickets?page=3&per_page=100&order_by=created_at&order_type=DESC&"
	    "filters%5Bstatus_type%5D=all");
	dh_buf_release(&b);
}

/* The id where FluentSupport puts it, and 0 for any other start. */
static void
raw_id_table(void **state)
{
	static const struct {
		const char	*raw;
		long long	 want;
	} t[] = {
		{ "{\"id\":1,\"title\":\"x\"}", 1 },
		{ "{\"id\":\"42\",\"a\":1}", 42 },
		{ "{\"id\":123456789012345678}", 123456789012345678LL },
		{ "{\"id\":1234567890123456789}", 0 },	/* 19 digits */
		{ "{\"id\":7}", 7 },
		{ "{\"id\":7", 0 },				/* cut */
		{ "{\"id\":\"7,\"", 0 },			/* open quote */
		{ "{\"id\":\"\",\"a\":1}", 0 },
		{ "{\"id\":-3,\"a\":1}", 0 },
		{ "{\"id\":3.5,\"a\":1}", 0 },
		{ "{ \"id\":3,\"a\":1}", 0 },
		{ "{\"title\":\"x\",\"id\":3}", 0 },
		{ "{\"identity\":3,\"a\":1}", 0 },
		{ "", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (dh_fluent_raw_id(t[i].raw, strlen(t[i].raw)) != t[i].want)
			fail_msg("%s: got %lld, want %lld", t[i].raw,
			    dh_fluent_raw_id(t[i].raw, strlen(t[i].raw)),
			    t[i].want);
	/* Never read past the length given. */
	assert_int_equal(dh_fluent_raw_id("{\"id\":12,", 8), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(urgency_table),
		cmocka_unit_test(raw_id_table),
		cmocka_unit_test(category_table),
		cmocka_unit_test(html_text),
		cmocka_unit_test(map_iso_and_numeric_strings),
		cmocka_unit_test(map_old_format_and_nulls),
		cmocka_unit_test(map_rejects_bad_tickets),
		cmocka_unit_test(absurd_title_is_cut),
		cmocka_unit_test(page_shapes),
		cmocka_unit_test(text_reads_as_jansson),
		cmocka_unit_test(page_spans),
		cmocka_unit_test(page_url_keeps_every_parameter),
		cmocka_unit_test(cuts_keep_utf8_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
