/*
 * The log writer: lines held for a batch (dh_log_hold) come out whole, in
 * order, when flushed, when 4 KB are held or when a warning comes; and
 * each process writes its own pid, also after a fork.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dh_log.h"

static int	 rd = -1, saved = -1;
static char	 got[65536];

/* stderr into a pipe whose read end does not block. */
static int
setup(void **state)
{
	int	 p[2];

	if (pipe(p) == -1)
		return -1;
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	saved = dup(STDERR_FILENO);
	dup2(p[1], STDERR_FILENO);
	close(p[1]);
	rd = p[0];
	dh_log_init("logtest");
	return 0;
}

static int
teardown(void **state)
{
	dh_log_hold(0);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(rd);
	return 0;
}

/* Everything written so far, as a string. */
static const char *
drain(void)
{
	size_t	 n = 0;
	ssize_t	 r;

	while (n < sizeof(got) - 1 &&
	    (r = read(rd, got + n, sizeof(got) - 1 - n)) > 0)
		n += (size_t)r;
	got[n] = '\0';
	return got;
}

static int
count(const char *s, const char *needle)
{
	int	 n = 0;

	for (; (s = strstr(s, needle)) != NULL; s += strlen(needle))
		n++;
	return n;
}

static void
held_until_flush(void **state)
{
	const char	*out;

	dh_log_hold(1);
	dh_info("first %d", 1);
	dh_info("second %d", 2);
	assert_string_equal(drain(), "");
	dh_log_flush();
	out = drain();
	assert_int_equal(count(out, "\n"), 2);
	assert_non_null(strstr(out, "info req=- route=- first 1\n"));
	assert_true(strstr(out, "first 1") < strstr(out, "second 2"));
	dh_log_flush();		/* nothing left: nothing written */
	assert_string_equal(drain(), "");
	dh_log_hold(0);
}

static void
warning_writes_held_first(void **state)
{
	const char	*out;

	dh_log_hold(1);
	dh_info("before");
	dh_warn("trouble");
	out = drain();
	assert_non_null(strstr(out, "before"));
	assert_non_null(strstr(out, "warn req=- route=- trouble"));
	assert_true(strstr(out, "before") < strstr(out, "trouble"));
	dh_log_hold(0);
}

static void
release_flushes(void **state)
{
	dh_log_hold(1);
	dh_info("kept");
	assert_string_equal(drain(), "");
	dh_log_hold(0);
	assert_non_null(strstr(drain(), "kept"));
	/* Not held: out at once. */
	dh_info("at once");
	assert_non_null(strstr(drain(), "at once"));
}

/* 4 KB held go out by themselves, in whole lines; none is lost. */
static void
full_hold_written(void **state)
{
	static char	 all[65536];
	char		 msg[300], want[16];
	const char	*p;
	size_t		 n;
	int		 i;

	memset(msg, 'x', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	dh_log_hold(1);
	for (i = 0; i < 40; i++)
		dh_info("line %02d %s", i, msg);
	/* 40 lines of about 370 bytes: all but the last 4 KB are out. */
	snprintf(all, sizeof(all), "%s", drain());
	n = strlen(all);
	assert_true(n > 8192);
	assert_int_equal(all[n - 1], '\n');
	dh_log_flush();
	snprintf(all + n, sizeof(all) - n, "%s", drain());
	dh_log_hold(0);
	assert_int_equal(count(all, "\n"), 40);
	for (p = all, i = 0; i < 40; i++, p++) {
		snprintf(want, sizeof(want), "line %02d ", i);
		p = strstr(p, want);
		assert_non_null(p);
	}
}

/* Control characters cannot forge a second line. */
static void
no_forged_lines(void **state)
{
	dh_info("a\nb\rc");
	assert_int_equal(count(drain(), "\n"), 1);
}

/* A child writes its own pid, also when the parent logged first. */
static void
pid_after_fork(void **state)
{
	char	 want[64];
	pid_t	 kid;
	int	 st;

	dh_info("parent");
	snprintf(want, sizeof(want), "logtest[%ld] info", (long)getpid());
	assert_non_null(strstr(drain(), want));
	if ((kid = fork()) == 0) {
		dh_info("child");
		_exit(0);
	}
	assert_true(kid > 0);
	assert_int_equal(waitpid(kid, &st, 0), kid);
	snprintf(want, sizeof(want), "logtest[%ld] info", (long)kid);
	assert_non_null(strstr(drain(), want));
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(held_until_flush),
		cmocka_unit_test(warning_writes_held_first),
		cmocka_unit_test(release_flushes),
		cmocka_unit_test(full_hold_written),
		cmocka_unit_test(no_forged_lines),
		cmocka_unit_test(pid_after_fork),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
