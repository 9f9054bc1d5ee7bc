/*
** search.c: the knowledge base. Turns typed text into safe FTS5 queries,
** ranks with bm25 (title 10, root cause 5, body 1), highlights snippets,
** and serves /app/search and GET /api/v1/search. The index is kept in step
** with its sources by search_index.c; similar incidents and the insights
** view live in search_similar.c and search_insights.c. On PostgreSQL
** search_run() hands the parsed terms to search_pg.c (tsquery, ts_rank);
** parsing, stemmed retries and the hits' JSON are shared.
**
** It does not build HTML from data: snippets are escaped here and only
** <mark> is added, so they can be wrapped as trusted HTML.
**
** Threading: no state of its own; uses the calling thread's connection.
*/
#include "search.h"

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
#include "search_tokenizer.h"
#include "tmpl.h"
#include "utc.h"

#define WORD_MAX SEARCH_WORD_MAX
#define PHRASE_WORDS SEARCH_PHRASE_WORDS

const char *const azSearchType[] = {"incident", "postmortem", "event",
                                    "action", NULL};

/* Query parsing -------------------------------------------------------- */

/* Decodes one UTF-8 character at z[*pi] (n bytes in all); advances *pi.
** An invalid or truncated sequence reads as one byte, U+FFFD. */
static uint32_t utf8_next(const unsigned char *z, size_t n, size_t *pi) {
  size_t i = *pi;
  unsigned c = z[i];
  uint32_t cp;
  size_t len;
  if (c < 0x80) {
    *pi = i + 1;
    return c;
  } else if (c >= 0xC2 && c <= 0xDF) {
    cp = c & 0x1F;
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    cp = c & 0x0F;
    len = 3;
  } else if (c >= 0xF0 && c <= 0xF4) {
    cp = c & 0x07;
    len = 4;
  } else {
    *pi = i + 1;
    return 0xFFFD;
  }
  if (i + len > n) {
    *pi = i + 1;
    return 0xFFFD;
  }
  for (size_t k = 1; k < len; k++) {
    if ((z[i + k] & 0xC0) != 0x80) {
      *pi = i + 1;
      return 0xFFFD;
    }
    cp = (cp << 6) | (z[i + k] & 0x3F);
  }
  /* Overlongs, surrogates and beyond U+10FFFF are invalid too. */
  if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
      (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
    *pi = i + 1;
    return 0xFFFD;
  }
  *pi = i + len;
  return cp;
}

static int is_space(uint32_t c) {
  return c == ' ' || (c >= 0x09 && c <= 0x0D) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* Letters and digits, roughly as unicode61 sees them: ASCII alphanumerics
** and every non-ASCII character outside the punctuation, symbol and emoji
** blocks. What slips through is harmless: each word is a quoted string. */
static int is_word(uint32_t c) {
  if (c < 0x80) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z');
  }
  if (c <= 0xBF || c == 0xD7 || c == 0xF7 || c == 0xFFFD) {
    return 0;
  }
  if ((c >= 0x2000 && c <= 0x2BFF) || (c >= 0x3000 && c <= 0x303F) ||
      (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0xFF00 && c <= 0xFF0F) ||
      (c >= 0xFFF0 && c <= 0xFFFF) || (c >= 0x1F000 && c <= 0x1FAFF) ||
      (c >= 0xE0000 && c <= 0xE007F)) {
    return 0;
  }
  return 1;
}

typedef SearchTerm Term; /* search.h */

/* Reads words from z[*pi] until a space (unless bQuoted), a quote or the
** end, into t. Advances *pi to the stopping character. */
static void read_words(const unsigned char *z, size_t n, size_t *pi,
                       int bQuoted, Term *t) {
  size_t i = *pi;
  while (i < n) {
    size_t iStart = i;
    uint32_t c = utf8_next(z, n, &i);
    if (c == '"' || (!bQuoted && is_space(c))) {
      i = iStart;
      break;
    }
    if (!is_word(c)) {
      continue;
    }
    /* A word: extend while word characters follow; keep WORD_MAX bytes. */
    size_t iEnd = i, iKeep = i;
    int nChar = 1, nKeepChar = 1;
    while (iEnd < n) {
      size_t iNext = iEnd;
      uint32_t d = utf8_next(z, n, &iNext);
      if (!is_word(d)) {
        break;
      }
      iEnd = iNext;
      nChar++;
      if (iEnd - iStart <= WORD_MAX) {
        iKeep = iEnd;
        nKeepChar = nChar;
      }
    }
    i = iEnd;
    if (t->nWord < PHRASE_WORDS) {
      t->azWord[t->nWord] = (const char *)z + iStart;
      t->anWord[t->nWord] = iKeep - iStart;
      t->nWord++;
      t->nLastChars = nKeepChar;
    }
  }
  *pi = i;
}

/* Reads the terms of what was typed into aTerm (SEARCH_TERMS_MAX entries;
** words BORROWED from zIn). Returns how many. */
int search_terms_parse(const char *zIn, Term *aTerm) {
  const unsigned char *z = (const unsigned char *)(zIn ? zIn : "");
  size_t n = strlen((const char *)z);
  if (n > SEARCH_INPUT_MAX) {
    n = SEARCH_INPUT_MAX; /* a cut character is just invalid UTF-8 */
  }
  int nTerm = 0;
  size_t i = 0;
  while (i < n && nTerm < SEARCH_TERMS_MAX) {
    size_t iNext = i;
    uint32_t c = utf8_next(z, n, &iNext);
    if (is_space(c)) {
      i = iNext;
      continue;
    }
    Term *t = &aTerm[nTerm];
    memset(t, 0, sizeof(*t));
    if (c == '"') {
      t->bQuoted = 1;
      i = iNext;
      read_words(z, n, &i, 1, t);
      if (i < n) {
        i++; /* the closing quote */
      }
    } else {
      read_words(z, n, &i, 0, t);
    }
    if (t->nWord > 0) {
      nTerm++;
    }
  }
  return nTerm;
}

/* Whether term k of nTerm is searched as a prefix: the last one or one
** whose ending was dropped (stem_terms), bare, with a last word of 2 or
** more characters. */
int search_term_is_prefix(const Term *aTerm, int k, int nTerm) {
  return (k == nTerm - 1 || aTerm[k].bStemmed) && !aTerm[k].bQuoted &&
         aTerm[k].nLastChars >= 2;
}

/* Appends term t as an FTS5 phrase: its words quoted, a '*' if bPrefix. */
static void term_phrase(const Term *t, int bPrefix, Buf *pOut) {
  buf_putc(pOut, '"');
  for (int w = 0; w < t->nWord; w++) {
    if (w > 0) {
      buf_putc(pOut, ' ');
    }
    buf_append(pOut, t->azWord[w], t->anWord[w]);
  }
  buf_putc(pOut, '"');
  if (bPrefix) {
    buf_putc(pOut, '*');
  }
}

int search_parse(const char *zIn, Buf *pOut) {
  Term aTerm[SEARCH_TERMS_MAX];
  int nTerm = search_terms_parse(zIn, aTerm);
  for (int k = 0; k < nTerm; k++) {
    if (k > 0) {
      buf_puts(pOut, " AND ");
    }
    term_phrase(&aTerm[k], search_term_is_prefix(aTerm, k, nTerm), pOut);
  }
  return nTerm;
}

void search_snippet_html(const char *z, Buf *pOut) {
  int bOpen = 0;
  const char *zRun = z;
  for (const char *p = z;; p++) {
    unsigned char c = (unsigned char)*p;
    if (c >= 0x20 && c != '&' && c != '<' && c != '>' && c != '"' &&
        c != '\'') {
      continue;
    }
    if (p > zRun) {
      buf_append(pOut, zRun, (size_t)(p - zRun));
    }
    zRun = p + 1;
    if (c == 0) {
      break;
    }
    if (c == '\t' || c == '\n') {
      buf_putc(pOut, ' ');
    } else if (c == 0x01 && !bOpen) {
      buf_puts(pOut, "<mark>");
      bOpen = 1;
    } else if (c == 0x02 && bOpen) {
      buf_puts(pOut, "</mark>");
      bOpen = 0;
    } else if (c >= 0x20) {
      tmpl_escape_html(pOut, p, 1);
    }
  }
  if (bOpen) {
    buf_puts(pOut, "</mark>");
  }
}

void search_plain(const char *z, Buf *pOut) {
  const char *p = z;
  for (;;) {
    const char *zOpen = strstr(p, "<!--");
    if (!zOpen) {
      buf_puts(pOut, p);
      return;
    }
    buf_append(pOut, p, (size_t)(zOpen - p));
    const char *zClose = strstr(zOpen + 4, "-->");
    if (!zClose) {
      return; /* an unclosed comment runs to the end, as in HTML */
    }
    p = zClose + 3;
  }
}

