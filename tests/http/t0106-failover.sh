# t0106-failover: a primary with a synchronous streaming standby (made by
# pg_basebackup -R), two hindsight nodes on a multi-host connection string
# with target_session_attrs=read-write, writers on both nodes; kill -9 the
# primary (postmaster and backends: the machine is gone), pg_ctl promote
# the standby. Writers get 503 with Retry-After during the gap (never a
# 500) and retry (a note with its Idempotency-Key); afterwards every
# acknowledged write is there exactly once, nothing is duplicated, and the
# public page kept serving. Then a
# COMMIT the primary flushed but could not confirm (its synchronous standby
# missing) when it died: 503 db_commit_unknown, and the write is there.
#
# It runs its own two clusters (tests/pg.sh start makes the primary, the
# standby is copied from it), not the run's shared one: it kills them.
. tests/http/lib.sh
needs_pg "a PostgreSQL primary and standby of its own"
rm -f "$T/stop"
JSON='Content-Type: application/json'
PGBIN=$(pg_config --bindir 2>/dev/null)
[ -x "$PGBIN/pg_ctl" ] || PGBIN=/usr/lib/postgresql/15/bin
# As root the clusters belong to postgres (as in tests/pg.sh).
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
# The clusters' directory: outside $T, which only root may enter.
C=$(mktemp -d "${TMPDIR:-/tmp}/hs-failover.XXXXXX")
chmod 755 "$C"
W_PIDS=
A_PID=
B_PID=
cleanup() {
  touch "$T/stop" 2>/dev/null
  for p in $W_PIDS $A_PID $B_PID; do kill -9 "$p" 2>/dev/null; done
  sh tests/pg.sh stop "$C/p1" 2>/dev/null
  sh tests/pg.sh stop "$C/p2" 2>/dev/null
  rm -rf "$C"
}
trap cleanup EXIT
trap "exit 143" TERM INT

# The primary: synchronous_commit on, the standby named hs_standby.
P1CONN=$(sh tests/pg.sh start "$C/p1") || { echo "FAIL primary did not start"; exit 1; }
P1=$(cat "$C/p1/port")
# (The database first: with a synchronous standby named, every commit
# waits for it, and there is none yet.)
psql -X -q -v ON_ERROR_STOP=1 "$P1CONN dbname=postgres" \
  -c "CREATE DATABASE hs" \
  -c "ALTER SYSTEM SET synchronous_standby_names = 'hs_standby'" \
  -c "ALTER SYSTEM SET synchronous_commit = on" \
  -c "SELECT pg_reload_conf()" >/dev/null
# The standby: a base backup with -R (standby.signal, primary_conninfo),
# its own port and socket, named hs_standby; after promotion it has no
# standby of its own, so it must not wait for one.
mkdir -p "$C/p2"
: >"$C/p2/.hs-pg"
[ "$(id -u)" = 0 ] && chown postgres: "$C/p2"
as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$P1" -U hindsight \
  -D "$C/p2/data" -R -X stream -c fast >"$C/p2/basebackup.log" 2>&1
check "pg_basebackup -R made the standby" test -f "$C/p2/data/standby.signal"
P2=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >>"$C/p2/data/postgresql.auto.conf" <<EOF
primary_conninfo = 'host=127.0.0.1 port=$P1 user=hindsight application_name=hs_standby'
synchronous_standby_names = ''
unix_socket_directories = '$C/p2'
port = $P2
EOF
echo "$P2" >"$C/p2/port"
as_pg "$PGBIN/pg_ctl" -D "$C/p2/data" -l "$C/p2/server.log" -w -t 60 start \
  >"$T/restart.out" 2>&1 || { cat "$T/restart.out"; tail -n 5 "$C/p2/server.log"; }
i=0
while [ "$(psql -X -A -t "$P1CONN dbname=postgres" -c \
  "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'hs_standby'")" != sync ]; do
  i=$((i + 1)); [ $i -gt 300 ] && break; sleep 0.1
done
check "the standby is the primary's synchronous standby" eq \
  "$(psql -X -A -t "$P1CONN dbname=postgres" -c "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'hs_standby'")" sync

