/*
 * HS256 JSON Web Tokens with libsodium.  The verifier checks the shape of
 * the token before it decodes anything, the header before the signature,
 * and the signature before it parses the claims, so unauthenticated input
 * reaches the JSON parser only as a small, bounded header.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "dh_jwt.h"
#include "dh_util.h"

#define B64V		sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define SIG_LEN		crypto_auth_hmacsha256_BYTES
#define SIG_B64_LEN	43	/* 32 bytes unpadded */

static void
seterr(char *err, size_t errlen, const char *msg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
}

/* Append the base64url text of bin to out at *pos; -1 when it won't fit. */
static int
b64_put(char *out, size_t outlen, size_t *pos, const void *bin, size_t n)
{
	size_t	 need = sodium_base64_ENCODED_LEN(n, B64V);

	if (outlen - *pos < need)
		return -1;
	sodium_bin2base64(out + *pos, need, bin, n, B64V);
	*pos += need - 1;
	return 0;
}

int
dh_jwt_sign_raw(const unsigned char key[DH_JWT_KEY_LEN], const char *header,
    const char *payload, char *out, size_t outlen, char *err, size_t errlen)
{
	unsigned char	 mac[SIG_LEN];
	size_t		 pos = 0;
	int		 rc = -1;

	if (outlen == 0)
		goto toolong;
	out[0] = '\0';
	if (b64_put(out, outlen, &pos, header, strlen(header)) == -1 ||
	    outlen - pos < 2)
		goto toolong;
	out[pos++] = '.';
	if (b64_put(out, outlen, &pos, payload, strlen(payload)) == -1 ||
	    outlen - pos < 2)
		goto toolong;
	crypto_auth_hmacsha256(mac, (const unsigned char *)out, pos, key);
	out[pos++] = '.';
	if (b64_put(out, outlen, &pos, mac, sizeof(mac)) == -1)
		goto toolong;
	rc = 0;
	goto out;
toolong:
	seterr(err, errlen, "token: longer than the output buffer");
	if (outlen > 0)
		out[0] = '\0';
out:
	sodium_memzero(mac, sizeof(mac));
	return rc;
}

int
dh_jwt_sign(const unsigned char key[DH_JWT_KEY_LEN], const char *sub,
    const char *role, long long iat, long long ttl, char *out, size_t outlen,
    char *err, size_t errlen)
{
	json_t	*claims = NULL;
	char	*payload = NULL;
	size_t	 sublen = sub != NULL ? strlen(sub) : 0;
	int	 rc = -1;

	if (sublen == 0 || sublen > DH_JWT_SUB_MAX) {
		seterr(err, errlen, "sub: expected 1 to 190 bytes");
		goto out;
	}
	if (role != NULL && strlen(role) > DH_JWT_ROLE_MAX) {
		seterr(err, errlen, "role: too long");
		goto out;
	}
	if (ttl < 1 || ttl > DH_JWT_MAX_TTL || iat < 0) {
		seterr(err, errlen, "ttl: out of range");
		goto out;
	}
	claims = json_pack("{s:s, s:I, s:I, s:I}", "sub", sub,
	    "iat", (json_int_t)iat, "nbf", (json_int_t)iat,
	    "exp", (json_int_t)(iat + ttl));
	if (claims == NULL ||
	    (role != NULL && json_object_set_new(claims, "role",
	    json_string(role)) != 0)) {
		seterr(err, errlen, "claims: cannot encode");
		goto out;
	}
	if ((payload = json_dumps(claims, JSON_COMPACT)) == NULL) {
		seterr(err, errlen, "claims: cannot encode");
		goto out;
	}
	rc = dh_jwt_sign_raw(key, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
	    payload, out, outlen, err, errlen);
out:
	free(payload);
	json_decref(claims);
	return rc;
}

/*
 * Decode one unpadded, canonical base64url segment of n characters into
 * buf (cap bytes).  Returns the decoded length or -1.
 */
static long
b64_get(const char *seg, size_t n, unsigned char *buf, size_t cap)
{
	size_t	 got = 0;

	if (sodium_base642bin(buf, cap, seg, n, NULL, &got, NULL, B64V) != 0)
		return -1;
	return (long)got;
}

