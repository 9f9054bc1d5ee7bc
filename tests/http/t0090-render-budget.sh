# t0090-render-budget: whatever editors, tokens or alerts write, every page
# renders (issue 20, case 1). Twelve status updates of 60,000 ">" (each
# nests 60,000 blockquotes) used to take /, the incident's public page and
# the app's incident page past their render budget (413/503, even after a
# restart). Now: one field's HTML is capped (md.h), / shows each notice's
# newest 3 updates cut short with links to the rest, the app timeline cuts
# long bodies with a link to the whole event; 48 alerts of 60 KB through
# /hooks/generic and ten 65 KB notes leave the incident page a 200; a body
# over its limit is refused with the field named; no render failed. And
# when a render fails anyway (a template broken under --dev), / keeps its
# last good page, logs the failure and counts it in /metrics.
. tests/http/lib.sh
hs_start
JSON='Content-Type: application/json'
WRITE=$("$HS_BIN" --db "$DB" token add writer --scope write)
HOOK=$("$HS_BIN" --db "$DB" token add hook --scope ingest)
AUTH="Authorization: Bearer $WRITE"
login admin "$PW_ADMIN"
req POST /api/v1/components -b "$T/jar.admin" -H "X-CSRF-Token: $CSRF" -H "$JSON" -d '{"name":"Checkout"}'
check "setup: a component" eq "$STATUS" 201
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Big posts","severity":"SEV1","impact":"major","components":["Checkout"]}'
ID=$(jget .id)
check "setup: an incident" test -n "$ID"

# gt N CHAR: N copies of CHAR.
many() { head -c "$1" /dev/zero | tr '\0' "$2"; }
{ printf '{"status":"investigating","body":"'; many 60000 '>'; printf '"}'; } >"$T/u.json"
: >"$T/codes"
i=0
while [ $i -lt 12 ]; do
  req POST "/api/v1/incidents/$ID/updates" -H "$AUTH" -H "$JSON" --data-binary @"$T/u.json"
  echo "$STATUS" >>"$T/codes"
  i=$((i + 1))
done
check "twelve 60,000-'>' updates are accepted" eq "$(grep -c '^201$' "$T/codes")" 12
NUM=$(curl -s "$BASE/api/v2/incidents.json" | jq -r '.incidents[0].id')

req GET /
check "/ renders (200)" eq "$STATUS" 200
check "/ links a cut update to the rest" contains "$T/body" "Read the whole update"
check "/ shows the newest 3 updates and links the 9 others" contains "$T/body" "9 earlier updates"
check "/ stays small (under 1 MB)" test "$(wc -c <"$T/body")" -lt 1000000
req GET "/incidents/$NUM"
check "the incident's public page renders (200)" eq "$STATUS" 200
check "and says where it cut" contains "$T/body" "cut here"
req GET /history.atom
check "the feed renders (200)" eq "$STATUS" 200
req GET /api/v2/summary.json
check "summary.json answers (200)" eq "$STATUS" 200
login editor "$PW_EDITOR"
req GET "/app/incidents/$ID" -b "$T/jar.editor"
check "the app's incident page renders (200)" eq "$STATUS" 200

: >"$T/codes"
i=0
while [ $i -lt 48 ]; do
  { printf '{"title":"alert %s","kind":"alert","component":"Checkout","body":"' "$i"; many 60000 '>'; printf '"}'; } >"$T/a.json"
  req POST /hooks/generic -H "Authorization: Bearer $HOOK" -H "$JSON" --data-binary @"$T/a.json"
  echo "$STATUS" >>"$T/codes"
  i=$((i + 1))
done
check "48 alerts of 60 KB through /hooks/generic are taken" eq "$(grep -c '^200$' "$T/codes")" 48
: >"$T/codes"
i=0
while [ $i -lt 10 ]; do
  { printf '{"title":"note %s","kind":"note","body":"' "$i"; many 65000 '>'; printf '"}'; } >"$T/n.json"
  req POST "/api/v1/incidents/$ID/events" -H "$AUTH" -H "$JSON" --data-binary @"$T/n.json"
  echo "$STATUS" >>"$T/codes"
  i=$((i + 1))
done
check "ten 65 KB notes are taken" eq "$(grep -c '^201$' "$T/codes")" 10
req GET "/app/incidents/$ID" -b "$T/jar.editor"
check "the app's incident page still renders (200)" eq "$STATUS" 200
check "long bodies are cut with a link to the whole event" contains "$T/body" "the whole event"
req GET "/app/incidents/$ID?format=json" -b "$T/jar.editor"
check "its JSON view answers (200)" eq "$STATUS" 200

{ printf '{"status":"investigating","body":"'; many 70000 a; printf '"}'; } >"$T/big.json"
req POST "/api/v1/incidents/$ID/updates" -H "$AUTH" -H "$JSON" --data-binary @"$T/big.json"
check "an update body over its 64 KiB limit is a 4xx" sh -c "case $STATUS in 4??) exit 0;; esac; exit 1"
check "naming the field" sh -c "jq -r .error.message '$T/body' | grep -q '^body'"

req GET /metrics
check "no render failed (/metrics)" contains "$T/body" "hindsight_render_failures_total 0"

# After a restart (no last good copy in memory) the pages still render.
kill -TERM $HS_PID
wait $HS_PID
hs_start
req GET /
check "/ renders after a restart" eq "$STATUS" 200
req GET "/incidents/$NUM"
check "the incident page renders after a restart" eq "$STATUS" 200

# A render that fails anyway keeps the last good page: --dev reads the
# templates from the current directory, so one is broken under a running
# server, after a write made the cached page stale.
kill -TERM $HS_PID
wait $HS_PID
mkdir "$T/site"
cp -r templates web "$T/site/"
HERE=$PWD
cd "$T/site" || exit 1
case $HS_BIN in /*) HS_BIN_ABS=$HS_BIN;; *) HS_BIN_ABS=$HERE/$HS_BIN;; esac
HS_BIN=$HS_BIN_ABS hs_start --dev
req GET /
check "dev: / renders" eq "$STATUS" 200
cp "$T/body" "$T/good.html"
printf '{{#status}}broken' >"$T/site/templates/status.html"
req POST "/api/v1/incidents/$ID/updates" -H "$AUTH" -H "$JSON" -d '{"status":"identified","body":"Newer."}'
check "dev: a new update (the page is stale)" eq "$STATUS" 201
req GET /
check "a failed render serves the last good page (200)" eq "$STATUS" 200
check "the same page as before" cmp -s "$T/body" "$T/good.html"
check "the failure is logged" grep -q 'template status' "$T/server.err"
req GET /metrics
check "and counted in /metrics" sh -c "grep -q '^hindsight_render_failures_total [1-9]' '$T/body'"
cd "$HERE" || exit 1
HS_BIN=$HS_BIN_ABS
hs_stop
