# t0038-audit: the audit log (issue 9). Changes made through the API, the
# forms and the CLI, by an editor, an admin, a write token and the CLI, to
# every kind of record; then /api/v1/audit and /app/audit. Proves: only
# admins may read it (anonymous 401/303; viewer, editor and a write token
# 403); the admin nav links it and the editor's does not; every change made
# here is in it exactly once with the right actor, record and action, and
# it holds as many rows as the `changes` table; a refused write (stale
# version) adds nothing; newest first; paging with cursor covers every row
# once; each filter (entity, entity_id, actor, action, from, to as dates
# and as times) returns exactly the matching rows; bad parameters are 400
# naming the parameter; hostile text in a filter matches nothing and in a
# record is escaped on the page; no password or token appears in it.
. tests/http/lib.sh
hs_start
JSON='Content-Type: application/json'
WRITE=$("$HS_BIN" --db "$DB" token add writer --scope write)
AUTH="Authorization: Bearer $WRITE"
login admin "$PW_ADMIN"
A="-b $T/jar.admin -H X-CSRF-Token:$CSRF"
ACSRF=$CSRF
login editor "$PW_EDITOR"
E="-b $T/jar.editor -H X-CSRF-Token:$CSRF"
ECSRF=$CSRF
login viewer "$PW_VIEWER"
V="-b $T/jar.viewer"

# Who may read it --------------------------------------------------------
req GET /api/v1/audit
check "anonymous API read is 401" eq "$STATUS" 401
req GET /app/audit
check "anonymous page read redirects to login" eq "$STATUS" 303
req GET /api/v1/audit $V
check "a viewer gets 403" eq "$STATUS" 403
req GET /app/audit $V
check "a viewer gets 403 on the page" eq "$STATUS" 403
req GET /api/v1/audit $E
check "an editor gets 403" eq "$STATUS" 403
req GET /app/audit $E
check "an editor gets 403 on the page" eq "$STATUS" 403
check "the editor's nav has no audit link" lacks "$T/body" 'href="/app/audit"'
req GET /api/v1/audit -H "$AUTH"
check "a write token gets 403" eq "$STATUS" 403
req GET /app/incidents $A
check "the admin nav links the audit log" contains "$T/body" '<a href="/app/audit">Audit log</a>'

