# t0086-status-page: issue 19's public page. The last 7 days day by day
# ("No incidents reported" on quiet ones) with links; the postmortem's
# public summary on /incidents/{id} and in the v2 API once published (v2
# fields intact); the SVG badge (page and per component, path and query
# forms, cached with an ETag, CORS) and the script-free /embed page that
# other sites may frame (and no other page).
. tests/http/lib.sh
hs_start
TOKEN=$("$HS_BIN" --db "$DB" token add t86 --scope write)
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'
login admin "$PW_ADMIN"
for c in Website "Checkout API"; do
  req POST /api/v1/components -b "$T/jar.admin" -H "X-CSRF-Token: $CSRF" -H "$JSON" -d "{\"name\":\"$c\"}"
done

req GET /
check "seven quiet days" eq "$(grep -c 'No incidents reported.' "$T/body")" 7
check "a past incidents section" contains "$T/body" '<h2>Past incidents</h2>'

req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Checkout slow","components":["Checkout API"]}'
ID=$(jget .id)
req POST "/api/v1/incidents/$ID/updates" -H "$AUTH" -H "$JSON" -d '{"status":"investigating","body":"Looking.","components":{"Checkout API":"partial_outage"}}'
req GET /
check "six quiet days once an incident began" eq "$(grep -c 'No incidents reported.' "$T/body")" 6
check "the day lists the incident with a link" grep -q "<a class=\"history-title impact-text-[a-z]*\" href=\"/incidents/$ID\">Checkout slow</a>" "$T/body"
check "the open incident's title links to its page" contains "$T/body" "<h2><a href=\"/incidents/$ID\">Checkout slow</a></h2>"

# Badges.
req GET /badge.svg
check "badge is 200" eq "$STATUS" 200
check "badge is SVG" grep -qi '^content-type: image/svg+xml' "$T/headers"
check "badge says the page status" contains "$T/body" '>Partial System Outage</text>'
check "badge has an ETag" grep -qi '^etag: "' "$T/headers"
check "badge has CORS" grep -qi '^access-control-allow-origin: \*' "$T/headers"
xmllint --noout "$T/body"
check "badge is well-formed XML" eq "$?" 0
ETAG=$(sed -n 's/^[Ee][Tt][Aa][Gg]: *\(.*\)\r$/\1/p' "$T/headers")
req GET /badge.svg -H "If-None-Match: $ETAG"
check "badge answers 304" eq "$STATUS" 304
req GET "/badge.svg?component=checkout%20api"
check "component badge (query form) is 200" eq "$STATUS" 200
check "component badge names it" contains "$T/body" '>Checkout API</text>'
check "component badge says its status" contains "$T/body" '>Partial outage</text>'
req GET "/badge/Website.svg"
check "component badge (path form)" contains "$T/body" '>Operational</text>'
req GET "/badge/Nope.svg"
check "unknown component badge is 404" eq "$STATUS" 404
req GET "/badge.svg?component=Nope"
check "unknown component (query) is 404" eq "$STATUS" 404
req GET "/badge.svg?component=%3Cscript%3E"
check "markup in a component name is 404, not reflected" eq "$STATUS" 404

# Embed.
req GET /embed
check "embed is 200" eq "$STATUS" 200
check "embed says the status" contains "$T/body" "Partial System Outage"
check "embed has no script" lacks "$T/body" "<script"
check "embed may be framed" lacks "$T/headers" "X-Frame-Options"
check "embed's CSP allows any frame ancestor" grep -qi "^content-security-policy: .*frame-ancestors \*" "$T/headers"
check "embed's CSP allows no script" grep -qi "^content-security-policy: .*script-src 'none'" "$T/headers"
check "embed is cached like /" grep -qi '^cache-control: public, max-age=10' "$T/headers"
req GET /
check "/ still refuses frames" grep -qi '^x-frame-options: DENY' "$T/headers"
req GET /embed -H 'Accept-Encoding: gzip'
check "gzip embed may be framed too" lacks "$T/headers" "X-Frame-Options"

