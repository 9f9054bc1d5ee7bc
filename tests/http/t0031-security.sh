# t0031-security: hostile input at the HTTP layer (THREATS.md checklist
# items 7-12, 19, 24-31 where curl or a raw socket can reach them):
# traversal, NUL, CRLF, oversized headers and bodies, odd methods, media
# types, request smuggling, SQL metacharacters, stored XSS, an
# unauthenticated crawl of every route in http.c, and the per-address
# login throttle (last: it locks this client out).
. tests/http/lib.sh
hs_start
JSON='Content-Type: application/json'
WRITE=$("$HS_BIN" --db "$DB" token add writer --scope write)
READ=$("$HS_BIN" --db "$DB" token add reader --scope read)
RAW="node tests/http/raw.mjs"
# raw BYTES: sends printf-formatted BYTES on a raw socket; the answer is in
# $T/raw and its status code in RAW_STATUS.
raw() {
  # shellcheck disable=SC2059
  printf "$1" | $RAW send "$PORT" >"$T/raw" 2>/dev/null
  RAW_STATUS=$(head -n1 "$T/raw" | cut -d' ' -f2)
}
alive() { curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz" | grep -q 200; }
not5xx() { case $1 in 5*|000|'') echo "    got [$1]"; return 1;; esac; }
is4xx() { case $1 in 4??) return 0;; esac; echo "    got [$1]"; return 1; }

# Path traversal and NUL -------------------------------------------------
for p in '/static/../../etc/passwd' '/static/..%2f..%2fetc%2fpasswd' \
         '/static/%2e%2e/%2e%2e/etc/passwd' '/static/%2e%2e%2fMakefile' \
         '/static/....//....//etc/passwd' '/static/%252e%252e%252fMakefile' \
         '/static/..%5c..%5cMakefile' '/static/style.css/../../../Makefile'; do
  s=$(curl -s --path-as-is -o "$T/body" -w '%{http_code}' "$BASE$p")
  check "traversal $p is 4xx" is4xx "$s"
  check "traversal $p leaks nothing" sh -c "! grep -q 'root:\|^CC ?=' '$T/body'"
done
req GET /static/style.css
check "a real static file still works" eq "$STATUS" 200
s=$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "$BASE/healthz%00")
check "%00 does not cut a path short (/healthz%00 is 4xx)" is4xx "$s"
s=$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "$BASE/static/style.css%00.js")
check "%00 in a static name is 4xx" is4xx "$s"
raw 'GET /heal\0thz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
check "a raw NUL in the path is 4xx" is4xx "$RAW_STATUS"
raw 'GET /x%% HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
check "a trailing lone %% is 4xx" is4xx "$RAW_STATUS"

# CRLF never reaches response headers -----------------------------------
req GET '/login?next=/app%0d%0aSet-Cookie:%20evil=1%0d%0aX-Evil:%201'
check "CRLF in ?next= is not a header" sh -c "! grep -qi '^set-cookie: evil\|^x-evil' '$T/headers'"
req GET '/app/incidents/x%0d%0aX-Evil:%201'
check "CRLF in a redirected path is not a header" sh -c "! grep -qi '^x-evil' '$T/headers'"
check "the redirect encodes it" grep -qi '^location: /login?next=/app/incidents/x%0D%0AX-Evil' "$T/headers"
raw 'GET /login?next=/a%%0d%%0aX-Evil:1 HTTP/1.1\r\nHost: x\r\nX-CSRF-Token: a\rX-Evil: 2\r\nConnection: close\r\n\r\n'
check "a bare CR in a header value is refused or ignored" sh -c "! grep -qi '^x-evil' '$T/raw'"
check "server alive after CRLF tricks" alive

