# t0085-status-settings: issue 19's admin Settings page and what it drives.
# Admin only, CSRF, every field checked (a bad one names itself and saves
# nothing), audited, live without a restart: the name, base URL (feeds,
# API), an IANA zone with DST (the incident header and its updates in the
# same labelled zone), logo, accent colour (theme.css), support link. CORS
# on /api/v2 and feeds, never on /api/v1 or /app.
. tests/http/lib.sh
hs_start
TOKEN=$("$HS_BIN" --db "$DB" token add t85 --scope write)
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'

login admin "$PW_ADMIN"
ACSRF=$CSRF
req GET /app/settings -b "$T/jar.admin"
check "settings page is 200 for an admin" eq "$STATUS" 200
check "settings page has the base URL field" contains "$T/body" 'name="page_url" value="http://localhost:8080"'
check "settings page has the zone field" contains "$T/body" 'name="time_zone" value="Etc/UTC"'
check "settings page has ingest settings" contains "$T/body" 'name="ingest.window_minutes" value="30"'
check "settings page has retention settings" contains "$T/body" 'name="subscriptions.outbox_keep_days"'
login editor "$PW_EDITOR"
req GET /app/settings -b "$T/jar.editor"
check "an editor may not read settings" eq "$STATUS" 403
req POST /app/settings -b "$T/jar.editor" --data-urlencode "csrf_token=$CSRF" --data-urlencode "page_name=Hacked"
check "an editor may not change settings" eq "$STATUS" 403
req GET /app/settings
check "anonymous is sent to log in" test "$STATUS" = 303 -o "$STATUS" = 401
req POST /app/settings -b "$T/jar.admin" --data-urlencode "page_name=NoCsrf"
check "a post without the CSRF token is refused" eq "$STATUS" 403

# Bad values: 400 naming the field, and nothing of the form is saved.
for kv in "time_zone=../../etc/passwd" "time_zone=Mars/Olympus" "page_url=javascript:alert(1)" \
  "page_url=https://x.test/?q=1" "page_accent_color=red" "page_logo_url=//evil.test/x.png" \
  "page_support_url=javascript:x" "ingest.window_minutes=-5" "ingest.auto_declare=2" "page_name=" \
  "smtp.password=x"; do
  req POST /api/v1/settings -b "$T/jar.admin" -H "X-CSRF-Token: $ACSRF" --data-urlencode "page_name=Never saved" --data-urlencode "$kv"
  check "refused: $kv" eq "$STATUS" 400
  check "the error names ${kv%%=*}" eq "$(jget .error.message | cut -d: -f1)" "${kv%%=*}"
done
req GET /api/v2/summary.json
check "nothing of a refused form was saved" eq "$(jget .page.name)" "Service status"

req POST /app/settings -b "$T/jar.admin" --data-urlencode "csrf_token=$ACSRF" \
  --data-urlencode "page_name=Acme status" --data-urlencode "page_url=https://status.acme.test/" \
  --data-urlencode "time_zone=Europe/Berlin" --data-urlencode "page_accent_color=#aa3300" \
  --data-urlencode "page_logo_url=https://cdn.acme.test/logo.svg" \
  --data-urlencode "page_support_url=mailto:help@acme.test" --data-urlencode "ingest.window_minutes=45"
check "saving redirects back" eq "$STATUS" 303
check "to the page, saved" grep -qi '^location: /app/settings?saved=1' "$T/headers"
check "the CLI sees the ingest value" eq "$("$HS_BIN" --db "$DB" config get ingest.window_minutes)" 45
req GET "/api/v1/audit?entity=setting" -b "$T/jar.admin"
check "each change is audited" eq "$(jget '[.changes[] | select(.after.key == "time_zone")] | length')" 1
check "audit names the admin" eq "$(jget '[.changes[] | select(.after.key == "time_zone")][0].actor')" admin
check "audit keeps the old value" eq "$(jget '[.changes[] | select(.after.key == "time_zone")][0].before.value')" "Etc/UTC"

