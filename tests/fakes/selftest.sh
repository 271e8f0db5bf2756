#!/usr/bin/env bash
# Self-test for tests/fakes/fake_fluent.py and tests/fakes/fake_fresh.py.
# Starts both fakes on free ports, exercises them with curl + jq, stops them with
# SIGTERM. Exits non-zero if any check fails. Every wait is bounded.
#   tests/fakes/selftest.sh                 # functional checks (~30 s)
#   SELFTEST_PERF=1 tests/fakes/selftest.sh # + 100k tickets / 1000 pages timing
# PYTHON=/path/to/python3 overrides the interpreter (default /usr/bin/python3).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || PY=python3
for tool in curl jq; do
    command -v "$tool" >/dev/null || { echo "selftest: $tool is required" >&2; exit 2; }
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fakes-selftest.XXXXXX")
PIDS=()
FAILS=0
PASSES=0

cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null
    done
    for p in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok()   { PASSES=$((PASSES + 1)); echo "ok   - $1"; }
fail() { FAILS=$((FAILS + 1)); echo "FAIL - $1"; [ -n "${2:-}" ] && echo "       $2"; return 0; }
check() { local d=$1; shift; if "$@" >/dev/null; then ok "$d"; else fail "$d" "code=$CODE rc=$CURLRC body=$(head -c 300 "$TMP/b" 2>/dev/null)"; fi; }

# start NAME ARGS... -> sets PORT and LASTPID
start() {
    local name=$1; shift
    local pf="$TMP/$name.port"
    rm -f "$pf"
    "$PY" "$HERE/$name" --port 0 --port-file "$pf" "$@" 2>"$TMP/$name.log" &
    LASTPID=$!
    PIDS+=("$LASTPID")
    for _ in $(seq 600); do   # up to 60 s
        [ -s "$pf" ] && break
        kill -0 "$LASTPID" 2>/dev/null || break
        sleep 0.1
    done
    if [ ! -s "$pf" ]; then
        echo "selftest: $name did not start:" >&2
        cat "$TMP/$name.log" >&2
        exit 1
    fi
    PORT=$(cat "$pf")
}

# req CURL-ARGS... -> CODE, CURLRC; body in $TMP/b, headers in $TMP/h
req() {
    CURLRC=0
    : >"$TMP/b"; : >"$TMP/h"
    CODE=$(curl -sS -g --max-time "${MAXT:-20}" -o "$TMP/b" -D "$TMP/h" -w '%{http_code}' \
        "$@" 2>"$TMP/curl.err") || CURLRC=$?
}
jqb() { jq -e "$@" "$TMP/b" >/dev/null 2>&1; }
hdr() { grep -i "^$1:" "$TMP/h" | head -1 | cut -d: -f2- | tr -d '\r' | sed 's/^ *//'; }
is() { [ "$1" = "$2" ]; }
# ctl BASE NAME JSON -> control POST, fails the test run on error
ctl() {
    local out
    out=$(curl -sS --max-time "${MAXT:-300}" -X POST -H 'Content-Type: application/json' \
        -d "$3" "$1/__control/$2") || { fail "control $2 $3 (curl)"; return 1; }
    echo "$out" | jq -e '.ok == true' >/dev/null 2>&1 || { fail "control $2 $3" "$out"; return 1; }
    return 0
}
stats() { curl -sS --max-time 20 "$1/__control/stats"; }
now_s() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

NOW="2026-11-21T12:00:00Z"

########################################################################## FluentSupport
echo "# fake_fluent.py"
start fake_fluent.py --tickets 40 --now "$NOW" --timezone Asia/Dhaka
FPID=$LASTPID
F="http://127.0.0.1:$PORT"
T="$F/wp-json/fluent-support/v2/tickets"
PW='abcd efgh ijkl mnop qrst uvwx'
A=(-u "admin:$PW")

req "$F/wp-json/"
check "GET /wp-json/ gmt_offset 6, Asia/Dhaka" jqb '.gmt_offset == 6 and .timezone_string == "Asia/Dhaka" and .name == "Fake WP"'
check "WP JSON escapes slashes" grep -q 'Asia\\/Dhaka' "$TMP/b"

