// fuzz-sources: server/syslog_frame.c server/arena.c
// fuzz-libs:
/*
** fuzz_syslog_frame.c: libFuzzer target for RFC 6587 framing
** (syslog_frame.c), run by tests/fuzz/run.sh. The first two bytes choose
** chunk sizes; the rest is fed whole and in chunks, and both must give
** the same frames and the same count of bad frames (the streaming
** property); no frame is over the cap. A broken property calls abort().
** Single-threaded.
*/
#include <stdint.h>
#include <stdlib.h>

#include "syslog_frame.h"

#define CAP 300 /* small, so oversized frames are common */

typedef struct Sum {
  uint64_t h;    /* hash of the frames in order */
  size_t nFrame; /* frames */
  size_t nBad;   /* frames dropped */
} Sum;

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData);

static int on_frame(void *pArg, const char *z, size_t n) {
  Sum *s = pArg;
  if (n > CAP) {
    abort();
  }
  for (size_t i = 0; i < n; i++) {
    s->h = s->h * 1099511628211u ^ (unsigned char)z[i];
  }
  s->h = s->h * 31 + n + 1;
  s->nFrame++;
  return 0;
}

static void on_bad(void *pArg, const char *zReason) {
  if (!zReason || !*zReason) {
    abort();
  }
  ((Sum *)pArg)->nBad++;
}

static void run(const uint8_t *a, size_t n, size_t nChunk1, size_t nChunk2,
                Sum *s) {
  SyslogFramer f;
  syslog_framer_init(&f, CAP);
  size_t i = 0, k = 0;
  while (i < n) {
    size_t m = (k++ & 1) ? nChunk2 : nChunk1;
    m = m > n - i ? n - i : m;
    size_t nUsed = 0;
    syslog_framer_feed(&f, (const char *)a + i, m, on_frame, on_bad, s, &nUsed);
    if (nUsed != m) {
      abort(); /* on_frame never stops, so everything is used */
    }
    i += m;
  }
  syslog_framer_end(&f, on_frame, on_bad, s);
  syslog_framer_free(&f);
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
      whole.nBad != chunked.nBad) {
    abort();
  }
  return 0;
}
