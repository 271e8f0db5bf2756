/*
 * MariaDB access through prepared statements only.  A program declares its
 * SQL as a constant array indexed by an enum; statements are prepared on
 * first use and re-prepared after a reconnect.  Results are copied into a
 * dh_result owned by the caller.
 *
 * The reads behind the dashboard's endpoints (status, the lists, the
 * closures, the user behind a credential) say SELECT SQL_CACHE: on a
 * server with query_cache_type=DEMAND they are answered from MariaDB's
 * query cache, which drops an entry when any table it read is written
 * (and commits), so an answer is never older than the last commit.  On
 * a server without the cache the hint does nothing.
 */
#ifndef DH_DB_H
#define DH_DB_H

#include <stddef.h>
#include <string.h>

#include <jansson.h>
#include <mysql.h>

#include "dh_config.h"
#include "dh_util.h"

#define DH_DB_OK	 0
#define DH_DB_ERR	-1	/* the statement failed */
#define DH_DB_DOWN	-2	/* the server is unreachable */

enum dh_vtype {
	DH_V_NULL,
	DH_V_INT,
	DH_V_DOUBLE,
	DH_V_STR,
};

/* One bound input value; strings are borrowed, not copied. */
struct dh_val {
	enum dh_vtype	 t;
	long long	 i;
	double		 d;
	const char	*s;
	size_t		 len;
};

#define DH_VNULL	((struct dh_val){ .t = DH_V_NULL })
#define DH_VINT(x)	((struct dh_val){ .t = DH_V_INT, .i = (x) })
#define DH_VDBL(x)	((struct dh_val){ .t = DH_V_DOUBLE, .d = (x) })
#define DH_VSTR(x)	((struct dh_val){ .t = (x) != NULL ? DH_V_STR : \
	DH_V_NULL, .s = (x), .len = (x) != NULL ? strlen(x) : 0 })
#define DH_VSTRN(x, n)	((struct dh_val){ .t = DH_V_STR, .s = (x), .len = (n) })

/* A statement with its text; owned by whoever declares it. */
struct dh_stmt {
	const char	*sql;
	MYSQL_STMT	*st;
	unsigned	 gen;	/* connection generation it was prepared on */
};

struct dh_result;

#define DH_MEMO_MAX	8

/* A read kept for the other requests of a batch (dh_db_batch). */
struct dh_memo {
	char			*sql;
	unsigned char		*key;	/* the values, as memo_key() writes */
	size_t			 keylen;
	struct dh_result	*r;
};

struct dh_db {
	MYSQL			*conn;
	const struct dh_config	*cfg;
	struct dh_stmt		*stmts;
	size_t			 nstmts;
	unsigned		 gen;
	int			 in_tx;
	unsigned		 errnum;
	char			 err[256];
	int			 memo_on;	/* dh_db_batch was called */
	int			 memo_fresh;	/* no statement run since */
	size_t			 nmemo;
	struct dh_memo		 memo[DH_MEMO_MAX];
};

/* Column kinds for JSON output. */
enum dh_ckind {
	DH_C_STR,
	DH_C_INT,
	DH_C_REAL,
};

struct dh_cells;

/* A fully fetched result set; cells are NUL-terminated, NULL for SQL NULL. */
struct dh_result {
	unsigned	 ncols;
	size_t		 nrows;
	char		**names;
	enum dh_ckind	*kinds;
	char		**cells;	/* nrows * ncols */
	struct dh_cells	*arena;		/* where the cells are, or NULL */
	unsigned	 refs;		/* holders besides the first */
};

/*
 * Initialise db for the statements sql[0..n) (kept by reference) and try to
 * connect.  Returns DH_DB_OK, or DH_DB_DOWN when the server cannot be
 * reached yet (later calls retry).  Release with dh_db_close().
 */
int	 dh_db_open(struct dh_db *, const struct dh_config *,
	    const char *const *sql, size_t n);
void	 dh_db_close(struct dh_db *);
/* Connect if not connected; DH_DB_OK or DH_DB_DOWN. */
int	 dh_db_ensure(struct dh_db *);

