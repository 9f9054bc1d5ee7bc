# t0042-search-indexing: catching up a long search queue (after migration
# 008 or a bulk import) in the background. A database with thousands of
# queued documents, written by plain SQL before the server starts: while
# the indexer catches up, writes through the API and the CLI succeed
# within the busy timeout and searches answer at once with the pending
# count; afterwards every document is findable and the index, its
# vocabulary and the sources agree. SIGTERM in the middle of a catch-up
# exits 0 and leaves a sound database that the next start finishes.
. tests/http/lib.sh
N=${T42_INCIDENTS:-8000} # incidents, each with a postmortem: 2N documents

"$HS_BIN" --db "$DB" migrate > /dev/null
# About 350 words a postmortem from a text of 6,000 made-up words, each
# document at its own offset, plus a word of its own (uqN) to find it by.
sql "
  CREATE TEMP TABLE base AS
    WITH RECURSIVE w(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM w WHERE j < 6000)
    SELECT group_concat('w' || ((j * 7919) % 9973), ' ') AS t FROM w;
  BEGIN;
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
  INSERT INTO incidents (title, severity, summary, started_at, created_at, updated_at)
    SELECT 'Backlog incident uq' || i, 'SEV' || (1 + i % 4),
           substr((SELECT t FROM base), 1 + (i * 131) % 30000, 400),
           1600000000000 + i * 60000, 0, 0 FROM n;
  INSERT INTO postmortems (incident_id, body, root_cause_category, tags, created_at, updated_at)
    SELECT id, '# Postmortem

up' || id || ' '
           || substr((SELECT t FROM base), CAST(1 + (id * 977) % 30000 AS INTEGER), 2400),
           'capacity', '[\"backlog\"]', 0, 0 FROM incidents;
  COMMIT;"
QUEUED=$(sql 'SELECT count(*) FROM search_queue')
check "the corpus is queued" eq "$([ "$QUEUED" -ge $((2 * N)) ] && echo yes)" yes

hs_start
TOKEN=$("$HS_BIN" --db "$DB" token add api --scope write)
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'
S=/api/v1/search
queue() { sql 'SELECT count(*) FROM search_queue'; }

# During the catch-up: searches answer at once from what is indexed and
# say how much is pending; writes (API and CLI) get the lock between the
# indexer's batches.
T0=$(date +%s%N)
req GET "$S?q=backlog&limit=5" -H "$AUTH"
MS=$((($(date +%s%N) - T0) / 1000000))
check "a search during the catch-up is 200" eq "$STATUS" 200
# Not a time limit (make test has none; a loaded CI box stretches any):
# that it answered with documents still pending shows it did not wait.
echo "    (the search took ${MS} ms)"
PENDING=$(jget '.indexing.pending')
check "it says how many documents are pending ($PENDING)" eq "$([ "$PENDING" -gt 500 ] 2>/dev/null && echo yes)" yes
: > "$T/writes"
for i in 1 2 3 4 5 6 7 8; do
  curl -s -o "$T/w.json" -w "%{http_code} %{time_total}\n" -H "$AUTH" -H "$JSON" \
    -d "{\"title\":\"Written during the catch-up kestrel$i\",\"summary\":\"heron$i\"}" \
    "$BASE/api/v1/incidents" >> "$T/writes"
  ID=$(jq -r .id "$T/w.json")
  curl -s -o /dev/null -w "%{http_code} %{time_total}\n" -H "$AUTH" -H "$JSON" \
    -d "{\"kind\":\"note\",\"title\":\"egret$i note\"}" \
    "$BASE/api/v1/incidents/$ID/events" >> "$T/writes"
done
check "every write during the catch-up is 201" eq "$(awk '$1 != 201' "$T/writes" | wc -l | tr -d ' ')" 0
check "every write within the busy timeout (slowest $(sort -k2 -n "$T/writes" | tail -n1 | cut -d' ' -f2) s)" \
  eq "$(awk '$2 >= 5 { n++ } END { print n + 0 }' "$T/writes")" 0
check "CLI: incident open during the catch-up" "$HS_BIN" --db "$DB" incident open "CLI ptarmigan" --severity SEV3
check "CLI: config set during the catch-up" "$HS_BIN" --db "$DB" config set ingest.window_minutes 30
login viewer "$PW_VIEWER"
req GET "/app/search?q=backlog" -b "$T/jar.viewer"
check "the search page says the index is catching up" contains "$T/body" 'documents are not searchable yet'
LEFT=$(queue)
check "the writes overlapped the catch-up (queue $LEFT)" eq "$([ "$LEFT" -gt 0 ] && echo yes)" yes

