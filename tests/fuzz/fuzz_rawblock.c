// fuzz-sources: server/rawblock.c
// fuzz-libs: -lzstd
/*
** fuzz_rawblock.c: libFuzzer target for the raw-line block decoder
** (rawblock.c), which reads payloads from the database: a corrupt or
** hostile block must give E_DB, never a crash or a read out of bounds.
**
** Two ways in, chosen by the first byte: 0 feeds the rest as the payload
** itself (with the raw size taken from the next 3 bytes), anything else
** compresses the rest as a block's content with zstd, so the checks
** behind the decompression (counts, varints, lengths, newlines) are
** reached too. A decoded block must have every line inside its content,
** newline-ended; a broken property calls abort(). Single-threaded.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "rawblock.h"

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData);

static void check(const RawBlock *p) {
  size_t nText = p->nRaw - (size_t)(p->zText - p->zRaw);
  for (int i = 0; i < p->nLine; i++) {
    const RawBlockLine *l = &p->aLine[i];
    if (l->off + l->n >= nText || p->zText[l->off + l->n] != '\n' ||
        l->bBad > 1) {
      abort();
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData) {
  static RawBlock blk; /* reused, as scans reuse it */
  if (nData < 4) {
    return 0;
  }
  if (aData[0] == 0) {
    size_t nRaw = (size_t)aData[1] | (size_t)aData[2] << 8 |
                  (size_t)aData[3] << 16;
    if (rawblock_decode(&blk, 1000, nRaw, aData + 4, nData - 4) == 0) {
      check(&blk);
    }
    return 0;
  }
  size_t nBound = ZSTD_compressBound(nData - 1);
  void *pPay = malloc(nBound);
  if (!pPay) {
    return 0;
  }
  size_t nPay = ZSTD_compress(pPay, nBound, aData + 1, nData - 1, 1);
  if (!ZSTD_isError(nPay) &&
      rawblock_decode(&blk, -5, nData - 1, pPay, nPay) == 0) {
    check(&blk);
  }
  free(pPay);
  return 0;
}
