# t0036-readonly: a database the server cannot write (issue 9). Two ways
# in: `serve --read-only` (works as root, which ignores file modes), and a
# file the process may not write (444 file; run as nobody when the test runs
# as root), in a writable directory and in a read-only one. Proves: the
# server starts with a warning and serves every read (public pages, the
# JSON APIs, /app pages with an existing session, search, metrics); every
# write (API, form, login, ingest, webhook) gets 503 with a JSON error
# `read_only` or an error page saying the database is read-only, never a
# 500 or a crash; SIGTERM exits 0; the file is byte-for-byte unchanged and
# passes integrity_check; writes work again after a restart with write
# access. A CLI write on such a file exits 1 with SQLite's reason; CLI
# reads work. Bounded: a few seconds.
. tests/http/lib.sh
hs_start
JSON='Content-Type: application/json'
WRITE=$("$HS_BIN" --db "$DB" token add writer --scope write)
HOOK=$("$HS_BIN" --db "$DB" token add hook --scope ingest)
AUTH="Authorization: Bearer $WRITE"
login admin "$PW_ADMIN"
ADMIN_CSRF=$CSRF
req POST /api/v1/components -b "$T/jar.admin" -H "X-CSRF-Token: $CSRF" -H "$JSON" -d '{"name":"Checkout"}'
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Read-only test","components":["Checkout"]}'
ID=$(jget .id)
req POST "/api/v1/incidents/$ID/events" -H "$AUTH" -H "$JSON" -d '{"title":"A note before","body":"kept"}'
req POST "/api/v1/incidents/$ID/updates" -H "$AUTH" -H "$JSON" -d '{"status":"identified","body":"We know.","components":{"Checkout":"partial_outage"}}'
req POST /api/v1/actions -H "$AUTH" -H "$JSON" -d "{\"incident_id\":$ID,\"title\":\"Fix it\"}"
check "setup: incident, note, status update and action stored" test -n "$ID" -a "$STATUS" = 201
kill -TERM $HS_PID
wait $HS_PID

# serve_as DBFILE PREFIX ARGS...: serves DBFILE, run through PREFIX (a
# command such as setpriv, or ""); sets HS_PID and BASE; stderr goes to
# $T/ro.err. The prefix execs, so HS_PID is the server.
serve_as() {
  f=$1
  as=$2
  shift 2
  : >"$T/server.out"
  : >"$T/ro.err"
  # shellcheck disable=SC2086
  $as "$HS_BIN" --db "$f" serve --listen 127.0.0.1:0 --threads 2 "$@" \
    >"$T/server.out" 2>"$T/ro.err" &
  HS_PID=$!
  i=0
  while ! grep -q 'listening on' "$T/server.out" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 100 ] || ! kill -0 $HS_PID 2>/dev/null; then
      echo "FAIL server did not start"
      cat "$T/ro.err"
      exit 1
    fi
    sleep 0.05
  done
  PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$T/server.out")
  BASE=http://127.0.0.1:$PORT
}

# stop_server NAME: SIGTERM; exit 0 and no sanitizer report.
stop_server() {
  kill -TERM $HS_PID
  wait $HS_PID
  check "$1: SIGTERM exits 0" eq $? 0
  check "$1: no crash or sanitizer report" \
    sh -c "! grep -q 'AddressSanitizer\|runtime error\|Segmentation' '$T/ro.err'"
  cat "$T/ro.err" >>"$T/server.err"
}

