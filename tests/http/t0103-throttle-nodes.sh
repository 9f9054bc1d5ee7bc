# t0103-throttle-nodes: the per-address login throttle (20 failures in 10
# minutes, t0031) is shared by every node on one PostgreSQL database
# (table throttles, schema/015): an address that failed 20 times on node A
# is refused on node B, with the right password too, while another address
# still logs in on B. Names nobody has are counted there as well.
. tests/http/lib.sh
needs_pg "the nodes share their login throttle through PostgreSQL"
B_PID=
trap '[ -z "$B_PID" ] || kill -9 "$B_PID" 2>/dev/null' EXIT
hs_start
A=$BASE
check "node B starts on the same database" node_b_start

# attempt BASE ADDR USER PASSWORD: a login with a fresh form from ADDR;
# prints the status.
attempt() {
  rm -f "$T/ja"
  tok=$(curl -s --interface "$2" -c "$T/ja" -b "$T/ja" "$1/login" |
    sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' | tail -n1)
  curl -s --interface "$2" -c "$T/ja" -b "$T/ja" -o "$T/a.body" \
    -w '%{http_code}' --data-urlencode "username=$3" \
    --data-urlencode "password=$4" --data-urlencode "csrf_token=$tok" \
    "$1/login"
}

check "setup: node B logs in" eq "$(attempt "$B" 127.0.0.21 viewer "$PW_VIEWER")" 303
: >"$T/codes"
i=0
while [ $i -lt 20 ]; do
  i=$((i + 1))
  # Half on each node: the count is one count.
  if [ $((i % 2)) -eq 0 ]; then node=$A; else node=$B; fi
  echo "$(attempt "$node" 127.0.0.22 viewer "wrong-$i")" >>"$T/codes"
done
check "20 failures from one address across both nodes are 401" \
  eq "$(sort -u "$T/codes" | tr '\n' ' ')" "401 "
check "the 21st attempt on node A is 429" eq "$(attempt "$A" 127.0.0.22 viewer wrong-21)" 429
check "node B refuses the address too, right password and all" \
  eq "$(attempt "$B" 127.0.0.22 viewer "$PW_VIEWER")" 429
check "the refusal is the generic message" contains "$T/a.body" "Too many failed attempts"
check "another address still logs in on node B" \
  eq "$(attempt "$B" 127.0.0.23 viewer "$PW_VIEWER")" 303
check "the count is one row in the shared table" \
  eq "$(sql "SELECT failures FROM throttles WHERE key = '127.0.0.22'")" 20
kill -TERM "$B_PID"
wait "$B_PID"
check "node B exits cleanly" eq $? 0
B_PID=
hs_stop
