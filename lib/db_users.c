/*
 * The users table and the failed-login throttle.  Each attempt is counted
 * before the password is checked, in one atomic upsert per subject, so
 * parallel guesses on several app hosts cannot all slip under the limit;
 * a successful login then takes its own attempt back.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysqld_error.h>
#include <sodium.h>

#include "db_users.h"
#include "dh_util.h"

enum stmt {
	S_FIND_EMAIL,
	S_FIND_ID,
	S_INSERT,
	S_UPDATE,
	S_LIST,
	S_ATTEMPT,
	S_ATTEMPT_GET,
	S_CLEAR_ACCOUNT,
	S_TAKE_BACK,
	S_PURGE,
	S__MAX
};

#define USER_COLS "id, email, name, role, password_hash, disabled, " \
	"DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ'), " \
	"DATE_FORMAT(updated_at, '%Y-%m-%dT%H:%i:%sZ')"

static struct dh_stmt	 stmts[S__MAX] = {
	/* S_FIND_EMAIL */
	{ .sql = "SELECT SQL_CACHE " USER_COLS " FROM users WHERE email = ?" },
	/* S_FIND_ID */
	{ .sql = "SELECT " USER_COLS " FROM users WHERE id = ?" },
	/* S_INSERT */
	{ .sql = "INSERT INTO users (email, name, role, password_hash) "
	    "VALUES (?, ?, ?, ?)" },
	/* S_UPDATE */
	{ .sql = "UPDATE users SET name = COALESCE(?, name), "
	    "role = COALESCE(?, role), "
	    "password_hash = COALESCE(?, password_hash), "
	    "disabled = COALESCE(?, disabled) WHERE id = ?" },
	/* S_LIST */
	{ .sql = "SELECT id, email, name, role, '', disabled, "
	    "DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ'), "
	    "DATE_FORMAT(updated_at, '%Y-%m-%dT%H:%i:%sZ') "
	    "FROM users ORDER BY id LIMIT 10000" },
	/*
	 * S_ATTEMPT: count one attempt in the current window, or open a
	 * new window.  failures is assigned before window_start, so both
	 * tests see the old window_start.
	 */
	{ .sql = "INSERT INTO login_attempts (kind, subject, failures, "
	    "window_start, last_attempt) VALUES (?, ?, 1, UTC_TIMESTAMP(), "
	    "UTC_TIMESTAMP()) ON DUPLICATE KEY UPDATE "
	    "failures = IF(window_start <= UTC_TIMESTAMP() - "
	    "INTERVAL ? SECOND, 1, LEAST(failures + 1, 1000000)), "
	    "window_start = IF(window_start <= UTC_TIMESTAMP() - "
	    "INTERVAL ? SECOND, UTC_TIMESTAMP(), window_start), "
	    "last_attempt = UTC_TIMESTAMP()" },
	/* S_ATTEMPT_GET */
	{ .sql = "SELECT failures, GREATEST(1, TIMESTAMPDIFF(SECOND, "
	    "UTC_TIMESTAMP(), window_start + INTERVAL ? SECOND)) "
	    "FROM login_attempts WHERE kind = ? AND subject = ?" },
	/* S_CLEAR_ACCOUNT */
	{ .sql = "DELETE FROM login_attempts WHERE kind = 'account' AND "
	    "subject = ?" },
	/* S_TAKE_BACK */
	{ .sql = "UPDATE login_attempts SET failures = IF(failures > 0, "
	    "failures - 1, 0) WHERE kind = 'address' AND subject = ?" },
	/* S_PURGE */
	{ .sql = "DELETE FROM login_attempts WHERE window_start < "
	    "UTC_TIMESTAMP() - INTERVAL ? SECOND LIMIT 200" },
};

static const char *const roles[] = { "admin", "manager", "developer",
	"user" };


int
db_users_role_valid(const char *role)
{
	for (size_t i = 0; role != NULL && i < DH_ARRAY_LEN(roles); i++)
		if (strcmp(role, roles[i]) == 0)
			return 1;
	return 0;
}

