# t0062-retention: the retention sweep (a worker that runs at start and
# hourly) deletes old evidence that no incident holds, per kind
# (retention.logs_days, .alerts_days, .tickets_days), keeps what an
# incident's window or timeline holds, and counts what went in /metrics.
. tests/http/lib.sh
hs_start
TOKEN=$("$HS_BIN" --db "$DB" token add api --scope write)
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'
q() { sql "$1"; }

# An incident long ago; evidence in its window, evidence outside every
# window, and evidence of the last hour.
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Old outage","started_at":"2020-01-01T10:00:00Z","mitigated_at":"2020-01-01T11:30:00Z","resolved_at":"2020-01-01T12:00:00Z","status":"resolved"}'
check "an incident in 2020" eq "$STATUS" 201
ID=$(jget .id)
RECENT=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
printf '{"ts":"2020-01-01T11:00:00Z","level":"error","msg":"held error"}\n{"ts":"2020-03-01T11:00:00Z","level":"error","msg":"lonely error"}\n{"ts":"%s","level":"error","msg":"recent error"}\n' "$RECENT" > "$T/app.jsonl"
req POST "/api/v1/ingest?format=jsonl&source=app" -H "$AUTH" --data-binary @"$T/app.jsonl"
check "three log lines kept" eq "$(jget .accepted)" 3
req POST /hooks/generic -H "$AUTH" -H "$JSON" -d '[{"title":"old alert","kind":"alert","ts":"2020-03-01T11:00:00Z","key":"a1"},{"title":"old change","kind":"change","ts":"2020-03-01T11:00:00Z"}]'
check "an old alert and an old change kept" eq "$(jget .accepted)" 2
printf 'id,created_at,subject,body,requester,priority,status,tags\r\n9,2020-03-01T11:00:00Z,Old ticket,x,ann,low,open,\r\n' > "$T/t.csv"
req POST "/api/v1/ingest?format=tickets-csv" -H "$AUTH" --data-binary @"$T/t.csv"
check "an old ticket kept" eq "$(jget .accepted)" 1
printf '10.0.0.1 - - [01/Mar/2020:11:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "x"\n10.0.0.1 - - [01/Jan/2020:11:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "x"\n' > "$T/a.log"
req POST "/api/v1/ingest?format=nginx&source=edge" -H "$AUTH" --data-binary @"$T/a.log"
check "old access lines kept" eq "$(jget .accepted)" 2
printf '{"ts":"2020-05-01T09:00:00Z","level":"info","msg":"given by hand"}\n' > "$T/given.jsonl"
req POST "/api/v1/incidents/$ID/ingest?format=jsonl&source=ops" -H "$AUTH" --data-binary @"$T/given.jsonl"
check "a line given to the incident outside its window" eq "$(jget .accepted)" 1
check "the incident holds its error" eq "$(q "SELECT count(*) FROM events WHERE incident_id = $ID AND title = 'held error'")" 1

# Tickets and changes are kept for a century here; the rest the default
# 14 days. The sweep runs when the server starts.
"$HS_BIN" --db "$DB" config set retention.tickets_days 36500
check "retention settings are known to hindsight config" eq $? 0
kill -TERM $HS_PID
wait $HS_PID
"$HS_BIN" --db "$DB" serve --listen 127.0.0.1:0 --threads 2 >"$T/server.out" 2>"$T/server.err" &
HS_PID=$!
i=0
until grep -q 'listening on' "$T/server.out" 2>/dev/null || [ $i -gt 100 ]; do sleep 0.1; i=$((i + 1)); done
PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$T/server.out")
BASE=http://127.0.0.1:$PORT
i=0
until curl -s "$BASE/metrics" | grep -q '^hindsight_retention_sweeps_total [1-9]' || [ $i -gt 300 ]; do sleep 0.1; i=$((i + 1)); done
curl -s "$BASE/metrics" > "$T/metrics"
check "the sweep ran at start" contains "$T/metrics" "hindsight_retention_sweeps_total 1"
check "old unheld log evidence went" eq "$(q "SELECT count(*) FROM evidence WHERE title = 'lonely error'")" 0
check "the old alert went" eq "$(q "SELECT count(*) FROM evidence WHERE title = 'old alert'")" 0
check "the old ticket and change stay (tickets_days)" eq "$(q "SELECT count(*) FROM evidence WHERE title IN ('Old ticket', 'old change')")" 2
check "evidence an incident holds stays" eq "$(q "SELECT count(*) FROM evidence WHERE title = 'held error'") $(q "SELECT count(*) FROM events WHERE title = 'held error'")" "1 1"
check "recent evidence stays" eq "$(q "SELECT count(*) FROM evidence WHERE title = 'recent error'")" 1
req GET "/api/v1/incidents/$ID/raw" -H "$AUTH"
check "raw lines in the incident's window stay" eq "$(jget '[.lines[].line] | map(select(test("held error"))) | length')" 1
req GET "/api/v1/incidents/$ID/raw?q=given" -H "$AUTH"
check "lines given to an incident by hand stay, and are its raw lines" eq "$(jget '.lines | length')" 1
check "old raw lines outside every window went" eq "$(curl -s "$BASE/metrics" | sed -n 's/^hindsight_retention_deleted_total{what="raw_lines"} //p')" 2
check "old access minutes outside every window went" eq "$(q "SELECT count(*) FROM access_series WHERE source = 'edge'")" 1
check "the metrics count the evidence rows deleted" contains "$T/metrics" 'hindsight_retention_deleted_total{what="evidence"} 2'
hs_stop
