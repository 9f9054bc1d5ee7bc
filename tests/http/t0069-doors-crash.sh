# t0069-doors-crash: kill -9 during a stream of pushes loses no
# acknowledged line (issue 16: a push is acknowledged only once stored).
# Two clients push numbered batches of 20 lines, one to the Loki door and
# one to the OTLP door, and record each batch the server acknowledged
# (204 / 200); the server is killed with SIGKILL mid-stream, restarted on
# the same database, and every line of every acknowledged batch must be
# there. A batch that was not acknowledged may or may not be there, but
# never in part (one transaction).
. tests/http/lib.sh
hs_start
JSON='Content-Type: application/json'
WRITE=$("$HS_BIN" --db "$DB" token add writer --scope write)
INGEST=$("$HS_BIN" --db "$DB" token add shipper --scope ingest)
req POST /api/v1/incidents -H "Authorization: Bearer $WRITE" -H "$JSON" \
  -d '{"title":"Crash while pushing","started_at":"2024-03-01T09:00:00Z"}'
ID=$(jget .id)

# pusher DOOR: pushes batches until the server is gone; appends the
# acknowledged batch numbers to $T/acked.DOOR.
pusher() {
  b=0
  while [ $b -lt 400 ]; do
    b=$((b + 1))
    tag=$(printf 'crash%s b%04d' "$1" $b)
    if [ "$1" = loki ]; then
      vals=$(seq 1 20 | awk -v t="$tag" -v b=$b '{printf "%s[\"%d%09d\",\"%s line %02d\"]", (NR>1?",":""), 1709287500 + b, $1, t, $1}')
      body="{\"streams\":[{\"stream\":{\"job\":\"crash\"},\"values\":[$vals]}]}"
      path=/loki/api/v1/push
      ok=204
    else
      recs=$(seq 1 20 | awk -v t="$tag" -v b=$b '{printf "%s{\"timeUnixNano\":\"%d%09d\",\"body\":{\"stringValue\":\"%s line %02d\"}}", (NR>1?",":""), 1709287500 + b, $1, t, $1}')
      body="{\"resourceLogs\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"crash\"}}]},\"scopeLogs\":[{\"logRecords\":[$recs]}]}]}"
      path=/v1/logs
      ok=200
    fi
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $INGEST" \
      -H "$JSON" --data-binary "$body" "$BASE$path")
    case $code in
    "$ok") echo $b >>"$T/acked.$1" ;;
    000) return ;;
    esac
  done
}
: >"$T/acked.loki"
: >"$T/acked.otlp"
pusher loki &
P1=$!
pusher otlp &
P2=$!
k=0
while [ $(cat "$T/acked.loki" "$T/acked.otlp" | wc -l) -lt 12 ] && [ $k -lt 300 ]; do
  sleep 0.1
  k=$((k + 1))
done
kill -9 $HS_PID
wait $HS_PID 2>/dev/null
wait $P1 $P2
check "batches were acknowledged before the kill" test "$(cat "$T/acked.loki" "$T/acked.otlp" | wc -l)" -ge 12

"$HS_BIN" --db "$DB" serve --listen 127.0.0.1:0 --threads 2 >"$T/server.out" 2>>"$T/server.err" &
HS_PID=$!
k=0
while ! grep -q 'listening on' "$T/server.out" 2>/dev/null && [ $k -lt 100 ]; do sleep 0.1; k=$((k + 1)); done
PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$T/server.out")
BASE=http://127.0.0.1:$PORT
check "the server restarts after kill -9" test -n "$PORT"
check "integrity_check after kill -9" eq "$(sqlite3 "$DB" 'PRAGMA integrity_check')" ok

# count DOOR B: lines of batch B stored.
count() {
  curl -s -H "Authorization: Bearer $WRITE" \
    "$BASE/api/v1/incidents/$ID/raw?q=$(printf 'crash%s%%20b%04d' "$1" "$2")" | jq '.lines | length'
}
for door in loki otlp; do
  missing=0
  for b in $(cat "$T/acked.$door"); do
    n=$(count $door "$b")
    [ "$n" = 20 ] || { echo "    $door batch $b: $n of 20 lines"; missing=$((missing + 1)); }
  done
  check "$door: every acknowledged batch is stored whole" eq "$missing" 0
  last=$(tail -n 1 "$T/acked.$door")
  n=$(count $door $((last + 1)))
  check "$door: the batch in flight is all or nothing" test "$n" = 0 -o "$n" = 20
done
hs_stop
