# t0043-eio: I/O errors injected at the N-th call (THREATS.md item 39,
# issue 9). tests/faults/failshim.c, preloaded into the server, makes the
# N-th pwrite (or fsync/fdatasync) on test.db or test.db-wal fail with EIO,
# once or from then on, armed by a trigger file after start-up. For each
# of four kinds (pwrite once, pwrite always, fsync once, fsync always) and
# N = 1..K (K=12 by default, EIO_ROUNDS to change) a round posts notes
# and creates incidents with a component (a multi-row write), every third
# write, until the N-th call has failed and once more. Proves:
# every answer is a 201 or a 503 JSON `io_error` saying nothing was saved,
# with no SQL or internals in it, never another status, a crash or a hang
# (curl gives up after 10 s); reads answer while writes fail; once
# disarmed, the same running process writes again (the design: SQLite
# rolls the failed transaction back and its connection recovers, so the
# server keeps serving rather than exiting); SIGTERM exits 0; after the
# restart every 201 is stored exactly once, nothing refused is stored,
# `integrity_check` is ok and foreign keys hold. `make SAN=1 test` runs it
# all on the ASan build (no ASan or LeakSanitizer report allowed). ENOMEM
# is not injected: the server aborts on OOM by design (STYLE.md section 4)
# and ASan's allocator cannot be interposed. Bounded: about 10 s.
. tests/http/lib.sh
needs_sqlite_file "EIO injected into the database file's reads and writes"
K=${EIO_ROUNDS:-12}
SHIM=$(pwd)/build/failshim.so
if [ ! -f "$SHIM" ] || [ tests/faults/failshim.c -nt "$SHIM" ]; then
  mkdir -p build
  ${CC:-cc} -shared -fPIC -O1 -Wall -Wextra -Werror -o "$SHIM" \
    tests/faults/failshim.c -ldl || { echo "FAIL building the shim"; exit 1; }
fi
hs_start
JSON='Content-Type: application/json'
WRITE=$("$HS_BIN" --db "$DB" token add writer --scope write)
AUTH="Authorization: Bearer $WRITE"
login admin "$PW_ADMIN"
req POST /api/v1/components -b "$T/jar.admin" -H "X-CSRF-Token: $CSRF" -H "$JSON" -d '{"name":"EIO API"}'
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"EIO test","components":["EIO API"]}'
ID=$(jget .id)
check "setup: an incident to write to" test -n "$ID"
kill -TERM $HS_PID
wait $HS_PID

# serve_shim BIN CALLS MODE: serves the database with the shim preloaded,
# failing CALLS (pwrite or fsync) once or always; disarmed until $T/arm
# exists. verify_asan_link_order=0 lets the ASan build start with the shim
# first in the library list (the shim only wraps libc, so order is moot).
serve_shim() {
  rm -f "$T/arm"
  : >"$T/server.out"
  ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}verify_asan_link_order=0 \
    LD_PRELOAD=$SHIM FAILSHIM_TRIGGER=$T/arm FAILSHIM_CALLS=$2 \
    FAILSHIM_MODE=$3 "$1" --db "$DB" serve --listen 127.0.0.1:0 \
    --threads 2 >"$T/server.out" 2>>"$T/server.err" &
  HS_PID=$!
  i=0
  while ! grep -q 'listening on' "$T/server.out" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 200 ] || ! kill -0 $HS_PID 2>/dev/null; then
      echo "FAIL server did not start"
      tail -n 5 "$T/server.err"
      exit 1
    fi
    sleep 0.05
  done
  PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$T/server.out")
  BASE=http://127.0.0.1:$PORT
}

