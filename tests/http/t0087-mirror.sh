# t0087-mirror: `serve --mirror DIR` keeps a static copy of the public site
# that nginx (docs/nginx-mirror.conf, run unprivileged on a loopback port)
# serves with the same bytes as Hindsight for / and summary.json; the copy
# follows public changes, is swapped whole (DIR is a symlink, one copy on
# disk, no half site seen by a reader), and nginx keeps answering after
# kill -9 of Hindsight. A real directory at DIR is refused.
. tests/http/lib.sh
NGINX=${NGINX:-/usr/sbin/nginx}
SITE=$T/site

mkdir "$T/realdir"
"$HS_BIN" --db "$T/other.db" serve --listen 127.0.0.1:0 --mirror "$T/realdir" >"$T/refuse.out" 2>"$T/refuse.err"
check "a real directory at DIR is refused (exit 2)" eq "$?" 2
check "with a message naming it" contains "$T/refuse.err" "is not a symbolic link"

hs_start --mirror "$SITE"
TOKEN=$("$HS_BIN" --db "$DB" token add t87 --scope write)
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'
check "DIR is a symlink" test -L "$SITE"
check "the first copy is there at start" test -f "$SITE/index.html"
check "summary.json is in the copy" test -f "$SITE/api/v2/summary.json"

login admin "$PW_ADMIN"
req POST /api/v1/components -b "$T/jar.admin" -H "X-CSRF-Token: $CSRF" -H "$JSON" -d '{"name":"Website"}'
check "component created" eq "$STATUS" 201
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Mirror test"}'
ID=$(jget .id)
req POST "/api/v1/incidents/$ID/updates" -H "$AUTH" -H "$JSON" -d '{"status":"investigating","body":"Mirrored words."}'

# The worker looks for changes every second; wait for this one (bounded).
i=0
while ! grep -q "Mirrored words." "$SITE/incidents/$ID.html" 2>/dev/null && [ $i -lt 100 ]; do
  sleep 0.2; i=$((i + 1))
done
check "the change reaches the copy" contains "$SITE/incidents/$ID.html" "Mirrored words."

# nginx on a free loopback port, unprivileged, serving DIR.
NPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$T/nginx/tmp"
{
  [ "$(id -u)" = 0 ] && echo "user root root;"
  echo "daemon off; worker_processes 1; pid $T/nginx/nginx.pid; error_log $T/nginx/error.log;"
  echo "events { worker_connections 64; }"
  echo "http { access_log off; client_body_temp_path $T/nginx/tmp; proxy_temp_path $T/nginx/tmp;"
  echo "fastcgi_temp_path $T/nginx/tmp; uwsgi_temp_path $T/nginx/tmp; scgi_temp_path $T/nginx/tmp;"
  sed -n '/^server {/,/^}/p' docs/nginx-mirror.conf |
    sed -e "s|listen 80;|listen 127.0.0.1:$NPORT;|" -e "s|root /srv/hindsight/site;|root $SITE;|"
  echo "}"
} >"$T/nginx/nginx.conf"
"$NGINX" -p "$T/nginx" -c "$T/nginx/nginx.conf" 2>"$T/nginx/start.err" &
NGINX_PID=$!
i=0
while ! curl -s -o /dev/null "http://127.0.0.1:$NPORT/" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
NBASE=http://127.0.0.1:$NPORT

same() { # same PATH: nginx's bytes equal Hindsight's
  curl -s -o "$T/a" "$BASE$1" && curl -s -o "$T/b" "$NBASE$1" && cmp -s "$T/a" "$T/b" ||
    { echo "    $1 differs:"; diff "$T/a" "$T/b" | head -8; return 1; }
}
check "nginx serves the status page with Hindsight's bytes" same /
check "nginx serves summary.json with Hindsight's bytes" same /api/v2/summary.json
check "nginx serves the incident page" same "/incidents/$ID"
check "nginx serves /history" same /history
check "nginx serves the badge" same /badge.svg
check "nginx serves a component's badge" same /badge/Website.svg
curl -s -D "$T/nh" -o /dev/null "$NBASE/api/v2/summary.json"
check "nginx sends JSON as JSON" grep -qi '^content-type: application/json' "$T/nh"
check "nginx keeps CORS on v2" grep -qi '^access-control-allow-origin: \*' "$T/nh"

# Readers during rewrites: every answer whole (the swap is one rename).
nbad=0
for k in 1 2 3 4 5 6 7 8; do
  req POST "/api/v1/incidents/$ID/updates" -H "$AUTH" -H "$JSON" -d "{\"status\":\"identified\",\"body\":\"Round $k.\"}"
  for j in 1 2 3 4 5; do
    curl -s -o "$T/r.json" "$NBASE/api/v2/summary.json"
    jq -e .page "$T/r.json" >/dev/null 2>&1 || nbad=$((nbad + 1))
    curl -s -o "$T/r.html" "$NBASE/"
    grep -q '</html>' "$T/r.html" || nbad=$((nbad + 1))
    sleep 0.1
  done
done
check "no reader saw a half-written site" eq "$nbad" 0
i=0
while ! grep -q "Round 8." "$SITE/index.html" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
check "the last change is mirrored" contains "$SITE/index.html" "Round 8."
# The old copy goes right after the swap (and a round may be building the
# next one): wait for the count to settle rather than catch it mid-round.
i=0
while [ "$(ls -d "$SITE".site-* | wc -l)" -ne 1 ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
check "one copy on disk" eq "$(ls -d "$SITE".site-* | wc -l)" 1
check "no leftover link" eq "$(ls -d "$SITE".link-* 2>/dev/null | wc -l)" 0
check "after changes: same page bytes" same /
check "after changes: same summary.json bytes" same /api/v2/summary.json
cp "$T/b" "$T/summary.before"
curl -s -o "$T/home.before" "$BASE/"

kill -9 $HS_PID
wait $HS_PID 2>/dev/null
STATUS=$(curl -s -o "$T/after" -w '%{http_code}' "$NBASE/")
check "after kill -9 nginx still answers /" eq "$STATUS" 200
check "with the last page" cmp -s "$T/after" "$T/home.before"
STATUS=$(curl -s -o "$T/after.json" -w '%{http_code}' "$NBASE/api/v2/summary.json")
check "after kill -9 nginx still answers summary.json" eq "$STATUS" 200
check "with the last summary" cmp -s "$T/after.json" "$T/summary.before"

kill $NGINX_PID 2>/dev/null
wait $NGINX_PID 2>/dev/null
rm -rf "$T"
[ $nfail -eq 0 ]
