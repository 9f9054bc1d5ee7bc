# t0040-search: the knowledge base. Ranking on a fixed corpus, snippets
# with <mark>, every filter, paging, hostile queries, the index following
# edits and deletes (API and direct SQL), XSS in snippets, similar
# incidents with their reasons, and the recurring-causes page.
. tests/http/lib.sh
hs_start
TOKEN=$("$HS_BIN" --db "$DB" token add api --scope write)
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'
login admin "$PW_ADMIN"
for c in Checkout Database Website; do
  req POST /api/v1/components -b "$T/jar.admin" -H "X-CSRF-Token: $CSRF" -H "$JSON" -d "{\"name\":\"$c\"}"
done
login viewer "$PW_VIEWER"
V="-b $T/jar.viewer"

# The corpus. Every incident before the insights check has a fixed start:
# insights show the 12 quarters up to the newest start, so one started
# "now" would move the quarters with the date the test runs on.
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Load balancer misrouted traffic","severity":"SEV2","components":["Checkout"],"started_at":"2026-03-01T09:00:00Z"}'
I1=$(jget .id)
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Database overload","severity":"SEV3","components":["Database"],"summary":"The load balancer kept sending traffic to the primary.","started_at":"2025-11-10T12:00:00Z"}'
I2=$(jget .id)
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Payment timeouts at checkout","severity":"SEV1","components":["Checkout","Website"],"started_at":"2026-05-05T08:00:00Z"}'
I3=$(jget .id)
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"XSS <img src=x onerror=alert(1)> quokka","summary":"quokka <script>alert(2)</script> body","started_at":"2026-06-01T10:00:00Z"}'
I4=$(jget .id)

req POST "/api/v1/incidents/$I1/postmortem" -H "$AUTH" -H "$JSON" -d '{}'
req GET "/api/v1/incidents/$I1/postmortem" -H "$AUTH"
PMV=$(jget .version)
printf '{"body":"# Postmortem\\n\\n## Root cause\\n\\n<!-- Ask why -->\\nA weighted pool config pushed all traffic to one server.\\n\\n## Resolution\\n\\nRolled back the pool; zeppelin.\\n","root_cause_category":"change_config","tags":["lb","config"]}' > "$T/pm.json"
req PATCH "/api/v1/incidents/$I1/postmortem" -H "$AUTH" -H "$JSON" -H "If-Match: \"$PMV\"" --data-binary @"$T/pm.json"
check "postmortem edited" eq "$STATUS" 200
req POST "/api/v1/incidents/$I3/events" -H "$AUTH" -H "$JSON" -d '{"kind":"note","title":"Rolled back the balancer change","body":"walrus <b>bold</b> note"}'
EV=$(jget .id)
req POST "/api/v1/incidents/$I3/events" -H "$AUTH" -H "$JSON" -d '{"kind":"log","title":"walrus in a log line"}'
req POST /api/v1/actions -H "$AUTH" -H "$JSON" -d "{\"incident_id\":$I1,\"title\":\"Add a canary for balancer config\"}"
ACT=$(jget .id)

S=/api/v1/search
# Ranking: a title match ranks above a body match.
req GET "$S?q=balancer&type=incident" $V
check "search answers 200" eq "$STATUS" 200
check "title match first" eq "$(jget '.hits[0].id')" "$I1"
check "body match second" eq "$(jget '.hits[1].id')" "$I2"
check "scores do not increase" eq "$(jget '.hits[0].score >= .hits[1].score')" true
check "hit shape: type" eq "$(jget '.hits[0].type')" incident
check "hit shape: incident_id" eq "$(jget '.hits[0].incident_id')" "$I1"
check "hit shape: title" eq "$(jget '.hits[0].title')" "Load balancer misrouted traffic"
check "snippet highlights with <mark>" contains "$T/body" '<mark>balancer</mark>'
req GET "$S?q=balancer" $V
check "all four types match balancer" eq "$(jget '[.hits[].type] | unique | length')" 4
check "the title-heavy hits come before the body match" eq "$(jget '.hits[-1].id')" "$I2"
req GET "$S?q=bala" $V
check "the last word is a prefix" eq "$(jget '.hits | length > 0')" true
req GET "$S?q=%22misrouted+load%22" $V
check "a quoted phrase must be adjacent" eq "$(jget '.hits | length')" 0
req GET "$S?q=%22load+balancer+misrouted%22" $V
check "a quoted phrase in order matches" eq "$(jget '.hits[0].id')" "$I1"
req GET "$S?q=weighted+pool" $V
check "postmortem root cause is searchable" eq "$(jget '.hits[0].type')" postmortem
check "postmortem hit links to its incident" eq "$(jget '.hits[0].incident_id')" "$I1"
check "postmortem hit has its status" eq "$(jget '.hits[0].status')" draft
check "postmortem url" eq "$(jget '.hits[0].url')" "/app/incidents/$I1/postmortem"
req GET "$S?q=ask+why" $V
check "template prompts (HTML comments) are not indexed" eq "$(jget '.hits | length')" 0
req GET "$S?q=walrus" $V
check "notes are indexed, log lines are not" eq "$(jget '.hits | length')" 1
check "event hit links to its anchor" eq "$(jget '.hits[0].url')" "/app/incidents/$I3#e$EV"
req GET "$S?q=canary" $V
check "action items are indexed" eq "$(jget '.hits[0].type')" action
check "action url" eq "$(jget '.hits[0].url')" "/app/actions?incident=$I1"

