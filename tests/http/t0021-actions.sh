# t0021-actions: action items over the API and the forms: create, edit
# with If-Match, close; filters; the overdue rule at the UTC day boundary
# (due yesterday is overdue, due today is not; test_action pins the exact
# millisecond); counts on the incidents list; CSV neutralisation, the Atom
# feed and the iCalendar file.
. tests/http/lib.sh
hs_start
TOKEN=$("$HS_BIN" --db "$DB" token add api --scope write)
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'
login editor "$PW_EDITOR"
ECSRF=$CSRF
login viewer "$PW_VIEWER"
VCSRF=$CSRF
E="-b $T/jar.editor"
V="-b $T/jar.viewer"
# "Today" must stay today until the last overdue check: a run started just
# before midnight (test-dates at 23:59:30) waits for the new day instead.
left=$((86400 - $(date -u +%s) % 86400))
[ "$left" -gt 120 ] || sleep $((left + 1))
TODAY=$(date -u +%F)
YESTERDAY=$(date -u -d yesterday +%F)
TOMORROW=$(date -u -d tomorrow +%F)

req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"LB outage"}'
I1=$(jget .id)
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Disk full"}'
I2=$(jget .id)

mk() { # mk INCIDENT JSON-FIELDS: creates an action, prints its id
  req POST /api/v1/actions -H "$AUTH" -H "$JSON" -d "{\"incident_id\":$1,$2}"
  jget .id
}
A1=$(mk "$I1" "\"title\":\"Due yesterday\",\"owner\":\"alice\",\"due_date\":\"$YESTERDAY\",\"priority\":\"P1\",\"type\":\"preventive\"")
check "create is 201" eq "$STATUS" 201
check "shape: title" eq "$(jget .title)" "Due yesterday"
check "shape: due_date" eq "$(jget .due_date)" "$YESTERDAY"
check "shape: status defaults to open" eq "$(jget .status)" open
check "shape: version 1" eq "$(jget .version)" 1
check "due yesterday is overdue" eq "$(jget .overdue)" true
A2=$(mk "$I1" "\"title\":\"Due today\",\"owner\":\"bob\",\"due_date\":\"$TODAY\",\"type\":\"detection\"")
check "due today is not overdue" eq "$(jget .overdue)" false
A3=$(mk "$I1" "\"title\":\"Due tomorrow\",\"owner\":\"alice\",\"due_date\":\"$TOMORROW\",\"priority\":\"P3\"")
check "due tomorrow is not overdue" eq "$(jget .overdue)" false
A4=$(mk "$I2" "\"title\":\"=HYPERLINK(\\\"http://evil\\\",\\\"x\\\")\",\"owner\":\"+cmd\",\"description\":\"@SUM(1)\",\"due_date\":\"2020-01-01\",\"status\":\"done\"")
check "done long ago is not overdue" eq "$(jget .overdue)" false
check "created done gets closed_at" test "$(jget .closed_at)" != null
A5=$(mk "$I2" "\"title\":\"-2+3 no owner\",\"type\":\"process\"")
check "no due date is not overdue" eq "$(jget .overdue)" false
check "no due date is null" eq "$(jget .due_date)" null

# Bad input.
req POST /api/v1/actions -H "$AUTH" -H "$JSON" -d '{"title":"x"}'
check "incident_id is required" contains "$T/body" "incident_id: is required"
req POST /api/v1/actions -H "$AUTH" -H "$JSON" -d '{"incident_id":999999,"title":"x"}'
check "an unknown incident is 400" contains "$T/body" "incident_id: no incident 999999"
req POST /api/v1/actions -H "$AUTH" -H "$JSON" -d "{\"incident_id\":$I1}"
check "title is required" contains "$T/body" "title: is required"
for bad in 2026-02-30 2026-13-01 26-01-01 2026-1-01 "2026-01-01T00:00:00Z" tomorrow; do
  req POST /api/v1/actions -H "$AUTH" -H "$JSON" -d "{\"incident_id\":$I1,\"title\":\"x\",\"due_date\":\"$bad\"}"
  check "due_date $bad is 400" contains "$T/body" "due_date: must be a date YYYY-MM-DD"
done
req POST /api/v1/actions -H "$AUTH" -H "$JSON" -d "{\"incident_id\":$I1,\"title\":\"x\",\"priority\":\"P9\"}"
check "an unknown priority is 400" contains "$T/body" "priority: must be one of P1, P2, P3"
req POST /api/v1/actions -H "$AUTH" -H "$JSON" -d "{\"incident_id\":$I1,\"title\":\"x\",\"type\":\"blame\"}"
check "an unknown type is 400" contains "$T/body" "type: must be one of"
req POST /api/v1/actions -H "$AUTH" -H "$JSON" -d "{\"incident_id\":$I1,\"title\":\"x\",\"assignee\":\"y\"}"
check "unknown fields are refused" contains "$T/body" "assignee: is not a known field"
req POST /api/v1/actions $V -H "X-CSRF-Token: $VCSRF" -H "$JSON" -d "{\"incident_id\":$I1,\"title\":\"x\"}"
check "a viewer cannot create (403)" eq "$STATUS" 403
check "nothing rejected was stored" eq "$(sql 'SELECT count(*) FROM actions')" 5

