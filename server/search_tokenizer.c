/*
** search_tokenizer.c: hs_pairs, the tokenizer of the knowledge-base index
** (schema/009_search_pairs.sql). It is unicode61, with the table's
** arguments, plus one thing in documents: after each token but the first
** of a column, a pair token (a hash of that token and the one before it),
** colocated with the token (FTS5_TOKEN_COLOCATED), so positions, column
** sizes and hence bm25 are those of unicode61 alone.
**
** Why: to find a quoted phrase of common words ("flash sale") FTS5 reads
** the positions in every document holding all its words, tens of thousands
** on a large knowledge base, however few hold the phrase. search.c puts the
** phrase's pairs, as a phrase of pair tokens, before the phrase in the
** same AND, so FTS5 walks the short doclist of the pairs and checks the
** phrase only where they are (BENCHMARKS.md).
**
** A pair token is SEARCH_PAIR_BYTES bytes: 0xF8, which UTF-8 never holds,
** then 11 bytes of 6 hash bits each (0x80 | bits). FTS5's prefix indexes
** see one character, so the pairs add nothing to them; no typed word can
** equal a pair token; and two pairs whose hashes collide only let a
** document through the filter that the phrase itself then refuses.
**
** In queries, a text that starts with 0xF8 is read as pair tokens
** separated by single spaces (as search.c writes them); any other text goes
** to unicode61 unchanged.
**
** Stems (issue 18, "stemmed search that still ranks exact words first"):
** after a word whose stem differs from it ("rolled": "roll"), a stem
** token, colocated (search_stem). A search asks for the word as typed, its
** stem as a word and its stem token, and ranks the last two lower
** (search.c), so "rolling" finds "rolled" and "roll" and an exact match
** comes first. In queries, a text that starts with 0xF9 is tokens
** separated by single spaces, passed as they are (stem tokens and folded
** words, as search.c writes them: "roll back" through a stem).
**
** Built twice: into the server, where db.c registers the tokenizer on each
** connection before it reads the schema, and with -DHS_SQLITE_EXTENSION as
** build/hs_fts.so, which the sqlite3 shell loads (.load build/hs_fts) to
** read the index.
**
** Threading: no state of its own; a tokenizer instance is used by one
** connection at a time, as FTS5 requires.
*/
#ifdef HS_SQLITE_EXTENSION
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1
#else
#include <sqlite3.h>
#endif

#include <string.h>

#include "search_tokenizer.h"

#define PAIR_LEAD 0xF8
#define STEM_LEAD 0xF9
#define TOKEN_KEEP 32768 /* FTS5 keeps this many bytes of a token */
#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

/* One hs_pairs instance: a unicode61 instance and its methods. */
typedef struct PairTokenizer {
  fts5_tokenizer base;   /* unicode61's methods */
  Fts5Tokenizer *pBase;  /* the unicode61 instance */
} PairTokenizer;

/* FNV-1a of the n bytes at z, continued from h. */
static uint64_t fnv(uint64_t h, const char *z, int n) {
  for (int i = 0; i < n; i++) {
    h = (h ^ (unsigned char)z[i]) * FNV_PRIME;
  }
  return h;
}

/* The hash state after "first token, separator": a token's pairs start
** here. (0xFF never occurs in a token, so "ab"+"c" and "a"+"bc" differ.) */
static uint64_t pair_start(const char *z, int n) {
  return (fnv(FNV_OFFSET, z, n < TOKEN_KEEP ? n : TOKEN_KEEP) ^ 0xFF) *
         FNV_PRIME;
}

/* Writes the pair token of hash state h after the second token. */
static void pair_spell(uint64_t h, const char *z, int n,
                       char aOut[SEARCH_PAIR_BYTES]) {
  h = fnv(h, z, n < TOKEN_KEEP ? n : TOKEN_KEEP);
  aOut[0] = (char)PAIR_LEAD;
  for (int k = 1; k < SEARCH_PAIR_BYTES; k++) {
    aOut[k] = (char)(0x80 | (h & 0x3F));
    h >>= 6;
  }
}

void search_pair_token(const char *zA, int nA, const char *zB, int nB,
                       char aOut[SEARCH_PAIR_BYTES]) {
  pair_spell(pair_start(zA, nA), zB, nB, aOut);
}

/* Whether the SEARCH_PAIR_BYTES at z are a pair token. */
static int is_pair(const char *z) {
  if ((unsigned char)z[0] != PAIR_LEAD) {
    return 0;
  }
  for (int k = 1; k < SEARCH_PAIR_BYTES; k++) {
    if (((unsigned char)z[k] & 0xC0) != 0x80) {
      return 0;
    }
  }
  return 1;
}

/* Stems ------------------------------------------------------------------ */

/* Whether z[0..n) ends with the suffix zEnd. */
static int ends(const char *z, int n, const char *zEnd) {
  int k = (int)strlen(zEnd);
  return n >= k && memcmp(z + n - k, zEnd, (size_t)k) == 0;
}

static int is_vowel(char c) { return strchr("aeiou", c) != NULL; }

