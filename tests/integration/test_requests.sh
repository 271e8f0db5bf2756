#!/usr/bin/env bash
# The request list: filters, sorting, offset pages and keyset cursors.
. "$(dirname "$0")/../lib.sh"

reset_db
fluent_ctl reset '{"tickets":230,"now":"2026-11-20T12:00:00Z","spacing_minutes":30}'
fluent_ctl fault '{"clear":true}'
sync_fluent '{"dateFilter":"2020-01-01"}'

t_case "the list is newest first with total, limit and offset"
http GET "/api/requests?limit=10"
t_eq "$STATUS" 200 status
t_eq "$(jqb '.total')" 230 total
t_eq "$(jqb '.requests | length')" 10 rows
t_eq "$(jqb '[.requests[] | .date + " " + .time] | . == (sort | reverse)')" true "sorted newest first"
t_match "$(jqb '.nextCursor')" '^[0-9]{4}-[0-9]{2}-[0-9]{2}\.[0-9:]{8}\.[0-9]+$' nextCursor
t_eq "$(jqb '[.requests[] | keys | join(",")] | unique | join(" ")')" \
    "category,category_edited,created_at,date,description,effort,hours,id,month_year,request_type,source,status,time,updated_at,urgency,website_url" \
    "each row has the request fields, and no more"
t_eq "$(grep -c '": \|, "' "$BODY")" 0 "compact JSON, no spaces between members"

t_case "a page larger than a FastCGI record comes whole, with its length, again and again"
# 230 rows are about 95 KB: more than one record (65,535 bytes) and far
# more than libfcgi's 8 KB buffer, so the program writes the records
# itself; nginx keeps the connection for the next page.
for i in 1 2 3; do
	http GET "/api/requests?limit=500"
	t_eq "$STATUS" 200 "status, page $i"
	size=$(wc -c <"$BODY")
	[ "$size" -gt 65536 ] || t_fail "page $i is only $size bytes"
	t_eq "$(header Content-Length)" "$size" "Content-Length, page $i"
	t_eq "$(jqb '.requests | length')" 230 "rows, page $i"
	t_eq "$(jqb '[.requests[].id] | unique | length')" 230 "distinct rows, page $i"
done
http GET "/api/requests?limit=1"
t_eq "$(header Content-Length)" "$(wc -c <"$BODY")" "Content-Length, a small page"
http GET "/api/requests?limit=0"
t_eq "$STATUS" 400 "limit=0"
t_eq "$(header Content-Length)" "$(wc -c <"$BODY")" "Content-Length, an error"

# walk QUERY PAGES: the ids of at most PAGES pages of /api/requests?QUERY,
# each asked with the nextCursor of the one before, in ids_cursor.
walk() {
	local cur=""
	ids_cursor=""
	for _ in $(seq 1 "$2"); do
		http GET "/api/requests?$1${cur:+&cursor=$cur}"
		ids_cursor="$ids_cursor $(jqb '[.requests[].id] | join(" ")')"
		cur=$(jqb '.nextCursor // empty')
		[ -z "$cur" ] && break
	done
}

t_case "walking with nextCursor gives the same rows as offsets"
walk "limit=50" 10
ids_offset=""
for off in 0 50 100 150 200; do
	http GET "/api/requests?limit=50&offset=$off"
	ids_offset="$ids_offset $(jqb '[.requests[].id] | join(" ")')"
done
t_eq "$(echo $ids_cursor | wc -w)" 230 "rows seen through cursors"
t_eq "$(echo $ids_cursor)" "$(echo $ids_offset)" "same order"

t_case "date cursors split rows of one date and one time as offsets do, both orders"
# Ties on date and on time are broken by id; a page of 3 ends inside them.
sql "DELETE FROM requests WHERE source = 'phone';
    INSERT INTO requests (date, time, description, source, urgency)
    SELECT '2019-06-01', '10:00:00', CONCAT('tie ', seq), 'phone', 'LOW'
    FROM seq_1_to_7;
    INSERT INTO requests (date, time, description, source, urgency)
    SELECT '2019-06-01', '09:00:00', CONCAT('early ', seq), 'phone', 'LOW'
    FROM seq_1_to_3;
    INSERT INTO requests (date, time, description, source, urgency)
    SELECT '2019-06-02', '00:00:00', CONCAT('next day ', seq), 'phone', 'LOW'
    FROM seq_1_to_3"
