#!/usr/bin/env bash
# FluentSupport sync through real nginx, the FastCGI programs and MariaDB,
# against the fake FluentSupport server.  The stack's business timezone is
# America/New_York; the fake site's timezone is Asia/Dhaka.
. "$(dirname "$0")/../lib.sh"

NOW=2026-11-20T12:00:00Z
fresh_fake() {	# tickets [extra json]
	fluent_ctl reset "{\"tickets\":$1,\"now\":\"$NOW\",\"date_format\":\"iso\",\"timezone\":\"Asia/Dhaka\"${2:-}}"
	fluent_ctl fault '{"clear":true}'
}
count() { sql "SELECT COUNT(*) FROM $1"; }

reset_db
fresh_fake 120

t_case "status before any sync: no run, no tickets"
NOAUTH=1 http GET /api/fluent/status
t_eq "$STATUS" 200 status
t_eq "$(jqb -c .)" '{"syncStatus":null,"totalTickets":0,"statusBreakdown":[]}' body

t_case "first sync adds every ticket and answers the seed's JSON"
sync_fluent '{"dateFilter":"2020-01-01"}'
t_eq "$STATUS" 200 status
t_eq "$(jqb -c 'keys')" '["dateFilter","success","syncDuration","ticketsAdded","ticketsFetched","ticketsSkipped","ticketsUpdated"]' keys
t_eq "$(jqb '.success')" true success
t_eq "$(jqb '.ticketsFetched')" 120 fetched
t_eq "$(jqb '.ticketsAdded')" 120 added
t_eq "$(jqb '.ticketsUpdated')" 0 updated
t_eq "$(jqb '.dateFilter')" 2020-01-01 dateFilter
t_eq "$(count requests)" 120 "requests rows"
t_eq "$(count fluent_tickets)" 120 "fluent_tickets rows"
t_eq "$(sql "SELECT COUNT(*) FROM requests WHERE source='fluent'")" 120 source
t_eq "$(count fluent_sync_staging)" 0 "staging emptied"
# raw_data is the provider's JSON as sent (PHP escapes "/" as "\/").
t_eq "$(sql "SELECT LOCATE('\\\\/', raw_data) > 0 FROM fluent_tickets LIMIT 1")" 1 "raw JSON as received"
# content_hash is SipHash-2-4-128 of raw_data, recomputed here by
# tests/siphash128.py, written from the paper.
t_eq "$(sql "SELECT CONCAT(content_hash, ' ', TO_BASE64(raw_data)) FROM fluent_tickets" |
    PYTHONPATH="$TROOT/tests" python3 -c 'import base64, sys
from siphash128 import siphash128
bad = 0
for line in sys.stdin:
    h, b = line.split(" ", 1)
    raw = base64.b64decode(b.replace("\\n", ""))
    bad += siphash128(raw).hex() != h
print(bad)')" 0 "hash of the raw JSON"

t_case "status shows the run, totals and the status breakdown"
NOAUTH=1 http GET /api/fluent/status
t_eq "$STATUS" 200 status
t_eq "$(jqb '.syncStatus.last_sync_status')" success last_sync_status
t_eq "$(jqb '.syncStatus.tickets_added')" 120 tickets_added
t_eq "$(jqb '.totalTickets')" 120 totalTickets
t_eq "$(jqb '[.statusBreakdown[].count] | add')" 120 breakdown
t_match "$(jqb '.syncStatus.last_sync_at')" '^20[0-9-]{8}T[0-9:.]{12}Z$' last_sync_at
t_eq "$(jqb '.syncStatus | keys_unsorted | join(",")')" \
    "id,last_sync_at,last_sync_status,tickets_fetched,tickets_added,tickets_updated,tickets_skipped,sync_duration_ms,date_filter,error_message,started_at,finished_at,pages_fetched,tickets_total" \
    "the run's fields, in the order of the table, no progress once done"
t_eq "$(jqb '[.syncStatus | .id, .tickets_fetched, .sync_duration_ms, .pages_fetched, .tickets_total, .error_message] | map(type) | join(",")')" \
    "number,number,number,number,number,null" "numbers as numbers, no error as null"
t_eq "$(jqb '[.totalTickets, .statusBreakdown[0].count, .statusBreakdown[0].ticket_status] | map(type) | join(",")')" \
    "number,number,string" "totals as numbers"

