/*
 * The MariaDB layer.  Every statement is prepared once per connection and
 * bound through dh_val; results are fetched as text into one allocation per
 * cell and typed again from the column metadata when turned into JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errmsg.h>
#include <mysqld_error.h>

#include "dh_db.h"
#include "dh_jw.h"
#include "dh_log.h"
#include "dh_util.h"

#define RESULT_MAX_ROWS		200000
#define RESULT_MAX_BYTES	(256u * 1024 * 1024)

static int
is_down(unsigned e)
{
	return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST ||
	    e == CR_CONNECTION_ERROR || e == CR_CONN_HOST_ERROR ||
	    e == CR_SERVER_LOST_EXTENDED || e == ER_CONNECTION_KILLED ||
	    e == ER_SERVER_SHUTDOWN || e == CR_COMMANDS_OUT_OF_SYNC;
}

static void
set_err(struct dh_db *db, unsigned e, const char *what, const char *msg)
{
	db->errnum = e;
	snprintf(db->err, sizeof(db->err), "%s: %s", what, msg);
}

/*
 * Connection generations are unique in the process, so a statement
 * prepared on one connection is prepared again on any other it meets
 * (a sync uses two).
 */
static unsigned	 generations;

static void
disconnect(struct dh_db *db)
{
	for (size_t i = 0; i < db->nstmts; i++)
		dh_stmt_release(&db->stmts[i]);
	if (db->conn != NULL)
		mysql_close(db->conn);
	db->conn = NULL;
	db->in_tx = 0;
	db->gen = ++generations;
}