# reads NAME [CURL-AUTH...]: every read answers 200 (API reads with the
# bearer token; /app pages with the admin cookie jar when it still works).
reads() {
  what=$1
  bad=
  for p in / /history /history.atom /history.rss "/incidents/$ID" \
    /api/v2/summary.json /api/v2/status.json /api/v2/components.json \
    /api/v2/incidents.json /healthz /metrics /login /static/style.css; do
    s=$(curl -s -o /dev/null -w '%{http_code}' "$BASE$p")
    [ "$s" = 200 ] || bad="$bad $p=$s"
  done
  for p in /api/v1/incidents "/api/v1/incidents/$ID" \
    "/api/v1/incidents/$ID/events" "/api/v1/incidents/$ID/updates" \
    /api/v1/actions /api/v1/components /api/v1/maintenances \
    "/api/v1/search?q=note"; do
    s=$(curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" "$BASE$p")
    [ "$s" = 200 ] || bad="$bad $p=$s"
  done
  check "$what: public pages and API reads are 200" eq "$bad" ""
  curl -s -o "$T/sum.json" "$BASE/api/v2/summary.json"
  check "$what: the status page shows the stored update" \
    eq "$(jq -r '.incidents[0].incident_updates[0].body' "$T/sum.json")" "We know."
}

# refused NAME: the writes every door offers, each 503 read_only.
refused() {
  what=$1
  req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Must not exist"}'
  check "$what: API create is 503" eq "$STATUS" 503
  check "$what: the JSON error code is read_only" eq "$(jget .error.code)" read_only
  check "$what: the message says the database is read-only" \
    contains "$T/body" "The database is read-only: nothing was saved."
  req GET "/api/v1/incidents/$ID" -H "$AUTH"
  v=$(jget .version)
  req PATCH "/api/v1/incidents/$ID" -H "$AUTH" -H "$JSON" -H "If-Match: \"$v\"" -d '{"title":"Renamed"}'
  check "$what: API update is 503 read_only" eq "$STATUS $(jget .error.code)" "503 read_only"
  req POST "/api/v1/incidents/$ID/events" -H "$AUTH" -H "$JSON" -d '{"title":"Must not exist either"}'
  check "$what: a note is 503 read_only" eq "$STATUS $(jget .error.code)" "503 read_only"
  printf '<34>1 2026-11-20T11:40:00Z web-1 app - - - must not be stored\n' >"$T/one.log"
  req POST "/api/v1/incidents/$ID/ingest?format=syslog" -H "$AUTH" --data-binary @"$T/one.log"
  check "$what: an ingest is 503 read_only" eq "$STATUS $(jget .error.code)" "503 read_only"
  req POST /hooks/generic -H "Authorization: Bearer $HOOK" -H "$JSON" -d "{\"title\":\"Hook must not be stored\",\"component\":\"Checkout\",\"ts\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}"
  check "$what: a webhook is 503 read_only" eq "$STATUS $(jget .error.code)" "503 read_only"
  rm -f "$T/jl"
  tok=$(curl -s -c "$T/jl" -b "$T/jl" "$BASE/login" | sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' | tail -n1)
  req POST /login -c "$T/jl" -b "$T/jl" --data-urlencode "username=admin" --data-urlencode "password=$PW_ADMIN" --data-urlencode "csrf_token=$tok"
  check "$what: logging in is 503 (a session is a write)" eq "$STATUS" 503
  check "$what: the login error page says read-only" contains "$T/body" "The database is read-only"
  check "$what: no session cookie is issued" sh -c "! grep -qi '^set-cookie: hs_session=[0-9a-f]' '$T/headers'"
}

# The file's own checks (its -wal, its bytes, integrity_check) are SQLite's.
if [ -z "$HS_PG" ]; then
  check "the server stopped cleanly (no -wal left)" test ! -s "$DB-wal"
  sum0=$(cksum <"$DB")
fi
rows0=$(sql "SELECT (SELECT count(*) FROM incidents), (SELECT count(*) FROM events), (SELECT coalesce(sum(n_lines), 0) FROM raw_blocks), (SELECT count(*) FROM changes), (SELECT count(*) FROM sessions)")

# 1. serve --read-only: works as root too. -------------------------------
serve_as "$DB" "" --read-only
check "--read-only: the start-up says so" grep -q 'serving read-only' "$T/ro.err"
reads "--read-only"
req GET /app/incidents -b "$T/jar.admin"
check "--read-only: an existing session reads /app/incidents" eq "$STATUS" 200
check "--read-only: the page shows the incident" contains "$T/body" "Read-only test"
bad=
for p in "/app/incidents/$ID" /app/actions /app/components /app/maintenances \
  /app/users /app/subscribers "/app/search?q=note" /app/insights \
  "/app/incidents/$ID/postmortem" "/app/events/1/history"; do
  s=$(curl -s -o /dev/null -w '%{http_code}' -b "$T/jar.admin" "$BASE$p")
  case $s in 2?? | 404) ;; *) bad="$bad $p=$s" ;; esac
