# peers.py: the real peers t0050-subscriptions.sh talks to on loopback, and
# helpers to read what they recorded. Standard library only.
#   peers.py smtp DIR   a minimal SMTP sink: each message -> DIR/msg.NNN.eml
#   peers.py smtp-starttls DIR CERT KEY   the same, offering STARTTLS (with
#                       that certificate) and AUTH PLAIN
#   peers.py smtp-auth DIR   the same, offering AUTH PLAIN but no STARTTLS
#   Every SMTP session's commands go to DIR/session.NNN.log, each line
#   tagged "plain" or "tls" (AUTH decoded as "AUTH user:password").
#   peers.py http DIR   an HTTP receiver: each POST -> DIR/req.NNN.json
# Both write their port to DIR/port. Control files in DIR, read per message:
#   fail   N: answer the next N with a temporary failure (451 / HTTP 500)
#   delay  S: wait S seconds before answering the next one (then removed)
#   peers.py mail FILE subject|text|html|header:NAME
#   peers.py req FILE header:NAME|body|json:a.b.c
#   peers.py verify FILE SECRET   exit 0 if X-Hindsight-Signature is valid
import email, email.policy, hashlib, hmac, http.server, json, os
import signal, socketserver, sys, threading, time

signal.signal(signal.SIGPIPE, signal.SIG_DFL)

lock = threading.Lock()
counter = [0]


def next_name(d, prefix, ext):
    with lock:
        counter[0] += 1
        return os.path.join(d, "%s%03d%s" % (prefix, counter[0], ext))


def take_fail(d):
    p = os.path.join(d, "fail")
    with lock:
        try:
            v = int(open(p).read().strip() or 0)
        except (OSError, ValueError):
            return False
        if v > 0:
            open(p, "w").write(str(v - 1))
        return v > 0


def take_delay(d):
    p = os.path.join(d, "delay")
    with lock:
        try:
            v = float(open(p).read().strip() or 0)
            os.remove(p)
        except (OSError, ValueError):
            return
    time.sleep(v)


def publish(name, data):
    with open(name + ".tmp", "wb") as f:
        f.write(data)
    os.rename(name + ".tmp", name)


