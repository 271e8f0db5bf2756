/*
 * HTML to text (ticket messages): dh_html_to_text into a buffer capped as
 * dh_fluent_map caps it, and the priority and product lookups.
 */
#include <stdio.h>
#include <string.h>

#include "dh_util.h"
#include "prov_fluent.h"
#include "fuzz_common.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dh_buf	 out;
	char		*s;

	if ((s = fuzz_strdup(data, size)) == NULL)
		return 0;
	dh_buf_init(&out, DH_DESC_MAX);
	if (dh_html_to_text(s, &out) == 0 && out.data != NULL &&
	    (out.len > DH_DESC_MAX || strlen(out.data) != out.len))
		abort();
	/* Valid UTF-8 in, valid UTF-8 out, even when cut at the cap. */
	if (fuzz_utf8_valid(s) && out.data != NULL &&
	    !fuzz_utf8_valid(out.data))
		abort();
	dh_buf_release(&out);
	dh_fluent_urgency(s);
	dh_fluent_category(s);
	free(s);
	return 0;
}
