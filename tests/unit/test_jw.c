/*
 * The JSON text writer: what it writes is what jansson dumps for the same
 * values (compact, ASCII), commas and nesting included; an error sticks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "dh_jw.h"

static void
same_as_jansson(void **state)
{
	struct dh_jw	 w;
	json_t		*j;
	char		*want;

	(void)state;
	j = json_pack("{s:[I,I,I,n,b,b,s],s:{},s:[],s:{s:s,s:[[],{}]},"
	    "s:s,s:o}",
	    "a", (json_int_t)1, (json_int_t)(-9223372036854775807LL - 1),
	    (json_int_t)9223372036854775807LL, 1, 0, "x",
	    "b", "c", "d", "e", "caf\xc3\xa9 \xf0\x9f\x98\x80 \"/\\\n\x01",
	    "f",
	    "k\"ey", "v", "raw", json_pack("[i,i]", 1, 2));
	assert_non_null(j);
	want = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
	assert_non_null(want);

	dh_jw_init(&w, 1 << 16);
	dh_jw_obj(&w);
	dh_jw_key(&w, "a");
	dh_jw_arr(&w);
	dh_jw_int(&w, 1);
	dh_jw_int(&w, -9223372036854775807LL - 1);
	dh_jw_int(&w, 9223372036854775807LL);
	dh_jw_str(&w, NULL);
	dh_jw_bool(&w, 1);
	dh_jw_bool(&w, 0);
	dh_jw_strn(&w, "xyz", 1);
	dh_jw_end(&w, ']');
	dh_jw_key(&w, "b");
	dh_jw_obj(&w);
	dh_jw_end(&w, '}');
	dh_jw_key(&w, "c");
	dh_jw_arr(&w);
	dh_jw_end(&w, ']');
	dh_jw_key(&w, "d");
	dh_jw_obj(&w);
	dh_jw_key(&w, "e");
	dh_jw_str(&w, "caf\xc3\xa9 \xf0\x9f\x98\x80 \"/\\\n\x01");
	dh_jw_key(&w, "f");
	dh_jw_arr(&w);
	dh_jw_arr(&w);
	dh_jw_end(&w, ']');
	dh_jw_obj(&w);
	dh_jw_end(&w, '}');
	dh_jw_end(&w, ']');
	dh_jw_end(&w, '}');
	dh_jw_kstr(&w, "k\"ey", "v");
	dh_jw_key(&w, "raw");
	dh_jw_raw(&w, "[1,2]", 5);
	dh_jw_end(&w, '}');
	assert_false(dh_jw_failed(&w));
	if (strcmp(w.b.data, want) != 0)
		fail_msg("got  %s\nwant %s", w.b.data, want);
	assert_int_equal(w.b.len, strlen(want));
	dh_jw_release(&w);
	free(want);
	json_decref(j);
}

/* dh_jw_strn(s, n) alone writes want, or fails when want is NULL. */
static void
strn_gives(const char *s, size_t n, const char *want)
{
	struct dh_jw	 w;

	dh_jw_init(&w, 1 << 16);
	dh_jw_strn(&w, s, n);
	if (want == NULL)
		assert_true(dh_jw_failed(&w));
	else {
		assert_false(dh_jw_failed(&w));
		assert_string_equal(w.b.data, want);
	}
	dh_jw_release(&w);
}

static void
errors_stick(void **state)
{
	struct dh_jw	 w;

	(void)state;
	/* Not UTF-8: failed, and later values change nothing. */
	dh_jw_init(&w, 1 << 16);
	dh_jw_arr(&w);
	dh_jw_str(&w, "ok");
	dh_jw_str(&w, "bad \xc3");
	assert_true(dh_jw_failed(&w));
	dh_jw_int(&w, 5);
	dh_jw_end(&w, ']');
	assert_true(dh_jw_failed(&w));
	dh_jw_release(&w);

	/* A UTF-8 sequence cut by the length given is not UTF-8, even
	 * though the bytes after it would complete it. */
	strn_gives("\xc3\xa9", 1, NULL);
	strn_gives("\xe2\x82\xac", 2, NULL);
	strn_gives("\xf0\x9f\x98\x80", 3, NULL);
	strn_gives("\xc3\xa9!", 2, "\"\\u00E9\"");

	/* Past the limit: failed, not cut. */
	dh_jw_init(&w, 8);
	dh_jw_arr(&w);
	dh_jw_str(&w, "0123456789");
	dh_jw_end(&w, ']');
	assert_true(dh_jw_failed(&w));
	dh_jw_release(&w);

	/* Nothing written at all is a failure too (no text to send). */
	dh_jw_init(&w, 8);
	assert_true(dh_jw_failed(&w));
	dh_jw_release(&w);

	/* Exactly at the limit is fine: ["0123456789"] is 14 bytes. */
	dh_jw_init(&w, 14);
	dh_jw_arr(&w);
	dh_jw_str(&w, "0123456789");
	dh_jw_end(&w, ']');
	assert_false(dh_jw_failed(&w));
	assert_string_equal(w.b.data, "[\"0123456789\"]");
	dh_jw_release(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_as_jansson),
		cmocka_unit_test(errors_stick),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
