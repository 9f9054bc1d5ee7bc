# t0100-pg-schema: SQLite's migrations (schema/NNN_x.sql) and PostgreSQL's
# (schema/pg/NNN_x.sql) give the same schema (tools/schema-diff.sh), and
# the PostgreSQL triggers do what SQLite's do: the same writes queue the
# same search documents and record the same component history. 018 keeps
# the index's tsvectors in their rows.
#
# PostgreSQL is the run's cluster under `make test DB=pg` (HS_PG), else
# one started here (tests/pg.sh) and stopped on the way out.
. tests/http/lib.sh
SQ=$T/schema.db
if [ -n "$HS_PG" ]; then
  PG_BASE=$HS_PG
  PGDB=$DB
else
  PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/hs-pg.XXXXXX")
  trap 'sh tests/pg.sh stop "$PG_DIR"' EXIT
  trap 'exit 1' HUP INT TERM # so that EXIT stops it too
  PG_BASE=$(sh tests/pg.sh start "$PG_DIR") || {
    echo "FAIL PostgreSQL did not start"
    exit 1
  }
  PGDB=$(sh tests/pg.sh createdb "$PG_BASE")
fi
ALTERED=$(sh tests/pg.sh createdb "$PG_BASE")
# pg_sql CONNINFO [psql args...]: unaligned rows, '|' between columns.
pg_sql() {
  conn=$1
  shift
  psql -X -q -A -t -v ON_ERROR_STOP=1 "$conn" "$@"
}

"$HS_BIN" --db "$SQ" migrate >/dev/null
check "sqlite: migrates" eq $? 0
"$HS_BIN" --db "$PGDB" migrate >/dev/null
check "postgresql: migrates" eq $? 0
check "postgresql: hs_schema is SQLite's user_version" \
  eq "$(pg_sql "$PGDB" -c 'SELECT version FROM hs_schema')" \
  "$(sqlite3 "$SQ" 'PRAGMA user_version')"

tools/schema-diff.sh -q "$SQ" "$PGDB" >"$T/diff.out" 2>&1
rc=$?
check "schema-diff: the same schema" eq $rc 0
[ $rc -eq 0 ] || cat "$T/diff.out"

# The check itself: a changed ON DELETE rule, a missing trigger and a lost
# default are each found.
"$HS_BIN" --db "$ALTERED" migrate >/dev/null
pg_sql "$ALTERED" -c 'ALTER TABLE events DROP CONSTRAINT events_evidence_id_fkey,
  ADD FOREIGN KEY (evidence_id) REFERENCES evidence (id) ON DELETE CASCADE' \
  -c 'DROP TRIGGER search_action_del ON actions' \
  -c 'ALTER TABLE users ALTER COLUMN failed_logins DROP DEFAULT'
tools/schema-diff.sh -q "$SQ" "$ALTERED" >"$T/diff.out" 2>&1
check "schema-diff: a different schema exits 1" eq $? 1
check "schema-diff: says what differs" eq "$(grep -c '^[-+][a-z]' "$T/diff.out")" 5

# The same writes on both engines (portable SQL), the search queue read
# and emptied after each step.
cat >"$T/work.sql" <<'SQL'
INSERT INTO components (id, name, status, created_at, updated_at)
  VALUES (1, 'api', 'operational', 100, 100),
  (2, 'web', 'major_outage', 101, 101);
UPDATE components SET status = 'partial_outage', updated_at = 200
  WHERE id = 1;
UPDATE components SET description = 'x', updated_at = 300 WHERE id = 1;
UPDATE components SET status = 'partial_outage', updated_at = 400
  WHERE id = 1;
UPDATE components SET status = 'operational', updated_at = 500;
SELECT 'history', component_id, status, from_ts, old_status
  FROM component_history ORDER BY component_id, from_ts;
INSERT INTO incidents (id, title, started_at, created_at, updated_at)
  VALUES (1, 'DB down', 10, 10, 10), (2, 'Other', 20, 20, 20);
INSERT INTO events (id, incident_id, ts, kind, title, created_at,
  updated_at) VALUES
  (1, 1, 11, 'note', 'we look', 11, 11), (2, 1, 12, 'log', 'a line', 12, 12),
  (3, 1, 13, 'change', 'deploy', 13, 13),
  (4, 1, 14, 'status_update', 'upd', 14, 14),
  (5, 1, 15, 'alert', 'alert', 15, 15);
