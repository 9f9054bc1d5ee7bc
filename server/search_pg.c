/*
** search_pg.c: the knowledge base on PostgreSQL. The same query language,
** API and index contents as the FTS5 path in search.c / search_index.c,
** over schema/pg/014_base.sql's search_index: a plain table whose tsv
** (title weight A, root cause B, body D) and facet_tsv are tsvectors with
** GIN indexes.
**
** Tokens: both engines use SQLite's unicode61 tokenizer (search_index.c
** runs it on a private in-memory connection here), and the tsvectors and
** tsqueries are built in C as text and cast (::tsvector, ::tsquery), which
** takes lexemes as they are: PostgreSQL's parser and dictionaries never see
** the text, so a word is the same token on both engines. Stem tokens are
** spelled U+2171 and the letters (the FTS5 spelling is not UTF-8); facet
** tokens (U+2170...) live in facet_tsv only. Phrases are `<->` over
** positions (columns are apart by a gap, so no phrase spans two); word
** pairs are not needed.
**
** Ranking: ts_rank with weights {D 0.1, C 0.2, B 0.5, A 1.0} (title 10,
** root cause 5, body 1, as bm25's column weights), normalised by document
** length (1 + log), summed over the query's terms, each term's rank times
** its bm25 idf from search_terms, and within a term its stems' and
** prefix's alternatives at SQLite's fractions (a quarter, a half). The
** order follows bm25's in the cases the suites check; the scores differ.
**
** Snippets and highlights are computed here, in C, on the stored text, with
** the same matching as the query (stems included), so "rolling" marks
** "rolled": ts_headline would re-parse the text with PostgreSQL's parser.
**
** search.c runs the query (the stemmed retry, paging, cursors, counts)
** through searchPgEngine below: this file holds only the PostgreSQL steps.
**
** Threading: no state of its own; uses the calling thread's connection.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "err.h"
#include "input.h"
#include "search.h"
#include "search_tokenizer.h"

#define STEM_MARK "\xe2\x85\xb1" /* U+2171: leads a stem token */
#define STEM_MARK_LEN 3
#define LEXEME_MAX 2000 /* bytes of a lexeme (PostgreSQL: under 2 KiB) */
#define POS_MAX 16383   /* PostgreSQL's highest position */
#define COL_GAP 8       /* positions between columns: no phrase spans two */
#define TSV_TEXT_MAX ((size_t)768 << 10)  /* tsvector text kept: < 1 MB */
#define ELEM_MAX 32                       /* tokens of one phrase */
#define ALT_MAX (1 + SEARCH_STEM_PHRASES) /* phrases of one term */
#define PREFIX_SCAN 5000                  /* vocabulary rows a prefix reads */
#define DF_COUNT_MAX 5000   /* documents a phrase's frequency counts */
#define SNIPPET_TOKENS 24   /* as FTS5 snippet(..., 24) in search.c */
#define SNIPPET_SCAN 200000 /* tokens of a column a snippet reads */

/* Text ------------------------------------------------------------------- */

int search_pg_stem(const char *aStem, int nStem, char *zOut) {
  memcpy(zOut, STEM_MARK, STEM_MARK_LEN);
  int n = STEM_MARK_LEN;
  for (int i = 1; i < nStem && n < SEARCH_PG_STEM_MAX - 1; i++) {
    zOut[n++] = (char)(((unsigned char)aStem[i] & 0x3F) | 0x40);
  }
  zOut[n] = 0;
  return n;
}

/* The stem token of token z as this index spells it into zOut
** (SEARCH_PG_STEM_MAX); 0 when the index holds none beside z. */
static int stem_of(const char *z, int n, char *zOut) {
  char aStem[SEARCH_STEM_MAX];
  int nStem = search_stem_indexed(z, n, aStem);
  return nStem > 0 ? search_pg_stem(aStem, nStem, zOut) : 0;
}

/* Appends z (n bytes, cut to LEXEME_MAX on a character boundary) quoted as
** a tsvector/tsquery lexeme: quotes and backslashes doubled. */
static void lexeme(Buf *pOut, const char *z, int n) {
  if (n > LEXEME_MAX) {
    n = LEXEME_MAX;
    while (n > 0 && ((unsigned char)z[n] & 0xC0) == 0x80) {
      n--;
    }
  }
  buf_putc(pOut, '\'');
  for (int i = 0; i < n; i++) {
    if (z[i] == '\'' || z[i] == '\\') {
      buf_putc(pOut, z[i]);
    }
    buf_putc(pOut, z[i]);
  }
  buf_putc(pOut, '\'');
}

