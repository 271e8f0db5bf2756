/*
 * The configuration loader: defaults, the .env-style file, environment
 * overrides, the seeds' VITE_FLUENT_* aliases, and precise errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dh_config.h"

static char	 path[64];

static void
write_file(const char *text)
{
	FILE	*f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int
setup(void **state)
{
	int	 fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/dh-config-XXXXXX");
	fd = mkstemp(path);
	if (fd >= 0)
		close(fd);
	unsetenv("FLUENT_API_URL");
	unsetenv("VITE_FLUENT_API_URL");
	unsetenv("DESKHUB_LISTEN");
	unsetenv("FLUENT_DATE_FILTER");
	unsetenv("DESKHUB_WORKERS");
	return fd >= 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static void
defaults(void **state)
{
	struct dh_config	 c;
	char			 err[256];

	(void)state;
	assert_int_equal(dh_config_load(&c, NULL, 1, err, sizeof(err)), 0);
	assert_string_equal(c.listen, "127.0.0.1:8080");
	assert_string_equal(c.admin_user, "admin");
	assert_int_equal(c.fluent_per_page, 100);
	assert_string_equal(c.fluent_url, "");
	assert_int_equal(c.workers, 0);		/* each program's own */
}

static void
env_docker_file_with_aliases(void **state)
{
	struct dh_config	 c;
	char			 err[256];

	(void)state;
	write_file("# .env.docker\n"
	    "VITE_FLUENT_API_URL=https://support.example.com\n"
	    "VITE_FLUENT_API_USERNAME=Justin\n"
	    "VITE_FLUENT_API_PASSWORD=\"xxxx xxxx xxxx xxxx\"\n"
	    "export VITE_FLUENT_DATE_FILTER=2025-10-11\n"
	    "\n"
	    "SOMETHING_ELSE=ignored\n"
	    "  DESKHUB_WORKERS = 4  \n");
	assert_int_equal(dh_config_load(&c, path, 0, err, sizeof(err)), 0);
	assert_string_equal(c.fluent_url, "https://support.example.com");
	assert_string_equal(c.fluent_user, "Justin");
	assert_string_equal(c.fluent_password, "xxxx xxxx xxxx xxxx");
	assert_string_equal(c.fluent_date_filter, "2025-10-11");
	assert_int_equal(c.workers, 4);
}

static void
environment_overrides_file_and_canonical_wins(void **state)
{
	struct dh_config	 c;
	char			 err[256];

	(void)state;
	write_file("FLUENT_API_URL=https://file.example\n");
	setenv("VITE_FLUENT_API_URL", "https://alias.example", 1);
	assert_int_equal(dh_config_load(&c, path, 0, err, sizeof(err)), 0);
	assert_string_equal(c.fluent_url, "https://alias.example");
	setenv("FLUENT_API_URL", "https://env.example", 1);
	assert_int_equal(dh_config_load(&c, path, 0, err, sizeof(err)), 0);
	assert_string_equal(c.fluent_url, "https://env.example");
	unsetenv("FLUENT_API_URL");
	unsetenv("VITE_FLUENT_API_URL");
}

static void
errors_name_the_key_and_line(void **state)
{
	static const struct {
		const char	*text;
		const char	*want;
	} t[] = {
		{ "DESKHUB_WORKERS=-1\n", "DESKHUB_WORKERS: expected an integer "
		    "from 0 to 64" },
		{ "DESKHUB_WORKERS=two\n", "DESKHUB_WORKERS" },
		{ "FLUENT_DATE_FILTER=2025-13-01\n", "FLUENT_DATE_FILTER: "
		    "expected YYYY-MM-DD" },
		{ "# ok\nNOT A PAIR\n", ":2: expected KEY=VALUE" },
	};
	struct dh_config	 c;
	char			 err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		write_file(t[i].text);
		err[0] = '\0';
		assert_int_equal(dh_config_load(&c, path, 0, err, sizeof(err)),
		    -1);
		assert_non_null(strstr(err, t[i].want));
	}
	setenv("DESKHUB_WORKERS", "999", 1);
	assert_int_equal(dh_config_load(&c, NULL, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "DESKHUB_WORKERS"));
	unsetenv("DESKHUB_WORKERS");
}

static void
missing_file(void **state)
{
	struct dh_config	 c;
	char			 err[256];

	(void)state;
	assert_int_equal(dh_config_load(&c, "/nonexistent/deskhub.conf", 1,
	    err, sizeof(err)), 0);
	assert_int_equal(dh_config_load(&c, "/nonexistent/deskhub.conf", 0,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/deskhub.conf"));
}

static void
overlong_value(void **state)
{
	struct dh_config	 c;
	char			 err[256], line[1200];

	(void)state;
	memset(line, 'a', sizeof(line));
	memcpy(line, "DESKHUB_ADMIN_USER=", 19);
	line[sizeof(line) - 2] = '\n';
	line[sizeof(line) - 1] = '\0';
	write_file(line);
	assert_int_equal(dh_config_load(&c, path, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "longer than"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(env_docker_file_with_aliases),
		cmocka_unit_test(environment_overrides_file_and_canonical_wins),
		cmocka_unit_test(errors_name_the_key_and_line),
		cmocka_unit_test(missing_file),
		cmocka_unit_test(overlong_value),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
