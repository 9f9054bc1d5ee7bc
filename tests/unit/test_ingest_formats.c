/*
** test_ingest_formats.c: unit tests for the evidence formats of issue 16
** (logfmt, PRI-less rsyslog lines, journald byte arrays, HAProxy, AWS ALB
** and VPC flow logs) and named --tz zones.
**
** Each case feeds an inline fixture (our own, shaped like the documented
** formats) and compares one line per event or rejection. Every fixture is
** also fed one byte at a time and must give the same output. "Now" is
** fixed, so no case depends on today's date. Single-threaded.
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
#include "tz.h"
#include "utc.h"

/* "Now" for every test: 2023-11-15T00:00:00Z. */
#define NOW INT64_C(1700006400000)

static int on_event(void *pArg, const IngestEvent *e) {
  Buf *b = pArg;
  char zTs[25];
  utc_format(e->ts, zTs);
  buf_printf(b, "E%lld %s %s src=%s comp=%s title=%s", (long long)e->line,
             zTs, e->zLevel, e->zSource ? e->zSource : "-",
             e->zComponent ? e->zComponent : "-", e->zTitle);
  if (e->status) {
    buf_printf(b, " status=%d bytes=%lld %s %s client=%s", e->status,
               (long long)e->bytes, e->zMethod ? e->zMethod : "-",
               e->zPath ? e->zPath : "-", e->zClient ? e->zClient : "-");
  }
  buf_puts(b, "\n");
  return 0;
}

static void on_reject(void *pArg, int64_t line, const char *zReason) {
  buf_printf(pArg, "R%lld %s\n", (long long)line, zReason);
}

/* Parses z with zFmt in chunks of nChunk bytes (0: whole); the events and
** rejections as text. NEW (free). */
static char *parse_chunked(const char *zFmt, const char *z,
                           const IngestOptions *pOpt, size_t nChunk) {
  Buf b;
  buf_init(&b, 0);
  IngestParser *p = ingest_parser_new(zFmt, pOpt, on_event, on_reject, &b);
  if (!p) {
    return xstrdup("no parser");
  }
  size_t n = strlen(z);
  if (nChunk == 0) {
    nChunk = n ? n : 1;
  }
  for (size_t i = 0; i < n; i += nChunk) {
    ingest_parser_feed(p, z + i, n - i < nChunk ? n - i : nChunk);
  }
  ingest_parser_finish(p);
  ingest_parser_free(p);
  char *zOut = xstrdup(buf_str(&b));
  buf_free(&b);
  return zOut;
}

/* Parses whole and byte by byte (they must agree). NEW (free). */
static char *parse_opt(const char *zName, const char *zFmt, const char *z,
                       const IngestOptions *pOpt) {
  char *zWhole = parse_chunked(zFmt, z, pOpt, 0);
  char *zByte = parse_chunked(zFmt, z, pOpt, 1);
  char zCheck[160];
  snprintf(zCheck, sizeof(zCheck), "%s: byte-at-a-time = whole", zName);
  CHECK_STR(zCheck, zByte, zWhole);
  free(zByte);
  return zWhole;
}

static char *parse(const char *zName, const char *zFmt, const char *z) {
  IngestOptions opt = {.nowMs = NOW};
  return parse_opt(zName, zFmt, z, &opt);
}

/* Checks that zOut holds the line zWant (a whole line of it). */
static void check_has(const char *zName, const char *zOut,
                      const char *zWant) {
  size_t n = strlen(zWant);
  const char *z = zOut;
  int bFound = 0;
  while (!bFound && z && *z) {
    const char *zEnd = strchr(z, '\n');
    size_t nLine = zEnd ? (size_t)(zEnd - z) : strlen(z);
    bFound = nLine == n && memcmp(z, zWant, n) == 0;
    z = zEnd ? zEnd + 1 : NULL;
  }
  if (!bFound) {
    fprintf(stderr, "  missing: %s\n  in:\n%s", zWant, zOut);
  }
  CHECK(zName, bFound);
}