# post PATH JSON NAME KIND: one write; files NAME under KIND in $T/acked
# (201) or $T/refused (503 io_error); anything else goes to $T/bad with
# its status. A 503 body is kept in $T/eio.json.
post() {
  s=$(curl -s --max-time 10 -o "$T/body" -w '%{http_code}' -H "$AUTH" \
    -H "$JSON" -d "$2" "$BASE$1")
  case $s in
  201) echo "$4 $3" >>"$T/acked" ;;
  503)
    if [ "$(jq -r .error.code "$T/body" 2>/dev/null)" = io_error ]; then
      echo "$4 $3" >>"$T/refused"
      cp "$T/body" "$T/eio.json"
      jq -r .error.message "$T/body" >>"$T/eio-${tag%%-*}.msgs" # by call
    else
      echo "$s $3 $(head -c 200 "$T/body")" >>"$T/bad"
    fi
    ;;
  *) echo "$s $3 $(head -c 200 "$T/body")" >>"$T/bad" ;;
  esac
}

# note TITLE and incident TITLE: the two writes of a round.
note() {
  post "/api/v1/incidents/$ID/events" \
    "{\"title\":\"$1\",\"kind\":\"note\",\"body\":\"EIO round note $1\"}" "$1" note
}
incident() {
  post /api/v1/incidents \
    "{\"title\":\"$1\",\"summary\":\"multi-row\",\"components\":[\"EIO API\"]}" "$1" incident
}

# sweep BIN CALLS MODE ROUNDS: one server; for N = 1..ROUNDS arms the shim
# at N, writes until the failure and once more, checks a read, disarms,
# and checks a write succeeds again.
ROUND=0
sweep() {
  serve_shim "$1" "$2" "$3"
  n=1
  fired=0
  nBefore=$(grep -c '^failshim: ' "$T/server.err")
  while [ $n -le "$4" ]; do
    ROUND=$((ROUND + 1))
    tag="$2-$3-$n"
    echo "$ROUND $n" >"$T/arm.tmp"
    mv "$T/arm.tmp" "$T/arm"
    # Write until the N-th call has failed, then once more (which fails
    # again only in mode always); at most N+3 writes.
    w=0
    more=2
    while [ $w -lt $((n + 3)) ] && [ $more -gt 0 ]; do
      if [ $((w % 3)) = 1 ]; then
        incident "$tag-$w"
      else
        note "$tag-$w"
      fi
      w=$((w + 1))
      if [ $more = 1 ] || [ "$(grep -c '^failshim: ' "$T/server.err")" -gt "$nBefore" ]; then
        more=$((more - 1))
      fi
    done
    s=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$BASE/healthz")
    [ "$s" = 200 ] || echo "healthz $s while armed ($tag)" >>"$T/bad"
    rm -f "$T/arm"
    f=$(grep -c '^failshim: ' "$T/server.err")
    [ "$f" -gt "$nBefore" ] && fired=$((fired + 1))
    nBefore=$f
    s=$(curl -s --max-time 10 -o "$T/body" -w '%{http_code}' -H "$AUTH" \
      -H "$JSON" -d "{\"title\":\"$tag-after\",\"kind\":\"note\",\"body\":\"x\"}" \
      "$BASE/api/v1/incidents/$ID/events")
    if [ "$s" = 201 ]; then
      echo "note $tag-after" >>"$T/acked"
    else
      echo "$s $tag-after (disarmed) $(head -c 200 "$T/body")" >>"$T/bad"
    fi
    n=$((n + 1))
  done
  echo "    ($2 $3: a failure was injected in $fired of $4 rounds)"
  check "$2 $3: a failure was injected in every round" eq "$fired" "$4"
  check "$2 $3: the server is alive after $4 rounds" kill -0 $HS_PID
  kill -TERM $HS_PID
  wait $HS_PID
  rc=$?
  check "$2 $3: SIGTERM exits 0" eq "$rc" 0
  check "$2 $3: integrity_check is ok" eq "$(db_integrity)" ok
}

