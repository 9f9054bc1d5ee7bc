/*
** fuzz_ingest.h: the shared body of the fuzz_ingest_*.c libFuzzer targets
** (included by each; not a library header).
**
** fuzz_ingest_run(zFormat, data) feeds the input to a parser twice: whole,
** and in chunks whose sizes come from the first two bytes. Both runs must
** give the same events and rejections (the streaming property); every
** event must have valid UTF-8 strings, a one-line title without control
** characters, a time in range and a known level; the parser's buffer must
** stay within its cap. A broken property calls abort(). Single-threaded.
*/
#ifndef HS_FUZZ_INGEST_H
#define HS_FUZZ_INGEST_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ingest.h"
#include "input.h"
#include "utc.h"

static void fuzz_check_str(const char *z) {
  if (z && !utf8_valid(z, strlen(z))) {
    abort();
  }
}

static int fuzz_on_event(void *pArg, const IngestEvent *e) {
  Buf *pOut = pArg;
  static const char *const azLevel[] = {"debug",   "info",  "notice",
                                        "warning", "error", "critical"};
  int bLevel = 0;
  for (size_t i = 0; i < 6; i++) {
    bLevel |= e->zLevel && strcmp(e->zLevel, azLevel[i]) == 0;
  }
  if (!bLevel || !e->zKind || !e->zTitle || e->ts < UTC_MIN_MS ||
      e->ts > UTC_MAX_MS || e->line < 1) {
    abort();
  }
  for (const char *z = e->zTitle; *z; z++) {
    if (((unsigned char)*z < 0x20 && *z != '\t') || *z == 0x7f) {
      abort();
    }
  }
  const char *az[] = {e->zKind,  e->zSource, e->zLevel, e->zComponent,
                      e->zTitle, e->zBody,   e->zRaw,   e->zKey,
                      e->zState, e->zMethod, e->zPath,  e->zClient};
  for (size_t i = 0; i < sizeof(az) / sizeof(az[0]); i++) {
    fuzz_check_str(az[i]);
    buf_puts(pOut, az[i] ? az[i] : "(null)");
    buf_putc(pOut, '|');
  }
  buf_printf(pOut, "%lld %lld %lld %d %lld\n", (long long)e->ts,
             (long long)e->endTs, (long long)e->line, e->status,
             (long long)e->bytes);
  return 0;
}

static void fuzz_on_reject(void *pArg, int64_t line, const char *zReason) {
  Buf *pOut = pArg;
  fuzz_check_str(zReason);
  buf_printf(pOut, "R %lld %s\n", (long long)line, zReason);
}

/* Runs one parser over z[0..n) in chunks (nChunkSeed 0: whole). */
static void fuzz_feed(const char *zFormat, const uint8_t *z, size_t n,
                      unsigned nChunkSeed, Buf *pOut) {
  IngestOptions opt = {NULL, 60, INT64_C(1700006400000), NULL};
  IngestParser *p = ingest_parser_new(zFormat, &opt, fuzz_on_event,
                                      fuzz_on_reject, pOut);
  if (!p) {
    abort();
  }
  size_t i = 0;
  unsigned x = nChunkSeed * 2654435761u + 1;
  while (i < n) {
    size_t k = n - i;
    if (nChunkSeed) {
      x = x * 1103515245u + 12345u;
      size_t nMax = 1 + (x >> 16) % 97;
      if (k > nMax) {
        k = nMax;
      }
    }
    ingest_parser_feed(p, (const char *)z + i, k);
    i += k;
  }
  ingest_parser_finish(p);
  size_t nCap = strcmp(zFormat, "alertmanager") == 0 ||
                        strcmp(zFormat, "grafana") == 0 ||
                        strcmp(zFormat, "zendesk") == 0
                    ? INGEST_MAX_DOC
                    : INGEST_MAX_LINE + 1;
  if (ingest_parser_peak(p) > nCap) {
    abort();
  }
  ingest_parser_free(p);
}

static void fuzz_ingest_run(const char *zFormat, const uint8_t *aData,
                            size_t nData) {
  if (nData < 2) {
    return;
  }
  unsigned nSeed = (unsigned)aData[0] << 8 | aData[1];
  Buf whole, chunked;
  buf_init(&whole, 0);
  buf_init(&chunked, 0);
  fuzz_feed(zFormat, aData + 2, nData - 2, 0, &whole);
  fuzz_feed(zFormat, aData + 2, nData - 2, nSeed | 1, &chunked);
  if (whole.n != chunked.n ||
      (whole.n && memcmp(whole.z, chunked.z, whole.n) != 0)) {
    abort();
  }
  buf_free(&whole);
  buf_free(&chunked);
}

#endif
