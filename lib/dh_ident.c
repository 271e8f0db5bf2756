/*
 * Who is calling.  nginx is the only thing that can reach the FastCGI
 * sockets, and it sets DESKHUB_AUTH_VIA: "basic" after it checked a
 * basic-auth password (REMOTE_USER is then the user name), "bearer" when
 * the request carries a Bearer token that we verify here.  A protected
 * route reached without that parameter fails closed.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "dh_auth.h"
#include "dh_fcgi.h"
#include "dh_log.h"
#include "dh_util.h"

int
dh_ident_resolve(struct dh_req *req, int defer)
{
	const char	*via = dh_req_param(req, "DESKHUB_AUTH_VIA");
	const char	*user, *authz;

	memset(&req->ident, 0, sizeof(req->ident));
	if (via == NULL)
		return -1;
	if (strcmp(via, "basic") == 0) {
		user = dh_req_param(req, "REMOTE_USER");
		if (user == NULL || *user == '\0' ||
		    strlen(user) >= sizeof(req->ident.user))
			return -1;
		return dh_auth_basic_ident(req->app, user, &req->ident);
	}
	if (strcmp(via, "bearer") == 0) {
		authz = dh_req_param(req, "HTTP_AUTHORIZATION");
		if (authz == NULL || strncasecmp(authz, "Bearer ", 7) != 0)
			return -1;
		if (defer)
			return dh_auth_bearer_token(req->app, authz + 7,
			    &req->ident);
		return dh_auth_bearer_ident(req->app, authz + 7, &req->ident);
	}
	return -1;
}

int
dh_ident_settle(struct dh_req *req)
{
	if (!req->ident.pending)
		return 0;
	return dh_auth_bearer_user(req->app, &req->ident);
}

int
dh_ident_confirm(struct dh_req *req, const char *val)
{
	struct dh_ident	*id = &req->ident;
	const char	*sp;
	long long	 uid;

	if (!id->pending)
		return 0;
	id->pending = 0;
	if (val == NULL || (sp = strchr(val, ' ')) == NULL ||
	    dh_parse_lln(val, (size_t)(sp - val), 1, LLONG_MAX, &uid) == -1 ||
	    dh_strlcpy(id->role, sp + 1, sizeof(id->role)) == -1) {
		dh_info("bearer token refused: %s", val == NULL ?
		    "no such user, or disabled" : "unreadable user check");
		dh_reply_unauthorized(req);
		return -1;
	}
	id->user_id = uid;
	return 0;
}
