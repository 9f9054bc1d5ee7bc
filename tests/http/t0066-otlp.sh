# t0066-otlp: OTLP/HTTP logs (POST /v1/logs, issue 16). Real clients: the
# OpenTelemetry JS SDK with @opentelemetry/exporter-logs-otlp-http (JSON)
# and -proto (protobuf). Proves: exported records are stored when the
# export succeeds; resource service.name is the source; records the door
# cannot take come back as partial_success (rejected_log_records and an
# error_message) in the request's encoding; gzip bodies; bad input gets a
# 4xx with a JSON error and the door keeps working. An open incident
# started long before covers every time used.
. tests/http/lib.sh
hs_start
JSON='Content-Type: application/json'
PROTO='Content-Type: application/x-protobuf'
door_incident "OTLP door" collector
A="Authorization: Bearer $INGEST"
lines() {
  curl -s -H "Authorization: Bearer $WRITE" \
    "$BASE/api/v1/incidents/$ID/raw?q=$1" | jq '.lines | length'
}

# The SDK's exporters, JSON then protobuf.
node tests/http/doors.mjs otlp "$BASE" "$INGEST" json 12 otjson >"$T/o1.out" 2>&1
check "exporter-logs-otlp-http: every export succeeded" eq "$(jq '.ok' "$T/o1.out" 2>/dev/null)" 12
check "exporter-logs-otlp-http: 12 records stored" eq "$(lines 'otjson%20record')" 12
node tests/http/doors.mjs otlp "$BASE" "$INGEST" proto 9 otproto >"$T/o2.out" 2>&1
check "exporter-logs-otlp-proto: every export succeeded" eq "$(jq '.ok' "$T/o2.out" 2>/dev/null)" 9
check "exporter-logs-otlp-proto: 9 records stored" eq "$(lines 'otproto%20record')" 9
req GET "/api/v1/incidents/$ID/raw?q=otproto%20record%203" -H "Authorization: Bearer $WRITE"
check "service.name is the source" eq "$(jget '.lines[0].source')" otproto
req GET "/api/v1/incidents/$ID/events" -H "Authorization: Bearer $WRITE"
# SimpleLogRecordProcessor sends one record a push: each ERROR record is a
# timeline event of level error (condensing is per push).
check "severity ERROR records reach the timeline as errors" test "$(jq '[.events[] | select(.source == "otjson" and .level == "error")] | length' "$T/body")" -ge 1

# JSON by hand: string int64s, hex ids; a kvlist body is rejected alone.
cat >"$T/logs.json" <<'J'
{"resourceLogs":[{"resource":{"attributes":[
  {"key":"service.name","value":{"stringValue":"hand-json"}}]},
 "scopeLogs":[{"scope":{"name":"x"},"logRecords":[
  {"timeUnixNano":"1709287500000000000","severityNumber":13,
   "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
   "body":{"stringValue":"hand json kept"}},
  {"timeUnixNano":"1709287501000000000","body":{"kvlistValue":{"values":[]}}}]}]}]}
J
req POST /v1/logs -H "$A" -H "$JSON" --data-binary @"$T/logs.json"
check "json: 200" eq "$STATUS" 200
check "json: partialSuccess names one rejected record" eq "$(jget .partialSuccess.rejectedLogRecords)" 1
check "json: with an error message" contains "$T/body" "not a string"
check "json: the good record is stored" eq "$(lines 'hand%20json%20kept')" 1
req GET "/api/v1/incidents/$ID/raw?q=hand%20json" -H "Authorization: Bearer $WRITE"
check "json: time from timeUnixNano" eq "$(jget '.lines[0].ts')" 2024-03-01T10:05:00.000Z
gzip -c "$T/logs.json" | sed 's/x/x/' >"$T/logs.json.gz"
req POST /v1/logs -H "$A" -H "$JSON" -H 'Content-Encoding: gzip' --data-binary @"$T/logs.json.gz"
check "gzip json: 200, a duplicate adds nothing" eq "$STATUS:$(lines 'hand%20json%20kept')" 200:1

