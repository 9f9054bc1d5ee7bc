/*
** arena.c: aborting allocators and a chunked bump allocator for
** request-scoped memory. Not thread-safe per Arena; each request has its own.
*/
#include "arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n) {
  fprintf(stderr, "hindsight: out of memory (%zu bytes)\n", n);
  abort();
}

void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) {
    oom(n);
  }
  return p;
}

void *xcalloc(size_t nMemb, size_t n) {
  void *p = calloc(nMemb ? nMemb : 1, n ? n : 1);
  if (!p) {
    oom(nMemb * n);
  }
  return p;
}

void *xrealloc(void *p, size_t n) {
  void *pNew = realloc(p, n ? n : 1);
  if (!pNew) {
    oom(n);
  }
  return pNew;
}

char *xstrndup(const char *z, size_t n) {
  char *zNew = xmalloc(n + 1);
  memcpy(zNew, z, n);
  zNew[n] = 0;
  return zNew;
}

char *xstrdup(const char *z) { return xstrndup(z, strlen(z)); }

struct ArenaChunk {
  ArenaChunk *pNext; /* older chunk */
  size_t nUsed;      /* bytes handed out from aData */
  size_t nSize;      /* bytes available in aData */
  _Alignas(16) unsigned char aData[]; /* the memory handed out */
};

#define ARENA_CHUNK 8192

/* arena_alloc() without the zeroing, for copies that fill every byte. */
static void *arena_alloc_raw(Arena *p, size_t n) {
  size_t nAligned = (n + 15) & ~(size_t)15;
  ArenaChunk *pC = p->pHead;
  if (!pC || pC->nSize - pC->nUsed < nAligned) {
    /* Big requests get a chunk of their own so small ones keep packing. */
    size_t nSize = nAligned > ARENA_CHUNK / 2 ? nAligned : ARENA_CHUNK;
    ArenaChunk *pNew = xmalloc(sizeof(*pNew) + nSize);
    pNew->nUsed = 0;
    pNew->nSize = nSize;
    if (pC && nSize != ARENA_CHUNK) {
      /* Keep the current chunk at the head: it still has room. */
      pNew->pNext = pC->pNext;
      pC->pNext = pNew;
    } else {
      pNew->pNext = pC;
      p->pHead = pNew;
    }
    pC = pNew;
  }
  void *pOut = pC->aData + pC->nUsed;
  pC->nUsed += nAligned;
  return pOut;
}

void *arena_alloc(Arena *p, size_t n) {
  void *pOut = arena_alloc_raw(p, n);
  memset(pOut, 0, n);
  return pOut;
}

char *arena_strndup(Arena *p, const char *z, size_t n) {
  if (!z) {
    return NULL;
  }
  char *zNew = arena_alloc_raw(p, n + 1);
  memcpy(zNew, z, n);
  zNew[n] = 0;
  return zNew;
}

char *arena_strdup(Arena *p, const char *z) {
  return z ? arena_strndup(p, z, strlen(z)) : NULL;
}

void arena_free(Arena *p) {
  ArenaChunk *pC = p->pHead;
  while (pC) {
    ArenaChunk *pNext = pC->pNext;
    free(pC);
    pC = pNext;
  }
  p->pHead = NULL;
}

void arena_reset(Arena *p) {
  ArenaChunk *pKeep = NULL;
  ArenaChunk *pC = p->pHead;
  while (pC) {
    ArenaChunk *pNext = pC->pNext;
    if (!pKeep && pC->nSize == ARENA_CHUNK) {
      pKeep = pC;
    } else {
      free(pC);
    }
    pC = pNext;
  }
  if (pKeep) {
    pKeep->nUsed = 0;
    pKeep->pNext = NULL;
  }
  p->pHead = pKeep;
}
