# lib.sh: shared helpers for the HTTP tests. Each test sources it, calls
# hs_start, makes real requests with curl against a real server on a free
# loopback port with a temporary database, and prints PASS/FAIL lines.
set -u
HS_BIN=${HS_BIN:-./hindsight}
T=$(mktemp -d "${TMPDIR:-/tmp}/hs-http.XXXXXX")
DB=$T/test.db
# Under `make test DB=pg` tests/run.sh exports HS_PG, the base conninfo of
# the run's PostgreSQL cluster (tests/pg.sh): DB is then the conninfo of a
# fresh database of this suite, passed as `--db "$DB"` as a file name is,
# and dropped by hs_stop.
HS_PG=${HS_PG:-}
HS_DIR=$PWD # where the servers run
# Absolute: some suites cd elsewhere before hs_stop drops the database.
PG_SH=$PWD/tests/pg.sh
if [ -n "$HS_PG" ]; then
  DB=$(sh "$PG_SH" createdb "$HS_PG") || {
    echo "FAIL no PostgreSQL database for this suite"
    exit 1
  }
fi
HS_SUITE=$(basename "$0" .sh)
PW_ADMIN=admin-password-1
PW_EDITOR=editor-password-1
PW_VIEWER=viewer-password-1
nfail=0

check() { # check NAME CONDITION-EXIT-STATUS...
  name=$1
  shift
  if "$@"; then
    echo "PASS $name"
  else
    echo "FAIL $name"
    nfail=$((nfail + 1))
  fi
}

eq() { [ "$1" = "$2" ] || { echo "    expected [$2], got [$1]"; return 1; }; }
contains() { # contains FILE TEXT
  grep -qF -- "$2" "$1" || { echo "    [$2] not in:"; head -c 600 "$1" | sed 's/^/    /'; echo; return 1; }
}
lacks() { ! grep -qF -- "$2" "$1"; }

hs_start() {
  printf '%s\n' "$PW_ADMIN" | "$HS_BIN" --db "$DB" user add admin --role admin
  printf '%s\n' "$PW_EDITOR" | "$HS_BIN" --db "$DB" user add editor --role editor
  printf '%s\n' "$PW_VIEWER" | "$HS_BIN" --db "$DB" user add viewer --role viewer
  : >"$T/server.err"
  hs_serve "$DB" "$@"
}

# hs_serve DB [serve args...]: hs_start without its users, on any database
# (t0104 serves several in turn): sets HS_PID, PORT and BASE. Its output
# is $T/server.out; its stderr is added to $T/server.err, which hs_start
# empties first. With HS_RUN_DIR set (then HS_BIN must be absolute) it
# runs there: files kept beside the database (lastgood.c's
# "<db>.lastgood") are named after --db, for PostgreSQL its connection
# string, in the working directory.
hs_serve() {
  zDb=$1
  shift
  # A restart must not read the last server's "listening on" line before
  # the new one truncates the file.
  rm -f "$T/server.out"
  (cd "${HS_RUN_DIR:-.}" && exec "$HS_BIN" --db "$zDb" serve \
    --listen 127.0.0.1:0 --threads 2 "$@") >"$T/server.out" \
    2>>"$T/server.err" &
  HS_PID=$!
  i=0
  while ! grep -q 'listening on' "$T/server.out" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 100 ] || ! kill -0 $HS_PID 2>/dev/null; then
      echo "FAIL server did not start"
      cat "$T/server.err"
      exit 1
    fi
    sleep 0.1
  done
  PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$T/server.out")
  BASE=http://127.0.0.1:$PORT
}

# hs_stop: SIGTERM must drain and exit 0; ASan reports fail the test. A
# suite with more servers names their stderr files in HS_MORE_ERR.
hs_stop() {
  kill -TERM $HS_PID
  wait $HS_PID
  rc=$?
  check "server exits cleanly on SIGTERM" eq "$rc" 0
  if grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$T/server.err" ${HS_MORE_ERR:-}; then
    echo "FAIL sanitizer report from the server"
    grep -A20 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$T/server.err" ${HS_MORE_ERR:-} | head -40
    nfail=$((nfail + 1))
  fi
  rm -rf "$T"
  if [ -n "$HS_PG" ]; then
    sh "$PG_SH" dropdb "$DB" || echo "    could not drop $DB"
    # The last good pages, kept in the server's working directory there.
    rm -rf "$HS_DIR/hindsight-pg-$(printf '%s\n' "$DB" |
      sed -n 's/.*dbname=\([A-Za-z0-9_]*\).*/\1/p').lastgood"
  fi
  [ $nfail -eq 0 ]
}