sh tests/pg.sh dropdb "$DB" >/dev/null # lib.sh's, on the shared cluster
DB="host=127.0.0.1,127.0.0.1 port=$P1,$P2 user=hindsight dbname=hs target_session_attrs=read-write"
# db SQL: psql on whichever server is the primary now.
db() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$DB" -c "$1"; }

# Two nodes. hs_start (lib.sh) starts node A; node B beside it.
# The nodes run in $T: on PostgreSQL the last good page is kept in the
# working directory (hindsight-pg-<dbname>.lastgood), not in the tree.
HS_BIN=$(cd "$(dirname "$HS_BIN")" && pwd)/$(basename "$HS_BIN")
cd "$T" && hs_start && cd "$OLDPWD"
A_PID=$HS_PID
A=$BASE
node_b_start
TOKEN=$("$HS_BIN" --db "$DB" token add api --scope write)
AUTH="Authorization: Bearer $TOKEN"
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Failover drill"}'
INC=$(jget .id)
req POST "/api/v1/incidents/$INC/updates" -H "$AUTH" -H "$JSON" \
  -d '{"status":"investigating","body":"Before the failover"}'
check "a public update before the failover" eq "$STATUS" 201
for n in "$A" "$B"; do # both nodes render (and keep) the public answers
  curl -s -o /dev/null "$n/"
  curl -s -o /dev/null "$n/api/v2/summary.json"
done

# writer KIND NAME BASE: adds notes (KIND note) or sends one change event
# to /hooks/generic each (KIND ingest) until $T/stop appears. Each write is
# retried until it is acknowledged: a 503 is counted (with whether it had
# Retry-After and its code). A note carries an Idempotency-Key, as a
# careful client's does, so that after db_commit_unknown ("may or may not
# have been saved") it is simply sent again: the first try's note, if the
# standby had it, is found, not added twice. Acknowledged writes go to
# $T/w.NAME.ok ("I ID" for notes, "I ACCEPTED" for ingest).
writer() {
  kind=$1; name=$2; base=$3; i=0
  : >"$T/w.$name.ok"
  while [ ! -f "$T/stop" ]; do
    i=$((i + 1))
    while :; do
      if [ "$kind" = note ]; then
        st=$(curl -s -m 20 -o "$T/w.$name.body" -D "$T/w.$name.h" -w '%{http_code}' \
          -H "$AUTH" -H "$JSON" -H "Idempotency-Key: $name-$i" \
          -d "{\"body\":\"$name-$i.\"}" \
          "$base/api/v1/incidents/$INC/events")
      else
        st=$(curl -s -m 20 -o "$T/w.$name.body" -D "$T/w.$name.h" -w '%{http_code}' \
          -H "$AUTH" -H "$JSON" -d "{\"kind\":\"change\",\"source\":\"$name\",\"ts\":\"2026-11-20T11:50:00Z\",\"title\":\"$name-$i.\"}" \
          "$base/hooks/generic")
      fi
      case $st in
      200 | 201)
        if [ "$kind" = note ]; then
          echo "$i $(jq -r .id <"$T/w.$name.body")" >>"$T/w.$name.ok"
        else
          echo "$i $(jq -r .accepted <"$T/w.$name.body")" >>"$T/w.$name.ok"
        fi
        break
        ;;
      503)
        code=$(jq -r .error.code <"$T/w.$name.body" 2>/dev/null)
        ra=$(grep -ci '^retry-after: *[0-9]' "$T/w.$name.h")
        echo "$i $ra $code" >>"$T/w.$name.503"
        if [ "$code" = db_commit_unknown ] && [ "$kind" = note ]; then
          echo "$i" >>"$T/w.$name.unknown"
        fi
        sleep 0.2
        ;;
      *)
        echo "$i $st" >>"$T/w.$name.bad"
        sleep 0.2
        ;;
      esac
      [ ! -f "$T/stop" ] || break
    done
  done
}
nok() { cat "$T"/w.*.ok 2>/dev/null | wc -l; }
writer note wa "$A" & W_PIDS="$W_PIDS $!"
writer note wb "$B" & W_PIDS="$W_PIDS $!"
writer ingest ia "$A" & W_PIDS="$W_PIDS $!"
writer ingest ib "$B" & W_PIDS="$W_PIDS $!"
n=0
while [ "$(nok)" -lt 80 ] && [ $n -lt 600 ]; do n=$((n + 1)); sleep 0.1; done
check "writers are acknowledged on both nodes before the failover" \
  test "$(nok)" -ge 80