/* Searching ------------------------------------------------------------ */

/*
** How a query is run (the costs are in BENCHMARKS.md). FTS5's own
** "ORDER BY rank" scores every match and, for bm25, reads the whole doclist
** of every phrase to count its documents; on 100,000 postmortems a common
** word costs hundreds of milliseconds. Instead:
**
** - Document frequencies come from search_terms (one lookup per word), or
**   are counted when a term is a phrase or prefix; above DF_EXACT
**   candidates they are estimated from the newest DF_SAMPLE (see
**   term_df). hs_rank() is bm25 with those frequencies: the same scores as
**   FTS5's bm25() whenever they are exact.
** - Matches are read newest first and ranked RANK_WINDOW at a time: when
**   a query has at most RANK_WINDOW matches they are all ranked together,
**   exactly as before; when it has more, page one is the best of the
**   newest RANK_WINDOW, and paging goes on into the next RANK_WINDOW
**   (the response says "window"). Ranking all matches of a word found in
**   most documents cannot be done in milliseconds with FTS5.
** - Filters are facet tokens in the same FTS5 query (008), not joins.
** - A quoted phrase is found through its word pairs (009,
**   search_tokenizer.c): one short doclist, where FTS5 would otherwise
**   read the positions in every document holding all its words.
** - A prefix ("datab") whose words are in more than PREFIX_CHEAP documents
**   is spelled out as its words (up to SEARCH_TERM_PHRASES), because an
**   FTS5 prefix query merges every matching doclist before its first row.
**   The words count as one term for bm25; a snippet may then pick another
**   window when one holds two different words of the prefix.
** - Counts per type (the HTML page) are those of the newest COUNT_CAP
**   matches, and the total then reads "1000+".
** - All of it reads one snapshot (a read transaction).
*/

#define RANK_WINDOW SEARCH_RANK_WINDOW
#define COUNT_CAP SEARCH_COUNT_CAP
#define DF_EXACT 5000     /* candidates counted for an exact frequency */
#define DF_SAMPLE 2000    /* newest candidates an estimate is drawn from */
#define PREFIX_CHEAP 1000 /* documents a prefix query may merge */
#define DATE_TOKENS 400   /* year, month and day facets of a date filter */

/* The plan of one query. */
typedef struct Plan {
  Buf text;        /* the FTS5 query over the text columns */
  Buf words;       /* the same without the word-pair filters: snippets */
  Buf facets;      /* " AND {facets} : (...)" for the filters but type */
  Buf query;       /* text, facets and the type: what is ranked */
  SearchRank rank; /* for hs_rank() */
  int64_t aScan[SEARCH_TERMS_MAX]; /* rows FTS5 reads for each term */
  int64_t nMerge;  /* doclist entries FTS5 merges for its prefix queries
                   ** before the first row of any statement */
  int bNone;       /* nothing can match */
  int bStemmed;    /* a word as typed is in no document, its stems are */
  int bDates;      /* check started_at against fromMs/toMs */
  int64_t fromMs;  /* started_at >= this */
  int64_t toMs;    /* started_at < this */
  int64_t minRow;  /* the index's lowest and highest rowids, or 0 */
  int64_t maxRow;
} Plan;

/* The tokens of one term, as the index's tokenizer sees them. */
typedef struct TermTokens {
  int n;                  /* tokens */
  int aOff[PHRASE_WORDS * WORD_MAX]; /* offsets in z */
  int aLen[PHRASE_WORDS * WORD_MAX]; /* lengths */
  char z[SEARCH_INPUT_MAX * 2];      /* the tokens' bytes */
  int nz;                 /* bytes used in z */
  int bFull;              /* some did not fit */
} TermTokens;

static int tokens_add(void *pCtx, const char *zToken, int nToken) {
  TermTokens *p = pCtx;
  if (p->n >= PHRASE_WORDS * WORD_MAX ||
      p->nz + nToken > (int)sizeof(p->z)) {
    p->bFull = 1;
    return SQLITE_OK;
  }
  memcpy(p->z + p->nz, zToken, (size_t)nToken);
  p->aOff[p->n] = p->nz;
  p->aLen[p->n] = nToken;
  p->nz += nToken;
  p->n++;
  return SQLITE_OK;
}

/* Characters in the n bytes of UTF-8 at z. */
static int utf8_chars(const char *z, int n) {
  int nChar = 0;
  for (int i = 0; i < n; i++) {
    nChar += ((unsigned char)z[i] & 0xC0) != 0x80;
  }
  return nChar;
}

/* Appends token i of pTok as an FTS5 string ("" doubles a quote). */
static void token_quoted(const TermTokens *pTok, int i, Buf *pOut) {
  const char *z = pTok->z + pTok->aOff[i];
  for (int k = 0; k < pTok->aLen[i]; k++) {
    if (z[k] == '"') {
      buf_putc(pOut, '"');
    }
    buf_putc(pOut, z[k]);
  }
}

int64_t search_term_docs(const char *zTerm, int nTerm) {
  DbStmt *p =
      db_prepare("SELECT ndoc FROM search_terms WHERE term = :term");
  int64_t n = 0;
  if (p) {
    db_bind_textn(p, ":term", zTerm, nTerm);
    if (db_step(p) == DB_ROW) {
      n = db_col_int(p, 0);
    }
    db_reset(p);
  }
  return n;
}

/* Index rowids: the span an estimate scales by. */
static void plan_span(Plan *pPlan) {
  if (pPlan->maxRow > 0) {
    return;
  }
  DbStmt *p = db_prepare("SELECT rowid FROM search_index"
                               " ORDER BY rowid LIMIT 1");
  if (p && db_step(p) == DB_ROW) {
    pPlan->minRow = db_col_int(p, 0);
  }
  db_reset(p);
  p = db_prepare("SELECT rowid FROM search_index ORDER BY rowid DESC"
                 " LIMIT 1");
  if (p && db_step(p) == DB_ROW) {
    pPlan->maxRow = db_col_int(p, 0);
  }
  db_reset(p);
}

/* Matches of the FTS5 query zQ with rowid >= lo. */
static int64_t count_from(const char *zQ, int64_t lo) {
  DbStmt *p = db_prepare("SELECT count(*) FROM search_index"
                               " WHERE search_index MATCH :q"
                               " AND rowid >= :lo");
  int64_t n = 0;
  if (p) {
    db_bind_text(p, ":q", zQ);
    db_bind_int(p, ":lo", lo);
    if (db_step(p) == DB_ROW) {
      n = db_col_int(p, 0);
    }
    db_reset(p);
  }
  return n;
}

/* The rowid of the DF_SAMPLE-th newest match of zQ, or INT64_MIN when it
** has fewer matches. */
static int64_t sample_bound(const char *zQ) {
  DbStmt *p = db_prepare("SELECT rowid FROM search_index"
                               " WHERE search_index MATCH :q"
                               " ORDER BY rowid DESC LIMIT 1 OFFSET :k");
  int64_t lo = INT64_MIN;
  if (p) {
    db_bind_text(p, ":q", zQ);
    db_bind_int(p, ":k", DF_SAMPLE - 1);
    if (db_step(p) == DB_ROW) {
      lo = db_col_int(p, 0);
    }
    db_reset(p);
  }
  return lo;
}

/*
** The number of documents matching zTerm (an FTS5 query over the text
** columns). zRange is a query every match of zTerm also matches, with
** nRange documents (-1: unknown). When zRange has at most DF_EXACT
** documents zTerm is counted; otherwise its matches among the newest
** DF_SAMPLE of zRange are counted and scaled up, by nRange or else by the
** rowid span (an estimate).
*/
static int64_t term_df(Plan *pPlan, const char *zTerm, const char *zRange,
                       int64_t nRange) {
  int64_t lo = INT64_MIN;
  if (nRange < 0 || nRange > DF_EXACT) {
    lo = sample_bound(zRange);
  }
  int64_t m = count_from(zTerm, lo);
  if (lo == INT64_MIN) {
    return m;
  }
  int64_t n;
  if (nRange >= 0) {
    n = (int64_t)((double)m * (double)nRange / DF_SAMPLE + 0.5);
  } else {
    plan_span(pPlan);
    double span = (double)(pPlan->maxRow - pPlan->minRow + 1);
    n = (int64_t)((double)m * span / (double)(pPlan->maxRow - lo + 1) + 0.5);
  }
  return n < m ? m : n;
}

