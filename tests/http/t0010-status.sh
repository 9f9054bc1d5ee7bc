# t0010-status: the public status site. Posting updates and maintenance
# windows, the Statuspage v2 JSON field by field, the indicator rules,
# ETag/304, feeds that parse as XML and carry the updates, the export
# (every link resolves), and a planted secret that must reach no public
# page, feed, JSON file or export file.
. tests/http/lib.sh
hs_start
SECRET=Zq7SECRETx9
TOKEN=$("$HS_BIN" --db "$DB" token add "tok$SECRET" --scope write)
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'

login admin "$PW_ADMIN"
for c in Website Checkout API; do
  req POST /api/v1/components -b "$T/jar.admin" -H "X-CSRF-Token: $CSRF" -H "$JSON" -d "{\"name\":\"$c\",\"description\":\"The $c\"}"
done
check "components created" eq "$STATUS" 201

# Nothing published yet.
req GET /api/v2/summary.json
check "summary.json is 200" eq "$STATUS" 200
check "summary.json is JSON" grep -qi '^content-type: application/json; charset=utf-8' "$T/headers"
check "page has Statuspage's keys" eq "$(jget '.page | keys_unsorted | join(",")')" "id,name,url,time_zone,updated_at"
check "page time zone defaults to UTC" eq "$(jget .page.time_zone)" "Etc/UTC"
check "times carry the offset" test -n "$(jget .page.updated_at | grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}\+00:00$')"
check "all operational: indicator none" eq "$(jget .status.indicator)" none
check "all operational: description" eq "$(jget .status.description)" "All Systems Operational"
check "three components" eq "$(jget '.components | length')" 3
for k in id name status created_at updated_at position description showcase group_id page_id group only_show_if_degraded; do
  check "component has $k" eq "$(jget ".components[0] | has(\"$k\")")" true
done
check "components carry uptime_90d" eq "$(jget '.components[0].uptime_90d')" 100
check "component ids are strings" eq "$(jget '.components[0].id | type')" string
check "group is false for components" eq "$(jget '.components[0].group')" false
check "no incidents" eq "$(jget '.incidents | length')" 0
check "scheduled_maintenances present" eq "$(jget '.scheduled_maintenances | length')" 0

# An internal incident: nothing of it may show.
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d "{\"title\":\"Hidden $SECRET\",\"impact\":\"critical\",\"summary\":\"$SECRET\",\"commander\":\"cmd$SECRET\"}"
HID=$(jget .id)
req GET /api/v2/status.json
check "a non-public incident does not change the indicator" eq "$(jget .status.indicator)" none
req GET "/incidents/$HID"
check "a non-public incident has no public page" eq "$STATUS" 404

# A public incident through status posts.
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d "{\"title\":\"Checkout errors\",\"severity\":\"SEV1\",\"impact\":\"none\",\"summary\":\"internal $SECRET\",\"commander\":\"boss$SECRET\",\"components\":[\"Checkout\"]}"
ID=$(jget .id)
STARTED_S=$(date -u -d "$(jget .started_at)" +%s)
req POST "/api/v1/incidents/$ID/events" -H "$AUTH" -H "$JSON" -d "{\"title\":\"note $SECRET\"}"
req POST "/api/v1/incidents/$ID/updates" -H "$AUTH" -H "$JSON" -d '{"status":"investigating","body":"We are **looking** into it & <more>","components":{"Checkout":"degraded_performance"}}'
check "posting an update is 201" eq "$STATUS" 201
check "the update names its affected component" eq "$(jget '.affected_components[0].name')" Checkout
check "old status recorded" eq "$(jget '.affected_components[0].old_status')" operational
check "new status recorded" eq "$(jget '.affected_components[0].new_status')" degraded_performance
req GET /api/v2/status.json
check "degraded component: indicator minor" eq "$(jget .status.indicator)" minor
req POST "/api/v1/incidents/$ID/updates" -H "$AUTH" -H "$JSON" -d '{"status":"identified","body":"Found it.","components":{"Checkout":"partial_outage"}}'
req GET /api/v2/status.json
check "partial outage: indicator major" eq "$(jget .status.indicator)" major
check "partial outage: description" eq "$(jget .status.description)" "Partial System Outage"
req POST "/api/v1/incidents/$ID/updates" -H "$AUTH" -H "$JSON" -d '{"body":"Still on it.","components":{"Checkout":"major_outage"}}'
check "status defaults to the current one" eq "$(jget .status)" identified
req GET /api/v2/status.json
check "major outage: indicator critical" eq "$(jget .status.indicator)" critical
check "major outage: description" eq "$(jget .status.description)" "Major Service Outage"

