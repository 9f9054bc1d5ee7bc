# t0005-timeline: every edit path of the timeline, history, conflicts,
# key moments driving the clock, filters, paging and the change stream.
. tests/http/lib.sh
hs_start
TOKEN=$("$HS_BIN" --db "$DB" token add api --scope write)
READ=$("$HS_BIN" --db "$DB" token add ro --scope read)
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Timeline test","started_at":"2026-11-20T11:38:00Z"}'
ID=$(jget .id)

req POST /api/v1/incidents/$ID/events -H "$AUTH" -H "$JSON" -d '{"title":"LB change","kind":"change","ts":"2026-11-20T11:36:00Z"}'
check "add an event (201)" eq "$STATUS" 201
E1=$(jget .id)
check "kind is kept" eq "$(jget .kind)" change
check "time is UTC with ms" eq "$(jget .ts)" "2026-11-20T11:36:00.000Z"
req POST /api/v1/incidents/$ID/events -H "$AUTH" -H "$JSON" -d '{"body":"Paged"}'
check "a note defaults to now" test "$(jget .ts)" != null
check "kind defaults to note" eq "$(jget .kind)" note
req POST /api/v1/incidents/$ID/events -H "$AUTH" -H "$JSON" -d '{"title":"Alert","key":"detected","ts":"2026-11-20T11:41:30+00:00"}'
E3=$(jget .id)
req GET /api/v1/incidents/$ID -H "$AUTH"
check "a detected mark sets detected_at" eq "$(jget .detected_at)" "2026-11-20T11:41:30.000Z"
check "time to detect follows" eq "$(jget .metrics.time_to_detect_s)" 210

# Bad input.
req POST /api/v1/incidents/$ID/events -H "$AUTH" -H "$JSON" -d '{"title":"x","kind":"alert"}'
check "people cannot create evidence kinds" contains "$T/body" "kind: must be one of note, change, status_update"
req POST /api/v1/incidents/$ID/events -H "$AUTH" -H "$JSON" -d '{"title":"x","key":"fixed"}'
check "an unknown mark is 400" contains "$T/body" "key: must be one of"
req POST /api/v1/incidents/$ID/events -H "$AUTH" -H "$JSON" -d '{"title":"x","ts":"2026-02-31T00:00:00Z"}'
check "31 February is refused" contains "$T/body" "ts: is not an RFC 3339 time"
req POST /api/v1/incidents/$ID/events -H "$AUTH" -H "$JSON" -d '{}'
check "an empty note is refused" contains "$T/body" "title: write a title or a body"
req POST /api/v1/incidents/$ID/events -H "$AUTH" -H "$JSON" -d '{"title":"early","key":"resolved","ts":"2026-11-20T11:00:00Z"}'
check "a mark that breaks the order is refused" contains "$T/body" "resolved_at: cannot be before"
check "the refused mark wrote nothing" eq "$(sql "SELECT count(*) FROM events WHERE title='early'")" 0
req POST /api/v1/incidents/999/events -H "$AUTH" -H "$JSON" -d '{"title":"x"}'
check "events of a missing incident are 404" eq "$STATUS" 404
req POST /api/v1/incidents/$ID/events -H "Authorization: Bearer $READ" -H "$JSON" -d '{"title":"x"}'
check "a read token cannot add events" eq "$STATUS" 403

# Edits: If-Match, conflicts, marks moving the clock.
req PATCH /api/v1/events/$E3 -H "$AUTH" -H "$JSON" -d '{"title":"y"}'
check "PATCH without If-Match is 428" eq "$STATUS" 428
req PATCH /api/v1/events/$E3 -H "$AUTH" -H "$JSON" -H 'If-Match: "1"' -d '{"ts":"2026-11-20T11:40:00Z","title":"Alert fired"}'
check "PATCH with the version is 200" eq "$STATUS" 200
check "the version goes up" eq "$(jget .version)" 2
req GET /api/v1/incidents/$ID -H "$AUTH"
check "moving a marked event moves the clock" eq "$(jget .metrics.time_to_detect_s)" 120
req PATCH /api/v1/events/$E3 -H "$AUTH" -H "$JSON" -H 'If-Match: "1"' -d '{"title":"stale"}'
check "a stale edit is 409" eq "$STATUS" 409
check "the 409 carries the current event" eq "$(jget .current.title)" "Alert fired"
req PATCH /api/v1/events/$E3 -H "$AUTH" -H "$JSON" -H 'If-Match: "2"' -d '{"ts":"2026-11-20T11:00:00Z"}'
check "moving a mark before the start is refused" eq "$STATUS" 400
req PATCH /api/v1/events/$E1 -H "$AUTH" -H "$JSON" -H 'If-Match: "1"' -d '{"pinned":true,"hidden":true}'
check "pin and hide" eq "$(jget '.pinned and .hidden')" true
req GET /api/v1/incidents/$ID/events -H "$AUTH"
check "hidden events are left out by default" eq "$(jget '[.events[].id] | index('$E1')')" null
req GET "/api/v1/incidents/$ID/events?hidden=1" -H "$AUTH"
check "hidden=1 shows them" test "$(jget '[.events[].id] | index('$E1')')" != null
req PATCH /api/v1/events/$E1 -H "$AUTH" -H "$JSON" -H 'If-Match: "2"' -d '{"hidden":false}'
check "hiding can be undone" eq "$(jget .hidden)" false
req PATCH /api/v1/events/$E3 -H "$AUTH" -H "$JSON" -H 'If-Match: "2"' -d '{"key":null}'
req GET /api/v1/incidents/$ID -H "$AUTH"
check "removing the mark clears the moment" eq "$(jget .detected_at)" null
req PATCH /api/v1/events/$E3 -H "$AUTH" -H "$JSON" -H 'If-Match: "3"' -d '{"key":"detected"}'
req DELETE /api/v1/events/$E3 -H "$AUTH" -H 'If-Match: "4"'
check "delete is 200" eq "$STATUS" 200
req GET /api/v1/events/$E3 -H "$AUTH"
check "a deleted event is gone from the API" eq "$STATUS" 404
check "deletes are soft" eq "$(sql "SELECT deleted FROM events WHERE id=$E3")" 1
req GET /api/v1/incidents/$ID -H "$AUTH"
check "deleting the marked event clears the moment" eq "$(jget .detected_at)" null
req GET /api/v1/events/$E3/history -H "$AUTH"
check "history lists every change" eq "$(jget '.history | length')" 5
check "history records who" eq "$(jget '.history[1].actor')" api
check "history records before and after" eq "$(jget '.history[1].before.title + ">" + .history[1].after.title')" "Alert>Alert fired"

