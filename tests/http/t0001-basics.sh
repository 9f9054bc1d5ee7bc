# t0001-basics: the public page, health, headers, 404/405, static files.
. tests/http/lib.sh
hs_start

req GET /
check "status page answers 200" eq "$STATUS" 200
check "status page is HTML" contains "$T/body" "Service status"
check "status page has a CSP" grep -qi '^content-security-policy: default-src .none.' "$T/headers"
check "CSP has no unsafe-inline" lacks "$T/headers" "unsafe-inline"
check "nosniff on every answer" grep -qi '^x-content-type-options: nosniff' "$T/headers"
check "HTML has a charset" grep -qi '^content-type: text/html; charset=utf-8' "$T/headers"
check "status page carries an ETag" grep -qi '^etag: "' "$T/headers"
etag=$(sed -n 's/^[Ee][Tt][Aa][Gg]: \(.*\)\r$/\1/p' "$T/headers")
req GET / -H "If-None-Match: $etag"
check "If-None-Match answers 304" eq "$STATUS" 304

req GET /healthz
check "healthz answers 200" eq "$STATUS" 200
check "healthz says ok" eq "$(jget .status)" ok

req GET /nope
check "unknown page is 404" eq "$STATUS" 404
req GET /api/v1/nope
check "unknown API path is 404" eq "$STATUS" 404
check "API 404 is a JSON error" eq "$(jget .error.code)" not_found

req DELETE /
check "unknown method on a known path is 405" eq "$STATUS" 405
req TRACE /healthz
check "TRACE is refused" test "$STATUS" -ge 400 -a "$STATUS" -lt 500

req GET /static/style.css
check "stylesheet is served" eq "$STATUS" 200
check "stylesheet has its type" grep -qi '^content-type: text/css' "$T/headers"
req GET /static/..%2fschema%2f001_init.sql
check "static files cannot climb out of web/" eq "$STATUS" 404

req GET /app/incidents
check "anonymous /app redirects to login" eq "$STATUS" 303
check "redirect keeps where to return" grep -qi '^location: /login?next=/app/incidents' "$T/headers"
req GET /api/v1/incidents
check "anonymous API read is 401" eq "$STATUS" 401
check "401 is a JSON error" eq "$(jget .error.code)" unauthorized
req POST /api/v1/incidents -H 'Content-Type: application/json' -d '{"title":"x"}'
check "anonymous API write is 401" eq "$STATUS" 401

# Framing that smuggling relies on is refused.
resp=$(printf 'POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef' \
  | curl -s --max-time 3 telnet://127.0.0.1:$PORT 2>/dev/null | head -n1)
check "duplicate Content-Length is refused with 400" eq "$(printf "%s" "$resp" | cut -c1-12)" "HTTP/1.1 400"
hs_stop
