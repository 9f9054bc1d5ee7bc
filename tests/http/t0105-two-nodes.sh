# t0105-two-nodes: two hindsight servers on one PostgreSQL database. A
# change made on either node reaches the other's cached public page,
# summary.json and timeline stream within a second (LISTEN/NOTIFY); the
# outbox delivers each message once with both nodes running, and when the
# node that delivers is killed (-9) the other takes over and delivers the
# rest, still once each; background jobs (outbox, indexer, retention) run
# on one node, the one holding the job's advisory lock.
. tests/http/lib.sh
needs_pg "two nodes share one PostgreSQL database"
JSON='Content-Type: application/json'
PEERS=tests/http/peers.py
MAIL=$T/mail
mkdir -p "$MAIL"
python3 "$PEERS" smtp "$MAIL" &
SMTP_PID=$!
B_PID=
cleanup() {
  kill $SMTP_PID 2>/dev/null
  [ -z "$B_PID" ] || kill -9 "$B_PID" 2>/dev/null
}
trap cleanup EXIT
i=0
while [ ! -s "$MAIL/port" ]; do
  i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.1
done
# The settings live in the database, so both nodes deliver the same way.
cfg() { "$HS_BIN" --db "$DB" config set "$1" "$2" >/dev/null; }
cfg smtp.host 127.0.0.1
cfg smtp.port "$(cat "$MAIL/port")"
cfg smtp.from status@example.com
cfg subscriptions.retry_base_seconds 1

# job_node JOB: the pid of the hindsight process whose connection holds
# the advisory lock of DB_JOB_JOB (db_pg.c: 7216100 + JOB) in this
# database: PostgreSQL's client port, found among the process's sockets.
job_node() {
  port=$(sql "SELECT a.client_port FROM pg_locks l
    JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.granted AND l.objid = $((7216100 + $1))
      AND l.database = (SELECT oid FROM pg_database
                        WHERE datname = current_database())")
  [ -n "$port" ] || return 0
  ss -tnpH "( sport = :$port )" | sed -n 's/.*pid=\([0-9]*\),.*/\1/p' | head -n1
}
job_holders() { # job_holders JOB: how many connections hold it
  sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
    AND objid = $((7216100 + $1)) AND database = (SELECT oid FROM pg_database
      WHERE datname = current_database())"
}

# Node A first: it takes every job's lead at start.
# The nodes run in $T: on PostgreSQL the last good page is kept in the
# working directory (hindsight-pg-<dbname>.lastgood), not in the tree.
HS_BIN=$(cd "$(dirname "$HS_BIN")" && pwd)/$(basename "$HS_BIN")
cd "$T" && hs_start && cd "$OLDPWD"
A_PID=$HS_PID
A=$BASE
sql "INSERT INTO settings (key, value) VALUES ('page_url', '$A')"
check "node A ran the retention sweep at start" \
  wait_for 'test "$(node_metric "$A" hindsight_retention_sweeps_total)" = 1'

# Node B on the same database.
check "node B starts on the same database" node_b_start
check "node B answers /healthz" \
  eq "$(curl -s -o /dev/null -w '%{http_code}' "$B/healthz")" 200

TOKEN=$("$HS_BIN" --db "$DB" token add api --scope write)
AUTH="Authorization: Bearer $TOKEN"

# Background jobs: each lock held once, by node A (it started first).
check "the outbox is led by node A" wait_for 'test "$(job_node 1)" = "$A_PID"'
check "node B's workers have started (it serves the stream)" \
  eq "$(curl -s -o /dev/null -w '%{http_code}' "$B/metrics")" 200
sleep 1 # B's workers' first round: they must find the locks taken
for j in 1 3; do
  check "job $j is held by one connection" eq "$(job_holders $j)" 1
done
for j in outbox retention; do
  check "A's /metrics: A leads the $j" \
    eq "$(node_metric "$A" "hindsight_job_lead{job=\"$j\"}")" 1
  check "B's /metrics: B leaves the $j to A" \
    eq "$(node_metric "$B" "hindsight_job_lead{job=\"$j\"}")" 0
done
check "node B did not sweep (retention runs once)" \
  eq "$(node_metric "$B" hindsight_retention_sweeps_total)" 0
check "node A swept once" eq "$(node_metric "$A" hindsight_retention_sweeps_total)" 1

# A public update on A reaches B's cached page and summary.json in 1 s.
curl -s -D "$T/h0" -o "$T/page0" "$B/"
curl -s -o "$T/sum0" "$B/api/v2/summary.json"
ETAG0=$(sed -n 's/^[Ee][Tt][Aa][Gg]: *//p' "$T/h0" | tr -d '\r')
check "node B's page has an ETag" test -n "$ETAG0"
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" \
  -d '{"title":"Checkout is down on node A"}'
check "incident created on node A" eq "$STATUS" 201
INC=$(jget .id)
req POST "/api/v1/incidents/$INC/updates" -H "$AUTH" -H "$JSON" \
  -d '{"status":"investigating","body":"Published from node A"}'
check "public update posted on node A" eq "$STATUS" 201
etag_b() {
  curl -s -D "$T/h1" -o "$T/page1" "$B/"
  sed -n 's/^[Ee][Tt][Aa][Gg]: *//p' "$T/h1" | tr -d '\r'
}
check "node B's page changes within 1 s" \
  wait_for 'test "$(etag_b)" != "$ETAG0" && grep -q "Published from node A" "$T/page1"' 10
check "node B's summary.json changes within 1 s" \
  wait_for 'curl -s "$B/api/v2/summary.json" | grep -q "Checkout is down on node A"' 10

# And the other way: an update on B reaches A.
ETAGA=$(curl -s -D - -o /dev/null "$A/" | sed -n 's/^[Ee][Tt][Aa][Gg]: *//p' | tr -d '\r')
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" -H "$JSON" \
  -d '{"status":"identified","body":"Found on node B"}' \
  "$B/api/v1/incidents/$INC/updates")
check "public update posted on node B" eq "$STATUS" 201
check "node A's page changes within 1 s" \
  wait_for 'test "$(curl -s -D - -o "$T/pageA" "$A/" | sed -n "s/^[Ee][Tt][Aa][Gg]: *//p" | tr -d "\r")" != "$ETAGA" && grep -q "Found on node B" "$T/pageA"' 10

# The timeline stream on B sees a note written on A (Last-Event-ID).
curl -s -H "$AUTH" "$B/api/v1/incidents/$INC/stream" >"$T/hello"
LAST=$(sed -n 's/^id: //p' "$T/hello" | tail -n1)
check "node B's stream says hello with an id" test -n "$LAST"
req POST "/api/v1/incidents/$INC/events" -H "$AUTH" -H "$JSON" \
  -d '{"body":"Note written on node A"}'
check "note added on node A" eq "$STATUS" 201
EV=$(jget .id)
check "node B's stream carries the note within 1 s" \
  wait_for 'curl -s -H "$AUTH" -H "Last-Event-ID: $LAST" "$B/api/v1/incidents/$INC/stream" | grep -q "\"id\":$EV,"' 10
curl -s -H "$AUTH" -H "Last-Event-ID: $LAST" "$B/api/v1/incidents/$INC/stream" >"$T/stream"
check "as a change event" contains "$T/stream" "event: change"

# The outbox: N subscribers, every message delivered once, both nodes up.
N=12
sql "INSERT INTO subscribers (kind, address, secret, unsubscribe_token_hash,
       confirmed_at, created_at)
     SELECT 'email', 'u' || g || '@example.com', repeat('a', 64),
       md5('u' || g) || md5('x' || g), 1, 1 FROM generate_series(1, $N) g"