t_case "mapping: urgency, category, website_url, description as seed 000"
fluent_ctl tickets '{"tickets":[
 {"id":501,"title":"Site down","content":"<p>It is <b>down</b> &amp; out</p><p>Second</p>","priority":"Critical","product_id":null,"product":{"id":9,"title":"Hosting"},"created_at":"2026-11-19 10:00:00"},
 {"id":502,"title":"Quote","content":"","priority":"whatever","product":{"id":10,"title":"Project"},"created_at":"2026-11-19 10:00:01"},
 {"id":503,"title":"Low one","priority":"low","product":null,"created_at":"2026-11-19 10:00:02"},
 {"id":504,"title":"Odd","priority":"NORMAL","product":{"id":11,"title":"Widget Pro"},"created_at":"2026-11-19 10:00:03"}]}'
sync_fluent '{"dateFilter":"2020-01-01"}'
t_eq "$(jqb '.ticketsAdded')" 4 added
row() { sql "SELECT r.urgency, r.category, IFNULL(r.website_url,'NULL'), r.source FROM requests r JOIN fluent_tickets f ON f.request_id=r.id WHERE f.fluent_id=$1" | tr '\t' '|'; }
t_eq "$(row 501)" "HIGH|Hosting|Hosting|fluent" 501
t_eq "$(row 502)" "MEDIUM|General|Project|fluent" 502
t_eq "$(row 503)" "LOW|Support|NULL|fluent" 503
t_eq "$(row 504)" "MEDIUM|Support|Widget Pro|fluent" 504
t_eq "$(sql "SELECT description FROM requests r JOIN fluent_tickets f ON f.request_id=r.id WHERE f.fluent_id=501")" 'Site down\n\nIt is down & out\nSecond' description
# Site-local 10:00 in Dhaka (UTC+6) is 04:00Z, 23:00 the day before in New York.
t_eq "$(sql "SELECT CONCAT(r.date,' ',r.time) FROM requests r JOIN fluent_tickets f ON f.request_id=r.id WHERE f.fluent_id=501")" "2026-11-18 23:00:00" "date and time in the business timezone"

t_case "re-sync with no change skips every ticket"
sync_fluent '{"dateFilter":"2020-01-01"}'
t_eq "$STATUS" 200 status
t_eq "$(jqb '.ticketsAdded'),$(jqb '.ticketsUpdated'),$(jqb '.ticketsSkipped')" "0,0,124" counts
t_eq "$(count requests)" 124 "no duplicates"
# A hash stored by an older release (64 hex digits) never matches: that
# ticket is saved again with ours.  The same hash in capitals still does.
lo=$(sql "SELECT MIN(fluent_id) FROM fluent_tickets")
hi=$(sql "SELECT MAX(fluent_id) FROM fluent_tickets")
sql "UPDATE fluent_tickets SET content_hash = REPEAT('ab', 32) WHERE fluent_id = $lo" >/dev/null
sql "UPDATE fluent_tickets SET content_hash = UPPER(content_hash) WHERE fluent_id = $hi" >/dev/null
sync_fluent '{"dateFilter":"2020-01-01"}'
t_eq "$(jqb '.ticketsAdded'),$(jqb '.ticketsUpdated'),$(jqb '.ticketsSkipped')" "0,1,123" "an older release's hash is saved again"
t_eq "$(sql "SELECT LENGTH(content_hash) FROM fluent_tickets WHERE fluent_id = $lo")" 32 "with our hash"

t_case "changes between syncs are updated, new tickets added"
fluent_ctl tickets '{"tickets":[{"id":5,"title":"Changed title"},{"id":6,"title":"Changed six","status":"closed"},{"id":7,"title":"Changed seven","priority":"critical"},{"id":130,"title":"Brand new","created_at":"2026-11-20 17:00:00"},{"id":131,"title":"Brand new 2","created_at":"2026-11-20 17:01:00"}]}'
sync_fluent '{"dateFilter":"2020-01-01"}'
t_eq "$(jqb '.ticketsAdded'),$(jqb '.ticketsUpdated'),$(jqb '.ticketsSkipped')" "2,3,121" counts
t_match "$(sql "SELECT description FROM requests r JOIN fluent_tickets f ON f.request_id=r.id WHERE f.fluent_id=5")" '^Changed title' "description updated"
t_eq "$(sql "SELECT ticket_status FROM fluent_tickets WHERE fluent_id=6")" closed "status updated"
t_eq "$(sql "SELECT urgency FROM requests r JOIN fluent_tickets f ON f.request_id=r.id WHERE f.fluent_id=7")" HIGH "urgency updated"

