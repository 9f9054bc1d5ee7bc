/*
** test_ingest.c: unit tests for the ingest parsers (ingest.c and
** ingest_<fmt>.c).
**
** Each case feeds an inline fixture (our own, shaped like the real-world
** samples in FORMATS.md) and checks the events and rejections. Every
** fixture is also fed one byte at a time and in odd-sized chunks, and must
** give exactly the same output as when fed whole. A 1M-line nginx stream
** checks that the parser's buffer never grows past the line cap.
** Single-threaded.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "err.h"
#include "harness.h"
#include "ingest.h"
#include "utc.h"

/* "Now" for every test: 2023-11-15T00:00:00Z. */
#define NOW INT64_C(1700006400000)

/* One event, copied. */
typedef struct Ev {
  int64_t ts, endTs, line;
  char *zKind, *zSource, *zLevel, *zComponent, *zTitle, *zBody, *zRaw, *zKey,
      *zState, *zMethod, *zPath, *zClient;
  int status;
  int64_t bytes;
} Ev;

/* What one run produced. */
typedef struct Out {
  Ev aEv[64];      /* the first events */
  int nEv;         /* events seen */
  int64_t aRejLine[64]; /* the first rejections */
  char azRej[64][256];
  int nRej;        /* rejections seen */
  Buf text;        /* everything, serialised, for comparisons */
  int nStopAfter;  /* ask to stop after this many events (0: never) */
} Out;

static char *dup_or_null(const char *z) { return z ? xstrdup(z) : NULL; }

static int on_event(void *pArg, const IngestEvent *e) {
  Out *o = pArg;
  char zTs[25], zEnd[25];
  utc_format(e->ts, zTs);
  utc_format(e->endTs == INT64_MIN ? 0 : e->endTs, zEnd);
  buf_printf(&o->text,
             "E %lld %s %s|%s|%s|%s|%s|%s|%s|%s|%s|%d|%lld|%s|%s|%s|%s\n",
             (long long)e->line, zTs, e->endTs == INT64_MIN ? "-" : zEnd,
             e->zKind, e->zSource ? e->zSource : "(null)", e->zLevel,
             e->zComponent ? e->zComponent : "(null)", e->zTitle,
             e->zBody ? e->zBody : "(null)", e->zKey ? e->zKey : "(null)",
             e->zState ? e->zState : "(null)", e->status,
             (long long)e->bytes, e->zMethod ? e->zMethod : "(null)",
             e->zPath ? e->zPath : "(null)",
             e->zClient ? e->zClient : "(null)", e->zRaw ? e->zRaw : "(null)");
  if (o->nEv < 64) {
    Ev *v = &o->aEv[o->nEv];
    v->ts = e->ts;
    v->endTs = e->endTs;
    v->line = e->line;
    v->zKind = dup_or_null(e->zKind);
    v->zSource = dup_or_null(e->zSource);
    v->zLevel = dup_or_null(e->zLevel);
    v->zComponent = dup_or_null(e->zComponent);
    v->zTitle = dup_or_null(e->zTitle);
    v->zBody = dup_or_null(e->zBody);
    v->zRaw = dup_or_null(e->zRaw);
    v->zKey = dup_or_null(e->zKey);
    v->zState = dup_or_null(e->zState);
    v->zMethod = dup_or_null(e->zMethod);
    v->zPath = dup_or_null(e->zPath);
    v->zClient = dup_or_null(e->zClient);
    v->status = e->status;
    v->bytes = e->bytes;
  }
  o->nEv++;
  return o->nStopAfter && o->nEv >= o->nStopAfter;
}

static void on_reject(void *pArg, int64_t line, const char *zReason) {
  Out *o = pArg;
  buf_printf(&o->text, "R %lld %s\n", (long long)line, zReason);
  if (o->nRej < 64) {
    o->aRejLine[o->nRej] = line;
    snprintf(o->azRej[o->nRej], sizeof(o->azRej[0]), "%s", zReason);
  }
  o->nRej++;
}

static void out_free(Out *o) {
  for (int i = 0; i < o->nEv && i < 64; i++) {
    Ev *v = &o->aEv[i];
    char *az[] = {v->zKind, v->zSource, v->zLevel, v->zComponent,
                  v->zTitle, v->zBody, v->zRaw, v->zKey,
                  v->zState, v->zMethod, v->zPath, v->zClient};
    for (size_t k = 0; k < sizeof(az) / sizeof(az[0]); k++) {
      free(az[k]);
    }
  }
  buf_free(&o->text);
  memset(o, 0, sizeof(*o));
}

/* Feeds z[0..n) in chunks of nChunk bytes (0: whole) into a new parser. */
static void run_opt(const char *zFmt, const char *z, size_t n, size_t nChunk,
                    const IngestOptions *pOpt, Out *o) {
  memset(o, 0, sizeof(*o));
  buf_init(&o->text, 0);
  IngestParser *p = ingest_parser_new(zFmt, pOpt, on_event, on_reject, o);
  if (!p) {
    buf_puts(&o->text, "no parser\n");
    return;
  }
  size_t i = 0;
  int bStop = 0;
  if (nChunk == 0) {
    nChunk = n ? n : 1;
  }
  while (i < n && !bStop) {
    size_t k = n - i < nChunk ? n - i : nChunk;
    bStop = ingest_parser_feed(p, z + i, k);
    i += k;
  }
  if (!bStop) {
    ingest_parser_finish(p);
  }
  ingest_parser_free(p);
}

static const IngestOptions optDefault = {NULL, 0, NOW, NULL};

static void run(const char *zFmt, const char *z, Out *o) {
  run_opt(zFmt, z, strlen(z), 0, &optDefault, o);
}