# Oversized headers, URIs and bodies ------------------------------------
big=$(head -c 70000 /dev/zero | tr '\0' a)
raw "GET / HTTP/1.1\r\nHost: x\r\nX-Big: $big\r\nConnection: close\r\n\r\n"
check "a 70 KB header is 4xx (431)" is4xx "$RAW_STATUS"
raw "GET /api/v1/incidents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer $(head -c 16000 /dev/zero | tr '\0' b)\r\nConnection: close\r\n\r\n"
check "a 16 KB Authorization header is 4xx" is4xx "$RAW_STATUS"
raw "GET /$(head -c 70000 /dev/zero | tr '\0' c) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
check "a 70 KB URI is 4xx" is4xx "$RAW_STATUS"
many=$(awk 'BEGIN { for (i = 0; i < 3000; i++) printf "X-H%d: v\\r\\n", i }')
raw "GET / HTTP/1.1\r\nHost: x\r\n${many}Connection: close\r\n\r\n"
check "3000 headers is 4xx" is4xx "$RAW_STATUS"
head -c 2000000 /dev/zero | tr '\0' x | sed 's/^/{"title":"/; s/$/"}/' > "$T/big.json"
req POST /api/v1/incidents -H "Authorization: Bearer $WRITE" -H "$JSON" --data-binary @"$T/big.json"
check "a 2 MB JSON body is 413" eq "$STATUS" 413
head -c 2000000 /dev/zero | tr '\0' x | sed 's/^/title=/' > "$T/big.form"
login editor "$PW_EDITOR"
req POST /app/incidents -b "$T/jar.editor" --data-binary @"$T/big.form"
check "a 2 MB form is 413" eq "$STATUS" 413
raw "POST /api/v1/incidents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer $WRITE\r\nContent-Length: 99999999999\r\nConnection: close\r\n\r\n{}"
check "a huge Content-Length is 413 at once, before any body" eq "$RAW_STATUS" 413
raw 'POST /api/v1/incidents HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\nConnection: close\r\n\r\n{}'
check "anonymous, the same is 401 at once (who asks comes first)" eq "$RAW_STATUS" 401
check "server alive after oversized input" alive

# Methods, media types, framing ----------------------------------------
for m in TRACE TRACK FOO PROPFIND CONNECT OPTIONS; do
  raw "$m / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
  check "$m / is 4xx or 501, never 500" sh -c "case '$RAW_STATUS' in 4??|501) true;; *) echo '    got [$RAW_STATUS]'; false;; esac"
done
raw 'TRACE /api/v1/incidents HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
check "TRACE on an API route is 405" eq "$RAW_STATUS" 405
req DELETE /api/v1/incidents -H "Authorization: Bearer $WRITE"
check "DELETE on a list is 405" eq "$STATUS" 405
check "405 names the allowed methods" grep -qi '^allow:' "$T/headers"
req POST /api/v1/incidents -H "Authorization: Bearer $WRITE" -H 'Content-Type: text/plain' -d '{"title":"plain"}'
check "JSON endpoint sent text/plain is 415" eq "$STATUS" 415
req POST /api/v1/incidents -H "Authorization: Bearer $WRITE" -H 'Content-Type: application/xml' -d '<title>x</title>'
check "JSON endpoint sent XML is 415" eq "$STATUS" 415
# No route parses multipart bodies (the upload box sends the raw file):
# multipart/form-data is refused, with a NUL in its boundary too.
req POST /api/v1/incidents -H "Authorization: Bearer $WRITE" -F 'title=multipart'
check "multipart/form-data to an API write is 415" eq "$STATUS" 415
printf -- '--a\0b\r\nContent-Disposition: form-data; name="title"\r\n\r\nx\r\n--a\0b--\r\n' >"$T/mp"
req POST /api/v1/incidents -H "Authorization: Bearer $WRITE" -H 'Content-Type: multipart/form-data; boundary=a' --data-binary @"$T/mp"
check "multipart with a NUL in the boundary is 415, no crash" eq "$STATUS" 415
raw 'POST /api/v1/incidents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n'
check "Content-Length with Transfer-Encoding is 400" eq "$RAW_STATUS" 400
raw 'POST /api/v1/incidents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\nConnection: close\r\n\r\n{}x'
check "two Content-Length headers are 400" eq "$RAW_STATUS" 400
raw 'GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'
check "TE list plus CL is 400" eq "$RAW_STATUS" 400
check "server alive after framing tricks" alive

