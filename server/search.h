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
** Brings the index up to date (search_flush) and runs q. *ppOut gets a
** NEW object {hits: [...], next_cursor, counts?}; hits have the SPEC §4
** shape plus incident_title, title_html, url and, for postmortems, status.
** Returns 0 or E_DB.
*/
int search_run(const SearchQuery *q, json_t **ppOut);

/* Indexes every queued document (see schema/005_search.sql) in short
** write transactions. Cheap when nothing is queued. 0 or E_DB. */
int search_flush(void);

#endif
