/*
** ingest_haproxy.c: the "haproxy" format: HAProxy's HTTP log format
** (option httplog) and TCP log format (option tcplog), as plain lines or
** behind any syslog header (with or without <PRI>, as HAProxy sends them
** or as rsyslog files them).
**
**   HTTP: CLIENT:PORT [ACCEPT_DATE] FRONTEND BACKEND/SERVER TR/Tw/Tc/Tr/Ta
**         STATUS BYTES REQ_COOKIE RES_COOKIE TERM_STATE
**         ACTCONN/FECONN/BECONN/SRVCONN/RETRIES SRVQUEUE/BACKENDQUEUE
**         [{REQ_HEADERS}] [{RES_HEADERS}] "REQUEST" [anything]
**   TCP:  CLIENT:PORT [ACCEPT_DATE] FRONTEND BACKEND/SERVER Tw/Tc/Tt
**         BYTES TERM_STATE ACTCONN/FECONN/BECONN/SRVCONN/RETRIES
**         SRVQUEUE/BACKENDQUEUE
**
** ACCEPT_DATE is dd/Mmm/yyyy:hh:mm:ss.mmm in HAProxy's local time: the
** zone is --tz. Timers may be -1 (never reached) and counts may carry a
** '+' (truncated or retried). The body is found after the syslog header
** by its shape (a CLIENT:PORT token followed by [ACCEPT_DATE]), so any
** header works; a line with a header but no traffic body (HAProxy's own
** "Server bk/s1 is DOWN" notices) is read as a syslog line.
**
** Mapping: component = backend; source = server (the backend when no
** server was reached, "<NOSRV>"); level error for a 5xx status or a
** termination state that blames the server, the proxy, resources or a
** client timeout (first letter S s P R I D K c: "SC", "sH", "cD"),
** warning for a 4xx or a client abort ("CD"), else info. HTTP lines set
** status, bytes, method, path and client, so they feed the per-minute
** request and 5xx series like nginx lines. Timers are in the body. Pure;
** no state between lines.
*/
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "ingest_formats.h"
#include "utc.h"

#define HA_MAX_TOKENS 12 /* syslog header tokens looked through */

/* A slice of the line. */
typedef struct Tok {
  const char *z; /* start */
  size_t n;      /* length */
} Tok;

/* Reads the next space-separated token from z[*pi..n). */
static Tok next_tok(const char *z, size_t n, size_t *pi) {
  while (*pi < n && z[*pi] == ' ') {
    (*pi)++;
  }
  Tok t = {z + *pi, 0};
  while (*pi < n && z[*pi] != ' ') {
    (*pi)++;
    t.n++;
  }
  return t;
}

/* 1 if t is "ADDR:PORT" (or HAProxy's "unix:N" for a UNIX socket). */
static int is_client(Tok t) {
  size_t k = t.n;
  while (k > 0 && isdigit((unsigned char)t.z[k - 1])) {
    k--;
  }
  if (k == t.n || k < 2 || t.z[k - 1] != ':') {
    return 0;
  }
  for (size_t i = 0; i + 1 < k; i++) {
    unsigned char c = (unsigned char)t.z[i];
    if (!isalnum(c) && c != '.' && c != ':' && c != '[' && c != ']' &&
        c != '-' && c != '_') {
      return 0;
    }
  }
  return 1;
}

/* Parses "[dd/Mmm/yyyy:hh:mm:ss.mmm]" (the .mmm optional) into UTC ms. */
static int accept_date(IngestParser *p, Tok t, int64_t *pMs) {
  static const char *const azMon[] = {"Jan", "Feb", "Mar", "Apr",
                                      "May", "Jun", "Jul", "Aug",
                                      "Sep", "Oct", "Nov", "Dec"};
  if ((t.n != 22 && t.n != 26) || t.z[0] != '[' || t.z[t.n - 1] != ']' ||
      t.z[3] != '/' || t.z[7] != '/' || t.z[12] != ':' || t.z[15] != ':' ||
      t.z[18] != ':' || (t.n == 26 && t.z[21] != '.')) {
    return -1;
  }
  int mon = 0;
  for (int k = 0; k < 12; k++) {
    if (memcmp(t.z + 4, azMon[k], 3) == 0) {
      mon = k + 1;
    }
  }
  if (mon == 0) {
    return -1;
  }
  /* As ISO 8601 without a zone, so --tz applies. */
  char zIso[24];
  int nIso = snprintf(zIso, sizeof(zIso), "%.4s-%02d-%.2sT%.8s%s%.3s",
                      t.z + 8, mon, t.z + 1, t.z + 13, t.n == 26 ? "." : "",
                      t.n == 26 ? t.z + 22 : "");
  for (int i = 0; i < nIso; i++) {
    if (!isdigit((unsigned char)zIso[i]) && !strchr("-T:.", zIso[i])) {
      return -1;
    }
  }
  return ingest_parse_time(p, zIso, (size_t)nIso, pMs) ? -1 : 0;
}

