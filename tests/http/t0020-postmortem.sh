# t0020-postmortem: drafting from the template, refreshing generated
# sections without touching written ones, revisions and their diff, the
# workflow and its permissions, the completeness check and its override,
# exports, blameless hints, and Markdown safety on every page it reaches.
. tests/http/lib.sh
hs_start
TOKEN=$("$HS_BIN" --db "$DB" token add api --scope write)
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'
login editor "$PW_EDITOR"
ECSRF=$CSRF
login viewer "$PW_VIEWER"
VCSRF=$CSRF
E="-b $T/jar.editor"
V="-b $T/jar.viewer"

req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Checkout 502s | flash sale","severity":"SEV2","impact":"major","started_at":"2026-11-20T10:00:00Z"}'
ID=$(jget .id)
sql "INSERT INTO events (incident_id, ts, kind, title, key, pinned, created_at, updated_at) VALUES
 ($ID, 1795169100000, 'alert', 'HighErrorRate fired', 'detected', 0, 0, 0),
 ($ID, 1795169400000, 'change', 'LB pool config pushed <!-- /hs:generated -->', NULL, 1, 0, 0),
 ($ID, 1795169700000, 'log', 'noise nobody pinned', NULL, 0, 0, 0),
 ($ID, 1795170000000, 'note', 'deleted pin', NULL, 1, 0, 0)"
sql "UPDATE events SET deleted = 1 WHERE title = 'deleted pin'"
P=/api/v1/incidents/$ID/postmortem

# No postmortem yet.
req GET "$P" -H "$AUTH"
check "no postmortem yet is 404" eq "$STATUS" 404
req GET "/app/incidents/$ID/postmortem" $V
check "the page offers to draft one" contains "$T/body" "No postmortem yet"
check "a viewer gets no draft button" lacks "$T/body" "Draft postmortem</button>"
req GET "/app/incidents/$ID/postmortem" $E
check "an editor gets the draft button" contains "$T/body" "Draft postmortem</button>"
req GET "/app/incidents/$ID" $E
check "the incident page links the postmortem" contains "$T/body" "/app/incidents/$ID/postmortem"

# Draft: viewers may not, editors may (form), and only once.
req POST "/app/incidents/$ID/postmortem" $V --data "csrf_token=$VCSRF"
check "a viewer cannot draft (403)" eq "$STATUS" 403
req POST "/app/incidents/$ID/postmortem" $E --data "csrf_token=$ECSRF"
check "an editor drafts it (303 to the editor)" eq "$STATUS" 303
check "the draft redirects to the editor" grep -qi "^location: /app/incidents/$ID/postmortem" "$T/headers"
req POST "$P" -H "$AUTH" -H "$JSON" -d '{}'
check "a second draft is 409" eq "$STATUS" 409
req POST "/api/v1/incidents/999999/postmortem" -H "$AUTH" -H "$JSON" -d '{}'
check "drafting for a missing incident is 404" eq "$STATUS" 404

req GET "$P" $V
check "viewers read it through the API" eq "$STATUS" 200
check "shape: incident_id" eq "$(jget .incident_id)" "$ID"
check "shape: status starts as draft" eq "$(jget .status)" draft
check "shape: root_cause_category defaults to unknown" eq "$(jget .root_cause_category)" unknown
check "shape: tags is a list" eq "$(jget '.tags | length')" 0
check "shape: version 1" eq "$(jget .version)" 1
check "shape: html is rendered" contains "$T/body" '<h1>Postmortem: Checkout 502s | flash sale</h1>'
check "an ETag carries the version" grep -q 'ETag: "1"' "$T/headers"
jget .body > "$T/draft.md"
check "generated header has the title, escaped for Markdown" contains "$T/draft.md" "# Postmortem: Checkout 502s \\| flash sale"
check "generated header has severity and impact" contains "$T/draft.md" "SEV2 · impact major"
check "the clock has the start" contains "$T/draft.md" "- **Started:** 2026-11-20 10:00 UTC"
check "unmarked moments say so" contains "$T/draft.md" "- **Mitigated:** not marked"
check "key moments are in the timeline" contains "$T/draft.md" "- **2026-11-20 10:05:00** · \\+5m 0s · **detected** · alert: HighErrorRate fired"
check "pinned events are in the timeline" contains "$T/draft.md" "change: LB pool config pushed"
check "an event title cannot forge a marker" contains "$T/draft.md" 'pushed \<\!\-\- /hs:generated \-\-\>'
check "unpinned events are not" lacks "$T/draft.md" "noise nobody pinned"
check "deleted events are not" lacks "$T/draft.md" "deleted pin"
for s in Summary Impact "Root cause" Trigger Resolution Detection "What went well" "What went wrong" "Where we got lucky" "Lessons learned" "Action items"; do
  check "the draft has the section $s" contains "$T/draft.md" "## $s"