/* Whole, one byte at a time and in chunks of 7 must agree. */
static void check_streaming(const char *zName, const char *zFmt,
                            const char *z, size_t n) {
  Out a, b, c;
  run_opt(zFmt, z, n, 0, &optDefault, &a);
  run_opt(zFmt, z, n, 1, &optDefault, &b);
  run_opt(zFmt, z, n, 7, &optDefault, &c);
  char zCheck[128];
  snprintf(zCheck, sizeof(zCheck), "%s: byte-at-a-time = whole", zName);
  CHECK_STR(zCheck, buf_str(&b.text), buf_str(&a.text));
  snprintf(zCheck, sizeof(zCheck), "%s: 7-byte chunks = whole", zName);
  CHECK_STR(zCheck, buf_str(&c.text), buf_str(&a.text));
  out_free(&a);
  out_free(&b);
  out_free(&c);
}

/* ---- Fixtures ---- */

static const char zSyslog[] =
    "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - "
    "\xef\xbb\xbf'su root' failed for lonvick on /dev/pts/8\n"
    "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - "
    "%% It's time to make the do-nuts.\r\n"
    "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
    "[exampleSDID@32473 iut=\"3\" eventSource=\"App\\\"x\\]\\\\\" "
    "eventID=\"1011\"][examplePriority@32473 class=\"high\"] An event\n"
    "<165>1 2003-10-11T22:14:15.003Z host app - - [a@1 x=\"1\"][b@1 y=\"2\"]\n"
    "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick\n"
    "<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!\n"
    "Nov 14 23:59:59 web-1 sshd[19939]: Accepted publickey for deploy\n"
    "Dec 31 23:00:00 web-1 cron[1]: last year\n"
    "Feb 30 10:00:00 web-1 x: impossible\n"
    "<0>1990 Oct 22 10:52:01 TZ-6 scapegoat sched[0]: no time\n"
    "<999>1 2003-10-11T22:14:15Z h a - - - bad pri\n"
    "<34>1 - h a - - - no timestamp\n"
    "<34>1 2003-02-31T22:14:15Z h a - - - 31 Feb\n"
    "<34>1 2003-10-11T22:14:15Z h a - - [unterminated x=\"1\"\n"
    "2023-11-14T10:00:00.5+02:00 web-2 nginx[7]: iso stamp\n"
    "<11>Nov 14 10:00:00 kernel: [1.0] no host\n"
    "\n";

static void test_syslog(void) {
  Out o;
  run("syslog", zSyslog, &o);
  CHECK_INT("syslog: events", o.nEv, 10);
  CHECK_INT("syslog: rejects", o.nRej, 6);
  Ev *e = &o.aEv[0];
  CHECK_INT("syslog 5424: ts", e->ts, INT64_C(1065910455003));
  CHECK_STR("syslog 5424: level from sev 2", e->zLevel, "critical");
  CHECK_STR("syslog 5424: host", e->zComponent, "mymachine.example.com");
  CHECK_STR("syslog 5424: app", e->zSource, "su");
  CHECK_STR("syslog 5424: BOM skipped",
            e->zTitle, "'su root' failed for lonvick on /dev/pts/8");
  CHECK_STR("syslog 5424: kind", e->zKind, "log");
  CHECK_INT("syslog 5424: line", e->line, 1);
  e = &o.aEv[1];
  CHECK_INT("syslog 5424: offset and us", e->ts, INT64_C(1061727255000));
  CHECK_STR("syslog 5424: sev 5", e->zLevel, "notice");
  CHECK_STR("syslog 5424: CRLF stripped from raw", e->zRaw,
            "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 "
            "- - %% It's time to make the do-nuts.");
  e = &o.aEv[2];
  CHECK_STR("syslog 5424: msg after SD", e->zTitle, "An event");
  CHECK("syslog 5424: SD escapes decoded",
        e->zBody && strstr(e->zBody, "eventSource=App\"x]\\ eventID=1011"));
  CHECK("syslog 5424: second SD element",
        e->zBody && strstr(e->zBody, "examplePriority@32473 class=high"));
  e = &o.aEv[3];
  CHECK_STR("syslog 5424: no MSG, SD as title", e->zTitle, "a@1 x=1");
  e = &o.aEv[4];
  CHECK_STR("syslog 3164: tag", e->zSource, "su");
  CHECK_STR("syslog 3164: host", e->zComponent, "mymachine");
  CHECK_STR("syslog 3164: msg", e->zTitle, "'su root' failed for lonvick");
  CHECK_INT("syslog 3164: year inferred (2023)", e->ts,
            INT64_C(1697062455000));
  e = &o.aEv[5];
  CHECK_STR("syslog 3164: no tag", e->zTitle, "Use the BFG!");
  CHECK_STR("syslog 3164: host ip", e->zComponent, "10.0.0.99");
  CHECK_STR("syslog 3164: notice", e->zLevel, "notice");
  e = &o.aEv[6];
  CHECK_STR("syslog file: no PRI is info", e->zLevel, "info");
  CHECK_STR("syslog file: tag with pid", e->zSource, "sshd");
  CHECK_INT("syslog file: ts", e->ts, INT64_C(1700006399000));
  e = &o.aEv[7];
  CHECK_INT("syslog file: December is last year", e->ts,
            INT64_C(1672527600000));
  e = &o.aEv[8];
  CHECK_INT("syslog iso stamp", e->ts, INT64_C(1699948800500));
  CHECK_STR("syslog iso stamp: tag", e->zSource, "nginx");
  e = &o.aEv[9];
  CHECK_STR("syslog no host: tag", e->zSource, "kernel");
  CHECK("syslog no host: component NULL", e->zComponent == NULL);
  CHECK_STR("syslog sev 3", e->zLevel, "error");
  CHECK_INT("syslog reject: Feb 30 line", o.aRejLine[0], 9);
  CHECK_STR("syslog reject: Feb 30", o.azRej[0], "invalid date in TIMESTAMP");
  CHECK_STR("syslog reject: no time", o.azRej[1], "no syslog timestamp");
  CHECK_STR("syslog reject: PRI", o.azRej[2], "invalid PRI");
  CHECK_STR("syslog reject: nil ts", o.azRej[3], "no TIMESTAMP");
  CHECK_STR("syslog reject: 31 Feb", o.azRej[4], "invalid TIMESTAMP");
  CHECK_STR("syslog reject: SD", o.azRej[5], "malformed STRUCTURED-DATA");
  out_free(&o);

  /* --tz applies to zoneless times; --source is the fallback source. */
  IngestOptions opt = {"edge", 120, NOW, NULL};
  const char *z = "Nov 14 12:00:00 h msg without tag\n";
  run_opt("syslog", z, strlen(z), 0, &opt, &o);
  CHECK_INT("syslog tz: +02:00", o.aEv[0].ts, INT64_C(1699956000000));
  CHECK_STR("syslog tz: source fallback", o.aEv[0].zSource, "edge");
  out_free(&o);
  check_streaming("syslog", "syslog", zSyslog, sizeof(zSyslog) - 1);
}

