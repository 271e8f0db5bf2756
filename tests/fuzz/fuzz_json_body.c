/*
 * JSON request bodies as the FastCGI programs read them: json_loadb with
 * JSON_REJECT_DUPLICATES (dh_req_json), then the checks the handlers make
 * with library code: the sync body's dateFilter (dh_date_parse), the
 * PATCH /api/requests body (hours, category), the user bodies
 * (db_users_email_norm, db_users_name_valid, db_users_role_valid) and the
 * lenient readers of dh_json.h on every member.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "db_users.h"
#include "dh_json.h"
#include "dh_util.h"
#include "fuzz_common.h"

static void
date_filter(const json_t *v)
{
	struct dh_date	 d;
	char		 out[11];

	if (!json_is_string(v) || dh_date_parse(json_string_value(v), &d))
		return;
	dh_date_format(&d, out);
	/* "a real day": what parses formats back to the same text. */
	if (strcmp(out, json_string_value(v)) != 0)
		abort();
}

static void
patch_hours(const json_t *v)
{
	double	 h;

	if (!json_is_number(v))
		return;
	h = json_number_value(v);
	if (h < 0 || h > 999.99 || !isfinite(h) ||
	    fabs(h * 100 - round(h * 100)) > 1e-6)
		return;
	(void)(round(h * 100) / 100);
}

static void
user_fields(const json_t *o)
{
	char		 out[DB_USER_EMAIL_MAX + 1], err[256];
	const char	*s;

	if ((s = dh_json_str(o, "email")) != NULL) {
		if (db_users_email_norm(s, 1, out, sizeof(out), err,
		    sizeof(err)) == 0 && strlen(out) > DB_USER_EMAIL_MAX)
			abort();
		db_users_email_norm(s, 0, out, sizeof(out), err, sizeof(err));
	}
	if ((s = dh_json_str(o, "name")) != NULL)
		db_users_name_valid(s, err, sizeof(err));
	if ((s = dh_json_str(o, "role")) != NULL)
		db_users_role_valid(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t	 e;
	json_t		*j, *v;
	const char	*key;
	long long	 ll;
	char		*body;

	if ((body = fuzz_memdup(data, size)) == NULL)
		return 0;
	j = json_loadb(body, size, JSON_REJECT_DUPLICATES, &e);
	free(body);
	if (j == NULL)
		return 0;
	if (json_is_object(j)) {
		json_object_foreach(j, key, v) {
			dh_json_ll(v, &ll);
			dh_json_get_ll(j, key, &ll);
			dh_json_str(j, key);
		}
		date_filter(json_object_get(j, "dateFilter"));
		patch_hours(json_object_get(j, "hours"));
		user_fields(j);
	} else
		dh_json_ll(j, &ll);
	json_decref(j);
	return 0;
}
