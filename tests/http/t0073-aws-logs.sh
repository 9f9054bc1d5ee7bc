# t0073-aws-logs: AWS ALB access logs (over HTTP, ?format=alb) feed the
# per-minute request/5xx series and condense a 5xx burst into a signal;
# VPC flow logs (CLI, --format vpc-flow) keep every record and condense
# REJECTs per source, destination and port; re-runs add nothing.
. tests/http/lib.sh
hs_start
TOKEN=$("$HS_BIN" --db "$DB" token add api --scope write)
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Checkout 502s","started_at":"2026-06-01T09:00:00Z"}'
ID=$(jget .id)

# 20 minutes of ALB traffic, 60 requests a minute; minutes 10-13 40% 502.
awk 'BEGIN {
  for (m = 0; m < 20; m++) for (i = 0; i < 60; i++) {
    st = 200; reason = "-"; target = "10.0.0." (i % 3 + 1) ":80"
    if (m >= 10 && m < 14 && i % 5 < 2) { st = 502; reason = "TargetConnectionError"; target = "-" }
    printf "https 2026-06-01T09:%02d:%02d.%06dZ app/shop-lb/50dc6c495c0c9188 198.51.100.%d:%d %s 0.000 0.012 0.000 %d %s 180 %d \"GET https://shop.example.com:443/checkout?cart=%d HTTP/1.1\" \"curl/8.0\" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/checkout-tg/73e2d6bc24d8a067 \"Root=1-%08x-x\" \"shop.example.com\" \"arn:cert\" 0 2026-06-01T09:%02d:%02d.000000Z \"forward\" \"-\" \"%s\" \"%s\" \"-\" \"-\" \"-\" TID_%d\n", m, i, i * 1000, i + 1, 40000 + i, target, st, st == 502 ? "-" : st, st == 502 ? 0 : 512, i, m * 60 + i, m, i, reason, target, i
  }
}' > "$T/alb.log"
req POST "/api/v1/incidents/$ID/ingest?format=alb" -H "$AUTH" --data-binary @"$T/alb.log"
check "alb: 200" eq "$STATUS" 200
check "alb: every line accepted" eq "$(jq -c '[.accepted, .rejected]' "$T/body")" "[1200,0]"
check "alb: the request series per load balancer" eq "$(sql "SELECT source || ' ' || sum(requests) || ' ' || sum(s5xx) FROM access_series GROUP BY source")" "shop-lb 1200 96"
check "alb: the 502 burst is one signal" eq "$(sql "SELECT count(*) FROM events WHERE incident_id=$ID AND kind='signal' AND title LIKE '5xx rate rose from 0.0% to 40% on shop-lb at 09:10%'")" 1
check "alb: raw lines keep the error reason" test "$("$HS_BIN" --db "$DB" raw --bad --grep TargetConnectionError | wc -l)" -eq 96
req POST "/api/v1/incidents/$ID/ingest?format=alb" -H "$AUTH" --data-binary @"$T/alb.log"
check "alb: a re-run adds nothing" eq "$(jq -c '[.accepted, .duplicates]' "$T/body")" "[0,1200]"
printf 'http 2026-06-01T09:00:00Z app/x/1 1.1.1.1:1 - 0 0 0 200\n' > "$T/bad.log"
req POST "/api/v1/incidents/$ID/ingest?format=alb" -H "$AUTH" --data-binary @"$T/bad.log"
check "alb: a short line is rejected with its number" eq "$(jq -c '.errors[0]' "$T/body")" '{"line":1,"reason":"9 fields; an ALB access log line has at least 13"}'

# VPC flow logs with the S3 header: a port scan of 3389 rejected 12 times.
{
  echo "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
  for k in $(seq 0 11); do
    echo "2 123456789012 eni-0a1b2c3d 203.0.113.50 10.0.1.15 $((50000 + k)) 3389 6 1 40 $((1780304400 + k * 20)) $((1780304460 + k * 20)) REJECT OK"
  done
  echo "2 123456789012 eni-0a1b2c3d 10.0.1.15 10.0.2.20 43210 5432 6 120 98000 1780304400 1780304460 ACCEPT OK"
  echo "2 123456789012 eni-0a1b2c3d - - - - - - - 1780304400 1780304460 - NODATA"
} > "$T/flow.log"
"$HS_BIN" --db "$DB" ingest --format vpc-flow --incident $ID --json "$T/flow.log" > "$T/v1"
check "vpc: records kept, NODATA skipped" eq "$(jq -c '[.accepted, .rejected]' "$T/v1")" "[14,0]"
check "vpc: every record is a raw line" eq "$("$HS_BIN" --db "$DB" raw --source vpc-flow | wc -l)" 13
check "vpc: the REJECTs are one warning event" eq "$(sql "SELECT level || ' ' || component || ' ' || title FROM events WHERE incident_id=$ID AND title LIKE 'REJECT x%'")" "warning eni-0a1b2c3d REJECT x12: 203.0.113.50 -> 10.0.1.15:3389 TCP (09:00 to 09:04 UTC)"
"$HS_BIN" --db "$DB" ingest --format vpc-flow --incident $ID --json "$T/flow.log" > "$T/v2"
check "vpc: a re-run adds nothing" eq "$(jq -c '[.accepted, .duplicates]' "$T/v2")" "[0,14]"
hs_stop