/*
 * Execute statement q of the table with args.  When res is not NULL and
 * the statement returns rows, *res receives them (free with
 * dh_result_free).  *affected, when not NULL, gets the affected rows.  Out
 * of a transaction a lost connection is retried once after reconnecting.
 */
int	 dh_db_exec(struct dh_db *, unsigned q, const struct dh_val *,
	    size_t nargs, struct dh_result **res, unsigned long long *affected);
/* Same for a caller-owned statement (for generated batch statements). */
int	 dh_db_stmt(struct dh_db *, struct dh_stmt *, const struct dh_val *,
	    size_t nargs, struct dh_result **res, unsigned long long *affected);
/*
 * One column of a row read by dh_db_each: a 64-bit integer into i, or
 * bytes into buf[0..cap) (len tells how many; a longer value sets trunc
 * and is cut).  null is set for SQL NULL.
 */
struct dh_col {
	int		 is_int;
	long long	 i;
	char		*buf;
	unsigned long	 cap;
	unsigned long	 len;
	my_bool		 null;
	my_bool		 trunc;
};

/*
 * Execute s and hand each row to fn as it comes from the server, read
 * into cols[0..ncols): nothing is kept, so a read of many rows takes no
 * memory beyond one row.  fn returns 0, or -1 to stop (DH_DB_ERR).  It
 * must not use db.  A lost connection is retried as dh_db_stmt does,
 * but only when no row was handed over yet.
 */
int	 dh_db_each(struct dh_db *, struct dh_stmt *, const struct dh_val *,
	    size_t nargs, struct dh_col *cols, size_t ncols,
	    int (*fn)(void *, const struct dh_col *), void *arg);
/*
 * Coalesced reads.  A worker that serves the requests it finds waiting
 * one after another calls dh_db_batch before it waits for more, and
 * dh_db_request as each request begins.  Within a batch, a read
 * (SELECT SQL_CACHE, out of a transaction) that another request of the
 * batch already made with the same statement and values is answered
 * with that read's result, but only while the request has run no
 * statement of its own: every request of a batch was waiting before the
 * batch began, so the result it gets was read after it arrived, as if
 * its own read had run then.  Any other statement drops what was kept.
 * Results handed out so are shared: the caller frees them as usual and
 * must not change them.
 */
void	 dh_db_batch(struct dh_db *);
void	 dh_db_request(struct dh_db *);

/* Release a caller-owned statement. */
void	 dh_stmt_release(struct dh_stmt *);

/* Run a constant SQL text without parameters (migrations, SET). */
int	 dh_db_query(struct dh_db *, const char *sql);

int	 dh_db_begin(struct dh_db *);
int	 dh_db_commit(struct dh_db *);
int	 dh_db_rollback(struct dh_db *);

/* The last insert id of this connection. */
unsigned long long dh_db_insert_id(struct dh_db *);

void	 dh_result_free(struct dh_result *);
/* Cell text or NULL; out of range is NULL. */
const char *dh_res_get(const struct dh_result *, size_t row, unsigned col);
/* Cell as integer; def when NULL or not a number. */
long long dh_res_int(const struct dh_result *, size_t row, unsigned col,
	    long long def);
/* Row as a JSON object keyed by column name, typed by column kind. */
json_t	*dh_res_row_json(const struct dh_result *, size_t row);
/* All rows as a JSON array of objects. */
json_t	*dh_res_json(const struct dh_result *);
/*
 * The same array written straight into b as compact JSON text with
 * non-ASCII escaped, byte for byte what json_dumps(dh_res_json(r),
 * JSON_COMPACT | JSON_ENSURE_ASCII) gives, without building the tree
 * (a page of 100 rows spent most of its time there).  0, or -1 when b is
 * full or a cell is not UTF-8.
 */
int	 dh_res_json_text(const struct dh_result *, struct dh_buf *b);
/* The same with only the first ncols columns of each row. */
int	 dh_res_json_text_cols(const struct dh_result *, unsigned ncols,
	    struct dh_buf *b);

#endif
