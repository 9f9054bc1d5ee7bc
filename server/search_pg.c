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

/* Adds to g the alternative of one token z (n bytes) at weight w. */
static void alt_word(Group *g, const char *z, int n, int bStem, double w) {
  if (g->nAlt >= ALT_MAX) {
    return;
  }
  Alt *a = &g->aAlt[g->nAlt++];
  memset(a, 0, sizeof(*a));
  elem_set(&a->aElem[0], z, n, bStem);
  a->nElem = 1;
  a->w = w;
}

/*
** Stems, as search.c's stem_alts: a bare one-word term also matches its
** stem as a word, its stem token and, for a compound, its parts as a
** phrase (plain, and the first through its stem token), each ranked a
** quarter; a prefix term also its word whole at a half. Returns the
** documents of those (an upper bound), 0 when none can match.
*/
static int64_t stem_alts(Group *g, const Elem *pTok, int bPrefix) {
  char aStem[SEARCH_STEM_MAX];
  int nStem = search_stem(pTok->z, pTok->n, aStem);
  if (nStem == 0) {
    return 0;
  }
  char zStem[SEARCH_PG_STEM_MAX];
  int nPg = search_pg_stem(aStem, nStem, zStem);
  const char *zWord = zStem + STEM_MARK_LEN; /* the stem's letters */
  int nWord = nPg - STEM_MARK_LEN;
  int64_t nDocs = 0;
  if (bPrefix) {
    alt_word(g, pTok->z, pTok->n, 0, 0.5);
  }
  if (nWord != pTok->n || memcmp(zWord, pTok->z, (size_t)nWord) != 0) {
    alt_word(g, zWord, nWord, 0, 0.25);
    nDocs += search_term_docs(zWord, nWord);
  }
  alt_word(g, zStem, nPg, 1, 0.25);
  nDocs += search_term_docs(zStem, nPg);
  for (int k = 0; k < SEARCH_COMPOUNDS; k++) {
    const char *const *az = azSearchCompound[k];
    int nKey = (int)strlen(az[0]);
    if (!(pTok->n == nKey && memcmp(pTok->z, az[0], (size_t)nKey) == 0) &&
        !(nWord == nKey && memcmp(zWord, az[0], (size_t)nKey) == 0)) {
      continue;
    }
    int n1 = (int)strlen(az[1]), n2 = (int)strlen(az[2]);
    char aPart[SEARCH_STEM_MAX], zPart[SEARCH_PG_STEM_MAX];
    int nPart = search_pg_stem(aPart, search_stem(az[1], n1, aPart), zPart);
    for (int bStem = 0; bStem < 2 && g->nAlt < ALT_MAX; bStem++) {
      Alt *a = &g->aAlt[g->nAlt++];
      memset(a, 0, sizeof(*a));
      if (bStem) {
        elem_set(&a->aElem[0], zPart, nPart, 1); /* "rolled back" */
      } else {
        elem_set(&a->aElem[0], az[1], n1, 0); /* "roll back" */
      }
      elem_set(&a->aElem[1], az[2], n2, 0);
      a->nElem = 2;
      a->w = 0.25;
    }
    if (search_term_docs(az[2], n2) > 0 &&
        (search_term_docs(az[1], n1) > 0 ||
         search_term_docs(zPart, nPart) > 0)) {
      nDocs += 1;
    }
    break;
  }
  return nDocs;
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
  nDf += nStemDocs; /* a bound: a document may hold both */
  double n = (double)pPlan->nDoc;
  double idf = log((n - (double)nDf + 0.5) / ((double)nDf + 0.5));
  g->idf = idf > 0.0 ? idf : 1e-6;
  pPlan->nGroup++;
  free(pTok);
  return 0;
}

/* Appends " & 'facet'" (or the first without " & ") to pOut. */
static void facet_and(Buf *pOut, const char *zFacet) {
  if (pOut->n > 0) {
    buf_puts(pOut, " & ");
  }
  lexeme(pOut, zFacet, (int)strlen(zFacet));
}

