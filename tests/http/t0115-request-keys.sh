# t0115-request-keys: a note, status update, action item, maintenance or
# declared incident sent again with the same key (the Idempotency-Key header, or
# the form's request_key field) after an unclear answer, such as
# db_commit_unknown during a failover, is found, not added twice: the same
# id, one record. The key counts only for the same user, place and text:
# other text under a reused key is a new note (nothing typed is dropped as
# a "duplicate"). Bad keys get a 400. Each page carries fresh keys in its
# note, update, action and declare forms.
. tests/http/lib.sh
hs_start
JSON='Content-Type: application/json'
W1=$("$HS_BIN" --db "$DB" token add writer --scope write)
W2=$("$HS_BIN" --db "$DB" token add other --scope write)
A1="Authorization: Bearer $W1"
A2="Authorization: Bearer $W2"
req POST /api/v1/incidents -H "$A1" -H "$JSON" -d '{"title":"Checkout down"}'
INC=$(jget .id)
req POST /api/v1/incidents -H "$A1" -H "$JSON" -d '{"title":"Search slow"}'
INC2=$(jget .id)
check "setup: two incidents" test -n "$INC2"

# note AUTH INCIDENT KEY BODY: POSTs a note with Idempotency-Key KEY; sets
# STATUS and ID.
note() {
  req POST "/api/v1/incidents/$2/events" -H "$1" -H "$JSON" \
    -H "Idempotency-Key: $3" -d "{\"body\":\"$4\"}"
  ID=$(jget .id)
}
# howmany PATH LIST FIELD VALUE: how many items of .LIST at PATH (the
# API) have FIELD equal to VALUE.
howmany() {
  curl -s -H "$A1" "$BASE$1" |
    jq --arg v "$4" "[.$2[] | select(.$3 == \$v)] | length"
}
count() { # count INCIDENT BODY: how many events of INCIDENT have BODY
  howmany "/api/v1/incidents/$1/events?limit=1000" events body "$2"
}

note "$A1" "$INC" k-1 "Rolled back the deploy."
check "a keyed note is created" eq "$STATUS" 201
FIRST=$ID
note "$A1" "$INC" k-1 "Rolled back the deploy."
check "sent again: 201" eq "$STATUS" 201
check "sent again: the first note's id" eq "$ID" "$FIRST"
check "sent again: one note" eq "$(count "$INC" "Rolled back the deploy.")" 1
P=
for i in 1 2 3; do
  curl -s -o /dev/null -H "$A1" -H "$JSON" -H "Idempotency-Key: k-1" \
    -d '{"body":"Rolled back the deploy."}' "$BASE/api/v1/incidents/$INC/events" &
  P="$P $!"
done
for p in $P; do wait "$p"; done
check "three more at once: still one note" eq "$(count "$INC" "Rolled back the deploy.")" 1

# Deleted meanwhile: sending it again puts it back (the sender meant it).
note "$A1" "$INC" k-del "Restarted the replica."
DEL=$ID
req DELETE "/api/v1/events/$ID" -H "$A1" -H "If-Match: \"$(jget .version)\""
check "setup: a keyed note deleted" eq "$STATUS" 200
note "$A1" "$INC" k-del "Restarted the replica."
check "sent again after its deletion: 201" eq "$STATUS" 201
check "as a new note" test "$ID" != "$DEL"
check "it is there again" eq "$(count "$INC" "Restarted the replica.")" 1

note "$A1" "$INC" k-1 "Paged the database team."
check "the same key with other text is a new note" eq "$STATUS" 201
check "under a new id" test "$ID" != "$FIRST"
check "both texts are there" eq "$(count "$INC" "Paged the database team.")" 1
note "$A1" "$INC2" k-1 "Rolled back the deploy."
check "the same key and text on another incident is a new note" \
  eq "$(count "$INC2" "Rolled back the deploy.")" 1
note "$A2" "$INC" k-1 "Rolled back the deploy."
check "the same key and text from another user is a new note" \
  eq "$(count "$INC" "Rolled back the deploy.")" 2
note "$A1" "$INC" k-2 "Rolled back the deploy."
check "another key, the same text: a new note (said twice on purpose)" \
  eq "$(count "$INC" "Rolled back the deploy.")" 3
req POST "/api/v1/incidents/$INC/events" -H "$A1" -H "$JSON" \
  -d '{"body":"Unkeyed."}'
req POST "/api/v1/incidents/$INC/events" -H "$A1" -H "$JSON" \
  -d '{"body":"Unkeyed."}'
check "without a key every POST is a note" eq "$(count "$INC" "Unkeyed.")" 2
req POST "/api/v1/incidents/$INC/events" -H "$A1" -H "$JSON" \
  -d '{"body":"In the body.","request_key":"b-1"}'
