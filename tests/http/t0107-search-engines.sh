# t0107-search-engines: the knowledge base behaves the same on SQLite (FTS5)
# and PostgreSQL (tsvector, server/search_pg.c): ranking, snippets and
# highlights, prefixes, phrases, filters, paging, windows over 1,000
# matches, hostile queries, the index following writes made by plain SQL,
# XSS, similar incidents, insights, and on PostgreSQL the stored tsvectors
# and vocabulary. Components, actions and edits are written with plain SQL
# (portable to both engines), so the suite tests search alone.
. tests/http/lib.sh
hs_start
TOKEN=$("$HS_BIN" --db "$DB" token add api --scope write)
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'
login viewer "$PW_VIEWER"
V="-b $T/jar.viewer"
S=/api/v1/search

inc() { # inc JSON -> id in $ID
  req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d "$1"
  ID=$(jget .id)
}
inc '{"title":"Load balancer misrouted traffic","severity":"SEV2","started_at":"2026-03-01T09:00:00Z"}'; I1=$ID
inc '{"title":"Database overload","severity":"SEV3","summary":"The load balancer kept sending traffic to the primary.","started_at":"2025-11-10T12:00:00Z"}'; I2=$ID
inc '{"title":"Payment timeouts at checkout","severity":"SEV1","started_at":"2026-05-05T08:00:00Z"}'; I3=$ID
inc '{"title":"XSS <img src=x onerror=alert(1)> quokka","summary":"quokka <script>alert(2)</script> body","started_at":"2026-06-01T10:00:00Z"}'; I4=$ID
check "the corpus is created" eq "$([ -n "$I1" ] && [ -n "$I4" ] && echo yes)" yes
sql "INSERT INTO components (name, created_at, updated_at) VALUES ('Checkout', 0, 0), ('Database', 0, 0)"
sql "INSERT INTO incident_components (incident_id, component_id)
  SELECT $I1, id FROM components WHERE name = 'Checkout' UNION ALL
  SELECT $I2, id FROM components WHERE name = 'Database' UNION ALL
  SELECT $I3, id FROM components WHERE name = 'Checkout'"
req POST "/api/v1/incidents/$I1/postmortem" -H "$AUTH" -H "$JSON" -d '{}'
check "postmortem created" eq "$STATUS" 201
printf '{"body":"# Postmortem\\n\\n## Root cause\\n\\n<!-- Ask why -->\\nA weighted pool config pushed all traffic to one server.\\n\\n## Resolution\\n\\nRolled back the pool; zeppelin.\\n","root_cause_category":"change_config","tags":["lb","config"]}' > "$T/pm.json"
req PATCH "/api/v1/incidents/$I1/postmortem" -H "$AUTH" -H "$JSON" -H 'If-Match: "1"' --data-binary @"$T/pm.json"
check "postmortem edited" eq "$STATUS" 200
req POST "/api/v1/incidents/$I3/events" -H "$AUTH" -H "$JSON" -d '{"kind":"note","title":"Rolled back the balancer change","body":"walrus <b>bold</b> note"}'
EV=$(jget .id)
req POST "/api/v1/incidents/$I3/events" -H "$AUTH" -H "$JSON" -d '{"kind":"log","title":"walrus in a log line"}'
sql "INSERT INTO actions (incident_id, title, created_at, updated_at) VALUES ($I1, 'Add a canary for balancer config', 0, 0)"
ACT=$(sql "SELECT id FROM actions WHERE title LIKE 'Add a canary%'")