/* Puts the FTS5 expression z in parentheses into pOut. (User phrases need
** no column filter: they cannot match a facet token, see search.h.) */
static void text_query(const char *z, Buf *pOut) {
  buf_reset(pOut);
  buf_putc(pOut, '(');
  buf_puts(pOut, z);
  buf_putc(pOut, ')');
}

/* Appends the FTS5 phrase of the word pairs of tokens 0..nTok-1 of pTok
** and, if zLast, of token nTok-1 and the word zLast (nLast bytes): a
** quoted string of pair tokens (search_tokenizer.c). Two or more words in
** all. */
static void pairs_phrase(const TermTokens *pTok, int nTok, const char *zLast,
                         int nLast, Buf *pOut) {
  buf_putc(pOut, '"');
  for (int i = 1; i < nTok || (zLast && i == nTok); i++) {
    int bLast = i == nTok;
    char aPair[SEARCH_PAIR_BYTES];
    search_pair_token(pTok->z + pTok->aOff[i - 1], pTok->aLen[i - 1],
                      bLast ? zLast : pTok->z + pTok->aOff[i],
                      bLast ? nLast : pTok->aLen[i], aPair);
    if (i > 1) {
      buf_putc(pOut, ' ');
    }
    buf_append(pOut, aPair, sizeof(aPair));
  }
  buf_putc(pOut, '"');
}

/*
** Stems (search_tokenizer.c). A bare term of one word of letters also
** matches, ranked a quarter (SearchRank.aShift): its stem as a word
** ("balancers": "balancer"), its stem token (what the index holds beside
** "balancers", "rolled", "rolling"), and for a compound of the table below
** its parts as a phrase, plain and with the first part through its stem
** ("rollback": "roll back", "rolled back"). A term searched as a prefix
** also gets its word whole at a half, since its prefix matches "balancers"
** as fully as "balancer": so the word as typed always ranks first.
*/
typedef struct StemAlts {
  int n;                               /* phrases */
  char az[SEARCH_STEM_PHRASES][WORD_MAX * 2 + SEARCH_STEM_MAX + 8];
  unsigned char aShift[SEARCH_STEM_PHRASES];
  int64_t nDocs; /* documents of the stem word and token (an upper bound);
                 ** 1 for a compound whose parts both occur */
} StemAlts;

/* Compounds people write both ways. */
const char *const azSearchCompound[SEARCH_COMPOUNDS][3] = {
    {"rollback", "roll", "back"}, {"rollout", "roll", "out"},
    {"failover", "fail", "over"}, {"fallback", "fall", "back"},
    {"shutdown", "shut", "down"}, {"startup", "start", "up"},
    {"setup", "set", "up"},       {"lookup", "look", "up"},
    {"timeout", "time", "out"},   {"backup", "back", "up"},
    {"cleanup", "clean", "up"},   {"login", "log", "in"},
    {"logout", "log", "out"},     {"signup", "sign", "up"}};

/* Appends to a the phrase z (n bytes, no quote inside) with shift. */
static void alt_add(StemAlts *a, const char *z, int n, int shift) {
  if (a->n >= SEARCH_STEM_PHRASES || n + 3 > (int)sizeof(a->az[0])) {
    return;
  }
  char *zOut = a->az[a->n];
  zOut[0] = '"';
  memcpy(zOut + 1, z, (size_t)n);
  zOut[n + 1] = '"';
  zOut[n + 2] = 0;
  a->aShift[a->n++] = (unsigned char)shift;
}

/* The stem phrases of the one token z (n bytes) into a; a->n is 0 when it
** has none (not 3 to 60 letters a-z). */
static void stem_alts(const char *z, int n, int bPrefix, StemAlts *a) {
  memset(a, 0, sizeof(*a));
  char aStem[SEARCH_STEM_MAX];
  int nStem = search_stem(z, n, aStem);
  if (nStem == 0) {
    return;
  }
  char zWord[SEARCH_STEM_MAX] = {0}; /* the stem's letters */
  for (int i = 1; i < nStem; i++) {
    zWord[i - 1] = (char)(((unsigned char)aStem[i] & 0x3F) | 0x40);
  }
  int nWord = nStem - 1;
  if (bPrefix) {
    alt_add(a, z, n, 1);
  }
  if (nWord != n || memcmp(zWord, z, (size_t)n) != 0) {
    alt_add(a, zWord, nWord, 2);
    a->nDocs += search_term_docs(zWord, nWord);
  }
  alt_add(a, aStem, nStem, 2);
  a->nDocs += search_term_docs(aStem, nStem);
  for (size_t k = 0; k < SEARCH_COMPOUNDS; k++) {
    const char *const *az = azSearchCompound[k];
    size_t nKey = strlen(az[0]);
    if (!((size_t)n == nKey && memcmp(z, az[0], nKey) == 0) &&
        !((size_t)nWord == nKey && memcmp(zWord, az[0], nKey) == 0)) {
      continue;
    }
    char zPhrase[WORD_MAX + SEARCH_STEM_MAX];
    int n1 = (int)strlen(az[1]), n2 = (int)strlen(az[2]);
    snprintf(zPhrase, sizeof(zPhrase), "%s %s", az[1], az[2]);
    alt_add(a, zPhrase, n1 + 1 + n2, 2);
    /* "rolled back": the first part's stem token, then the second word. */
    char aPart[SEARCH_STEM_MAX];
    int nPart = search_stem(az[1], n1, aPart);
    memcpy(zPhrase, aPart, (size_t)nPart);
    zPhrase[nPart] = ' ';
    memcpy(zPhrase + nPart + 1, az[2], (size_t)n2);
    alt_add(a, zPhrase, nPart + 1 + n2, 2);
    if (search_term_docs(az[2], n2) > 0 &&
        (search_term_docs(az[1], n1) > 0 ||
         search_term_docs(aPart, nPart) > 0)) {
      a->nDocs += 1;
    }
    break;
  }
}

/* The indexed words that start with a prefix. */
typedef struct PrefixWords {
  int n;                /* words, counted up to PREFIX_SCAN */
  int bAll;             /* n and nDocs cover every such word */
  int bLong;            /* one of the first is too long to keep in az */
  int64_t nDocs;        /* the sum of their document frequencies */
  char az[SEARCH_TERM_PHRASES][WORD_MAX * 4]; /* the first ones */
  int an[SEARCH_TERM_PHRASES];                /* their lengths */
} PrefixWords;

#define PREFIX_SCAN 5000 /* vocabulary rows a prefix reads */

/* Reads the words of search_terms that start with the n bytes at z. */
static int prefix_words(const char *z, int n, PrefixWords *pOut) {
  char zHi[WORD_MAX * 4];
  memset(pOut, 0, sizeof(*pOut));
  if (n <= 0 || n > (int)sizeof(zHi)) {
    return E_DB; /* query words are at most WORD_MAX bytes: a bug */
  }
  memcpy(zHi, z, (size_t)n);
  zHi[n - 1]++; /* above every term starting with z (bytes compare) */
  DbStmt *p = db_prepare("SELECT term, ndoc FROM search_terms"
                               " WHERE term >= :lo AND term < :hi");
  if (!p) {
    return E_DB;
  }
  db_bind_textn(p, ":lo", z, n);
  db_bind_textn(p, ":hi", zHi, n);
  int rc;
  while ((rc = db_step(p)) == DB_ROW && pOut->n < PREFIX_SCAN) {
    const char *zWord = db_col_text(p, 0);
    size_t nWord = strlen(zWord);
    if (pOut->n < SEARCH_TERM_PHRASES && nWord < sizeof(pOut->az[0])) {
      memcpy(pOut->az[pOut->n], zWord, nWord);
      pOut->an[pOut->n] = (int)nWord;
    } else if (pOut->n < SEARCH_TERM_PHRASES) {
      pOut->bLong = 1;
    }
    pOut->nDocs += db_col_int(p, 1);
    pOut->n++;
  }
  pOut->bAll = rc == DB_DONE;
  db_reset(p);
  return rc == DB_ROW || rc == DB_DONE ? 0 : E_DB;
}

