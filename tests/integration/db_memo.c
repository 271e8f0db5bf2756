/*
 * Reads shared within a batch (dh_db_batch, dh_db_request), against the
 * MariaDB of the test stack (DESKHUB_CONFIG names its config).  A second
 * connection writes between the reads, so a result that was shared when
 * it should not have been shows the old value.  Run by test_fcgi.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dh_config.h"
#include "dh_db.h"

enum {
	Q_READ,		/* the probe's value, tagged with the bound text */
	Q_PLAIN,	/* the same read without SQL_CACHE */
	Q_BAD,		/* a read that fails */
	Q_BUMP,		/* a write */
	Q__MAX
};

static const char *const sql[Q__MAX] = {
	[Q_READ] = "SELECT SQL_CACHE CONCAT(?, ':', n) FROM memo_probe",
	[Q_PLAIN] = "SELECT CONCAT(?, ':', n) FROM memo_probe",
	[Q_BAD] = "SELECT SQL_CACHE n FROM memo_probe WHERE n = ? "
	    "AND (SELECT n FROM memo_probe UNION ALL SELECT n FROM memo_probe)"
	    " > 0",
	[Q_BUMP] = "UPDATE memo_probe SET n = n + 1",
};

static struct dh_config	 cfg;
static struct dh_db	 db;	/* the worker's, batched */
static struct dh_db	 other;	/* another process's */

static int
setup(void **state)
{
	char	 err[512];

	if (dh_config_load(&cfg, dh_config_path(), 1, err, sizeof(err)) == -1)
		fail_msg("config: %s", err);
	if (dh_db_open(&db, &cfg, sql, Q__MAX) != DH_DB_OK ||
	    dh_db_open(&other, &cfg, sql, Q__MAX) != DH_DB_OK)
		fail_msg("database: %s %s", db.err, other.err);
	if (dh_db_query(&other, "CREATE TABLE IF NOT EXISTS memo_probe "
	    "(n INT NOT NULL) ENGINE=InnoDB") != DH_DB_OK ||
	    dh_db_query(&other, "DELETE FROM memo_probe") != DH_DB_OK ||
	    dh_db_query(&other, "INSERT INTO memo_probe VALUES (1)") !=
	    DH_DB_OK)
		fail_msg("probe table: %s", other.err);
	return 0;
}

static int
teardown(void **state)
{
	dh_db_query(&other, "DROP TABLE IF EXISTS memo_probe");
	dh_db_close(&db);
	dh_db_close(&other);
	return 0;
}

/* The value another connection writes, committed at once. */
static void
bump(void)
{
	assert_int_equal(dh_db_exec(&other, Q_BUMP, NULL, 0, NULL, NULL),
	    DH_DB_OK);
}

/* Read q with tag on db; the result, never NULL. */
static struct dh_result *
rd(struct dh_db *d, unsigned q, const char *tag)
{
	struct dh_val		 a[1] = { DH_VSTR(tag) };
	struct dh_result	*r = NULL;

	assert_int_equal(dh_db_exec(d, q, a, 1, &r, NULL), DH_DB_OK);
	assert_non_null(r);
	assert_int_equal(r->nrows, 1);
	return r;
}

static long
val(const struct dh_result *r)
{
	const char	*c = dh_res_get(r, 0, 0);

	assert_non_null(c);
	assert_non_null(strchr(c, ':'));
	return strtol(strchr(c, ':') + 1, NULL, 10);
}

/*
 * A new batch whose first request reads "x", then a write by another
 * connection: what a later read returns tells whether it was shared.
 */
static struct dh_result *
read_then_write(void)
{
	struct dh_result	*a;

	dh_db_batch(&db);
	dh_db_request(&db);
	a = rd(&db, Q_READ, "x");
	bump();
	return a;
}

/* Another request of the batch gets the read, even after a write
 * elsewhere: it was waiting before the read ran. */
static void
shared_between_requests(void **state)
{
	struct dh_result	*a, *b;

	a = read_then_write();
	dh_db_request(&db);
	b = rd(&db, Q_READ, "x");
	assert_ptr_equal(a, b);
	assert_string_equal(dh_res_get(b, 0, 0), dh_res_get(a, 0, 0));
	/* Freed by each holder, then by the batch: no double free. */
	dh_result_free(a);
	dh_result_free(b);
	dh_db_batch(&db);
}

/* The next batch reads again and sees what was written. */
static void
not_shared_across_batches(void **state)
{
	struct dh_result	*a, *b;
	long			 before;

	dh_db_batch(&db);
	dh_db_request(&db);
	a = rd(&db, Q_READ, "x");
	before = val(a);
	dh_result_free(a);
	bump();
	dh_db_batch(&db);
	dh_db_request(&db);
	b = rd(&db, Q_READ, "x");
	assert_int_equal(val(b), before + 1);
	dh_result_free(b);
}

/* A request that reads twice gets a new read the second time. */
static void
own_second_read_is_fresh(void **state)
{
	struct dh_result	*a, *b;

	a = read_then_write();
	b = rd(&db, Q_READ, "x");
	assert_ptr_not_equal(a, b);
	assert_int_equal(val(b), val(a) + 1);
	dh_result_free(a);
	dh_result_free(b);
	/* And what it read last is what the next request gets. */
	dh_db_request(&db);
	a = rd(&db, Q_READ, "x");
	assert_string_equal(dh_res_get(a, 0, 0), dh_res_get(b, 0, 0));
	dh_result_free(a);
}

