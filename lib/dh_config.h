/*
 * Configuration: one KEY=VALUE file (the .env format, so an existing
 * .env.docker works) overridden by environment variables.  Every key is
 * declared in one table in dh_config.c with its alias, type and bounds.
 */
#ifndef DH_CONFIG_H
#define DH_CONFIG_H

#include <stddef.h>

struct dh_config {
	char		 listen[128];		/* DESKHUB_LISTEN */
	char		 admin_user[64];	/* DESKHUB_ADMIN_USER */
	char		 admin_password[128];	/* DESKHUB_ADMIN_PASSWORD */
	char		 timezone[64];		/* DESKHUB_TIMEZONE */
	char		 jwt_key_file[512];	/* DESKHUB_JWT_KEY_FILE */
	long long	 jwt_ttl;		/* DESKHUB_JWT_TTL (seconds) */
	long long	 workers;		/* DESKHUB_WORKERS, 0: the program's */

	char		 db_host[256];		/* DESKHUB_DB_HOST */
	long long	 db_port;		/* DESKHUB_DB_PORT */
	char		 db_socket[512];	/* DESKHUB_DB_SOCKET */
	char		 db_user[64];		/* DESKHUB_DB_USER */
	char		 db_password[128];	/* DESKHUB_DB_PASSWORD */
	char		 db_name[64];		/* DESKHUB_DB_NAME */

	char		 fluent_url[512];	/* FLUENT_API_URL */
	char		 fluent_user[128];	/* FLUENT_API_USERNAME */
	char		 fluent_password[256];	/* FLUENT_API_PASSWORD */
	char		 fluent_date_filter[16];/* FLUENT_DATE_FILTER */
	long long	 fluent_per_page;	/* FLUENT_PER_PAGE */
	long long	 fluent_concurrency;	/* FLUENT_CONCURRENCY */

	char		 fresh_api[256];	/* FRESH_API */
	char		 fresh_endpoint[512];	/* FRESH_ENDPOINT */
	long long	 fresh_group_id;	/* FRESH_GROUP_ID (0 = all) */
	char		 fresh_ids_file[512];	/* FRESH_IDS_FILE */

	long long	 http_connect_timeout;	/* DESKHUB_HTTP_CONNECT_TIMEOUT ms */
	long long	 http_timeout;		/* DESKHUB_HTTP_TIMEOUT ms */
	long long	 http_retries;		/* DESKHUB_HTTP_RETRIES */
	long long	 http_max_wait;		/* DESKHUB_HTTP_MAX_WAIT (s) */
	long long	 sync_stale;		/* DESKHUB_SYNC_STALE (s) */
};

/*
 * Fill cfg with defaults, then the file at path (skipped when path is NULL
 * or, when missing_ok, absent), then the environment.  On error returns -1
 * with a message naming the key or line in err.  Unknown keys are ignored
 * so that a shared .env file can be used as is.
 */
int	 dh_config_load(struct dh_config *, const char *path, int missing_ok,
	    char *err, size_t errlen);

/* Parse one value for a key as the loader would; for tests. */
int	 dh_config_set(struct dh_config *, const char *key, const char *val,
	    char *err, size_t errlen);

/* Path of the config file: $DESKHUB_CONFIG or the built-in default. */
const char *dh_config_path(void);

#endif
