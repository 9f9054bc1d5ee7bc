# t0074-logfmt: logfmt over the HTTP door: fields mapped, go-logfmt's
# edge cases parsed or rejected with a line number and column, identical
# errors condensed into a signal, --tz offsets, and the format list in the
# error for an unknown format. Also journald: a MESSAGE of bytes is kept
# decoded in the raw record, so the secret in it is masked. Raw lines are
# read through the API only (the store behind it may change).
. tests/http/lib.sh
hs_start
TOKEN=$("$HS_BIN" --db "$DB" token add api --scope write)
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Checkout errors","started_at":"2026-04-02T10:00:00Z"}'
ID=$(jget .id)
cat > "$T/app.log" <<'L'
ts=2026-04-02T10:01:00Z level=info app=checkout msg="request served" took=12ms
ts=2026-04-02T10:02:00Z level=error app=checkout component=payments msg="charge failed: timeout after 3012 ms" order=1
ts=2026-04-02T10:02:10Z level=error app=checkout component=payments msg="charge failed: timeout after 2999 ms" order=2
ts=2026-04-02T10:02:20Z lvl=err service=checkout component=payments message="charge failed: timeout after 3100 ms" order=3
time=2026-04-02T12:03:00 severity=WARN app=checkout msg="slow \"db\" query"
foo=bar a=14 baz="hello kitty" cool%story=bro f %^asdf
ts=2026-04-02T10:04:00Z msg="unterminated
ts=2026-04-02T10:05:00Z extra="user=foo""
L
req POST "/api/v1/incidents/$ID/ingest?format=logfmt&tz=%2B02:00" -H "$AUTH" --data-binary @"$T/app.log"
check "logfmt: 200" eq "$STATUS" 200
check "logfmt: good lines accepted, bad ones rejected" eq "$(jq -c '[.accepted, .rejected]' "$T/body")" "[5,3]"
check "logfmt: a line without time names the keys" eq "$(jq -c '.errors[0]' "$T/body")" '{"line":6,"reason":"no time field (ts, time or timestamp)"}'
check "logfmt: an unterminated string names its column" eq "$(jq -r '.errors[1].reason' "$T/body")" "unterminated quoted value at column 29"
check "logfmt: a stray quote names its column" eq "$(jq -c '.errors[2]' "$T/body")" '{"line":8,"reason":"unexpected byte after a quoted value at column 41"}'
check "logfmt: three timeouts became one signal" eq "$(sql "SELECT count || ' ' || level || ' ' || source || ' ' || component FROM events WHERE incident_id=$ID AND kind='signal'")" "3 error checkout payments"
check "logfmt: the signal keeps the first message" contains /dev/stdin "charge failed: timeout after 3012 ms (x3 on checkout" <<X
$(sql "SELECT title FROM events WHERE incident_id=$ID AND kind='signal'")
X
req GET "/api/v1/incidents/$ID/raw?source=checkout" -H "$AUTH"
check "logfmt: a zoneless time is read at ?tz" eq "$(jq -r '.lines[] | select(.line | startswith("time=")) | .ts' "$T/body")" 2026-04-02T10:03:00.000Z
req POST "/api/v1/incidents/$ID/ingest?format=logfmt&tz=%2B02:00" -H "$AUTH" --data-binary @"$T/app.log"
check "logfmt: a re-run adds nothing" eq "$(jq -c '[.accepted, .duplicates]' "$T/body")" "[0,5]"
req POST "/api/v1/incidents/$ID/ingest?format=nope" -H "$AUTH" --data-binary @"$T/app.log"
check "an unknown format is 400" eq "$STATUS" 400
check "the error lists the new formats" contains "$T/body" "logfmt, haproxy, alb, vpc-flow"

# journalctl -o json: MESSAGE as bytes (Latin-1 "café ... password=hunter2").
printf '%s\n' '{"__REALTIME_TIMESTAMP":"1775124300000000","PRIORITY":"3","_HOSTNAME":"web-1","SYSLOG_IDENTIFIER":"pay","MESSAGE":[99,97,102,233,32,108,111,103,105,110,32,102,97,105,108,101,100,32,112,97,115,115,119,111,114,100,61,104,117,110,116,101,114,50]}' > "$T/journal.json"
req POST "/api/v1/incidents/$ID/ingest?format=journal" -H "$AUTH" --data-binary @"$T/journal.json"
check "journal: accepted, the secret counted" eq "$(jq -c '[.accepted, .masked]' "$T/body")" "[1,1]"
req GET "/api/v1/incidents/$ID/raw?source=pay" -H "$AUTH"
check "journal: the raw record keeps MESSAGE decoded" eq "$(jq -r '.lines[0].line | contains("\"MESSAGE\":\"caf\ufffd login failed")' "$T/body")" true
check "journal: the secret is masked in the raw record" eq "$(jq -r '.lines[0].line | (contains("hunter2") or contains("104,117,110,116"))' "$T/body")" false
hs_stop
