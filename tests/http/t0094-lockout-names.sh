# t0094-lockout-names: the account lockout does not reveal which names
# exist (issue 20, case 6). 100 failed logins for a name that exists and
# 100 for a name nobody has, each from ten loopback addresses (ten a piece,
# under the per-address throttle): after every attempt both answers have
# the same status, and the 100th and later are 429 with the same page
# (the per-form token aside). Bounded: 202 logins, no waiting.
. tests/http/lib.sh
hs_start

# attempt ADDR USER PASSWORD: prints the status; the page is in $T/a.body.
attempt() {
  rm -f "$T/ja"
  tok=$(curl -s --interface "$1" -c "$T/ja" -b "$T/ja" "$BASE/login" |
    sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' | tail -n1)
  curl -s --interface "$1" -c "$T/ja" -b "$T/ja" -o "$T/a.body" \
    -w '%{http_code}' --data-urlencode "username=$2" \
    --data-urlencode "password=$3" --data-urlencode "csrf_token=$tok" \
    "$BASE/login"
  # The page without its per-form token and the name typed in.
  sed 's/value="[0-9a-f]*"/value=""/g; s/editor-x/NAME/g; s/nobody-x/NAME/g' \
    "$T/a.body" >"$T/a.norm"
}

# Two names of the same length, so the pages can be compared byte for byte
# once the name is replaced: one exists, one does not.
printf '%s\n' "pw-editor-x-1" | "$HS_BIN" --db "$DB" user add editor-x --role editor

: >"$T/diff"
n=0
for a in 2 3 4 5 6 7 8 9 10 11; do
  k=0
  while [ $k -lt 10 ]; do
    n=$((n + 1))
    s1=$(attempt "127.0.0.$a" editor-x "wrong-$n")
    cp "$T/a.norm" "$T/known.norm"
    s2=$(attempt "127.0.0.$a" nobody-x "wrong-$n")
    if [ "$s1" != "$s2" ] || ! cmp -s "$T/known.norm" "$T/a.norm"; then
      echo "$n $s1 $s2" >>"$T/diff"
    fi
    echo "$n $s1 $s2" >>"$T/codes"
    k=$((k + 1))
  done
done
check "known and unknown names get the same status and page, attempts 1-100" \
  eq "$(wc -l <"$T/diff")" 0
head -3 "$T/diff" | sed 's/^/    /'
check "attempt 99 is 401 for both" eq "$(awk '$1 == 99 {print $2, $3}' "$T/codes")" "401 401"
check "attempt 100 is 429 for both" eq "$(awk '$1 == 100 {print $2, $3}' "$T/codes")" "429 429"
s1=$(attempt 127.0.0.30 editor-x "pw-editor-x-1")
cp "$T/a.norm" "$T/known.norm"
s2=$(attempt 127.0.0.30 nobody-x "pw-editor-x-1")
check "once locked, the right password and any password look alike (429)" eq "$s1 $s2" "429 429"
check "and their pages are the same" cmp -s "$T/known.norm" "$T/a.norm"
s=$(attempt 127.0.0.31 viewer "$PW_VIEWER")
check "other accounts still log in" eq "$s" 303
hs_stop