t_case "manual edits of hours and category survive a re-sync"
rid=$(sql "SELECT request_id FROM fluent_tickets WHERE fluent_id=8")
http PATCH "/api/requests/$rid" -H 'Content-Type: application/json' -d '{"hours":2.5,"category":"Migration"}'
t_eq "$STATUS" 200 "patch status"
t_eq "$(jqb '.hours')" 2.5 "patch hours"
t_eq "$(jqb '.category')" Migration "patch category"
fluent_ctl tickets '{"tickets":[{"id":8,"title":"Edited upstream","product":{"id":3,"title":"Email"}}]}'
sync_fluent '{"dateFilter":"2020-01-01"}'
t_eq "$(jqb '.ticketsUpdated')" 1 updated
t_eq "$(sql "SELECT CONCAT(hours,'|',category) FROM requests WHERE id=$rid")" "2.50|Migration" "hours and category kept"
t_match "$(sql "SELECT description FROM requests WHERE id=$rid")" '^Edited upstream' "provider fields still updated"
t_eq "$(sql "SELECT website_url FROM requests WHERE id=$rid")" Email "website_url updated"

t_case "date filter keeps tickets from local midnight on (EST)"
reset_db
fresh_fake 0
# New York midnight of 2026-11-10 is 05:00Z (EST, UTC-5).
fluent_ctl tickets '{"tickets":[{"id":1,"created_at":"2026-11-10T04:59:59Z"},{"id":2,"created_at":"2026-11-10T05:00:00Z"},{"id":3,"created_at":"2026-11-11T04:59:59Z"}]}'
sync_fluent '{"dateFilter":"2026-11-10"}'
t_eq "$(jqb '.ticketsFetched')" 2 fetched
t_eq "$(sql "SELECT GROUP_CONCAT(CONCAT(f.fluent_id,'@',r.date,' ',r.time) ORDER BY f.fluent_id) FROM requests r JOIN fluent_tickets f ON f.request_id=r.id")" "2@2026-11-10 00:00:00,3@2026-11-10 23:59:59" rows

t_case "a re-sync holds stored tickets to the filter by their instant"
reset_db
fresh_fake 0
# Unchanged tickets are not parsed: their stored creation is compared with
# the first second of the filter's day in New York, and converted near it.
fluent_ctl tickets '{"tickets":[{"id":1,"created_at":"2026-11-10T04:59:59Z"},{"id":2,"created_at":"2026-11-10T05:00:00Z"},{"id":3,"created_at":"2026-11-10T06:59:59Z"},{"id":4,"created_at":"2026-11-10T07:00:00Z"},{"id":5,"created_at":"2026-11-11T04:59:59Z"},{"id":6,"created_at":"2026-03-09T03:59:59Z"},{"id":7,"created_at":"2026-03-09T04:00:00Z"}]}'
sync_fluent '{"dateFilter":"2020-01-01"}'
t_eq "$(jqb '.ticketsAdded')" 7 added
sync_fluent '{"dateFilter":"2026-11-10"}'
t_eq "$(jqb '.ticketsFetched'),$(jqb '.ticketsSkipped'),$(jqb '.ticketsAdded')" "4,4,0" "from 2026-11-10 (EST)"
sync_fluent '{"dateFilter":"2026-03-09"}'
t_eq "$(jqb '.ticketsFetched'),$(jqb '.ticketsSkipped')" "6,6" "from 2026-03-09 (EDT)"
sync_fluent '{"dateFilter":"2026-11-11"}'
t_eq "$(jqb '.ticketsFetched')" 0 "from 2026-11-11"

t_case "date filter across the DST change (EDT starts 2026-03-08)"
reset_db
fresh_fake 0
# On 2026-03-09 New York is UTC-4: midnight is 04:00Z.
fluent_ctl tickets '{"tickets":[{"id":1,"created_at":"2026-03-09T03:59:59Z"},{"id":2,"created_at":"2026-03-09T04:00:00Z"},{"id":3,"created_at":"2026-03-08T06:30:00Z"}]}'
sync_fluent '{"dateFilter":"2026-03-09"}'
t_eq "$(jqb '.ticketsFetched')" 1 fetched
t_eq "$(sql "SELECT CONCAT(r.date,' ',r.time) FROM requests r JOIN fluent_tickets f ON f.request_id=r.id WHERE f.fluent_id=2")" "2026-03-09 00:00:00" "time after the change"
sync_fluent '{"dateFilter":"2026-03-08"}'
t_eq "$(sql "SELECT CONCAT(r.date,' ',r.time) FROM requests r JOIN fluent_tickets f ON f.request_id=r.id WHERE f.fluent_id=3")" "2026-03-08 01:30:00" "time before the change (EST)"
t_eq "$(sql "SELECT CONCAT(r.date,' ',r.time) FROM requests r JOIN fluent_tickets f ON f.request_id=r.id WHERE f.fluent_id=1")" "2026-03-08 23:59:59" "last second of the day"