static const char zNginx[] =
    "77.179.66.156 - - [25/Oct/2016:14:49:33 +0200] \"GET / HTTP/1.1\" 200 "
    "612 \"-\" \"Mozilla/5.0 (Macintosh)\"\n"
    "10.0.0.2, 10.0.0.1, 127.0.0.1 - - [07/Dec/2016:11:05:07 +0100] "
    "\"GET /ocelot?x=1 HTTP/1.1\" 200 571 \"-\" \"Mozilla/5.0\"\n"
    "\"10.5.102.222, 199.96.1.1\" 10.2.1.185 - - [22/Jan/2016:13:18:29 "
    "+0000] \"GET /assets/xxxx?q=100 HTTP/1.1\" 200 25507 \"-\" \"CF\"\n"
    "2a03:0000:10ff:f00f:0000:0000:0:8000, 10.225.192.17 10.2.2.121 - - "
    "[30/Dec/2016:06:47:09 +0000] \"GET /test.html HTTP/1.1\" 404 8571 "
    "\"-\" \"Facebot\"\n"
    "127.0.0.1 - - [12/Apr/2018:09:48:40 +0200] \"\" 400 0 \"-\" \"-\"\n"
    "::1 - - [26/Dec/2016:16:16:48 +0200] \"-\" 408 -\n"
    "lessons.example.com 192.168.0.1 - bob [09/Jun/2020:12:10:39 -0700] "
    "\"POST /checkout HTTP/1.1\" 502 7 \"a \\\"q\\\" b\" \"UA\" \"-\" "
    "extra\n"
    "monitoring-server - - [29/May/2017:19:02:48 +0000] \"GET /status "
    "HTTP/1.1\" 200 612\n"
    "1.2.3.4 - - [31/Feb/2016:13:18:29 +0000] \"GET / HTTP/1.1\" 200 1\n"
    "1.2.3.4 - - [01/Feb/2016:13:18:29 +0000] \"GET / HTTP/1.1\n"
    "garbage line\n"
    "1.2.3.4 - - [01/Feb/2016:13:18:29 +0000] \"\\x16\\x03\\x01\" 400 0\n"
    "1.2.3.4 - - [01/Feb/2016:13:18:29 +0000] \"GET / HTTP/1.1\" 20 1\n";

static void test_access(void) {
  Out o;
  run("nginx", zNginx, &o);
  CHECK_INT("nginx: events", o.nEv, 9);
  CHECK_INT("nginx: rejects", o.nRej, 4);
  Ev *e = &o.aEv[0];
  CHECK_INT("nginx: ts", e->ts, INT64_C(1477399773000));
  CHECK_STR("nginx: method", e->zMethod, "GET");
  CHECK_STR("nginx: path", e->zPath, "/");
  CHECK_INT("nginx: status", e->status, 200);
  CHECK_INT("nginx: bytes", e->bytes, 612);
  CHECK_STR("nginx: client", e->zClient, "77.179.66.156");
  CHECK_STR("nginx: title", e->zTitle, "GET / 200");
  CHECK_STR("nginx: level", e->zLevel, "info");
  CHECK_STR("nginx: source", e->zSource, "nginx");
  CHECK_STR("nginx xff: client", o.aEv[1].zClient, "127.0.0.1");
  CHECK_STR("nginx xff: path without query", o.aEv[1].zPath, "/ocelot");
  CHECK_STR("nginx quoted xff: client", o.aEv[2].zClient, "10.2.1.185");
  CHECK_STR("nginx ipv6 xff: client", o.aEv[3].zClient, "10.2.2.121");
  CHECK_STR("nginx 404: warning", o.aEv[3].zLevel, "warning");
  CHECK_STR("nginx empty request: title", o.aEv[4].zTitle,
            "(no request) 400");
  CHECK("nginx empty request: no method", o.aEv[4].zMethod == NULL);
  CHECK_STR("apache-ish 408: client ::1", o.aEv[5].zClient, "::1");
  CHECK_INT("apache-ish 408: bytes -", o.aEv[5].bytes, 0);
  CHECK_STR("vhost: client", o.aEv[6].zClient, "192.168.0.1");
  CHECK_STR("vhost: title", o.aEv[6].zTitle, "POST /checkout 502");
  CHECK_STR("5xx: error", o.aEv[6].zLevel, "error");
  CHECK_STR("common format: client host name", o.aEv[7].zClient,
            "monitoring-server");
  CHECK_STR("garbage request: title", o.aEv[8].zTitle, "(bad request) 400");
  CHECK_STR("nginx reject: 31 Feb", o.azRej[0],
            "invalid time in [time_local]");
  CHECK_INT("nginx reject: 31 Feb line", o.aRejLine[0], 9);
  CHECK_STR("nginx reject: unterminated", o.azRej[1],
            "unterminated quoted request");
  CHECK_STR("nginx reject: garbage", o.azRej[2], "no [time_local] field");
  CHECK_STR("nginx reject: status", o.azRej[3],
            "expected a three-digit status");
  out_free(&o);
  check_streaming("nginx", "nginx", zNginx, sizeof(zNginx) - 1);
  run("apache", zNginx, &o);
  CHECK_INT("apache: same parser", o.nEv, 9);
  CHECK_STR("apache: source", o.aEv[0].zSource, "apache");
  out_free(&o);
  check_streaming("apache", "apache", zNginx, sizeof(zNginx) - 1);
}

