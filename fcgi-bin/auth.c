/*
 * The auth program: login with a password for a JWT, who am I, and user
 * management for the admin roles.  Every input field is declared in a
 * table and checked before a handler looks at it; the SQL lives in
 * lib/db_users.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "db_users.h"
#include "dh_auth.h"
#include "dh_fcgi.h"
#include "dh_jwt.h"
#include "dh_log.h"
#include "dh_pass.h"
#include "dh_util.h"

#define BAD_LOGIN	"invalid email or password"
#define ADDR_MAX	190

enum ftype {
	F_STR,
	F_BOOL,
};

/* One input field of a JSON body. */
struct field {
	const char	*name;
	enum ftype	 type;
	int		 required;
	size_t		 max;	/* F_STR: longest value in bytes */
};

static const struct field login_fields[] = {
	{ "email", F_STR, 1, 1024 },		/* checked again below */
	{ "password", F_STR, 1, DH_PASS_MAX },
};

static const struct field create_fields[] = {
	{ "email", F_STR, 1, DB_USER_EMAIL_MAX },
	{ "name", F_STR, 1, DB_USER_NAME_MAX },
	{ "role", F_STR, 1, 15 },
	{ "password", F_STR, 1, DH_PASS_MAX },
};

static const struct field patch_fields[] = {
	{ "name", F_STR, 0, DB_USER_NAME_MAX },
	{ "role", F_STR, 0, 15 },
	{ "password", F_STR, 0, DH_PASS_MAX },
	{ "disabled", F_BOOL, 0, 0 },
};

static void	 login(struct dh_req *);
static void	 me(struct dh_req *);
static void	 users_list(struct dh_req *);
static void	 users_create(struct dh_req *);
static void	 users_patch(struct dh_req *);

static const struct dh_route routes[] = {
	{ "POST", "/api/auth/login", DH_PUBLIC, login },
	{ "GET", "/api/auth/me", DH_AUTH, me },
	{ "GET", "/api/users", DH_ADMIN, users_list },
	{ "POST", "/api/users", DH_ADMIN, users_create },
	{ "PATCH", "/api/users/{id}", DH_ADMIN, users_patch },
};


/*
 * Check obj against the field table: no unknown member, every required
 * one present, each of its type and size.  Answers 400 naming the field
 * and returns -1 on the first problem.
 */
static int
fields_check(struct dh_req *req, json_t *obj, const struct field *f,
    size_t n)
{
	const char	*k;
	json_t		*v;
	size_t		 i;

	json_object_foreach(obj, k, v) {
		for (i = 0; i < n; i++)
			if (strcmp(k, f[i].name) == 0)
				break;
		if (i == n) {
			dh_reply_error(req, 400, "%.64s: unknown field", k);
			return -1;
		}
	}
	for (i = 0; i < n; i++) {
		v = json_object_get(obj, f[i].name);
		if (v == NULL || json_is_null(v)) {
			if (!f[i].required)
				continue;
			dh_reply_error(req, 400, "%s: required", f[i].name);
			return -1;
		}
		if (f[i].type == F_BOOL && !json_is_boolean(v)) {
			dh_reply_error(req, 400, "%s: expected true or false",
			    f[i].name);
			return -1;
		}
		if (f[i].type == F_STR && !json_is_string(v)) {
			dh_reply_error(req, 400, "%s: expected a string",
			    f[i].name);
			return -1;
		}
		if (f[i].type == F_STR && json_string_length(v) > f[i].max) {
			dh_reply_error(req, 400, "%s: at most %zu bytes",
			    f[i].name, f[i].max);
			return -1;
		}
	}
	return 0;
}

/* obj[name] as a string, NULL when absent or null. */
static const char *
str_field(const json_t *obj, const char *name)
{
	return json_string_value(json_object_get(obj, name));
}

static json_t *
user_json(const struct db_user *u)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:b, s:s, s:s}",
	    "id", (json_int_t)u->id, "email", u->email, "name", u->name,
	    "role", u->role, "disabled", u->disabled,
	    "createdAt", u->created_at, "updatedAt", u->updated_at);
}

static void
reply_bad_login(struct dh_req *req)
{
	dh_reply_header(req, "WWW-Authenticate", "Bearer realm=\"Deskhub\"");
	dh_reply_error(req, 401, BAD_LOGIN);
}