/* Counts lines starting with c ('E' or 'R'). */
static int count_lines(const char *zOut, char c) {
  int n = 0;
  for (const char *z = zOut; z && *z;) {
    n += *z == c;
    z = strchr(z, '\n');
    z = z ? z + 1 : NULL;
  }
  return n;
}

/* ---- logfmt ---- */

/* Our own copy of the go-logfmt / kr/logfmt edge cases (lines 1-7), the
** Loki docs' example with its stray quote (line 7), then lines with times. */
static const char zLogfmt[] =
    "foo=bar a=14 baz=\"hello kitty\" cool%story=bro f %^asdf\n"
    "x= \n"
    "y=\n"
    "y\n"
    "y=f\n"
    "a=1 b=\"bar\" \xc6\x92=2h3s r=\"esc\\t\" d x=sf   \n"
    "time=2012-11-01T22:08:41+00:00 app=loki level=WARN duration=125 "
    "message=\"this is a log line\" extra=\"user=foo\"\"\n"
    "time=2012-11-01T22:08:41+00:00 app=loki level=WARN duration=125 "
    "message=\"this is a log line\" extra=\"user=foo\"\n"
    "ts=1700000000 lvl=eror msg=\"db \\\"down\\\" \\u00e9\" service=api "
    "component=Database msg=second\n"
    "ts=2023-11-14T10:00:00 level=info msg=plain\n"
    "=x ts=1\n"
    "ts=1 k\"=1\n"
    "ts=1 k=a=b\n"
    "ts=1 msg=\"open\n"
    "ts=1 msg=\"bad \\q\"\n"
    "ts=1 msg=\"lone \\ud800\"\n"
    "ts=yesterday msg=x\n"
    "   \n";

static void test_logfmt(void) {
  char *z = parse("logfmt", "logfmt", zLogfmt);
  for (int i = 1; i <= 6; i++) {
    char zWant[80];
    snprintf(zWant, sizeof(zWant),
             "R%d no time field (ts, time or timestamp)", i);
    check_has("logfmt: grammar edge cases parse, no time", z, zWant);
  }
  check_has("logfmt: stray quote after a value", z,
            "R7 unexpected byte after a quoted value at column 110");
  check_has("logfmt: Loki example fixed", z,
            "E8 2012-11-01T22:08:41.000Z warning src=loki comp=- "
            "title=this is a log line");
  check_has("logfmt: epoch, escapes, first of a repeated key", z,
            "E9 2023-11-14T22:13:20.000Z error src=api comp=Database "
            "title=db \"down\" \xc3\xa9");
  check_has("logfmt: zoneless time is UTC by default", z,
            "E10 2023-11-14T10:00:00.000Z info src=- comp=- title=plain");
  check_has("logfmt: no key", z, "R11 '=' without a key at column 1");
  check_has("logfmt: quote in key", z,
            "R12 unexpected '\"' in a key at column 7");
  check_has("logfmt: '=' in a bare value", z,
            "R13 unexpected '=' in a value at column 9");
  check_has("logfmt: unterminated", z,
            "R14 unterminated quoted value at column 10");
  check_has("logfmt: bad escape", z,
            "R15 invalid escape in quoted value at column 15");
  check_has("logfmt: lone surrogate", z,
            "R16 invalid \\u escape in quoted value at column 16");
  check_has("logfmt: bad time", z, "R17 invalid time \"yesterday\"");
  CHECK_INT("logfmt: events", count_lines(z, 'E'), 3);
  CHECK_INT("logfmt: rejections", count_lines(z, 'R'), 14);
  free(z);
}

/* ---- PRI-less syslog (rsyslog's file templates) ---- */

static const char zRsyslog[] =
    "Nov 14 10:00:01 web-1 payments[4242] connection to db failed after 3 "
    "ms\n"
    "2023-11-14T10:00:02.394343+00:00 web-1 payments[4242] ERROR: boom\n"
    "Nov 14 10:00:03 web-1 billing[77]: [warn] slow invoice\n"
    "Nov 14 10:00:04 web-1 cron[1] level=debug tick\n"
    "Nov 14 10:00:05 web-1 sshd[9]: Accepted publickey for deploy\n"
    "Nov 14 10:00:06 web-1 x[] not a tag\n"
    "Nov 14 10:00:07 web-1 a[1]b starts with a bracket word\n"
    "<11>Nov 14 10:00:08 web-1 app[5] PRI wins over words: info\n";

