# t0104-copy: `hindsight copy` moves a whole installation from SQLite to
# PostgreSQL and back. A SQLite installation with the demo, ingested
# evidence (raw-line blocks), postmortems, a subscriber (and its outbox
# message), an API token and sessions is copied to a fresh PostgreSQL
# database; the report verifies every table; PostgreSQL copied back to a new
# SQLite file gives the same rows and checksums; served from PostgreSQL, the
# API answers as it did from SQLite, and the same password, session and
# token still work. Refused: a destination with data, the same database
# twice, a bad connection string.
#
# The origin is always a SQLite file. PostgreSQL is the run's cluster under
# HS_PG (make test DB=pg), else one started here with tests/pg.sh.
. tests/http/lib.sh
LIB_DB=$DB
DB=$T/origin.db
PG_OWN=
if [ -n "$HS_PG" ]; then
  PG_BASE=$HS_PG
else
  # Outside $T: as root the cluster's owner (postgres) must reach it.
  PG_OWN=$(mktemp -d "${TMPDIR:-/tmp}/hs-pg.XXXXXX")
  if ! PG_BASE=$(sh tests/pg.sh start "$PG_OWN" 2>"$T/pg.err"); then
    echo "SKIP $HS_SUITE: no PostgreSQL here ($(tail -n1 "$T/pg.err"))"
    rmdir "$PG_OWN" 2>/dev/null
    rm -rf "$T"
    exit 0
  fi
