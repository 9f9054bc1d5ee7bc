# t0065-loki: the Loki push API (POST /loki/api/v1/push, issue 16). Real
# client: winston-loki from npm, in its default protobuf+snappy encoding and
# with json:true. Proves: lines pushed are stored once acknowledged (204),
# labels map to source and level, a re-push adds nothing, the token is
# checked before the body, and bad input (malformed JSON, protobuf, snappy,
# non-UTF-8, oversized, wrong type) gets a clear 4xx with a JSON error
# while later pushes still work. An open incident that started long before
# covers every pushed time (lines are kept with or without one once the
# evidence core lands).
. tests/http/lib.sh
hs_start
JSON='Content-Type: application/json'
door_incident "Loki door"
PUSH=/loki/api/v1/push
A="Authorization: Bearer $INGEST"
# lines QUERY: how many raw lines of the incident match QUERY.
lines() {
  curl -s -H "Authorization: Bearer $WRITE" \
    "$BASE/api/v1/incidents/$ID/raw?q=$1" | jq '.lines | length'
}

# JSON, by hand: Loki's documented shape; ns timestamps.
cat >"$T/push.json" <<'J'
{"streams":[
 {"stream":{"job":"checkout","level":"error","host":"web-1"},
  "values":[["1709287500000000000","checkout upstream timed out a"],
            ["1709287501000000000","checkout upstream timed out b"]]},
 {"stream":{"service_name":"payments","detected_level":"warn"},
  "values":[["1709287502000000000","payments slow c"]]}]}
J
req POST $PUSH -H "$A" -H "$JSON" --data-binary @"$T/push.json"
check "json push: 204" eq "$STATUS" 204
check "json push: 3 lines stored" eq "$(lines upstream)$(lines slow)" 21
req GET "/api/v1/incidents/$ID/raw?q=payments" -H "Authorization: Bearer $WRITE"
check "service_name label is the source" eq "$(jget '.lines[0].source')" payments
req GET "/api/v1/incidents/$ID/raw?q=checkout" -H "Authorization: Bearer $WRITE"
check "job label is the source" eq "$(jget '.lines[0].source')" checkout
check "the time is the entry's ns timestamp" eq "$(jget '.lines[0].ts')" 2024-03-01T10:05:00.000Z
req POST $PUSH -H "$A" -H "$JSON" --data-binary @"$T/push.json"
check "re-push: 204, nothing added" eq "$STATUS:$(lines upstream)" 204:2

# Gzip-encoded JSON (Vector, Fluent Bit can send it).
sed 's/timed out/gz/' "$T/push.json" | gzip >"$T/push.json.gz"
req POST $PUSH -H "$A" -H "$JSON" -H 'Content-Encoding: gzip' --data-binary @"$T/push.json.gz"
check "gzip json push: 204, stored" eq "$STATUS:$(lines 'upstream%20gz')" 204:2

# Authentication, before the body is read.
req POST $PUSH -H "$JSON" --data-binary @"$T/push.json"
check "no token: 401" eq "$STATUS" 401
req POST $PUSH -H "Authorization: Bearer nope" -H "$JSON" --data-binary @"$T/push.json"
check "wrong token: 401 JSON error" eq "$STATUS:$(jget .error.code)" 401:unauthorized
head -c 3000000 /dev/zero >"$T/zeros"
code=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer nope" \
  -H "$JSON" -H 'Expect:' --data-binary @"$T/zeros" "$BASE$PUSH")
check "wrong token with a big body: 401 at once" eq "$code" 401
req GET /api/v1/incidents -H "$A"
check "an ingest token reads nothing" eq "$STATUS" 403