/*
** Adds term t (bPrefix: its last token is a prefix) to the plan: its
** phrase, or phrases, to pPlan->text, and its document frequency. Sets
** pPlan->bNone when it can match nothing. 0 or E_DB.
*/
static int plan_term(Plan *pPlan, const Term *t, int bPrefix) {
  char zText[PHRASE_WORDS * (WORD_MAX + 1)];
  size_t nText = 0;
  for (int w = 0; w < t->nWord; w++) {
    memcpy(zText + nText, t->azWord[w], t->anWord[w]);
    nText += t->anWord[w];
    zText[nText++] = ' ';
  }
  TermTokens *pTok = xcalloc(1, sizeof(TermTokens));
  PrefixWords *pWords = xcalloc(1, sizeof(PrefixWords));
  StemAlts *pAlt = xcalloc(1, sizeof(StemAlts));
  SearchRank *pRank = &pPlan->rank;
  Buf term, filtered, expr, range;
  buf_init(&term, 8192);
  buf_init(&filtered, 8192);
  buf_init(&expr, 8192);
  buf_init(&range, 8192);
  int rc = search_tokenize(zText, (int)nText, 1, tokens_add, pTok);
  if (rc == 0 && pTok->bFull) {
    rc = E_DB; /* more than a term's bytes can hold: a bug */
  }
  if (rc || pTok->n == 0) {
    pPlan->bNone = 1; /* FTS5: an empty phrase matches nothing */
    goto done;
  }
  int iLast = pTok->n - 1;
  /* The rarest whole word: every match holds it. */
  int iRare = -1;
  int64_t nRare = 0;
  for (int i = 0; i < pTok->n; i++) {
    if (bPrefix && i == iLast) {
      continue;
    }
    int64_t n = search_term_docs(pTok->z + pTok->aOff[i], pTok->aLen[i]);
    if (iRare < 0 || n < nRare) {
      iRare = i;
      nRare = n;
    }
  }
  if (!t->bQuoted && pTok->n == 1) {
    stem_alts(pTok->z, pTok->aLen[0], bPrefix, pAlt);
  }
  int bStems = pAlt->nDocs > 0; /* only what can match is asked for */
  if (iRare >= 0 && nRare == 0 && !bStems) {
    pPlan->bNone = 1;
    goto done;
  }
  if (iRare >= 0 && nRare == 0) {
    pPlan->bStemmed = 1; /* found through its stems only */
  }
  /* A prefix is spelled out as its words unless a prefix index serves it
  ** (2 or 3 characters) or merging its doclists is cheap. */
  int bSpell = 0, bIndexed = 0;
  if (bPrefix) {
    const char *zLast = pTok->z + pTok->aOff[iLast];
    int nLast = pTok->aLen[iLast];
    rc = prefix_words(zLast, nLast, pWords);
    if (rc) {
      goto done;
    }
    if (pWords->n == 0 && !bStems) {
      pPlan->bNone = 1; /* no indexed word starts so */
      goto done;
    }
    if (pWords->n == 0) {
      pPlan->bStemmed = 1;
    }
    int nChar = utf8_chars(zLast, nLast);
    bIndexed = nChar == 2 || nChar == 3; /* prefix = '2 3' in 008 */
    bSpell = !bIndexed && pWords->bAll && !pWords->bLong &&
             pWords->n <= SEARCH_TERM_PHRASES && pWords->nDocs > PREFIX_CHEAP;
  }
  int nPhrase = bSpell ? pWords->n : 1;
  /* Word pairs (search_tokenizer.c). The phrase of a term's pairs
  ** matches where its words do, as often and in the same columns (bar
  ** 64-bit hash collisions), through one short doclist instead of the
  ** positions in every document holding the words. So a term of 2 or more
  ** words is ranked as its pairs' phrase; when it ends in a prefix whose
  ** words are all known, as one such phrase per word. Otherwise a term of
  ** 2 or more whole words and a prefix is preceded by its whole words'
  ** pairs, as a filter, and FTS5 checks it only where they are. Snippets
  ** use the words (pPlan->words). */
  int nWhole = bPrefix ? pTok->n - 1 : pTok->n;
  int bKnown = bPrefix && pWords->bAll && !pWords->bLong &&
               pWords->n <= SEARCH_TERM_PHRASES;
  int bPairsOnly = pTok->n >= 2 && (!bPrefix || bKnown);
  int bFilter = !bPairsOnly && nWhole >= 2;
  int nAlt = bPrefix ? pWords->n : 1; /* phrases when bPairsOnly */
  size_t nPairs = 0; /* bytes of the filter's phrase in filtered, after '(' */
  int nStemAlt = bStems ? pAlt->n : 0;
  if (pRank->nPhrase + (bPairsOnly ? nAlt : nPhrase + bFilter) + nStemAlt >
      SEARCH_PHRASES_MAX) {
    rc = E_DB; /* SEARCH_PHRASES_MAX holds every term's: a bug */
    goto done;
  }
  if (bPairsOnly) {
    buf_putc(&filtered, '(');
    for (int k = 0; k < nAlt; k++) {
      if (k > 0) {
        buf_puts(&filtered, " OR ");
      }
      if (bPrefix) {
        pairs_phrase(pTok, nWhole, pWords->az[k], pWords->an[k], &filtered);
      } else {
        pairs_phrase(pTok, nWhole, NULL, 0, &filtered);
      }
    }
    buf_putc(&filtered, ')');
  } else if (bFilter) {
    buf_putc(&filtered, '(');
    pairs_phrase(pTok, nWhole, NULL, 0, &filtered);
    nPairs = filtered.n - 1;
    buf_puts(&filtered, " AND ");
    pRank->aGroup[pRank->nPhrase++] = SEARCH_RANK_SKIP;
  }
  int g = pRank->nGroup;
  if (!bSpell) {
    term_phrase(t, bPrefix, &term); /* as typed, as before */
  } else {
    buf_putc(&term, '(');
    for (int k = 0; k < nPhrase; k++) {
      buf_puts(&term, k > 0 ? " OR \"" : "\"");
      for (int i = 0; i < iLast; i++) {
        token_quoted(pTok, i, &term);
        buf_putc(&term, ' ');
      }
      buf_append(&term, pWords->az[k], (size_t)pWords->an[k]);
      buf_putc(&term, '"');
    }
    buf_putc(&term, ')');
  }
  for (int k = 0; k < (bPairsOnly ? nAlt : nPhrase); k++) {
    pRank->aShift[pRank->nPhrase] = 0;
    pRank->aGroup[pRank->nPhrase++] = (unsigned char)g;
  }
  if (!bPairsOnly) {
    buf_puts(&filtered, buf_str(&term));
  }
  if (bFilter) {
    buf_putc(&filtered, ')');
  }
  /* Its document frequency. */
  int64_t nDf;
  if (pTok->n == 1 && !bPrefix) {
    nDf = nRare; /* a word */
  } else if (pTok->n == 1 && pWords->n == 1 && pWords->bAll) {
    nDf = pWords->nDocs; /* a prefix of one word */
  } else {
    text_query(buf_str(&filtered), &expr);
    int64_t nRange = nRare; /* documents of range, -1 if unknown */
    if (bPairsOnly || bFilter) {
      /* Its pairs hold every match and are far fewer than its rarest
      ** word's documents: counted exactly up to DF_SAMPLE of them. */
      if (bPairsOnly) {
        buf_puts(&range, buf_str(&expr));
      } else {
        buf_append(&range, buf_str(&filtered) + 1, nPairs);
      }
      nRange = -1;
    } else if (iRare >= 0) {
      buf_putc(&range, '"');
      token_quoted(pTok, iRare, &range);
      buf_putc(&range, '"');
    } else {
      buf_puts(&range, buf_str(&expr));
      nRange = pWords->bAll && pWords->nDocs <= DF_EXACT ? pWords->nDocs : -1;
    }
    if (buf_err(&expr) || buf_err(&range)) {
      rc = E_DB;
      goto done;
    }
    nDf = term_df(pPlan, buf_str(&expr), buf_str(&range), nRange);
  }
  /* Stems: one token, so no pairs and filtered is term. Their documents
  ** are added to the word's (a bound: a document may hold both), which
  ** costs no count. */
  if (nStemAlt > 0) {
    nDf += pAlt->nDocs;
    Buf alts;
    buf_init(&alts, 8192);
    buf_putc(&alts, '(');
    buf_puts(&alts, buf_str(&term));
    for (int k = 0; k < nStemAlt; k++) {
      buf_puts(&alts, " OR ");
      buf_puts(&alts, pAlt->az[k]);
      pRank->aShift[pRank->nPhrase] = pAlt->aShift[k];
      pRank->aGroup[pRank->nPhrase++] = (unsigned char)g;
    }
    buf_putc(&alts, ')');
    buf_reset(&term);
    buf_puts(&term, buf_str(&alts));
    if (buf_err(&alts)) {
      buf_free(&alts);
      rc = E_DB;
      goto done;
    }
    buf_free(&alts);
    buf_reset(&filtered);
    buf_puts(&filtered, buf_str(&term));
  }
  if (buf_err(&term) || buf_err(&filtered)) {
    rc = E_DB;
    goto done;
  }
  pRank->aDf[g] = nDf;
  /* What iterating the term reads: its rarest word's documents, or all
  ** the documents of a prefix's words (estimated when not all read). */
  pPlan->aScan[g] = (iRare >= 0     ? nRare
                     : pWords->bAll ? pWords->nDocs
                                    : INT64_MAX / 2) +
                    (nStemAlt > 0 ? pAlt->nDocs : 0);
  if (bPrefix && !bSpell && !bIndexed) {
    pPlan->nMerge += pWords->bAll ? pWords->nDocs : INT64_MAX / 4;
  }
  pRank->nGroup++;
  if (g > 0) {
    buf_puts(&pPlan->text, " AND ");
    buf_puts(&pPlan->words, " AND ");
  }
  buf_puts(&pPlan->text, buf_str(&filtered));
  buf_puts(&pPlan->words, buf_str(&term));
done:
  buf_free(&filtered);
  buf_free(&range);
  buf_free(&expr);
  buf_free(&term);
  free(pAlt);
  free(pWords);
  free(pTok);
  return rc;
}

