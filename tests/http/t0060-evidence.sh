# t0060-evidence: evidence kept before any incident and drawn in when one
# is declared (issue 16's "Done when"), take-out on narrowing edits that
# spares what a person pinned or edited, and the incident-free ingest door.
. tests/http/lib.sh
hs_start
TOKEN=$("$HS_BIN" --db "$DB" token add api --scope write)
HOOK=$("$HS_BIN" --db "$DB" token add am --scope ingest)
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'
login admin "$PW_ADMIN"
req POST /api/v1/components -b "$T/jar.admin" -H "X-CSRF-Token: $CSRF" -H "$JSON" -d '{"name":"Billing"}'
check "a component Billing" eq "$STATUS" 201

# 1. An alert for billing fires at 10:00, before any incident.
cat > "$T/am.json" <<'JSON'
{"version":"4","groupKey":"g","status":"firing","receiver":"hs","groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am","alerts":[{"status":"firing","labels":{"alertname":"BillingErrors","severity":"critical","service":"billing"},"annotations":{"summary":"Billing 5xx above 5%"},"startsAt":"2026-11-20T10:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"bill1"}]}
JSON
req POST /hooks/alertmanager -H "Authorization: Bearer $HOOK" -H "$JSON" --data-binary @"$T/am.json"
check "an alert with no incident is 200" eq "$STATUS" 200
check "and accepted, not rejected" eq "$(jget .accepted) $(jget .rejected)" "1 0"

# 2. A burst of 5xx lines (nginx) from 10:02 to 10:07, streamed in
# without an incident, after 20 quiet minutes.
awk 'BEGIN {
  for (m = 0; m < 30; m++) for (i = 0; i < 30; i++) {
    st = (m >= 22 && m < 28 && i % 2 == 0) ? 503 : 200;
    t = 9 * 3600 + 40 * 60 + m * 60 + i;
    printf "10.0.0.%d - - [20/Nov/2026:%02d:%02d:%02d +0000] \"POST /pay HTTP/1.1\" %d 128 \"-\" \"curl/8\"\n", i, int(t / 3600), int(t / 60) % 60, t % 60, st
  }
}' > "$T/edge.log"
req POST "/api/v1/ingest?format=nginx&source=billing-edge" -H "Authorization: Bearer $HOOK" --data-binary @"$T/edge.log"
check "the incident-free ingest door is 200" eq "$STATUS" 200
check "every line is kept" eq "$(jget .accepted) $(jget .rejected)" "900 0"

# 3. A ticket at 10:04.
printf 'id,created_at,subject,body,requester,priority,status,tags\r\n501,2026-11-20T10:04:00Z,Cannot pay my invoice,Card page errors,ann,urgent,open,billing\r\n' > "$T/t.csv"
req POST "/api/v1/ingest?format=tickets-csv" -H "$AUTH" --data-binary @"$T/t.csv"
check "a ticket with no incident is kept" eq "$(jget .accepted)" 1
check "nothing is on any timeline yet" eq "$(sql 'SELECT count(*) FROM events')" 0

# 4. Ten minutes after the alert someone declares the incident, with a
# start before all three. Nobody uploads anything after that.
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Billing down","started_at":"2026-11-20T09:58:00Z","detected_at":"2026-11-20T10:10:00Z","components":["Billing"]}'
check "declared" eq "$STATUS" 201
ID=$(jget .id)
req GET "/api/v1/incidents/$ID/events?limit=200" -H "$AUTH"
check "the timeline shows the alert" eq "$(jget '[.events[] | select(.kind == "alert" and (.title | test("BillingErrors")))] | length')" 1
check "the alert is still firing" eq "$(jget '[.events[] | select(.kind == "alert")][0].end_ts')" null
check "the timeline shows the 5xx signal" eq "$(jget '[.events[] | select(.kind == "signal" and (.title | test("5xx rate rose .* on billing-edge")))] | length')" 1
check "the timeline shows the ticket" eq "$(jget '[.events[] | select(.kind == "ticket" and .title == "Cannot pay my invoice")] | length')" 1
SIG=$(jget '[.events[] | select(.kind == "signal")][0].id')
req GET "/api/v1/events/$SIG/raw" -H "$AUTH"
check "the signal opens onto its 503 lines" eq "$(jget '[.lines[] | select(.line | test("\" 503 "))] | length')" "$(jget '.lines | length')"
check "all 90 of them" eq "$(jget '.lines | length')" 90
req GET "/api/v1/incidents/$ID/raw?q=POST" -H "$AUTH"
check "the incident's raw lines are its window and sources" eq "$(jget '.lines | length')" 200
check "paged with a cursor" test "$(jget .next_cursor)" != null
req GET "/api/v1/incidents/$ID/raw?cursor=nope" -H "$AUTH"
check "a bad cursor is 400" eq "$STATUS" 400
req GET "/app/incidents/$ID" -b "$T/jar.admin"
check "the chart draws the incident-free series" contains "$T/body" "requests, 15 5xx"
# The resolved notice arrives later: the same alert ends, on the timeline.
sed 's/"status":"firing","labels"/"status":"resolved","labels"/; s/"endsAt":"0001-01-01T00:00:00Z"/"endsAt":"2026-11-20T10:20:00Z"/' "$T/am.json" > "$T/am-res.json"
req POST /hooks/alertmanager -H "Authorization: Bearer $HOOK" -H "$JSON" --data-binary @"$T/am-res.json"
check "the resolved notice ends the drawn alert" eq "$(sql "SELECT count(*), count(end_ts) FROM events WHERE incident_id = $ID AND kind = 'alert'")" "1|1"