/* The filters as facet tsqueries (dates: started_at, checked by SQL). */
static int plan_filters(PgPlan *pPlan, const SearchQuery *q) {
  Buf f;
  buf_init(&f, 256);
  if (q->zSeverity) {
    search_facet(&f, 's', enum_index(azSeverity, q->zSeverity) + 1);
    facet_and(&pPlan->facets, buf_str(&f));
    buf_reset(&f);
  }
  if (q->zCategory) {
    search_facet(&f, 'c', enum_index(azRootCause, q->zCategory));
    facet_and(&pPlan->facets, buf_str(&f));
    buf_reset(&f);
  }
  if (q->zTag) {
    search_facet_tag(&f, q->zTag);
    facet_and(&pPlan->facets, buf_str(&f));
    buf_reset(&f);
  }
  int rc = 0;
  if (q->zComponent) {
    DbStmt *p = db_prepare("SELECT id FROM components WHERE name = :name");
    if (!p) {
      rc = E_DB;
    } else {
      db_bind_text(p, ":name", q->zComponent);
      if (db_step(p) == DB_ROW) {
        search_facet(&f, 'p', db_col_int(p, 0));
        facet_and(&pPlan->facets, buf_str(&f));
        buf_reset(&f);
      } else {
        pPlan->bNone = 1;
      }
      db_reset(p);
    }
  }
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

static void plan_free(PgPlan *pPlan) {
  buf_free(&pPlan->aw);
  buf_free(&pPlan->aq);
  buf_free(&pPlan->facetType);
  buf_free(&pPlan->facets);
  buf_free(&pPlan->query);
}

/* Plans q: 0 or E_DB; pPlan->bNone when nothing can match. Free it with
** plan_free() either way. */
static int plan_build(PgPlan *pPlan, const SearchQuery *q,
                      const SearchTerm *aTerm, int nTerm) {
  memset(pPlan, 0, sizeof(*pPlan));
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
    return rc;
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

typedef struct Ranked {
  int64_t rowid; /* the document */
  double score;  /* minus the rank: lower is better, as hs_rank */
} Ranked;

static int ranked_cmp(const void *a, const void *b) {
  const Ranked *x = a, *y = b;
  if (x->score != y->score) {
    return x->score < y->score ? -1 : 1;
  }
  return x->rowid < y->rowid ? -1 : x->rowid > y->rowid;
}

/* Reads the iTier-th SEARCH_RANK_WINDOW newest matches (and one more, if
** any) with their scores into aOut. Returns how many, or E_DB. */
static int read_tier(const PgPlan *pPlan, int iTier, Ranked *aOut) {
  DbStmt *p =
      db_prepare("SELECT rowid, (SELECT coalesce(sum(u.w * ts_rank("
                 "'{0.1,0.2,0.5,1.0}', tsv, u.q, 1)), 0)"
                 " FROM unnest(:qs::tsquery[], :ws::float8[]) AS u(q, w))"
                 " FROM search_index WHERE tsv @@ :q::tsquery"
                 " AND (:f::tsquery IS NULL OR facet_tsv @@ :f::tsquery)"
                 " AND (:from::bigint IS NULL OR started_at >= :from::bigint)"
                 " AND (:to::bigint IS NULL OR started_at < :to::bigint)"
                 " ORDER BY rowid DESC LIMIT :n OFFSET :off");
  if (!p) {
    return E_DB;
  }
  db_bind_text(p, ":qs", buf_str(&pPlan->aq));
  db_bind_text(p, ":ws", buf_str(&pPlan->aw));
  db_bind_text(p, ":q", buf_str(&pPlan->query));
  bind_filters(p, pPlan, &pPlan->facetType);
  db_bind_int(p, ":n", SEARCH_RANK_WINDOW + 1);
  db_bind_int(p, ":off", (int64_t)iTier * SEARCH_RANK_WINDOW);
  int n = 0, rc;
  while ((rc = db_step(p)) == DB_ROW && n <= SEARCH_RANK_WINDOW) {
    aOut[n].rowid = db_col_int(p, 0);
    aOut[n].score = -db_col_double(p, 1);
    n++;
  }
  db_reset(p);
  return rc == DB_ROW || rc == DB_DONE ? n : E_DB;
}

/* As search.c's rank_page: the ranked matches from q->offset on, up to
** q->limit + 1, ranked a window at a time, newest windows first. */
static int rank_page(const PgPlan *pPlan, const SearchQuery *q, Ranked *aPage,
                     int *pbWindow) {
  Ranked *aTier = xmalloc(sizeof(Ranked) * (SEARCH_RANK_WINDOW + 1));
  int iTier = q->offset / SEARCH_RANK_WINDOW;
  int iFrom = q->offset % SEARCH_RANK_WINDOW;
  int nPage = 0, nWant = q->limit + 1;
  *pbWindow = 0;
  for (;;) {
    int n = read_tier(pPlan, iTier, aTier);
    if (n < 0) {
      nPage = n;
      break;
    }
    *pbWindow |= iTier > 0 && n > 0;
    int bMore = n > SEARCH_RANK_WINDOW;
    if (bMore) {
      n = SEARCH_RANK_WINDOW;
      *pbWindow = 1;
    }
    qsort(aTier, (size_t)n, sizeof(Ranked), ranked_cmp);
    for (int i = iFrom; i < n && nPage < nWant; i++) {
      aPage[nPage++] = aTier[i];
    }
    if (nPage == nWant || !bMore) {
      break;
    }
    iTier++;
    iFrom = 0;
  }
  free(aTier);
  return nPage;
}

/* The matches of each type, the type filter aside, of the newest
** SEARCH_COUNT_CAP (as search.c's count_types). 0 or E_DB. */
static int count_types(const PgPlan *pPlan, json_t *pCounts, int *pbMore) {
  DbStmt *p =
      db_prepare("SELECT rowid FROM search_index WHERE tsv @@ :q::tsquery"
                 " AND (:f::tsquery IS NULL OR facet_tsv @@ :f::tsquery)"
                 " AND (:from::bigint IS NULL OR started_at >= :from::bigint)"
                 " AND (:to::bigint IS NULL OR started_at < :to::bigint)"
                 " ORDER BY rowid DESC LIMIT :n");
  if (!p) {
    return E_DB;
  }
  db_bind_text(p, ":q", buf_str(&pPlan->query));
  bind_filters(p, pPlan, &pPlan->facets);
  db_bind_int(p, ":n", SEARCH_COUNT_CAP + 1);
  int64_t an[4] = {0, 0, 0, 0};
  int n = 0, rc;
  while ((rc = db_step(p)) == DB_ROW) {
    if (n++ < SEARCH_COUNT_CAP) {
      an[db_col_int(p, 0) & 3]++;
    }
  }
  db_reset(p);
  for (int t = 0; azSearchType[t]; t++) {
    json_object_set_new(pCounts, azSearchType[t], json_integer(an[t]));
  }
  *pbMore = n > SEARCH_COUNT_CAP;
  return rc == DB_DONE ? 0 : E_DB;
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
static int load_hits(const PgPlan *pPlan, const Ranked *aPage, int nPage,
                     json_t *pHits) {
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
  for (int i = 0; i < nPage; i++) {
    if (apHit[i]) {
      json_array_append_new(pHits, apHit[i]);
    }
  }
  free(apHit);
  buf_free(&ids);
  return rc;
}

/* The query ---------------------------------------------------------------- */

int search_pg_run(const SearchQuery *q, SearchTerm *aTerm, int nTerm,
                  json_t *pOut, json_t *pCounts, int *pbMore) {
  *pbMore = 0;
  PgPlan *pPlan = xcalloc(1, sizeof(PgPlan));
  Ranked *aPage = NULL;
  int rc = plan_build(pPlan, q, aTerm, nTerm);
  /* Nothing holds the words as typed: try them without their endings, as
  ** search.c does. */
  if (rc == 0 && pPlan->bNone && search_terms_stem(aTerm, nTerm)) {
    plan_free(pPlan);
    rc = plan_build(pPlan, q, aTerm, nTerm);
    json_object_set_new(pOut, "stemmed", json_true());
  } else if (rc == 0 && pPlan->bStemmed) {
    json_object_set_new(pOut, "stemmed", json_true());
  }
  if (rc || pPlan->bNone) {
    goto done;
  }
  aPage = xmalloc(sizeof(Ranked) * (size_t)(q->limit + 1));
  int bWindow = 0;
  int nRow = rank_page(pPlan, q, aPage, &bWindow);
  if (nRow < 0) {
    rc = nRow;
    goto done;
  }
  rc = load_hits(pPlan, aPage, nRow > q->limit ? q->limit : nRow,
                 json_object_get(pOut, "hits"));
  if (rc) {
    goto done;
  }
  if (nRow > q->limit) {
    char zNext[24];
    snprintf(zNext, sizeof(zNext), "%d", q->offset + q->limit);
    json_object_set_new(pOut, "next_cursor", json_string(zNext));
  }
  if (bWindow) {
    json_object_set_new(pOut, "window", json_integer(SEARCH_RANK_WINDOW));
  }
  if (q->bCounts) {
    rc = count_types(pPlan, pCounts, pbMore);
  }
done:
  free(aPage);
  plan_free(pPlan);
  free(pPlan);
  return rc;
}

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