static const char zJsonl[] =
    "{\"ts\":\"2023-11-14T10:00:00.123Z\",\"level\":\"warn\",\"msg\":\"slow "
    "query\",\"component\":\"db\"}\n"
    "{\"time\":\"2023-11-14T10:00:01+01:00\",\"level\":\"ERROR\","
    "\"message\":\"boom\\nstack\",\"service\":\"api\"}\n"
    "{\"ts\":1699956000.5,\"level\":\"fatal\",\"msg\":\"zap\"}\n"
    "{\"timestamp\":1699956000000,\"severity\":\"INFO+2\",\"msg\":\"ms\"}\n"
    "{\"@timestamp\":\"2023-11-14T10:00:00Z\",\"log\":{\"level\":\"crit\"},"
    "\"message\":\"ecs\",\"host\":\"web-1\"}\n"
    "{\"ts\":\"2023-02-31T10:00:00Z\",\"msg\":\"31 Feb\"}\n"
    "{\"ts\":\"2023-11-14T10:00:00Z\",\"msg\":\"trunc\"\n"
    "{\"msg\":\"no time\"}\n"
    "[1,2]\n"
    "{\"ts\":\"2023-11-14T10:00:00Z\",\"msg\":\"a\",\"msg\":\"b\"}\n"
    "{\"ts\":\"0000-01-01T00:00:00Z\",\"msg\":\"year 0\"}\n"
    "{\"ts\":\"9999-12-31T23:59:59.999Z\",\"level\":\"trace\","
    "\"msg\":\"\\u001b[2J\\r\\n2023 ERROR admin login\"}\n"
    "{\"ts\":\"2016-12-31T23:59:60Z\",\"level\":\"err\",\"msg\":\"leap\"}\n"
    "{\"ts\":\"2023-11-14T14:00:00+14:00\",\"msg\":\"kiritimati\"}\n"
    "{\"ts\":\"2023-11-14T10:00:00Z\",\"msg\":\"nul \\u0000 x\"}\n"
    "{\"ts\":-1000,\"msg\":\"negative epoch\"}\n";

static void test_jsonl(void) {
  Out o;
  run("jsonl", zJsonl, &o);
  CHECK_INT("jsonl: events", o.nEv, 9);
  CHECK_INT("jsonl: rejects", o.nRej, 7);
  CHECK_INT("jsonl: ts", o.aEv[0].ts, INT64_C(1699956000123));
  CHECK_STR("jsonl: warn", o.aEv[0].zLevel, "warning");
  CHECK_STR("jsonl: component", o.aEv[0].zComponent, "db");
  CHECK_INT("jsonl: offset", o.aEv[1].ts, INT64_C(1699952401000));
  CHECK_STR("jsonl: ERROR", o.aEv[1].zLevel, "error");
  CHECK_STR("jsonl: title first line", o.aEv[1].zTitle, "boom");
  CHECK_STR("jsonl: body keeps lines", o.aEv[1].zBody, "boom\nstack");
  CHECK_STR("jsonl: service", o.aEv[1].zComponent, "api");
  CHECK_INT("jsonl: float seconds", o.aEv[2].ts, INT64_C(1699956000500));
  CHECK_STR("jsonl: fatal", o.aEv[2].zLevel, "critical");
  CHECK_INT("jsonl: ms", o.aEv[3].ts, INT64_C(1699956000000));
  CHECK_STR("jsonl: INFO+2", o.aEv[3].zLevel, "info");
  CHECK_STR("jsonl: ECS log.level", o.aEv[4].zLevel, "critical");
  CHECK_STR("jsonl: host", o.aEv[4].zComponent, "web-1");
  CHECK_INT("jsonl: year 9999", o.aEv[5].ts, UTC_MAX_MS);
  CHECK_STR("jsonl: control chars become spaces", o.aEv[5].zTitle,
            "[2J");
  CHECK_STR("jsonl: trace is debug", o.aEv[5].zLevel, "debug");
  CHECK_INT("jsonl: leap second folded", o.aEv[6].ts,
            INT64_C(1483228799999));
  CHECK_INT("jsonl: +14:00", o.aEv[7].ts, INT64_C(1699920000000));
  CHECK_INT("jsonl: negative epoch", o.aEv[8].ts, -1000000);
  CHECK_STR("jsonl reject: 31 Feb", o.azRej[0], "invalid time in \"ts\"");
  CHECK_INT("jsonl reject: 31 Feb line", o.aRejLine[0], 6);
  CHECK("jsonl reject: truncated",
        strncmp(o.azRej[1], "invalid JSON", 12) == 0);
  CHECK_STR("jsonl reject: no time", o.azRej[2],
            "no time field (ts, time, timestamp or @timestamp)");
  CHECK_STR("jsonl reject: array", o.azRej[3], "not a JSON object");
  CHECK("jsonl reject: duplicate key", strstr(o.azRej[4], "duplicate"));
  CHECK_STR("jsonl reject: year 0", o.azRej[5], "invalid time in \"ts\"");
  CHECK("jsonl reject: \\u0000", strncmp(o.azRej[6], "invalid JSON", 12) == 0);
  out_free(&o);
  check_streaming("jsonl", "jsonl", zJsonl, sizeof(zJsonl) - 1);
}

static const char zJournal[] =
    "{\"__CURSOR\":\"s=1\",\"__REALTIME_TIMESTAMP\":\"1342540861416409\","
    "\"PRIORITY\":\"4\",\"SYSLOG_IDENTIFIER\":\"gdm\",\"MESSAGE\":\"hello\","
    "\"_HOSTNAME\":\"epsilon\"}\n"
    "-- No entries --\n"
    "{\"__REALTIME_TIMESTAMP\":\"1342540861421465\","
    "\"_SOURCE_REALTIME_TIMESTAMP\":\"1342540861416351\","
    "\"MESSAGE\":[72,105,33],\"_SYSTEMD_UNIT\":\"cron.service\","
    "\"_HOSTNAME\":[\"a\",\"b\"]}\n"
    "{\"__REALTIME_TIMESTAMP\":\"1342540861421465\",\"MESSAGE\":[255,1]}\n"
    "{\"__REALTIME_TIMESTAMP\":\"1342540861421465\",\"MESSAGE\":null}\n"
    "{\"MESSAGE\":\"no time\"}\n"
    "{\"__REALTIME_TIMESTAMP\":\"12x\",\"MESSAGE\":\"bad time\"}\n"
    "{\"__REALTIME_TIMESTAMP\":\"1342540861421465\",\"PRIORITY\":\"3\","
    "\"MESSAGE\":[\"first\",\"second\"],\"LARGE\":null}\n";

