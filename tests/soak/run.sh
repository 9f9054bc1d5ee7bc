#!/bin/sh
# run.sh: a bounded soak (make soak; issue 9, THREATS.md item 42). A real
# server on a temporary database with a few incidents takes wrk's load for
# SOAK_SECONDS (default 60) on SOAK_CONNECTIONS connections (default 32):
# public pages (/, /api/v2/summary.json), an internal page with a session
# cookie (/app/incidents) and the API with a bearer token
# (/api/v1/incidents), in turn (tests/soak/mix.lua). Passes when no answer
# was other than 2xx, wrk saw no socket error, and memory stayed flat: RSS
# (VmRSS from /proc/PID/status, sampled while idle) after the run is within
# SOAK_RSS_GROWTH percent (default 20) of RSS after a warm-up of a sixth of
# the time, and the open file descriptors are as many as after the warm-up.
# Prints PASS/FAIL lines like the HTTP tests, the figures, and exits 1 on
# any FAIL. Needs wrk (tools/deps.sh installs it). Not part of make test.
#
# Then the mixed soak (issue 20), SOAK_MIXED_SECONDS (default 20) twice:
# wrk on / (8 connections), on /api/v2/summary.json (8) and on /healthz
# (1), first alone, then while attackers run: slowloris from 127.0.0.2-4
# (3 x 100 connections sending a header line a second), oversized uploads
# (anonymous 50 MB ingests, a 300 MB one with a token) and raw-line
# searches over 20,000 lines, in loops. Prints / and /healthz p99 for both
# runs; passes when / has no non-2xx answer under attack and its p99 stays
# within 3x of its p99 without attackers.
set -u
cd "$(dirname "$0")/../.." || exit 2
SOAK_SECONDS=${SOAK_SECONDS:-60}
SOAK_CONNECTIONS=${SOAK_CONNECTIONS:-32}
SOAK_RSS_GROWTH=${SOAK_RSS_GROWTH:-20}
SOAK_MIXED_SECONDS=${SOAK_MIXED_SECONDS:-20}
case "$SOAK_SECONDS$SOAK_CONNECTIONS$SOAK_RSS_GROWTH$SOAK_MIXED_SECONDS" in
  *[!0-9]*)
    echo "run.sh: SOAK_SECONDS, SOAK_CONNECTIONS, SOAK_RSS_GROWTH are numbers" >&2
    exit 2
    ;;
esac
if ! command -v wrk >/dev/null; then
  echo "FAIL soak: wrk is not installed (sh tools/deps.sh)"
  exit 1
fi
. tests/http/lib.sh
hs_start
JSON='Content-Type: application/json'
HS_TOKEN=$("$HS_BIN" --db "$DB" token add soak --scope write)
export HS_TOKEN
AUTH="Authorization: Bearer $HS_TOKEN"
login admin "$PW_ADMIN"
HS_SESSION=$(awk '$6=="hs_session"{print $7}' "$T/jar.admin")
export HS_SESSION
req POST /api/v1/components -b "$T/jar.admin" -H "X-CSRF-Token: $CSRF" -H "$JSON" -d '{"name":"Checkout"}'
check "setup: a component" eq "$STATUS" 201
i=1
while [ $i -le 10 ]; do
  req POST /api/v1/incidents -H "$AUTH" -H "$JSON" \
    -d "{\"title\":\"Soak incident $i\",\"components\":[\"Checkout\"]}"
  id=$(jget .id)
  req POST "/api/v1/incidents/$id/updates" -H "$AUTH" -H "$JSON" \
    -d "{\"status\":\"identified\",\"body\":\"Update for incident $i.\"}"
  i=$((i + 1))
done
check "setup: incidents with public updates" eq "$STATUS" 201
# The access log would take most of the time: keep it out of the way.
: >"$T/server.err"

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$HS_PID/status"; }
fds() { ls "/proc/$HS_PID/fd" | wc -l; }
# soak SECONDS NAME: one wrk run; its SOAK line goes to $T/NAME.
soak() {
  wrk -t 2 -c "$SOAK_CONNECTIONS" -d "${1}s" --timeout 5s -s tests/soak/mix.lua \
    "$BASE" >"$T/$2.wrk" 2>&1
  grep '^SOAK ' "$T/$2.wrk" >"$T/$2"
  sleep 1 # let the connections close before sampling
}
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" "$T/$2"; }

warm=$((SOAK_SECONDS / 6))
[ "$warm" -lt 1 ] && warm=1
rss0=$(rss)
soak "$warm" warm
rss1=$(rss)
fd1=$(fds)
soak "$SOAK_SECONDS" main
rss2=$(rss)
fd2=$(fds)
for phase in warm main; do
  check "$phase: wrk ran ($(field responses $phase) answers)" test -n "$(field responses $phase)" -a "$(field responses $phase)" != 0
  check "$phase: no answer other than 2xx" eq "$(field non2xx $phase)" 0
  check "$phase: no socket errors" \
    eq "$(field connect $phase) $(field read $phase) $(field write $phase) $(field timeout $phase)" "0 0 0 0"
