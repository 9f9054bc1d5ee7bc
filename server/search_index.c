/*
** search_index.c: the knowledge-base index (FTS5 table search_index) and
** what it keeps beside it. schema/005_search.sql queues changed documents
** by trigger (FTS5 cannot be written from triggers under
** trusted_schema=OFF); search_flush() rewrites the queued index rows, from
** the source rows, so the index never drifts and only lags a little.
**
** Who indexes: a background thread started by `serve` (search_indexer_
** start) drains the queue right after start-up and whenever another
** connection commits (it polls PRAGMA data_version every 200 ms), in
** batches of FLUSH_BATCH documents, one short write transaction each with
** a pause after it, so that other writers waiting on the lock get it
** between batches (db.c's busy handler retries every 10 ms). After a bulk
** catch-up it merges the index's segments, also in bounded steps. A
** search indexes the queue itself only when it fits in one batch (a
** search right after an edit finds it); a longer queue is the indexer's,
** and the search says how many documents are pending.
**
** Beside the text (schema/008_search_facets.sql) each row has facets, the
** filter tokens of its incident (spelled by search_facet()), and every
** change of a row's text updates search_terms, the document frequency of
** each term, in the same transaction. The FTS5 C API is reached here too:
** the table's tokenizer for queries and the vocabulary, and hs_rank(), the
** bm25 that search.c ranks with.
**
** Tag facets are 64-bit hashes of the lower-cased tag: two tags whose
** hashes collide would filter as one (odds about 1 in 10^19 per pair).
**
** PostgreSQL (db_is_pg()): the same queue, rows and vocabulary; the row
** also gets tsv and facet_tsv, built as text by search_pg.c from the same
** tokens, which come from unicode61 on a private in-memory SQLite
** connection per thread (tok_api). Stem tokens are respelled as UTF-8
** (search_pg_stem). The indexer polls the queue itself instead of PRAGMA
** data_version (writes from psql or other nodes send no NOTIFY), and a
** merge step flushes the GIN pending lists.
**
** Threading: each thread uses its own connection; pThreadApi, that
** connection's fts5_api, and pTokApi (PostgreSQL's tokenizer connection)
** are _Thread_local. Shared between threads: only
** `indexer` (the control block of the background thread), whose stop flag
** is guarded by its mutex.
*/
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "arena.h"
#include "db.h"
#include "err.h"
#include "input.h"
#include "md.h"
#include "search.h"
#include "search_tokenizer.h"
#include "worker.h"

#define FLUSH_BATCH 500 /* documents per write transaction (BENCHMARKS.md) */
/* PostgreSQL: a document costs several round trips and GIN updates, ~5 ms
** when re-indexed, so batches are smaller there: the global write lock is
** held a fraction of a second, as on SQLite. */
#define FLUSH_BATCH_PG 100
#define DOC_MAX ((size_t)4 << 20) /* bytes of one indexed column */
#define TOKEN_MAX 32768 /* FTS5 keeps this many bytes of a token */
#define OPTIMIZE_DOCS 5000 /* documents after which segments are merged */
#define MERGE_PAGES 1000   /* index pages one merge step writes, at most */
#define INDEXER_POLL_MS 200   /* how often the indexer looks for work */
#define INDEXER_PAUSE_MS 20   /* the lock is free this long between batches */
#define INDEXER_RETRY_MS 5000 /* wait after a failed batch */

/* The FTS5 C API ------------------------------------------------------- */

/* This thread's connection's fts5_api with hs_rank registered; NULL until
** first use, and again once that connection is closed (api_forget). */
static _Thread_local fts5_api *pThreadApi;

static void api_forget(void *pSlot) { *(fts5_api **)pSlot = NULL; }

/* bm25 exactly as FTS5's bm25() computes it (the same operations in the
** same order, so the same doubles; frequencies are sums of 10, 5 and 1,
** exact in any order), with three differences: the column weights are
** fixed (10, 5, 1; facets 0), document lengths count only the three text
** columns, and each query term's document frequency comes from the caller
** (SearchRank), so nothing reads a whole doclist per query. A term written
** as several phrases (a prefix spelled out as its words) counts as one;
** its stems' phrases count a quarter (aShift), so exact words rank first. */
static void rank_fn(const Fts5ExtensionApi *pApi, Fts5Context *pFts,
                    sqlite3_context *pCtx, int nVal, sqlite3_value **apVal) {
  static const double aWeight[3] = {10.0, 5.0, 1.0};
  const double k1 = 1.2;
  const double b = 0.75;
  SearchRank *p =
      nVal == 1 ? sqlite3_value_pointer(apVal[0], "hs_search_rank") : NULL;
  if (!p) {
    sqlite3_result_error(pCtx, "hs_rank: no SearchRank", -1);
    return;
  }
  int rc = SQLITE_OK;
  if (!p->bReady) {
    sqlite3_int64 nRow = 0, nToken = 0;
    rc = pApi->xRowCount(pFts, &nRow);
    for (int c = 0; rc == SQLITE_OK && c < 3; c++) {
      sqlite3_int64 n = 0;
      rc = pApi->xColumnTotalSize(pFts, c, &n);
      nToken += n;
    }
    if (rc == SQLITE_OK) {
      p->avgdl = (double)nToken / (double)nRow;
      for (int g = 0; g < p->nGroup; g++) {
        double idf = log((nRow - p->aDf[g] + 0.5) / (p->aDf[g] + 0.5));
        if (idf <= 0.0) {
          idf = 1e-6;
        }
        p->aIdf[g] = idf;
      }
      p->bReady = 1;
    }
  }
  /* Each phrase's instances, in the text columns, weighted. (xInst would
  ** also sort the facets' instances into one list first.) */
  double aFreq[SEARCH_TERMS_MAX] = {0};
  for (int ip = 0; rc == SQLITE_OK && ip < p->nPhrase; ip++) {
    if (p->aGroup[ip] == SEARCH_RANK_SKIP) {
      continue; /* word pairs: a filter, not a term */
    }
    Fts5PhraseIter iter;
    int ic, io;
    rc = pApi->xPhraseFirst(pFts, ip, &iter, &ic, &io);
    while (rc == SQLITE_OK && ic >= 0) {
      if (ic < 3) {
        aFreq[p->aGroup[ip]] += aWeight[ic] / (double)(1 << p->aShift[ip]);
      }
      pApi->xPhraseNext(pFts, &iter, &ic, &io);
    }
  }
  int nTok = 0;
  for (int c = 0; rc == SQLITE_OK && c < 3; c++) {
    int n = 0;
    rc = pApi->xColumnSize(pFts, c, &n);
    nTok += n;
  }
  if (rc != SQLITE_OK) {
    sqlite3_result_error_code(pCtx, rc);
    return;
  }
  double D = (double)nTok;
  double score = 0.0;
  for (int g = 0; g < p->nGroup; g++) {
    score += p->aIdf[g] * ((aFreq[g] * (k1 + 1.0)) /
                           (aFreq[g] + k1 * (1 - b + b * D / p->avgdl)));
  }
  sqlite3_result_double(pCtx, -1.0 * score);
}

