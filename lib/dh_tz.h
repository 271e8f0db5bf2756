/*
 * Time zones by name (IANA, from the system's zoneinfo) or as a fixed UTC
 * offset.  glibc keeps one zone at a time, so conversions switch TZ only
 * when the zone changes; only one thread of a program converts (the
 * sync's second thread reads the database and nothing else).
 */
#ifndef DH_TZ_H
#define DH_TZ_H

#include <stddef.h>
#include <stdint.h>

/* Local wall-clock fields. */
struct dh_wall {
	int	year, month, day, hour, min, sec;
};

/* Whether zone names a zoneinfo file or is "UTC"; 1 or 0. */
int	 dh_tz_valid(const char *zone);
/* Write the POSIX TZ for a fixed offset in hours (5.5 -> UTC+05:30). */
int	 dh_tz_from_offset(double hours, char *buf, size_t cap);
/* UTC seconds to wall time in zone ("" means UTC). */
void	 dh_tz_to_local(const char *zone, int64_t utc, struct dh_wall *);
/*
 * Wall time in zone to UTC seconds.  A time skipped by a DST change is
 * read with the offset before the change; an ambiguous one as the first.
 */
int64_t	 dh_tz_from_local(const char *zone, const struct dh_wall *);
/*
 * Parse "YYYY-MM-DD HH:MM:SS" (site-local, read in zone) or ISO 8601 with
 * an offset or Z ("2026-11-21T13:26:33+00:00").  0 with *utc set, or -1.
 */
int	 dh_tz_parse(const char *s, const char *zone, int64_t *utc);
/* Wall date as "YYYY-MM-DD" (buf >= 11) and time as "HH:MM:SS" (>= 9). */
void	 dh_wall_date(const struct dh_wall *, char *buf);
void	 dh_wall_time(const struct dh_wall *, char *buf);
/* Format UTC seconds as "YYYY-MM-DD HH:MM:SS" (UTC). buf >= 20 bytes. */
void	 dh_tz_format_utc(int64_t utc, char *buf);

#endif
