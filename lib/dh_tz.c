/*
 * Zone conversions through glibc's tz code.  The current zone is cached so
 * a sync that converts many times in one zone reads zoneinfo once.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dh_tz.h"
#include "dh_util.h"

static char	 cur_zone[128] = "\x01";

/*
 * A sync converts in two zones at once (the site's and the business one)
 * and glibc holds one: switching re-reads zoneinfo.  Offsets are cached
 * per zone and six-hour window of UTC; a window holding a DST change is
 * not cached (two changes are never six hours apart).
 */
#define WINDOW		21600
#define OFF_SLOTS	4096
#define MAX_ZONES	8

struct off_slot {
	int64_t	 window;
	int	 zone;		/* index in zones[] + 1; 0 is empty */
	long	 off;
	int	 fixed;		/* the offset holds for the whole window */
};

static char		 zones[MAX_ZONES][128];
static int		 nzones;
static struct off_slot	 slots[OFF_SLOTS];

static void
use_zone(const char *zone)
{
	if (zone == NULL || *zone == '\0')
		zone = "UTC";
	if (strcmp(zone, cur_zone) == 0)
		return;
	dh_strlcpy(cur_zone, zone, sizeof(cur_zone));
	setenv("TZ", zone, 1);
	tzset();
}

int
dh_tz_valid(const char *zone)
{
	char	 path[256];

	if (zone == NULL || *zone == '\0' || strlen(zone) > 64)
		return 0;
	if (strcmp(zone, "UTC") == 0)
		return 1;
	/* Fixed offsets we produce ourselves: "<+0530>-05:30". */
	if (zone[0] == '<')
		return 1;
	if (zone[0] == '/' || strstr(zone, "..") != NULL)
		return 0;
	for (const char *p = zone; *p; p++)
		if (!isalnum((unsigned char)*p) && strchr("/_+-", *p) == NULL)
			return 0;
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", zone);
	return access(path, R_OK) == 0;
}

int
dh_tz_from_offset(double hours, char *buf, size_t cap)
{
	long	 mins;
	char	 sign;

	if (!isfinite(hours) || hours < -14 || hours > 14)
		return -1;
	mins = lround(hours * 60);
	sign = mins < 0 ? '-' : '+';
	if (mins < 0)
		mins = -mins;
	/* POSIX TZ offsets have the opposite sign of UTC offsets. */
	snprintf(buf, cap, "<%c%02ld%02ld>%c%02ld:%02ld", sign, mins / 60,
	    mins % 60, sign == '+' ? '-' : '+', mins / 60, mins % 60);
	return 0;
}

/* UTC offset of zone at utc, from glibc. */
static long
glibc_offset(const char *zone, int64_t utc)
{
	struct tm	 tm;
	time_t		 t = (time_t)utc;

	use_zone(zone);
	localtime_r(&t, &tm);
	return tm.tm_gmtoff;
}

static int
zone_index(const char *zone)
{
	if (zone == NULL || *zone == '\0')
		zone = "UTC";
	for (int i = 0; i < nzones; i++)
		if (strcmp(zones[i], zone) == 0)
			return i + 1;
	if (nzones == MAX_ZONES || strlen(zone) >= sizeof(zones[0]))
		return 0;
	dh_strlcpy(zones[nzones], zone, sizeof(zones[0]));
	return ++nzones;
}

/* UTC offset of zone at utc, through the window cache. */
static long
offset_at(const char *zone, int64_t utc)
{
	int64_t		 win = utc >= 0 ? utc / WINDOW : (utc - WINDOW + 1) /
	    WINDOW;
	int		 z = zone_index(zone);
	struct off_slot	*s;
	long		 a, b;

	if (z == 0)
		return glibc_offset(zone, utc);
	s = &slots[(size_t)((uint64_t)(win * 31 + z) % OFF_SLOTS)];
	if (s->zone == z && s->window == win && s->fixed)
		return s->off;
	a = glibc_offset(zone, win * WINDOW);
	b = glibc_offset(zone, win * WINDOW + WINDOW - 1);
	s->zone = z;
	s->window = win;
	s->off = a;
	s->fixed = a == b;
	return a == b ? a : glibc_offset(zone, utc);
}

void
dh_tz_to_local(const char *zone, int64_t utc, struct dh_wall *w)
{
	struct dh_date	 d;
	int64_t		 t = utc + offset_at(zone, utc);
	int64_t		 days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	int64_t		 rem = t - days * 86400;

	dh_days_to_date((long)days, &d);
	w->year = d.year;
	w->month = d.month;
	w->day = d.day;
	w->hour = (int)(rem / 3600);
	w->min = (int)(rem % 3600 / 60);
	w->sec = (int)(rem % 60);
}

