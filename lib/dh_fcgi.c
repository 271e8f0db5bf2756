/*
 * The FastCGI loop.  The parent opens the socket and keeps a fixed number
 * of single-threaded workers alive; each worker waits on the connections
 * it holds and on the socket, takes the next request, checks route,
 * method, identity and body size, calls the handler and releases
 * everything the request held before the next one.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "dh_fcgi.h"
#include "dh_log.h"
#include "dh_util.h"

#define MAX_WORKERS	64
#define MAX_HEADERS	4
#define LISTEN_BACKLOG	1024	/* the kernel caps it at somaxconn */
#define MAX_CONNS	256	/* connections one worker holds */
#define MAX_EVENTS	64
/* Answers larger than libfcgi's 8 KB stream buffer are written at once. */
#define DIRECT_MIN	8000
#define REC_MAX		65528	/* bytes of one record, a multiple of 8 */
#define DIRECT_IOV	64	/* 4 per record: header and 3 segments */

static volatile sig_atomic_t	 stopping;
static char			 extra_hdr[MAX_HEADERS][512];
static size_t			 nextra;

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Status";
	}
}

void
dh_reply_header(struct dh_req *req, const char *name, const char *val)
{
	if (nextra == MAX_HEADERS)
		return;
	/* Header values never carry CR or LF from anywhere. */
	if (strpbrk(val, "\r\n") != NULL || strpbrk(name, "\r\n:") != NULL)
		return;
	snprintf(extra_hdr[nextra++], sizeof(extra_hdr[0]), "%s: %s", name,
	    val);
}

void
dh_reply_unauthorized(struct dh_req *req)
{
	const char	*via = dh_req_param(req, "DESKHUB_AUTH_VIA");

	/* Nothing the handler meant for its answer goes with this one. */
	nextra = 0;
	/*
	 * A refused token is challenged as Bearer only: a Basic challenge
	 * would make the browser open its password dialog over the
	 * dashboard.
	 */
	dh_reply_header(req, "WWW-Authenticate",
	    via != NULL && strcmp(via, "bearer") == 0 ?
	    "Bearer realm=\"Deskhub\", error=\"invalid_token\"" :
	    "Basic realm=\"Deskhub\", Bearer");
	dh_reply_error(req, 401, "authentication required");
}

/*
 * Write an answer of hl header bytes, len body bytes and a newline as
 * FastCGI stdout records in one writev.  libfcgi's stream sends 8 KB a
 * record, a write and a wake-up of nginx each: five of them for a page
 * of the list.  The records go straight to the connection, before
 * anything of libfcgi's (nothing else writes to the stream), and
 * FCGX_Finish_r ends the stream after them.  0 when done: written, or
 * failed, in which case the stream's error makes libfcgi close the
 * connection.  -1 when the answer is too large for the iovec array:
 * nothing was written, and the caller uses the stream.
 */
static int
put_direct(FCGX_Request *fr, const char *hdr, size_t hl, const char *text,
    size_t len)
{
	struct iovec	 iov[DIRECT_IOV];
	unsigned char	 rh[DIRECT_IOV / 4][8];
	const char	*seg[3] = { hdr, text, "\n" };
	size_t		 seglen[3] = { hl, len, 1 };
	size_t		 total = hl + len + 1, si = 0, so = 0, n = 0, nr = 0;
	ssize_t		 w;

	if (total > (DIRECT_IOV / 4) * (size_t)REC_MAX)
		return -1;
	while (total > 0) {
		size_t	 rl = total < REC_MAX ? total : REC_MAX;

		/* version 1, FCGI_STDOUT, request id, length, no padding */
		rh[nr][0] = 1;
		rh[nr][1] = 6;
		rh[nr][2] = (unsigned char)((fr->requestId >> 8) & 0xff);
		rh[nr][3] = (unsigned char)(fr->requestId & 0xff);
		rh[nr][4] = (unsigned char)(rl >> 8);
		rh[nr][5] = (unsigned char)(rl & 0xff);
		rh[nr][6] = 0;
		rh[nr][7] = 0;
		iov[n].iov_base = rh[nr++];
		iov[n++].iov_len = 8;
		total -= rl;
		while (rl > 0) {
			size_t	 k = seglen[si] - so;

			if (k == 0) {
				si++;
				so = 0;
				continue;
			}
			if (k > rl)
				k = rl;
			iov[n].iov_base = (void *)(seg[si] + so);
			iov[n++].iov_len = k;
			so += k;
			rl -= k;
		}
	}
	for (size_t i = 0; i < n; ) {
		w = writev(fr->ipcFd, iov + i, (int)(n - i));
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1) {
			/* libfcgi sees the error and closes the connection. */
			fr->out->FCGI_errno = errno;
			return 0;
		}
		while (i < n && (size_t)w >= iov[i].iov_len)
			w -= (ssize_t)iov[i++].iov_len;
		if (i < n) {
			iov[i].iov_base = (char *)iov[i].iov_base + w;
			iov[i].iov_len -= (size_t)w;
		}
	}
	return 0;
}

