#!/usr/bin/env bash
# Browser tests of the dashboard: headless Debian Chromium driven by
# playwright-core, against the private stack of tests/stack.sh (start it
# first; tests/run-all e2e does).  Prints "ok - e2e: NAME" / "not ok - e2e:
# NAME" per case and ends with "RESULT e2e <passed> <failed>".
# Screenshots go to tests/artifacts/e2e/.  The whole run is bounded.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
STACK_ENV=${STACK_ENV:-${STACK_DIR:-$ROOT/tests/var/stack}/env}
ART=${E2E_ARTIFACTS:-$ROOT/tests/artifacts/e2e}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

fail_all() {
	echo "not ok - e2e: $1"
	echo "RESULT e2e 0 1"
	exit 1
}

[ -f "$STACK_ENV" ] || fail_all "setup (no test stack: run tests/stack.sh start)"
command -v node >/dev/null || fail_all "setup (node not found: apt-get install nodejs npm)"
[ -x "$CHROMIUM" ] || fail_all "setup ($CHROMIUM not found: apt-get install chromium)"
# The chart library in htdocs/vendor and playwright-core in node_modules.
if [ ! -f htdocs/vendor/chart.umd.min.js ] || [ ! -f node_modules/playwright-core/package.json ]; then
	timeout 240 deploy/vendor.sh >&2 || fail_all "setup (deploy/vendor.sh failed)"
fi

mkdir -p "$ART"
rm -f "$ART"/*.png
set -a
# shellcheck disable=SC1090
. "$STACK_ENV"
set +a
export E2E_ARTIFACTS=$ART CHROMIUM ROOT
export E2E_USER_TOOL=${E2E_USER_TOOL:-}
case ${STACK_BUILD:-build} in
/*) tool=$STACK_BUILD/bin/deskhub-user ;;
*) tool=$ROOT/${STACK_BUILD:-build}/bin/deskhub-user ;;
esac
[ -n "$E2E_USER_TOOL" ] || E2E_USER_TOOL=$tool

out=$(mktemp)
trap 'rm -f "$out"' EXIT
# 290 s for everything; the specs bound each wait and each case themselves.
timeout -k 10 290 node tests/e2e/run.mjs "$@" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
if ! grep -q '^RESULT e2e ' "$out"; then
	p=$(grep -c '^ok - e2e:' "$out")
	f=$(grep -c '^not ok - e2e:' "$out")
	echo "not ok - e2e: the run ended early (exit $rc)"
	echo "RESULT e2e $p $((f + 1))"
	exit 1
fi
exit "$rc"