req "$T"
check "no auth -> 401 rest_forbidden" jqb '.code == "rest_forbidden" and .data.status == 401 and .message == "Sorry, you are not allowed to do that."'
is "$CODE" 401 || fail "no auth status is $CODE"
req -u admin:wrong "$T"
check "wrong password -> 401" is "$CODE" 401
req -u "admin:abcdefghijklmnopqrstuvwx" "$T"
check "password without spaces -> 200" is "$CODE" 200
req "${A[@]}" "$T"
check "password with spaces -> 200" is "$CODE" 200
check "default paginator: per_page 15, total 40, last_page 3, DESC" jqb '.tickets | .per_page == 15 and .total == 40 and .last_page == 3 and .current_page == 1 and (.data|length) == 15 and .data[0].id == 40 and .from == 1 and .to == 15'
check "paginator ints, next/first/last URLs with trailing slash, path without" jqb '.tickets | (.total|type) == "number" and (.per_page|type) == "number" and (.next_page_url|endswith("/wp-json/fluent-support/v2/tickets/?page=2")) and (.first_page_url|endswith("/tickets/?page=1")) and (.last_page_url|endswith("/tickets/?page=3")) and (.path|endswith("/wp-json/fluent-support/v2/tickets")) and .prev_page_url == null'
check "links: prev, 1..3, next" jqb '.tickets.links | length == 5 and .[0].label == "pagination.previous" and .[1].active == true and .[4].label == "pagination.next"'
check "ticket types: id int, other ints strings" jqb '.tickets.data | all(.[]; (.id|type) == "number" and (.customer_id|type) == "string" and (.mailbox_id|type) == "string" and (.response_count|type) == "string" and ((.agent_id|type) == "string" or .agent_id == null))'
check "iso dates: created_at/updated_at/waiting_since +00:00" jqb '.tickets.data | all(.[]; (.created_at|test("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\+00:00$")) and (.updated_at|test("\\+00:00$")) and (.waiting_since|test("\\+00:00$")))'
check "raw site-local last_customer_response" jqb '.tickets.data | all(.[]; .last_customer_response|test("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d$"))'
check "created_at/updated_at increase sanity" jqb '.tickets.data | all(.[]; .updated_at >= .created_at)'
req "${A[@]}" "$T/"
check "trailing slash path works" jqb '.tickets.total == 40'
req "${A[@]}" "$T?order_type=desc&per_page=1"
check "order_type=desc (lowercase) -> ASC" jqb '.tickets.data[0].id == 1'
req "${A[@]}" "$T?order_type=DESC&per_page=1"
check "order_type=DESC -> DESC" jqb '.tickets.data[0].id == 40'
req "${A[@]}" "$T?order_by=created_at&order_type=ASC&per_page=40"
check "order_by=created_at ASC" jqb '[.tickets.data[].created_at] == ([.tickets.data[].created_at]|sort)'
req "${A[@]}" "$T?per_page=abc"
check "per_page=abc -> 500 Division by zero" jqb '.message == "Division by zero"'
is "$CODE" 500 || fail "per_page=abc status $CODE"
req "${A[@]}" "$T?order_by=bogus"
check "order_by=bogus -> 500 Unknown column" jqb ".message | startswith(\"Unknown column 'bogus'\")"
is "$CODE" 500 || fail "order_by=bogus status $CODE"
req "${A[@]}" "$T?per_page=1000"
check "per_page=1000 honoured (no cap)" jqb '.tickets.per_page == 1000 and (.tickets.data|length) == 40 and .tickets.next_page_url == null'
for p in 0 -1 abc 02; do
    req "${A[@]}" "$T?page=$p"
    check "page=$p -> current_page 1" jqb '.tickets.current_page == 1'
