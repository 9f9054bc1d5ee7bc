# t0069-doors-crash: kill -9 during a stream of pushes loses no
# acknowledged line (issue 16: a push is acknowledged only once stored).
# Two clients push numbered batches of 20 lines, one to the Loki door and
# one to the OTLP door, and record each batch the server acknowledged
# (204 / 200); the server is killed with SIGKILL mid-stream, restarted on
# the same database, and every line of every acknowledged batch must be
# there. A batch that was not acknowledged may or may not be there, but
# never in part (one transaction). Then the same under a full disk: 503
# with Retry-After, and still no acknowledged line lost.
. tests/http/lib.sh
hs_start
JSON='Content-Type: application/json'
door_incident "Crash while pushing"

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

: >"$T/server.out"
"$HS_BIN" --db "$DB" serve --listen 127.0.0.1:0 --threads 2 >"$T/server.out" 2>>"$T/server.err" &
HS_PID=$!
k=0
while ! grep -q 'listening on' "$T/server.out" 2>/dev/null && [ $k -lt 100 ]; do sleep 0.1; k=$((k + 1)); done
PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$T/server.out")
BASE=http://127.0.0.1:$PORT
check "the server restarts after kill -9" test -n "$PORT"
check "integrity_check after kill -9" eq "$(db_integrity)" ok

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

# A full disk: the server runs under RLIMIT_FSIZE (as t0035 does), so once
# the WAL reaches the limit every write fails as on a full file system.
# Pushes then get 503 with Retry-After and a JSON error, never a 5xx
# other than that nor a crash, and nothing of a refused push is stored;
# every acknowledged push is.
needs_sqlite_file "a full disk via RLIMIT_FSIZE on the file"
kill -TERM $HS_PID
wait $HS_PID
size=$(wc -c <"$DB")
BLOCKS=$(( (size + 300000) / 512 ))
: >"$T/server.out"
(ulimit -S -f $BLOCKS && exec "$HS_BIN" --db "$DB" serve --listen 127.0.0.1:0 --threads 2 \
  >"$T/server.out" 2>>"$T/server.err") &
HS_PID=$!
k=0
while ! grep -q 'listening on' "$T/server.out" 2>/dev/null && [ $k -lt 300 ] && kill -0 $HS_PID 2>/dev/null; do sleep 0.1; k=$((k + 1)); done
PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$T/server.out")
BASE=http://127.0.0.1:$PORT
check "disk full: the server starts under the file size limit" test -n "$PORT"
[ -n "$PORT" ] || tail -n 5 "$T/server.err"
head -c 20000 /dev/urandom | base64 -w0 >"$T/blob"
: >"$T/full.acked"
: >"$T/full.refused"
b=0
full=0
while [ $b -lt 80 ] && [ $full -lt 3 ]; do
  b=$((b + 1))
  printf '{"streams":[{"stream":{"job":"full"},"values":[["%d000000000","diskfull b%04d %s"]]}]}' \
    $((1709287500 + b)) $b "$(cat "$T/blob")" >"$T/full.json"
  code=$(curl -s -D "$T/full.headers" -o "$T/full.body" -w '%{http_code}' -H "Authorization: Bearer $INGEST" \
    -H "$JSON" --data-binary @"$T/full.json" "$BASE/loki/api/v1/push")
  case $code in
  204) echo $b >>"$T/full.acked"; full=0 ;;
  503) echo $b >>"$T/full.refused"; full=$((full + 1)); cp "$T/full.headers" "$T/503.headers"; cp "$T/full.body" "$T/503.body" ;;
  *) echo "    push $b: unexpected $code"; echo $b >>"$T/full.other"
     [ $b -gt 1 ] || tail -n 8 "$T/server.err" ;;
  esac
