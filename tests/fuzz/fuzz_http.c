// fuzz-sources: server/*.c build/rel/asset_table.S
// fuzz-exclude: server/main.c server/accesslog.c
// fuzz-libs: -lmicrohttpd -lsqlite3 -lcmark -ljansson -lcrypt -lz -lcurl -lzstd -lsnappy -lpq
// fuzz-libs: -lpthread -lm
/*
** fuzz_http.c: libFuzzer target for whole raw HTTP requests.
**
** The input is one byte choosing the credentials, then the bytes a client
** sends: request line, headers, body, possibly several pipelined requests.
** They go through the real stack in-process: libmicrohttpd parses them and
** calls http.c's access handler (http_start_embedded(): the handler,
** completion callback, unescaper and limits of `serve`), which routes,
** authenticates, checks CSRF, parses forms and JSON and runs the real
** handlers against a real SQLite database in a temporary directory,
** migrated by db_setup() as `serve` does. The daemon has no listening
** socket and no threads: each input gets one end of a socketpair
** (MHD_add_connection), the bytes are written, the write side is shut, and
** MHD_run() on this thread serves it until MHD closes the connection.
**
** Credentials (the low two bits of the first byte; fixed values, so seeds
** can carry them and the database needs no login):
**   0  none
**   1  "Authorization: Bearer " FUZZ_TOKEN (scope write, i.e. an editor)
**   2  the admin session cookie FUZZ_SESSION and "X-CSRF-Token: "
**      FUZZ_CSRF (forms and API writes pass the CSRF check)
**   3  the session cookie alone (a form must carry csrf_token=FUZZ_CSRF)
** The header lines are inserted after the first line of the input. Before
** each input that uses them, the user, session and token are put back if
** an earlier input deleted or revoked them.
**
** Properties, checked with abort():
**   - the answer is empty (closed) or a sequence of responses, each a
**     syntactically valid status line "HTTP/1.x DDD ...", headers ending
**     in an empty line, and a body of its Content-Length (none after HEAD,
**     1xx, 204, 304); an answer MHD makes itself (to a request it will not
**     pass on) comes last and only its status line and header end are
**     checked (libmicrohttpd 0.9.75 sends the header block of some twice);
**   - no response is 500, and no request Hindsight answered got a 5xx
**     (but 501, for a Transfer-Encoding other than chunked):
**     the database is writable and the disk not full here, so http.c's 503
**     (E_DB and unknown codes, "temporarily unavailable") means a handler
**     failed;
**   - each response Hindsight answered has the status its access log line
**     records, and the log line is one line;
**   - every HEALTH_EVERY inputs, GET /healthz through the same path is 200.
** FUZZ_HTTP_VERBOSE=1 prints each status line (to see what seeds reach).
** A hang (MHD neither answering nor closing within the iteration bound)
** aborts too.
**
** server/accesslog.c is not linked: accesslog_write() below takes its
** place and keeps each line's method and status for the checks above (and
** keeps a line per input out of the fuzzer's log). The outbox and search
** indexer threads are not started, as with `serve --read-only`: handlers
** only queue work for them.
**
** Single-threaded: MHD, the handlers and the database connection all run
** on libFuzzer's thread. The temporary directory is removed at exit; after
** a crash it stays, with the database as the crash left it.
*/
#include <fcntl.h>
#include <microhttpd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "accesslog.h"
#include "auth.h"
#include "buf.h"
#include <sqlite3.h>

#include "db.h"
#include "http.h"
#include "sha256.h"
#include "utc.h"

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData);

#define FUZZ_USER "fuzzadmin"
#define FUZZ_PASSWORD "fuzz-password-1"
#define FUZZ_SESSION                                                           \
  "5e5510115e5510115e5510115e5510115e5510115e5510115e5510115e551011"
#define FUZZ_CSRF                                                              \
  "c5ffc5ffc5ffc5ffc5ffc5ffc5ffc5ffc5ffc5ffc5ffc5ffc5ffc5ffc5ffc5ff"
#define FUZZ_TOKEN                                                             \
  "hs_70c0e070c0e070c0e070c0e070c0e070c0e070c0e070c0e070c0e070c0e0"

