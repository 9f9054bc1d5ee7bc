# t0034-slow: slow and half-open clients (THREATS.md item 11, bounded):
# 200 connections that never finish their headers do not stop service; a
# normal request stays fast. SIGTERM with requests in flight drains them
# and exits 0. All from 127.0.0.1, so the per-address cap is raised here
# (t0091 covers the cap and the head deadline).
. tests/http/lib.sh
hs_start --max-conn-per-ip 512
WRITE=$("$HS_BIN" --db "$DB" token add writer --scope write)
JSON='Content-Type: application/json'

# ms CURL-ARGS...: prints the time of one request in milliseconds.
ms() { curl -s -o /dev/null -w '%{time_total}' "$@" | awk '{ printf "%d", $1 * 1000 }'; }

base=$(ms "$BASE/healthz")
node tests/http/raw.mjs hold "$PORT" 200 4 >"$T/hold" &
HOLD=$!
sleep 1
t1=$(ms "$BASE/healthz")
t2=$(ms "$BASE/")
s=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $WRITE" -H "$JSON" -d '{"title":"during slowloris"}' "$BASE/api/v1/incidents")
check "a write succeeds while 200 connections hang" eq "$s" 201
check "healthz stays fast with 200 half-open connections" test "$t1" -lt 1000
check "the status page stays fast with 200 half-open connections" test "$t2" -lt 1000
wait $HOLD
echo "    (healthz ${base} ms alone, ${t1} ms and / ${t2} ms under 200 half-open connections)"
check "all 200 slow connections were accepted and held" grep -q '^opened 200, open 200' "$T/hold"
t3=$(ms "$BASE/healthz")
check "service normal after the slow clients leave" test "$t3" -lt 1000

# SIGTERM while writes are in flight: each got a full answer or none,
# and the server exits 0.
i=0
while [ $i -lt 20 ]; do
  curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $WRITE" -H "$JSON" \
    -d "{\"title\":\"in flight $i\"}" "$BASE/api/v1/incidents" >>"$T/codes" &
  i=$((i + 1))
done
sleep 0.05
node tests/http/raw.mjs hold "$PORT" 20 2 >/dev/null &
sleep 0.1
kill -TERM $HS_PID
wait $HS_PID
rc=$?
wait
check "SIGTERM with requests in flight exits 0" eq "$rc" 0
check "in-flight requests got 201 or no connection, never an error" sh -c "! grep -qv '^\(201\|000\)$' '$T/codes'"
n201=$(grep -c '^201$' "$T/codes")
nDb=$(sql "SELECT count(*) FROM incidents WHERE title LIKE 'in flight %'")
check "every 201 is in the database" test "$nDb" -ge "$n201"
check "the database is whole after the drain" eq "$(db_integrity)" ok
check "the drain is logged" grep -q 'stopped cleanly' "$T/server.err"
rm -rf "$T"
[ $nfail -eq 0 ]