typedef struct TsvCtx {
  Buf *pOut;    /* the tsvector text */
  char cWeight; /* A, B or D */
  int iPos;     /* the last position given */
  int bFull;    /* TSV_TEXT_MAX reached: the rest is not indexed */
} TsvCtx;

static int tsv_token(void *pCtx, const char *z, int n) {
  TsvCtx *c = pCtx;
  if (c->bFull || n == 0) {
    return 0;
  }
  if (c->pOut->n + (size_t)n * 2 + 2 * SEARCH_PG_STEM_MAX + 32 > TSV_TEXT_MAX) {
    c->bFull = 1;
    return 0;
  }
  c->iPos++;
  int iPos = c->iPos > POS_MAX ? POS_MAX : c->iPos;
  lexeme(c->pOut, z, n);
  buf_printf(c->pOut, ":%d%c ", iPos, c->cWeight);
  char zStem[SEARCH_PG_STEM_MAX];
  int nStem = stem_of(z, n, zStem);
  if (nStem > 0) {
    lexeme(c->pOut, zStem, nStem); /* beside its word, same position */
    buf_printf(c->pOut, ":%d%c ", iPos, c->cWeight);
  }
  return 0;
}

void search_pg_tsv(const char *const azCol[3], Buf *pOut) {
  static const char acWeight[3] = {'A', 'B', 'D'};
  TsvCtx c = {pOut, 'A', 0, 0};
  for (int i = 0; i < 3; i++) {
    c.cWeight = acWeight[i];
    search_tokenize(azCol[i], (int)strlen(azCol[i]), 0, tsv_token, &c);
    c.iPos += COL_GAP;
  }
}

void search_pg_facet_tsv(const char *zFacets, Buf *pOut) {
  const char *z = zFacets;
  while (*z) {
    size_t n = strcspn(z, " ");
    if (n > 0) {
      lexeme(pOut, z, (int)n);
      buf_putc(pOut, ' ');
    }
    z += n;
    z += *z == ' ';
  }
}

/* Plans -------------------------------------------------------------------- */

/* One token of a phrase as the query asks for it. */
typedef struct Elem {
  char z[SEARCH_WORD_MAX * 4 + 8]; /* the token (a stem token: U+2171...) */
  int n;                           /* its bytes */
  int bPrefix;                     /* matches tokens starting with z */
  int bStem;                       /* matches words whose stem token is z */
} Elem;

/* A phrase one term may match, with its share of the term's rank. */
typedef struct Alt {
  int nElem;
  Elem aElem[ELEM_MAX];
  double w; /* 1 the term as typed; 0.5 a prefix's whole word; 0.25 stems */
} Alt;

typedef struct Group {
  int nAlt;
  Alt aAlt[ALT_MAX];
  double idf; /* bm25's idf of the term */
} Group;

typedef struct PgPlan {
  int nGroup;
  Group aGroup[SEARCH_TERMS_MAX];
  Buf query;            /* the tsquery every match satisfies */
  Buf facets;           /* the facet tsquery without the type; "" for none */
  Buf facetType;        /* the same with the type */
  Buf aq;               /* the alternatives' tsqueries: a tsquery[] literal */
  Buf aw;               /* their weights: a float8[] literal */
  int bNone;            /* nothing can match */
  int bStemmed;         /* a word as typed is in no document, its stems are */
  int64_t fromMs, toMs; /* started_at bounds, INT64_MIN: none */
  int64_t nDoc;         /* documents in the index */
  int64_t nMostMatches; /* no more documents can match (INT64_MAX: unknown) */
} PgPlan;

/* The tokens of a term, as the index's tokenizer emits them. */
typedef struct Toks {
  int n;
  int bFull;
  Elem a[ELEM_MAX];
} Toks;

static int toks_add(void *pCtx, const char *z, int n) {
  Toks *p = pCtx;
  if (p->n >= ELEM_MAX || n >= (int)sizeof(p->a[0].z)) {
    p->bFull = 1;
    return 0;
  }
  Elem *e = &p->a[p->n++];
  memset(e, 0, sizeof(*e));
  memcpy(e->z, z, (size_t)n);
  e->n = n;
  return 0;
}

static void elem_set(Elem *e, const char *z, int n, int bStem) {
  memset(e, 0, sizeof(*e));
  n = n < (int)sizeof(e->z) - 1 ? n : (int)sizeof(e->z) - 1;
  memcpy(e->z, z, (size_t)n);
  e->n = n;
  e->bStem = bStem;
}

