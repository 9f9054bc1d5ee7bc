# t0113-schema-ahead: a rolling upgrade on PostgreSQL. When a newer
# Hindsight migrates the shared database while this (older) node runs, the
# node notices within seconds (its listener reads hs_schema) and stops
# writing: write requests get 503 `schema_ahead` with Retry-After and save
# nothing, /healthz answers 503 so the load balancer drops the node, its
# background jobs' locks are given up for the upgraded nodes, and reads
# (the public page, summary.json, the API, search) keep working. Started
# again, the old binary refuses the newer database. The newer node's
# migration is played by raising hs_schema's version with psql.
. tests/http/lib.sh
needs_pg "the schema version is PostgreSQL's hs_schema, shared by nodes"
JSON='Content-Type: application/json'
hs_start
WRITE=$("$HS_BIN" --db "$DB" token add writer --scope write)
AUTH="Authorization: Bearer $WRITE"
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" \
  -d '{"title":"Before the upgrade","public":true,"impact":"minor"}'
check "a write before the upgrade: 201" eq "$STATUS" 201
req GET /healthz
check "healthy before the upgrade" eq "$STATUS" 200

# job_locks: the outbox's and the indexer's advisory locks held in this
# database (db_pg.c: 7216100 + DB_JOB_*). Those two run a round a second;
# retention and the raw-line migrator give theirs up within a minute.
job_locks() {
  sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
    AND objid IN (7216101, 7216102) AND database = (SELECT oid
    FROM pg_database WHERE datname = current_database())"
}
check "the node leads the outbox before" \
  wait_for 'test "$(node_metric "$BASE" "hindsight_job_lead{job=\"outbox\"}")" = 1' 200
check "and holds the outbox's and the indexer's locks" eq "$(job_locks)" 2

OURS=$(sql 'SELECT max(version) FROM hs_schema')
sql "UPDATE hs_schema SET version = $((OURS + 1))" >/dev/null
check "the node notices within 10 s: /healthz 503" \
  wait_for 'test "$(curl -s -o /dev/null -w "%{http_code}" "$BASE/healthz")" = 503' 200
req GET /healthz
check "/healthz says why" eq "$(jget .error.code)" schema_ahead
check "it logs the newer version once" eq \
  "$(grep -c "migrated the database to schema $((OURS + 1))" "$T/server.err")" 1

req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"After the upgrade"}'
check "a write: 503" eq "$STATUS" 503
check "with the code schema_ahead" eq "$(jget .error.code)" schema_ahead
check "and Retry-After" grep -qi '^retry-after: ' "$T/headers"
check "nothing was saved" eq \
  "$(sql "SELECT count(*) FROM incidents WHERE title = 'After the upgrade'")" 0

req GET /
check "the public page still serves" eq "$STATUS" 200
check "with what was published" contains "$T/body" "Before the upgrade"
req GET /api/v2/summary.json
check "summary.json still serves" eq "$STATUS" 200
req GET /api/v1/incidents -H "$AUTH"
check "the API still reads" eq "$STATUS:$(jget '.incidents | length')" 200:1
req GET "/api/v1/search?q=upgrade" -H "$AUTH"
check "search still answers" eq "$STATUS" 200

check "the node gives its jobs up (metrics)" \
  wait_for 'test "$(node_metric "$BASE" "hindsight_job_lead{job=\"outbox\"}")" = 0' 200
check "and their locks, for the upgraded nodes" wait_for 'test "$(job_locks)" = 0' 200

# Started again, this binary refuses the newer database.
kill -TERM "$HS_PID"
wait "$HS_PID"
"$HS_BIN" --db "$DB" serve --listen 127.0.0.1:0 >"$T/again.out" 2>"$T/again.err"
check "the old binary will not start on it" eq "$?" 1
check "and says the schema is newer" contains "$T/again.err" "newer than this binary"
# Back to our version (for hs_stop's clean exit check on a running node).
sql "UPDATE hs_schema SET version = $OURS" >/dev/null
hs_serve "$DB"
hs_stop
