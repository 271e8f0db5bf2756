#!/usr/bin/env bash
# Build the libFuzzer targets (tests/fuzz/fuzz_*.c) with clang, ASan and
# UBSan into build-fuzz/ and run each for a bounded time.
#   tests/fuzz/run.sh [seconds-per-target] [target...]
# Default 20 s per target (the CI short run); a long run by hand:
# tests/fuzz/run.sh 600.  Each target first replays its regression inputs
# (tests/fuzz/regress/<target>/, every crash ever found), then fuzzes a
# copy of tests/fuzz/corpus/<target>/ plus those inputs.  New crashes are
# written to build-fuzz/artifacts/<target>/; copy each one into
# tests/fuzz/regress/<target>/ with a name saying what it caught.
# Ends with one line per target and "RESULT fuzz <passed> <failed>".
#
# FUZZ_SEED=N makes the run repeatable: libFuzzer then mutates the same
# inputs in the same order on every machine, so a short run explores a
# prefix of what a longer run with the same seed explored.  That takes
# more than -seed: the corpus is not reloaded from disk on a timer, and
# address space randomisation is turned off (setarch -R), because
# libFuzzer files comparison operands in tables indexed by code address.
# make check fixes the seed, so that its verdict depends on the code and
# not on luck; the long run by hand leaves it unset and draws a new seed
# each time.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
SECS=${1:-20}
shift || true
OUT=${FUZZ_BUILD:-$ROOT/build-fuzz}
CC=${FUZZ_CC:-clang}
PKGS="fcgi libcurl libmariadb libsodium jansson"

need_pkgs() {
	local missing="" p
	for p in clang libclang-rt-14-dev; do
		dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "fuzz: installing$missing" >&2
	if [ "$(id -u)" = 0 ]; then
		apt-get install -y $missing >&2
	else
		sudo apt-get install -y $missing >&2
	fi
}

# The longest input worth trying per target: a little over what the
# programs accept (bodies are capped at 64 KiB, tokens at 4 KiB).
max_len() {
	case $1 in
	dates) echo 128 ;;
	query) echo 4096 ;;
	jwt) echo 8192 ;;
	config) echo 8192 ;;
	jscan) echo 4096 ;;
	*) echo 70000 ;;
	esac
}

build() {
	local cflags libs f o objs="" t
	cflags="-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
	    -fsanitize=address,undefined -fno-sanitize-recover=all \
	    -Wall -Wextra -Wno-unused-parameter -Werror -Ilib -Ifcgi-bin \
	    $(pkg-config --cflags $PKGS)"
	libs="$(pkg-config --libs $PKGS) -lm"
	mkdir -p "$OUT/lib" "$OUT/bin"
	for f in lib/*.c; do
		o=$OUT/lib/$(basename "$f" .c).o
		if [ ! -f "$o" ] || [ "$f" -nt "$o" ] ||
		    [ -n "$(find lib -name '*.h' -newer "$o" | head -n 1)" ]; then
			$CC $cflags -fsanitize=fuzzer-no-link -c -o "$o" "$f" ||
			    return 1
		fi
		objs="$objs $o"
	done
	rm -f "$OUT/libdeskhub-fuzz.a"
	ar rcs "$OUT/libdeskhub-fuzz.a" $objs || return 1
	for f in tests/fuzz/fuzz_*.c; do
		t=$(basename "$f" .c)
		$CC $cflags -fsanitize=fuzzer -o "$OUT/bin/$t" "$f" \
		    "$OUT/libdeskhub-fuzz.a" $libs || return 1
	done
}

need_pkgs || { echo "not ok - fuzz: clang not available"; echo "RESULT fuzz 0 1"; exit 1; }
mkdir -p "$OUT"
if ! build >"$OUT/build.log" 2>&1; then
	cat "$OUT/build.log"
	echo "not ok - fuzz: build"
	echo "RESULT fuzz 0 1"
	exit 1
fi

repeat=""
norand=""
if [ -n "${FUZZ_SEED:-}" ]; then
	repeat="-seed=$FUZZ_SEED -reload=0"
	setarch -R true 2>/dev/null && norand="setarch -R"
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
targets=${*:-$(cd tests/fuzz && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')}
pass=0
fail=0
lines=""
for t in $targets; do
	bin=$OUT/bin/fuzz_$t
	work=$OUT/work/$t
	art=$OUT/artifacts/$t
	log=$OUT/log/$t.log
	reg=tests/fuzz/regress/$t
	rm -rf "$work"
	mkdir -p "$work" "$art" "$OUT/log"
	[ -d "tests/fuzz/corpus/$t" ] && cp tests/fuzz/corpus/$t/* "$work/" 2>/dev/null
	[ -d "$reg" ] && cp "$reg"/* "$work/" 2>/dev/null
	dict=""
	case $t in
	json_body|jscan|fluent_page|fresh_page) dict=-dict=tests/fuzz/json.dict ;;
	dates) dict=-dict=tests/fuzz/dates.dict ;;
	esac
	ok=1
	: >"$log"
	# The regression inputs, each run once, by name.
	if [ -d "$reg" ] && [ -n "$(ls -A "$reg")" ]; then
		"$bin" -timeout=5 -rss_limit_mb=1024 "$reg"/* >>"$log" 2>&1 ||
		    ok=0
	fi
	if [ "$ok" = 1 ]; then
		$norand "$bin" $repeat -max_total_time="$SECS" -max_len="$(max_len "$t")" \
		    -timeout=5 -rss_limit_mb=1024 -print_final_stats=1 $dict \
		    -artifact_prefix="$art/" "$work" >>"$log" 2>&1 || ok=0
	fi
	runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" |
	    tail -n 1 | grep -o '[0-9]*$')
	if [ "$ok" = 1 ]; then
		lines="${lines}ok - fuzz: $t (${runs:-0} runs)"$'\n'
		pass=$((pass + 1))
	else
		grep -E 'ERROR|SUMMARY|runtime error|^    #[0-9]' "$log" |
		    head -n 25 | sed 's/^/    /'
		echo "    log: $log; inputs: $art/"
		lines="${lines}not ok - fuzz: $t"$'\n'
		fail=$((fail + 1))
	fi
done
printf '%s' "$lines"
echo "RESULT fuzz $pass $fail"
[ "$fail" = 0 ]