/* This thread's fts5_api (hs_rank registered). BORROWED until the
** connection closes. NULL if the database cannot be reached. */
static fts5_api *fts5(void) {
  if (pThreadApi) {
    return pThreadApi;
  }
  sqlite3 *db = db_conn();
  fts5_api *pApi = db ? search_fts5_api(db) : NULL;
  if (!pApi ||
      pApi->xCreateFunction(pApi, "hs_rank", &pThreadApi, rank_fn,
                            api_forget) != SQLITE_OK) {
    fprintf(stderr, "hindsight: the FTS5 API is not available\n");
    return NULL;
  }
  /* A search reads the same index pages many times (each doclist, the
  ** sizes of each match, each hit's row): with SQLite's default 2 MB
  ** cache they come back through pread, a fifth of a search's time on
  ** 100,000 postmortems (BENCHMARKS.md). Connections that search keep
  ** 8 MB. */
  sqlite3_exec(db, "PRAGMA cache_size = -8192", NULL, NULL, NULL);
  pThreadApi = pApi;
  return pApi;
}

int search_rank_ready(void) { return fts5() ? 0 : E_DB; }

/* PostgreSQL has no FTS5: the same tokenizer (unicode61, as in 008) comes
** from a private in-memory SQLite connection of each thread, closed when
** the thread ends, so both engines see the same tokens. */
static pthread_key_t tokKey;
static pthread_once_t tokKeyOnce = PTHREAD_ONCE_INIT;
static _Thread_local fts5_api *pTokApi; /* NULL until first use */

static void tok_close(void *pDb) {
  sqlite3_close(pDb);
  pTokApi = NULL;
}

static void tok_key_init(void) { pthread_key_create(&tokKey, tok_close); }

/* This thread's tokenizing fts5_api: the database's on SQLite, the
** private connection's on PostgreSQL. BORROWED; NULL if unavailable. */
static fts5_api *tok_api(void) {
  if (!db_is_pg()) {
    return fts5();
  }
  if (pTokApi) {
    return pTokApi;
  }
  pthread_once(&tokKeyOnce, tok_key_init);
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(":memory:", &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                      NULL) != SQLITE_OK) {
    sqlite3_close(db);
    return NULL;
  }
  fts5_api *pApi = search_fts5_api(db);
  if (!pApi) {
    sqlite3_close(db);
    fprintf(stderr, "hindsight: the FTS5 tokenizer is not available\n");
    return NULL;
  }
  pthread_setspecific(tokKey, db);
  pTokApi = pApi;
  return pApi;
}

typedef struct TokenCtx {
  SearchTokenFn xToken;     /* the caller's callback, or */
  SearchTokenAtFn xTokenAt; /* this one, with offsets */
  void *pCtx;               /* and its context */
} TokenCtx;

static int token_cb(void *pCtx, int tflags, const char *pToken, int nToken,
                    int iStart, int iEnd) {
  (void)tflags;
  TokenCtx *p = pCtx;
  nToken = nToken > TOKEN_MAX ? TOKEN_MAX : nToken;
  return p->xTokenAt ? p->xTokenAt(p->pCtx, pToken, nToken, iStart, iEnd)
                     : p->xToken(p->pCtx, pToken, nToken);
}

static int tokenize(const char *z, int n, int bQuery, TokenCtx *pCtx);

int search_tokenize(const char *z, int n, int bQuery, SearchTokenFn xToken,
                    void *pCtx) {
  TokenCtx ctx = {xToken, NULL, pCtx};
  return tokenize(z, n, bQuery, &ctx);
}

int search_tokenize_at(const char *z, int n, SearchTokenAtFn xToken,
                       void *pCtx) {
  TokenCtx ctx = {NULL, xToken, pCtx};
  return tokenize(z, n, 0, &ctx);
}