/* Appends alt a as tsquery text: its tokens joined by <->. */
static void alt_query(const Alt *a, Buf *pOut) {
  buf_putc(pOut, '(');
  for (int i = 0; i < a->nElem; i++) {
    if (i > 0) {
      buf_puts(pOut, " <-> ");
    }
    lexeme(pOut, a->aElem[i].z, a->aElem[i].n);
    if (a->aElem[i].bPrefix) {
      buf_puts(pOut, ":*");
    }
  }
  buf_putc(pOut, ')');
}

/* Appends g's alternatives ORed. */
static void group_query(const Group *g, Buf *pOut) {
  buf_putc(pOut, '(');
  for (int k = 0; k < g->nAlt; k++) {
    if (k > 0) {
      buf_puts(pOut, " | ");
    }
    alt_query(&g->aAlt[k], pOut);
  }
  buf_putc(pOut, ')');
}

void search_pg_array_item(Buf *pOut, const char *z, int n) {
  buf_putc(pOut, '"');
  for (int i = 0; i < n; i++) {
    if (z[i] == '"' || z[i] == '\\') {
      buf_putc(pOut, '\\');
    }
    buf_putc(pOut, z[i]);
  }
  buf_putc(pOut, '"');
}

/* The number of indexed words starting with z (n bytes), up to
** PREFIX_SCAN, and the sum of their document frequencies into *pnDocs. */
static int prefix_count(const char *z, int n, int64_t *pnDocs) {
  char zHi[sizeof(((Elem *)0)->z)];
  *pnDocs = 0;
  if (n <= 0 || n >= (int)sizeof(zHi)) {
    return 0;
  }
  memcpy(zHi, z, (size_t)n);
  zHi[n - 1]++; /* above every term starting with z (bytes compare) */
  DbStmt *p = db_prepare(
      "SELECT count(*), coalesce(sum(ndoc), 0) FROM (SELECT ndoc"
      " FROM search_terms WHERE term >= :lo AND term < :hi LIMIT :n) t");
  int nWord = 0;
  if (p) {
    db_bind_textn(p, ":lo", z, n);
    db_bind_textn(p, ":hi", zHi, n);
    db_bind_int(p, ":n", PREFIX_SCAN);
    if (db_step(p) == DB_ROW) {
      nWord = (int)db_col_int(p, 0);
      *pnDocs = db_col_int(p, 1);
    }
    db_reset(p);
  }
  return nWord;
}

/* Documents matching tsquery zQ, counted up to DF_COUNT_MAX. */
static int64_t query_docs(const char *zQ) {
  DbStmt *p = db_prepare("SELECT count(*) FROM (SELECT 1 FROM search_index"
                         " WHERE tsv @@ :q::tsquery LIMIT :n) t");
  int64_t n = 0;
  if (p) {
    db_bind_text(p, ":q", zQ);
    db_bind_int(p, ":n", DF_COUNT_MAX);
    if (db_step(p) == DB_ROW) {
      n = db_col_int(p, 0);
    }
    db_reset(p);
  }
  return n;
}

/* Adds to Group pCtx the alternative of aTok at weight 1/2^shift (stems,
** a prefix's whole word: search_stem_alts). */
static void alt_stem(void *pCtx, const SearchAltTok *aTok, int nTok,
                     int shift) {
  Group *g = pCtx;
  if (g->nAlt >= ALT_MAX) {
    return;
  }
  Alt *a = &g->aAlt[g->nAlt++];
  memset(a, 0, sizeof(*a));
  for (int i = 0; i < nTok && i < ELEM_MAX; i++) {
    elem_set(&a->aElem[i], aTok[i].z, aTok[i].n, aTok[i].bStem);
  }
  a->nElem = nTok < ELEM_MAX ? nTok : ELEM_MAX;
  a->w = 1.0 / (double)(1 << shift);
}

/* search.c's stem_alts here: g's alternatives through stems, each ranked
** a quarter, and for a prefix its word whole at a half. Returns their
** documents (an upper bound), 0 when none can match. */
static int64_t stem_alts(Group *g, const Elem *pTok, int bPrefix) {
  return search_stem_alts(pTok->z, pTok->n, bPrefix, search_pg_stem, alt_stem,
                          g);
}