/* Splits t at '/' into up to nMax numbers (each may be -1 or start with
** '+'). Returns how many, or -1 when a part is not a number. */
static int split_nums(Tok t, long *a, int nMax) {
  int nPart = 0;
  size_t i = 0;
  while (i <= t.n && nPart < nMax) {
    size_t j = i;
    if (j < t.n && (t.z[j] == '-' || t.z[j] == '+')) {
      j++;
    }
    size_t iDig = j;
    long v = 0;
    while (j < t.n && isdigit((unsigned char)t.z[j]) && j - iDig < 12) {
      v = v * 10 + (t.z[j] - '0');
      j++;
    }
    if (j == iDig || (j < t.n && t.z[j] != '/')) {
      return -1;
    }
    a[nPart++] = i < t.n && t.z[i] == '-' ? -v : v;
    i = j + 1;
  }
  return i > t.n ? nPart : -1;
}

/* The level a termination state (two to four letters) implies. */
static const char *term_level(Tok t) {
  if (t.n < 2) {
    return "info";
  }
  if (strchr("SsPRIDKc", t.z[0])) {
    return "error";
  }
  if (t.z[0] == 'C') {
    return "warning";
  }
  return "info";
}

/* 1 if the level a is worse than b. */
static int worse(const char *a, const char *b) {
  static const char *const az[] = {"info", "warning", "error"};
  int ia = 0, ib = 0;
  for (int k = 0; k < 3; k++) {
    ia = strcmp(az[k], a) == 0 ? k : ia;
    ib = strcmp(az[k], b) == 0 ? k : ib;
  }
  return ia > ib;
}

/* Parses the traffic body at z[i..n). 0 and emits; 1 if xEmit asked to
** stop; -1 when it is not an HAProxy traffic line. */
static int parse_body(IngestParser *p, const char *z, size_t n, size_t i,
                      int64_t iLine) {
  Arena *pA = ingest_arena(p);
  IngestEvent ev = {0};
  Tok client = next_tok(z, n, &i);
  Tok date = next_tok(z, n, &i);
  Tok fe = next_tok(z, n, &i);
  Tok bs = next_tok(z, n, &i);
  Tok timers = next_tok(z, n, &i);
  if (!is_client(client) || fe.n == 0 || bs.n == 0) {
    return -1;
  }
  const char *zSlash = memchr(bs.z, '/', bs.n);
  if (!zSlash) {
    return -1;
  }
  if (accept_date(p, date, &ev.ts)) {
    ingest_reject(p, iLine, "invalid HAProxy accept date");
    return 0;
  }
  long aT[5];
  int nT = split_nums(timers, aT, 5);
  if (nT != 3 && nT != 5) {
    ingest_reject(p, iLine, "invalid HAProxy timers \"%.*s\"",
                  (int)(timers.n > 40 ? 40 : timers.n), timers.z);
    return 0;
  }
  int bHttp = nT == 5;
  Tok status = {NULL, 0};
  if (bHttp) {
    status = next_tok(z, n, &i);
  }
  Tok bytes = next_tok(z, n, &i);
  if (bHttp) {
    next_tok(z, n, &i); /* captured request cookie */
    next_tok(z, n, &i); /* captured response cookie */
  }
  Tok term = next_tok(z, n, &i);
  Tok conns = next_tok(z, n, &i);
  Tok queues = next_tok(z, n, &i);
  long aStatus[1], aBytes[1], aConn[5], aQueue[2];
  if ((bHttp && split_nums(status, aStatus, 1) != 1) ||
      split_nums(bytes, aBytes, 1) != 1 || term.n < 2 || term.n > 4 ||
      split_nums(conns, aConn, 5) != 5 || split_nums(queues, aQueue, 2) != 2) {
    ingest_reject(p, iLine, "not an HAProxy %s log line",
                  bHttp ? "HTTP" : "TCP");
    return 0;
  }
  /* HTTP: optional {captured headers}, then the quoted request. */
  const char *zReq = NULL;
  size_t nReq = 0;
  if (bHttp) {
    for (int k = 0; k < 2; k++) {
      while (i < n && z[i] == ' ') {
        i++;
      }
      if (i < n && z[i] == '{') {
        const char *zEnd = memchr(z + i, '}', n - i);
        if (!zEnd) {
          break;
        }
        i = (size_t)(zEnd - z) + 1;
      }
    }
    while (i < n && z[i] == ' ') {
      i++;
    }
    if (i >= n || z[i] != '"') {
      ingest_reject(p, iLine, "HAProxy HTTP line without its \"request\"");
      return 0;
    }
    const char *zEnd = memchr(z + i + 1, '"', n - i - 1);
    zReq = z + i + 1;
    nReq = zEnd ? (size_t)(zEnd - zReq) : n - i - 1;
  }
  Tok backend = {bs.z, (size_t)(zSlash - bs.z)};
  Tok server = {zSlash + 1, bs.n - backend.n - 1};
  if (server.n == 0 || (server.n == 7 && memcmp(server.z, "<NOSRV>", 7) == 0) ||
      (server.n == 1 && server.z[0] == '-')) {
    server = backend;
  }
  ev.endTs = INT64_MIN;
  ev.zKind = "log";
  ev.zComponent = arena_strndup(pA, backend.z, backend.n);
  ev.zSource = arena_strndup(pA, server.z, server.n);
  ev.zClient = arena_strndup(pA, client.z,
                             (size_t)((const char *)memrchr(client.z, ':',
                                                            client.n) -
                                      client.z));
  ev.bytes = aBytes[0] > 0 ? aBytes[0] : 0;
  const char *zLevel = term_level(term);
  char *zTitle;
  if (bHttp) {
    ev.status = aStatus[0] >= 100 && aStatus[0] <= 999 ? (int)aStatus[0] : 0;
    const char *zSp = memchr(zReq, ' ', nReq);
    if (zSp && zSp > zReq) {
      ev.zMethod = arena_strndup(pA, zReq, (size_t)(zSp - zReq));
      const char *zPath = zSp + 1;
      size_t nPath = nReq - (size_t)(zPath - zReq);
      const char *zEnd = memchr(zPath, ' ', nPath);
      nPath = zEnd ? (size_t)(zEnd - zPath) : nPath;
      const char *zQ = memchr(zPath, '?', nPath);
      ev.zPath = arena_strndup(pA, zPath, zQ ? (size_t)(zQ - zPath) : nPath);
    }
    const char *zStatusLevel = ev.status >= 500   ? "error"
                               : ev.status >= 400 ? "warning"
                                                  : "info";
    if (worse(zStatusLevel, zLevel)) {
      zLevel = zStatusLevel;
    }
    size_t nTitle = 64 + 2 * nReq + bs.n + term.n;
    zTitle = arena_alloc(pA, nTitle);
    snprintf(zTitle, nTitle, "%s %s %s (%s, %.*s)",
             ev.zMethod ? ev.zMethod : "-",
             ev.zPath ? ev.zPath : arena_strndup(pA, zReq, nReq),
             ev.status ? arena_strndup(pA, status.z, status.n) : "-",
             arena_strndup(pA, bs.z, bs.n), (int)term.n, term.z);
  } else {
    size_t nTitle = 64 + fe.n + bs.n;
    zTitle = arena_alloc(pA, nTitle);
    snprintf(zTitle, nTitle, "TCP %.*s to %.*s ended %.*s", (int)fe.n, fe.z,
             (int)bs.n, bs.z, (int)term.n, term.z);
  }
  ev.zLevel = zLevel;
  ev.zTitle = zTitle;
  char *zBody = arena_alloc(pA, 512);
  if (bHttp) {
    snprintf(zBody, 512,
             "frontend %.*s, backend/server %.*s\n"
             "timers TR/Tw/Tc/Tr/Ta %.*s ms\n"
             "termination state %.*s, %ld bytes, connections %.*s, queues "
             "%.*s",
             (int)fe.n, fe.z, (int)bs.n, bs.z, (int)timers.n, timers.z,
             (int)term.n, term.z, aBytes[0], (int)conns.n, conns.z,
             (int)queues.n, queues.z);
  } else {
    snprintf(zBody, 512,
             "frontend %.*s, backend/server %.*s\n"
             "timers Tw/Tc/Tt %.*s ms\n"
             "termination state %.*s, %ld bytes, connections %.*s, queues "
             "%.*s",
             (int)fe.n, fe.z, (int)bs.n, bs.z, (int)timers.n, timers.z,
             (int)term.n, term.z, aBytes[0], (int)conns.n, conns.z,
             (int)queues.n, queues.z);
  }
  ev.zBody = zBody;
  return ingest_emit(p, &ev) ? 1 : 0;
}

