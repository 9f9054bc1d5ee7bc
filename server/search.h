/*
** search.h: the knowledge base. Full-text search over incidents,
** postmortems, timeline notes and action items (/app/search and
** GET /api/v1/search), similar past incidents on an incident page, and the
** recurring-causes view (/app/insights).
*/
#ifndef HS_SEARCH_H
#define HS_SEARCH_H

#include <jansson.h>
#include <stdint.h>

#include "buf.h"
#include "http.h"

#define SEARCH_INPUT_MAX 1024 /* bytes of a typed query that are read */
#define SEARCH_TERMS_MAX 16   /* terms (words or phrases) kept */

int search_get(Req *r);      /* GET /app/search, /api/v1/search */
int search_insights(Req *r); /* GET /app/insights */

/* Adds "similar" (an array, possibly empty) to r->pView for incident
** pIncident (its API shape, BORROWED): past incidents that share title
** words, components, root-cause category, tags or error signals, best
** first, each with its reasons. 0 or E_DB. */
int search_similar_view(Req *r, json_t *pIncident);

/*
** Turns what a person typed into an FTS5 query that cannot fail to parse:
** words (letters and digits, Unicode included) are quoted, words joined by
** punctuation ("a-b", "col:x") and "quoted text" become phrases, the last
** bare term becomes a prefix query when its last word has 2 or more
** characters, and terms are joined with AND. Only the first
** SEARCH_INPUT_MAX bytes and SEARCH_TERMS_MAX terms are used; invalid UTF-8
** is a separator. Appends the query to pOut (a Buf of at least 8 KiB cap).
** Returns the number of terms: 0 means nothing searchable (pOut untouched).
** Pure; does not touch the database.
*/
int search_parse(const char *zIn, Buf *pOut);

/*
** Appends to pOut the HTML of an FTS5 snippet whose matches are delimited
** by \x01 and \x02: text is escaped as {{x}} does, \x01 and \x02 become
** balanced <mark> and </mark>, other control bytes are dropped. Pure.
*/
void search_snippet_html(const char *z, Buf *pOut);

/*
** Writes into pOut the text of Markdown z for the index: HTML comments
** (the template's prompts) and our generated-section markers removed. Pure.
*/
void search_plain(const char *z, Buf *pOut);

/* What search_run looks for. Strings are BORROWED; NULL means "any". */
typedef struct SearchQuery {
  const char *zQ;         /* what was typed */
  int iType;              /* -1 any, else 0 incident .. 3 action */
  const char *zComponent; /* component name */
  const char *zSeverity;  /* SEV1..SEV4 */
  const char *zCategory;  /* root-cause category */
  const char *zTag;       /* postmortem tag (case-insensitive) */
  int64_t fromMs;         /* incident started at or after; INT64_MIN any */
  int64_t toMs;           /* incident started before; INT64_MIN any */
  int limit;              /* 1..100 */
  int offset;             /* 0..SEARCH_OFFSET_MAX */
  int bCounts;            /* also count the hits of each type */
} SearchQuery;

#define SEARCH_OFFSET_MAX 10000

/* The document types, by the low two bits of an index rowid. */
extern const char *const azSearchType[];

/*
** Applies a short queue (search_flush) and runs q. *ppOut gets a
** NEW object {hits: [...], next_cursor, window, counts?, indexing?}; hits
** have the SPEC §4 shape plus incident_title, title_html, url and, for
** postmortems, status. indexing, {pending: N}, is there only while N
** documents wait for the background indexer: hits then come from what is
** indexed. Returns 0 or E_DB.
*/
int search_run(const SearchQuery *q, json_t **ppOut);

/*
** Brings the index up to date if the queue (see schema/005_search.sql)
** fits in one batch: indexes it in one short write transaction, keeping
** search_terms in step (008). A longer queue is left to the background
** indexer: a request never indexes more than one batch. Sets *pnPending to
** the documents still queued (0 normally; the count before, on error).
** Cheap when nothing is queued. 0 or E_DB (E_TOOBIG for a document over
** 4 MiB).
*/
int search_flush(int64_t *pnPending);