# Validation.
req POST "/api/v1/incidents/$ID/updates" -H "$AUTH" -H "$JSON" -d '{"status":"on_fire","body":"x"}'
check "an unknown status is 400" eq "$STATUS" 400
req POST "/api/v1/incidents/$ID/updates" -H "$AUTH" -H "$JSON" -d '{"status":"identified"}'
check "a missing body is 400" contains "$T/body" "body: is required"
req POST "/api/v1/incidents/$ID/updates" -H "$AUTH" -H "$JSON" -d '{"body":"x","components":{"Nope":"operational"}}'
check "an unknown component is 400" contains "$T/body" 'no component named'
req POST "/api/v1/incidents/$ID/updates" -H "$AUTH" -H "$JSON" -d '{"body":"x","components":{"Checkout":"melted"}}'
check "an unknown component status is 400" eq "$STATUS" 400
req POST "/api/v1/incidents/$ID/updates" -H "$AUTH" -H "$JSON" -d '{"body":"a\u0001b"}'
check "control characters in a body are 400" eq "$STATUS" 400
req POST "/api/v1/incidents/$ID/updates" -H "$AUTH" -H "$JSON" -d '{"body":"x","author":"me"}'
check "unknown fields are refused" contains "$T/body" "author: is not a known field"
req POST /api/v1/incidents/999999/updates -H "$AUTH" -H "$JSON" -d '{"body":"x"}'
check "updates on a missing incident are 404" eq "$STATUS" 404
VTOKEN=$("$HS_BIN" --db "$DB" token add reader --scope read)
req POST "/api/v1/incidents/$ID/updates" -H "Authorization: Bearer $VTOKEN" -H "$JSON" -d '{"body":"x"}'
check "a read token cannot post" eq "$STATUS" 403
login editor "$PW_EDITOR"
req POST "/app/incidents/$ID/updates" -b "$T/jar.editor" --data "status=monitoring&body=form+post"
check "a form post without the CSRF token is 403" eq "$STATUS" 403
CID=$(sql "SELECT id FROM components WHERE name='Checkout'")
req POST "/app/incidents/$ID/updates" -b "$T/jar.editor" --data-urlencode "csrf_token=$CSRF" --data "status=monitoring&body=A+fix+is+out.&cs_$CID=operational"
check "the form post redirects to the incident" grep -qi "^location: /app/incidents/$ID#updates" "$T/headers"
req GET "/app/incidents/$ID" -b "$T/jar.editor"
check "the incident page lists the posted updates" contains "$T/body" "A fix is out."
check "the incident page has the post form" contains "$T/body" "Post update"
req GET "/api/v1/incidents/$ID/updates" -H "$AUTH"
check "GET updates lists all four" eq "$(jget '.updates | length')" 4
check "updates newest first" eq "$(jget '.updates[0].status')" monitoring
check "the timeline got status_update events" eq "$(sql "SELECT count(*) FROM events WHERE incident_id=$ID AND kind='status_update'")" 4
check "component history recorded every change" eq "$(sql "SELECT group_concat(status) FROM (SELECT status FROM component_history WHERE component_id=$CID ORDER BY id) AS s")" "operational,degraded_performance,partial_outage,major_outage,operational"

req GET /api/v2/incidents/unresolved.json
check "the open public incident is unresolved" eq "$(jget '.incidents | length')" 1
for k in id name status created_at updated_at monitoring_at resolved_at impact shortlink started_at page_id incident_updates components; do
  check "incident has $k" eq "$(jget ".incidents[0] | has(\"$k\")")" true
