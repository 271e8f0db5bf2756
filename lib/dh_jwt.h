/*
 * JSON Web Tokens, HS256 only: HMAC-SHA256 from libsodium under a 32-byte
 * key kept in a file only Deskhub can read.  Verification is strict: three
 * unpadded base64url segments, a bounded size, a header that names HS256
 * and nothing else, duplicate JSON keys rejected, required claims typed.
 * Nothing here logs, and no error message carries a token or a key.
 */
#ifndef DH_JWT_H
#define DH_JWT_H

#include <stddef.h>

#define DH_JWT_KEY_LEN	32		/* crypto_auth_hmacsha256_KEYBYTES */
#define DH_JWT_MAX	4096		/* whole token, in bytes */
#define DH_JWT_SUB_MAX	190		/* sub claim, in bytes */
#define DH_JWT_ROLE_MAX	15		/* role claim, in bytes */
#define DH_JWT_SKEW	30		/* seconds of clock skew for nbf, iat */
#define DH_JWT_MAX_TTL	(7 * 86400)	/* longest exp - iat accepted */

/* The claims of a verified token. */
struct dh_jwt_claims {
	char		 sub[DH_JWT_SUB_MAX + 1];
	char		 role[DH_JWT_ROLE_MAX + 1];	/* "" when absent */
	long long	 iat;
	long long	 exp;
	long long	 nbf;		/* 0 when absent */
};

/*
 * Sign a token for sub (1..DH_JWT_SUB_MAX bytes) and role (may be NULL)
 * issued at iat and valid for ttl seconds (1..DH_JWT_MAX_TTL): header
 * {"alg":"HS256","typ":"JWT"}, claims sub, role, iat, nbf = iat and
 * exp = iat + ttl.  Writes the NUL-terminated token into out (outlen
 * bytes).  Returns 0, or -1 with a message in err.
 */
int	 dh_jwt_sign(const unsigned char key[DH_JWT_KEY_LEN], const char *sub,
	    const char *role, long long iat, long long ttl, char *out,
	    size_t outlen, char *err, size_t errlen);

/*
 * Sign the given header and payload texts exactly as they are (encoded,
 * not reparsed).  For tests and tools that need odd tokens; servers use
 * dh_jwt_sign.  Same returns as dh_jwt_sign.
 */
int	 dh_jwt_sign_raw(const unsigned char key[DH_JWT_KEY_LEN],
	    const char *header, const char *payload, char *out, size_t outlen,
	    char *err, size_t errlen);

/*
 * Verify token at time now (seconds since the epoch) and fill *claims.
 * Accepts only: at most DH_JWT_MAX bytes; exactly three segments of
 * unpadded base64url ([A-Za-z0-9_-], canonical); a header object with
 * "alg":"HS256", optionally "typ":"JWT" and no other member; a valid
 * HMAC-SHA256 signature compared in constant time; a payload object
 * without duplicate keys holding sub (string, 1..DH_JWT_SUB_MAX bytes),
 * iat and exp (non-negative integers, iat < exp, exp - iat at most
 * DH_JWT_MAX_TTL), optionally nbf (integer) and role (string).
 * Time rules: exp is strict (valid while now < exp, no leeway); nbf and
 * iat may lie up to DH_JWT_SKEW seconds in the future for clock skew
 * between app hosts.  Returns 0, or -1 with a reason in err that never
 * quotes the token.
 */
int	 dh_jwt_verify(const unsigned char key[DH_JWT_KEY_LEN],
	    const char *token, long long now, struct dh_jwt_claims *claims,
	    char *err, size_t errlen);

/*
 * Read the key from path into key.  Refuses anything but a regular file
 * (symbolic links are not followed) of exactly DH_JWT_KEY_LEN bytes with
 * no permission for group or other.  Returns 0, or -1 with err set and
 * key zeroed.
 */
int	 dh_jwt_key_load(const char *path, unsigned char key[DH_JWT_KEY_LEN],
	    char *err, size_t errlen);

/*
 * Create path (which must not exist) with mode 0600 holding
 * DH_JWT_KEY_LEN random bytes.  Returns 0, or -1 with err set; a
 * partly written file is removed.
 */
int	 dh_jwt_key_create(const char *path, char *err, size_t errlen);

#endif