# Changes of every kind; expected rows go to $T/want as
# "entity action actor" (ids checked separately) -------------------------
: >"$T/want"
want() { echo "$1 $2 $3" >>"$T/want"; }
# The users and token made by hs_start and above came from the CLI.
want user create cli
want user create cli
want user create cli
want token create cli
req POST /api/v1/components $A -H "$JSON" -d '{"name":"Checkout <script>alert(1)</script>"}'
CID=$(jget .id)
want component create admin
req PATCH "/api/v1/components/$CID" $A -H "$JSON" -H "If-Match: \"$(jget .version)\"" -d '{"status":"degraded_performance"}'
check "setup: component update" eq "$STATUS" 200
want component update admin
req POST /api/v1/incidents $E -H "$JSON" -d '{"title":"Audit me","severity":"SEV2"}'
ID=$(jget .id)
want incident create editor
req PATCH "/api/v1/incidents/$ID" -H "$AUTH" -H "$JSON" -H "If-Match: \"$(jget .version)\"" -d '{"severity":"SEV1"}'
check "setup: incident update by token" eq "$STATUS" 200
want incident update writer
req PATCH "/api/v1/incidents/$ID" -H "$AUTH" -H "$JSON" -H 'If-Match: "1"' -d '{"severity":"SEV3"}'
check "setup: a stale update is 409 (and must log nothing)" eq "$STATUS" 409
req POST "/api/v1/incidents/$ID/events" $E -H "$JSON" -d '{"title":"First note","body":"x"}'
EV=$(jget .id)
want event create editor
req PATCH "/api/v1/events/$EV" $E -H "$JSON" -H 'If-Match: "1"' -d '{"title":"First note, edited"}'
check "setup: event update" eq "$STATUS" 200
want event update editor
req DELETE "/api/v1/events/$EV" $E -H 'If-Match: "2"'
check "setup: event delete" eq "$STATUS" 200
want event delete editor
req POST /api/v1/actions $E -H "$JSON" -d "{\"incident_id\":$ID,\"title\":\"Add a check\"}"
AID=$(jget .id)
want action create editor
req PATCH "/api/v1/actions/$AID" $E -H "$JSON" -H 'If-Match: "1"' -d '{"status":"in_progress"}'
check "setup: action update" eq "$STATUS" 200
want action update editor
req POST "/api/v1/incidents/$ID/postmortem" $E -H "$JSON" -d '{}'
check "setup: postmortem drafted" eq "$STATUS" 201
want postmortem create editor
req PATCH "/api/v1/incidents/$ID/postmortem" $E -H "$JSON" -H "If-Match: \"$(jget .version)\"" -d '{"tags":["audit"]}'
check "setup: postmortem update" eq "$STATUS" 200
want postmortem update editor
req POST "/api/v1/incidents/$ID/updates" -H "$AUTH" -H "$JSON" -d "{\"status\":\"identified\",\"body\":\"Found it.\",\"components\":{\"Checkout <script>alert(1)</script>\":\"partial_outage\"}}"
check "setup: status update" eq "$STATUS" 201
UID_=$(jget .id)
want update create writer
FROM=$(date -u -d '+1 day' +%Y-%m-%dT10:00:00Z)
UNTIL=$(date -u -d '+1 day' +%Y-%m-%dT11:00:00Z)
req POST /api/v1/maintenances $E -H "$JSON" -d "{\"title\":\"DB upgrade\",\"scheduled_for\":\"$FROM\",\"scheduled_until\":\"$UNTIL\"}"
MID=$(jget .id)
want maintenance create editor
req PATCH "/api/v1/maintenances/$MID" $E -H "$JSON" -H "If-Match: \"$(jget .version)\"" -d '{"title":"DB upgrade, longer"}'
check "setup: maintenance update" eq "$STATUS" 200
want maintenance update editor
req DELETE "/api/v1/maintenances/$MID" $E
check "setup: maintenance delete" eq "$STATUS" 200
want maintenance delete editor
req POST /app/users -b "$T/jar.admin" --data "csrf_token=$ACSRF&name=carol&role=viewer&password=carol-password-1"
check "setup: user added on the page" eq "$STATUS" 303
want user create admin
req POST /app/tokens -b "$T/jar.admin" --data "csrf_token=$ACSRF&name=am&scope=ingest"
check "setup: token added on the page" eq "$STATUS" 201
AMTOK=$(sed -n 's/.*\(hs_[0-9a-f]\{64\}\).*/\1/p' "$T/body" | head -n1)
want token create admin
req POST /app/tokens/am/revoke -b "$T/jar.admin" --data "csrf_token=$ACSRF"
want token revoke admin
req POST /app/users/carol/delete -b "$T/jar.admin" --data "csrf_token=$ACSRF"
check "setup: user deleted on the page" eq "$STATUS" 303
want user delete admin
printf 'viewer-password-2\n' | "$HS_BIN" --db "$DB" user passwd viewer 2>/dev/null
want user update cli
"$HS_BIN" --db "$DB" token revoke writer
want token revoke cli

# Every change is there ---------------------------------------------------
req GET '/api/v1/audit?limit=500' $A
check "the admin reads the API (200)" eq "$STATUS" 200
cp "$T/body" "$T/all.json"
nWant=$(wc -l <"$T/want")
jq -r '.changes[] | "\(.entity) \(.action) \(.actor)"' "$T/all.json" | sort >"$T/got"
sort "$T/want" >"$T/want.sorted"
check "every change made here is in the log exactly once ($nWant)" \
  sh -c "diff '$T/want.sorted' '$T/got' >&2"
check "the log holds every row of the changes table" \
  eq "$(jq '.changes | length' "$T/all.json")" "$(sql 'SELECT count(*) FROM changes')"
check "newest first (ids strictly descending)" \
  eq "$(jq '[.changes[].id] | . == (sort | reverse) and (unique | length) == length' "$T/all.json")" true
