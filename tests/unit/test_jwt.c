/*
 * Unit tests of lib/dh_jwt.c: a table of tokens, each signed with
 * dh_jwt_sign_raw, optionally mangled, and verified at a fixed time; then
 * the key file rules.  Every attack of issue 3 has a named row.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "dh_jwt.h"
#include "dh_util.h"

#define NOW	1700000000LL
#define TOKMAX	16384

/* Header texts. */
#define H_OK	"{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
/* Claims valid at NOW: issued 10 s ago, valid for an hour. */
#define P_OK	"{\"sub\":\"ann@example.com\",\"role\":\"user\"," \
		"\"iat\":1699999990,\"nbf\":1699999990,\"exp\":1700003600}"
#define P_ADMIN	"{\"sub\":\"ann@example.com\",\"role\":\"admin\"," \
		"\"iat\":1699999990,\"nbf\":1699999990,\"exp\":1700003600}"

enum mut {
	M_NONE,
	M_TAMPER,	/* payload of another token, this signature */
	M_SIG_FLIP,	/* one signature character changed */
	M_SIG_NONCANON,	/* last signature character with stray bits */
	M_SIG_EMPTY,	/* "h.p." */
	M_SIG_DROP,	/* "h.p" */
	M_EXTRA_SEG,	/* "h.p.s.x" */
	M_EXTRA_DOT,	/* "h.p.s." */
	M_EMPTY_HDR,	/* ".p.s" */
	M_PAD_HDR,	/* "=" added to the header */
	M_PAD_SIG,	/* "=" added to the signature */
	M_PLUS,		/* '-' or '_' replaced by the base64 '+' */
	M_SLASH,	/* ... by '/' */
	M_SPACE,	/* a space in the payload */
	M_NEWLINE,	/* a trailing newline */
	M_LEADING_WS,	/* a leading space */
	M_EMPTY,	/* the empty string */
};

struct tcase {
	const char	*name;
	const char	*header;
	const char	*payload;
	int		 wrong_key;
	enum mut	 mut;
	int		 expect;	/* 0 accepted, -1 refused */
	const char	*why;		/* the refusal's reason */
};

/* The refusals, as dh_jwt_verify words them. */
#define R_SEGMENT	"token: empty or malformed segment"
#define R_THREE		"token: not three segments"
#define R_CHAR		"token: character outside base64url"
#define R_ALG		"header: alg is not HS256"
#define R_TYP		"header: typ is not JWT"
#define R_PARAM		"header: unsupported parameter"
#define R_HDR_JSON	"header: not a JSON object"
#define R_SIG		"signature: does not match"
#define R_EXPIRED	"token: expired"
#define R_NBF		"token: not yet valid"
#define R_LIFETIME	"claims: exp is not within the allowed lifetime " \
			"after iat"
#define R_PAY_JSON	"claims: not a JSON object or duplicate keys"
#define R_SUB		"claims: sub is missing or not a string"
#define R_ROLE		"claims: role is not a short string"

