#!/usr/bin/env bash
# The FastCGI connection between nginx and the programs: nginx keeps its
# connections to the fast programs open (upstream keepalive), and the
# workers serve every connection they hold without an idle one blocking
# them.  tests/integration/fcgi_client.py speaks to a program's socket the
# way nginx does.
. "$(dirname "$0")/../lib.sh"

SOCK=$STACK_VAR/run/status.sock
case $STACK_BUILD in /*) BIN=$STACK_BUILD ;; *) BIN=$TROOT/$STACK_BUILD ;; esac
FC() {
	timeout 60 python3 "$TROOT/tests/integration/fcgi_client.py" "$SOCK" "$@"
}

worker_fds() {	# open descriptors of all status workers
	local n=0 pid
	for pid in $(pgrep -P "$(cat "$STACK_VAR/run/status.pid")"); do
		n=$((n + $(ls "/proc/$pid/fd" 2>/dev/null | wc -l)))
	done
	echo "$n"
}

nworkers=$(pgrep -P "$(cat "$STACK_VAR/run/status.pid")" | wc -l)

t_case "three requests on one kept connection, each answered"
FC kept >"$TMPD/out" 2>&1 || t_fail "$(cat "$TMPD/out")"
t_eq "$(grep -c ': 200$' "$TMPD/out")" 3 "answers 200"
grep -q '^open after 3: yes$' "$TMPD/out" ||
	t_fail "the program closed a kept connection: $(cat "$TMPD/out")"

t_case "idle kept connections, more than the workers, hold none of them"
# A libfcgi worker blocks reading the connection it accepted until nginx
# sends on it again; with $nworkers workers, 4x as many idle connections
# would leave no worker for a new one.
n=$((nworkers * 4))
FC idle "$n" >"$TMPD/out" 2>&1 || t_fail "$(cat "$TMPD/out")"
grep -q "^new connection beside $n idle: 200 in under 2 s$" "$TMPD/out" ||
	t_fail "a new connection waited: $(cat "$TMPD/out")"
grep -q "^idle connections answering again: $n of $n$" "$TMPD/out" ||
	t_fail "$(cat "$TMPD/out")"

t_case "a body left unread ends the kept connection, not the next request"
FC unread >"$TMPD/out" 2>&1 || t_fail "$(cat "$TMPD/out")"
grep -q '^answer: 405$' "$TMPD/out" || t_fail "$(cat "$TMPD/out")"
grep -q '^closed after unread body: yes$' "$TMPD/out" ||
	t_fail "the rest of the body would be read as a request: $(cat "$TMPD/out")"

t_case "connections dropped, some mid-request, are let go"
before=$(worker_fds)
FC hangup 40 >"$TMPD/out" 2>&1 || t_fail "$(cat "$TMPD/out")"
grep -q '^after hang-ups: 200$' "$TMPD/out" || t_fail "$(cat "$TMPD/out")"
after=$(worker_fds)
for _ in $(seq 1 50); do
	[ "$after" -le "$before" ] && break
	sleep 0.1
	after=$(worker_fds)
done
[ "$after" -le "$before" ] ||
	t_fail "workers hold $before descriptors before, $after after"

t_case "requests found waiting together share one read, and see writes before them"
# One worker in the foreground (-f), stopped while 8 requests arrive, so
# that it finds them all waiting: status reads once for all 8 (two
# statements at most: the run, or the counts when there is none), all 8
# get the same answer, and their log lines are written before the
# answers.  After a write, the next batch shows it.
K=8
${DESKHUB_WRAP:-} "$BIN/fcgi-bin/status" -f \
	-c "$STACK_VAR/deskhub.conf" -s "$TMPD/one.sock" \
	>>"$TMPD/one.log" 2>&1 &
one=$!
for _ in $(seq 1 100); do
	[ -S "$TMPD/one.sock" ] && break
	sleep 0.1
done
count="mariadb --no-defaults --socket='$DB_SOCKET' -u '$DB_ADMIN' -N -B \
	-e \"SHOW GLOBAL STATUS LIKE 'Com_stmt_execute'\""
change="mariadb --no-defaults --socket='$DB_SOCKET' -u '$DB_ADMIN' deskhub \
	-e \"INSERT INTO fluent_ticket_stats VALUES ('memo-probe', 1)
	ON DUPLICATE KEY UPDATE count = count + 1\""
timeout 60 python3 "$TROOT/tests/integration/fcgi_client.py" \
	"$TMPD/one.sock" batch "$one" "$K" "$count" "$change" "$TMPD/one.log" \
	>"$TMPD/out" 2>&1 || t_fail "$(cat "$TMPD/out")"
ok8=$(printf '200 %.0s' $(seq 1 $K) | sed 's/ $//')
t_eq "$(sed -n 's/^batch 1 answers: //p' "$TMPD/out")" "$ok8" "batch 1"
t_eq "$(sed -n 's/^batch 1 bodies alike: //p' "$TMPD/out")" yes \
	"one answer for batch 1"
n=$(sed -n 's/^batch 1 statements: //p' "$TMPD/out")
[ -n "$n" ] && [ "$n" -ge 1 ] && [ "$n" -le 2 ] ||
	t_fail "statements run for $K waiting requests: '$n', want 1 or 2"
t_eq "$(sed -n 's/^logged after batch 1: //p' "$TMPD/out")" $((2 * K)) \
	"log lines when the answers had come"
t_eq "$(sed -n 's/^batch 2 answers: //p' "$TMPD/out")" "$ok8" "batch 2"
t_eq "$(sed -n 's/^batch 2 bodies alike: //p' "$TMPD/out")" yes \
	"one answer for batch 2"
t_eq "$(sed -n 's/^batch 2 shows the change: //p' "$TMPD/out")" yes \
	"the write before batch 2"
kill "$one" 2>/dev/null
wait "$one" 2>/dev/null
sql "DELETE FROM fluent_ticket_stats WHERE ticket_status = 'memo-probe'"
t_eq "$(grep -c 'GET /api/fluent/status 200' "$TMPD/one.log")" $((3 * K)) \
	"log lines after the program stopped"

t_case "shared reads within a batch, against MariaDB (db_memo.c)"
DESKHUB_CONFIG=$STACK_VAR/deskhub.conf timeout 120 ${DESKHUB_WRAP:-} \
	"$BIN/tests/itest_db_memo" >"$TMPD/out" 2>&1 ||
	t_fail "$(grep -E 'ERROR|FAILED|LINE' "$TMPD/out" | head -n 20)"
t_match "$(grep -c '^\[       OK \]' "$TMPD/out")" '^10$' "cases passed"

t_case "nginx keeps its connection to the status program between requests"
for _ in 1 2 3; do
	http GET /api/fluent/status
	t_eq "$STATUS" 200 "status"
done
# The program's end of an established connection carries the socket's
# path; with a connection per request none would be left.
kept=$(ss -xH state connected 2>/dev/null | grep -c "$SOCK" || true)
[ "$kept" -ge 1 ] || t_fail "no connection to $SOCK left open by nginx"
# And a sync keeps a connection per request: a sync runs for minutes, and a
# request sent on a connection its worker holds would wait behind it.
http POST /api/fluent/sync -H 'Content-Type: application/json' \
	-d '{"dateFilter":"nope"}'
t_eq "$STATUS" 400 "a sync with a bad date"
kept=$(ss -xH state connected 2>/dev/null |
	grep -c "$STACK_VAR/run/sync.sock" || true)
t_eq "$kept" 0 "connections left open to the sync program"

t_case "each program runs its own number of workers; DESKHUB_WORKERS and -n override it"
# One worker where MariaDB writes the answer: a connection nginx keeps
# belongs to one worker, and with two a request waits for its own while
# the other is idle.  One per CPU for the list, which writes its pages
# itself; the sync gets 3 from make run (-n).
kids() {	# kids PIDFILE|PID WANT: the number of workers, once it is WANT
	local pid=$1 n=0
	[ -f "$pid" ] && pid=$(cat "$pid")
	for _ in $(seq 1 100); do
		n=$(pgrep -P "$pid" | wc -l)
		[ "$n" -eq "$2" ] && break
		sleep 0.1
	done
	echo "$n"
}
ncpu=$(getconf _NPROCESSORS_ONLN)
[ "$ncpu" -le 64 ] || ncpu=64
for pw in status:1 closures:1 admin-stats:1 tickets:$ncpu auth:2 sync:3; do
	p=${pw%%:*} w=${pw#*:}
	t_eq "$(kids "$STACK_VAR/run/$p.pid" "$w")" "$w" "$p workers"
done
# A configured number applies to every program, -n to the one it is given.
for args in "3:" "2:-n 2"; do
	w=${args%%:*}
	DESKHUB_WORKERS=3 ${DESKHUB_WRAP:-} "$BIN/fcgi-bin/status" \
		-c "$STACK_VAR/deskhub.conf" -s "$TMPD/w.sock" ${args#*:} \
		>>"$TMPD/w.log" 2>&1 &
	wpid=$!
	t_eq "$(kids "$wpid" "$w")" "$w" "status workers, DESKHUB_WORKERS=3 ${args#*:}"
	kill "$wpid"
	wait "$wpid" 2>/dev/null || true
	rm -f "$TMPD/w.sock"
done

t_done