t_case "paging stops once past the filter: no full-history scan"
reset_db
fresh_fake 500
curl -sS "$FLUENT_FAKE/__control/stats?reset=1" >/dev/null
sync_fluent '{"dateFilter":"2026-11-20"}'
t_eq "$STATUS" 200 status
pages=$(fluent_stats | jq -c '.pages')
t_eq "$pages" "[1]" "pages requested"
t_match "$(fluent_stats | jq -r '.queries[0]')" 'per_page=50' "per_page sent"
t_match "$(fluent_stats | jq -r '.queries[0]')" 'order_type=DESC' "order_type exactly DESC"
t_eq "$(jqb '.ticketsFetched')" "$(sql "SELECT COUNT(*) FROM requests WHERE date >= '2026-11-20'")" "fetched = rows on or after the filter"

t_case "every page URL is built by us (next_page_url drops the query)"
reset_db
curl -sS "$FLUENT_FAKE/__control/stats?reset=1" >/dev/null
sync_fluent '{"dateFilter":"2020-01-01"}'
t_eq "$(jqb '.ticketsFetched')" 500 fetched
t_eq "$(fluent_stats | jq -c '.pages | sort')" "[1,2,3,4,5,6,7,8,9,10]" "pages (fetched concurrently)"
t_eq "$(fluent_stats | jq '[.queries[] | select(test("per_page=50"))] | length')" 10 "per_page on every page"

t_case "older plugin date format (site-local, no offset)"
reset_db
fluent_ctl reset "{\"tickets\":0,\"now\":\"$NOW\",\"date_format\":\"mysql\",\"timezone\":\"Asia/Dhaka\"}"
fluent_ctl tickets '{"tickets":[{"id":1,"created_at":"2026-11-19 10:00:00","status":"closed","resolved_at":"2026-11-19 12:00:00"}]}'
sync_fluent '{"dateFilter":"2020-01-01"}'
t_eq "$STATUS" 200 status
t_eq "$(sql "SELECT CONCAT(r.date,' ',r.time) FROM requests r")" "2026-11-18 23:00:00" "read in the site's timezone"
t_eq "$(sql "SELECT resolved_at FROM fluent_tickets")" "2026-11-19 06:00:00" "resolved_at stored as UTC"

t_case "a site timezone given only as an offset (gmt_offset 5.5)"
reset_db
fluent_ctl reset "{\"tickets\":0,\"now\":\"$NOW\",\"date_format\":\"mysql\",\"timezone\":\"\",\"gmt_offset\":5.5}"
fluent_ctl tickets '{"tickets":[{"id":1,"created_at":"2026-11-19 10:00:00"}]}'
sync_fluent '{"dateFilter":"2020-01-01"}'
t_eq "$(sql "SELECT CONCAT(r.date,' ',r.time) FROM requests r")" "2026-11-18 23:30:00" "10:00 at UTC+5:30 in New York"

# Faults: each leaves the tables as they were and records why.
reset_db
fresh_fake 60
sync_fluent '{"dateFilter":"2020-01-01"}'
base_rows=$(count requests)
snapshot() { sql "SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT(r.description,r.urgency))),0) FROM requests r"; }
before=$(snapshot)
fluent_ctl tickets '{"tickets":[{"id":3,"title":"changed while failing"},{"id":70,"title":"new while failing"}]}'

