# t0088-status-order-maint: issue 19's component order and groups, and
# maintenance transitions. New components go last (position 1, 2, 3, not
# all 0); up/down (admin, CSRF, audited) moves one within its group, and
# `position` and the page follow. Groups fold as Statuspage's do
# (details/summary, open when a member is not operational). A window made
# with scheduled_for in the past starts when it is made (not before its own
# record), its updates name the components it moved, and status,
# updated_at and the newest update agree in every endpoint.
. tests/http/lib.sh
hs_start
TOKEN=$("$HS_BIN" --db "$DB" token add t88 --scope write)
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'
login admin "$PW_ADMIN"
ACSRF=$CSRF
for c in Alpha Bravo Charlie; do
  req POST /api/v1/components -b "$T/jar.admin" -H "X-CSRF-Token: $ACSRF" -H "$JSON" -d "{\"name\":\"$c\"}"
done
for c in Db1 Db2; do
  req POST /api/v1/components -b "$T/jar.admin" -H "X-CSRF-Token: $ACSRF" -H "$JSON" -d "{\"name\":\"$c\",\"group\":\"Databases\"}"
done
req GET /api/v2/components.json
check "positions are not all 0" eq "$(jget '[.components[] | select(.group == false and .group_id == null) | .position] | join(",")')" "1,2,3"
CID=$(jget '.components[] | select(.name == "Charlie") | .id' | tr -d c)

req POST "/app/components/$CID/move" -b "$T/jar.admin" --data-urlencode "csrf_token=$ACSRF" --data-urlencode "dir=up"
check "moving up redirects to the list" eq "$STATUS" 303
req POST "/app/components/$CID/move" -b "$T/jar.admin" --data-urlencode "dir=up"
check "moving without CSRF is refused" eq "$STATUS" 403
login editor "$PW_EDITOR"
req POST "/app/components/$CID/move" -b "$T/jar.editor" --data-urlencode "csrf_token=$CSRF" --data-urlencode "dir=up"
check "an editor may not reorder" eq "$STATUS" 403
req POST "/api/v1/components/$CID/move" -b "$T/jar.admin" -H "X-CSRF-Token: $ACSRF" -H "$JSON" -d '{"dir":"sideways"}'
check "a bad direction is 400" eq "$STATUS" 400
req GET /api/v2/components.json
check "order after one move up" eq "$(jget '[.components[] | select(.group == false and .group_id == null) | .name] | join(",")')" "Alpha,Charlie,Bravo"
check "positions follow" eq "$(jget '[.components[] | select(.group == false and .group_id == null) | .position] | join(",")')" "1,2,3"
req POST "/api/v1/components/$CID/move" -b "$T/jar.admin" -H "X-CSRF-Token: $ACSRF" -H "$JSON" -d '{"dir":"up"}'
req POST "/api/v1/components/$CID/move" -b "$T/jar.admin" -H "X-CSRF-Token: $ACSRF" -H "$JSON" -d '{"dir":"up"}'
check "moving the first one up is harmless" eq "$STATUS" 200
req GET /api/v2/summary.json
check "summary.json has the same order" eq "$(jget '[.components[] | select(.group == false and .group_id == null) | .name] | join(",")')" "Charlie,Alpha,Bravo"
req GET /
check "the page shows the same order" test "$(grep -o '<strong>\(Alpha\|Bravo\|Charlie\)</strong>' "$T/body" | tr -d '\n')" = "<strong>Charlie</strong><strong>Alpha</strong><strong>Bravo</strong>"
req GET /app/components -b "$T/jar.admin"
check "the admin list has up/down buttons" contains "$T/body" "action=\"/app/components/$CID/move\""
req GET "/api/v1/audit?entity=component&entity_id=$CID" -b "$T/jar.admin"
check "a move is audited" test "$(jget '.changes | length')" -ge 2