# node_b_start: a second server on the same database (the suites with two
# nodes on PostgreSQL), run in $T so its last good pages stay there. Sets
# B_PID, B (its base URL) and PB (its port); its output is $T/b.out and
# $T/b.err, which hs_stop checks for sanitizer reports. Returns 1 if it did
# not start within 10 s.
node_b_start() {
  case $HS_BIN in /*) ;; *) HS_BIN=$PWD/$HS_BIN ;; esac
  rm -f "$T/b.out"
  (cd "$T" && exec "$HS_BIN" --db "$DB" serve --listen 127.0.0.1:0 \
    --threads 2 "$@") >"$T/b.out" 2>"$T/b.err" &
  B_PID=$!
  HS_MORE_ERR="${HS_MORE_ERR:-} $T/b.err"
  i=0
  while ! grep -q 'listening on' "$T/b.out" 2>/dev/null; do
    i=$((i + 1))
    [ $i -gt 100 ] && return 1
    sleep 0.1
  done
  PB=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$T/b.out")
  B=http://127.0.0.1:$PB
}

# wait_for 'SHELL CONDITION' [TENTHS]: re-evaluates it every 0.1 s until
# it holds (0), for up to TENTHS tenths of a second (default 15 s; then 1).
wait_for() {
  n=0
  while ! eval "$1" 2>/dev/null; do
    n=$((n + 1))
    [ $n -gt "${2:-150}" ] && return 1
    sleep 0.1
  done
}

# node_metric BASE NAME: the value of series NAME in the /metrics of the
# server at BASE (asked from loopback), empty when it has none.
node_metric() {
  curl -s "$1/metrics" | awk -v n="$2" '$1 == n { print $2 }'
}

# rsyslog_start: a real rsyslogd of the suite's own that reads the socket
# $T/log.sock (send with `logger -u "$T/log.sock" -t TAG ...`); the rules
# (modules, what goes where) come on stdin, after a shared head. Sets
# RS_PID (the suite stops it); returns 1 if the socket did not appear
# within 10 s.
rsyslog_start() {
  mkdir -p "$T/rs-work"
  {
    echo "global(workDirectory=\"$T/rs-work\")"
    echo 'module(load="imuxsock" SysSock.Use="off")'
    echo "input(type=\"imuxsock\" Socket=\"$T/log.sock\" CreatePath=\"on\""
    echo '      RateLimit.Interval="0")'
    cat
  } >"$T/rsyslog.conf"
  /usr/sbin/rsyslogd -n -f "$T/rsyslog.conf" -i "$T/rsyslog.pid" \
    >"$T/rsyslog.out" 2>&1 &
  RS_PID=$!
  k=0
  while [ ! -S "$T/log.sock" ] && [ $k -lt 100 ]; do
    sleep 0.1
    k=$((k + 1))
  done
  [ -S "$T/log.sock" ]
}

# needs_sqlite_file REASON: the rest of this suite is about the SQLite file
# itself (copied, corrupted, made read-only, full): on PostgreSQL it prints
# "SKIP <suite>: REASON" (tests/run.sh lists and counts these) and ends the
# suite, stopping its server if one runs. On SQLite it does nothing.
needs_sqlite_file() {
  [ -n "$HS_PG" ] || return 0
  echo "SKIP $HS_SUITE: $1"
  if [ -n "${HS_PID:-}" ] && kill -0 "$HS_PID" 2>/dev/null; then
    hs_stop
    exit $?
  fi
  rm -rf "$T"
  sh "$PG_SH" dropdb "$DB" >/dev/null 2>&1
  [ $nfail -eq 0 ]
  exit $?
}

# needs_pg REASON: the reverse of needs_sqlite_file, for suites about
# several nodes or servers on PostgreSQL: on SQLite it prints "SKIP
# <suite>: REASON" and ends the suite (call it before hs_start).
needs_pg() {
  [ -z "$HS_PG" ] || return 0
  echo "SKIP $HS_SUITE: $1"
  rm -rf "$T"
  exit 0
}

# sqlite_file_part REASON: for one part of a suite that is about the SQLite
# file: `if sqlite_file_part "why"; then ...; fi`. True on SQLite; on
# PostgreSQL prints "SKIP <suite>: REASON" and is false.
sqlite_file_part() {
  [ -n "$HS_PG" ] || return 0
  echo "SKIP $HS_SUITE: $1"
  return 1
}

# req METHOD PATH [curl args...]: sets STATUS; the body is in $T/body and
# the headers in $T/headers.
req() {
  method=$1
  path=$2
  shift 2
  STATUS=$(curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' \
    -X "$method" "$@" "$BASE$path")
}

# as USER: later requests with -b/-c "$T/jar.USER" are logged in as USER.
login() { # login USER PASSWORD
  jar=$T/jar.$1
  rm -f "$jar"
  curl -s -c "$jar" -b "$jar" -o "$T/login.html" "$BASE/login"
  token=$(sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' "$T/login.html" | tail -n1)
  LOGIN_STATUS=$(curl -s -c "$jar" -b "$jar" -o /dev/null -w '%{http_code}' \
    --data-urlencode "username=$1" --data-urlencode "password=$2" \
    --data-urlencode "csrf_token=$token" "$BASE/login")
  curl -s -c "$jar" -b "$jar" -o "$T/page.html" "$BASE/app/incidents"
  CSRF=$(sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' "$T/page.html" | head -n1)
}

# sql [SQL...]: the sqlite3 shell on the test database, waiting up to 5 s
# for the write lock as the server does (its search indexer writes in the
# background, so a write from the shell may meet a batch in progress).
# The index's tokenizer (make build/hs_fts.so) lets the shell read
# search_index. Each SQL argument runs in turn; without one, stdin does.
# Under HS_PG it is psql, printing as the sqlite3 shell does ("|" between
# columns, one row per line, NULL as nothing); tests/pg.sh gives its
# databases a group_concat() in the schema sqlite_compat, which only this
# psql has on its search_path (the server does not see it).
HS_FTS=${HS_FTS:-$PWD/build/hs_fts}
sql() { sql_on "$DB" "$@"; }

# sql_on DB [SQL...]: sql on another database of the suite (new_db).
sql_on() {
  zDb=$1
  shift
  if [ -z "$HS_PG" ]; then
    sqlite3 -cmd '.timeout 5000' -cmd ".load $HS_FTS" "$zDb" "$@"
    return
  fi
  for zSql in "$@"; do
    set -- "$@" -c "$zSql"
    shift
  done
  PGOPTIONS='-c search_path=public,sqlite_compat' \
    psql -X -q -A -t -v ON_ERROR_STOP=1 "$zDb" "$@"
}

# new_db NAME: another empty database for a suite that needs several, for
# --db: the file $T/NAME.db, or under HS_PG a fresh PostgreSQL database
# (left to the end of the run's cluster).
new_db() {
  if [ -n "$HS_PG" ]; then
    sh "$PG_SH" createdb "$HS_PG"
  else
    echo "$T/$1.db"
  fi
}

# db_integrity: "ok" when the database is whole: PRAGMA integrity_check on
# SQLite, pg_amcheck (tables and indexes) on PostgreSQL.
db_integrity() {
  if [ -n "$HS_PG" ]; then
    sh "$PG_SH" check "$DB"
  else
    sql 'PRAGMA integrity_check'
  fi
}

# vocab_mismatches: terms whose search_terms.ndoc differs from the documents
# the index holds them in (text columns; word-pair tokens, 0xF8..., are not
# words; stem tokens, 0xF9..., are counted). 0 when the vocabulary agrees with
# the index. On PostgreSQL the index's tsv holds exactly the words and stems
# (U+2171...), and ts_stat counts their documents.
vocab_mismatches() {
  if [ -n "$HS_PG" ]; then
    sql "SELECT count(*) FROM (
      (SELECT word, ndoc FROM ts_stat('SELECT tsv FROM search_index')
       EXCEPT SELECT term, ndoc FROM search_terms)
      UNION ALL
      (SELECT term, ndoc FROM search_terms
       EXCEPT SELECT word, ndoc FROM ts_stat('SELECT tsv FROM search_index'))) d"
    return
  fi
  sql "CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, search_index, instance);
  SELECT count(*) FROM (
    SELECT * FROM (SELECT term, count(DISTINCT doc) FROM temp.v
                   WHERE col IN ('title', 'root_cause', 'body')
                     AND NOT (CAST(term AS BLOB) BETWEEN x'F8' AND x'F8FF') GROUP BY term
                   EXCEPT SELECT term, ndoc FROM search_terms)
    UNION ALL
    SELECT * FROM (SELECT term, ndoc FROM search_terms
                   EXCEPT SELECT term, count(DISTINCT doc) FROM temp.v
                   WHERE col IN ('title', 'root_cause', 'body')
                     AND NOT (CAST(term AS BLOB) BETWEEN x'F8' AND x'F8FF') GROUP BY term))"
}

# door_incident TITLE [INGEST_NAME]: the door suites' setup. Tokens WRITE
# (scope write) and INGEST (scope ingest, named INGEST_NAME, default
# shipper), and an open incident ID that started 2024-03-01T09:00Z, before
# every time the suites push, so it covers all their lines.
door_incident() {
  WRITE=$("$HS_BIN" --db "$DB" token add writer --scope write)
  INGEST=$("$HS_BIN" --db "$DB" token add "${2:-shipper}" --scope ingest)
  req POST /api/v1/incidents -H "Authorization: Bearer $WRITE" \
    -H 'Content-Type: application/json' \
    -d "{\"title\":\"$1\",\"started_at\":\"2024-03-01T09:00:00Z\"}"
  ID=$(jget .id)
  check "setup: an incident covering the pushed times" test -n "$ID"
}

# jget FILTER: reads a value from the last JSON body.
jget() { jq -r "$1" "$T/body"; }