/* Adds term t to the plan: its group, and pPlan->bNone when it can match
** nothing. 0 or E_DB. */
static int plan_term(PgPlan *pPlan, const SearchTerm *t, int bPrefix) {
  char zText[SEARCH_PHRASE_WORDS * (SEARCH_WORD_MAX + 1)];
  size_t nText = 0;
  for (int w = 0; w < t->nWord; w++) {
    memcpy(zText + nText, t->azWord[w], t->anWord[w]);
    nText += t->anWord[w];
    zText[nText++] = ' ';
  }
  Toks *pTok = xcalloc(1, sizeof(Toks));
  int rc = search_tokenize(zText, (int)nText, 1, toks_add, pTok);
  if (rc || pTok->bFull || pTok->n == 0) {
    pPlan->bNone = 1; /* as FTS5: an empty phrase matches nothing */
    free(pTok);
    return rc;
  }
  Group *g = &pPlan->aGroup[pPlan->nGroup];
  memset(g, 0, sizeof(*g));
  int iLast = pTok->n - 1;
  /* The rarest whole word: every match holds it. */
  int64_t nRare = -1;
  for (int i = 0; i < pTok->n; i++) {
    if (!(bPrefix && i == iLast)) {
      int64_t n = search_term_docs(pTok->a[i].z, pTok->a[i].n);
      nRare = nRare < 0 || n < nRare ? n : nRare;
    }
  }
  /* The term as typed. */
  Alt *a = &g->aAlt[g->nAlt++];
  memset(a, 0, sizeof(*a));
  memcpy(a->aElem, pTok->a, sizeof(Elem) * (size_t)pTok->n);
  a->nElem = pTok->n;
  a->aElem[iLast].bPrefix = bPrefix;
  a->w = 1.0;
  int64_t nStemDocs = 0;
  if (!t->bQuoted && pTok->n == 1) {
    nStemDocs = stem_alts(g, &pTok->a[0], bPrefix);
  }
  if (nStemDocs == 0) {
    g->nAlt = 1; /* only what can match is asked for */
  }
  int64_t nWords = 0, nPrefixDocs = 0;
  if (bPrefix) {
    nWords = prefix_count(pTok->a[iLast].z, pTok->a[iLast].n, &nPrefixDocs);
  }
  if ((nRare == 0 || (bPrefix && nWords == 0)) && nStemDocs == 0) {
    pPlan->bNone = 1;
    free(pTok);
    return 0;
  }
  if (nRare == 0 || (bPrefix && nWords == 0)) {
    pPlan->bStemmed = 1; /* found through its stems only */
  }
  /* Its document frequency, for the idf. */
  int64_t nDf;
  if (pTok->n == 1 && !bPrefix) {
    nDf = nRare;
  } else if (pTok->n == 1) {
    nDf = nPrefixDocs;
  } else {
    Buf q;
    buf_init(&q, 65536);
    alt_query(a, &q);
    nDf = buf_err(&q) ? 0 : query_docs(buf_str(&q));
    buf_free(&q);
  }
  /* Every match holds one of the term's forms: a bound on the matches,
  ** unless a phrase's count stopped at its cap. */
  if ((pTok->n == 1 || nDf < DF_COUNT_MAX) &&
      nDf + nStemDocs < pPlan->nMostMatches) {
    pPlan->nMostMatches = nDf + nStemDocs;
  }
  nDf += nStemDocs; /* a bound: a document may hold both */
  double n = (double)pPlan->nDoc;
  double idf = log((n - (double)nDf + 0.5) / ((double)nDf + 0.5));
  g->idf = idf > 0.0 ? idf : 1e-6;
  pPlan->nGroup++;
  free(pTok);
  return 0;
}

/* Appends " & 'facet'" (or the first without " & ") to Buf pCtx. */
static void facet_and(void *pCtx, const char *zFacet) {
  Buf *pOut = pCtx;
  if (pOut->n > 0) {
    buf_puts(pOut, " & ");
  }
  lexeme(pOut, zFacet, (int)strlen(zFacet));
}

/* The filters as facet tsqueries (dates: started_at, checked by SQL). */
static int plan_filters(PgPlan *pPlan, const SearchQuery *q) {
  int rc = search_filter_facets(q, facet_and, &pPlan->facets, &pPlan->bNone);
  Buf f;
  buf_init(&f, 256);
  buf_puts(&pPlan->facetType, buf_str(&pPlan->facets));
  if (q->iType >= 0) {
    search_facet(&f, 'k', q->iType);
    facet_and(&pPlan->facetType, buf_str(&f));
  }
  pPlan->fromMs = q->fromMs;
  pPlan->toMs = q->toMs;
  if (q->fromMs != INT64_MIN && q->toMs != INT64_MIN && q->fromMs >= q->toMs) {
    pPlan->bNone = 1;
  }
  buf_free(&f);
  return rc;
}