void
dh_reply_text(struct dh_req *req, int status, const char *text, size_t len)
{
	char	 hdr[512 + MAX_HEADERS * 520];
	size_t	 hl;
	int	 rc;

	if (req->status != 0)
		return;
	/*
	 * No answer, error or not, leaves for a user still pending: the
	 * handler's statement did not check it, so it is looked up now.
	 */
	if (req->ident.pending) {
		if ((rc = dh_ident_settle(req)) == DH_DB_DOWN) {
			nextra = 0;
			dh_reply_db(req, rc);
			return;
		}
		if (rc != 0) {
			dh_reply_unauthorized(req);
			return;
		}
	}
	if (text == NULL && status < 500) {
		status = 500;
		text = "{\"error\":\"cannot encode the answer\"}";
		len = strlen(text);
	}
	req->status = status;
	if (text == NULL)
		len = 0;
	/* The length spares nginx the chunked encoding of the answer. */
	hl = (size_t)snprintf(hdr, sizeof(hdr), "Status: %d %s\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "Content-Length: %zu\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "X-Request-Id: %s\r\n", status, reason(status),
	    text != NULL ? len + 1 : 0, req->reqid);
	for (size_t i = 0; i < nextra && hl < sizeof(hdr); i++)
		hl += (size_t)snprintf(hdr + hl, sizeof(hdr) - hl, "%s\r\n",
		    extra_hdr[i]);
	if (hl + 2 >= sizeof(hdr))	/* cannot happen: MAX_HEADERS x 512 */
		hl = sizeof(hdr) - 3;
	memcpy(hdr + hl, "\r\n", 2);
	hl += 2;
	if (text != NULL && hl + len + 1 > DIRECT_MIN &&
	    put_direct(req->fcgi, hdr, hl, text, len) == 0)
		return;
	FCGX_PutStr(hdr, (int)hl, req->fcgi->out);
	if (text != NULL) {
		FCGX_PutStr(text, (int)len, req->fcgi->out);
		FCGX_PutS("\n", req->fcgi->out);
	}
}

void
dh_reply_json(struct dh_req *req, int status, json_t *body)
{
	char	*text = NULL;

	if (req->status != 0) {
		json_decref(body);
		return;
	}
	if (body != NULL)
		text = json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII);
	dh_reply_text(req, status, text, text != NULL ? strlen(text) : 0);
	free(text);
	json_decref(body);
}

static void
vreply_error(struct dh_req *req, int status, json_t *extra, const char *fmt,
    va_list ap)
{
	char	 msg[512];
	json_t	*o = extra != NULL ? extra : json_object();

	vsnprintf(msg, sizeof(msg), fmt, ap);
	json_object_set_new(o, "error", json_string(msg));
	if (status >= 500)
		dh_warn("answer %d: %s", status, msg);
	dh_reply_json(req, status, o);
}

void
dh_reply_error(struct dh_req *req, int status, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vreply_error(req, status, NULL, fmt, ap);
	va_end(ap);
}

void
dh_reply_error_obj(struct dh_req *req, int status, json_t *extra,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vreply_error(req, status, extra, fmt, ap);
	va_end(ap);
}

void
dh_reply_db(struct dh_req *req, int dbrc)
{
	if (dbrc == DH_DB_DOWN) {
		dh_reply_header(req, "Retry-After", "5");
		dh_reply_error(req, 503, "database unavailable, try again "
		    "shortly");
	} else {
		dh_err("database: %s", req->app->db.err);
		dh_reply_error(req, 500, "database error");
	}
}

int
dh_req_query(struct dh_req *req, struct dh_query *qs,
    const struct dh_field *f, size_t n, struct dh_fval *v)
{
	char	 err[256];

	if (dh_query_parse(qs, req->query, err, sizeof(err)) == -1) {
		dh_reply_error(req, 400, "%s", err);
		return -1;
	}
	if (dh_query_validate(qs, f, n, v, err, sizeof(err)) == -1) {
		dh_reply_error(req, 400, "%s", err);
		dh_query_release(qs);
		return -1;
	}
	return 0;
}