done
check "one revision after drafting" eq "$(sql "SELECT count(*) FROM postmortem_revisions WHERE incident_id=$ID")" 1

# Edit: If-Match, version check, viewer refused.
python3 - "$T/draft.md" "$T/edit.json" <<'PY'
import json, sys
body = open(sys.argv[1]).read()
body = body.replace("## Root cause\n", "## Root cause\n\nThe LB health check ignored a drained pool.\n", 1)
body = body.replace("## What went well\n", "## What went well\n\nHUMAN WRITTEN: paging worked.\n", 1)
json.dump({"body": body, "tags": ["lb", "flash-sale"], "root_cause_category": "change_config",
           "contributing_factors": ["no canary"]}, open(sys.argv[2], "w"))
PY
req PATCH "$P" -H "$AUTH" -H "$JSON" --data-binary @"$T/edit.json"
check "PATCH without If-Match is 428" eq "$STATUS" 428
req PATCH "$P" $V -H "X-CSRF-Token: $VCSRF" -H "$JSON" -H 'If-Match: "1"' --data-binary @"$T/edit.json"
check "a viewer cannot edit (403)" eq "$STATUS" 403
req PATCH "$P" $E -H "X-CSRF-Token: $ECSRF" -H "$JSON" -H 'If-Match: "1"' --data-binary @"$T/edit.json"
check "an editor saves with If-Match (200)" eq "$STATUS" 200
check "version goes up" eq "$(jget .version)" 2
check "tags are kept" eq "$(jget '.tags | join(",")')" "lb,flash-sale"
check "category is kept" eq "$(jget .root_cause_category)" change_config
check "factors are kept" eq "$(jget '.contributing_factors[0]')" "no canary"
req PATCH "$P" -H "$AUTH" -H "$JSON" -H 'If-Match: "1"' -d '{"body":"stale"}'
check "a stale version is 409" eq "$STATUS" 409
check "the 409 carries the current record" eq "$(jget .current.version)" 2
req PUT "$P" -H "$AUTH" -H "$JSON" -H 'If-Match: "2"' -d '{"root_cause_category":"exploded"}'
check "an unknown category is 400 naming it" contains "$T/body" "root_cause_category: must be one of"
req PUT "$P" -H "$AUTH" -H "$JSON" -H 'If-Match: "2"' -d '{"html":"<b>x</b>"}'
check "unknown fields are refused" contains "$T/body" "html: is not a known field"
req PATCH "$P" -H "$AUTH" -H "$JSON" -H 'If-Match: "2"' -d '{"tags":["x"]}'
check "PUT and PATCH both update" eq "$(jget .version)" 3
check "a save without a body change adds no revision" eq "$(sql "SELECT count(*) FROM postmortem_revisions WHERE incident_id=$ID")" 2

