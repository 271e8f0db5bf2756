/*
 * Dates, time zones, integer parsing, bounded buffers, query strings and
 * JSON readers: the code that turns outside text into values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "dh_json.h"
#include "dh_query.h"
#include "dh_tz.h"
#include "dh_util.h"

static void
parse_ll_table(void **state)
{
	static const struct {
		const char	*in;
		long long	 lo, hi;
		int		 rc;
		long long	 want;
	} t[] = {
		{ "0", 0, 10, 0, 0 }, { "10", 0, 10, 0, 10 },
		{ "11", 0, 10, -1, 0 }, { "-1", 0, 10, -1, 0 },
		{ "", 0, 10, -1, 0 }, { " 1", 0, 10, -1, 0 },
		{ "1 ", 0, 10, -1, 0 }, { "1x", 0, 10, -1, 0 },
		{ "0x10", 0, 100, -1, 0 },
		{ "99999999999999999999", 0, 9223372036854775807LL, -1, 0 },
		{ "-5", -10, 10, 0, -5 },
	};
	long long	 v;

	(void)state;
	for (size_t i = 0; i < DH_ARRAY_LEN(t); i++) {
		v = 0;
		assert_int_equal(dh_parse_ll(t[i].in, t[i].lo, t[i].hi, &v),
		    t[i].rc);
		if (t[i].rc == 0)
			assert_int_equal(v, t[i].want);
	}
}

static void
date_parse_table(void **state)
{
	static const struct {
		const char	*in;
		int		 rc;
	} t[] = {
		{ "2026-11-21", 0 }, { "2024-02-29", 0 }, { "2026-02-29", -1 },
		{ "2100-02-29", -1 }, { "2000-02-29", 0 }, { "2026-04-31", -1 },
		{ "2026-1-01", -1 }, { "2026-01-01x", -1 }, { "26-01-01", -1 },
		{ "2026/01/01", -1 }, { "1969-12-31", -1 }, { "", -1 },
		{ "2026-00-10", -1 }, { "2026-12-00", -1 }, { "+026-12-01", -1 },
	};
	struct dh_date	 d;

	(void)state;
	for (size_t i = 0; i < DH_ARRAY_LEN(t); i++)
		assert_int_equal(dh_date_parse(t[i].in, &d), t[i].rc);
}

static void
days_round_trip(void **state)
{
	struct dh_date	 d, e;
	char		 buf[11];

	(void)state;
	for (long n = -1000; n < 40000; n += 37) {
		dh_days_to_date(n, &d);
		assert_int_equal(dh_date_to_days(&d), n);
	}
	assert_int_equal(dh_date_parse("2026-03-01", &d), 0);
	dh_days_to_date(dh_date_to_days(&d) - 1, &e);
	dh_date_format(&e, buf);
	assert_string_equal(buf, "2026-02-28");
	assert_int_equal(dh_timegm(1970, 1, 1, 0, 0, 0), 0);
	assert_int_equal(dh_timegm(2026, 11, 21, 13, 26, 33), 1795267593);
}

static void
tz_parse_table(void **state)
{
	static const struct {
		const char	*in;
		const char	*zone;
		const char	*want;	/* UTC, or NULL for an error */
	} t[] = {
		{ "2026-11-21T13:26:33+00:00", "Asia/Dhaka",
		    "2026-11-21 13:26:33" },
		{ "2026-11-21T13:26:33+06:00", "UTC", "2026-11-21 07:26:33" },
		{ "2026-11-21T13:26:33-05:30", "UTC", "2026-11-21 18:56:33" },
		{ "2026-11-21T13:26:33Z", "Asia/Dhaka", "2026-11-21 13:26:33" },
		{ "2026-11-21T13:26:33.123Z", "UTC", "2026-11-21 13:26:33" },
		{ "2026-11-21 19:26:33", "Asia/Dhaka", "2026-11-21 13:26:33" },
		{ "2026-07-01 12:00:00", "America/New_York",
		    "2026-07-01 16:00:00" },
		{ "2026-01-01 12:00:00", "America/New_York",
		    "2026-01-01 17:00:00" },
		{ "2026-11-21 19:26:33", "<+0530>-05:30",
		    "2026-11-21 13:56:33" },
		{ "2026-11-21", "UTC", NULL },
		{ "2026-11-21T25:00:00Z", "UTC", NULL },
		{ "2026-11-21T10:00:00+0600", "UTC", NULL },
		{ "2026-11-21T10:00:00 junk", "UTC", NULL },
		/* Regression (fuzz_dates): days that do not exist were moved
		 * into the next month instead of refused. */
		{ "2026-02-31T10:00:00Z", "UTC", NULL },
		{ "2026-04-31 10:00:00", "America/New_York", NULL },
		{ "2025-02-29T10:00:00+02:00", "UTC", NULL },
		{ "2024-02-29T10:00:00+02:00", "UTC", "2024-02-29 08:00:00" },
	};
	char		 buf[20];
	int64_t		 u;

	(void)state;
	for (size_t i = 0; i < DH_ARRAY_LEN(t); i++) {
		int	 rc = dh_tz_parse(t[i].in, t[i].zone, &u);

		if (t[i].want == NULL) {
			assert_int_equal(rc, -1);
			continue;
		}
		assert_int_equal(rc, 0);
		dh_tz_format_utc(u, buf);
		assert_string_equal(buf, t[i].want);
	}
}

