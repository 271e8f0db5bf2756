#!/bin/sh
# Trigger a FluentSupport sync through the API, as seed 000's script did.
#   deploy/sync-fluent-tickets.sh              tickets of the last 7 days
#   deploy/sync-fluent-tickets.sh 2025-10-17   tickets from that date on
# Environment: DESKHUB_URL (default http://127.0.0.1:8080), DESKHUB_ADMIN_USER
# and DESKHUB_ADMIN_PASSWORD, or DESKHUB_CONFIG (a deskhub.conf to read them
# from).  The password goes to curl through a file descriptor, never argv.
set -eu

url=${DESKHUB_URL:-http://127.0.0.1:8080}
conf=${DESKHUB_CONFIG:-/etc/deskhub/deskhub.conf}
if [ -z "${DESKHUB_ADMIN_PASSWORD:-}" ] && [ -r "$conf" ]; then
	DESKHUB_ADMIN_PASSWORD=$(sed -n 's/^DESKHUB_ADMIN_PASSWORD=//p' "$conf" | tail -n 1)
	: "${DESKHUB_ADMIN_USER:=$(sed -n 's/^DESKHUB_ADMIN_USER=//p' "$conf" | tail -n 1)}"
fi
user=${DESKHUB_ADMIN_USER:-admin}
[ -n "${DESKHUB_ADMIN_PASSWORD:-}" ] || {
	echo "sync-fluent-tickets: set DESKHUB_ADMIN_PASSWORD or DESKHUB_CONFIG" >&2
	exit 2
}

if [ $# -ge 1 ]; then
	date=$1
else
	date=$(date -d '7 days ago' +%Y-%m-%d)
fi
case $date in
[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]) ;;
*) echo "sync-fluent-tickets: expected YYYY-MM-DD, got '$date'" >&2; exit 2 ;;
esac

echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) syncing FluentSupport tickets from $date"
out=$(printf 'user = "%s:%s"\n' "$user" "$DESKHUB_ADMIN_PASSWORD" |
    curl -sS -K - -X POST "$url/api/fluent/sync" \
    -H 'Content-Type: application/json' \
    -d "{\"dateFilter\":\"$date\"}" -w '\n%{http_code}') || {
	echo "sync-fluent-tickets: cannot reach $url" >&2
	exit 1
}
code=$(printf '%s\n' "$out" | tail -n 1)
printf '%s\n' "$out" | sed '$d'
[ "$code" = 200 ] || { echo "sync-fluent-tickets: HTTP $code" >&2; exit 1; }
