# t0002-auth: login, sessions, CSRF, roles, API tokens.
. tests/http/lib.sh
hs_start

# A wrong password is refused with a generic message.
curl -s -c "$T/j0" -b "$T/j0" -o "$T/l.html" "$BASE/login"
tok=$(sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' "$T/l.html" | tail -n1)
req POST /login -b "$T/j0" -c "$T/j0" --data "username=admin&password=wrong-password&csrf_token=$tok"
check "wrong password is 401" eq "$STATUS" 401
check "wrong password message is generic" contains "$T/body" "Invalid username or password."
tok=$(sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' "$T/body" | tail -n1)
req POST /login -b "$T/j0" -c "$T/j0" --data "username=nobody&password=wrong-password&csrf_token=$tok"
check "unknown user gets the same message" contains "$T/body" "Invalid username or password."
req POST /login --data "username=admin&password=$PW_ADMIN&csrf_token=$tok"
check "login without its form cookie is 403" eq "$STATUS" 403

login admin "$PW_ADMIN"
check "login redirects (303)" eq "$LOGIN_STATUS" 303
check "session cookie is set" grep -q 'hs_session' "$T/jar.admin"
curl -s -o /dev/null -D "$T/h" -c "$T/jx" -b "$T/jx" "$BASE/login"
tok=$(curl -s -c "$T/jx" -b "$T/jx" "$BASE/login" | sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' | tail -n1)
curl -s -D "$T/h" -o /dev/null -c "$T/jx" -b "$T/jx" --data "username=admin&password=$PW_ADMIN&csrf_token=$tok" "$BASE/login"
check "session cookie is HttpOnly" grep -qi '^set-cookie: hs_session=[0-9a-f]\{64\}; Path=/; HttpOnly; SameSite=Lax' "$T/h"
s1=$(awk '$6=="hs_session"{print $7}' "$T/jx")
s2=$(awk '$6=="hs_session"{print $7}' "$T/jar.admin")
check "each login gets a new session token" test "$s1" != "$s2"
# Logging in again while holding a session rotates it: the old one dies.
cp "$T/jx" "$T/jold"
tok=$(curl -s -c "$T/jx" -b "$T/jx" "$BASE/login?next=/login" | sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' | tail -n1)
curl -s -o /dev/null -c "$T/jx" -b "$T/jx" --data "username=admin&password=$PW_ADMIN&csrf_token=$tok" "$BASE/login"
s3=$(awk '$6=="hs_session"{print $7}' "$T/jx")
check "a session held at login is replaced" test -n "$s3" -a "$s3" != "$s1"
req GET /api/v1/incidents -b "$T/jold"
check "the replaced session no longer works" eq "$STATUS" 401

req GET /app/incidents -b "$T/jar.admin"
check "logged-in admin sees incidents" eq "$STATUS" 200
check "page shows who is logged in" contains "$T/body" "admin"
# Cookie names are case-sensitive: libmicrohttpd's lookup is not, so a
# cookie planted as HS_SESSION was taken for ours (found by fuzz_cookie).
sa=$(awk '$6=="hs_session"{print $7}' "$T/jar.admin")
req GET /api/v1/incidents -H "Cookie: HS_SESSION=$sa"
check "a session cookie under another case is not a session (401)" eq "$STATUS" 401
req GET /api/v1/incidents -H "Cookie: hs_session=$sa"
check "the same value under its own name is (200)" eq "$STATUS" 200

# Unsafe redirects after login are refused.
tok=$(curl -s -c "$T/jn" -b "$T/jn" "$BASE/login" | sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' | tail -n1)
req POST /login -b "$T/jn" -c "$T/jn" --data "username=admin&password=$PW_ADMIN&csrf_token=$tok&next=//evil.example/x"
check "next=//evil is not followed" grep -qi '^location: /app/incidents' "$T/headers"

# CSRF: a cookie write without its token is refused.
req POST /api/v1/incidents -b "$T/jar.admin" -H 'Content-Type: application/json' -d '{"title":"no token"}'
check "cookie API write without X-CSRF-Token is 403" eq "$STATUS" 403
req POST /api/v1/incidents -b "$T/jar.admin" -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' -d '{"title":"with token"}'
check "cookie API write with X-CSRF-Token is 201" eq "$STATUS" 201
req POST /app/incidents -b "$T/jar.admin" --data "title=form+without+token"
check "form post without csrf_token is 403" eq "$STATUS" 403
req POST /api/v1/incidents -b "$T/jar.admin" -H "X-CSRF-Token: $CSRF" -H 'Origin: http://evil.example' -H 'Content-Type: application/json' -d '{"title":"cross origin"}'
check "foreign Origin is 403 even with the token" eq "$STATUS" 403

# Roles: a viewer can read but not write.
login viewer "$PW_VIEWER"
req GET /api/v1/incidents -b "$T/jar.viewer"
check "viewer can read the API" eq "$STATUS" 200
req POST /api/v1/incidents -b "$T/jar.viewer" -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' -d '{"title":"viewer write"}'
check "viewer write is 403" eq "$STATUS" 403
req GET /app/incidents/new -b "$T/jar.viewer"
check "viewer cannot open the declare form" eq "$STATUS" 403
login editor "$PW_EDITOR"
req POST /api/v1/components -b "$T/jar.editor" -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' -d '{"name":"Web"}'
check "editor cannot create components (admin only)" eq "$STATUS" 403

# Logout ends the session on the server: replaying the cookie fails.
login viewer "$PW_VIEWER"
cp "$T/jar.viewer" "$T/replay"
req POST /logout -b "$T/jar.viewer" -c "$T/jar.viewer" --data "csrf_token=$CSRF"
check "logout redirects to /login" grep -qi '^location: /login' "$T/headers"
req GET /api/v1/incidents -b "$T/replay"
check "a session cookie replayed after logout is 401" eq "$STATUS" 401

# A password change ends the user's other sessions.
login editor "$PW_EDITOR"
printf 'editor-password-2\n' | "$HS_BIN" --db "$DB" user passwd editor 2>/dev/null
req GET /api/v1/incidents -b "$T/jar.editor"
check "sessions end when the password changes" eq "$STATUS" 401

# API tokens: scopes, and only a hash is stored.
READ=$("$HS_BIN" --db "$DB" token add reader --scope read)
WRITE=$("$HS_BIN" --db "$DB" token add writer --scope write)
INGEST=$("$HS_BIN" --db "$DB" token add feeder --scope ingest)
check "token is printed alone" test "$(printf '%s' "$READ" | wc -l)" -eq 0 -a -n "$READ"
check "only the token hash is stored" test "$(sql "SELECT count(*) FROM api_tokens WHERE token_hash LIKE '%$READ%' OR token_hash = '$READ'")" = 0
req GET /api/v1/incidents -H "Authorization: Bearer $READ"
check "read token can read" eq "$STATUS" 200
req POST /api/v1/incidents -H "Authorization: Bearer $READ" -H 'Content-Type: application/json' -d '{"title":"read token write"}'
check "read token cannot write (403)" eq "$STATUS" 403
req POST /api/v1/incidents -H "Authorization: Bearer $WRITE" -H 'Content-Type: application/json' -d '{"title":"write token"}'
check "write token can write without CSRF" eq "$STATUS" 201
req GET /api/v1/incidents -H "Authorization: Bearer $INGEST"
check "ingest token cannot read incidents" eq "$STATUS" 403
req GET /api/v1/incidents -H "Authorization: Bearer hs_0000"
check "a bad token is 401, not anonymous" eq "$STATUS" 401
check "the error does not echo the token" lacks "$T/body" "hs_0000"
"$HS_BIN" --db "$DB" token revoke writer
req GET /api/v1/incidents -H "Authorization: Bearer $WRITE"
check "a revoked token is 401" eq "$STATUS" 401
req GET /app/incidents -H "Authorization: Bearer $READ"
check "bearer tokens do not open /app pages" eq "$STATUS" 303
hs_stop