#define MAX_INPUT 60000      /* with our headers, fits the socket buffer */
#define MAX_ANSWER (8 << 20) /* bytes of responses kept per input */
#define MAX_RUNS 20000       /* MHD_run() calls per input before a hang */
#define HEALTH_EVERY 500     /* inputs between /healthz checks */
#define RESET_EVERY 20000    /* inputs between fresh databases */
#define MAX_LOG 64           /* log lines kept per input; more: unchecked */

/* What the access log said about one request. */
typedef struct LogEntry {
  int status; /* status= */
  int bHead;  /* method="HEAD" */
} LogEntry;

static struct MHD_Daemon *pDaemon; /* the embedded daemon, once set up */
static char zDir[4096];            /* the temporary directory */
static char zPwHash[256];          /* yescrypt hash of FUZZ_PASSWORD */
static unsigned long nInput;       /* inputs run so far */
static LogEntry aLog[MAX_LOG];     /* this input's access log */
static int nLog;                   /* entries used in aLog */
static int bVerbose;               /* $FUZZ_HTTP_VERBOSE: print statuses */

/* The access log sink (replaces server/accesslog.c) -------------------- */

int accesslog_start(void) { return -1; }
void accesslog_stop(void) {}

/* The number after zKey in the line z[0..n), or -1. */
static int log_number(const char *z, size_t n, const char *zKey) {
  /* The field itself, not the same text inside a quoted value (a path may
  ** hold " status=1"): only outside quotes, where \ escapes one byte. */
  size_t nKey = strlen(zKey);
  const char *p = NULL;
  int bQuoted = 0;
  for (size_t i = 0; i < n && !p; i++) {
    if (bQuoted && z[i] == '\\') {
      i++;
    } else if (z[i] == '"') {
      bQuoted = !bQuoted;
    } else if (!bQuoted && n - i >= nKey && memcmp(z + i, zKey, nKey) == 0) {
      p = z + i;
    }
  }
  if (!p) {
    return -1;
  }
  int v = 0;
  for (p += strlen(zKey); p < z + n && *p >= '0' && *p <= '9'; p++) {
    v = v * 10 + (*p - '0');
  }
  return v;
}

void accesslog_write(const char *z, size_t n) {
  if (n == 0 || z[n - 1] != '\n' || memchr(z, '\n', n - 1)) {
    fprintf(stderr, "fuzz_http: access log line is not one line\n");
    abort();
  }
  if (nLog == MAX_LOG) {
    return;
  }
  aLog[nLog].status = log_number(z, n, " status=");
  aLog[nLog].bHead = memmem(z, n, " method=\"HEAD\"", 14) != NULL;
  nLog++;
}

/* Setup ------------------------------------------------------------------ */

static void remove_db(void) {
  static const char *azSuffix[] = {"", "-wal", "-shm", "-journal"};
  char zPath[4200];
  for (size_t i = 0; i < sizeof(azSuffix) / sizeof(azSuffix[0]); i++) {
    snprintf(zPath, sizeof(zPath), "%s/fuzz.db%s", zDir, azSuffix[i]);
    unlink(zPath);
  }
}

static void cleanup(void) {
  if (pDaemon) {
    http_stop_embedded(pDaemon);
    pDaemon = NULL;
  }
  db_close_thread();
  remove_db();
  rmdir(zDir);
}

/* A fresh, migrated database (the old one is removed). */
static void db_fresh(void) {
  db_close_thread();
  remove_db();
  char zPath[4200];
  snprintf(zPath, sizeof(zPath), "%s/fuzz.db", zDir);
  if (db_setup(zPath)) {
    fprintf(stderr, "fuzz_http: db_setup(%s) failed\n", zPath);
    abort();
  }
}