# Edit with If-Match; close.
req PATCH "/api/v1/actions/$A2" -H "$AUTH" -H "$JSON" -d '{"status":"in_progress"}'
check "PATCH without If-Match is 428" eq "$STATUS" 428
req PATCH "/api/v1/actions/$A2" -H "$AUTH" -H "$JSON" -H 'If-Match: "1"' -d '{"status":"in_progress"}'
check "PATCH is 200" eq "$STATUS" 200
check "version goes up" eq "$(jget .version)" 2
req PATCH "/api/v1/actions/$A2" -H "$AUTH" -H "$JSON" -H 'If-Match: "1"' -d '{"status":"done"}'
check "a stale version is 409" eq "$STATUS" 409
check "409 carries the current record" eq "$(jget .current.status)" in_progress
req PATCH "/api/v1/actions/$A2" -H "$AUTH" -H "$JSON" -H 'If-Match: "2"' -d "{\"incident_id\":$I2}"
check "incident_id cannot change" contains "$T/body" "incident_id: cannot be changed"
req PATCH "/api/v1/actions/$A2" $V -H "X-CSRF-Token: $VCSRF" -H "$JSON" -H 'If-Match: "2"' -d '{"status":"done"}'
check "a viewer cannot edit (403)" eq "$STATUS" 403
req PATCH "/api/v1/actions/999999" -H "$AUTH" -H "$JSON" -H 'If-Match: "1"' -d '{"status":"done"}'
check "a missing action is 404" eq "$STATUS" 404
req GET "/api/v1/actions/$A1" $V
check "viewers read one action" eq "$(jget .title)" "Due yesterday"

# Forms from the incident page: create and close, back to where they came from.
req POST /app/actions $E --data-urlencode "csrf_token=$ECSRF" --data "incident_id=$I1&title=From+the+page&owner=carol&due_date=$TOMORROW&type=mitigation&priority=P2&return_to=incident"
check "form create redirects back to the incident" grep -qi "^location: /app/incidents/$I1#actions" "$T/headers"
A6=$(sql "SELECT id FROM actions WHERE title='From the page'")
req POST "/app/actions/$A6" $E --data "csrf_token=$ECSRF&version=1&status=done&owner=carol&due_date=$TOMORROW&return_to=postmortem"
check "form close redirects to the postmortem" grep -qi "^location: /app/incidents/$I1/postmortem#actions" "$T/headers"
check "closing sets closed_at" test -n "$(sql "SELECT closed_at FROM actions WHERE id=$A6")"
req POST "/app/actions/$A6" $E --data "csrf_token=$ECSRF&version=2&status=open&return_to=actions"
check "reopening clears closed_at" eq "$(sql "SELECT CASE WHEN closed_at IS NULL THEN 'null' END FROM actions WHERE id=$A6")" null
check "every change is logged" eq "$(sql "SELECT count(*) FROM changes WHERE entity='action' AND entity_id=$A6")" 3
req GET "/app/incidents/$I1" $E
check "the incident page lists its actions" contains "$T/body" "From the page"
check "the incident page can add actions" contains "$T/body" 'action="/app/actions"'
check "an overdue row stands out" contains "$T/body" '<tr class="action-row overdue" data-action-id="'"$A1"'">'

# Filters.
ids() { jget '[.actions[].id] | map(tostring) | join(",")'; }
req GET "/api/v1/actions?overdue=1" $V
check "overdue=1 lists only the item due yesterday" eq "$(ids)" "$A1"
req GET "/api/v1/actions?owner=alice" $V
check "owner filter" eq "$(ids)" "$A1,$A3"
req GET "/api/v1/actions?status=done" $V
check "status filter" eq "$(ids)" "$A4"
req GET "/api/v1/actions?type=detection" $V
check "type filter" eq "$(ids)" "$A2"
req GET "/api/v1/actions?priority=P3" $V
check "priority filter" eq "$(ids)" "$A3"
req GET "/api/v1/actions?incident=$I2" $V
check "incident filter" eq "$(ids)" "$A5,$A4"
req GET "/api/v1/actions?incident=$I1&owner=alice&priority=P1" $V
check "filters combine" eq "$(ids)" "$A1"
req GET "/api/v1/actions" $V
check "open items first, soonest due first, then priority" eq "$(ids)" "$A1,$A2,$A6,$A3,$A5,$A4"
check "counts: open" eq "$(jget .counts.open)" 5
check "counts: overdue" eq "$(jget .counts.overdue)" 1
req GET "/api/v1/actions?limit=2" $V
check "lists are paged" eq "$(ids)" "$A1,$A2"
req GET "/api/v1/actions?limit=2&cursor=$(jget .next_cursor)" $V
check "the cursor gives the next page" eq "$(ids)" "$A6,$A3"
for bad in "status=closed" "type=x" "priority=P0" "incident=abc" "limit=0" "limit=5000"; do
  req GET "/api/v1/actions?$bad" $V
  check "filter $bad is 400" eq "$STATUS" 400