# Filters.
req GET "$S?q=balancer&type=postmortem" $V
check "type filter" eq "$(jget '[.hits[].type] | unique | join(",")')" postmortem
req GET "$S?q=balancer&component=Database" $V
check "component filter" eq "$(jget '[.hits[].incident_id] | unique | join(",")')" "$I2"
req GET "$S?q=balancer&severity=SEV1" $V
check "severity filter" eq "$(jget '[.hits[].incident_id] | unique | join(",")')" "$I3"
req GET "$S?q=balancer&category=change_config" $V
check "category filter" eq "$(jget '[.hits[].incident_id] | unique | join(",")')" "$I1"
req GET "$S?q=balancer&tag=LB" $V
check "tag filter (any case)" eq "$(jget '[.hits[].incident_id] | unique | join(",")')" "$I1"
req GET "$S?q=balancer&from=2026-01-01" $V
check "from filter drops the older incident" eq "$(jget "[.hits[].incident_id] | index($I2)")" null
req GET "$S?q=balancer&to=2025-12-31" $V
check "to filter (inclusive day)" eq "$(jget '[.hits[].incident_id] | unique | join(",")')" "$I2"
req GET "$S?q=balancer&from=2026-02-01T00:00:00Z&to=2026-04-01&type=incident" $V
check "from and to together" eq "$(jget '[.hits[].id] | join(",")')" "$I1"
req GET "$S?q=balancer&type=bogus" $V
check "unknown type is 400" eq "$STATUS" 400
req GET "$S?q=balancer&severity=SEV9" $V
check "unknown severity is 400" eq "$STATUS" 400
req GET "$S?q=balancer&category=aliens" $V
check "unknown category is 400" eq "$STATUS" 400
req GET "$S?q=balancer&from=yesterday" $V
check "bad date is 400" eq "$STATUS" 400
req GET "$S?q=balancer&limit=0" $V
check "limit 0 is 400" eq "$STATUS" 400

# Paging.
req GET "$S?q=balancer&limit=2" $V
check "a full page has a next cursor" eq "$(jget .next_cursor)" 2
FIRST=$(jget '[.hits[] | (.type + (.id|tostring))] | join(",")')
req GET "$S?q=balancer&limit=2&cursor=2" $V
SECOND=$(jget '[.hits[] | (.type + (.id|tostring))] | join(",")')
check "the next page has other hits" eq "$(printf '%s' "$SECOND" | grep -c "$FIRST")" 0
req GET "$S?q=balancer&limit=100&cursor=4" $V
check "the last page has no cursor" eq "$(jget .next_cursor)" null

# Hostile queries: always 200 (an empty list when nothing is usable).
head -c 10240 /dev/zero | tr '\0' 'a' > "$T/big.txt"
awk 'BEGIN { for (i = 0; i < 2000; i++) printf "w%d ", i }' > "$T/many.txt"
for q in '"' '""' 'a-b' 'NEAR(' 'NEAR(a b, 2)' 'col:x' 'title:balancer' '*' '^' '^balancer' \
  'balancer*' 'a OR' 'AND' 'NOT' '(' ')' '{title}:x' '+' '-' \
  "' OR 1=1 --" "'; DROP TABLE incidents; --" '%' '_' '\' 'café' '東京' '😀' '🔥 balancer' \
  'é' "$(printf 'bad\377utf')"; do
  curl -s -o "$T/body" -w '%{http_code}' -G $V --data-urlencode "q=$q" "$BASE$S" > "$T/status"
  st=$(cat "$T/status")
  check "hostile query [$q] is 200 or 400" sh -c "[ $st = 200 ] || [ $st = 400 ]"
  check "hostile query [$q] is never 5xx" sh -c "[ $st -lt 500 ]"
