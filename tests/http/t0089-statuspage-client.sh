# t0089-statuspage-client: the npm `statuspage.io` client (3.3.8, Node 18
# compatible; package.json, installed by `npm ci`) reads every endpoint of
# the v2 API of a real server with components, an incident with a status
# post, a resolved one and an upcoming maintenance; and the feeds validate
# (xmllint: well-formed, RSS and Atom structure) and carry the base URL.
. tests/http/lib.sh
if [ ! -d node_modules/statuspage.io ]; then
  echo "FAIL statuspage.io client is not installed (run npm ci)"
  exit 1
fi
hs_start
"$HS_BIN" --db "$DB" config set page_url https://status.example.test
TOKEN=$("$HS_BIN" --db "$DB" token add t89 --scope write)
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'
login admin "$PW_ADMIN"
for c in Website Checkout; do
  req POST /api/v1/components -b "$T/jar.admin" -H "X-CSRF-Token: $CSRF" -H "$JSON" -d "{\"name\":\"$c\"}"
done
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Client test","components":["Checkout"]}'
ID=$(jget .id)
req POST "/api/v1/incidents/$ID/updates" -H "$AUTH" -H "$JSON" -d '{"status":"investigating","body":"Looking & <checking>.","components":{"Checkout":"partial_outage"}}'
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Old one","started_at":"2025-03-01T10:00:00Z","public":true}'
OLD=$(jget .id)
req PATCH "/api/v1/incidents/$OLD" -H "$AUTH" -H "$JSON" -H 'If-Match: "1"' -d '{"status":"resolved","mitigated_at":"2025-03-01T10:30:00Z","resolved_at":"2025-03-01T11:00:00Z"}'
NOW=$(date -u +%s)
FROM=$(date -u -d "@$((NOW + 86400))" +%Y-%m-%dT%H:%M:%SZ)
UNTIL=$(date -u -d "@$((NOW + 90000))" +%Y-%m-%dT%H:%M:%SZ)
req POST /api/v1/maintenances -H "$AUTH" -H "$JSON" -d "{\"title\":\"Upgrade\",\"scheduled_for\":\"$FROM\",\"scheduled_until\":\"$UNTIL\",\"components\":[\"Website\"]}"
check "maintenance scheduled" eq "$STATUS" 201

node tests/http/statuspage-client.mjs "$BASE"
check "the statuspage.io client read every endpoint" eq "$?" 0

# Feeds: well-formed, the right root and children, the base URL.
req GET /history.rss
xmllint --noout --xpath 'count(/rss/channel/item)' "$T/body" >/dev/null 2>&1
check "RSS parses" eq "$(xmllint --xpath 'count(/rss/channel/item)' "$T/body")" 2
check "RSS items link to the base URL" eq "$(xmllint --xpath 'string(/rss/channel/item[1]/link)' "$T/body" | cut -c1-28)" "https://status.example.test/"
check "RSS channel link is the base URL" eq "$(xmllint --xpath 'string(/rss/channel/link)' "$T/body")" "https://status.example.test/"
req GET /history.atom
check "Atom parses with two entries" eq "$(xmllint --xpath "count(/*[local-name()='feed']/*[local-name()='entry'])" "$T/body")" 2
check "Atom id is under the base URL" eq "$(xmllint --xpath "string(/*[local-name()='feed']/*[local-name()='id'])" "$T/body")" "https://status.example.test/history"
check "Atom entries have offset times" grep -qE '<updated>[0-9-]+T[0-9:.]+[+-][0-9]{2}:[0-9]{2}</updated>' "$T/body"
CID=$(curl -s "$BASE/api/v2/components.json" | jq -r '.components[] | select(.name == "Checkout") | .id' | tr -d c)
req GET "/feeds/components/$CID.atom"
check "component feed is 200" eq "$STATUS" 200
xmllint --noout "$T/body"
check "component Atom feed parses" eq "$?" 0
check "component feed carries the base URL" contains "$T/body" "https://status.example.test/feeds/components/$CID.atom"
check "component feed has CORS" grep -qi '^access-control-allow-origin: \*' "$T/headers"
hs_stop
