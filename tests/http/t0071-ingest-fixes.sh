# t0071-ingest-fixes: the defects issue 16 saw, as regression tests:
# journald byte-array MESSAGEs, the same `masked` count on a re-run, the
# request-weighted 5xx baseline, and --auto honouring --source for logs.
. tests/http/lib.sh
hs_start
TOKEN=$("$HS_BIN" --db "$DB" token add api --scope write)
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Payments","started_at":"2026-03-10T09:00:00Z"}'
ID=$(jget .id)

# journalctl -o json: an error record whose MESSAGE is not UTF-8 (Latin-1
# "café"), so journald writes it as bytes, with a password in it.
cat > "$T/journal.json" <<'J'
{"__REALTIME_TIMESTAMP":"1773133200000000","PRIORITY":"3","_HOSTNAME":"web-1","SYSLOG_IDENTIFIER":"pay","MESSAGE":[99,97,102,233,32,108,111,103,105,110,32,102,97,105,108,101,100,32,112,97,115,115,119,111,114,100,61,104,117,110,116,101,114,50]}
{"__REALTIME_TIMESTAMP":"1773133201000000","PRIORITY":"6","_HOSTNAME":"web-1","SYSLOG_IDENTIFIER":["pay","pay-dup"],"MESSAGE":"retry with token=abc123secret"}
{"__REALTIME_TIMESTAMP":"1773133202000000","PRIORITY":"3","_HOSTNAME":"web-1","SYSLOG_IDENTIFIER":"pay","MESSAGE":"db login failed password=s3cretpw"}
J
"$HS_BIN" --db "$DB" ingest --format journal --incident $ID --json "$T/journal.json" > "$T/j1"
check "journal: a byte-array MESSAGE is accepted" eq "$(jq -c '[.accepted, .rejected]' "$T/j1")" "[3,0]"
check "journal: the error is on the timeline, decoded with U+FFFD" eq "$(sql "SELECT level || ' ' || source FROM events WHERE incident_id=$ID AND title LIKE 'caf� login failed%'")" "error pay"
check "journal: the secret in the bytes is masked in the title" eq "$(sql "SELECT count(*) FROM events WHERE title LIKE '%hunter2%'")" 0
check "journal: secrets are masked" eq "$({ "$HS_BIN" --db "$DB" raw --grep s3cretpw; "$HS_BIN" --db "$DB" raw --grep abc123secret; } | wc -l)" 0
"$HS_BIN" --db "$DB" ingest --format journal --incident $ID --json "$T/journal.json" > "$T/j2"
check "journal: a re-run is all duplicates" eq "$(jq -c '[.accepted, .duplicates]' "$T/j2")" "[0,3]"
check "journal: a re-run reports the same masked count" eq "$(jq .masked "$T/j2")" "$(jq .masked "$T/j1")"
check "journal: masked counts each secret once" eq "$(jq .masked "$T/j1")" 3

# The 5xx baseline: a first minute of one 503, then 321/1, 321/1 and
# 350/150. The mean of the minute rates (100%, 0.3%, 0.3%) hid the rise.
awk 'function line(m, s, st) { printf "10.1.0.%d - - [10/Mar/2026:09:%02d:%02d +0000] \"GET /pay HTTP/1.1\" %d 10 \"-\" \"x\"\n", s % 200, m, s % 60, st }
BEGIN {
  line(10, 0, 503)
  for (i = 0; i < 321; i++) line(11, i, i == 0 ? 503 : 200)
  for (i = 0; i < 321; i++) line(12, i, i == 0 ? 503 : 200)
  for (i = 0; i < 350; i++) line(13, i, i < 150 ? 503 : 200)
}' > "$T/base.log"
"$HS_BIN" --db "$DB" ingest --format nginx --incident $ID --source lb "$T/base.log" > /dev/null
TITLE=$(sql "SELECT title FROM events WHERE incident_id=$ID AND kind='signal' AND source='lb'")
check "baseline: the rise is a signal" eq "$(printf '%s' "$TITLE" | grep -c '^5xx rate rose from 0.5% to 43% on lb at 09:13')" 1