done
check "incident id is a string" eq "$(jget '.incidents[0].id')" "$ID"
check "monitoring_at is set" test "$(jget '.incidents[0].monitoring_at')" != null
check "shortlink points at the public page" eq "$(jget '.incidents[0].shortlink')" "http://localhost:8080/incidents/$ID"
check "incident lists its components" eq "$(jget '.incidents[0].components[0].name')" Checkout
check "four updates" eq "$(jget '.incidents[0].incident_updates | length')" 4
for k in id status body incident_id created_at updated_at display_at affected_components; do
  check "update has $k" eq "$(jget ".incidents[0].incident_updates[0] | has(\"$k\")")" true
done
check "updates newest first (v2)" eq "$(jget '.incidents[0].incident_updates[0].status')" monitoring
check "affected component has code,name,old_status,new_status" eq "$(jget '.incidents[0].incident_updates[0].affected_components[0] | keys_unsorted | join(",")')" "code,name,old_status,new_status"
check "affected component code is the component id" eq "$(jget '.incidents[0].incident_updates[0].affected_components[0].code')" "c$CID"
check "no severity in the public incident" eq "$(jget '.incidents[0] | has("severity")')" false

# Resolving.
req POST "/api/v1/incidents/$ID/updates" -H "$AUTH" -H "$JSON" -d '{"status":"resolved","body":"Resolved <b>for real</b>."}'
req GET /api/v2/incidents/unresolved.json
check "a resolved incident leaves unresolved.json" eq "$(jget '.incidents | length')" 0
req GET /api/v2/incidents.json
check "incidents.json keeps it" eq "$(jget '.incidents[0].status')" resolved
check "resolved_at is set" test "$(jget '.incidents[0].resolved_at')" != null
req GET /api/v2/status.json
check "all well again: indicator none" eq "$(jget .status.indicator)" none
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Payments down","impact":"critical"}'
CRIT=$(jget .id)
req POST "/api/v1/incidents/$CRIT/updates" -H "$AUTH" -H "$JSON" -d '{"body":"Card payments fail."}'
req GET /api/v2/status.json
check "an open public critical incident: indicator critical" eq "$(jget .status.indicator)" critical
req POST "/api/v1/incidents/$CRIT/updates" -H "$AUTH" -H "$JSON" -d '{"status":"resolved","body":"Payments work again."}'
req GET /api/v2/status.json
check "resolving it: indicator none" eq "$(jget .status.indicator)" none

# Maintenance: a window that already started goes in progress on read.
NOW=$(date -u +%s)
FROM=$(date -u -d "@$((NOW - 600))" +%Y-%m-%dT%H:%M:%SZ)
UNTIL=$(date -u -d "@$((NOW + 3600))" +%Y-%m-%dT%H:%M:%SZ)
BEFORE_MS=$(date +%s%3N)
req POST /api/v1/maintenances -H "$AUTH" -H "$JSON" -d "{\"title\":\"DB upgrade\",\"body\":\"Short pauses.\",\"scheduled_for\":\"$FROM\",\"scheduled_until\":\"$UNTIL\",\"components\":[\"API\"]}"
check "creating a maintenance is 201" eq "$STATUS" 201
MID=$(jget .id)
check "a started window is in progress" eq "$(jget .status)" in_progress
req GET /api/v2/scheduled-maintenances/active.json
check "active.json lists it" eq "$(jget '.scheduled_maintenances[0].name')" "DB upgrade"
for k in id name status scheduled_for scheduled_until impact shortlink incident_updates components; do
  check "maintenance has $k" eq "$(jget ".scheduled_maintenances[0] | has(\"$k\")")" true