static void test_journal(void) {
  Out o;
  run("journal", zJournal, &o);
  CHECK_INT("journal: events", o.nEv, 4);
  CHECK_INT("journal: rejects", o.nRej, 3);
  CHECK_INT("journal: us to ms", o.aEv[0].ts, INT64_C(1342540861416));
  CHECK_STR("journal: priority 4", o.aEv[0].zLevel, "warning");
  CHECK_STR("journal: identifier", o.aEv[0].zSource, "gdm");
  CHECK_STR("journal: host", o.aEv[0].zComponent, "epsilon");
  CHECK_STR("journal: byte array", o.aEv[1].zTitle, "Hi!");
  CHECK_INT("journal: source time preferred", o.aEv[1].ts,
            INT64_C(1342540861416));
  CHECK_STR("journal: unit", o.aEv[1].zSource, "cron.service");
  CHECK_STR("journal: multi-value first", o.aEv[1].zComponent, "a");
  CHECK_STR("journal: bytes not UTF-8 become U+FFFD", o.aEv[2].zTitle,
            "\xef\xbf\xbd");
  CHECK_STR("journal: multi-value message", o.aEv[3].zTitle, "first");
  CHECK_STR("journal: priority 3", o.aEv[3].zLevel, "error");
  CHECK_STR("journal reject: null", o.azRej[0], "MESSAGE is null (too large)");
  CHECK_STR("journal reject: no time", o.azRej[1], "no __REALTIME_TIMESTAMP");
  CHECK_STR("journal reject: bad time", o.azRej[2],
            "invalid time in \"__REALTIME_TIMESTAMP\"");
  out_free(&o);
  check_streaming("journal", "journal", zJournal, sizeof(zJournal) - 1);
}

static const char zAlertmanager[] =
    "{\"receiver\":\"devops\",\"status\":\"firing\",\"alerts\":[\n"
    " {\"status\":\"firing\",\"labels\":{\"alertname\":\"CPUHigh\","
    "\"component\":\"component-x\",\"severity\":\"warning\",\"job\":\"n\"},"
    "\"annotations\":{\"summary\":\"CPU high\",\"description\":\"cpu > "
    "20%\"},\"startsAt\":\"2021-03-30T20:17:50.814674209+08:00\","
    "\"endsAt\":\"0001-01-01T00:00:00Z\",\"fingerprint\":\"83eb2c81e0da3faf\"},\n"
    " {\"status\":\"resolved\",\"labels\":{\"alertname\":\"CPUHigh\","
    "\"job\":\"node\",\"severity\":\"critical\"},\"annotations\":{},"
    "\"startsAt\":\"2021-03-30T20:17:50.814674209+08:00\","
    "\"endsAt\":\"2021-03-30T21:17:50.814674209+08:00\"},\n"
    " {\"status\":\"firing\",\"labels\":{\"alertname\":\"X\"},"
    "\"startsAt\":\"2021-02-31T00:00:00Z\"},\n"
    " {\"status\":\"firing\",\"labels\":{\"service\":\"pay\",\"severity\":"
    "\"info\"},\"startsAt\":\"2021-03-30T12:00:00Z\"}\n"
    "],\"version\":\"4\",\"groupKey\":\"{}:{alertname=\\\"CPUHigh\\\"}\","
    "\"truncatedAlerts\":0}\n";

static void test_alertmanager(void) {
  Out o;
  run("alertmanager", zAlertmanager, &o);
  CHECK_INT("am: events", o.nEv, 3);
  CHECK_INT("am: rejects", o.nRej, 1);
  Ev *e = &o.aEv[0];
  CHECK_STR("am: kind", e->zKind, "alert");
  CHECK_STR("am: state", e->zState, "firing");
  CHECK_INT("am: ns fraction and +08:00", e->ts, INT64_C(1617106670814));
  CHECK("am: zero endsAt unset", e->endTs == INT64_MIN);
  CHECK_STR("am: key", e->zKey, "83eb2c81e0da3faf");
  CHECK_STR("am: level", e->zLevel, "warning");
  CHECK_STR("am: component first", e->zComponent, "component-x");
  CHECK_STR("am: title", e->zTitle, "CPUHigh: CPU high");
  CHECK("am: body has description and labels",
        e->zBody && strncmp(e->zBody, "cpu > 20%\n\nLabels:\n", 19) == 0 &&
            strstr(e->zBody, "severity=warning\n"));
  CHECK_STR("am: source", e->zSource, "alertmanager");
  e = &o.aEv[1];
  CHECK_STR("am: resolved", e->zState, "resolved");
  CHECK_INT("am: endTs", e->endTs, INT64_C(1617110270814));
  CHECK_STR("am: job as component", e->zComponent, "node");
  CHECK_STR("am: critical", e->zLevel, "critical");
  CHECK("am: hashed key", e->zKey && strlen(e->zKey) == 16);
  CHECK_STR("am: service as component", o.aEv[2].zComponent, "pay");
  CHECK_STR("am: info", o.aEv[2].zLevel, "info");
  CHECK_STR("am: no alertname", o.aEv[2].zTitle, "alert");
  CHECK_STR("am reject: 31 Feb", o.azRej[0],
            "alerts[2]: invalid time in \"startsAt\"");
  out_free(&o);
  check_streaming("alertmanager", "alertmanager", zAlertmanager,
                  sizeof(zAlertmanager) - 1);

  /* A truncated payload is rejected whole at finish. */
  run("alertmanager", "{\"alerts\":[{\"status\":\"firing\"", &o);
  CHECK_INT("am truncated: no events", o.nEv, 0);
  CHECK("am truncated: rejected",
        o.nRej == 1 && strncmp(o.azRej[0], "invalid JSON", 12) == 0);
  out_free(&o);
  run("alertmanager", "{\"version\":\"1\",\"alerts\":[]}", &o);
  CHECK_STR("am: wrong version", o.azRej[0],
            "unsupported webhook version (want \"4\")");
  out_free(&o);
  run("alertmanager", "", &o);
  CHECK_STR("am: empty", o.azRej[0], "empty document");
  out_free(&o);
}

