#!/usr/bin/env bash
# Bad input to every endpoint: a JSON error naming the problem, the right
# status, and nothing lost.
. "$(dirname "$0")/../lib.sh"

is_json_error() {	# status
	t_eq "$STATUS" "$1" status
	t_eq "$(jqb 'has("error")')" true "JSON error body"
}

t_case "sync: a date that does not exist"
sync_fluent '{"dateFilter":"2026-02-30"}'
is_json_error 400
t_match "$(jqb .error)" '^dateFilter: ' "names the field"

t_case "sync: a date of the wrong type"
sync_fluent '{"dateFilter":20261101}'
is_json_error 400
t_match "$(jqb .error)" '^dateFilter: ' "names the field"

t_case "sync: invalid JSON"
sync_fluent '{"dateFilter":'
is_json_error 400
t_match "$(jqb .error)" 'invalid JSON' message

t_case "sync: duplicate keys"
sync_fluent '{"dateFilter":"2026-01-01","dateFilter":"2026-01-02"}'
is_json_error 400

t_case "sync: a JSON array instead of an object"
sync_fluent '["2026-01-01"]'
is_json_error 400

t_case "sync: unknown field"
sync_fluent '{"datefilter":"2026-01-01"}'
is_json_error 400
t_match "$(jqb .error)" '^datefilter: unknown field' message

t_case "sync: a huge body is refused with 413"
head -c 200000 /dev/zero | tr '\0' 'a' >"$TMPD/huge"
http POST /api/fluent/sync -H 'Content-Type: application/json' --data-binary @"$TMPD/huge"
is_json_error 413

t_case "sync: a body just over the program's cap (64 KiB) is refused with 413"
head -c 70000 /dev/zero | tr '\0' ' ' >"$TMPD/big"
http POST /api/fluent/sync -H 'Content-Type: application/json' --data-binary @"$TMPD/big"
is_json_error 413

t_case "sync: wrong content type"
http POST /api/fluent/sync -H 'Content-Type: application/xml' -d '<x/>'
is_json_error 415

t_case "sync: wrong method"
http GET /api/fluent/sync
is_json_error 405
t_eq "$(header Allow)" POST "Allow header"

t_case "status: wrong method"
NOAUTH=1 http DELETE /api/fluent/status
is_json_error 405

t_case "unknown API path"
http GET /api/nope
is_json_error 404

t_case "protected route without credentials: 401 with WWW-Authenticate"
NOAUTH=1 http POST /api/fluent/sync
is_json_error 401
t_match "$(header WWW-Authenticate)" '^Basic' header

t_case "protected route with a wrong password"
http GET /api/requests -u "admin:wrong-password"
is_json_error 401

t_case "requests: bad limit, sort, order, date, enum"
for q in "limit=abc" "limit=0" "limit=501" "offset=-1" "sort=id;DROP" "order=sideways" "date_from=2026-1-1" "urgency=urgent" "source=x" "limit=1&limit=2" "q=%ZZ"; do
	http GET "/api/requests?$q"
	[ "$STATUS" = 400 ] || t_fail "$q: status $STATUS"
	[ "$(jqb 'has("error")')" = true ] || t_fail "$q: no error"
done

t_case "requests: the error names the field"
http GET "/api/requests?limit=abc"
t_match "$(jqb .error)" '^limit: ' message
http GET "/api/requests?date_from=2026-03-01&date_to=2026-02-01"
is_json_error 400

t_case "requests: SQL in the search text is data"
http GET "/api/requests?q=%27%20OR%201%3D1%20--%20"
t_eq "$STATUS" 200 status
t_eq "$(jqb '.total')" 0 "no match"

t_case "fluent tickets: bad limit"
http GET "/api/fluent/tickets?limit=100000"
is_json_error 400

t_case "patch: bad hours, bad category, unknown field, empty body, no such id"
rid=$(sql "SELECT id FROM requests ORDER BY id LIMIT 1")
[ -n "$rid" ] || rid=1
for b in '{"hours":-1}' '{"hours":"2"}' '{"hours":1000}' '{"hours":1.234}' '{"category":"Nope"}' '{"category":7}' '{"urgency":"HIGH"}' '{}' 'not json'; do
	http PATCH "/api/requests/$rid" -H 'Content-Type: application/json' -d "$b"
	[ "$STATUS" = 400 ] || t_fail "$b: status $STATUS"
done
http PATCH /api/requests/999999999 -H 'Content-Type: application/json' -d '{"hours":1}'
is_json_error 404
http PATCH /api/requests/abc -H 'Content-Type: application/json' -d '{"hours":1}'
is_json_error 404

t_case "health answers without credentials"
NOAUTH=1 http GET /api/health
t_eq "$STATUS" 200 status
t_eq "$(jqb .database)" up database

t_case "the database down: 503 JSON, then recovery by itself"
pidf=$STACK_VAR/run/mysqld.pid
mpid=$(cat "$pidf")
kill -STOP "$mpid"
# A stopped server accepts nothing: the client times out on connect.
kill -CONT "$mpid"
# Stop it for real and check the programs answer 503.
kill "$mpid"
for _ in $(seq 1 100); do kill -0 "$mpid" 2>/dev/null || break; sleep 0.1; done
NOAUTH=1 http GET /api/fluent/status
is_json_error 503
http GET /api/requests
is_json_error 503
sync_fluent '{"dateFilter":"2026-01-01"}'
t_eq "$STATUS" 503 "sync while down"
# Started again as the stack starts it (character set, query cache...).
DESKHUB_VAR=$STACK_VAR "$TROOT/deploy/devstack.sh" start-db
for _ in $(seq 1 200); do sql "SELECT 1" >/dev/null 2>&1 && break; sleep 0.1; done
NOAUTH=1 http GET /api/fluent/status
t_eq "$STATUS" 200 "status after restart"
http GET /api/requests
t_eq "$STATUS" 200 "requests after restart"

t_case "no secret in any log or answer of the suite"
for s in "$ADMIN_PASS" "abcd efgh ijkl mnop" "abcdefghijklmnop"; do
	if grep -rF -- "$s" "$STACK_VAR/log" --exclude=start.log >/dev/null 2>&1; then
		t_fail "a secret appears in the logs"
	fi
done

t_done
