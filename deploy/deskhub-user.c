/*
 * deskhub-user: manage Deskhub's users from the command line, create the
 * first admin for `make run`, and create the token key.  Passwords come
 * from standard input (a terminal does not echo them) or a file and are
 * never printed.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "db_users.h"
#include "dh_config.h"
#include "dh_db.h"
#include "dh_jwt.h"
#include "dh_log.h"
#include "dh_pass.h"
#include "dh_util.h"

#define ADMIN_NAME	"Administrator"

struct ctx {
	struct dh_config	 cfg;
	struct dh_db		 db;
	const char		*pwfile;
	int			 db_open;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: deskhub-user [-c config] [-p password-file] command\n"
	    "  add EMAIL NAME ROLE   add a user (password from stdin or -p)\n"
	    "  passwd EMAIL          set a password (stdin or -p)\n"
	    "  role EMAIL ROLE       set the role: admin, manager, developer, "
	    "user\n"
	    "  disable EMAIL         refuse logins and tokens of a user\n"
	    "  enable EMAIL          undo disable\n"
	    "  list                  list the users\n"
	    "  ensure-admin          create or update the user "
	    "DESKHUB_ADMIN_USER\n"
	    "                        with DESKHUB_ADMIN_PASSWORD, role admin\n"
	    "  keygen                create DESKHUB_JWT_KEY_FILE unless it "
	    "exists\n");
}

/* Read all of fd up to n bytes into buf; the count, or -1. */
static ssize_t
read_all(int fd, char *buf, size_t n)
{
	size_t	 got = 0;
	ssize_t	 r;

	while (got < n) {
		r = read(fd, buf + got, n - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/*
 * Read a password of one line from the password file or standard input
 * (without echo on a terminal) into pw (DH_PASS_MAX + 1 bytes), and check
 * it.  0, or -1 after saying why on stderr.
 */
static int
read_password(struct ctx *c, char *pw, size_t *len)
{
	char		 buf[DH_PASS_MAX + 4], err[128];
	struct termios	 t, quiet;
	ssize_t		 n = -1;
	size_t		 l;
	int		 fd = STDIN_FILENO, tty, rc = -1;

	*len = 0;
	if (c->pwfile != NULL &&
	    (fd = open(c->pwfile, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "deskhub-user: %s: %s\n", c->pwfile,
		    strerror(errno));
		return -1;
	}
	tty = c->pwfile == NULL && isatty(fd) && tcgetattr(fd, &t) == 0;
	if (tty) {
		fputs("password: ", stderr);
		quiet = t;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fd, TCSAFLUSH, &quiet);
		if (fgets(buf, sizeof(buf), stdin) != NULL)
			n = (ssize_t)strlen(buf);
		tcsetattr(fd, TCSAFLUSH, &t);
		fputs("\n", stderr);
	} else
		n = read_all(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		fprintf(stderr, "deskhub-user: cannot read the password\n");
		goto out;
	}
	l = (size_t)n;
	if (l > 0 && buf[l - 1] == '\n')
		l--;
	if (l > 0 && buf[l - 1] == '\r')
		l--;
	if (memchr(buf, '\n', l) != NULL) {
		fprintf(stderr, "deskhub-user: password: expected one line\n");
		goto out;
	}
	if (dh_pass_check(buf, l, err, sizeof(err)) == -1) {
		fprintf(stderr, "deskhub-user: %s\n", err);
		goto out;
	}
	memcpy(pw, buf, l);
	pw[l] = '\0';
	*len = l;
	rc = 0;
out:
	sodium_memzero(buf, sizeof(buf));
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}

static int
db_up(struct ctx *c)
{
	if (dh_db_open(&c->db, &c->cfg, NULL, 0) != DH_DB_OK) {
		fprintf(stderr, "deskhub-user: database: %s\n", c->db.err);
		dh_db_close(&c->db);
		return -1;
	}
	c->db_open = 1;
	return 0;
}

static int
db_fail(struct ctx *c, int rc)
{
	fprintf(stderr, "deskhub-user: database%s: %s\n",
	    rc == DH_DB_DOWN ? " unreachable" : "", c->db.err);
	return -1;
}

/* Find the user by a normalised email; -1 after saying why. */
static int
find_user(struct ctx *c, const char *arg, struct db_user *u)
{
	char	 email[DB_USER_EMAIL_MAX + 1], err[128];
	int	 rc;

	if (db_users_email_norm(arg, 0, email, sizeof(email), err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "deskhub-user: %s\n", err);
		return -1;
	}
	rc = db_users_find_email(&c->db, email, u);
	if (rc == DB_USERS_NOTFOUND) {
		fprintf(stderr, "deskhub-user: %s: no such user\n", email);
		return -1;
	}
	if (rc != DH_DB_OK)
		return db_fail(c, rc);
	return 0;
}

static int
cmd_add(struct ctx *c, char **av)
{
	char		 email[DB_USER_EMAIL_MAX + 1], err[256];
	char		 pw[DH_PASS_MAX + 1], hash[DH_PASS_HASH_LEN] = "";
	size_t		 pwlen;
	long long	 id;
	int		 rc = -1, drc;

	if (db_users_email_norm(av[0], 1, email, sizeof(email), err,
	    sizeof(err)) == -1 ||
	    db_users_name_valid(av[1], err, sizeof(err)) == -1) {
		fprintf(stderr, "deskhub-user: %s\n", err);
		return -1;
	}
	if (!db_users_role_valid(av[2])) {
		fprintf(stderr, "deskhub-user: role: expected admin, manager, "
		    "developer or user\n");
		return -1;
	}
	if (read_password(c, pw, &pwlen) == -1)
		return -1;
	if (dh_pass_hash(pw, pwlen, hash, err, sizeof(err)) == -1) {
		fprintf(stderr, "deskhub-user: %s\n", err);
		goto out;
	}
	if (db_up(c) == -1)
		goto out;
	drc = db_users_insert(&c->db, email, av[1], av[2], hash, &id);
	if (drc == DB_USERS_EXISTS) {
		fprintf(stderr, "deskhub-user: %s: user exists\n", email);
		goto out;
	}
	if (drc != DH_DB_OK) {
		db_fail(c, drc);
		goto out;
	}
	printf("added user %lld %s (%s)\n", id, email, av[2]);
	rc = 0;
out:
	sodium_memzero(pw, sizeof(pw));
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

/* Apply p to the user named by email and report what was done. */
static int
patch_user(struct ctx *c, const char *email, struct db_user_patch *p,
    const char *what)
{
	struct db_user	 u;
	int		 drc;

	if (db_up(c) == -1 || find_user(c, email, &u) == -1)
		return -1;
	if ((drc = db_users_update(&c->db, u.id, p)) != DH_DB_OK)
		return db_fail(c, drc);
	printf("%s: %s\n", u.email, what);
	return 0;
}

static int
cmd_passwd(struct ctx *c, char **av)
{
	struct db_user_patch	 p = { .disabled = -1 };
	char			 pw[DH_PASS_MAX + 1], err[256];
	char			 hash[DH_PASS_HASH_LEN] = "";
	size_t			 pwlen;
	int			 rc = -1;

	if (read_password(c, pw, &pwlen) == -1)
		return -1;
	if (dh_pass_hash(pw, pwlen, hash, err, sizeof(err)) == -1) {
		fprintf(stderr, "deskhub-user: %s\n", err);
		goto out;
	}
	p.password_hash = hash;
	rc = patch_user(c, av[0], &p, "password changed");
out:
	sodium_memzero(pw, sizeof(pw));
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

static int
cmd_role(struct ctx *c, char **av)
{
	struct db_user_patch	 p = { .role = av[1], .disabled = -1 };

	if (!db_users_role_valid(av[1])) {
		fprintf(stderr, "deskhub-user: role: expected admin, manager, "
		    "developer or user\n");
		return -1;
	}
	return patch_user(c, av[0], &p, "role set");
}

static int
cmd_disable(struct ctx *c, char **av)
{
	struct db_user_patch	 p = { .disabled = 1 };

	return patch_user(c, av[0], &p, "disabled");
}

static int
cmd_enable(struct ctx *c, char **av)
{
	struct db_user_patch	 p = { .disabled = 0 };

	return patch_user(c, av[0], &p, "enabled");
}

static int
cmd_list(struct ctx *c, char **av)
{
	struct db_user	*u = NULL;
	size_t		 n = 0;
	int		 drc;

	if (db_up(c) == -1)
		return -1;
	if ((drc = db_users_list(&c->db, &u, &n)) != DH_DB_OK)
		return db_fail(c, drc);
	printf("id\temail\trole\tstate\tcreated\tname\n");
	for (size_t i = 0; i < n; i++)
		printf("%lld\t%s\t%s\t%s\t%s\t%s\n", u[i].id, u[i].email,
		    u[i].role, u[i].disabled ? "disabled" : "enabled",
		    u[i].created_at, u[i].name);
	free(u);
	return 0;
}

/*
 * Make the users row of DESKHUB_ADMIN_USER match the configuration:
 * name Administrator, role admin, enabled, password DESKHUB_ADMIN_PASSWORD.
 * Changes nothing when it already does, so `make run` may call it always.
 */
static int
cmd_ensure_admin(struct ctx *c, char **av)
{
	struct db_user		 u;
	struct db_user_patch	 p = { .disabled = -1 };
	const char		*pw = c->cfg.admin_password;
	size_t			 pwlen = strlen(pw);
	char			 email[DB_USER_EMAIL_MAX + 1], err[256];
	char			 hash[DH_PASS_HASH_LEN] = "";
	int			 drc, rc = -1;

	if (db_users_email_norm(c->cfg.admin_user, 0, email, sizeof(email),
	    err, sizeof(err)) == -1) {
		fprintf(stderr, "deskhub-user: DESKHUB_ADMIN_USER: %s\n", err);
		return -1;
	}
	if (pwlen == 0) {
		fprintf(stderr, "deskhub-user: DESKHUB_ADMIN_PASSWORD is not "
		    "set\n");
		return -1;
	}
	if (dh_pass_check(pw, pwlen, err, sizeof(err)) == -1) {
		fprintf(stderr, "deskhub-user: DESKHUB_ADMIN_PASSWORD: %s\n",
		    err);
		return -1;
	}
	if (db_up(c) == -1)
		return -1;
	/* Twice at most: another host may insert the row meanwhile. */
	for (int tries = 0; tries < 2; tries++) {
		drc = db_users_find_email(&c->db, email, &u);
		if (drc == DB_USERS_NOTFOUND) {
			if (hash[0] == '\0' && dh_pass_hash(pw, pwlen, hash,
			    err, sizeof(err)) == -1) {
				fprintf(stderr, "deskhub-user: %s\n", err);
				goto out;
			}
			drc = db_users_insert(&c->db, email, ADMIN_NAME,
			    "admin", hash, NULL);
			if (drc == DB_USERS_EXISTS)
				continue;
			if (drc != DH_DB_OK) {
				db_fail(c, drc);
				goto out;
			}
			printf("%s: admin user created\n", email);
			rc = 0;
			goto out;
		}
		if (drc != DH_DB_OK) {
			db_fail(c, drc);
			goto out;
		}
		break;
	}
	if (drc != DH_DB_OK) {
		fprintf(stderr, "deskhub-user: %s: cannot create or find the "
		    "admin user\n", email);
		goto out;
	}
	if (strcmp(u.name, ADMIN_NAME) != 0)
		p.name = ADMIN_NAME;
	if (strcmp(u.role, "admin") != 0)
		p.role = "admin";
	if (u.disabled)
		p.disabled = 0;
	if (dh_pass_verify(u.password_hash, pw, pwlen) == -1) {
		if (dh_pass_hash(pw, pwlen, hash, err, sizeof(err)) == -1) {
			fprintf(stderr, "deskhub-user: %s\n", err);
			goto out;
		}
		p.password_hash = hash;
	}
	if (p.name == NULL && p.role == NULL && p.disabled < 0 &&
	    p.password_hash == NULL) {
		printf("%s: admin user up to date\n", email);
		rc = 0;
		goto out;
	}
	if ((drc = db_users_update(&c->db, u.id, &p)) != DH_DB_OK) {
		db_fail(c, drc);
		goto out;
	}
	printf("%s: admin user updated\n", email);
	rc = 0;
out:
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

/* Create the token key file unless a valid one is there. */
static int
cmd_keygen(struct ctx *c, char **av)
{
	unsigned char	 key[DH_JWT_KEY_LEN];
	const char	*path = c->cfg.jwt_key_file;
	struct stat	 st;
	char		 err[768];
	int		 rc = -1;

	if (path[0] == '\0') {
		fprintf(stderr, "deskhub-user: DESKHUB_JWT_KEY_FILE is not "
		    "set\n");
		return -1;
	}
	if (lstat(path, &st) == 0) {
		if (dh_jwt_key_load(path, key, err, sizeof(err)) == -1)
			fprintf(stderr, "deskhub-user: %s\n", err);
		else {
			printf("%s: key exists\n", path);
			rc = 0;
		}
		goto out;
	}
	if (errno != ENOENT) {
		fprintf(stderr, "deskhub-user: %s: %s\n", path,
		    strerror(errno));
		goto out;
	}
	if (dh_jwt_key_create(path, err, sizeof(err)) == -1) {
		fprintf(stderr, "deskhub-user: %s\n", err);
		goto out;
	}
	printf("%s: key created\n", path);
	rc = 0;
out:
	sodium_memzero(key, sizeof(key));
	return rc;
}

struct cmd {
	const char	*name;
	int		 nargs;
	int		(*fn)(struct ctx *, char **);
};

static const struct cmd cmds[] = {
	{ "add", 3, cmd_add },
	{ "passwd", 1, cmd_passwd },
	{ "role", 2, cmd_role },
	{ "disable", 1, cmd_disable },
	{ "enable", 1, cmd_enable },
	{ "list", 0, cmd_list },
	{ "ensure-admin", 0, cmd_ensure_admin },
	{ "keygen", 0, cmd_keygen },
};

int
main(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "password-file", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	static struct ctx		 c;
	const struct cmd		*cmd = NULL;
	const char			*cfgpath = dh_config_path();
	char				 err[512];
	int				 ch, explicit_cfg = 0, rc;

	dh_log_init("deskhub-user");
	while ((ch = getopt_long(argc, argv, "c:p:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cfgpath = optarg;
			explicit_cfg = 1;
			break;
		case 'p':
			c.pwfile = optarg;
			break;
		default:
			usage();
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	for (size_t i = 0; argc > 0 && i < DH_ARRAY_LEN(cmds); i++)
		if (strcmp(argv[0], cmds[i].name) == 0)
			cmd = &cmds[i];
	if (cmd == NULL || argc - 1 != cmd->nargs) {
		usage();
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "deskhub-user: sodium_init failed\n");
		return 1;
	}
	if (dh_config_load(&c.cfg, cfgpath, !explicit_cfg, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "deskhub-user: config: %s\n", err);
		return 1;
	}
	umask(077);
	rc = cmd->fn(&c, argv + 1) == 0 ? 0 : 1;
	db_users_release();
	if (c.db_open)
		dh_db_close(&c.db);
	sodium_memzero(&c.cfg, sizeof(c.cfg));
	return rc;
}