/* A request that ran any statement reads for itself from then on. */
static void
after_own_statement_is_fresh(void **state)
{
	struct dh_result	*a, *b, *c;

	a = read_then_write();
	dh_db_request(&db);
	c = rd(&db, Q_PLAIN, "y");	/* not shareable: runs */
	b = rd(&db, Q_READ, "x");
	assert_int_equal(val(b), val(a) + 1);
	assert_int_equal(val(c), val(a) + 1);
	dh_result_free(a);
	dh_result_free(b);
	dh_result_free(c);
}

/* Other values are another read. */
static void
other_values_not_shared(void **state)
{
	struct dh_result	*a, *b;

	a = read_then_write();
	dh_db_request(&db);
	b = rd(&db, Q_READ, "xx");
	assert_int_equal(strncmp(dh_res_get(b, 0, 0), "xx:", 3), 0);
	assert_int_equal(val(b), val(a) + 1);
	dh_result_free(a);
	dh_result_free(b);
	/* A NULL and an empty string differ too (DH_VSTR(NULL) is NULL). */
	dh_db_request(&db);
	a = rd(&db, Q_READ, "");
	dh_db_request(&db);
	b = rd(&db, Q_READ, NULL);
	assert_ptr_not_equal(a, b);
	assert_non_null(dh_res_get(a, 0, 0));
	assert_null(dh_res_get(b, 0, 0));	/* CONCAT(NULL, ..) */
	dh_result_free(a);
	dh_result_free(b);
}

/* A write by the worker itself drops what the batch kept. */
static void
own_write_drops(void **state)
{
	struct dh_result	*a, *b;

	dh_db_batch(&db);
	dh_db_request(&db);
	a = rd(&db, Q_READ, "x");
	dh_db_request(&db);
	assert_int_equal(dh_db_exec(&db, Q_BUMP, NULL, 0, NULL, NULL),
	    DH_DB_OK);
	dh_db_request(&db);
	b = rd(&db, Q_READ, "x");
	assert_int_equal(val(b), val(a) + 1);
	dh_result_free(a);
	dh_result_free(b);
}

/* Within a transaction every read is the transaction's own. */
static void
transaction_reads_own(void **state)
{
	struct dh_result	*a, *b;

	a = read_then_write();
	dh_db_request(&db);
	assert_int_equal(dh_db_begin(&db), DH_DB_OK);
	b = rd(&db, Q_READ, "x");
	assert_int_equal(val(b), val(a) + 1);
	assert_int_equal(dh_db_commit(&db), DH_DB_OK);
	dh_result_free(a);
	dh_result_free(b);
}

/* A failed read is not kept; the next request fails on its own. */
static void
failure_not_kept(void **state)
{
	struct dh_val		 a[1] = { DH_VINT(1) };
	struct dh_result	*r = NULL;

	assert_int_equal(dh_db_query(&other, "INSERT INTO memo_probe "
	    "VALUES (1)"), DH_DB_OK);
	dh_db_batch(&db);
	dh_db_request(&db);
	assert_int_equal(dh_db_exec(&db, Q_BAD, a, 1, &r, NULL), DH_DB_ERR);
	assert_null(r);
	dh_db_request(&db);
	assert_int_equal(dh_db_exec(&db, Q_BAD, a, 1, &r, NULL), DH_DB_ERR);
	assert_null(r);
	assert_int_equal(dh_db_query(&other, "DELETE FROM memo_probe "
	    "LIMIT 1"), DH_DB_OK);
}

/* More distinct reads than are kept: the oldest is read again. */
static void
oldest_dropped(void **state)
{
	struct dh_result	*first, *r, *again;
	char			 tag[16];
	long			 v0;

	dh_db_batch(&db);
	dh_db_request(&db);
	first = rd(&db, Q_READ, "t0");
	v0 = val(first);
	for (int i = 1; i <= DH_MEMO_MAX; i++) {
		snprintf(tag, sizeof(tag), "t%d", i);
		dh_db_request(&db);
		r = rd(&db, Q_READ, tag);
		dh_result_free(r);
	}
	bump();
	dh_db_request(&db);
	again = rd(&db, Q_READ, "t0");
	assert_int_equal(val(again), v0 + 1);
	/* The newest is still kept. */
	snprintf(tag, sizeof(tag), "t%d", DH_MEMO_MAX);
	dh_db_request(&db);
	r = rd(&db, Q_READ, tag);
	assert_int_equal(val(r), v0);
	dh_result_free(first);
	dh_result_free(again);
	dh_result_free(r);
	/* A result outlives the batch that kept it. */
	dh_db_request(&db);
	r = rd(&db, Q_READ, "t0");
	dh_db_batch(&db);
	assert_int_equal(val(r), v0 + 1);
	dh_result_free(r);
}

/* A connection that was never told of batches shares nothing. */
static void
off_without_batches(void **state)
{
	struct dh_result	*a, *b;

	dh_db_request(&other);
	a = rd(&other, Q_READ, "x");
	bump();
	dh_db_request(&other);
	b = rd(&other, Q_READ, "x");
	assert_int_equal(val(b), val(a) + 1);
	dh_result_free(a);
	dh_result_free(b);
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(shared_between_requests),
		cmocka_unit_test(not_shared_across_batches),
		cmocka_unit_test(own_second_read_is_fresh),
		cmocka_unit_test(after_own_statement_is_fresh),
		cmocka_unit_test(other_values_not_shared),
		cmocka_unit_test(own_write_drops),
		cmocka_unit_test(transaction_reads_own),
		cmocka_unit_test(failure_not_kept),
		cmocka_unit_test(oldest_dropped),
		cmocka_unit_test(off_without_batches),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
