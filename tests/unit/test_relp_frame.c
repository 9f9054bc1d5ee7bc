/*
** test_relp_frame.c: RELP framing (relp_frame.c): frames split out of a
** stream fed whole and byte by byte, the caps, malformed framing and the
** answers' format.
*/
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "relp_frame.h"

static char aSeen[8][80]; /* frames seen, as "TXNR CMD DATA" */
static int nSeen;

static int on_frame(void *pArg, const RelpFrame *f) {
  (void)pArg;
  if (nSeen < 8) {
    snprintf(aSeen[nSeen], sizeof(aSeen[0]), "%u %s %.*s", (unsigned)f->txnr,
             f->zCmd, (int)f->n, f->z);
  }
  nSeen++;
  return 0;
}

static int stop_at_syslog(void *pArg, const RelpFrame *f) {
  (void)pArg;
  return strcmp(f->zCmd, "syslog") == 0 ? 7 : 0;
}

/* Feeds zIn with chunks of nChunk bytes; the last feed's result. */
static int feed(RelpParser *p, const char *zIn, size_t nChunk) {
  size_t n = strlen(zIn), i = 0;
  int rc = 0;
  nSeen = 0;
  while (i < n && rc == 0) {
    size_t m = n - i < nChunk ? n - i : nChunk;
    rc = relp_parser_feed(p, zIn + i, m, on_frame, NULL, NULL);
    i += m;
  }
  return rc;
}

int main(void) {
  const char *zGood = "1 open 30 relp_version=0\ncommands=syslog\n"
                      "2 syslog 11 <14>hello\nx\n"
                      "3 close 0\n"
                      "4 close 0 \n";
  for (size_t nChunk = 1; nChunk <= 64; nChunk += 63) {
    RelpParser p;
    relp_parser_init(&p, 64);
    CHECK_INT("good stream", feed(&p, zGood, nChunk), 0);
    CHECK_INT("four frames", nSeen, 4);
    CHECK_STR("open with its offers", aSeen[0],
              "1 open relp_version=0\ncommands=syslog");
    CHECK_STR("DATA may hold a LF", aSeen[1], "2 syslog <14>hello\nx");
    CHECK_STR("DATALEN 0 has no DATA", aSeen[2], "3 close ");
    CHECK_STR("a space after DATALEN 0 is tolerated", aSeen[3], "4 close ");
    CHECK_INT("between frames", relp_parser_partial(&p), 0);
    relp_parser_free(&p);
  }

  RelpParser p;
  relp_parser_init(&p, 64);
  size_t nUsed = 0;
  const char *zTwo = "5 syslog 1 a\n6 syslog 1 b\n";
  CHECK_INT(
      "the callback stops the feed",
      relp_parser_feed(&p, zTwo, strlen(zTwo), stop_at_syslog, NULL, &nUsed),
      7);
  CHECK_INT("the bytes after the frame are unread", (int)nUsed, 13);
  CHECK_INT("partial frame", feed(&p, "7 syslog 5 ab", 64), 0);
  CHECK_INT("the stream ended inside a frame", relp_parser_partial(&p), 1);
  relp_parser_free(&p);

  struct {
    const char *zIn;  /* the stream */
    unsigned txnr;    /* the TXNR reported */
    const char *zErr; /* the reason's first word */
  } aBad[] = {
      {"x open 0\n", 0, "a malformed transaction number"},
      {"0 open 0\n", 0, "a malformed transaction number"},
      {"1234567890 open 0\n", 0, "a malformed transaction number"},
      {"9 op3n 0\n", 9, "a malformed command"},
      {"9  0\n", 9, "a malformed command"},
      {"9 syslog x\n", 9, "a malformed data length"},
      {"9 syslog 3\nabc\n", 9, "a malformed data length"},
      {"9 syslog 65 ", 9, "a frame over the size cap"},
      {"9 syslog 2 abX", 9, "a frame without its LF trailer"},
      {"9 close 0 x", 9, "a frame without its LF trailer"},
      {"9 syslog 1 a\n\n", 0, "a malformed transaction number"},
  };
  for (size_t k = 0; k < sizeof(aBad) / sizeof(aBad[0]); k++) {
    char zName[64];
    relp_parser_init(&p, 64);
    snprintf(zName, sizeof(zName), "bad stream %zu is refused", k);
    CHECK_INT(zName, feed(&p, aBad[k].zIn, 64), RELP_BAD);
    snprintf(zName, sizeof(zName), "bad stream %zu: reason", k);
    CHECK_STR(zName, p.zErr, aBad[k].zErr);
    snprintf(zName, sizeof(zName), "bad stream %zu: txnr", k);
    CHECK_INT(zName, (int)p.txnr, (int)aBad[k].txnr);
    CHECK_INT("stopped for good",
              relp_parser_feed(&p, "1 close 0\n", 10, on_frame, NULL, NULL),
              RELP_BAD);
    relp_parser_free(&p);
  }

  Buf b;
  buf_init(&b, 256);
  relp_rsp(&b, 1, "200 OK\nrelp_version=0");
  relp_rsp(&b, 2, "");
  CHECK_STR("rsp format", buf_str(&b),
            "1 rsp 21 200 OK\nrelp_version=0\n2 rsp 0\n");
  buf_free(&b);
  return harness_exit();
}