static void plan_free(void *pCtx) {
  PgPlan *pPlan = pCtx;
  buf_free(&pPlan->aw);
  buf_free(&pPlan->aq);
  buf_free(&pPlan->facetType);
  buf_free(&pPlan->facets);
  buf_free(&pPlan->query);
}

/* Plans q: 0 or E_DB; *pbNone (and pPlan->bNone) when nothing can match.
** Free it with plan_free() either way. */
static int plan_build(void *pCtx, const SearchQuery *q, const SearchTerm *aTerm,
                      int nTerm, int *pbNone, int *pbStemmed) {
  PgPlan *pPlan = pCtx;
  memset(pPlan, 0, sizeof(*pPlan));
  pPlan->nMostMatches = INT64_MAX;
  buf_init(&pPlan->query, 262144);
  buf_init(&pPlan->facets, 4096);
  buf_init(&pPlan->facetType, 4096);
  buf_init(&pPlan->aq, 262144);
  buf_init(&pPlan->aw, 4096);
  /* Documents, for the idf: counting reads the whole index, so past
  ** 10,000 rows the planner's estimate (kept by autovacuum) serves. */
  DbStmt *p = db_prepare(
      "SELECT CASE WHEN reltuples > 10000 THEN reltuples::bigint"
      " ELSE (SELECT count(*) FROM search_index) END"
      " FROM pg_class WHERE oid = 'search_index'::regclass");
  int rc = p && db_step(p) == DB_ROW ? 0 : E_DB;
  pPlan->nDoc = rc == 0 ? db_col_int(p, 0) : 0;
  db_reset(p);
  if (rc == 0) {
    rc = plan_filters(pPlan, q);
  }
  for (int k = 0; k < nTerm && rc == 0 && !pPlan->bNone; k++) {
    rc = plan_term(pPlan, &aTerm[k], search_term_is_prefix(aTerm, k, nTerm));
  }
  if (rc || pPlan->bNone) {
    goto done;
  }
  buf_putc(&pPlan->aq, '{');
  buf_putc(&pPlan->aw, '{');
  Buf one;
  buf_init(&one, 65536);
  for (int i = 0; i < pPlan->nGroup; i++) {
    const Group *g = &pPlan->aGroup[i];
    if (i > 0) {
      buf_puts(&pPlan->query, " & ");
    }
    group_query(g, &pPlan->query);
    for (int k = 0; k < g->nAlt; k++) {
      buf_reset(&one);
      alt_query(&g->aAlt[k], &one);
      if (pPlan->aw.n > 1) {
        buf_putc(&pPlan->aq, ',');
        buf_putc(&pPlan->aw, ',');
      }
      search_pg_array_item(&pPlan->aq, buf_str(&one), (int)one.n);
      buf_printf(&pPlan->aw, "%.17g", g->idf * g->aAlt[k].w);
    }
  }
  buf_putc(&pPlan->aq, '}');
  buf_putc(&pPlan->aw, '}');
  if (buf_err(&one) || buf_err(&pPlan->query) || buf_err(&pPlan->aq) ||
      buf_err(&pPlan->aw) || buf_err(&pPlan->facets) ||
      buf_err(&pPlan->facetType)) {
    rc = E_DB; /* the caps hold SEARCH_TERMS_MAX terms: a bug */
  }
  buf_free(&one);
done:
  *pbNone = pPlan->bNone;
  *pbStemmed = pPlan->bStemmed;
  return rc;
}

/* Binds the filters: facets (NULL for none) and the dates. */
static void bind_filters(DbStmt *p, const PgPlan *pPlan, const Buf *pFacets) {
  if (pFacets->n > 0) {
    db_bind_text(p, ":f", buf_str(pFacets));
  } else {
    db_bind_null(p, ":f");
  }
  db_bind_opt_int(p, ":from", pPlan->fromMs);
  db_bind_opt_int(p, ":to", pPlan->toMs);
}

/* Ranking ------------------------------------------------------------------ */