nmail() { ls "$MAIL" | grep -c '\.eml$'; }
# rcpts TEXT: the recipient of each mail whose text part carries TEXT
rcpts() {
  for f in "$MAIL"/*.eml; do
    [ -f "$f" ] || continue
    if python3 "$PEERS" mail "$f" text | grep -qF "$1"; then
      sed -n 's/^X-Sink-To: //p' "$f" | tr -d '\r'
    fi
  done
}
# per_address TEXT: the distinct numbers of copies per recipient ("1 ")
per_address() { rcpts "$1" | sort | uniq -c | awk '{ print $1 }' | sort -u | tr '\n' ' '; }
naddr() { rcpts "$1" | sort -u | wc -l; }
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" -H "$JSON" \
  -d '{"status":"monitoring","body":"Round one of the mail"}' \
  "$B/api/v1/incidents/$INC/updates")
check "update posted on node B for $N subscribers" eq "$STATUS" 201
check "all $N messages are delivered" \
  wait_for 'test "$(naddr "Round one of the mail")" -eq $N' 300
sleep 2 # a second sender would have sent its copies by now
check "each address got it once" eq "$(per_address "Round one of the mail")" "1 "
check "the outbox says sent, $N times" \
  eq "$(sql "SELECT count(*) FROM outbox WHERE state = 'sent' AND topic = 'incident_update'")" $N

# Kill -9 the node that delivers, mid-send: the SMTP sink keeps the first
# message of round two (it records a message, then waits 30 s before its
# answer), and node A dies while waiting for it.
check "node A still leads the outbox" eq "$(job_node 1)" "$A_PID"
N0=$(nmail)
echo 30 >"$MAIL/delay"
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" -H "$JSON" \
  -d '{"status":"resolved","body":"Round two of the mail"}' \
  "$B/api/v1/incidents/$INC/updates")
check "update posted for round two" eq "$STATUS" 201
check "the first message of round two reaches the sink" \
  wait_for 'test "$(nmail)" -gt $N0' 300
kill -9 "$A_PID"
wait "$A_PID" 2>/dev/null
check "node B takes the outbox lead" wait_for 'test "$(job_node 1)" = "$B_PID"' 300
check "B's /metrics: B leads the outbox now" \
  wait_for 'test "$(node_metric "$B" "hindsight_job_lead{job=\"outbox\"}")" = 1'
check "node B delivers the rest" \
  wait_for 'test "$(naddr "Round two of the mail")" -eq $N' 300
sleep 2
# The message that was mid-send when A died was recorded by the sink, but
# A never saw the answer: e-mail has no idempotency key, so the new leader
# marks it dead instead of sending it again (at most once; README
# "Subscriptions"). So every address still has exactly one copy.
check "round two: each address got it once" eq "$(per_address "Round two of the mail")" "1 "
check "round two: $((N - 1)) sent by the new leader" \
  eq "$(sql "SELECT count(*) FROM outbox WHERE topic = 'incident_update' AND state = 'sent' AND id > (SELECT max(id) - $N FROM outbox)")" $((N - 1))
check "round two: the interrupted one is dead, not resent" \
  eq "$(sql "SELECT count(*) FROM outbox WHERE state = 'dead' AND last_error LIKE 'interrupted%'")" 1
check "nothing left pending or sending" \
  eq "$(sql "SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending')")" 0
check "node B indexes now" \
  wait_for 'test "$(job_node 2)" = "$B_PID"' 300

HS_PID=$B_PID
B_PID=
hs_stop
