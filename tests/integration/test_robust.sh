#!/usr/bin/env bash
# Robustness: load on the read endpoints while a sync runs (no 5xx, no
# crash, memory flat) and the sync killed with SIGKILL at random points
# (never a duplicate or a partial run, the next sync succeeds).  The short
# variant runs in `make check`; `make soak` sets SOAK=1 for the long one
# (60 s at 128 connections, 20 kills).
. "$(dirname "$0")/../lib.sh"

if [ "${SOAK:-0}" = 1 ]; then
	LOAD_S=60; CONNS=128; KILLS=20
else
	LOAD_S=8; CONNS=32; KILLS=5
fi
WRK_AUTH=$(printf '%s:%s' "$ADMIN_USER" "$ADMIN_PASS" | base64 -w0)
export WRK_AUTH

rss_kb() {	# program name: sum of VmRSS of its processes
	local p sum=0 pid
	for pid in $(pgrep -f "fcgi-bin/$1 " || true); do
		p=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
		sum=$((sum + ${p:-0}))
	done
	echo "$sum"
}

reset_db
fluent_ctl reset '{"tickets":3000,"now":"2026-11-20T12:00:00Z"}'
fluent_ctl fault '{"clear":true}'
sync_fluent '{"dateFilter":"2020-01-01"}'

t_case "load on the read endpoints during a sync: no 5xx, no socket errors"
if ! command -v wrk >/dev/null; then
	t_fail "wrk is not installed"
else
	# Warm up, then measure memory before and after.
	timeout 30 wrk -t2 -c8 -d2s -s "$TROOT/tests/soak/mixed.lua" "$BASE" >/dev/null 2>&1
	before_t=$(rss_kb tickets)
	before_s=$(rss_kb status)
	fluent_ctl tickets '{"tickets":[{"id":1,"title":"changed during load"}]}'
	fluent_ctl fault '{"kind":"slow","delay":1,"count":3}'
	( sync_fluent '{"dateFilter":"2020-01-01"}'; echo "$STATUS" >"$TMPD/sync" ) &
	bg=$!
	timeout $((LOAD_S + 30)) wrk -t2 -c"$CONNS" -d"${LOAD_S}s" --latency \
	    -s "$TROOT/tests/soak/mixed.lua" "$BASE" >"$TMPD/wrk" 2>&1
	wait "$bg"
	cat "$TMPD/wrk" | grep -E 'Requests/sec|STATUS|P99|SOCKERR' | sed 's/^/    /'
	t_eq "$(awk '/^STATUS5xx/ {print $2}' "$TMPD/wrk")" 0 "5xx answers"
	t_eq "$(awk '/^STATUS4xx/ {print $2}' "$TMPD/wrk")" 0 "4xx answers"
	t_eq "$(awk '/^SOCKERR/ {print $2}' "$TMPD/wrk")" 0 "socket errors"
	t_match "$(awk '/^STATUS2xx/ {print $2}' "$TMPD/wrk")" '^[1-9][0-9]+' "answers"
	t_eq "$(cat "$TMPD/sync")" 200 "the sync under load"
	after_t=$(rss_kb tickets)
	after_s=$(rss_kb status)
	echo "    tickets RSS ${before_t} -> ${after_t} KiB, status RSS ${before_s} -> ${after_s} KiB"
	# Flat: growth under 8 MiB per program after thousands of requests.
	# ASan keeps freed memory in quarantine on purpose, so memory is
	# judged on the plain build only.
	if [ -z "${SANITIZE:-}" ]; then
		t_eq "$(( after_t - before_t < 8192 ))" 1 "tickets memory flat"
		t_eq "$(( after_s - before_s < 8192 ))" 1 "status memory flat"
	fi
fi

t_case "the sync killed with SIGKILL at random points, $KILLS times"
ok=1
for k in $(seq 1 "$KILLS"); do
	fluent_ctl tickets "{\"tickets\":[{\"id\":$((k + 10)),\"title\":\"kill round $k\"}]}"
	fluent_ctl fault '{"kind":"slow","delay":1,"count":2}'
	( sync_fluent '{"dateFilter":"2020-01-01"}' ) >/dev/null 2>&1 &
	bg=$!
	pid=$(sync_running pid 0 60 0.05)
	# A random point: before, during or after the pages.
	sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	wait "$bg" 2>/dev/null
	dups=$(sql "SELECT COUNT(*) FROM (SELECT fluent_id FROM fluent_tickets GROUP BY fluent_id HAVING COUNT(*) > 1) d")
	orphans=$(sql "SELECT COUNT(*) FROM requests r LEFT JOIN fluent_tickets f ON f.request_id = r.id WHERE r.source='fluent' AND f.id IS NULL")
	if [ "$dups" != 0 ] || [ "$orphans" != 0 ]; then
		t_fail "round $k: $dups duplicates, $orphans requests without a ticket"
		ok=0
		break
	fi
done
fluent_ctl fault '{"clear":true}'
sync_fluent '{"dateFilter":"2020-01-01"}'
t_eq "$STATUS" 200 "the next sync"
t_eq "$(count_rows() { sql "SELECT COUNT(*) FROM fluent_tickets"; }; count_rows)" 3000 "every ticket once"
t_eq "$(sql "SELECT COUNT(*) FROM fluent_sync_status WHERE last_sync_status='in_progress'")" 0 "no run left in progress"
t_eq "$(sql "SELECT COUNT(*) FROM fluent_sync_staging")" 0 "no staging left"
t_match "$(sql "SELECT description FROM requests r JOIN fluent_tickets f ON f.request_id=r.id WHERE f.fluent_id=$((KILLS + 10))")" "^kill round $KILLS" "last change applied"

t_done
