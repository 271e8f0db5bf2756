/*
 * Results as JSON text: dh_res_json_text writes, without a tree, exactly
 * what jansson writes for dh_res_json, for every kind of cell; and
 * dh_res_json_text_cols the leading columns of each row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "dh_db.h"
#include "dh_util.h"

static char		*names[] = { "id", "text", "hours", "none" };
static enum dh_ckind	 kinds[] = { DH_C_INT, DH_C_STR, DH_C_REAL, DH_C_STR };

/* The text of both encoders for a one-column-per-kind table. */
static void
check_same(char **cells, size_t nrows)
{
	struct dh_result	 r = { 4, nrows, names, kinds, cells, NULL, 0 };
	struct dh_buf		 b;
	json_t			*j;
	char			*want;

	j = dh_res_json(&r);
	assert_non_null(j);
	want = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
	assert_non_null(want);
	dh_buf_init(&b, 1 << 20);
	assert_int_equal(dh_res_json_text(&r, &b), 0);
	assert_non_null(b.data);
	if (strcmp(b.data, want) != 0)
		fail_msg("got  %s\nwant %s", b.data, want);
	dh_buf_release(&b);
	/* A buffer that holds the text exactly, though not the longest
	 * escape of each cell, still gets it; one byte less fails. */
	dh_buf_init(&b, strlen(want));
	assert_int_equal(dh_res_json_text(&r, &b), 0);
	assert_string_equal(b.data, want);
	dh_buf_release(&b);
	dh_buf_init(&b, strlen(want) - 1);
	assert_int_equal(dh_res_json_text(&r, &b), -1);
	free(want);
	json_decref(j);
	dh_buf_release(&b);
}

static void
text_matches_jansson(void **state)
{
	static const char *const strings[] = {
		"",
		"plain ascii / slash",
		"quote \" backslash \\ done",
		"\b\f\n\r\t and \x01\x1f and \x7f",
		"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbf",
		"\xc2\x80\xdf\xbf\xe0\xa0\x80\xf4\x8f\xbf\xbf",
	};
	static const char *const ints[] = { "0", "-42", "9223372036854775807",
	    "99999999999999999999", "12x", "-0", "007", "+5", " 5", "-",
	    "123456789012345678", "-9223372036854775808" };
	static const char *const reals[] = { "1.5", "2", "0.000001", "-3.25",
	    "nan" };
	char	*cells[4 * 12];

	(void)state;
	for (size_t i = 0; i < DH_ARRAY_LEN(ints); i++) {
		cells[i * 4 + 0] = (char *)ints[i];
		cells[i * 4 + 1] = (char *)strings[i % DH_ARRAY_LEN(strings)];
		cells[i * 4 + 2] = (char *)reals[i % DH_ARRAY_LEN(reals)];
		cells[i * 4 + 3] = NULL;
	}
	check_same(cells, DH_ARRAY_LEN(ints));
	check_same(cells, 0);
}

static void
bad_utf8_is_refused(void **state)
{
	static const char *const bad[] = { "\xc3", "\xc0\xaf", "\xed\xa0\x80",
	    "\xf4\x90\x80\x80", "\xff", "a\xe2\x82" };
	struct dh_buf	 b;
	char		*cells[4] = { "1", NULL, NULL, NULL };
	struct dh_result r = { 4, 1, names, kinds, cells, NULL, 0 };

	(void)state;
	for (size_t i = 0; i < DH_ARRAY_LEN(bad); i++) {
		cells[1] = (char *)bad[i];
		dh_buf_init(&b, 1 << 20);
		if (dh_res_json_text(&r, &b) != -1)
			fail_msg("case %zu accepted", i);
		dh_buf_release(&b);
	}
	/* And a full buffer is an error, not a cut answer. */
	cells[1] = "0123456789";
	dh_buf_init(&b, 16);
	assert_int_equal(dh_res_json_text(&r, &b), -1);
	dh_buf_release(&b);
}

/* The leading columns only: what the whole writer gives for a table of
 * just those columns, and a count past the last column means all. */
static void
leading_columns(void **state)
{
	char			*cells[8] = { "1", "one", "1.5", NULL,
	    "2", "two \"2\"", "2.5", "x" };
	char			*lead[4] = { "1", "one", "2", "two \"2\"" };
	struct dh_result	 r = { 4, 2, names, kinds, cells, NULL, 0 };
	struct dh_result	 two = { 2, 2, names, kinds, lead, NULL, 0 };
	struct dh_buf		 a, b;

	(void)state;
	dh_buf_init(&a, 1 << 20);
	dh_buf_init(&b, 1 << 20);
	assert_int_equal(dh_res_json_text_cols(&r, 2, &a), 0);
	assert_int_equal(dh_res_json_text(&two, &b), 0);
	assert_string_equal(a.data, "[{\"id\":1,\"text\":\"one\"},"
	    "{\"id\":2,\"text\":\"two \\\"2\\\"\"}]");
	assert_string_equal(a.data, b.data);
	dh_buf_reset(&a);
	dh_buf_reset(&b);
	assert_int_equal(dh_res_json_text_cols(&r, 9, &a), 0);
	assert_int_equal(dh_res_json_text(&r, &b), 0);
	assert_string_equal(a.data, b.data);
	dh_buf_release(&a);
	dh_buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(text_matches_jansson),
		cmocka_unit_test(bad_utf8_is_refused),
		cmocka_unit_test(leading_columns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
