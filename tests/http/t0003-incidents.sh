# t0003-incidents: declare, list, read, edit, status changes and closing,
# over the JSON API and the HTML forms; bad input gets a 4xx naming it.
. tests/http/lib.sh
hs_start
TOKEN=$("$HS_BIN" --db "$DB" token add api --scope write)
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'
ADMIN=$("$HS_BIN" --db "$DB" token add adm --scope write)

login admin "$PW_ADMIN"
req POST /api/v1/components -b "$T/jar.admin" -H "X-CSRF-Token: $CSRF" -H "$JSON" -d '{"name":"Checkout","description":"Cart and payment"}'
check "admin creates a component (201)" eq "$STATUS" 201
req POST /api/v1/components -b "$T/jar.admin" -H "X-CSRF-Token: $CSRF" -H "$JSON" -d '{"name":"Checkout"}'
check "a duplicate component name is 409" eq "$STATUS" 409
req POST /api/v1/components -b "$T/jar.admin" -H "X-CSRF-Token: $CSRF" -H "$JSON" -d '{"name":"Website","status":"exploded"}'
check "unknown component status is 400" eq "$STATUS" 400
check "the 400 names the field" contains "$T/body" "status: must be one of"

# Declare through the API.
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Checkout 502s","severity":"SEV2","impact":"major","components":["Checkout"],"summary":"Customers see **502**","started_at":"2026-11-20T11:38:00+01:00"}'
check "declare via API is 201" eq "$STATUS" 201
ID=$(jget .id)
check "the incident has an id" test "$ID" -gt 0
check "title is kept" eq "$(jget .title)" "Checkout 502s"
check "status starts as investigating" eq "$(jget .status)" investigating
check "components are names" eq "$(jget '.components[0]')" Checkout
check "started_at is converted to UTC with ms" eq "$(jget .started_at)" "2026-11-20T10:38:00.000Z"
check "unmarked moments are null" eq "$(jget .resolved_at)" null
check "metrics are null until marked" eq "$(jget .metrics.time_to_resolve_s)" null
check "version starts at 1" eq "$(jget .version)" 1

req GET "/api/v1/incidents/$ID" -H "$AUTH"
check "read back via API" eq "$(jget .severity)" SEV2
req GET /api/v1/incidents/999999 -H "$AUTH"
check "missing incident is 404" eq "$STATUS" 404
req GET /api/v1/incidents/abc -H "$AUTH"
check "non-numeric id is 404" eq "$STATUS" 404

# Edit with optimistic concurrency.
req PATCH "/api/v1/incidents/$ID" -H "$AUTH" -H "$JSON" -d '{"status":"identified"}'
check "PATCH without If-Match is 428" eq "$STATUS" 428
req PATCH "/api/v1/incidents/$ID" -H "$AUTH" -H "$JSON" -H 'If-Match: "1"' -d '{"status":"identified","detected_at":"2026-11-20T10:41:30Z"}'
check "PATCH with the right version is 200" eq "$STATUS" 200
check "version goes up" eq "$(jget .version)" 2
check "time to detect follows from the moments" eq "$(jget .metrics.time_to_detect_s)" 210
req PATCH "/api/v1/incidents/$ID" -H "$AUTH" -H "$JSON" -H 'If-Match: "1"' -d '{"title":"stale edit"}'
check "a stale version is 409" eq "$STATUS" 409
check "409 carries the current record" eq "$(jget .current.version)" 2
req PATCH "/api/v1/incidents/$ID" -H "$AUTH" -H "$JSON" -H 'If-Match: "2"' -d '{"detected_at":"2026-11-20T09:00:00Z"}'
check "moments out of order are refused" eq "$STATUS" 400
check "the message names both moments" contains "$T/body" "detected_at: cannot be before started_at"
req PATCH "/api/v1/incidents/$ID" -H "$AUTH" -H "$JSON" -H 'If-Match: "2"' -d '{"status":"resolved"}'
check "closing the incident is 200" eq "$STATUS" 200
check "resolving sets resolved_at" test "$(jget .resolved_at)" != null
check "time to resolve is known" test "$(jget .metrics.time_to_resolve_s)" != null
check "every change is logged" test "$(sql "SELECT count(*) FROM changes WHERE entity='incident' AND entity_id=$ID")" -eq 3