static const struct tcase cases[] = {
	/* Good tokens. */
	{ "valid", H_OK,
	    P_OK, 0, M_NONE, 0, NULL },
	{ "valid without typ", "{\"alg\":\"HS256\"}",
	    P_OK, 0, M_NONE, 0, NULL },
	{ "valid without nbf and role", H_OK,
	    "{\"sub\":\"a@b.c\",\"iat\":1699999990,\"exp\":1700003600}",
	    0, M_NONE, 0, NULL },
	{ "nbf within clock skew", H_OK,
	    "{\"sub\":\"a@b.c\",\"iat\":1700000000,\"nbf\":1700000030,"
	    "\"exp\":1700003600}", 0, M_NONE, 0, NULL },
	{ "iat within clock skew", H_OK,
	    "{\"sub\":\"a@b.c\",\"iat\":1700000030,\"exp\":1700003600}",
	    0, M_NONE, 0, NULL },
	{ "exp one second ahead", H_OK,
	    "{\"sub\":\"a@b.c\",\"iat\":1699999990,\"exp\":1700000001}",
	    0, M_NONE, 0, NULL },

	/* Algorithms and other header parameters. */
	{ "alg none unsigned", "{\"alg\":\"none\",\"typ\":\"JWT\"}",
	    P_OK, 0, M_SIG_EMPTY, -1, R_SEGMENT },
	{ "alg none signed", "{\"alg\":\"none\",\"typ\":\"JWT\"}",
	    P_OK, 0, M_NONE, -1, R_ALG },
	{ "alg None", "{\"alg\":\"None\"}",
	    P_OK, 0, M_NONE, -1, R_ALG },
	{ "alg hs256 lower case", "{\"alg\":\"hs256\"}",
	    P_OK, 0, M_NONE, -1, R_ALG },
	{ "alg HS384", "{\"alg\":\"HS384\",\"typ\":\"JWT\"}",
	    P_OK, 0, M_NONE, -1, R_ALG },
	{ "alg HS512", "{\"alg\":\"HS512\"}",
	    P_OK, 0, M_NONE, -1, R_ALG },
	{ "alg RS256", "{\"alg\":\"RS256\",\"typ\":\"JWT\"}",
	    P_OK, 0, M_NONE, -1, R_ALG },
	{ "alg ES256", "{\"alg\":\"ES256\"}",
	    P_OK, 0, M_NONE, -1, R_ALG },
	{ "alg with trailing space", "{\"alg\":\"HS256 \"}",
	    P_OK, 0, M_NONE, -1, R_ALG },
	{ "alg with NUL escape", "{\"alg\":\"HS256\\u0000\"}",
	    P_OK, 0, M_NONE, -1, R_HDR_JSON },
	{ "alg missing", "{\"typ\":\"JWT\"}",
	    P_OK, 0, M_NONE, -1, "header: alg is missing" },
	{ "alg null", "{\"alg\":null}",
	    P_OK, 0, M_NONE, -1, R_ALG },
	{ "alg number", "{\"alg\":256}",
	    P_OK, 0, M_NONE, -1, R_ALG },
	{ "alg array", "{\"alg\":[\"HS256\"]}",
	    P_OK, 0, M_NONE, -1, R_ALG },
	{ "alg duplicate", "{\"alg\":\"HS256\",\"alg\":\"none\"}",
	    P_OK, 0, M_NONE, -1, R_HDR_JSON },
	{ "crit present", "{\"alg\":\"HS256\",\"crit\":[\"exp\"]}",
	    P_OK, 0, M_NONE, -1, R_PARAM },
	{ "crit empty", "{\"alg\":\"HS256\",\"crit\":[]}",
	    P_OK, 0, M_NONE, -1, R_PARAM },
	{ "kid present", "{\"alg\":\"HS256\",\"kid\":\"../../etc/passwd\"}",
	    P_OK, 0, M_NONE, -1, R_PARAM },
	{ "jwk present", "{\"alg\":\"HS256\",\"jwk\":{}}",
	    P_OK, 0, M_NONE, -1, R_PARAM },
	{ "typ JWS", "{\"alg\":\"HS256\",\"typ\":\"JWS\"}",
	    P_OK, 0, M_NONE, -1, R_TYP },
	{ "typ number", "{\"alg\":\"HS256\",\"typ\":1}",
	    P_OK, 0, M_NONE, -1, R_TYP },
	{ "header array", "[\"HS256\"]",
	    P_OK, 0, M_NONE, -1, R_HDR_JSON },
	{ "header string", "\"HS256\"",
	    P_OK, 0, M_NONE, -1, R_HDR_JSON },
	{ "header not JSON", "alg=HS256",
	    P_OK, 0, M_NONE, -1, R_HDR_JSON },
	{ "header trailing garbage", H_OK "x",
	    P_OK, 0, M_NONE, -1, R_HDR_JSON },

	/* Signatures and keys. */
	{ "tampered payload", H_OK,
	    P_OK, 0, M_TAMPER, -1, R_SIG },
	{ "wrong key", H_OK,
	    P_OK, 1, M_NONE, -1, R_SIG },
	{ "signature changed", H_OK,
	    P_OK, 0, M_SIG_FLIP, -1, R_SIG },
	{ "signature non-canonical", H_OK,
	    P_OK, 0, M_SIG_NONCANON, -1, "signature: bad base64url" },
	{ "signature empty", H_OK,
	    P_OK, 0, M_SIG_EMPTY, -1, R_SEGMENT },

	/* Times. */
	{ "expired", H_OK,
	    "{\"sub\":\"a@b.c\",\"iat\":1699990000,\"exp\":1699999999}",
	    0, M_NONE, -1, R_EXPIRED },
	{ "expires now", H_OK,
	    "{\"sub\":\"a@b.c\",\"iat\":1699990000,\"exp\":1700000000}",
	    0, M_NONE, -1, R_EXPIRED },
	{ "nbf in the future", H_OK,
	    "{\"sub\":\"a@b.c\",\"iat\":1700000000,\"nbf\":1700000031,"
	    "\"exp\":1700003600}", 0, M_NONE, -1, R_NBF },
	{ "nbf far in the future", H_OK,
	    "{\"sub\":\"a@b.c\",\"iat\":1700000000,\"nbf\":1700100000,"
	    "\"exp\":1700200000}", 0, M_NONE, -1, R_NBF },
	{ "iat in the future", H_OK,
	    "{\"sub\":\"a@b.c\",\"iat\":1700000031,\"exp\":1700003600}",
	    0, M_NONE, -1, "token: issued in the future" },
	{ "exp before iat", H_OK,
	    "{\"sub\":\"a@b.c\",\"iat\":1700003600,\"exp\":1700003000}",
	    0, M_NONE, -1, R_LIFETIME },
	{ "lifetime over a week", H_OK,
	    "{\"sub\":\"a@b.c\",\"iat\":1699999990,\"exp\":1800000000}",
	    0, M_NONE, -1, R_LIFETIME },

	/* Base64url. */
	{ "padding in header", H_OK,
	    P_OK, 0, M_PAD_HDR, -1, R_CHAR },
	{ "padding in signature", H_OK,
	    P_OK, 0, M_PAD_SIG, -1, R_CHAR },
	{ "plus character", H_OK,
	    P_OK, 0, M_PLUS, -1, R_CHAR },
	{ "slash character", H_OK,
	    P_OK, 0, M_SLASH, -1, R_CHAR },
	{ "space inside", H_OK,
	    P_OK, 0, M_SPACE, -1, R_CHAR },
	{ "trailing newline", H_OK,
	    P_OK, 0, M_NEWLINE, -1, R_CHAR },
	{ "leading space", H_OK,
	    P_OK, 0, M_LEADING_WS, -1, R_CHAR },

	/* Segments. */
	{ "extra segment", H_OK,
	    P_OK, 0, M_EXTRA_SEG, -1, R_THREE },
	{ "extra dot", H_OK,
	    P_OK, 0, M_EXTRA_DOT, -1, R_THREE },
	{ "two segments", H_OK,
	    P_OK, 0, M_SIG_DROP, -1, R_THREE },
	{ "empty header segment", H_OK,
	    P_OK, 0, M_EMPTY_HDR, -1, R_SEGMENT },
	{ "empty token", H_OK,
	    P_OK, 0, M_EMPTY, -1, "token: empty" },

	/* Claims. */
	{ "duplicate sub", H_OK,
	    "{\"sub\":\"a@b.c\",\"sub\":\"admin\",\"iat\":1699999990,"
	    "\"exp\":1700003600}", 0, M_NONE, -1, R_PAY_JSON },
	{ "duplicate exp", H_OK,
	    "{\"sub\":\"a@b.c\",\"iat\":1699999990,\"exp\":1699999999,"
	    "\"exp\":1700003600}", 0, M_NONE, -1, R_PAY_JSON },
	{ "duplicate role", H_OK,
	    "{\"sub\":\"a@b.c\",\"role\":\"user\",\"role\":\"admin\","
	    "\"iat\":1699999990,\"exp\":1700003600}",
	    0, M_NONE, -1, R_PAY_JSON },
	{ "missing sub", H_OK,
	    "{\"iat\":1699999990,\"exp\":1700003600}", 0, M_NONE, -1, R_SUB },
	{ "missing exp", H_OK,
	    "{\"sub\":\"a@b.c\",\"iat\":1699999990}",
	    0, M_NONE, -1, "claims: exp is missing" },
	{ "missing iat", H_OK,
	    "{\"sub\":\"a@b.c\",\"exp\":1700003600}",
	    0, M_NONE, -1, "claims: iat is missing" },
	{ "sub empty", H_OK,
	    "{\"sub\":\"\",\"iat\":1699999990,\"exp\":1700003600}",
	    0, M_NONE, -1, "claims: sub has a bad length" },
	{ "sub number", H_OK,
	    "{\"sub\":7,\"iat\":1699999990,\"exp\":1700003600}",
	    0, M_NONE, -1, R_SUB },
	{ "sub with NUL", H_OK,
	    "{\"sub\":\"a\\u0000b\",\"iat\":1699999990,\"exp\":1700003600}",
	    0, M_NONE, -1, R_PAY_JSON },
	{ "exp real", H_OK,
	    "{\"sub\":\"a@b.c\",\"iat\":1699999990,\"exp\":1700003600.5}",
	    0, M_NONE, -1, "claims: exp is not a non-negative integer" },
	{ "exp string", H_OK,
	    "{\"sub\":\"a@b.c\",\"iat\":1699999990,\"exp\":\"1700003600\"}",
	    0, M_NONE, -1, "claims: exp is not a non-negative integer" },
	{ "exp negative", H_OK,
	    "{\"sub\":\"a@b.c\",\"iat\":1699999990,\"exp\":-1}",
	    0, M_NONE, -1, "claims: exp is not a non-negative integer" },
	{ "iat null", H_OK,
	    "{\"sub\":\"a@b.c\",\"iat\":null,\"exp\":1700003600}",
	    0, M_NONE, -1, "claims: iat is not a non-negative integer" },
	{ "nbf string", H_OK,
	    "{\"sub\":\"a@b.c\",\"iat\":1699999990,\"nbf\":\"0\","
	    "\"exp\":1700003600}",
	    0, M_NONE, -1, "claims: nbf is not a non-negative integer" },
	{ "role number", H_OK,
	    "{\"sub\":\"a@b.c\",\"role\":1,\"iat\":1699999990,"
	    "\"exp\":1700003600}", 0, M_NONE, -1, R_ROLE },
	{ "role too long", H_OK,
	    "{\"sub\":\"a@b.c\",\"role\":\"administrator-of-all\","
	    "\"iat\":1699999990,\"exp\":1700003600}", 0, M_NONE, -1, R_ROLE },
	{ "payload array", H_OK,
	    "[" P_OK "]", 0, M_NONE, -1, R_PAY_JSON },
	{ "payload string", H_OK,
	    "\"ann@example.com\"", 0, M_NONE, -1, R_PAY_JSON },
	{ "payload number", H_OK,
	    "1700003600", 0, M_NONE, -1, R_PAY_JSON },
	{ "payload null", H_OK,
	    "null", 0, M_NONE, -1, R_PAY_JSON },
	{ "payload trailing garbage", H_OK,
	    P_OK "{}", 0, M_NONE, -1, R_PAY_JSON },
	{ "payload not JSON", H_OK,
	    "sub=admin", 0, M_NONE, -1, R_PAY_JSON },
};