fi
finish() {
  if [ -n "${HS_PID:-}" ] && kill -0 "$HS_PID" 2>/dev/null; then
    kill -TERM "$HS_PID"
    wait "$HS_PID"
  fi
  if [ -n "$PG_OWN" ]; then
    sh tests/pg.sh stop "$PG_OWN"
  else
    for d in "$T"/*.pg; do
      [ -f "$d" ] && sh tests/pg.sh dropdb "$(cat "$d")" >/dev/null 2>&1
    done
    [ -z "$HS_PG" ] || sh tests/pg.sh dropdb "$LIB_DB" >/dev/null 2>&1
  fi
  rm -rf "$T"
}
trap finish EXIT
# pg_db NAME: a fresh PostgreSQL database, its conninfo also in $T/NAME.pg
# (for finish, which drops them on the run's cluster).
pg_db() {
  sh tests/pg.sh createdb "$PG_BASE" >"$T/$1.pg" || return 1
  cat "$T/$1.pg"
}

# lite SQL...: the sqlite3 shell on the origin (sql() is psql under HS_PG).
lite() { sqlite3 -cmd '.timeout 5000' "$DB" "$@"; }

# pg_sql CONNINFO SQL: one query through psql ("|" between columns).
pg_sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$1" -c "$2"; }

# serve DB: hindsight on DB (lib.sh's hs_serve), run in $T: files kept
# beside the database are named after --db, for PostgreSQL its connection
# string, in the current directory.
case $HS_BIN in /*) ;; *) HS_BIN=$PWD/$HS_BIN ;; esac
serve() {
  HS_RUN_DIR=$T
  hs_serve "$1"
}
unserve() {
  kill -TERM $HS_PID
  wait $HS_PID
  check "server on $1 exits cleanly" eq "$?" 0
  HS_PID=
}

# answers NAME: what the API says about the installation, into $T/NAME.*
# (bodies normalised by jq, so key order cannot differ), and in
# $T/NAME.*.err what the server logged about PostgreSQL meanwhile.
answers() {
  for p in "incidents:/api/v1/incidents" "timeline:/api/v1/incidents/$INC/events" \
    "raw:/api/v1/incidents/$INC/raw?q=502" "summary:/api/v2/summary.json" \
    "postmortem:/api/v1/incidents/$INC/postmortem"; do
    n=$(wc -l <"$T/server.err")
    req GET "${p#*:}" -H "Authorization: Bearer $READ"
    echo "$STATUS" >"$T/$1.${p%%:*}"
    jq -S . "$T/body" >>"$T/$1.${p%%:*}" 2>&1
    tail -n +$((n + 1)) "$T/server.err" | grep -A1 'postgresql error' >"$T/$1.${p%%:*}.err"
  done
}

# The origin: the demo, users, evidence, a subscriber, a token, sessions.
"$HS_BIN" --db "$DB" demo >/dev/null
hs_start
READ=$("$HS_BIN" --db "$DB" token add reader --scope read)
WRITE=$("$HS_BIN" --db "$DB" token add writer --scope write)
INC=$(lite "SELECT min(incident_id) FROM postmortems")
awk 'BEGIN { for (m = 0; m < 20; m++) for (i = 0; i < 30; i++)
  printf "10.0.0.%d - - [20/Nov/2026:12:%02d:%02d +0000] \"GET /cart?id=%d HTTP/1.1\" %d 512 \"-\" \"curl/8\"\n",
    i, m, i, i, (m >= 5 && m < 9 && i % 3 == 0) ? 502 : 200 }' >"$T/access.log"
"$HS_BIN" --db "$DB" ingest --format nginx --incident "$INC" --source lb-1 "$T/access.log" >/dev/null
check "evidence ingested into the origin" test "$(lite "SELECT count(*) FROM raw_blocks WHERE source = 'lb-1'")" -gt 0
jar=$T/jar.sub
curl -s -c "$jar" -b "$jar" -o "$T/form.html" "$BASE/subscribe"
tok=$(sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' "$T/form.html" | head -n1)
req POST "/subscribe?format=json" -c "$jar" -b "$jar" --data-urlencode "csrf_token=$tok" \
  --data-urlencode "kind=email" --data-urlencode "address=ops@example.com"
check "a subscriber signs up" eq "$STATUS" 202
login editor "$PW_EDITOR"
check "the editor logs in on SQLite" eq "$LOGIN_STATUS" 303
cp "$T/jar.editor" "$T/jar.kept"
answers sqlite
check "the origin answers the API" eq "$(head -n1 "$T/sqlite.raw")" 200
check "the origin has raw lines to show" test "$(sed 1d "$T/sqlite.raw" | jq '.lines | length')" -gt 0
unserve SQLite
check "the origin has a subscriber and an outbox message" eq \
  "$(lite "SELECT (SELECT count(*) FROM subscribers) || ' ' || (SELECT count(*) > 0 FROM outbox)")" "1 1"

# SQLite -> PostgreSQL.
PG1=$(pg_db first)
"$HS_BIN" copy --from "$DB" --to "$PG1" >"$T/copy1.out" 2>"$T/copy1.err"
check "copy to PostgreSQL exits 0" eq "$?" 0
check "the report ends verified" contains "$T/copy1.out" "all verified"
check "every table is ok" eq "$(awk 'NR > 1 && $1 != "copied" && $4 != "ok"' "$T/copy1.out")" ""
check "the report lists the raw blocks" grep -q '^raw_blocks  *[1-9]' "$T/copy1.out"
for t in users sessions api_tokens subscribers outbox changes evidence raw_blocks postmortems; do
  check "the report has $t with its rows" test "$(awk -v t=$t '$1 == t { print $2 }' "$T/copy1.out")" = \
    "$(lite "SELECT count(*) FROM $t")"
done
check "PostgreSQL holds the rows" eq "$(pg_sql "$PG1" 'SELECT count(*) FROM raw_blocks')" \
  "$(lite 'SELECT count(*) FROM raw_blocks')"
check "every search document is queued on PostgreSQL" eq \
  "$(pg_sql "$PG1" 'SELECT count(*) FROM search_queue')" \
  "$(lite "SELECT (SELECT count(*) FROM incidents) + (SELECT count(*) FROM postmortems) + (SELECT count(*) FROM actions) + (SELECT count(*) FROM events WHERE kind IN ('note', 'change', 'status_update') AND deleted = 0)")"
check "the copy's triggers are on again" eq \
  "$(pg_sql "$PG1" "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'O'")" 0
check "component history was not written twice" eq \
  "$(pg_sql "$PG1" 'SELECT count(*) FROM component_history')" "$(lite 'SELECT count(*) FROM component_history')"
check "the PostgreSQL copy is whole" eq "$(sh tests/pg.sh check "$PG1")" ok

# PostgreSQL -> a new SQLite file, before anything serves from it.
"$HS_BIN" copy --from "$PG1" --to "$T/back.db" >"$T/copy2.out" 2>"$T/copy2.err"
check "copy back to SQLite exits 0" eq "$?" 0
check "copied back: the same rows and checksums" eq "$(cat "$T/copy2.out")" "$(cat "$T/copy1.out")"
ndiff=0
for t in $(awk 'NR > 1 && $1 != "copied" { print $1 }' "$T/copy1.out"); do
  a=$(sqlite3 "$DB" "SELECT * FROM $t ORDER BY 1, 2" | md5sum)
  b=$(sqlite3 "$T/back.db" "SELECT * FROM $t ORDER BY 1, 2" | md5sum)
  [ "$a" = "$b" ] || { echo "    $t differs"; ndiff=$((ndiff + 1)); }
done
check "the round trip gives the origin's rows, table by table" eq "$ndiff" 0
check "the round trip's triggers are back" eq \
  "$(sqlite3 "$T/back.db" "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'")" \
  "$(lite "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'")"
check "the round trip passes integrity and key checks" eq \
  "$(sqlite3 "$T/back.db" 'PRAGMA integrity_check' 'PRAGMA foreign_key_check')" ok

# The same engine on both sides works too.
"$HS_BIN" copy --from "$DB" --to "$T/lite2.db" >"$T/copy3.out" 2>"$T/copy3.err"
check "SQLite to SQLite: the same report" eq "$(cat "$T/copy3.out")" "$(cat "$T/copy1.out")"
PG2=$(pg_db second)
"$HS_BIN" copy --from "$PG1" --to "$PG2" >"$T/copy4.out" 2>"$T/copy4.err"
check "PostgreSQL to PostgreSQL: the same report" eq "$(cat "$T/copy4.out")" "$(cat "$T/copy1.out")"

# backup on PostgreSQL: that copy into a new SQLite file, and back again.
"$HS_BIN" --db "$PG1" backup --out "$T/pgbackup.db" >"$T/backup.out" 2>"$T/backup.err"
check "backup on PostgreSQL exits 0" eq "$?" 0
check "it prints the copy's report, all verified" eq "$(cat "$T/backup.out")" "$(cat "$T/copy1.out")"
check "the backup is a whole SQLite file" eq \
  "$(sqlite3 "$T/pgbackup.db" 'PRAGMA integrity_check' 'PRAGMA foreign_key_check')" ok
"$HS_BIN" --db "$PG1" backup --out "$T/pgbackup.db" 2>"$T/err" >/dev/null
check "a backup onto an existing file is refused" eq "$?" 1
check "it says the file exists" contains "$T/err" "exists"
"$HS_BIN" --db "$PG1" backup --out "$PG2" 2>"$T/err" >/dev/null
check "backup --out with a connection string is a usage error" eq "$?" 2
"$HS_BIN" --db "host=127.0.0.1 port=1 dbname=nowhere connect_timeout=5" backup \
  --out "$T/nobackup.db" 2>"$T/err" >/dev/null
check "a backup of an unreachable PostgreSQL fails" eq "$?" 1
check "and leaves no file" test ! -e "$T/nobackup.db"
PG5=$(pg_db fifth)
"$HS_BIN" copy --from "$T/pgbackup.db" --to "$PG5" >"$T/out" 2>"$T/err"
check "the backup restores into a new PostgreSQL database" eq "$(cat "$T/out")" "$(cat "$T/copy1.out")"

serve "$T/back.db"
answers back
for a in incidents timeline raw summary postmortem; do
  check "the round trip answers $a as the origin did" eq "$(cat "$T/back.$a")" "$(cat "$T/sqlite.$a")"
done
unserve "the round trip"

# Served from PostgreSQL: the same answers, logins, sessions and tokens.
serve "$PG1"
answers pg
# A feature whose SQL does not run on PostgreSQL yet (the server logs the
# error) is not the copy's fault: listed as a SKIP, with the error.
for a in incidents timeline raw summary postmortem; do
  if [ -s "$T/pg.$a.err" ]; then
    echo "SKIP $HS_SUITE: PostgreSQL answers $a: the server's SQL failed: $(head -n1 "$T/pg.$a.err")"
    continue
  fi
  check "PostgreSQL answers $a as SQLite did" eq "$(cat "$T/pg.$a")" "$(cat "$T/sqlite.$a")"
done
req GET /api/v1/incidents -b "$T/jar.kept"
check "a session from SQLite is still valid" eq "$STATUS" 200
login admin "$PW_ADMIN"
check "the same password logs in on PostgreSQL" eq "$LOGIN_STATUS" 303
req POST /api/v1/incidents -H "Authorization: Bearer $WRITE" -H 'Content-Type: application/json' \
  -d '{"title":"After the move"}'
check "a new incident on PostgreSQL gets the next id" eq "$(jget .id)" \
  "$(($(lite 'SELECT max(id) FROM incidents') + 1))"
unserve PostgreSQL

# Refused, and nothing written.
"$HS_BIN" copy --from "$DB" --to "$PG1" >"$T/out" 2>"$T/err"
check "a destination with data is refused" eq "$?" 1
check "it says the destination is not empty" contains "$T/err" "is not empty"
check "the refused destination keeps its rows" eq \
  "$(pg_sql "$PG1" "SELECT count(*) FROM incidents WHERE title = 'After the move'")" 1
"$HS_BIN" copy --from "$DB" --to "$T/back.db" 2>"$T/err" >/dev/null
check "a SQLite destination with data is refused" eq "$?" 1
"$HS_BIN" copy --from "$DB" --to "$DB" 2>"$T/err" >/dev/null
check "the same file twice is refused" eq "$?" 1
check "it says they are the same" contains "$T/err" "the same database"
"$HS_BIN" copy --from "$PG1" --to "$(cat "$T/first.pg")" 2>"$T/err" >/dev/null
check "the same PostgreSQL database twice is refused" eq "$?" 1
"$HS_BIN" copy --from "$PG1" --to "$(cat "$T/first.pg") connect_timeout=5" 2>"$T/err" >/dev/null
check "the same PostgreSQL database spelled otherwise is refused" eq "$?" 1
check "it says so" contains "$T/err" "the same database"
"$HS_BIN" copy --from "$DB" --to "host=127.0.0.1 port=1 dbname=nowhere connect_timeout=5" 2>"$T/err" >/dev/null
check "an unreachable PostgreSQL is refused" eq "$?" 1
check "it says it cannot connect" contains "$T/err" "cannot connect"
"$HS_BIN" copy --from "$DB" --to "host=127.0.0.1 nosuchoption=1" 2>"$T/err" >/dev/null
check "a bad connection string is refused" eq "$?" 1
check "it names the bad option" contains "$T/err" "nosuchoption"
"$HS_BIN" copy --from "$T/missing.db" --to "$T/new.db" 2>"$T/err" >/dev/null
check "a missing source is refused" eq "$?" 1
check "and no destination is made for it" test ! -e "$T/new.db"
sqlite3 "$T/old.db" 'PRAGMA user_version = 9'
"$HS_BIN" copy --from "$T/old.db" --to "$T/new.db" 2>"$T/err" >/dev/null
check "an older source is refused" eq "$?" 1
check "it says to migrate it first" contains "$T/err" "migrate"

# A row PostgreSQL refuses (text that is not UTF-8) late in the copy: the
# transaction writes nothing, and the same destination takes a good copy.
sqlite3 "$DB" ".backup '$T/bad.db'"
sqlite3 "$T/bad.db" "INSERT INTO settings VALUES ('zz.bad', CAST(X'FF41' AS TEXT))"
PG3=$(pg_db third)
"$HS_BIN" copy --from "$T/bad.db" --to "$PG3" >"$T/out" 2>"$T/err"
check "a row the destination refuses fails the copy" eq "$?" 1
check "it names the table" contains "$T/err" "copying settings failed"
check "and nothing was written" eq "$(pg_sql "$PG3" 'SELECT (SELECT count(*) FROM incidents) + (SELECT count(*) FROM users)')" 0
sqlite3 "$T/bad.db" "DELETE FROM settings WHERE key = 'zz.bad'"
"$HS_BIN" copy --from "$T/bad.db" --to "$PG3" >"$T/out" 2>"$T/err"
check "the same destination then takes the copy" eq "$?" 0
check "with the origin's checksums" eq "$(cat "$T/out")" "$(cat "$T/copy1.out")"

# From PostgreSQL, ids continue after the last one handed out, also when
# its row is gone: a deleted incident's number is not given again.
LAST=$(pg_sql "$PG1" 'SELECT max(id) FROM incidents')
pg_sql "$PG1" "DELETE FROM incidents WHERE id = $LAST" >/dev/null
PG4=$(pg_db fourth)
"$HS_BIN" copy --from "$PG1" --to "$PG4" >"$T/out" 2>"$T/err"
check "PostgreSQL to PostgreSQL after a deletion" eq "$?" 0
check "the next incident id is past the deleted one" eq \
  "$(pg_sql "$PG4" "SELECT nextval(pg_get_serial_sequence('incidents', 'id'))")" $((LAST + 1))

"$HS_BIN" copy --from "$DB" 2>/dev/null
check "copy without --to is a usage error" eq "$?" 2
"$HS_BIN" copy --help | grep -q 'copy --from SRC --to DST'
check "copy --help" eq "$?" 0
if grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$T/server.err" "$T"/copy*.err "$T/err"; then
  echo "FAIL sanitizer report"
  nfail=$((nfail + 1))
fi
exit $((nfail > 0))