# Refresh keeps what people wrote and updates what Hindsight knows.
req PATCH "/api/v1/incidents/$ID" -H "$AUTH" -H "$JSON" -H 'If-Match: "1"' -d '{"detected_at":"2026-11-20T10:05:00Z","mitigated_at":"2026-11-20T10:40:00Z","resolved_at":"2026-11-20T11:00:00Z","status":"resolved"}'
check "the incident gets its moments" eq "$STATUS" 200
sql "UPDATE events SET pinned = 1 WHERE title = 'noise nobody pinned'"
req POST "$P/refresh" -H "$AUTH" -H "$JSON" -H 'If-Match: "3"'
check "refresh is 200" eq "$STATUS" 200
jget .body > "$T/refreshed.md"
check "refresh keeps the written root cause" contains "$T/refreshed.md" "The LB health check ignored a drained pool."
check "refresh keeps other written sections" contains "$T/refreshed.md" "HUMAN WRITTEN: paging worked."
check "refresh fills the new moments" contains "$T/refreshed.md" "- **Resolved:** 2026-11-20 11:00 UTC · 1h 0m after start"
check "refresh lists the action items" contains "$T/refreshed.md" "_No action items yet._"
check "refresh adds newly pinned events" contains "$T/refreshed.md" "noise nobody pinned"
check "refresh updates the duration" contains "$T/refreshed.md" "**Duration:** 1h 0m"
check "markers survive the refresh" eq "$(grep -c 'hs:generated:' "$T/refreshed.md")" 4
check "refresh is a revision" eq "$(sql "SELECT count(*) FROM postmortem_revisions WHERE incident_id=$ID")" 3

# Revisions and the diff.
req GET "$P/revisions" $V
check "revisions list is 200 for viewers" eq "$STATUS" 200
check "revisions have id, author, created_at" eq "$(jget '.revisions[0] | [has("id"), has("author"), has("created_at")] | all')" true
check "newest revision first" eq "$(jget '.revisions | length')" 3
R1=$(jget '.revisions[2].id')
R2=$(jget '.revisions[1].id')
check "the author is recorded" eq "$(jget '.revisions[1].author')" editor
req GET "/app/incidents/$ID/postmortem/revisions?from=$R1&to=$R2" $V
check "the diff page is 200" eq "$STATUS" 200
check "the diff marks added lines" contains "$T/body" '<tr class="diff-add">'
check "the diff shows the added text" contains "$T/body" "The LB health check ignored a drained pool."
req GET "$P/revisions?from=$R1&to=$R2" $V
check "the diff in JSON counts additions" test "$(jget .diff.added)" -ge 2
req GET "$P/revisions?from=$R1&to=999999" $V
check "a missing revision is 404" eq "$STATUS" 404
req GET "$P/revisions?from=abc&to=1" $V
check "a bad revision id is 400" eq "$STATUS" 400

# Blameless hints are hints: the save still succeeds.
req POST /api/v1/markdown/preview $E -H "X-CSRF-Token: $ECSRF" -H "$JSON" -d '{"markdown":"ok\nIt was human error; Bob should have checked."}'
check "preview is 200" eq "$STATUS" 200
check "preview renders Markdown" eq "$(jget .html)" "<p>ok
It was human error; Bob should have checked.</p>"
check "preview flags human error" eq "$(jget '[.hints[].phrase] | join(",")')" "human error,should have"
check "a hint names the line and a gentler wording" eq "$(jget '.hints[0].line')" 2
check "a hint suggests wording" test -n "$(jget '.hints[0].suggestion')"
req POST /api/v1/markdown/preview $E -H "$JSON" -d '{"markdown":"x"}'
check "preview with a cookie needs the CSRF token" eq "$STATUS" 403