INSERT INTO actions (id, incident_id, title, created_at, updated_at)
  VALUES (1, 1, 'fix', 16, 16), (2, 2, 'other', 17, 17);
SELECT 'queue 1', doc_id FROM search_queue ORDER BY doc_id;
DELETE FROM search_queue;
INSERT INTO postmortems (id, incident_id, created_at, updated_at)
  VALUES (1, 1, 18, 18);
SELECT 'queue 2', doc_id FROM search_queue ORDER BY doc_id;
DELETE FROM search_queue;
UPDATE incidents SET title = 'DB very down' WHERE id = 1;
SELECT 'queue 3', doc_id FROM search_queue ORDER BY doc_id;
DELETE FROM search_queue;
UPDATE incidents SET commander = 'ann', summary = summary WHERE id = 1;
SELECT 'queue 4', doc_id FROM search_queue ORDER BY doc_id;
DELETE FROM search_queue;
UPDATE events SET deleted = 1 WHERE id = 3;
UPDATE incidents SET severity = 'SEV1' WHERE id = 1;
SELECT 'queue 5', doc_id FROM search_queue ORDER BY doc_id;
DELETE FROM search_queue;
UPDATE incidents SET started_at = 9, summary = 's' WHERE id = 2;
SELECT 'queue 6', doc_id FROM search_queue ORDER BY doc_id;
DELETE FROM search_queue;
UPDATE postmortems SET created_by = 'bob' WHERE id = 1;
SELECT 'queue 7', doc_id FROM search_queue ORDER BY doc_id;
DELETE FROM search_queue;
UPDATE postmortems SET body = 'text' WHERE id = 1;
SELECT 'queue 8', doc_id FROM search_queue ORDER BY doc_id;
DELETE FROM search_queue;
UPDATE postmortems SET tags = '["db"]' WHERE id = 1;
SELECT 'queue 9', doc_id FROM search_queue ORDER BY doc_id;
DELETE FROM search_queue;
UPDATE postmortems SET incident_id = 2 WHERE id = 1;
SELECT 'queue 10', doc_id FROM search_queue ORDER BY doc_id;
DELETE FROM search_queue;
UPDATE postmortems SET status = 'in_review', contributing_factors = '["x"]'
  WHERE id = 1;
SELECT 'queue 11', doc_id FROM search_queue ORDER BY doc_id;
DELETE FROM search_queue;
UPDATE events SET title = 'b line' WHERE id = 2;
UPDATE events SET pinned = 1 WHERE id = 1;
SELECT 'queue 12', doc_id FROM search_queue ORDER BY doc_id;
DELETE FROM search_queue;
UPDATE events SET kind = 'note' WHERE id = 5;
UPDATE events SET body = 'more' WHERE id = 4;
SELECT 'queue 13', doc_id FROM search_queue ORDER BY doc_id;
DELETE FROM search_queue;
UPDATE events SET incident_id = 2 WHERE id IN (1, 2);
SELECT 'queue 14', doc_id FROM search_queue ORDER BY doc_id;
DELETE FROM search_queue;
UPDATE events SET incident_id = incident_id WHERE id = 4;
DELETE FROM events WHERE id IN (2, 4);
SELECT 'queue 15', doc_id FROM search_queue ORDER BY doc_id;
DELETE FROM search_queue;
UPDATE actions SET owner = 'ann' WHERE id = 1;
UPDATE actions SET description = 'd' WHERE id = 2;
SELECT 'queue 16', doc_id FROM search_queue ORDER BY doc_id;
DELETE FROM search_queue;
UPDATE actions SET incident_id = 2 WHERE id = 1;
SELECT 'queue 17', doc_id FROM search_queue ORDER BY doc_id;
DELETE FROM search_queue;
DELETE FROM actions WHERE id = 2;
SELECT 'queue 18', doc_id FROM search_queue ORDER BY doc_id;
DELETE FROM search_queue;
INSERT INTO incident_components (incident_id, component_id)
  VALUES (1, 1), (2, 2);