/*
 * POST /api/auth/login {"email","password"}.  Unknown account, wrong
 * password and disabled account give the same answer after the same
 * work: one argon2id verification each.
 */
static void
login(struct dh_req *req)
{
	struct dh_app		*app = req->app;
	struct db_user		 u;
	const unsigned char	*key;
	json_t			*body, *ans;
	const char		*email, *pw;
	char			 acct[DB_USER_EMAIL_MAX + 1];
	char			 addr[ADDR_MAX + 1];
	char			 err[256], tok[DH_JWT_MAX + 1], retry[32];
	char			 hash[DH_PASS_HASH_LEN];
	size_t			 pwlen;
	long long		 wait, now;
	int			 rc, ok;

	if ((body = dh_req_json(req, 0)) == NULL)
		return;
	if (fields_check(req, body, login_fields,
	    DH_ARRAY_LEN(login_fields)) == -1)
		goto out;
	email = str_field(body, "email");
	pw = str_field(body, "password");
	pwlen = json_string_length(json_object_get(body, "password"));
	if (db_users_email_norm(email, 0, acct, sizeof(acct), err,
	    sizeof(err)) == -1) {
		dh_reply_error(req, 400, "%s", err);
		goto out;
	}
	if (pwlen == 0) {
		dh_reply_error(req, 400, "password: required");
		goto out;
	}
	dh_strlcpy(addr, req->remote_addr != NULL && *req->remote_addr !=
	    '\0' ? req->remote_addr : "unknown", sizeof(addr));

	rc = db_login_attempt(&app->db, acct, addr, &wait);
	if (rc == DB_LOGIN_THROTTLED) {
		dh_info("login throttled");
		snprintf(retry, sizeof(retry), "%lld", wait);
		dh_reply_header(req, "Retry-After", retry);
		dh_reply_error_obj(req, 429, json_pack("{s:I}", "retryAfter",
		    (json_int_t)wait), "too many login attempts, try again "
		    "later");
		goto out;
	}
	if (rc != DH_DB_OK) {
		dh_reply_db(req, rc);
		goto out;
	}
	rc = db_users_find_email(&app->db, acct, &u);
	if (rc == DB_USERS_NOTFOUND) {
		dh_pass_verify_dummy(pw, pwlen);
		dh_info("login failed: no such account");
		reply_bad_login(req);
		goto out;
	}
	if (rc != DH_DB_OK) {
		dh_reply_db(req, rc);
		goto out;
	}
	ok = dh_pass_verify(u.password_hash, pw, pwlen) == 0;
	if (!ok || u.disabled) {
		dh_info("login failed: user %lld, %s", u.id,
		    ok ? "disabled" : "wrong password");
		reply_bad_login(req);
		goto out;
	}
	if ((rc = db_login_success(&app->db, acct, addr)) != DH_DB_OK)
		dh_warn("login: cannot clear the throttle: %s", app->db.err);
	/* Hashes made under older limits are renewed while we know pw. */
	if (dh_pass_needs_rehash(u.password_hash) &&
	    dh_pass_hash(pw, pwlen, hash, err, sizeof(err)) == 0) {
		struct db_user_patch	 p = { .password_hash = hash,
		    .disabled = -1 };

		if (db_users_update(&app->db, u.id, &p) != DH_DB_OK)
			dh_warn("login: cannot rehash: %s", app->db.err);
	}
	sodium_memzero(hash, sizeof(hash));
	if (dh_auth_key(app, &key, err, sizeof(err)) == -1) {
		dh_err("token key: %s", err);
		dh_reply_error(req, 500, "cannot issue a token");
		goto out;
	}
	now = (long long)time(NULL);
	if (dh_jwt_sign(key, u.email, u.role, now, app->cfg.jwt_ttl, tok,
	    sizeof(tok), err, sizeof(err)) == -1) {
		dh_err("token: %s", err);
		dh_reply_error(req, 500, "cannot issue a token");
		goto out;
	}
	dh_info("login: user %lld", u.id);
	ans = json_pack("{s:s, s:s, s:I, s:{s:I, s:s, s:s, s:s}}",
	    "accessToken", tok, "tokenType", "Bearer",
	    "expiresIn", (json_int_t)app->cfg.jwt_ttl,
	    "user", "id", (json_int_t)u.id, "email", u.email, "name", u.name,
	    "role", u.role);
	sodium_memzero(tok, sizeof(tok));
	dh_reply_json(req, 200, ans);
out:
	json_decref(body);
}