# --auto: two incidents cover the time; the CDN log goes to the one that
# lists the CDN, though the other started later; a source that names no
# component goes to every incident covering it.
login admin "$PW_ADMIN"
for c in CDN API; do
  req POST /api/v1/components -b "$T/jar.admin" -H "X-CSRF-Token: $CSRF" -H "$JSON" -d "{\"name\":\"$c\"}"
  check "component $c created" eq "$STATUS" 201
done
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"CDN errors","started_at":"2026-05-01T10:00:00Z","components":["CDN"]}'
CDN=$(jget .id)
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"API slow","started_at":"2026-05-01T10:05:00Z","components":["API"]}'
API=$(jget .id)
printf '10.2.0.1 - - [01/May/2026:10:10:00 +0000] "GET /img.png HTTP/1.1" 502 0 "-" "x"\n' > "$T/cdn.log"
"$HS_BIN" --db "$DB" ingest --format nginx --auto --source CDN "$T/cdn.log" > /dev/null
raw_count() { # raw_count INCIDENT SOURCE: that incident's raw lines of SOURCE
  req GET "/api/v1/incidents/$1/raw?source=$2" -H "$AUTH"
  jq '.lines | length' "$T/body"
}
check "--auto: a CDN log goes to the CDN incident" eq "$(raw_count $CDN CDN) $(raw_count $API CDN)" "1 0"
printf '10.2.0.1 - - [01/May/2026:10:11:00 +0000] "GET /v1 HTTP/1.1" 200 0 "-" "x"\n' > "$T/other.log"
"$HS_BIN" --db "$DB" ingest --format nginx --auto --source web-9 "$T/other.log" > /dev/null
check "--auto: a source that is no component goes to both" eq "$(raw_count $CDN web-9) $(raw_count $API web-9)" "1 1"

# --tz with a named zone, across the US and EU changes (2026-03-08 and
# 2026-03-29): the same wall-clock hour is a different UTC hour.
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Zones","started_at":"2026-02-01T00:00:00Z"}'
TZI=$(jget .id)
printf 'ts=2026-03-07T12:00:00 app=ny msg=before\nts=2026-03-09T12:00:00 app=ny msg=after\n' > "$T/ny.log"
"$HS_BIN" --db "$DB" ingest --format logfmt --incident $TZI --tz America/New_York "$T/ny.log" > "$T/tz.out"
check "--tz America/New_York is taken" contains "$T/tz.out" "accepted 2,"
check "--tz: EST before the US change, EDT after" eq "$("$HS_BIN" --db "$DB" raw --source ny | cut -f1 | tr '\n' ' ')" "2026-03-07T17:00:00.000Z 2026-03-09T16:00:00.000Z "
printf '2026-03-28T12:00:00 h eu: before\n2026-03-30T12:00:00 h eu: after\n' > "$T/eu.log"
req POST "/api/v1/incidents/$TZI/ingest?format=syslog&tz=Europe/Berlin" -H "$AUTH" --data-binary @"$T/eu.log"
check "?tz=Europe/Berlin is taken" eq "$(jget .accepted)" 2
check "?tz: CET before the EU change, CEST after" eq "$("$HS_BIN" --db "$DB" raw --source eu | cut -f1 | tr '\n' ' ')" "2026-03-28T11:00:00.000Z 2026-03-30T10:00:00.000Z "
"$HS_BIN" --db "$DB" ingest --format logfmt --incident $TZI --tz Mars/Base "$T/ny.log" 2> "$T/tz.err"
check "an unknown zone is a usage error" eq $? 2
req POST "/api/v1/incidents/$TZI/ingest?format=syslog&tz=../../etc/passwd" -H "$AUTH" --data-binary @"$T/eu.log"
check "a path for a zone is 400" eq "$STATUS" 400
hs_stop
