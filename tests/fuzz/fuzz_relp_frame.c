// fuzz-sources: server/relp_frame.c server/buf.c server/arena.c
// fuzz-libs:
/*
** fuzz_relp_frame.c: libFuzzer target for RELP framing (relp_frame.c),
** run by tests/fuzz/run.sh. The first two bytes choose chunk sizes; the
** rest is fed whole and in chunks, and both must give the same frames,
** the same verdict and the same TXNR on a malformed stream (the streaming
** property); no DATA is over the cap, no command over RELP_MAX_CMD. A
** broken property calls abort(). Single-threaded.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "relp_frame.h"

#define CAP 300 /* small, so oversized frames are common */

typedef struct Sum {
  uint64_t h;    /* hash of the frames in order */
  size_t nFrame; /* frames */
  int bBad;      /* the stream was malformed */
  uint32_t txnr; /* the malformed frame's TXNR */
} Sum;

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData);

static int on_frame(void *pArg, const RelpFrame *f) {
  Sum *s = pArg;
  size_t nCmd = strlen(f->zCmd);
  if (f->n > CAP || nCmd == 0 || nCmd > RELP_MAX_CMD || f->txnr == 0) {
    abort();
  }
  for (size_t i = 0; i < f->n; i++) {
    s->h = s->h * 1099511628211u ^ (unsigned char)f->z[i];
  }
  for (size_t i = 0; i < nCmd; i++) {
    s->h = s->h * 1099511628211u ^ (unsigned char)f->zCmd[i];
  }
  s->h = s->h * 31 + f->n + f->txnr;
  s->nFrame++;
  return 0;
}

static void run(const uint8_t *a, size_t n, size_t nChunk1, size_t nChunk2,
                Sum *s) {
  RelpParser p;
  relp_parser_init(&p, CAP);
  size_t i = 0, k = 0;
  while (i < n && !s->bBad) {
    size_t m = (k++ & 1) ? nChunk2 : nChunk1;
    m = m > n - i ? n - i : m;
    size_t nUsed = 0;
    int rc = relp_parser_feed(&p, (const char *)a + i, m, on_frame, s, &nUsed);
    if (rc == RELP_BAD) {
      if (!p.zErr || !*p.zErr) {
        abort();
      }
      s->bBad = 1;
      s->txnr = p.txnr;
    } else if (rc != 0 || nUsed != m) {
      abort(); /* on_frame never stops, so everything is used */
    }
    i += m;
  }
  Buf b;
  buf_init(&b, 64);
  relp_rsp(&b, p.txnr, "500 x");
  buf_free(&b);
  relp_parser_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData) {
  if (nData < 2) {
    return 0;
  }
  size_t c1 = (size_t)aData[0] % 64 + 1, c2 = (size_t)aData[1] % 64 + 1;
  Sum whole = {0}, chunked = {0};
  run(aData + 2, nData - 2, nData, nData, &whole);
  run(aData + 2, nData - 2, c1, c2, &chunked);
  if (whole.h != chunked.h || whole.nFrame != chunked.nFrame ||
      whole.bBad != chunked.bBad || whole.txnr != chunked.txnr) {
    abort();
  }
  return 0;
}