# The primary's machine dies: postmaster and every backend at once.
PM=$(head -n1 "$C/p1/data/postmaster.pid")
kill -9 $PM $(ps -o pid= --ppid "$PM") 2>/dev/null
BEFORE=$(nok)
sleep 2
# The gap: no primary. Public pages keep serving from cache.
for n in "$A" "$B"; do
  check "the status page serves during the gap ($n)" \
    eq "$(curl -s -m 10 -o "$T/gap.html" -w '%{http_code}' "$n/")" 200
  check "with the last update" contains "$T/gap.html" "Before the failover"
  check "summary.json serves during the gap ($n)" \
    eq "$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$n/api/v2/summary.json")" 200
done
check "no write was acknowledged with no primary" test "$(nok)" -le $((BEFORE + 4))
check "writers saw 503s during the gap" test "$(cat "$T"/w.*.503 2>/dev/null | wc -l)" -gt 0

as_pg "$PGBIN/pg_ctl" -D "$C/p2/data" -w -t 60 promote >/dev/null 2>&1
check "the standby is promoted" eq "$(psql -X -A -t "host=127.0.0.1 port=$P2 user=hindsight dbname=hs" -c 'SELECT pg_is_in_recovery()')" f
AFTER=$(nok)
n=0
while [ "$(nok)" -lt $((AFTER + 80)) ] && [ $n -lt 600 ]; do n=$((n + 1)); sleep 0.1; done
check "writers are acknowledged again after the promotion" \
  test "$(nok)" -ge $((AFTER + 80))
touch "$T/stop"
for p in $W_PIDS; do wait "$p"; done
W_PIDS=

# Every 503 carried Retry-After; nothing else failed (no 500).
check "every 503 had Retry-After" eq \
  "$(awk '$2 == 0' "$T"/w.*.503 | wc -l)" 0
check "no other error status" eq "$(cat "$T"/w.*.bad 2>/dev/null | wc -l)" 0
cat "$T"/w.*.bad 2>/dev/null | head -5
echo "    503s: $(cat "$T"/w.*.503 | wc -l) ($(awk '{ print $3 }' "$T"/w.*.503 | sort | uniq -c | tr '\n' ' '))"
echo "    notes sent again after db_commit_unknown: $(cat "$T"/w.*.unknown 2>/dev/null | tr '\n' ' ')"

# Every acknowledged note is there once, with the id it was given.
missing=0; dup=0; wrongid=0
for name in wa wb; do
  db "SELECT body, count(*), min(id) FROM events WHERE incident_id = $INC
      AND body LIKE '$name-%' AND deleted = 0 GROUP BY body" >"$T/have.$name"
  while read -r i id; do
    row=$(grep "^$name-$i\.|" "$T/have.$name")
    if [ -z "$row" ]; then
      missing=$((missing + 1)); echo "    missing: $name-$i (id $id)"
    elif [ "$(echo "$row" | cut -d'|' -f2)" != 1 ]; then
      dup=$((dup + 1)); echo "    duplicated: $row"
    elif [ "$(echo "$row" | cut -d'|' -f3)" != "$id" ]; then
      wrongid=$((wrongid + 1)); echo "    other id: $row, acknowledged $id"
    fi
  done <"$T/w.$name.ok"
done
check "every acknowledged note is present" eq "$missing" 0
check "no acknowledged note is duplicated" eq "$dup" 0
check "each under the id it was acknowledged with" eq "$wrongid" 0
check "no note is there twice at all" eq "$(db "SELECT count(*) FROM (SELECT body FROM events
  WHERE incident_id = $INC AND body LIKE 'w%' GROUP BY body HAVING count(*) > 1) d")" 0
# Ingested evidence is deduplicated by its fingerprint, so a retried
# webhook whose first attempt did commit finds it there (duplicates 1).
missing=0
for name in ia ib; do
  db "SELECT title FROM evidence WHERE source = '$name'" >"$T/have.$name"
  while read -r i acc; do
    c=$(grep -c "^$name-$i\.\$" "$T/have.$name")
    if [ "$c" != 1 ]; then
      missing=$((missing + 1)); echo "    $name-$i is there $c times"
    fi
  done <"$T/w.$name.ok"