const char *
dh_req_param(struct dh_req *req, const char *name)
{
	return FCGX_GetParam(name, req->fcgi->envp);
}

int
dh_role_is_admin(const char *role)
{
	return strcmp(role, "admin") == 0 || strcmp(role, "manager") == 0 ||
	    strcmp(role, "developer") == 0;
}

json_t *
dh_req_json(struct dh_req *req, int optional)
{
	json_t		*j;
	json_error_t	 e;
	const char	*ct = req->content_type;

	if (req->body_len == 0) {
		if (optional)
			return json_object();
		dh_reply_error(req, 400, "body: a JSON object is required");
		return NULL;
	}
	/* curl -d sends form-urlencoded by default: accept it and plain
	 * text when the body is JSON, as the systems replaced did. */
	if (ct != NULL && *ct != '\0' &&
	    strncasecmp(ct, "application/json", 16) != 0 &&
	    strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0 &&
	    strncasecmp(ct, "text/plain", 10) != 0) {
		dh_reply_error(req, 415, "body: expected Content-Type "
		    "application/json");
		return NULL;
	}
	j = json_loadb(req->body, req->body_len,
	    JSON_REJECT_DUPLICATES, &e);
	if (j == NULL) {
		dh_reply_error(req, 400, "body: invalid JSON at line %d "
		    "column %d: %s", e.line, e.column, e.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		dh_reply_error(req, 400, "body: expected a JSON object");
		return NULL;
	}
	return j;
}

/* Match path against a route pattern; a trailing {id} captures. */
static int
route_match(const char *pat, const char *path, long long *id)
{
	const char	*brace = strstr(pat, "{id}");
	size_t		 plen;

	if (brace == NULL)
		return strcmp(pat, path) == 0;
	plen = (size_t)(brace - pat);
	if (strncmp(pat, path, plen) != 0)
		return 0;
	return dh_parse_ll(path + plen, 1, 9223372036854775807LL, id) == 0;
}

static int
read_body(struct dh_req *req)
{
	const char	*cl = dh_req_param(req, "CONTENT_LENGTH");
	long long	 n = 0;
	int		 got;

	if (cl != NULL && *cl != '\0' &&
	    dh_parse_ll(cl, 0, 1LL << 40, &n) == -1) {
		dh_reply_error(req, 400, "Content-Length: not a number");
		return -1;
	}
	if (n > DH_BODY_MAX) {
		dh_reply_error(req, 413, "body: larger than %d bytes",
		    DH_BODY_MAX);
		return -1;
	}
	if (n == 0)
		return 0;
	if ((req->body = malloc((size_t)n + 1)) == NULL) {
		dh_reply_error(req, 500, "out of memory");
		return -1;
	}
	got = FCGX_GetStr(req->body, (int)n, req->fcgi->in);
	if (got != n) {
		dh_reply_error(req, 400, "body: shorter than Content-Length");
		return -1;
	}
	req->body[n] = '\0';
	req->body_len = (size_t)n;
	return 0;
}

/* Whether the request's body, if any, was read to its end. */
static int
drained(struct dh_req *req)
{
	const char	*cl = dh_req_param(req, "CONTENT_LENGTH");
	long long	 n = 0;

	if (cl != NULL && *cl != '\0' &&
	    dh_parse_ll(cl, 0, 1LL << 40, &n) == -1)
		return 0;
	if (n != 0 && (req->body == NULL || req->body_len != (size_t)n))
		return 0;
	/* And the empty record that ends it: nothing left in the socket. */
	return FCGX_GetChar(req->fcgi->in) == EOF;
}

/* Answer one request; 1 when nothing of it is left unread. */
static int
handle(struct dh_app *app, FCGX_Request *fr)
{
	struct dh_req		 req;
	const struct dh_route	*rt = NULL;
	const char		*rid;
	char			 allow[128] = "";
	size_t			 alen = 0;
	int64_t			 t0 = dh_now_ms();
	int			 path_seen = 0, rc, done;

	memset(&req, 0, sizeof(req));
	nextra = 0;
	req.fcgi = fr;
	req.app = app;
	req.method = dh_req_param(&req, "REQUEST_METHOD");
	req.path = dh_req_param(&req, "DOCUMENT_URI");
	if (req.path == NULL)
		req.path = dh_req_param(&req, "SCRIPT_NAME");
	req.query = dh_req_param(&req, "QUERY_STRING");
	req.remote_addr = dh_req_param(&req, "REMOTE_ADDR");
	req.content_type = dh_req_param(&req, "CONTENT_TYPE");
	if (req.method == NULL)
		req.method = "";
	if (req.path == NULL)
		req.path = "";
	rid = dh_req_param(&req, "DESKHUB_REQUEST_ID");
	if (rid != NULL && strlen(rid) < sizeof(req.reqid) && *rid != '\0')
		snprintf(req.reqid, sizeof(req.reqid), "%s", rid);
	else
		dh_random_hex(req.reqid, 32);
	dh_log_request(req.reqid, req.path);
	dh_db_request(&app->db);

	for (size_t i = 0; i < app->nroutes; i++) {
		long long	 id = 0;

		if (!route_match(app->routes[i].path, req.path, &id))
			continue;
		path_seen = 1;
		alen += (size_t)snprintf(allow + alen, sizeof(allow) - alen,
		    "%s%s", alen > 0 ? ", " : "", app->routes[i].method);
		if (alen >= sizeof(allow))
			alen = sizeof(allow) - 1;
		if (strcmp(app->routes[i].method, req.method) == 0) {
			rt = &app->routes[i];
			req.path_id = id;
			break;
		}
	}
	if (rt == NULL) {
		if (path_seen) {
			dh_reply_header(&req, "Allow", allow);
			dh_reply_error(&req, 405, "method %s not allowed; use "
			    "%s", req.method, allow);
		} else
			dh_reply_error(&req, 404, "no such endpoint: %s",
			    req.path);
		goto out;
	}
	if (rt->access != DH_PUBLIC) {
		rc = dh_ident_resolve(&req, rt->access == DH_AUTH_READ);
		if (rc == DH_DB_DOWN) {
			dh_reply_db(&req, rc);
			goto out;
		}
		if (rc != 0) {
			dh_reply_unauthorized(&req);
			goto out;
		}
		if (rt->access == DH_ADMIN &&
		    !dh_role_is_admin(req.ident.role)) {
			dh_reply_error(&req, 403, "this needs an admin, "
			    "manager or developer role");
			goto out;
		}
	}
	if (read_body(&req) == -1)
		goto out;
	rt->fn(&req);
	if (req.status == 0)
		dh_reply_error(&req, 500, "handler gave no answer");
out:
	dh_info("%s %s %d %lldms user=%s", req.method, req.path, req.status,
	    (long long)(dh_now_ms() - t0),
	    req.ident.user[0] ? req.ident.user : "-");
	dh_log_request(NULL, NULL);
	done = drained(&req);
	free(req.body);
	return done;
}

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

#define TRIM_KEEP	(8 * 1024 * 1024)
#define TOP_PAD		(1024 * 1024)

/*
 * One request on a connection the worker holds.  nginx keeps its
 * connections to the fast programs open (upstream keepalive), so a
 * worker watches every connection it accepted and serves whichever
 * speaks; libfcgi's own loop would block reading one idle connection
 * while others wait.  FCGX_Accept_r reads the next request of a
 * connection that is already open (ipcFd set, keepConnection so that it
 * is not closed first); listen_sock is -1, so a connection that ends
 * there makes it fail instead of blocking in accept().  Returns 1 when
 * the connection stays open for the next request.
 */
static int
serve(struct dh_app *app, FCGX_Request *fr, int fd, int unix_sock, int last)
{
	int	 kept;

	fr->ipcFd = fd;
	fr->keepConnection = 1;
	if (FCGX_Accept_r(fr) < 0) {
		fr->ipcFd = -1;		/* libfcgi closed it */
		return 0;
	}
	/*
	 * Input left unread would be taken for the next request: close.
	 * libfcgi closes a connection gracefully: shutdown, then wait for
	 * nginx to hang up, so that nginx is not cut off while it still
	 * sends a body nobody reads.  When the whole request was read and
	 * the socket is local (no TCP RST), close at once, which spares a
	 * wake-up and a round trip (FCGX_Detach only marks the request so).
	 */
	if (!handle(app, fr))
		fr->keepConnection = 0;
	else if (!fr->keepConnection && unix_sock)
		FCGX_Detach(fr);
	/*
	 * The lines held for the batch go out before its last answer, so
	 * that a caller who has all its answers finds them in the log.
	 */
	if (last)
		dh_log_flush();
	FCGX_Finish_r(fr);
	kept = fr->ipcFd >= 0;
	fr->ipcFd = -1;
	return kept;
}

/*
 * Take one connection from the listening socket.  One at a time, so that
 * the connections nginx opens at once spread over the workers (the
 * others are woken for the rest) instead of piling on the first one awake.
 */
static void
take(int ep, int lfd, size_t *nconn)
{
	struct epoll_event	 ev;
	int			 c;

	if ((c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNABORTED)
			dh_warn("accept: %s", strerror(errno));
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLRDHUP;
	ev.data.fd = c;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) == -1) {
		dh_warn("epoll_ctl: %s", strerror(errno));
		close(c);
		return;
	}
	(*nconn)++;
}