/* Indexes the whole queue in batches, one write transaction each, then
** merges the index's segments in steps after a bulk (5,000+ documents).
** For tools and benchmarks; `serve` leaves this to the indexer. 0 or E_DB. */
int search_flush_all(void);

/* Starts the background indexer (see search_index.c). Call from the main
** thread after db_setup(), not on a read-only database. 0 or E_IO. */
int search_indexer_start(void);
/* Asks the indexer to stop and waits for it (a batch in progress commits
** first: well under a second). Call before the database is closed. Safe
** if search_indexer_start() failed or was not called. */
void search_indexer_stop(void);

/* Shared by the search*.c files only --------------------------------------- */

#define SEARCH_WORD_MAX 64     /* bytes of one query word */
#define SEARCH_PHRASE_WORDS 8  /* words of one phrase */
#define SEARCH_RANK_WINDOW 1000 /* matches ranked together */
#define SEARCH_COUNT_CAP 1000   /* counts per type stop above this */

/* One term of what was typed: a word, or the words of a phrase. */
typedef struct SearchTerm {
  int bQuoted;                  /* came from "quoted text" */
  int nWord;                    /* entries used in azWord/anWord */
  const char *azWord[SEARCH_PHRASE_WORDS]; /* BORROWED from the input */
  size_t anWord[SEARCH_PHRASE_WORDS];      /* bytes of each word */
  int nLastChars;               /* characters in the last word */
  int bStemmed;                 /* its ending dropped: matched as a prefix */
} SearchTerm;

/* Reads the terms of what was typed into aTerm (SEARCH_TERMS_MAX entries;
** words BORROWED from zIn). Returns how many. Pure. */
int search_terms_parse(const char *zIn, SearchTerm *aTerm);
/* Whether term k of nTerm is searched as a prefix. */
int search_term_is_prefix(const SearchTerm *aTerm, int k, int nTerm);
/* Drops the inflection of every bare one-word term, then matched as a
** prefix (the second try when nothing matched). 1 if any changed. */
int search_terms_stem(SearchTerm *aTerm, int nTerm);

/* Compounds people write both ways: the word, its two parts. */
#define SEARCH_COMPOUNDS 14
extern const char *const azSearchCompound[SEARCH_COMPOUNDS][3];

/* The hit (API shape) for index row rowid of incidentId: zTitle plain,
** zTitleMarked and zSnippet with matches between \x01 and \x02; rank is
** lower-is-better (the score reads -rank). NEW. */
json_t *search_hit_json(int64_t rowid, int64_t incidentId,
                        const char *zTitle, const char *zTitleMarked,
                        const char *zSnippet, double rank);

/* The index's text columns, for queries built from arbitrary words. The
** queries search.c builds need no filter: facet tokens begin with U+2170,
** which the parser above always treats as a separator, so no typed word
** equals a facet token. (tests/unit/test_search.c holds the parser to it.) */
#define SEARCH_TEXT_COLUMNS "{title root_cause body}"
/* Phrases one term may be written as (a prefix spelled out as words). */
#define SEARCH_TERM_PHRASES 32
/* Phrases a one-word term adds for its stems (search.c, stem_alts). */
#define SEARCH_STEM_PHRASES 5
/* ... and one more per term: the phrase of its word pairs (a filter). */
#define SEARCH_PHRASES_MAX \
  (SEARCH_TERMS_MAX * (SEARCH_TERM_PHRASES + 1 + SEARCH_STEM_PHRASES))
/* aGroup of a phrase that only filters (word pairs): not ranked. */
#define SEARCH_RANK_SKIP 0xFF

/* Called with each token, as the index's tokenizer emits it (folded,
** capped at the 32 KiB FTS5 keeps). Returns SQLITE_OK to go on. */
typedef int (*SearchTokenFn)(void *pCtx, const char *zToken, int nToken);
/* The same with the token's byte offsets in the text: [iStart, iEnd). */
typedef int (*SearchTokenAtFn)(void *pCtx, const char *zToken, int nToken,
                               int iStart, int iEnd);