/* Puts back the admin user, its session and the write token if an input
** deleted, ended or revoked them. Cheap when nothing is missing. */
static void credentials_ensure(void) {
  DbStmt *p = db_prepare(
      "SELECT (SELECT count(*) FROM sessions s JOIN users u"
      "        ON u.id = s.user_id AND u.name = :user AND u.role = 'admin'"
      "        WHERE s.token_hash = :session AND s.expires_at > :now)"
      "     + (SELECT count(*) FROM api_tokens WHERE token_hash = :token"
      "        AND scope = 'write' AND revoked_at IS NULL)");
  char zSession[65], zToken[65];
  sha256_hex(FUZZ_SESSION, 64, zSession);
  sha256_hex(FUZZ_TOKEN, strlen(FUZZ_TOKEN), zToken);
  int64_t now = utc_now_ms();
  if (!p) {
    abort();
  }
  db_bind_text(p, ":user", FUZZ_USER);
  db_bind_text(p, ":session", zSession);
  db_bind_text(p, ":token", zToken);
  db_bind_int(p, ":now", now);
  int n = db_step(p) == DB_ROW ? (int)db_col_int(p, 0) : -1;
  db_reset(p);
  if (n == 2) {
    return;
  }
  /* The fuzzer cannot rename users, change roles or delete tokens, so
  ** these rows come back as they were. */
  static const char *const azSql[] = {
      "INSERT OR IGNORE INTO users (name, role, pw_hash, created_at,"
      " pw_changed_at) VALUES (:user, 'admin', :pw, :now, :now)",
      "INSERT OR REPLACE INTO sessions (token_hash, user_id, csrf,"
      " created_at, expires_at, seen_at)"
      " SELECT :session, id, :csrf, :now, :now + 86400000, :now"
      " FROM users WHERE name = :user",
      "INSERT OR IGNORE INTO api_tokens (name, scope, token_hash,"
      " created_at) VALUES ('fuzz-harness', 'write', :token, :now)",
      "UPDATE api_tokens SET revoked_at = NULL WHERE token_hash = :token",
  };
  for (size_t i = 0; i < sizeof(azSql) / sizeof(azSql[0]); i++) {
    p = db_prepare(azSql[i]);
    if (!p) {
      abort();
    }
    int nParam = sqlite3_bind_parameter_count(db_lite_stmt(p));
    for (int j = 1; j <= nParam; j++) {
      const char *zName = sqlite3_bind_parameter_name(db_lite_stmt(p), j);
      if (strcmp(zName, ":user") == 0) {
        db_bind_text(p, zName, FUZZ_USER);
      } else if (strcmp(zName, ":pw") == 0) {
        db_bind_text(p, zName, zPwHash);
      } else if (strcmp(zName, ":now") == 0) {
        db_bind_int(p, zName, now);
      } else if (strcmp(zName, ":session") == 0) {
        db_bind_text(p, zName, zSession);
      } else if (strcmp(zName, ":csrf") == 0) {
        db_bind_text(p, zName, FUZZ_CSRF);
      } else {
        db_bind_text(p, zName, zToken);
      }
    }
    if (db_run(p)) {
      fprintf(stderr, "fuzz_http: could not restore the credentials\n");
      abort();
    }
  }
}

static void setup(void) {
  if (pDaemon) {
    return;
  }
  const char *zTmp = getenv("TMPDIR");
  snprintf(zDir, sizeof(zDir), "%s/hs-fuzz-http-XXXXXX",
           zTmp && *zTmp ? zTmp : "/tmp");
  if (!mkdtemp(zDir)) {
    perror("fuzz_http: mkdtemp");
    abort();
  }
  db_global_init();
  db_fresh();
  char *zHash = auth_hash_password(FUZZ_PASSWORD);
  if (!zHash || strlen(zHash) >= sizeof(zPwHash)) {
    abort();
  }
  snprintf(zPwHash, sizeof(zPwHash), "%s", zHash);
  free(zHash);
  credentials_ensure();
  /* The limits cmd_serve() sets. */
  HttpConfig cfg = {
      .zListen = "-",
      .nThread = 1,
      .nMaxBody = (size_t)1 << 20,
      .nMaxIngest = (size_t)256 << 20,
  };
  pDaemon = http_start_embedded(&cfg);
  if (!pDaemon) {
    abort();
  }
  atexit(cleanup);
  const char *zVerbose = getenv("FUZZ_HTTP_VERBOSE");
  bVerbose = zVerbose && *zVerbose == '1';
}

/* One connection --------------------------------------------------------- */

