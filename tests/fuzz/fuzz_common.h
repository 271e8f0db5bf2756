/*
 * Helpers shared by the libFuzzer targets: the input as a NUL-terminated
 * string of its own allocation, so that reading past the end of what the
 * fuzzer gave is caught by ASan exactly as it would be in the servers.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

int	 LLVMFuzzerInitialize(int *, char ***);
int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * Run once by libFuzzer before any input.  jansson seeds its hash tables
 * from /dev/urandom, which changes the code paths an input covers from
 * one process to the next; a fixed seed keeps a run with -seed=N the same
 * on every machine.  Each target includes this header once.
 */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	json_object_seed(1);
	return 0;
}

/* A NUL-terminated copy of data; NULL on out of memory.  Caller frees. */
static inline char *
fuzz_strdup(const uint8_t *data, size_t size)
{
	char	*s = malloc(size + 1);

	if (s == NULL)
		return NULL;
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* An exact-size copy of data (no terminator), for (pointer, length) APIs. */
static inline char *
fuzz_memdup(const uint8_t *data, size_t size)
{
	char	*s = malloc(size > 0 ? size : 1);

	if (s != NULL && size > 0)
		memcpy(s, data, size);
	return s;
}

/*
 * Whether s is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), as MariaDB's utf8mb4 columns in
 * strict mode and jansson's parser demand.  NULL counts as valid.
 */
static inline int
fuzz_utf8_valid(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;

	if (s == NULL)
		return 1;
	while (*p != '\0') {
		unsigned int	 c = *p, cp, k, min;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1; cp = c & 0x1f; min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2; cp = c & 0x0f; min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3; cp = c & 0x07; min = 0x10000;
		} else
			return 0;
		for (unsigned int i = 1; i <= k; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		p += k + 1;
	}
	return 1;
}

#endif