/* The engine step of search.c's rank_page(): minus the summed ts_rank
** (lower is better, as hs_rank) of the tier's matches. */
/* The ranking window's statement, up to its ORDER BY. */
#define RANK_SELECT                                                       \
  "SELECT rowid, -(SELECT coalesce(sum(u.w * ts_rank("                    \
  "'{0.1,0.2,0.5,1.0}', tsv, u.q, 1)), 0)"                                \
  " FROM unnest(:qs::tsquery[], :ws::float8[]) AS u(q, w))"               \
  " FROM search_index WHERE tsv @@ :q::tsquery"                           \
  " AND (:f::tsquery IS NULL OR facet_tsv @@ :f::tsquery)"                \
  " AND (:from::bigint IS NULL OR started_at >= :from::bigint)"           \
  " AND (:to::bigint IS NULL OR started_at < :to::bigint)"

static int read_tier(void *pCtx, int iTier, SearchRanked *aOut) {
  const PgPlan *pPlan = pCtx;
  /* Too few matches to fill this window (a rare phrase of common words,
  ** whose matches the planner overestimates): walking the newest rows
  ** would read the whole table, so "rowid + 0" has the GIN index find
  ** them all instead. */
  int bFew = pPlan->nMostMatches <= (int64_t)(iTier + 1) * SEARCH_RANK_WINDOW;
  DbStmt *p = bFew ? db_prepare(RANK_SELECT " ORDER BY rowid + 0 DESC"
                                            " LIMIT :n OFFSET :off")
                    : db_prepare(RANK_SELECT " ORDER BY rowid DESC"
                                            " LIMIT :n OFFSET :off");
  if (!p) {
    return E_DB;
  }
  db_plan_each_run(p);
  db_bind_text(p, ":qs", buf_str(&pPlan->aq));
  db_bind_text(p, ":ws", buf_str(&pPlan->aw));
  db_bind_text(p, ":q", buf_str(&pPlan->query));
  bind_filters(p, pPlan, &pPlan->facetType);
  return search_tier_rows(p, iTier, aOut);
}

/* The matches of each type, the type filter aside, of the newest
** SEARCH_COUNT_CAP (as search.c's count_types). 0 or E_DB. */
static int count_types(void *pCtx, json_t *pCounts, int *pbMore) {
  const PgPlan *pPlan = pCtx;
  DbStmt *p =
      db_prepare("SELECT rowid FROM search_index WHERE tsv @@ :q::tsquery"
                 " AND (:f::tsquery IS NULL OR facet_tsv @@ :f::tsquery)"
                 " AND (:from::bigint IS NULL OR started_at >= :from::bigint)"
                 " AND (:to::bigint IS NULL OR started_at < :to::bigint)"
                 " ORDER BY rowid DESC LIMIT :n");
  if (!p) {
    return E_DB;
  }
  db_plan_each_run(p);
  db_bind_text(p, ":q", buf_str(&pPlan->query));
  bind_filters(p, pPlan, &pPlan->facets);
  return search_count_rows(p, pCounts, pbMore);
}

/* Snippets ----------------------------------------------------------------- */

/* A column's tokens with their offsets and what matched. */
typedef struct ColTok {
  int iStart, iEnd; /* bytes in the column's text */
  int nTok;         /* bytes of the token */
  int iTok;         /* offset of the token in ColToks.tok */
  int nStem;        /* bytes of its stem token after it in tok; 0: none */
  int iSpanEnd;     /* a match starts here: its last token; else -1 */
  unsigned group;   /* bit g: term g matches from here */
} ColTok;

typedef struct ColToks {
  int n, nAlloc;
  ColTok *a;
  Buf tok; /* the tokens' bytes */
} ColToks;

static int coltok_add(void *pCtx, const char *z, int n, int iStart, int iEnd) {
  ColToks *p = pCtx;
  if (p->n >= SNIPPET_SCAN) {
    return 0;
  }
  if (p->n == p->nAlloc) {
    p->nAlloc = p->nAlloc ? p->nAlloc * 2 : 256;
    p->a = xrealloc(p->a, sizeof(ColTok) * (size_t)p->nAlloc);
  }
  ColTok *t = &p->a[p->n++];
  t->iStart = iStart;
  t->iEnd = iEnd;
  t->nTok = n;
  t->iTok = (int)p->tok.n;
  t->iSpanEnd = -1;
  t->group = 0;
  buf_append(&p->tok, z, (size_t)n);
  /* Its stem, once, where a phrase of stems would compute it per term. */
  char zStem[SEARCH_PG_STEM_MAX];
  t->nStem = stem_of(z, n, zStem);
  buf_append(&p->tok, zStem, (size_t)t->nStem);
  return 0;
}