/* The letters of the stem of z[0..n) (a-z only) into zStem; its length.
** Few rules, in order: -ies/-ied -> -y, -sses -> -ss, -s (not -ss, -us,
** -is), then -ing/-ed when a vowel stays before them, undoubling the
** consonant left ("stopped" -> "stop", not "roll" -> "rol"), then a final
** -e ("balance", "balanced", "balancing" all -> "balanc"). At least 3
** letters stay. */
static int stem_letters(const char *z, int n, char *zStem) {
  memcpy(zStem, z, (size_t)n);
  if ((ends(zStem, n, "ies") || ends(zStem, n, "ied")) && n >= 5) {
    n -= 2;
    zStem[n - 1] = 'y';
  } else if (ends(zStem, n, "sses")) {
    n -= 2;
  } else if (ends(zStem, n, "s") && !ends(zStem, n, "ss") &&
             !ends(zStem, n, "us") && !ends(zStem, n, "is") && n >= 4) {
    n -= 1;
  }
  int k = ends(zStem, n, "ing")                         ? 3
          : ends(zStem, n, "ed") && !ends(zStem, n, "eed") ? 2
                                                             : 0;
  if (k && n - k >= 3) {
    int bVowel = 0;
    for (int i = 0; i < n - k; i++) {
      bVowel |= is_vowel(zStem[i]);
    }
    if (bVowel) {
      n -= k;
      char c = zStem[n - 1];
      if (c == zStem[n - 2] && !is_vowel(c) && !strchr("lsz", c) && n >= 4) {
        n--;
      }
    }
  }
  if (zStem[n - 1] == 'e' && zStem[n - 2] != 'e' && n >= 4) {
    n--;
  }
  return n;
}

int search_stem(const char *z, int n, char zOut[SEARCH_STEM_MAX]) {
  if (n < 3 || n > SEARCH_STEM_MAX - 4) {
    return 0;
  }
  for (int i = 0; i < n; i++) {
    if (z[i] < 'a' || z[i] > 'z') {
      return 0;
    }
  }
  char zStem[SEARCH_STEM_MAX];
  int nStem = stem_letters(z, n, zStem);
  zOut[0] = (char)STEM_LEAD;
  for (int i = 0; i < nStem; i++) {
    zOut[1 + i] = (char)(0x80 | (zStem[i] & 0x3F));
  }
  return 1 + nStem;
}

/* Whether stem token zStem (nStem bytes) spells token z (n bytes): the
** word is its own stem, and the index holds no stem token for it. */
static int stem_is_word(const char *zStem, int nStem, const char *z, int n) {
  if (nStem - 1 != n) {
    return 0;
  }
  for (int i = 0; i < n; i++) {
    if ((unsigned char)zStem[1 + i] != (0x80 | (z[i] & 0x3F))) {
      return 0;
    }
  }
  return 1;
}

int search_stem_indexed(const char *z, int n, char zOut[SEARCH_STEM_MAX]) {
  int nStem = search_stem(z, n, zOut);
  return nStem > 0 && !stem_is_word(zOut, nStem, z, n) ? nStem : 0;
}

/* The state of one document-mode call: unicode61's tokens pass through,
** each followed by its pair with the one before. */
typedef struct PairCtx {
  void *pCtx;            /* FTS5's context */
  int (*xToken)(void *, int, const char *, int, int, int); /* FTS5's */
  uint64_t hPrev;        /* pair_start() of the previous token */
  int bPrev;             /* a previous token exists in this column */
} PairCtx;

static int pair_cb(void *pArg, int tflags, const char *pToken, int nToken,
                   int iStart, int iEnd) {
  PairCtx *p = pArg;
  int rc = p->xToken(p->pCtx, tflags, pToken, nToken, iStart, iEnd);
  if (rc != SQLITE_OK || (tflags & FTS5_TOKEN_COLOCATED)) {
    return rc; /* unicode61 emits no synonyms; if it did, they'd pair not */
  }
  char aStem[SEARCH_STEM_MAX];
  int nStem = search_stem_indexed(pToken, nToken, aStem);
  if (nStem > 0) {
    rc = p->xToken(p->pCtx, FTS5_TOKEN_COLOCATED, aStem, nStem, iStart, iEnd);
    if (rc != SQLITE_OK) {
      return rc;
    }
  }
  if (p->bPrev) {
    char aPair[SEARCH_PAIR_BYTES];
    pair_spell(p->hPrev, pToken, nToken, aPair);
    rc = p->xToken(p->pCtx, FTS5_TOKEN_COLOCATED, aPair, SEARCH_PAIR_BYTES,
                   iStart, iEnd);
  }
  p->hPrev = pair_start(pToken, nToken);
  p->bPrev = 1;
  return rc;
}