# Live, no restart.
req GET /api/v2/summary.json
check "page name is live" eq "$(jget .page.name)" "Acme status"
check "base URL is live (trailing slash dropped)" eq "$(jget .page.url)" "https://status.acme.test"
check "zone is live" eq "$(jget .page.time_zone)" "Europe/Berlin"
check "CORS on the v2 API" grep -qi '^access-control-allow-origin: \*' "$T/headers"
req GET /api/v2/summary.json -H 'Accept-Encoding: gzip'
check "CORS on the gzip variant" grep -qi '^access-control-allow-origin: \*' "$T/headers"
ETAG=$(sed -n 's/^[Ee][Tt][Aa][Gg]: *\(.*\)\r$/\1/p' "$T/headers")
req GET /api/v2/summary.json -H "If-None-Match: $ETAG" -H 'Accept-Encoding: gzip'
check "CORS on a 304" grep -qi '^access-control-allow-origin: \*' "$T/headers"
req GET /history.atom
check "Atom feed carries the base URL" contains "$T/body" '<link rel="self" type="application/atom+xml" href="https://status.acme.test/history.atom"/>'
check "CORS on the Atom feed" grep -qi '^access-control-allow-origin: \*' "$T/headers"
xmllint --noout "$T/body" 2>"$T/xml.err"
check "Atom feed is well-formed XML" eq "$?" 0
req GET /history.rss
check "RSS feed carries the base URL" contains "$T/body" '<link>https://status.acme.test/</link>'
check "CORS on the RSS feed" grep -qi '^access-control-allow-origin: \*' "$T/headers"
req GET /app/actions.atom -b "$T/jar.admin"
check "the actions feed links with the base URL" contains "$T/body" '<link rel="self" href="https://status.acme.test/app/actions.atom"/>'
req GET /api/v1/incidents -H "$AUTH"
check "no CORS on /api/v1" lacks "$T/headers" "Access-Control-Allow-Origin"
req GET /app/incidents -b "$T/jar.admin"
check "no CORS on /app" lacks "$T/headers" "Access-Control-Allow-Origin"
req GET /
check "no CORS on the HTML page" lacks "$T/headers" "Access-Control-Allow-Origin"
check "page name on /" contains "$T/body" "Acme status"
check "logo on /" contains "$T/body" '<img class="brand-logo" src="https://cdn.acme.test/logo.svg"'
check "support link on /" contains "$T/body" 'href="mailto:help@acme.test"'
check "theme.css linked" contains "$T/body" 'href="/theme.css"'
check "the zone is named on /" grep -qE 'Times in Europe/Berlin \((CET|CEST)\)' "$T/body"
check "the CSP lets an https logo load" grep -qi "^content-security-policy: .*img-src 'self' data: https:" "$T/headers"
req GET /theme.css
check "theme.css carries the accent" contains "$T/body" "--accent: #aa3300;"
check "theme.css is CSS" grep -qi '^content-type: text/css' "$T/headers"

# DST: a winter and a summer incident, each header in its own offset,
# labelled; the update on the same page in the same zone.
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Winter","started_at":"2025-01-15T12:00:00Z","public":true}'
WID=$(jget .id)
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Summer","started_at":"2025-07-15T12:00:00Z"}'
SID=$(jget .id)
req POST "/api/v1/incidents/$SID/updates" -H "$AUTH" -H "$JSON" -d '{"status":"investigating","body":"Looking."}'
req GET "/incidents/$WID"
check "winter header in CET" contains "$T/body" "Started Jan 15, 2025 · 13:00 CET"
req GET "/incidents/$SID"
check "summer header in CEST" contains "$T/body" "Started Jul 15, 2025 · 14:00 CEST"
check "the update's time is labelled in the page zone" grep -qE 'class="muted small when" title="[^"]*\+0[12]:00">[A-Z][a-z]{2} [0-9]+, [0-9]{4} · [0-9]{2}:[0-9]{2} CES?T<' "$T/body"
check "no unlabelled time element for the browser to localise" lacks "$T/body" '<time datetime'
req GET /history.rss
check "RSS dates in the page zone (summer)" contains "$T/body" "<pubDate>"
check "RSS dates carry the zone's offset" grep -qE '<pubDate>[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} \+0[12]00</pubDate>' "$T/body"
req GET "/api/v2/incidents.json"
check "v2 times carry the DST offset" eq "$(jget "[.incidents[] | select(.name == \"Summer\")][0].started_at")" "2025-07-15T14:00:00.000+02:00"

# A resolved incident with no updates does not promise updates.
req PATCH "/api/v1/incidents/$WID" -H "$AUTH" -H "$JSON" -H 'If-Match: "1"' -d '{"status":"resolved","mitigated_at":"2025-01-15T12:50:00Z","resolved_at":"2025-01-15T13:00:00Z"}'
check "winter incident resolved" eq "$STATUS" 200
req GET "/incidents/$WID"
check "resolved without updates: says resolved" contains "$T/body" "This incident has been resolved."
check "resolved without updates: no promise" lacks "$T/body" "No updates have been posted yet"

# A fixed offset still works; back to UTC.
req POST /api/v1/settings -b "$T/jar.admin" -H "X-CSRF-Token: $ACSRF" -H "$JSON" -d '{"time_zone":"+05:30"}'
check "JSON settings post is 200" eq "$STATUS" 200
check "JSON answer carries the value" eq "$(jget '.settings.time_zone')" "+05:30"
req GET "/incidents/$WID"
check "fixed offset labelled" contains "$T/body" "Started Jan 15, 2025 · 17:30 UTC+05:30"
hs_stop
