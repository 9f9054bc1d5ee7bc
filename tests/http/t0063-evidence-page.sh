# t0063-evidence-page: the Evidence page and GET /api/v1/evidence (filters,
# cursor, roles), its raw-lines view, "Declare incident" prefilled from an
# item and "Attach to incident" (CSRF, editor, pinned so take-out keeps it).
. tests/http/lib.sh
hs_start
TOKEN=$("$HS_BIN" --db "$DB" token add api --scope write)
READ=$("$HS_BIN" --db "$DB" token add ro --scope read)
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'
login admin "$PW_ADMIN"
req POST /api/v1/components -b "$T/jar.admin" -H "X-CSRF-Token: $CSRF" -H "$JSON" -d '{"name":"Search"}'
# 60 alerts an hour apart, a ticket and a burst of errors; no incident.
i=0
{
  printf '['
  while [ $i -lt 60 ]; do
    [ $i -gt 0 ] && printf ','
    printf '{"title":"Search latency %d","kind":"alert","ts":"2026-10-%02dT%02d:00:00Z","key":"s%d","component":"search","source":"prom","level":"warning"}' $i $((i / 24 + 1)) $((i % 24)) $i
    i=$((i + 1))
  done
  printf ']'
} > "$T/alerts.json"
req POST /hooks/generic -H "$AUTH" -H "$JSON" --data-binary @"$T/alerts.json"
check "60 alerts kept" eq "$(jget .accepted)" 60
printf 'id,created_at,subject,body,requester,priority,status,tags\r\n7,2026-10-02T03:30:00Z,Search is slow <b>again</b>,x,ann,high,open,\r\n' > "$T/t.csv"
req POST "/api/v1/ingest?format=tickets-csv&source=helpdesk" -H "$AUTH" --data-binary @"$T/t.csv"
printf '{"ts":"2026-10-02T03:1%d:00Z","level":"error","msg":"shard 3 timed out after %d ms"}\n' 1 100 2 200 3 300 4 400 > "$T/app.jsonl"
req POST "/api/v1/ingest?format=jsonl&source=search-api" -H "$AUTH" --data-binary @"$T/app.jsonl"
check "error lines kept" eq "$(jget .accepted)" 4

req GET /api/v1/evidence -H "Authorization: Bearer $READ"
check "a read token may list evidence" eq "$STATUS" 200
check "a page is 50 items, newest first" eq "$(jget '.items | length') $(jget '.items[0].title')" "50 Search latency 59"
CUR=$(jget .next_cursor)
req GET "/api/v1/evidence?cursor=$CUR" -H "$AUTH"
check "the cursor gives the rest (60 alerts, a ticket, a signal)" eq "$(jget '.items | length') $(jget .next_cursor)" "12 null"
req GET "/api/v1/evidence?kind=ticket" -H "$AUTH"
check "filter by kind" eq "$(jget '[.items[].kind] | unique | join(",")') $(jget '.items | length')" "ticket 1"
req GET "/api/v1/evidence?kind=signal&source=search-api" -H "$AUTH"
check "filter by source: the burst became a signal" eq "$(jget '.items | length') $(jget '.items[0].count')" "1 4"
SIGNAL=$(jget '.items[0].id')
RAW=$(jget '.items[0].raw_url')
req GET "/api/v1/evidence?component=SEARCH&from=2026-10-01T00:00:00Z&to=2026-10-01T05:00:00Z" -H "$AUTH"
check "filter by component (any case) and time range" eq "$(jget '.items | length')" 5
req GET "/api/v1/evidence?kind=nope" -H "$AUTH"
check "a bad kind is 400" eq "$STATUS" 400
req GET "/api/v1/evidence?from=yesterday" -H "$AUTH"
check "a bad time is 400" eq "$STATUS" 400
req GET "/api/v1/evidence?cursor=x" -H "$AUTH"
check "a bad cursor is 400" eq "$STATUS" 400
req GET /api/v1/evidence
check "anonymous is refused" eq "$STATUS" 401