/* Parse a decoded segment as a JSON object; duplicates are rejected. */
static json_t *
parse_object(const unsigned char *buf, size_t n)
{
	json_t		*j;
	json_error_t	 e;

	j = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, &e);
	if (j != NULL && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

static int
check_header(const json_t *h, char *err, size_t errlen)
{
	const char	*k;
	json_t		*v;

	json_object_foreach((json_t *)h, k, v) {
		if (strcmp(k, "alg") == 0) {
			if (!json_is_string(v) ||
			    strcmp(json_string_value(v), "HS256") != 0 ||
			    json_string_length(v) != 5) {
				seterr(err, errlen, "header: alg is not HS256");
				return -1;
			}
		} else if (strcmp(k, "typ") == 0) {
			if (!json_is_string(v) ||
			    strcmp(json_string_value(v), "JWT") != 0 ||
			    json_string_length(v) != 3) {
				seterr(err, errlen, "header: typ is not JWT");
				return -1;
			}
		} else {
			/* crit, jku, jwk, kid, x5u...: none is understood. */
			seterr(err, errlen, "header: unsupported parameter");
			return -1;
		}
	}
	if (json_object_get(h, "alg") == NULL) {
		seterr(err, errlen, "header: alg is missing");
		return -1;
	}
	return 0;
}

/* A required (or, when optional, possibly absent) integer claim. */
static int
int_claim(const json_t *p, const char *name, int optional, long long *out,
    char *err, size_t errlen)
{
	json_t	*v = json_object_get(p, name);

	*out = 0;
	if (v == NULL && optional)
		return 0;
	if (v == NULL || !json_is_integer(v) || json_integer_value(v) < 0) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "claims: %s is %s", name,
			    v == NULL ? "missing" : "not a non-negative "
			    "integer");
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

static int
check_claims(const json_t *p, long long now, struct dh_jwt_claims *c,
    char *err, size_t errlen)
{
	json_t	*sub = json_object_get(p, "sub");
	json_t	*role = json_object_get(p, "role");
	size_t	 n;

	if (sub == NULL || !json_is_string(sub)) {
		seterr(err, errlen, "claims: sub is missing or not a string");
		return -1;
	}
	n = json_string_length(sub);
	if (n == 0 || n > DH_JWT_SUB_MAX ||
	    strlen(json_string_value(sub)) != n) {
		seterr(err, errlen, "claims: sub has a bad length");
		return -1;
	}
	if (role != NULL && (!json_is_string(role) ||
	    json_string_length(role) > DH_JWT_ROLE_MAX ||
	    strlen(json_string_value(role)) != json_string_length(role))) {
		seterr(err, errlen, "claims: role is not a short string");
		return -1;
	}
	if (int_claim(p, "iat", 0, &c->iat, err, errlen) == -1 ||
	    int_claim(p, "exp", 0, &c->exp, err, errlen) == -1 ||
	    int_claim(p, "nbf", 1, &c->nbf, err, errlen) == -1)
		return -1;
	if (c->exp <= c->iat || c->exp - c->iat > DH_JWT_MAX_TTL) {
		seterr(err, errlen, "claims: exp is not within the allowed "
		    "lifetime after iat");
		return -1;
	}
	if (now >= c->exp) {
		seterr(err, errlen, "token: expired");
		return -1;
	}
	if (c->nbf > now + DH_JWT_SKEW) {
		seterr(err, errlen, "token: not yet valid");
		return -1;
	}
	if (c->iat > now + DH_JWT_SKEW) {
		seterr(err, errlen, "token: issued in the future");
		return -1;
	}
	memcpy(c->sub, json_string_value(sub), n);
	c->sub[n] = '\0';
	if (role != NULL)
		dh_strlcpy(c->role, json_string_value(role), sizeof(c->role));
	return 0;
}

int
dh_jwt_verify(const unsigned char key[DH_JWT_KEY_LEN], const char *token,
    long long now, struct dh_jwt_claims *claims, char *err, size_t errlen)
{
	unsigned char	 buf[DH_JWT_MAX];
	unsigned char	 sig[SIG_LEN + 1];
	json_t		*hdr = NULL, *pay = NULL;
	const char	*dot[2] = { NULL, NULL };
	size_t		 len, ndots = 0, hlen, plen, slen;
	long		 n;
	int		 rc = -1;

	memset(claims, 0, sizeof(*claims));
	if (token == NULL ||
	    (len = strnlen(token, DH_JWT_MAX + 1)) == 0) {
		seterr(err, errlen, "token: empty");
		goto out;
	}
	if (len > DH_JWT_MAX) {
		seterr(err, errlen, "token: longer than 4096 bytes");
		goto out;
	}
	for (size_t i = 0; i < len; i++) {
		char	 ch = token[i];

		if (ch == '.') {
			if (ndots < 2)
				dot[ndots] = &token[i];
			ndots++;
		} else if (!((ch >= 'A' && ch <= 'Z') ||
		    (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '_')) {
			seterr(err, errlen, "token: character outside "
			    "base64url");
			goto out;
		}
	}
	if (ndots != 2) {
		seterr(err, errlen, "token: not three segments");
		goto out;
	}
	hlen = (size_t)(dot[0] - token);
	plen = (size_t)(dot[1] - dot[0] - 1);
	slen = len - (size_t)(dot[1] - token) - 1;
	if (hlen == 0 || plen == 0 || slen != SIG_B64_LEN) {
		seterr(err, errlen, "token: empty or malformed segment");
		goto out;
	}

	/* The header: HS256 and nothing we do not understand. */
	if ((n = b64_get(token, hlen, buf, sizeof(buf))) <= 0) {
		seterr(err, errlen, "header: bad base64url");
		goto out;
	}
	if ((hdr = parse_object(buf, (size_t)n)) == NULL) {
		seterr(err, errlen, "header: not a JSON object");
		goto out;
	}
	if (check_header(hdr, err, errlen) == -1)
		goto out;

	/* The signature over "header.payload", in constant time. */
	if (b64_get(dot[1] + 1, slen, sig, sizeof(sig)) != SIG_LEN) {
		seterr(err, errlen, "signature: bad base64url");
		goto out;
	}
	if (crypto_auth_hmacsha256_verify(sig, (const unsigned char *)token,
	    (size_t)(dot[1] - token), key) != 0) {
		seterr(err, errlen, "signature: does not match");
		goto out;
	}

	/* The claims, now that they are known to be ours. */
	if ((n = b64_get(dot[0] + 1, plen, buf, sizeof(buf))) <= 0) {
		seterr(err, errlen, "claims: bad base64url");
		goto out;
	}
	if ((pay = parse_object(buf, (size_t)n)) == NULL) {
		seterr(err, errlen, "claims: not a JSON object or duplicate "
		    "keys");
		goto out;
	}
	if (check_claims(pay, now, claims, err, errlen) == -1)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		memset(claims, 0, sizeof(*claims));
	json_decref(hdr);
	json_decref(pay);
	return rc;
}

int
dh_jwt_key_load(const char *path, unsigned char key[DH_JWT_KEY_LEN],
    char *err, size_t errlen)
{
	struct stat	 st;
	unsigned char	 tmp[DH_JWT_KEY_LEN + 1];
	size_t		 got = 0;
	ssize_t		 r;
	int		 fd = -1, rc = -1;

	sodium_memzero(key, DH_JWT_KEY_LEN);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "open %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "fstat %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errlen, "%s: mode %03o gives access to group or "
		    "other; expected 0600", path,
		    (unsigned)(st.st_mode & 0777));
		goto out;
	}
	if (st.st_size != DH_JWT_KEY_LEN) {
		snprintf(err, errlen, "%s: expected exactly %d bytes", path,
		    DH_JWT_KEY_LEN);
		goto out;
	}
	/* Read one byte more than needed to notice a file that grew. */
	while (got < sizeof(tmp)) {
		r = read(fd, tmp + got, sizeof(tmp) - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			snprintf(err, errlen, "read %s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got != DH_JWT_KEY_LEN) {
		snprintf(err, errlen, "%s: expected exactly %d bytes", path,
		    DH_JWT_KEY_LEN);
		goto out;
	}
	memcpy(key, tmp, DH_JWT_KEY_LEN);
	rc = 0;
out:
	sodium_memzero(tmp, sizeof(tmp));
	if (fd != -1)
		close(fd);
	return rc;
}

int
dh_jwt_key_create(const char *path, char *err, size_t errlen)
{
	unsigned char	 key[DH_JWT_KEY_LEN];
	size_t		 put = 0;
	ssize_t		 w;
	int		 fd = -1, rc = -1, made = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		snprintf(err, errlen, "create %s: %s", path, strerror(errno));
		goto out;
	}
	made = 1;
	/* The umask can only take bits away; make sure of the owner's. */
	if (fchmod(fd, 0600) == -1) {
		snprintf(err, errlen, "fchmod %s: %s", path, strerror(errno));
		goto out;
	}
	randombytes_buf(key, sizeof(key));
	while (put < sizeof(key)) {
		w = write(fd, key + put, sizeof(key) - put);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(err, errlen, "write %s: %s", path,
			    w == 0 ? "short write" : strerror(errno));
			goto out;
		}
		put += (size_t)w;
	}
	if (fsync(fd) == -1) {
		snprintf(err, errlen, "fsync %s: %s", path, strerror(errno));
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		snprintf(err, errlen, "close %s: %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	rc = 0;
out:
	sodium_memzero(key, sizeof(key));
	if (fd != -1)
		close(fd);
	if (rc != 0 && made)
		unlink(path);
	return rc;
}