static void test_rsyslog(void) {
  char *z = parse("rsyslog files", "syslog", zRsyslog);
  check_has("syslog: tag[pid] without colon, error words", z,
            "E1 2023-11-14T10:00:01.000Z error src=payments comp=web-1 "
            "title=connection to db failed after 3 ms");
  check_has("syslog: RSYSLOG_FileFormat, leading level word", z,
            "E2 2023-11-14T10:00:02.394Z error src=payments comp=web-1 "
            "title=ERROR: boom");
  check_has("syslog: [warn] with a colon tag", z,
            "E3 2023-11-14T10:00:03.000Z warning src=billing comp=web-1 "
            "title=[warn] slow invoice");
  check_has("syslog: level=debug", z,
            "E4 2023-11-14T10:00:04.000Z debug src=cron comp=web-1 "
            "title=level=debug tick");
  check_has("syslog: plain info", z,
            "E5 2023-11-14T10:00:05.000Z info src=sshd comp=web-1 "
            "title=Accepted publickey for deploy");
  check_has("syslog: empty brackets are no tag", z,
            "E6 2023-11-14T10:00:06.000Z info src=- comp=web-1 "
            "title=x[] not a tag");
  check_has("syslog: text after the bracket is no tag", z,
            "E7 2023-11-14T10:00:07.000Z info src=- comp=web-1 "
            "title=a[1]b starts with a bracket word");
  check_has("syslog: PRI severity kept", z,
            "E8 2023-11-14T10:00:08.000Z error src=app comp=web-1 "
            "title=PRI wins over words: info");
  free(z);
}

/* ---- journald ---- */

/* An error-priority record whose MESSAGE is Latin-1 (journalctl writes it
** as bytes), a repeated field, a UTF-8 byte array cut mid-character, and
** an array that is not bytes. */
static const char zJournalBytes[] =
    "{\"__REALTIME_TIMESTAMP\":\"1699956000000000\",\"PRIORITY\":\"3\","
    "\"SYSLOG_IDENTIFIER\":[\"pay\",\"pay2\"],\"_HOSTNAME\":\"web-1\","
    "\"MESSAGE\":[99,97,102,233,32,102,97,105,108,101,100]}\n"
    "{\"__REALTIME_TIMESTAMP\":\"1699956001000000\",\"MESSAGE\":"
    "[[104,105],[120]]}\n"
    "{\"__REALTIME_TIMESTAMP\":\"1699956002000000\",\"MESSAGE\":"
    "[195,169,0,226,130]}\n"
    "{\"__REALTIME_TIMESTAMP\":\"1699956003000000\",\"MESSAGE\":"
    "[1,\"x\"]}\n";

static void test_journal_bytes(void) {
  char *z = parse("journal bytes", "journal", zJournalBytes);
  check_has("journal: Latin-1 MESSAGE decoded, error kept", z,
            "E1 2023-11-14T10:00:00.000Z error src=pay comp=web-1 "
            "title=caf\xef\xbf\xbd failed");
  check_has("journal: repeated byte arrays take the first", z,
            "E2 2023-11-14T10:00:01.000Z info src=- comp=- title=hi");
  check_has("journal: NUL and a cut character become U+FFFD", z,
            "E3 2023-11-14T10:00:02.000Z info src=- comp=- "
            "title=\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  check_has("journal: an array of non-bytes is rejected", z,
            "R4 MESSAGE is an array but not of bytes");
  free(z);
}

/* ---- named zones ---- */

/* UTC ms of an RFC 3339 time (the test's own fixtures: always valid). */
static int64_t ms_of(const char *z) {
  int64_t ms = 0;
  utc_parse_iso(z, strlen(z), &ms);
  return ms;
}

/* Offset in hours at UTC time z. */
static double hours_at(const TzZone *p, const char *z) {
  return tz_offset_at(p, ms_of(z)) / 3600.0;
}