/*
** Runs the index's tokenizer (unicode61 remove_diacritics 2) over the n
** bytes at z, as a query (bQuery) or as a document, calling xToken per
** token. 0, or E_DB if FTS5 is not reachable or xToken failed.
*/
int search_tokenize(const char *z, int n, int bQuery, SearchTokenFn xToken,
                    void *pCtx);
/* search_tokenize() of a document, with offsets. */
int search_tokenize_at(const char *z, int n, SearchTokenAtFn xToken,
                       void *pCtx);

/* PostgreSQL (search_pg.c) ------------------------------------------------ */

/* Bytes of a stem token as PostgreSQL's index spells it, at most. */
#define SEARCH_PG_STEM_MAX (SEARCH_WORD_MAX + 8)
/* Respells stem token aStem (search_stem(): 0xF9 and letter bytes, not
** UTF-8, which PostgreSQL text refuses) as U+2171 and its letters into
** zOut (SEARCH_PG_STEM_MAX bytes); returns its length. */
int search_pg_stem(const char *aStem, int nStem, char *zOut);
/* Appends the tsvector text (cast with ::tsvector) of a document's title,
** root cause and body: each token of the index's tokenizer at its
** position with weight A, B or D, and its stem token beside it. */
void search_pg_tsv(const char *const azCol[3], Buf *pOut);
/* Appends the n bytes at z as an element of an array literal ("..." with
** backslash and double quote escaped). */
void search_pg_array_item(Buf *pOut, const char *z, int n);
/* Appends the tsvector text of facets (space-separated facet tokens). */
void search_pg_facet_tsv(const char *zFacets, Buf *pOut);
/* Appends the tsquery text of the OR of the words (each a phrase of its
** tokens). Returns how many words it holds. */
int search_pg_words_query(const char *const *azWord, int nWord, Buf *pOut);
/* search_run() on PostgreSQL after the flush: plans aTerm (nTerm >= 1),
** retries stemmed, and fills pOut (hits, next_cursor, window, stemmed),
** pCounts and *pbMore as search.c does on SQLite. 0 or E_DB. */
int search_pg_run(const SearchQuery *q, SearchTerm *aTerm, int nTerm,
                  json_t *pOut, json_t *pCounts, int *pbMore);

/*
** What hs_rank(search_index, :rank) needs, bound with
** sqlite3_bind_pointer(..., "hs_search_rank", NULL): the query's first
** nPhrase phrases are its text phrases, aGroup maps each to its term (or
** is SEARCH_RANK_SKIP for a phrase of word pairs, a filter only), and
** aDf is each term's document frequency. hs_rank fills aIdf and avgdl on
** its first row. hs_rank is bm25 with weights 10, 5, 1 over the text
** columns, exactly FTS5's bm25() when the frequencies are exact.
*/
typedef struct SearchRank {
  int nPhrase;                       /* text phrases, first in the query */
  unsigned char aGroup[SEARCH_PHRASES_MAX]; /* term of each phrase */
  unsigned char aShift[SEARCH_PHRASES_MAX]; /* instances count 1/2^shift:
                                            ** stems rank below the word */
  int nGroup;                        /* terms */
  int64_t aDf[SEARCH_TERMS_MAX];     /* documents matching each term */
  int bReady;                        /* aIdf and avgdl are set */
  double aIdf[SEARCH_TERMS_MAX];     /* bm25 idf of each term */
  double avgdl;                      /* mean text length, in tokens */
} SearchRank;

/* Documents holding the term (zTerm, nTerm bytes: a token as the
** tokenizer emits it) in their text columns, from search_terms; 0 if none
** or on error. */
int64_t search_term_docs(const char *zTerm, int nTerm);

/* Makes hs_rank() usable on this thread's connection. 0 or E_DB. */
int search_rank_ready(void);

/* Appends the facet token for kind cKind and value v (U+2170, the kind,
** the value): k type, s severity (1 for SEV1), c root-cause category
** (index in azRootCause), p component id, and the incident's start: y
** year, m month (YYYYMM), d day (YYYYMMDD). */
void search_facet(Buf *pOut, char cKind, int64_t v);
/* Appends the facet token for a postmortem tag (any case). */
void search_facet_tag(Buf *pOut, const char *zTag);

#endif