for order in asc desc; do
	walk "source=phone&order=$order&limit=3" 8
	http GET "/api/requests?source=phone&order=$order&limit=13"
	t_eq "$(echo $ids_cursor)" "$(jqb '[.requests[].id] | join(" ")')" "$order: cursor pages"
	t_eq "$(echo $ids_cursor | wc -w)" 13 "$order: every row once"
done
sql "DELETE FROM requests WHERE source = 'phone'"

t_case "cursor by id, ascending, with a filter"
http GET "/api/requests?sort=id&order=asc&limit=5&urgency=HIGH"
first=$(jqb '[.requests[].id] | join(",")')
cur=$(jqb '.nextCursor')
http GET "/api/requests?sort=id&order=asc&limit=5&urgency=HIGH&cursor=$cur"
t_eq "$(jqb '[.requests[] | select(.urgency != "HIGH")] | length')" 0 "filter kept"
t_eq "$(jqb --arg c "$cur" '[.requests[].id | select(. <= ($c | tonumber))] | length')" 0 "after the cursor"
t_eq "$(jqb '.total')" "$(sql "SELECT COUNT(*) FROM requests WHERE urgency='HIGH'")" "a cursor page's total follows the filter"

t_case "filters: source, urgency, category, dates, text"
http GET "/api/requests?source=fluent&urgency=LOW&limit=500"
t_eq "$(jqb '[.requests[] | select(.urgency != "LOW" or .source != "fluent")] | length')" 0 "source and urgency"
t_eq "$(jqb '.total')" "$(sql "SELECT COUNT(*) FROM requests WHERE urgency='LOW'")" "total follows the filter"
http GET "/api/requests?category=Hosting&limit=500"
t_eq "$(jqb '.total')" "$(sql "SELECT COUNT(*) FROM requests WHERE category='Hosting'")" category
d=$(sql "SELECT MAX(date) FROM requests")
http GET "/api/requests?date_from=$d&date_to=$d&limit=500"
t_eq "$(jqb '.total')" "$(sql "SELECT COUNT(*) FROM requests WHERE date='$d'")" "date range"
t_eq "$(jqb "[.requests[] | select(.date != \"$d\")] | length")" 0 "only that day"
http GET "/api/requests?q=100%25&limit=500"
t_eq "$(jqb '.total')" "$(sql "SELECT COUNT(*) FROM requests WHERE description LIKE '%100!%%' ESCAPE '!'")" "a % in the search is literal"

t_case "sorting by each column"
for s in urgency category hours source description website_url id date; do
	http GET "/api/requests?sort=$s&order=asc&limit=3"
	[ "$STATUS" = 200 ] || t_fail "sort=$s: $STATUS"
	[ "$(jqb '.sort')" = "$s" ] || t_fail "sort=$s echoed"
done

t_case "total is exact up to 1000 rows, then capped and said so"
http GET "/api/requests?limit=1"
t_eq "$(jqb '.totalCapped')" false "not capped"
sql "INSERT INTO requests (date, time, description, source, urgency)
    SELECT DATE('2020-01-01') + INTERVAL (seq % 300) DAY, '12:00:00',
    CONCAT('bulk ', seq), 'sms', 'LOW' FROM seq_1_to_1050"
http GET "/api/requests?limit=5"
t_eq "$(jqb '.total'),$(jqb '.totalCapped')" "1000,true" "capped"
http GET "/api/requests?limit=5&source=fluent"
t_eq "$(jqb '.total'),$(jqb '.totalCapped')" "230,false" "a filter under the cap is exact"
# A short last page gives the total without counting; past the end counts.
http GET "/api/requests?limit=100&offset=200&source=fluent"
t_eq "$(jqb '.requests | length'),$(jqb '.total'),$(jqb '.totalCapped')" "30,230,false" "short last page"
http GET "/api/requests?limit=100&offset=500&source=fluent"
t_eq "$(jqb '.requests | length'),$(jqb '.total')" "0,230" "past the end"
http GET "/api/requests?limit=100&offset=1200"
t_eq "$(jqb '.requests | length'),$(jqb '.total'),$(jqb '.totalCapped')" "80,1000,true" "short page past the cap"
http GET "/api/requests?limit=5&sort=id&order=asc&source=sms"
cur=$(jqb .nextCursor)
http GET "/api/requests?limit=5&sort=id&order=asc&source=sms&cursor=$cur"
t_eq "$(jqb '[.requests[].description] | join(",")')" "bulk 6,bulk 7,bulk 8,bulk 9,bulk 10" "cursor pages through filtered bulk rows"
sql "DELETE FROM requests WHERE source = 'sms'"

t_case "bad cursors"
for c in "x" "2026-11-20.10:00:00" "2026-13-20.10:00:00.5" "2026-11-20.1a:00:00.5" "2026-11-20.10:00:00.-1"; do
	http GET "/api/requests?cursor=$c"
	[ "$STATUS" = 400 ] || t_fail "cursor $c: $STATUS"
done
http GET "/api/requests?cursor=5&sort=urgency"
t_eq "$STATUS" 400 "cursor with another sort"
http GET "/api/requests?cursor=2026-11-20.10:00:00.5&offset=10"
t_eq "$STATUS" 400 "cursor and offset"
t_match "$(jqb .error)" '^cursor: ' "names the field"

t_case "a request's text and hours come back byte for byte, in the list and after an edit"
http GET "/api/requests?limit=1&sort=id&order=asc"
rid=$(jqb '.requests[0].id')
# Quote, backslash, control characters, non-ASCII and U+2028, as a
# provider's ticket may carry them.
sql "UPDATE requests SET description = CONCAT('q\"b\\\\s ', CHAR(1), CHAR(31),
    CHAR(9), CHAR(10), _utf8mb4 0xC3A9E280A8, ' </x>') WHERE id = $rid"
