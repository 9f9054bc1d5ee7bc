# t0108-search-two-nodes: the knowledge base with two Hindsight nodes on one
# PostgreSQL database. What one node writes the other finds; a catch-up is
# indexed by exactly one node (the indexer's advisory lock, db_lead); when
# that node dies (kill -9) the other takes the indexing over. PostgreSQL
# only: one SQLite file has one server.
. tests/http/lib.sh
needs_pg "two nodes need PostgreSQL (make test DB=pg)"
hs_start
A_PID=$HS_PID
A_BASE=$BASE
check "node B started" node_b_start
B_BASE=$B
TOKEN=$("$HS_BIN" --db "$DB" token add api --scope write)
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'
S=/api/v1/search
queue() { sql 'SELECT count(*) FROM search_queue'; }
wait_queue() { # waits up to 60 s for the indexer to empty the queue
  i=0
  while [ "$(queue)" != 0 ] && [ $i -lt 600 ]; do
    sleep 0.1
    i=$((i + 1))
  done
}
search_on() { # search_on BASE QUERY: the hits' titles, comma-separated
  curl -s -H "$AUTH" "$1$S?$2" > "$T/body"
  jget '[.hits[].title] | join(",")'
}

curl -s -o "$T/body" -H "$AUTH" -H "$JSON" \
  -d '{"title":"Aurora replica lag on node A"}' "$A_BASE/api/v1/incidents"
check "written on node A, found on node B" eq "$(search_on "$B_BASE" 'q=aurora')" "Aurora replica lag on node A"
curl -s -o "$T/body" -H "$AUTH" -H "$JSON" \
  -d '{"title":"Borealis cache stampede on node B"}' "$B_BASE/api/v1/incidents"
check "written on node B, found on node A" eq "$(search_on "$A_BASE" 'q=borealis')" "Borealis cache stampede on node B"

# A catch-up longer than a request indexes itself (500): the indexer's.
bulk() { # bulk WORD: 1,200 incidents titled "WORD report N", by plain SQL
  sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)
    INSERT INTO incidents (title, severity, started_at, created_at, updated_at)
    SELECT '$1 report ' || i, 'SEV3', 1700000000000 + i, 0, 0 FROM n"
}
bulk tundra
wait_queue
check "the catch-up is indexed" eq "$(queue)" 0
NA=$(grep -c 'search indexer: 1200 documents' "$T/server.err")
NB=$(grep -c 'search indexer: 1200 documents' "$T/b.err")
check "exactly one node indexed the catch-up (A $NA, B $NB)" eq "$((NA + NB))" 1
req GET "$S?q=tundra+1177" -H "$AUTH"
check "its documents are found" eq "$(jget '[.hits[].title] | join(",")')" "tundra report 1177"

# The indexing node dies; the other takes the queue over.
if [ "$NA" = 1 ]; then
  LEAD=$A_PID; HS_PID=$B_PID; BASE=$B_BASE; OTHER_ERR=$T/b.err
else
  LEAD=$B_PID; HS_PID=$A_PID; BASE=$A_BASE; OTHER_ERR=$T/server.err
fi
kill -9 "$LEAD"
wait "$LEAD" 2>/dev/null
bulk steppe
wait_queue
check "the other node indexes once the first is gone" eq "$(queue)" 0
check "...and says so" eq "$(grep -c 'search indexer: 1200 documents' "$OTHER_ERR")" 1
check "the new documents are found on the survivor" eq "$(search_on "$BASE" 'q=steppe+report+999')" "steppe report 999"
check "the vocabulary agrees with the index" eq "$(vocab_mismatches)" 0
hs_stop