/* Local time z (no zone) to UTC, formatted. */
static const char *local_utc(const TzZone *p, const char *z, char zOut[25]) {
  utc_format(tz_local_to_utc(p, ms_of(z)), zOut);
  return zOut;
}

static void test_tz_named(void) {
  TzZone *pNy = NULL, *pBer = NULL, *pSyd = NULL, *pX = NULL;
  char zT[25];
  CHECK("tz: New York loads", tz_load("America/New_York", &pNy) == 0);
  CHECK("tz: Berlin loads", tz_load("Europe/Berlin", &pBer) == 0);
  CHECK("tz: Sydney loads", tz_load("Australia/Sydney", &pSyd) == 0);
  if (!pNy || !pBer || !pSyd) {
    return;
  }
  /* US: second Sunday of March, first of November, at 02:00 local. */
  CHECK("tz NY: EST before the spring change",
        hours_at(pNy, "2026-03-08T06:59:59Z") == -5);
  CHECK("tz NY: EDT after it", hours_at(pNy, "2026-03-08T07:00:00Z") == -4);
  CHECK("tz NY: EDT before the fall change",
        hours_at(pNy, "2026-11-01T05:59:59Z") == -4);
  CHECK("tz NY: EST after it", hours_at(pNy, "2026-11-01T06:00:00Z") == -5);
  CHECK_STR("tz NY: summer local time", local_utc(pNy, "2026-07-01T12:00:00",
            zT), "2026-07-01T16:00:00.000Z");
  CHECK_STR("tz NY: the spring gap reads with the offset before it",
            local_utc(pNy, "2026-03-08T02:30:00", zT),
            "2026-03-08T07:30:00.000Z");
  CHECK_STR("tz NY: the fall overlap takes the first occurrence",
            local_utc(pNy, "2026-11-01T01:30:00", zT),
            "2026-11-01T05:30:00.000Z");
  CHECK_STR("tz NY: after the overlap", local_utc(pNy, "2026-11-01T02:30:00",
            zT), "2026-11-01T07:30:00.000Z");
  /* Past the file's last transition, the footer rule decides. */
  CHECK("tz NY rule: 2045 spring", hours_at(pNy, "2045-03-12T06:59:59Z") == -5 &&
        hours_at(pNy, "2045-03-12T07:00:00Z") == -4);
  CHECK("tz NY rule: 2045 fall", hours_at(pNy, "2045-11-05T05:59:59Z") == -4 &&
        hours_at(pNy, "2045-11-05T06:00:00Z") == -5);
  CHECK("tz NY rule: 2100", hours_at(pNy, "2100-03-14T06:59:59Z") == -5 &&
        hours_at(pNy, "2100-03-14T07:00:00Z") == -4);
  /* EU: last Sunday of March and October at 01:00 UTC. */
  CHECK("tz Berlin: CET to CEST", hours_at(pBer, "2026-03-29T00:59:59Z") == 1 &&
        hours_at(pBer, "2026-03-29T01:00:00Z") == 2);
  CHECK("tz Berlin: CEST to CET", hours_at(pBer, "2026-10-25T00:59:59Z") == 2 &&
        hours_at(pBer, "2026-10-25T01:00:00Z") == 1);
  CHECK_STR("tz Berlin: the gap", local_utc(pBer, "2026-03-29T02:30:00", zT),
            "2026-03-29T01:30:00.000Z");
  CHECK_STR("tz Berlin: the overlap, first occurrence",
            local_utc(pBer, "2026-10-25T02:30:00", zT),
            "2026-10-25T00:30:00.000Z");
  CHECK_STR("tz Berlin: 1900 (CET since 1893)",
            local_utc(pBer, "1900-01-01T12:00:00", zT),
            "1900-01-01T11:00:00.000Z");
  /* Southern hemisphere rule (daylight time spans the new year). */
  CHECK("tz Sydney rule: April end", hours_at(pSyd, "2045-04-01T15:59:59Z") == 11 &&
        hours_at(pSyd, "2045-04-01T16:00:00Z") == 10);
  CHECK("tz Sydney rule: October start",
        hours_at(pSyd, "2045-09-30T15:59:59Z") == 10 &&
            hours_at(pSyd, "2045-09-30T16:00:00Z") == 11);
  /* Names and bytes that are no zone. */
  CHECK("tz: .. refused", tz_load("../../etc/passwd", &pX) == E_INVALID);
  CHECK("tz: absolute path refused", tz_load("/etc/passwd", &pX) == E_INVALID);
  CHECK("tz: unknown zone", tz_load("Mars/Olympus_Mons", &pX) == E_NOTFOUND);
  CHECK("tz: odd bytes refused", tz_load("Europe/Berlin;x", &pX) == E_INVALID);
  CHECK("tz: not TZif", tz_parse("TZif2 is not enough", 19, &pX) == E_INVALID);
  CHECK("tz: nothing loaded on failure", pX == NULL);

  /* Through the parsers: syslog's zoneless time and logfmt's. */
  IngestOptions opt = {.nowMs = NOW, .pZone = pNy};
  char *z = parse_opt("tz syslog", "syslog",
                      "Nov  1 01:30:00 h app: first pass\n"
                      "Mar 12 02:30:00 h app: in the gap\n",
                      &opt);
  check_has("tz: syslog in New York's overlap", z,
            "E1 2023-11-01T05:30:00.000Z info src=app comp=h title=first pass");
  check_has("tz: syslog in New York's gap", z,
            "E2 2023-03-12T07:30:00.000Z info src=app comp=h title=in the gap");
  free(z);
  opt.pZone = pBer;
  z = parse_opt("tz logfmt", "logfmt",
                "ts=2023-07-01T12:00:00 msg=summer\n"
                "ts=2023-07-01T12:00:00Z msg=zoned\n", &opt);
  check_has("tz: logfmt zoneless in Berlin", z,
            "E1 2023-07-01T10:00:00.000Z info src=- comp=- title=summer");
  check_has("tz: a zoned time ignores --tz", z,
            "E2 2023-07-01T12:00:00.000Z info src=- comp=- title=zoned");
  free(z);
  IngestOptions o2 = {0};
  CHECK("tz: options take a name", ingest_options_tz(&o2, "Europe/Berlin") == 0 &&
        o2.pZone != NULL);
  tz_free(o2.pZone);
  CHECK("tz: options take an offset", ingest_options_tz(&o2, "+05:30") == 0 &&
        o2.pZone == NULL && o2.tzOffsetMin == 330);
  CHECK("tz: options refuse junk", ingest_options_tz(&o2, "Nowhere") != 0);
  tz_free(pNy);
  tz_free(pBer);
  tz_free(pSyd);
}

