# t0007-demo: the demo scenario loads through the real paths, is
# deterministic, and gives every page something true to show.
. tests/http/lib.sh
A=$(new_db a)
B=$(new_db b)
"$HS_BIN" --db "$A" demo > "$T/out"
check "demo exits 0" eq $? 0
"$HS_BIN" --db "$B" demo > /dev/null
dump() { sql_on "$1" "SELECT kind, ts, coalesce(CAST(end_ts AS TEXT), ''), title, count FROM events ORDER BY incident_id, ts, kind, title"; }
check "the demo is deterministic" eq "$(dump "$A" | md5sum)" "$(dump "$B" | md5sum)"
check "three incidents" eq "$(sql_on "$A" 'SELECT count(*) FROM incidents')" 3
check "logs condensed into a 5xx signal" eq "$(sql_on "$A" "SELECT count(*) FROM events WHERE kind='signal' AND title LIKE '5xx rate rose%web-1%'")" 1
check "alerts fired and resolved" eq "$(sql_on "$A" "SELECT count(*), count(end_ts) FROM events WHERE kind='alert'")" "2|2"
check "tickets from the CSV" eq "$(sql_on "$A" "SELECT count(*) FROM events WHERE kind='ticket'")" 10
check "raw lines kept behind the signals" test "$("$HS_BIN" --db "$A" raw | wc -l)" -gt 50000
check "key moments set the clock" eq "$(sql_on "$A" "SELECT detected_at - started_at FROM incidents WHERE severity='SEV1'")" 210000
check "postmortems drafted and published" eq "$(sql_on "$A" "SELECT group_concat(status) FROM (SELECT status FROM postmortems ORDER BY incident_id) AS s")" "published,published,in_review"
# The story's dates are fixed (20 November 2026), so "overdue" is judged on
# a fixed day after it, not on the day the test runs.
check "action items, one of them overdue two weeks after the sale" eq "$(sql_on "$A" "SELECT count(*) FROM actions WHERE status IN ('open','in_progress') AND due_date < '2026-12-04'")" 1
hs_start --demo-if-empty
check "serve --demo-if-empty loads the demo on an empty database" eq "$(sql 'SELECT count(*) FROM incidents')" 3
hs_stop