done
req "${A[@]}" "$T?page=99"
check "page past the end -> 200, data [], from/to null, current_page 99" jqb '.tickets | .current_page == 99 and .data == [] and .from == null and .to == null and .total == 40'
req "${A[@]}" "$T?per_page=10&order_type=ASC&order_by=id&filters[status_type]=all&page=2"
check "next/prev URLs drop per_page/order/filters" jqb '.tickets | (.next_page_url|endswith("/tickets/?page=3")) and (.prev_page_url|endswith("/tickets/?page=1")) and .data[0].id == 11'
req "${A[@]}" "$T?per_page=100&filters[status_type]=closed"
CLOSED=$(jq '.tickets.total' "$TMP/b")
check "filters[status_type]=closed" jqb '.tickets.total > 0 and (.tickets.data | all(.[]; .status == "closed" and .resolved_at != null and (.closed_by|type) == "string"))'
req "${A[@]}" "$T?per_page=100&filters%5Bstatus_type%5D=open"
check "filters[status_type]=open (url-encoded brackets) -> new+active" jqb '.tickets.total > 0 and (.tickets.data | all(.[]; .status == "new" or .status == "active"))'
req "${A[@]}" "$T?per_page=100&search=status:closed"
check "search=status:closed" jqb ".tickets.total == $CLOSED"
req "${A[@]}" "$T?per_page=100&search=Invoice"
check "search=Invoice (title substring)" jqb '.tickets.total > 0 and (.tickets.data | all(.[]; .title|test("Invoice")))'
req "${A[@]}" "$T/5"
check "GET /tickets/5" jqb '.ticket.id == 5'
req "${A[@]}" "$T/999"
check "GET /tickets/999 -> 422 bare JSON string" jqb 'type == "string" and startswith("No query results for model")'
is "$CODE" 422 || fail "tickets/999 status $CODE"
req "${A[@]}" "$F/wp-json/fluent-support/v2/nope"
check "unknown route -> 404 rest_no_route" jqb '.code == "rest_no_route" and .data.status == 404'

# time zones / date formats
ctl "$F" reset '{"timezone":"UTC"}'
req "${A[@]}" "$T/1"; C_UTC=$(jq -r '.ticket.created_at' "$TMP/b")
ctl "$F" reset '{"timezone":"Asia/Dhaka","keep_data":true}'
req "${A[@]}" "$T/1"; C_DHK=$(jq -r '.ticket.created_at' "$TMP/b")
check "timezone changed later (keep_data): iso created_at shifts -6h ($C_UTC -> $C_DHK)" \
    jq -n -e --arg a "$C_UTC" --arg b "$C_DHK" '($a|sub("\\+00:00$";"Z")|fromdate) - ($b|sub("\\+00:00$";"Z")|fromdate) == 21600'
ctl "$F" reset '{"timezone":"","gmt_offset":5.5}'
req "$F/wp-json/"
check "manual offset: gmt_offset 5.5, timezone_string \"\"" jqb '.gmt_offset == 5.5 and .timezone_string == ""'
ctl "$F" reset '{"date_format":"mysql"}'
req "${A[@]}" "$T?per_page=5"
check "mysql date mode: raw created_at/updated_at" jqb '.tickets.data | all(.[]; (.created_at|test("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d$")) and (.updated_at|test("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d$")))'
ctl "$F" reset '{}'

# control: upsert / delete
req "${A[@]}" "$T/1"; TITLE1=$(jq -r '.ticket.title' "$TMP/b")
ctl "$F" tickets '{"tickets":[{"id":1,"priority":"urgent"},{"id":1000,"status":"closed","title":"Injected","resolved_at":"2026-11-20 10:00:00","closed_by":"3","created_at":"2026-11-20T00:00:00Z"}]}'
req "${A[@]}" "$T/1"
check "upsert merges into existing ticket" jqb --arg t "$TITLE1" '.ticket.priority == "urgent" and .ticket.title == $t'
req "${A[@]}" "$T/1000"
check "upsert creates ticket with defaults" jqb '.ticket.title == "Injected" and .ticket.closed_by == "3" and .ticket.agent == null and .ticket.resolved_at == "2026-11-20 10:00:00" and .ticket.created_at == "2026-11-20T00:00:00+00:00" and .ticket.customer.id == 7'
ctl "$F" tickets '{"delete":[1000]}'
req "${A[@]}" "$T/1000"
check "deleted ticket -> 422" is "$CODE" 422

