#!/usr/bin/env bash
# The hourly closure sync for cron (seed 004): syncs today's closures
# through POST /api/tickets/sync, which allows one sync per date per hour,
# so running this more often is harmless.  A sync refused by the hourly
# limit (429) or because another one runs (409) is not an error.
#   deploy/closures-cron.sh [-c CONFIG] [-u BASE_URL] [DATE]
# See deploy/closures-init.sh for CONFIG and BASE_URL.  Cron example:
#   5 * * * * deskhub /usr/local/bin/deskhub-closures-cron >>/var/log/deskhub/closures.log 2>&1
set -euo pipefail
CONF=${DESKHUB_CONFIG:-/etc/deskhub/deskhub.conf}
BASE=${DESKHUB_URL:-http://127.0.0.1:8080}
while getopts c:u: o; do
	case $o in
	c) CONF=$OPTARG ;;
	u) BASE=$OPTARG ;;
	*) echo "usage: $0 [-c config] [-u base-url] [date]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
body='{}'
[ $# -gt 0 ] && body="{\"date\":\"$1\"}"
log() { printf '%s closures-cron: %s\n' "$(date -u +%FT%TZ)" "$*"; }

[ -r "$CONF" ] || { log "cannot read $CONF"; exit 1; }
conf_get() { sed -n "s/^$1=//p" "$CONF" | tail -n 1; }
ADMIN_USER=${DESKHUB_ADMIN_USER:-$(conf_get DESKHUB_ADMIN_USER)}
ADMIN_PASS=${DESKHUB_ADMIN_PASSWORD:-$(conf_get DESKHUB_ADMIN_PASSWORD)}

out=$(mktemp)
trap 'rm -f "$out"' EXIT
code=$(printf 'user = "%s:%s"\n' "$ADMIN_USER" "$ADMIN_PASS" |
    curl -sS -K - -o "$out" -w '%{http_code}' --max-time 900 -X POST \
    -H 'Content-Type: application/json' -d "$body" \
    "$BASE/api/tickets/sync") || code=000
case $code in
200)
	log "synced: $(cat "$out")"
	;;
429)
	log "skipped, synced less than an hour ago: $(cat "$out")"
	;;
409)
	log "skipped, another closure sync is running"
	;;
*)
	log "failed with HTTP $code: $(cat "$out")"
	exit 1
	;;
esac