done
# (Bearer: with a session cookie, libmicrohttpd drops URLs over ~8.5 KB
# before any handler runs; reported to the http.c owners.)
STATUS=$(curl -s -o "$T/body" -w '%{http_code}' -G -H "$AUTH" --data-urlencode "q@$T/big.txt" "$BASE$S")
check "a 10 KB query is 200" eq "$STATUS" 200
check "a 10 KB query gives an empty list" eq "$(jget '.hits | length')" 0
STATUS=$(curl -s -o "$T/body" -w '%{http_code}' -G -H "$AUTH" --data-urlencode "q@$T/many.txt" "$BASE$S")
check "a query of 2000 words is 200" eq "$STATUS" 200
req GET "$S?q=%22" $V
check "a lone quote gives an empty list" eq "$(jget '.hits | length')" 0
req GET "$S?q=title%3Abalancer" $V
check "column syntax is just words" eq "$STATUS" 200
req GET "$S?q=caf%C3%A9" $V
check "unicode query" eq "$STATUS" 200
req GET "$S" $V
check "no q is an empty list" eq "$(jget '.hits | length')" 0

# The index follows edits and deletes.
req GET "/api/v1/incidents/$I2" -H "$AUTH"
req PATCH "/api/v1/incidents/$I2" -H "$AUTH" -H "$JSON" -H "If-Match: \"$(jget .version)\"" -d '{"title":"Replica storm"}'
check "incident renamed" eq "$STATUS" 200
req GET "$S?q=overload&type=incident" $V
check "old title word no longer finds it" eq "$(jget '.hits | length')" 0
req GET "$S?q=storm&type=incident" $V
check "new title word finds it" eq "$(jget '.hits[0].id')" "$I2"
req GET "$S?q=misrouted&type=postmortem" $V
check "a postmortem carries its incident title" eq "$(jget '.hits[0].incident_id')" "$I1"
req GET "/api/v1/incidents/$I1" -H "$AUTH"
req PATCH "/api/v1/incidents/$I1" -H "$AUTH" -H "$JSON" -H "If-Match: \"$(jget .version)\"" -d '{"title":"Load balancer sent traffic astray"}'
req GET "$S?q=misrouted&type=postmortem" $V
check "renaming the incident renames its postmortem document" eq "$(jget '.hits | length')" 0
req GET "$S?q=astray&type=postmortem" $V
check "the postmortem has the new title" eq "$(jget '.hits[0].incident_id')" "$I1"
req DELETE "/api/v1/events/$EV" -H "$AUTH" -H 'If-Match: "1"'
check "note deleted" eq "$STATUS" 200
req GET "$S?q=walrus" $V
check "a soft-deleted note disappears" eq "$(jget '.hits | length')" 0
req PATCH "/api/v1/actions/$ACT" -H "$AUTH" -H "$JSON" -H 'If-Match: "1"' -d '{"title":"Add a smoke test for pool weights"}'
req GET "$S?q=canary" $V
check "an edited action loses its old words" eq "$(jget '.hits | length')" 0
req GET "$S?q=smoke+test" $V
check "an edited action has its new words" eq "$(jget '.hits[0].id')" "$ACT"
sql "INSERT INTO events (incident_id, ts, kind, title, body, created_at, updated_at) VALUES ($I2, 0, 'change', 'Narwhal deploy', '', 0, 0)"
req GET "$S?q=narwhal" $V
check "a row written by plain SQL is indexed (triggers)" eq "$(jget '.hits[0].type')" event
sql "DELETE FROM events WHERE title = 'Narwhal deploy'"
req GET "$S?q=narwhal" $V
check "a row deleted by plain SQL leaves the index" eq "$(jget '.hits | length')" 0
check "the queue is empty after a search" eq "$(sql 'SELECT count(*) FROM search_queue')" 0
check "index and sources agree" eq "$(sql "SELECT count(*) FROM search_index")" \
  "$(sql "SELECT (SELECT count(*) FROM incidents) + (SELECT count(*) FROM postmortems) + (SELECT count(*) FROM actions) + (SELECT count(*) FROM events WHERE deleted = 0 AND kind IN ('note','change','status_update'))")"