static void
tz_local_across_dst(void **state)
{
	struct dh_wall	 w;
	char		 d[11], t[9];

	(void)state;
	/* 2026-03-08 06:59:59Z is 01:59:59 EST; a second later 03:00 EDT. */
	dh_tz_to_local("America/New_York", dh_timegm(2026, 3, 8, 6, 59, 59),
	    &w);
	dh_wall_date(&w, d);
	dh_wall_time(&w, t);
	assert_string_equal(d, "2026-03-08");
	assert_string_equal(t, "01:59:59");
	dh_tz_to_local("America/New_York", dh_timegm(2026, 3, 8, 7, 0, 0), &w);
	dh_wall_time(&w, t);
	assert_string_equal(t, "03:00:00");
	/* Midnight of 2026-11-10 in New York is 05:00Z. */
	dh_tz_to_local("America/New_York", dh_timegm(2026, 11, 10, 4, 59, 59),
	    &w);
	dh_wall_date(&w, d);
	assert_string_equal(d, "2026-11-09");
}

static void
tz_from_local_edges(void **state)
{
	static const struct {
		const char	*in;
		const char	*want;
	} t[] = {
		/* Normal times on both sides of the changes. */
		{ "2026-03-08 01:59:59", "2026-03-08 06:59:59" },
		{ "2026-03-08 03:00:00", "2026-03-08 07:00:00" },
		/* In the gap: read with the offset before (EST). */
		{ "2026-03-08 02:30:00", "2026-03-08 07:30:00" },
		/* In the overlap: the first instant (EDT). */
		{ "2026-11-01 01:30:00", "2026-11-01 05:30:00" },
		{ "2026-11-01 02:00:00", "2026-11-01 07:00:00" },
		{ "2026-11-01 00:59:59", "2026-11-01 04:59:59" },
	};
	char	 buf[20];
	int64_t	 u;

	(void)state;
	for (size_t i = 0; i < DH_ARRAY_LEN(t); i++) {
		assert_int_equal(dh_tz_parse(t[i].in, "America/New_York", &u),
		    0);
		dh_tz_format_utc(u, buf);
		assert_string_equal(buf, t[i].want);
	}
}