static unsigned char	 key1[DH_JWT_KEY_LEN], key2[DH_JWT_KEY_LEN];


/* Pointers to the two dots of tok. */
static void
dots(char *tok, char **d1, char **d2)
{
	*d1 = strchr(tok, '.');
	assert_non_null(*d1);
	*d2 = strchr(*d1 + 1, '.');
	assert_non_null(*d2);
}

/* Insert s at position p of tok (size TOKMAX). */
static void
insert_at(char *tok, char *p, const char *s)
{
	size_t	 n = strlen(s);

	assert_true(strlen(tok) + n < TOKMAX);
	memmove(p + n, p, strlen(p) + 1);
	memcpy(p, s, n);
}

/* Replace the first '-' or '_' of the header and payload with c. */
static void
replace_url_char(char *tok, char c)
{
	char	*d1, *d2;

	dots(tok, &d1, &d2);
	for (char *p = tok; p < d2; p++)
		if (*p == '-' || *p == '_') {
			*p = c;
			return;
		}
	/* No such character: put c into the payload instead. */
	d1[1] = c;
}

static void
mutate(char *tok, enum mut m)
{
	char	 other[TOKMAX], err[128], *d1, *d2, *o1, *o2;
	size_t	 n;

	switch (m) {
	case M_NONE:
		break;
	case M_TAMPER:
		assert_int_equal(dh_jwt_sign_raw(key1, H_OK, P_ADMIN, other,
		    sizeof(other), err, sizeof(err)), 0);
		dots(tok, &d1, &d2);
		dots(other, &o1, &o2);
		memmove(d1 + (o2 - o1), d2, strlen(d2) + 1);
		memcpy(d1, o1, (size_t)(o2 - o1));
		break;
	case M_SIG_FLIP:
		dots(tok, &d1, &d2);
		d2[5] = d2[5] == 'A' ? 'B' : 'A';
		break;
	case M_SIG_NONCANON:
		/* 43 characters carry 258 bits; the last 2 must be 0. */
		n = strlen(tok);
		tok[n - 1] = tok[n - 1] == 'A' ? 'B' : tok[n - 1] + 1;
		break;
	case M_SIG_EMPTY:
		dots(tok, &d1, &d2);
		d2[1] = '\0';
		break;
	case M_SIG_DROP:
		dots(tok, &d1, &d2);
		*d2 = '\0';
		break;
	case M_EXTRA_SEG:
		insert_at(tok, tok + strlen(tok), ".eyJ4IjoxfQ");
		break;
	case M_EXTRA_DOT:
		insert_at(tok, tok + strlen(tok), ".");
		break;
	case M_EMPTY_HDR:
		dots(tok, &d1, &d2);
		memmove(tok, d1, strlen(d1) + 1);
		break;
	case M_PAD_HDR:
		dots(tok, &d1, &d2);
		insert_at(tok, d1, "=");
		break;
	case M_PAD_SIG:
		insert_at(tok, tok + strlen(tok), "=");
		break;
	case M_PLUS:
		replace_url_char(tok, '+');
		break;
	case M_SLASH:
		replace_url_char(tok, '/');
		break;
	case M_SPACE:
		dots(tok, &d1, &d2);
		insert_at(tok, d1 + 3, " ");
		break;
	case M_NEWLINE:
		insert_at(tok, tok + strlen(tok), "\n");
		break;
	case M_LEADING_WS:
		insert_at(tok, tok, " ");
		break;
	case M_EMPTY:
		tok[0] = '\0';
		break;
	}
}