done
check "maintenance impact" eq "$(jget '.scheduled_maintenances[0].impact')" maintenance
req GET /api/v2/components.json
check "components.json has 90 uptime days" eq "$(jget '.components[0].uptime_days | length')" 90
check "an uptime day has date, uptime, worst" eq "$(jget '.components[0].uptime_days[89] | keys_unsorted | join(",")')" "date,uptime,worst"
check "today had the Checkout outage" eq "$(jget '.components[] | select(.name=="Checkout") | .uptime_days[89].worst')" major_outage
check "its component is under maintenance" eq "$(jget '.components[] | select(.name=="API") | .status')" under_maintenance
# Issue 19: dated at max(scheduled_for, created_at), never before the
# window itself existed.
check "a window created after its start moves when it is created" eq "$(sql "SELECT CAST(h.from_ts = m.created_at AS INTEGER) FROM component_history h JOIN components c ON c.id = h.component_id, maintenances m WHERE c.name = 'API' AND h.status = 'under_maintenance' AND m.id = $MID")" 1
req GET /api/v2/status.json
check "maintenance: indicator stays none" eq "$(jget .status.indicator)" none
check "maintenance: description" eq "$(jget .status.description)" "Service Under Maintenance"
LATER=$(date -u -d "@$((NOW + 86400))" +%Y-%m-%dT%H:%M:%SZ)
LATER2=$(date -u -d "@$((NOW + 90000))" +%Y-%m-%dT%H:%M:%SZ)
req POST /api/v1/maintenances -H "$AUTH" -H "$JSON" -d "{\"title\":\"Network work\",\"scheduled_for\":\"$LATER\",\"scheduled_until\":\"$LATER2\",\"components\":[\"Website\"]}"
req GET /api/v2/scheduled-maintenances/upcoming.json
check "upcoming.json lists the future window" eq "$(jget '.scheduled_maintenances[0].name')" "Network work"
req GET /api/v2/summary.json
check "summary lists active and upcoming" eq "$(jget '.scheduled_maintenances | length')" 2
req POST /api/v1/maintenances -H "$AUTH" -H "$JSON" -d "{\"title\":\"x\",\"scheduled_for\":\"$UNTIL\",\"scheduled_until\":\"$FROM\"}"
check "an end before the start is 400" eq "$STATUS" 400
req PATCH "/api/v1/maintenances/$MID" -H "$AUTH" -H "$JSON" -d '{"status":"completed"}'
check "PATCH without If-Match is 428" eq "$STATUS" 428
req GET "/api/v1/maintenances/$MID" -H "$AUTH"
V=$(jget .version)
req PATCH "/api/v1/maintenances/$MID" -H "$AUTH" -H "$JSON" -H "If-Match: \"$V\"" -d '{"status":"completed"}'
check "completing is 200" eq "$STATUS" 200
req GET /api/v2/components.json
check "completing restores the component" eq "$(jget '.components[] | select(.name=="API") | .status')" operational
req POST /api/v1/maintenances -H "$AUTH" -H "$JSON" -d "{\"title\":\"Doomed\",\"scheduled_for\":\"$FROM\",\"scheduled_until\":\"$UNTIL\",\"components\":[\"Checkout\"]}"
DID=$(jget .id)
req GET /api/v2/components.json
check "a second window puts Checkout under maintenance" eq "$(jget '.components[] | select(.name=="Checkout") | .status')" under_maintenance
req DELETE "/api/v1/maintenances/$DID" -H "$AUTH"
check "deleting a window is 200" eq "$STATUS" 200
req GET /api/v2/components.json
check "deleting an active window gives the component back" eq "$(jget '.components[] | select(.name=="Checkout") | .status')" operational
req GET "/maintenance/$DID"
check "a deleted window has no page" eq "$STATUS" 404
req GET /app/maintenances -b "$T/jar.editor"
check "the maintenance page lists windows" contains "$T/body" "Network work"