int64_t
dh_tz_from_local(const char *zone, const struct dh_wall *w)
{
	int64_t	 t = dh_timegm(w->year, w->month, w->day, w->hour, w->min,
	    w->sec);
	long	 oa = offset_at(zone, t - 50400), ob = offset_at(zone, t + 50400);
	int64_t	 x1 = t - oa, x2 = t - ob;
	int	 v1, v2;

	if (oa == ob)
		return x1;
	/*
	 * A change of offset is near: read the wall time with the offset
	 * before it and with the one after, and keep what is consistent.
	 * Both are in an overlap (the first instant wins); neither is in a
	 * gap (the offset before the change is used).
	 */
	v1 = offset_at(zone, x1) == oa;
	v2 = offset_at(zone, x2) == ob;
	if (v1 && v2)
		return x1 < x2 ? x1 : x2;
	return v2 && !v1 ? x2 : x1;
}

static int
num(const char *s, int n, int lo, int hi, int *out)
{
	long long	 v;

	for (int i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return -1;
	if (dh_parse_lln(s, (size_t)n, lo, hi, &v) == -1)
		return -1;
	*out = (int)v;
	return 0;
}

int
dh_tz_parse(const char *s, const char *zone, int64_t *utc)
{
	struct dh_wall	 w;
	struct dh_date	 d;
	size_t		 n;
	int		 oh, om;
	const char	*z;
	char		 day[11];

	if (s == NULL || (n = strlen(s)) < 19)
		return -1;
	if (num(s, 4, 1970, 9999, &w.year) || s[4] != '-' ||
	    num(s + 5, 2, 1, 12, &w.month) || s[7] != '-' ||
	    num(s + 8, 2, 1, 31, &w.day) || (s[10] != ' ' && s[10] != 'T') ||
	    num(s + 11, 2, 0, 23, &w.hour) || s[13] != ':' ||
	    num(s + 14, 2, 0, 59, &w.min) || s[16] != ':' ||
	    num(s + 17, 2, 0, 60, &w.sec))
		return -1;
	/* The day must exist: mktime and dh_timegm would move 02-31 on. */
	memcpy(day, s, 10);
	day[10] = '\0';
	if (dh_date_parse(day, &d) == -1)
		return -1;
	z = s + 19;
	if (*z == '.') {		/* fractional seconds: ignored */
		z++;
		while (isdigit((unsigned char)*z))
			z++;
	}
	if (*z == '\0') {
		*utc = dh_tz_from_local(zone, &w);
		return 0;
	}
	if ((z[0] == 'Z' || z[0] == 'z') && z[1] == '\0') {
		*utc = dh_timegm(w.year, w.month, w.day, w.hour, w.min, w.sec);
		return 0;
	}
	if ((z[0] == '+' || z[0] == '-') && strlen(z) == 6 && z[3] == ':' &&
	    num(z + 1, 2, 0, 14, &oh) == 0 && num(z + 4, 2, 0, 59, &om) == 0) {
		int64_t	 off = (int64_t)(oh * 3600 + om * 60);

		*utc = dh_timegm(w.year, w.month, w.day, w.hour, w.min,
		    w.sec) - (z[0] == '+' ? off : -off);
		return 0;
	}
	return -1;
}

void
dh_tz_format_utc(int64_t utc, char *buf)
{
	struct dh_date	 d;
	int64_t		 days = utc >= 0 ? utc / 86400 : (utc - 86399) / 86400;
	int64_t		 rem = utc - days * 86400;

	char		 tmp[96];

	dh_days_to_date((long)days, &d);
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d %02d:%02d:%02d", d.year,
	    d.month, d.day, (int)(rem / 3600), (int)(rem % 3600 / 60),
	    (int)(rem % 60));
	memcpy(buf, tmp, 19);
	buf[19] = '\0';
}

void
dh_wall_date(const struct dh_wall *w, char *buf)
{
	char	 tmp[48];

	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d", w->year, w->month,
	    w->day);
	memcpy(buf, tmp, 10);
	buf[10] = '\0';
}

void
dh_wall_time(const struct dh_wall *w, char *buf)
{
	char	 tmp[48];

	snprintf(tmp, sizeof(tmp), "%02d:%02d:%02d", w->hour, w->min, w->sec);
	memcpy(buf, tmp, 8);
	buf[8] = '\0';
}