/* GET /api/auth/me: the caller as the request was authenticated. */
static void
me(struct dh_req *req)
{
	const struct dh_ident	*id = &req->ident;

	dh_reply_json(req, 200, json_pack("{s:{s:o, s:s, s:s, s:s}, s:s}",
	    "user", "id", id->user_id > 0 ? json_integer(id->user_id) :
	    json_null(), "email", id->user, "name", id->name, "role",
	    id->role, "via", id->via == DH_VIA_BEARER ? "bearer" : "basic"));
}

/* GET /api/users: {"users": [...]} by id. */
static void
users_list(struct dh_req *req)
{
	struct db_user	*u = NULL;
	json_t		*a;
	size_t		 n = 0;
	int		 rc;

	if ((rc = db_users_list(&req->app->db, &u, &n)) != DH_DB_OK) {
		dh_reply_db(req, rc);
		return;
	}
	if ((a = json_array()) != NULL)
		for (size_t i = 0; i < n; i++)
			if (json_array_append_new(a, user_json(&u[i])) != 0) {
				json_decref(a);
				a = NULL;
				break;
			}
	free(u);
	dh_reply_json(req, 200, a != NULL ? json_pack("{s:o}", "users", a) :
	    NULL);
}

/* Only an admin may make an admin or touch an admin's account. */
static int
may_touch_admin(struct dh_req *req)
{
	if (strcmp(req->ident.role, "admin") == 0)
		return 1;
	dh_reply_error(req, 403, "only an admin may grant the admin role or "
	    "change an admin's account");
	return 0;
}

/* Answer 200 or 201 with the user id as it is now stored. */
static void
reply_user(struct dh_req *req, int status, long long id)
{
	struct db_user	 u;
	int		 rc;

	rc = db_users_find_id(&req->app->db, id, &u);
	if (rc == DB_USERS_NOTFOUND)
		dh_reply_error(req, 404, "no such user");
	else if (rc != DH_DB_OK)
		dh_reply_db(req, rc);
	else
		dh_reply_json(req, status, json_pack("{s:o}", "user",
		    user_json(&u)));
}

/* POST /api/users {"email","name","role","password"}: 201 {"user"}. */
static void
users_create(struct dh_req *req)
{
	json_t		*body;
	const char	*pw, *role;
	char		 email[DB_USER_EMAIL_MAX + 1], err[256];
	char		 hash[DH_PASS_HASH_LEN];
	long long	 id = 0;
	int		 rc;

	if ((body = dh_req_json(req, 0)) == NULL)
		return;
	if (fields_check(req, body, create_fields,
	    DH_ARRAY_LEN(create_fields)) == -1)
		goto out;
	role = str_field(body, "role");
	pw = str_field(body, "password");
	if (db_users_email_norm(str_field(body, "email"), 1, email,
	    sizeof(email), err, sizeof(err)) == -1 ||
	    db_users_name_valid(str_field(body, "name"), err,
	    sizeof(err)) == -1) {
		dh_reply_error(req, 400, "%s", err);
		goto out;
	}
	if (!db_users_role_valid(role)) {
		dh_reply_error(req, 400, "role: expected admin, manager, "
		    "developer or user");
		goto out;
	}
	if (strcmp(role, "admin") == 0 && !may_touch_admin(req))
		goto out;
	if (dh_pass_hash(pw, json_string_length(json_object_get(body,
	    "password")), hash, err, sizeof(err)) == -1) {
		dh_reply_error(req, 400, "%s", err);
		goto out;
	}
	rc = db_users_insert(&req->app->db, email, str_field(body, "name"),
	    role, hash, &id);
	if (rc == DB_USERS_EXISTS)
		dh_reply_error(req, 409, "email: a user with this email "
		    "exists");
	else if (rc != DH_DB_OK)
		dh_reply_db(req, rc);
	else {
		dh_info("user %lld created by %s", id, req->ident.user);
		reply_user(req, 201, id);
	}
out:
	sodium_memzero(hash, sizeof(hash));
	json_decref(body);
}

