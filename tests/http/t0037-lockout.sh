# t0037-lockout: the per-account login throttle (THREATS.md item 16, ASVS
# 2.2.1: no more than 100 failed attempts per hour per account). The
# failures come from ten loopback addresses (127.0.0.2 to .11, ten each), so
# the per-address throttle (20 in 10 minutes, t0031) never fires and only
# the account count can refuse. Proves: attempts 1-99 are 401, the 100th
# and the right password afterwards (from a fresh address) are 429 with a
# generic message and no session; other accounts still log in from the same
# addresses; the refusal is logged; once the hour has passed (failed_since
# moved back an hour in the real database, so no waiting) the right
# password works again. Session rotation and server-side logout are in
# t0002.
. tests/http/lib.sh
hs_start

# attempt ADDR USER PASSWORD: a login from source address ADDR with a fresh
# form; prints the status, keeps the headers and body in $T/a.*.
attempt() {
  rm -f "$T/ja"
  tok=$(curl -s --interface "$1" -c "$T/ja" -b "$T/ja" "$BASE/login" |
    sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' | tail -n1)
  curl -s --interface "$1" -c "$T/ja" -b "$T/ja" -D "$T/a.headers" \
    -o "$T/a.body" -w '%{http_code}' --data-urlencode "username=$2" \
    --data-urlencode "password=$3" --data-urlencode "csrf_token=$tok" \
    "$BASE/login"
}

s=$(attempt 127.0.0.2 viewer "$PW_VIEWER")
check "setup: logins from 127.0.0.2 reach the server" eq "$s" 303

: >"$T/codes"
n=0
for a in 2 3 4 5 6 7 8 9 10 11; do
  k=0
  while [ $k -lt 10 ]; do
    n=$((n + 1))
    echo "$n $(attempt "127.0.0.$a" editor "wrong-password-$n")" >>"$T/codes"
    k=$((k + 1))
  done
done
check "failures 1-99 for one account are 401" \
  eq "$(awk '$1 < 100 && $2 != 401' "$T/codes" | wc -l)" 0
check "the 100th failure in an hour is 429" eq "$(awk '$1 == 100 {print $2}' "$T/codes")" 429
check "the throttle message is generic" contains "$T/a.body" "Too many failed attempts for this account. Try again later."
check "the database counts 100 failures" \
  eq "$(sql "SELECT failed_logins FROM users WHERE name='editor'")" 100

s=$(attempt 127.0.0.20 editor "$PW_EDITOR")
check "the right password from a fresh address is 429 too" eq "$s" 429
check "no session is issued to a locked account" \
  sh -c "! grep -qi '^set-cookie: hs_session=[0-9a-f]' '$T/a.headers'"
check "the locked-account refusal is logged" grep -q 'login failed for a known user (throttled)' "$T/server.err"
check "the log names no password" sh -c "! grep -q 'wrong-password-' '$T/server.err'"

s=$(attempt 127.0.0.2 viewer "$PW_VIEWER")
check "another account logs in from an address that failed (303)" eq "$s" 303
s=$(attempt 127.0.0.11 admin "$PW_ADMIN")
check "another account logs in from the last address (303)" eq "$s" 303
req GET /api/v1/incidents -b "$T/ja"
check "that session works" eq "$STATUS" 200
s=$(attempt 127.0.0.21 viewer wrong-password)
check "a failure on another account is still an ordinary 401" eq "$s" 401

# The window is an hour: move its start back an hour in the live database.
sql "UPDATE users SET failed_since = failed_since - 3600001 WHERE name='editor'"
s=$(attempt 127.0.0.22 editor "$PW_EDITOR")
check "after the hour the right password works (303)" eq "$s" 303
req GET /api/v1/incidents -b "$T/ja"
check "and its session works" eq "$STATUS" 200
check "a new window starts at zero" \
  eq "$(sql "SELECT failed_logins FROM users WHERE name='editor'")" 0
hs_stop
