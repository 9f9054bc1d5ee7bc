# t0095-ingest-crash: a large ingest killed (SIGKILL) at several points,
# then run again with the same command, gives the same timeline as an
# uninterrupted run: the same raw lines, per-minute series, signals, burst
# groups and counts (issue 17). Slices are made small with HS_INGEST_BATCH
# and the kill comes from HS_INGEST_CRASH_AFTER (SIGKILL after that many
# committed slices), so the points are exact and nothing depends on timing.
# The CLI door, then the HTTP door with the server killed mid-ingest.
. tests/http/lib.sh

# 150,000 nginx lines over 1,000 minutes: 2 of 150 fail a minute, and 40%
# in a ten-minute burst.
awk 'BEGIN {
  for (m = 0; m < 1000; m++) for (i = 0; i < 150; i++) {
    st = (i % 75 == 0) ? 500 : 200;
    if (m >= 600 && m < 610 && i % 5 < 2) st = 502;
    printf "10.0.%d.%d - - [20/Nov/2026:%02d:%02d:%02d +0000] \"GET /p/%d HTTP/1.1\" %d %d \"-\" \"curl/8\"\n", m % 200, i, int(m / 60), m % 60, i % 60, i, st, 100 + i
  }
}' > "$T/access.log"
# 20,000 JSON lines, one a second: a timeout burst spread over the whole
# file (x20), a storm of ten, a burst of five, two lone errors.
awk 'BEGIN {
  for (k = 0; k < 20000; k++) {
    t = k; lv = "info"; msg = "request served in " k % 97 " ms"
    if (k % 1000 == 7) { lv = "error"; msg = "db timeout after " 3000 + k % 13 " ms" }
    if (k >= 9100 && k < 9110) { lv = "error"; msg = "cache shard " k " unreachable" }
    if (k >= 14000 && k < 14100 && k % 20 == 0) { lv = "critical"; msg = "payment provider 503" }
    if (k == 4321 || k == 17777) { lv = "error"; msg = "lone failure kind " (k == 4321 ? "alpha" : "beta") }
    printf "{\"ts\":\"2026-11-21T%02d:%02d:%02dZ\",\"level\":\"%s\",\"msg\":\"%s\"}\n", int(t / 3600), int(t / 60) % 60, t % 60, lv, msg
  }
}' > "$T/app.jsonl"
# A small file of twelve groups for a crash while condensing: with slices of
# four, the twelve condensed items commit in three slices of their own.
awk 'BEGIN {
  for (k = 0; k < 48; k++)
    printf "{\"ts\":\"2026-11-22T10:%02d:%02dZ\",\"level\":\"error\",\"msg\":\"failure %s\"}\n", int(k / 4), k % 60, substr("abcdefghijkl", k % 12 + 1, 1)
}' > "$T/small.jsonl"

# state DB: everything derived, one line a row, for comparing databases.
state() {
  sqlite3 "$1" "SELECT 'series', * FROM access_series ORDER BY source, minute;
    SELECT 'evidence', fingerprint, kind, ts, end_ts, source, level, title,
      count, grp FROM evidence ORDER BY fingerprint;
    SELECT 'events', count(*) FROM events WHERE evidence_id IS NOT NULL;"
  "$HS_BIN" --db "$1" raw | md5sum
}

# ingest DB FILE FORMAT SOURCE [env...]: the same command every time.
ingest() {
  i_db=$1 i_file=$2 i_fmt=$3 i_src=$4
  shift 4
  env "$@" "$HS_BIN" --db "$i_db" ingest --json --format "$i_fmt" \
    --source "$i_src" "$i_file" > "$T/out" 2> "$T/err"
}

# A reference database for each file, ingested uninterrupted.
reference() { # reference FILE FORMAT SOURCE
  ingest "$T/ref.$3.db" "$1" "$2" "$3"
  cp "$T/out" "$T/out.$3"
  state "$T/ref.$3.db" > "$T/ref.$3.state"
}
reference "$T/access.log" nginx web-1
reference "$T/app.jsonl" jsonl app
reference "$T/small.jsonl" jsonl small
REF=$T/ref.web-1.db
check "uninterrupted nginx ingest" contains "$T/out.web-1" '"accepted":150000,"duplicates":0'
check "uninterrupted jsonl ingest" contains "$T/out.app" '"accepted":20000,"duplicates":0'
check "reference series: 1,000 minutes, 150,000 requests, 2,580 5xx" \
  eq "$(sqlite3 "$REF" "SELECT count(*), sum(requests), sum(s5xx) FROM access_series WHERE source = 'web-1'")" "1000|150000|2580"
check "reference has the 5xx signal" \
  eq "$(sqlite3 "$REF" "SELECT count FROM evidence WHERE kind = 'signal' AND fingerprint LIKE 'signal:5xx:web-1:%'")" "600"
check "reference bursts: x20, x10, x5 and two lone errors" \
  eq "$(sqlite3 "$T/ref.app.db" "SELECT group_concat(count, ' ') FROM (SELECT count FROM evidence ORDER BY count DESC)")" "20 10 5 1 1"