int ingest_haproxy_line(IngestParser *p, const char *z, size_t n,
                        int64_t iLine) {
  if (!z) {
    return 0;
  }
  while (n > 0 && (z[n - 1] == ' ' || z[n - 1] == '\t')) {
    n--;
  }
  if (n == 0) {
    return 0;
  }
  /* The body starts at the first CLIENT:PORT token followed by [date]. */
  size_t i = 0;
  for (int k = 0; k < HA_MAX_TOKENS && i < n; k++) {
    size_t iTok = i;
    while (iTok < n && z[iTok] == ' ') {
      iTok++;
    }
    size_t j = iTok;
    Tok t = next_tok(z, n, &j);
    if (t.n > 0 && j + 1 < n && z[j + 1] == '[' && is_client(t)) {
      int rc = parse_body(p, z, n, iTok, iLine);
      if (rc >= 0) {
        return rc;
      }
    }
    i = j;
  }
  /* HAProxy's own notices behind a syslog header. */
  static const char zMonths[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  int bMonth = n > 4 && z[3] == ' ';
  for (int k = 0; bMonth && k < 12; k++) {
    if (memcmp(z, zMonths + 3 * k, 3) == 0) {
      break;
    }
    bMonth = k < 11;
  }
  int bIso = n > 5 && isdigit((unsigned char)z[0]) &&
             isdigit((unsigned char)z[3]) && z[4] == '-';
  if (z[0] == '<' || bMonth || bIso) {
    return ingest_syslog_line(p, z, n, iLine);
  }
  ingest_reject(p, iLine, "not an HAProxy log line");
  return 0;
}