/* ---- HAProxy ---- */

/* Lines as HAProxy 2.6 sent them over UDP (<PRI>, no host), as rsyslog
** files them, plain, and the documentation's examples (captured headers,
** the 1.x timer names, a '+' on retries, <NOSRV>, a TCP line). */
static const char zHaproxy[] =
    "<134>Nov 14 10:00:01 haproxy[15976]: 127.0.0.1:45344 "
    "[14/Nov/2023:10:00:01.253] web app/s1 0/0/0/1/1 503 134 - - ---- "
    "1/1/0/0/0 0/0 \"GET /fail?id=1 HTTP/1.1\"\n"
    "Nov 14 10:00:02 lb1 haproxy[318]: 10.0.1.2:33317 "
    "[14/Nov/2023:10:00:02.655] http-in~ static/srv1 10/0/30/69/109 200 "
    "+2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu|Mozilla/5.0 (X11)} {} "
    "\"GET /index.html HTTP/1.1\"\n"
    "10.0.0.9:4711 [14/Nov/2023:10:00:03.000] web down/d1 0/0/-1/-1/3023 "
    "503 217 - - SC-- 1/1/0/0/+3 0/0 \"GET /down/x HTTP/1.1\"\n"
    "10.0.0.9:4712 [14/Nov/2023:10:00:04.000] web app/<NOSRV> 0/-1/-1/-1/0 "
    "503 222 - - SCNN 1/1/0/0/0 0/0 \"POST /pay HTTP/1.1\"\n"
    "10.0.0.9:4713 [14/Nov/2023:10:00:05.000] web app/s1 5/0/1/-1/10005 "
    "504 194 - - sH-- 1/1/0/0/0 0/0 \"GET /slow HTTP/1.1\"\n"
    "10.0.0.9:4714 [14/Nov/2023:10:00:06.000] web app/s1 0/0/0/0/60000 "
    "200 99 - - cD-- 1/1/0/0/0 0/0 \"GET /stream HTTP/1.1\"\n"
    "10.0.0.9:4715 [14/Nov/2023:10:00:07.000] web web/<NOSRV> -1/-1/-1/-1/0 "
    "400 187 - - CR-- 1/1/0/0/0 0/0 \"<BADREQ>\"\n"
    "Nov 14 10:00:08 lb1 haproxy[14387]: 10.0.0.1:33313 "
    "[14/Nov/2023:10:00:08] fnt bck/srv1 0/0/5007 212 -- 0/0/0/0/3 0/0\n"
    "10.0.0.1:33314 [14/Nov/2023:10:00:09.000] fnt bck/srv1 0/-1/1002 0 SC "
    "1/1/0/0/0 0/0\n"
    "<129>Nov 14 10:00:10 haproxy[1]: Server app/s1 is DOWN, reason: "
    "Layer4 connection problem\n"
    "10.0.0.1:1 [31/Feb/2023:10:00:00.000] fnt bck/srv1 0/0/1 1 -- 0/0/0/0/0 "
    "0/0\n"
    "10.0.0.1:1 [14/Nov/2023:10:00:00.000] fnt bck/srv1 0/0 1 -- 0/0/0/0/0 "
    "0/0\n"
    "10.0.0.1:1 [14/Nov/2023:10:00:00.000] web app/s1 0/0/0/0/0 200 1 - - "
    "---- 1/1/0/0/0 0/0\n"
    "just text\n";