# Ranking and snippets.
req GET "$S?q=balancer&type=incident" $V
check "title match first" eq "$(jget '[.hits[].id] | join(",")')" "$I1,$I2"
check "scores do not increase" eq "$(jget '.hits[0].score >= .hits[1].score')" true
check "snippet marks the word" eq "$(jget '.hits[0].snippet')" 'Load <mark>balancer</mark> misrouted traffic'
check "title_html marks the word" eq "$(jget '.hits[0].title_html')" 'Load <mark>balancer</mark> misrouted traffic'
check "a body snippet marks the word" contains "$T/body" 'The load <mark>balancer</mark> kept sending'
req GET "$S?q=balancer" $V
check "all four types match balancer" eq "$(jget '[.hits[].type] | unique | length')" 4
check "the body match comes last" eq "$(jget '.hits[-1].id')" "$I2"
req GET "$S?q=bala" $V
check "the last word is a prefix" eq "$(jget '.hits | length')" 5
req GET "$S?q=%22misrouted+load%22" $V
check "a quoted phrase must be adjacent" eq "$(jget '.hits | length')" 0
req GET "$S?q=%22load+balancer+misrouted%22&type=incident" $V
check "a quoted phrase in order matches" eq "$(jget '[.hits[].id] | join(",")')" "$I1"
check "...and is marked as one" eq "$(jget '.hits[0].title_html')" '<mark>Load balancer misrouted</mark> traffic'
req GET "$S?q=%22traffic+config%22" $V
check "a phrase does not run from one column into the next" eq "$(jget '.hits | length')" 0
req GET "$S?q=weighted+pool" $V
check "postmortem root cause is searchable" eq "$(jget '.hits[0].type')" postmortem
check "postmortem hit has its status" eq "$(jget '.hits[0].status')" draft
check "postmortem url" eq "$(jget '.hits[0].url')" "/app/incidents/$I1/postmortem"
req GET "$S?q=ask+why" $V
check "template prompts (HTML comments) are not indexed" eq "$(jget '.hits | length')" 0
req GET "$S?q=walrus" $V
check "notes are indexed, log lines are not" eq "$(jget '.hits | length')" 1
check "event hit links to its anchor" eq "$(jget '.hits[0].url')" "/app/incidents/$I3#e$EV"
check "markup in a note is text (FTS5 keeps the text after the last token)" eq \
  "$(jget '.hits[0].snippet')" '<mark>walrus</mark> bold note '
req GET "$S?q=canary" $V
check "action items are indexed" eq "$(jget '.hits[0].type'),$(jget '.hits[0].id')" "action,$ACT"
req GET "$S?q=rolling+pool" $V
check "stems: rolling finds rolled, marked, in the window with both words" eq "$(jget '.hits[0].snippet')" \
  'Postmortem Root cause A weighted <mark>pool</mark> config pushed all traffic to one server. Resolution <mark>Rolled</mark> back the <mark>pool</mark>; zeppelin. '

# Filters.
ids() { jget '[.hits[].incident_id] | unique | join(",")'; }
req GET "$S?q=balancer&type=postmortem" $V
check "type filter" eq "$(jget '[.hits[].type] | unique | join(",")')" postmortem
req GET "$S?q=balancer&component=Database" $V
check "component filter" eq "$(ids)" "$I2"
req GET "$S?q=balancer&component=Nowhere" $V
check "an unknown component matches nothing" eq "$(jget '.hits | length')" 0
req GET "$S?q=balancer&severity=SEV1" $V
check "severity filter" eq "$(ids)" "$I3"
req GET "$S?q=balancer&category=change_config" $V
check "category filter" eq "$(ids)" "$I1"
req GET "$S?q=balancer&tag=LB" $V
check "tag filter (any case)" eq "$(ids)" "$I1"
req GET "$S?q=balancer&to=2025-12-31" $V
check "to filter (inclusive day)" eq "$(ids)" "$I2"
req GET "$S?q=balancer&from=2026-02-01T00:00:00Z&to=2026-04-01&type=incident" $V
check "from and to together" eq "$(jget '[.hits[].id] | join(",")')" "$I1"
req GET "$S?q=balancer&from=2026-03-01T09:00:01Z&to=2026-03-02&type=incident" $V
check "a from time inside the day is exact" eq "$(jget '.hits | length')" 0
req GET "$S?q=balancer&type=bogus" $V
check "unknown type is 400" eq "$STATUS" 400
req GET "$S?q=balancer&from=yesterday" $V
check "bad date is 400" eq "$STATUS" 400

# Paging.
req GET "$S?q=balancer&limit=2" $V
check "a full page has a next cursor" eq "$(jget .next_cursor)" 2
FIRST=$(jget '[.hits[] | (.type + (.id|tostring))] | join(",")')
req GET "$S?q=balancer&limit=2&cursor=2" $V
SECOND=$(jget '[.hits[] | (.type + (.id|tostring))] | join(",")')
check "the next page has other hits" eq "$(printf '%s' "$SECOND" | grep -c "$FIRST")" 0
req GET "$S?q=balancer&limit=100&cursor=4" $V
check "the last page has no cursor" eq "$(jget .next_cursor)" null

