// fuzz-sources: server/search_tokenizer.c
// fuzz-libs: -lsqlite3
/*
** fuzz_search_tokenizer.c: libFuzzer target for hs_pairs, the search
** index's tokenizer (run by tests/fuzz/run.sh).
**
** The low bit of the first byte picks the mode: document or query; the
** rest is the text. Properties, against unicode61 on the same text:
** - documents: the tokens that are not colocated are exactly unicode61's;
**   each is followed by its search_stem_indexed() token when it has one,
**   colocated, then (from the second on) by one colocated token, the
**   search_pair_token() of it and the one before; nothing else is added;
** - stems: a stem token is 0xF9 and at most one letter more than its
**   word, all continuation bytes, and only words of letters a-z have one;
** - queries: text that does not start with 0xF8 or 0xF9 gives unicode61's
**   tokens; 0xF8 text is refused (SQLITE_ERROR) or gives only pair tokens;
**   0xF9 text gives its space-separated parts as they are, or an error.
** A broken property calls abort(). Single-threaded: one in-memory
** database for the whole run.
*/
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "search_tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData);

#define TOKENS_MAX 4096

/* The tokens one call emitted (the first TOKENS_MAX). */
typedef struct Seen {
  int n;                        /* tokens seen */
  int aFlags[TOKENS_MAX];       /* their tflags */
  int aLen[TOKENS_MAX];         /* their lengths */
  const char *azTok[TOKENS_MAX]; /* copies (malloc) */
} Seen;

static int seen_cb(void *pCtx, int tflags, const char *pToken, int nToken,
                   int iStart, int iEnd) {
  (void)iStart;
  (void)iEnd;
  Seen *p = pCtx;
  if (p->n < TOKENS_MAX) {
    char *z = malloc((size_t)nToken + 1);
    memcpy(z, pToken, (size_t)nToken);
    p->aFlags[p->n] = tflags;
    p->aLen[p->n] = nToken;
    p->azTok[p->n] = z;
  }
  p->n++;
  return SQLITE_OK;
}

static void seen_free(Seen *p) {
  for (int i = 0; i < p->n && i < TOKENS_MAX; i++) {
    free((void *)p->azTok[i]);
  }
}

static int same_token(const Seen *a, int i, const Seen *b, int j) {
  return a->aLen[i] == b->aLen[j] &&
         memcmp(a->azTok[i], b->azTok[j], (size_t)a->aLen[i]) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData) {
  static sqlite3 *db;
  static fts5_api *pApi;
  if (!db) {
    if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
        search_tokenizer_register(db) != SQLITE_OK) {
      abort();
    }
    pApi = search_fts5_api(db);
  }
  if (nData < 1 || nData > 65536) {
    return 0;
  }
  int bQuery = aData[0] & 1;
  const char *z = (const char *)aData + 1;
  int n = (int)nData - 1;
  const char *azArg[] = {"remove_diacritics", "2"};
  fts5_tokenizer pairs, base;
  void *pPairsUser = NULL, *pBaseUser = NULL;
  Fts5Tokenizer *pPairs = NULL, *pBase = NULL;
  if (pApi->xFindTokenizer(pApi, "hs_pairs", &pPairsUser, &pairs) ||
      pApi->xFindTokenizer(pApi, "unicode61", &pBaseUser, &base) ||
      pairs.xCreate(pPairsUser, azArg, 2, &pPairs) ||
      base.xCreate(pBaseUser, azArg, 2, &pBase)) {
    abort();
  }
  int flags = bQuery ? FTS5_TOKENIZE_QUERY : FTS5_TOKENIZE_DOCUMENT;
  Seen *pGot = calloc(1, sizeof(Seen)), *pWant = calloc(1, sizeof(Seen));
  int rcGot = pairs.xTokenize(pPairs, pGot, flags, z, n, seen_cb);
  int rcWant = base.xTokenize(pBase, pWant, flags, z, n, seen_cb);
  if (rcWant != SQLITE_OK || pGot->n > TOKENS_MAX || pWant->n > TOKENS_MAX) {
    goto done; /* too many tokens to compare */
  }
  if (bQuery && n > 0 && (unsigned char)z[0] == 0xF8) {
    for (int i = 0; rcGot == SQLITE_OK && i < pGot->n; i++) {
      if (pGot->aLen[i] != SEARCH_PAIR_BYTES ||
          (unsigned char)pGot->azTok[i][0] != 0xF8 || pGot->aFlags[i]) {
        abort();
      }
    }
  } else if (bQuery && n > 0 && (unsigned char)z[0] == 0xF9) {
    for (int i = 0; rcGot == SQLITE_OK && i < pGot->n; i++) {
      if (pGot->aLen[i] < 1 || memchr(pGot->azTok[i], ' ', (size_t)pGot->aLen[i]) ||
          pGot->aFlags[i]) {
        abort();
      }
    }
  } else if (bQuery) {
    if (rcGot != SQLITE_OK || pGot->n != pWant->n) {
      abort();
    }
    for (int i = 0; i < pGot->n; i++) {
      if (!same_token(pGot, i, pWant, i)) {
        abort();
      }
    }
  } else {
    /* word, its stem if any, then (from the second word on) its pair
    ** with the one before */
    if (rcGot != SQLITE_OK) {
      abort();
    }
    int i = 0;
    for (int w = 0; w < pWant->n; w++) {
      if (i >= pGot->n || pGot->aFlags[i] || !same_token(pGot, i, pWant, w)) {
        abort();
      }
      i++;
      char aStem[SEARCH_STEM_MAX];
      int nStem = search_stem_indexed(pWant->azTok[w], pWant->aLen[w], aStem);
      if (nStem > 0) {
        if (i >= pGot->n || pGot->aFlags[i] != FTS5_TOKEN_COLOCATED ||
            pGot->aLen[i] != nStem ||
            memcmp(pGot->azTok[i], aStem, (size_t)nStem) != 0 ||
            (unsigned char)aStem[0] != 0xF9 || nStem > pWant->aLen[w] + 1) {
          abort();
        }
        for (int k = 1; k < nStem; k++) {
          if (((unsigned char)aStem[k] & 0xC0) != 0x80) {
            abort();
          }
        }
        i++;
      }
      if (w > 0) {
        char aPair[SEARCH_PAIR_BYTES];
        search_pair_token(pWant->azTok[w - 1], pWant->aLen[w - 1],
                          pWant->azTok[w], pWant->aLen[w], aPair);
        if (i >= pGot->n || pGot->aFlags[i] != FTS5_TOKEN_COLOCATED ||
            pGot->aLen[i] != SEARCH_PAIR_BYTES ||
            memcmp(pGot->azTok[i], aPair, SEARCH_PAIR_BYTES) != 0) {
          abort();
        }
        i++;
      }
    }
    if (i != pGot->n) {
      abort();
    }
  }
done:
  seen_free(pGot);
  seen_free(pWant);
  free(pGot);
  free(pWant);
  pairs.xDelete(pPairs);
  base.xDelete(pBase);
  return 0;
}