B=$(jget .id)
req POST "/api/v1/incidents/$INC/events" -H "$A1" -H "$JSON" \
  -d '{"body":"In the body.","request_key":"b-1"}'
check "a request_key field works as the header does" eq "$(jget .id)" "$B"

# Bad keys: a 400 with a JSON error naming the field; nothing saved.
N0=$(curl -s -H "$A1" "$BASE/api/v1/incidents/$INC/events?limit=1000" | jq '.events | length')
LONG=$(printf 'k%.0s' $(seq 1 101))
for bad in "a b" "$LONG" "$(printf 'caf\303\251')" "x;y"; do
  req POST "/api/v1/incidents/$INC/events" -H "$A1" -H "$JSON" \
    -H "Idempotency-Key: $bad" -d '{"body":"Bad key."}'
  check "a bad key is a 400 (${bad%"${bad#?????}"}...)" eq "$STATUS" 400
  check "naming Idempotency-Key" eq "$(jget .error.message | cut -c1-16)" "Idempotency-Key:"
done
req POST "/api/v1/incidents/$INC/events" -H "$A1" -H "$JSON" \
  -d "{\"body\":\"Bad key.\",\"request_key\":\"$LONG\"}"
check "a bad request_key field is a 400" eq "$STATUS" 400
check "naming request_key" eq "$(jget .error.message | cut -c1-12)" "request_key:"
check "nothing was saved for bad keys" eq \
  "$(curl -s -H "$A1" "$BASE/api/v1/incidents/$INC/events?limit=1000" | jq '.events | length')" "$N0"

# Keys are kept a day: an older one is forgotten (and pruned by the next).
sql "UPDATE request_keys SET created_at = created_at - 86400001 WHERE key = 'k-2'" >/dev/null
note "$A1" "$INC" k-2 "Rolled back the deploy."
check "a key older than a day is forgotten" eq "$(count "$INC" "Rolled back the deploy.")" 4
check "and old keys are pruned" eq \
  "$(sql "SELECT count(*) FROM request_keys WHERE created_at < $(( $(date +%s) * 1000 - 86400000 ))")" 0

# The note form: a fresh key on each page; the same form sent twice is
# one note (live.js keeps the key while a typed note is unsent).
# form_key FILE WHAT: the request_key of the form posting to .../WHAT.
form_key() {
  awk -v w="/$2\"" 'index($0, "<form") && index($0, w) { f = 1 }
    f && match($0, /name="request_key" value="[0-9a-f]*"/) {
      v = substr($0, RSTART, RLENGTH); sub(/.*value="/, "", v); sub(/"$/, "", v)
      print v; exit }' "$1"
}
# form_twice PATH KEY DATA: the editor sends the form posting to PATH
# twice with request_key KEY and the fields DATA; each time a redirect.
form_twice() {
  for i in 1 2; do
    req POST "$1" -b "$T/jar.editor" --data-urlencode "csrf_token=$CSRF" \
      --data-urlencode "request_key=$2" --data "$3"
    check "the form to $1 sent ($i): a redirect" eq "$STATUS" 303
  done
}
login editor "$PW_EDITOR"
curl -s -b "$T/jar.editor" -o "$T/p1.html" "$BASE/app/incidents/$INC"
curl -s -b "$T/jar.editor" -o "$T/p2.html" "$BASE/app/incidents/$INC"
K1=$(form_key "$T/p1.html" events)
K2=$(form_key "$T/p2.html" events)
check "the note form carries a key" test ${#K1} -eq 32
check "each page its own" test "$K1" != "$K2"
form_twice "/app/incidents/$INC/events" "$K1" "title=Failed+over+the+database&body=&key=&ts="
check "the form sent twice is one note" eq "$(howmany \
  "/api/v1/incidents/$INC/events?limit=1000" events title "Failed over the database")" 1

# Status updates: the public page and subscribers get one update, not two.
upd() { # upd KEY BODY: posts a status update on INC with Idempotency-Key KEY
  req POST "/api/v1/incidents/$INC/updates" -H "$A1" -H "$JSON" \
    -H "Idempotency-Key: $1" -d "{\"status\":\"identified\",\"body\":\"$2\"}"
  ID=$(jget .id)
}
nupd() { howmany "/api/v1/incidents/$INC/updates" updates body "$1"; }
upd u-1 "The database is failing over."
check "a keyed status update is posted" eq "$STATUS" 201
U1=$ID
OUT0=$(sql "SELECT count(*) FROM outbox")
upd u-1 "The database is failing over."
check "sent again: 201 with the first update's id" eq "$STATUS $ID" "201 $U1"
check "one update on the incident" eq "$(nupd "The database is failing over.")" 1
check "subscribers are not told twice" eq "$(sql "SELECT count(*) FROM outbox")" "$OUT0"
check "the public page shows it once" eq \
  "$(curl -s "$BASE/api/v2/incidents.json" | jq '[.. | objects | select(.body? == "The database is failing over.")] | length')" 1
upd u-1 "The failover is done."
check "the key with other text posts a new update" eq "$(nupd "The failover is done.")" 1
req POST "/api/v1/incidents/$INC/updates" -H "$A1" -H "$JSON" \
  -H "Idempotency-Key: no way" -d '{"status":"identified","body":"Bad key."}'
check "a bad key on an update is a 400" eq "$STATUS" 400
check "and posts nothing" eq "$(nupd "Bad key.")" 0
curl -s -b "$T/jar.editor" -o "$T/p3.html" "$BASE/app/incidents/$INC"
UK=$(form_key "$T/p3.html" updates)
NK=$(form_key "$T/p3.html" events)
check "the update form has a key" test ${#UK} -eq 32
check "not the note form's" test "$UK" != "$NK"
form_twice "/app/incidents/$INC/updates" "$UK" "status=monitoring&body=Watching+the+new+primary."
check "the update form sent twice is one update" eq "$(nupd "Watching the new primary.")" 1

# api_twice PATH KEY JSON: POSTs JSON to PATH twice with Idempotency-Key
# KEY: each time 201, the second with the first try's id (left in ID).
api_twice() {
  req POST "$1" -H "$A1" -H "$JSON" -H "Idempotency-Key: $2" -d "$3"
  check "$1 sent with key $2: 201" eq "$STATUS" 201
  ID=$(jget .id)
  req POST "$1" -H "$A1" -H "$JSON" -H "Idempotency-Key: $2" -d "$3"
  check "$1 sent again: 201 with the first try's id" eq "$STATUS $(jget .id)" "201 $ID"
}

# Declaring: a second incident only when it is meant.
ninc() { howmany "/api/v1/incidents?limit=500" incidents title "$1"; }
api_twice /api/v1/incidents d-1 '{"title":"Payments down","severity":"SEV1"}'
check "declared twice with a key: one incident" eq "$(ninc "Payments down")" 1
req POST /api/v1/incidents -H "$A1" -H "$JSON" -d '{"title":"Payments down"}'
check "without a key: a second incident" eq "$(ninc "Payments down")" 2
curl -s -b "$T/jar.editor" -o "$T/new.html" "$BASE/app/incidents/new"
DK=$(form_key "$T/new.html" incidents)
check "the declare form has a key" test ${#DK} -eq 32
form_twice /app/incidents "$DK" \
  "title=Login+fails&severity=SEV2&impact=minor&components_present=1"
check "the declare form sent twice is one incident" eq "$(ninc "Login fails")" 1

# Action items, by the API and by the incident page's form.
nact() { howmany "/api/v1/actions?incident_id=$INC&limit=500" actions title "$1"; }
api_twice /api/v1/actions a-1 "{\"incident_id\":$INC,\"title\":\"Add a replica health check\"}"
check "one action item" eq "$(nact "Add a replica health check")" 1
curl -s -b "$T/jar.editor" -o "$T/p4.html" "$BASE/app/incidents/$INC"
AK=$(form_key "$T/p4.html" actions)
check "the action item form has a key" test ${#AK} -eq 32
form_twice /app/actions "$AK" \
  "incident_id=$INC&return_to=incident&title=Page+the+DBA+on+failover&priority=P1&type=corrective"
check "the action item form sent twice is one item" eq "$(nact "Page the DBA on failover")" 1

# Maintenances: one on the public page, its subscribers told once.
nmaint() { howmany "/api/v1/maintenances" maintenances title "$1"; }
WHEN='"scheduled_for":"2030-01-05T02:00:00Z","scheduled_until":"2030-01-05T04:00:00Z"'
api_twice /api/v1/maintenances m-1 "{\"title\":\"Database upgrade\",$WHEN}"
check "one maintenance" eq "$(nmaint "Database upgrade")" 1
check "with one scheduled update" eq \
  "$(sql "SELECT count(*) FROM maintenance_updates WHERE maintenance_id = $ID")" 1
curl -s -b "$T/jar.editor" -o "$T/m.html" "$BASE/app/maintenances"
MK=$(form_key "$T/m.html" maintenances)
check "the maintenance form has a key" test ${#MK} -eq 32
form_twice /app/maintenances "$MK" \
  "title=Network+switch+swap&scheduled_for=2030-02-01T01:00:00Z&scheduled_until=2030-02-01T02:00:00Z&components_present=1"
check "the maintenance form sent twice is one maintenance" eq "$(nmaint "Network switch swap")" 1
hs_stop
