# t0092-bodies: who asks comes before the body (issue 20, case 3). An
# anonymous 200 MB ingest upload is refused 401 before curl has sent much
# of it, and a client still sending after a refusal is not reset (the
# close lingers); an anonymous half-sent JSON body is refused at once; an anonymous
# body on a public route is capped small (16 KiB) and must arrive whole
# within the head deadline; bodies held in memory by all requests together
# stay under --max-body-memory (1 MiB here): past it, 503 with Retry-After
# rather than more memory. Bounded: one sparse 200 MB file, a few seconds.
. tests/http/lib.sh
hs_start --max-body-memory 1 --header-timeout 2
RAW="node tests/http/raw.mjs"
JSON='Content-Type: application/json'
WRITE=$("$HS_BIN" --db "$DB" token add writer --scope write)
AUTH="Authorization: Bearer $WRITE"
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Bodies"}'
ID=$(jget .id)
check "setup: an incident" test -n "$ID"

truncate -s 200M "$T/big"
out=$(curl -s -o "$T/body" -w '%{http_code} %{size_upload}' -X POST \
  -H 'Content-Type: text/plain' -T "$T/big" \
  "$BASE/api/v1/incidents/$ID/ingest?format=syslog")
code=${out% *}
sent=${out#* }
check "an anonymous 200 MB upload is 401" eq "$code" 401
check "refused before the body: curl sent under 16 MB of 200 ($sent bytes)" \
  test "${sent%.*}" -lt 16000000

# A refusal before the body is a lingering close (linger.c): what the
# client still sends is read and dropped, so it reads the 401 instead of a
# reset (RST) when the server closes under an upload in flight.
{ printf 'POST /loki/api/v1/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n'
  head -c 200000 /dev/zero; } | $RAW afterward "$PORT" >"$T/linger"
check "a wrong token on a 50 MB push: 401 before the body" \
  grep -q '^HTTP/1.1 401' "$T/linger"
check "the client sends on after the answer, and is not reset" \
  eq "$(tail -n 1 "$T/linger")" "[more body taken]"
req GET /metrics
check "counted in hindsight_lingering_closes_total" \
  grep -q '^hindsight_lingering_closes_total [1-9]' "$T/body"

printf 'POST /api/v1/incidents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"title":"' |
  $RAW trickle "$PORT" 3 >"$T/anon"
check "an anonymous half-sent JSON body is 401 at once" \
  sh -c "head -n1 '$T/anon' | grep -q ' 401 '"

head -c 100000 /dev/zero | tr '\0' a | sed 's/^/username=/' >"$T/form"
req POST /login --data-binary @"$T/form"
check "a 100 KB anonymous form is 413 (16 KiB cap)" eq "$STATUS" 413

printf 'POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000\r\n\r\nusername=' |
  $RAW trickle "$PORT" 6 >"$T/slowform"
check "an anonymous body trickled past the head deadline is cut off" \
  grep -q 'closed by server' "$T/slowform"

# 700 KB of one authenticated body held (the rest never comes), then
# another 600 KB body: together past the 1 MiB budget.
{
  printf 'POST /api/v1/incidents HTTP/1.1\r\nHost: x\r\n%s\r\n%s\r\nContent-Length: 1000000\r\n\r\n' "$AUTH" "$JSON"
  head -c 700000 /dev/zero | tr '\0' ' '
} | $RAW trickle "$PORT" 5 >"$T/held" &
HELD=$!
sleep 1.5
{ printf '{"title":"big","summary":"'; head -c 600000 /dev/zero | tr '\0' a; printf '"}'; } >"$T/600k.json"
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" --data-binary @"$T/600k.json"
check "a body past the global budget is 503" eq "$STATUS" 503
check "with Retry-After" grep -qi '^retry-after:' "$T/headers"
check "and a JSON error that says so" eq "$(jget .error.code)" busy
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"small while held"}'
check "a small body still fits (201)" eq "$STATUS" 201
wait $HELD
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" --data-binary @"$T/600k.json"
check "once the held body is gone, the 600 KB body is taken (not 503)" \
  test "$STATUS" != 503
req GET /healthz
check "healthz" eq "$STATUS" 200
hs_stop
