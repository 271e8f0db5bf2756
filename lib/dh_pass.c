/*
 * Argon2id password hashes through libsodium, with the length policy and
 * a dummy verification for accounts that do not exist.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "dh_pass.h"

#define OPSLIMIT	crypto_pwhash_OPSLIMIT_INTERACTIVE
#define MEMLIMIT	crypto_pwhash_MEMLIMIT_INTERACTIVE

static char	 dummy_hash[DH_PASS_HASH_LEN];

int
dh_pass_check(const char *pw, size_t len, char *err, size_t errlen)
{
	if (pw == NULL || len < DH_PASS_MIN) {
		snprintf(err, errlen, "password: at least %d bytes",
		    DH_PASS_MIN);
		return -1;
	}
	if (len > DH_PASS_MAX) {
		snprintf(err, errlen, "password: at most %d bytes",
		    DH_PASS_MAX);
		return -1;
	}
	if (memchr(pw, '\0', len) != NULL) {
		snprintf(err, errlen, "password: contains a NUL byte");
		return -1;
	}
	return 0;
}

int
dh_pass_hash(const char *pw, size_t len, char out[DH_PASS_HASH_LEN],
    char *err, size_t errlen)
{
	out[0] = '\0';
	if (dh_pass_check(pw, len, err, errlen) == -1)
		return -1;
	if (crypto_pwhash_str(out, pw, len, OPSLIMIT, MEMLIMIT) != 0) {
		snprintf(err, errlen, "crypto_pwhash_str: out of memory");
		out[0] = '\0';
		return -1;
	}
	return 0;
}

int
dh_pass_verify(const char *hash, const char *pw, size_t len)
{
	if (hash == NULL || pw == NULL || len == 0 || len > DH_PASS_MAX ||
	    memchr(pw, '\0', len) != NULL)
		return -1;
	if (strnlen(hash, DH_PASS_HASH_LEN) >= DH_PASS_HASH_LEN)
		return -1;
	return crypto_pwhash_str_verify(hash, pw, len) == 0 ? 0 : -1;
}

int
dh_pass_init(void)
{
	unsigned char	 rnd[16];
	char		 pw[33];

	if (dummy_hash[0] != '\0')
		return 0;
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(pw, sizeof(pw), rnd, sizeof(rnd));
	if (crypto_pwhash_str(dummy_hash, pw, strlen(pw), OPSLIMIT,
	    MEMLIMIT) != 0) {
		dummy_hash[0] = '\0';
		return -1;
	}
	sodium_memzero(pw, sizeof(pw));
	return 0;
}

void
dh_pass_verify_dummy(const char *pw, size_t len)
{
	if (dh_pass_init() == -1)
		return;
	if (pw == NULL || len == 0 || len > DH_PASS_MAX) {
		pw = "x";
		len = 1;
	}
	(void)(crypto_pwhash_str_verify(dummy_hash, pw, len) == 0);
}

int
dh_pass_needs_rehash(const char *hash)
{
	return crypto_pwhash_str_needs_rehash(hash, OPSLIMIT, MEMLIMIT) != 0;
}
