/*
** fuzz_door.h: the shared body of the streaming doors' decoder targets
** (fuzz_loki_*.c, fuzz_otlp_*.c; included by each, not a library header).
**
** fuzz_door_run(xDecode, data) decodes the input twice and checks: both
** runs hand over the same lines (no hidden state); every line is valid
** UTF-8 within INGEST_MAX_LINE; source and component are valid UTF-8
** within DOOR_MAX_VALUE; a level is one of ours; the return code is 0,
** E_INVALID (with a reason) or E_TOOBIG. A broken property calls abort().
** Single-threaded.
*/
#ifndef HS_FUZZ_DOOR_H
#define HS_FUZZ_DOOR_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "door_labels.h"
#include "err.h"
#include "ingest.h"
#include "input.h"

typedef int (*FuzzDecode)(const void *p, size_t n, DoorEmit xEmit, void *pArg,
                          char *zErr, size_t nErr);

typedef struct FuzzSum {
  uint64_t h;   /* a hash of every line handed over */
  size_t nLine; /* lines */
} FuzzSum;

static void fuzz_door_str(const char *z, size_t nMax) {
  size_t n = strlen(z);
  if (n > nMax || !utf8_valid(z, n)) {
    abort();
  }
}

static int fuzz_door_emit(void *pArg, const DoorLine *p) {
  FuzzSum *s = pArg;
  static const char *const azLevel[] = {"debug",   "info",  "notice",
                                        "warning", "error", "critical"};
  if (!p->zReject && (p->n > INGEST_MAX_LINE || !utf8_valid(p->z, p->n))) {
    abort();
  }
  fuzz_door_str(p->pMeta->zSource, DOOR_MAX_VALUE);
  fuzz_door_str(p->pMeta->zComponent, DOOR_MAX_VALUE);
  if (p->pMeta->zLevel) {
    int bKnown = 0;
    for (int i = 0; i < 6; i++) {
      bKnown |= strcmp(p->pMeta->zLevel, azLevel[i]) == 0;
    }
    if (!bKnown) {
      abort();
    }
  }
  for (size_t i = 0; i < p->n; i++) {
    s->h = s->h * 1099511628211u ^ (unsigned char)p->z[i];
  }
  s->h = s->h * 31 + (uint64_t)p->tsMs;
  s->nLine++;
  return 0;
}

static void fuzz_door_run(FuzzDecode xDecode, const uint8_t *aData,
                          size_t nData) {
  FuzzSum a = {0}, b = {0};
  char zErr[300] = "";
  int rcA = xDecode(aData, nData, fuzz_door_emit, &a, zErr, sizeof(zErr));
  if (rcA != 0 && rcA != E_INVALID && rcA != E_TOOBIG) {
    abort();
  }
  if (rcA && !zErr[0]) {
    abort(); /* a refusal always says why */
  }
  int rcB = xDecode(aData, nData, fuzz_door_emit, &b, zErr, sizeof(zErr));
  if (rcA != rcB || a.h != b.h || a.nLine != b.nLine) {
    abort();
  }
}

#endif