static const char zGrafana[] =
    "{\"receiver\":\"test-webhook\",\"status\":\"firing\",\"alerts\":[{"
    "\"status\":\"firing\",\"labels\":{\"alertname\":\"CPU Usage High\","
    "\"grafana_folder\":\"alert\"},\"annotations\":{},"
    "\"startsAt\":\"2023-03-29T09:41:10Z\","
    "\"endsAt\":\"0001-01-01T00:00:00Z\",\"fingerprint\":\"68d4e65db3ad9208\","
    "\"silenceURL\":\"http://x/?a=1\\u0026b=2\",\"values\":{\"C\":12}}],"
    "\"version\":\"1\",\"orgId\":1,\"state\":\"alerting\","
    "\"title\":\"[FIRING:1] CPU\",\"message\":\"**Firing**\"}\n";

static void test_grafana(void) {
  Out o;
  run("grafana", zGrafana, &o);
  CHECK_INT("grafana: events", o.nEv, 1);
  CHECK_STR("grafana: title", o.aEv[0].zTitle, "CPU Usage High");
  CHECK_INT("grafana: ts", o.aEv[0].ts, INT64_C(1680082870000));
  CHECK_STR("grafana: key", o.aEv[0].zKey, "68d4e65db3ad9208");
  CHECK_STR("grafana: source", o.aEv[0].zSource, "grafana");
  out_free(&o);
  check_streaming("grafana", "grafana", zGrafana, sizeof(zGrafana) - 1);
  const char *zLegacy =
      "{\"title\":\"[Alerting] Panel\",\"ruleId\":7,\"ruleName\":\"Panel\","
      "\"state\":\"alerting\",\"message\":\"m\",\"evalMatches\":[{\"value\":"
      "100,\"metric\":\"High value\"}]}";
  run("grafana", zLegacy, &o);
  CHECK_INT("grafana legacy: events", o.nEv, 1);
  CHECK_STR("grafana legacy: state", o.aEv[0].zState, "firing");
  CHECK_STR("grafana legacy: key", o.aEv[0].zKey, "7");
  CHECK_STR("grafana legacy: body", o.aEv[0].zBody, "m\nHigh value=100");
  CHECK_INT("grafana legacy: now", o.aEv[0].ts, NOW);
  out_free(&o);
}

static const char zCsv[] =
    "\xef\xbb\xbfid,created_at,subject,body,requester,priority,status,tags,"
    "extra\r\n"
    "101,2023-11-14T10:05:00Z,Checkout fails,\"Error 502, twice\",a@x.io,"
    "urgent,open,checkout;web,x\r\n"
    "102,2023-11-14T10:06:00+01:00,\"He said \"\"hi\"\"\",\"line one\r\n"
    "line two\r\n"
    "\",b,high,new,,y\r\n"
    "\r\n"
    "103,2023-02-31T10:00:00Z,bad date,,,,,,\r\n"
    "104,2023-11-14T10:07:00Z,too few\r\n"
    "105,2023-11-14 10:08:00,=HYPERLINK(\"x\"),,,low,solved,,\r\n"
    "106,2023-11-14T10:09:00Z,normal,,,normal,,,\r\n"
    "107,2023-11-14T10:09:00Z,\"unterminated,,,,,,\n";

static void test_csv(void) {
  Out o;
  run("tickets-csv", zCsv, &o);
  CHECK_INT("csv: events", o.nEv, 4);
  CHECK_INT("csv: rejects", o.nRej, 3);
  Ev *e = &o.aEv[0];
  CHECK_STR("csv: kind", e->zKind, "ticket");
  CHECK_STR("csv: key", e->zKey, "101");
  CHECK_STR("csv: title", e->zTitle, "Checkout fails");
  CHECK_STR("csv: body", e->zBody,
            "Error 502, twice\n\nStatus: open\nPriority: urgent\n"
            "Requester: a@x.io\nTags: checkout;web\n");
  CHECK_STR("csv: urgent", e->zLevel, "critical");
  CHECK_STR("csv: state", e->zState, "open");
  CHECK_INT("csv: line", e->line, 2);
  CHECK_INT("csv: ts", e->ts, INT64_C(1699956300000));
  e = &o.aEv[1];
  CHECK_STR("csv: doubled quotes", e->zTitle, "He said \"hi\"");
  CHECK("csv: embedded newlines kept",
        e->zBody && strncmp(e->zBody, "line one\r\nline two\r\n", 20) != 0 &&
            strncmp(e->zBody, "line one", 8) == 0 &&
            strstr(e->zBody, "line two"));
  CHECK_INT("csv: record reported by first line", e->line, 3);
  CHECK_STR("csv: high", e->zLevel, "error");
  CHECK("csv: raw keeps CRLF inside the field",
        e->zRaw && strstr(e->zRaw, "line one\r\nline two\r\n\""));
  e = &o.aEv[2];
  CHECK_STR("csv: formula kept as-is", e->zTitle, "=HYPERLINK(\"x\")");
  CHECK_STR("csv: low", e->zLevel, "info");
  CHECK_INT("csv: zoneless is UTC", e->ts, INT64_C(1699956480000));
  CHECK_STR("csv: normal", o.aEv[3].zLevel, "warning");
  CHECK_STR("csv reject: 31 Feb", o.azRej[0],
            "invalid time in \"created_at\"");
  CHECK_INT("csv reject: 31 Feb line", o.aRejLine[0], 7);
  CHECK_STR("csv reject: field count", o.azRej[1],
            "expected 9 fields, got 3");
  CHECK_STR("csv reject: unterminated", o.azRej[2],
            "unterminated quoted field");
  CHECK_INT("csv reject: unterminated line", o.aRejLine[2], 11);
  out_free(&o);
  check_streaming("tickets-csv", "tickets-csv", zCsv, sizeof(zCsv) - 1);
  run("tickets-csv", "ticket,when\n1,2\n", &o);
  CHECK_STR("csv: bad header", o.azRej[0],
            "header row needs columns id, created_at and subject");
  CHECK_STR("csv: rows after bad header", o.azRej[1], "no valid header row");
  out_free(&o);
}

