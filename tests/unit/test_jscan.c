/*
 * The strict JSON scanner: what it accepts and refuses, checked against
 * jansson for every case, and the page walk of FluentSupport answers that
 * is built on it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "dh_jscan.h"
#include "dh_util.h"
#include "prov_fluent.h"

static const struct {
	const char	*text;
	int		 ok;
} cases[] = {
	{ "{}", 1 },
	{ "[]", 1 },
	{ " [ 1 , -2.5e+3 , 0 , -0 , 1E2 ] ", 1 },
	{ "{\"a\":{\"b\":[true,false,null]}}", 1 },
	{ "\"caf\xc3\xa9 \\u00e9 \\ud83d\\ude00 \\/ \\\\ \\\" \\b\\f\\n\\r\\t\"", 1 },
	{ "\"\xf0\x9f\x98\x80\"", 1 },
	{ "\"\x7f\"", 1 },
	{ "", 0 },
	{ "{", 0 },
	{ "{\"a\":1", 0 },
	{ "{\"a\" 1}", 0 },
	{ "{\"a\":1,}", 0 },
	{ "[1,]", 0 },
	{ "[,1]", 0 },
	{ "{a:1}", 0 },
	{ "{1:1}", 0 },
	{ "[01]", 0 },
	{ "[1.]", 0 },
	{ "[.5]", 0 },
	{ "[1e]", 0 },
	{ "[-]", 0 },
	{ "[+1]", 0 },
	{ "[tru]", 0 },
	{ "[nul]", 0 },
	{ "[True]", 0 },
	{ "\"a\tb\"", 0 },		/* raw control byte */
	{ "\"\\x41\"", 0 },		/* unknown escape */
	{ "\"\\u12\"", 0 },
	{ "\"\\u0000\"", 0 },		/* jansson refuses NUL */
	{ "\"\\udc00\"", 0 },		/* lone low surrogate */
	{ "\"\\ud83d\"", 0 },		/* lone high surrogate */
	{ "\"\\ud83d\\u0041\"", 0 },
	{ "\"\xc3\"", 0 },		/* cut sequence */
	{ "\"\xc0\xaf\"", 0 },		/* overlong */
	{ "\"\xed\xa0\x80\"", 0 },	/* encoded surrogate */
	{ "\"\xf4\x90\x80\x80\"", 0 },	/* past U+10FFFF */
	{ "\"\xff\"", 0 },
	{ "\"abc", 0 },
	{ "[1] [2]", 0 },
};

/* Each case as the scanner and as jansson see it: both agree. */
static void
scanner_agrees_with_jansson(void **state)
{
	const char	*end, *p, *bad;
	json_t		*j;
	int		 ours;

	(void)state;
	for (size_t i = 0; i < DH_ARRAY_LEN(cases); i++) {
		size_t	 n = strlen(cases[i].text);

		end = cases[i].text + n;
		bad = NULL;
		p = dh_js_value(dh_js_ws(cases[i].text, end), end, &bad);
		ours = p != NULL && dh_js_ws(p, end) == end;
		if (ours != cases[i].ok)
			fail_msg("case %zu (%s): scanner says %d", i,
			    cases[i].text, ours);
		if (p == NULL && (bad == NULL || bad > end))
			fail_msg("case %zu: no position for the error", i);
		j = json_loadb(cases[i].text, n, JSON_DECODE_ANY, NULL);
		if ((j != NULL) != cases[i].ok)
			fail_msg("case %zu (%s): jansson says %d", i,
			    cases[i].text, j != NULL);
		json_decref(j);
	}
}

/* Every valid string case decodes to the bytes jansson decodes. */
static void
decode_agrees_with_jansson(void **state)
{
	struct dh_buf	 b;
	const char	*text, *end;
	json_t		*j;
	size_t		 n, strings = 0;

	(void)state;
	for (size_t i = 0; i < DH_ARRAY_LEN(cases); i++) {
		text = cases[i].text;
		if (!cases[i].ok || text[0] != '"')
			continue;
		n = strlen(text);
		end = text + n;
		j = json_loadb(text, n, JSON_DECODE_ANY, NULL);
		assert_non_null(j);
		dh_buf_init(&b, n + 1);
		assert_int_equal(dh_js_decode(text, end, &b), 0);
		if (b.len != json_string_length(j) ||
		    memcmp(b.data, json_string_value(j), b.len) != 0)
			fail_msg("case %zu (%s): decoded differently", i, text);
		dh_buf_release(&b);
		json_decref(j);
		strings++;
	}
	assert_true(strings >= 3);
}

