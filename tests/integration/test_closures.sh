#!/usr/bin/env bash
# Ticket closures through the real stack against the fake Freshservice:
# counting near midnight and across DST changes in the business timezone
# (America/New_York, set by tests/stack.sh), edited, reopened and
# unassigned tickets, re-syncs that replace, the hourly limit and force
# sync, a fault part-way, the mapping file, FluentSupport closures, roles,
# and the provider's rate limit.
. "$(dirname "$0")/../lib.sh"
cd "$TROOT" || exit 1

A=21000000001	# Oscar Solis, mapped as "Oscar S." (partial match)
B=21000000002	# AJ Thompson, exact match
C=21000000003	# Cole O'Grady, no local user
IDS=$STACK_VAR/IDs.txt
CONF=$STACK_VAR/deskhub.conf
USERPW='closures-user-pw-1'
AUTHJ=(-H 'Content-Type: application/json')

# The FluentSupport closures counted here are only this suite's own.
reset_db

reset_closures() {
	sql "DELETE FROM ticket_closure; DELETE FROM ticket_sync_metadata;
	    DELETE FROM ticket_sync_runs; DELETE FROM freshworks_user_mapping;
	    UPDATE sync_locks SET run_id = NULL, holder_conn = NULL,
	    heartbeat_at = NULL WHERE name = 'fresh';"
	fresh_ctl reset '{"tickets":0,"agents":0}'
	fresh_ctl agents "{\"agents\":[
	    {\"id\":$A,\"first_name\":\"Oscar\",\"last_name\":\"Solis\"},
	    {\"id\":$B,\"first_name\":\"AJ\",\"last_name\":\"Thompson\"},
	    {\"id\":$C,\"first_name\":\"Cole\",\"last_name\":\"O'Grady\"}]}"
}

# ticket ID STATUS RESPONDER CLOSED_AT RESOLVED_AT [UPDATED_AT]: JSON.
ticket() {
	local upd=${6:-}
	[ -z "$upd" ] && upd=${4:-$5}
	jq -nc --argjson id "$1" --argjson st "$2" --arg r "$3" \
	    --arg c "$4" --arg rs "$5" --arg u "$upd" '{id:$id, status:$st,
	    responder_id:(if $r == "" then null else ($r|tonumber) end),
	    group_id:14000012345, created_at:"2024-01-01T00:00:00Z",
	    updated_at:$u, stats:{closed_at:(if $c == "" then null else $c end),
	    resolved_at:(if $rs == "" then null else $rs end)}}'
}

put_tickets() {	# JSON objects, one per argument
	local IFS=,
	fresh_ctl tickets "{\"tickets\":[$*]}"
}

sync_date() { http POST /api/tickets/sync "${AUTHJ[@]}" -d "{\"date\":\"$1\"}"; }
put_closed() {	# N FIRST AGENT CLOSED_AT: tickets FIRST+1.. closed by AGENT
	local list=() i
	for i in $(seq 1 "$1"); do
		list+=("$(ticket $(($2 + i)) 5 "$3" "$4" '')")
	done
	put_tickets "${list[@]}"
}
force_date() { http POST /api/tickets/force-sync "${AUTHJ[@]}" -d "{\"date\":\"$1\"}"; }
count() {	# DATE AGENT
	sql "SELECT COALESCE(SUM(tickets_closed), 0) FROM ticket_closure
	    WHERE date = '$1' AND freshworks_user_id = $2
	    AND source = 'freshservice'"
}

t_case "the business timezone is America/New_York"
http GET /api/tickets/sync-status
t_eq "$STATUS" 200 "status"
TZONE=$(jqb .timezone)
t_eq "$TZONE" "America/New_York" "timezone (tests/stack.sh must export DESKHUB_TIMEZONE=America/New_York)"
NY=0
[ "$TZONE" = America/New_York ] && NY=1

reset_closures

t_case "closures near midnight count on the local date"
if [ "$NY" = 1 ]; then
	put_tickets \
	    "$(ticket 101 5 $A 2025-06-16T03:59:59Z '')" \
	    "$(ticket 102 5 $A 2025-06-16T04:00:00Z '')" \
	    "$(ticket 103 4 $B '' 2025-06-15T04:00:00Z)" \
	    "$(ticket 104 5 $B 2025-06-15T03:59:59Z '' 2025-06-15T12:00:00Z)" \
	    "$(ticket 105 5 $C 2025-06-16T05:00:00Z 2025-06-15T10:00:00Z)"
	sync_date 2025-06-15
	t_eq "$STATUS" 200 "sync 2025-06-15"
	t_eq "$(jqb .closures)" 2 "closures"
	t_eq "$(jqb .agents)" 2 "agents"
	t_eq "$(count 2025-06-15 $A)" 1 "A on 06-15 (23:59:59 local)"
	t_eq "$(count 2025-06-15 $B)" 1 "B on 06-15 (resolved at 00:00 local)"
	t_eq "$(count 2025-06-15 $C)" 0 "C: closed_at wins over resolved_at"
	q=$(curl -sS "$FRESH_FAKE/__control/stats" | jq -r '.queries[-1]')
	t_match "$q" 'updated_since=2025-06-15T04:00:00Z' "updated_since is local midnight in UTC"
	t_match "$q" 'include=stats' "include=stats"
	t_match "$q" 'per_page=100' "per_page=100"
	sync_date 2025-06-16
	t_eq "$STATUS" 200 "sync 2025-06-16"
	t_eq "$(count 2025-06-16 $A)" 1 "A on 06-16 (00:00:00 local)"
	t_eq "$(count 2025-06-16 $C)" 1 "C on 06-16"
	t_eq "$(count 2025-06-16 $B)" 0 "B not on 06-16"
else
	t_fail "needs America/New_York"
fi

t_case "closures across the DST changes"
if [ "$NY" = 1 ]; then
	put_tickets \
	    "$(ticket 201 5 $A 2025-03-10T03:30:00Z '')" \
	    "$(ticket 202 5 $A 2025-03-10T04:30:00Z '')" \
	    "$(ticket 203 5 $B 2025-03-09T04:30:00Z '' 2025-03-09T06:00:00Z)" \
	    "$(ticket 204 5 $B 2025-03-09T06:30:00Z '')" \
	    "$(ticket 205 5 $B 2025-03-09T07:30:00Z '')" \
	    "$(ticket 211 5 $A 2025-11-03T04:30:00Z '')" \
	    "$(ticket 212 5 $A 2025-11-02T03:30:00Z '' 2025-11-02T05:00:00Z)"
	sync_date 2025-03-09
	t_eq "$STATUS" 200 "sync 2025-03-09"
	t_eq "$(count 2025-03-09 $A)" 1 "A on 03-09 (23:30 EDT, not 00:30 of 03-10)"
	t_eq "$(count 2025-03-09 $B)" 2 "B on 03-09 (01:30 EST and 03:30 EDT)"
	sync_date 2025-03-10
	t_eq "$(count 2025-03-10 $A)" 1 "A on 03-10 (00:30 EDT)"
	sync_date 2025-11-02
	t_eq "$STATUS" 200 "sync 2025-11-02"
	t_eq "$(count 2025-11-02 $A)" 1 "A on 11-02 (23:30 EST of a 25-hour day)"
else
	t_fail "needs America/New_York"
fi

t_case "edited after closing, reopened and unassigned tickets"
put_tickets \
    "$(ticket 301 5 $A 2025-07-01T15:00:00Z '' 2025-07-05T10:00:00Z)" \
    "$(ticket 302 2 $A 2025-07-01T16:00:00Z '' 2025-07-02T09:00:00Z)" \
    "$(ticket 303 3 $B '' 2025-07-01T16:00:00Z)" \
    "$(ticket 304 5 '' 2025-07-01T17:00:00Z '')"
sync_date 2025-07-01
t_eq "$STATUS" 200 "sync 2025-07-01"
t_eq "$(count 2025-07-01 $A)" 1 "A: the edited ticket counts, the reopened not"
t_eq "$(count 2025-07-01 $B)" 0 "B: a pending ticket does not count"
t_eq "$(jqb .unassigned)" 1 "closed without an agent"
# 301-304 and the two November tickets were updated since 07-01 began.
t_eq "$(jqb .ticketsProcessed)" 6 "tickets processed"
t_eq "$(sql "SELECT COUNT(*) FROM ticket_closure WHERE date = '2025-07-01' AND freshworks_user_id = 0")" 0 "no row for nobody"
sync_date 2025-07-05
t_eq "$STATUS" 200 "sync 2025-07-05"
t_eq "$(count 2025-07-05 $A)" 0 "the edit does not move the closure"

t_case "re-syncing a date replaces its counts"
force_date 2025-07-01
t_eq "$STATUS" 200 "force-sync"
t_eq "$(jqb .forced)" true "forced"
t_eq "$(count 2025-07-01 $A)" 1 "A still 1, not 2"
put_tickets "$(ticket 305 5 $B 2025-07-01T18:00:00Z '')"
fresh_ctl tickets '{"delete":[301]}'
force_date 2025-07-01
t_eq "$(count 2025-07-01 $A)" 0 "A gone after its ticket went"
t_eq "$(count 2025-07-01 $B)" 1 "B counted"
t_eq "$(sql "SELECT sync_count FROM ticket_sync_metadata WHERE sync_date = '2025-07-01'")" 3 "sync_count"

t_case "the hourly limit, then force sync"
sync_date 2025-07-01
t_eq "$STATUS" 429 "limited"
t_eq "$(jqb .success)" false "success"
t_eq "$(jqb .rateLimited)" true "rateLimited"
m=$(jqb .minutesUntilNextSync)
[ "$m" -ge 59 ] && [ "$m" -le 60 ] || t_fail "minutesUntilNextSync $m"
ra=$(header Retry-After)
[ "${ra:-0}" -gt 3000 ] || t_fail "Retry-After '$ra'"
t_match "$(jqb .nextSyncAt)" '^[0-9-]{10}T[0-9:]{8}Z$' "nextSyncAt"
t_match "$(jqb .error)" 'less than an hour' "error"
force_date 2025-07-01
t_eq "$STATUS" 200 "force-sync bypasses the limit"
sql "UPDATE ticket_sync_metadata SET last_sync_time = NOW() - INTERVAL 61 MINUTE WHERE sync_date = '2025-07-01'"
sync_date 2025-07-01
t_eq "$STATUS" 200 "allowed again after an hour (kept in the database)"
http POST /api/tickets/sync "${AUTHJ[@]}" -d '{"date":"2999-01-01"}'
t_eq "$STATUS" 400 "a future date"
t_match "$(jqb .error)" '^date:' "names the field"
http POST /api/tickets/sync "${AUTHJ[@]}" -d '{"date":"2025-02-30"}'
t_eq "$STATUS" 400 "not a date"
http POST /api/tickets/sync "${AUTHJ[@]}" -d '{"when":"2025-02-01"}'
t_eq "$STATUS" 400 "unknown field"

t_case "sync of today and the sync status"
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
put_tickets "$(ticket 401 5 $A "$now" '')" "$(ticket 402 4 $C '' "$now")"
http POST /api/tickets/sync
t_eq "$STATUS" 200 "sync without a body"
TODAY=$(jqb .date)
t_eq "$(jqb .closures)" 2 "today's closures"
t_match "$(jqb .syncedAt)" 'Z$' "syncedAt"
http GET /api/tickets/sync-status
t_eq "$(jqb .date)" "$TODAY" "date"
t_eq "$(jqb .canSync)" false "canSync"
t_eq "$(jqb .syncsToday)" 1 "syncsToday"
t_eq "$(jqb .ticketsProcessedToday)" "$(sql "SELECT tickets_processed FROM ticket_sync_metadata WHERE sync_date = '$TODAY'")" "ticketsProcessedToday"
[ "$(jqb .minutesUntilNextSync)" -ge 59 ] || t_fail "minutesUntilNextSync"
t_match "$(jqb .nextAllowedSync)" 'Z$' "nextAllowedSync"

t_case "a fault part-way saves nothing and says why"
put_closed 150 1000 "$C" 2025-09-10T15:00:00Z
force_date 2025-09-10
t_eq "$STATUS" 200 "first sync"
t_eq "$(jqb .pages)" 2 "two pages"
t_eq "$(count 2025-09-10 $C)" 150 "150 closures"
put_tickets "$(ticket 1001 5 $A 2025-09-10T15:00:00Z '')"
fresh_ctl fault '{"kind":"500","count":0,"on_page":2,"path":"/api/v2/tickets"}'
force_date 2025-09-10
fresh_ctl fault '{"clear":true}'
t_eq "$STATUS" 502 "Freshservice failing on page 2"
t_eq "$(jqb .success)" false "success"
t_match "$(jqb .error)" 'HTTP 500.*page 2' "the reason"
t_eq "$(count 2025-09-10 $C)" 150 "the old counts stay"
t_eq "$(count 2025-09-10 $A)" 0 "nothing of the failed run saved"
t_eq "$(sql "SELECT sync_count FROM ticket_sync_metadata WHERE sync_date = '2025-09-10'")" 1 "metadata untouched"
http GET /api/tickets/admin-stats
t_eq "$(jqb '.recentSyncs[0].status')" failed "the run is recorded as failed"
t_match "$(jqb '.recentSyncs[0].error')" 'HTTP 500' "with its reason"
fresh_ctl fault '{"kind":"401","count":1}'
force_date 2025-09-10
t_eq "$STATUS" 502 "a rejected key"
t_match "$(jqb .error)" 'Freshservice rejected the API key' "the message"
t_eq "$(jqb .reason)" provider_rejected_credentials "reason"
fresh_ctl fault '{"clear":true}'
force_date 2025-09-10
t_eq "$(count 2025-09-10 $C)" 149 "a later sync saves"
t_eq "$(count 2025-09-10 $A)" 1 "a later sync saves A"

t_case "invalid JSON or a malformed ticket fails the run, saving nothing"
put_closed 120 3000 "$C" 2025-09-12T15:00:00Z
force_date 2025-09-12
t_eq "$STATUS" 200 "first sync"
t_eq "$(count 2025-09-12 $C)" 120 "120 closures"
put_tickets "$(ticket 3001 5 $A 2025-09-12T15:00:00Z '')"
fresh_ctl fault '{"kind":"badjson","count":0,"on_page":2,"path":"/api/v2/tickets"}'
force_date 2025-09-12
fresh_ctl fault '{"clear":true}'
t_eq "$STATUS" 502 "invalid JSON on page 2"
t_match "$(jqb .error)" 'invalid JSON \(byte 33 of 34\).*page 2' "where it broke"
t_eq "$(count 2025-09-12 $A)" 0 "nothing of the failed run saved"
t_eq "$(count 2025-09-12 $C)" 120 "the old counts stay"
put_tickets "$(jq -nc --argjson a "$A" '{id:3002, status:5, responder_id:$a,
    updated_at:"2025-09-12T16:00:00Z", stats:{closed_at:"yesterday"}}')"
force_date 2025-09-12
t_eq "$STATUS" 502 "a malformed ticket"
t_match "$(jqb .error)" 'ticket 3002: stats.closed_at: malformed' "names the ticket and field"
t_eq "$(count 2025-09-12 $A)" 0 "still nothing saved"
put_tickets "$(ticket 3002 5 $A 2025-09-12T16:00:00Z '')"
force_date 2025-09-12
t_eq "$STATUS" 200 "mended, the next sync succeeds"
t_eq "$(count 2025-09-12 $A)" 2 "A's two"
t_eq "$(count 2025-09-12 $C)" 118 "C's rest"

t_case "users for the mapping and the roles"
printf '%s\n' "$USERPW" | "$STACK_BUILD/bin/deskhub-user" -c "$CONF" add \
    oscar.solis@example.test "Oscar Solis" user >/dev/null 2>&1
printf '%s\n' "$USERPW" | "$STACK_BUILD/bin/deskhub-user" -c "$CONF" add \
    aj@example.test "AJ Thompson" user >/dev/null 2>&1
OSCAR=$(sql "SELECT id FROM users WHERE email = 'oscar.solis@example.test'")
AJ=$(sql "SELECT id FROM users WHERE email = 'aj@example.test'")
[ -n "$OSCAR" ] && [ -n "$AJ" ] || t_fail "deskhub-user add did not create the users"

t_case "the mapping file with bad lines"
cat >"$IDS" <<EOF
# Freshservice agents
Oscar S. - $A
AJ Thompson - $B
Cole O'Grady - $C
this line has no id
Bad Id - abc
 - 12345
AJ Again - $B
EOF
http POST /api/tickets/refresh-mappings
t_eq "$STATUS" 200 "refresh-mappings (FRESH_IDS_FILE=\$STACK_VAR/IDs.txt in tests/stack.sh)"
t_eq "$(jqb .success)" true "success"
t_eq "$(jqb .mapped)" 2 "mapped (exact and partial)"
t_eq "$(jqb .unmatched)" 1 "unmatched"
t_eq "$(jqb '[.errors[].line] | join(",")')" "5,6,7,8" "bad lines by number"
t_match "$(jqb '.errors[0].error')" "expected 'Name - ID'" "the error"
t_match "$(jqb '.errors[3].error')" "already given on line 3" "a repeated ID"
t_eq "$(jqb '[.errors[].error | test("\n")] | any')" false "messages quote one line only"
t_eq "$(sql "SELECT user_id FROM freshworks_user_mapping WHERE freshworks_user_id = $A")" "$OSCAR" "Oscar S. -> Oscar Solis"
t_eq "$(sql "SELECT user_id FROM freshworks_user_mapping WHERE freshworks_user_id = $B")" "$AJ" "AJ Thompson exact"
t_eq "$(sql "SELECT COALESCE(user_id, 'NULL') FROM freshworks_user_mapping WHERE freshworks_user_id = $C")" NULL "Cole unmatched"
http GET "/api/tickets/top-performers?date=2025-09-10"
t_eq "$STATUS" 200 "top-performers"
t_eq "$(jqb '.performers[0].name')" "Cole O'Grady" "unmatched agents keep their name"
t_eq "$(jqb '.performers[1].name')" "Oscar S." "the file's name"
t_eq "$(jqb '.performers | length')" 2 "two performers"

t_case "the leaderboard shapes"
http GET /api/tickets/closures/today
t_eq "$STATUS" 200 "today"
t_eq "$(jqb .date)" "$TODAY" "date"
t_eq "$(jqb .period)" today "period"
t_eq "$(jqb '[.closures[] | select(.freshworks_user_id == '$A')][0].name')" "Oscar S." "name"
t_eq "$(jqb '[.closures[] | select(.freshworks_user_id == '$A')][0].user_id')" "$OSCAR" "user_id"
t_eq "$(jqb '[.closures[] | select(.freshworks_user_id == '$C')][0].user_id')" null "no user"
t_eq "$(jqb '.total == ([.closures[].tickets_closed] | add)')" true "total"
t_eq "$(jqb '.topCloser.tickets_closed == .closures[0].tickets_closed')" true "topCloser"
t_eq "$(grep -c '": \|, "' "$BODY")" 0 "compact JSON, no spaces between members"
for p in today yesterday week month; do
	http GET "/api/tickets/closures/period?period=$p"
	t_eq "$STATUS" 200 "period $p"
	t_eq "$(jqb .period)" "$p" "period echoed"
	s=$(jqb .start)
	e=$(jqb .end)
	want=$(sql "SELECT COALESCE(SUM(tickets_closed), 0) FROM ticket_closure WHERE date BETWEEN '$s' AND '$e'")
	fl=$(jqb '[.closures[] | select(.source == "fluent") | .tickets_closed] | add // 0')
	t_eq "$(( $(jqb .total) - fl ))" "$want" "period $p sums $s..$e"
	case $p in
	week) t_eq "$(date -d "$s" +%u)" 1 "week starts on Monday" ;;
	month) t_match "$s" '-01$' "month starts on the 1st" ;;
	yesterday) t_eq "$s" "$(date -d "$TODAY - 1 day" +%F)" "yesterday" ;;
	esac
	t_eq "$(jqb '[.closures[].tickets_closed] == ([.closures[].tickets_closed] | sort | reverse)')" true "sorted"