done
check "disk full: pushes were acknowledged first" test -s "$T/full.acked"
check "disk full: then refused with 503" test -s "$T/full.refused"
check "disk full: no other status" test ! -s "$T/full.other"
check "disk full: 503 carries Retry-After" grep -qi '^Retry-After: ' "$T/503.headers"
check "disk full: 503 says the disk is full" eq "$(jq -r .error.code "$T/503.body")" disk_full
check "disk full: the server is still up" kill -0 $HS_PID
kill -TERM $HS_PID
wait $HS_PID
: >"$T/server.out"
"$HS_BIN" --db "$DB" serve --listen 127.0.0.1:0 --threads 2 >"$T/server.out" 2>>"$T/server.err" &
HS_PID=$!
k=0
while ! grep -q 'listening on' "$T/server.out" 2>/dev/null && [ $k -lt 100 ]; do sleep 0.1; k=$((k + 1)); done
PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$T/server.out")
BASE=http://127.0.0.1:$PORT
bad=0
for b in $(cat "$T/full.acked"); do
  [ "$(curl -s -H "Authorization: Bearer $WRITE" "$BASE/api/v1/incidents/$ID/raw?q=$(printf 'diskfull%%20b%04d' $b)" | jq '.lines | length')" = 1 ] || bad=$((bad + 1))
done
check "disk full: every acknowledged push is stored" eq "$bad" 0
for b in $(cat "$T/full.refused"); do
  [ "$(curl -s -H "Authorization: Bearer $WRITE" "$BASE/api/v1/incidents/$ID/raw?q=$(printf 'diskfull%%20b%04d' $b)" | jq '.lines | length')" = 0 ] || bad=$((bad + 1))
done
check "disk full: nothing of a refused push is stored" eq "$bad" 0
req POST /loki/api/v1/push -H "Authorization: Bearer $INGEST" -H "$JSON" --data-binary @"$T/full.json"
check "with room again, pushes are stored" eq "$STATUS" 204

# Syslog TCP on a full disk: the batch that cannot be stored is held and
# retried, and nothing more is read meanwhile, so the sender blocks
# (back-pressure) and the server's memory stays bounded.
kill -TERM $HS_PID
wait $HS_PID
size=$(wc -c <"$DB")
BLOCKS=$(( (size + 200000) / 512 ))
: >"$T/server.out"
(ulimit -S -f $BLOCKS && exec "$HS_BIN" --db "$DB" serve --listen 127.0.0.1:0 --threads 2 \
  --syslog-tcp 127.0.0.1:0 >"$T/server.out" 2>>"$T/server.err") &
HS_PID=$!
k=0
while ! grep -q 'listening on http' "$T/server.out" 2>/dev/null && [ $k -lt 300 ] && kill -0 $HS_PID 2>/dev/null; do sleep 0.1; k=$((k + 1)); done
TPORT=$(sed -n 's/.*syslog tcp listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$T/server.out")
check "syslog on a full disk: the server starts" test -n "$TPORT"
[ -n "$TPORT" ] || { cat "$T/server.out"; tail -n 5 "$T/server.err"; }
python3 - "$TPORT" >"$T/bp.out" <<'P'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(5)
chunk = b"".join(b"<14>1 2024-03-01T10:05:00Z web-1 flood - - - %06d %s\n" % (i, b"y" * 150)
                 for i in range(400))
total = 200 * 1024 * 1024
sent = 0
try:
    while sent < total:
        s.sendall(chunk)
        sent += len(chunk)
except socket.timeout:
    pass
print(sent, total)
P
read sent total <"$T/bp.out"
check "syslog on a full disk: the sender is held back" test "$sent" -lt "$total"
rss=$(awk '/^VmRSS:/ {print $2}' /proc/$HS_PID/status)
echo "    sent $sent of $total bytes; server RSS ${rss:-?} kB"
# ASan keeps freed memory in quarantine (up to 256 MiB), so its bound is
# looser; either way far below the 200 MiB the sender tried to push.
case $HS_BIN in *asan*) cap=600000 ;; *) cap=150000 ;; esac
check "syslog on a full disk: server memory stays bounded" test "${rss:-999999}" -lt $cap
check "syslog on a full disk: the server is still up" kill -0 $HS_PID
hs_stop