# faults
ctl "$F" reset '{}'
ctl "$F" fault '{"kind":"429","retry_after":7}'
req "${A[@]}" "$T"
check "fault 429 with Retry-After: 7" is "$CODE:$(hdr Retry-After)" "429:7"
req "${A[@]}" "$T"
check "fault consumed -> 200" is "$CODE" 200
ctl "$F" fault '{"kind":"500","message":"boom"}'
req "${A[@]}" "$T"
check "fault 500 JSON message" jqb '.message == "boom"'
is "$CODE" 500 || fail "fault 500 status $CODE"
ctl "$F" fault '{"kind":"502html"}'
req "${A[@]}" "$T"
check "fault 502html -> 502 text/html" is "$CODE:$(hdr Content-Type)" "502:text/html"
ctl "$F" fault '{"kind":"html200"}'
req "${A[@]}" "$T"
check "fault html200 -> 200 with <div id=\"error\"> before JSON" grep -q '^<div id="error">.*</div>{"tickets":' "$TMP/b"
ctl "$F" fault '{"kind":"truncated"}'
req "${A[@]}" "$T"
check "fault truncated -> curl exit 18 (partial file)" is "$CURLRC" 18
ctl "$F" fault '{"kind":"notjson"}'
req "${A[@]}" "$T"
check "fault notjson -> 200 HTML" bash -c "[ $CODE = 200 ] && grep -q '^<html>' '$TMP/b' && ! jq -e . '$TMP/b' >/dev/null 2>&1"
ctl "$F" fault '{"kind":"drop"}'
req "${A[@]}" "$T"
check "fault drop -> curl exit 52 (empty reply)" is "$CURLRC" 52
ctl "$F" fault '{"kind":"slow","delay":1.2}'
t0=$(now_s); req "${A[@]}" "$T"; t1=$(now_s)
check "fault slow 1.2 s then 200" awk -v e="$(elapsed "$t0" "$t1")" -v c="$CODE" 'BEGIN { exit !(e >= 1.1 && c == 200) }'
ctl "$F" fault '{"kind":"401"}'
req "${A[@]}" "$T"
check "fault 401 with good auth -> rest_forbidden 401" jqb '.code == "rest_forbidden" and .data.status == 401'
ctl "$F" fault '{"kind":"403"}'
req "${A[@]}" "$T"
check "fault 403 -> rest_forbidden 403" jqb '.data.status == 403'
is "$CODE" 403 || fail "fault 403 status $CODE"
ctl "$F" fault '{"kind":"500","on_page":2}'
req "${A[@]}" "$T?page=1"; c1=$CODE
req "${A[@]}" "$F/wp-json/"; c0=$CODE
req "${A[@]}" "$T?page=2"; c2=$CODE
req "${A[@]}" "$T?page=2"; c3=$CODE
check "fault on_page=2 hits only page 2, once ($c1 $c0 $c2 $c3)" is "$c1 $c0 $c2 $c3" "200 200 500 200"
ctl "$F" fault '{"kind":"500","count":2}'
ctl "$F" fault '{"kind":"502html"}'
req "${A[@]}" "$T"; c1=$CODE; req "${A[@]}" "$T"; c2=$CODE; req "${A[@]}" "$T"; c3=$CODE; req "${A[@]}" "$T"; c4=$CODE
check "fault queue FIFO with count ($c1 $c2 $c3 $c4)" is "$c1 $c2 $c3 $c4" "500 500 502 200"

# stats
ctl "$F" reset '{}'
for p in 1 2 3; do req "${A[@]}" "$T?per_page=15&page=$p"; done
req "$F/__control/stats"
check "stats: requests 3, pages [1,2,3], queries, max_page 3" jqb '.requests == 3 and .pages == [1,2,3] and .queries[2] == "per_page=15&page=3" and .max_page == 3 and .faults_pending == 0 and (.log|length) == 3'

# keep-alive: two URLs in one curl invocation share the connection
KA=$(curl -sS --max-time 20 "${A[@]}" -o /dev/null -o /dev/null -w '%{num_connects} ' "$T?page=1" "$T?page=2")
check "HTTP/1.1 keep-alive reuses the connection (num_connects: $KA)" is "$KA" "1 0 "

