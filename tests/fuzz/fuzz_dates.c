/*
 * Dates and times from outside: dh_tz_parse (provider timestamps, read in
 * one of a few zones), dh_date_parse (query and body dates), the zone
 * name check dh_tz_valid and the offset zones of dh_tz_from_offset.
 */
#include <stdio.h>
#include <string.h>

#include "dh_tz.h"
#include "dh_util.h"
#include "fuzz_common.h"

static const char *const zones[] = { "", "UTC", "America/New_York",
	"Asia/Dhaka", "Australia/Lord_Howe", "<+0530>-05:30" };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dh_date	 d;
	struct dh_wall	 w;
	int64_t		 utc;
	double		 h;
	char		*s, buf[32];

	if (size == 0)
		return 0;
	if ((s = fuzz_strdup(data + 1, size - 1)) == NULL)
		return 0;
	if (dh_tz_parse(s, zones[data[0] % DH_ARRAY_LEN(zones)], &utc) == 0) {
		dh_tz_format_utc(utc, buf);
		if (strlen(buf) != 19)
			abort();
		/* A UTC time that parses names a real instant: it formats
		 * back to the same text (leap seconds aside). */
		if (strlen(s) == 20 && s[19] == 'Z' && s[17] != '6' &&
		    (memcmp(buf, s, 10) != 0 || memcmp(buf + 11, s + 11, 8)))
			abort();
		dh_tz_to_local("America/New_York", utc, &w);
		dh_wall_date(&w, buf);
		dh_wall_time(&w, buf + 11);
	}
	if (dh_date_parse(s, &d) == 0) {
		dh_date_format(&d, buf);
		/* Only real days parse, so they format back the same. */
		if (strcmp(buf, s) != 0)
			abort();
		dh_days_to_date(dh_date_to_days(&d), &d);
		dh_date_format(&d, buf);
		if (strcmp(buf, s) != 0)
			abort();
	}
	dh_tz_valid(s);
	if (dh_parse_double(s, -14, 14, &h) == 0 &&
	    dh_tz_from_offset(h, buf, sizeof(buf)) == 0 && !dh_tz_valid(buf))
		abort();
	free(s);
	return 0;
}