static int tokenize(const char *z, int n, int bQuery, TokenCtx *pCtx) {
  fts5_api *pApi = tok_api();
  if (!pApi) {
    return E_DB;
  }
  void *pUser = NULL;
  fts5_tokenizer tok;
  Fts5Tokenizer *pTok = NULL;
  const char *azArg[] = {"remove_diacritics", "2"}; /* as in 008 */
  if (pApi->xFindTokenizer(pApi, "unicode61", &pUser, &tok) != SQLITE_OK ||
      tok.xCreate(pUser, azArg, 2, &pTok) != SQLITE_OK) {
    return E_DB;
  }
  int rc = tok.xTokenize(pTok, pCtx,
                         bQuery ? FTS5_TOKENIZE_QUERY : FTS5_TOKENIZE_DOCUMENT,
                         z, n, token_cb);
  tok.xDelete(pTok);
  return rc == SQLITE_OK ? 0 : E_DB;
}

/* Facets --------------------------------------------------------------- */

/* Every facet token starts with U+2170 (SMALL ROMAN NUMERAL ONE): a token
** character for unicode61, a separator for the query parser, so nothing a
** person types can match a facet (see search.h). */
#define FACET_MARK "\xe2\x85\xb0"

void search_facet(Buf *pOut, char cKind, int64_t v) {
  buf_printf(pOut, FACET_MARK "%c%lld", cKind, (long long)v);
}

void search_facet_tag(Buf *pOut, const char *zTag) {
  uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
  for (const unsigned char *c = (const unsigned char *)zTag; *c; c++) {
    unsigned char l = *c >= 'A' && *c <= 'Z' ? *c + 32 : *c; /* as lower() */
    h = (h ^ l) * 0x100000001b3ULL;
  }
  buf_printf(pOut, FACET_MARK "g%016llx", (unsigned long long)h);
}

/* Writes into pOut the facets of a document of type iType whose incident
** is incidentId, and sets *pStarted to the incident's start (INT64_MIN if
** there is no such incident). 0 or E_DB. */
static int doc_facets(int iType, int64_t incidentId, Buf *pOut,
                      int64_t *pStarted) {
  *pStarted = INT64_MIN;
  search_facet(pOut, 'k', iType);
  DbStmt *p = db_prepare(
      "SELECT i.severity, i.started_at, p.root_cause_category, p.tags"
      " FROM incidents i LEFT JOIN postmortems p ON p.incident_id = i.id"
      " WHERE i.id = :id");
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":id", incidentId);
  int rc = db_step(p);
  if (rc == DB_ROW) {
    buf_putc(pOut, ' ');
    search_facet(pOut, 's', enum_index(azSeverity, db_col_text(p, 0)) + 1);
    int64_t ms = db_col_int(p, 1);
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    if (gmtime_r(&t, &tm)) {
      int64_t ym = (tm.tm_year + 1900) * 100 + tm.tm_mon + 1;
      buf_putc(pOut, ' ');
      search_facet(pOut, 'y', tm.tm_year + 1900);
      buf_putc(pOut, ' ');
      search_facet(pOut, 'm', ym);
      buf_putc(pOut, ' ');
      search_facet(pOut, 'd', ym * 100 + tm.tm_mday);
    }
    *pStarted = ms;
    if (!db_col_is_null(p, 2)) {
      buf_putc(pOut, ' ');
      search_facet(pOut, 'c', enum_index(azRootCause, db_col_text(p, 2)));
      json_t *pTags = json_loads(db_col_text(p, 3), 0, NULL);
      size_t i;
      json_t *pTag;
      json_array_foreach(pTags, i, pTag) {
        if (json_is_string(pTag)) {
          buf_putc(pOut, ' ');
          search_facet_tag(pOut, json_string_value(pTag));
        }
      }
      json_decref(pTags);
    }
  }
  db_reset(p);
  if (rc != DB_ROW) {
    return rc == DB_DONE ? 0 : E_DB;
  }
  p = db_prepare("SELECT component_id FROM incident_components"
                 " WHERE incident_id = :id");
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":id", incidentId);
  while ((rc = db_step(p)) == DB_ROW) {
    buf_putc(pOut, ' ');
    search_facet(pOut, 'p', db_col_int(p, 0));
  }
  db_reset(p);
  return rc == DB_DONE ? 0 : E_DB;
}

/* The vocabulary ------------------------------------------------------- */

/* Changes to search_terms.ndoc gathered over one flush batch: each
** document version adds (or removes) one per distinct term. */
typedef struct TermSlot {
  uint64_t h;     /* hash of the term; 0 marks an empty slot */
  size_t iOff;    /* the term's bytes in TermMap.zText */
  int n;          /* its length */
  int delta;      /* change of ndoc */
  unsigned mark;  /* the last document version that counted it */
} TermSlot;

typedef struct TermMap {
  char *zText;          /* the terms' bytes, back to back */
  size_t nText;         /* bytes used in zText */
  size_t nTextAlloc;    /* bytes allocated for zText */
  TermSlot *aSlot;      /* open addressing, nSlot a power of two */
  size_t nSlot;         /* slots allocated */
  size_t nUsed;         /* slots used */
  unsigned mark;        /* the document version being tokenized */
  int sign;             /* +1 adding a version, -1 removing one */
} TermMap;