# 5. Take-out. A second incident, declared late; then its start moves
# earlier (draw-in), its component goes (the alert leaves) and comes back.
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Later look","started_at":"2026-11-20T11:00:00Z"}'
ID2=$(jget .id)
n() { sql "SELECT count(*) FROM events WHERE incident_id = $ID2 AND kind = '$1'"; }
check "nothing matches a start an hour later" eq "$(n alert)$(n signal)$(n ticket)" 000
req PATCH "/api/v1/incidents/$ID2" -H "$AUTH" -H "$JSON" -H 'If-Match: "1"' -d '{"started_at":"2026-11-20T09:59:00Z","components":["Billing"]}'
check "moving the start earlier draws evidence in" eq "$(n alert)$(n signal)$(n ticket)" 111
req PATCH "/api/v1/incidents/$ID2" -H "$AUTH" -H "$JSON" -H 'If-Match: "2"' -d '{"components":[]}'
check "removing the component takes its alert out" eq "$(n alert)$(n signal)$(n ticket)" 011
req PATCH "/api/v1/incidents/$ID2" -H "$AUTH" -H "$JSON" -H 'If-Match: "3"' -d '{"components":["Billing"]}'
check "adding it back draws the alert in again" eq "$(n alert)" 1
TK=$(sql "SELECT id FROM events WHERE incident_id = $ID2 AND kind = 'ticket'")
SG=$(sql "SELECT id FROM events WHERE incident_id = $ID2 AND kind = 'signal'")
req PATCH "/api/v1/events/$TK" -H "$AUTH" -H "$JSON" -H 'If-Match: "1"' -d '{"pinned":true}'
check "pin the ticket" eq "$STATUS" 200
req PATCH "/api/v1/events/$SG" -H "$AUTH" -H "$JSON" -H 'If-Match: "1"' -d '{"title":"The 5xx burst that paged us"}'
check "edit the signal" eq "$STATUS" 200
req PATCH "/api/v1/incidents/$ID2" -H "$AUTH" -H "$JSON" -H 'If-Match: "4"' -d '{"started_at":"2026-11-20T11:00:00Z"}'
check "a later start takes out the alert, keeps the pinned and the edited" eq "$(n alert)$(n signal)$(n ticket)" 011
check "the edited title stays" eq "$(sql "SELECT title FROM events WHERE id = $SG")" "The 5xx burst that paged us"
check "the first incident is untouched" eq "$(sql "SELECT count(*) FROM events WHERE incident_id = $ID AND kind IN ('alert', 'signal', 'ticket')")" 3

# Widening: a resolved incident ending before the evidence draws it in
# when resolved later, and when reopened.
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Earlier blip","started_at":"2026-11-20T08:00:00Z","mitigated_at":"2026-11-20T08:10:00Z","resolved_at":"2026-11-20T08:20:00Z","status":"resolved","components":["Billing"]}'
ID3=$(jget .id)
m() { sql "SELECT count(*) FROM events WHERE incident_id = $ID3 AND kind IN ('alert', 'signal', 'ticket')"; }
check "a window ending before the evidence holds none of it" eq "$(m)" 0
req PATCH "/api/v1/incidents/$ID3" -H "$AUTH" -H "$JSON" -H 'If-Match: "1"' -d '{"resolved_at":"2026-11-20T09:31:00Z"}'
check "resolving later draws in what the wider window holds" eq "$(m)" 1
req PATCH "/api/v1/incidents/$ID3" -H "$AUTH" -H "$JSON" -H 'If-Match: "2"' -d '{"status":"investigating","resolved_at":null,"mitigated_at":null}'
check "reopening draws in everything since" eq "$STATUS $(m)" "200 3"

# 6. The CLI without --incident keeps evidence the same way.
printf '{"ts":"2026-11-20T10:05:00Z","level":"error","msg":"invoice renderer crashed"}\n' > "$T/app.jsonl"
"$HS_BIN" --db "$DB" ingest --format jsonl --source billing-app "$T/app.jsonl" > "$T/out"
check "hindsight ingest without --incident keeps the line" contains "$T/out" "accepted 1, duplicates 0, rejected 0"
check "and it reaches the open timeline it matches" eq "$(sql "SELECT count(*) FROM events WHERE incident_id = $ID AND title = 'invoice renderer crashed'")" 1
"$HS_BIN" --db "$DB" ingest --format jsonl --auto --incident "$ID" "$T/app.jsonl" > /dev/null 2>&1
check "--auto and --incident together are refused" eq $? 2
hs_stop