fault_case() {	# name fault-json want-status message-regex
	t_case "$1"
	fluent_ctl fault '{"clear":true}'
	fluent_ctl fault "$2"
	sync_fluent '{"dateFilter":"2020-01-01"}'
	t_eq "$STATUS" "$3" status
	t_eq "$(jqb '.success')" false success
	t_match "$(jqb '.error')" "$4" error
	t_eq "$(snapshot)" "$before" "tables unchanged"
	t_eq "$(sql "SELECT last_sync_status FROM fluent_sync_status ORDER BY id DESC LIMIT 1")" failed "run recorded failed"
	t_match "$(sql "SELECT error_message FROM fluent_sync_status ORDER BY id DESC LIMIT 1")" "$4" "run records why"
	t_eq "$(count fluent_sync_staging)" 0 "no staging left"
}
fault_case "401 rest_forbidden: credentials rejected" '{"kind":"401","count":0}' 502 'rejected the credentials'
t_eq "$(jqb '.reason')" provider_rejected_credentials reason
fault_case "500 on every try: bounded retries then failure" '{"kind":"500","count":0,"message":"Division by zero"}' 502 'HTTP 500: Division by zero'
fault_case "an HTML error page" '{"kind":"502html","count":0}' 502 'HTTP 502 .*HTML'
fault_case "200 with a body that is not JSON" '{"kind":"notjson","count":0}' 502 'not JSON'
fault_case "truncated JSON on every try" '{"kind":"truncated","count":0}' 502 'truncated'
fault_case "a slow answer past the timeout" '{"kind":"slow","delay":5,"count":1}' 502 'timed out'
fault_case "dropped connections" '{"kind":"drop","count":0}' 502 'connection dropped|Server returned nothing'
fault_case "a fault on page 2 after page 1 was staged" '{"kind":"500","count":0,"on_page":2}' 502 'HTTP 500'

# A sync that meets a 429 waits what Retry-After says, then succeeds.
retry_after_case() {	# name fault-json
	t_case "$1"
	fluent_ctl fault '{"clear":true}'
	fluent_ctl fault "$2"
	t0=$(date +%s%N)
	sync_fluent '{"dateFilter":"2020-01-01"}'
	t1=$(date +%s%N)
	t_eq "$STATUS" 200 status
	t_eq "$(( (t1 - t0) / 1000000 >= 1000 ))" 1 "waited Retry-After (>= 1 s)"
}
retry_after_case "429 with Retry-After is honoured and the sync succeeds" \
    '{"kind":"429","retry_after":1,"count":1}'
t_eq "$(jqb '.ticketsAdded'),$(jqb '.ticketsUpdated')" "1,1" counts
# Regression: a 429 on a page fetched alongside others was retried at once,
# without the wait Retry-After asks for.
retry_after_case "429 on a page fetched alongside others waits Retry-After too" \
    '{"kind":"429","retry_after":1,"count":1,"on_page":2}'
t_eq "$(jqb '.ticketsFetched')" "$(count fluent_tickets)" "every ticket fetched"

t_case "one 500, one dropped connection and one truncated page are retried"
fluent_ctl tickets '{"tickets":[{"id":4,"title":"changed after retries"}]}'
fluent_ctl fault '{"kind":"500","count":1}'
fluent_ctl fault '{"kind":"drop","count":1}'
fluent_ctl fault '{"kind":"truncated","count":1}'
sync_fluent '{"dateFilter":"2020-01-01"}'
t_eq "$STATUS" 200 status
t_eq "$(jqb '.ticketsUpdated')" 1 updated

t_case "a WP_DEBUG notice printed before the JSON is tolerated"
fluent_ctl fault '{"kind":"html200","count":0}'
sync_fluent '{"dateFilter":"2020-01-01"}'
t_eq "$STATUS" 200 status
fluent_ctl fault '{"clear":true}'

t_case "two concurrent syncs: the second gets 409"
fluent_ctl fault '{"kind":"slow","delay":2,"count":1,"on_page":1}'
( sync_fluent '{"dateFilter":"2020-01-01"}'; echo "$STATUS" >"$TMPD/first" ) &
bg=$!
sync_running id 0 50 0.1 >/dev/null
NOAUTH=1 http GET /api/fluent/status
t_eq "$(jqb '.syncStatus.last_sync_status')" in_progress "status while running"
t_eq "$(jqb '.syncStatus.progress | [.pagesFetched, .ticketsFetched] | map(type) | join(",")')" \
    "number,number" "progress shown, as numbers"
t_eq "$(jqb '.syncStatus.progress | keys_unsorted | join(",")')" \
    "pagesFetched,ticketsFetched,ticketsTotal" "progress members"
t_eq "$(jqb '.syncStatus.finished_at')" null "not finished"
sync_fluent '{"dateFilter":"2020-01-01"}'
t_eq "$STATUS" 409 "second sync"
t_match "$(jqb '.error')" 'already running' error
wait "$bg"
t_eq "$(cat "$TMPD/first")" 200 "first sync"