check "records carry their ids (incident)" \
  eq "$(jq "[.changes[] | select(.entity == \"incident\") | .entity_id] | unique" -c "$T/all.json")" "[$ID]"
check "the status update row names its update and incident" \
  eq "$(jq -r ".changes[] | select(.entity == \"update\") | \"\(.entity_id) \(.after.incident_id) \(.after.status)\"" "$T/all.json")" "$UID_ $ID identified"
check "an update keeps before and after" \
  eq "$(jq -r '.changes[] | select(.entity == "incident" and .action == "update") | "\(.before.severity) \(.after.severity)"' "$T/all.json")" "SEV2 SEV1"
check "a delete keeps what was deleted" \
  eq "$(jq -r '.changes[] | select(.entity == "maintenance" and .action == "delete") | "\(.before.title) \(.after)"' "$T/all.json")" "DB upgrade, longer null"
check "a user row shows the role, not the password" \
  eq "$(jq -c '.changes[] | select(.entity == "user" and .actor == "admin" and .action == "create") | .after' "$T/all.json")" '{"name":"carol","role":"viewer"}'
check "no password, token or hash is in the log" \
  sh -c "! grep -q 'carol-password-1\|viewer-password-2\|$WRITE\|${AMTOK:-no-token}\|\\\$y\\\$' '$T/all.json'"
check "each row has the documented fields" \
  eq "$(jq -c '.changes[0] | keys' "$T/all.json")" '["action","actor","after","before","entity","entity_id","href","id","ts"]'

# Paging -------------------------------------------------------------------
: >"$T/paged"
cursor=
pages=0
while :; do
  req GET "/api/v1/audit?limit=4${cursor:+&cursor=$cursor}" $A
  [ "$STATUS" = 200 ] || break
  jq -r '.changes[].id' "$T/body" >>"$T/paged"
  pages=$((pages + 1))
  cursor=$(jget '.next_cursor // empty')
  [ -n "$cursor" ] && [ $pages -lt 50 ] || break
done
check "paging by 4 takes ceil(n/4) pages" eq "$pages" "$(( (nWant + 3) / 4 ))"
check "paging covers every row once, in order" \
  eq "$(tr '\n' ' ' <"$T/paged")" "$(jq -r '[.changes[].id] | map(tostring) | join(" ")' "$T/all.json") "

# Filters --------------------------------------------------------------------
# filter NAME QUERY JQ-SELECT: the filtered answer equals the full list
# narrowed by JQ-SELECT.
filter() {
  req GET "/api/v1/audit?limit=500&$2" $A
  got=$(jq -c '[.changes[].id]' "$T/body")
  exp=$(jq -c "[.changes[] | select($3) | .id]" "$T/all.json")
  check "filter $1 ($STATUS)" eq "$got" "$exp"
  check "filter $1 matches something" test "$got" != "[]"
}
filter entity 'entity=event' '.entity == "event"'
filter "entity and id" "entity=incident&entity_id=$ID" ".entity == \"incident\" and .entity_id == $ID"
filter actor 'actor=editor' '.actor == "editor"'
filter action 'action=delete' '.action == "delete"'
filter "actor and action" 'actor=admin&action=create' '.actor == "admin" and .action == "create"'
# Days come from the records, not from `date`: a run near midnight (test-dates
# starts one at 23:59:30) writes records on both sides of it.
NEWEST_DAY=$(jq -r '.changes[0].ts[0:10]' "$T/all.json")
OLDEST_DAY=$(jq -r '.changes[-1].ts[0:10]' "$T/all.json")
filter "from and to one day (dates)" "from=$NEWEST_DAY&to=$NEWEST_DAY" ".ts[0:10] == \"$NEWEST_DAY\""
MID_TS=$(jq -r '.changes[(.changes | length) / 2 | floor].ts' "$T/all.json")
filter "from a time" "from=$MID_TS" ".ts >= \"$MID_TS\""
filter "to a time" "to=$MID_TS" ".ts <= \"$MID_TS\""
req GET "/api/v1/audit?from=$(date -u -d "$NEWEST_DAY +1 day" +%Y-%m-%d)" $A
check "from tomorrow is empty" eq "$(jget '.changes | length')" 0
req GET "/api/v1/audit?to=$(date -u -d "$OLDEST_DAY -1 day" +%Y-%m-%d)" $A
check "to yesterday is empty" eq "$(jget '.changes | length')" 0
req GET "/api/v1/audit?actor=%27%20OR%201%3D1--" $A
check "SQL text in a filter matches nothing (200, empty)" eq "$STATUS $(jget '.changes | length')" "200 0"
for q in limit=0 limit=501 limit=x cursor=-1 cursor=0 from=yesterday to=2026-13-01 entity_id=5 \
  "entity=incident&entity_id=abc" "actor=$(printf 'a%.0s' $(seq 1 65))"; do
  req GET "/api/v1/audit?$q" $A
  p=${q%%=*}
  [ "$p" = entity ] && p=entity_id
  check "bad $q is 400 naming $p" eq "$STATUS $(jget .error.message | cut -d: -f1)" "400 $p"
done

# The page --------------------------------------------------------------------
req GET "/app/audit?entity=component" $A
check "the page is 200 for an admin" eq "$STATUS" 200
check "the page lists the component change" contains "$T/body" "Checkout &lt;script&gt;alert(1)&lt;/script&gt;"
check "hostile text in a record is escaped" lacks "$T/body" "<script>alert(1)"
check "the page links the record" contains "$T/body" 'href="/app/components"'
check "the filter form keeps the choice" contains "$T/body" '<option value="component" selected>'
req GET "/app/audit?limit=2" $A
check "a short page offers the next one" contains "$T/body" "/app/audit?cursor="
if command -v xmllint >/dev/null; then
  # libxml2 knows HTML 4 only: its complaints about HTML5 tags are noise.
  check "the page parses as HTML" sh -c "! xmllint --html --noout '$T/body' 2>&1 | grep 'error' | grep -v 'Tag \(main\|nav\|header\|section\|time\|details\|summary\|aside\|datalist\) invalid'"
fi
hs_stop