# Bad input: 400 naming the problem, never 500, nothing half-written.
before=$(sql 'SELECT count(*) FROM incidents')
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title": "x",'
check "malformed JSON is 400" eq "$STATUS" 400
check "malformed JSON names the problem" contains "$T/body" "malformed JSON at line 1"
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"x","severity":"SEV9"}'
check "unknown severity is 400" eq "$STATUS" 400
check "unknown severity names the field" contains "$T/body" "severity: must be one of SEV1, SEV2, SEV3, SEV4"
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"x","status":"on_fire"}'
check "unknown status is 400" eq "$STATUS" 400
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"severity":"SEV1"}'
check "missing title is 400" contains "$T/body" "title: is required"
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":42}'
check "wrong type is 400" contains "$T/body" "title: must be a string"
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"x","title":"y"}'
check "duplicate keys are 400" eq "$STATUS" 400
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"x","role":"admin"}'
check "unknown fields are refused by name" contains "$T/body" "role: is not a known field"
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"x","started_at":"yesterday"}'
check "an unparseable time is 400" contains "$T/body" "started_at: is not an RFC 3339 time"
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"x","components":["Nope"]}'
check "unknown component is 400" contains "$T/body" 'components: no component named \"Nope\"'
printf '{"title":"\377\376bad"}' > "$T/bad.json"
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" --data-binary @"$T/bad.json"
check "invalid UTF-8 is 400" eq "$STATUS" 400
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"a\u0000b"}'
check "NUL in a string is 400" eq "$STATUS" 400
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '[1,2]'
check "a JSON array body is 400" eq "$STATUS" 400
req POST /api/v1/incidents -H "$AUTH" -H 'Content-Type: text/plain' -d '{"title":"x"}'
check "a JSON endpoint sent text/plain is 415" eq "$STATUS" 415
head -c 100000 /dev/zero | tr '\0' '[' > "$T/deep.json"
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" --data-binary @"$T/deep.json"
check "100000 nested brackets are 400" eq "$STATUS" 400
head -c 3000000 /dev/zero | tr '\0' 'a' | sed 's/^/{"title":"/; s/$/"}/' > "$T/big.json"
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" --data-binary @"$T/big.json"
check "a 3 MB JSON body is 413" eq "$STATUS" 413
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d "{\"title\":\"$(head -c 300 /dev/zero | tr '\0' 'x')\"}"
check "an over-long title is 400" contains "$T/body" "title: longer than 200 bytes"
check "no rejected request wrote anything" eq "$(sql 'SELECT count(*) FROM incidents')" "$before"

# Hostile text is stored as text and escaped on the page.
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"\"><svg onload=alert(1)> {{7*7}}","summary":"<script>alert(1)</script> [x](javascript:alert(1))"}'
XID=$(jget .id)
req GET "/app/incidents/$XID" -b "$T/jar.admin"
check "title is escaped in the page" contains "$T/body" "&quot;&gt;&lt;svg onload=alert(1)&gt; {{7*7}}"
check "no raw svg tag in the page" lacks "$T/body" "<svg onload"
check "raw HTML in Markdown is omitted" lacks "$T/body" "<script>alert"
check "javascript: links are dropped" lacks "$T/body" 'href="javascript:'

# The HTML forms: declare, edit, resolve.
req POST /app/incidents -b "$T/jar.admin" --data-urlencode "csrf_token=$CSRF" --data-urlencode "title=Form incident" \
  --data "severity=SEV1&impact=critical&components=Checkout&components_present=1&public=1&summary=hello"
check "form declare redirects to the incident" grep -qi '^location: /app/incidents/[0-9]' "$T/headers"
FID=$(sed -n 's/^[Ll]ocation: \/app\/incidents\/\([0-9]*\).*/\1/p' "$T/headers" | tr -d '\r')
req GET "/app/incidents/$FID" -b "$T/jar.admin"
check "the incident page shows the title" contains "$T/body" "Form incident"
check "the page shows the severity" contains "$T/body" "SEV1"
check "the page escapes nothing it should not" contains "$T/body" "<p>hello</p>"
req GET "/app/incidents/$FID?format=json" -b "$T/jar.admin"
check "the same handler serves JSON" eq "$(jget .title)" "Form incident"
check "public flag from the form" eq "$(jget .public)" true
req POST "/app/incidents/$FID" -b "$T/jar.admin" --data "csrf_token=$CSRF&version=1&status=resolved"
check "resolve form redirects" eq "$STATUS" 303
req GET "/api/v1/incidents/$FID" -H "$AUTH"
check "resolve form closes the incident" eq "$(jget .status)" resolved
req POST "/app/incidents/$FID" -b "$T/jar.admin" --data "csrf_token=$CSRF&version=1&title=stale"
check "a stale form edit is 409" eq "$STATUS" 409

req GET "/api/v1/incidents?limit=2" -H "$AUTH"
check "lists are paged" eq "$(jget '.incidents | length')" 2
CUR=$(jget .next_cursor)
req GET "/api/v1/incidents?limit=2&cursor=$CUR" -H "$AUTH"
check "the cursor gives the next page" test "$(jget '.incidents[0].id')" -lt "$CUR"
req GET "/api/v1/incidents?limit=0" -H "$AUTH"
check "a bad limit is 400" eq "$STATUS" 400
req GET /app/incidents -b "$T/jar.admin"
check "the list page shows incidents" contains "$T/body" "Form incident"
req GET /api/v1/incidents/$FID/../../components -H "$AUTH"
check "paths are not normalised into other routes" test "$STATUS" -ne 500
hs_stop
