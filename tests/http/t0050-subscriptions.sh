# t0050-subscriptions: subscribers and the outbox against real peers on
# loopback (tests/http/peers.py: an SMTP sink and an HTTP receiver). Double
# opt-in, per-component delivery, retries with back-off, no duplicate after
# a SIGKILL mid-delivery (webhooks: the same Idempotency-Key; e-mail: not
# resent), signatures, unsubscribe (link and RFC 8058 one-click),
# confirmation expiry, the rate limit, private-URL refusal, per-component
# feeds, the admin page, action reminders, component_update events and
# outbox pruning.
. tests/http/lib.sh
hs_start
JSON='Content-Type: application/json'
PEERS=tests/http/peers.py
MAIL=$T/mail
HOOK=$T/hook
mkdir -p "$MAIL" "$HOOK"
python3 "$PEERS" smtp "$MAIL" &
SMTP_PID=$!
python3 "$PEERS" http "$HOOK" &
HTTP_PID=$!
i=0
while [ ! -s "$MAIL/port" ] || [ ! -s "$HOOK/port" ]; do
  i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.1
done
SMTP_PORT=$(cat "$MAIL/port")
HOOK_PORT=$(cat "$HOOK/port")
cleanup_peers() { kill $SMTP_PID $HTTP_PID 2>/dev/null; }
trap cleanup_peers EXIT

cfg() { "$HS_BIN" --db "$DB" config set "$1" "$2"; }
cfg smtp.host 127.0.0.1
cfg smtp.port "$SMTP_PORT"
cfg smtp.from status@example.com
cfg subscriptions.retry_base_seconds 1
sql "INSERT INTO settings (key, value) VALUES ('page_url', '$BASE')"
q() { sql "$1"; }