SELECT 'queue 19', doc_id FROM search_queue ORDER BY doc_id;
DELETE FROM search_queue;
UPDATE incident_components SET incident_id = 1 WHERE incident_id = 2;
SELECT 'queue 20', doc_id FROM search_queue ORDER BY doc_id;
DELETE FROM search_queue;
DELETE FROM incident_components WHERE component_id = 1;
SELECT 'queue 21', doc_id FROM search_queue ORDER BY doc_id;
DELETE FROM search_queue;
DELETE FROM postmortems WHERE id = 1;
SELECT 'queue 22', doc_id FROM search_queue ORDER BY doc_id;
DELETE FROM search_queue;
DELETE FROM incidents WHERE id = 2;
SELECT 'queue 23', doc_id FROM search_queue ORDER BY doc_id;
SELECT 'left', (SELECT count(*) FROM events), (SELECT count(*) FROM actions),
  (SELECT count(*) FROM incident_components);
DELETE FROM components WHERE id = 2;
SELECT 'history left', count(*) FROM component_history;
SQL
sqlite3 -bail -cmd 'PRAGMA foreign_keys = ON' "$SQ" <"$T/work.sql" \
  >"$T/sqlite.out" 2>&1
check "sqlite: the writes run" eq $? 0
pg_sql "$PGDB" -f "$T/work.sql" >"$T/pg.out" 2>&1
check "postgresql: the writes run" eq $? 0
check "component history: the same rows" \
  eq "$(grep '^history|' "$T/pg.out" | tr '\n' ' ')" \
  "$(grep '^history|' "$T/sqlite.out" | tr '\n' ' ')"
# What the SQLite triggers queue (005, 008), spelled out so a change to
# both engines' triggers is a conscious one: doc id = id * 4 + type.
check "sqlite: the queue as the triggers say" \
  eq "$(grep '^queue 5|\|^queue 10|\|^queue 23|' "$T/sqlite.out" | tr '\n' ' ')" \
  "queue 5|4 queue 5|5 queue 5|6 queue 5|7 queue 5|14 queue 5|18 queue 10|4 queue 10|5 queue 10|6 queue 10|7 queue 10|8 queue 10|11 queue 10|18 queue 23|6 queue 23|7 queue 23|8 "
if diff "$T/sqlite.out" "$T/pg.out" >"$T/out.diff"; then
  check "search queue: the same documents after every step" true
else
  check "search queue: the same documents after every step" false
  sed 's/^/    /' "$T/out.diff"
fi
check "cascades: what is left" eq "$(grep '^left|' "$T/pg.out")" "left|2|0|1"

# 018: the index rows keep their tsvectors in the row (STORAGE MAIN), and
# an upgrade queues the rows stored before it to be written again so.
storage() {
  pg_sql "$1" -c "SELECT string_agg(attname || '=' || attstorage::text, ' ' ORDER BY attname)
    FROM pg_attribute WHERE attrelid = 'search_index'::regclass AND attname LIKE '%tsv'"
}
check "018: tsv and facet_tsv stay in the row" eq "$(storage "$PGDB")" "facet_tsv=m tsv=m"
pg_sql "$ALTERED" -c "ALTER TABLE search_index ALTER COLUMN tsv SET STORAGE EXTENDED,
    ALTER COLUMN facet_tsv SET STORAGE EXTENDED" \
  -c "INSERT INTO search_index (rowid, title) VALUES (41, 'stored before 018')" \
  -c "DELETE FROM search_queue" -c "UPDATE hs_schema SET version = 17" >/dev/null
"$HS_BIN" --db "$ALTERED" migrate >/dev/null
check "018 on an older database: migrates" eq $? 0
check "018 on an older database: STORAGE MAIN" eq "$(storage "$ALTERED")" "facet_tsv=m tsv=m"
check "018 on an older database: its index rows are queued again" \
  eq "$(pg_sql "$ALTERED" -c 'SELECT doc_id FROM search_queue')" 41

rm -rf "$T"
sh tests/pg.sh dropdb "$ALTERED" >/dev/null
[ -z "$HS_PG" ] || sh tests/pg.sh dropdb "$PGDB" >/dev/null
[ $nfail -eq 0 ]
