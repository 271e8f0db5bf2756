/*
 * Answers written without jansson: dh_res_json_text and the dh_jw writer
 * must give byte for byte what jansson dumps for the same values, and
 * refuse exactly what jansson refuses (text that is not UTF-8).  The input
 * is cells separated by 0x1f; a cell that is 0x1e alone is NULL.  Columns
 * are int, string, real, string; the first byte sets how many columns a
 * row has (1 to 4) and, through its high bit, a buffer limit of 256 bytes
 * for the fallback when the longest escape does not fit.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "dh_db.h"
#include "dh_jw.h"
#include "dh_util.h"
#include "fuzz_common.h"

#define MAX_CELLS	64

static char		*names[] = { "id", "text\x01\xc3\xa9", "hours", "n\"" };
static enum dh_ckind	 kinds[] = { DH_C_INT, DH_C_STR, DH_C_REAL, DH_C_STR };

/* The result text both ways; abort when they differ. */
static void
check_result(char **cells, unsigned ncols, size_t nrows, size_t max)
{
	struct dh_result	 r = { ncols, nrows, names, kinds, cells, NULL, 0 };
	struct dh_buf		 b;
	json_t			*j;
	char			*want = NULL;
	int			 rc;

	j = dh_res_json(&r);
	if (j != NULL)
		want = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
	dh_buf_init(&b, max);
	rc = dh_res_json_text(&r, &b);
	if (want == NULL) {
		/* jansson refused a cell (or a name): so must we. */
		if (rc != -1)
			abort();
	} else if (strlen(want) > max) {
		if (rc != -1)
			abort();
	} else if (rc != 0 || b.data == NULL || strcmp(b.data, want) != 0)
		abort();
	free(want);
	json_decref(j);
	dh_buf_release(&b);
}

/* The cells as an array of strings through dh_jw; NULL as null. */
static void
check_writer(char **cells, size_t n)
{
	struct dh_jw	 w;
	json_t		*a = json_array();
	char		*want;
	int		 ok = 1;

	dh_jw_init(&w, 1 << 20);
	dh_jw_arr(&w);
	for (size_t i = 0; i < n; i++) {
		json_t	*v = cells[i] != NULL ? json_string(cells[i]) :
		    json_null();

		if (v == NULL)
			ok = 0;
		else
			json_array_append_new(a, v);
		dh_jw_str(&w, cells[i]);
		dh_jw_key(&w, "k");	/* a key outside an object: */
		dh_jw_int(&w, (long long)i - 3);	/* "k":n, stripped */
	}
	dh_jw_end(&w, ']');
	if (!ok) {
		if (!dh_jw_failed(&w))
			abort();
	} else {
		char	*got, *o, *p;

		want = json_dumps(a, JSON_COMPACT | JSON_ENSURE_ASCII);
		if (want == NULL || dh_jw_failed(&w))
			abort();
		/* Take the ,"k":n members back out of what was written. */
		if ((got = strdup(w.b.data)) == NULL)
			abort();
		for (o = p = got; *p != '\0'; ) {
			if (strncmp(p, "\"k\":", 4) == 0 && (p == got + 1 ||
			    p[-1] == ',')) {
				if (o > got && o[-1] == ',')
					o--;
				p += 4;
				p += *p == '-';
				while (*p >= '0' && *p <= '9')
					p++;
				continue;
			}
			/* Inside a string: copy it through, escapes and
			 * all, so that no "k": in a value is touched. */
			if (*p == '"') {
				*o++ = *p++;
				while (*p != '\0' && *p != '"') {
					if (*p == '\\' && p[1] != '\0')
						*o++ = *p++;
					*o++ = *p++;
				}
				if (*p == '"')
					*o++ = *p++;
				continue;
			}
			*o++ = *p++;
		}
		*o = '\0';
		if (strcmp(got, want) != 0)
			abort();
		free(got);
		free(want);
	}
	json_decref(a);
	dh_jw_release(&w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*s, *p, *cells[MAX_CELLS];
	size_t		 n = 0;
	unsigned	 ncols;

	if (size == 0)
		return 0;
	ncols = (unsigned)(data[0] & 3) + 1;
	if ((s = fuzz_strdup(data + 1, size - 1)) == NULL)
		return 0;
	for (p = s; n < MAX_CELLS; ) {
		char	*e = strchr(p, '\x1f');

		if (e != NULL)
			*e = '\0';
		cells[n++] = strcmp(p, "\x1e") == 0 ? NULL : p;
		if (e == NULL)
			break;
		p = e + 1;
	}
	check_result(cells, ncols, n / ncols,
	    (data[0] & 0x80) ? 256 : 1 << 20);
	check_writer(cells, n);
	free(s);
	return 0;
}