# Groups fold: closed while all is well.
req GET /
check "a group is a details element" contains "$T/body" '<details class="group">'
check "its summary names it" grep -q '<summary class="group-head"><h2>Databases</h2>' "$T/body"
D1=$(curl -s "$BASE/api/v2/components.json" | jq -r '.components[] | select(.name == "Db1") | .id' | tr -d c)
req PATCH "/api/v1/components/$D1" -b "$T/jar.admin" -H "X-CSRF-Token: $ACSRF" -H "$JSON" -H "If-Match: \"$(curl -s -b "$T/jar.admin" "$BASE/api/v1/components" | jq -r ".components[]? // .[] | select(.id == $D1) | .version" 2>/dev/null | head -1)\"" -d '{"status":"degraded_performance"}'
check "a member degraded" eq "$STATUS" 200
req GET /
check "a group with trouble is open" contains "$T/body" '<details class="group" open>'

# Maintenance created after its start.
NOW=$(date -u +%s)
FROM=$(date -u -d "@$((NOW - 3600))" +%Y-%m-%dT%H:%M:%SZ)
UNTIL=$(date -u -d "@$((NOW + 3600))" +%Y-%m-%dT%H:%M:%SZ)
req POST /api/v1/maintenances -H "$AUTH" -H "$JSON" -d "{\"title\":\"Late window\",\"scheduled_for\":\"$FROM\",\"scheduled_until\":\"$UNTIL\",\"components\":[\"Alpha\"]}"
check "maintenance created" eq "$STATUS" 201
MID=$(jget .id)
CREATED=$(jget .created_at)
check "it is in progress" eq "$(jget .status)" in_progress
check "its start is when it was made" eq "$(jget .started_at)" "$CREATED"
for ep in scheduled-maintenances.json scheduled-maintenances/active.json summary.json; do
  req GET "/api/v2/$ep"
  M=".scheduled_maintenances[] | select(.id == \"m$MID\")"
  check "$ep: status in_progress" eq "$(jget "$M | .status")" in_progress
  check "$ep: newest update agrees" eq "$(jget "$M | .incident_updates[0].status")" in_progress
  check "$ep: update not before the window" test "$(date -d "$(jget "$M | .incident_updates[0].created_at")" +%s%3N)" -ge "$(date -d "$(jget "$M | .created_at")" +%s%3N)"
  check "$ep: updated_at is the update's" eq "$(jget "$M | .updated_at")" "$(jget "$M | .incident_updates[0].created_at")"
  check "$ep: the update names Alpha" eq "$(jget "$M | .incident_updates[0].affected_components[0].name")" Alpha
  check "$ep: old status" eq "$(jget "$M | .incident_updates[0].affected_components[0].old_status")" operational
  check "$ep: new status" eq "$(jget "$M | .incident_updates[0].affected_components[0].new_status")" under_maintenance
done
req GET /api/v2/components.json
check "Alpha is under maintenance" eq "$(jget '.components[] | select(.name == "Alpha") | .status')" under_maintenance
# Completing it by hand: the update names the way back.
V=$(curl -s -H "$AUTH" "$BASE/api/v1/maintenances/$MID" | jq -r .version)
req PATCH "/api/v1/maintenances/$MID" -H "$AUTH" -H "$JSON" -H "If-Match: \"$V\"" -d '{"status":"completed"}'
check "completed" eq "$(jget .status)" completed
req GET /api/v2/scheduled-maintenances.json
M=".scheduled_maintenances[] | select(.id == \"m$MID\")"
check "completion update first" eq "$(jget "$M | .incident_updates[0].status")" completed
check "completion names Alpha back to operational" eq "$(jget "$M | .incident_updates[0].affected_components[0].new_status")" operational
check "and from under_maintenance" eq "$(jget "$M | .incident_updates[0].affected_components[0].old_status")" under_maintenance
req GET /api/v2/components.json
check "Alpha is operational again" eq "$(jget '.components[] | select(.name == "Alpha") | .status')" operational
hs_stop