# Completeness check and the workflow.
req PATCH "$P" -H "$AUTH" -H "$JSON" -H 'If-Match: "4"' -d '{"status":"in_review"}'
check "review with sections missing is 400" eq "$STATUS" 400
check "it lists missing impact numbers" contains "$T/body" "Impact is not written with numbers."
check "it lists missing lessons" contains "$T/body" "Lessons learned are not written."
check "root cause is written, so not listed" lacks "$T/body" "Root cause is not written."
check "moments are marked, so not listed" lacks "$T/body" "no detected moment"
req POST /api/v1/actions -H "$AUTH" -H "$JSON" -d "{\"incident_id\":$ID,\"title\":\"Canary LB changes\"}"
AID=$(jget .id)
req GET "$P" -H "$AUTH"
check "the action section follows the tracker without a refresh" contains "$T/body" 'Canary LB changes · corrective · P2 · owner: _none_ · due: _none_ · open'
check "the rendered action section too" contains "$T/body" "<strong>#$AID</strong> Canary LB changes"
req GET "/app/incidents/$ID/postmortem/export.md" $V
check "the Markdown export has the action" contains "$T/body" "Canary LB changes"
req GET "/app/incidents/$ID/postmortem" $E
check "the page lists what is missing" contains "$T/body" "Action #$AID &quot;Canary LB changes&quot; has no owner or due date."
check "the page offers an override reason" contains "$T/body" 'name="override_reason"'
req PATCH "$P" $V -H "X-CSRF-Token: $VCSRF" -H "$JSON" -H 'If-Match: "4"' -d '{"status":"in_review","override_reason":"x"}'
check "a viewer cannot move the status (403)" eq "$STATUS" 403
req PATCH "$P" -H "$AUTH" -H "$JSON" -H 'If-Match: "4"' -d '{"status":"in_review","override_reason":"   "}'
check "a blank reason is no reason" eq "$STATUS" 400
req PATCH "$P" -H "$AUTH" -H "$JSON" -H 'If-Match: "4"' -d '{"status":"in_review","override_reason":"Review meeting is today"}'
check "in_review with a reason is 200" eq "$STATUS" 200
check "status is in_review" eq "$(jget .status)" in_review
check "the reason is recorded" eq "$(jget .publish_override_reason)" "Review meeting is today"
check "the reason is in the change log" contains /dev/stdin "Review meeting is today" <<EOF2
$(sql "SELECT after FROM changes WHERE entity='postmortem' AND entity_id=$ID ORDER BY id DESC LIMIT 1")
EOF2
# Complete it, then publish without a reason.
python3 - "$T/refreshed.md" "$T/complete.json" <<'PY'
import json, sys
body = open(sys.argv[1]).read()
body = body.replace("## Impact\n", "## Impact\n\n41% of checkouts failed for 55 minutes.\n", 1)
body = body.replace("## Lessons learned\n", "## Lessons learned\n\nCanary every LB change.\n", 1)
json.dump({"body": body}, open(sys.argv[2], "w"))
PY
req PATCH "$P" -H "$AUTH" -H "$JSON" -H 'If-Match: "5"' --data-binary @"$T/complete.json"
req PATCH "/api/v1/actions/$AID" -H "$AUTH" -H "$JSON" -H 'If-Match: "1"' -d '{"owner":"sre-team","due_date":"2026-12-01"}'
check "the action gets an owner and due date" eq "$STATUS" 200
req GET "/app/incidents/$ID/postmortem" $E
check "the page says it is complete" contains "$T/body" "Complete: moments, impact"
req POST "/app/incidents/$ID/postmortem/edit" $E --data "csrf_token=$ECSRF&version=6&status=published"
check "publishing a complete postmortem by form is 303" eq "$STATUS" 303
req GET "$P" -H "$AUTH"
check "status is published" eq "$(jget .status)" published
check "published_at is set" test "$(jget .published_at)" != null
check "a complete publish records no reason" eq "$(jget .publish_override_reason)" null
req POST "/app/incidents/$ID/postmortem/edit" $V --data "csrf_token=$VCSRF&version=7&status=draft"
check "a viewer cannot move it back (403)" eq "$STATUS" 403
req GET "/app/incidents/$ID/postmortem" $V
check "a viewer reads the published document" contains "$T/body" "Canary every LB change."
check "a viewer gets no editor" lacks "$T/body" 'id="pm-body"'

