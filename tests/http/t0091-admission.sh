# t0091-admission: connection admission a few addresses cannot exhaust
# (issue 20, cases 2 and 7). Slowloris from three loopback addresses, each
# connection sending one more header line every second so MHD's idle
# timeout never fires: 3 x 80 connections against a server that takes 120
# in all and 64 per address. /healthz and / from a fourth address keep
# answering while they are held; each slow connection is closed by the
# server (its whole head was due within 3 s) before the attack ends 9 s
# later. An unknown Transfer-Encoding is answered 501 at once, not read
# as a body without end. Bounded: 240 sockets, 9 s.
. tests/http/lib.sh
hs_start --max-connections 120 --header-timeout 3
RAW="node tests/http/raw.mjs"
WRITE=$("$HS_BIN" --db "$DB" token add writer --scope write)

# raw REQUEST: sends it (printf escapes), sets RAW_STATUS.
raw() {
  # shellcheck disable=SC2059
  printf "$1" | $RAW send "$PORT" >"$T/raw" 2>/dev/null
  RAW_STATUS=$(head -n1 "$T/raw" | cut -d' ' -f2)
}

# Case 7: transfer codings we do not implement.
raw "POST /api/v1/incidents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer $WRITE\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n"
check "Transfer-Encoding: gzip, chunked is 501 at once" eq "$RAW_STATUS" 501
check "and says why" contains "$T/raw" "only chunked"
raw "POST /api/v1/incidents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer $WRITE\r\nContent-Type: application/json\r\nTransfer-Encoding: xchunked\r\n\r\n{}"
check "Transfer-Encoding: xchunked is 501 at once" eq "$RAW_STATUS" 501
raw "POST /login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\nusername=a"
check "the same anonymously on a public route" eq "$RAW_STATUS" 501
raw "POST /api/v1/incidents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer $WRITE\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nf\r\n{\"title\":\"ok\"}\r\n0\r\n\r\n"
check "plain chunked still works (201)" eq "$RAW_STATUS" 201

# Case 2: slowloris from 127.0.0.2-4 while 127.0.0.5 asks.
$RAW slow "$PORT" 127.0.0.2,127.0.0.3,127.0.0.4 80 9 >"$T/slow" &
SLOW=$!
sleep 1
: >"$T/codes"
i=0
while [ $i -lt 10 ]; do
  curl -s -o /dev/null --max-time 10 -w '%{http_code}\n' --interface 127.0.0.5 \
    "$BASE/healthz" >>"$T/codes"
  curl -s -o /dev/null --max-time 10 -w '%{http_code}\n' --interface 127.0.0.5 \
    "$BASE/" >>"$T/codes"
  sleep 0.5
  i=$((i + 1))
done
wait $SLOW
cat "$T/slow" | sed 's/^/    /'
check "/healthz and / from another address answered 200 throughout (20 of 20)" \
  eq "$(grep -c '^200$' "$T/codes")" 20
opened=$(sed -n 's/^opened \([0-9]*\),.*/\1/p' "$T/slow")
check "the slow clients got connections" test "${opened:-0}" -gt 0
check "every slow connection was closed by the server (head deadline)" \
  grep -q 'open 0$' "$T/slow"
s=$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.2 "$BASE/healthz")
check "an attacking address is served again once it behaves" eq "$s" 200
hs_stop