static void test_haproxy(void) {
  char *z = parse("haproxy", "haproxy", zHaproxy);
  check_has("haproxy: UDP form, 503 is an error with the series fields", z,
            "E1 2023-11-14T10:00:01.253Z error src=s1 comp=app "
            "title=GET /fail 503 (app/s1, ----) status=503 bytes=134 GET "
            "/fail client=127.0.0.1");
  check_has("haproxy: rsyslog form, captured headers, + on bytes", z,
            "E2 2023-11-14T10:00:02.655Z info src=srv1 comp=static "
            "title=GET /index.html 200 (static/srv1, ----) status=200 "
            "bytes=2750 GET /index.html client=10.0.1.2");
  check_has("haproxy: SC on a retried connect is an error", z,
            "E3 2023-11-14T10:00:03.000Z error src=d1 comp=down "
            "title=GET /down/x 503 (down/d1, SC--) status=503 bytes=217 GET "
            "/down/x client=10.0.0.9");
  check_has("haproxy: <NOSRV> is the backend's", z,
            "E4 2023-11-14T10:00:04.000Z error src=app comp=app "
            "title=POST /pay 503 (app/<NOSRV>, SCNN) status=503 bytes=222 "
            "POST /pay client=10.0.0.9");
  check_has("haproxy: sH server timeout", z,
            "E5 2023-11-14T10:00:05.000Z error src=s1 comp=app "
            "title=GET /slow 504 (app/s1, sH--) status=504 bytes=194 GET "
            "/slow client=10.0.0.9");
  check_has("haproxy: cD client timeout is an error despite 200", z,
            "E6 2023-11-14T10:00:06.000Z error src=s1 comp=app "
            "title=GET /stream 200 (app/s1, cD--) status=200 bytes=99 GET "
            "/stream client=10.0.0.9");
  check_has("haproxy: <BADREQ>", z,
            "E7 2023-11-14T10:00:07.000Z warning src=web comp=web "
            "title=- <BADREQ> 400 (web/<NOSRV>, CR--) status=400 bytes=187 "
            "- - client=10.0.0.9");
  check_has("haproxy: TCP line, no milliseconds", z,
            "E8 2023-11-14T10:00:08.000Z info src=srv1 comp=bck "
            "title=TCP fnt to bck/srv1 ended --");
  check_has("haproxy: TCP SC is an error", z,
            "E9 2023-11-14T10:00:09.000Z error src=srv1 comp=bck "
            "title=TCP fnt to bck/srv1 ended SC");
  check_has("haproxy: its own notice is read as syslog", z,
            "E10 2023-11-14T10:00:10.000Z critical src=haproxy comp=- "
            "title=Server app/s1 is DOWN, reason: Layer4 connection problem");
  check_has("haproxy: impossible date", z,
            "R11 invalid HAProxy accept date");
  check_has("haproxy: two timers", z,
            "R12 invalid HAProxy timers \"0/0\"");
  check_has("haproxy: HTTP without the request", z,
            "R13 HAProxy HTTP line without its \"request\"");
  check_has("haproxy: text", z, "R14 not an HAProxy log line");
  free(z);
}