static const char zZendesk[] =
    "{\"tickets\":[{\"id\":35436,\"created_at\":\"2009-07-20T22:55:29Z\","
    "\"subject\":\"Help, my printer is on fire!\",\"description\":\"The fire "
    "is very colorful.\",\"priority\":\"high\",\"status\":\"open\","
    "\"requester_id\":20978392,\"tags\":[\"enterprise\",\"other_tag\"]},\n"
    "{\"id\":35437,\"created_at\":\"2009-02-30T22:55:29Z\",\"subject\":\"x\"},"
    "\n{\"id\":35438,\"created_at\":\"2009-07-21T00:00:00Z\",\"subject\":\"y\","
    "\"priority\":null}]}\n";

static const char zZendeskLines[] =
    "{\"id\":1,\"created_at\":\"2009-07-20T22:55:29Z\",\"subject\":\"a\"}\n"
    "{\"id\":2,\"created_at\":\"2009-07-20T22:55:29Z\",\"subject\":\"b\","
    "\"priority\":\"urgent\"}\r\n"
    "{\"id\":3,\"created_at\":\"2009-07-20T22:55:29Z\"\n"
    "{\"subject\":\"no id\",\"created_at\":\"2009-07-20T22:55:29Z\"}\n";

static void test_zendesk(void) {
  Out o;
  run("zendesk", zZendesk, &o);
  CHECK_INT("zendesk: events", o.nEv, 2);
  CHECK_INT("zendesk: rejects", o.nRej, 1);
  Ev *e = &o.aEv[0];
  CHECK_STR("zendesk: key", e->zKey, "35436");
  CHECK_STR("zendesk: title", e->zTitle, "Help, my printer is on fire!");
  CHECK_STR("zendesk: level", e->zLevel, "error");
  CHECK_STR("zendesk: state", e->zState, "open");
  CHECK_STR("zendesk: body", e->zBody,
            "The fire is very colorful.\n\nStatus: open\nPriority: high\n"
            "Requester: 20978392\nTags: enterprise other_tag\n");
  CHECK_INT("zendesk: ts", e->ts, INT64_C(1248130529000));
  CHECK_STR("zendesk: source", e->zSource, "zendesk");
  CHECK_STR("zendesk: null priority", o.aEv[1].zLevel, "info");
  CHECK_STR("zendesk reject: 30 Feb", o.azRej[0],
            "tickets[1]: invalid time in \"created_at\"");
  out_free(&o);
  check_streaming("zendesk", "zendesk", zZendesk, sizeof(zZendesk) - 1);
  run("zendesk", zZendeskLines, &o);
  CHECK_INT("zendesk lines: events", o.nEv, 2);
  CHECK_INT("zendesk lines: line", o.aEv[1].line, 2);
  CHECK_STR("zendesk lines: urgent", o.aEv[1].zLevel, "critical");
  CHECK_INT("zendesk lines: rejects", o.nRej, 2);
  CHECK_INT("zendesk lines: truncated line", o.aRejLine[0], 3);
  CHECK_STR("zendesk lines: no id", o.azRej[1], "no \"id\"");
  out_free(&o);
  check_streaming("zendesk lines", "zendesk", zZendeskLines,
                  sizeof(zZendeskLines) - 1);
  run("zendesk", "{\"ticket\":{\"id\":9,\"created_at\":\"2009-07-20\","
                 "\"subject\":\"one\"}}", &o);
  CHECK_STR("zendesk: single ticket", o.aEv[0].zKey, "9");
  out_free(&o);
}

