# t0039-drain: SIGTERM under load, and a backup taken while writes run
# (issue 9; THREATS.md items 40 and 42). Four curl loops post notes and two
# read pages as fast as they can; `hindsight backup` runs in the middle;
# then SIGTERM. Proves: no answer is ever a 5xx; the backup passes
# integrity_check, opens with hindsight and holds at least every note
# acknowledged before it began and no more than were acknowledged in all;
# the server exits 0 and says it stopped cleanly; every note that got 201
# is in the database exactly once (nothing acknowledged is lost, nothing
# doubled); the database passes integrity_check and no -wal file with data
# is left (main checkpoints with TRUNCATE before closing). Bounded: about
# 3 seconds of load; uses curl, not wrk.
. tests/http/lib.sh
hs_start
JSON='Content-Type: application/json'
WRITE=$("$HS_BIN" --db "$DB" token add writer --scope write)
AUTH="Authorization: Bearer $WRITE"
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Drain test"}'
ID=$(jget .id)
check "setup: an incident" test -n "$ID"

# writer W: posts notes until the server is gone; "TITLE CODE" per answer.
writer() {
  k=0
  while [ $k -lt 5000 ]; do
    title="w$1-n$k"
    code=$(curl -s -o /dev/null --max-time 10 -w '%{http_code}' -H "$AUTH" -H "$JSON" \
      -d "{\"title\":\"$title\",\"kind\":\"note\"}" "$BASE/api/v1/incidents/$ID/events")
    echo "$title $code" >>"$T/w.$1"
    [ "$code" = 000 ] && return 0
    k=$((k + 1))
  done
}
# reader R: reads pages until the server is gone; one code per answer.
reader() {
  k=0
  while [ $k -lt 5000 ]; do
    code=$(curl -s -o /dev/null --max-time 10 -w '%{http_code}' -H "$AUTH" "$BASE$2")
    echo "$code" >>"$T/r.$1"
    [ "$code" = 000 ] && return 0
    k=$((k + 1))
  done
}
acked() { cat "$T"/w.* 2>/dev/null | awk '$2 == 201' | wc -l; }

for w in 1 2 3 4; do writer $w & done
reader 1 / &
reader 2 "/api/v1/incidents/$ID/events?limit=50" &
sleep 1
nBefore=$(acked)
# `hindsight backup` copies the SQLite file (PostgreSQL has pg_dump).
if sqlite_file_part "the online backup is a copy of the SQLite file"; then
  "$HS_BIN" --db "$DB" backup --out "$T/backup.db" 2>"$T/backup.err"
  check "hindsight backup during the load exits 0" eq $? 0
fi
sleep 1
kill -TERM $HS_PID
wait $HS_PID
rc=$?
wait
check "SIGTERM under load exits 0" eq "$rc" 0
check "the server says it stopped cleanly" grep -q 'stopped cleanly' "$T/server.err"
nAcked=$(acked)
check "writes were acknowledged before the backup ($nBefore) and after it ($nAcked)" \
  test "$nBefore" -gt 0 -a "$nAcked" -gt "$nBefore"
check "no answer was a 5xx or unexpected" \
  eq "$(cat "$T"/w.* | awk '$2 != 201 && $2 != "000"' | wc -l) $(cat "$T"/r.* | grep -cv '^200$\|^000$')" "0 0"
nBackup=-
if [ -z "$HS_PG" ]; then
  check "the backup passes integrity_check" eq "$(sqlite3 "$T/backup.db" 'PRAGMA integrity_check')" ok
  nBackup=$(sqlite3 "$T/backup.db" "SELECT count(*) FROM events WHERE incident_id = $ID AND kind = 'note'")
  check "the backup holds what was acknowledged before it ($nBefore <= $nBackup <= $nAcked)" \
    test "$nBackup" -ge "$nBefore" -a "$nBackup" -le "$nAcked"
  check "the backup opens with hindsight" sh -c "'$HS_BIN' --db '$T/backup.db' token list | grep -q writer"
fi
cat "$T"/w.* | awk '$2 == 201 { print $1 }' >"$T/acked"
values=$(awk '{ printf "%s(\x27%s\x27)", (NR > 1 ? "," : ""), $1 }' "$T/acked")
nFound=$(sql "WITH a(title) AS (VALUES $values)
  SELECT count(*) FROM a
  WHERE (SELECT count(*) FROM events e WHERE e.title = a.title) = 1")
check "every acknowledged note ($nAcked) is stored exactly once" eq "$nFound" "$nAcked"
check "the database passes integrity_check" eq "$(db_integrity)" ok
if [ -z "$HS_PG" ]; then
  check "no -wal file with data is left" test ! -s "$DB-wal"
fi
echo "    ($nBefore notes before the backup, $nBackup in it, $nAcked in all)"
check "no sanitizer report" sh -c "! grep -q 'ERROR: AddressSanitizer\|runtime error:' '$T/server.err'"
rm -rf "$T"
[ $nfail -eq 0 ]
