#!/usr/bin/env bash
# Run the suites under valgrind (`make valgrind`):
#   tests/valgrind.sh [unit|integration|scan]...   (default: unit integration)
# unit: every cmocka binary in $BUILD/tests under memcheck; a memory error
# or a definite or indirect leak fails it.
# integration: the private stack (tests/stack.sh, in $STACK_DIR, by
# default tests/var/valgrind) with every FastCGI program started under
# valgrind through DESKHUB_WRAP (deploy/devstack.sh), the integration
# suites run against it, the stack stopped so that each process writes its
# leak summary, then the logs scanned: an invalid read or write, a use of
# uninitialised memory or a definite or indirect leak whose stack holds a
# Deskhub frame fails it.  scan: scan the logs of an earlier run again.
# Known third-party noise is in tests/valgrind.supp.  Needs a build
# without sanitizers (BUILD=build).  Logs: $VALGRIND_LOGS, by default
# tests/artifacts/valgrind.
# Suites that measure time, load or memory growth mean nothing under
# valgrind (20 to 50 times slower, its own heap): VALGRIND_SKIP names the
# suites left out, by default test_robust.
# Ends with "N passed, N failed" like tests/run-all.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
export BUILD
ART=$ROOT/tests/artifacts
VGLOG=${VALGRIND_LOGS:-$ART/valgrind}
SUPP=$ROOT/tests/valgrind.supp
export STACK_DIR=${STACK_DIR:-$ROOT/tests/var/valgrind}
PASS=0
FAIL=0
what=${*:-unit integration}
SKIP=${VALGRIND_SKIP-test_robust}
VG="valgrind --error-exitcode=99 --leak-check=full
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
    --num-callers=30 --suppressions=$SUPP"

command -v valgrind >/dev/null || {
	echo "not ok - valgrind is not installed (apt-get install valgrind)"
	echo "0 passed, 1 failed"
	exit 1
}
case " $what " in
*" scan "*) ;;
*) rm -rf "$VGLOG" ;;
esac
mkdir -p "$VGLOG"

run_unit() {
	local t n rc
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		n=$(basename "$t")
		timeout 900 $VG --log-file="$VGLOG/unit-$n.log" "$t" \
		    >"$VGLOG/unit-$n.out" 2>&1
		rc=$?
		if [ "$rc" = 0 ]; then
			echo "ok - valgrind: $n"
			PASS=$((PASS + 1))
		else
			echo "not ok - valgrind: $n exited $rc"
			grep -E '^==[0-9]+== (Invalid|Conditional|Use of|Syscall|Mismatched|.*definitely|.*indirectly|   (at|by) )' \
			    "$VGLOG/unit-$n.log" | head -n 30 | sed 's/^/    /'
			FAIL=$((FAIL + 1))
		fi
	done
}

# The basenames of Deskhub's own sources: a frame in one of them makes an
# error Deskhub's.
OURS=$(ls lib/*.c fcgi-bin/*.c deploy/*.c 2>/dev/null | xargs -n1 basename |
    sed 's/\./[.]/g' | paste -sd'|')

# Print the error blocks of one valgrind log that are Deskhub's.
scan_log() {
	awk -v ours="$OURS" '
	function flush() {
		if (blk != "" && bad && mine)
			printf "%s\n", blk
		blk = ""; bad = 0; mine = 0
	}
	{
		line = $0
		sub(/^==[0-9]+== ?/, "", line)
		if (line == "") { flush(); next }
		if (blk == "" && (line ~ /^Invalid (read|write|free)/ ||
		    line ~ /uninitialised/ || line ~ /^Mismatched free/ ||
		    line ~ /^Source and destination overlap/ ||
		    line ~ /are definitely lost/ ||
		    line ~ /are indirectly lost/))
			bad = 1
		if (line ~ "\\((" ours "):[0-9]+\\)")
			mine = 1
		blk = blk "    " line "\n"
	}
	END { flush() }' "$1"
}

# Wait (bounded) for every process that writes a log here to end.
wait_logs() {
	local f pid i
	for i in $(seq 1 600); do
		pid=""
		for f in "$VGLOG"/[0-9]*.log; do
			[ -e "$f" ] || continue
			p=$(basename "$f" .log)
			kill -0 "$p" 2>/dev/null && { pid=$p; break; }
		done
		[ -z "$pid" ] && return 0
		sleep 0.1
	done
	echo "    valgrind: process $pid still running after 60 s"
}

run_integration() {
	local s out line
	export DESKHUB_WRAP="valgrind --trace-children=yes --error-exitcode=99
	    --leak-check=full --errors-for-leak-kinds=definite,indirect
	    --show-leak-kinds=definite,indirect --num-callers=30
	    --suppressions=$SUPP --log-file=$VGLOG/%p.log"
	if ! tests/stack.sh start; then
		echo "not ok - valgrind: the test stack did not start"
		FAIL=$((FAIL + 1))
		return
	fi
	for s in tests/integration/test_*.sh; do
		[ -f "$s" ] || continue
		case " $SKIP " in
		*" $(basename "$s" .sh) "*)
			echo "# skipped under valgrind: $(basename "$s")"
			continue ;;
		esac
		out=$VGLOG/$(basename "$s" .sh).log.txt
		timeout 1800 bash "$s" >"$out" 2>&1
		line=$(grep '^RESULT ' "$out" | tail -n 1)
		if [ -z "$line" ]; then
			echo "not ok - valgrind: $(basename "$s") ended without a result"
			FAIL=$((FAIL + 1))
			continue
		fi
		set -- $line
		echo "$(basename "$s") under valgrind: $3 passed, $4 failed"
		grep '^not ok' "$out" | sed 's/^/    /'
		PASS=$((PASS + $3))
		FAIL=$((FAIL + $4))
	done
	tests/stack.sh stop >/dev/null 2>&1
	wait_logs
	scan_logs
}

# Fail on every process log holding an error of Deskhub's.
scan_logs() {
	local f n=0 errs
	for f in "$VGLOG"/[0-9]*.log; do
		[ -e "$f" ] || continue
		# A process killed with SIGKILL (a test's own doing, or a stop
		# that timed out) leaves no summary; its errors still count.
		grep -q 'ERROR SUMMARY' "$f" ||
		    echo "# $(basename "$f"): no summary (killed):" \
		    "$(grep -m1 -o 'Command: [^ ]*' "$f")"
		errs=$(scan_log "$f")
		[ -z "$errs" ] && continue
		n=$((n + 1))
		echo "not ok - valgrind: $(grep -m1 -o 'Command: .*' "$f") ($f)"
		printf '%s\n' "$errs" | head -n 40
	done
	if [ "$n" = 0 ]; then
		echo "ok - valgrind: no errors in Deskhub's code in" \
		    "$(ls "$VGLOG"/[0-9]*.log 2>/dev/null | wc -l) process logs"
		PASS=$((PASS + 1))
	else
		FAIL=$((FAIL + 1))
	fi
}

for w in $what; do
	case $w in
	unit) run_unit ;;
	integration) run_integration ;;
	scan) scan_logs ;;
	*) echo "unknown suite kind $w" >&2; exit 2 ;;
	esac
done
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