done
http GET "/api/tickets/closures/period?period=decade"
t_eq "$STATUS" 400 "bad period"
t_match "$(jqb .error)" '^period:' "names the field"
http GET "/api/tickets/top-performers?date=2025-02-30"
t_eq "$STATUS" 400 "bad date"
t_match "$(jqb .error)" '^date:' "names the field"
http GET /api/tickets/stats
t_eq "$STATUS" 200 "stats"
t_eq "$(jqb .closureRecords)" "$(sql "SELECT COUNT(*) FROM ticket_closure")" "closureRecords"
t_eq "$(jqb '.bySource | map(.source) | join(",")')" "freshservice,fluent" "bySource"
http GET /api/tickets/admin-stats
t_eq "$STATUS" 200 "admin-stats"
t_eq "$(jqb .database.mappedUsers)" 3 "mappedUsers"
t_eq "$(jqb .database.closureRecords)" "$(sql "SELECT COUNT(*) FROM ticket_closure")" "closureRecords"
t_eq "$(jqb .database.totalSyncs)" "$(sql "SELECT SUM(sync_count) FROM ticket_sync_metadata")" "totalSyncs"
t_eq "$(jqb '.recentSyncs | length')" 10 "the last 10 runs"
t_eq "$(jqb '.syncStatus.date')" "$TODAY" "syncStatus"