static void
run_case(void **state)
{
	const struct tcase	*tc = *state;
	struct dh_jwt_claims	 c;
	char			 tok[TOKMAX], err[256] = "", *d1, *d2;
	int			 rc;

	assert_int_equal(dh_jwt_sign_raw(tc->wrong_key ? key2 : key1,
	    tc->header, tc->payload, tok, sizeof(tok), err, sizeof(err)), 0);
	mutate(tok, tc->mut);
	rc = dh_jwt_verify(key1, tok, NOW, &c, err, sizeof(err));
	if (rc != tc->expect)
		fail_msg("%s: expected %d, got %d (%s)", tc->name, tc->expect,
		    rc, err);
	if (rc == 0) {
		assert_true(c.sub[0] != '\0');
		assert_true(c.exp > NOW);
		return;
	}
	/* A refusal says why, and without quoting the token. */
	if (strcmp(err, tc->why) != 0)
		fail_msg("%s: refused for \"%s\", expected \"%s\"",
		    tc->name, err, tc->why);
	assert_string_equal(c.sub, "");
	if ((d1 = strchr(tok, '.')) != NULL &&
	    (d2 = strchr(d1 + 1, '.')) != NULL && strlen(d2 + 1) > 8)
		assert_null(strstr(err, d2 + 1));
}

