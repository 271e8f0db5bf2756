#!/usr/bin/env bash
# The closure tracker's init step (seed 004): create the tables, load the
# user mappings from FRESH_IDS_FILE, and import today's and yesterday's
# closures from Freshservice.  Safe to run again.
#   deploy/closures-init.sh [-c CONFIG] [-u BASE_URL]
# CONFIG is the Deskhub config file (default $DESKHUB_CONFIG, else
# /etc/deskhub/deskhub.conf); BASE_URL is where nginx serves Deskhub
# (default http://127.0.0.1:8080).  The API is called as the configured
# DESKHUB_ADMIN_USER; its password is passed to curl on stdin, never on
# the command line.  Needs deskhub-admin (PATH or $BUILD/bin), curl, jq.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CONF=${DESKHUB_CONFIG:-/etc/deskhub/deskhub.conf}
BASE=${DESKHUB_URL:-http://127.0.0.1:8080}
SQLDIR=${DESKHUB_SQL:-$ROOT/sql}
while getopts c:u: o; do
	case $o in
	c) CONF=$OPTARG ;;
	u) BASE=$OPTARG ;;
	*) echo "usage: $0 [-c config] [-u base-url]" >&2; exit 2 ;;
	esac
done
log() { printf 'closures-init: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[ -r "$CONF" ] || die "cannot read $CONF"
conf_get() { sed -n "s/^$1=//p" "$CONF" | tail -n 1; }
ADMIN_USER=${DESKHUB_ADMIN_USER:-$(conf_get DESKHUB_ADMIN_USER)}
ADMIN_PASS=${DESKHUB_ADMIN_PASSWORD:-$(conf_get DESKHUB_ADMIN_PASSWORD)}
[ -n "$ADMIN_USER" ] && [ -n "$ADMIN_PASS" ] ||
    die "DESKHUB_ADMIN_USER / DESKHUB_ADMIN_PASSWORD not set in $CONF"

ADMIN_BIN=$(command -v deskhub-admin || echo "$ROOT/${BUILD:-build}/bin/deskhub-admin")
[ -x "$ADMIN_BIN" ] || die "deskhub-admin not found (make first)"

# POST PATH [JSON]: prints the body, returns 0 on 2xx.
api() {
	local out code
	out=$(mktemp)
	code=$(printf 'user = "%s:%s"\n' "$ADMIN_USER" "$ADMIN_PASS" |
	    curl -sS -K - -o "$out" -w '%{http_code}' --max-time 900 \
	    -X POST -H 'Content-Type: application/json' -d "${2:-{\}}" \
	    "$BASE$1") || code=000
	cat "$out"
	echo
	rm -f "$out"
	[ "${code:0:1}" = 2 ]
}

log "creating the tables"
"$ADMIN_BIN" -c "$CONF" migrate "$SQLDIR" || die "migrations failed"

log "loading the user mappings"
api /api/tickets/refresh-mappings ||
    log "the mappings were not loaded (see above); continuing"

today=$(curl -sS --max-time 30 -K <(printf 'user = "%s:%s"\n' \
    "$ADMIN_USER" "$ADMIN_PASS") "$BASE/api/tickets/sync-status" |
    jq -r .date) || die "cannot reach $BASE"
yesterday=$(date -d "$today - 1 day" +%F)
rc=0
for d in "$yesterday" "$today"; do
	log "importing the closures of $d"
	api /api/tickets/force-sync "{\"date\":\"$d\"}" || rc=1
done
exit $rc