t_case "FluentSupport closures join the leaderboard"
t_case "leaderboard order: most closed, then name regardless of case and accents; names escaped"
D=2024-02-29
sql "INSERT INTO ticket_closure (freshworks_user_id, agent_name, date, tickets_closed) VALUES
    (880001, 'bob', '$D', 5), (880002, 'Alice', '$D', 5), (880003, 'Émilie', '$D', 5),
    (880004, 'charlie', '$D', 5), (880005, CONCAT('Zed \"the\" \\\\ ', CHAR(9), 'back'), '$D', 7),
    (880006, '', '$D', 1)"
http GET "/api/tickets/top-performers?date=$D"
t_eq "$STATUS" 200 status
t_eq "$(jqb '[.performers[].name] | join("|")')" \
    "$(printf 'Zed "the" \\ \tback|Alice|bob|charlie|Émilie|Freshservice agent 880006')" \
    "order, the exact names, and a blank name replaced"
t_eq "$(jqb '[.performers[].tickets_closed] | join(",")')" "7,5,5,5,5,1" counts
t_eq "$(jqb '.performers[0] | keys_unsorted | join(",")')" "name,tickets_closed,source" "short lines"
sql "INSERT INTO ticket_closure (freshworks_user_id, agent_name, date, tickets_closed)
    SELECT 880100 + seq, CONCAT('Agent ', seq), '$D', 1 FROM seq_1_to_12"