/* dh_jwt_sign and dh_jwt_verify agree, and the claims come back. */
static void
test_roundtrip(void **state)
{
	struct dh_jwt_claims	 c;
	char			 tok[TOKMAX], err[256];

	assert_int_equal(dh_jwt_sign(key1, "ann@example.com", "manager", NOW,
	    3600, tok, sizeof(tok), err, sizeof(err)), 0);
	assert_int_equal(dh_jwt_verify(key1, tok, NOW, &c, err, sizeof(err)),
	    0);
	assert_string_equal(c.sub, "ann@example.com");
	assert_string_equal(c.role, "manager");
	assert_int_equal(c.iat, NOW);
	assert_int_equal(c.nbf, NOW);
	assert_int_equal(c.exp, NOW + 3600);
	/* Valid until the last second, refused at exp. */
	assert_int_equal(dh_jwt_verify(key1, tok, NOW + 3599, &c, err,
	    sizeof(err)), 0);
	assert_int_equal(dh_jwt_verify(key1, tok, NOW + 3600, &c, err,
	    sizeof(err)), -1);
	assert_int_equal(dh_jwt_verify(key2, tok, NOW, &c, err, sizeof(err)),
	    -1);
	/* Bad arguments to the signer. */
	assert_int_equal(dh_jwt_sign(key1, "", NULL, NOW, 3600, tok,
	    sizeof(tok), err, sizeof(err)), -1);
	assert_int_equal(dh_jwt_sign(key1, "a", NULL, NOW, 0, tok,
	    sizeof(tok), err, sizeof(err)), -1);
	assert_int_equal(dh_jwt_sign(key1, "a", NULL, NOW, 3600, tok, 20,
	    err, sizeof(err)), -1);
	assert_string_equal(tok, "");
}

