/*
 * The users table and the login_attempts throttle (sql/002_users.sql).
 * Statements are file-static and run through dh_db_stmt, so any program's
 * connection can use them without declaring them.  The throttle lives in
 * the database because several app hosts share it.
 */
#ifndef DB_USERS_H
#define DB_USERS_H

#include <stddef.h>

#include "dh_db.h"

#define DB_USERS_NOTFOUND	1	/* no such row */
#define DB_USERS_EXISTS		2	/* the email is taken */
#define DB_LOGIN_THROTTLED	1	/* too many recent attempts */

/* Accepted on input; struct dh_ident holds at most 127 bytes. */
#define DB_USER_EMAIL_MAX	127
#define DB_USER_NAME_MAX	127
#define DB_USERS_LIST_MAX	10000

#define DB_LOGIN_WINDOW		(15 * 60)	/* seconds */
#define DB_LOGIN_MAX_ACCOUNT	5	/* failures per account per window */
#define DB_LOGIN_MAX_ADDRESS	20	/* failures per address per window */

/* One row; strings are NUL-terminated copies (cut to fit, never split). */
struct db_user {
	long long	 id;
	char		 email[768];
	char		 name[768];
	char		 role[16];
	char		 password_hash[256];
	int		 disabled;
	char		 created_at[24];	/* "YYYY-MM-DDTHH:MM:SSZ" */
	char		 updated_at[24];
};

/* Fields to change; NULL (or disabled < 0) leaves a field as it is. */
struct db_user_patch {
	const char	*name;
	const char	*role;
	const char	*password_hash;
	int		 disabled;
};

/* Whether role is one of admin, manager, developer, user. */
int	 db_users_role_valid(const char *role);

/*
 * Check and normalise an email (or the basic-auth admin name when
 * need_at is 0) into out (outlen bytes): 1..DB_USER_EMAIL_MAX bytes of
 * printable ASCII without spaces, lower-cased, with an '@' that is
 * neither first nor last when need_at.  0, or -1 with a reason in err.
 */
int	 db_users_email_norm(const char *email, int need_at, char *out,
	    size_t outlen, char *err, size_t errlen);

/* Check a display name: 1..DB_USER_NAME_MAX bytes, no control chars. */
int	 db_users_name_valid(const char *name, char *err, size_t errlen);

/*
 * Find the user by email (compared as the column's collation does) or by
 * id and fill *u.  0, DB_USERS_NOTFOUND, DH_DB_ERR or DH_DB_DOWN.
 */
int	 db_users_find_email(struct dh_db *, const char *email,
	    struct db_user *u);
int	 db_users_find_id(struct dh_db *, long long id, struct db_user *u);

/*
 * Insert a user with an already hashed password; *id (when not NULL)
 * gets the new id.  0, DB_USERS_EXISTS, DH_DB_ERR or DH_DB_DOWN.
 */
int	 db_users_insert(struct dh_db *, const char *email, const char *name,
	    const char *role, const char *password_hash, long long *id);

/* Apply p to user id in one statement; 0, DH_DB_ERR or DH_DB_DOWN. */
int	 db_users_update(struct dh_db *, long long id,
	    const struct db_user_patch *p);

/*
 * All users by id (at most DB_USERS_LIST_MAX) in a new array *out of *n
 * entries, which the caller frees with free(); password_hash is left
 * empty.  0, DH_DB_ERR or DH_DB_DOWN.
 */
int	 db_users_list(struct dh_db *, struct db_user **out, size_t *n);

/*
 * Count a login attempt for account (the normalised login name) and addr
 * (the client address) before checking the password.  Returns 0 when the
 * attempt may proceed, DB_LOGIN_THROTTLED with *retry_after (seconds,
 * at least 1) when either counter is over its limit, DH_DB_ERR or
 * DH_DB_DOWN.
 */
int	 db_login_attempt(struct dh_db *, const char *account,
	    const char *addr, long long *retry_after);

/*
 * After a successful login: forget the account's failures and take this
 * attempt back from the address.  0, DH_DB_ERR or DH_DB_DOWN.
 */
int	 db_login_success(struct dh_db *, const char *account,
	    const char *addr);

/* Release the prepared statements (before closing the connection). */
void	 db_users_release(void);

#endif
