# Shared helpers of the integration suites (bash).  Source it; it expects
# the private test stack started by tests/stack.sh, whose addresses are in
# tests/var/stack/env.  Every wait here is bounded.
#
#   t_case NAME            start a test case
#   t_ok / t_fail MSG      end it
#   t_eq GOT WANT MSG      compare, failing the case on a mismatch
#   t_done                 print the suite total (parsed by tests/run-all)
#   http METHOD PATH [curl args...]   sets STATUS and BODY (and HDRS file)
#   jqb FILTER             jq over BODY
#   sql QUERY              run SQL as the MariaDB admin, tab-separated out
#   fluent_ctl PATH JSON   POST to the fake FluentSupport control API
#   reset_db               empty the sync tables

set -u
TROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STACK_ENV=${STACK_ENV:-${STACK_DIR:-$TROOT/tests/var/stack}/env}
[ -f "$STACK_ENV" ] || { echo "no test stack: run tests/stack.sh start" >&2; exit 1; }
# shellcheck disable=SC1090
. "$STACK_ENV"
TMPD=$(mktemp -d)
trap 'rm -rf "$TMPD"' EXIT
BODY=$TMPD/body
HDRS=$TMPD/headers
STATUS=000
T_PASS=0
T_FAIL=0
T_NAME=""
T_BAD=0
SUITE=$(basename "$0" .sh)

t_case() {
	t_flush
	T_NAME=$1
	T_BAD=0
}

t_flush() {
	[ -z "$T_NAME" ] && return 0
	if [ "$T_BAD" = 0 ]; then
		T_PASS=$((T_PASS + 1))
		echo "ok - $SUITE: $T_NAME"
	else
		T_FAIL=$((T_FAIL + 1))
		echo "not ok - $SUITE: $T_NAME"
	fi
	T_NAME=""
}

t_fail() {
	T_BAD=1
	echo "    FAIL: $*"
	echo "    last answer: HTTP $STATUS $(head -c 400 "$BODY" 2>/dev/null)"
}

t_eq() {
	if [ "$1" != "$2" ]; then
		t_fail "${3:-value}: got '$1', want '$2'"
	fi
}

t_match() {
	if ! printf '%s' "$1" | grep -Eq -- "$2"; then
		t_fail "${3:-value}: '$1' does not match /$2/"
	fi
}

t_done() {
	t_flush
	echo "RESULT $SUITE $T_PASS $T_FAIL"
	[ "$T_FAIL" = 0 ]
}

# http METHOD PATH [curl args]; -u admin by default unless NOAUTH=1.
http() {
	local m=$1 p=$2
	shift 2
	local auth=()
	[ "${NOAUTH:-0}" = 1 ] || auth=(-u "$ADMIN_USER:$ADMIN_PASS")
	STATUS=$(curl -sS -o "$BODY" -D "$HDRS" -w '%{http_code}' \
	    --max-time "${HTTP_MAX_TIME:-120}" -X "$m" "${auth[@]}" "$@" \
	    "$BASE$p" 2>"$TMPD/curl.err") || STATUS=000
}

jqb() { jq -r "$@" <"$BODY" 2>/dev/null; }

header() { grep -i "^$1:" "$HDRS" | head -n 1 | cut -d' ' -f2- | tr -d '\r'; }

sql() {
	mariadb --no-defaults --socket="$DB_SOCKET" -u "$DB_ADMIN" -N -B \
	    deskhub -e "$1"
}

fluent_ctl() {
	curl -sS --max-time 30 -X POST -H 'Content-Type: application/json' \
	    -d "$2" "$FLUENT_FAKE/__control/$1" >/dev/null
}

fresh_ctl() {
	curl -sS --max-time 30 -X POST -H 'Content-Type: application/json' \
	    -d "$2" "$FRESH_FAKE/__control/$1" >/dev/null
}

fluent_stats() { curl -sS --max-time 10 "$FLUENT_FAKE/__control/stats"; }

reset_db() {
	sql "DELETE FROM fluent_sync_staging; DELETE FROM fluent_tickets;
	    DELETE FROM fluent_ticket_stats;
	    DELETE FROM requests; DELETE FROM fluent_sync_status;
	    UPDATE sync_locks SET run_id = NULL, holder_conn = NULL,
	    heartbeat_at = NULL;"
}

# Wait, tries x pause seconds at most, for a FluentSupport run in progress
# that has fetched at least min-pages pages; print its column, or nothing.
sync_running() {	# column min-pages tries pause
	local v="" i
	for i in $(seq 1 "$3"); do
		v=$(sql "SELECT $1 FROM fluent_sync_status WHERE last_sync_status = 'in_progress' AND pages_fetched >= $2")
		[ -n "$v" ] && break
		sleep "$4"
	done
	printf '%s' "$v"
}

sync_fluent() {
	http POST /api/fluent/sync -H 'Content-Type: application/json' \
	    -d "${1:-{\}}"
}