/* sub is limited to 190 bytes. */
static void
test_sub_length(void **state)
{
	struct dh_jwt_claims	 c;
	char			 sub[DH_JWT_SUB_MAX + 2], tok[TOKMAX];
	char			 pay[512], err[256];

	memset(sub, 'a', sizeof(sub) - 1);
	sub[DH_JWT_SUB_MAX] = '\0';
	snprintf(pay, sizeof(pay), "{\"sub\":\"%s\",\"iat\":%lld,"
	    "\"exp\":%lld}", sub, NOW, NOW + 60);
	assert_int_equal(dh_jwt_sign_raw(key1, H_OK, pay, tok, sizeof(tok),
	    err, sizeof(err)), 0);
	assert_int_equal(dh_jwt_verify(key1, tok, NOW, &c, err, sizeof(err)),
	    0);
	assert_int_equal(strlen(c.sub), DH_JWT_SUB_MAX);

	memset(sub, 'a', sizeof(sub) - 1);
	sub[DH_JWT_SUB_MAX + 1] = '\0';
	snprintf(pay, sizeof(pay), "{\"sub\":\"%s\",\"iat\":%lld,"
	    "\"exp\":%lld}", sub, NOW, NOW + 60);
	assert_int_equal(dh_jwt_sign_raw(key1, H_OK, pay, tok, sizeof(tok),
	    err, sizeof(err)), 0);
	assert_int_equal(dh_jwt_verify(key1, tok, NOW, &c, err, sizeof(err)),
	    -1);
	assert_int_equal(dh_jwt_sign(key1, sub, NULL, NOW, 60, tok,
	    sizeof(tok), err, sizeof(err)), -1);
}

/* A correctly signed token over 4096 bytes is refused, unread. */
static void
test_oversized(void **state)
{
	struct dh_jwt_claims	 c;
	char			 pay[4200], tok[TOKMAX], err[256];
	char			 pad[3500];
	size_t			 len;

	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	snprintf(pay, sizeof(pay), "{\"sub\":\"a@b.c\",\"iat\":%lld,"
	    "\"exp\":%lld,\"pad\":\"%s\"}", NOW, NOW + 60, pad);
	assert_int_equal(dh_jwt_sign_raw(key1, H_OK, pay, tok, sizeof(tok),
	    err, sizeof(err)), 0);
	len = strlen(tok);
	assert_true(len > DH_JWT_MAX);
	assert_int_equal(dh_jwt_verify(key1, tok, NOW, &c, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "longer"));

	/* Just under the cap, the same kind of token is fine. */
	pad[2000] = '\0';
	snprintf(pay, sizeof(pay), "{\"sub\":\"a@b.c\",\"iat\":%lld,"
	    "\"exp\":%lld,\"pad\":\"%s\"}", NOW, NOW + 60, pad);
	assert_int_equal(dh_jwt_sign_raw(key1, H_OK, pay, tok, sizeof(tok),
	    err, sizeof(err)), 0);
	assert_true(strlen(tok) <= DH_JWT_MAX);
	assert_int_equal(dh_jwt_verify(key1, tok, NOW, &c, err, sizeof(err)),
	    0);
}

