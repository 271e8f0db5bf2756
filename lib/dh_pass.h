/*
 * Password hashing: libsodium's crypto_pwhash_str (argon2id) at the
 * INTERACTIVE limits (64 MiB, 2 passes: about 0.12 s here; MODERATE took
 * 1.1 s, too slow for a login with two workers per host).  Passwords are
 * byte strings of DH_PASS_MIN..DH_PASS_MAX bytes without NUL.
 */
#ifndef DH_PASS_H
#define DH_PASS_H

#include <stddef.h>

#include <sodium.h>

#define DH_PASS_MIN	8
#define DH_PASS_MAX	256
#define DH_PASS_HASH_LEN crypto_pwhash_STRBYTES	/* with the NUL */

/*
 * Whether pw (len bytes) is acceptable as a new password: length within
 * bounds and no NUL.  Returns 0, or -1 with a reason in err.
 */
int	 dh_pass_check(const char *pw, size_t len, char *err, size_t errlen);

/*
 * Hash pw (checked with dh_pass_check first) into out, a NUL-terminated
 * "$argon2id$..." string.  Returns 0, or -1 with err set (out of memory
 * or a bad password).
 */
int	 dh_pass_hash(const char *pw, size_t len, char out[DH_PASS_HASH_LEN],
	    char *err, size_t errlen);

/*
 * Whether pw matches hash (a crypto_pwhash_str string).  Returns 0 on a
 * match, -1 otherwise (including a malformed hash or a password that is
 * empty, too long or holds a NUL).
 */
int	 dh_pass_verify(const char *hash, const char *pw, size_t len);

/*
 * Spend the time of one dh_pass_verify without a user, so that a login
 * for an unknown account costs what a wrong password costs.  The dummy
 * hash is made on the first call; call dh_pass_init() at start-up to keep
 * that cost out of the first request.  Always "fails".
 */
void	 dh_pass_verify_dummy(const char *pw, size_t len);

/* Prepare the dummy hash; 0 or -1 (out of memory). */
int	 dh_pass_init(void);

/* Whether hash was made with other limits than the current ones. */
int	 dh_pass_needs_rehash(const char *hash);

#endif