# crash_case NAME POINT FILE FORMAT SOURCE BATCH: into a fresh database,
# FILE killed after POINT commits, then the same command again; the state
# must equal the reference's.
same() { cmp -s "$1" "$2" || { diff "$1" "$2" | head -6 | sed 's/^/    /'; return 1; }; }
n=0
crash_case() {
  what=$1 point=$2 file=$3 fmt=$4 src=$5 batch=$6
  n=$((n + 1))
  db=$T/crash$n.db
  ingest "$db" "$file" "$fmt" "$src" HS_INGEST_BATCH=$batch HS_INGEST_CRASH_AFTER=$point
  check "$what: killed" eq "$?" 137
  ingest "$db" "$file" "$fmt" "$src" HS_INGEST_BATCH=$batch
  check "$what: the retry succeeds" eq "$?" 0
  state "$db" > "$T/crash$n.state"
  check "$what: same series, signals, bursts, counts and lines as uninterrupted" \
    same "$T/ref.$src.state" "$T/crash$n.state"
}
# nginx in slices of 10,000: 15 slices, then the finish commits the rest
# (the 16th) before condensing.
crash_case "nginx, after the first slice" 1 "$T/access.log" nginx web-1 10000
crash_case "nginx, in the middle" 8 "$T/access.log" nginx web-1 10000
crash_case "nginx, in the finish before condensing" 16 "$T/access.log" nginx web-1 10000
crash_case "jsonl, after the first slice" 1 "$T/app.jsonl" jsonl app 5000
crash_case "jsonl, in the middle" 3 "$T/app.jsonl" jsonl app 5000
crash_case "jsonl, in the finish before condensing" 5 "$T/app.jsonl" jsonl app 5000
# small.jsonl in slices of 4: 12 slices, the 13th in the finish, then
# condensed items commit as the 14th to 16th.
crash_case "jsonl, while condensing" 14 "$T/small.jsonl" jsonl small 4

# An upload cut short is stored and condensed as far as it came (two lines
# of the storm of ten: a plain item); the whole file after it gives the
# reference, the item now a burst signal.
head -n 9102 "$T/app.jsonl" > "$T/cut.jsonl"
ingest "$T/cut.db" "$T/cut.jsonl" jsonl app
ingest "$T/cut.db" "$T/app.jsonl" jsonl app
check "the whole file after a cut one: accepted the rest" contains "$T/out" '"accepted":10898,"duplicates":9102'
state "$T/cut.db" > "$T/cut.state"
check "the whole file after a cut one: same as uninterrupted" same "$T/ref.app.state" "$T/cut.state"

# Re-running a file changes nothing, not even updated_at.
before=$(sqlite3 "$REF" "SELECT max(updated_at) FROM evidence")
ingest "$REF" "$T/access.log" nginx web-1
check "re-running the file: all duplicates" contains "$T/out" '"accepted":0,"duplicates":150000'
check "re-running the file rewrites no evidence" \
  eq "$(sqlite3 "$REF" "SELECT max(updated_at) FROM evidence")" "$before"

# The HTTP door: the server killed after its third slice, restarted, the
# same upload again. (Retention keeps the 2026 lines whatever the date.)
DB=$(new_db http)
"$HS_BIN" --db "$DB" config set retention.logs_days 36500 > /dev/null
HS_INGEST_BATCH=10000 HS_INGEST_CRASH_AFTER=3 hs_start
TOKEN=$("$HS_BIN" --db "$DB" token add api --scope write)
curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" --data-binary @"$T/access.log" \
  "$BASE/api/v1/ingest?format=nginx&source=web-1"
wait $HS_PID
check "the server was killed mid-ingest" eq "$?" 137
: >"$T/server.out"
HS_INGEST_CRASH_AFTER= "$HS_BIN" --db "$DB" serve --listen 127.0.0.1:0 --threads 2 \
  >"$T/server.out" 2>>"$T/server.err" &
HS_PID=$!
while ! grep -q 'listening on' "$T/server.out" && kill -0 $HS_PID 2>/dev/null; do
  sleep 0.05
done
PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$T/server.out")
BASE=http://127.0.0.1:$PORT
req POST "/api/v1/ingest?format=nginx&source=web-1" -H "Authorization: Bearer $TOKEN" --data-binary @"$T/access.log"
check "the HTTP retry succeeds" eq "$STATUS" 200
check "the HTTP retry finds the first three slices stored" contains "$T/body" '"accepted":120000,"duplicates":30000'
check "HTTP: same series and 5xx signal as uninterrupted" \
  eq "$(sql "SELECT * FROM access_series ORDER BY minute;
    SELECT title, count FROM evidence")" \
  "$(sqlite3 "$REF" "SELECT * FROM access_series ORDER BY minute;
    SELECT title, count FROM evidence WHERE source = 'web-1'")"
hs_stop
