/*
 * deskhub-admin: database chores for operators and `make run`.
 *   deskhub-admin [-c config] migrate [sqldir]	apply new migrations
 *   deskhub-admin [-c config] wait-db [seconds]	wait for the database
 * Migrations are sql/NNN_name.sql, applied once each in name order and
 * recorded in schema_migrations; a named lock keeps two hosts from
 * migrating at once.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dh_config.h"
#include "dh_db.h"
#include "dh_log.h"
#include "dh_util.h"

#define MAX_MIGRATIONS	256
#define MAX_SQL_FILE	(1024 * 1024)

enum {
	Q_CREATE,
	Q_LOCK,
	Q_UNLOCK,
	Q_APPLIED,
	Q_RECORD,
	Q__MAX
};

static const char *const sql[Q__MAX] = {
	[Q_CREATE] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    "version VARCHAR(190) NOT NULL PRIMARY KEY, "
	    "applied_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP"
	    ") ENGINE=InnoDB",
	[Q_LOCK] = "SELECT GET_LOCK('deskhub_migrate', 120)",
	[Q_UNLOCK] = "SELECT RELEASE_LOCK('deskhub_migrate')",
	[Q_APPLIED] = "SELECT COUNT(*) FROM schema_migrations "
	    "WHERE version = ?",
	[Q_RECORD] = "INSERT INTO schema_migrations (version) VALUES (?)",
};

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run the statements of one file: split at ';' ending a line. */
static int
apply_file(struct dh_db *db, const char *path)
{
	FILE		*f;
	struct dh_buf	 stmt;
	char		 line[4096];
	size_t		 l;
	int		 rc = -1;

	if ((f = fopen(path, "r")) == NULL) {
		dh_err("%s: %s", path, strerror(errno));
		return -1;
	}
	dh_buf_init(&stmt, MAX_SQL_FILE);
	while (fgets(line, sizeof(line), f) != NULL) {
		char	*p = line;

		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "--", 2) == 0)
			continue;
		if (dh_buf_puts(&stmt, line) == -1) {
			dh_err("%s: file too large", path);
			goto out;
		}
		l = strlen(line);
		while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == ' ' ||
		    line[l - 1] == '\t' || line[l - 1] == '\r'))
			l--;
		if (l > 0 && line[l - 1] == ';') {
			if (dh_db_query(db, stmt.data) != DH_DB_OK) {
				dh_err("%s: %s", path, db->err);
				goto out;
			}
			dh_buf_reset(&stmt);
		}
	}
	rc = 0;
out:
	fclose(f);
	dh_buf_release(&stmt);
	return rc;
}

static int
migrate(struct dh_db *db, const char *dir)
{
	DIR			*d;
	struct dirent		*e;
	char			*names[MAX_MIGRATIONS], path[1024];
	size_t			 n = 0, applied = 0;
	struct dh_result	*r = NULL;
	int			 rc = 1;

	if ((d = opendir(dir)) == NULL) {
		dh_err("%s: %s", dir, strerror(errno));
		return 1;
	}
	while ((e = readdir(d)) != NULL && n < MAX_MIGRATIONS) {
		size_t	 l = strlen(e->d_name);

		if (l > 4 && strcmp(e->d_name + l - 4, ".sql") == 0 &&
		    e->d_name[0] >= '0' && e->d_name[0] <= '9')
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp);
	if (dh_db_exec(db, Q_CREATE, NULL, 0, NULL, NULL) != DH_DB_OK ||
	    dh_db_exec(db, Q_LOCK, NULL, 0, &r, NULL) != DH_DB_OK ||
	    dh_res_int(r, 0, 0, 0) != 1) {
		dh_err("migrate: %s", db->err[0] ? db->err :
		    "cannot take the migration lock");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct dh_val	 a[] = { DH_VSTR(names[i]) };

		dh_result_free(r);
		r = NULL;
		if (dh_db_exec(db, Q_APPLIED, a, 1, &r, NULL) != DH_DB_OK) {
			dh_err("migrate: %s", db->err);
			goto unlock;
		}
		if (dh_res_int(r, 0, 0, 0) > 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (apply_file(db, path) == -1 ||
		    dh_db_exec(db, Q_RECORD, a, 1, NULL, NULL) != DH_DB_OK) {
			dh_err("migrate: %s failed", names[i]);
			goto unlock;
		}
		dh_info("applied %s", names[i]);
		applied++;
	}
	dh_info("migrations: %zu applied, %zu known", applied, n);
	rc = 0;
unlock:
	dh_result_free(r);
	r = NULL;
	dh_db_exec(db, Q_UNLOCK, NULL, 0, &r, NULL);
out:
	dh_result_free(r);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	return rc;
}

int
main(int argc, char **argv)
{
	struct dh_config	 cfg;
	struct dh_db		 db;
	const char		*cfgpath = dh_config_path();
	char			 err[512];
	long long		 secs = 30;
	int			 ch, rc = 1;

	dh_log_init("deskhub-admin");
	while ((ch = getopt(argc, argv, "c:")) != -1) {
		if (ch != 'c')
			goto usage;
		cfgpath = optarg;
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		goto usage;
	if (dh_config_load(&cfg, cfgpath, 1, err, sizeof(err)) == -1) {
		dh_err("config: %s", err);
		return 1;
	}
	if (strcmp(argv[0], "wait-db") == 0) {
		if (argc > 1 && dh_parse_ll(argv[1], 1, 3600, &secs) == -1)
			goto usage;
		for (long long i = 0; i < secs * 5; i++) {
			if (dh_db_open(&db, &cfg, sql, Q__MAX) == DH_DB_OK) {
				dh_db_close(&db);
				return 0;
			}
			dh_db_close(&db);
			usleep(200 * 1000);
		}
		dh_err("database not reachable after %lld s", secs);
		return 1;
	}
	if (strcmp(argv[0], "migrate") == 0) {
		if (dh_db_open(&db, &cfg, sql, Q__MAX) != DH_DB_OK) {
			dh_err("database: %s", db.err);
			dh_db_close(&db);
			return 1;
		}
		rc = migrate(&db, argc > 1 ? argv[1] : "sql");
		dh_db_close(&db);
		return rc;
	}
usage:
	fprintf(stderr, "usage: deskhub-admin [-c config] migrate [sqldir]\n"
	    "       deskhub-admin [-c config] wait-db [seconds]\n");
	return 2;
}
