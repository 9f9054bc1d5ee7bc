# t0004-cli: exit codes, help, migrations, users, incidents from scripts.
. tests/http/lib.sh
D=$T/cli.db
"$HS_BIN" --help > "$T/out"; check "--help exits 0" eq $? 0
check "--help lists commands" contains "$T/out" "incident open"
"$HS_BIN" frobnicate 2> "$T/err"; check "unknown command exits 2" eq $? 2
check "usage error has a hint" contains "$T/err" "try hindsight --help"
"$HS_BIN" --db "$D" serve --help > "$T/out"; check "serve --help exits 0" eq $? 0
"$HS_BIN" --db "$D" user --help > "$T/out"; check "user --help exits 0" eq $? 0
"$HS_BIN" --db "$D" token --help > "$T/out"; check "token --help exits 0" eq $? 0
"$HS_BIN" --db "$D" incident --help > "$T/out"; check "incident --help exits 0" eq $? 0
V=$("$HS_BIN" --db "$D" migrate); check "migrate exits 0" eq $? 0
check "migrate prints the schema version" test "$V" -ge 1
check "WAL mode is on" eq "$(sqlite3 "$D" 'PRAGMA journal_mode')" wal
check "user_version tracks migrations" eq "$(sqlite3 "$D" 'PRAGMA user_version')" "$V"
check "running migrate twice changes nothing" eq "$("$HS_BIN" --db "$D" migrate)" "$V"

printf 'short\n' | "$HS_BIN" --db "$D" user add bob --role editor 2>/dev/null
check "a short password is a usage error (2)" eq $? 2
printf 'long-enough-password\n' | "$HS_BIN" --db "$D" user add bob --role boss 2>/dev/null
check "an unknown role is a usage error (2)" eq $? 2
printf 'long-enough-password\n' | "$HS_BIN" --db "$D" user add bob --role editor 2>/dev/null
check "user add exits 0" eq $? 0
printf 'long-enough-password\n' | "$HS_BIN" --db "$D" user add bob --role editor 2>/dev/null
check "a duplicate user exits 1" eq $? 1
check "the password is stored as yescrypt" eq "$(sqlite3 "$D" "SELECT substr(pw_hash,1,3) FROM users WHERE name='bob'")" '$y$'
"$HS_BIN" --db "$D" user list > "$T/out"; check "user list shows bob" contains "$T/out" "bob"
"$HS_BIN" --db "$D" user del bob 2>/dev/null; check "user del exits 0" eq $? 0
"$HS_BIN" --db "$D" user del bob 2>/dev/null; check "deleting a missing user exits 1" eq $? 1

ID=$("$HS_BIN" --db "$D" incident open "Database slow" --severity SEV2)
check "incident open exits 0" eq $? 0
check "incident open prints only the id" test "$ID" -ge 1
"$HS_BIN" --db "$D" incident open "Bad" --severity SEV9 2> "$T/err"
check "a bad severity exits 2" eq $? 2
check "the error names the field" contains "$T/err" "severity"
"$HS_BIN" --db "$D" incident open "x" --component Missing 2> "$T/err"
check "an unknown component exits 2" eq $? 2
check "no partial incident was written" eq "$(sqlite3 "$D" 'SELECT count(*) FROM incidents')" 1

"$HS_BIN" --db "$D" backup --out "$T/copy.db"; check "backup exits 0" eq $? 0
check "the backup passes integrity_check" eq "$(sqlite3 "$T/copy.db" 'PRAGMA integrity_check')" ok
check "the backup holds the incident" eq "$(sqlite3 "$T/copy.db" 'SELECT title FROM incidents')" "Database slow"

sqlite3 "$D" 'PRAGMA user_version=999'
"$HS_BIN" --db "$D" migrate 2> "$T/err"
check "a newer database is refused (exit 1)" eq $? 1
check "the refusal says why" contains "$T/err" "newer than this binary"
check "the newer database is left untouched" eq "$(sqlite3 "$D" 'PRAGMA user_version')" 999

printf 'this is not a database at all, just text\n%.0s' $(seq 1 200) > "$T/junk.db"
cp "$T/junk.db" "$T/junk.orig"
"$HS_BIN" --db "$T/junk.db" migrate 2> "$T/err"
check "a corrupt file is refused (exit 1)" eq $? 1
check "the corrupt file is not overwritten" cmp -s "$T/junk.db" "$T/junk.orig"
rm -rf "$T"
[ $nfail -eq 0 ]
