# t0080-incident-page: issue 18's server side. Roles beside the commander
# and the timeline events a header change leaves; the incident list by
# start with open/closed filters; postmortem line endings, coalesced
# autosave revisions, status-change revisions and the preview's checklist;
# admins changing roles and passwords; components reordered and deleted.
# Bad input gets a 4xx naming the field; roles are checked on every route.
. tests/http/lib.sh
hs_start
TOKEN=$("$HS_BIN" --db "$DB" token add api --scope write)
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'

# Roles and change events.
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Old one","started_at":"2026-01-05T10:00:00Z"}'
OLD=$(jget .id)
check "a declared incident has empty extra roles" eq "$(jget '[.comms_lead, .ops_lead, .scribe] | join(",")')" ",,"
check "declaring is a change event at the impact start" eq \
  "$(sql "SELECT count(*) FROM events WHERE incident_id = $OLD AND kind = 'change' AND title = 'Declared SEV3 incident' AND ts = 1767607200000")" 1
req PATCH "/api/v1/incidents/$OLD" -H "$AUTH" -H "$JSON" -H 'If-Match: "1"' -d '{"severity":"SEV1","comms_lead":"editor","scribe":"viewer"}'
check "roles are written through the API" eq "$STATUS" 200
check "the API returns the roles" eq "$(jget '.comms_lead + "/" + .scribe')" "editor/viewer"
check "a severity change is an event" eq \
  "$(sql "SELECT author FROM events WHERE incident_id = $OLD AND title = 'Severity changed: SEV3 → SEV1'")" api
check "a role assignment is an event" eq \
  "$(sql "SELECT count(*) FROM events WHERE incident_id = $OLD AND title LIKE 'Scribe assigned: nobody → viewer'")" 1
check "change events add no audit rows of their own" eq \
  "$(sql "SELECT count(*) FROM changes c JOIN events e ON c.entity = 'event' AND c.entity_id = e.id WHERE e.kind = 'change'")" 0
req PATCH "/api/v1/incidents/$OLD" -H "$AUTH" -H "$JSON" -H 'If-Match: "2"' -d '{"scribe":123}'
check "a role that is not a string is 400 naming it" contains "$T/body" "scribe"
req PATCH "/api/v1/incidents/$OLD" -H "$AUTH" -H "$JSON" -H 'If-Match: "2"' -d "{\"ops_lead\":\"$(head -c 150 /dev/zero | tr '\0' a)\"}"
check "a role longer than 100 is 400" eq "$STATUS" 400
req PATCH "/api/v1/incidents/$OLD" -H "$AUTH" -H "$JSON" -H 'If-Match: "2"' -d '{"status":"resolved"}'
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"New one","started_at":"2026-01-01T10:00:00Z"}'
NEWER=$(jget .id)
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Newest start","started_at":"2026-02-01T10:00:00Z"}'

# The list page: by start, newest first; open and closed.
login viewer "$PW_VIEWER"
req GET /app/incidents -b "$T/jar.viewer"
check "the list page answers" eq "$STATUS" 200
order=$(grep -o '#[0-9]* [A-Z][a-z]* [a-z]*' "$T/body" | tr '\n' ',')
check "the list is by start, newest first" eq "$order" "#3 Newest start,#1 Old one,#2 New one,"
req GET "/app/incidents?status=closed" -b "$T/jar.viewer"
check "closed lists resolved incidents" contains "$T/body" "Old one"
check "closed leaves out open ones" lacks "$T/body" "Newest start"
req GET "/app/incidents?status=open&limit=1" -b "$T/jar.viewer"
check "a page by start offers the next one" grep -q 'cursor=[0-9]*\.[0-9]*' "$T/body"
next=$(grep -o 'cursor=[0-9.]*' "$T/body" | head -1 | cut -d= -f2)
req GET "/app/incidents?status=open&limit=1&cursor=$next" -b "$T/jar.viewer"
check "the next page holds the next incident" contains "$T/body" "New one"
req GET "/app/incidents?cursor=12.x" -b "$T/jar.viewer"
check "a bad cursor is 400" eq "$STATUS" 400
req GET "/api/v1/incidents?status=closed" -H "$AUTH"
check "the API knows closed too" eq "$(jget '.incidents | map(.id) | join(",")')" "$OLD"
req GET "/app/incidents?status=shut" -b "$T/jar.viewer"
check "an unknown status is 400" eq "$STATUS" 400

