# t0114-burst-across-pushes: an error repeated across many small pushes is
# one burst, as it is within one push. Loki pushes of one error line each
# (digits differ, as in real logs) make one evidence item that becomes a
# signal at the third line and counts every line after; the incident that
# covers them shows one timeline event with that count, not one per push.
# A re-push adds nothing; the same error after a gap of more than 5
# minutes starts a new item, and so does one that has gone on for an hour;
# another message has its own. Files and
# uploads keep bursts of their own (t0070; t0095 crashes and retries them).
. tests/http/lib.sh
hs_start
JSON='Content-Type: application/json'
door_incident "Payments failing"

# push SECONDS_AFTER_10:00 MESSAGE: one error line in one Loki push.
push() {
  ns=$(( (1709287200 + $1) * 1000000000 ))
  printf '{"streams":[{"stream":{"job":"payments","level":"error"},"values":[["%s","%s"]]}]}' \
    "$ns" "$2" >"$T/push.json"
  curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $INGEST" \
    -H "$JSON" --data-binary @"$T/push.json" "$BASE/loki/api/v1/push"
}
# items: the evidence items of source payments, signals (the list's
# default) and plain log items, as "kind count" lines in time order.
items() {
  for k in "" "&kind=log"; do
    curl -s -H "Authorization: Bearer $WRITE" "$BASE/api/v1/evidence?source=payments$k" |
      jq -c '.items[]'
  done | jq -rs 'sort_by(.ts)[] | "\(.kind) \(.count)"'
}

st=
for i in 1 2 3 4 5 6; do
  st="$st$(push $((i * 10)) "gateway timeout after $((i * 100)) ms")"
done
check "six pushes of one line each: 204" eq "$st" 204204204204204204
check "they make one item, a signal of 6" eq "$(items)" "signal 6"
req GET "/api/v1/evidence?source=payments" -H "Authorization: Bearer $WRITE"
check "its time range spans the pushes" eq "$(jget '.items[0].ts') $(jget '.items[0].end_ts')" \
  "2024-03-01T10:00:10.000Z 2024-03-01T10:01:00.000Z"
check "its title: the first line's message, the count and the range" \
  eq "$(jget '.items[0].title')" "gateway timeout after 100 ms (x6 on payments, 10:00 to 10:01)"
req GET "/api/v1/incidents/$ID/events" -H "Authorization: Bearer $WRITE"
check "the incident's timeline has one event for them" \
  eq "$(jq '[.events[] | select(.source == "payments")] | length' "$T/body")" 1
check "with their count" eq "$(jq '[.events[] | select(.source == "payments")][0].count' "$T/body")" 6

check "a re-push: 204" eq "$(push 30 "gateway timeout after 300 ms")" 204
check "adds nothing" eq "$(items)" "signal 6"
push 70 "gateway timeout after 700 ms" >/dev/null
check "one more line, 10 s later, joins the burst" eq "$(items)" "signal 7"
req GET "/api/v1/evidence?source=payments" -H "Authorization: Bearer $WRITE"
check "its title keeps the first line's message" \
  eq "$(jget '.items[0].title')" "gateway timeout after 100 ms (x7 on payments, 10:00 to 10:01)"
push 75 "card declined for order 4411" >/dev/null
check "another message is an item of its own" eq "$(items | sort)" "log 1
signal 7"
push 700 "gateway timeout after 800 ms" >/dev/null
check "the same error after a 10-minute gap starts a new item" \
  eq "$(items | grep -c .)" 3
req GET "/api/v1/incidents/$ID/events" -H "Authorization: Bearer $WRITE"
check "the timeline follows: three events, the burst still one" \
  eq "$(jq -c '[.events[] | select(.source == "payments") | .count]' "$T/body")" "[7,1,1]"

# An error that never stops: one push every 4 minutes from 12:00 to 13:20
# makes an item an hour, not one that grows for ever.
for m in $(seq 0 4 80); do
  push $((7200 + m * 60)) "disk full on volume $m" >/dev/null
done
check "an endless error: a new item after an hour" eq \
  "$(items | grep -c .)" 5
hs_stop