t_case "the sync killed with SIGKILL mid-run: nothing saved, next sync succeeds"
fluent_ctl tickets '{"tickets":[{"id":9,"title":"changed before the kill"}]}'
before=$(snapshot)
fluent_ctl fault '{"kind":"slow","delay":3,"count":1,"on_page":2}'
( sync_fluent '{"dateFilter":"2020-01-01"}'; echo "$STATUS" >"$TMPD/killed" ) &
bg=$!
pid=$(sync_running pid 1 50 0.1)
t_match "$pid" '^[0-9]+$' "running sync pid"
[ -n "$pid" ] && kill -9 "$pid"
wait "$bg"
t_match "$(cat "$TMPD/killed")" '^5[0-9][0-9]$' "killed request answered by nginx with 5xx"
t_eq "$(snapshot)" "$before" "tables unchanged"
NOAUTH=1 http GET /api/fluent/status
t_eq "$(jqb '.syncStatus.last_sync_status')" failed "run marked failed"
t_match "$(jqb '.syncStatus.error_message')" 'stopped before finishing' "why"
fluent_ctl fault '{"clear":true}'
sync_fluent '{"dateFilter":"2020-01-01"}'
t_eq "$STATUS" 200 "next sync"
t_eq "$(jqb '.ticketsUpdated')" 1 "next sync applies the change"
t_eq "$(count fluent_sync_staging)" 0 "staging cleaned"
t_eq "$(sql "SELECT COUNT(*) FROM (SELECT fluent_id FROM fluent_tickets GROUP BY fluent_id HAVING COUNT(*)>1) d")" 0 "no duplicates"

t_case "a sync in progress blocks no edit and shows nothing until it commits"
fluent_ctl tickets '{"tickets":[{"id":990001,"title":"new while a run goes on"},{"id":9,"title":"changed while a run goes on"}]}'
rid=$(sql "SELECT r.id FROM requests r JOIN fluent_tickets f ON f.request_id = r.id WHERE f.fluent_id <> 9 ORDER BY r.id LIMIT 1")
# Page 2 answers after 2 s, within the stack's 3 s timeout.
fluent_ctl fault '{"kind":"slow","delay":2,"count":1,"on_page":2}'
( sync_fluent '{"dateFilter":"2020-01-01"}'; echo "$STATUS" >"$TMPD/slow" ) &
bg=$!
run=$(sync_running id 1 50 0.1)
t_match "$run" '^[0-9]+$' "the run is past page 1"
t_eq "$(sql "SELECT COUNT(*) FROM fluent_tickets WHERE fluent_id = 990001")" 0 "page 1's new ticket not visible yet"
t_eq "$(count fluent_sync_staging)" 0 "nothing staged is visible"
pst=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 -X PATCH \
    -u "$ADMIN_USER:$ADMIN_PASS" -H 'Content-Type: application/json' \
    -d '{"hours":1.25}' "$BASE/api/requests/$rid" 2>/dev/null) || pst=000
t_eq "$pst" 200 "an edit during the run answers at once"
wait "$bg"
fluent_ctl fault '{"clear":true}'
t_eq "$(cat "$TMPD/slow")" 200 "the run succeeds"
t_eq "$(sql "SELECT COUNT(*) FROM fluent_tickets WHERE fluent_id = 990001")" 1 "the new ticket after the commit"
t_eq "$(sql "SELECT title FROM fluent_tickets WHERE fluent_id = 9")" "changed while a run goes on" "the change after the commit"
t_eq "$(sql "SELECT hours FROM requests WHERE id = $rid")" 1.25 "the edit kept"

t_case "default date filter is used when the body is empty"
http POST /api/fluent/sync
t_eq "$STATUS" 200 status
t_match "$(jqb '.dateFilter')" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}$' dateFilter

# Pages 2 to 4 are fetched together; a timeout there is not retried either.
reset_db
fresh_fake 200
before=$(snapshot)
fault_case "a slow page fetched alongside others times out without a retry" '{"kind":"slow","delay":5,"count":1,"on_page":2}' 502 'timed out'
t_eq "$(count requests)" 0 "nothing saved"


