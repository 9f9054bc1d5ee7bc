/*
** rawblock.c: a raw-line block's payload, format 1 (described in
** rawblock.h). Encoding builds the content in one buffer and compresses it
** with the caller's zstd context; decoding decompresses into the block's
** reused buffer and validates every count and length before use.
*/
#include "rawblock.h"

#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "err.h"

static const char zMagic[5] = {'H', 'S', 'R', 'B', 1};

static void *xrealloc_(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) {
    abort(); /* OOM is a bug: sizes are capped */
  }
  return q;
}

static size_t put_varint(unsigned char *z, uint64_t v) {
  size_t i = 0;
  while (v >= 0x80) {
    z[i++] = (unsigned char)(v | 0x80);
    v >>= 7;
  }
  z[i++] = (unsigned char)v;
  return i;
}

/* Reads a varint from z[*pi .. n); 0, or -1 if it runs off the end or
** is longer than 10 bytes. */
static int get_varint(const unsigned char *z, size_t n, size_t *pi,
                      uint64_t *pv) {
  uint64_t v = 0;
  for (int k = 0; k < 10; k++) {
    if (*pi >= n) {
      return -1;
    }
    unsigned char c = z[(*pi)++];
    v |= (uint64_t)(c & 0x7f) << (7 * k);
    if (!(c & 0x80)) {
      *pv = v;
      return 0;
    }
  }
  return -1;
}

static uint64_t zigzag(int64_t v) {
  return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t u) {
  return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

int rawblock_encode(void *zCtx, int iLevel, const RawBlockLine *aLine,
                    int nLine, const char *zText, int64_t tsMin,
                    void **ppOut, size_t *pnOut, size_t *pnRaw) {
  *ppOut = NULL;
  if (nLine < 1 || nLine > RAWBLOCK_MAX_LINES) {
    return E_DB;
  }
  size_t nMax = sizeof(zMagic) + 10;
  for (int i = 0; i < nLine; i++) {
    nMax += 10 + 1 + 8 + 5 + aLine[i].n + 1;
  }
  unsigned char *z = xrealloc_(NULL, nMax);
  size_t k = 0;
  memcpy(z, zMagic, sizeof(zMagic));
  k += sizeof(zMagic);
  k += put_varint(z + k, (uint64_t)nLine);
  int64_t prev = tsMin;
  for (int i = 0; i < nLine; i++) {
    /* Wrapping difference: defined for any pair, undone on decode. */
    k += put_varint(z + k, zigzag((int64_t)((uint64_t)aLine[i].ts -
                                            (uint64_t)prev)));
    prev = aLine[i].ts;
  }
  for (int i = 0; i < nLine; i++) {
    z[k++] = aLine[i].bBad ? 1 : 0;
  }
  for (int i = 0; i < nLine; i++) {
    if (aLine[i].bBad) {
      uint64_t g = aLine[i].grp;
      for (int b = 0; b < 8; b++) {
        z[k++] = (unsigned char)(g >> (8 * b));
      }
    }
  }
  for (int i = 0; i < nLine; i++) {
    k += put_varint(z + k, aLine[i].n);
  }
  for (int i = 0; i < nLine; i++) {
    memcpy(z + k, zText + aLine[i].off, aLine[i].n);
    k += aLine[i].n;
    z[k++] = '\n';
  }
  size_t nBound = ZSTD_compressBound(k);
  void *pOut = xrealloc_(NULL, nBound);
  size_t nOut = ZSTD_compressCCtx((ZSTD_CCtx *)zCtx, pOut, nBound, z, k,
                                  iLevel);
  free(z);
  if (ZSTD_isError(nOut)) {
    free(pOut);
    return E_DB;
  }
  *ppOut = pOut;
  *pnOut = nOut;
  *pnRaw = k;
  return 0;
}

int rawblock_decode(RawBlock *p, int64_t tsMin, size_t nRaw,
                    const void *pPay, size_t nPay) {
  p->nLine = 0;
  p->nRaw = 0;
  if (nRaw < sizeof(zMagic) + 1 || nRaw > RAWBLOCK_MAX_RAW || !pPay) {
    return E_DB;
  }
  unsigned long long nFrame = ZSTD_getFrameContentSize(pPay, nPay);
  if (nFrame != (unsigned long long)nRaw) {
    return E_DB;
  }
  if (p->nRawAlloc < nRaw + 1) {
    p->zRaw = xrealloc_(p->zRaw, nRaw + 1);
    p->nRawAlloc = nRaw + 1;
  }
  size_t nGot = ZSTD_decompress(p->zRaw, nRaw, pPay, nPay);
  if (ZSTD_isError(nGot) || nGot != nRaw) {
    return E_DB;
  }
  p->zRaw[nRaw] = 0;
  const unsigned char *z = (const unsigned char *)p->zRaw;
  size_t i = 0;
  if (memcmp(z, zMagic, sizeof(zMagic)) != 0) {
    return E_DB;
  }
  i += sizeof(zMagic);
  uint64_t nLine = 0;
  if (get_varint(z, nRaw, &i, &nLine) || nLine < 1 ||
      nLine > RAWBLOCK_MAX_LINES) {
    return E_DB;
  }
  /* Every line takes at least 3 bytes (delta, flags, length) plus its
  ** newline: a count the content cannot hold is refused before allocating. */
  if (nLine * 4 > nRaw - i) {
    return E_DB;
  }
  if (p->nLineAlloc < (int)nLine) {
    p->aLine = xrealloc_(p->aLine, nLine * sizeof(RawBlockLine));
    p->nLineAlloc = (int)nLine;
  }
  int64_t prev = tsMin;
  for (uint64_t j = 0; j < nLine; j++) {
    uint64_t u;
    if (get_varint(z, nRaw, &i, &u)) {
      return E_DB;
    }
    prev = (int64_t)((uint64_t)prev + (uint64_t)unzigzag(u));
    p->aLine[j].ts = prev;
  }
  if (nRaw - i < nLine) {
    return E_DB;
  }
  for (uint64_t j = 0; j < nLine; j++) {
    unsigned char f = z[i++];
    if (f > 1) {
      return E_DB;
    }
    p->aLine[j].bBad = f;
  }
  for (uint64_t j = 0; j < nLine; j++) {
    uint64_t g = 0;
    if (p->aLine[j].bBad) {
      if (nRaw - i < 8) {
        return E_DB;
      }
      for (int b = 0; b < 8; b++) {
        g |= (uint64_t)z[i++] << (8 * b);
      }
    }
    p->aLine[j].grp = g;
  }
  size_t off = 0;
  for (uint64_t j = 0; j < nLine; j++) {
    uint64_t n;
    if (get_varint(z, nRaw, &i, &n) || n > nRaw) {
      return E_DB;
    }
    p->aLine[j].off = off;
    p->aLine[j].n = (uint32_t)n;
    off += (size_t)n + 1;
    if (off > nRaw) {
      return E_DB;
    }
  }
  if (off != nRaw - i) {
    return E_DB;
  }
  p->zText = p->zRaw + i;
  for (uint64_t j = 0; j < nLine; j++) {
    if (p->zText[p->aLine[j].off + p->aLine[j].n] != '\n') {
      return E_DB;
    }
  }
  p->nLine = (int)nLine;
  p->nRaw = nRaw;
  return 0;
}

void rawblock_free(RawBlock *p) {
  free(p->zRaw);
  free(p->aLine);
  memset(p, 0, sizeof(*p));
}