if sqlite_file_part "FTS5's integrity check"; then
  check "fts5 integrity check" sql "INSERT INTO search_index(search_index) VALUES('integrity-check')"
fi

# XSS: titles and bodies stay escaped in snippets.
req GET "$S?q=quokka" $V
check "xss: the hit is found" eq "$(jget '.hits[0].id')" "$I4"
jget '.hits[0].snippet, .hits[0].title_html' > "$T/snip"
check "xss: no raw <img in the API snippet" lacks "$T/snip" '<img'
check "xss: no raw <script in the API snippet" lacks "$T/snip" '<script'
check "xss: escaped in the API snippet" contains "$T/snip" '&lt;img src=x onerror=alert(1)&gt;'
req GET "/app/search?q=quokka" $V
check "search page 200" eq "$STATUS" 200
check "xss: no raw <img on the page" lacks "$T/body" '<img src=x'
check "xss: no raw <script> on the page" lacks "$T/body" '<script>alert'
check "xss: marks on the page" contains "$T/body" '<mark>quokka</mark>'
req GET "/app/search?q=onerror" $V
check "xss: a match inside the markup is still escaped" lacks "$T/body" '<img src=x'

# The search page.
req GET "/app/search?q=balancer" $V
check "page: highlighted snippet" contains "$T/body" '<mark>balancer</mark>'
check "page: counts per type" contains "$T/body" 'postmortems <span class="count">1</span>'
check "page: links the postmortem" contains "$T/body" "/app/incidents/$I1/postmortem"
req GET "/app/search?q=smoke" $V
check "page: links the action list" contains "$T/body" "/app/actions?incident=$I1"
check "page: filter form" contains "$T/body" 'name="category"'
check "page: no inline script" lacks "$T/body" '<script>'
check "page: no inline style" lacks "$T/body" 'style='
req GET "/app/search?q=%22" $V
check "page: a lone quote is 200" eq "$STATUS" 200
req GET "/app/search" $V
check "page: empty form" eq "$STATUS" 200
check "top bar has the search box" contains "$T/body" 'action="/app/search"'
req GET "/app/search?q=x"
check "search needs a login" eq "$STATUS" 303
req GET "$S?q=x"
check "the API needs a login" eq "$STATUS" 401

# Similar incidents: the checkout timeouts resemble the balancer outage.
req GET "/api/v1/incidents/$I3/postmortem" -H "$AUTH"
req POST "/api/v1/incidents/$I3/postmortem" -H "$AUTH" -H "$JSON" -d '{}'
req PATCH "/api/v1/incidents/$I3/postmortem" -H "$AUTH" -H "$JSON" -H 'If-Match: "1"' -d '{"root_cause_category":"change_config","tags":["lb"]}'
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Load balancer 502 errors again","components":["Checkout"],"started_at":"2026-06-10T10:00:00Z"}'
I5=$(jget .id)
req GET "/app/incidents/$I5" $V
check "incident page 200" eq "$STATUS" 200
check "similar: section" contains "$T/body" 'Similar past incidents'
check "similar: links the balancer incident" contains "$T/body" "href=\"/app/incidents/$I1\">#$I1"
check "similar: says why" contains "$T/body" 'same component: Checkout; shared words: load, balancer'
check "similar: offers its postmortem" contains "$T/body" "/app/incidents/$I1/postmortem"
check "similar: never itself" lacks "$T/body" "href=\"/app/incidents/$I5\">#$I5"
req GET "/app/incidents/$I3" $V
check "similar: same root cause and tags" contains "$T/body" 'same root cause: change_config; shared tags: lb'
req GET "/app/incidents/$I4" $V
check "similar: nothing in common, no section" lacks "$T/body" 'Similar past incidents'
sql "INSERT INTO events (incident_id, ts, kind, title, fingerprint, count, created_at, updated_at) VALUES
  ($I2, 0, 'signal', 'upstream timed out (x40 on nginx, 11:40 to 11:44)', 'burst:00000000deadbeef:1000', 40, 0, 0),
  ($I4, 0, 'signal', 'upstream timed out (x12 on nginx, 09:00 to 09:02)', 'burst:00000000deadbeef:2000', 12, 0, 0)"