# Postmortem: CRLF, coalesced autosaves, status-change revisions.
P="/api/v1/incidents/$NEWER/postmortem"
req POST "$P" -H "$AUTH" -H "$JSON" -d '{}'
V=$(jget .version)
revs() { sql "SELECT count(*) FROM postmortem_revisions WHERE incident_id = $NEWER"; }
check "the draft is revision one" eq "$(revs)" 1
printf '{"body":"# A\\r\\nline one\\r\\nline two\\r\\n"}' > "$T/crlf.json"
req PATCH "$P?autosave=1" -H "$AUTH" -H "$JSON" -H "If-Match: \"$V\"" --data-binary @"$T/crlf.json"
check "an autosave is 200" eq "$STATUS" 200
V=$(jget .version)
CR=$(printf '\r')
check "CRLF is stored as LF" eq "$(sql "SELECT CAST(body LIKE '%$CR%' AS INTEGER) FROM postmortems WHERE incident_id = $NEWER")" 0
req PATCH "$P?autosave=1" -H "$AUTH" -H "$JSON" -H "If-Match: \"$V\"" -d '{"body":"# A\nline one\nline 2\n"}'
V=$(jget .version)
check "autosaves fold into one revision" eq "$(revs)" 2
check "the folded revision holds the newest text" eq \
  "$(sql "SELECT CASE WHEN body LIKE '%line 2%' THEN 1 ELSE 0 END FROM postmortem_revisions WHERE incident_id = $NEWER ORDER BY id DESC LIMIT 1")" 1
req PATCH "$P" -H "$AUTH" -H "$JSON" -H "If-Match: \"$V\"" -d '{"body":"# A\nline one\nline 2\n"}'
V=$(jget .version)
check "a Save of the autosaved text marks it, no new revision" eq "$(revs)" 2
check "it is a Save now" eq "$(sql "SELECT autosave FROM postmortem_revisions WHERE incident_id = $NEWER ORDER BY id DESC LIMIT 1")" 0
req PATCH "$P?autosave=1" -H "$AUTH" -H "$JSON" -H "If-Match: \"$V\"" -d '{"body":"# A\nline one\nline 2\nthree\n"}'
V=$(jget .version)
check "an autosave after a Save starts a revision" eq "$(revs)" 3
req PATCH "$P" -H "$AUTH" -H "$JSON" -H "If-Match: \"$V\"" -d '{"status":"in_review","override_reason":"review now"}'
check "moving on is 200" eq "$STATUS" 200
check "a status change is a revision" eq "$(revs)" 4
req GET "/app/incidents/$NEWER/postmortem/revisions" -b "$T/jar.viewer"
check "revisions are numbered per postmortem" contains "$T/body" "<td>#4</td>"
req POST /api/v1/markdown/preview -H "$AUTH" -H "$JSON" -d "{\"markdown\":\"## Root cause\\n\\nA port.\",\"incident_id\":$NEWER}"
check "the preview returns the checklist" eq "$(jget '.missing | map(select(test("Root cause"))) | length')" 0
check "the checklist still lists what is missing" eq "$(jget '.missing | map(select(test("Lessons"))) | length')" 1
req POST /api/v1/markdown/preview -H "$AUTH" -H "$JSON" -d '{"markdown":"x","incident_id":"1"}'
check "a non-integer incident_id is 400" eq "$STATUS" 400
req POST /api/v1/markdown/preview -H "$AUTH" -H "$JSON" -d '{"markdown":"x","incident_id":999999}'
check "an unknown incident is 404" eq "$STATUS" 404

# Search: a word that matches nothing as typed is tried without its
# ending; exact words never are.
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Misconfigured load balancer pool","summary":"We rolled the change back."}'
req GET "/api/v1/search?q=balancers" -H "$AUTH"
check "balancers finds the balancer incident" eq "$(jget '.hits | map(select(.title | test("balancer"))) | length > 0')" true
check "the answer says it was stemmed" eq "$(jget .stemmed)" true
req GET "/api/v1/search?q=balancer" -H "$AUTH"
check "an exact word is not stemmed" eq "$(jget .stemmed)" null
req GET "/api/v1/search?q=rolling+pool" -H "$AUTH"
check "rolling finds rolled" eq "$(jget '.hits | length > 0')" true
req GET "/api/v1/search?q=class" -H "$AUTH"
check "a word ending in ss is not cut" eq "$(jget .stemmed)" null
req GET "/app/search?q=balancers" -b "$T/jar.viewer"
check "the page says the words were taken without endings" contains "$T/body" "without their endings"
check "the page shows no raw scores" lacks "$T/body" "score "