# Authorization never logged
check "Authorization header not logged" bash -c "! grep -qi 'basic\\|YWRtaW4' '$TMP/fake_fluent.py.log'"

########################################################################## Freshservice
echo "# fake_fresh.py"
start fake_fresh.py --tickets 200 --agents 8 --now "$NOW" --api-key KEY123
SPID=$LASTPID
S="http://127.0.0.1:$PORT"
ST="$S/api/v2/tickets"
K=(-u "KEY123:X")

req "$ST"
check "no auth -> 401 invalid_credentials" jqb '.code == "invalid_credentials"'
is "$CODE" 401 || fail "no auth status $CODE"
check "rate-limit headers on 401" is "$(hdr X-Ratelimit-Total):$(hdr X-Freshservice-Api-Version)" "400:latest=v2; requested=v2"
req -u WRONG:X "$ST"
check "wrong key -> 401" is "$CODE" 401
req "${K[@]}" "$ST"
check "default list: 30 tickets, no stats key, no total" jqb '(.tickets|length) == 30 and (.tickets|all(.[]; has("stats")|not)) and (has("total")|not)'
check "timestamps UTC ...Z, int fields" jqb '.tickets | all(.[]; (.created_at|test("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$")) and (.updated_at|test("Z$")) and (.id|type) == "number" and (.status|type) == "number" and .status >= 2 and .status <= 5)'
check "default order: created_at desc" jqb '[.tickets[].created_at] == ([.tickets[].created_at]|sort|reverse)'
check "Used-CurrentRequest 1 without include" is "$(hdr X-Ratelimit-Used-CurrentRequest)" 1

# page through the default window and through updated_since
count_all() {  # count_all QUERY -> prints the number of tickets over all pages
    local q=$1 page=1 n=0 c
    while [ $page -le 50 ]; do
        req "${K[@]}" "$ST?$q&page=$page"
        [ "$CODE" = 200 ] || { echo "ERR$CODE"; return; }
        c=$(jq '.tickets|length' "$TMP/b"); n=$((n + c))
        grep -qi '^link:' "$TMP/h" || break
        page=$((page + 1))
    done
    echo $n
}
NDEF=$(count_all "per_page=100")
NALL=$(count_all "per_page=100&updated_since=2000-01-01")
check "default list = created in last 30 days only ($NDEF of $NALL)" bash -c "[ '$NALL' = 200 ] && [ '$NDEF' -gt 0 ] && [ '$NDEF' -lt 200 ]"
req "${K[@]}" "$ST?per_page=100"
check "default window: all created_at >= now-30d" jqb '.tickets | all(.[]; .created_at >= "2026-10-22T12:00:00Z")'

req "${K[@]}" "$ST?per_page=10&order_type=asc&updated_since=2000-01-01"
LINK=$(hdr Link)
check "Link keeps the query, page appended: $LINK" is "$LINK" "<$ST?per_page=10&order_type=asc&updated_since=2000-01-01&page=2>; rel=\"next\""
check "order_type=asc" jqb '[.tickets[].created_at] == ([.tickets[].created_at]|sort) and .tickets[0].id == 1'
req "${K[@]}" "$ST?page=3&per_page=10&updated_since=2000-01-01"
check "Link replaces page in place" is "$(hdr Link)" "<$ST?page=4&per_page=10&updated_since=2000-01-01>; rel=\"next\""
req "${K[@]}" "$ST?per_page=100&updated_since=2000-01-01&page=2"
check "last page has no Link" bash -c "! grep -qi '^link:' '$TMP/h'"
req "${K[@]}" "$ST?per_page=100&updated_since=2000-01-01&page=9"
check "page past the end -> []" jqb '.tickets == []'