http GET "/api/tickets/top-performers?date=$D"
t_eq "$(jqb '.performers | length')" 10 "the top 10 only"
t_eq "$(jqb '[.performers[5:][].name] | join("|")')" \
    "Agent 1|Agent 10|Agent 11|Agent 12|Agent 2" "ties after the fives, by name as text"

t_case "a leaderboard larger than MariaDB's default 1 MB of JSON_ARRAYAGG comes whole"
# 6,000 lines of about 280 bytes: 1.7 MB.
sql "INSERT INTO ticket_closure (freshworks_user_id, agent_name, date, tickets_closed)
    SELECT 881000 + seq, CONCAT(REPEAT('n', 170), seq), '$TODAY', 2 FROM seq_1_to_6000"
http GET /api/tickets/closures/today
t_eq "$STATUS" 200 status
t_eq "$(jqb '[.closures[] | select(.freshworks_user_id > 881000 and .freshworks_user_id <= 887000)] | length')" \
    6000 "every line, parsed"
t_eq "$(jqb '.total == ([.closures[].tickets_closed] | add)')" true "total"
[ "$(wc -c <"$BODY")" -gt 1200000 ] || t_fail "the answer is only $(wc -c <"$BODY") bytes"
sql "DELETE FROM ticket_closure WHERE freshworks_user_id BETWEEN 880001 AND 887000"