static void termmap_init(TermMap *p) {
  memset(p, 0, sizeof(*p));
  p->nSlot = 4096;
  p->aSlot = xcalloc(p->nSlot, sizeof(TermSlot));
}

static void termmap_free(TermMap *p) {
  free(p->aSlot);
  free(p->zText);
}

static uint64_t term_hash(const char *z, int n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (int i = 0; i < n; i++) {
    h = (h ^ (unsigned char)z[i]) * 0x100000001b3ULL;
  }
  return h ? h : 1;
}

static TermSlot *termmap_slot(TermSlot *aSlot, size_t nSlot, uint64_t h) {
  size_t i = (size_t)h & (nSlot - 1);
  while (aSlot[i].h && aSlot[i].h != h) {
    i = (i + 1) & (nSlot - 1);
  }
  return &aSlot[i];
}

static void termmap_grow(TermMap *p) {
  size_t nNew = p->nSlot * 2;
  TermSlot *aNew = xcalloc(nNew, sizeof(TermSlot));
  for (size_t i = 0; i < p->nSlot; i++) {
    if (p->aSlot[i].h) {
      *termmap_slot(aNew, nNew, p->aSlot[i].h) = p->aSlot[i];
    }
  }
  free(p->aSlot);
  p->aSlot = aNew;
  p->nSlot = nNew;
}

/* A token of the current document version (SearchTokenFn). Terms are told
** apart by their 64-bit hash and bytes. */
static int termmap_add(void *pCtx, const char *zToken, int nToken) {
  TermMap *p = pCtx;
  uint64_t h = term_hash(zToken, nToken);
  size_t i = (size_t)h & (p->nSlot - 1);
  TermSlot *s;
  for (;; i = (i + 1) & (p->nSlot - 1)) {
    s = &p->aSlot[i];
    if (!s->h || (s->h == h && s->n == nToken &&
                  memcmp(p->zText + s->iOff, zToken, (size_t)nToken) == 0)) {
      break;
    }
  }
  if (!s->h) {
    if (p->nText + (size_t)nToken > p->nTextAlloc) {
      p->nTextAlloc = (p->nText + (size_t)nToken) * 2 + 4096;
      p->zText = xrealloc(p->zText, p->nTextAlloc);
    }
    memcpy(p->zText + p->nText, zToken, (size_t)nToken);
    s->h = h;
    s->iOff = p->nText;
    s->n = nToken;
    p->nText += (size_t)nToken;
    p->nUsed++;
  }
  if (s->mark != p->mark) {
    s->mark = p->mark;
    s->delta += p->sign;
  }
  if (p->nUsed * 2 > p->nSlot) {
    termmap_grow(p);
  }
  return SQLITE_OK;
}

/* termmap_add() of a token and of its stem token when the index holds
** one (search_tokenizer.c), so stems have document frequencies too. */
static int termmap_add_stem(void *pCtx, const char *zToken, int nToken) {
  int rc = termmap_add(pCtx, zToken, nToken);
  char aStem[SEARCH_STEM_MAX];
  int nStem = search_stem_indexed(zToken, nToken, aStem);
  if (rc == SQLITE_OK && nStem > 0 && db_is_pg()) {
    char zPg[SEARCH_PG_STEM_MAX];
    return termmap_add(pCtx, zPg, search_pg_stem(aStem, nStem, zPg));
  }
  return rc == SQLITE_OK && nStem > 0 ? termmap_add(pCtx, aStem, nStem) : rc;
}

/* Counts the distinct terms of title, root_cause and body (one version of
** one document) with sign (+1 or -1). 0 or E_DB. */
static int termmap_doc(TermMap *p, int sign, const char *const azCol[3]) {
  p->mark++;
  p->sign = sign;
  for (int c = 0; c < 3; c++) {
    int rc = search_tokenize(azCol[c], (int)strlen(azCol[c]), 0,
                             termmap_add_stem, p);
    if (rc) {
      return rc;
    }
  }
  return 0;
}

/* One change to apply: a term (in TermMap.zText) and its delta. */
typedef struct TermDelta {
  const char *z; /* the term's bytes */
  int n;         /* their number */
  int delta;     /* change of ndoc */
} TermDelta;

static int term_cmp(const void *a, const void *b) {
  const TermDelta *x = a, *y = b;
  int c = memcmp(x->z, y->z, (size_t)(x->n < y->n ? x->n : y->n));
  return c ? c : x->n - y->n; /* as SQLite compares text (BINARY) */
}