# Hostile queries: lexemes with quotes, backslashes and operators of
# tsquery and FTS5 are plain text.
for q in '"' '""' "it's" "'" "a'b" '\' 'a\b' ':*' 'a:*' '&' '|' '!' '<->' '<2>' \
  'a & b' 'a | b' '!a' 'x:A' "'x':*" 'NEAR(' 'col:x' '*' '(' ')' '{title}:x' \
  "' OR 1=1 --" "'; DROP TABLE incidents; --" '%' 'café' '東京' '😀' '🔥 balancer' \
  "$(printf 'bad\377utf')"; do
  curl -s -o "$T/body" -w '%{http_code}' -G $V --data-urlencode "q=$q" "$BASE$S" > "$T/status"
  st=$(cat "$T/status")
  check "hostile query [$q] is 200 or 400" sh -c "[ $st = 200 ] || [ $st = 400 ]"
done
req GET "$S?q=balancer+%22" $V
check "a stray quote leaves the word, a prefix" eq "$(jget '.hits | length')" 5
head -c 10240 /dev/zero | tr '\0' 'a' > "$T/big.txt"
STATUS=$(curl -s -o "$T/body" -w '%{http_code}' -G -H "$AUTH" --data-urlencode "q@$T/big.txt" "$BASE$S")
check "a 10 KB query is 200 with nothing" eq "$STATUS,$(jget '.hits | length')" "200,0"
# Words that need quoting in a lexeme are found as written.
inc "{\"title\":\"O'Reilly back\\\\slash bucket\",\"started_at\":\"2026-01-01T00:00:00Z\"}"; IQ=$ID
req GET "$S?q=o%27reilly&type=incident" $V
check "a word with a quote inside" eq "$(jget '[.hits[].id] | join(",")')" "$IQ"

# The index follows writes made by plain SQL (triggers and the queue).
sql "UPDATE incidents SET title = 'Replica storm' WHERE id = $I2"
req GET "$S?q=overload&type=incident" $V
check "old title word no longer finds it" eq "$(jget '.hits | length')" 0
req GET "$S?q=storm&type=incident" $V
check "new title word finds it" eq "$(jget '.hits[0].id')" "$I2"
sql "UPDATE incidents SET title = 'Load balancer sent traffic astray' WHERE id = $I1"
req GET "$S?q=misrouted&type=postmortem" $V
check "renaming the incident renames its postmortem document" eq "$(jget '.hits | length')" 0
req GET "$S?q=astray&type=postmortem" $V
check "the postmortem has the new title" eq "$(jget '.hits[0].incident_id')" "$I1"
sql "UPDATE events SET deleted = 1 WHERE id = $EV"
req GET "$S?q=walrus" $V
check "a soft-deleted note disappears" eq "$(jget '.hits | length')" 0
sql "UPDATE actions SET title = 'Add a smoke test for pool weights' WHERE id = $ACT"
req GET "$S?q=canary" $V
check "an edited action loses its old words" eq "$(jget '.hits | length')" 0
req GET "$S?q=smoke+test" $V
check "an edited action has its new words" eq "$(jget '.hits[0].id')" "$ACT"
sql "UPDATE incidents SET severity = 'SEV4' WHERE id = $I1"
req GET "$S?q=smoke&severity=SEV4" $V
check "a severity set by SQL reaches the facets" eq "$(jget '[.hits[].id] | join(",")')" "$ACT"
sql "DELETE FROM incident_components WHERE incident_id = $I1"
req GET "$S?q=smoke&component=Checkout" $V
check "a component removed by SQL leaves the facets" eq "$(jget '.hits | length')" 0
for w in k0 k3 s1 y2024 c3; do
  req GET "$S?q=$w" $V
  check "facet token [$w] is not a search word" eq "$(jget '.hits | length')" 0
done
req GET "$S?q=%E2%85%B0k3" $V
check "a facet token with its marker is not a search word" eq "$(jget '.hits | length')" 0
req GET "$S?q=%E2%85%B1roll" $V
ROLL_MARKED=$(jget '[.hits[].id] | join(",")')
req GET "$S?q=roll" $V
check "a stem token's marker is a separator: the word alone" eq "$ROLL_MARKED" "$(jget '[.hits[].id] | join(",")')"
check "the queue is empty after a search" eq "$(sql 'SELECT count(*) FROM search_queue')" 0
check "index and sources agree" eq "$(sql "SELECT count(*) FROM search_index")" \
  "$(sql "SELECT (SELECT count(*) FROM incidents) + (SELECT count(*) FROM postmortems) + (SELECT count(*) FROM actions) + (SELECT count(*) FROM events WHERE deleted = 0 AND kind IN ('note','change','status_update'))")"

# XSS: titles and bodies stay escaped in snippets.
req GET "$S?q=quokka" $V
jget '.hits[0].snippet, .hits[0].title_html' > "$T/snip"
check "xss: the hit is found" eq "$(jget '.hits[0].id')" "$I4"
check "xss: no raw <img" lacks "$T/snip" '<img'
check "xss: escaped" contains "$T/snip" '&lt;img src=x onerror=alert(1)&gt; <mark>quokka</mark>'
req GET "/app/search?q=quokka" $V
check "search page 200" eq "$STATUS" 200
check "xss: no raw <script> on the page" lacks "$T/body" '<script>alert'
check "page: marks" contains "$T/body" '<mark>quokka</mark>'
req GET "/app/search?q=balancer" $V
check "page: counts per type" contains "$T/body" 'postmortems <span class="count">1</span>'

# Similar incidents and insights.
inc '{"title":"Load balancer 502 errors again","started_at":"2026-06-10T10:00:00Z"}'; I5=$ID
req GET "/app/incidents/$I5" $V
# The incident page (timeline, actions) is ported to PostgreSQL apart
# from search; until it answers there, say so instead of failing here.
if [ -n "$HS_PG" ] && [ "$STATUS" != 200 ]; then
  echo "SKIP $HS_SUITE: similar incidents: the incident page answers $STATUS on PostgreSQL"
else
  check "similar: links the balancer incident" contains "$T/body" "href=\"/app/incidents/$I1\">#$I1"
  check "similar: says why" contains "$T/body" 'shared words: load, balancer'
  check "similar: never itself" lacks "$T/body" "href=\"/app/incidents/$I5\">#$I5"
fi
req GET "/app/insights?format=json" $V
check "insights 200" eq "$STATUS" 200
check "insights: quarters" eq "$(jget '.quarters | index("2026 Q1") != null')" true

# Over 1,000 matches: ranked 1,000 at a time, newest first; paging reaches
# every match once; the oldest (best) document leads the second window.
sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1100)
  INSERT INTO incidents (title, severity, started_at, created_at, updated_at)
  SELECT CASE WHEN i = 1 THEN 'glacier glacier glacier'
              WHEN i % 3 = 0 THEN 'glaciers calving report ' || i
              ELSE 'glacier drift report number ' || i END,
         'SEV3', 1700000000000 + i, 0, 0 FROM n"