nmail() { ls "$MAIL" | grep -c '\.eml$'; }
nreq() { ls "$HOOK" | grep -c '\.json$'; }
mails_to() { grep -l "^X-Sink-To: <$1>" "$MAIL"/*.eml 2>/dev/null | sort; }
last_mail_to() { mails_to "$1" | tail -n 1; }
last_req() { ls "$HOOK"/req.*.json | sort | tail -n 1; }
ge() { [ "$1" -ge "$2" ]; }

restart() { # restart: serve again on the same port (after a kill -9)
  "$HS_BIN" --db "$DB" serve --listen "127.0.0.1:$PORT" --threads 2 \
    >"$T/server.out" 2>>"$T/server.err" &
  HS_PID=$!
  wait_for 'grep -q "listening on" "$T/server.out"'
}

login admin "$PW_ADMIN"
ADM="-b $T/jar.admin -H X-CSRF-Token:$CSRF"
ADMIN_CSRF=$CSRF
for c in Website Checkout; do
  req POST /api/v1/components $ADM -H "$JSON" -d "{\"name\":\"$c\"}"
done
WEB=$(q "SELECT id FROM components WHERE name = 'Website'")
CHK=$(q "SELECT id FROM components WHERE name = 'Checkout'")
req POST /api/v1/incidents $ADM -H "$JSON" -d '{"title":"Checkout errors","components":["Checkout"]}'
INC=$(jget .id)
update() { # update BODY [COMPONENT STATUS]
  if [ $# -gt 1 ]; then
    req POST "/api/v1/incidents/$INC/updates" $ADM -H "$JSON" -d "{\"status\":\"investigating\",\"body\":\"$1\",\"components\":{\"$2\":\"$3\"}}"
  else
    req POST "/api/v1/incidents/$INC/updates" $ADM -H "$JSON" -d "{\"status\":\"identified\",\"body\":\"$1\"}"
  fi
}

# subscribe JAR KIND ADDRESS [COMPONENT-ID...]: GET the form, POST it.
subscribe() {
  jar=$T/jar.$1; kind=$2; addr=$3; shift 3
  curl -s -c "$jar" -b "$jar" -o "$T/form.html" "$BASE/subscribe"
  tok=$(sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' "$T/form.html" | head -n1)
  set -- $(for c in "$@"; do echo "--data-urlencode component=$c"; done)
  req POST "/subscribe?format=json" -c "$jar" -b "$jar" --data-urlencode "csrf_token=$tok" \
    --data-urlencode "kind=$kind" --data-urlencode "address=$addr" "$@"
}

# The form and its CSRF token.
req GET /subscribe
check "subscribe page is public" eq "$STATUS" 200
check "subscribe page lists components" contains "$T/body" 'value="'"$CHK"'"'
check "subscribe page sets the form cookie" grep -qi '^set-cookie: hs_sub_csrf=.*HttpOnly; SameSite=Strict' "$T/headers"
check "status page links to subscribe" sh -c "curl -s '$BASE/' | grep -q 'href=\"/subscribe\"'"
req POST /subscribe --data-urlencode "kind=email" --data-urlencode "address=x@example.com"
check "subscribe without the form token is 403" eq "$STATUS" 403
subscribe x email not-an-address
check "a bad e-mail address is 400" eq "$STATUS" 400

# Double opt-in: a confirmation, and nothing else until it is confirmed.
subscribe alice email alice@example.com "$CHK"
check "subscribe is 202" eq "$STATUS" 202
check "e-mail subscriptions show no secret" eq "$(jget '.secret // "none"')" none
check "the confirmation e-mail arrives" wait_for 'test "$(nmail)" -ge 1'
CONF=$(last_mail_to alice@example.com)
check "confirmation subject" eq "$(python3 $PEERS mail "$CONF" subject)" "[Service status] Confirm your subscription"
CURL_CONFIRM=$(python3 $PEERS mail "$CONF" text | grep -o "$BASE/subscribe/confirm?token=[0-9a-f]*")
check "the confirmation carries the link" test -n "$CURL_CONFIRM"
check "the confirmation has an HTML part" sh -c "python3 $PEERS mail '$CONF' html | grep -q '<a href=\"$BASE/subscribe/confirm'"
check "a confirmation carries no List-Unsubscribe" eq "$(python3 $PEERS mail "$CONF" header:List-Unsubscribe)" ""
update "Before confirming" Checkout degraded_performance
check "update posted" eq "$STATUS" 201
sleep 2
check "no update mail before the subscriber confirms" eq "$(mails_to alice@example.com | wc -l)" 1
check "no outbox row for an unconfirmed subscriber" eq "$(q "SELECT count(*) FROM outbox WHERE address = 'alice@example.com' AND topic <> 'confirm'")" 0
TOKEN=${CURL_CONFIRM##*token=}
req GET "/subscribe/confirm?token=$TOKEN"
check "the confirm link shows a button (GET changes nothing)" eq "$STATUS" 200
check "still unconfirmed after the GET" eq "$(q "SELECT CASE WHEN confirmed_at IS NULL THEN 1 ELSE 0 END FROM subscribers WHERE address = 'alice@example.com'")" 1
req POST /subscribe/confirm --data-urlencode "token=$TOKEN"
check "confirming is 200" eq "$STATUS" 200
check "confirmed" eq "$(q "SELECT CASE WHEN confirmed_at IS NOT NULL THEN 1 ELSE 0 END FROM subscribers WHERE address = 'alice@example.com'")" 1
req POST /subscribe/confirm --data-urlencode "token=$TOKEN"
check "a used confirmation link is 404" eq "$STATUS" 404

subscribe bob email bob@example.com "$WEB"
BOBCONF=$(wait_for 'test -n "$(last_mail_to bob@example.com)"'; last_mail_to bob@example.com)
BT=$(python3 $PEERS mail "$BOBCONF" text | grep -o 'token=[0-9a-f]*' | head -n1)
req POST /subscribe/confirm --data-urlencode "${BT}"
check "bob confirmed (Website only)" eq "$STATUS" 200

# Delivery to the subscribers of the component, and not to others.
update "Payments **fail** for some & <all>" Checkout partial_outage
check "the update mail reaches alice" wait_for 'test "$(mails_to alice@example.com | wc -l)" -ge 2'
ALICE=$(last_mail_to alice@example.com)
check "update subject" eq "$(python3 $PEERS mail "$ALICE" subject)" "[Service status] Checkout errors: Investigating"
check "text body carries the Markdown as written" sh -c "python3 $PEERS mail '$ALICE' text | grep -qF 'Payments **fail** for some & <all>'"
check "text body names the component change" sh -c "python3 $PEERS mail '$ALICE' text | grep -qF 'Checkout: Partial outage'"
check "HTML body is rendered and escaped" sh -c "python3 $PEERS mail '$ALICE' html | grep -qF '<strong>fail</strong> for some &amp; <!-- raw HTML omitted -->'"
UNSUB=$(python3 $PEERS mail "$ALICE" header:List-Unsubscribe | tr -d '<>')
check "List-Unsubscribe names the unsubscribe URL" sh -c "echo '$UNSUB' | grep -q '^$BASE/unsubscribe?token=[0-9a-f]\{64\}$'"
check "List-Unsubscribe-Post (RFC 8058)" eq "$(python3 $PEERS mail "$ALICE" header:List-Unsubscribe-Post)" "List-Unsubscribe=One-Click"
check "the text body carries the unsubscribe link" sh -c "python3 $PEERS mail '$ALICE' text | grep -qF '$UNSUB'"
sleep 1
check "bob (Website only) gets no Checkout update" eq "$(mails_to bob@example.com | wc -l)" 1
check "outbox row is sent" eq "$(q "SELECT state FROM outbox WHERE address = 'alice@example.com' AND topic = 'incident_update' ORDER BY id DESC LIMIT 1")" sent

# Webhooks: private URLs refused unless allowed.
subscribe w webhook "http://127.0.0.1:$HOOK_PORT/hook"
check "a loopback webhook URL is refused by default" eq "$STATUS" 400
check "the refusal says why" contains "$T/body" "loopback or private"
subscribe w webhook "http://localhost:$HOOK_PORT/hook"
check "localhost is refused" eq "$STATUS" 400
subscribe w webhook "http://2130706433/hook"
check "a numeric host is refused" eq "$STATUS" 400
subscribe w webhook "http://10.1.2.3/hook"
check "a private address is refused" eq "$STATUS" 400
subscribe w webhook "ftp://example.com/hook"
check "only http and https" eq "$STATUS" 400
cfg subscriptions.allow_private_webhooks 1
subscribe w webhook "http://127.0.0.1:$HOOK_PORT/hook"
check "allowed by the setting" eq "$STATUS" 202
SECRET=$(jget .secret)
check "the signing secret is shown once" sh -c "echo '$SECRET' | grep -q '^[0-9a-f]\{64\}$'"
check "the confirmation request arrives" wait_for 'test "$(nreq)" -ge 1'
R=$(last_req)
check "confirmation event" eq "$(python3 $PEERS req "$R" json:meta.event)" subscription_confirmation
check "confirmation is signed" python3 $PEERS verify "$R" "$SECRET"
check "a wrong secret does not verify" sh -c "! python3 $PEERS verify '$R' 0000"
WT=$(python3 $PEERS req "$R" json:confirm_url | grep -o 'token=[0-9a-f]*')
req POST /subscribe/confirm --data-urlencode "$WT"
check "webhook confirmed" eq "$STATUS" 200

# Retries: the receiver fails twice, then takes it; one key throughout.
echo 2 >"$HOOK/fail"
N0=$(nreq)
update "Retry me"
check "three attempts reach the receiver" wait_for 'test "$(nreq)" -ge $((N0 + 3))'
sleep 0.5
K=$(for f in $(ls "$HOOK"/req.*.json | sort | tail -n 3); do python3 $PEERS req "$f" header:Idempotency-Key; done | sort -u)
check "the Idempotency-Key is constant across retries" eq "$(echo "$K" | wc -l)" 1
check "the Idempotency-Key is set" test -n "$K"
check "outbox: sent after 3 attempts" wait_for 'test "$(q "SELECT state || attempts FROM outbox WHERE idempotency_key = '\''$K'\''")" = sent3'
R=$(last_req)
check "the delivered request verifies" python3 $PEERS verify "$R" "$SECRET"
check "payload: incident name" eq "$(python3 $PEERS req "$R" json:incident.name)" "Checkout errors"
check "payload: the newest update first" eq "$(python3 $PEERS req "$R" json:incident.incident_updates.0.body)" "Retry me"
check "payload: page indicator" eq "$(python3 $PEERS req "$R" json:page.status_indicator)" major
check "payload: unsubscribe link" sh -c "python3 $PEERS req '$R' json:meta.unsubscribe | grep -q '^$BASE/unsubscribe?token='"
check "payload: the key in meta too" eq "$(python3 $PEERS req "$R" json:meta.idempotency_key)" "$K"
check "event header" eq "$(python3 $PEERS req "$R" header:X-Hindsight-Event)" incident_update

# Component status changes (Statuspage's component_update). An admin's
# edit: webhooks get the event, e-mail subscribers of the component a short
# mail, subscribers of other components nothing.
reqs_with() { grep -l "\"X-Hindsight-Event\": \"$1\"" "$HOOK"/req.*.json 2>/dev/null | sort; }
set_component() { # set_component ID STATUS
  req GET /api/v1/components $ADM
  v=$(jget ".components[] | select(.id == $1) | .version")
  req PATCH "/api/v1/components/$1" $ADM -H "$JSON" -H "If-Match: \"$v\"" -d "{\"status\":\"$2\"}"
}
NB=$(mails_to bob@example.com | wc -l)
NA=$(mails_to alice@example.com | wc -l)
set_component "$WEB" partial_outage
check "admin sets Website to partial_outage" eq "$STATUS" 200
check "the webhook gets a component_update" wait_for 'test "$(reqs_with component_update | wc -l)" -ge 1'
R=$(reqs_with component_update | tail -n 1)
check "component_update: signed" python3 $PEERS verify "$R" "$SECRET"
check "component_update: new_status" eq "$(python3 $PEERS req "$R" json:component_update.new_status)" partial_outage
check "component_update: old_status" eq "$(python3 $PEERS req "$R" json:component_update.old_status)" operational
check "component_update: component_id" eq "$(python3 $PEERS req "$R" json:component_update.component_id)" "c$WEB"
check "component_update: an id of its own" sh -c "python3 $PEERS req '$R' json:component_update.id | grep -q '^cu[0-9]*$'"
check "component_update: created_at in RFC 3339" sh -c "python3 $PEERS req '$R' json:component_update.created_at | grep -q '^20[0-9-]*T[0-9:.]*[+-][0-9:]*$'"
check "component: as in components.json" eq "$(python3 $PEERS req "$R" json:component.id)/$(python3 $PEERS req "$R" json:component.name)/$(python3 $PEERS req "$R" json:component.status)" "c$WEB/Website/partial_outage"
check "component_update: page indicator" eq "$(python3 $PEERS req "$R" json:page.status_indicator)" major
check "component_update: unsubscribe link" sh -c "python3 $PEERS req '$R' json:meta.unsubscribe | grep -q '^$BASE/unsubscribe?token='"
check "component_update: event in meta" eq "$(python3 $PEERS req "$R" json:meta.event)" component_update
check "component_update: no incident key" eq "$(python3 $PEERS req "$R" json:incident)" None
check "bob (Website) gets a short e-mail" wait_for 'test "$(mails_to bob@example.com | wc -l)" -ge $((NB + 1))'
BOBC=$(last_mail_to bob@example.com)
check "component mail subject" eq "$(python3 $PEERS mail "$BOBC" subject)" "[Service status] Website: Partial outage (was Operational)"
check "component mail text" sh -c "python3 $PEERS mail '$BOBC' text | grep -qF 'Website is now Partial outage (was Operational), since '"
check "component mail HTML" sh -c "python3 $PEERS mail '$BOBC' html | grep -qF 'Website is now <strong>Partial outage</strong>'"
check "component mail has List-Unsubscribe" sh -c "python3 $PEERS mail '$BOBC' header:List-Unsubscribe | grep -q 'unsubscribe?token='"
check "outbox topic component_update, sent" wait_for 'test "$(q "SELECT group_concat(DISTINCT state) FROM outbox WHERE topic = '\''component_update'\''")" = sent'
sleep 1
check "alice (Checkout) hears nothing of Website" eq "$(mails_to alice@example.com | wc -l)" "$NA"
NC=$(reqs_with component_update | wc -l)
set_component "$WEB" partial_outage
check "an edit that keeps the status" eq "$STATUS" 200
sleep 1.5
check "queues no component_update" eq "$(reqs_with component_update | wc -l)" "$NC"
# A change made by an incident update: webhooks get both events; e-mail only
# the update's message, which names the change (one event, one e-mail).
NI=$(reqs_with incident_update | wc -l)
update "Checkout is slow" Checkout degraded_performance
check "the webhook gets the incident_update" wait_for 'test "$(reqs_with incident_update | wc -l)" -ge $((NI + 1))'
check "and a component_update for Checkout" wait_for 'test "$(reqs_with component_update | wc -l)" -ge $((NC + 1))'
R=$(reqs_with component_update | tail -n 1)
check "Checkout component_update" eq "$(python3 $PEERS req "$R" json:component_update.component_id)/$(python3 $PEERS req "$R" json:component_update.new_status)" "c$CHK/degraded_performance"
check "alice gets the incident update" wait_for 'test "$(mails_to alice@example.com | wc -l)" -ge $((NA + 1))'
sleep 1
check "and no second e-mail for the component" eq "$(mails_to alice@example.com | wc -l)" $((NA + 1))
check "no component_update e-mail queued for it" eq "$(q "SELECT count(*) FROM outbox WHERE topic = 'component_update' AND kind = 'email' AND address = 'alice@example.com'")" 0
set_component "$WEB" operational
check "Website back to operational reaches the webhook" wait_for 'test "$(reqs_with component_update | wc -l)" -ge $((NC + 2))'
check "and bob" wait_for 'test "$(mails_to bob@example.com | wc -l)" -ge $((NB + 2))'

# SIGKILL mid-delivery of a webhook: sent again with the same key.
echo 5 >"$HOOK/delay"
N0=$(nreq)
update "Crash during the POST"
check "the POST reaches the receiver" wait_for 'test "$(nreq)" -ge $((N0 + 1))'
K1=$(python3 $PEERS req "$(last_req)" header:Idempotency-Key)
kill -9 $HS_PID
wait $HS_PID 2>/dev/null
check "the row was left in sending" eq "$(q "SELECT state FROM outbox WHERE idempotency_key = '$K1'")" sending
restart
check "after the restart it is sent again" wait_for 'test "$(nreq)" -ge $((N0 + 2))'
check "with the same Idempotency-Key" eq "$(python3 $PEERS req "$(last_req)" header:Idempotency-Key)" "$K1"
check "and then recorded as sent" wait_for 'test "$(q "SELECT state FROM outbox WHERE idempotency_key = '\''$K1'\''")" = sent'
KEYS=$(for f in "$HOOK"/req.*.json; do python3 $PEERS req "$f" json:incident.incident_updates.0.body 2>/dev/null; done | grep -c 'Crash during the POST')
check "the receiver saw it twice, under one key (dedupe by key)" eq "$KEYS" 2

# SIGKILL mid-delivery of an e-mail: never sent twice.
echo 5 >"$MAIL/delay"
N0=$(mails_to alice@example.com | wc -l)
update "Crash during SMTP" Checkout major_outage
check "the message reaches the relay" wait_for 'test "$(mails_to alice@example.com | wc -l)" -ge $((N0 + 1))'
kill -9 $HS_PID
wait $HS_PID 2>/dev/null
restart
check "the interrupted e-mail is marked dead" wait_for 'test "$(q "SELECT state FROM outbox WHERE address = '\''alice@example.com'\'' ORDER BY id DESC LIMIT 1")" = dead'
check "with the reason" contains /dev/stdin "interrupted" <<EOF
$(q "SELECT last_error FROM outbox WHERE address = 'alice@example.com' ORDER BY id DESC LIMIT 1")
EOF
sleep 2
check "and not sent a second time" eq "$(mails_to alice@example.com | wc -l)" $((N0 + 1))

# Feeds per component: published updates of that component only.
req GET "/feeds/components/$CHK.atom"
check "component Atom feed is 200" eq "$STATUS" 200
check "Atom content type" grep -qi '^content-type: application/atom+xml; charset=utf-8' "$T/headers"
check "Atom parses" xmllint --noout "$T/body"
check "Atom carries the update" contains "$T/body" "Retry me"
check "Atom escapes the HTML" contains "$T/body" "&lt;strong&gt;fail&lt;/strong&gt;"
req GET "/feeds/components/$WEB.rss"
check "component RSS feed is 200" eq "$STATUS" 200
check "RSS parses" xmllint --noout "$T/body"
check "another component's feed lacks the update" lacks "$T/body" "Retry me"
req GET "/feeds/components/$CHK.rss"
check "RSS carries the update" contains "$T/body" "Retry me"
req GET /feeds/components/999.atom
check "unknown component feed is 404" eq "$STATUS" 404
req GET "/feeds/components/$CHK.xml"
check "unknown feed format is 404" eq "$STATUS" 404

# Unsubscribe: the link shows a button; RFC 8058 one-click POST.
req GET "${UNSUB#$BASE}"
check "unsubscribe page is 200" eq "$STATUS" 200
check "unsubscribe page has a button" contains "$T/body" 'method="post"'
check "GET did not unsubscribe" eq "$(q "SELECT count(*) FROM subscribers WHERE address = 'alice@example.com'")" 1
req POST "${UNSUB#$BASE}" -d 'List-Unsubscribe=One-Click'
check "one-click unsubscribe is 200" eq "$STATUS" 200
check "alice is gone" eq "$(q "SELECT count(*) FROM subscribers WHERE address = 'alice@example.com'")" 0
N0=$(mails_to alice@example.com | wc -l)
update "After unsubscribing" Checkout operational
sleep 2
check "no mail after unsubscribing" eq "$(mails_to alice@example.com | wc -l)" "$N0"
req POST "${UNSUB#$BASE}" -d 'List-Unsubscribe=One-Click'
check "a second unsubscribe is 404" eq "$STATUS" 404

# Confirmation links expire after 24 h.
subscribe carol email carol@example.com
check "carol's confirmation arrives" wait_for 'test -n "$(last_mail_to carol@example.com)"'
CT=$(python3 $PEERS mail "$(last_mail_to carol@example.com)" text | grep -o 'token=[0-9a-f]*' | head -n1)
check "expiry is 24 h after subscribing" eq "$(q "SELECT confirm_expires_at - created_at FROM subscribers WHERE address = 'carol@example.com'")" 86400000
q "UPDATE subscribers SET confirm_expires_at = confirm_expires_at - 86400001 WHERE address = 'carol@example.com'"
req GET "/subscribe/confirm?$CT"
check "an expired link is 404" eq "$STATUS" 404
check "and says it expired" contains "$T/body" "expired"
req POST /subscribe/confirm --data-urlencode "$CT"
check "an expired link cannot confirm" eq "$STATUS" 404

# Rate limit: 5 subscribe attempts per address per hour.
for n in 1 2 3 4; do subscribe dave email dave@example.com; done
check "fourth attempt still accepted" eq "$STATUS" 202
subscribe dave email dave@example.com
check "fifth attempt accepted" eq "$STATUS" 202
subscribe dave email dave@example.com
check "sixth attempt in an hour is 429" eq "$STATUS" 429

# Maintenance windows notify subscribers of their components.
# A window 30 days ahead of whatever day the test runs on.
N0=$(nreq)
MFROM=$(date -u -d '+30 days' +%Y-%m-%dT%H:00:00Z)
MUNTIL=$(date -u -d '+30 days 1 hour' +%Y-%m-%dT%H:00:00Z)
req POST /api/v1/maintenances $ADM -H "$JSON" -d "{\"title\":\"DB upgrade\",\"scheduled_for\":\"$MFROM\",\"scheduled_until\":\"$MUNTIL\",\"components\":[\"Website\"]}"
check "maintenance scheduled" eq "$STATUS" 201
check "the webhook hears of the maintenance" wait_for 'test "$(nreq)" -ge $((N0 + 1))'
check "maintenance event" eq "$(python3 $PEERS req "$(last_req)" header:X-Hindsight-Event)" maintenance_update
check "maintenance payload" eq "$(python3 $PEERS req "$(last_req)" json:incident.name)" "DB upgrade"
check "bob (Website) gets the maintenance mail" wait_for 'test "$(mails_to bob@example.com | wc -l)" -ge 2'

# Admin page: every message with its state, attempts, next attempt and
# last error; admins (only) delete subscribers.
# A loopback URL is refused again at connect time once private addresses
# are no longer allowed: dead at once, nothing reaches the receiver.
cfg subscriptions.allow_private_webhooks 0
N0=$(nreq)
update "Refused at connect time"
DK=$(q "SELECT idempotency_key FROM outbox WHERE kind = 'webhook' ORDER BY id DESC LIMIT 1")
check "a loopback webhook is refused at connect time" wait_for 'test "$(q "SELECT state || attempts FROM outbox WHERE idempotency_key = '\''$DK'\''")" = dead1'
check "nothing reached the receiver" eq "$(nreq)" "$N0"
cfg subscriptions.allow_private_webhooks 1
cfg subscriptions.retry_base_seconds 3600
echo 1 >"$HOOK/fail"
N0=$(nreq)
update "Fails once, retried in an hour"
check "the receiver refuses it" wait_for 'test "$(nreq)" -ge $((N0 + 1))'
FK=$(python3 $PEERS req "$(last_req)" header:Idempotency-Key)
check "the message is failed, 1 attempt" wait_for 'test "$(q "SELECT state || attempts FROM outbox WHERE idempotency_key = '\''$FK'\''")" = failed1'
cfg subscriptions.retry_base_seconds 1
req GET /app/subscribers -b "$T/jar.admin"
check "admin subscribers page is 200" eq "$STATUS" 200
check "it lists bob" contains "$T/body" "bob@example.com"
for st in sent failed dead; do
  check "it shows a $st message" contains "$T/body" "<td><span class=\"pill state-$st\">$st</span></td>"
done
check "it explains the states" contains "$T/body" "given up (see the last error)"
check "it shows the pruning age" contains "$T/body" "deleted 30 days after"
check "it shows a last error" contains "$T/body" "HTTP 500"
check "and why a message is dead" contains "$T/body" "refused: the URL resolves to a loopback or private address"
FID=$(q "SELECT id FROM outbox WHERE idempotency_key = '$FK'")
check "the failed row: attempts and a next attempt" sh -c "tr -d '\n ' <'$T/body' | grep -q '<td>$FID</td>.*state-failed\">failed</span></td><tdclass=\"attempts\">1</td><tdclass=\"smallwhen\"><timedatetime=\"20'"
req GET "/app/subscribers?format=json" -b "$T/jar.admin"
check "JSON: the failed row" eq "$(jget ".outbox[] | select(.id == $FID) | [.state, .attempts, .last_error, (.next_attempt_at != null)] | @tsv")" "$(printf 'failed\t1\tHTTP 500\ttrue')"
check "JSON: a sent row has no next attempt" eq "$(jget '[.outbox[] | select(.state == "sent") | .next_attempt_at] | unique | @json')" '[null]'
BOB=$(jget '.subscribers[] | select(.address == "bob@example.com") | .id')
req GET /app/subscribers -b "$T/jar.admin"
check "a delete form per subscriber" contains "$T/body" "<form method=\"post\" action=\"/app/subscribers/$BOB/delete\""
check "carrying the CSRF token" contains "$T/body" "<input type=\"hidden\" name=\"csrf_token\" value=\"$ADMIN_CSRF\">"
check "asking first" contains "$T/body" 'data-confirm="Delete bob@example.com? Its messages'
login viewer "$PW_VIEWER"
req GET /app/subscribers -b "$T/jar.viewer"
check "viewers may not see subscribers" eq "$STATUS" 403
login editor "$PW_EDITOR"
req POST "/app/subscribers/$BOB/delete" -b "$T/jar.editor" --data-urlencode "csrf_token=$CSRF"
check "editors may not delete subscribers" eq "$STATUS" 403
req POST "/app/subscribers/$BOB/delete" -b "$T/jar.admin"
check "a delete without the CSRF token is refused" eq "$STATUS" 403
check "bob is still there" eq "$(q "SELECT count(*) FROM subscribers WHERE address = 'bob@example.com'")" 1
req POST "/app/subscribers/$BOB/delete" -b "$T/jar.admin" --data-urlencode "csrf_token=$ADMIN_CSRF"
check "admin deletes a subscriber" eq "$STATUS" 303
check "back to the list" grep -qi '^location: /app/subscribers' "$T/headers"
check "bob is gone" eq "$(q "SELECT count(*) FROM subscribers WHERE address = 'bob@example.com'")" 0
check "with his components and messages" eq "$(q "SELECT (SELECT count(*) FROM subscriber_components WHERE subscriber_id = $BOB) + (SELECT count(*) FROM outbox WHERE subscriber_id = $BOB)")" 0
req POST "/app/subscribers/$BOB/delete?format=json" -b "$T/jar.admin" -H "X-CSRF-Token: $ADMIN_CSRF"
check "deleting him again is 404" eq "$STATUS" 404
WID=$(q "SELECT id FROM subscribers WHERE kind = 'webhook'")
req POST "/app/subscribers/$WID/delete?format=json" -b "$T/jar.admin" -H "X-CSRF-Token: $ADMIN_CSRF"
check "JSON delete" eq "$STATUS/$(jget .deleted)" "200/true"
check "its queued retry is gone too" eq "$(q "SELECT count(*) FROM outbox WHERE idempotency_key = '$FK'")" 0

# Action reminders: to an owner with an address, once a day.
"$HS_BIN" --db "$DB" user email editor ed@example.com
check "user email sets the address" eq "$(q "SELECT email FROM users WHERE name = 'editor'")" ed@example.com
"$HS_BIN" --db "$DB" user email nobody ed@example.com 2>/dev/null
check "user email of an unknown user fails" eq "$?" 1
TOMORROW=$(date -u -d tomorrow +%F)
req POST /api/v1/actions $ADM -H "$JSON" -d "{\"incident_id\":$INC,\"title\":\"Add a retry budget\",\"owner\":\"editor\",\"due_date\":\"$TOMORROW\"}"
check "action created" eq "$STATUS" 201
req POST /api/v1/actions $ADM -H "$JSON" -d "{\"incident_id\":$INC,\"title\":\"Far away\",\"owner\":\"editor\",\"due_date\":\"2099-01-01\"}"
check "the owner gets a reminder" wait_for 'test -n "$(last_mail_to ed@example.com)"'
check "reminder subject" sh -c "python3 $PEERS mail '$(last_mail_to ed@example.com)' subject | grep -qF 'due $TOMORROW: Add a retry budget'"
sleep 2
check "one reminder a day" eq "$(mails_to ed@example.com | wc -l)" 1
check "none for an action due far away" eq "$(q "SELECT count(*) FROM outbox WHERE topic = 'action_reminder'")" 1

# Pruning: the worker deletes sent and dead messages older than
# subscriptions.outbox_keep_days (30) at start and hourly; what is still owed
# stays whatever its age. The rows' next attempt is far off, so only the
# pruning touches them.
NOW=$(($(date +%s) * 1000))
DAY=86400000
old_row() { # old_row KEY STATE AGE-IN-DAYS
  q "INSERT INTO outbox (kind, address, topic, state, next_attempt_at, idempotency_key, created_at) VALUES ('email', 'old@example.com', 'incident_update', '$2', $((NOW + 100 * DAY)), '$1', $((NOW - $3 * DAY)))"
}
old_row prune.sent31 sent 31
old_row prune.dead40 dead 40
old_row prune.failed31 failed 31
old_row prune.pending31 pending 31
old_row prune.sent29 sent 29
ALL=$(q "SELECT count(*) FROM outbox")
kill -TERM $HS_PID; wait $HS_PID
restart
check "old sent and dead messages are pruned" wait_for 'test "$(q "SELECT count(*) FROM outbox WHERE idempotency_key IN ('\''prune.sent31'\'', '\''prune.dead40'\'')")" = 0'
check "failed and pending ones are kept" eq "$(q "SELECT group_concat(k) FROM (SELECT idempotency_key AS k FROM outbox WHERE idempotency_key IN ('prune.failed31', 'prune.pending31') ORDER BY k) AS s")" "prune.failed31,prune.pending31"
check "younger than 30 days is kept" eq "$(q "SELECT count(*) FROM outbox WHERE idempotency_key = 'prune.sent29'")" 1
check "nothing else was pruned" eq "$(q "SELECT count(*) FROM outbox")" $((ALL - 2))
cfg subscriptions.outbox_keep_days 0
old_row prune.sent99 sent 99
kill -TERM $HS_PID; wait $HS_PID
restart
sleep 1.5
check "outbox_keep_days 0 keeps everything" eq "$(q "SELECT count(*) FROM outbox WHERE idempotency_key IN ('prune.sent29', 'prune.sent99')")" 2
cfg subscriptions.outbox_keep_days 28
kill -TERM $HS_PID; wait $HS_PID
restart
check "a shorter setting prunes more" wait_for 'test "$(q "SELECT count(*) FROM outbox WHERE idempotency_key IN ('\''prune.sent29'\'', '\''prune.sent99'\'')")" = 0'
check "the setting is listed" sh -c "'$HS_BIN' --db '$DB' config list | grep -q '^subscriptions.outbox_keep_days=28$'"

hs_stop
