/*
 * Identity from credentials: the basic-auth name nginx checked, or a
 * Bearer JWT.  Tokens are HS256 under a 32-byte key; see dh_jwt.h.
 */
#ifndef DH_AUTH_H
#define DH_AUTH_H

#include "dh_fcgi.h"
#include "dh_jwt.h"

/*
 * Fill id for a basic-auth user nginx has already verified: the configured
 * admin user is an admin; anyone else takes the role of the enabled users
 * row of that email (or "user").  0, -1 (disabled user) or DH_DB_DOWN.
 */
int	 dh_auth_basic_ident(struct dh_app *, const char *user,
	    struct dh_ident *id);

/*
 * Verify a Bearer token and fill id from its claims and the users table.
 * 0 when valid and the user enabled, -1 otherwise, DH_DB_DOWN.
 */
int	 dh_auth_bearer_ident(struct dh_app *, const char *token,
	    struct dh_ident *id);

/*
 * The two halves of dh_auth_bearer_ident.  dh_auth_bearer_token verifies
 * the token alone and fills id with its subject, left pending (no role);
 * dh_auth_bearer_user looks that subject up and completes id.  0, -1 or
 * DH_DB_DOWN as above.
 */
int	 dh_auth_bearer_token(struct dh_app *, const char *token,
	    struct dh_ident *id);
int	 dh_auth_bearer_user(struct dh_app *, struct dh_ident *id);

/*
 * The token key of this process: loaded from cfg.jwt_key_file on first
 * use and kept until dh_auth_release().  Sets *key to the cached key
 * (owned here, never to be logged) and returns 0, or returns -1 with a
 * reason in err; a failed load is retried on the next call.
 */
int	 dh_auth_key(struct dh_app *, const unsigned char **key, char *err,
	    size_t errlen);

/* Wipe and forget the cached key. */
void	 dh_auth_release(void);

#endif
