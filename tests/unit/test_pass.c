/*
 * Unit tests of lib/dh_pass.c: the length and NUL policy as a table, then
 * hashing and verification (each hash costs about a tenth of a second, so
 * there are few of them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "dh_pass.h"
#include "dh_util.h"

struct pcase {
	const char	*name;
	size_t		 len;		/* bytes of 'a' ... */
	size_t		 nul_at;	/* ... with a NUL here when not 0 */
	int		 expect;
};

static const struct pcase policy[] = {
	{ "empty", 0, 0, -1 },
	{ "one byte", 1, 0, -1 },
	{ "seven bytes", 7, 0, -1 },
	{ "eight bytes", 8, 0, 0 },
	{ "64 bytes", 64, 0, 0 },
	{ "256 bytes", 256, 0, 0 },
	{ "257 bytes", 257, 0, -1 },
	{ "4096 bytes", 4096, 0, -1 },
	{ "NUL inside", 12, 5, -1 },
	{ "NUL at the end", 12, 11, -1 },
};

static void
test_policy(void **state)
{
	char	 pw[4097], err[128];

	for (size_t i = 0; i < DH_ARRAY_LEN(policy); i++) {
		const struct pcase	*pc = &policy[i];
		int			 rc;

		memset(pw, 'a', pc->len);
		pw[pc->len] = '\0';
		if (pc->nul_at != 0)
			pw[pc->nul_at] = '\0';
		err[0] = '\0';
		rc = dh_pass_check(pw, pc->len, err, sizeof(err));
		if (rc != pc->expect)
			fail_msg("%s: expected %d, got %d", pc->name,
			    pc->expect, rc);
		if (rc == -1 && strncmp(err, "password: ", 10) != 0)
			fail_msg("%s: bad message \"%s\"", pc->name, err);
	}
}

static void
test_hash_verify(void **state)
{
	char		 h1[DH_PASS_HASH_LEN], h2[DH_PASS_HASH_LEN];
	char		 err[128];
	const char	*pw = "correct horse battery";

	assert_int_equal(dh_pass_hash(pw, strlen(pw), h1, err, sizeof(err)),
	    0);
	assert_int_equal(strncmp(h1, "$argon2id$", 10), 0);
	assert_null(strstr(h1, pw));
	assert_int_equal(dh_pass_verify(h1, pw, strlen(pw)), 0);
	assert_int_equal(dh_pass_needs_rehash(h1), 0);

	/* Near misses. */
	assert_int_equal(dh_pass_verify(h1, "correct horse batterY",
	    strlen(pw)), -1);
	assert_int_equal(dh_pass_verify(h1, pw, strlen(pw) - 1), -1);
	assert_int_equal(dh_pass_verify(h1, "correct horse battery ",
	    strlen(pw) + 1), -1);
	assert_int_equal(dh_pass_verify(h1, pw, 0), -1);

	/* A fresh salt every time. */
	assert_int_equal(dh_pass_hash(pw, strlen(pw), h2, err, sizeof(err)),
	    0);
	assert_string_not_equal(h1, h2);
	assert_int_equal(dh_pass_verify(h2, pw, strlen(pw)), 0);

	/* Refused before any work is done. */
	assert_int_equal(dh_pass_hash("short", 5, h2, err, sizeof(err)), -1);
	assert_string_equal(h2, "");
}

static void
test_bad_hashes(void **state)
{
	const char	*pw = "password1";
	const char	*bad[] = {
		"",
		"$argon2id$",
		"$argon2id$v=19$m=65536,t=2,p=1$AAAA$AAAA",
		"$2y$10$abcdefghijklmnopqrstuuTQ9b7w8YkTfqFQ2D3XKjzF7tAj3bS6a",
		"password1",
	};

	for (size_t i = 0; i < DH_ARRAY_LEN(bad); i++)
		if (dh_pass_verify(bad[i], pw, strlen(pw)) != -1)
			fail_msg("bad hash %zu accepted", i);
	assert_int_equal(dh_pass_verify(NULL, pw, strlen(pw)), -1);
	assert_int_equal(dh_pass_verify(bad[2], NULL, 0), -1);
}

/* A password over the limit never matches, even its own hash. */
static void
test_long_never_matches(void **state)
{
	char	 pw[300], h[DH_PASS_HASH_LEN];

	memset(pw, 'b', sizeof(pw));
	assert_int_equal(crypto_pwhash_str(h, pw, sizeof(pw),
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE), 0);
	assert_int_equal(dh_pass_verify(h, pw, sizeof(pw)), -1);
}

/* Older or weaker limits ask for a rehash. */
static void
test_rehash(void **state)
{
	char	 h[DH_PASS_HASH_LEN];

	assert_int_equal(crypto_pwhash_str(h, "password1", 9,
	    crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN), 0);
	assert_int_equal(dh_pass_needs_rehash(h), 1);
	assert_int_equal(dh_pass_verify(h, "password1", 9), 0);
}

/* The dummy verification runs and does not crash on odd input. */
static void
test_dummy(void **state)
{
	int64_t	 t0;

	assert_int_equal(dh_pass_init(), 0);
	t0 = dh_now_ms();
	dh_pass_verify_dummy("whatever1", 9);
	/* It costs real work: at least a few milliseconds of argon2id. */
	assert_true(dh_now_ms() - t0 >= 5);
	dh_pass_verify_dummy(NULL, 0);
	dh_pass_verify_dummy("", 0);
}

static int
setup(void **state)
{
	return sodium_init() < 0 ? -1 : 0;
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_hash_verify),
		cmocka_unit_test(test_bad_hashes),
		cmocka_unit_test(test_long_never_matches),
		cmocka_unit_test(test_rehash),
		cmocka_unit_test(test_dummy),
	};

	return cmocka_run_group_tests_name("pass", tests, setup, NULL) != 0;
}
