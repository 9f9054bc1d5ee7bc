# t0008-users: the admin pages for users and API tokens.
. tests/http/lib.sh
hs_start
login admin "$PW_ADMIN"
req GET /app/users -b "$T/jar.admin"
check "admins see the users page" contains "$T/body" "Users and tokens"
check "the page lists users" contains "$T/body" "viewer"
req POST /app/users -b "$T/jar.admin" --data "csrf_token=$CSRF&name=carol&role=editor&password=carol-password-1"
check "adding a user redirects" eq "$STATUS" 303
check "the user exists with its role" eq "$(sql "SELECT role FROM users WHERE name='carol'")" editor
req POST /app/users -b "$T/jar.admin" --data "csrf_token=$CSRF&name=carol&role=editor&password=carol-password-1"
check "a duplicate name is 409" eq "$STATUS" 409
req POST /app/users -b "$T/jar.admin" --data "csrf_token=$CSRF&name=dave&role=editor&password=short"
check "a short password is 400" eq "$STATUS" 400
req POST /app/users -b "$T/jar.admin" --data "name=eve&role=admin&password=eve-password-123"
check "adding a user without CSRF is 403" eq "$STATUS" 403
req POST /app/tokens -b "$T/jar.admin" --data "csrf_token=$CSRF&name=alertmanager&scope=ingest"
check "creating a token shows it once" grep -q '<pre class="token">hs_[0-9a-f]\{64\}</pre>' "$T/body"
TOK=$(sed -n 's/.*<pre class="token">\(hs_[0-9a-f]*\)<\/pre>.*/\1/p' "$T/body")
check "only the hash is stored" eq "$(sql "SELECT count(*) FROM api_tokens WHERE token_hash = '$TOK'")" 0
req GET /app/users -b "$T/jar.admin"
check "the list does not show the token again" lacks "$T/body" "$TOK"
req POST /hooks/generic -H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' -d '{"title":"x"}'
check "the new token works" test "$STATUS" -eq 200
req POST /app/tokens/alertmanager/revoke -b "$T/jar.admin" --data "csrf_token=$CSRF"
check "revoking redirects" eq "$STATUS" 303
req POST /hooks/generic -H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' -d '{"title":"x"}'
check "a revoked token is refused" eq "$STATUS" 401
req POST /app/users/admin/delete -b "$T/jar.admin" --data "csrf_token=$CSRF"
check "admins cannot delete themselves" eq "$STATUS" 400
req POST /app/users/carol/delete -b "$T/jar.admin" --data "csrf_token=$CSRF"
check "deleting a user" eq "$(sql "SELECT count(*) FROM users WHERE name='carol'")" 0
login editor "$PW_EDITOR"
req GET /app/users -b "$T/jar.editor"
check "editors cannot open the users page" eq "$STATUS" 403
req POST /app/tokens -b "$T/jar.editor" --data "csrf_token=$CSRF&name=x&scope=write"
check "editors cannot create tokens" eq "$STATUS" 403
hs_stop