req GET "/app/incidents/$I4" $V
check "similar: the same error signal" contains "$T/body" 'same error signal: upstream timed out'
check "similar: signal match links the other incident" contains "$T/body" "href=\"/app/incidents/$I2\">#$I2"

# Recurring causes.
req GET /app/insights $V
check "insights 200" eq "$STATUS" 200
check "insights: an SVG chart" contains "$T/body" '<svg viewBox='
check "insights: categories in the table" contains "$T/body" 'change_config'
check "insights: quarters" contains "$T/body" '2026 Q1'
check "insights: components" contains "$T/body" 'Checkout'
check "insights: no inline style" lacks "$T/body" 'style='
check "insights: recurring marked" contains "$T/body" 'recurring'
req GET "/app/insights?format=json" $V
check "insights JSON" eq "$(jget '.quarters | length > 0')" true

# Facets: a document's filters come from its incident and follow every
# change to it (here the action item of I1, through the API and plain SQL).
patch_incident() { # patch_incident ID JSON
  req GET "/api/v1/incidents/$1" -H "$AUTH"
  req PATCH "/api/v1/incidents/$1" -H "$AUTH" -H "$JSON" -H "If-Match: \"$(jget .version)\"" -d "$2"
}
patch_postmortem() { # patch_postmortem INCIDENT JSON
  req GET "/api/v1/incidents/$1/postmortem" -H "$AUTH"
  req PATCH "/api/v1/incidents/$1/postmortem" -H "$AUTH" -H "$JSON" -H "If-Match: \"$(jget .version)\"" -d "$2"
}
# wait_indexed: waits (up to 60 s) until the background indexer has
# emptied the queue; a search indexes a queue itself only when it fits in
# one batch (500 documents).
wait_indexed() {
  i=0
  while [ "$(sql 'SELECT count(*) FROM search_queue')" != 0 ] && [ $i -lt 600 ]; do
    sleep 0.1
    i=$((i + 1))
  done
}
hit_ids() { # hit_ids QUERY-STRING: the ids of the hits, comma-separated
  req GET "$S?$1" $V
  jget '[.hits[].id] | join(",")'
}
patch_incident "$I1" '{"severity":"SEV4","components":["Website"],"started_at":"2024-05-05T10:00:00Z"}'
check "incident edited for the facets" eq "$STATUS" 200
patch_postmortem "$I1" '{"root_cause_category":"deploy","tags":["Canary"]}'
check "postmortem edited for the facets" eq "$STATUS" 200
check "severity facet follows an edit" eq "$(hit_ids 'q=smoke&severity=SEV4')" "$ACT"
check "the old severity no longer matches" eq "$(hit_ids 'q=smoke&severity=SEV2')" ""
check "component facet follows an edit" eq "$(hit_ids 'q=smoke&component=Website')" "$ACT"
check "the old component no longer matches" eq "$(hit_ids 'q=smoke&component=Checkout')" ""
check "category facet covers every document of the incident" eq "$(hit_ids 'q=smoke&category=deploy')" "$ACT"
check "the old category no longer matches" eq "$(hit_ids 'q=smoke&category=change_config')" ""
check "tag facet follows an edit, any case" eq "$(hit_ids 'q=smoke&tag=CANARY')" "$ACT"
check "the old tag no longer matches" eq "$(hit_ids 'q=smoke&tag=lb')" ""
check "start facet follows an edit" eq "$(hit_ids 'q=smoke&from=2024-05-05&to=2024-05-05')" "$ACT"
check "the old start no longer matches" eq "$(hit_ids 'q=smoke&from=2026-01-01')" ""
check "a from time inside the day is exact" eq "$(hit_ids 'q=smoke&from=2024-05-05T10:00:01Z')" ""
check "a time range around the start matches" eq "$(hit_ids 'q=smoke&from=2024-05-05T09:59:59Z&to=2024-05-05T10:00:01Z')" "$ACT"
check "a to time is exclusive" eq "$(hit_ids 'q=smoke&to=2024-05-05T10:00:00Z')" ""
check "whole months and years" eq "$(hit_ids 'q=smoke&from=2023-12-31&to=2025-01-31')" "$ACT"
sql "UPDATE incidents SET severity = 'SEV1' WHERE id = $I1"
check "a severity set by plain SQL reaches the facets (triggers)" eq "$(hit_ids 'q=smoke&severity=SEV1')" "$ACT"
sql "DELETE FROM incident_components WHERE incident_id = $I1"
check "a component removed by plain SQL leaves the facets" eq "$(hit_ids 'q=smoke&component=Website')" ""
for w in k0 k3 s1 y2024 c3; do
  check "facet token [$w] is not a search word" eq "$(hit_ids "q=$w")" ""