int
dh_db_ensure(struct dh_db *db)
{
	const struct dh_config	*c = db->cfg;
	unsigned int		 timeout = 5, rtimeout = 600;
	my_bool			 off = 0;

	if (db->conn != NULL)
		return DH_DB_OK;
	if ((db->conn = mysql_init(NULL)) == NULL) {
		set_err(db, 0, "mysql_init", "out of memory");
		return DH_DB_DOWN;
	}
	mysql_options(db->conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(db->conn, MYSQL_OPT_READ_TIMEOUT, &rtimeout);
	mysql_options(db->conn, MYSQL_OPT_WRITE_TIMEOUT, &rtimeout);
	mysql_options(db->conn, MYSQL_OPT_RECONNECT, &off);
	mysql_options(db->conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	/*
	 * Answers built by JSON_ARRAYAGG (a leaderboard of 20,000 lines is
	 * at most 28 MB) must not be cut at the default 1 MB.  Every
	 * connection sets the same, so query-cache entries are shared.
	 */
	mysql_options(db->conn, MYSQL_INIT_COMMAND,
	    "SET SESSION group_concat_max_len = 67108864");
	if (mysql_real_connect(db->conn,
	    c->db_socket[0] != '\0' ? NULL : c->db_host,
	    c->db_user, c->db_password, c->db_name,
	    (unsigned)c->db_port,
	    c->db_socket[0] != '\0' ? c->db_socket : NULL,
	    CLIENT_FOUND_ROWS) == NULL) {
		set_err(db, mysql_errno(db->conn), "mysql_real_connect",
		    mysql_error(db->conn));
		mysql_close(db->conn);
		db->conn = NULL;
		return DH_DB_DOWN;
	}
	db->gen = ++generations;
	if (mysql_query(db->conn, "SET time_zone = '+00:00', "
	    "sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ENGINE_SUBSTITUTION'"
	    ) != 0) {
		set_err(db, mysql_errno(db->conn), "set session",
		    mysql_error(db->conn));
		disconnect(db);
		return DH_DB_DOWN;
	}
	return DH_DB_OK;
}

int
dh_db_open(struct dh_db *db, const struct dh_config *cfg,
    const char *const *sql, size_t n)
{
	memset(db, 0, sizeof(*db));
	db->cfg = cfg;
	db->nstmts = n;
	if (n > 0) {
		if ((db->stmts = calloc(n, sizeof(*db->stmts))) == NULL)
			return DH_DB_ERR;
		for (size_t i = 0; i < n; i++)
			db->stmts[i].sql = sql[i];
	}
	return dh_db_ensure(db);
}

/* Release what one kept read holds. */
static void
memo_forget(struct dh_memo *m)
{
	free(m->sql);
	free(m->key);
	dh_result_free(m->r);
}

/* Forget the reads kept for the batch. */
static void
memo_drop(struct dh_db *db)
{
	for (size_t i = 0; i < db->nmemo; i++)
		memo_forget(&db->memo[i]);
	db->nmemo = 0;
}

/* A statement that is not a shareable read: the request runs its own
 * from now on, and nothing kept may answer anyone after it. */
static void
memo_spoil(struct dh_db *db)
{
	db->memo_fresh = 0;
	memo_drop(db);
}

void
dh_db_batch(struct dh_db *db)
{
	memo_drop(db);
	db->memo_on = 1;
}

void
dh_db_request(struct dh_db *db)
{
	db->memo_fresh = 1;
}

#define MEMO_KEY_MAX	2048

/*
 * The values of a read as bytes: kind, then the value (a string with its
 * length before it).  0 when they do not fit, and the read is not kept.
 */
static size_t
memo_key(unsigned char *k, const struct dh_val *args, size_t nargs)
{
	size_t	 n = 0, len;

	for (size_t i = 0; i < nargs; i++) {
		len = args[i].t == DH_V_STR ? args[i].len : 0;
		if (n + 1 + 2 * sizeof(long long) + len > MEMO_KEY_MAX)
			return 0;
		k[n++] = (unsigned char)args[i].t;
		switch (args[i].t) {
		case DH_V_NULL:
			break;
		case DH_V_INT:
			memcpy(k + n, &args[i].i, sizeof(args[i].i));
			n += sizeof(args[i].i);
			break;
		case DH_V_DOUBLE:
			memcpy(k + n, &args[i].d, sizeof(args[i].d));
			n += sizeof(args[i].d);
			break;
		case DH_V_STR:
			memcpy(k + n, &len, sizeof(len));
			n += sizeof(len);
			memcpy(k + n, args[i].s, len);
			n += len;
			break;
		}
	}
	if (nargs == 0)
		k[n++] = 0xff;	/* no values: a key of its own */
	return n;
}

static struct dh_memo *
memo_find(struct dh_db *db, const char *sql, const unsigned char *k,
    size_t kl)
{
	for (size_t i = 0; i < db->nmemo; i++) {
		struct dh_memo	*m = &db->memo[i];

		if (m->keylen == kl && memcmp(m->key, k, kl) == 0 &&
		    strcmp(m->sql, sql) == 0)
			return m;
	}
	return NULL;
}

static void
memo_keep(struct dh_db *db, const char *sql, const unsigned char *k,
    size_t kl, struct dh_result *r)
{
	struct dh_memo	*m;

	/* The same read run again by a request that had run others. */
	if ((m = memo_find(db, sql, k, kl)) != NULL) {
		dh_result_free(m->r);
		m->r = r;
		r->refs++;
		return;
	}
	if (db->nmemo == DH_MEMO_MAX) {
		memo_forget(&db->memo[0]);
		memmove(db->memo, db->memo + 1,
		    (DH_MEMO_MAX - 1) * sizeof(db->memo[0]));
		db->nmemo--;
	}
	m = &db->memo[db->nmemo];
	if ((m->sql = strdup(sql)) == NULL ||
	    (m->key = malloc(kl)) == NULL) {
		free(m->sql);
		return;
	}
	memcpy(m->key, k, kl);
	m->keylen = kl;
	m->r = r;
	r->refs++;
	db->nmemo++;
}

void
dh_db_close(struct dh_db *db)
{
	memo_drop(db);
	disconnect(db);
	free(db->stmts);
	db->stmts = NULL;
	db->nstmts = 0;
}

void
dh_stmt_release(struct dh_stmt *s)
{
	if (s->st != NULL)
		mysql_stmt_close(s->st);
	s->st = NULL;
}

static int
prepare(struct dh_db *db, struct dh_stmt *s)
{
	my_bool	 on = 1;

	if (s->st != NULL && s->gen == db->gen)
		return DH_DB_OK;
	/* Prepared on a connection that is gone: libmariadb detached it. */
	dh_stmt_release(s);
	if ((s->st = mysql_stmt_init(db->conn)) == NULL) {
		set_err(db, mysql_errno(db->conn), "mysql_stmt_init",
		    mysql_error(db->conn));
		return is_down(db->errnum) ? DH_DB_DOWN : DH_DB_ERR;
	}
	if (mysql_stmt_prepare(s->st, s->sql, strlen(s->sql)) != 0) {
		set_err(db, mysql_stmt_errno(s->st), "mysql_stmt_prepare",
		    mysql_stmt_error(s->st));
		mysql_stmt_close(s->st);
		s->st = NULL;
		return is_down(db->errnum) ? DH_DB_DOWN : DH_DB_ERR;
	}
	mysql_stmt_attr_set(s->st, STMT_ATTR_UPDATE_MAX_LENGTH, &on);
	s->gen = db->gen;
	return DH_DB_OK;
}

static enum dh_ckind
kind_of(enum enum_field_types t)
{
	switch (t) {
	case MYSQL_TYPE_TINY:
	case MYSQL_TYPE_SHORT:
	case MYSQL_TYPE_LONG:
	case MYSQL_TYPE_LONGLONG:
	case MYSQL_TYPE_INT24:
	case MYSQL_TYPE_YEAR:
		return DH_C_INT;
	case MYSQL_TYPE_DECIMAL:
	case MYSQL_TYPE_NEWDECIMAL:
	case MYSQL_TYPE_FLOAT:
	case MYSQL_TYPE_DOUBLE:
		return DH_C_REAL;
	default:
		return DH_C_STR;
	}
}

/*
 * The cells of a result live in a few blocks, each twice the size of the
 * one before up to CELLS_MAX_BLOCK, instead of one allocation a cell: a
 * run reads 100,000 stored tickets (300,000 cells) and a page of requests
 * is 2,000 cells.
 */
#define CELLS_FIRST_BLOCK	4096
#define CELLS_MAX_BLOCK		(256 * 1024)

struct dh_cells {
	struct dh_cells	*next;
	size_t		 used, cap;
	char		 data[];
};

static char *
cell_alloc(struct dh_result *r, size_t n)
{
	struct dh_cells	*c = r->arena;
	size_t		 cap;

	if (c == NULL || c->cap - c->used < n) {
		cap = c == NULL ? CELLS_FIRST_BLOCK : c->cap < CELLS_MAX_BLOCK ?
		    c->cap * 2 : CELLS_MAX_BLOCK;
		if (cap < n)
			cap = n;
		if ((c = malloc(sizeof(*c) + cap)) == NULL)
			return NULL;
		c->next = r->arena;
		c->used = 0;
		c->cap = cap;
		r->arena = c;
	}
	c->used += n;
	return c->data + c->used - n;
}

void
dh_result_free(struct dh_result *r)
{
	struct dh_cells	*c, *next;

	if (r == NULL)
		return;
	if (r->refs > 0) {
		r->refs--;
		return;
	}
	for (c = r->arena; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	if (r->names != NULL)
		for (unsigned i = 0; i < r->ncols; i++)
			free(r->names[i]);
	free(r->cells);
	free(r->names);
	free(r->kinds);
	free(r);
}

/* Fetch every row of an executed statement into a new dh_result. */
static int
fetch_all(struct dh_db *db, MYSQL_STMT *st, MYSQL_RES *meta,
    struct dh_result **out)
{
	struct dh_result	*r = NULL;
	MYSQL_FIELD		*f;
	MYSQL_BIND		*b = NULL;
	unsigned long		*lens = NULL;
	my_bool			*nulls = NULL;
	char			**bufs = NULL;
	size_t			 cap = 0, total = 0;
	unsigned		 nc;
	int			 rc = DH_DB_ERR, frc;

	if (mysql_stmt_store_result(st) != 0) {
		set_err(db, mysql_stmt_errno(st), "mysql_stmt_store_result",
		    mysql_stmt_error(st));
		return is_down(db->errnum) ? DH_DB_DOWN : DH_DB_ERR;
	}
	nc = mysql_num_fields(meta);
	f = mysql_fetch_fields(meta);
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->names = calloc(nc, sizeof(char *))) == NULL ||
	    (r->kinds = calloc(nc, sizeof(*r->kinds))) == NULL ||
	    (b = calloc(nc, sizeof(*b))) == NULL ||
	    (lens = calloc(nc, sizeof(*lens))) == NULL ||
	    (nulls = calloc(nc, sizeof(*nulls))) == NULL ||
	    (bufs = calloc(nc, sizeof(char *))) == NULL)
		goto out;
	r->ncols = nc;
	for (unsigned i = 0; i < nc; i++) {
		size_t	 sz = f[i].max_length;

		if (sz < 64)
			sz = 64;
		if ((r->names[i] = strdup(f[i].name)) == NULL ||
		    (bufs[i] = malloc(sz + 1)) == NULL)
			goto out;
		r->kinds[i] = kind_of(f[i].type);
		b[i].buffer_type = MYSQL_TYPE_STRING;
		b[i].buffer = bufs[i];
		b[i].buffer_length = sz + 1;
		b[i].length = &lens[i];
		b[i].is_null = &nulls[i];
	}
	if (mysql_stmt_bind_result(st, b) != 0) {
		set_err(db, mysql_stmt_errno(st), "mysql_stmt_bind_result",
		    mysql_stmt_error(st));
		goto out;
	}
	while ((frc = mysql_stmt_fetch(st)) == 0 || frc == MYSQL_DATA_TRUNCATED) {
		if (frc == MYSQL_DATA_TRUNCATED) {
			set_err(db, 0, "mysql_stmt_fetch", "data truncated");
			goto out;
		}
		if (r->nrows >= RESULT_MAX_ROWS) {
			set_err(db, 0, "mysql_stmt_fetch", "too many rows");
			goto out;
		}
		if (r->nrows == cap) {
			size_t	 ncap = cap ? cap * 2 : 16;
			char	**nce;

			nce = realloc(r->cells, ncap * nc * sizeof(char *));
			if (nce == NULL)
				goto out;
			r->cells = nce;
			cap = ncap;
		}
		for (unsigned i = 0; i < nc; i++) {
			char	**cell = &r->cells[r->nrows * nc + i];

			*cell = NULL;
			if (nulls[i])
				continue;
			total += lens[i] + 1;
			if (total > RESULT_MAX_BYTES ||
			    (*cell = cell_alloc(r, lens[i] + 1)) == NULL) {
				set_err(db, 0, "mysql_stmt_fetch",
				    "result too large");
				goto out;
			}
			memcpy(*cell, bufs[i], lens[i]);
			(*cell)[lens[i]] = '\0';
		}
		r->nrows++;
	}
	if (frc != MYSQL_NO_DATA) {
		set_err(db, mysql_stmt_errno(st), "mysql_stmt_fetch",
		    mysql_stmt_error(st));
		rc = is_down(db->errnum) ? DH_DB_DOWN : DH_DB_ERR;
		goto out;
	}
	*out = r;
	r = NULL;
	rc = DH_DB_OK;
out:
	if (bufs != NULL)
		for (unsigned i = 0; i < nc; i++)
			free(bufs[i]);
	free(bufs);
	free(b);
	free(lens);
	free(nulls);
	dh_result_free(r);
	mysql_stmt_free_result(st);
	return rc;
}

/*
 * Prepare s if need be, bind args and execute it.  *b is the parameter
 * array the statement points to, for the caller to free once done.
 */
static int
run(struct dh_db *db, struct dh_stmt *s, const struct dh_val *args,
    size_t nargs, MYSQL_BIND **bp)
{
	MYSQL_BIND	*b;
	int		 rc;

	*bp = NULL;
	if ((rc = dh_db_ensure(db)) != DH_DB_OK)
		return rc;
	if ((rc = prepare(db, s)) != DH_DB_OK)
		return rc;
	if (mysql_stmt_param_count(s->st) != nargs) {
		set_err(db, 0, "dh_db_exec", "parameter count mismatch");
		return DH_DB_ERR;
	}
	if (nargs > 0) {
		if ((b = *bp = calloc(nargs, sizeof(*b))) == NULL)
			return DH_DB_ERR;
		for (size_t i = 0; i < nargs; i++) {
			switch (args[i].t) {
			case DH_V_NULL:
				b[i].buffer_type = MYSQL_TYPE_NULL;
				break;
			case DH_V_INT:
				b[i].buffer_type = MYSQL_TYPE_LONGLONG;
				b[i].buffer = (void *)&args[i].i;
				break;
			case DH_V_DOUBLE:
				b[i].buffer_type = MYSQL_TYPE_DOUBLE;
				b[i].buffer = (void *)&args[i].d;
				break;
			case DH_V_STR:
				b[i].buffer_type = MYSQL_TYPE_STRING;
				b[i].buffer = (void *)args[i].s;
				b[i].buffer_length = args[i].len;
				break;
			}
		}
		if (mysql_stmt_bind_param(s->st, b) != 0) {
			set_err(db, mysql_stmt_errno(s->st),
			    "mysql_stmt_bind_param", mysql_stmt_error(s->st));
			return DH_DB_ERR;
		}
	}
	if (mysql_stmt_execute(s->st) != 0) {
		set_err(db, mysql_stmt_errno(s->st), "mysql_stmt_execute",
		    mysql_stmt_error(s->st));
		return is_down(db->errnum) ? DH_DB_DOWN : DH_DB_ERR;
	}
	return DH_DB_OK;
}

static int
exec_once(struct dh_db *db, struct dh_stmt *s, const struct dh_val *args,
    size_t nargs, struct dh_result **res, unsigned long long *affected)
{
	MYSQL_BIND	*b = NULL;
	MYSQL_RES	*meta = NULL;
	int		 rc;

	if ((rc = run(db, s, args, nargs, &b)) != DH_DB_OK)
		goto out;
	if (affected != NULL)
		*affected = mysql_stmt_affected_rows(s->st);
	meta = mysql_stmt_result_metadata(s->st);
	if (meta != NULL) {
		struct dh_result	*tmp = NULL;

		rc = fetch_all(db, s->st, meta, &tmp);
		if (rc == DH_DB_OK && res != NULL)
			*res = tmp;
		else
			dh_result_free(tmp);
	}
out:
	if (meta != NULL)
		mysql_free_result(meta);
	free(b);
	return rc;
}

/*
 * Whether rc says the connection is gone; it is then closed, so that the
 * statement can be tried again on a new one (outside a transaction).
 */
static int
lost(struct dh_db *db, int rc)
{
	if (rc != DH_DB_DOWN && !(rc == DH_DB_ERR && is_down(db->errnum)))
		return 0;
	dh_warn("database connection lost: %s", db->err);
	disconnect(db);
	return 1;
}

/* What a statement tried once or twice answers, logged when not OK. */
static int
outcome(struct dh_db *db, int rc)
{
	if (rc == DH_DB_ERR && is_down(db->errnum))
		rc = DH_DB_DOWN;
	if (rc != DH_DB_OK)
		dh_debug("%s", db->err);
	return rc;
}

/* The rows of s handed to fn one by one; *rows counts them. */
static int
each_once(struct dh_db *db, struct dh_stmt *s, const struct dh_val *args,
    size_t nargs, struct dh_col *cols, size_t ncols,
    int (*fn)(void *, const struct dh_col *), void *arg, size_t *rows)
{
	MYSQL_BIND	*b = NULL, *rb = NULL;
	int		 rc, frc;

	if ((rc = run(db, s, args, nargs, &b)) != DH_DB_OK)
		goto out;
	rc = DH_DB_ERR;
	if (mysql_stmt_field_count(s->st) != ncols) {
		set_err(db, 0, "dh_db_each", "column count mismatch");
		goto out;
	}
	if ((rb = calloc(ncols, sizeof(*rb))) == NULL)
		goto out;
	for (size_t i = 0; i < ncols; i++) {
		if (cols[i].is_int) {
			rb[i].buffer_type = MYSQL_TYPE_LONGLONG;
			rb[i].buffer = &cols[i].i;
		} else {
			rb[i].buffer_type = MYSQL_TYPE_BLOB;
			rb[i].buffer = cols[i].buf;
			rb[i].buffer_length = cols[i].cap;
		}
		rb[i].length = &cols[i].len;
		rb[i].is_null = &cols[i].null;
		rb[i].error = &cols[i].trunc;
	}
	if (mysql_stmt_bind_result(s->st, rb) != 0) {
		set_err(db, mysql_stmt_errno(s->st), "mysql_stmt_bind_result",
		    mysql_stmt_error(s->st));
		goto out;
	}
	/* Unbuffered: each row is read from the server as it is asked for. */
	while ((frc = mysql_stmt_fetch(s->st)) == 0 ||
	    frc == MYSQL_DATA_TRUNCATED) {
		(*rows)++;
		if (fn(arg, cols) == -1) {
			set_err(db, 0, "dh_db_each", "stopped by the reader");
			goto out;
		}
	}
	if (frc != MYSQL_NO_DATA) {
		set_err(db, mysql_stmt_errno(s->st), "mysql_stmt_fetch",
		    mysql_stmt_error(s->st));
		rc = is_down(db->errnum) ? DH_DB_DOWN : DH_DB_ERR;
		goto out;
	}
	rc = DH_DB_OK;
out:
	/* Whatever was not read is dropped, so the connection can go on. */
	if (s->st != NULL)
		mysql_stmt_free_result(s->st);
	free(rb);
	free(b);
	return rc;
}

int
dh_db_each(struct dh_db *db, struct dh_stmt *s, const struct dh_val *args,
    size_t nargs, struct dh_col *cols, size_t ncols,
    int (*fn)(void *, const struct dh_col *), void *arg)
{
	size_t	 rows = 0;
	int	 rc, tx = db->in_tx;

	memo_spoil(db);
	rc = each_once(db, s, args, nargs, cols, ncols, fn, arg, &rows);
	/* Again only when no row was handed over yet. */
	if (lost(db, rc) && !tx && rows == 0)
		rc = each_once(db, s, args, nargs, cols, ncols, fn, arg,
		    &rows);
	return outcome(db, rc);
}

int
dh_db_stmt(struct dh_db *db, struct dh_stmt *s, const struct dh_val *args,
    size_t nargs, struct dh_result **res, unsigned long long *affected)
{
	unsigned char	 key[MEMO_KEY_MAX];
	struct dh_memo	*m;
	size_t		 kl = 0;
	int		 rc, tx = db->in_tx;

	if (res != NULL)
		*res = NULL;
	if (db->memo_on && !tx && res != NULL && affected == NULL &&
	    strncmp(s->sql, "SELECT SQL_CACHE ", 17) == 0)
		kl = memo_key(key, args, nargs);
	if (kl > 0 && db->memo_fresh &&
	    (m = memo_find(db, s->sql, key, kl)) != NULL) {
		m->r->refs++;
		*res = m->r;
		return DH_DB_OK;
	}
	if (kl == 0)
		memo_spoil(db);
	db->memo_fresh = 0;
	rc = exec_once(db, s, args, nargs, res, affected);
	if (lost(db, rc) && !tx)
		rc = exec_once(db, s, args, nargs, res, affected);
	rc = outcome(db, rc);
	if (kl > 0 && rc == DH_DB_OK && *res != NULL)
		memo_keep(db, s->sql, key, kl, *res);
	return rc;
}

int
dh_db_exec(struct dh_db *db, unsigned q, const struct dh_val *args,
    size_t nargs, struct dh_result **res, unsigned long long *affected)
{
	if (q >= db->nstmts) {
		set_err(db, 0, "dh_db_exec", "no such statement");
		return DH_DB_ERR;
	}
	return dh_db_stmt(db, &db->stmts[q], args, nargs, res, affected);
}

static int
query_once(struct dh_db *db, const char *sql)
{
	int	 rc;

	if ((rc = dh_db_ensure(db)) != DH_DB_OK)
		return rc;
	if (mysql_query(db->conn, sql) != 0) {
		set_err(db, mysql_errno(db->conn), "mysql_query",
		    mysql_error(db->conn));
		if (is_down(db->errnum)) {
			disconnect(db);
			return DH_DB_DOWN;
		}
		return DH_DB_ERR;
	}
	/* Drain any result sets (multi-statement texts are not used). */
	do {
		MYSQL_RES	*r = mysql_store_result(db->conn);

		if (r != NULL)
			mysql_free_result(r);
	} while (mysql_next_result(db->conn) == 0);
	return DH_DB_OK;
}

int
dh_db_query(struct dh_db *db, const char *sql)
{
	int	 tx = db->in_tx, rc;

	memo_spoil(db);
	rc = query_once(db, sql);
	/* A connection that died while idle is retried once. */
	if (rc == DH_DB_DOWN && !tx)
		rc = query_once(db, sql);
	return rc;
}

int
dh_db_begin(struct dh_db *db)
{
	int	 rc;

	if ((rc = dh_db_query(db, "START TRANSACTION")) == DH_DB_OK)
		db->in_tx = 1;
	return rc;
}

int
dh_db_commit(struct dh_db *db)
{
	int	 rc = dh_db_query(db, "COMMIT");

	db->in_tx = 0;
	return rc;
}

int
dh_db_rollback(struct dh_db *db)
{
	int	 rc = DH_DB_OK;

	if (db->conn != NULL)
		rc = dh_db_query(db, "ROLLBACK");
	db->in_tx = 0;
	return rc;
}

unsigned long long
dh_db_insert_id(struct dh_db *db)
{
	return db->conn != NULL ? mysql_insert_id(db->conn) : 0;
}

const char *
dh_res_get(const struct dh_result *r, size_t row, unsigned col)
{
	if (r == NULL || row >= r->nrows || col >= r->ncols)
		return NULL;
	return r->cells[row * r->ncols + col];
}

long long
dh_res_int(const struct dh_result *r, size_t row, unsigned col,
    long long def)
{
	const char	*s = dh_res_get(r, row, col);
	long long	 v;

	if (s == NULL || dh_parse_ll(s, -9223372036854775807LL - 1,
	    9223372036854775807LL, &v) == -1)
		return def;
	return v;
}

json_t *
dh_res_row_json(const struct dh_result *r, size_t row)
{
	json_t		*o = json_object();
	const char	*s;
	long long	 v;
	double		 d;

	if (o == NULL)
		return NULL;
	for (unsigned c = 0; c < r->ncols; c++) {
		json_t	*j;

		s = dh_res_get(r, row, c);
		if (s == NULL)
			j = json_null();
		else if (r->kinds[c] == DH_C_INT &&
		    dh_parse_ll(s, -9223372036854775807LL - 1,
		    9223372036854775807LL, &v) == 0)
			j = json_integer(v);
		else if (r->kinds[c] == DH_C_REAL &&
		    dh_parse_double(s, -1e300, 1e300, &d) == 0)
			j = json_real(d);
		else
			j = json_string(s);
		if (j == NULL || json_object_set_new(o, r->names[c], j) != 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

json_t *
dh_res_json(const struct dh_result *r)
{
	json_t	*a = json_array();

	if (a == NULL)
		return NULL;
	for (size_t i = 0; r != NULL && i < r->nrows; i++)
		if (json_array_append_new(a, dh_res_row_json(r, i)) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* An integer as MariaDB writes it, short enough to be an int64: copied. */
static int
canonical_int(const char *s, size_t n)
{
	size_t	 i = s[0] == '-';

	if (n - i == 0 || n - i > 18 || (s[i] == '0' && n - i > 1) ||
	    (s[i] == '0' && i == 1))
		return 0;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int
dh_res_json_text(const struct dh_result *r, struct dh_buf *b)
{
	return dh_res_json_text_cols(r, r != NULL ? r->ncols : 0, b);
}

int
dh_res_json_text_cols(const struct dh_result *r, unsigned ncols,
    struct dh_buf *b)
{
	struct dh_buf	 keys;
	size_t		*koff = NULL;
	const char	*s;
	char		 num[32];
	long long	 v;
	double		 d;
	int		 rc = 0;

	if (r != NULL && ncols > r->ncols)
		ncols = r->ncols;
	/* Each column's ,"name": once, escaped. */
	dh_buf_init(&keys, b->max);
	if (r != NULL && r->nrows > 0) {
		if ((koff = calloc(ncols + 1, sizeof(*koff))) == NULL)
			return -1;
		for (unsigned c = 0; c < ncols && rc == 0; c++) {
			koff[c] = keys.len;
			rc |= dh_json_put_string(&keys, ",", 1, r->names[c],
			    strlen(r->names[c]));
			rc |= dh_buf_append(&keys, ":", 1);
		}
		koff[ncols] = keys.len;
	}
	rc |= dh_buf_append(b, "[", 1);
	for (size_t i = 0; r != NULL && i < r->nrows && rc == 0; i++) {
		rc |= dh_buf_append(b, i > 0 ? ",{" : "{", i > 0 ? 2 : 1);
		for (unsigned c = 0; c < ncols && rc == 0; c++) {
			/* The first member goes without its comma. */
			const char	*k = keys.data + koff[c] + (c == 0);
			size_t		 kn = koff[c + 1] - koff[c] - (c == 0);
			size_t		 n;

			s = dh_res_get(r, i, c);
			if (s == NULL) {
				rc |= dh_buf_append(b, k, kn);
				rc |= dh_buf_append(b, "null", 4);
				continue;
			}
			n = strlen(s);
			if (r->kinds[c] == DH_C_INT && canonical_int(s, n)) {
				rc |= dh_buf_append(b, k, kn);
				rc |= dh_buf_append(b, s, n);
			} else if (r->kinds[c] == DH_C_INT &&
			    dh_parse_ll(s, -9223372036854775807LL - 1,
			    9223372036854775807LL, &v) == 0) {
				rc |= dh_buf_append(b, k, kn);
				rc |= dh_buf_append(b, num, (size_t)snprintf(num,
				    sizeof(num), "%lld", v));
			} else if (r->kinds[c] == DH_C_REAL &&
			    dh_parse_double(s, -1e300, 1e300, &d) == 0) {
				/* Rare: let jansson format the real. */
				json_t	*j = json_real(d);
				char	*t = json_dumps(j, JSON_ENCODE_ANY);

				rc |= dh_buf_append(b, k, kn);
				rc |= t == NULL ? -1 : dh_buf_puts(b, t);
				free(t);
				json_decref(j);
			} else
				rc |= dh_json_put_string(b, k, kn, s, n);
		}
		rc |= dh_buf_append(b, "}", 1);
	}
	rc |= dh_buf_append(b, "]", 1);
	free(koff);
	dh_buf_release(&keys);
	return rc == 0 ? 0 : -1;
}