def smtp(d, cert=None, key=None, auth=False):
    # cert/key: offer STARTTLS with them. auth: offer AUTH PLAIN (before
    # and after STARTTLS alike, so a client that logs in early is caught).
    # Every session's commands go to DIR/session.NNN.log, each line tagged
    # "plain" or "tls"; AUTH lines are logged decoded ("tls AUTH user:pw").
    ctx = None
    if cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            st = {"sock": self.request, "tls": False}
            st["r"] = st["sock"].makefile("rb")
            log = open(next_name(d, "session.", ".log"), "w")

            def note(s):
                log.write("%s %s\n" % ("tls" if st["tls"] else "plain", s))
                log.flush()

            def w(s):
                st["sock"].sendall((s + "\r\n").encode())

            def readline(n=4096):
                return st["r"].readline(n)

            def ehlo():
                lines = ["sink"]
                if ctx and not st["tls"]:
                    lines.append("STARTTLS")
                if auth:
                    lines.append("AUTH PLAIN")
                lines.append("8BITMIME")
                for l in lines[:-1]:
                    w("250-" + l)
                w("250 " + lines[-1])

            def plain_creds(b64):
                import base64
                try:
                    parts = base64.b64decode(b64).split(b"\0")
                    return "%s:%s" % (parts[1].decode(), parts[2].decode())
                except Exception:
                    return "?"
            try:
                w("220 sink ESMTP")
                sender, rcpt = "", []
                while True:
                    line = readline()
                    if not line:
                        return
                    cmd = line.decode("utf-8", "replace").strip()
                    up = cmd.upper()
                    if not up.startswith("AUTH"):
                        note(cmd)
                    if up.startswith("EHLO"):
                        ehlo()
                    elif up.startswith("HELO"):
                        w("250 sink")
                    elif up == "STARTTLS" and ctx and not st["tls"]:
                        w("220 go ahead")
                        st["sock"] = ctx.wrap_socket(self.request,
                                                     server_side=True)
                        st["r"] = st["sock"].makefile("rb")
                        st["tls"] = True
                    elif up.startswith("AUTH PLAIN") and auth:
                        arg = cmd[10:].strip()
                        if not arg:
                            w("334 ")
                            arg = readline().decode().strip()
                        note("AUTH " + plain_creds(arg))
                        w("235 ok")
                    elif up.startswith("MAIL FROM:"):
                        sender, rcpt = cmd[10:].strip(), []
                        w("250 ok")
                    elif up.startswith("RCPT TO:"):
                        rcpt.append(cmd[8:].strip())
                        w("250 ok")
                    elif up == "DATA":
                        w("354 end with .")
                        data = []
                        while True:
                            l = readline(65536)
                            if not l:
                                return
                            if l in (b".\r\n", b".\n"):
                                break
                            if l.startswith(b".."):
                                l = l[1:]
                            data.append(l)
                        name = next_name(d, "msg.", ".eml")
                        head = "X-Sink-From: %s\r\nX-Sink-To: %s\r\n" % (
                            sender, ",".join(rcpt))
                        publish(name, head.encode() + b"".join(data))
                        take_delay(d)
                        w("451 try later" if take_fail(d) else "250 queued")
                    elif up == "QUIT":
                        w("221 bye")
                        return
                    elif up in ("RSET", "NOOP"):
                        w("250 ok")
                    else:
                        w("502 not implemented")
            except (BrokenPipeError, ConnectionResetError, OSError):
                return
            finally:
                log.close()

    class Server(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = True

    srv = Server(("127.0.0.1", 0), Handler)
    open(os.path.join(d, "port"), "w").write(str(srv.server_address[1]))
    srv.serve_forever()


def http_receiver(d):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(n)
            name = next_name(d, "req.", ".json")
            rec = {"path": self.path, "headers": dict(self.headers.items()),
                   "body": body.decode("utf-8")}
            publish(name, json.dumps(rec).encode())
            take_delay(d)
            try:
                self.send_response(500 if take_fail(d) else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    open(os.path.join(d, "port"), "w").write(str(srv.server_address[1]))
    srv.serve_forever()


def mail(path, what):
    msg = email.message_from_binary_file(open(path, "rb"),
                                         policy=email.policy.default)
    if what.startswith("header:"):
        print(msg.get(what[7:], ""))
    elif what == "subject":
        print(msg["Subject"])
    else:
        part = msg.get_body(("plain",) if what == "text" else ("html",))
        print(part.get_content() if part else "")


def req(path, what):
    rec = json.load(open(path))
    if what.startswith("header:"):
        want = what[7:].lower()
        print(next((v for k, v in rec["headers"].items()
                    if k.lower() == want), ""))
    elif what == "body":
        sys.stdout.write(rec["body"])
    elif what.startswith("json:"):
        v = json.loads(rec["body"])
        for k in what[5:].split("."):
            v = v[int(k)] if isinstance(v, list) else v.get(k)
        print(v if not isinstance(v, (dict, list)) else json.dumps(v))


def verify(path, secret):
    rec = json.load(open(path))
    sig = next(v for k, v in rec["headers"].items()
               if k.lower() == "x-hindsight-signature")
    parts = dict(p.split("=", 1) for p in sig.split(","))
    t = int(parts["t"])
    want = hmac.new(secret.encode(), ("%d." % t).encode()
                    + rec["body"].encode("utf-8"), hashlib.sha256).hexdigest()
    ok = hmac.compare_digest(want, parts["v1"]) and abs(time.time() - t) < 300
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "smtp":
        smtp(sys.argv[2])
    elif cmd == "smtp-starttls":
        smtp(sys.argv[2], cert=sys.argv[3], key=sys.argv[4], auth=True)
    elif cmd == "smtp-auth":
        smtp(sys.argv[2], auth=True)
    elif cmd == "http":
        http_receiver(sys.argv[2])
    elif cmd == "mail":
        mail(sys.argv[2], sys.argv[3])
    elif cmd == "req":
        req(sys.argv[2], sys.argv[3])
    elif cmd == "verify":
        verify(sys.argv[2], sys.argv[3])