static int
watch_listen(int ep, int lfd, int op)
{
	struct epoll_event	 ev;

	memset(&ev, 0, sizeof(ev));
	/* One worker woken for a new connection, not all of them. */
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	ev.data.fd = lfd;
	return epoll_ctl(ep, op, lfd, op == EPOLL_CTL_DEL ? NULL : &ev);
}

/* The index of the last request in the batch evs[0..n), or -1. */
static int
last_request(const struct epoll_event *evs, int n, int lfd)
{
	for (int j = n - 1; j >= 0; j--)
		if (evs[j].data.fd != lfd && (evs[j].events & (EPOLLRDHUP |
		    EPOLLHUP | EPOLLERR)) == 0)
			return j;
	return -1;
}

static int
worker(struct dh_app *app, int fd)
{
	FCGX_Request		 fr;
	struct sigaction	 sa;
	struct sockaddr_storage	 ss;
	struct epoll_event	 evs[MAX_EVENTS];
	socklen_t		 sl = sizeof(ss);
	sigset_t		 term, old;
	size_t			 nconn = 0;
	int			 unix_sock, ep, n, last, listening = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/*
	 * A request frees all it took, so glibc gave the top of the heap
	 * back and took it again five times a page of requests (brk, then
	 * page faults).  Keep up to TRIM_KEEP free at the top and grow in
	 * steps of TOP_PAD.  Blocks of 128 KB and more still come from mmap
	 * and go back when freed.  (The list: 172 -> 159 us of CPU.)
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_TRIM_THRESHOLD, TRIM_KEEP);
	mallopt(M_TOP_PAD, TOP_PAD);
	if (app->batch)
		dh_log_hold(1);
	if (app->init != NULL && app->init(app) == -1) {
		dh_err("worker init failed");
		return 1;
	}
	/* A database that is not up yet is retried on every request. */
	if (app->db.cfg == NULL && dh_db_open(&app->db, &app->cfg, app->sql,
	    app->nsql) != DH_DB_OK)
		dh_warn("database not reachable yet: %s", app->db.err);
	if (FCGX_InitRequest(&fr, -1, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		dh_err("FCGX_InitRequest failed");
		return 1;
	}
	unix_sock = getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
	    ss.ss_family == AF_UNIX;
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    watch_listen(ep, fd, EPOLL_CTL_ADD) == -1) {
		dh_err("epoll: %s", strerror(errno));
		return 1;
	}
	/* SIGTERM is taken only while waiting, so a request is finished. */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	sigprocmask(SIG_BLOCK, &term, &old);
	while (!stopping) {
		/*
		 * What the requests about to be found waiting read was read
		 * after they arrived: a read one of them makes can answer the
		 * others (lib/dh_db.h).
		 */
		if (app->batch) {
			dh_db_batch(&app->db);
			dh_log_flush();
		}
		n = epoll_pwait(ep, evs, MAX_EVENTS, -1, &old);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			dh_err("epoll_wait: %s", strerror(errno));
			break;
		}
		last = last_request(evs, n, fd);
		for (int i = 0; i < n && !stopping; i++) {
			int	 c = evs[i].data.fd;

			if (c == fd) {
				take(ep, fd, &nconn);
				continue;
			}
			/* nginx closed it (idle too long, or exiting). */
			if ((evs[i].events & (EPOLLRDHUP | EPOLLHUP |
			    EPOLLERR)) != 0) {
				close(c);
				nconn--;
			} else if (!serve(app, &fr, c, unix_sock, i == last))
				nconn--;	/* libfcgi closed it */
		}
		/* At MAX_CONNS, leave new connections to the other workers. */
		if (listening && nconn >= MAX_CONNS) {
			if (watch_listen(ep, fd, EPOLL_CTL_DEL) == 0)
				listening = 0;
		} else if (!listening && nconn < MAX_CONNS) {
			if (watch_listen(ep, fd, EPOLL_CTL_ADD) == 0)
				listening = 1;
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	dh_log_hold(0);
	close(ep);
	FCGX_Free(&fr, 0);
	if (app->release != NULL)
		app->release(app);
	dh_db_close(&app->db);
	return 0;
}

/* DESKHUB_WORKERS if set, else the program's own, else one per CPU. */
static long long
default_workers(const struct dh_app *app)
{
	long	 n;

	if (app->cfg.workers > 0)
		return app->cfg.workers;
	if (app->workers > 0)
		return app->workers;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > MAX_WORKERS ? MAX_WORKERS : n;
}

static void
usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-f] [-c config] [-m mode] [-n workers] "
	    "-s socket|:port\n", prog);
}