req "${K[@]}" "$ST?include=stats&per_page=100&updated_since=2000-01-01"
check "include=stats: stats object with all keys" jqb '.tickets | all(.[]; .stats | has("closed_at") and has("resolved_at") and has("first_responded_at") and has("agent_responded_at") and has("requester_responded_at") and has("status_updated_at") and has("reopened_at") and has("pending_since"))'
check "include=stats costs 3" is "$(hdr X-Ratelimit-Used-CurrentRequest)" 3
check "data: resolved-only closed, closed-only, status 4 resolved" jqb '.tickets | any(.[]; .status == 5 and .stats.closed_at == null and .stats.resolved_at != null) and any(.[]; .status == 5 and .stats.resolved_at == null and .stats.closed_at != null) and all(.[]; .status != 4 or (.stats.resolved_at != null and .stats.closed_at == null))'
check "data: updated_at >= closed/resolved, some edited days later, null responders, other groups" jqb '.tickets | all(.[]; .updated_at >= (.stats.closed_at // "") and .updated_at >= (.stats.resolved_at // "")) and any(.[]; .stats.closed_at != null and ((.updated_at|fromdate) - (.stats.closed_at|fromdate)) > 86400) and any(.[]; .responder_id == null) and any(.[]; .group_id == 14000099901 or .group_id == 14000099902) and any(.[]; .group_id == 14000012345)'

for pp in 101 0 abc -1; do
    req "${K[@]}" "$ST?per_page=$pp"
    check "per_page=$pp -> 400 Validation failed" jqb '.description == "Validation failed" and .errors == [{"field":"per_page","message":"It should be a/an Positive Integer less than or equal to 100","code":"invalid_value"}]'
done
req "${K[@]}" "$ST?order_type=up"
check "order_type=up -> 400" is "$CODE" 400

U1=$(count_all "per_page=100&updated_since=2026-11-10T10:00:00Z")
U2=$(count_all "per_page=100&updated_since=2026-11-10T16:00:00%2B06:00")
U3=$(count_all "per_page=100&updated_since=2026-11-10T10:00")
U4=$(count_all "per_page=100&updated_since=2026-11-10")
check "updated_since formats agree (Z=$U1 +06:00=$U2 no-zone=$U3 date=$U4)" bash -c "[ $U1 = $U2 ] && [ $U1 = $U3 ] && [ $U4 -ge $U1 ] && [ $U1 -gt 0 ]"
req "${K[@]}" "$ST?per_page=100&updated_since=2026-11-10T10:00:00Z"
check "updated_since filters updated_at" jqb '.tickets | all(.[]; .updated_at >= "2026-11-10T10:00:00Z")'
req "${K[@]}" "$ST?updated_since=2026-11-10T16:00:00+06:00"
check "unencoded + in updated_since -> 400" is "$CODE" 400
req "${K[@]}" "$ST?filter=deleted"
check "filter=deleted -> []" jqb '.tickets == []'
req "${K[@]}" "$ST?filter=new_and_my_open"
check "other filter ignored" jqb '(.tickets|length) == 30'

req "${K[@]}" "$S/api/v2/agents?per_page=3"
check "agents sorted by first name (case-insensitive), Link" jqb '[.agents[].first_name|ascii_downcase] == ([.agents[].first_name|ascii_downcase]|sort) and (.agents|length) == 3 and (.agents[0]|has("email") and has("active") and has("last_name"))'
check "agents Link header" is "$(hdr Link)" "<$S/api/v2/agents?per_page=3&page=2>; rel=\"next\""
req "${K[@]}" "$S/api/v2/agents?per_page=3&page=3"
check "agents last page: no Link" bash -c "! grep -qi '^link:' '$TMP/h' && [ \$(jq '.agents|length' '$TMP/b') = 2 ]"