# Data for the remaining checks: an incident, a note, a component, all
# carrying script payloads.
XSS='"><svg onload=alert(1)><script>alert(2)</script><img src=x onerror=alert(3)>{{7*7}}${7*7}'
login admin "$PW_ADMIN"
jx() { jq -cn --arg x "$XSS" "$1"; }
req POST /api/v1/components -b "$T/jar.admin" -H "X-CSRF-Token: $CSRF" -H "$JSON" -d "$(jx '{name:("c " + $x)}')"
check "a component named with a payload is stored or refused, not 5xx" not5xx "$STATUS"
COMP=$(jq -r '.id // empty' "$T/body")
echo "    (component with a payload name: $STATUS)"
req POST /api/v1/components -b "$T/jar.admin" -H "X-CSRF-Token: $CSRF" -H "$JSON" -d '{"name":"plain-web"}'
req POST /api/v1/incidents -H "Authorization: Bearer $WRITE" -H "$JSON" -d "$(jx '{title:$x, summary:$x, components:["plain-web"]}')"
check "incident with a payload title is created" eq "$STATUS" 201
ID=$(jget .id)
req POST "/api/v1/incidents/$ID/events" -H "Authorization: Bearer $WRITE" -H "$JSON" -d "$(jx '{title:$x, body:("[a](javascript:alert(4)) " + $x), kind:"note"}')"
check "note with a payload is created" eq "$STATUS" 201
EV=$(jget .id)
req POST "/app/incidents/$ID/events" -b "$T/jar.admin" --data-urlencode "title=$XSS" --data-urlencode "body=$XSS" --data-urlencode "csrf_token=$CSRF"
check "form note with a payload is accepted, not 5xx" not5xx "$STATUS"

# Every GET route in the table, as admin, substituted with real ids: no
# payload survives unescaped in any HTML page.
routes=$(sed -n 's/^ *{"\([A-Z]*\)", "\([^"]*\)",.*/\1 \2/p' server/routes.c)
check "the route table was extracted" test "$(echo "$routes" | wc -l)" -gt 20
subst() { echo "$1" | sed "s|/events/{id}|/events/$EV|; s|{id}|$ID|g; s|{\*path}|style.css|; s|{[a-z_]*}|1|g"; }
nPages=0
echo "$routes" | while read -r m p; do
  [ "$m" = GET ] || continue
  case $p in */stream) continue;; esac
  u=$(subst "$p")
  curl -s --max-time 5 -o "$T/page" -D "$T/ph" -b "$T/jar.admin" "$BASE$u"
  grep -qi '^content-type: text/html' "$T/ph" || continue
  for bad in '<svg onload' '<script>alert' '<img src=x onerror' 'href="javascript:'; do
    if grep -qF -- "$bad" "$T/page"; then
      echo "FAIL unescaped [$bad] on $u"
    fi
  done
  echo "PASS no unescaped payload on $u"
done
req GET "/app/incidents/$ID" -b "$T/jar.admin"
check "the title is shown escaped" contains "$T/body" '&quot;&gt;&lt;svg onload=alert(1)&gt;'
check "template syntax in user text is shown literally" contains "$T/body" '{{7*7}}'
req GET "/api/v1/incidents/$ID" -H "Authorization: Bearer $READ"
check "the API returns the title as data" eq "$(jget .title)" "$XSS"

# SQL metacharacters in every query parameter of every list route ------
nBad=0
for u in /api/v1/incidents /app/incidents "/api/v1/incidents/$ID/events" \
         "/app/incidents/$ID" /api/v1/components /app/components \
         "/api/v1/events/$EV/history"; do
  urls=
  for q in limit cursor status q kind level source hidden since format next sort order; do
    for v in %27 %22%3B-- %25 %27%20OR%201%3D1-- %5C _ %2A 'NEAR(' %00 -1 99999999999999999999; do
      urls="$urls $BASE$u?$q=$v"
    done
  done
  # One curl, one keep-alive connection: bodies and a status line each.
  # shellcheck disable=SC2086
  curl -s --max-time 60 -b "$T/jar.admin" -H "Authorization: Bearer $READ" \
    -w '\n@@ %{http_code} %{url_effective}\n' $urls >"$T/sq"
  nBad=$((nBad + $(grep '^@@ ' "$T/sq" | grep -cv '^@@ \(200\|400\|404\) ')))
  grep '^@@ ' "$T/sq" | grep -v '^@@ \(200\|400\|404\) ' | sed 's/^/    /'
  if grep -qi 'sqlite\|syntax error\|SQL logic' "$T/sq"; then
    echo "    $u shows SQL internals"
    nBad=$((nBad + 1))
  fi
  check "SQL probes on $u all answered" test "$(grep -c '^@@ ' "$T/sq")" -eq 143
