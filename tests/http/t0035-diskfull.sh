# t0035-diskfull: a full disk (THREATS.md item 38, issue 9). The server
# runs under RLIMIT_FSIZE (`ulimit -f`), so once the WAL reaches the limit
# every SQLite write fails with EFBIG, as on a full file system. Proves:
# the server is not killed by SIGXFSZ; writes get a 503 that says the disk
# is full (JSON for the API, a page for forms), never a 500 or a crash;
# reads keep working; nothing is half-written (every 201 is stored once,
# every 503 left nothing, a multi-row write is all or nothing, audit rows
# match, integrity_check ok); writes work again once the limit is lifted,
# both after a restart and in the running process (no transaction stuck
# open on a pool thread). Bounded: a few seconds.
. tests/http/lib.sh
needs_sqlite_file "a full disk via RLIMIT_FSIZE on the database file"
hs_start
JSON='Content-Type: application/json'
WRITE=$("$HS_BIN" --db "$DB" token add writer --scope write)
AUTH="Authorization: Bearer $WRITE"
login admin "$PW_ADMIN"
req POST /api/v1/components -b "$T/jar.admin" -H "X-CSRF-Token: $CSRF" -H "$JSON" -d '{"name":"Disk API"}'
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Disk full test","components":["Disk API"]}'
ID=$(jget .id)
check "setup: an incident to write to" test -n "$ID"
kill -TERM $HS_PID
wait $HS_PID

# serve_limited BLOCKS: serves the database with `ulimit -f BLOCKS` (512
# bytes each; 0 means unlimited). The subshell execs, so HS_PID is the
# server itself.
serve_limited() {
  : >"$T/server.out"
  if [ "$1" = 0 ]; then
    "$HS_BIN" --db "$DB" serve --listen 127.0.0.1:0 --threads 2 \
      >"$T/server.out" 2>>"$T/server.err" &
  else
    (ulimit -S -f "$1" && exec "$HS_BIN" --db "$DB" serve --listen 127.0.0.1:0 \
      --threads 2 >"$T/server.out" 2>>"$T/server.err") &
  fi
  HS_PID=$!
  i=0
  while ! grep -q 'listening on' "$T/server.out" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 100 ] || ! kill -0 $HS_PID 2>/dev/null; then
      echo "FAIL server did not start"
      tail -n 5 "$T/server.err"
      exit 1
    fi
    sleep 0.05
  done
  PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$T/server.out")
  BASE=http://127.0.0.1:$PORT
}

# A 30 KB note body; the limit leaves room for about ten of them.
head -c 22000 /dev/urandom | base64 -w0 >"$T/blob"
# note TITLE: posts a note; prints the status and keeps the body in $T/body.
note() {
  printf '{"title":"%s","kind":"note","body":"%s"}' "$1" "$(cat "$T/blob")" >"$T/note.json"
  curl -s -o "$T/body" -w '%{http_code}' -H "$AUTH" -H "$JSON" \
    --data-binary @"$T/note.json" "$BASE/api/v1/incidents/$ID/events"
}

# fill PREFIX: writes notes until three 503s in a row (at most 80 tries);
# appends the titles that got 201 to $T/acked, others to $T/refused, and
# every status to $T/codes.
fill() {
  k=0
  full=0
  while [ $k -lt 80 ] && [ $full -lt 3 ]; do
    s=$(note "$1-$k")
    echo "$s" >>"$T/codes"
    case $s in
    201) echo "$1-$k" >>"$T/acked"; full=0 ;;
    503) echo "$1-$k" >>"$T/refused"; full=$((full + 1)); cp "$T/body" "$T/full.json" ;;
    *) echo "$1-$k" >>"$T/refused" ;;
    esac
    k=$((k + 1))
  done
}

size=$(wc -c <"$DB")
BLOCKS=$(( (size + 300000) / 512 ))
: >"$T/acked"
: >"$T/refused"
: >"$T/codes"
serve_limited $BLOCKS
fill a
check "the server survives the file size limit (SIGXFSZ ignored)" kill -0 $HS_PID
check "some writes succeed before the disk fills" test -s "$T/acked"
check "writes on the full disk get 503" grep -q '^503$' "$T/codes"
check "no write gets anything but 201 or 503" sh -c "! grep -qv '^\(201\|503\)$' '$T/codes'"
check "the 503 is JSON with code disk_full" eq "$(jq -r .error.code "$T/full.json")" disk_full
check "the 503 says the disk is full" sh -c "jq -r .error.message '$T/full.json' | grep -q 'disk is full'"
echo "    ($(wc -l <"$T/acked") notes stored, then $(grep -c '^503$' "$T/codes") refused; limit $BLOCKS blocks)"