/* ---- AWS ALB and VPC flow logs ---- */

/* Shaped like the documented examples (the AWS docs' entries with our own
** values). */
static const char zAlb[] =
    "http 2023-11-14T10:00:00.186641Z app/my-lb/50dc6c495c0c9188 "
    "192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "
    "\"GET http://www.example.com:80/ HTTP/1.1\" \"curl/7.46.0\" - - "
    "arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/"
    "my-targets/73e2d6bc24d8a067 \"Root=1-58337262-36d228ad5d99923122bbe354\" "
    "\"-\" \"-\" 0 2023-11-14T10:00:00.164000Z \"forward\" \"-\" \"-\" "
    "\"10.0.0.1:80\" \"200\" \"-\" \"-\" TID_1\n"
    "https 2023-11-14T10:00:01.086Z app/my-lb/50dc6c495c0c9188 "
    "[2001:db8::1]:443 - -1 -1 -1 502 - 34 366 "
    "\"POST https://api.example.com:443/v1/pay?token=x HTTP/2.0\" "
    "\"Mozilla/5.0 (X11)\" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 - "
    "\"Root=1-x\" \"api.example.com\" \"arn:cert\" 1 "
    "2023-11-14T10:00:01.000000Z \"forward\" \"-\" "
    "\"TargetConnectionError\" \"-\" \"-\" \"-\" \"-\"\n"
    "h2 2023-11-14T10:00:02Z app/my-lb/1 10.1.1.1:1 10.0.0.2:80 0.0 0.0 0.0 "
    "404 404 1 2 \"GET http://x/missing HTTP/2.0\"\n"
    "tcp 2023-11-14T10:00:03Z net/my-nlb/1 10.1.1.1:1 10.0.0.2:80 0 0 0 - "
    "- 1 2 \"-\"\n"
    "http 2023-11-14T10:00:04Z app/my-lb/1 10.1.1.1:1 - 0 0 0 2x0 - 1 2 "
    "\"GET / HTTP/1.1\"\n"
    "http 2023-11-14T10:00:05Z app/my-lb/1 10.1.1.1:1 - 0 0 0 200 - 1 2 "
    "\"GET / HTTP/1.1\n"
    "http 2023-11-14T10:00:06Z app/my-lb/1 too few\n";

static void test_alb(void) {
  char *z = parse("alb", "alb", zAlb);
  check_has("alb: the documented example", z,
            "E1 2023-11-14T10:00:00.186Z info src=my-lb comp=my-targets "
            "title=GET / 200 (my-lb to 10.0.0.1:80) status=200 bytes=366 GET "
            "/ client=192.168.131.39");
  check_has("alb: 502 without a target, IPv6 client, error reason", z,
            "E2 2023-11-14T10:00:01.086Z error src=my-lb comp=my-lb "
            "title=POST /v1/pay 502 (my-lb to -): TargetConnectionError "
            "status=502 bytes=366 POST /v1/pay client=[2001:db8::1]");
  check_has("alb: 404, the first 13 fields only", z,
            "E3 2023-11-14T10:00:02.000Z warning src=my-lb comp=my-lb "
            "title=GET /missing 404 (my-lb to 10.0.0.2:80) status=404 bytes=2 "
            "GET /missing client=10.1.1.1");
  check_has("alb: an NLB type is no ALB line", z,
            "R4 unknown ALB request type \"tcp\"");
  check_has("alb: bad status", z, "R5 invalid status code or byte count");
  check_has("alb: open quote", z, "R6 unterminated quoted field");
  check_has("alb: too few fields", z,
            "R7 5 fields; an ALB access log line has at least 13");
  free(z);
}