sql "DELETE FROM fluent_tickets WHERE fluent_id >= 990000;
    DELETE FROM requests WHERE source_key LIKE 'fluent:99000%';
    INSERT INTO requests (date, time, description, source, source_key)
    VALUES ('2025-06-15', '00:00:00', 'closures test', 'fluent', 'fluent:990001');
    SET @r = LAST_INSERT_ID();
    INSERT INTO fluent_tickets (fluent_id, request_id, title, ticket_status,
    agent_id, agent_name, closed_by, resolved_at, created_at_fluent,
    raw_data, content_hash) VALUES
    (990001, @r, 't', 'closed', 7, 'Fiona Fluent', 7, UTC_TIMESTAMP(), UTC_TIMESTAMP(), '{}', 'x'),
    (990002, @r, 't', 'closed', NULL, NULL, 7, UTC_TIMESTAMP(), UTC_TIMESTAMP(), '{}', 'x'),
    (990003, @r, 't', 'closed', NULL, NULL, 8, UTC_TIMESTAMP(), UTC_TIMESTAMP(), '{}', 'x'),
    (990004, @r, 't', 'active', 7, 'Fiona Fluent', 7, UTC_TIMESTAMP(), UTC_TIMESTAMP(), '{}', 'x'),
    (990005, @r, 't', 'closed', 7, 'Fiona Fluent', 7, '2025-06-16 03:30:00', '2025-06-01', '{}', 'x'),
    (990006, @r, 't', 'closed', 7, 'Fiona Fluent', 7, '2025-06-16 04:30:00', '2025-06-01', '{}', 'x');" 