# Postmortem public summary.
req POST "/api/v1/incidents/$ID/updates" -H "$AUTH" -H "$JSON" -d '{"status":"resolved","body":"Fixed.","components":{"Checkout API":"operational"}}'
P=/api/v1/incidents/$ID/postmortem
req POST "$P" -H "$AUTH" -H "$JSON" -d '{}'
check "postmortem created" eq "$STATUS" 201
V=$(jget .version)
req PATCH "$P" -H "$AUTH" -H "$JSON" -H "If-Match: \"$V\"" -d '{"public_summary":"A **bad** config on the checkout tier. We now canary every change."}'
V=$(jget .version)
req GET "/incidents/$ID"
check "a draft's summary stays private" lacks "$T/body" "canary every change"
req GET /api/v2/incidents.json
check "v2 postmortem_body is null before publishing" eq "$(jget ".incidents[] | select(.id == \"$ID\") | .postmortem_body")" null
req PATCH "$P" -H "$AUTH" -H "$JSON" -H "If-Match: \"$V\"" -d '{"status":"in_review","override_reason":"test"}'
V=$(jget .version)
req PATCH "$P" -H "$AUTH" -H "$JSON" -H "If-Match: \"$V\"" -d '{"status":"published","override_reason":"test"}'
check "postmortem published" eq "$(jget .status)" published
req GET "/incidents/$ID"
check "published summary on the incident page" contains "$T/body" "A <strong>bad</strong> config on the checkout tier. We now canary every change."
check "a postmortem heading" contains "$T/body" "<h2>Postmortem</h2>"
req GET /api/v2/incidents.json
check "v2 carries postmortem_body" eq "$(jget ".incidents[] | select(.id == \"$ID\") | .postmortem_body")" "A **bad** config on the checkout tier. We now canary every change."
check "v2 carries postmortem_published_at" test "$(jget ".incidents[] | select(.id == \"$ID\") | .postmortem_published_at")" != null
for k in id name status created_at updated_at monitoring_at resolved_at impact shortlink started_at page_id incident_updates components; do
  check "v2 incident keeps $k" eq "$(jget ".incidents[] | select(.id == \"$ID\") | has(\"$k\")")" true
done
req GET /history.atom
check "the feed carries the summary" contains "$T/body" "canary every change"

# Public metrics (opt-in per component): requests and 5xx per minute from
# the access log of a public incident naming the component.
NOW=$(date -u +%s)
i=0
while [ $i -lt 20 ]; do
  st=200; [ $i -lt 5 ] && st=502
  printf '10.0.0.%d - - [%s] "GET /pay HTTP/1.1" %d 10 "-" "curl/8"\n' $i "$(date -u -d "@$((NOW - 120))" '+%d/%b/%Y:%H:%M:%S +0000')" $st
  i=$((i + 1))
done > "$T/access.log"
req POST "/api/v1/incidents/$ID/ingest?format=nginx" -H "$AUTH" -H 'Content-Type: text/plain' --data-binary @"$T/access.log"
check "access log ingested" eq "$(jget .accepted)" 20
req GET /
check "no chart before opting in" lacks "$T/body" 'class="metrics-svg"'
"$HS_BIN" --db "$DB" config set page_chart_components "website, checkout api"
req POST /api/v1/settings -b "$T/jar.admin" -H "X-CSRF-Token: $CSRF" -H "$JSON" -d '{"page_chart_components":"Website, checkout api"}'
check "opting in through the settings API" eq "$STATUS" 200
req GET /
check "the opted-in component has a chart" contains "$T/body" 'class="metrics-svg"'
check "its error rate over 24 hours" contains "$T/body" "25.00% 5xx"
check "a bar's tooltip gives the rate" grep -q '<title>[^<]*: 2.0 requests/min, 25.0% 5xx</title>' "$T/body"
check "only one chart (Website has no log)" eq "$(grep -o 'class="metrics-svg"' "$T/body" | wc -l)" 1
hs_stop
