/*
 * The configuration file: dh_config_load on a temporary file holding the
 * input.  The environment's Deskhub keys are cleared once so that only the
 * file and the defaults are read.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dh_config.h"
#include "fuzz_common.h"

static char	 path[64];

static void
setup(void)
{
	extern char	**environ;
	char		 name[256];

	/* Drop every variable the loader would read (all are upper case
	 * with an underscore); the fuzzer's own do not matter to it. */
	for (size_t i = 0; environ[i] != NULL; ) {
		const char	*eq = strchr(environ[i], '=');
		size_t		 l = eq != NULL ? (size_t)(eq - environ[i]) : 0;

		if (l > 0 && l < sizeof(name) &&
		    (strncmp(environ[i], "DESKHUB_", 8) == 0 ||
		    strncmp(environ[i], "FLUENT_", 7) == 0 ||
		    strncmp(environ[i], "FRESH_", 6) == 0 ||
		    strncmp(environ[i], "VITE_", 5) == 0)) {
			memcpy(name, environ[i], l);
			name[l] = '\0';
			unsetenv(name);
			continue;
		}
		i++;
	}
	snprintf(path, sizeof(path), "/tmp/deskhub-fuzz-config.%ld",
	    (long)getpid());
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dh_config	 c;
	FILE			*f;
	char			 err[512];

	if (path[0] == '\0')
		setup();
	if ((f = fopen(path, "w")) == NULL)
		return 0;
	if (size > 0 && fwrite(data, 1, size, f) != size) {
		fclose(f);
		return 0;
	}
	fclose(f);
	if (dh_config_load(&c, path, 0, err, sizeof(err)) == 0) {
		if (memchr(c.listen, '\0', sizeof(c.listen)) == NULL ||
		    memchr(c.timezone, '\0', sizeof(c.timezone)) == NULL ||
		    memchr(c.fluent_date_filter, '\0',
		    sizeof(c.fluent_date_filter)) == NULL ||
		    memchr(c.fresh_ids_file, '\0',
		    sizeof(c.fresh_ids_file)) == NULL)
			abort();
	} else if (memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	unlink(path);
	return 0;
}