done
# The boundary moves with the day: due today turns overdue once it is past.
sql "UPDATE actions SET due_date='$YESTERDAY' WHERE id=$A2"
req GET "/api/v1/actions?overdue=1" $V
check "yesterday's in_progress item is overdue too" eq "$(ids)" "$A1,$A2"

# Dashboard.
req GET "/app/actions?overdue=1" $V
check "dashboard is 200" eq "$STATUS" 200
check "dashboard shows overdue items" contains "$T/body" "Due yesterday"
check "dashboard marks them" contains "$T/body" '<span class="flag-overdue">overdue</span>'
check "dashboard filters" lacks "$T/body" "Due tomorrow"
check "viewers get no edit form" lacks "$T/body" 'action="/app/actions/'
req GET "/app/actions" $E
check "editors edit inline" contains "$T/body" 'action="/app/actions/'"$A3"'"'
check "the overdue filter keeps the checkbox" contains "$T/body" 'name="overdue" value="1">'

# Incidents list counts.
req GET /app/incidents $V
check "the list shows open counts" contains "$T/body" "4 open</a>"
check "the list shows overdue counts" contains "$T/body" '2 overdue</a>'
req GET /api/v1/incidents $V
check "the API carries the counts" eq "$(jget ".incidents[] | select(.id == $I1) | .actions_overdue")" 2

# CSV: quoted, formulas neutralised.
req GET "/app/actions.csv" $V
check "CSV is 200" eq "$STATUS" 200
check "CSV type" grep -qi '^content-type: text/csv; charset=utf-8' "$T/headers"
check "CSV is a download" grep -qi '^content-disposition: attachment; filename="actions.csv"' "$T/headers"
check "CSV header row" eq "$(head -n1 "$T/body" | tr -d '\r')" '"id","incident_id","incident_title","title","owner","due_date","priority","type","status","overdue","description"'
check "= is neutralised, quotes doubled" contains "$T/body" '"'"'"'=HYPERLINK(""http://evil"",""x"")"'
check "+ is neutralised" contains "$T/body" '"'"'"'+cmd"'
check "@ is neutralised" contains "$T/body" '"'"'"'@SUM(1)"'
check "- is neutralised" contains "$T/body" '"'"'"'-2+3 no owner"'
check "no cell starts with a bare formula" lacks "$T/body" '"=HYPERLINK'
check "plain text is untouched" contains "$T/body" '"Due tomorrow","alice"'
req GET "/app/actions.csv?owner=alice" $V
check "CSV keeps the filters" eq "$(wc -l < "$T/body")" 3

# Atom feed of overdue items.
req GET /app/actions.atom $V
check "Atom is 200" eq "$STATUS" 200
check "Atom type" grep -qi '^content-type: application/atom+xml; charset=utf-8' "$T/headers"
check "Atom is XML" contains "$T/body" '<feed xmlns="http://www.w3.org/2005/Atom">'
check "Atom lists overdue items" contains "$T/body" "Due yesterday"
check "Atom leaves out the rest" lacks "$T/body" "Due tomorrow"
if command -v xmllint >/dev/null; then
  check "Atom is well-formed" xmllint --noout "$T/body"
fi

# iCalendar of due dates.
req GET /app/actions.ics $V
check "ics is 200" eq "$STATUS" 200
check "ics type" grep -qi '^content-type: text/calendar; charset=utf-8' "$T/headers"
check "ics is a calendar" eq "$(head -n1 "$T/body" | tr -d '\r')" "BEGIN:VCALENDAR"
CR=$(printf '\r')
check "ics lines end in CRLF" test "$(grep -c "$CR\$" "$T/body")" -eq "$(wc -l < "$T/body")"
check "ics has an all-day event on the due date" contains "$T/body" "DTSTART;VALUE=DATE:$(echo "$TOMORROW" | tr -d -)"
check "ics escapes commas and quotes text" contains "$T/body" 'SUMMARY:[P2 done] =HYPERLINK("http://evil"\,"x") (#'"$A4"')'
check "ics leaves out items with no due date" lacks "$T/body" "no owner"
check "ics lines are at most 75 octets" test "$(awk '{ if (length($0) > 76) n++ } END { print n + 0 }' "$T/body")" -eq 0

# Anonymous: nothing.
for path in /api/v1/actions /app/actions.csv /app/actions.atom /app/actions.ics; do
  STATUS=$(curl -s -o /dev/null -w '%{http_code}' "$BASE$path")
  check "anonymous $path is refused" test "$STATUS" = 401 -o "$STATUS" = 303
done
hs_stop