/* Members by name: the last of a repeated name, names with escapes,
 * nothing from inside nested values. */
static void
members_by_name(void **state)
{
	static const char *const key[] = { "id", "title", "x", "gone" };
	const char	*v[4];
	const char	*o = "{\"id\":1, \"inner\":{\"x\":9,\"title\":\"no\"},"
	    "\"t\\u0069tle\" : \"yes\", \"id\":\"2\", \"list\":[{\"x\":3}],"
	    "\"x\":null}";

	(void)state;
	dh_js_members(o, o + strlen(o), key, v, 4);
	assert_non_null(v[0]);
	assert_memory_equal(v[0], "\"2\"", 3);
	assert_non_null(v[1]);
	assert_memory_equal(v[1], "\"yes\"", 5);
	assert_non_null(v[2]);
	assert_memory_equal(v[2], "null", 4);
	assert_null(v[3]);
	/* Not an object: nothing. */
	dh_js_members("[1]", "[1]" + 3, key, v, 4);
	assert_null(v[0]);
}

static int
map_span(const struct dh_fluent_page *p, size_t i, struct dh_fluent_ticket *t,
    char *err, size_t errlen)
{
	return dh_fluent_map_text(p->text + p->span[i].off, p->span[i].len,
	    "UTC", "UTC", t, err, errlen);
}

static void
nesting_is_bounded(void **state)
{
	char		 deep[2 * DH_JS_MAX_DEPTH + 8];
	const char	*bad = NULL;
	size_t		 n = 0;

	(void)state;
	for (int i = 0; i < DH_JS_MAX_DEPTH + 1; i++)
		deep[n++] = '[';
	deep[n] = '\0';
	assert_null(dh_js_value(deep, deep + n, &bad));
	assert_non_null(bad);
	/* Just within the bound is fine. */
	n = 0;
	for (int i = 0; i < DH_JS_MAX_DEPTH; i++)
		deep[n++] = '[';
	for (int i = 0; i < DH_JS_MAX_DEPTH; i++)
		deep[n++] = ']';
	assert_ptr_equal(dh_js_value(deep, deep + n, NULL), deep + n);
}

static void
skip_follows_strings(void **state)
{
	static const char	 t[] = "{\"a\":\"}]\\\"\",\"b\":[1,{}]} ,2";
	const char		*e;

	(void)state;
	e = dh_js_skip(t, t + strlen(t));
	assert_non_null(e);
	assert_int_equal(e - t, (long)strlen("{\"a\":\"}]\\\"\",\"b\":[1,{}]}"));
	/* Text that ends inside a value: no end found. */
	{
		static const char	 open[] = "{\"a\":[1";
		static const char	 esc[] = "\"ab\\";

		assert_null(dh_js_skip(open, open + strlen(open)));
		assert_null(dh_js_skip(esc, esc + strlen(esc)));
	}
}

/*
 * dh_js_skip reads 64 bytes at a time: move every part of a ticket-like
 * value across the block boundary (strings, runs of backslashes, brackets
 * inside strings, nesting) and cut it short at every length; it must end
 * where the checking scanner and the bytewise reference do.
 */
static void
skip_by_blocks_agrees(void **state)
{
	static const char *const body[] = {
		"\"s\":\"a\\\"b\\\\\",\"n\":[{\"x\":\"}]{[\"},{}]",
		"\"t\":\"\\\\\\\\\\\"\\\\\",\"u\":\"\\u00e9\\/\\\"\"",
		"\"d\":[[[[{\"e\":[]}]]]],\"f\":\"\\\\\",\"g\":null",
	};
	char		 t[512], xs[141];
	const char	*e, *want;
	size_t		 n;

	(void)state;
	memset(xs, 'x', sizeof(xs) - 1);
	xs[sizeof(xs) - 1] = '\0';
	for (size_t pad = 0; pad < 140; pad++) {
		for (size_t k = 0; k < DH_ARRAY_LEN(body); k++) {
			n = (size_t)snprintf(t, sizeof(t), "{\"pad\":\"%.*s\","
			    "%s},{\"next\":1}", (int)pad, xs, body[k]);
			want = strstr(t, ",{\"next\"");
			assert_non_null(want);
			assert_ptr_equal(dh_js_value(t, t + n, NULL), want);
			assert_ptr_equal(dh_js_skip(t, t + n), want);
			assert_ptr_equal(dh_js_skip_bytewise(t, t + n), want);
			/* Cut short anywhere inside: no end, either way. */
			for (size_t cut = 1; cut < (size_t)(want - t); cut++) {
				e = dh_js_skip(t, t + cut);
				assert_ptr_equal(e, dh_js_skip_bytewise(t,
				    t + cut));
				assert_null(e);
			}
		}
	}
}