http GET /api/tickets/closures/today
t_eq "$(jqb '[.closures[] | select(.source == "fluent" and .name == "Fiona Fluent")][0].tickets_closed')" 2 "closed twice today, the reopened one not"
t_eq "$(jqb '[.closures[] | select(.source == "fluent" and .agent_id == 8)][0].name')" "FluentSupport agent 8" "no agent row"
t_eq "$(jqb '[.closures[] | select(.source == "fluent")][0].freshworks_user_id')" null "no Freshservice id"
if [ "$NY" = 1 ]; then
	http GET "/api/tickets/top-performers?date=2025-06-15"
	t_eq "$(jqb '[.performers[] | select(.source == "fluent")][0].tickets_closed')" 1 "resolved 23:30 local counts on 06-15"
	http GET "/api/tickets/top-performers?date=2025-06-16"
	t_eq "$(jqb '[.performers[] | select(.source == "fluent")][0].tickets_closed')" 1 "resolved 00:30 local counts on 06-16"
fi
http GET /api/tickets/stats
t_eq "$(jqb '.bySource[1].tickets_closed')" 5 "fluent closures in stats"

t_case "non-admins are denied the admin routes"
# The token key, in case the stack did not create it (keygen keeps one).
"$STACK_BUILD/bin/deskhub-user" -c "$CONF" keygen >/dev/null 2>&1
http POST /api/auth/login "${AUTHJ[@]}" -d "{\"email\":\"oscar.solis@example.test\",\"password\":\"$USERPW\"}"
TOKEN=$(jqb .accessToken)
if [ "$STATUS" != 200 ] || [ -z "$TOKEN" ] || [ "$TOKEN" = null ]; then
	t_fail "login as a user-role account"