ctl "$S" tickets '{"tickets":[{"id":5000,"status":5,"responder_id":21000000002,"group_id":14000012345,"created_at":"2026-11-21T17:30:00+06:00","updated_at":"2026-11-21T11:55:00Z","stats":{"closed_at":"2026-11-21T17:50:00+06:00","resolved_at":"2026-11-21T11:49:00Z"}}]}'
req "${K[@]}" "$ST/5000?include=stats"
check "control upsert with stats, times normalised" jqb '.ticket.stats.closed_at == "2026-11-21T11:50:00Z" and .ticket.created_at == "2026-11-21T11:30:00Z" and .ticket.status == 5 and .ticket.stats.pending_since == null'
req "${K[@]}" "$ST?per_page=1"
check "upserted ticket is newest in default list" jqb '.tickets[0].id == 5000'
ctl "$S" tickets '{"tickets":[{"id":5000,"stats":{"reopened_at":"2026-11-21T11:00:00Z"}}]}'
req "${K[@]}" "$ST/5000?include=stats"
check "stats merge keeps old keys" jqb '.ticket.stats.closed_at == "2026-11-21T11:50:00Z" and .ticket.stats.reopened_at == "2026-11-21T11:00:00Z"'
ctl "$S" agents '{"agents":[{"id":1,"first_name":"Aaron","last_name":"First","email":"aaron@example.test","active":true}]}'
req "${K[@]}" "$S/api/v2/agents?per_page=1"
check "control agents upsert" jqb '.agents[0].id == 1 and .agents[0].first_name == "Aaron"'

# rate limiting
ctl "$S" reset '{"rate_per_minute":5,"window_seconds":3}'
codes=""
for i in 1 2 3 4 5 6; do req "${K[@]}" "$S/api/v2/agents"; codes="$codes$CODE "; done
check "rate limit 5/window: 6th call -> 429 ($codes)" is "$codes" "200 200 200 200 200 429 "
RA=$(hdr Retry-After)
check "429 body + Retry-After in 1..3 ($RA) + Remaining 0" bash -c "jq -e '.message == \"You have exceeded the limit of requests per minute\"' '$TMP/b' >/dev/null && [ '$RA' -ge 1 ] && [ '$RA' -le 3 ] && [ '$(hdr X-Ratelimit-Remaining)' = 0 ]"
sleep "$RA"; sleep 0.3
req "${K[@]}" "$S/api/v2/agents"
check "after Retry-After the window resets -> 200" is "$CODE:$(hdr X-Ratelimit-Remaining)" "200:4"
ctl "$S" reset '{"list_rate_per_minute":3,"window_seconds":5}'
req "${K[@]}" "$ST?include=stats"; c1=$CODE
req "${K[@]}" "$ST"; c2=$CODE
req "${K[@]}" "$S/api/v2/agents"; c3=$CODE
check "list limit: include=stats costs 3 of 3 -> next tickets list 429, agents list ok ($c1 $c2 $c3)" is "$c1 $c2 $c3" "200 429 200"
ctl "$S" reset '{"rate_per_minute":2,"window_seconds":5}'
req -u BAD:X "$ST"; req -u BAD:X "$ST"; req "${K[@]}" "$ST"
check "invalid calls count against the limit" is "$CODE" 429

# faults
ctl "$S" reset '{}'
ctl "$S" fault '{"kind":"429","retry_after":2}'
req "${K[@]}" "$ST"
check "fault 429 Retry-After 2 + rate body" bash -c "[ $CODE = 429 ] && [ '$(hdr Retry-After)' = 2 ] && jq -e '.message' '$TMP/b' >/dev/null"
ctl "$S" fault '{"kind":"500"}'
req "${K[@]}" "$ST"
check "fault 500" is "$CODE" 500
ctl "$S" fault '{"kind":"502html"}'
req "${K[@]}" "$ST"
check "fault 502html" is "$CODE:$(hdr Content-Type)" "502:text/html"
ctl "$S" fault '{"kind":"truncated"}'
req "${K[@]}" "$ST"
check "fault truncated -> curl 18" is "$CURLRC" 18
ctl "$S" fault '{"kind":"notjson"}'
req "${K[@]}" "$ST"
check "fault notjson" bash -c "[ $CODE = 200 ] && ! jq -e . '$TMP/b' >/dev/null 2>&1"
ctl "$S" fault '{"kind":"drop"}'
req "${K[@]}" "$ST"
check "fault drop -> curl 52" is "$CURLRC" 52
ctl "$S" fault '{"kind":"401"}'
req "${K[@]}" "$ST"
check "fault 401" jqb '.code == "invalid_credentials"'
ctl "$S" fault '{"kind":"slow","delay":1}'
t0=$(now_s); req "${K[@]}" "$ST"; t1=$(now_s)
check "fault slow 1 s" awk -v e="$(elapsed "$t0" "$t1")" -v c="$CODE" 'BEGIN { exit !(e >= 0.9 && c == 200) }'
curl -sS --max-time 20 -o /dev/null "$S/__control/stats?reset=1"
ctl "$S" fault '{"kind":"500","on_page":2,"path":"/api/v2/tickets"}'
req "${K[@]}" "$S/api/v2/agents?per_page=3&page=2"; c0=$CODE
req "${K[@]}" "$ST?page=1"; c1=$CODE
req "${K[@]}" "$ST?page=2"; c2=$CODE
req "${K[@]}" "$ST?page=2"; c3=$CODE
check "fault on_page=2 + path ($c0 $c1 $c2 $c3)" is "$c0 $c1 $c2 $c3" "200 200 500 200"
req "$S/__control/stats"
check "stats pages/queries/max_page" jqb '.pages == [1,2,2] and .queries[0] == "page=1" and .max_page == 2 and .requests == 4 and .faults_pending == 0'