/*
 * Pages are checked strictly outside the tickets, whatever the tickets
 * hold; a ticket is checked when it is read.
 */
static void
page_walk_is_strict(void **state)
{
	static const char *const bad_pages[] = {
		"{\"tickets\":{\"data\":[{\"id\":1}],\"total\":01}}",
		"{\"tickets\":{\"data\":[{\"id\":1}]}} x",
		"{\"tickets\":{\"data\":[{\"id\":1}],\"x\":\"\xff\"}}",
		"{\"tickets\":{\"data\":[{\"id\":1},]}}",
		"{\"tickets\":{\"data\":[{\"id\":1} {\"id\":2}]}}",
		"{\"tickets\":{\"data\":[{\"id\":1}]",
		"{\"tickets\":{\"data\":[{\"id\":1}],}}",
		"{\"notickets\":{\"data\":[]}}",
		"{\"tickets\":[]}",
		"[{\"tickets\":{\"data\":[]}}]",
	};
	struct dh_fluent_page	 p;
	struct dh_fluent_ticket	 t;
	char			 err[256];
	const char		*odd = "{\"tickets\":{\"data\":[{\"id\":1,"
	    "\"t\":\"\\q\"}, 7, {\"id\":3}],\"last_page\":\"2\"}}";

	(void)state;
	for (size_t i = 0; i < DH_ARRAY_LEN(bad_pages); i++)
		if (dh_fluent_parse_page(bad_pages[i], strlen(bad_pages[i]),
		    &p, err, sizeof(err)) != -1)
			fail_msg("page %zu accepted: %s", i, bad_pages[i]);
	/* The bad escape is inside ticket 1: found when it is read. */
	assert_int_equal(dh_fluent_parse_page(odd, strlen(odd), &p, err,
	    sizeof(err)), 0);
	assert_int_equal(p.n, 3);
	assert_int_equal(p.last_page, 2);
	assert_int_equal(map_span(&p, 0, &t, err, sizeof(err)), -1);
	assert_string_equal(err, "ticket: not valid JSON (byte 14 of 17)");
	assert_int_equal(map_span(&p, 1, &t, err, sizeof(err)), -1);
	assert_string_equal(err, "ticket: not an object");
	/* {"id":3}: valid, but without created_at it cannot be mapped. */
	assert_int_equal(map_span(&p, 2, &t, err, sizeof(err)), -1);
	assert_string_equal(err, "ticket 3: created_at: unreadable date");
	dh_fluent_page_release(&p);
}

/*
 * The hash is SipHash-2-4-128 under the key 00 01 .. 0f of the bytes as
 * received: the paper's vectors for the messages 00 01 .. (n - 1).
 */
static void
hash_of_raw_bytes(void **state)
{
	unsigned char	 a[DH_FLUENT_HASH_LEN], b[DH_FLUENT_HASH_LEN];
	char		 m[15];
	static const unsigned char empty[] = {
		0xa3, 0x81, 0x7f, 0x04, 0xba, 0x25, 0xa8, 0xe6,
		0x6d, 0xf6, 0x72, 0x14, 0xc7, 0x55, 0x02, 0x93,
	};
	static const unsigned char fifteen[] = {
		0x54, 0x93, 0xe9, 0x99, 0x33, 0xb0, 0xa8, 0x11,
		0x7e, 0x08, 0xec, 0x0f, 0x97, 0xcf, 0xc3, 0xd9,
	};

	(void)state;
	for (int i = 0; i < 15; i++)
		m[i] = (char)i;
	dh_fluent_hash(m, 0, a);
	assert_memory_equal(a, empty, sizeof(empty));
	dh_fluent_hash(m, 15, a);
	assert_memory_equal(a, fifteen, sizeof(fifteen));
	dh_fluent_hash("{\"id\":1}", 8, a);
	dh_fluent_hash("{\"id\": 1}", 9, b);
	assert_memory_not_equal(a, b, sizeof(a));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(scanner_agrees_with_jansson),
		cmocka_unit_test(decode_agrees_with_jansson),
		cmocka_unit_test(members_by_name),
		cmocka_unit_test(nesting_is_bounded),
		cmocka_unit_test(skip_follows_strings),
		cmocka_unit_test(skip_by_blocks_agrees),
		cmocka_unit_test(page_walk_is_strict),
		cmocka_unit_test(hash_of_raw_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