#define DAY_MS 86400000LL

/* Days since 1970 of ms, rounded down. */
static int64_t day_of(int64_t ms) {
  return ms >= 0 ? ms / DAY_MS : -((-ms + DAY_MS - 1) / DAY_MS);
}

/*
** Appends to pOut " AND (...)": the date facets that cover the days
** [dLo, dHi) exactly: whole years, then whole months, then days. Returns
** 1, or 0 with nothing appended when that takes more than DATE_TOKENS.
*/
static int plan_dates(int64_t dLo, int64_t dHi, Buf *pOut) {
  Buf f;
  buf_init(&f, 16384);
  int n = 0;
  for (int64_t d = dLo; d < dHi && n <= DATE_TOKENS; n++) {
    time_t t = (time_t)(d * 86400);
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
      n = DATE_TOKENS + 1;
      break;
    }
    int y = tm.tm_year + 1900, m = tm.tm_mon + 1;
    int64_t dYear = utc_days_from_civil(y + 1, 1, 1);
    int64_t dMonth = m == 12 ? dYear : utc_days_from_civil(y, m + 1, 1);
    buf_puts(&f, n ? " OR \"" : "(\"");
    if (tm.tm_yday == 0 && dYear <= dHi) {
      search_facet(&f, 'y', y);
      d = dYear;
    } else if (tm.tm_mday == 1 && dMonth <= dHi) {
      search_facet(&f, 'm', y * 100 + m);
      d = dMonth;
    } else {
      search_facet(&f, 'd', (y * 100 + m) * 100 + tm.tm_mday);
      d++;
    }
    buf_putc(&f, '"');
  }
  int bDone = n > 0 && n <= DATE_TOKENS && !buf_err(&f);
  if (bDone) {
    buf_puts(pOut, " AND ");
    buf_puts(pOut, buf_str(&f));
    buf_putc(pOut, ')');
  }
  buf_free(&f);
  return bDone;
}

/* The earliest or latest incident start (bLast), or INT64_MIN if none. */
static int64_t incident_start(int bLast) {
  DbStmt *p =
      bLast ? db_prepare("SELECT max(started_at) FROM incidents")
            : db_prepare("SELECT min(started_at) FROM incidents");
  int64_t ms = INT64_MIN;
  if (p && db_step(p) == DB_ROW && !db_col_is_null(p, 0)) {
    ms = db_col_int(p, 0);
  }
  db_reset(p);
  return ms;
}

/* The filters but the type, as facets, into pPlan->facets. 0 or E_DB. */
static int plan_filters(Plan *pPlan, const SearchQuery *q) {
  Buf f;
  buf_init(&f, 32768);
  int rc = 0;
  if (q->zSeverity) {
    buf_puts(&f, " AND \"");
    search_facet(&f, 's', enum_index(azSeverity, q->zSeverity) + 1);
    buf_putc(&f, '"');
  }
  if (q->zCategory) {
    buf_puts(&f, " AND \"");
    search_facet(&f, 'c', enum_index(azRootCause, q->zCategory));
    buf_putc(&f, '"');
  }
  if (q->zTag) {
    buf_puts(&f, " AND \"");
    search_facet_tag(&f, q->zTag);
    buf_putc(&f, '"');
  }
  if (q->zComponent) {
    DbStmt *p =
        db_prepare("SELECT id FROM components WHERE name = :name");
    if (!p) {
      rc = E_DB;
      goto done;
    }
    db_bind_text(p, ":name", q->zComponent);
    if (db_step(p) == DB_ROW) {
      buf_puts(&f, " AND \"");
      search_facet(&f, 'p', db_col_int(p, 0));
      buf_putc(&f, '"');
    } else {
      pPlan->bNone = 1;
    }
    db_reset(p);
  }
  if (q->fromMs != INT64_MIN || q->toMs != INT64_MIN) {
    /* The days that can hold a match, as facets: from the first bound's
    ** day (or the first incident's) to the last. A bound inside a day
    ** keeps that day and started_at is checked too. */
    int64_t first = incident_start(0), last = incident_start(1);
    int bFromPart = q->fromMs != INT64_MIN && q->fromMs % DAY_MS != 0;
    int bToPart = q->toMs != INT64_MIN && q->toMs % DAY_MS != 0;
    pPlan->bDates = bFromPart || bToPart;
    pPlan->fromMs = q->fromMs; /* INT64_MIN: none */
    pPlan->toMs = q->toMs == INT64_MIN ? INT64_MAX : q->toMs;
    if (first == INT64_MIN) {
      pPlan->bNone = 1; /* no incidents */
    } else {
      int64_t dLo = day_of(first), dHi = day_of(last) + 1;
      if (q->fromMs != INT64_MIN && day_of(q->fromMs) > dLo) {
        dLo = day_of(q->fromMs);
      }
      if (q->toMs != INT64_MIN && day_of(q->toMs) + bToPart < dHi) {
        dHi = day_of(q->toMs) + bToPart;
      }
      if (dLo >= dHi) {
        pPlan->bNone = 1;
      } else if (!plan_dates(dLo, dHi, &f)) {
        pPlan->bDates = 1; /* too many days to name: check them all */
      }
    }
  }
  if (buf_err(&f)) {
    rc = E_DB;
  } else if (f.n > 0) {
    buf_puts(&pPlan->facets, " AND {facets} : (");
    buf_puts(&pPlan->facets, buf_str(&f) + 5); /* past the first " AND " */
    buf_putc(&pPlan->facets, ')');
  }
done:
  buf_free(&f);
  return rc;
}

static void plan_free(Plan *pPlan) {
  buf_free(&pPlan->query);
  buf_free(&pPlan->facets);
  buf_free(&pPlan->words);
  buf_free(&pPlan->text);
}

/* Plans q: 0 or E_DB; pPlan->bNone when nothing can match. Free it with
** plan_free() either way. */
static int plan_build(Plan *pPlan, const SearchQuery *q, const Term *aTerm,
                      int nTerm) {
  memset(pPlan, 0, sizeof(*pPlan));
  buf_init(&pPlan->text, 65536);
  buf_init(&pPlan->words, 65536);
  buf_init(&pPlan->facets, 65536);
  buf_init(&pPlan->query, 131072);
  int rc = search_rank_ready();
  if (rc == 0) {
    rc = plan_filters(pPlan, q);
  }
  Buf terms;
  buf_init(&terms, 65536);
  for (int k = 0; k < nTerm && rc == 0 && !pPlan->bNone; k++) {
    rc = plan_term(pPlan, &aTerm[k], search_term_is_prefix(aTerm, k, nTerm));
  }
  if (rc == 0 && !pPlan->bNone) {
    buf_puts(&terms, buf_str(&pPlan->text));
    text_query(buf_str(&terms), &pPlan->text);
    buf_reset(&terms);
    buf_puts(&terms, buf_str(&pPlan->words));
    text_query(buf_str(&terms), &pPlan->words);
    buf_puts(&pPlan->query, buf_str(&pPlan->text));
    buf_puts(&pPlan->query, buf_str(&pPlan->facets));
    if (q->iType >= 0) {
      buf_puts(&pPlan->query, " AND {facets} : \"");
      search_facet(&pPlan->query, 'k', q->iType);
      buf_putc(&pPlan->query, '"');
    }
  }
  if (buf_err(&pPlan->text) || buf_err(&pPlan->words) ||
      buf_err(&pPlan->facets) ||
      buf_err(&pPlan->query) || buf_err(&terms)) {
    rc = E_DB; /* the caps hold SEARCH_TERMS_MAX terms: a bug */
  }
  buf_free(&terms);
  return rc;
}

