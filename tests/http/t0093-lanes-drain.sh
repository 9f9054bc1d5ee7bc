# t0093-lanes-drain: slow work has its own lanes, and the drain waits for
# uploads (issue 20, cases 4 and 5).
# Lanes: with one ingest lane, an upload in progress makes a second one
# 503 with Retry-After at once (before its body), while /healthz, / and a
# raw-line search answer; the refusal is counted in /metrics. Eight raw
# searches at once each get 200 or 503 (never a hang or another 5xx)
# while /healthz answers throughout.
# Drain: SIGTERM during an upload that pauses 11 s (past the old fixed
# 10 s) with --drain-timeout 30: the client gets its ingest report and the
# server exits 0. With --drain-timeout 1, an upload still arriving after
# the limit gets a clear 503 ("shutting down ... send it again") once its
# body is in, and the server exits 0; the setting
# serve.drain_timeout_seconds does the same. Bounded: about 30 s.
. tests/http/lib.sh
hs_start --ingest-lanes 1 --drain-timeout 30
RAW="node tests/http/raw.mjs"
JSON='Content-Type: application/json'
WRITE=$("$HS_BIN" --db "$DB" token add writer --scope write)
AUTH="Authorization: Bearer $WRITE"
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Lanes"}'
ID=$(jget .id)
check "setup: an incident" test -n "$ID"
LINE='<11>1 2026-11-20T11:41:00.003Z web-1 app 123 - - upstream timed out'
i=0
while [ $i -lt 400 ]; do
  echo "$LINE $i"
  i=$((i + 1))
done >"$T/sys.log"
req POST "/api/v1/incidents/$ID/ingest?format=syslog" -H "$AUTH" --data-binary @"$T/sys.log"
check "setup: 400 lines ingested" eq "$STATUS" 200

# clean: no sanitizer report in this server's log (ASan builds).
clean() { ! grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$T/server.err"; }

# upload SECONDS: an ingest of two lines whose second comes SECONDS later.
upload() {
  body="$LINE a
$LINE b
"
  n=$(printf '%s' "$body" | wc -c)
  {
    printf 'POST /api/v1/incidents/%s/ingest?format=syslog HTTP/1.1\r\nHost: x\r\n%s\r\nContent-Length: %s\r\nConnection: close\r\n\r\n' "$ID" "$AUTH" "$n"
    printf '%s\n' "$LINE a"
    echo "--PAUSE--"
    printf '%s\n' "$LINE b"
  } | $RAW pause "$PORT" "$1"
}

upload 4 >"$T/held" &
HELD=$!
sleep 1
req POST "/api/v1/incidents/$ID/ingest?format=syslog" -H "$AUTH" --data-binary @"$T/sys.log"
check "a second upload while the one ingest lane is taken is 503" eq "$STATUS" 503
check "with Retry-After" grep -qi '^retry-after:' "$T/headers"
check "and code busy" eq "$(jget .error.code)" busy
req GET /healthz
check "/healthz answers meanwhile" eq "$STATUS" 200
req GET /
check "/ answers meanwhile" eq "$STATUS" 200
req GET "/api/v1/incidents/$ID/raw?q=timed" -H "$AUTH"
check "a raw search answers meanwhile (its own lane)" eq "$STATUS" 200
req GET /metrics
check "/metrics counts the refusal" contains "$T/body" 'hindsight_lane_refused_total{lane="ingest"} 1'
wait $HELD
check "the held upload got its report" sh -c "head -n1 '$T/held' | grep -q ' 200 '"
req POST "/api/v1/incidents/$ID/ingest?format=syslog" -H "$AUTH" --data-binary @"$T/sys.log"
check "once it is done, uploads are taken again" eq "$STATUS" 200

: >"$T/raw.codes"
: >"$T/hz.codes"
pids=
for k in 1 2 3 4 5 6 7 8; do
  curl -s -o /dev/null --max-time 30 -w '%{http_code}\n' -H "$AUTH" \
    "$BASE/api/v1/incidents/$ID/raw?q=upstream" >>"$T/raw.codes" &
  pids="$pids $!"
done
for k in 1 2 3 4 5; do
  curl -s -o /dev/null --max-time 30 -w '%{http_code}\n' "$BASE/healthz" >>"$T/hz.codes"
done
# shellcheck disable=SC2086
wait $pids
check "eight raw searches at once: each 200 or 503" \
  eq "$(grep -cv '^200$\|^503$' "$T/raw.codes")" 0
check "at least one of them ran" grep -q '^200$' "$T/raw.codes"
check "/healthz answered throughout" eq "$(grep -c '^200$' "$T/hz.codes")" 5

# Drain: an upload that pauses 11 s, SIGTERM 1 s in.
upload 11 >"$T/long" &
UP=$!
sleep 1
kill -TERM $HS_PID
wait $HS_PID
rc=$?
wait $UP
check "SIGTERM during a long upload exits 0" eq "$rc" 0
check "the upload got its ingest report, not a dropped connection" \
  sh -c "head -n1 '$T/long' | grep -q ' 200 ' && grep -q '\"accepted\"' '$T/long'"
check "no sanitizer report (first server)" clean

# Drain past its limit: the upload is answered with a clear error.
hs_start --drain-timeout 1
upload 4 >"$T/late" &
UP=$!
sleep 1
kill -TERM $HS_PID
wait $HS_PID
rc=$?
wait $UP
check "SIGTERM past the drain limit exits 0" eq "$rc" 0
check "the late upload is answered 503" sh -c "head -n1 '$T/late' | grep -q ' 503 '"
check "which says to send it again" contains "$T/late" "send it again"
check "the drain limit is logged" grep -q 'drain limit (1 s) passed' "$T/server.err"
check "no sanitizer report (second server)" clean

# The same limit from the setting (no flag).
"$HS_BIN" --db "$DB" config set serve.drain_timeout_seconds 1
hs_start
upload 4 >"$T/late2" &
UP=$!
sleep 1
kill -TERM $HS_PID
wait $HS_PID
wait $UP
check "serve.drain_timeout_seconds sets the limit" grep -q 'drain limit (1 s) passed' "$T/server.err"
check "and the late upload is answered 503" sh -c "head -n1 '$T/late2' | grep -q ' 503 '"
check "no sanitizer report (third server)" clean
rm -rf "$T"
[ $nfail -eq 0 ]