int
db_users_email_norm(const char *email, int need_at, char *out,
    size_t outlen, char *err, size_t errlen)
{
	size_t		 len = email != NULL ? strlen(email) : 0;
	const char	*at;

	if (len == 0 || len > DB_USER_EMAIL_MAX || len >= outlen) {
		snprintf(err, errlen, "email: expected 1 to %d bytes",
		    DB_USER_EMAIL_MAX);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char	 c = (unsigned char)email[i];

		if (c <= 0x20 || c >= 0x7f) {
			snprintf(err, errlen, "email: expected printable "
			    "ASCII without spaces");
			return -1;
		}
		out[i] = (char)tolower(c);
	}
	out[len] = '\0';
	at = strchr(out, '@');
	if (need_at && (at == NULL || at == out || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL)) {
		snprintf(err, errlen, "email: expected name@domain");
		return -1;
	}
	return 0;
}

int
db_users_name_valid(const char *name, char *err, size_t errlen)
{
	size_t	 len = name != NULL ? strlen(name) : 0;

	if (len == 0 || len > DB_USER_NAME_MAX) {
		snprintf(err, errlen, "name: expected 1 to %d bytes",
		    DB_USER_NAME_MAX);
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f) {
			snprintf(err, errlen, "name: control characters are "
			    "not allowed");
			return -1;
		}
	return 0;
}

/* Copy a cell into dst; -1 when it does not fit (never truncated). */
static int
cell(const struct dh_result *r, size_t row, unsigned col, char *dst,
    size_t n)
{
	const char	*s = dh_res_get(r, row, col);

	return dh_strlcpy(dst, s != NULL ? s : "", n);
}

static int
row_user(const struct dh_result *r, size_t row, struct db_user *u)
{
	memset(u, 0, sizeof(*u));
	u->id = dh_res_int(r, row, 0, 0);
	u->disabled = dh_res_int(r, row, 5, 1) != 0;
	if (u->id <= 0 ||
	    cell(r, row, 1, u->email, sizeof(u->email)) == -1 ||
	    cell(r, row, 2, u->name, sizeof(u->name)) == -1 ||
	    cell(r, row, 3, u->role, sizeof(u->role)) == -1 ||
	    cell(r, row, 4, u->password_hash, sizeof(u->password_hash)) == -1 ||
	    cell(r, row, 6, u->created_at, sizeof(u->created_at)) == -1 ||
	    cell(r, row, 7, u->updated_at, sizeof(u->updated_at)) == -1)
		return -1;
	return 0;
}

static int
find(struct dh_db *db, enum stmt q, struct dh_val arg, struct db_user *u)
{
	struct dh_result	*r = NULL;
	int			 rc;

	memset(u, 0, sizeof(*u));
	rc = dh_db_stmt(db, &stmts[q], &arg, 1, &r, NULL);
	if (rc != DH_DB_OK)
		goto out;
	if (r == NULL || r->nrows == 0) {
		rc = DB_USERS_NOTFOUND;
		goto out;
	}
	if (row_user(r, 0, u) == -1) {
		snprintf(db->err, sizeof(db->err), "users: row does not fit");
		rc = DH_DB_ERR;
	}
out:
	dh_result_free(r);
	return rc;
}

int
db_users_find_email(struct dh_db *db, const char *email, struct db_user *u)
{
	return find(db, S_FIND_EMAIL, DH_VSTR(email), u);
}

int
db_users_find_id(struct dh_db *db, long long id, struct db_user *u)
{
	return find(db, S_FIND_ID, DH_VINT(id), u);
}

int
db_users_insert(struct dh_db *db, const char *email, const char *name,
    const char *role, const char *password_hash, long long *id)
{
	struct dh_val	 a[] = { DH_VSTR(email), DH_VSTR(name), DH_VSTR(role),
	    DH_VSTR(password_hash) };
	int		 rc;

	rc = dh_db_stmt(db, &stmts[S_INSERT], a, DH_ARRAY_LEN(a), NULL, NULL);
	if (rc == DH_DB_ERR && db->errnum == ER_DUP_ENTRY)
		return DB_USERS_EXISTS;
	if (rc == DH_DB_OK && id != NULL)
		*id = (long long)dh_db_insert_id(db);
	return rc;
}

int
db_users_update(struct dh_db *db, long long id,
    const struct db_user_patch *p)
{
	struct dh_val	 a[] = { DH_VSTR(p->name), DH_VSTR(p->role),
	    DH_VSTR(p->password_hash),
	    p->disabled < 0 ? DH_VNULL : DH_VINT(p->disabled != 0),
	    DH_VINT(id) };

	return dh_db_stmt(db, &stmts[S_UPDATE], a, DH_ARRAY_LEN(a), NULL,
	    NULL);
}