/* Query mode, text starting with 0xF8: pair tokens, single spaces apart.
** Anything else there is a bug in the caller: SQLITE_ERROR. */
static int pairs_query(void *pCtx, const char *pText, int nText,
                       int (*xToken)(void *, int, const char *, int, int,
                                     int)) {
  int i = 0;
  while (i < nText) {
    if (i > 0) {
      if (pText[i] != ' ') {
        return SQLITE_ERROR;
      }
      i++;
    }
    if (nText - i < SEARCH_PAIR_BYTES || !is_pair(pText + i)) {
      return SQLITE_ERROR;
    }
    int rc = xToken(pCtx, 0, pText + i, SEARCH_PAIR_BYTES, i,
                    i + SEARCH_PAIR_BYTES);
    if (rc != SQLITE_OK) {
      return rc;
    }
    i += SEARCH_PAIR_BYTES;
  }
  return SQLITE_OK;
}

/* Query mode, text starting with 0xF9: tokens, single spaces apart, as
** they are (search.c writes stem tokens and folded words there). */
static int raw_query(void *pCtx, const char *pText, int nText,
                     int (*xToken)(void *, int, const char *, int, int, int)) {
  int i = 0;
  while (i < nText) {
    int j = i;
    while (j < nText && pText[j] != ' ') {
      j++;
    }
    if (j == i) {
      return SQLITE_ERROR; /* two spaces, or a trailing one: a caller's bug */
    }
    int rc = xToken(pCtx, 0, pText + i, j - i, i, j);
    if (rc != SQLITE_OK) {
      return rc;
    }
    i = j + 1;
  }
  return SQLITE_OK;
}

static int pairs_tokenize(Fts5Tokenizer *pTok, void *pCtx, int flags,
                          const char *pText, int nText,
                          int (*xToken)(void *, int, const char *, int, int,
                                        int)) {
  PairTokenizer *p = (PairTokenizer *)pTok;
  if ((flags & FTS5_TOKENIZE_QUERY) && nText > 0 &&
      (unsigned char)pText[0] == PAIR_LEAD) {
    return pairs_query(pCtx, pText, nText, xToken);
  }
  if ((flags & FTS5_TOKENIZE_QUERY) && nText > 0 &&
      (unsigned char)pText[0] == STEM_LEAD) {
    return raw_query(pCtx, pText, nText, xToken);
  }
  if (!(flags & FTS5_TOKENIZE_DOCUMENT)) {
    /* Queries, and snippets and highlights (AUX): positions only count
    ** the tokens that are not colocated, so unicode61 alone is the same. */
    return p->base.xTokenize(p->pBase, pCtx, flags, pText, nText, xToken);
  }
  PairCtx ctx = {pCtx, xToken, 0, 0};
  return p->base.xTokenize(p->pBase, &ctx, flags, pText, nText, pair_cb);
}

static void pairs_delete(Fts5Tokenizer *pTok) {
  PairTokenizer *p = (PairTokenizer *)pTok;
  if (p) {
    if (p->pBase) {
      p->base.xDelete(p->pBase);
    }
    sqlite3_free(p);
  }
}

/* pUser is the connection's fts5_api; azArg go to unicode61. */
static int pairs_create(void *pUser, const char **azArg, int nArg,
                        Fts5Tokenizer **ppOut) {
  fts5_api *pApi = pUser;
  void *pBaseUser = NULL;
  *ppOut = NULL;
  PairTokenizer *p = sqlite3_malloc(sizeof(*p));
  if (!p) {
    return SQLITE_NOMEM;
  }
  memset(p, 0, sizeof(*p));
  int rc = pApi->xFindTokenizer(pApi, "unicode61", &pBaseUser, &p->base);
  if (rc == SQLITE_OK) {
    rc = p->base.xCreate(pBaseUser, azArg, nArg, &p->pBase);
  }
  if (rc != SQLITE_OK) {
    pairs_delete((Fts5Tokenizer *)p);
    return rc;
  }
  *ppOut = (Fts5Tokenizer *)p;
  return SQLITE_OK;
}

fts5_api *search_fts5_api(sqlite3 *db) {
  fts5_api *pApi = NULL;
  sqlite3_stmt *p = NULL;
  if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &p, NULL) != SQLITE_OK) {
    return NULL;
  }
  sqlite3_bind_pointer(p, 1, &pApi, "fts5_api_ptr", NULL);
  sqlite3_step(p);
  sqlite3_finalize(p);
  return pApi && pApi->iVersion >= 2 ? pApi : NULL;
}

int search_tokenizer_register(sqlite3 *db) {
  fts5_api *pApi = search_fts5_api(db);
  if (!pApi) {
    return SQLITE_ERROR;
  }
  fts5_tokenizer t = {pairs_create, pairs_delete, pairs_tokenize};
  return pApi->xCreateTokenizer(pApi, "hs_pairs", pApi, &t, NULL);
}

#ifdef HS_SQLITE_EXTENSION
/* The entry point the sqlite3 shell's .load looks for. */
int sqlite3_extension_init(sqlite3 *db, char **pzErr,
                           const sqlite3_api_routines *pApi) {
  (void)pzErr;
  SQLITE_EXTENSION_INIT2(pApi);
  return search_tokenizer_register(db);
}
#endif
