/*
 * The configuration table and the .env-style loader.  Values come from the
 * defaults in the table, then the file, then the environment; the seeds'
 * VITE_FLUENT_* names are aliases of the FLUENT_* keys.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dh_config.h"
#include "dh_util.h"

enum cfg_type {
	CFG_STR,
	CFG_INT,
	CFG_DATE,	/* empty or YYYY-MM-DD */
};

struct cfg_key {
	const char	*name;
	const char	*alias;
	enum cfg_type	 type;
	size_t		 off;
	size_t		 size;	/* CFG_STR: buffer size */
	long long	 min, max;
	const char	*def;
};

#define S(n, a, f, d) { n, a, CFG_STR, offsetof(struct dh_config, f), \
	sizeof(((struct dh_config *)0)->f), 0, 0, d }
#define I(n, a, f, lo, hi, d) { n, a, CFG_INT, \
	offsetof(struct dh_config, f), 0, lo, hi, d }
#define D(n, a, f) { n, a, CFG_DATE, offsetof(struct dh_config, f), \
	sizeof(((struct dh_config *)0)->f), 0, 0, "" }

static const struct cfg_key keys[] = {
	S("DESKHUB_LISTEN", NULL, listen, "127.0.0.1:8080"),
	S("DESKHUB_ADMIN_USER", NULL, admin_user, "admin"),
	S("DESKHUB_ADMIN_PASSWORD", NULL, admin_password, ""),
	S("DESKHUB_TIMEZONE", NULL, timezone, ""),
	S("DESKHUB_JWT_KEY_FILE", NULL, jwt_key_file,
	    "/var/lib/deskhub/jwt.key"),
	I("DESKHUB_JWT_TTL", NULL, jwt_ttl, 60, 7 * 86400, "3600"),
	I("DESKHUB_WORKERS", NULL, workers, 0, 64, "0"),
	S("DESKHUB_DB_HOST", NULL, db_host, "localhost"),
	I("DESKHUB_DB_PORT", NULL, db_port, 0, 65535, "3306"),
	S("DESKHUB_DB_SOCKET", NULL, db_socket, ""),
	S("DESKHUB_DB_USER", NULL, db_user, "deskhub"),
	S("DESKHUB_DB_PASSWORD", NULL, db_password, ""),
	S("DESKHUB_DB_NAME", NULL, db_name, "deskhub"),
	S("FLUENT_API_URL", "VITE_FLUENT_API_URL", fluent_url, ""),
	S("FLUENT_API_USERNAME", "VITE_FLUENT_API_USERNAME", fluent_user, ""),
	S("FLUENT_API_PASSWORD", "VITE_FLUENT_API_PASSWORD",
	    fluent_password, ""),
	D("FLUENT_DATE_FILTER", "VITE_FLUENT_DATE_FILTER",
	    fluent_date_filter),
	I("FLUENT_PER_PAGE", NULL, fluent_per_page, 1, 500, "100"),
	I("FLUENT_CONCURRENCY", NULL, fluent_concurrency, 1, 16, "4"),
	S("FRESH_API", NULL, fresh_api, ""),
	S("FRESH_ENDPOINT", NULL, fresh_endpoint, ""),
	I("FRESH_GROUP_ID", NULL, fresh_group_id, 0, 9223372036854775807LL,
	    "0"),
	S("FRESH_IDS_FILE", NULL, fresh_ids_file, ""),
	I("DESKHUB_HTTP_CONNECT_TIMEOUT", NULL, http_connect_timeout,
	    100, 120000, "5000"),
	I("DESKHUB_HTTP_TIMEOUT", NULL, http_timeout, 100, 600000, "30000"),
	I("DESKHUB_HTTP_RETRIES", NULL, http_retries, 0, 10, "4"),
	I("DESKHUB_HTTP_MAX_WAIT", NULL, http_max_wait, 0, 3600, "120"),
	I("DESKHUB_SYNC_STALE", NULL, sync_stale, 5, 86400, "300"),
};

static const struct cfg_key *
find_key(const char *name)
{
	for (size_t i = 0; i < DH_ARRAY_LEN(keys); i++) {
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
		if (keys[i].alias != NULL && strcmp(keys[i].alias, name) == 0)
			return &keys[i];
	}
	return NULL;
}