else
	bearer=(-H "Authorization: Bearer $TOKEN")
	NOAUTH=1 http POST /api/tickets/force-sync "${bearer[@]}" "${AUTHJ[@]}" -d '{}'
	t_eq "$STATUS" 403 "force-sync"
	NOAUTH=1 http POST /api/tickets/refresh-mappings "${bearer[@]}"
	t_eq "$STATUS" 403 "refresh-mappings"
	NOAUTH=1 http GET /api/tickets/admin-stats "${bearer[@]}"
	t_eq "$STATUS" 403 "admin-stats"
	NOAUTH=1 http GET /api/tickets/sync-status "${bearer[@]}"
	t_eq "$STATUS" 200 "sync-status is for every user"
	NOAUTH=1 http GET /api/tickets/closures/today "${bearer[@]}"
	t_eq "$STATUS" 200 "the leaderboard is for every user"
	NOAUTH=1 http POST /api/tickets/sync "${bearer[@]}" "${AUTHJ[@]}" -d '{"date":"2025-07-01"}'
	t_eq "$STATUS" 429 "sync is for every user (and limited)"
fi
NOAUTH=1 http GET /api/tickets/closures/today
t_eq "$STATUS" 401 "no credentials"

t_case "the provider's rate limit slows the sync down"
fresh_ctl reset '{"keep_data":true,"rate_per_minute":3,"window_seconds":2}'
curl -sS "$FRESH_FAKE/__control/stats?reset=1" >/dev/null
t0=$(date +%s)
force_date 2025-09-10
t1=$(date +%s)
t_eq "$STATUS" 200 "the sync succeeds"
t_eq "$(count 2025-09-10 $C)" 149 "all counted"
st=$(curl -sS "$FRESH_FAKE/__control/stats")
t_eq "$(printf '%s' "$st" | jq '[.log[] | select(.status == 429)] | length')" 0 "no 429: it slowed down first"
[ $((t1 - t0)) -ge 2 ] || t_fail "it did not wait ($((t1 - t0)) s)"

