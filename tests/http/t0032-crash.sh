# t0032-crash: storage faults (THREATS.md checklist items 36, 40, 41).
# Rounds of concurrent API writes and HTTP ingests, each ended by kill -9
# at a random moment: every write that got 201 and every line of an ingest
# that got 200 must be there exactly once afterwards,
# and PRAGMA integrity_check must say ok. Then: an online backup taken
# during writes passes integrity_check. (A read-only database: t0036.)
# Bounded: about 10 seconds.
. tests/http/lib.sh
hs_start
JSON='Content-Type: application/json'
WRITE=$("$HS_BIN" --db "$DB" token add writer --scope write)
req POST /api/v1/incidents -H "Authorization: Bearer $WRITE" -H "$JSON" -d '{"title":"Crash test"}'
ID=$(jget .id)
check "incident for the crash test" test -n "$ID"
kill -9 $HS_PID
wait $HS_PID 2>/dev/null

# serve: starts the server on the existing database; sets HS_PID, BASE.
serve() {
  : >"$T/server.out"
  "$HS_BIN" --db "$DB" serve --listen 127.0.0.1:0 --threads 2 \
    >"$T/server.out" 2>>"$T/server.err" &
  HS_PID=$!
  i=0
  while ! grep -q 'listening on' "$T/server.out" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 100 ] || ! kill -0 $HS_PID 2>/dev/null; then
      echo "FAIL server did not restart"
      tail -n 5 "$T/server.err"
      return 1
    fi
    sleep 0.05
  done
  PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$T/server.out")
  BASE=http://127.0.0.1:$PORT
}

# writer ROUND W: posts notes until the server is gone; appends
# "TITLE ID" to $T/acked for each 201.
writer() {
  k=0
  while [ $k -lt 2000 ]; do
    title="r$1-w$2-n$k"
    out=$(curl -s --max-time 5 -w '\n%{http_code}' -H "Authorization: Bearer $WRITE" \
      -H "$JSON" -d "{\"title\":\"$title\",\"kind\":\"note\"}" \
      "$BASE/api/v1/incidents/$ID/events")
    code=$(printf '%s' "$out" | tail -n1)
    if [ "$code" = 201 ]; then
      printf '%s %s\n' "$title" "$(printf '%s' "$out" | head -n1 | jq -r .id)" >>"$T/acked.$2"
    elif [ "$code" = 000 ]; then
      return 0
    fi
    k=$((k + 1))
  done
}

# ingester ROUND: posts 3-line JSONL batches until the server is gone;
# appends each line's message to $T/ingested when the batch got 200 with
# accepted 3. Log lines are read back with hindsight raw.
ingester() {
  k=0
  while [ $k -lt 2000 ]; do
    m="i$1-n$k"
    out=$(printf '{"ts":"2026-11-20T11:30:00Z","level":"error","msg":"%s-a"}\n{"ts":"2026-11-20T11:30:01Z","msg":"%s-b"}\n{"ts":"2026-11-20T11:30:02Z","msg":"%s-c"}\n' "$m" "$m" "$m" |
      curl -s --max-time 5 -w '\n%{http_code}' -H "Authorization: Bearer $WRITE" \
        --data-binary @- "$BASE/api/v1/incidents/$ID/ingest?format=jsonl")
    code=$(printf '%s' "$out" | tail -n1)
    if [ "$code" = 200 ] && [ "$(printf '%s' "$out" | head -n1 | jq -r .accepted)" = 3 ]; then
      printf '%s-a\n%s-b\n%s-c\n' "$m" "$m" "$m" >>"$T/ingested"
    elif [ "$code" = 000 ]; then
      return 0
    fi
    k=$((k + 1))
  done
}

rand_ms() { # rand_ms MIN MAX
  echo $(( $1 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % ($2 - $1) ))
}

ROUNDS=${CRASH_ROUNDS:-12}
r=0
nRestart=0
while [ $r -lt $ROUNDS ]; do
  serve || break
  nRestart=$((nRestart + 1))
  for w in 1 2 3; do
    writer $r $w &
  done
  ingester $r &
  sleep "$(awk -v ms="$(rand_ms 150 900)" 'BEGIN { print ms / 1000 }')"
  kill -9 $HS_PID
  wait $HS_PID 2>/dev/null
  wait
  r=$((r + 1))
done
check "all $ROUNDS rounds ran" eq "$nRestart" "$ROUNDS"
cat "$T"/acked.* >"$T/acked" 2>/dev/null
nAcked=$(wc -l <"$T/acked")
check "writes were acknowledged before the kills" test "$nAcked" -gt 20
check "integrity_check after $ROUNDS kill -9 rounds" eq "$(db_integrity)" ok
values=$(awk '{ printf "%s(\x27%s\x27,%s)", (NR > 1 ? "," : ""), $1, $2 }' "$T/acked")
nFound=$(sql "WITH a(title, id) AS (VALUES $values)
  SELECT count(*) FROM a
  WHERE (SELECT count(*) FROM events e WHERE e.title = a.title) = 1
    AND EXISTS (SELECT 1 FROM events e WHERE e.id = a.id AND e.title = a.title)")
check "every acknowledged write ($nAcked) is there exactly once" eq "$nFound" "$nAcked"
nIngested=$(wc -l <"$T/ingested")
check "ingest batches were acknowledged before the kills" test "$nIngested" -gt 5
values=$(awk '{ printf "%s(\x27%s\x27)", (NR > 1 ? "," : ""), $1 }' "$T/ingested")
# The raw lines as hindsight raw prints them (time, source, line).
"$HS_BIN" --db "$DB" raw | sed -n 's/.*"msg":"\([^"]*\)".*/\1/p' | sort | uniq -c |
  awk '$1 == 1 { print $2 }' >"$T/once"
nFound=$(sort -u "$T/ingested" | comm -12 - "$T/once" | wc -l)
check "every acknowledged ingested line ($nIngested) is there exactly once" eq "$nFound" "$nIngested"
echo "    ($nAcked acknowledged notes and $nIngested ingested lines over $ROUNDS rounds)"

# The server comes back after the last kill and serves what was written.
serve
req GET "/api/v1/incidents/$ID/events?limit=1" -H "Authorization: Bearer $WRITE"
check "the server restarts and serves after kill -9" eq "$STATUS" 200

# Online backup while writers run: the copy opens and passes the check.
for w in 1 2 3; do
  writer b $w &
done
sleep 0.3
# `hindsight backup` copies the SQLite file (PostgreSQL has pg_dump).
if sqlite_file_part "the online backup is a copy of the SQLite file"; then
  "$HS_BIN" --db "$DB" backup --out "$T/backup.db"
  check "hindsight backup during writes exits 0" eq $? 0
fi
sleep 0.2
hs_stop_keep() { kill -TERM $HS_PID; wait $HS_PID; }
hs_stop_keep
check "server drains writers on SIGTERM and exits 0" eq $? 0
wait
if [ -z "$HS_PG" ]; then
  check "the backup passes integrity_check" eq "$(sqlite3 "$T/backup.db" 'PRAGMA integrity_check')" ok
  check "the backup holds the events" test "$(sqlite3 "$T/backup.db" "SELECT count(*) FROM events WHERE incident_id = $ID")" -ge "$nAcked"
  check "the backup opens with hindsight" sh -c "'$HS_BIN' --db '$T/backup.db' token list >/dev/null"
fi

check "no sanitizer report from any server run" sh -c "! grep -q 'ERROR: AddressSanitizer\|runtime error:' '$T/server.err'"
rm -rf "$T"
[ $nfail -eq 0 ]