/* Binds what every query of the plan takes: :q and the dates. */
static void bind_plan(DbStmt *p, const Plan *pPlan, const char *zQ) {
  db_bind_text(p, ":q", zQ);
  if (pPlan->bDates) {
    db_bind_int(p, ":from", pPlan->fromMs); /* INT64_MIN: no lower bound */
    db_bind_int(p, ":to", pPlan->toMs);
  }
}

typedef struct Ranked {
  int64_t rowid; /* the document */
  double score;  /* hs_rank(): lower is better */
} Ranked;

static int ranked_cmp(const void *a, const void *b) {
  const Ranked *x = a, *y = b;
  if (x->score != y->score) {
    return x->score < y->score ? -1 : 1;
  }
  return x->rowid < y->rowid ? -1 : x->rowid > y->rowid; /* as FTS5 */
}

/* Reads the iTier-th RANK_WINDOW newest matches (and one more, if any)
** with their scores into aOut. Returns how many, or E_DB. */
static int read_tier(Plan *pPlan, int iTier, Ranked *aOut) {
  DbStmt *p =
      pPlan->bDates
          ? db_prepare("SELECT rowid, hs_rank(search_index, :rank)"
                       " FROM search_index WHERE search_index MATCH :q"
                       " AND started_at >= :from AND started_at < :to"
                       " ORDER BY rowid DESC LIMIT :n OFFSET :off")
          : db_prepare("SELECT rowid, hs_rank(search_index, :rank)"
                       " FROM search_index WHERE search_index MATCH :q"
                       " ORDER BY rowid DESC LIMIT :n OFFSET :off");
  if (!p) {
    return E_DB;
  }
  bind_plan(p, pPlan, buf_str(&pPlan->query));
  sqlite3_stmt *pLite = db_lite_stmt(p);
  sqlite3_bind_pointer(pLite, sqlite3_bind_parameter_index(pLite, ":rank"),
                       &pPlan->rank, "hs_search_rank", NULL);
  db_bind_int(p, ":n", RANK_WINDOW + 1);
  db_bind_int(p, ":off", (int64_t)iTier * RANK_WINDOW);
  int n = 0, rc;
  while ((rc = db_step(p)) == DB_ROW && n <= RANK_WINDOW) {
    aOut[n].rowid = db_col_int(p, 0);
    aOut[n].score = db_col_double(p, 1);
    n++;
  }
  db_reset(p);
  return rc == DB_ROW || rc == DB_DONE ? n : E_DB;
}

