# t0110-component-order: POST /app/components/order (and /api/v1/...)
# saves the whole order that dragging makes in one request: components keep
# their group and are numbered 1..n within it as listed, groups take the
# listed order, the public JSON and page follow, every change is audited.
# Unknown, repeated or missing ids are a 400 naming the id and save
# nothing; viewers, editors and requests without the CSRF token are refused.
. tests/http/lib.sh
hs_start
JSON='Content-Type: application/json'
login admin "$PW_ADMIN"
ACSRF=$CSRF
for c in Alpha Bravo Charlie; do
  req POST /api/v1/components -b "$T/jar.admin" -H "X-CSRF-Token: $ACSRF" -H "$JSON" -d "{\"name\":\"$c\"}"
done
for c in Db1:Databases Db2:Databases Web1:Frontends Web2:Frontends; do
  req POST /api/v1/components -b "$T/jar.admin" -H "X-CSRF-Token: $ACSRF" -H "$JSON" -d "{\"name\":\"${c%%:*}\",\"group\":\"${c#*:}\"}"
done
req GET /api/v1/components -b "$T/jar.admin"
id() { jq -r ".components[] | select(.name == \"$1\") | .id" "$T/body"; }
gid() { jq -r "[.components[] | select(.group == \"$1\") | .group_id][0]" "$T/body"; }
A=$(id Alpha) B=$(id Bravo) C=$(id Charlie) D1=$(id Db1) D2=$(id Db2) W1=$(id Web1) W2=$(id Web2)
GD=$(gid Databases) GW=$(gid Frontends)
check "components carry their group_id" test "$GD" -gt 0
ORDER() { jq -r '[.components[] | .name] | join(",")' "$T/body"; }
req GET /api/v2/components.json
check "public order before" eq "$(ORDER)" "Databases,Db1,Db2,Frontends,Web1,Web2,Alpha,Bravo,Charlie"

# The JSON route: one request, groups and members reordered.
req POST /api/v1/components/order -b "$T/jar.admin" -H "X-CSRF-Token: $ACSRF" -H "$JSON" \
  -d "{\"groups\":[$GW,$GD],\"components\":[$C,$W2,$A,$D2,$W1,$B,$D1]}"
check "order saved" eq "$STATUS" 200
req GET /api/v2/components.json
check "public JSON follows (groups and members)" eq "$(ORDER)" "Frontends,Web2,Web1,Databases,Db2,Db1,Charlie,Alpha,Bravo"
check "positions are 1..n per group" eq "$(jq -r '[.components[] | select(.group == false) | .position] | join(",")' "$T/body")" "1,2,1,2,1,2,3"
check "group positions follow" eq "$(jq -r '[.components[] | select(.group == true) | .position] | join(",")' "$T/body")" "1,2"
req GET /
check "the page shows the new order" test "$(grep -o '<strong>\(Alpha\|Bravo\|Charlie\)</strong>' "$T/body" | tr -d '\n')" = "<strong>Charlie</strong><strong>Alpha</strong><strong>Bravo</strong>"
check "the page shows Frontends first" test "$(grep -o '<h2>\(Databases\|Frontends\)</h2>' "$T/body" | tr -d '\n')" = "<h2>Frontends</h2><h2>Databases</h2>"
req GET /app/components -b "$T/jar.admin"
check "the admin list is in the page's order" test "$(grep -o 'aria-label="Move [A-Za-z0-9]* up"' "$T/body" | sed 's/.*Move \([A-Za-z0-9]*\) up.*/\1/' | tr '\n' ,)" = "Web2,Web1,Db2,Db1,Charlie,Alpha,Bravo,"
check "the admin list has drag handles" contains "$T/body" 'data-drag-handle'
req GET "/api/v1/audit?entity=component&entity_id=$C" -b "$T/jar.admin"
check "a reorder is audited per component" test "$(jget '.changes | length')" -ge 2
# Databases was made first (position 0), so it is the group that moved.
req GET "/api/v1/audit?entity=component_group&entity_id=$GD" -b "$T/jar.admin"
check "a group's move is audited" eq "$(jget '.changes[0].after.position')" 2

# The form route (comma-separated ids), without groups: group order stays.
req POST /app/components/order -b "$T/jar.admin" --data-urlencode "csrf_token=$ACSRF" \
  --data-urlencode "components=$A,$B,$C,$D1,$D2,$W1,$W2"
check "the form route redirects to the list" eq "$STATUS" 303
req GET /api/v2/components.json
check "form order saved" eq "$(ORDER)" "Frontends,Web1,Web2,Databases,Db1,Db2,Alpha,Bravo,Charlie"

# Bad input: 400 naming the problem, nothing saved.
bad() {
  req POST /api/v1/components/order -b "$T/jar.admin" -H "X-CSRF-Token: $ACSRF" -H "$JSON" -d "$2"
  check "$1: 400" eq "$STATUS" 400
  check "$1: names it" contains "$T/body" "$3"
}
bad "unknown id" "{\"components\":[$C,$B,$A,$D1,$D2,$W1,$W2,999999]}" "no component 999999"
bad "repeated id" "{\"components\":[$C,$B,$A,$D1,$D2,$W1,$C]}" "$C is listed twice"
bad "missing id" "{\"components\":[$C,$B,$A,$D1,$D2,$W1]}" "component $W2 is missing"
bad "unknown group" "{\"groups\":[$GD,$GW,999],\"components\":[$C,$B,$A,$D1,$D2,$W1,$W2]}" "no group with components 999"
bad "missing group" "{\"groups\":[$GW],\"components\":[$C,$B,$A,$D1,$D2,$W1,$W2]}" "group with components $GD is missing"
bad "not a list" '{"components":"x"}' "components:"
bad "not ids" '{"components":[1,"2"]}' "positive whole numbers"
bad "no components" '{"groups":[]}' "components: is required"
bad "unknown field" "{\"components\":[$C],\"dir\":\"up\"}" "dir"
BIG=$(seq 1 1001 | paste -sd,)
bad "too many ids" "{\"components\":[$BIG]}" "at most 1000"
req POST /app/components/order -b "$T/jar.admin" --data-urlencode "csrf_token=$ACSRF" --data-urlencode "components=$A,x"
check "a bad form list is 400" eq "$STATUS" 400
req GET /api/v2/components.json
check "nothing was half-saved" eq "$(ORDER)" "Frontends,Web1,Web2,Databases,Db1,Db2,Alpha,Bravo,Charlie"

# Who may: admins with the CSRF token.
req POST /api/v1/components/order -b "$T/jar.admin" -H "$JSON" -d "{\"components\":[$C,$B,$A,$D1,$D2,$W1,$W2]}"
check "no CSRF token: refused" eq "$STATUS" 403
req POST /app/components/order -b "$T/jar.admin" --data-urlencode "components=$C,$B,$A,$D1,$D2,$W1,$W2"
check "no CSRF token (form): refused" eq "$STATUS" 403
for who in viewer editor; do
  case $who in viewer) PW=$PW_VIEWER ;; editor) PW=$PW_EDITOR ;; esac
  login "$who" "$PW"
  req POST /api/v1/components/order -b "$T/jar.$who" -H "X-CSRF-Token: $CSRF" -H "$JSON" -d "{\"components\":[$C,$B,$A,$D1,$D2,$W1,$W2]}"
  check "a $who may not reorder" eq "$STATUS" 403
done
req GET /api/v2/components.json
check "refused requests saved nothing" eq "$(ORDER)" "Frontends,Web1,Web2,Databases,Db1,Db2,Alpha,Bravo,Charlie"
hs_stop