static void
tz_names(void **state)
{
	char	 buf[64];

	(void)state;
	assert_true(dh_tz_valid("UTC"));
	assert_true(dh_tz_valid("Asia/Dhaka"));
	assert_false(dh_tz_valid("Mars/Olympus"));
	assert_false(dh_tz_valid("../../etc/passwd"));
	assert_false(dh_tz_valid("/etc/localtime"));
	assert_false(dh_tz_valid(""));
	assert_int_equal(dh_tz_from_offset(5.5, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "<+0530>-05:30");
	assert_int_equal(dh_tz_from_offset(-3, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "<-0300>+03:00");
	assert_int_equal(dh_tz_from_offset(99, buf, sizeof(buf)), -1);
}

static void
buf_is_bounded(void **state)
{
	struct dh_buf	 b;

	(void)state;
	dh_buf_init(&b, 10);
	assert_int_equal(dh_buf_puts(&b, "0123456789"), 0);
	assert_int_equal(dh_buf_puts(&b, "x"), -1);
	assert_int_equal(b.len, 10);
	assert_string_equal(b.data, "0123456789");
	dh_buf_reset(&b);
	assert_int_equal(dh_buf_printf(&b, "%d-%s", 42, "ab"), 0);
	assert_string_equal(b.data, "42-ab");
	assert_int_equal(dh_buf_printf(&b, "%0100d", 1), -1);
	dh_buf_release(&b);
}

/* Room made ahead is used without moving the data, and stays bounded. */
static void
buf_reserve(void **state)
{
	struct dh_buf	 b;
	const char	*at;

	(void)state;
	dh_buf_init(&b, 100000);
	assert_int_equal(dh_buf_reserve(&b, 100001), -1);
	assert_null(b.data);
	assert_int_equal(dh_buf_reserve(&b, 70000), 0);
	assert_true(b.cap >= 70001);
	at = b.data;
	for (int i = 0; i < 7000; i++)
		assert_int_equal(dh_buf_puts(&b, "0123456789"), 0);
	assert_ptr_equal(b.data, at);
	assert_int_equal(b.len, 70000);
	assert_int_equal(dh_buf_reserve(&b, 30001), -1);
	assert_int_equal(dh_buf_reserve(&b, 30000), 0);
	assert_int_equal(b.len, 70000);
	assert_int_equal(b.data[70000], '\0');
	dh_buf_release(&b);
}

/* Code points as UTF-8, one byte to four; what UTF-8 cannot hold as
 * U+FFFD. */
static void
buf_put_utf8(void **state)
{
	static const unsigned long cp[] = { 0x41, 0xe9, 0x20ac, 0x1f600, 0,
	    0xd800, 0x110000 };
	struct dh_buf	 b;

	(void)state;
	dh_buf_init(&b, 64);
	for (size_t i = 0; i < DH_ARRAY_LEN(cp); i++)
		assert_int_equal(dh_buf_put_utf8(&b, cp[i]), 0);
	assert_string_equal(b.data, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	dh_buf_release(&b);
}

static void
query_parse_and_validate(void **state)
{
	static const char *const sorts[] = { "date", "id", NULL };
	static const struct dh_field f[] = {
		{ "limit", DH_F_INT, 1, 500, NULL },
		{ "sort", DH_F_ENUM, 0, 0, sorts },
		{ "from", DH_F_DATE, 0, 0, NULL },
		{ "q", DH_F_STR, 0, 5, NULL },
	};
	struct dh_fval	 v[4];
	struct dh_query	 q;
	char		 err[256];

	(void)state;
	assert_int_equal(dh_query_parse(&q, "limit=20&sort=id&from=2026-01-02"
	    "&q=a%20b&other=x", err, sizeof(err)), 0);
	assert_int_equal(dh_query_validate(&q, f, 4, v, err, sizeof(err)), 0);
	assert_int_equal(v[0].i, 20);
	assert_int_equal(v[1].i, 1);
	assert_int_equal(v[2].d.day, 2);
	assert_string_equal(v[3].s, "a b");
	dh_query_release(&q);

	assert_int_equal(dh_query_parse(&q, "limit=9999", err, sizeof(err)),
	    0);
	assert_int_equal(dh_query_validate(&q, f, 4, v, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "limit:"));
	dh_query_release(&q);
	assert_int_equal(dh_query_parse(&q, "sort=x", err, sizeof(err)), 0);
	assert_int_equal(dh_query_validate(&q, f, 4, v, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "sort: expected one of date id"));
	dh_query_release(&q);
	assert_int_equal(dh_query_parse(&q, "q=toolong", err, sizeof(err)), 0);
	assert_int_equal(dh_query_validate(&q, f, 4, v, err, sizeof(err)), -1);
	dh_query_release(&q);
	assert_int_equal(dh_query_parse(&q, "q=%0a", err, sizeof(err)), 0);
	assert_int_equal(dh_query_validate(&q, f, 4, v, err, sizeof(err)), -1);
	dh_query_release(&q);

	assert_int_equal(dh_query_parse(&q, "a=1&a=2", err, sizeof(err)), -1);
	assert_int_equal(dh_query_parse(&q, "a=%zz", err, sizeof(err)), -1);
	assert_int_equal(dh_query_parse(&q, "a=%4", err, sizeof(err)), -1);
	assert_int_equal(dh_query_parse(&q, "a=%00", err, sizeof(err)), -1);
	assert_int_equal(dh_query_parse(&q, "&&a=1&", err, sizeof(err)), 0);
	assert_string_equal(dh_query_get(&q, "a"), "1");
	dh_query_release(&q);
}

static void
query_caps(void **state)
{
	struct dh_buf	 b;
	struct dh_query	 q;
	char		 err[256];

	(void)state;
	dh_buf_init(&b, 1 << 20);
	for (int i = 0; i < DH_QUERY_MAX_PAIRS + 1; i++)
		dh_buf_printf(&b, "k%d=v&", i);
	assert_int_equal(dh_query_parse(&q, b.data, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than"));
	dh_buf_reset(&b);
	dh_buf_puts(&b, "v=");
	for (int i = 0; i < DH_QUERY_MAX_VALUE + 1; i++)
		dh_buf_puts(&b, "x");
	assert_int_equal(dh_query_parse(&q, b.data, err, sizeof(err)), -1);
	dh_buf_release(&b);
}

static void
json_lenient_ints(void **state)
{
	json_t		*o = json_loads("{\"a\":1,\"b\":\"22\",\"c\":null,"
	    "\"d\":\"x\",\"e\":3.0,\"f\":3.5,\"g\":true}", 0, NULL);
	long long	 v = 0;

	(void)state;
	assert_int_equal(dh_json_get_ll(o, "a", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(dh_json_get_ll(o, "b", &v), 0);
	assert_int_equal(v, 22);
	assert_int_equal(dh_json_get_ll(o, "c", &v), 1);
	assert_int_equal(dh_json_get_ll(o, "missing", &v), 1);
	assert_int_equal(dh_json_get_ll(o, "d", &v), -1);
	assert_int_equal(dh_json_get_ll(o, "e", &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(dh_json_get_ll(o, "f", &v), -1);
	assert_int_equal(dh_json_get_ll(o, "g", &v), -1);
	/* Reals: integral and exact as an integer only. */
	assert_int_equal(dh_real_ll(-9e15, &v), 0);
	assert_true(v == -9000000000000000LL);
	assert_int_equal(dh_real_ll(9.5e15, &v), -1);
	assert_int_equal(dh_real_ll(0.25, &v), -1);
	assert_null(dh_json_str(o, "a"));
	assert_string_equal(dh_json_str(o, "b"), "22");
	json_decref(o);
}

static void
ct_equal(void **state)
{
	(void)state;
	assert_true(dh_ct_equal("abc", 3, "abc", 3));
	assert_false(dh_ct_equal("abc", 3, "abd", 3));
	assert_false(dh_ct_equal("abc", 3, "abcd", 4));
	assert_true(dh_ct_equal("", 0, "", 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_ll_table),
		cmocka_unit_test(date_parse_table),
		cmocka_unit_test(days_round_trip),
		cmocka_unit_test(tz_parse_table),
		cmocka_unit_test(tz_local_across_dst),
		cmocka_unit_test(tz_from_local_edges),
		cmocka_unit_test(tz_names),
		cmocka_unit_test(buf_is_bounded),
		cmocka_unit_test(buf_reserve),
		cmocka_unit_test(buf_put_utf8),
		cmocka_unit_test(query_parse_and_validate),
		cmocka_unit_test(query_caps),
		cmocka_unit_test(json_lenient_ints),
		cmocka_unit_test(ct_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
