# t0068-syslog-ng: the syslog listeners fed by Debian's real syslog-ng,
# which cannot be installed beside rsyslog: tools/syslog-ng.sh downloads
# and unpacks it into build/syslog-ng, and it runs from there with its own
# config, persist file, pid file and control socket in the test's folder.
# Messages written to its private unix-dgram source with `logger` go out
# through network() over UDP, network() over TCP (newline framing, BSD
# format) and syslog() over TCP (RFC 5424, octet counting). Proves: every
# message of each path is stored. If syslog-ng cannot run, this FAILs with
# the reason (it is never skipped).
. tests/http/lib.sh
hs_start --syslog-udp 127.0.0.1:0 --syslog-tcp 127.0.0.1:0
JSON='Content-Type: application/json'
WRITE=$("$HS_BIN" --db "$DB" token add writer --scope write)
UPORT=$(sed -n 's/.*syslog udp listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$T/server.out")
TPORT=$(sed -n 's/.*syslog tcp listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$T/server.out")
req POST /api/v1/incidents -H "Authorization: Bearer $WRITE" -H "$JSON" \
  -d '{"title":"syslog-ng door","started_at":"2024-03-01T09:00:00Z"}'
ID=$(jget .id)
lines() {
  curl -s -H "Authorization: Bearer $WRITE" \
    "$BASE/api/v1/incidents/$ID/raw?q=$1" | jq '.lines | length'
}
wait_lines() {
  k=0
  while [ "$(lines "$1")" != "$2" ] && [ $k -lt 150 ]; do
    sleep 0.2
    k=$((k + 1))
  done
}

if ! ROOT=$(sh tools/syslog-ng.sh 2>"$T/sng-setup.err"); then
  echo "FAIL syslog-ng could not be set up: $(tail -n 3 "$T/sng-setup.err")"
  nfail=$((nfail + 1))
  hs_stop
  exit 1
fi
MODS=$(ls -d "$ROOT"/usr/lib/syslog-ng/3.* | head -n1)
VER=$(basename "$MODS")
cat >"$T/syslog-ng.conf" <<C
@version: $VER
options { chain_hostnames(no); stats_freq(0); };
source s_local { unix-dgram("$T/sng.sock"); };
destination d_udp { network("127.0.0.1" port($UPORT) transport("udp")); };
destination d_tcp { network("127.0.0.1" port($TPORT) transport("tcp")); };
destination d_5424 { syslog("127.0.0.1" port($TPORT) transport("tcp") persist-name("d_5424")); };
filter f_udp { program("sngudp"); };
filter f_tcp { program("sngtcp"); };
filter f_5424 { program("sng5424"); };
log { source(s_local); filter(f_udp); destination(d_udp); };
log { source(s_local); filter(f_tcp); destination(d_tcp); };
log { source(s_local); filter(f_5424); destination(d_5424); };
C
LD_LIBRARY_PATH="$ROOT/usr/lib/syslog-ng" "$ROOT/usr/sbin/syslog-ng" -F \
  -f "$T/syslog-ng.conf" --module-path="$MODS" \
  --persist-file="$T/sng.persist" --pidfile="$T/sng.pid" \
  --control="$T/sng.ctl" >"$T/sng.out" 2>&1 &
SNG_PID=$!
k=0
while [ ! -S "$T/sng.sock" ] && [ $k -lt 100 ] && kill -0 $SNG_PID 2>/dev/null; do
  sleep 0.1
  k=$((k + 1))
done
if ! [ -S "$T/sng.sock" ]; then
  echo "FAIL syslog-ng did not start: $(tail -n 5 "$T/sng.out")"
  nfail=$((nfail + 1))
fi
for i in $(seq 1 15); do
  logger -d -u "$T/sng.sock" -t sngudp "ng udp message $i"
  logger -d -u "$T/sng.sock" -t sngtcp "ng tcp message $i"
  logger -d -u "$T/sng.sock" -t sng5424 "ng rfc5424 message $i"
done
wait_lines "ng%20udp%20message" 15
check "syslog-ng network() UDP: 15 messages stored" eq "$(lines 'ng%20udp%20message')" 15
wait_lines "ng%20tcp%20message" 15
check "syslog-ng network() TCP: 15 messages stored" eq "$(lines 'ng%20tcp%20message')" 15
wait_lines "ng%20rfc5424%20message" 15
check "syslog-ng syslog() TCP (RFC 5424, octet-counted): 15 stored" eq "$(lines 'ng%20rfc5424%20message')" 15
req GET "/api/v1/incidents/$ID/raw?q=ng%20rfc5424%20message%203" -H "Authorization: Bearer $WRITE"
check "syslog(): the program is the source" eq "$(jget '.lines[0].source')" sng5424
check "syslog(): RFC 5424 on the wire" contains "$T/body" '>1 '
if ! kill $SNG_PID 2>/dev/null; then
  echo "FAIL syslog-ng stopped early:"
  tail -n 20 "$T/sng.out" | sed 's/^/    /'
  nfail=$((nfail + 1))
fi
wait $SNG_PID 2>/dev/null
hs_stop