done
check "RSS after the run ($rss2 kB) is within $SOAK_RSS_GROWTH% of after the warm-up ($rss1 kB)" \
  test "$((rss2 * 100))" -le "$((rss1 * (100 + SOAK_RSS_GROWTH)))"
check "open file descriptors are flat ($fd1, then $fd2)" eq "$fd2" "$fd1"
req GET /healthz
check "the server still answers" eq "$STATUS" 200
echo "    RSS kB: start $rss0, after warm-up $rss1, end $rss2; $(sed 's/^SOAK //' "$T/main") over ${SOAK_SECONDS}s, $SOAK_CONNECTIONS connections"
sed -n 's/^ *Requests\/sec: */    requests\/s: /p' "$T/main.wrk"

# The mixed soak ----------------------------------------------------------
D=$SOAK_MIXED_SECONDS
LINE='<11>1 2026-11-20T11:41:00.003Z web-1 app 123 - - upstream timed out'
awk -v l="$LINE" 'BEGIN { for (i = 0; i < 20000; i++) print l, i }' >"$T/raw.log"
req POST "/api/v1/incidents/$id/ingest?format=syslog" -H "$AUTH" --data-binary @"$T/raw.log"
check "mixed: setup, 20,000 raw lines" eq "$STATUS" 200
truncate -s 50M "$T/up50"
truncate -s 300M "$T/up300"

# load NAME: wrk on /, summary.json and /healthz for D seconds, at once.
load() {
  wrk -t 1 -c 8 -d "${D}s" --timeout 5s -s tests/soak/one.lua "$BASE/" >"$T/$1.root" 2>&1 &
  w1=$!
  wrk -t 1 -c 8 -d "${D}s" --timeout 5s -s tests/soak/one.lua "$BASE/api/v2/summary.json" >"$T/$1.summary" 2>&1 &
  w2=$!
  wrk -t 1 -c 1 -d "${D}s" --timeout 5s -s tests/soak/one.lua "$BASE/healthz" >"$T/$1.health" 2>&1 &
  w3=$!
  wait $w1 $w2 $w3
}
one() { sed -n "s/^ONE .*$1=\([0-9.]*\).*/\1/p" "$2"; }
# attackers: each loops until D seconds have passed.
attack_uploads() {
  end=$(($(date +%s) + D))
  while [ "$(date +%s)" -lt "$end" ]; do
    curl -s -o /dev/null --max-time 10 -T "$T/up50" -X POST "$BASE/api/v1/incidents/$id/ingest?format=syslog"
    curl -s -o /dev/null --max-time 10 -H "$AUTH" -T "$T/up300" -X POST "$BASE/api/v1/incidents/$id/ingest?format=syslog"
  done
}
attack_search() {
  end=$(($(date +%s) + D))
  while [ "$(date +%s)" -lt "$end" ]; do
    curl -s -o /dev/null --max-time 30 -H "$AUTH" "$BASE/api/v1/incidents/$id/raw?q=timed"
  done
}
load calm
node tests/http/raw.mjs slow "$PORT" 127.0.0.2,127.0.0.3,127.0.0.4 100 "$D" >"$T/slow" &
a1=$!
attack_uploads &
a2=$!
attack_search &
a3=$!
attack_search &
a4=$!
load attack
wait $a1 $a2 $a3 $a4
for phase in calm attack; do
  check "mixed $phase: wrk on / ran ($(one responses "$T/$phase.root") answers)" \
    test -n "$(one responses "$T/$phase.root")"
done
check "mixed: no non-2xx on / under attack" eq "$(one non2xx "$T/attack.root")" 0
check "mixed: no non-2xx on /healthz under attack" eq "$(one non2xx "$T/attack.health")" 0
p0=$(one p99_ms "$T/calm.root")
p1=$(one p99_ms "$T/attack.root")
h0=$(one p99_ms "$T/calm.health")
h1=$(one p99_ms "$T/attack.health")
check "mixed: / p99 under attack ($p1 ms) within 3x of calm ($p0 ms)" \
  awk -v a="$p1" -v b="$p0" 'BEGIN { exit !(a <= 3 * b) }'
echo "    / p99: calm $p0 ms, attack $p1 ms; /healthz p99: calm $h0 ms, attack $h1 ms; summary.json p99: calm $(one p99_ms "$T/calm.summary") ms, attack $(one p99_ms "$T/attack.summary") ms"
echo "    answers /: calm $(one responses "$T/calm.root"), attack $(one responses "$T/attack.root"); slowloris: $(cat "$T/slow")"
hs_stop