# Component groups.
login admin "$PW_ADMIN"
req POST /api/v1/components -b "$T/jar.admin" -H "X-CSRF-Token: $CSRF" -H "$JSON" -d '{"name":"Search","group":"Storefront"}'
check "a component with a group is 201" eq "$(jget .group)" Storefront
WID=$(sql "SELECT id FROM components WHERE name='Website'")
WV=$(sql "SELECT version FROM components WHERE name='Website'")
req PATCH "/api/v1/components/$WID" -b "$T/jar.admin" -H "X-CSRF-Token: $CSRF" -H "$JSON" -H "If-Match: \"$WV\"" -d '{"group":"Storefront"}'
check "a component joins a group" eq "$(jget .group)" Storefront
req GET /api/v2/components.json
check "the group is listed as a component with group true" eq "$(jget '[.components[] | select(.group)] | length')" 1
GID=$(jget '.components[] | select(.group) | .id')
check "group ids are strings" test -n "$(echo "$GID" | grep -E '^g[0-9]+$')"
check "the group lists its members" eq "$(jget '.components[] | select(.group) | .components | length')" 2
check "members point at their group" eq "$(jget '.components[] | select(.name=="Search") | .group_id')" "$GID"
check "ungrouped components have group_id null" eq "$(jget '.components[] | select(.name=="Checkout") | .group_id')" null
req GET /
check "the page shows the group" contains "$T/body" "<h2>Storefront</h2>"
req PATCH "/api/v1/components/$WID" -b "$T/jar.admin" -H "X-CSRF-Token: $CSRF" -H "$JSON" -H "If-Match: \"$((WV + 1))\"" -d '{"group":""}'
check "an empty group takes it out" eq "$(jget .group)" ""

# Time zone from the settings.
sql "INSERT INTO settings (key, value) VALUES ('time_zone', '+01:00'), ('page_name', 'Acme status')"
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"bump the data version"}'
req GET /api/v2/incidents.json
check "times carry the page offset" test -n "$(jget '.incidents[0].created_at' | grep -E '\+01:00$')"
check "page name from the settings" eq "$(jget .page.name)" "Acme status"

# ETag and 304.
req GET /
check "the status page is 200" eq "$STATUS" 200
ETAG=$(sed -n 's/^[Ee][Tt]ag: *//p' "$T/headers" | tr -d '\r')
check "the status page has an ETag" test -n "$ETAG"
check "Cache-Control is public" grep -qi '^cache-control: public' "$T/headers"
req GET / -H "If-None-Match: $ETAG"
check "If-None-Match gets 304" eq "$STATUS" 304
req GET /api/v2/summary.json
JETAG=$(sed -n 's/^[Ee][Tt]ag: *//p' "$T/headers" | tr -d '\r')
req GET /api/v2/summary.json -H "If-None-Match: $JETAG"
check "summary.json answers 304 too" eq "$STATUS" 304
req GET / -H 'Accept-Encoding: gzip'
check "gzip when the client accepts it" grep -qi '^content-encoding: gzip' "$T/headers"
check "the answer varies by Accept-Encoding" grep -qi '^vary: Accept-Encoding' "$T/headers"
GZETAG=$(sed -n 's/^[Ee][Tt]ag: *//p' "$T/headers" | tr -d '\r')
check "the gzip variant has its own ETag" test "$GZETAG" != "$ETAG"
gunzip -c "$T/body" > "$T/plain.html" 2>/dev/null
curl -s -o "$T/direct.html" "$BASE/"
check "gzip decompresses to the same page" cmp -s "$T/plain.html" "$T/direct.html"
req GET / -H 'Accept-Encoding: gzip' -H "If-None-Match: $GZETAG"
check "the gzip ETag answers 304" eq "$STATUS" 304
req POST "/api/v1/incidents/$ID/updates" -H "$AUTH" -H "$JSON" -d '{"status":"postmortem","body":"The postmortem is published."}'
req GET / -H "If-None-Match: $ETAG"
check "a write changes the ETag" eq "$STATUS" 200
check "a public page carries the CSP" grep -qi "^content-security-policy: default-src 'none'" "$T/headers"
check "no inline style attributes on the page" lacks "$T/body" ' style='
check "no inline scripts on the page" test "$(grep -c '<script>' "$T/body")" -eq 0
check "uptime bars are SVG rects" contains "$T/body" '<rect x="0"'
check "each bar has a tooltip" contains "$T/body" '% uptime</title>'