# Admins: role change and password reset.
login admin "$PW_ADMIN"
req POST /app/users/viewer/role -b "$T/jar.admin" --data "csrf_token=$CSRF&role=editor"
check "changing a role redirects" eq "$STATUS" 303
check "the role is changed" eq "$(sql "SELECT role FROM users WHERE name = 'viewer'")" editor
check "the change is in the audit log" eq "$(sql "SELECT count(*) FROM changes WHERE entity = 'user' AND before LIKE '%\"role\":\"viewer\"%' AND after LIKE '%\"role\":\"editor\"%'")" 1
req POST /app/users/viewer/role -b "$T/jar.admin" --data "csrf_token=$CSRF&role=root"
check "an unknown role is 400" eq "$STATUS" 400
req POST /app/users/admin/role -b "$T/jar.admin" --data "csrf_token=$CSRF&role=viewer"
check "an admin cannot change their own role" eq "$STATUS" 400
req POST /app/users/nobody/role -b "$T/jar.admin" --data "csrf_token=$CSRF&role=viewer"
check "an unknown user is 404" eq "$STATUS" 404
req POST /app/users/viewer/role -b "$T/jar.admin" --data "role=viewer"
check "a role change without CSRF is 403" eq "$STATUS" 403
req POST /app/users/viewer/password -b "$T/jar.admin" --data "csrf_token=$CSRF&password=short"
check "a short password is 400" eq "$STATUS" 400
req POST /app/users/viewer/password -b "$T/jar.admin" --data "csrf_token=$CSRF&password=a-brand-new-password"
check "a reset redirects" eq "$STATUS" 303
req GET /app/incidents -b "$T/jar.viewer"
check "the reset ends the user's sessions" test "$STATUS" -ne 200
login editor "$PW_EDITOR"
req POST /app/users/viewer/role -b "$T/jar.editor" --data "csrf_token=$CSRF&role=admin"
check "editors cannot change roles" eq "$STATUS" 403
req POST /app/users/viewer/password -b "$T/jar.editor" --data "csrf_token=$CSRF&password=a-brand-new-password"
check "editors cannot reset passwords" eq "$STATUS" 403

# Components: order and delete.
login admin "$PW_ADMIN"
for n in Alpha Beta Gamma; do
  req POST /app/components -b "$T/jar.admin" --data "csrf_token=$CSRF&name=$n"
done
cid() { sql "SELECT id FROM components WHERE name = '$1'"; }
order() { sql "SELECT group_concat(name, ',') FROM (SELECT name FROM components ORDER BY position, name) AS s"; }
req POST "/app/components/$(cid Gamma)/move" -b "$T/jar.admin" --data "csrf_token=$CSRF&dir=up"
check "moving up redirects" eq "$STATUS" 303
check "Gamma moved up" eq "$(order)" "Alpha,Gamma,Beta"
req POST "/app/components/$(cid Alpha)/move" -b "$T/jar.admin" --data "csrf_token=$CSRF&dir=up"
check "the first stays first" eq "$(order)" "Alpha,Gamma,Beta"
req POST "/app/components/$(cid Alpha)/move" -b "$T/jar.admin" --data "csrf_token=$CSRF&dir=sideways"
check "a bad direction is 400" eq "$STATUS" 400
req POST "/app/components/99999/move" -b "$T/jar.admin" --data "csrf_token=$CSRF&dir=up"
check "moving an unknown component is 404" eq "$STATUS" 404
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Beta down","components":["Beta"]}'
req POST "/app/components/$(cid Beta)/delete" -b "$T/jar.admin" --data "csrf_token=$CSRF"
check "a component on an open incident cannot be deleted" eq "$STATUS" 409
req POST "/app/components/$(cid Gamma)/delete" -b "$T/jar.admin" --data "csrf_token=$CSRF"
check "deleting redirects" eq "$STATUS" 303
check "the component is gone" eq "$(order)" "Alpha,Beta"
check "the delete is in the audit log" eq "$(sql "SELECT count(*) FROM changes WHERE entity = 'component' AND action = 'delete'")" 1
login editor "$PW_EDITOR"
req POST "/app/components/$(cid Alpha)/delete" -b "$T/jar.editor" --data "csrf_token=$CSRF"
check "editors cannot delete components" eq "$STATUS" 403
hs_stop
