/*
 * The IDs mapping file (FRESH_IDS_FILE): dh_ids_parse on the input, then
 * every parsed name matched against a few local users the way the
 * closures sync does (dh_match_user), and dh_utf8_trunc on a copy.
 */
#include <stdio.h>
#include <string.h>

#include "closures.h"
#include "dh_util.h"
#include "fuzz_common.h"

static const struct dh_user_ref users[] = {
	{ 1, "Oscar Solis", "oscar.solis@example.com" },
	{ 2, "Ana Maria Lopez", "ana_lopez@example.com" },
	{ 3, "oscar", "o-s@example.com" },
	{ 4, NULL, "nobody@example.com" },
	{ 5, "Zoë Ünal", NULL },
	{ 6, "", "@" },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dh_ids	 ids;
	char		 err[256], *text, *copy;
	size_t		 idx;

	if ((text = fuzz_memdup(data, size)) == NULL)
		return 0;
	dh_ids_init(&ids);
	if (dh_ids_parse(text, size, &ids, err, sizeof(err)) == 0) {
		if (ids.nerr > DH_IDS_MAX_ERRORS || ids.nerr > ids.nbad)
			abort();
		for (size_t i = 0; i < ids.n; i++) {
			const char	*name = ids.e[i].name;

			if (memchr(name, '\0', sizeof(ids.e[i].name)) == NULL ||
			    ids.e[i].id <= 0)
				abort();
			switch (dh_match_user(name, users,
			    DH_ARRAY_LEN(users), &idx)) {
			case DH_MATCH_EXACT:
			case DH_MATCH_PARTIAL:
				if (idx >= DH_ARRAY_LEN(users))
					abort();
				break;
			default:
				break;
			}
		}
		for (size_t i = 0; i < ids.nerr; i++)
			if (memchr(ids.err[i].msg, '\0',
			    sizeof(ids.err[i].msg)) == NULL)
				abort();
	}
	dh_ids_release(&ids);
	if ((copy = fuzz_strdup(data, size)) != NULL) {
		int	 valid = fuzz_utf8_valid(copy);

		dh_utf8_trunc(copy, size / 2);
		if (strlen(copy) > size / 2 ||
		    (valid && !fuzz_utf8_valid(copy)))
			abort();
		free(copy);
	}
	free(text);
	return 0;
}