int
db_users_list(struct dh_db *db, struct db_user **out, size_t *n)
{
	struct dh_result	*r = NULL;
	struct db_user		*u = NULL;
	int			 rc;

	*out = NULL;
	*n = 0;
	rc = dh_db_stmt(db, &stmts[S_LIST], NULL, 0, &r, NULL);
	if (rc != DH_DB_OK)
		goto out;
	rc = DH_DB_ERR;
	if (r != NULL && r->nrows > 0 &&
	    (u = calloc(r->nrows, sizeof(*u))) == NULL) {
		snprintf(db->err, sizeof(db->err), "users: out of memory");
		goto out;
	}
	for (size_t i = 0; r != NULL && i < r->nrows; i++)
		if (row_user(r, i, &u[i]) == -1) {
			snprintf(db->err, sizeof(db->err),
			    "users: row does not fit");
			goto out;
		}
	*out = u;
	*n = r != NULL ? r->nrows : 0;
	u = NULL;
	rc = DH_DB_OK;
out:
	free(u);
	dh_result_free(r);
	return rc;
}

/* Count one attempt for (kind, subject) and read back the counter. */
static int
count_attempt(struct dh_db *db, const char *kind, const char *subject,
    long long *failures, long long *left)
{
	struct dh_val		 up[] = { DH_VSTR(kind), DH_VSTR(subject),
	    DH_VINT(DB_LOGIN_WINDOW), DH_VINT(DB_LOGIN_WINDOW) };
	struct dh_val		 get[] = { DH_VINT(DB_LOGIN_WINDOW),
	    DH_VSTR(kind), DH_VSTR(subject) };
	struct dh_result	*r = NULL;
	int			 rc;

	*failures = 0;
	*left = 1;
	rc = dh_db_stmt(db, &stmts[S_ATTEMPT], up, DH_ARRAY_LEN(up), NULL,
	    NULL);
	if (rc != DH_DB_OK)
		return rc;
	rc = dh_db_stmt(db, &stmts[S_ATTEMPT_GET], get, DH_ARRAY_LEN(get), &r,
	    NULL);
	if (rc == DH_DB_OK && r != NULL && r->nrows == 1) {
		*failures = dh_res_int(r, 0, 0, 0);
		*left = dh_res_int(r, 0, 1, 1);
	}
	dh_result_free(r);
	return rc;
}

int
db_login_attempt(struct dh_db *db, const char *account, const char *addr,
    long long *retry_after)
{
	struct dh_val	 purge = DH_VINT(DB_LOGIN_WINDOW);
	long long	 nacc, nadd, lacc, ladd;
	int		 rc;

	*retry_after = 0;
	/* Now and then, drop the rows of windows long closed. */
	if (randombytes_uniform(16) == 0 &&
	    (rc = dh_db_stmt(db, &stmts[S_PURGE], &purge, 1, NULL,
	    NULL)) != DH_DB_OK)
		return rc;
	if ((rc = count_attempt(db, "address", addr, &nadd, &ladd)) !=
	    DH_DB_OK)
		return rc;
	if ((rc = count_attempt(db, "account", account, &nacc, &lacc)) !=
	    DH_DB_OK)
		return rc;
	if (nacc > DB_LOGIN_MAX_ACCOUNT)
		*retry_after = lacc;
	if (nadd > DB_LOGIN_MAX_ADDRESS && ladd > *retry_after)
		*retry_after = ladd;
	if (*retry_after > 0) {
		if (*retry_after > DB_LOGIN_WINDOW)
			*retry_after = DB_LOGIN_WINDOW;
		return DB_LOGIN_THROTTLED;
	}
	return 0;
}

int
db_login_success(struct dh_db *db, const char *account, const char *addr)
{
	struct dh_val	 acc = DH_VSTR(account), add = DH_VSTR(addr);
	int		 rc;

	rc = dh_db_stmt(db, &stmts[S_CLEAR_ACCOUNT], &acc, 1, NULL, NULL);
	if (rc != DH_DB_OK)
		return rc;
	return dh_db_stmt(db, &stmts[S_TAKE_BACK], &add, 1, NULL, NULL);
}

void
db_users_release(void)
{
	for (size_t i = 0; i < DH_ARRAY_LEN(stmts); i++)
		dh_stmt_release(&stmts[i]);
}