done
check "SQL metacharacters in every list parameter: 200/400/404 only, no SQL text" eq "$nBad" 0
req GET "/api/v1/incidents?status=%27%20OR%201%3D1--" -H "Authorization: Bearer $READ"
check "an injected status filter matches nothing or is refused" sh -c "[ '$STATUS' = 400 ] || [ \"\$(jq '.incidents // .data // . | length' '$T/body')\" = 0 ]"
check "server alive after the SQL probes" alive

# Unauthenticated crawl of every route ----------------------------------
# Public per SPEC §4: status pages, healthz, static, login, the v2 API,
# and /metrics (which answers loopback); issue 19 adds the page's
# theme.css, badges and /embed. Everything else: 401/303/404/405.
nBad=0
while read -r m p; do
  u=$(subst "$p")
  s=$(curl -s --max-time 5 -o "$T/cr" -w '%{http_code}' -X "$m" -H "$JSON" \
    $( [ "$m" = GET ] || echo "-d {}" ) "$BASE$u")
  case "$m $p" in
    "GET /"|"GET /healthz"|"GET /metrics"|"GET /static/"*|"GET /login"|"POST /login"| \
    "GET /history"*|"GET /incidents/"*|"GET /maintenance/"*|"GET /api/v2/"*| \
    "GET /feeds/"*|"GET /subscribe"*|"GET /unsubscribe"| \
    "GET /theme.css"|"GET /badge"*|"GET /embed")
      if ! not5xx "$s" >/dev/null; then echo "    public $m $u gave $s"; nBad=$((nBad + 1)); fi ;;
    # Public forms carry their own CSRF token (403 without), or a
    # token that must exist (404).
    "POST /subscribe"*|"POST /unsubscribe")
      case $s in 400|403|404) ;; *) echo "    public form $m $u gave $s"; nBad=$((nBad + 1)) ;; esac ;;
    *)
      case $s in
        401|303|404|405) ;;
        *) echo "    $m $u gave $s without login"; nBad=$((nBad + 1)) ;;
      esac
      if [ "$s" = 303 ] && ! grep -qi '^location: /login' "$T/cr" 2>/dev/null; then :; fi ;;
  esac
done <<ROUTES
$routes
ROUTES
check "unauthenticated crawl of every route: 401/303/404/405 except public" eq "$nBad" 0
req GET /app/incidents
check "an /app page redirects anonymous users to /login" grep -qi '^location: /login?next=' "$T/headers"
req GET /api/v1/incidents -H 'Authorization: Bearer hs_nonsense'
check "a bad bearer token is 401" eq "$STATUS" 401
check "errors show no internals" sh -c "! grep -qi 'sqlite\|stack\|/work/\|\.c:' '$T/body'"

# Login throttle per address (last: it blocks this client) ---------------
# Failures spread over unknown accounts, so no per-account limit applies.
curl -s -c "$T/jt" -b "$T/jt" -o "$T/l.html" "$BASE/login"
n429=0
i=0
while [ $i -lt 20 ]; do
  tok=$(sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' "$T/l.html" | tail -n1)
  s=$(curl -s -c "$T/jt" -b "$T/jt" -o "$T/l.html" -w '%{http_code}' --data "username=nobody$i&password=wrong-password-$i&csrf_token=$tok" "$BASE/login")
  [ "$s" = 429 ] && n429=$((n429 + 1))
  i=$((i + 1))
done
check "20 failures from one address are each 401, not yet 429" eq "$n429" 0
tok=$(sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' "$T/l.html" | tail -n1)
req POST /login -c "$T/jt" -b "$T/jt" --data "username=admin&password=$PW_ADMIN&csrf_token=$tok"
check "the 21st attempt is 429, even with the right password" eq "$STATUS" 429
check "the throttle message is generic" contains "$T/body" "Too many failed attempts. Try again later."
check "no session is issued while throttled" sh -c "! grep -qi '^set-cookie: hs_session=[0-9a-f]' '$T/headers'"
check "the throttled login is logged" grep -q 'login refused: too many failures from 127.0.0.1' "$T/server.err"
req GET /api/v1/incidents -H "Authorization: Bearer $READ"
check "API tokens keep working from a throttled address" eq "$STATUS" 200
hs_stop
