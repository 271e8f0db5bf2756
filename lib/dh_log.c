/*
 * The log writer.  Lines are assembled in one buffer and written with one
 * write(2) so that lines from several worker processes never interleave.
 * Control characters in messages are escaped so a message cannot forge a
 * second log line.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dh_log.h"

static const char	*log_prog = "deskhub";
static char		 log_reqid[40] = "-";
static char		 log_route[96] = "-";
static enum dh_log_level log_min = DH_LOG_INFO;
/* getpid() is a system call; the pid is kept, and forgotten at fork. */
static pid_t		 log_pid;
/* PIPE_BUF: a write of this much stays whole on a pipe. */
static char		 held[4096];
static size_t		 nheld;
static int		 holding;

static const char *const level_names[] = {
	"error",	/* DH_LOG_ERR */
	"warn",		/* DH_LOG_WARN */
	"info",		/* DH_LOG_INFO */
	"debug",	/* DH_LOG_DEBUG */
};

static void
forked(void)
{
	log_pid = getpid();
	nheld = 0;	/* the parent's to write */
	holding = 0;
}

void
dh_log_init(const char *prog)
{
	static int	 once;

	log_prog = prog;
	log_pid = getpid();
	if (!once && pthread_atfork(NULL, NULL, forked) == 0)
		once = 1;
}

static void
put(const char *p, size_t n)
{
	ssize_t	 w;

	for (size_t o = 0; o < n; o += (size_t)w) {
		w = write(STDERR_FILENO, p + o, n - o);
		if (w <= 0)
			break;
	}
}

void
dh_log_flush(void)
{
	if (nheld > 0)
		put(held, nheld);
	nheld = 0;
}

void
dh_log_hold(int on)
{
	if (!on)
		dh_log_flush();
	holding = on;
}

void
dh_log_level(enum dh_log_level l)
{
	log_min = l;
}

void
dh_log_request(const char *reqid, const char *route)
{
	snprintf(log_reqid, sizeof(log_reqid), "%s", reqid ? reqid : "-");
	snprintf(log_route, sizeof(log_route), "%s", route ? route : "-");
}

void
dh_log(enum dh_log_level lvl, const char *fmt, ...)
{
	char		 msg[1024], line[1400], ts[80];
	struct tm	 tm;
	time_t		 now;
	va_list		 ap;
	size_t		 n;
	int		 h;

	if (lvl > log_min)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (char *p = msg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	now = time(NULL);
	gmtime_r(&now, &tm);
	/* Not strftime: it reads TZ, which dh_tz sets while the sync's
	 * second thread may be logging. */
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	h = snprintf(line, sizeof(line), "%s %s[%ld] %s req=%s route=%s %s\n",
	    ts, log_prog, (long)(log_pid != 0 ? log_pid : getpid()),
	    level_names[lvl], log_reqid,
	    log_route, msg);
	if (h < 0)
		return;
	n = (size_t)h < sizeof(line) ? (size_t)h : sizeof(line) - 1;
	if (n > 0 && line[n - 1] != '\n')
		line[n - 1] = '\n';
	if (holding && lvl >= DH_LOG_INFO) {
		if (nheld + n > sizeof(held))
			dh_log_flush();
		memcpy(held + nheld, line, n);
		nheld += n;
		return;
	}
	dh_log_flush();
	put(line, n);
}
