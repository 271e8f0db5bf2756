#!/bin/sh
# The banned-function check (curl's habit): C functions with no bound or
# no error report must not appear in Deskhub's C code.  Prints one
# "ok"/"not ok" line; exit 1 on a hit.
cd "$(dirname "$0")/.." || exit 1
banned='strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|atoll|atof|strtok|strncpy|strncat|system|popen|mktemp|tmpnam|tempnam|alloca|setjmp|longjmp'
hits=$(grep -nE "(^|[^_a-zA-Z0-9])($banned)[[:space:]]*\(" lib/*.c lib/*.h fcgi-bin/*.c deploy/*.c 2>/dev/null)
if [ -n "$hits" ]; then
	echo "not ok - banned functions"
	echo "$hits" | sed 's/^/    /'
	exit 1
fi
echo "ok - banned functions: none in lib/, fcgi-bin/, deploy/"