: >"$T/acked"
: >"$T/refused"
: >"$T/bad"
: >"$T/server.err"
sweep "$HS_BIN" pwrite once "$K"
sweep "$HS_BIN" pwrite always "$K"
sweep "$HS_BIN" fsync once "$K"
sweep "$HS_BIN" fsync always "$K"
nAck=$(wc -l <"$T/acked" | tr -d ' ')
nRef=$(wc -l <"$T/refused" | tr -d ' ')
nInj=$(grep -c '^failshim: ' "$T/server.err")
echo "    ($nInj injected failures; $nAck writes got 201, $nRef got 503 io_error)"
check "every write got 201 or a 503 io_error (no crash, hang or other status)" \
  sh -c "! test -s '$T/bad' || { sed 's/^/    /' '$T/bad'; false; }"
check "failures were injected" test "$nInj" -ge $((4 * K))
check "some writes were refused" test "$nRef" -gt 0
# A failed write was rolled back: nothing saved. After a failed fsync the
# frames are in the WAL and a crash could keep them: the answer says so.
check "a failed pwrite's 503 says nothing was saved" \
  sh -c "cat '$T'/eio-pwrite*.msgs | sort -u | grep -q 'nothing was saved'"
check "a failed fsync's 503 says the write may or may not be saved" \
  sh -c "cat '$T'/eio-fsync*.msgs | sort -u | grep -q 'may or may not have been saved'"
check "the 503 shows no SQL or internals" \
  sh -c "! grep -qi 'sqlite\|commit\|insert\|errno\|disk I/O' '$T/eio.json'"
check "pwrite failures happened on the WAL" grep -q '^failshim: pwrite.*\.db-wal fails' "$T/server.err"
check "fsync failures happened on the WAL" grep -q '^failshim: f.*sync.*\.db-wal fails' "$T/server.err"
check "the server logged the I/O errors" grep -q 'disk I/O error' "$T/server.err"

# After a restart: every 201 once, nothing refused.
missing=0
while read -r kind t; do
  if [ "$kind" = note ]; then
    q="SELECT count(*) FROM events WHERE title = '$t'"
  else
    q="SELECT count(*) FROM incidents WHERE title = '$t'"
  fi
  [ "$(sql "$q")" = 1 ] || { missing=$((missing + 1)); echo "    missing $kind $t"; }
done <"$T/acked"
check "every acknowledged write is stored exactly once ($nAck)" eq "$missing" 0
stray=0
while read -r kind t; do
  if [ "$kind" = note ]; then
    q="SELECT count(*) FROM events WHERE title = '$t'"
  else
    q="SELECT count(*) FROM incidents WHERE title = '$t'"
  fi
  [ "$(sql "$q")" = 0 ] || { stray=$((stray + 1)); echo "    stored though refused: $kind $t"; }
done <"$T/refused"
check "no refused write is stored ($nRef)" eq "$stray" 0
check "every acknowledged incident has its component" eq \
  "$(sql "SELECT count(*) FROM incidents i WHERE i.summary = 'multi-row' AND NOT EXISTS (SELECT 1 FROM incident_components c WHERE c.incident_id = i.id)")" 0
check "no audit row without its note" eq \
  "$(sql "SELECT count(*) FROM changes WHERE entity = 'event' AND action = 'create'")" \
  "$(sql "SELECT count(*) FROM events WHERE kind = 'note'")"
check "foreign keys hold" eq "$(sql 'PRAGMA foreign_key_check' | wc -l)" 0

# A plain restart writes.
serve_shim "$HS_BIN" pwrite once
note restart-note
check "after a restart, a write gets 201" eq "$(tail -n1 "$T/acked")" "note restart-note"
kill -TERM $HS_PID
wait $HS_PID

# Under `make SAN=1 test` this whole file runs on ./hindsight-asan, shim
# included (see verify_asan_link_order above): that is the sanitizer pass.
if grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$T/server.err"; then
  echo "FAIL sanitizer report from the server"
  grep -A20 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$T/server.err" | head -40
  nfail=$((nfail + 1))
fi
rm -rf "$T"
[ $nfail -eq 0 ]
