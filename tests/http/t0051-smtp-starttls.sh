# t0051-smtp-starttls: e-mail to a relay that needs credentials, against
# real SMTP peers on loopback (tests/http/peers.py). With smtp.starttls 1 the
# credentials (and the mail) cross only after STARTTLS, with the relay's
# certificate verified against smtp.ca_file; a relay that offers no STARTTLS
# gets neither, and neither does one whose certificate does not verify.
. tests/http/lib.sh
hs_start
PEERS=tests/http/peers.py
TLS=$T/tls
PLAIN=$T/plain
mkdir -p "$TLS" "$PLAIN"
# A self-signed certificate for 127.0.0.1 (the host the relay is named by).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 2>/dev/null
check "openssl made a certificate" test -s "$T/cert.pem"
python3 "$PEERS" smtp-starttls "$TLS" "$T/cert.pem" "$T/key.pem" &
TLS_PID=$!
python3 "$PEERS" smtp-auth "$PLAIN" &
PLAIN_PID=$!
trap 'kill $TLS_PID $PLAIN_PID 2>/dev/null' EXIT
i=0
while [ ! -s "$TLS/port" ] || [ ! -s "$PLAIN/port" ]; do
  i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.1
done

cfg() { "$HS_BIN" --db "$DB" config set "$1" "$2"; }
q() { sql "$1"; }
cfg smtp.host 127.0.0.1
cfg smtp.from status@example.com
cfg smtp.user relay-user
cfg smtp.password 'relay-s3cret'
cfg smtp.starttls 1
cfg subscriptions.retry_base_seconds 3600
# subscribe ADDRESS: a confirmation e-mail is the message under test.
subscribe() {
  jar=$T/jar.sub
  curl -s -c "$jar" -b "$jar" -o "$T/form.html" "$BASE/subscribe"
  tok=$(sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' "$T/form.html" | head -n1)
  req POST "/subscribe?format=json" -c "$jar" -b "$jar" --data-urlencode "csrf_token=$tok" \
    --data-urlencode "kind=email" --data-urlencode "address=$1"
}
state_of() { q "SELECT state || ' ' || attempts FROM outbox WHERE address = '$1'"; }
error_of() { q "SELECT last_error FROM outbox WHERE address = '$1'"; }
sessions() { cat "$1"/session.*.log 2>/dev/null; }

# A relay with STARTTLS whose certificate the CA file vouches for.
cfg smtp.port "$(cat "$TLS/port")"
cfg smtp.ca_file "$T/cert.pem"
subscribe one@example.com
check "subscribed" eq "$STATUS" 202
check "the message is sent" wait_for 'test "$(state_of one@example.com)" = "sent 1"'
check "the relay has it" sh -c "grep -q '^X-Sink-To: <one@example.com>' '$TLS'/msg.*.eml"
sessions "$TLS" >"$T/s1"
check "the session used STARTTLS" grep -qx 'plain STARTTLS' "$T/s1"
check "the credentials arrived" grep -qx 'tls AUTH relay-user:relay-s3cret' "$T/s1"
check "nothing about AUTH before STARTTLS" sh -c "! grep -q '^plain AUTH' '$T/s1'"
check "the envelope after STARTTLS only" sh -c "! grep -q '^plain MAIL' '$T/s1' && grep -q '^tls MAIL FROM:<status@example.com>' '$T/s1'"
check "EHLO again after STARTTLS (RFC 3207)" grep -q '^tls EHLO' "$T/s1"

# A relay that offers no STARTTLS: refused before anything is sent.
cfg smtp.port "$(cat "$PLAIN/port")"
subscribe two@example.com
check "the attempt fails" wait_for 'test "$(state_of two@example.com)" = "failed 1"'
check "and says why" sh -c "echo '$(error_of two@example.com)' | grep -qi 'STARTTLS'"
sessions "$PLAIN" >"$T/s2"
check "the relay was reached" grep -q '^plain EHLO' "$T/s2"
check "no credentials to a relay without STARTTLS" sh -c "! grep -q 'AUTH' '$T/s2'"
check "no envelope either" sh -c "! grep -q 'MAIL FROM' '$T/s2'"
check "no message" sh -c "! ls '$PLAIN'/msg.*.eml 2>/dev/null | grep -q ."
# Credentials alone require STARTTLS, whatever smtp.starttls says.
cfg smtp.starttls 0
rm -f "$PLAIN"/session.*.log
subscribe four@example.com
check "with credentials and smtp.starttls 0, a plain relay still fails" wait_for 'test "$(state_of four@example.com)" = "failed 1"'
sessions "$PLAIN" >"$T/s4"
check "that relay was reached" grep -q '^plain EHLO' "$T/s4"
check "and got no credentials" sh -c "! grep -q 'AUTH' '$T/s4'"
cfg smtp.starttls 1

# STARTTLS with a certificate that does not verify (no CA file): refused
# after the handshake, before the credentials.
cfg smtp.port "$(cat "$TLS/port")"
q "DELETE FROM settings WHERE key = 'smtp.ca_file'"
rm -f "$TLS"/session.*.log
subscribe three@example.com
check "an unverified certificate fails the attempt" wait_for 'test "$(state_of three@example.com)" = "failed 1"'
check "and says it is the certificate" sh -c "echo '$(error_of three@example.com)' | grep -qi 'certificate'"
sessions "$TLS" >"$T/s3"
check "STARTTLS was tried" grep -qx 'plain STARTTLS' "$T/s3"
check "no credentials to an unverified relay" sh -c "! grep -q 'AUTH' '$T/s3'"
check "the relay got only one message in all" eq "$(ls "$TLS"/msg.*.eml | wc -l)" 1

hs_stop
