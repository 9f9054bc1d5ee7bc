# t0075-raw-blocks: the old one-row-a-line raw_lines table moves into
# compressed blocks (`hindsight raw --migrate`), resumably and without
# loss, and `hindsight raw` prints a window's lines with its filters.
# The database main made before blocks is rebuilt from the demo: its lines
# go back into the old table (incident 1, one row a line) and its blocks go.
. tests/http/lib.sh
needs_sqlite_file "the pre-blocks raw_lines rows rebuilt in the file (python sqlite3, VACUUM INTO, ATTACH); PostgreSQL starts with blocks"
"$HS_BIN" --db "$DB" demo >/dev/null
check "demo loads" eq $? 0
"$HS_BIN" --db "$DB" raw >"$T/demo.raw"
"$HS_BIN" --db "$DB" raw --bad >"$T/demo.bad"
python3 - "$DB" "$T/demo.raw" "$T/demo.bad" <<'PY'
import calendar, sqlite3, sys
db, raw, bad = sys.argv[1:]
def rows(path):
    with open(path, encoding="utf-8") as f:
        for l in f:
            t, src, line = l.rstrip("\n").split("\t", 2)
            ms = calendar.timegm(tuple(map(int, (t[0:4], t[5:7], t[8:10], t[11:13], t[14:16], t[17:19])))) * 1000 + int(t[20:23])
            yield ms, src, line
bads = set(rows(bad))
c = sqlite3.connect(db)
c.execute("DELETE FROM raw_blocks")
c.executemany("INSERT INTO raw_lines (incident_id, ts, fp, bad, grp, source, line) VALUES (1, ?, ?, ?, NULL, ?, ?)",
              ((ms, i, int((ms, src, line) in bads), src, line) for i, (ms, src, line) in enumerate(rows(raw))))
c.commit()
PY
n_old=$(sql 'SELECT count(*) FROM raw_lines')
check "the demo stored raw lines in the old table" test "$n_old" -gt 1000
sqlite3 -separator '	' "$DB" "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', ts / 1000.0, 'unixepoch'), source, line FROM raw_lines" | sort >"$T/before"
sql "SELECT count(*) FROM raw_lines WHERE bad" >"$T/bad_before"
sql "VACUUM INTO '$T/orig.db'"

"$HS_BIN" --db "$DB" raw --migrate >"$T/moved" 2>"$T/mig.err"
check "migrate exits 0" eq $? 0
check "migrate reports every row moved" eq "$(cat "$T/moved")" "$n_old"
check "it went in batches" contains "$T/mig.err" "moved 20000 rows"
check "the old table is empty" eq "$(sql 'SELECT count(*) FROM raw_lines')" 0
check "blocks hold every line" eq "$(sql 'SELECT sum(n_lines) FROM raw_blocks')" "$n_old"
check "sqlite3 reads every column but the payload" \
  eq "$(sql "SELECT count(*) FROM raw_blocks WHERE source <> '' AND ts_max >= ts_min AND codec = 1 AND length(keys) = 6 * n_lines")" \
  "$(sql 'SELECT count(*) FROM raw_blocks')"
"$HS_BIN" --db "$DB" raw >"$T/after.raw" 2>"$T/raw.err"
check "raw exits 0" eq $? 0
sort "$T/after.raw" >"$T/after"
check "hindsight raw prints exactly the old rows" cmp -s "$T/before" "$T/after"
check "in time order" sh -c "cut -f1 '$T/after.raw' | sort -c"
check "error lines kept their mark" eq "$("$HS_BIN" --db "$DB" raw --bad | wc -l)" "$(cat "$T/bad_before")"
"$HS_BIN" --db "$DB" raw --migrate >"$T/moved2" 2>/dev/null
check "migrate again moves nothing" eq "$(cat "$T/moved2")" 0

# Resumable and idempotent: the same rows coming back (an old binary
# writing them again) migrate as duplicates.
sql "ATTACH '$T/orig.db' AS o; INSERT INTO raw_lines SELECT * FROM o.raw_lines"
check "the old rows are back" eq "$(sql 'SELECT count(*) FROM raw_lines')" "$n_old"
"$HS_BIN" --db "$DB" raw --migrate >"$T/moved3" 2>/dev/null
check "they move again" eq "$(cat "$T/moved3")" "$n_old"
check "rows migrated twice add no line" eq "$(sql 'SELECT sum(n_lines) FROM raw_blocks')" "$n_old"

# Filters.
first=$(head -n 1 "$T/after.raw" | cut -f1)
src=$(head -n 1 "$T/after.raw" | cut -f2)
"$HS_BIN" --db "$DB" raw --source "$src" --from "$first" --to "$first" >"$T/empty"
check "--to is exclusive: an empty window" eq "$(wc -l <"$T/empty")" 0
"$HS_BIN" --db "$DB" raw --source "$src" >"$T/one"
check "--source keeps one source" eq "$(cut -f2 "$T/one" | sort -u)" "$src"
check "--source: all of its lines" eq "$(wc -l <"$T/one")" "$(grep -c "	$src	" "$T/after.raw")"
word=$(grep -o 'GET /[a-z]*' "$T/after.raw" | head -n 1)
upper=$(printf '%s' "$word" | tr a-z A-Z)
n_word=$(grep -cF -- "$word" "$T/after.raw")
check "--grep finds the lines holding the text" eq "$("$HS_BIN" --db "$DB" raw --grep "$word" | wc -l)" "$n_word"
check "--grep is case-sensitive" eq "$("$HS_BIN" --db "$DB" raw --grep "$upper" | wc -l)" "$(grep -cF -- "$upper" "$T/after.raw")"
check "-i folds ASCII case" eq "$("$HS_BIN" --db "$DB" raw --grep "$upper" -i | wc -l)" "$(grep -ciF -- "$word" "$T/after.raw")"
"$HS_BIN" --db "$DB" raw --from nonsense >/dev/null 2>"$T/err"
check "a bad time is a usage error" eq $? 2
check "which says why" contains "$T/err" "not an ISO 8601 time"
"$HS_BIN" --db "$DB" raw --bogus >/dev/null 2>&1
check "an unknown flag is a usage error" eq $? 2
"$HS_BIN" --db "$DB" raw --help >"$T/help"
check "raw --help" contains "$T/help" "usage: hindsight raw"

check "no sanitizer report (under make SAN=1)" sh -c "! cat '$T'/*.err | grep -q 'Sanitizer\|runtime error'"

# A corrupt block is a clean error, never a crash.
sql "UPDATE raw_blocks SET payload = substr(payload, 1, 20) WHERE id = (SELECT min(id) FROM raw_blocks)"
"$HS_BIN" --db "$DB" raw >/dev/null 2>"$T/err"
check "a corrupt block: exit 1" eq $? 1
check "and a message" contains "$T/err" "could not be read"
check "not a sanitizer report" lacks "$T/err" "Sanitizer"
rm -rf "$T"
[ $nfail -eq 0 ]