/*
** Fills aPage with the ranked matches from q->offset on, up to
** q->limit + 1 (one more tells there is a next page). Returns how many, or
** E_DB; *pbWindow is set when the matches were more than one window.
*/
static int rank_page(Plan *pPlan, const SearchQuery *q, Ranked *aPage,
                     int *pbWindow) {
  Ranked *aTier = xmalloc(sizeof(Ranked) * (RANK_WINDOW + 1));
  int iTier = q->offset / RANK_WINDOW, iFrom = q->offset % RANK_WINDOW;
  int nPage = 0, nWant = q->limit + 1;
  *pbWindow = 0;
  for (;;) {
    int n = read_tier(pPlan, iTier, aTier);
    if (n < 0) {
      nPage = n;
      break;
    }
    *pbWindow |= iTier > 0 && n > 0;
    int bMore = n > RANK_WINDOW;
    if (bMore) {
      n = RANK_WINDOW;
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

/*
** Counts the matches of each type, the type filter aside, into pCounts
** ({incident: N, ...}) and sets *pbMore when there are more than
** COUNT_CAP: the counts are then those of the newest COUNT_CAP (the
** matches the first window ranks, when no type is chosen). Counting each
** type to its own cap would read the whole match set when one type is
** rare in it. 0 or E_DB.
*/
static int count_types(Plan *pPlan, json_t *pCounts, int *pbMore) {
  Buf f;
  buf_init(&f, 131072);
  buf_puts(&f, buf_str(&pPlan->text));
  buf_puts(&f, buf_str(&pPlan->facets));
  DbStmt *p =
      pPlan->bDates
          ? db_prepare("SELECT rowid FROM search_index"
                       " WHERE search_index MATCH :q"
                       " AND started_at >= :from AND started_at < :to"
                       " ORDER BY rowid DESC LIMIT :n")
          : db_prepare("SELECT rowid FROM search_index"
                       " WHERE search_index MATCH :q"
                       " ORDER BY rowid DESC LIMIT :n");
  if (!p || buf_err(&f)) {
    buf_free(&f);
    return E_DB;
  }
  bind_plan(p, pPlan, buf_str(&f));
  db_bind_int(p, ":n", COUNT_CAP + 1);
  int64_t an[4] = {0, 0, 0, 0};
  int n = 0, rc;
  while ((rc = db_step(p)) == DB_ROW) {
    if (n++ < COUNT_CAP) {
      an[db_col_int(p, 0) & 3]++;
    }
  }
  db_reset(p);
  buf_free(&f);
  for (int t = 0; azSearchType[t]; t++) {
    json_object_set_new(pCounts, azSearchType[t], json_integer(an[t]));
  }
  *pbMore = n > COUNT_CAP;
  return rc == DB_DONE ? 0 : E_DB;
}

/* Builds the hit for the current row of p (rowid, incident_id, title,
** highlighted title, snippet) scored rank: its snippet, title and links.
** NEW. */
static json_t *hit_json(DbStmt *p, double rank) {
  return search_hit_json(db_col_int(p, 0), db_col_int(p, 1),
                         db_col_text(p, 2), db_col_text(p, 3),
                         db_col_text(p, 4), rank);
}

json_t *search_hit_json(int64_t rowid, int64_t incidentId,
                        const char *zTitle, const char *zTitleMarked,
                        const char *zSnippet, double rank) {
  int iType = (int)(rowid & 3);
  int64_t id = rowid >> 2;
  Buf title, snip;
  buf_init(&title, (size_t)1 << 20);
  buf_init(&snip, (size_t)1 << 20);
  search_snippet_html(zTitleMarked, &title);
  search_snippet_html(zSnippet, &snip);
  char zUrl[96];
  switch (iType) {
  case 0:
    snprintf(zUrl, sizeof(zUrl), "/app/incidents/%lld", (long long)id);
    break;
  case 1:
    snprintf(zUrl, sizeof(zUrl), "/app/incidents/%lld/postmortem",
             (long long)incidentId);
    break;
  case 2:
    snprintf(zUrl, sizeof(zUrl), "/app/incidents/%lld#e%lld",
             (long long)incidentId, (long long)id);
    break;
  default:
    snprintf(zUrl, sizeof(zUrl), "/app/actions?incident=%lld",
             (long long)incidentId);
    break;
  }
  /* bm25 is negative, lower is better; the score reads higher is better. */
  double score = (double)(int64_t)(-rank * 1e6 + 0.5) / 1e6;
  json_t *pHit = json_pack(
      "{s:s, s:I, s:I, s:s, s:s, s:f, s:s, s:s}", "type", azSearchType[iType],
      "id", (json_int_t)id, "incident_id", (json_int_t)incidentId, "title",
      zTitle, "snippet", buf_err(&snip) ? "" : buf_str(&snip),
      "score", score, "title_html", buf_err(&title) ? "" : buf_str(&title),
      "url", zUrl);
  buf_free(&snip);
  buf_free(&title);
  DbStmt *q = db_prepare("SELECT i.title, p.status FROM incidents i"
                               " LEFT JOIN postmortems p"
                               " ON p.incident_id = i.id WHERE i.id = :id");
  if (q) {
    db_bind_int(q, ":id", incidentId);
    if (db_step(q) == DB_ROW) {
      json_object_set_new(pHit, "incident_title",
                          json_string(db_col_text(q, 0)));
      if (iType == 1) {
        json_object_set_new(pHit, "status", json_string(db_col_text(q, 1)));
        char zPmTitle[320];
        snprintf(zPmTitle, sizeof(zPmTitle), "Postmortem: %.300s",
                 db_col_text(q, 0));
        json_object_set_new(pHit, "title", json_string(zPmTitle));
      }
    }
    db_reset(q);
  }
  return pHit;
}

#define HIT_LOOKUP 200 /* a lookup by rowid costs about as many rows read */

/*
** Appends the hits for aPage[0..nPage) to pHits, in that order. Snippets
** come from the text-only query, so they never look at the facets. Either
** one statement reads the page's rowid range, or each hit is looked up
** (a lookup reads every index segment, and each statement merges the
** doclists of a prefix query first): whichever reads less. 0 or E_DB.
*/
static int load_hits(Plan *pPlan, const Ranked *aPage, int nPage,
                     json_t *pHits) {
  if (nPage == 0) {
    return 0;
  }
  json_t **apHit = xcalloc((size_t)nPage, sizeof(json_t *));
  int64_t lo = aPage[0].rowid, hi = aPage[0].rowid;
  Buf ids;
  buf_init(&ids, 4096);
  buf_putc(&ids, '[');
  for (int i = 0; i < nPage; i++) {
    lo = aPage[i].rowid < lo ? aPage[i].rowid : lo;
    hi = aPage[i].rowid > hi ? aPage[i].rowid : hi;
    buf_printf(&ids, "%s%lld", i ? "," : "", (long long)aPage[i].rowid);
  }
  buf_putc(&ids, ']');
  /* Rows the text query reads in [lo, hi]: about those of its cheapest
  ** term, spread evenly. (A phrase reads every document holding all its
  ** words, however few hold the phrase.) */
  int64_t nMin = pPlan->aScan[0];
  for (int g = 1; g < pPlan->rank.nGroup; g++) {
    nMin = pPlan->aScan[g] < nMin ? pPlan->aScan[g] : nMin;
  }
  plan_span(pPlan);
  double est = (double)nMin * (double)(hi - lo + 1) /
               (double)(pPlan->maxRow - pPlan->minRow + 1);
  double nMerge = (double)pPlan->nMerge;
  int rc = 0;
  if (nMerge + est <= nPage * (HIT_LOOKUP + nMerge)) {
    DbStmt *p = db_prepare(
        "SELECT rowid, incident_id, title, highlight(search_index, 0,"
        " char(1), char(2)), snippet(search_index, -1, char(1), char(2),"
        " '…', 24) FROM search_index WHERE search_index MATCH :q"
        " AND rowid >= :lo AND rowid <= :hi"
        " AND +rowid IN (SELECT value FROM json_each(:ids))");
    rc = p && !buf_err(&ids) ? 0 : E_DB;
    if (rc == 0) {
      db_bind_text(p, ":q", buf_str(&pPlan->words));
      db_bind_int(p, ":lo", lo);
      db_bind_int(p, ":hi", hi);
      db_bind_text(p, ":ids", buf_str(&ids));
      while ((rc = db_step(p)) == DB_ROW) {
        int64_t rowid = db_col_int(p, 0);
        for (int i = 0; i < nPage; i++) {
          if (aPage[i].rowid == rowid && !apHit[i]) {
            apHit[i] = hit_json(p, aPage[i].score);
            break;
          }
        }
      }
      rc = rc == DB_DONE ? 0 : E_DB;
      db_reset(p);
    }
  } else {
    for (int i = 0; i < nPage && rc == 0; i++) {
      DbStmt *p = db_prepare(
          "SELECT rowid, incident_id, title, highlight(search_index, 0,"
          " char(1), char(2)), snippet(search_index, -1, char(1), char(2),"
          " '…', 24) FROM search_index WHERE search_index MATCH :q"
          " AND rowid = :rowid");
      if (!p) {
        rc = E_DB;
        break;
      }
      db_bind_text(p, ":q", buf_str(&pPlan->words));
      db_bind_int(p, ":rowid", aPage[i].rowid);
      if (db_step(p) == DB_ROW) {
        apHit[i] = hit_json(p, aPage[i].score);
      }
      db_reset(p);
    }
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

/* Bytes of the English inflection ending word z (n bytes) to drop for a
** second try ("balancers" -> "balancer", "rolled" -> "roll", "failing" ->
** "fail"), or 0. What is left keeps 3 or more characters. */
static size_t inflection(const char *z, size_t n) {
  static const char *const azEnd[] = {"ing", "ed", "s", NULL};
  for (int i = 0; azEnd[i]; i++) {
    size_t k = strlen(azEnd[i]);
    if (n < k + 3 || strncasecmp(z + n - k, azEnd[i], k) != 0) {
      continue;
    }
    if (k == 1 && (z[n - 2] == 's' || z[n - 2] == 'S')) {
      return 0; /* "class", "address" */
    }
    return k;
  }
  return 0;
}

/* Drops the inflection of every bare one-word term, which is then matched
** as a prefix ("roll" finds "rolled" and "rolling"). 1 if any changed. */
int search_terms_stem(Term *aTerm, int nTerm) {
  int bChanged = 0;
  for (int k = 0; k < nTerm; k++) {
    Term *t = &aTerm[k];
    if (t->bQuoted || t->nWord != 1) {
      continue;
    }
    size_t nDrop = inflection(t->azWord[0], t->anWord[0]);
    if (nDrop) {
      t->anWord[0] -= nDrop;
      t->nLastChars -= (int)nDrop;
      t->bStemmed = 1;
      bChanged = 1;
    }
  }
  return bChanged;
}

int search_run(const SearchQuery *q, json_t **ppOut) {
  *ppOut = NULL;
  Term aTerm[SEARCH_TERMS_MAX];
  int nTerm = search_terms_parse(q->zQ, aTerm);
  json_t *pHits = json_array();
  json_t *pOut = json_pack("{s:o, s:n, s:n}", "hits", pHits, "next_cursor",
                           "window");
  json_t *pCounts = json_object();
  for (int t = 0; azSearchType[t]; t++) {
    json_object_set_new(pCounts, azSearchType[t], json_integer(0));
  }
  int rc = 0, bMore = 0, bSnapshot = 0;
  Plan plan;
  memset(&plan, 0, sizeof(plan));
  Ranked *aPage = NULL;
  if (nTerm == 0) {
    json_object_clear(pCounts); /* nothing was searched */
    goto done;
  }
  /* Reads must work on a full disk: if the queue cannot be indexed now,
  ** search what is indexed; the queue is kept for the next flush. A queue
  ** longer than a batch is the background indexer's: say how long. */
  int64_t nPending = 0;
  if (search_flush(&nPending)) {
    fprintf(stderr, "hindsight: search index is behind (flush failed)\n");
  }
  if (nPending > 0) {
    json_object_set_new(pOut, "indexing",
                        json_pack("{s:I}", "pending", (json_int_t)nPending));
  }
  /* One snapshot for every statement below, so that the vocabulary, the
  ** ranking and the hits agree while another thread flushes. */
  if (db_is_pg()) {
    bSnapshot = !db_in_transaction() &&
                db_exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY") ==
                    0;
    rc = search_pg_run(q, aTerm, nTerm, pOut, pCounts, &bMore);
    goto done;
  }
  sqlite3 *db = db_conn();
  if (db && sqlite3_get_autocommit(db)) {
    bSnapshot = db_exec("BEGIN") == 0;
  }
  rc = plan_build(&plan, q, aTerm, nTerm);
  /* Nothing holds the words as typed: try them without their endings
  ** ("balancers" finds "balancer"). Exact words rank first because this
  ** runs only when they match nothing. */
  if (rc == 0 && plan.bNone && search_terms_stem(aTerm, nTerm)) {
    plan_free(&plan);
    memset(&plan, 0, sizeof(plan));
    rc = plan_build(&plan, q, aTerm, nTerm);
    json_object_set_new(pOut, "stemmed", json_true());
  } else if (rc == 0 && plan.bStemmed) {
    json_object_set_new(pOut, "stemmed", json_true());
  }
  if (rc || plan.bNone) {
    goto done;
  }
  aPage = xmalloc(sizeof(Ranked) * (size_t)(q->limit + 1));
  int bWindow = 0;
  int nRow = rank_page(&plan, q, aPage, &bWindow);
  if (nRow < 0) {
    rc = nRow;
    goto done;
  }
  rc = load_hits(&plan, aPage, nRow > q->limit ? q->limit : nRow, pHits);
  if (rc) {
    goto done;
  }
  if (nRow > q->limit) {
    char zNext[24];
    snprintf(zNext, sizeof(zNext), "%d", q->offset + q->limit);
    json_object_set_new(pOut, "next_cursor", json_string(zNext));
  }
  if (bWindow) {
    json_object_set_new(pOut, "window", json_integer(RANK_WINDOW));
  }
  if (q->bCounts) {
    rc = count_types(&plan, pCounts, &bMore);
  }
done:
  if (q->bCounts) {
    json_object_set_new(pOut, "counts", pCounts);
    if (bMore) {
      json_object_set_new(pOut, "counts_of", json_integer(COUNT_CAP));
    }
  } else {
    json_decref(pCounts);
  }
  free(aPage);
  plan_free(&plan);
  if (bSnapshot && db_exec("COMMIT")) {
    db_rollback();
  }
  if (rc) {
    json_decref(pOut);
    return rc;
  }
  *ppOut = pOut;
  return 0;
}

/* The handler ---------------------------------------------------------- */

/* An optional query argument: NULL when absent or empty. */
static const char *query_arg(Req *r, const char *zName) {
  const char *z = req_query(r, zName);
  return z && *z ? z : NULL;
}

/* Reads a time filter: a date or RFC 3339 time. */
static int query_time(Req *r, const char *zName, int bEndOfDay,
                      int64_t *pMs) {
  const char *z = query_arg(r, zName);
  *pMs = INT64_MIN;
  if (!z) {
    return 0;
  }
  size_t n = strlen(z);
  int64_t ms;
  if (utc_parse_iso(z, n, &ms)) {
    return req_fail(r, E_INVALID,
                    "%s: must be a date (YYYY-MM-DD) or an RFC 3339 time",
                    zName);
  }
  /* "to=2026-03-31" includes that day. */
  *pMs = bEndOfDay && n == 10 ? ms + 86400000 : ms;
  return 0;
}

static int query_int(Req *r, const char *zName, int lo, int hi, int *pV) {
  const char *z = query_arg(r, zName);
  if (!z) {
    return 0;
  }
  char *zEnd = NULL;
  long v = strtol(z, &zEnd, 10);
  if (*zEnd || v < lo || v > hi || strlen(z) > 9) {
    return req_fail(r, E_INVALID, "%s: must be a number from %d to %d",
                    zName, lo, hi);
  }
  *pV = (int)v;
  return 0;
}

/* Choices for the filter form. */
static void add_filter_choices(Req *r, const SearchQuery *q) {
  json_t *pComponents = json_array();
  DbStmt *p =
      db_prepare("SELECT name FROM components ORDER BY position, name");
  if (p) {
    while (db_step(p) == DB_ROW) {
      json_array_append_new(pComponents, json_string(db_col_text(p, 0)));
    }
    db_reset(p);
  }
  json_object_set_new(r->pView, "components", pComponents);
  json_object_set_new(r->pView, "types", enum_json(azSearchType));
  json_object_set_new(r->pView, "severities", enum_json(azSeverity));
  json_object_set_new(r->pView, "categories", enum_json(azRootCause));
  (void)q;
}

/* The HTML view of the hits: snippets as trusted HTML (escaped above,
** only <mark> added), counts as a list. */
static void add_hits_view(Req *r, json_t *pResult, const SearchQuery *q) {
  json_t *pHits = json_array();
  size_t i;
  json_t *pHit;
  json_array_foreach(json_object_get(pResult, "hits"), i, pHit) {
    json_t *pCopy = json_copy(pHit);
    json_object_set_new(pCopy, "snippet",
                        md_trusted_html(json_string_value(
                            json_object_get(pHit, "snippet"))));
    json_object_set_new(pCopy, "title_html",
                        md_trusted_html(json_string_value(
                            json_object_get(pHit, "title_html"))));
    json_array_append_new(pHits, pCopy);
  }
  json_object_set_new(r->pView, "hits", pHits);
  /* Over the cap the counts are those of the newest matches: the total
  ** reads "1000+" and the page says so. */
  json_t *pCounts = json_array();
  json_int_t nTotal = 0;
  json_t *pObj = json_object_get(pResult, "counts");
  for (int t = 0; azSearchType[t]; t++) {
    json_int_t n = json_integer_value(json_object_get(pObj, azSearchType[t]));
    nTotal += n;
    json_array_append_new(
        pCounts, json_pack("{s:s, s:I, s:b}", "type", azSearchType[t], "count",
                           n, "active", q->iType == t));
  }
  json_object_set_new(r->pView, "counts", pCounts);
  json_t *pOf = json_object_get(pResult, "counts_of");
  json_object_set_new(r->pView, "total",
                      pOf ? json_sprintf("%lld+", (long long)nTotal)
                          : json_integer(nTotal));
  json_object_set(r->pView, "counts_of", pOf ? pOf : json_null());
  json_object_set_new(r->pView, "stemmed",
                  json_boolean(json_is_true(json_object_get(pResult, "stemmed"))));
}

/* Every argument must be valid UTF-8 (they are echoed as JSON). */
static int check_args(Req *r) {
  static const char *const azArg[] = {"q",   "type",     "component",
                                      "tag", "severity", "category",
                                      "from", "to",      NULL};
  for (int i = 0; azArg[i]; i++) {
    const char *z = req_query(r, azArg[i]);
    if (z && !utf8_valid(z, strlen(z))) {
      return req_fail(r, E_INVALID, "%s: is not valid UTF-8", azArg[i]);
    }
    if (z && i > 0 && strlen(z) > 200) {
      return req_fail(r, E_INVALID, "%s: is too long", azArg[i]);
    }
  }
  return 0;
}

/* The bytes of z to echo: at most SEARCH_INPUT_MAX, on a character
** boundary (what the parser read). */
static size_t echo_len(const char *z) {
  size_t n = strnlen(z, SEARCH_INPUT_MAX + 1);
  if (n > SEARCH_INPUT_MAX) {
    n = SEARCH_INPUT_MAX;
    while (n > 0 && ((unsigned char)z[n] & 0xC0) == 0x80) {
      n--;
    }
  }
  return n;
}

int search_get(Req *r) {
  int rc = check_args(r);
  if (rc) {
    return rc;
  }
  SearchQuery q;
  memset(&q, 0, sizeof(q));
  q.zQ = req_query(r, "q");
  q.iType = -1;
  q.limit = 20;
  q.fromMs = q.toMs = INT64_MIN;
  const char *zType = query_arg(r, "type");
  if (zType) {
    q.iType = enum_index(azSearchType, zType);
    if (q.iType < 0) {
      return req_fail(r, E_INVALID, "type: must be one of incident,"
                                    " postmortem, event, action");
    }
  }
  q.zComponent = query_arg(r, "component");
  q.zSeverity = query_arg(r, "severity");
  if (q.zSeverity && enum_index(azSeverity, q.zSeverity) < 0) {
    return req_fail(r, E_INVALID, "severity: must be SEV1 to SEV4");
  }
  q.zCategory = query_arg(r, "category");
  if (q.zCategory && enum_index(azRootCause, q.zCategory) < 0) {
    return req_fail(r, E_INVALID, "category: not a root-cause category");
  }
  q.zTag = query_arg(r, "tag");
  rc = query_time(r, "from", 0, &q.fromMs);
  if (rc == 0) {
    rc = query_time(r, "to", 1, &q.toMs);
  }
  if (rc == 0) {
    rc = query_int(r, "limit", 1, 100, &q.limit);
  }
  if (rc == 0) {
    rc = query_int(r, "cursor", 0, SEARCH_OFFSET_MAX, &q.offset);
  }
  if (rc) {
    return rc;
  }
  q.bCounts = !r->bJsonOut;
  json_t *pResult = NULL;
  rc = search_run(&q, &pResult);
  if (rc) {
    return rc;
  }
  const char *zQ = q.zQ ? q.zQ : "";
  r->pModel = json_pack("{s:s%, s:O, s:O, s:O}", "query", zQ,
                        echo_len(zQ), "hits",
                        json_object_get(pResult, "hits"), "next_cursor",
                        json_object_get(pResult, "next_cursor"), "window",
                        json_object_get(pResult, "window"));
  json_t *pIndexing = json_object_get(pResult, "indexing");
  if (pIndexing) {
    json_object_set(r->pModel, "indexing", pIndexing);
  }
  if (json_is_true(json_object_get(pResult, "stemmed"))) {
    json_object_set_new(r->pModel, "stemmed", json_true());
  }
  if (!r->bJsonOut) {
    if (!r->pView) {
      r->pView = json_object();
    }
    add_hits_view(r, pResult, &q);
    add_filter_choices(r, &q);
    json_object_set_new(
        r->pView, "filter",
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "type",
                  zType ? zType : "", "component",
                  q.zComponent ? q.zComponent : "", "severity",
                  q.zSeverity ? q.zSeverity : "", "category",
                  q.zCategory ? q.zCategory : "", "tag",
                  q.zTag ? q.zTag : "", "from",
                  query_arg(r, "from") ? query_arg(r, "from") : "", "to",
                  query_arg(r, "to") ? query_arg(r, "to") : "", "searched",
                  q.zQ && *q.zQ));
  }
  json_decref(pResult);
  r->zTemplate = "search";
  r->zTitle = "Search";
  return 0;
}