static const char zVpc[] =
    "version account-id interface-id srcaddr dstaddr srcport dstport "
    "protocol packets bytes start end action log-status\n"
    "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 "
    "22 6 20 4249 1699956000 1699956060 ACCEPT OK\n"
    "2 123456789010 eni-1235b8ca123456789 198.51.100.7 172.31.9.69 49761 "
    "3389 6 20 4249 1699956010 1699956070 REJECT OK\n"
    "2 123456789010 eni-1235b8ca123456789 198.51.100.7 172.31.9.69 49762 "
    "3389 6 1 40 1699956130 1699956190 REJECT OK\n"
    "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1699956000 "
    "1699956060 - NODATA\n"
    "2 123456789010 eni-1235b8ca123456789 198.51.100.7 172.31.9.69 49763 "
    "3389 6 2 80 1699956250 1699956310 REJECT OK\n"
    "2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.9.12 0 0 1 4 "
    "336 1699956300 1699956360 REJECT OK\n"
    "2 1 eni-1 1.1.1.1 2.2.2.2 1 2 6 1 1 x 1699956000 ACCEPT OK\n"
    "2 1 eni-1 1.1.1.1\n"
    "${vpc-id} ${start} ${action} ${srcaddr} ${dstaddr} ${dstport} "
    "${protocol}\n"
    "vpc-0a1b 1699956400 REJECT 192.0.2.1 10.0.0.5 22 17\n";

static void test_vpc(void) {
  char *z = parse("vpc-flow", "vpc-flow", zVpc);
  check_has("vpc: ACCEPT is info", z,
            "E2 2023-11-14T10:00:00.000Z info src=- comp=eni-1235b8ca123456789 "
            "title=ACCEPT 172.31.16.139:20641 -> 172.31.16.21:22 TCP (20 "
            "packets, 4249 bytes)");
  check_has("vpc: REJECT is a warning", z,
            "E3 2023-11-14T10:00:10.000Z warning src=- "
            "comp=eni-1235b8ca123456789 title=REJECT 198.51.100.7:49761 -> "
            "172.31.9.69:3389 TCP (20 packets, 4249 bytes)");
  check_has("vpc: ICMP", z,
            "E7 2023-11-14T10:05:00.000Z warning src=- "
            "comp=eni-1235b8ca123456789 title=REJECT 203.0.113.12:0 -> "
            "172.31.9.12:0 ICMP (4 packets, 336 bytes)");
  check_has("vpc: bad number", z, "R8 invalid start, end, packets or bytes");
  check_has("vpc: short record", z, "R9 4 fields where the format has 14");
  check_has("vpc: custom order from a ${} header", z,
            "E11 2023-11-14T10:06:40.000Z warning src=- comp=- "
            "title=REJECT 192.0.2.1:- -> 10.0.0.5:22 UDP (0 packets, 0 "
            "bytes)");
  check_has("vpc: three REJECTs to one port become one event", z,
            "E3 2023-11-14T10:00:10.000Z warning src=- "
            "comp=eni-1235b8ca123456789 title=REJECT x3: 198.51.100.7 -> "
            "172.31.9.69:3389 TCP (10:00 to 10:05 UTC)");
  check_has("vpc: a lone REJECT is its own group", z,
            "E7 2023-11-14T10:05:00.000Z warning src=- "
            "comp=eni-1235b8ca123456789 title=REJECT x1: 203.0.113.12 -> "
            "172.31.9.12:0 ICMP (10:05 to 10:06 UTC)");
  CHECK_INT("vpc: events (5 records, 3 groups)", count_lines(z, 'E'), 9);
  CHECK_INT("vpc: rejections", count_lines(z, 'R'), 2);
  free(z);
}

int main(void) {
  test_alb();
  test_vpc();
  test_haproxy();
  test_tz_named();
  test_journal_bytes();
  test_logfmt();
  test_rsyslog();
  return harness_exit();
}