/* Applies the gathered changes to search_terms (a term at 0 is removed),
** in term order so that the b-tree is walked once, and empties the map.
** Inside the caller's write transaction. */
static int termmap_apply(TermMap *p) {
  TermDelta *aDelta = xmalloc(sizeof(TermDelta) * (p->nUsed + 1));
  size_t nDelta = 0;
  for (size_t i = 0; i < p->nSlot; i++) {
    TermSlot *s = &p->aSlot[i];
    if (s->h && s->delta != 0) {
      aDelta[nDelta].z = p->zText + s->iOff;
      aDelta[nDelta].n = s->n;
      aDelta[nDelta].delta = s->delta;
      nDelta++;
    }
  }
  qsort(aDelta, nDelta, sizeof(TermDelta), term_cmp);
  int rc = 0;
  if (db_is_pg() && nDelta > 0) {
    /* One round trip per term cost most of a batch (tens of seconds for
    ** a catch-up): PostgreSQL takes them all as two arrays. */
    Buf terms, deltas;
    buf_init(&terms, (size_t)256 << 20);
    buf_init(&deltas, (size_t)64 << 20);
    buf_putc(&terms, '{');
    buf_putc(&deltas, '{');
    for (size_t i = 0; i < nDelta; i++) {
      if (i > 0) {
        buf_putc(&terms, ',');
        buf_putc(&deltas, ',');
      }
      search_pg_array_item(&terms, aDelta[i].z, aDelta[i].n);
      buf_printf(&deltas, "%d", aDelta[i].delta);
    }
    buf_putc(&terms, '}');
    buf_putc(&deltas, '}');
    DbStmt *q = db_prepare(
        "INSERT INTO search_terms (term, ndoc) SELECT t, d"
        " FROM unnest(:terms::text[], :deltas::bigint[]) AS u(t, d)"
        " ON CONFLICT (term) DO UPDATE"
        " SET ndoc = search_terms.ndoc + excluded.ndoc");
    rc = q && !buf_err(&terms) && !buf_err(&deltas) ? 0 : E_DB;
    if (rc == 0) {
      db_bind_text(q, ":terms", buf_str(&terms));
      db_bind_text(q, ":deltas", buf_str(&deltas));
      rc = db_run(q);
    }
    if (rc == 0) {
      q = db_prepare("DELETE FROM search_terms"
                     " WHERE term = ANY(:terms::text[]) AND ndoc <= 0");
      rc = E_DB;
      if (q) {
        db_bind_text(q, ":terms", buf_str(&terms));
        rc = db_run(q);
      }
    }
    buf_free(&deltas);
    buf_free(&terms);
    nDelta = 0; /* done */
  }
  for (size_t i = 0; i < nDelta && rc == 0; i++) {
    DbStmt *q = db_prepare(
        "INSERT INTO search_terms (term, ndoc) VALUES (:term, :delta)"
        " ON CONFLICT (term) DO UPDATE SET ndoc = search_terms.ndoc"
        " + excluded.ndoc");
    rc = E_DB;
    if (q) {
      db_bind_textn(q, ":term", aDelta[i].z, aDelta[i].n);
      db_bind_int(q, ":delta", aDelta[i].delta);
      rc = db_run(q);
    }
    if (rc == 0 && aDelta[i].delta < 0) {
      q = db_prepare("DELETE FROM search_terms WHERE term = :term"
                     " AND ndoc <= 0");
      rc = E_DB;
      if (q) {
        db_bind_textn(q, ":term", aDelta[i].z, aDelta[i].n);
        rc = db_run(q);
      }
    }
  }
  free(aDelta);
  memset(p->aSlot, 0, p->nSlot * sizeof(TermSlot));
  p->nUsed = 0;
  p->nText = 0;
  return rc;
}

/* Indexing ------------------------------------------------------------- */

/* Appends the items of a stored JSON array of strings, space-separated. */
static void append_list(Buf *pOut, const char *zJson) {
  json_t *p = json_loads(zJson, 0, NULL);
  size_t i;
  json_t *pItem;
  json_array_foreach(p, i, pItem) {
    if (json_is_string(pItem)) {
      buf_putc(pOut, ' ');
      buf_puts(pOut, json_string_value(pItem));
    }
  }
  json_decref(p);
}

/* Appends the "## Root cause" section of Markdown z (to the next heading
** of level 1 or 2), if there is one, as plain text. */
static void append_root_cause(Buf *pOut, const char *z) {
  const char *p = z;
  while (*p) {
    const char *zEol = strchr(p, '\n');
    size_t nLine = zEol ? (size_t)(zEol - p) : strlen(p);
    if (nLine >= 13 && strncasecmp(p, "## root cause", 13) == 0) {
      const char *zStart = zEol ? zEol + 1 : p + nLine;
      const char *q = zStart;
      while (*q) {
        if ((q[0] == '#' && q[1] == ' ') ||
            (q[0] == '#' && q[1] == '#' && q[2] == ' ')) {
          break;
        }
        const char *zNext = strchr(q, '\n');
        q = zNext ? zNext + 1 : q + strlen(q);
      }
      buf_putc(pOut, ' ');
      md_plain(zStart, (size_t)(q - zStart), pOut);
      return;
    }
    p = zEol ? zEol + 1 : p + nLine;
  }
}