done
check "facet token with its marker is not a search word" eq "$(hit_ids 'q=%E2%85%B0k3')" ""
check "the queue is empty after the facet edits" eq "$(sql 'SELECT count(*) FROM search_queue')" 0

# Large match sets (1,100 documents). Over 1,000 matches, results are ranked
# 1,000 at a time, newest first ("window"); every match is still reachable
# by paging, exactly once. The oldest document has the best score, so it
# leads the second window, not the first.
sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1100)
  INSERT INTO incidents (title, severity, started_at, created_at, updated_at)
  SELECT CASE WHEN i = 1 THEN 'glacier glacier glacier'
              WHEN i % 3 = 0 THEN 'glaciers calving report ' || i
              ELSE 'glacier drift report number ' || i END,
         'SEV3', 1700000000000 + i, 0, 0 FROM n"
OLDEST=$(sql "SELECT id FROM incidents WHERE title = 'glacier glacier glacier'")
wait_indexed
req GET "$S?q=glacier&limit=5" $V
check "over 1000 matches: ranked in windows" eq "$(jget .window)" 1000
check "the first window is the newest 1000" eq "$(jget "[.hits[].id] | index($OLDEST)")" null
req GET "$S?q=glacier&limit=5&cursor=1000" $V
check "the second window leads with its best" eq "$(jget '.hits[0].id')" "$OLDEST"
req GET "$S?q=quokka" $V
check "under 1000 matches: no window" eq "$(jget .window)" null
: > "$T/ids"
: > "$T/marks"
cursor=0
while [ -n "$cursor" ] && [ "$cursor" != null ]; do
  req GET "$S?q=glaci&limit=100&cursor=$cursor" $V
  jget '.hits[].id' >> "$T/ids"
  jget '.hits[].title_html | scan("<mark>[a-z]*</mark>")' >> "$T/marks"
  cursor=$(jget .next_cursor)
done
if [ -n "$HS_PG" ]; then
  GLACI=$(sql "SELECT count(*) FROM search_index WHERE tsv @@ 'glaci:*'::tsquery")
else
  GLACI=$(sql "SELECT count(*) FROM search_index WHERE search_index MATCH '\"glaci\"*'")
fi
check "paging a large prefix reaches every match" eq "$(wc -l < "$T/ids" | tr -d ' ')" "$GLACI"
check "paging a large prefix gives each match once" eq "$(sort "$T/ids" | uniq -d | wc -l | tr -d ' ')" 0
check "a large prefix highlights each of its words" eq \
  "$(sort -u "$T/marks" | tr '\n' ' ')" "<mark>glacier</mark> <mark>glaciers</mark> "
req GET "/app/search?q=glacier" $V
check "page: capped total" contains "$T/body" 'All <span class="count">1000+</span>'
check "page: says how it ranks" contains "$T/body" 'ranked 1000 at a time'
req GET "/app/search?q=glacier&type=action" $V
check "page: counts per type beside a type filter" contains "$T/body" 'incidents <span class="count">1000</span>'

# One catch-up of over 5,000 documents by the background indexer (then
# merged). A phrase of two words
# each in 6,000 documents: its frequency is estimated from the newest 2,000
# and its six scattered hits are looked up one by one; the hits are still
# exactly the documents that hold the phrase.
sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000)
  INSERT INTO incidents (title, severity, started_at, created_at, updated_at)
  SELECT CASE WHEN i % 1000 = 0 THEN 'moraine basin ' || i ELSE 'basin moraine ' || i END,
         'SEV2', 1600000000000 + i, 0, 0 FROM n"
wait_indexed
req GET "$S?q=%22moraine+basin%22&limit=100" $V
check "a rare phrase of common words finds exactly its documents" eq \
  "$(jget '[.hits[].id] | sort | map(tostring) | join(",")')" \
  "$(sql "SELECT group_concat(id) FROM (SELECT id FROM incidents WHERE title LIKE 'moraine basin %' ORDER BY id) AS t")"
