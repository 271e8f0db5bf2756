/*
 * The FastCGI side shared by every program: the pre-forking accept loop,
 * routing with 404/405, the request body cap, identity and role checks,
 * JSON answers with security headers, and one access-log line per request.
 */
#ifndef DH_FCGI_H
#define DH_FCGI_H

#include <stddef.h>

#include <fcgiapp.h>
#include <jansson.h>

#include "dh_config.h"
#include "dh_db.h"
#include "dh_query.h"

#define DH_BODY_MAX	(64 * 1024)

enum dh_access {
	DH_PUBLIC,	/* anyone */
	DH_AUTH,	/* any authenticated user */
	/*
	 * Any authenticated user, on a read with no side effects: the user
	 * of a Bearer token may be checked by the handler's own statement
	 * (DH_IDENT_SQL, dh_ident_confirm) instead of a round trip of its
	 * own.  Whatever the handler does, the check is made before its
	 * answer goes out.
	 */
	DH_AUTH_READ,
	DH_ADMIN,	/* roles admin, manager, developer */
};

enum dh_via {
	DH_VIA_NONE,
	DH_VIA_BASIC,	/* nginx checked basic auth */
	DH_VIA_BEARER,	/* a JWT checked by us */
};

/* Who is calling, once authenticated. */
struct dh_ident {
	enum dh_via	 via;
	long long	 user_id;	/* 0 when not a users-table user */
	char		 user[128];	/* email or basic-auth name */
	char		 name[128];
	char		 role[16];	/* "" while pending */
	/*
	 * A Bearer token was verified but its user not yet looked up
	 * (DH_AUTH_READ): user is the token's subject, user_id 0, role "".
	 */
	int		 pending;
};

struct dh_app;

struct dh_req {
	FCGX_Request	*fcgi;
	struct dh_app	*app;
	const char	*method;
	const char	*path;
	const char	*query;
	const char	*remote_addr;
	const char	*content_type;
	char		*body;		/* NUL-terminated, may be NULL */
	size_t		 body_len;
	long long	 path_id;	/* the {id} of the route, if any */
	char		 reqid[40];
	struct dh_ident	 ident;
	int		 status;	/* 0 until an answer is sent */
};

typedef void	(*dh_handler)(struct dh_req *);

/* A route: method, path (a trailing "{id}" matches a positive integer). */
struct dh_route {
	const char	*method;
	const char	*path;
	enum dh_access	 access;
	dh_handler	 fn;
};

struct dh_app {
	const char		*name;
	const struct dh_route	*routes;
	size_t			 nroutes;
	const char *const	*sql;		/* the program's statements */
	size_t			 nsql;
	/*
	 * Called in each worker after fork, before the worker opens the
	 * database with sql[0..nsql); -1 is fatal for the worker.
	 */
	int			(*init)(struct dh_app *);
	void			(*release)(struct dh_app *);
	/*
	 * Serve the requests found waiting together as a batch: identical
	 * reads are shared (dh_db_batch) and the access-log lines written
	 * together (dh_log_hold).  For programs that answer in
	 * milliseconds, and whose handlers run no threads.
	 */
	int			 batch;
	/*
	 * Workers when neither -n nor DESKHUB_WORKERS names them; 0 is one
	 * per CPU.  One for the programs whose answers MariaDB writes: a
	 * connection nginx keeps belongs to one worker, so with more a
	 * request waits for its worker while another is idle.
	 */
	int			 workers;
	struct dh_config	 cfg;
	struct dh_db		 db;
	void			*ctx;
};

/*
 * Parse argv (-c config, -s socket path or :port, -m socket mode in octal,
 * -n workers, -f to stay in one process), open the socket, fork workers and serve until SIGTERM.
 * Returns the process exit status.
 */
int	 dh_fcgi_main(struct dh_app *, int argc, char **argv);

/* Send body (reference stolen) with status. */
void	 dh_reply_json(struct dh_req *, int status, json_t *body);
/*
 * Answer with JSON text already encoded (compact, ASCII), len bytes;
 * NULL text answers 500 "cannot encode the answer".
 */
void	 dh_reply_text(struct dh_req *, int status, const char *text,
	    size_t len);
/* Send {"error": message} with status. */
void	 dh_reply_error(struct dh_req *, int status, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Send extra (stolen, may be NULL) with "error" set to the message. */
void	 dh_reply_error_obj(struct dh_req *, int status, json_t *extra,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Answer a dh_db error code: 503 when down, 500 otherwise. */
void	 dh_reply_db(struct dh_req *, int dbrc);
/* Add a response header for the next reply (at most a few, bounded). */
void	 dh_reply_header(struct dh_req *, const char *name, const char *val);

/*
 * Parse the body as a JSON object (duplicate keys rejected).  An empty body
 * gives an empty object when optional.  Returns a new reference, or NULL
 * after answering 400/415.
 */
json_t	*dh_req_json(struct dh_req *, int optional);

/*
 * Parse the query string and validate the fields f[0..n) into v.  0 with
 * qs to release (dh_query_release), or -1 after answering 400 (nothing to
 * release).
 */
int	 dh_req_query(struct dh_req *, struct dh_query *qs,
	    const struct dh_field *f, size_t n, struct dh_fval *v);

/* A request parameter from the web server (nginx fastcgi_param). */
const char *dh_req_param(struct dh_req *, const char *name);

/* Whether role is one of the admin roles. */
int	 dh_role_is_admin(const char *role);

/* Answer 401 with the challenge that fits how the caller came in. */
void	 dh_reply_unauthorized(struct dh_req *);

/*
 * Establish req->ident from what nginx passed.  With defer, a Bearer
 * token's user is left pending (see struct dh_ident).  Returns 0 when the
 * caller is authenticated, -1 when not (the caller answers 401),
 * DH_DB_DOWN when the user table cannot be read.  Implemented, with the
 * two below, in dh_ident.c.
 */
int	 dh_ident_resolve(struct dh_req *, int defer);

/*
 * A scalar subquery for a handler's statement, binding the caller's
 * req->ident.user once: "<id> <role>" of that user when it exists and is
 * enabled, else NULL.  Give its value to dh_ident_confirm.
 */
#define DH_IDENT_SQL	"(SELECT CONCAT(id, ' ', role) FROM users " \
	"WHERE email = ? AND disabled = 0)"

/*
 * Settle a pending user with the value of DH_IDENT_SQL read in the same
 * statement as the data (NULL: gone or disabled).  0, or -1 after
 * answering 401.  Nothing to do when the user is not pending.
 */
int	 dh_ident_confirm(struct dh_req *, const char *val);

/*
 * Settle a pending user with a lookup of its own.  0, -1 (not a valid
 * user) or DH_DB_DOWN; the caller answers.  Called by every answer.
 */
int	 dh_ident_settle(struct dh_req *);

#endif