# After it: every document findable, the index matching the data.
i=0
while [ "$(queue)" != 0 ] && [ $i -lt 1200 ]; do
  sleep 0.1
  i=$((i + 1))
done
check "the indexer empties the queue" eq "$(queue)" 0
req GET "$S?q=backlog&limit=5" -H "$AUTH"
check "no pending count once caught up" eq "$(jget '.indexing')" null
for k in 1 2 $((N / 3)) $((N / 2)) $((N - 1)) $N; do
  req GET "$S?q=uq$k+incident&type=incident" -H "$AUTH"
  check "incident uq$k is findable" eq "$(jget '[.hits[].title] | join(",")')" "Backlog incident uq$k"
done
req GET "$S?q=up$N+postmortem&type=postmortem" -H "$AUTH"
check "the last postmortem is findable" eq "$(jget '.hits | length')" 1
for w in kestrel3 heron8 egret5 ptarmigan; do
  req GET "$S?q=$w" -H "$AUTH"
  check "written during the catch-up, findable: $w" eq "$(jget '.hits | length')" 1
done
consistent() { # the index, its vocabulary and the sources agree
  check "$1: index and sources agree" eq "$(sql "SELECT count(*) FROM search_index")" \
    "$(sql "SELECT (SELECT count(*) FROM incidents) + (SELECT count(*) FROM postmortems) + (SELECT count(*) FROM actions) + (SELECT count(*) FROM events WHERE deleted = 0 AND kind IN ('note','change','status_update'))")"
  check "$1: search_terms agrees with the index" eq "$(vocab_mismatches)" 0
  # FTS5's own integrity check is SQLite's.
  if [ -z "$HS_PG" ]; then
    check "$1: fts5 integrity check" sql "INSERT INTO search_index(search_index) VALUES('integrity-check')"
  fi
}
[ -z "$HS_PG" ] || echo "SKIP $HS_SUITE: the FTS5 integrity check"
consistent "after the catch-up"
check "the catch-up is logged" contains "$T/server.err" 'search indexer:'
check "and its segments merged" eq "$(grep 'search indexer:' "$T/server.err" | grep -c ' 0 merge steps')" 0

# SIGTERM in the middle of a catch-up: exit 0 within a batch, a sound
# database, the work done kept, the rest done by the next start.
sql "INSERT INTO search_queue SELECT id * 4 FROM incidents WHERE true
       ON CONFLICT DO NOTHING;
     INSERT INTO search_queue SELECT id * 4 + 1 FROM postmortems WHERE true
       ON CONFLICT DO NOTHING"
BEFORE=$(queue)
restart() {
  "$HS_BIN" --db "$DB" serve --listen 127.0.0.1:0 --threads 2 \
    >"$T/server.out" 2>>"$T/server.err" &
  HS_PID=$!
  i=0
  while ! grep -q 'listening on' "$T/server.out" 2>/dev/null && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
  done
  PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$T/server.out")
  BASE=http://127.0.0.1:$PORT
}
kill -TERM $HS_PID
wait $HS_PID
check "stopped after the catch-up" eq "$?" 0
restart
i=0
while [ "$(queue)" -ge "$BEFORE" ] && [ $i -lt 100 ]; do
  sleep 0.1
  i=$((i + 1))
done
T0=$(date +%s%N)
kill -TERM $HS_PID
wait $HS_PID
RC=$?
MS=$((($(date +%s%N) - T0) / 1000000))
check "SIGTERM during indexing exits 0" eq "$RC" 0
echo "    (it took ${MS} ms; that it stopped mid-catch-up is the check below)"
LEFT=$(queue)
check "it stopped mid-catch-up, keeping its batches ($LEFT of $BEFORE left)" \
  eq "$([ "$LEFT" -gt 0 ] && [ "$LEFT" -lt "$BEFORE" ] && echo yes)" yes
check "integrity_check is ok" eq "$(db_integrity)" ok
if [ -z "$HS_PG" ]; then
  check "fts5 integrity check after the stop" sql "INSERT INTO search_index(search_index) VALUES('integrity-check')"
fi
restart
i=0
while [ "$(queue)" != 0 ] && [ $i -lt 1200 ]; do
  sleep 0.1
  i=$((i + 1))
done
check "the next start finishes the catch-up" eq "$(queue)" 0
consistent "after the interrupted catch-up"
grep 'search indexer:' "$T/server.err" | sed 's/^/    /' # the timings
hs_stop