/* Writes one document's index row (or removes it when its source is gone
** or no longer indexed), and counts the change of its terms into pTerms.
** Inside the caller's write transaction. */
static int index_doc(int64_t docId, TermMap *pTerms) {
  /* PostgreSQL: the old row's text comes back from its DELETE, one round
  ** trip instead of two (FTS5 tables have no RETURNING). */
  DbStmt *p = db_prepare(db_sql("SELECT title, root_cause, body"
                                " FROM search_index WHERE rowid = :rowid",
                                "DELETE FROM search_index WHERE rowid = :rowid"
                                " RETURNING title, root_cause, body"));
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":rowid", docId);
  int rc = db_step(p);
  if (rc == DB_ROW) {
    const char *azOld[3] = {db_col_text(p, 0), db_col_text(p, 1),
                            db_col_text(p, 2)};
    rc = termmap_doc(pTerms, -1, azOld);
  } else {
    rc = rc == DB_DONE ? 0 : E_DB;
  }
  db_reset(p);
  if (rc) {
    return rc;
  }
  if (!db_is_pg()) {
    p = db_prepare("DELETE FROM search_index WHERE rowid = :rowid");
    if (!p) {
      return E_DB;
    }
    db_bind_int(p, ":rowid", docId);
    rc = db_run(p);
    if (rc) {
      return rc;
    }
  }
  int iType = (int)(docId & 3);
  int64_t id = docId >> 2;
  switch (iType) {
  case 0:
    p = db_prepare("SELECT id, title, '', summary FROM incidents"
                   " WHERE id = :id");
    break;
  case 1:
    p = db_prepare("SELECT p.incident_id, i.title, p.root_cause_category,"
                   " p.body, p.tags, p.contributing_factors"
                   " FROM postmortems p JOIN incidents i"
                   " ON i.id = p.incident_id WHERE p.id = :id");
    break;
  case 2:
    p = db_prepare("SELECT incident_id, title, '', body FROM events"
                   " WHERE id = :id AND deleted = 0"
                   " AND kind IN ('note', 'change', 'status_update')");
    break;
  default:
    p = db_prepare("SELECT incident_id, title, '', description FROM actions"
                   " WHERE id = :id");
    break;
  }
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":id", id);
  rc = db_step(p);
  if (rc != DB_ROW) {
    db_reset(p);
    return rc == DB_DONE ? 0 : E_DB;
  }
  int64_t incidentId = db_col_int(p, 0);
  /* Bodies are Markdown: indexed as the text a reader sees, so snippets
  ** show no markup; the root cause section is found before that. */
  Buf title, root, body, md;
  buf_init(&title, DOC_MAX);
  buf_init(&root, DOC_MAX);
  buf_init(&body, DOC_MAX);
  buf_init(&md, DOC_MAX);
  buf_puts(&title, db_col_text(p, 1));
  search_plain(db_col_text(p, 3), &md);
  md_plain(md.z, md.n, &body);
  if (iType == 1) {
    const char *zCat = db_col_text(p, 2);
    if (strcmp(zCat, "unknown") != 0) {
      for (const char *c = zCat; *c; c++) {
        buf_putc(&root, *c == '_' ? ' ' : *c);
      }
    }
    append_list(&root, db_col_text(p, 4));
    append_list(&root, db_col_text(p, 5));
    append_root_cause(&root, buf_str(&md));
  }
  db_reset(p);
  Buf facets;
  buf_init(&facets, 8192);
  int64_t startedMs;
  rc = doc_facets(iType, incidentId, &facets, &startedMs);
  if (rc == 0 && (buf_err(&title) || buf_err(&root) || buf_err(&body) ||
                  buf_err(&md) ||
                  buf_err(&facets))) {
    rc = E_TOOBIG; /* a cap of 4 MiB per column: a bug upstream */
  }
  if (rc == 0) {
    /* PostgreSQL: the tsvectors are built here as text, from the same
    ** tokens (search_pg.c), and cast. */
    p = db_prepare(db_sql(
        "INSERT INTO search_index (rowid, title, root_cause, body,"
        " facets, kind, incident_id, started_at) VALUES (:rowid,"
        " :title, :root, :body, :facets, :kind, :inc, :started)",
        "INSERT INTO search_index (rowid, title, root_cause, body,"
        " facets, kind, incident_id, started_at, tsv, facet_tsv) VALUES"
        " (:rowid, :title, :root, :body, :facets, :kind, :inc, :started,"
        " :tsv::tsvector, :ftsv::tsvector)"));
    rc = E_DB;
    if (p && db_is_pg()) {
      const char *azCol[3] = {buf_str(&title), buf_str(&root),
                              buf_str(&body)};
      Buf tsv, ftsv;
      buf_init(&tsv, DOC_MAX * 2);
      buf_init(&ftsv, 65536);
      search_pg_tsv(azCol, &tsv);
      search_pg_facet_tsv(buf_str(&facets), &ftsv);
      if (buf_err(&tsv) || buf_err(&ftsv)) {
        p = NULL; /* search_pg_tsv() stays within the cap: a bug */
      } else {
        db_bind_text(p, ":tsv", buf_str(&tsv));
        db_bind_text(p, ":ftsv", buf_str(&ftsv));
      }
      buf_free(&ftsv);
      buf_free(&tsv);
    }
    if (p) {
      db_bind_int(p, ":rowid", docId);
      db_bind_text(p, ":title", buf_str(&title));
      db_bind_text(p, ":root", buf_str(&root));
      db_bind_text(p, ":body", buf_str(&body));
      db_bind_text(p, ":facets", buf_str(&facets));
      db_bind_text(p, ":kind", azSearchType[iType]);
      db_bind_int(p, ":inc", incidentId);
      db_bind_opt_int(p, ":started", startedMs);
      rc = db_run(p);
    }
  }
  if (rc == 0) {
    const char *azNew[3] = {buf_str(&title), buf_str(&root), buf_str(&body)};
    rc = termmap_doc(pTerms, 1, azNew);
  }
  buf_free(&facets);
  buf_free(&md);
  buf_free(&body);
  buf_free(&root);
  buf_free(&title);
  return rc;
}

/* Batches and merges ---------------------------------------------------- */

/* Sets *pn to the number of queued documents. 0 or E_DB. */
static int queue_count(int64_t *pn) {
  *pn = 0;
  DbStmt *p = db_prepare("SELECT count(*) FROM search_queue");
  if (!p) {
    return E_DB;
  }
  int rc = db_step(p);
  if (rc == DB_ROW) {
    *pn = db_col_int(p, 0);
  }
  db_reset(p);
  return rc == DB_ROW ? 0 : E_DB;
}

