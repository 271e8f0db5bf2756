/*
 * Who is calling.  nginx is the only thing that can reach the FastCGI
 * sockets, and it sets DESKHUB_AUTH_VIA: "basic" after it checked a
 * basic-auth password (REMOTE_USER is then the user name), "bearer" when
 * the request carries a Bearer token that we verify here.  A protected
 * route reached without that parameter fails closed.
 */
#include <stdio.h>
#include <string.h>

#include "dh_auth.h"
#include "dh_fcgi.h"
#include "dh_log.h"
#include "dh_util.h"

int
dh_ident_resolve(struct dh_req *req)
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
		return dh_auth_bearer_ident(req->app, authz + 7, &req->ident);
	}
	return -1;
}