want=$(sql "SELECT LOWER(HEX(description)) FROM requests WHERE id = $rid")
http GET "/api/requests?limit=1&sort=id&order=asc"
t_eq "$STATUS" 200 status
t_eq "$(jq -j '.requests[0].description' <"$BODY" | od -An -tx1 | tr -d ' \n')" \
    "$want" "the description, decoded, is the stored bytes"
http PATCH "/api/requests/$rid" -H 'Content-Type: application/json' -d '{"hours":0.1}'
t_eq "$STATUS" 200 "PATCH"
t_eq "$(jqb '.id')" "$rid" "the edit answers with the request"
t_eq "$(jqb 'keys | join(",")')" \
    "category,category_edited,created_at,date,description,effort,hours,id,month_year,request_type,source,status,time,updated_at,urgency,website_url" \
    "with the fields of the list"
t_eq "$(jq -j '.description' <"$BODY" | od -An -tx1 | tr -d ' \n')" "$want" \
    "and the same description"
t_match "$(cat "$BODY")" '"hours": ?0\.1[,}]' "hours written as 0.1"
http GET "/api/requests?limit=1&sort=id&order=asc"
t_match "$(cat "$BODY")" '"hours": ?0\.1[,}]' "the list writes 0.1 too"
http PATCH "/api/requests/$rid" -H 'Content-Type: application/json' -d '{"hours":null}'
http GET "/api/requests?limit=1&sort=id&order=asc"
t_match "$(cat "$BODY")" '"hours": ?null[,}]' "cleared hours are null"

t_case "repeated reads come from MariaDB's query cache; an edit and a sync show at once"
qc_hits() { mariadb --no-defaults --socket="$DB_SOCKET" -u "$DB_ADMIN" -N -B \
    -e "SHOW GLOBAL STATUS LIKE 'Qcache_hits'" | cut -f2; }
http GET "/api/requests?limit=3&source=fluent"
first=$(cat "$BODY")
rid=$(jqb '.requests[0].id')
h0=$(qc_hits)
http GET "/api/requests?limit=3&source=fluent"
t_eq "$(cat "$BODY")" "$first" "same answer"
[ "$(qc_hits)" -gt "$h0" ] || t_fail "no query cache hit (Qcache_hits $h0 -> $(qc_hits))"
http PATCH "/api/requests/$rid" -H 'Content-Type: application/json' -d '{"hours":7.75}'
t_eq "$STATUS" 200 "PATCH"
http GET "/api/requests?limit=3&source=fluent"
t_eq "$(jqb '.requests[0].hours')" 7.75 "the edit shows in the next list"
http GET /api/fluent/status
run=$(jqb '.syncStatus.id')
http GET /api/fluent/status
t_eq "$(jqb '.syncStatus.id')" "$run" "status read twice"
fluent_ctl tickets '{"tickets":[{"id":900001,"title":"query cache probe"}]}'
sync_fluent '{"dateFilter":"2020-01-01"}'
t_eq "$STATUS" 200 "sync"
http GET /api/fluent/status
t_eq "$(jqb '.syncStatus.id')" "$((run + 1))" "the new run shows in status"
t_eq "$(jqb '.syncStatus.tickets_added')" 1 "with its new ticket"
http GET "/api/requests?limit=3&source=fluent"
t_eq "$(jqb '.total')" 231 "and in the list"

t_done