# Bad input: 4xx with a JSON error; the door keeps working.
req POST $PUSH -H "$A" -H "$JSON" -d '{"streams":[{"stream":{"job":"x"},"values":[["1","a"'
check "truncated JSON: 400" eq "$STATUS" 400
check "truncated JSON: says where" contains "$T/body" "malformed JSON"
req POST $PUSH -H "$A" -H "$JSON" -d '{"streams":[{"stream":{"job":"x"},"values":[["soon","a"]]}]}'
check "bad timestamp: 400 naming the entry" eq "$STATUS:$(jget .error.code)" 400:invalid
check "bad timestamp: names the entry" contains "$T/body" "streams[0].values[0]"
printf '{"streams":[{"stream":{"job":"x"},"values":[["1709287500000000000","bad \377 byte"]]}]}' >"$T/bad-utf8.json"
req POST $PUSH -H "$A" -H "$JSON" --data-binary @"$T/bad-utf8.json"
check "non-UTF-8 JSON: 400" eq "$STATUS" 400
req POST $PUSH -H "$A" -H 'Content-Type: text/plain' -d 'hello'
check "unknown Content-Type: 415" eq "$STATUS" 415
req POST $PUSH -H "$A" -H 'Content-Type: application/x-protobuf' -d 'not snappy at all'
check "protobuf that is not snappy: 400" eq "$STATUS:$(jget .error.code)" 400:invalid
printf '\377\377\377\377garbage protobuf' >"$T/garbage"
node tests/http/doors.mjs snappy "$T/garbage" "$T/garbage.sz"
req POST $PUSH -H "$A" -H 'Content-Type: application/x-protobuf' --data-binary @"$T/garbage.sz"
check "snappy of malformed protobuf: 400" eq "$STATUS" 400
check "snappy of malformed protobuf: says protobuf" contains "$T/body" "protobuf"
# A PushRequest whose one entry's line is not UTF-8 (field 2 of the entry).
printf '\n\027\n\013{job="bad"}\022\010\022\006ab\377\377cd' >"$T/bad-line.pb"
node tests/http/doors.mjs snappy "$T/bad-line.pb" "$T/bad-line.sz"
req POST $PUSH -H "$A" -H 'Content-Type: application/x-protobuf' --data-binary @"$T/bad-line.sz"
check "protobuf line not UTF-8: 400" eq "$STATUS" 400
check "protobuf line not UTF-8: says so" contains "$T/body" "UTF-8"
python3 -c "import sys; sys.stdout.write('{\"streams\":[{\"stream\":{\"job\":\"big\"},\"values\":[[\"1709287500000000000\",\"' + 'x'*70000 + '\"]]}]}')" >"$T/long.json"
req POST $PUSH -H "$A" -H "$JSON" --data-binary @"$T/long.json"
check "a line over 64 KiB: 400" eq "$STATUS" 400
head -c 17000000 /dev/zero | gzip >"$T/bomb.gz"
req POST $PUSH -H "$A" -H "$JSON" -H 'Content-Encoding: gzip' --data-binary @"$T/bomb.gz"
check "a body that inflates past the cap: 413" eq "$STATUS" 413
check "nothing of the bad pushes was stored" eq "$(lines bad)$(lines big)" 00
req POST $PUSH -H "$A" -H "$JSON" --data-binary @"$T/push.json"
check "after bad input the door still works" eq "$STATUS" 204

# winston-loki, the real client: protobuf + snappy by default, then JSON.
node tests/http/doors.mjs loki "$BASE" "$INGEST" proto 40 wlproto >"$T/wl1.out" 2>&1
check "winston-loki (protobuf+snappy): no client error" eq "$(jq -c .errors "$T/wl1.out" 2>/dev/null)" '[]'
check "winston-loki (protobuf+snappy): 40 lines stored" eq "$(lines 'wlproto%20line')" 40
req GET "/api/v1/incidents/$ID/raw?q=wlproto%20line%201" -H "Authorization: Bearer $WRITE"
check "winston-loki: source from the job label" eq "$(jget '.lines[0].source')" wlproto
node tests/http/doors.mjs loki "$BASE" "$INGEST" json 25 wljson >"$T/wl2.out" 2>&1
check "winston-loki (json): no client error" eq "$(jq -c .errors "$T/wl2.out" 2>/dev/null)" '[]'
check "winston-loki (json): 25 lines stored" eq "$(lines 'wljson%20line')" 25
# The error lines (level label "error") were condensed into a signal.
req GET "/api/v1/incidents/$ID/events" -H "Authorization: Bearer $WRITE"
check "error-level lines make a signal" test "$(jq '[.events[] | select(.kind == "signal")] | length' "$T/body")" -ge 1

curl -s "$BASE/metrics" >"$T/metrics"
check "metrics: loki lines received and stored" contains "$T/metrics" 'hindsight_door_lines_stored_total{door="loki"}'
hs_stop
