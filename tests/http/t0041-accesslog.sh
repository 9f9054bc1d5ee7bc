# t0041-accesslog: the structured access log (issue 9). Every request
# leaves one logfmt line on stderr: ts, req, ip, method, path, route,
# status, ms, user, auth. Proves: one line per request, each of the fixed
# shape; the fields say who (anonymous, session, token) asked what (route
# pattern, not just the path) and how it ended (status); a hostile path
# cannot break out of its field or forge a line; no query string, cookie,
# CSRF token, bearer token or password is ever written.
. tests/http/lib.sh
hs_start
READ=$("$HS_BIN" --db "$DB" token add reader --scope read)
login admin "$PW_ADMIN"
SESSION=$(awk '$6=="hs_session"{print $7}' "$T/jar.admin")
# Lines are written in batches (server/accesslog.c): a marker request
# starts the lines under test, and the test waits for them to arrive.
req GET /access-log-marker
req GET '/?utm=secret-query-value'
req GET /app/incidents -b "$T/jar.admin"
req GET /api/v1/incidents -H "Authorization: Bearer $READ"
req GET '/api/v1/incidents/7' -H "Authorization: Bearer $READ"
req GET '/nope%22%20status=200%0auser=admin%5c'
rm -f "$T/jb"
tok=$(curl -s -c "$T/jb" -b "$T/jb" "$BASE/login" | sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' | tail -n1)
req POST /login -b "$T/jb" -c "$T/jb" --data-urlencode "username=admin" --data-urlencode "password=wrong-secret-pw" --data-urlencode "csrf_token=$tok"
after_marker() {
  grep '^ts=' "$T/server.err" | sed -n '/path="\/access-log-marker"/,$p' | tail -n +2 >"$T/access"
}
i=0
after_marker
while [ "$(wc -l <"$T/access")" -lt 7 ] && [ $i -lt 100 ]; do
  sleep 0.05
  i=$((i + 1))
  after_marker
done
sleep 0.2 # and nothing more comes
after_marker
check "one access line per request (7)" eq "$(wc -l <"$T/access")" 7
re='^ts=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z req=[0-9]+ ip="[^"]*" method="[A-Z]+" path="[^"]*" route="[^"]*" status=[0-9]{3} ms=[0-9]+ user="[^"]*" auth=(session|token|-)$'
check "every line has the logfmt shape" eq "$(grep -Evc "$re" "$T/access")" 0
check "the first request ids are increasing" \
  sh -c "cut -d' ' -f2 '$T/access' | cut -d= -f2 | sort -n -c"
check "anonymous public page" grep -q 'ip="127.0.0.1" method="GET" path="/" route="/" status=200 ms=[0-9]* user="-" auth=-$' "$T/access"
check "session request names the user" grep -q 'path="/app/incidents" route="/app/incidents" status=200 ms=[0-9]* user="admin" auth=session$' "$T/access"
check "token request names the token" grep -q 'path="/api/v1/incidents" route="/api/v1/incidents" status=200 ms=[0-9]* user="reader" auth=token$' "$T/access"
check "the route is the pattern, the path the id" grep -q 'path="/api/v1/incidents/7" route="/api/v1/incidents/{id}" status=404' "$T/access"
check "a hostile path stays inside its field" grep -q 'path="/nope\\x22 status=200\\x0auser=admin\\x5c" route="-" status=404' "$T/access"
check "no forged line begins with user=" sh -c "! grep -q '^user=' '$T/server.err'"
check "a failed login is logged as a 401 POST" grep -q 'method="POST" path="/login" route="/login" status=401' "$T/access"
check "no query string is logged" sh -c "! grep -q 'secret-query-value' '$T/server.err'"
check "no session cookie is logged" sh -c "! grep -q '$SESSION' '$T/server.err'"
check "no bearer token is logged" sh -c "! grep -q '$READ' '$T/server.err'"
check "no CSRF token is logged" sh -c "! grep -q '$tok' '$T/server.err'"
check "no password is logged" sh -c "! grep -q 'wrong-secret-pw\|$PW_ADMIN' '$T/server.err'"
hs_stop
