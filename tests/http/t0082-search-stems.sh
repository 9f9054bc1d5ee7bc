# t0082-search-stems: stems in the search index (search_tokenizer.c): a
# word finds its inflections and the compounds of a small table, through
# the index, and the word as typed always ranks first; quoted words stay
# exact; an existing database reindexes in the background on upgrade.
. tests/http/lib.sh
hs_start
TOKEN=$("$HS_BIN" --db "$DB" token add api --scope write)
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'
S=/api/v1/search

inc() { # inc TITLE -> id in $ID
  req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d "{\"title\":\"$1\",\"started_at\":\"2026-05-0${2}T10:00:00Z\"}"
  ID=$(jget .id)
}
inc "Load balancer pool drained" 1; BAL=$ID
inc "Balancers restarted by the scheduler" 2; BALS=$ID
inc "Deploy rolled back after errors" 3; ROLLED=$ID
inc "Rollback of the config push" 4; ROLLBACK=$ID
inc "Policies for the cache expired" 5; POL=$ID
inc "Caching disabled during the failover" 6; CACHING=$ID

ids() { jq -r '[.hits[] | select(.type == "incident") | .incident_id] | join(" ")' "$T/body"; }

req GET "$S?q=balancers&type=incident" -H "$AUTH"
check "balancers finds balancer and balancers" eq "$(ids)" "$BALS $BAL"
check "the exact word ranks first (balancers)" eq "$(jget '.hits[0].incident_id')" "$BALS"
check "found as typed: not marked stemmed" eq "$(jget .stemmed)" null
req GET "$S?q=balancer&type=incident" -H "$AUTH"
check "balancer finds both" eq "$(jget '.hits | length')" 2
check "the exact word ranks first (balancer)" eq "$(jget '.hits[0].incident_id')" "$BAL"
req GET "$S?q=balancers+pool&type=incident" -H "$AUTH"
check "a stemmed word that is not last" eq "$(ids)" "$BAL"
req GET "$S?q=%22balancers%22&type=incident" -H "$AUTH"
check "a quoted word stays exact" eq "$(ids)" "$BALS"
req GET "$S?q=rollback&type=incident" -H "$AUTH"
check "rollback finds rolled back (a compound)" eq "$(ids)" "$ROLLBACK $ROLLED"
req GET "$S?q=rolling&type=incident" -H "$AUTH"
check "rolling finds rolled" eq "$(ids)" "$ROLLED"
check "rolling is in no document: marked stemmed" eq "$(jget .stemmed)" true
req GET "$S?q=policy&type=incident" -H "$AUTH"
check "policy finds policies" eq "$(ids)" "$POL"
req GET "$S?q=cache&type=incident" -H "$AUTH"
check "cache finds caching, exact first" eq "$(ids)" "$POL $CACHING"
req GET "$S?q=rolled+back&type=incident" -H "$AUTH"
check "snippets mark the stemmed word" eq "$(jget '.hits | length')" 1
req GET "$S?q=rolling&type=incident" -H "$AUTH"
check "the snippet highlights the inflected word" contains "$T/body" "<mark>rolled</mark>"
check "the vocabulary counts stems and agrees with the index" eq "$(vocab_mismatches)" 0

# An existing database (before stems) is reindexed on upgrade, in the
# background: the migration only queues the documents. PostgreSQL's schema
# starts at 014 (schema/pg/014_base.sql): it has no database before stems.
needs_sqlite_file "an upgrade from before 014 (PRAGMA user_version)"
kill -TERM $HS_PID
wait $HS_PID
check "server exits 0 (restart)" eq $? 0
rm -f "$T/server.out"
# The file as 013 left it: 014 only requeues; what later migrations made
# goes (015: throttles, 016: the evidence group index, 017: request
# keys), so they run again.
sql "DROP TABLE IF EXISTS throttles; DROP INDEX IF EXISTS evidence_group;
  DROP TABLE IF EXISTS request_keys; PRAGMA user_version = 13"
hs_start
req GET "$S?q=rollback&type=incident" -H "$AUTH"
check "after the upgrade rollback still finds rolled back" eq "$(ids)" "$ROLLBACK $ROLLED"
check "the queue was emptied" eq "$(sql 'SELECT count(*) FROM search_queue')" 0
check "after the upgrade the vocabulary agrees" eq "$(vocab_mismatches)" 0
hs_stop
