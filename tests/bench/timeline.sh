#!/bin/sh
# timeline.sh: an incident with 50,000 timeline events (tickets through
# the real ingest path); time to first page of the incident page and of
# the events API, over HTTP with keep-alive, median of 20.
set -eu
N=${BENCH_EVENTS:-50000}
T=$(mktemp -d "${TMPDIR:-/tmp}/hs-bench-tl.XXXXXX")
trap 'kill $HS_PID 2>/dev/null; rm -rf "$T"' EXIT
ID=$(./hindsight --db "$T/b.db" incident open "Big incident")
awk -v n="$N" 'BEGIN {
  print "id,created_at,subject,body,requester,priority,status,tags";
  for (k = 0; k < n; k++) {
    s = k % 86400;
    printf "%d,2026-11-20T%02d:%02d:%02dZ,Ticket %d about checkout,Body %d,c%d@example.com,normal,open,checkout\n", k + 1, int(s / 3600), int(s / 60) % 60, s % 60, k, k, k
  }
}' > "$T/t.csv"
./hindsight --db "$T/b.db" ingest --format tickets-csv --incident "$ID" "$T/t.csv" >/dev/null
printf 'bench-password-1\n' | ./hindsight --db "$T/b.db" user add bench --role viewer 2>/dev/null
TOKEN=$(./hindsight --db "$T/b.db" token add bench --scope read)
./hindsight --db "$T/b.db" serve --listen 127.0.0.1:0 >"$T/out" 2>/dev/null &
HS_PID=$!
while ! grep -q 'listening on' "$T/out"; do sleep 0.1; done
HS=$(sed -n 's/.*listening on \(http:\/\/[0-9.:]*\).*/\1/p' "$T/out")
tok=$(curl -s -c "$T/j" -b "$T/j" "$HS/login" | sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' | tail -n1)
curl -s -o /dev/null -c "$T/j" -b "$T/j" --data "username=bench&password=bench-password-1&csrf_token=$tok" "$HS/login"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
page=$(for i in $(seq 20); do curl -s -o /dev/null -w '%{time_total}\n' -b "$T/j" "$HS/app/incidents/$ID"; done | median)
api=$(for i in $(seq 20); do curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" "$HS/api/v1/incidents/$ID/events?limit=500"; done | median)
printf 'timeline of %d events: incident page (first 500) %ss, events API page of 500 %ss (median of 20)\n' "$N" "$page" "$api"
