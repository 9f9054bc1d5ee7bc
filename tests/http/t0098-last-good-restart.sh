# t0098-last-good-restart: the last good render of / (and of
# /api/v2/summary.json) is kept in a file beside the database
# (<db>.lastgood/), written whole and renamed into place, and loaded at
# start: a render that fails after a restart still serves it (issue 20).
# Renders are made to fail as t0090 does: --dev reads templates from the
# current directory, and one is broken between two runs. The failure is
# logged and counted in /metrics. Without the kept file the same failure
# is a 503, and once the template is fixed / renders the new data again.
. tests/http/lib.sh
mkdir "$T/site"
cp -r templates web "$T/site/"
HERE=$PWD
case $HS_BIN in /*) ;; *) HS_BIN=$HERE/$HS_BIN;; esac
cd "$T/site" || exit 1
# Beside the database file; on PostgreSQL (no file) in the working
# directory, named after the database (db_local_name()).
KEEP=$DB.lastgood
if [ -n "$HS_PG" ]; then
  KEEP=$T/site/hindsight-pg-$(printf '%s\n' "$DB" | sed -n 's/.*dbname=\([A-Za-z0-9_]*\).*/\1/p').lastgood
fi
hs_start --dev
JSON='Content-Type: application/json'
WRITE=$("$HS_BIN" --db "$DB" token add writer --scope write)
AUTH="Authorization: Bearer $WRITE"
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Kept page","severity":"SEV2","impact":"minor"}'
ID=$(jget .id)
check "setup: an incident" test -n "$ID"
req POST "/api/v1/incidents/$ID/updates" -H "$AUTH" -H "$JSON" -d '{"status":"investigating","body":"Looking into it."}'
check "setup: a public update" eq "$STATUS" 201
req GET /
check "/ renders (200)" eq "$STATUS" 200
check "with the update" contains "$T/body" "Looking into it."
cp "$T/body" "$T/good.html"
req GET /api/v2/summary.json
check "summary.json renders (200)" eq "$STATUS" 200
cp "$T/body" "$T/good.json"
check "/ is kept beside the database" cmp -s "$KEEP/index.html" "$T/good.html"
check "summary.json too" cmp -s "$KEEP/summary.json" "$T/good.json"
check "no temporary file is left" eq "$(ls "$KEEP" | grep -c tmp)" 0

# stop: SIGTERM, exit 0 and no sanitizer report; server.out goes, so the
# next hs_start cannot read the old "listening on" (and the old port).
stop() {
  kill -TERM $HS_PID
  wait $HS_PID
  check "server exits 0 (restart)" eq $? 0
  check "no sanitizer report" sh -c "! grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' '$T/server.err'"
  rm -f "$T/server.out"
}
stop
printf '{{#status}}broken' >"$T/site/templates/status.html"
hs_start --dev
req GET /
check "after a restart, a failed render serves the kept / (200)" eq "$STATUS" 200
check "the same page as before the restart" cmp -s "$T/body" "$T/good.html"
check "as text/html" grep -qi '^content-type: text/html' "$T/headers"
check "the failure is logged" grep -q 'template status' "$T/server.err"
req GET /metrics
check "and counted in /metrics" sh -c "grep -q '^hindsight_render_failures_total [1-9]' '$T/body'"
req POST "/api/v1/incidents/$ID/updates" -H "$AUTH" -H "$JSON" -d '{"status":"identified","body":"Found it."}'
check "a new update (the kept page is stale)" eq "$STATUS" 201
req GET /
check "/ still serves the kept page (200)" eq "$STATUS" 200
check "unchanged" cmp -s "$T/body" "$T/good.html"
check "the kept file is untouched by failures" cmp -s "$KEEP/index.html" "$T/good.html"
req GET /api/v2/summary.json
check "summary.json renders without templates (200)" eq "$STATUS" 200
check "with the new update's status" contains "$T/body" '"status":"identified"'

# Without the kept file the failure has nothing to serve.
stop
rm -r "$KEEP"
hs_start --dev
req GET /
check "no kept file: the failed render is a 503" eq "$STATUS" 503

# Fixed: / renders the new data and the kept copy follows it.
stop
cp "$HERE/templates/status.html" "$T/site/templates/status.html"
hs_start --dev
req GET /
check "fixed template: / renders (200)" eq "$STATUS" 200
check "with the newest update" contains "$T/body" "Found it."
check "and the kept copy is the new page" cmp -s "$KEEP/index.html" "$T/body"
cd "$HERE" || exit 1
hs_stop