# Public pages.
req GET /history
check "history is 200" eq "$STATUS" 200
check "history lists the incident" contains "$T/body" "Checkout errors"
# The month of the incident's start in the page's zone (+01:00, set above),
# not the month the test ends in: they differ around midnight on a month's
# last day.
check "history groups by month" contains "$T/body" "$(date -u -d "@$((STARTED_S + 3600))" '+%B %Y')"
req GET "/incidents/$ID"
check "the public incident page is 200" eq "$STATUS" 200
check "Markdown rendered" contains "$T/body" "<strong>looking</strong> into it &amp;"
check "raw HTML in Markdown is omitted" lacks "$T/body" "<more>"
check "raw HTML in a post is not emitted" lacks "$T/body" "<b>for real</b>"
req GET "/maintenance/$MID"
check "the public maintenance page is 200" eq "$STATUS" 200
req GET /incidents/abc
check "a bad public id is 404" eq "$STATUS" 404

# Feeds parse as XML and carry the updates.
for f in atom rss; do
  req GET "/history.$f"
  check "$f feed is 200" eq "$STATUS" 200
  cp "$T/body" "$T/feed.$f"
  check "$f feed parses as XML" xmllint --noout "$T/feed.$f"
  check "$f feed carries the updates (escaped HTML)" contains "$T/feed.$f" "&lt;strong&gt;looking&lt;/strong&gt;"
done
check "atom content type" eq "$(curl -s -o /dev/null -w '%{content_type}' "$BASE/history.atom")" "application/atom+xml; charset=utf-8"
check "atom has entries" test "$(xmllint --xpath 'count(//*[local-name()="entry"])' "$T/feed.atom")" -ge 1
check "rss has items" test "$(xmllint --xpath 'count(//item)' "$T/feed.rss")" -ge 1

# The export.
OUT=$T/site
"$HS_BIN" --db "$DB" export-status --out "$OUT" >/dev/null
check "export-status exits 0" eq "$?" 0
for f in index.html history.html history.atom history.rss "incidents/$ID.html" "maintenance/$MID.html" \
  api/v2/summary.json api/v2/status.json api/v2/components.json api/v2/incidents.json \
  api/v2/incidents/unresolved.json api/v2/scheduled-maintenances.json \
  api/v2/scheduled-maintenances/upcoming.json api/v2/scheduled-maintenances/active.json \
  static/style.css static/app.js; do
  check "export wrote $f" test -s "$OUT/$f"
done
check "export JSON parses" jq -e .page "$OUT/api/v2/summary.json" >/dev/null
check "export feed parses" xmllint --noout "$OUT/history.atom"
check "no export of the hidden incident" test ! -e "$OUT/incidents/$HID.html"
missing=0
for f in $(cd "$OUT" && find . -name '*.html'); do
  dir=$(dirname "$f")
  for link in $(grep -o -E '(href|src)="[^"]*"' "$OUT/$f" | sed -E 's/^(href|src)="//; s/"$//; s/#.*//'); do
    case "$link" in http://*|https://*|mailto:*|'') continue ;; /*) echo "    absolute link $link in $f"; missing=$((missing + 1)); continue ;; esac
    [ -e "$OUT/$dir/$link" ] || { echo "    $f: $link does not resolve"; missing=$((missing + 1)); }
  done
done
check "every href/src in the export resolves to a file" eq "$missing" 0
"$HS_BIN" --db "$DB" export-status >/dev/null 2>&1
check "export-status without --out is a usage error" eq "$?" 2

# The planted secret reaches nothing public.
leaks=0
for p in / /history /history.atom /history.rss "/incidents/$ID" "/incidents/$HID" "/maintenance/$MID" \
  /api/v2/summary.json /api/v2/status.json /api/v2/components.json /api/v2/incidents.json \
  /api/v2/incidents/unresolved.json /api/v2/scheduled-maintenances.json \
  /api/v2/scheduled-maintenances/upcoming.json /api/v2/scheduled-maintenances/active.json; do
  req GET "$p"
  if grep -q "$SECRET" "$T/body" || grep -q "SEV1" "$T/body"; then echo "    leak in $p"; leaks=$((leaks + 1)); fi
done
check "no public page, feed or JSON shows the secret, severity or names" eq "$leaks" 0
check "no export file shows the secret" test -z "$(grep -rl "$SECRET" "$OUT")"
check "no export page or data shows a severity" test -z "$(grep -rl --exclude-dir=static SEV1 "$OUT")"
hs_stop