/* Indexes the first FLUSH_BATCH (FLUSH_BATCH_PG on PostgreSQL) queued
** documents (fewer if fewer are queued) in one write transaction, and
** sets *pnDone to how many; 0 means the queue was empty. pTerms is scratch
** space, empty before and after. 0, E_DB (the transaction is rolled back)
** or E_TOOBIG. */
static int index_batch(TermMap *pTerms, int *pnDone) {
  const int nBatch = db_is_pg() ? FLUSH_BATCH_PG : FLUSH_BATCH;
  *pnDone = 0;
  int rc = db_begin_write();
  if (rc) {
    return rc;
  }
  int64_t aId[FLUSH_BATCH];
  int nId = 0;
  DbStmt *p = db_prepare("SELECT doc_id FROM search_queue"
                               " ORDER BY doc_id LIMIT :n");
  if (!p) {
    db_rollback();
    return E_DB;
  }
  db_bind_int(p, ":n", nBatch);
  while (nId < nBatch && (rc = db_step(p)) == DB_ROW) {
    aId[nId++] = db_col_int(p, 0);
  }
  db_reset(p);
  rc = rc == DB_ROW || rc == DB_DONE ? 0 : E_DB;
  for (int i = 0; i < nId && rc == 0; i++) {
    rc = index_doc(aId[i], pTerms);
    if (rc == 0 && !db_is_pg()) {
      p = db_prepare("DELETE FROM search_queue WHERE doc_id = :id");
      rc = E_DB;
      if (p) {
        db_bind_int(p, ":id", aId[i]);
        rc = db_run(p);
      }
    }
  }
  if (rc == 0 && nId > 0 && db_is_pg()) {
    /* PostgreSQL: the batch leaves the queue in one statement. */
    Buf ids;
    buf_init(&ids, (size_t)FLUSH_BATCH * 24 + 8);
    buf_putc(&ids, '{');
    for (int i = 0; i < nId; i++) {
      buf_printf(&ids, "%s%lld", i ? "," : "", (long long)aId[i]);
    }
    buf_putc(&ids, '}');
    p = db_prepare(
        "DELETE FROM search_queue WHERE doc_id = ANY(:ids::bigint[])");
    rc = p && !buf_err(&ids) ? 0 : E_DB;
    if (rc == 0) {
      db_bind_text(p, ":ids", buf_str(&ids));
      rc = db_run(p);
    }
    buf_free(&ids);
  }
  if (rc == 0 && nId == 0) {
    db_rollback(); /* nothing was written: no commit, no version bump */
    return 0;
  }
  rc = rc == 0 ? termmap_apply(pTerms) : rc;
  rc = rc == 0 ? db_commit_unseen() : rc; /* the index: no page shows it */
  if (rc) {
    db_rollback();
    /* a failed document leaves terms counted; forget them */
    memset(pTerms->aSlot, 0, pTerms->nSlot * sizeof(TermSlot));
    pTerms->nUsed = 0;
    pTerms->nText = 0;
    return rc;
  }
  *pnDone = nId;
  return 0;
}

/* One bounded step of merging the index's segments, in its own write
** transaction: FTS5 'merge' writes about MERGE_PAGES pages. bFirst starts
** a merge of every segment (a negative count: as 'optimize' would, but in
** steps); later steps go on with it. *pbMore is whether the step did any
** work (FTS5's documented test: two or more changes), so the caller stops
** once a step does none. A bulk flush leaves a dozen segments and every
** lookup of a term reads each of them (a search page does twenty).
** 0 or E_DB. */
static int merge_step(int bFirst, int *pbMore) {
  *pbMore = 0;
  if (db_is_pg()) {
    /* GIN keeps a bulk's new entries in a pending list that every search
    ** scans: moving them into the index is PostgreSQL's merge. One step. */
    DbStmt *p = db_prepare(
        "SELECT gin_clean_pending_list('search_index_tsv'::regclass),"
        " gin_clean_pending_list('search_index_facet_tsv'::regclass)");
    int rc = p && db_step(p) == DB_ROW ? 0 : E_DB;
    db_reset(p);
    (void)bFirst;
    return rc;
  }
  int rc = db_begin_write();
  if (rc) {
    return rc;
  }
  sqlite3 *db = db_conn();
  int nBefore = sqlite3_total_changes(db);
  DbStmt *p = db_prepare("INSERT INTO search_index (search_index, rank)"
                               " VALUES ('merge', :n)");
  rc = E_DB;
  if (p) {
    db_bind_int(p, ":n", bFirst ? -MERGE_PAGES : MERGE_PAGES);
    rc = db_run(p);
  }
  int bMore = sqlite3_total_changes(db) - nBefore >= 2;
  rc = rc == 0 ? db_commit_unseen() : rc; /* the index: no page shows it */
  if (rc) {
    db_rollback();
    return rc;
  }
  *pbMore = bMore;
  return 0;
}

int search_flush(int64_t *pnPending) {
  int64_t n = 0;
  int rc = queue_count(&n);
  if (rc == 0 && n > 0 && n <= FLUSH_BATCH) {
    TermMap terms;
    termmap_init(&terms);
    int nDone = 0, nTotal = 0;
    do { /* one batch on SQLite; up to five smaller ones on PostgreSQL */
      rc = index_batch(&terms, &nDone);
      nTotal += nDone;
    } while (rc == 0 && nDone > 0 && nTotal < n);
    termmap_free(&terms);
    if (rc == 0) {
      rc = queue_count(&n);
    }
  }
  *pnPending = n;
  return rc;
}