t_case "a 429 is waited out as Retry-After says"
fresh_ctl reset '{"keep_data":true}'
fresh_ctl fault '{"kind":"429","retry_after":1,"on_page":2,"path":"/api/v2/tickets","count":1}'
curl -sS "$FRESH_FAKE/__control/stats?reset=1" >/dev/null
force_date 2025-09-10
t_eq "$STATUS" 200 "the sync succeeds"
st=$(curl -sS "$FRESH_FAKE/__control/stats")
t_eq "$(printf '%s' "$st" | jq '[.log[] | select(.status == 429)] | length')" 1 "one 429 seen"
t_eq "$(printf '%s' "$st" | jq '.pages | map(select(. == 2)) | length')" 2 "page 2 asked again"
t_eq "$(count 2025-09-10 $C)" 149 "all counted"
fresh_ctl fault '{"clear":true}'

t_case "another closure sync running answers 409"
sql "INSERT INTO ticket_sync_runs (sync_date, started_at, status) VALUES ('2025-01-01', NOW(3), 'in_progress')"
rid=$(sql "SELECT MAX(id) FROM ticket_sync_runs")
sql "UPDATE sync_locks SET run_id = $rid, holder_conn = NULL, holder_server = 'elsewhere:1', heartbeat_at = NOW(3) WHERE name = 'fresh'"
force_date 2025-09-10
t_eq "$STATUS" 409 "busy"
t_eq "$(jqb .runningSyncId)" "$rid" "runningSyncId"
sql "UPDATE sync_locks SET run_id = NULL, holder_conn = NULL, heartbeat_at = NULL WHERE name = 'fresh'"

sql "DELETE FROM fluent_tickets WHERE fluent_id >= 990000;
    DELETE FROM requests WHERE source_key LIKE 'fluent:99000%';
    DELETE FROM users WHERE email IN ('oscar.solis@example.test', 'aj@example.test');"
t_done
