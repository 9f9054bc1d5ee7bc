# t0064-evidence-migrate: a database from before incident-free evidence
# (schema up to 009, raw lines and minute series kept per incident) moves
# over: its raw lines, series and evidence become incident-free, its
# timelines stay as they were and its signals still open onto their lines.
. tests/http/lib.sh
needs_sqlite_file "an old SQLite file at schema 9 migrates (PostgreSQL starts at 014)"
HS_FTS=${HS_FTS:-$PWD/build/hs_fts}
for f in schema/00[1-9]_*.sql; do
  cat "$f"
  printf '\n'
done > "$T/old.sql"
sqlite3 -cmd ".load $HS_FTS" "$DB" < "$T/old.sql"
sqlite3 -cmd ".load $HS_FTS" "$DB" <<'SQL'
PRAGMA user_version = 9;
INSERT INTO incidents (id, title, started_at, resolved_at, mitigated_at,
  status, created_at, updated_at)
  VALUES (1, 'Old checkout outage', 1795692600000, 1795698000000,
  1795697000000, 'resolved', 1795692600000, 1795698000000);
-- 2026-11-20 10:10..11:40 UTC. A signal and an alert drawn by the old
-- ingest, a person's note, and the signal's raw lines.
INSERT INTO events (id, incident_id, ts, end_ts, kind, source, level,
  component, title, fingerprint, count, author, created_at, updated_at)
  VALUES (1, 1, 1795693200000, 1795693500000, 'signal', 'web-1', 'error',
  'web-1', '5xx rate rose on web-1', 'signal:5xx:web-1:1795693200000', 3,
  'ingest', 1, 1),
  (2, 1, 1795693100000, NULL, 'alert', 'alertmanager', 'critical',
  'checkout', 'CheckoutDown', 'alert:x1:1795693100000', 1, 'ingest', 1, 1),
  (3, 1, 1795693300000, NULL, 'note', '', 'info', '', 'We rolled back', NULL,
  1, 'ann', 1, 1);
INSERT INTO raw_lines (incident_id, ts, fp, signal_id, bad, grp, source, line)
  VALUES (1, 1795693200000, 11, 1, 1, NULL, 'web-1', 'GET /pay 502 a'),
  (1, 1795693260000, 12, 1, 1, NULL, 'web-1', 'GET /pay 502 b'),
  (1, 1795693320000, 13, 1, 1, NULL, 'web-1', 'GET /pay 502 c'),
  (1, 1795693330000, 14, NULL, 0, NULL, 'web-1', 'GET /pay 200 d');
INSERT INTO access_minutes (incident_id, source, minute, requests, s4xx, s5xx,
  bytes) VALUES (1, 'web-1', 1795693200000, 10, 0, 3, 100);
SQL
check "an old database (schema 9)" eq "$(sql 'PRAGMA user_version')" 9
"$HS_BIN" --db "$DB" migrate > "$T/out" 2>&1
check "migrates" eq $? 0
hs_start
TOKEN=$("$HS_BIN" --db "$DB" token add api --scope write)
AUTH="Authorization: Bearer $TOKEN"
req GET /api/v1/incidents/1/events -H "$AUTH"
check "the timeline is as it was" eq "$(jget '[.events[].title] | sort | join("|")')" "5xx rate rose on web-1|CheckoutDown|We rolled back"
# The retention worker moves the old one-row-a-line table into blocks, a
# batch at a time, after the start.
i=0
while [ "$(sql "SELECT count(*) FROM sqlite_master WHERE name = 'raw_lines'")" = 1 ] &&
  [ "$(sql 'SELECT count(*) FROM raw_lines')" != 0 ] && [ $i -lt 100 ]; do
  sleep 0.1
  i=$((i + 1))
done
check "the old raw lines moved into blocks" eq "$(sql 'SELECT sum(n_lines) FROM raw_blocks')" 4
req GET /api/v1/events/1/raw -H "$AUTH"
check "the signal still opens onto its error lines" eq "$(jget '[.lines[].line] | join("|")')" "GET /pay 502 a|GET /pay 502 b|GET /pay 502 c"
req GET /api/v1/incidents/1/raw -H "$AUTH"
check "the incident's raw lines are all there" eq "$(jget '.lines | length')" 4
req GET "/api/v1/evidence?kind=alert" -H "$AUTH"
check "its alert is incident-free evidence, held by the incident" eq "$(jget '.items[0].title') $(jget '.items[0].incidents[0]')" "CheckoutDown 1"
check "the minute series moved" eq "$(sql "SELECT sum(requests), sum(s5xx) FROM access_series WHERE source = 'web-1'")" "10|3"
check "notes are not evidence" eq "$(sql "SELECT count(*) FROM evidence WHERE kind = 'note'")" 0
# Old copies are held on purpose (not drawn): an edit never takes them out.
req PATCH /api/v1/incidents/1 -H "$AUTH" -H 'Content-Type: application/json' -H 'If-Match: "1"' -d '{"started_at":"2026-11-20T11:30:00Z","mitigated_at":"2026-11-20T11:35:00Z","resolved_at":"2026-11-20T11:40:00Z"}'
check "a later start" eq "$STATUS" 200
check "keeps the migrated events" eq "$(sql 'SELECT count(*) FROM events WHERE incident_id = 1')" 3
hs_stop