/* Bad bytes and long lines, through the framework. */
static void test_framework(void) {
  Out o;
  Buf in;
  buf_init(&in, 0);
  const char zOk[] = "1.2.3.4 - - [01/Feb/2016:13:18:29 +0000] \"GET /a "
                     "HTTP/1.1\" 200 1\n";
  buf_puts(&in, zOk);
  buf_puts(&in, "1.2.3.4 - - [01/Feb/2016:13:18:29 +0000] \"GET /\xc3\x28 "
                "HTTP/1.1\" 200 1\n");
  buf_append(&in, "1.2.3.4 - - [01/Feb/2016:13:18:29 +0000] \"GET /\0 H\" 2",
             54);
  buf_puts(&in, "00 1\n");
  for (int i = 0; i < 70000; i++) {
    buf_putc(&in, 'x');
  }
  buf_puts(&in, "\n");
  buf_puts(&in, zOk);
  /* Exactly 65536 bytes plus CRLF is fine (and not an access log line). */
  for (int i = 0; i < 65536; i++) {
    buf_putc(&in, 'y');
  }
  buf_puts(&in, "\r\n");
  for (int i = 0; i < 65537; i++) {
    buf_putc(&in, 'z');
  }
  buf_puts(&in, "\n");
  buf_puts(&in, "\xc0\xaf overlong\n");
  buf_puts(&in, zOk);
  buf_append(&in, zOk, strlen(zOk) - 1); /* no final newline */
  run_opt("nginx", in.z, in.n, 0, &optDefault, &o);
  CHECK_INT("framework: events", o.nEv, 4);
  CHECK_INT("framework: rejects", o.nRej, 6);
  CHECK_STR("framework: invalid UTF-8", o.azRej[0], "invalid UTF-8");
  CHECK_INT("framework: invalid UTF-8 line", o.aRejLine[0], 2);
  CHECK_STR("framework: NUL", o.azRej[1], "NUL byte");
  CHECK_STR("framework: long line", o.azRej[2],
            "line longer than 65536 bytes");
  CHECK_INT("framework: long line number", o.aRejLine[2], 4);
  CHECK_INT("framework: line after long line", o.aEv[1].line, 5);
  CHECK_STR("framework: 65536 bytes accepted as a line", o.azRej[3],
            "no [time_local] field");
  CHECK_STR("framework: 65537 bytes", o.azRej[4],
            "line longer than 65536 bytes");
  CHECK_INT("framework: 65537 line", o.aRejLine[4], 7);
  CHECK_STR("framework: overlong UTF-8", o.azRej[5], "invalid UTF-8");
  CHECK_INT("framework: last line without newline", o.aEv[3].line, 10);
  out_free(&o);
  check_streaming("framework", "nginx", in.z, in.n);
  buf_free(&in);

  CHECK("unknown format", ingest_parser_new("nope", NULL, on_event, on_reject,
                                            NULL) == NULL);
  int nFmt = 0, nListed = 0;
  for (int i = 0; azIngestFormat[i]; i++) {
    nListed++;
    IngestParser *p = ingest_parser_new(azIngestFormat[i], NULL, NULL, NULL,
                                        NULL);
    nFmt += p != NULL;
    ingest_parser_free(p);
  }
  CHECK_INT("every listed format has a parser", nFmt, nListed);
  CHECK("the formats are listed", nListed >= 9);

  /* Stopping: xEmit returns nonzero. */
  memset(&o, 0, sizeof(o));
  buf_init(&o.text, 0);
  o.nStopAfter = 1;
  IngestParser *p = ingest_parser_new("jsonl", &optDefault, on_event,
                                      on_reject, &o);
  const char *z = "{\"ts\":1,\"msg\":\"a\"}\n{\"ts\":2,\"msg\":\"b\"}\n";
  CHECK_INT("stop: feed says stop", ingest_parser_feed(p, z, strlen(z)), 1);
  CHECK_INT("stop: finish says stop", ingest_parser_finish(p), 1);
  CHECK_INT("stop: one event", o.nEv, 1);
  ingest_parser_free(p);
  out_free(&o);

  /* A document over the cap is rejected without buffering the rest. */
  memset(&o, 0, sizeof(o));
  buf_init(&o.text, 0);
  p = ingest_parser_new("alertmanager", &optDefault, on_event, on_reject, &o);
  char *zBig = xcalloc(1, 1 << 20);
  memset(zBig, ' ', 1 << 20);
  for (int i = 0; i < 17; i++) {
    ingest_parser_feed(p, zBig, 1 << 20);
  }
  ingest_parser_finish(p);
  CHECK("doc cap: peak within cap", ingest_parser_peak(p) <= INGEST_MAX_DOC);
  CHECK_STR("doc cap: reason", o.azRej[0], "document larger than 16777216 bytes");
  CHECK_INT("doc cap: one reject", o.nRej, 1);
  ingest_parser_free(p);
  free(zBig);
  out_free(&o);
}

static void test_tz(void) {
  int m = 1;
  CHECK("tz UTC", ingest_parse_tz("UTC", &m) == 0 && m == 0);
  CHECK("tz Z", ingest_parse_tz("Z", &m) == 0 && m == 0);
  CHECK("tz +05:30", ingest_parse_tz("+05:30", &m) == 0 && m == 330);
  CHECK("tz -0700", ingest_parse_tz("-0700", &m) == 0 && m == -420);
  CHECK("tz +14", ingest_parse_tz("+14", &m) == 0 && m == 840);
  CHECK("tz bad minutes", ingest_parse_tz("+05:60", &m) == E_INVALID);
  CHECK("tz too far", ingest_parse_tz("+19:00", &m) == E_INVALID);
  CHECK("tz junk", ingest_parse_tz("Europe/Paris", &m) == E_INVALID);
  CHECK("tz empty", ingest_parse_tz("", &m) == E_INVALID);
  CHECK("tz NULL", ingest_parse_tz(NULL, &m) == E_INVALID);
}

/* Counts events only. */
static int count_event(void *pArg, const IngestEvent *e) {
  (void)e;
  (*(int64_t *)pArg)++;
  return 0;
}

/* 1M nginx lines: the parser's buffer stays under the line cap. */
static void test_flat_memory(void) {
  int64_t nEv = 0;
  IngestParser *p = ingest_parser_new("nginx", &optDefault, count_event,
                                      NULL, &nEv);
  Buf chunk;
  buf_init(&chunk, 0);
  for (int i = 0; i < 1000; i++) {
    buf_printf(&chunk,
               "10.0.%d.%d - - [14/Nov/2023:10:%02d:%02d +0000] \"GET "
               "/api/items/%d?page=2 HTTP/1.1\" %d %d \"-\" \"bench\"\n",
               i / 256, i % 256, i / 60 % 60, i % 60, i,
               i % 50 == 0 ? 502 : 200, i * 7);
  }
  /* Feed in pieces that do not line up with lines. */
  for (int k = 0; k < 1000; k++) {
    size_t nCut = 1 + (size_t)k * 37 % (chunk.n - 1);
    ingest_parser_feed(p, chunk.z, nCut);
    ingest_parser_feed(p, chunk.z + nCut, chunk.n - nCut);
  }
  ingest_parser_finish(p);
  CHECK_INT("1M lines: all parsed", nEv, 1000000);
  CHECK("1M lines: buffer stays under the line cap",
        ingest_parser_peak(p) <= INGEST_MAX_LINE + 1);
  CHECK("1M lines: buffer held at most one line",
        ingest_parser_peak(p) < 200);
  ingest_parser_free(p);
  buf_free(&chunk);
}

int main(void) {
  test_syslog();
  test_access();
  test_jsonl();
  test_journal();
  test_alertmanager();
  test_grafana();
  test_csv();
  test_zendesk();
  test_framework();
  test_tz();
  test_flat_memory();
  return harness_exit();
}
