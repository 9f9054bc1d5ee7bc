# t0033-tls: serve --tls-cert/--tls-key with a self-signed certificate:
# HTTPS works, the session cookie is __Host-hs_session with Secure, and
# Strict-Transport-Security is sent.
. tests/http/lib.sh
if ! command -v openssl >/dev/null 2>&1; then
  echo "FAIL openssl is not installed (tools/deps.sh installs it)"
  exit 1
fi
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
  -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
check "self-signed certificate generated" test -s "$T/cert.pem" -a -s "$T/key.pem"
# The helpers in lib.sh call curl without -k: a curlrc here adds it.
printf 'insecure\n' >"$T/.curlrc"
CURL_HOME=$T
export CURL_HOME

printf '%s\n' "$PW_ADMIN" | "$HS_BIN" --db "$DB" user add admin --role admin
"$HS_BIN" --db "$DB" serve --listen 127.0.0.1:0 --threads 2 \
  --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" >"$T/server.out" 2>"$T/server.err" &
HS_PID=$!
i=0
while ! grep -q 'listening on' "$T/server.out" 2>/dev/null && [ $i -lt 100 ]; do
  i=$((i + 1))
  sleep 0.1
done
check "the server announces https" grep -q 'listening on https://127.0.0.1:' "$T/server.out"
PORT=$(sed -n 's/.*listening on https:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$T/server.out")
BASE=https://127.0.0.1:$PORT

req GET /healthz
check "curl -k https://.../healthz is 200" eq "$STATUS" 200
check "Strict-Transport-Security is sent" grep -qi '^strict-transport-security: max-age=[1-9]' "$T/headers"
s=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/cert.pem" --resolve "localhost:$PORT:127.0.0.1" "https://localhost:$PORT/healthz")
check "the certificate verifies for localhost" eq "$s" 200
s=$(curl -q -s -o /dev/null -w "%{http_code}" "https://127.0.0.1:$PORT/healthz")
check "without -k the self-signed certificate is refused" eq "$s" 000

login admin "$PW_ADMIN"
check "login over TLS redirects (303)" eq "$LOGIN_STATUS" 303
tok=$(curl -s -c "$T/jx" -b "$T/jx" "$BASE/login" | sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' | tail -n1)
curl -s -D "$T/h" -o /dev/null -c "$T/jx" -b "$T/jx" --data "username=admin&password=$PW_ADMIN&csrf_token=$tok" "$BASE/login"
check "session cookie is __Host-hs_session" grep -qi '^set-cookie: __Host-hs_session=[0-9a-f]\{64\};' "$T/h"
check "session cookie has Secure, HttpOnly, SameSite, Path=/" sh -c "grep -i '^set-cookie: __Host-hs_session=' '$T/h' | grep -i 'Path=/;' | grep -i 'HttpOnly' | grep -i 'SameSite=' | grep -qi 'Secure'"
check "__Host- cookie has no Domain" sh -c "! grep -i '^set-cookie: __Host-' '$T/h' | grep -qi 'domain='"
check "no plain hs_session cookie over TLS" sh -c "! grep -qi '^set-cookie: hs_session=' '$T/h'"
req GET /app/incidents -b "$T/jar.admin"
check "the __Host- session works" eq "$STATUS" 200
req POST /api/v1/incidents -b "$T/jar.admin" -H "X-CSRF-Token: $CSRF" -H "Origin: $BASE" -H 'Content-Type: application/json' -d '{"title":"over TLS"}'
check "a same-origin https write with CSRF token is 201" eq "$STATUS" 201
req GET /app/incidents -H "Cookie: hs_session=$(awk '$6 == "__Host-hs_session" { print $7 }' "$T/jar.admin")"
check "the session is not accepted under the plain name" eq "$STATUS" 303

s=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://127.0.0.1:$PORT/healthz")
check "plain HTTP to the TLS port gets no page" test "$s" != 200
req GET /healthz
check "the server survives plain HTTP on the TLS port" eq "$STATUS" 200
hs_stop