/* Serves z[0..n) on a new connection; the answer goes to *pOut. */
static void exchange(const char *z, size_t n, Buf *pOut) {
  int aFd[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, aFd) != 0) {
    abort();
  }
  /* The whole input fits the socket buffer, then the write end is shut,
  ** so MHD sees the end of the input whatever the bytes were. */
  if (write(aFd[1], z, n) != (ssize_t)n) {
    abort();
  }
  shutdown(aFd[1], SHUT_WR);
  fcntl(aFd[1], F_SETFL, O_NONBLOCK);
  nLog = 0;
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  if (MHD_add_connection(pDaemon, aFd[0], (const struct sockaddr *)&addr,
                         sizeof(addr)) != MHD_YES) {
    fprintf(stderr, "fuzz_http: MHD_add_connection failed\n");
    abort();
  }
  char aBuf[16384];
  int bEof = 0;
  for (int i = 0; i < MAX_RUNS && !bEof; i++) {
    MHD_run(pDaemon);
    for (;;) {
      ssize_t k = read(aFd[1], aBuf, sizeof(aBuf));
      if (k > 0) {
        buf_append(pOut, aBuf, (size_t)k);
        continue;
      }
      bEof = k == 0;
      break;
    }
  }
  if (!bEof) {
    fprintf(stderr, "fuzz_http: MHD neither answered nor closed\n");
    abort();
  }
  close(aFd[1]);
  MHD_run(pDaemon); /* lets MHD finish the closed connection */
  if (buf_err(pOut)) {
    fprintf(stderr, "fuzz_http: answer over %d bytes\n", MAX_ANSWER);
    abort();
  }
}

/* Checking answers -------------------------------------------------------- */

static void fail(const char *zWhy, const char *z, size_t n) {
  fprintf(stderr, "fuzz_http: %s; the answer begins:\n%.*s\n", zWhy,
          (int)(n < 400 ? n : 400), z);
  abort();
}

/* Reads the value of header zName from the header block z[0..n) (which
** starts after the status line) into *pv; 1 if found. */
static int header_number(const char *z, size_t n, const char *zName,
                         unsigned long long *pv) {
  size_t nName = strlen(zName);
  const char *zEnd = z + n;
  while (z < zEnd) {
    const char *zEol = memmem(z, (size_t)(zEnd - z), "\r\n", 2);
    if (!zEol) {
      zEol = zEnd;
    }
    if ((size_t)(zEol - z) > nName && z[nName] == ':' &&
        strncasecmp(z, zName, nName) == 0) {
      const char *p = z + nName + 1;
      while (p < zEol && *p == ' ') {
        p++;
      }
      unsigned long long v = 0;
      if (p == zEol) {
        return 0;
      }
      for (; p < zEol; p++) {
        if (*p < '0' || *p > '9' || v > 1000000000ULL) {
          return 0;
        }
        v = v * 10 + (unsigned long long)(*p - '0');
      }
      *pv = v;
      return 1;
    }
    z = zEol + 2;
  }
  return 0;
}