t_case "unchanged tickets are skipped whatever the order of their members"
reset_db
fluent_ctl reset "{\"tickets\":120,\"now\":\"$NOW\",\"date_format\":\"iso\",\"timezone\":\"Asia/Dhaka\",\"id_last\":true}"
sync_fluent '{"dateFilter":"2020-01-01"}'
t_eq "$(jqb '.ticketsAdded')" 120 added
t_eq "$(sql "SELECT COUNT(*) FROM fluent_tickets WHERE raw_data LIKE '{\"id\":%'")" 0 "no ticket starts with its id"
sync_fluent '{"dateFilter":"2020-01-01"}'
t_eq "$(jqb '.ticketsAdded'),$(jqb '.ticketsUpdated'),$(jqb '.ticketsSkipped')" "0,0,120" "re-sync skips all"
fluent_ctl tickets '{"tickets":[{"id":8,"title":"changed with its id last"}]}'
sync_fluent '{"dateFilter":"2020-01-01"}'
t_eq "$(jqb '.ticketsAdded'),$(jqb '.ticketsUpdated'),$(jqb '.ticketsSkipped')" "0,1,119" "one changed"
t_eq "$(sql "SELECT title FROM fluent_tickets WHERE fluent_id = 8")" "changed with its id last" "the change saved"