done
check "every acknowledged event is present exactly once" eq "$missing" 0
check "ingest on both nodes was acknowledged" test \
  "$(cat "$T/w.ia.ok" "$T/w.ib.ok" | wc -l)" -ge 4

# A COMMIT that cannot be confirmed: the new primary waits for a standby
# that never comes (synchronous_standby_names = 'nobody'); it has flushed
# the commit locally, so when it is killed the client was never told, yet
# the write is there after a restart. The node must say "may or may not
# have been saved" (db_commit_unknown), not "nothing was saved".
db "ALTER SYSTEM SET synchronous_standby_names = 'nobody'" >/dev/null
db "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
curl -s -m 60 -o "$T/unknown.body" -w '%{http_code}' -H "$AUTH" -H "$JSON" \
  -H "Idempotency-Key: unconfirmed-1" -d '{"body":"unconfirmed-1."}' \
  "$A/api/v1/incidents/$INC/events" >"$T/unknown.status" &
CURL_PID=$!
i=0
while [ "$(db "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'")" = 0 ] &&
  [ $i -lt 100 ]; do
  sleep 0.1; i=$((i + 1))
done
check "the note's COMMIT waits for the missing standby" \
  test "$(db "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'")" -ge 1
PM=$(head -n1 "$C/p2/data/postmaster.pid")
kill -9 $PM $(ps -o pid= --ppid "$PM") 2>/dev/null
wait $CURL_PID
check "the node answers 503" eq "$(cat "$T/unknown.status")" 503
check "saying the write may or may not have been saved" \
  eq "$(jq -r .error.code "$T/unknown.body")" db_commit_unknown
# (ALTER SYSTEM wrote 'nobody' to postgresql.auto.conf: back to none. The
# killed postmaster may linger as a zombie nobody reaps, which its lock
# files would name as running: they go once the process is dead.)
i=0
while ps -o stat= -p "$PM" 2>/dev/null | grep -qv Z && [ $i -lt 100 ]; do
  sleep 0.1; i=$((i + 1))
done
as_pg rm -f "$C/p2/data/postmaster.pid" "$C/p2/.s.PGSQL.$P2.lock"
as_pg sed -i "s/^synchronous_standby_names = 'nobody'/synchronous_standby_names = ''/" \
  "$C/p2/data/postgresql.auto.conf"
as_pg "$PGBIN/pg_ctl" -D "$C/p2/data" -l "$C/p2/server.log" -w -t 60 start \
  >"$T/restart.out" 2>&1 || { cat "$T/restart.out"; tail -n 5 "$C/p2/server.log"; }
check "after the restart the unconfirmed note is there, once" \
  eq "$(db "SELECT count(*) FROM events WHERE body = 'unconfirmed-1.'")" 1
# The client does as db_commit_unknown says: sends it again, same key.
n=0
while :; do
  req POST "/api/v1/incidents/$INC/events" -H "$AUTH" -H "$JSON" \
    -H "Idempotency-Key: unconfirmed-1" -d '{"body":"unconfirmed-1."}'
  [ "$STATUS" = 503 ] && [ $n -lt 100 ] || break
  n=$((n + 1)); sleep 0.1
done
check "sent again with its key: 201" eq "$STATUS" 201
check "with the id the first try made" eq "$(jget .id)" \
  "$(db "SELECT id FROM events WHERE body = 'unconfirmed-1.'")"
check "and still once" \
  eq "$(db "SELECT count(*) FROM events WHERE body = 'unconfirmed-1.'")" 1

# Both nodes write on the new primary; their pages follow.
req POST "/api/v1/incidents/$INC/updates" -H "$AUTH" -H "$JSON" \
  -d '{"status":"monitoring","body":"After the failover"}'
check "a public update after the failover" eq "$STATUS" 201
for n in "$A" "$B"; do
  i=0
  while ! curl -s "$n/" | grep -q "After the failover"; do
    i=$((i + 1)); [ $i -gt 50 ] && break; sleep 0.1
  done
  check "the page on $n shows it" sh -c "curl -s '$n/' | grep -q 'After the failover'"
done

kill -TERM "$B_PID"
wait "$B_PID"
check "node B exits cleanly" eq "$?" 0
B_PID=
HS_PG= # the database goes with the clusters (cleanup), not pg.sh dropdb
hs_stop
