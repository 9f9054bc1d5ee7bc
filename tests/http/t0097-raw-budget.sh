# t0097-raw-budget: a raw-line search has a time budget (the setting
# search.raw_budget_ms) and answers a partial page with a cursor instead
# of holding a thread (issue 20, case 4). The budget is set to 1 ms, so a
# search over a few hundred thousand lines cannot finish in one request
# whatever the machine: it answers 200, partial: true, a cursor and how
# far it searched; following the cursors gives exactly the lines a search
# without a budget (0) gives, each once, in the same order, with no 503:
# the slow-lane place is free before the answer goes out, so a client
# that follows at once is not refused because of its own last request.
. tests/http/lib.sh
hs_start
TOKEN=$("$HS_BIN" --db "$DB" token add api --scope write)
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Slow search","started_at":"2026-04-02T10:00:00Z"}'
ID=$(jget .id)
check "setup: an incident" test -n "$ID"
# 240,000 lines, 100 a second over 40 minutes (many lines share a time,
# so cursors land inside runs of one ts); every 100th holds "needle".
awk 'BEGIN { for (i = 0; i < 240000; i++) {
  s = int(i / 100); printf "ts=2026-04-02T10:%02d:%02dZ level=info app=shop msg=\"served %s\" n=%d\n",
    10 + int(s / 60), s % 60, (i % 100 == 7) ? "needle" : "ok", i } }' >"$T/shop.log"
req POST "/api/v1/incidents/$ID/ingest?format=logfmt" -H "$AUTH" --data-binary @"$T/shop.log"
check "setup: 240,000 lines ingested" eq "$(jget .accepted)" 240000

# follow Q OUT: every page of /api/v1/incidents/$ID/raw?q=Q from the
# start, the lines' "ts n" into OUT; sets PAGES and PARTIAL (pages that
# said partial, each with searched_to); PAGES is -1 on a non-200.
follow() {
  set -- $(python3 - "$BASE/api/v1/incidents/$ID/raw" "$1" "$TOKEN" "$2" <<'PY'
import json, sys, urllib.error, urllib.parse, urllib.request
url, q, token, out = sys.argv[1:]
pages = partial = 0
cur = ""
with open(out, "w") as f:
    while pages < 20000:
        req = urllib.request.Request(url + "?" + urllib.parse.urlencode({"q": q, "cursor": cur}),
                                     headers={"Authorization": "Bearer " + token})
        try:
            body = json.load(urllib.request.urlopen(req))
        except urllib.error.HTTPError as e:
            sys.stderr.write("    %s %s\n" % (e.code, e.read()[:300]))
            print(-1, partial)
            sys.exit()
        pages += 1
        for l in body["lines"]:
            f.write(l["ts"] + " " + l["line"].split(" n=")[-1] + "\n")
        if body["partial"]:
            if not body["searched_to"] or not body["next_cursor"]:
                print(-1, partial)
                sys.exit()
            partial += 1
        cur = body["next_cursor"]
        if not cur:
            break
print(pages, partial)
PY
)
  PAGES=$1
  PARTIAL=$2
}

"$HS_BIN" --db "$DB" config set search.raw_budget_ms 0
follow needle "$T/all"
check "no budget: every match, in pages of 200, none partial" eq "$(wc -l <"$T/all") $PAGES $PARTIAL" "2400 12 0"
follow zzz-nothing "$T/none"
check "no budget: a needle matching nothing is one full answer" eq "$(wc -l <"$T/none") $PAGES $PARTIAL" "0 1 0"

"$HS_BIN" --db "$DB" config set search.raw_budget_ms 1
req GET "/api/v1/incidents/$ID/raw?q=zzz-nothing" -H "$AUTH"
check "1 ms: a search that matches nothing answers 200" eq "$STATUS" 200
check "partial, with a cursor" eq "$(jq -c '[.partial, (.next_cursor | type), (.lines | length)]' "$T/body")" '[true,"string",0]'
check "and the time it searched up to" sh -c "jq -r .searched_to '$T/body' | grep -q '^2026-04-02T10:[1-4][0-9]:[0-9][0-9].000Z$'"
follow zzz-nothing "$T/none"
check "1 ms: following the cursors ends, finding nothing" eq "$(wc -l <"$T/none") $((PAGES > 1)) $((PARTIAL + 1 == PAGES))" "0 1 1"
follow needle "$T/budget"
check "1 ms: the pages were partial" test "$PARTIAL" -gt 0
check "1 ms: the cursors cover every match once, in order" cmp -s "$T/all" "$T/budget"
check "each line once" eq "$(sort -u "$T/budget" | wc -l)" 2400

login editor "$PW_EDITOR"
req GET "/app/incidents/$ID/raw?q=zzz-nothing" -b "$T/jar.editor"
check "the page answers 200" eq "$STATUS" 200
check "and says the result is partial" contains "$T/body" "Partial results: searched up to"
check "with a link to go on" contains "$T/body" "cursor=b1."
check "not that nothing matched" lacks "$T/body" "No raw lines"
req GET "/api/v1/evidence/raw?from=2026-04-02T10:00:00Z&to=2026-04-02T11:00:00Z&q=zzz-nothing" -b "$T/jar.editor"
check "/api/v1/evidence/raw: partial too" eq "$(jq -c '[.partial, (.next_cursor | type)]' "$T/body")" '[true,"string"]'

"$HS_BIN" --db "$DB" config set search.raw_budget_ms -5 2>/dev/null
req GET "/api/v1/incidents/$ID/raw?q=needle" -H "$AUTH"
check "a negative setting is the default (200)" eq "$STATUS" 200
hs_stop