# Filters and paging.
for i in 1 2 3 4 5; do
  req POST /api/v1/incidents/$ID/events -H "$AUTH" -H "$JSON" -d "{\"title\":\"page $i 100%_done\",\"ts\":\"2026-11-20T12:0$i:00Z\"}"
done
req GET "/api/v1/incidents/$ID/events?q=100%25_" -H "$AUTH"
check "text filter matches literally (no LIKE wildcards)" eq "$(jget '.events | length')" 5
req GET "/api/v1/incidents/$ID/events?kind=change&hidden=1" -H "$AUTH"
check "kind filter" eq "$(jget '[.events[].kind] | unique | join(",")')" change
req GET "/api/v1/incidents/$ID/events?limit=2" -H "$AUTH"
C=$(jget .next_cursor)
req GET "/api/v1/incidents/$ID/events?limit=2&cursor=$C" -H "$AUTH"
check "paging continues after the cursor" test "$(jget '.events | length')" -eq 2
req GET "/api/v1/incidents/$ID/events?kind=bogus" -H "$AUTH"
check "an unknown kind filter is 400" eq "$STATUS" 400
req GET "/api/v1/incidents/$ID/events?cursor=zzz" -H "$AUTH"
check "a bad cursor is 400" eq "$STATUS" 400

# The stream.
req GET /api/v1/incidents/$ID/stream -H "$AUTH"
check "the stream is text/event-stream" grep -qi '^content-type: text/event-stream' "$T/headers"
check "a new listener gets a starting id" grep -q '^event: hello' "$T/body"
LAST=$(sed -n 's/^id: //p' "$T/body" | tail -n1)
req POST /api/v1/incidents/$ID/events -H "$AUTH" -H "$JSON" -d '{"title":"live"}'
NEW=$(jget .id)
req GET /api/v1/incidents/$ID/stream -H "$AUTH" -H "Last-Event-ID: $LAST"
check "the stream sends changes after Last-Event-ID" contains "$T/body" "\"id\":$NEW"
check "the stream asks to reconnect after a second" contains "$T/body" "retry: 1000"

# The page: server-rendered timeline and the no-JavaScript forms.
login editor "$PW_EDITOR"
req GET /app/incidents/$ID -b "$T/jar.editor"
check "the page shows the timeline" contains "$T/body" 'id="timeline"'
check "the page shows events" contains "$T/body" "page 3 100%_done"
req POST /app/incidents/$ID/events -b "$T/jar.editor" --data-urlencode "csrf_token=$CSRF" --data-urlencode "title=<img src=x onerror=alert(1)>" --data "body=%3Cscript%3Ealert(1)%3C%2Fscript%3E&key=&ts="
check "form note redirects to the event" grep -qi '^location: /app/incidents/'$ID'#e' "$T/headers"
req GET /app/incidents/$ID -b "$T/jar.editor"
check "note titles are escaped" contains "$T/body" "&lt;img src=x onerror=alert(1)&gt;"
check "script in a note body is omitted" lacks "$T/body" "<script>alert(1)"
XE=$(sql "SELECT id FROM events WHERE title LIKE '<img%'")
req POST /app/events/$XE -b "$T/jar.editor" --data "csrf_token=$CSRF&version=1&pinned=1"
check "pin form redirects" eq "$STATUS" 303
check "pin form pins" eq "$(sql "SELECT pinned FROM events WHERE id=$XE")" 1
req POST /app/events/$XE -b "$T/jar.editor" --data "csrf_token=$CSRF&version=1&hidden=1"
check "a stale form edit is 409" eq "$STATUS" 409
req POST /app/events/$XE -b "$T/jar.editor" --data "version=2&hidden=1"
check "a form edit without CSRF is 403" eq "$STATUS" 403
req GET /app/events/$XE/history -b "$T/jar.editor"
check "history page answers" contains "$T/body" "History of event"
hs_stop