# Exports.
req GET "/app/incidents/$ID/postmortem/export.md" $V
check "Markdown export is 200" eq "$STATUS" 200
check "Markdown export is text/markdown" grep -qi '^content-type: text/markdown; charset=utf-8' "$T/headers"
check "Markdown export is a download" grep -qi '^content-disposition: attachment; filename="postmortem-'"$ID"'.md"' "$T/headers"
check "Markdown export is the document" contains "$T/body" "Canary every LB change."
req GET "/app/incidents/$ID/postmortem/export.html" $V
check "HTML export is 200" eq "$STATUS" 200
check "HTML export is a download" grep -qi '^content-disposition: attachment; filename="postmortem-'"$ID"'.html"' "$T/headers"
check "HTML export is a whole document" contains "$T/body" "<!doctype html>"
check "HTML export has its styles inline" contains "$T/body" "<style>"
check "HTML export links nothing external" lacks "$T/body" '<link'
check "HTML export has no script" lacks "$T/body" '<script'
check "HTML export renders the document" contains "$T/body" "<p>Canary every LB change.</p>"
check "HTML export is not wrapped in the app layout" lacks "$T/body" 'class="topbar"'

# Markdown safety: hostile text never reaches a page as markup.
cat > "$T/evil.json" <<'EOF2'
{"body": "# T\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[a](javascript:alert(3)) [b](JaVaScRiPt:alert(4)) [c](vbscript:x) [d](data:text/html;base64,PHNjcmlwdD4=)\n\n<iframe src=//evil></iframe>\n\n<a href=\"javascript:alert(5)\">raw</a>\n\n{{7*7}}\n\n![i](data:image/svg+xml,<svg onload=alert(6)>)", "public_summary": "<script>alert(7)</script>"}
EOF2
req PATCH "$P" -H "$AUTH" -H "$JSON" -H 'If-Match: "7"' --data-binary @"$T/evil.json"
check "hostile Markdown saves (it is text)" eq "$STATUS" 200
jget .html > "$T/api.html"
check "API html has no script tag" lacks "$T/api.html" "<script"
check "API html has no onerror" lacks "$T/api.html" "onerror"
for page in "/app/incidents/$ID/postmortem" "/app/incidents/$ID/postmortem/export.html" "/app/incidents/$ID/postmortem/revisions?from=$R1&to=$(sql "SELECT max(id) FROM postmortem_revisions")"; do
  req GET "$page" $E
  cp "$T/body" "$T/page.out"
  check "$page: no script tag from the document" lacks "$T/page.out" "<script>alert"
  check "$page: no onerror attribute" lacks "$T/page.out" "<img src=x onerror"
  check "$page: no iframe" lacks "$T/page.out" "<iframe"
  check "$page: no javascript: href" lacks "$T/page.out" 'href="javascript:'
  check "$page: no JaVaScRiPt: href" lacks "$T/page.out" 'href="JaVaScRiPt:'
  check "$page: no vbscript: href" lacks "$T/page.out" 'href="vbscript:'
  check "$page: no data:text/html href" lacks "$T/page.out" 'href="data:text/html'
  check "$page: no svg data image" lacks "$T/page.out" 'src="data:image/svg'
  check "$page: no raw anchor" lacks "$T/page.out" '<a href="javascript'
  check "$page: templates do not run on user text" contains "$T/page.out" "{{7*7}}"
done
req GET "/app/incidents/$ID/postmortem" $E
check "the editor page shows raw HTML only escaped in the textarea" contains "$T/body" "&lt;script&gt;alert(1)&lt;/script&gt;"
check "the preview says raw HTML was omitted" contains "$T/body" "<!-- raw HTML omitted -->"
req POST /api/v1/markdown/preview -H "$AUTH" -H "$JSON" --data-binary '{"markdown":"<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))"}'
check "preview drops script tags" lacks "$T/body" "<script"
check "preview drops onerror" lacks "$T/body" "onerror"
check "preview empties javascript: links" contains "$T/body" 'href=\"\"'
req POST /api/v1/markdown/preview -H "$AUTH" -H "$JSON" -d '{"markdown":1}'
check "preview of a non-string is 400" eq "$STATUS" 400
hs_stop