static char	 tmpdir[64];

static void
path_in_tmp(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", tmpdir, name);
}

static void
write_file(const char *path, size_t n, mode_t mode)
{
	unsigned char	 b[64] = { 0 };
	int		 fd;

	assert_true(n <= sizeof(b));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd != -1);
	assert_int_equal(write(fd, b, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* Key files: created 0600 with O_EXCL; loaded only when private. */
static void
test_key_file(void **state)
{
	unsigned char	 k[DH_JWT_KEY_LEN], zero[DH_JWT_KEY_LEN] = { 0 };
	char		 p[128], q[128], err[512];
	struct stat	 st;

	path_in_tmp(p, sizeof(p), "jwt.key");
	assert_int_equal(dh_jwt_key_create(p, err, sizeof(err)), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, DH_JWT_KEY_LEN);
	assert_int_equal(dh_jwt_key_create(p, err, sizeof(err)), -1);
	assert_int_equal(dh_jwt_key_load(p, k, err, sizeof(err)), 0);
	assert_memory_not_equal(k, zero, sizeof(k));

	/* Readable by group, by other, writable by group: refused. */
	assert_int_equal(chmod(p, 0640), 0);
	assert_int_equal(dh_jwt_key_load(p, k, err, sizeof(err)), -1);
	assert_memory_equal(k, zero, sizeof(k));
	assert_int_equal(chmod(p, 0604), 0);
	assert_int_equal(dh_jwt_key_load(p, k, err, sizeof(err)), -1);
	assert_int_equal(chmod(p, 0620), 0);
	assert_int_equal(dh_jwt_key_load(p, k, err, sizeof(err)), -1);
	assert_int_equal(chmod(p, 0400), 0);
	assert_int_equal(dh_jwt_key_load(p, k, err, sizeof(err)), 0);

	/* Wrong sizes. */
	path_in_tmp(q, sizeof(q), "short.key");
	write_file(q, 31, 0600);
	assert_int_equal(dh_jwt_key_load(q, k, err, sizeof(err)), -1);
	write_file(q, 33, 0600);
	assert_int_equal(dh_jwt_key_load(q, k, err, sizeof(err)), -1);
	write_file(q, 0, 0600);
	assert_int_equal(dh_jwt_key_load(q, k, err, sizeof(err)), -1);
	unlink(q);

	/* Missing, a directory, a symbolic link to a good key. */
	path_in_tmp(q, sizeof(q), "missing.key");
	assert_int_equal(dh_jwt_key_load(q, k, err, sizeof(err)), -1);
	assert_int_equal(dh_jwt_key_load(tmpdir, k, err, sizeof(err)), -1);
	path_in_tmp(q, sizeof(q), "link.key");
	assert_int_equal(symlink(p, q), 0);
	assert_int_equal(dh_jwt_key_load(q, k, err, sizeof(err)), -1);
	assert_int_equal(dh_jwt_key_create(q, err, sizeof(err)), -1);
	unlink(q);
	unlink(p);
}

static int
setup(void **state)
{
	if (sodium_init() < 0)
		return -1;
	randombytes_buf(key1, sizeof(key1));
	randombytes_buf(key2, sizeof(key2));
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_jwt.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	rmdir(tmpdir);
	return 0;
}

int
main(void)
{
	struct CMUnitTest	 tests[DH_ARRAY_LEN(cases) + 4];
	size_t			 n = 0;

	for (size_t i = 0; i < DH_ARRAY_LEN(cases); i++)
		tests[n++] = (struct CMUnitTest){ .name = cases[i].name,
		    .test_func = run_case,
		    .initial_state = (void *)&cases[i] };
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_roundtrip);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_sub_length);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_oversized);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_key_file);
	return _cmocka_run_group_tests("jwt", tests, n, setup, teardown) != 0;
}
