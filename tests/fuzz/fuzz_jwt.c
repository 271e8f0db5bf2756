/*
 * JWTs: dh_jwt_verify with a fixed key.  The first byte picks the mode:
 * even, the rest is a token as a client would send it; odd, the rest is
 * "header\npayload", signed with dh_jwt_sign_raw so that the claim checks
 * behind the signature are reached too.
 */
#include <stdio.h>
#include <string.h>

#include "dh_jwt.h"
#include "fuzz_common.h"

static const unsigned char key[DH_JWT_KEY_LEN] =
    "fuzz-key-0123456789abcdef-fuzz!";

#define NOW	1767225600LL	/* 2026-01-01 */

static void
verify(const char *tok)
{
	struct dh_jwt_claims	 c;
	char			 err[256];

	memset(&c, 0xa5, sizeof(c));
	if (dh_jwt_verify(key, tok, NOW, &c, err, sizeof(err)) == 0) {
		if (memchr(c.sub, '\0', sizeof(c.sub)) == NULL ||
		    memchr(c.role, '\0', sizeof(c.role)) == NULL ||
		    c.sub[0] == '\0' || c.exp <= NOW || c.iat >= c.exp ||
		    c.exp - c.iat > DH_JWT_MAX_TTL)
			abort();
	} else if (memchr(err, '\0', sizeof(err)) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s, *nl, tok[2 * DH_JWT_MAX], err[256];

	if (size == 0)
		return 0;
	if ((s = fuzz_strdup(data + 1, size - 1)) == NULL)
		return 0;
	if ((data[0] & 1) == 0)
		verify(s);
	else if ((nl = strchr(s, '\n')) != NULL) {
		*nl = '\0';
		if (dh_jwt_sign_raw(key, s, nl + 1, tok, sizeof(tok), err,
		    sizeof(err)) == 0)
			verify(tok);
	}
	free(s);
	return 0;
}