# More writes of other shapes while full: a form, a multi-row incident, an
# ingest batch, a component.
curl -s -c "$T/jar.admin" -b "$T/jar.admin" -o "$T/page.html" "$BASE/app/incidents/$ID"
CSRF=$(sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' "$T/page.html" | head -n1)
req POST "/app/incidents/$ID/events" -b "$T/jar.admin" --data-urlencode "csrf_token=$CSRF" \
  --data-urlencode "title=form note while full" --data-urlencode "kind=note" \
  --data-urlencode "body=$(cat "$T/blob")"
check "a form write while full gets 503" eq "$STATUS" 503
check "the error page says the disk is full" contains "$T/body" "disk is full"
check "the error page is HTML" grep -qi 'content-type: text/html' "$T/headers"
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d "{\"title\":\"multi-row while full\",\"components\":[\"Disk API\"],\"summary\":\"$(cat "$T/blob")\"}"
check "an incident with components while full gets 503" eq "$STATUS" 503
# Each line random: raw lines are stored compressed, and 200 copies of one
# text would fit in the little room left.
head -c 45000 /dev/urandom | base64 -w 300 | head -n 200 |
  awk '{ printf "{\"ts\":\"2026-11-20T11:30:00Z\",\"level\":\"error\",\"msg\":\"full-batch-%d %s\"}\n", NR - 1, $0 }' >"$T/batch"
req POST "/api/v1/incidents/$ID/ingest?format=jsonl" -H "$AUTH" --data-binary @"$T/batch"
check "an ingest batch while full gets 503" eq "$STATUS" 503
INGEST_STATUS=$STATUS
req POST /api/v1/components -b "$T/jar.admin" -H "X-CSRF-Token: $CSRF" -H "$JSON" -d '{"name":"Added while full","description":"'"$(head -c 900 "$T/blob")"'"}'
# A small row may still fit in a page freed by the refused writes: either
# answer is right, as long as the database agrees with it.
COMPONENT_STATUS=$STATUS
check "a small component while full gets 201 or 503" sh -c "[ '$STATUS' = 201 ] || [ '$STATUS' = 503 ]"

# Reads keep working.
req GET /healthz
check "healthz answers while full" eq "$STATUS" 200
req GET /
check "the status page answers while full" eq "$STATUS" 200
req GET "/api/v1/incidents/$ID/events?limit=500" -H "$AUTH"
check "the API reads while full" eq "$STATUS" 200
n=$(jq '[.. | objects | select(.title? // "" | startswith("a-"))] | length' "$T/body")
check "the API shows exactly the acknowledged notes" eq "$n" "$(wc -l <"$T/acked" | tr -d ' ')"
req GET "/app/incidents/$ID" -b "$T/jar.admin"
check "the incident page answers while full" eq "$STATUS" 200
req GET "/app/search?q=disk" -b "$T/jar.admin"
check "search answers while full (the index queue waits)" eq "$STATUS" 200

kill -TERM $HS_PID
wait $HS_PID
rc=$?
check "SIGTERM on a full disk still exits 0" eq "$rc" 0

# Nothing half-written.
check "integrity_check is ok after the full disk" eq "$(db_integrity)" ok
nAck=$(wc -l <"$T/acked" | tr -d ' ')
check "every acknowledged note is stored once" eq \
  "$(sql "SELECT count(*) FROM events WHERE title LIKE 'a-%'")" "$nAck"
missing=0
while read -r t; do
  [ "$(sql "SELECT count(*) FROM events WHERE title = '$t'")" = 1 ] || missing=$((missing + 1))
done <"$T/acked"
check "each acknowledged title is there" eq "$missing" 0
stray=0
while read -r t; do
  [ "$(sql "SELECT count(*) FROM events WHERE title = '$t'")" = 0 ] || stray=$((stray + 1))
done <"$T/refused"
check "no refused note was stored" eq "$stray" 0
check "no audit row without its note" eq \
  "$(sql "SELECT count(*) FROM changes WHERE entity = 'event' AND action = 'create'")" \
  "$(sql "SELECT count(*) FROM events WHERE kind = 'note'")"
check "the refused incident left no row" eq \
  "$(sql "SELECT count(*) FROM incidents WHERE title = 'multi-row while full'")" 0
check "no orphaned incident_components" eq \
  "$(sql "SELECT count(*) FROM incident_components WHERE incident_id NOT IN (SELECT id FROM incidents)")" 0
if [ "$INGEST_STATUS" = 503 ]; then
  check "the refused ingest batch left no line" eq \
    "$("$HS_BIN" --db "$DB" raw --grep full-batch- | wc -l)" 0
fi
check "the component is stored exactly when it was acknowledged" eq \
  "$(sql "SELECT count(*) FROM components WHERE name = 'Added while full'")" \
  "$([ "$COMPONENT_STATUS" = 201 ] && echo 1 || echo 0)"
check "foreign keys hold" eq "$(sql 'PRAGMA foreign_key_check' | wc -l)" 0

# Restart without the limit: writes work again.
serve_limited 0
s=$(note "after-restart")
check "after a restart with space, a write gets 201" eq "$s" 201
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"multi-row after restart","components":["Disk API"]}'
check "an incident with components after the restart gets 201" eq "$STATUS" 201
kill -TERM $HS_PID
wait $HS_PID
check "integrity_check is ok after the restart" eq "$(db_integrity)" ok

# Space freed while running: raise the limit of the live process; every
# pool thread must write again (a stuck transaction would fail them).
if command -v prlimit >/dev/null 2>&1; then
  size=$(wc -c <"$DB")
  serve_limited $(( (size + 200000) / 512 ))
  : >"$T/codes"
  fill b
  check "the second server fills its limit" grep -q '^503$' "$T/codes"
  prlimit --pid $HS_PID --fsize=unlimited
  ok=0
  k=0
  while [ $k -lt 8 ]; do
    [ "$(note "freed-$k")" = 201 ] && ok=$((ok + 1))
    k=$((k + 1))
  done
  check "once space is freed, the running server writes again (8 of 8)" eq "$ok" 8
  kill -TERM $HS_PID
  wait $HS_PID
  check "integrity_check is ok after freeing space live" eq "$(db_integrity)" ok
  check "the notes written after freeing space are stored" eq \
    "$(sql "SELECT count(*) FROM events WHERE title LIKE 'freed-%'")" 8
fi
if grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$T/server.err"; then
  echo "FAIL sanitizer report from the server"
  grep -A20 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$T/server.err" | head -40
  nfail=$((nfail + 1))
fi
rm -rf "$T"
[ $nfail -eq 0 ]