done
check "--read-only: /app pages answer without 5xx" eq "$bad" ""
refused "--read-only"
req POST /app/incidents -b "$T/jar.admin" --data-urlencode "title=Form must not exist" --data-urlencode "csrf_token=$ADMIN_CSRF"
check "--read-only: a form post is 503" eq "$STATUS" 503
check "--read-only: the error page says read-only" contains "$T/body" "The database is read-only: nothing was saved."
check "--read-only: the error page is HTML" grep -qi '^content-type: text/html' "$T/headers"
stop_server "--read-only"
if [ -z "$HS_PG" ]; then
  check "--read-only: the database file is unchanged" eq "$(cksum <"$DB")" "$sum0"
  check "--read-only: no -wal holds data" test ! -s "$DB-wal"
fi
check "--read-only: integrity_check ok" eq "$(db_integrity)" ok
check "--read-only: no row was added (incidents, events, raw lines, changes, sessions)" \
  eq "$(sql "SELECT (SELECT count(*) FROM incidents), (SELECT count(*) FROM events), (SELECT coalesce(sum(n_lines), 0) FROM raw_blocks), (SELECT count(*) FROM changes), (SELECT count(*) FROM sessions)")" "$rows0"

# 2. A file the process may not write. Root ignores modes: run as nobody.
if sqlite_file_part "a 444 file and a read-only directory (file modes)"; then
AS=
if [ "$(id -u)" = 0 ]; then
  chmod 755 "$T"
  AS="setpriv --reuid=65534 --regid=65534 --clear-groups"
fi
# 2a. A 444 file in a directory the server may write (its -shm can exist).
mkdir "$T/rw"
cp "$DB" "$T/rw/ro.db"
chmod 444 "$T/rw/ro.db"
[ -n "$AS" ] && chown -R 65534:65534 "$T/rw"
sum1=$(cksum <"$T/rw/ro.db")
serve_as "$T/rw/ro.db" "$AS"
check "444 file: the start-up warns it opens read-only" grep -q 'cannot be written.*opening it read-only' "$T/ro.err"
check "444 file: serving read-only is announced" grep -q 'serving read-only' "$T/ro.err"
reads "444 file"
refused "444 file"
stop_server "444 file"
check "444 file: the database file is unchanged" eq "$(cksum <"$T/rw/ro.db")" "$sum1"

# 2b. The same in a read-only directory: no -shm can be made, so the file
# is read as immutable.
mkdir "$T/ro"
cp "$DB" "$T/ro/ro.db"
chmod 444 "$T/ro/ro.db"
chmod 555 "$T/ro"
sum2=$(cksum <"$T/ro/ro.db")
serve_as "$T/ro/ro.db" "$AS"
check "read-only directory: the start-up warns it reads the file as immutable" grep -q 'reading it as immutable' "$T/ro.err"
reads "read-only directory"
refused "read-only directory"
stop_server "read-only directory"
check "read-only directory: the database file is unchanged" eq "$(cksum <"$T/ro/ro.db")" "$sum2"
check "read-only directory: nothing was created next to it" eq "$(ls "$T/ro")" "ro.db"
$AS "$HS_BIN" --db "$T/ro/ro.db" incident open "should fail" >/dev/null 2>"$T/cli.err"
check "a CLI write on a read-only database exits 1" eq $? 1
check "the CLI says why" grep -q 'attempt to write a readonly database' "$T/cli.err"
$AS "$HS_BIN" --db "$T/ro/ro.db" token list >"$T/cli.out" 2>"$T/cli.err"
check "a CLI read on a read-only database works" eq $? 0
check "and lists the tokens" grep -q writer "$T/cli.out"
check "read-only directory: still unchanged after the CLI" eq "$(cksum <"$T/ro/ro.db")" "$sum2"
chmod 755 "$T/ro"
fi

# 3. Write access again: writes work, the data is all there.
serve_as "$DB" ""
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"After read-only"}'
check "with write access again, a write is 201" eq "$STATUS" 201
req POST /hooks/generic -H "Authorization: Bearer $HOOK" -H "$JSON" -d "{\"title\":\"Hook after read-only\",\"component\":\"Checkout\",\"ts\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}"
check "the webhook refused above is accepted with write access" eq "$(jget .accepted)" 1
req GET "/api/v1/incidents/$ID/events" -H "$AUTH"
check "the note written before is there" contains "$T/body" "A note before"
check "nothing refused was stored" lacks "$T/body" "Must not exist"
stop_server "restart"
check "integrity_check ok at the end" eq "$(db_integrity)" ok
check "no sanitizer report from any server run" \
  sh -c "! grep -q 'ERROR: AddressSanitizer\|runtime error:' '$T/server.err'"
rm -rf "$T"
[ $nfail -eq 0 ]