# Protobuf by hand: one record with a string body, one with a kvlist.
python3 - "$T/logs.pb" <<'P'
import struct, sys
def ld(field, b): # length-delimited field
    n, v = len(b), b''
    while True:
        if n < 0x80:
            v += bytes([n]); break
        v += bytes([n & 0x7f | 0x80]); n >>= 7
    return bytes([field << 3 | 2]) + v + b
rec1 = b'\x09' + struct.pack('<Q', 1709287502000000000) + ld(5, ld(1, b'hand proto kept'))
rec2 = ld(5, ld(6, b''))
res = ld(1, ld(1, ld(1, b'service.name') + ld(2, ld(1, b'hand-proto'))))
open(sys.argv[1], 'wb').write(ld(1, res + ld(2, ld(2, rec1) + ld(2, rec2))))
P
curl -s -o "$T/resp.pb" -w '%{http_code}' -H "$A" -H "$PROTO" --data-binary @"$T/logs.pb" "$BASE/v1/logs" >"$T/code"
check "protobuf: 200" eq "$(cat "$T/code")" 200
check "protobuf: partial_success, rejected_log_records 1" eq "$(od -An -tx1 -N4 "$T/resp.pb" | tr -d ' \n' | cut -c1-2,5-8)" 0a0801
check "protobuf: the good record is stored" eq "$(lines 'hand%20proto%20kept')" 1
req GET "/api/v1/incidents/$ID/raw?q=hand%20proto" -H "Authorization: Bearer $WRITE"
check "protobuf: resource service.name is the source" eq "$(jget '.lines[0].source')" hand-proto

# Bad input.
req POST /v1/logs -H "$A" -H "$JSON" -d '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"soon"}]}]}]}'
check "json: a bad timeUnixNano is 400" eq "$STATUS:$(jget .error.code)" 400:invalid
req POST /v1/logs -H "$A" -H "$JSON" -d '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"zz"}]}]}]}'
check "json: a traceId that is not hex is 400" eq "$STATUS" 400
req POST /v1/logs -H "$A" -H "$JSON" -d '{"resourceLogs":'
check "json: truncated is 400" eq "$STATUS" 400
head -c 40 "$T/logs.pb" >"$T/trunc.pb"
req POST /v1/logs -H "$A" -H "$PROTO" --data-binary @"$T/trunc.pb"
check "protobuf: truncated is 400 with a JSON error" eq "$STATUS:$(jget .error.code)" 400:invalid
printf '\n\010\022\006\022\004\052\002\n\377' >"$T/badutf.pb"
req POST /v1/logs -H "$A" -H "$PROTO" --data-binary @"$T/badutf.pb"
check "protobuf: a field that runs past the end is 400" eq "$STATUS" 400
python3 -c "
import sys
body = b'\x0a\x03\xff\xfe\xfd'  # AnyValue string_value, not UTF-8
rec = b'\x2a' + bytes([len(body)]) + body
sl = b'\x12' + bytes([len(rec)]) + rec
rl = b'\x12' + bytes([len(sl)]) + sl
sys.stdout.buffer.write(b'\x0a' + bytes([len(rl)]) + rl)" >"$T/nonutf.pb"
req POST /v1/logs -H "$A" -H "$PROTO" --data-binary @"$T/nonutf.pb"
check "protobuf: a body that is not UTF-8 is 400" eq "$STATUS" 400
printf 'not gzip' >"$T/notgz"
req POST /v1/logs -H "$A" -H "$JSON" -H 'Content-Encoding: gzip' --data-binary @"$T/notgz"
check "bad gzip is 400" eq "$STATUS" 400
req POST /v1/logs -H "$A" -H "$JSON" -H 'Content-Encoding: br' -d '{}'
check "unknown Content-Encoding is 415" eq "$STATUS" 415
req POST /v1/logs -H "Authorization: Bearer wrong" -H "$JSON" --data-binary @"$T/logs.json"
check "wrong token is 401" eq "$STATUS" 401
req POST /v1/logs -H "$A" -H "$JSON" --data-binary @"$T/logs.json"
check "after bad input the door still works" eq "$STATUS" 200
hs_stop