/* Whether token t of c matches e. */
static int elem_match(const ColToks *c, const ColTok *t, const Elem *e) {
  const char *z = c->tok.z + t->iTok;
  if (e->bStem) {
    return t->nStem == e->n && memcmp(z + t->nTok, e->z, (size_t)e->n) == 0;
  }
  if (e->bPrefix) {
    return t->nTok >= e->n && memcmp(z, e->z, (size_t)e->n) == 0;
  }
  return t->nTok == e->n && memcmp(z, e->z, (size_t)e->n) == 0;
}

/* Tokenizes z into c and marks every match of the plan's phrases. */
static void col_match(const PgPlan *pPlan, const char *z, ColToks *c) {
  memset(c, 0, sizeof(*c));
  buf_init(&c->tok, (size_t)16 << 20);
  search_tokenize_at(z, (int)strlen(z), coltok_add, c);
  if (buf_err(&c->tok)) {
    c->n = 0; /* over the scan cap: no marks */
  }
  for (int i = 0; i < c->n; i++) {
    for (int g = 0; g < pPlan->nGroup; g++) {
      const Group *pG = &pPlan->aGroup[g];
      for (int k = 0; k < pG->nAlt; k++) {
        const Alt *a = &pG->aAlt[k];
        int j = 0;
        while (j < a->nElem && i + j < c->n &&
               elem_match(c, &c->a[i + j], &a->aElem[j])) {
          j++;
        }
        if (j == a->nElem) {
          c->a[i].group |= 1u << g;
          int iEnd = i + a->nElem - 1;
          c->a[i].iSpanEnd = iEnd > c->a[i].iSpanEnd ? iEnd : c->a[i].iSpanEnd;
        }
      }
    }
  }
}

static void col_free(ColToks *c) {
  free(c->a);
  buf_free(&c->tok);
}

/* Appends z's tokens [iFrom, iTo) with their matches between \x01 and
** \x02 (overlapping matches as one), the text between them as it is, and
** from the column's start or to its end when the window reaches it. */
static void col_marked(const char *z, const ColToks *c, int iFrom, int iTo,
                       Buf *pOut) {
  int iPos = iFrom == 0 ? 0 : c->a[iFrom].iStart;
  int iOpenTo = -1; /* the token the open mark ends at */
  for (int i = iFrom; i < iTo; i++) {
    const ColTok *t = &c->a[i];
    buf_append(pOut, z + iPos, (size_t)(t->iStart - iPos));
    if (iOpenTo < 0 && t->iSpanEnd >= 0) {
      buf_putc(pOut, '\x01');
    }
    if (t->iSpanEnd > iOpenTo) {
      iOpenTo = t->iSpanEnd;
    }
    buf_append(pOut, z + t->iStart, (size_t)(t->iEnd - t->iStart));
    iPos = t->iEnd;
    if (iOpenTo == i || (iOpenTo >= 0 && i == iTo - 1)) {
      buf_putc(pOut, '\x02');
      iOpenTo = -1;
    }
  }
  if (iTo == c->n) {
    buf_puts(pOut, z + iPos);
  }
}

/* The snippet: the window of SNIPPET_TOKENS of any column with the most
** distinct terms, then the most matches (FTS5's snippet() scores so), "…"
** where the column goes on. */
static void snippet(const char *const azCol[3], ColToks aCol[3], Buf *pOut) {
  int iBestCol = -1, iBestFrom = 0, nBest = -1;
  for (int ic = 0; ic < 3; ic++) {
    const ColToks *c = &aCol[ic];
    for (int m = 0; m < c->n; m++) {
      if (!c->a[m].group) {
        continue;
      }
      int iFrom = m > 3 ? m - 3 : 0;
      if (iFrom + SNIPPET_TOKENS > c->n) {
        iFrom = c->n > SNIPPET_TOKENS ? c->n - SNIPPET_TOKENS : 0;
      }
      unsigned seen = 0;
      int nHit = 0;
      for (int i = iFrom; i < c->n && i < iFrom + SNIPPET_TOKENS; i++) {
        seen |= c->a[i].group;
        nHit += c->a[i].group != 0;
      }
      int nScore = __builtin_popcount(seen) * 1000 + nHit;
      if (nScore > nBest) {
        nBest = nScore;
        iBestCol = ic;
        iBestFrom = iFrom;
      }
    }
  }
  if (iBestCol < 0) { /* no match to show: the start of the first text */
    for (int ic = 0; ic < 3 && iBestCol < 0; ic++) {
      iBestCol = aCol[ic].n > 0 ? ic : -1;
    }
    if (iBestCol < 0) {
      return;
    }
  }
  const ColToks *c = &aCol[iBestCol];
  int iTo =
      iBestFrom + SNIPPET_TOKENS < c->n ? iBestFrom + SNIPPET_TOKENS : c->n;
  if (iBestFrom > 0) {
    buf_puts(pOut, "…");
  }
  col_marked(azCol[iBestCol], c, iBestFrom, iTo, pOut);
  if (iTo < c->n) {
    buf_puts(pOut, "…");
  }
}