static int
set_value(struct dh_config *c, const struct cfg_key *k, const char *v,
    char *err, size_t errlen)
{
	char		*base = (char *)c;
	long long	 n;
	struct dh_date	 d;

	switch (k->type) {
	case CFG_STR:
		if (dh_strlcpy(base + k->off, v, k->size) == -1) {
			snprintf(err, errlen, "%s: value longer than %zu bytes",
			    k->name, k->size - 1);
			return -1;
		}
		return 0;
	case CFG_INT:
		if (dh_parse_ll(v, k->min, k->max, &n) == -1) {
			snprintf(err, errlen,
			    "%s: expected an integer from %lld to %lld",
			    k->name, k->min, k->max);
			return -1;
		}
		*(long long *)(base + k->off) = n;
		return 0;
	case CFG_DATE:
		if (*v != '\0' && dh_date_parse(v, &d) == -1) {
			snprintf(err, errlen, "%s: expected YYYY-MM-DD",
			    k->name);
			return -1;
		}
		return dh_strlcpy(base + k->off, v, k->size);
	}
	return -1;
}

int
dh_config_set(struct dh_config *c, const char *key, const char *val,
    char *err, size_t errlen)
{
	const struct cfg_key	*k;

	if ((k = find_key(key)) == NULL) {
		snprintf(err, errlen, "%s: unknown key", key);
		return -1;
	}
	return set_value(c, k, val, err, errlen);
}

/* Strip blanks, an "export " prefix and matching quotes in place. */
static char *
trim(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
load_file(struct dh_config *c, const char *path, int missing_ok,
    char *err, size_t errlen)
{
	FILE			*f;
	char			 line[2048], *k, *v, *eq;
	const struct cfg_key	*key;
	size_t			 l;
	int			 lineno = 0, rc = -1;

	if ((f = fopen(path, "r")) == NULL) {
		if (missing_ok && errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		l = strlen(line);
		if (l == sizeof(line) - 1 && line[l - 1] != '\n') {
			snprintf(err, errlen, "%s:%d: line too long", path,
			    lineno);
			goto out;
		}
		k = trim(line);
		if (*k == '\0' || *k == '#')
			continue;
		if (strncmp(k, "export ", 7) == 0)
			k = trim(k + 7);
		if ((eq = strchr(k, '=')) == NULL) {
			snprintf(err, errlen, "%s:%d: expected KEY=VALUE",
			    path, lineno);
			goto out;
		}
		*eq = '\0';
		k = trim(k);
		v = trim(eq + 1);
		l = strlen(v);
		if (l >= 2 && (v[0] == '"' || v[0] == '\'') && v[l - 1] == v[0]) {
			v[l - 1] = '\0';
			v++;
		}
		if ((key = find_key(k)) == NULL)
			continue;
		if (set_value(c, key, v, err, errlen) == -1) {
			size_t	 el = strlen(err);

			snprintf(err + el, errlen - el, " (%s:%d)", path,
			    lineno);
			goto out;
		}
	}
	rc = 0;
out:
	fclose(f);
	return rc;
}

int
dh_config_load(struct dh_config *c, const char *path, int missing_ok,
    char *err, size_t errlen)
{
	const char	*v;

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < DH_ARRAY_LEN(keys); i++)
		if (set_value(c, &keys[i], keys[i].def, err, errlen) == -1)
			return -1;
	if (path != NULL && load_file(c, path, missing_ok, err, errlen) == -1)
		return -1;
	/* Aliases first, so the canonical name wins when both are set. */
	for (size_t i = 0; i < DH_ARRAY_LEN(keys); i++)
		if (keys[i].alias != NULL &&
		    (v = getenv(keys[i].alias)) != NULL &&
		    set_value(c, &keys[i], v, err, errlen) == -1)
			return -1;
	for (size_t i = 0; i < DH_ARRAY_LEN(keys); i++)
		if ((v = getenv(keys[i].name)) != NULL &&
		    set_value(c, &keys[i], v, err, errlen) == -1)
			return -1;
	return 0;
}

const char *
dh_config_path(void)
{
	const char	*p = getenv("DESKHUB_CONFIG");

	return p != NULL && *p != '\0' ? p : "/etc/deskhub/deskhub.conf";
}