int search_flush_all(void) {
  TermMap terms;
  termmap_init(&terms);
  int rc = 0, nDone = 0, nTotal = 0;
  do {
    rc = index_batch(&terms, &nDone);
    nTotal += nDone;
  } while (rc == 0 && nDone > 0);
  termmap_free(&terms);
  int bMore = nTotal >= OPTIMIZE_DOCS;
  for (int bFirst = 1; rc == 0 && bMore; bFirst = 0) {
    rc = merge_step(bFirst, &bMore);
  }
  return rc;
}

/* The background indexer ------------------------------------------------ */

/* The indexer's control block: the only state here shared between
** threads (the main thread starts and stops; the indexer reads bStop). */
static Worker indexer = WORKER_INIT;

static double mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* PRAGMA data_version of this thread's connection: it changes when another
** connection commits (ours do not move it), so an unchanged value means
** nothing can have been queued since we last looked. -1 on error. */
static int64_t data_version(void) {
  if (db_is_pg()) {
    /* PostgreSQL has no such counter for writes from elsewhere (psql,
    ** other nodes, which db_data_version() hears only when they NOTIFY):
    ** whether anything is queued is one cheap lookup. -1 when there is,
    ** so a round runs; 0 when not, so one more round runs after a busy
    ** one and then none. */
    DbStmt *q = db_prepare("SELECT 1 FROM search_queue LIMIT 1");
    if (!q) {
      return -1;
    }
    int rc = db_step(q);
    db_reset(q);
    return rc == DB_DONE ? 0 : -1;
  }
  DbStmt *p = db_prepare("PRAGMA data_version");
  if (!p) {
    return -1;
  }
  int64_t v = db_step(p) == DB_ROW ? db_col_int(p, 0) : -1;
  db_reset(p);
  return v;
}

/* Indexes the whole queue, a batch at a time with a pause after each, then
** merges the segments in steps if it indexed OPTIMIZE_DOCS or more. Sets
** *pbStop if asked to stop meanwhile. Returns 0, or the error that ended
** the round (logged; the queue stays for the next round). */
static int indexer_round(int *pbStop) {
  TermMap terms;
  termmap_init(&terms);
  int rc = 0, nDone = 0, nTotal = 0, bStop = 0, nMerge = 0;
  double t0 = mono_ms(), tBatchMax = 0, tMergeMax = 0;
  for (;;) {
    double t = mono_ms();
    rc = index_batch(&terms, &nDone);
    nTotal += nDone;
    if (rc || nDone == 0) {
      break;
    }
    t = mono_ms() - t;
    tBatchMax = t > tBatchMax ? t : tBatchMax;
    bStop = worker_wait(&indexer, INDEXER_PAUSE_MS);
    if (bStop) {
      break;
    }
  }
  termmap_free(&terms);
  double t1 = mono_ms();
  int bMore = rc == 0 && !bStop && nTotal >= OPTIMIZE_DOCS;
  for (int bFirst = 1; bMore; bFirst = 0) {
    double t = mono_ms();
    rc = merge_step(bFirst, &bMore);
    t = mono_ms() - t;
    tMergeMax = t > tMergeMax ? t : tMergeMax;
    nMerge++;
    if (rc == 0 && bMore) {
      bStop = worker_wait(&indexer, INDEXER_PAUSE_MS);
      bMore = !bStop;
    }
  }
  if (nTotal > FLUSH_BATCH) {
    /* A catch-up (after a migration, an import or a bulk edit): worth a
    ** line, with the longest write transaction it held. */
    fprintf(stderr,
            "hindsight: search indexer: %d documents in %.1f s (longest"
            " batch %.0f ms), %d merge steps in %.1f s (longest %.0f ms)%s\n",
            nTotal, (t1 - t0) / 1000, tBatchMax, nMerge,
            (mono_ms() - t1) / 1000, tMergeMax, bStop ? ", stopped" : "");
  }
  if (rc) {
    fprintf(stderr, "hindsight: search indexer: error %d, retrying in %d s\n",
            rc, INDEXER_RETRY_MS / 1000);
    bStop = bStop || worker_wait(&indexer, INDEXER_RETRY_MS);
  }
  *pbStop = bStop;
  return rc;
}

static void indexer_main(void *pArg) {
  (void)pArg;
  int64_t seen = -2; /* data_version at the start of the last clean round */
  int bStop = 0;
  while (!bStop) {
    int64_t v = data_version();
    /* One node indexes (db_lead); the others only wait. Asked every
    ** round, also when nothing changed: a node that must stop leading (an
    ** older node after an upgrade, db_schema_ahead) then lets go. */
    if (db_lead(DB_JOB_INDEXER) && (v < 0 || v != seen)) {
      seen = indexer_round(&bStop) ? -2 : v;
    }
    bStop = bStop || worker_wait(&indexer, INDEXER_POLL_MS);
  }
  db_close_thread();
}

int search_indexer_start(void) {
  if (worker_start(&indexer, indexer_main, NULL)) {
    fprintf(stderr, "hindsight: cannot start the search indexer\n");
    return E_IO;
  }
  return 0;
}

void search_indexer_stop(void) { worker_stop(&indexer); }
