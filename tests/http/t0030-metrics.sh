# t0030-metrics: /metrics in the Prometheus text format; counters move;
# only admins or loopback may read it.
. tests/http/lib.sh
hs_start
JSON='Content-Type: application/json'
HOOK=$("$HS_BIN" --db "$DB" token add feeder --scope ingest)
WRITE=$("$HS_BIN" --db "$DB" token add writer --scope write)
VIEWTOK=$("$HS_BIN" --db "$DB" token add reader --scope read)

# metric NAME_AND_LABELS: the sample's value in $T/body, or empty.
metric() { awk -v k="$1" '$1 == k { print $2; exit }' "$T/body"; }
# cookie USER: the session cookie of a login, to send to another host name.
cookie() { awk '$6 == "hs_session" { print "hs_session=" $7 }' "$T/jar.$1"; }

req GET /metrics
check "anonymous request from loopback gets /metrics" eq "$STATUS" 200
check "text format content type" grep -qi '^content-type: text/plain; version=0.0.4; charset=utf-8' "$T/headers"
check "requests counter TYPE line" contains "$T/body" "# TYPE hindsight_http_requests_total counter"
check "latency histogram TYPE line" contains "$T/body" "# TYPE hindsight_http_request_duration_seconds histogram"
check "ingest counter TYPE line" contains "$T/body" "# TYPE hindsight_ingest_events_total counter"
check "database size gauge" test "$(metric hindsight_database_size_bytes)" -gt 4096
check "every line is a comment or NAME[{labels}] NUMBER" test "$(grep -cvE '^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.+e-]+)$' "$T/body")" -eq 0
inf0=$(metric 'hindsight_http_request_duration_seconds_bucket{le="+Inf"}')
count0=$(metric hindsight_http_request_duration_seconds_count)
check "+Inf bucket equals the count" eq "$inf0" "$count0"

req GET /healthz
req GET /healthz
req GET /no/such/page
req GET /api/v1/incidents/999999 -H "Authorization: Bearer $VIEWTOK"
req POST /api/v1/incidents -H "Authorization: Bearer $WRITE" -H "$JSON" -d '{"title":"Metrics","started_at":"2026-11-20T11:30:00Z"}'
req POST /hooks/generic -H "Authorization: Bearer $HOOK" -H "$JSON" -d '[{"title":"Deploy","kind":"change","ts":"2026-11-20T11:35:00Z"},{"title":"Flag","kind":"change","ts":"2026-11-20T11:36:00Z"}]'
check "a webhook ingest is accepted" eq "$(jget .accepted)" 2
req GET /metrics
check "healthz counted by route and status" eq "$(metric 'hindsight_http_requests_total{method="GET",route="/healthz",status="200"}')" 2
check "unknown paths share one series" test "$(metric 'hindsight_http_requests_total{method="other",route="unmatched",status="404"}')" -ge 1
check "the path pattern, not the id, labels a series" eq "$(metric 'hindsight_http_requests_total{method="GET",route="/api/v1/incidents/{id}",status="404"}')" 1
check "no series carries a concrete id" lacks "$T/body" "999999"
check "POST 201 counted" eq "$(metric 'hindsight_http_requests_total{method="POST",route="/api/v1/incidents",status="201"}')" 1
check "earlier /metrics scrape counted" test "$(metric 'hindsight_http_requests_total{method="GET",route="/metrics",status="200"}')" -ge 1
count1=$(metric hindsight_http_request_duration_seconds_count)
check "the histogram count increases" test "$count1" -ge $((count0 + 6))
check "ingest accepted counter" eq "$(metric 'hindsight_ingest_events_total{result="accepted"}')" 2
check "ingest runs counter" eq "$(metric hindsight_ingest_runs_total)" 1
# One node: it leads every background job that runs (no mirror is set up).
for j in outbox indexer retention; do
  check "this node leads the $j" eq "$(metric "hindsight_job_lead{job=\"$j\"}")" 1
done
check "no mirror job without a mirror" eq "$(metric 'hindsight_job_lead{job="mirror"}')" 0

# Admins may read it with a session (the loopback rule aside).
login admin "$PW_ADMIN"
req GET /metrics -b "$T/jar.admin"
check "admin session reads /metrics" eq "$STATUS" 200

# The refusal for other addresses: connect through a non-loopback address
# of this host, if it has one (the rule itself is also unit-tested).
IP=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$' | grep -v '^127\.' | head -n1)
if [ -n "$IP" ]; then
  "$HS_BIN" --db "$DB" serve --listen 0.0.0.0:0 --threads 1 >"$T/s2.out" 2>"$T/s2.err" &
  PID2=$!
  i=0
  while ! grep -q 'listening on' "$T/s2.out" 2>/dev/null && [ $i -lt 100 ]; do
    i=$((i + 1))
    sleep 0.1
  done
  P2=$(sed -n 's/.*listening on http:\/\/0.0.0.0:\([0-9]*\).*/\1/p' "$T/s2.out")
  B2=http://$IP:$P2
  s=$(curl -s -o "$T/b2" -w '%{http_code}' "$B2/metrics")
  check "anonymous from $IP is refused (401)" eq "$s" 401
  check "the refusal shows no metrics" lacks "$T/b2" "hindsight_http_requests_total"
  login viewer "$PW_VIEWER"
  s=$(curl -s -o "$T/b2" -w '%{http_code}' -H "Cookie: $(cookie viewer)" "$B2/metrics")
  check "a viewer from $IP is refused (403)" eq "$s" 403
  s=$(curl -s -o "$T/b2" -w '%{http_code}' -H "Authorization: Bearer $VIEWTOK" "$B2/metrics")
  check "a bearer token from $IP is refused" test "$s" = 401 -o "$s" = 403
  s=$(curl -s -o "$T/b2" -w '%{http_code}' -H "Cookie: $(cookie admin)" "$B2/metrics")
  check "an admin session from $IP reads /metrics" eq "$s" 200
  kill -TERM $PID2
  wait $PID2
  check "second server exits cleanly" eq $? 0
else
  echo "    (no non-loopback address: refusal covered by test_metrics only)"
fi
hs_stop