check "and highlights the phrase" eq "$(jget '[.hits[].title_html | startswith("<mark>moraine basin</mark>")] | all')" true
# The phrase goes through its word pairs (schema/009, search_tokenizer.c):
# the index holds them, colocated, without changing scores; longer phrases
# and a phrase ending in a prefix use them too; a pair never spans columns.
if sqlite_file_part "FTS5's word-pair tokens (PostgreSQL finds phrases by position)"; then
  check "the index holds word-pair tokens" test "$(sql "
    CREATE VIRTUAL TABLE temp.vp USING fts5vocab(main, search_index, row);
    SELECT count(*) FROM temp.vp WHERE CAST(term AS BLOB) >= x'F8'")" -gt 6000
  check "pair tokens are not words of the vocabulary" eq \
    "$(sql "SELECT count(*) FROM search_terms WHERE CAST(term AS BLOB) BETWEEN x'F8' AND x'F8FF'")" 0
fi
check "a three-word phrase finds exactly its document" eq "$(hit_ids 'q=%22moraine+basin+3000%22')" \
  "$(sql "SELECT id FROM incidents WHERE title = 'moraine basin 3000'")"
check "a hyphenated term ending in a prefix (pairs, then prefix)" eq "$(hit_ids 'q=moraine-basin-30&limit=100')" \
  "$(sql "SELECT group_concat(id) FROM (SELECT id FROM incidents WHERE title LIKE 'moraine basin 30%' ORDER BY id DESC) AS t")"
check "a term ending in a prefix of ten words (one pair phrase each)" eq \
  "$(hit_ids 'q=basin-moraine-599&limit=100' | tr ',' '\n' | sort -n | paste -sd, -)" \
  "$(sql "SELECT group_concat(id) FROM (SELECT id FROM incidents WHERE title LIKE 'basin moraine 599%' ORDER BY id) AS t")"
check "...and highlights the typed words" eq \
  "$(jget '[.hits[].title_html | startswith("<mark>basin moraine 599")] | all')" true
check "...a prefix word that is not there finds nothing" eq "$(hit_ids 'q=moraine-basin-599')" ""
check "the same phrase, reversed, finds the other documents" eq \
  "$(hit_ids 'q=%22basin+moraine+5999%22')" "$(sql "SELECT id FROM incidents WHERE title = 'basin moraine 5999'")"
# Similar incidents on a large index: words in thousands of documents
# ("moraine", "basin") bring no candidates (ranking all their matches took
# the page 100+ ms on the bench corpus); the rare word still does, and a
# title of common words alone gets the newest of their matches.
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Quasar nebula drift"}'
IQ1=$(jget .id)
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Moraine basin quasar nebula"}'
IQ2=$(jget .id)
wait_indexed
req GET "/app/incidents/$IQ2" $V
check "similar on a large index: the rare shared word finds its incident" \
  contains "$T/body" "href=\"/app/incidents/$IQ1\">#$IQ1"
check "...and says so" contains "$T/body" "shared words: quasar, nebula"
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Basin moraine"}'
IQ3=$(jget .id)
wait_indexed
req GET "/app/incidents/$IQ3" $V
check "similar: common words only still suggest (the newest matches)" \
  contains "$T/body" "href=\"/app/incidents/$IQ2\">#$IQ2"
# Pairs are colocated: a column's size (bm25's document length) still
# counts its words only: 3, 0, 0 for this title, root cause and body.
if sqlite_file_part "FTS5's docsize table and integrity check"; then
  check "pairs add nothing to a document's length" eq "$(sql "SELECT substr(hex(sz), 1, 6)
    FROM search_index_docsize WHERE id = 4 * (SELECT id FROM incidents WHERE title = 'basin moraine 5999')")" 030000
  check "fts5 integrity check after a bulk flush" sql "INSERT INTO search_index(search_index) VALUES('integrity-check')"
fi

# The vocabulary (document frequency per term, for bm25) agrees with the
# index after all the edits above.
check "search_terms agrees with the index" eq "$(vocab_mismatches)" 0
if sqlite_file_part "FTS5's integrity check"; then
  check "fts5 integrity check after the large insert" sql "INSERT INTO search_index(search_index) VALUES('integrity-check')"
fi

hs_stop
