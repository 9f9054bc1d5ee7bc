# t0081-display-zone: the postmortem page and its exports follow the
# display zone (?tz=, or the hs_tz cookie app.js keeps), across Berlin's
# spring-forward change, labelled; UTC without one; a bad zone is 400.
. tests/http/lib.sh
hs_start
TOKEN=$("$HS_BIN" --db "$DB" token add api --scope write)
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'
login viewer "$PW_VIEWER"
V="-b $T/jar.viewer"

# Started 00:30Z (01:30 CET); Berlin moves to CEST at 01:00Z; resolved
# 02:00Z (04:00 CEST).
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"DST night","severity":"SEV3","impact":"minor","started_at":"2026-03-29T00:30:00Z"}'
ID=$(jget .id)
sql "INSERT INTO events (incident_id, ts, kind, title, key, pinned, created_at, updated_at) VALUES
 ($ID, 1774745100000, 'alert', 'before the change', 'detected', 0, 0, 0),
 ($ID, 1774746900000, 'note', 'after the change', NULL, 1, 0, 0)"
req PATCH "/api/v1/incidents/$ID" -H "$AUTH" -H "$JSON" -H 'If-Match: "1"' -d '{"status":"resolved","detected_at":"2026-03-29T00:45:00Z","acknowledged_at":"2026-03-29T00:50:00Z","mitigated_at":"2026-03-29T01:45:00Z","resolved_at":"2026-03-29T02:00:00Z"}'
check "the incident resolves" eq "$STATUS" 200
req POST "/api/v1/incidents/$ID/postmortem" -H "$AUTH" -H "$JSON" -d '{}'
check "a postmortem is drafted" eq "$STATUS" 201
X=/app/incidents/$ID/postmortem

# No zone: UTC, as stored.
req GET "$X/export.md" $V
check "export.md without a zone is UTC" contains "$T/body" "- **Started:** 2026-03-29 00:30 UTC"
check "its timeline is UTC" contains "$T/body" "- **2026-03-29 00:45:00** · "
cp "$T/body" "$T/utc.md"
req GET "$X/export.md?tz=UTC" $V
check "tz=UTC is the same file" cmp -s "$T/body" "$T/utc.md"

# Berlin, both sides of the change.
req GET "$X/export.md?tz=Europe/Berlin" $V
check "export.md in Berlin: 200" eq "$STATUS" 200
check "the start is in CET" contains "$T/body" "- **Started:** 2026-03-29 01:30 CET"
check "the resolution is in CEST" contains "$T/body" "- **Resolved:** 2026-03-29 04:00 CEST"
check "the clock's detection is in CET" contains "$T/body" "- **Detected:** 2026-03-29 01:45 CET"
check "the clock's mitigation is in CEST" contains "$T/body" "- **Mitigated:** 2026-03-29 03:45 CEST"
check "a timeline row before the change" contains "$T/body" "- **2026-03-29 01:45:00 CET** · \\+15m 0s · **detected**"
check "a timeline row after the change" contains "$T/body" "- **2026-03-29 03:15:00 CEST** · \\+45m 0s · note: after the change"
check "no UTC time is left" lacks "$T/body" " UTC"
req GET "$X/export.html?tz=Europe/Berlin" $V
check "export.html in Berlin: 200" eq "$STATUS" 200
check "export.html has the zone's times" contains "$T/body" "2026-03-29 04:00 CEST"
check "export.html labels the save time" grep -Eq "last saved 20[0-9-]+ [0-9:]+ (CET|CEST)" "$T/body"
req GET "$X/export.html" $V
check "export.html without a zone is UTC" contains "$T/body" "2026-03-29 02:00 UTC"
check "its save time says UTC" grep -Eq "last saved 20[0-9-]+ [0-9:]+ UTC" "$T/body"
req GET "$X/export.md?tz=America/New_York" $V
check "New York is EDT that night" contains "$T/body" "- **Resolved:** 2026-03-28 22:00 EDT"
req GET "$X/export.md?tz=%2B05:30" $V
check "a fixed offset is labelled numerically" contains "$T/body" "- **Started:** 2026-03-29 06:00 +0530"

# The stored body keeps UTC; the page follows the cookie.
req GET "/api/v1/incidents/$ID/postmortem" -H "$AUTH"
check "the stored body is still UTC" contains "$T/body" "2026-03-29 00:30 UTC"
req GET "$X" $V -b "hs_tz=Europe/Berlin"
check "the page follows the hs_tz cookie" contains "$T/body" "2026-03-29 01:30 CET"
E1=$(grep -i '^etag:' "$T/headers" | tr -d '\r')
req GET "$X" $V
check "the page without one is UTC" contains "$T/body" "2026-03-29 00:30 UTC"
E2=$(grep -i '^etag:' "$T/headers" | tr -d '\r')
check "a zone changes the ETag" test "$E1" != "$E2"
req GET "$X" $V -b "hs_tz=../../etc/passwd"
check "a bad cookie is ignored, not an error" eq "$STATUS" 200
check "and shows UTC" contains "$T/body" "2026-03-29 00:30 UTC"
req GET "$X?tz=Europe/Berlin" $V -b "hs_tz=UTC"
check "?tz= wins over the cookie" contains "$T/body" "2026-03-29 01:30 CET"

# Bad zones: 400 with a JSON error, on every export.
for u in "$X/export.md" "$X/export.html" "/app/actions.csv" "/app/actions.ics"; do
  for z in "Mars/Olympus" "../../etc/passwd" "Europe%2FBerlin%00x" "%2B25:00"; do
    req GET "$u?tz=$z" $V -H 'Accept: application/json'
    check "$u?tz=$z is 400" eq "$STATUS" 400
  done
done
check "the error names tz" contains "$T/body" "tz:"
req GET "/app/actions.csv?tz=Europe/Berlin" $V
check "actions.csv accepts a zone" eq "$STATUS" 200
req GET "/app/actions.ics?tz=Europe/Berlin" $V
check "actions.ics accepts a zone" eq "$STATUS" 200
check "its stamp stays UTC (RFC 5545)" grep -q "^BEGIN:VCALENDAR" "$T/body"
hs_stop
