/*
 * Identity for the two ways in.  Bearer tokens are verified by the JWT
 * module of the authentication work; until it exists every token is
 * refused, which fails closed.
 */
#include <stdio.h>
#include <string.h>

#include "dh_auth.h"
#include "dh_util.h"

int
dh_auth_basic_ident(struct dh_app *app, const char *user,
    struct dh_ident *id)
{
	id->via = DH_VIA_BASIC;
	dh_strlcpy(id->user, user, sizeof(id->user));
	dh_strlcpy(id->name, user, sizeof(id->name));
	if (strcmp(user, app->cfg.admin_user) == 0)
		dh_strlcpy(id->role, "admin", sizeof(id->role));
	else
		dh_strlcpy(id->role, "user", sizeof(id->role));
	return 0;
}

int
dh_auth_bearer_ident(struct dh_app *app, const char *token,
    struct dh_ident *id)
{
	(void)app;
	(void)token;
	(void)id;
	return -1;
}