# The page and its raw lines.
login viewer "$PW_VIEWER"
req GET /app/evidence -b "$T/jar.viewer"
check "viewers see the page" eq "$STATUS" 200
check "it is in the navigation" contains "$T/body" '<a href="/app/evidence">Evidence</a>'
check "titles are escaped" contains "$T/body" 'Search is slow &lt;b&gt;again&lt;/b&gt;'
check "viewers get no actions" lacks "$T/body" 'Attach to incident'
req GET "$(echo "$RAW" | sed 's/&amp;/\&/g')" -b "$T/jar.viewer"
check "an item's raw lines open" contains "$T/body" 'shard 3 timed out after 300 ms'
check "on the raw-lines page" contains "$T/body" '<h1>Raw lines</h1>'
req GET "/api/v1/evidence/raw?from=2026-10-02T03:00:00Z&to=2026-10-02T04:00:00Z&source=search-api&q=200%20MS" -H "$AUTH"
check "raw lines by window, source and text" eq "$(jget '.lines | length') $(jget '.lines[0].line | test("200 ms")')" "1 true"
req GET "/api/v1/evidence/raw?source=x" -H "$AUTH"
check "raw lines need a window" eq "$STATUS" 400

# Declare from an item, then attach another one to it.
login editor "$PW_EDITOR"
req GET /app/evidence -b "$T/jar.editor"
check "editors get the actions" contains "$T/body" 'Declare incident'
req GET "/app/incidents/new?title=Search%20latency%2059&started_at=2026-10-03T11:00:00Z&component=search" -b "$T/jar.editor"
check "the declare form is prefilled: title" contains "$T/body" 'value="Search latency 59"'
check "start" contains "$T/body" 'name="started_at" value="2026-10-03T11:00:00'
check "and component" contains "$T/body" 'value="Search" checked'
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Search slow","started_at":"2026-10-03T11:00:00Z","components":["Search"]}'
ID=$(jget .id)
TICKET=$(sql "SELECT id FROM evidence WHERE kind = 'ticket'")
req POST "/app/evidence/$TICKET/attach" -b "$T/jar.editor" --data "incident_id=$ID"
check "attach needs the CSRF token" eq "$STATUS" 403
req POST "/app/evidence/$TICKET/attach" -b "$T/jar.editor" --data "csrf_token=$CSRF&incident_id=$ID"
check "attach redirects to the incident" eq "$STATUS" 303
check "the ticket is on its timeline, pinned" eq "$(sql "SELECT count(*), max(pinned) FROM events WHERE incident_id = $ID AND kind = 'ticket'")" "1|1"
req POST "/api/v1/evidence/$SIGNAL/attach" -H "Authorization: Bearer $READ" -H "$JSON" -d "{\"incident_id\":$ID}"
check "a read token cannot attach" eq "$STATUS" 403
req POST "/api/v1/evidence/$SIGNAL/attach" -H "$AUTH" -H "$JSON" -d "{\"incident_id\":$ID}"
check "attach over the API" eq "$STATUS $(jget .incident_id)" "200 $ID"
req POST "/api/v1/evidence/999999/attach" -H "$AUTH" -H "$JSON" -d "{\"incident_id\":$ID}"
check "unknown evidence is 404" eq "$STATUS" 404
req POST "/api/v1/evidence/$SIGNAL/attach" -H "$AUTH" -H "$JSON" -d '{"incident_id":"x"}'
check "a bad incident is 400" eq "$STATUS" 400
V=$(sql "SELECT version FROM incidents WHERE id = $ID")
req PATCH "/api/v1/incidents/$ID" -H "$AUTH" -H "$JSON" -H "If-Match: \"$V\"" -d '{"started_at":"2026-10-04T11:00:00Z","components":[]}'
check "a narrowing edit keeps what was attached by hand" eq "$(sql "SELECT count(*) FROM events WHERE incident_id = $ID AND kind IN ('ticket', 'signal')")" 2
req GET /api/v1/evidence?kind=ticket -H "$AUTH"
check "the list names the incidents holding an item" eq "$(jget '.items[0].incidents[0]')" "$ID"
hs_stop