# The stored tickets are read while the first pages download.  A session
# holding fluent_tickets locked makes that read wait, long enough to see
# what the sync does meanwhile.
lock_tickets() {	# seconds: hold fluent_tickets locked, in the background
	sql "LOCK TABLES fluent_tickets WRITE; DO SLEEP($1); UNLOCK TABLES" &
	LOCKER=$!
	local i n=0
	for i in $(seq 1 50); do
		n=$(sql "SELECT COUNT(*) FROM information_schema.processlist
		    WHERE info LIKE 'DO SLEEP%'")
		[ "$n" = 1 ] && break
		sleep 0.1
	done
	t_eq "$n" 1 "fluent_tickets held locked"
}
pages_while() {	# want: poll the fake until it served want pages (3 s)
	local i p=""
	for i in $(seq 1 30); do
		p=$(fluent_stats | jq -c '.pages | sort')
		[ "$p" = "$1" ] && break
		sleep 0.1
	done
	echo "$p"
}
reset_db
fresh_fake 500
sync_fluent '{"dateFilter":"2020-01-01"}'

t_case "pages download while the stored tickets are read, and are saved after"
# The stored tickets come newest id first, 256 at a time; a page waits
# until they cover its lowest id.  Ticket 2, moved to the top of page 1,
# holds that page until the last of them.
fluent_ctl tickets '{"tickets":[{"id":3,"title":"changed while the database was slow"},{"id":990002,"title":"new while the database was slow"},{"id":2,"title":"moved to the top","created_at":"2026-11-20T11:59:00Z"}]}'
curl -sS "$FLUENT_FAKE/__control/stats?reset=1" >/dev/null
lock_tickets 5
( sync_fluent '{"dateFilter":"2020-01-01"}'; echo "$STATUS" >"$TMPD/held" ) &
bg=$!
t_eq "$(pages_while "[1,2,3,4,5,6,7,8,9,10,11]")" "[1,2,3,4,5,6,7,8,9,10,11]" "every page served while the table is locked"
t_eq "$([ -e "$TMPD/held" ] && echo finished || echo waiting)" waiting "the sync waits for the stored tickets"
wait "$bg"
wait "$LOCKER"
t_eq "$(cat "$TMPD/held")" 200 status
t_eq "$(jqb '.ticketsFetched'),$(jqb '.ticketsAdded'),$(jqb '.ticketsUpdated'),$(jqb '.ticketsSkipped')" "501,1,2,498" counts
t_eq "$(sql "SELECT title FROM fluent_tickets WHERE fluent_id = 3")" "changed while the database was slow" "the change saved"
t_eq "$(sql "SELECT title FROM fluent_tickets WHERE fluent_id = 2")" "moved to the top" "the moved ticket updated, not added"
t_eq "$(sql "SELECT COUNT(*) FROM (SELECT fluent_id FROM fluent_tickets GROUP BY fluent_id HAVING COUNT(*)>1) d")" 0 "no duplicates"

t_case "a filter met on a page fetched ahead stops the download there"
curl -sS "$FLUENT_FAKE/__control/stats?reset=1" >/dev/null
lock_tickets 2
sync_fluent '{"dateFilter":"2026-11-20"}'
wait "$LOCKER"
t_eq "$STATUS" 200 status
t_eq "$(fluent_stats | jq -c '.pages')" "[1]" "pages requested"
t_eq "$(jqb '.ticketsFetched')" "$(sql "SELECT COUNT(*) FROM requests WHERE date >= '2026-11-20'")" "fetched = rows on or after the filter"

before=$(snapshot)
t_case "a fault on a page fetched ahead fails the run and saves nothing"
fluent_ctl tickets '{"tickets":[{"id":4,"title":"changed before a fault"}]}'
fluent_ctl fault '{"kind":"500","count":0,"on_page":3,"message":"Held page broke"}'
lock_tickets 2
sync_fluent '{"dateFilter":"2020-01-01"}'
wait "$LOCKER"
t_eq "$STATUS" 502 status
t_match "$(jqb '.error')" 'page 3.*HTTP 500: Held page broke|HTTP 500: Held page broke' error
t_eq "$(snapshot)" "$before" "tables unchanged"
t_eq "$(sql "SELECT last_sync_status FROM fluent_sync_status ORDER BY id DESC LIMIT 1")" failed "run recorded failed"
fluent_ctl fault '{"clear":true}'
sync_fluent '{"dateFilter":"2020-01-01"}'
t_eq "$STATUS" 200 "next sync"
t_eq "$(jqb '.ticketsUpdated')" 1 "next sync applies the change"

t_case "a requests row left with its key and no ticket is taken over, not doubled"
# Ticket 9 lost its fluent_tickets row; its requests row (fluent:9) stays.
# It comes back among ten new tickets, sixth of the page, so that one
# multi-row insert both adds rows and takes one over.
rid=$(sql "SELECT request_id FROM fluent_tickets WHERE fluent_id=9")
sql "DELETE FROM fluent_tickets WHERE fluent_id=9"
nreq=$(count requests)
new=""
for i in 0 1 2 3 4 5 6 7 8 9; do
	new="$new{\"id\":9014$i,\"title\":\"New $i\",\"created_at\":\"2026-11-20 17:0$i:00\"},"
done
fluent_ctl tickets "{\"tickets\":[$new{\"id\":9,\"created_at\":\"2026-11-20 17:04:30\"}]}"
sync_fluent '{"dateFilter":"2020-01-01"}'
t_eq "$STATUS" 200 status
t_eq "$(jqb '.ticketsAdded')" 11 "ten new tickets and the one without a row"
t_eq "$(count requests)" $((nreq + 10)) "one requests row each, none doubled"
t_eq "$(sql "SELECT request_id FROM fluent_tickets WHERE fluent_id=9")" "$rid" "the left row is taken over"
t_eq "$(sql "SELECT CONCAT(date, ' ', time) FROM requests WHERE id=$rid")" "2026-11-20 06:04:30" "and updated"
t_eq "$(sql "SELECT COUNT(*) FROM fluent_tickets f JOIN requests r ON r.id = f.request_id WHERE r.source_key = CONCAT('fluent:', f.fluent_id)")" "$(count fluent_tickets)" "every ticket points at its own row"

# The run's writes go through a thread of their own while the next pages
# download; a write MariaDB refuses must still fail the whole run, whether
# it is met while pages are handed over or only at the end.
page_first_id() {	# page: the id of the first ticket on it
	curl -sS --max-time 10 -u 'wpuser:abcd efgh ijkl mnop' \
	    "$FLUENT_FAKE/wp-json/fluent-support/v2/tickets?page=$1&per_page=50" |
	    jq -r '.tickets.data[0].id'
}
refuse_case() {	# name page
	local id
	t_case "$1"
	reset_db
	fresh_fake 150
	id=$(page_first_id "$2")
	t_match "$id" '^[0-9]+$' "ticket on page $2"
	sql "DROP TRIGGER IF EXISTS refuse_one;
	    DELIMITER //
	    CREATE TRIGGER refuse_one BEFORE INSERT ON fluent_tickets FOR EACH ROW
	    IF NEW.fluent_id = $id THEN
	    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by the test';
	    END IF//
	    DELIMITER ;"
	t_eq "$(sql "SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_name = 'refuse_one'")" 1 "trigger in place"
	sync_fluent '{"dateFilter":"2020-01-01"}'
	t_eq "$STATUS" 500 status
	t_match "$(jqb '.error')" 'refused by the test' error
	t_eq "$(count requests),$(count fluent_tickets),$(count fluent_sync_staging)" "0,0,0" "nothing saved"
	t_eq "$(sql "SELECT last_sync_status FROM fluent_sync_status ORDER BY id DESC LIMIT 1")" failed "run recorded failed"
	t_match "$(sql "SELECT error_message FROM fluent_sync_status ORDER BY id DESC LIMIT 1")" 'refused by the test' "the run says why"
	sql "DROP TRIGGER refuse_one"
	sync_fluent '{"dateFilter":"2020-01-01"}'
	t_eq "$STATUS,$(jqb '.ticketsAdded')" "200,150" "next sync"
}
refuse_case "a write refused on the first of three pages fails the run" 1
refuse_case "a write refused on the last page fails the run" 3

t_done