/* PATCH /api/users/{id} with any of name, role, password, disabled. */
static void
users_patch(struct dh_req *req)
{
	struct db_user_patch	 p = { .disabled = -1 };
	struct db_user		 u;
	json_t			*body, *dis;
	const char		*pw;
	char			 err[256], hash[DH_PASS_HASH_LEN] = "";
	int			 rc, self;

	if ((body = dh_req_json(req, 0)) == NULL)
		return;
	if (fields_check(req, body, patch_fields,
	    DH_ARRAY_LEN(patch_fields)) == -1)
		goto out;
	p.name = str_field(body, "name");
	p.role = str_field(body, "role");
	pw = str_field(body, "password");
	if ((dis = json_object_get(body, "disabled")) != NULL &&
	    json_is_boolean(dis))
		p.disabled = json_is_true(dis);
	if (p.name == NULL && p.role == NULL && pw == NULL &&
	    p.disabled < 0) {
		dh_reply_error(req, 400, "body: nothing to change; give name, "
		    "role, password or disabled");
		goto out;
	}
	if (p.name != NULL && db_users_name_valid(p.name, err,
	    sizeof(err)) == -1) {
		dh_reply_error(req, 400, "%s", err);
		goto out;
	}
	if (p.role != NULL && !db_users_role_valid(p.role)) {
		dh_reply_error(req, 400, "role: expected admin, manager, "
		    "developer or user");
		goto out;
	}
	if (pw != NULL && dh_pass_check(pw, json_string_length(
	    json_object_get(body, "password")), err, sizeof(err)) == -1) {
		dh_reply_error(req, 400, "%s", err);
		goto out;
	}
	rc = db_users_find_id(&req->app->db, req->path_id, &u);
	if (rc == DB_USERS_NOTFOUND) {
		dh_reply_error(req, 404, "no such user");
		goto out;
	}
	if (rc != DH_DB_OK) {
		dh_reply_db(req, rc);
		goto out;
	}
	if ((strcmp(u.role, "admin") == 0 || (p.role != NULL &&
	    strcmp(p.role, "admin") == 0)) && !may_touch_admin(req))
		goto out;
	self = req->ident.user_id == u.id ||
	    strcasecmp(req->ident.user, u.email) == 0;
	if (self && (p.disabled == 1 || (p.role != NULL &&
	    strcmp(p.role, u.role) != 0))) {
		dh_reply_error(req, 409, "you cannot disable your own account "
		    "or change your own role");
		goto out;
	}
	if (pw != NULL) {
		if (dh_pass_hash(pw, json_string_length(json_object_get(body,
		    "password")), hash, err, sizeof(err)) == -1) {
			dh_reply_error(req, 400, "%s", err);
			goto out;
		}
		p.password_hash = hash;
	}
	if ((rc = db_users_update(&req->app->db, u.id, &p)) != DH_DB_OK) {
		dh_reply_db(req, rc);
		goto out;
	}
	dh_info("user %lld changed by %s", u.id, req->ident.user);
	reply_user(req, 200, u.id);
out:
	sodium_memzero(hash, sizeof(hash));
	json_decref(body);
}

static int
auth_init(struct dh_app *app)
{
	const unsigned char	*key;
	char			 err[256];

	if (dh_pass_init() == -1) {
		dh_err("dh_pass_init: out of memory");
		return -1;
	}
	/* Say early when the key is missing; every use retries the load. */
	if (dh_auth_key(app, &key, err, sizeof(err)) == -1)
		dh_err("token key: %s", err);
	return 0;
}

static void
auth_release(struct dh_app *app)
{
	db_users_release();
	dh_auth_release();
}

int
main(int argc, char **argv)
{
	static struct dh_app	 app = {
		.name = "auth",
		.routes = routes,
		.nroutes = DH_ARRAY_LEN(routes),
		.sql = NULL,
		.nsql = 0,
		.init = auth_init,
		.release = auth_release,
		.workers = 2,	/* a login hashes a password */
	};

	return dh_fcgi_main(&app, argc, argv);
}