OLDEST=$(sql "SELECT id FROM incidents WHERE title = 'glacier glacier glacier'")
i=0
while [ "$(sql 'SELECT count(*) FROM search_queue')" != 0 ] && [ $i -lt 600 ]; do
  sleep 0.1
  i=$((i + 1))
done
check "the indexer empties the queue" eq "$(sql 'SELECT count(*) FROM search_queue')" 0
req GET "$S?q=glacier&limit=5" $V
check "over 1000 matches: ranked in windows" eq "$(jget .window)" 1000
check "the first window is the newest 1000" eq "$(jget "[.hits[].id] | index($OLDEST)")" null
req GET "$S?q=glacier&limit=5&cursor=1000" $V
check "the second window leads with its best" eq "$(jget '.hits[0].id')" "$OLDEST"
: > "$T/ids"
: > "$T/marks"
cursor=0
while [ -n "$cursor" ] && [ "$cursor" != null ]; do
  req GET "$S?q=glaci&limit=100&cursor=$cursor" $V
  jget '.hits[].id' >> "$T/ids"
  jget '.hits[].title_html | scan("<mark>[a-z]*</mark>")' >> "$T/marks"
  cursor=$(jget .next_cursor)
done
check "paging a large prefix reaches every match" eq "$(wc -l < "$T/ids" | tr -d ' ')" 1100
check "paging gives each match once" eq "$(sort "$T/ids" | uniq -d | wc -l | tr -d ' ')" 0
check "a prefix highlights each of its words" eq \
  "$(sort -u "$T/marks" | tr '\n' ' ')" "<mark>glacier</mark> <mark>glaciers</mark> "
req GET "/app/search?q=glacier" $V
check "page: capped total" contains "$T/body" 'All <span class="count">1000+</span>'
req GET "$S?q=%22drift+report+number+7%22&limit=100" $V
check "a phrase ending in a number matches its documents only" eq "$(jget '.hits | length')" 1

# The stored index on PostgreSQL: tsvectors of the same tokens, weights
# by column, stems beside their words, facets apart; search_terms holds
# each word's and stem's document count, as ts_stat counts them.
if [ -n "$HS_PG" ]; then
  check "pg: title A, root cause B, body D; the stem at its word's position" eq \
    "$(sql "SELECT tsv FROM search_index WHERE rowid = $I1 * 4 + 1" | tr ' ' '\n' | grep -E "^'(astray|weighted|zeppelin|rolled|ⅱroll)'")" \
    "$(printf "'astray':5A\n'rolled':50\n'weighted':19B,40\n'zeppelin':54\n'ⅱroll':50")"
  check "pg: facets only in facet_tsv" eq \
    "$(sql "SELECT count(*) FROM search_index WHERE tsv::text LIKE '%ⅰ%' OR facet_tsv::text NOT LIKE '%ⅰk%'")" 0
fi
check "search_terms agrees with the index (fts5vocab; ts_stat on PostgreSQL)" eq "$(vocab_mismatches)" 0
hs_stop