########################################################################## shutdown
for pair in "fake_fluent:$FPID" "fake_fresh:$SPID"; do
    name=${pair%%:*}; pid=${pair##*:}
    kill -TERM "$pid"
    rc=timeout
    for _ in $(seq 50); do
        if ! kill -0 "$pid" 2>/dev/null; then wait "$pid"; rc=$?; break; fi
        sleep 0.1
    done
    check "$name exits 0 on SIGTERM (rc=$rc)" is "$rc" 0
done

########################################################################## performance (optional)
if [ "${SELFTEST_PERF:-0}" = 1 ]; then
    echo "# performance: 100000 tickets, 1000 pages of 100"
    start fake_fluent.py --tickets 10 --quiet
    F="http://127.0.0.1:$PORT"
    T="$F/wp-json/fluent-support/v2/tickets"
    t0=$(now_s)
    ctl "$F" reset '{"tickets":100000}'
    t1=$(now_s)
    echo "#   generating 100000 tickets: $(elapsed "$t0" "$t1") s"
    t0=$(now_s)
    bad=0
    : >"$TMP/perf1"
    for p in $(seq 1000); do
        curl -sS --max-time 30 "${A[@]}" -o /dev/null -w '%{http_code} %{time_total} %{size_download}\n' \
            "$T?per_page=100&page=$p" >>"$TMP/perf1" || bad=$((bad + 1))
    done
    t1=$(now_s)
    E1=$(elapsed "$t0" "$t1")
    bad=$((bad + $(awk '$1 != 200' "$TMP/perf1" | wc -l)))
    IN1=$(awk '{ s += $2 } END { printf "%.2f", s }' "$TMP/perf1")
    MB1=$(awk '{ s += $3 } END { printf "%d", s / 1048576 }' "$TMP/perf1")
    echo "#   1000 pages, one curl process per page: $E1 s wall, $IN1 s summed curl time_total, $MB1 MiB"
    args=()
    for p in $(seq 1000); do args+=(-o /dev/null "$T?per_page=100&order_type=ASC&page=$p"); done
    t0=$(now_s)
    curl -sS --max-time 300 "${A[@]}" -w '%{http_code} %{num_connects} %{size_download}\n' \
        "${args[@]}" >"$TMP/perf2" || bad=$((bad + 1))
    t1=$(now_s)
    E2=$(elapsed "$t0" "$t1")
    bad=$((bad + $(awk '$1 != 200' "$TMP/perf2" | wc -l)))
    CONN=$(awk '{ s += $2 } END { print s }' "$TMP/perf2")
    MB2=$(awk '{ s += $3 } END { printf "%d", s / 1048576 }' "$TMP/perf2")
    echo "#   1000 pages in one curl on one keep-alive connection: $E2 s ($MB2 MiB, $CONN connect(s))"
    check "perf: 1000 pages served without errors" is "$bad" 0
    check "perf: 1000 pages in < 120 s (loop $E1 s, keep-alive $E2 s)" awk -v e="$E1" 'BEGIN { exit !(e < 120) }'
fi

echo "# passed $PASSES, failed $FAILS"
[ "$FAILS" = 0 ]