int
dh_fcgi_main(struct dh_app *app, int argc, char **argv)
{
	const char		*cfgpath = dh_config_path(), *sock = NULL;
	char			 err[512];
	pid_t			 kids[MAX_WORKERS] = { 0 };
	long long		 nworkers = -1;
	int			 ch, fd, fl, foreground = 0, status;
	struct sigaction	 sa;
	time_t			 last_spawn = 0;
	long			 mode = 0600;
	char			*end;

	dh_log_init(app->name);
	while ((ch = getopt(argc, argv, "c:fm:n:s:")) != -1) {
		switch (ch) {
		case 'm':
			mode = strtol(optarg, &end, 8);
			if (*optarg == '\0' || *end != '\0' || mode < 0 ||
			    mode > 0777) {
				usage(argv[0]);
				return 2;
			}
			break;
		case 'c':
			cfgpath = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'n':
			if (dh_parse_ll(optarg, 1, MAX_WORKERS,
			    &nworkers) == -1) {
				usage(argv[0]);
				return 2;
			}
			break;
		case 's':
			sock = optarg;
			break;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (sock == NULL)
		sock = getenv("DESKHUB_SOCKET");
	if (sock == NULL) {
		usage(argv[0]);
		return 2;
	}
	if (sodium_init() < 0) {
		dh_err("sodium_init failed");
		return 1;
	}
	if (dh_config_load(&app->cfg, cfgpath, 1, err, sizeof(err)) == -1) {
		dh_err("config: %s", err);
		return 1;
	}
	if (nworkers < 0)
		nworkers = default_workers(app);
	if (FCGX_Init() != 0) {
		dh_err("FCGX_Init failed");
		return 1;
	}
	umask(077);
	if ((fd = FCGX_OpenSocket(sock, LISTEN_BACKLOG)) < 0) {
		dh_err("FCGX_OpenSocket %s: %s", sock, strerror(errno));
		return 1;
	}
	/* Only nginx may reach the socket: its user, or its group (-m). */
	if (sock[0] != ':' && chmod(sock, (mode_t)mode) == -1) {
		dh_err("chmod %s: %s", sock, strerror(errno));
		return 1;
	}
	/* Workers wait in epoll and accept without blocking (take()). */
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1) {
		dh_err("fcntl %s: %s", sock, strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (foreground)
		return worker(app, fd);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	dh_info("listening on %s with %lld worker%s", sock, nworkers,
	    nworkers == 1 ? "" : "s");
	while (!stopping) {
		for (long long i = 0; i < nworkers && !stopping; i++) {
			if (kids[i] != 0)
				continue;
			/* Do not spin when workers die at once. */
			if (last_spawn == time(NULL))
				usleep(200 * 1000);
			last_spawn = time(NULL);
			kids[i] = fork();
			if (kids[i] == 0) {
				signal(SIGTERM, SIG_DFL);
				_exit(worker(app, fd));
			}
			if (kids[i] < 0) {
				dh_err("fork: %s", strerror(errno));
				kids[i] = 0;
			}
		}
		pid_t	 pid = waitpid(-1, &status, 0);

		if (pid <= 0)
			continue;
		for (long long i = 0; i < nworkers; i++)
			if (kids[i] == pid) {
				kids[i] = 0;
				if (!stopping)
					dh_warn("worker %ld exited (%s %d), "
					    "restarting", (long)pid,
					    WIFSIGNALED(status) ? "signal" :
					    "status", WIFSIGNALED(status) ?
					    WTERMSIG(status) :
					    WEXITSTATUS(status));
			}
	}
	for (long long i = 0; i < nworkers; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGTERM);
	for (long long i = 0; i < nworkers; i++)
		if (kids[i] > 0)
			waitpid(kids[i], &status, 0);
	if (sock[0] != ':')
		unlink(sock);
	dh_info("stopped");
	return 0;
}
