/*
 * Identity for the two ways in.  A basic-auth name was checked by nginx
 * and only needs its role; a Bearer token is verified here with the key
 * cached for the life of the process, and its user must still exist and
 * be enabled.  The role always comes from the users table, never from the
 * token, so a demotion or a disabled account takes effect at once.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "db_users.h"
#include "dh_auth.h"
#include "dh_jwt.h"
#include "dh_log.h"
#include "dh_util.h"

static unsigned char	 jwt_key[DH_JWT_KEY_LEN];
static int		 jwt_key_loaded;


int
dh_auth_key(struct dh_app *app, const unsigned char **key, char *err,
    size_t errlen)
{
	*key = NULL;
	if (!jwt_key_loaded) {
		if (app->cfg.jwt_key_file[0] == '\0') {
			snprintf(err, errlen, "DESKHUB_JWT_KEY_FILE is not "
			    "set");
			return -1;
		}
		if (dh_jwt_key_load(app->cfg.jwt_key_file, jwt_key, err,
		    errlen) == -1)
			return -1;
		/* Keep it out of swap where allowed; not fatal otherwise. */
		(void)sodium_mlock(jwt_key, sizeof(jwt_key));
		jwt_key_loaded = 1;
	}
	*key = jwt_key;
	return 0;
}

void
dh_auth_release(void)
{
	sodium_memzero(jwt_key, sizeof(jwt_key));
	if (jwt_key_loaded)
		(void)sodium_munlock(jwt_key, sizeof(jwt_key));
	jwt_key_loaded = 0;
}

/* Programs that never opened their connection still get one here. */
static void
db_ready(struct dh_app *app)
{
	if (app->db.cfg == NULL)
		(void)dh_db_open(&app->db, &app->cfg, app->sql, app->nsql);
}

/* Map a database failure: unreadable users table means 503, not 401. */
static int
db_fail(struct dh_app *app, int rc)
{
	if (rc != DH_DB_DOWN)
		dh_err("users: %s", app->db.err);
	return DH_DB_DOWN;
}

static int
ident_from_row(const struct db_user *u, enum dh_via via, struct dh_ident *id)
{
	id->via = via;
	id->user_id = u->id;
	if (dh_strlcpy(id->user, u->email, sizeof(id->user)) == -1 ||
	    dh_strlcpy(id->role, u->role, sizeof(id->role)) == -1)
		return -1;
	/* The display name only: a long one is cut, never refused. */
	if (dh_strlcpy(id->name, u->name, sizeof(id->name)) == -1)
		dh_strlcpy(id->name, u->email, sizeof(id->name));
	return 0;
}

int
dh_auth_basic_ident(struct dh_app *app, const char *user,
    struct dh_ident *id)
{
	struct db_user	 u;
	int		 rc;

	memset(id, 0, sizeof(*id));
	id->via = DH_VIA_BASIC;
	if (dh_strlcpy(id->user, user, sizeof(id->user)) == -1)
		return -1;
	dh_strlcpy(id->name, user, sizeof(id->name));
	if (app->cfg.admin_user[0] != '\0' &&
	    strcmp(user, app->cfg.admin_user) == 0) {
		dh_strlcpy(id->role, "admin", sizeof(id->role));
		return 0;
	}
	db_ready(app);
	rc = db_users_find_email(&app->db, user, &u);
	if (rc == DB_USERS_NOTFOUND) {
		dh_strlcpy(id->role, "user", sizeof(id->role));
		return 0;
	}
	if (rc != DH_DB_OK)
		return db_fail(app, rc);
	if (u.disabled) {
		dh_info("basic auth: user is disabled");
		return -1;
	}
	if (ident_from_row(&u, DH_VIA_BASIC, id) == -1)
		return -1;
	return 0;
}

int
dh_auth_bearer_token(struct dh_app *app, const char *token,
    struct dh_ident *id)
{
	struct dh_jwt_claims	 c;
	const unsigned char	*key;
	char			 err[256];

	memset(id, 0, sizeof(*id));
	if (dh_auth_key(app, &key, err, sizeof(err)) == -1) {
		dh_err("token key: %s", err);
		return -1;
	}
	if (dh_jwt_verify(key, token, (long long)time(NULL), &c, err,
	    sizeof(err)) == -1) {
		dh_info("bearer token refused: %s", err);
		return -1;
	}
	id->via = DH_VIA_BEARER;
	if (dh_strlcpy(id->user, c.sub, sizeof(id->user)) == -1)
		return -1;
	dh_strlcpy(id->name, c.sub, sizeof(id->name));
	id->pending = 1;
	return 0;
}

int
dh_auth_bearer_user(struct dh_app *app, struct dh_ident *id)
{
	struct db_user	 u;
	int		 rc;

	id->pending = 0;
	db_ready(app);
	rc = db_users_find_email(&app->db, id->user, &u);
	if (rc == DB_USERS_NOTFOUND) {
		dh_info("bearer token refused: no such user");
		return -1;
	}
	if (rc != DH_DB_OK)
		return db_fail(app, rc);
	if (u.disabled) {
		dh_info("bearer token refused: user is disabled");
		return -1;
	}
	return ident_from_row(&u, DH_VIA_BEARER, id);
}

int
dh_auth_bearer_ident(struct dh_app *app, const char *token,
    struct dh_ident *id)
{
	int	 rc;

	if ((rc = dh_auth_bearer_token(app, token, id)) != 0)
		return rc;
	return dh_auth_bearer_user(app, id);
}