/* Walks the responses in z[0..n) against this input's access log; returns
** the status of the first final response, or 0 if there is none. */
static int check_answer(const char *z, size_t n) {
  size_t i = 0;
  int iLog = 0;
  int first = 0;
  while (i < n) {
    const char *zResp = z + i;
    size_t nLeft = n - i;
    if (nLeft < 13 || memcmp(zResp, "HTTP/1.", 7) != 0 ||
        (zResp[7] != '0' && zResp[7] != '1') || zResp[8] != ' ' ||
        zResp[9] < '1' || zResp[9] > '5' || zResp[10] < '0' ||
        zResp[10] > '9' || zResp[11] < '0' || zResp[11] > '9' ||
        zResp[12] != ' ') {
      fail("not a status line", zResp, nLeft);
    }
    int status =
        (zResp[9] - '0') * 100 + (zResp[10] - '0') * 10 + (zResp[11] - '0');
    const char *zEol = memmem(zResp, nLeft, "\r\n", 2);
    const char *zHeadEnd = memmem(zResp, nLeft, "\r\n\r\n", 4);
    if (!zEol || !zHeadEnd) {
      fail("headers without an end", zResp, nLeft);
    }
    for (const char *p = zResp; p < zEol; p++) {
      if ((unsigned char)*p < 0x20 || *p == 0x7f) {
        fail("control byte in the status line", zResp, nLeft);
      }
    }
    if (bVerbose) {
      fprintf(stderr, "fuzz_http: %.*s\n", (int)(zEol - zResp), zResp);
    }
    if (status == 500) {
      fail("500 Internal Server Error", zResp, nLeft);
    }
    size_t nHead = (size_t)(zHeadEnd + 4 - zResp);
    i += nHead;
    if (status < 200) {
      continue; /* 100 Continue: the final answer follows */
    }
    if (!first) {
      first = status;
    }
    /* Hindsight's answers come first, in order, one per log line; an
    ** answer of MHD's own (a malformed request) closes the connection, so
    ** it can only be the last. */
    int bOurs = iLog < nLog && aLog[iLog].status > 0;
    int bHead = bOurs && aLog[iLog].bHead;
    if (bOurs && aLog[iLog].status != status) {
      fprintf(stderr, "fuzz_http: logged %d, sent %d\n", aLog[iLog].status,
              status);
      fail("the access log disagrees", zResp, nLeft);
    }
    iLog++;
    if (!bOurs) {
      /* MHD's own answer, the last: libmicrohttpd 0.9.75 sends the header
      ** block of some (a bad Content-Length) twice, so its framing is
      ** not checked; only its status line. */
      break;
    }
    unsigned long long nBody = 0;
    int bLen = header_number(zEol + 2, (size_t)(zHeadEnd + 2 - zEol - 2),
                             "Content-Length", &nBody);
    if (status == 204 || status == 304 ||
        (bHead && (n - i < 7 || memcmp(z + i, "HTTP/1.", 7) == 0))) {
      /* A HEAD answer has no body, except when the method had a NUL in
      ** it ("HEAD\0x"): Hindsight sees "HEAD" (a C string), MHD another
      ** method, and it sends the body. */
      nBody = 0;
    } else if (!bLen) {
      nBody = n - i; /* no length: the body runs to the close */
    }
    if (nBody > n - i) {
      fail("body shorter than its Content-Length", zResp, nLeft);
    }
    i += nBody;
  }
  for (int k = 0; k < nLog; k++) {
    /* 501 is our deliberate answer to a transfer coding we do not
    ** implement (gzip, xchunked), not a failure. */
    if (aLog[k].status >= 500 && aLog[k].status != 501) {
      fprintf(stderr, "fuzz_http: Hindsight answered %d\n", aLog[k].status);
      fail("a 5xx from a handler", z, n);
    }
  }
  return first;
}

/* Sends a GET /healthz through the same path; it must be 200. */
static void check_health(void) {
  static const char zReq[] =
      "GET /healthz HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
  Buf out;
  buf_init(&out, MAX_ANSWER);
  exchange(zReq, sizeof(zReq) - 1, &out);
  if (check_answer(buf_str(&out), out.n) != 200) {
    fail("/healthz is not 200", buf_str(&out), out.n);
  }
  buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData) {
  if (nData < 1 || nData > MAX_INPUT) {
    return 0;
  }
  setup();
  if (nInput > 0 && nInput % RESET_EVERY == 0) {
    db_fresh(); /* keeps the database small on long runs */
  }
  nInput++;
  int mode = aData[0] & 3;
  const char *zIn = (const char *)aData + 1;
  size_t nIn = nData - 1;
  if (mode) {
    credentials_ensure();
  }
  /* The credential headers go after the first line (or at the end). */
  static const char *const azCred[] = {
      "",
      "Authorization: Bearer " FUZZ_TOKEN "\r\n",
      "Cookie: hs_session=" FUZZ_SESSION "\r\nX-CSRF-Token: " FUZZ_CSRF "\r\n",
      "Cookie: hs_session=" FUZZ_SESSION "\r\n",
  };
  const char *zEol = memchr(zIn, '\n', nIn);
  size_t nFirst = zEol ? (size_t)(zEol - zIn) + 1 : nIn;
  Buf req;
  buf_init(&req, MAX_INPUT + 512);
  buf_append(&req, zIn, nFirst);
  buf_puts(&req, azCred[mode]);
  buf_append(&req, zIn + nFirst, nIn - nFirst);
  Buf out;
  buf_init(&out, MAX_ANSWER);
  exchange(buf_str(&req), req.n, &out);
  buf_free(&req);
  check_answer(buf_str(&out), out.n);
  buf_free(&out);
  if (nInput % HEALTH_EVERY == 0) {
    check_health();
  }
  return 0;
}