/* Appends the hits of aPage[0..nPage) to pHits, in that order. 0 or E_DB. */
static int load_hits(void *pCtx, const SearchRanked *aPage, int nPage,
                     json_t *pHits) {
  const PgPlan *pPlan = pCtx;
  if (nPage == 0) {
    return 0;
  }
  Buf ids;
  buf_init(&ids, 8192);
  buf_putc(&ids, '{');
  for (int i = 0; i < nPage; i++) {
    buf_printf(&ids, "%s%lld", i ? "," : "", (long long)aPage[i].rowid);
  }
  buf_putc(&ids, '}');
  json_t **apHit = xcalloc((size_t)nPage, sizeof(json_t *));
  DbStmt *p =
      db_prepare("SELECT rowid, incident_id, title, root_cause, body"
                 " FROM search_index WHERE rowid = ANY(:ids::bigint[])");
  int rc = p && !buf_err(&ids) ? 0 : E_DB;
  if (rc == 0) {
    db_bind_text(p, ":ids", buf_str(&ids));
    while ((rc = db_step(p)) == DB_ROW) {
      int64_t rowid = db_col_int(p, 0);
      int i = 0;
      while (i < nPage && (aPage[i].rowid != rowid || apHit[i])) {
        i++;
      }
      if (i == nPage) {
        continue;
      }
      const char *azCol[3] = {db_col_text(p, 2), db_col_text(p, 3),
                              db_col_text(p, 4)};
      ColToks aCol[3];
      for (int c = 0; c < 3; c++) {
        col_match(pPlan, azCol[c], &aCol[c]);
      }
      Buf title, snip;
      buf_init(&title, (size_t)4 << 20);
      buf_init(&snip, (size_t)1 << 20);
      col_marked(azCol[0], &aCol[0], 0, aCol[0].n, &title);
      if (aCol[0].n == 0) {
        buf_reset(&title);
        buf_puts(&title, azCol[0]);
      }
      snippet(azCol, aCol, &snip);
      apHit[i] =
          search_hit_json(rowid, db_col_int(p, 1), azCol[0],
                          buf_err(&title) ? "" : buf_str(&title),
                          buf_err(&snip) ? "" : buf_str(&snip), aPage[i].score);
      buf_free(&snip);
      buf_free(&title);
      for (int c = 0; c < 3; c++) {
        col_free(&aCol[c]);
      }
    }
    rc = rc == DB_DONE ? 0 : E_DB;
    db_reset(p);
  }
  search_hits_append(apHit, nPage, pHits);
  buf_free(&ids);
  return rc;
}

/* The engine ------------------------------------------------------------- */

const SearchEngine searchPgEngine = {.nPlan = sizeof(PgPlan),
                                     .xPlan = plan_build,
                                     .xFree = plan_free,
                                     .xTier = read_tier,
                                     .xHits = load_hits,
                                     .xCount = count_types};

/* Similar incidents -------------------------------------------------------- */

int search_pg_words_query(const char *const *azWord, int nWord, Buf *pOut) {
  int nOut = 0;
  for (int i = 0; i < nWord; i++) {
    Toks *pTok = xcalloc(1, sizeof(Toks));
    if (search_tokenize(azWord[i], (int)strlen(azWord[i]), 1, toks_add, pTok) ==
            0 &&
        !pTok->bFull && pTok->n > 0) {
      Alt *a = xcalloc(1, sizeof(Alt));
      memcpy(a->aElem, pTok->a, sizeof(Elem) * (size_t)pTok->n);
      a->nElem = pTok->n;
      if (nOut++ > 0) {
        buf_puts(pOut, " | ");
      }
      alt_query(a, pOut);
      free(a);
    }
    free(pTok);
  }
  return nOut;
}
