/*
** search.c: the knowledge base. Turns typed text into safe FTS5 queries,
** ranks with bm25 (title 10, root cause 5, body 1), highlights snippets,
** and serves /app/search and GET /api/v1/search. The index is kept in step
** with its sources by search_index.c; similar incidents and the insights
** view live in search_similar.c and search_insights.c.
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

#include "db.h"
#include "err.h"
#include "input.h"
#include "md.h"
#include "tmpl.h"
#include "utc.h"

#define WORD_MAX 64     /* bytes of one query word */
#define PHRASE_WORDS 8  /* words of one phrase */

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

typedef struct Term {
  int bQuoted;                  /* came from "quoted text" */
  int nWord;                    /* entries used in azWord/anWord */
  const char *azWord[PHRASE_WORDS]; /* BORROWED from the input */
  size_t anWord[PHRASE_WORDS];  /* bytes of each word */
  int nLastChars;               /* characters in the last word */
} Term;

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

int search_parse(const char *zIn, Buf *pOut) {
  const unsigned char *z = (const unsigned char *)(zIn ? zIn : "");
  size_t n = strlen((const char *)z);
  if (n > SEARCH_INPUT_MAX) {
    n = SEARCH_INPUT_MAX; /* a cut character is just invalid UTF-8 */
  }
  Term aTerm[SEARCH_TERMS_MAX];
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
  for (int k = 0; k < nTerm; k++) {
    Term *t = &aTerm[k];
    if (k > 0) {
      buf_puts(pOut, " AND ");
    }
    buf_putc(pOut, '"');
    for (int w = 0; w < t->nWord; w++) {
      if (w > 0) {
        buf_putc(pOut, ' ');
      }
      buf_append(pOut, t->azWord[w], t->anWord[w]);
    }
    buf_putc(pOut, '"');
    if (k == nTerm - 1 && !t->bQuoted && t->nLastChars >= 2) {
      buf_putc(pOut, '*');
    }
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

static int any_filter(const SearchQuery *q) {
  return q->zComponent || q->zSeverity || q->zCategory || q->zTag ||
         q->fromMs != INT64_MIN || q->toMs != INT64_MIN;
}

static void bind_filters(sqlite3_stmt *p, const SearchQuery *q) {
  db_bind_text(p, ":component", q->zComponent);
  db_bind_text(p, ":severity", q->zSeverity);
  db_bind_text(p, ":category", q->zCategory);
  db_bind_text(p, ":tag", q->zTag);
  db_bind_opt_int(p, ":from", q->fromMs); /* INT64_MIN binds NULL */
  db_bind_opt_int(p, ":to", q->toMs);
}

/* The ranked page of rowids. Without incident filters the index alone
** answers; with them, each match joins its incident. */
static sqlite3_stmt *prepare_ranked(const SearchQuery *q) {
  sqlite3_stmt *p;
  if (!any_filter(q)) {
    p = db_prepare("SELECT rowid, rank FROM search_index"
                   " WHERE search_index MATCH :q"
                   " AND (:t < 0 OR rowid % 4 = :t)"
                   " ORDER BY rank LIMIT :limit OFFSET :offset");
  } else {
    p = db_prepare(
        "SELECT s.rowid, s.rank FROM search_index s"
        " CROSS JOIN incidents i ON i.id = s.incident_id"
        " WHERE search_index MATCH :q AND (:t < 0 OR s.rowid % 4 = :t)"
        " AND (:severity IS NULL OR i.severity = :severity)"
        " AND (:from IS NULL OR i.started_at >= :from)"
        " AND (:to IS NULL OR i.started_at < :to)"
        " AND (:component IS NULL OR EXISTS (SELECT 1"
        "  FROM incident_components ic JOIN components c"
        "  ON c.id = ic.component_id WHERE ic.incident_id = i.id"
        "  AND c.name = :component))"
        " AND (:category IS NULL OR EXISTS (SELECT 1 FROM postmortems p"
        "  WHERE p.incident_id = i.id AND p.root_cause_category = :category))"
        " AND (:tag IS NULL OR EXISTS (SELECT 1 FROM postmortems p,"
        "  json_each(p.tags) t WHERE p.incident_id = i.id"
        "  AND lower(t.value) = lower(:tag)))"
        " ORDER BY s.rank LIMIT :limit OFFSET :offset");
    if (p) {
      bind_filters(p, q);
    }
  }
  return p;
}

/* Hits per type, the type filter aside. NEW object {incident: N, ...}. */
static json_t *count_types(const SearchQuery *q, const char *zFts) {
  sqlite3_stmt *p;
  if (!any_filter(q)) {
    p = db_prepare("SELECT rowid % 4, count(*) FROM search_index"
                   " WHERE search_index MATCH :q GROUP BY 1");
  } else {
    p = db_prepare(
        "SELECT s.rowid % 4, count(*) FROM search_index s"
        " CROSS JOIN incidents i ON i.id = s.incident_id"
        " WHERE search_index MATCH :q"
        " AND (:severity IS NULL OR i.severity = :severity)"
        " AND (:from IS NULL OR i.started_at >= :from)"
        " AND (:to IS NULL OR i.started_at < :to)"
        " AND (:component IS NULL OR EXISTS (SELECT 1"
        "  FROM incident_components ic JOIN components c"
        "  ON c.id = ic.component_id WHERE ic.incident_id = i.id"
        "  AND c.name = :component))"
        " AND (:category IS NULL OR EXISTS (SELECT 1 FROM postmortems p"
        "  WHERE p.incident_id = i.id AND p.root_cause_category = :category))"
        " AND (:tag IS NULL OR EXISTS (SELECT 1 FROM postmortems p,"
        "  json_each(p.tags) t WHERE p.incident_id = i.id"
        "  AND lower(t.value) = lower(:tag)))"
        " GROUP BY 1");
    if (p) {
      bind_filters(p, q);
    }
  }
  json_t *pCounts = json_object();
  for (int i = 0; azSearchType[i]; i++) {
    json_object_set_new(pCounts, azSearchType[i], json_integer(0));
  }
  if (!p) {
    return pCounts;
  }
  db_bind_text(p, ":q", zFts);
  while (db_step(p) == SQLITE_ROW) {
    int t = (int)db_col_int(p, 0);
    if (t >= 0 && t < 4) {
      json_object_set_new(pCounts, azSearchType[t],
                          json_integer(db_col_int(p, 1)));
    }
  }
  db_reset(p);
  return pCounts;
}

/* Builds the hit for rowid: its snippet, title and links. NEW or NULL. */
static json_t *load_hit(int64_t rowid, double rank, const char *zFts) {
  sqlite3_stmt *p = db_prepare(
      "SELECT incident_id, title, highlight(search_index, 0, char(1),"
      " char(2)), snippet(search_index, -1, char(1), char(2), '…', 24)"
      " FROM search_index WHERE search_index MATCH :q AND rowid = :rowid");
  if (!p) {
    return NULL;
  }
  db_bind_text(p, ":q", zFts);
  db_bind_int(p, ":rowid", rowid);
  if (db_step(p) != SQLITE_ROW) {
    db_reset(p);
    return NULL;
  }
  int iType = (int)(rowid & 3);
  int64_t id = rowid >> 2, incidentId = db_col_int(p, 0);
  Buf title, snip;
  buf_init(&title, (size_t)1 << 20);
  buf_init(&snip, (size_t)1 << 20);
  search_snippet_html(db_col_text(p, 2), &title);
  search_snippet_html(db_col_text(p, 3), &snip);
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
      db_col_text(p, 1), "snippet", buf_err(&snip) ? "" : buf_str(&snip),
      "score", score, "title_html", buf_err(&title) ? "" : buf_str(&title),
      "url", zUrl);
  db_reset(p);
  buf_free(&snip);
  buf_free(&title);
  p = db_prepare("SELECT i.title, p.status FROM incidents i"
                 " LEFT JOIN postmortems p ON p.incident_id = i.id"
                 " WHERE i.id = :id");
  if (p) {
    db_bind_int(p, ":id", incidentId);
    if (db_step(p) == SQLITE_ROW) {
      json_object_set_new(pHit, "incident_title",
                          json_string(db_col_text(p, 0)));
      if (iType == 1) {
        json_object_set_new(pHit, "status", json_string(db_col_text(p, 1)));
        char zTitle[320];
        snprintf(zTitle, sizeof(zTitle), "Postmortem: %.300s",
                 db_col_text(p, 0));
        json_object_set_new(pHit, "title", json_string(zTitle));
      }
    }
    db_reset(p);
  }
  return pHit;
}

int search_run(const SearchQuery *q, json_t **ppOut) {
  *ppOut = NULL;
  Buf fts;
  buf_init(&fts, 8192);
  int nTerm = search_parse(q->zQ, &fts);
  json_t *pHits = json_array();
  json_t *pOut = json_pack("{s:o, s:n}", "hits", pHits, "next_cursor");
  int rc = 0;
  if (nTerm == 0 || buf_err(&fts)) {
    if (q->bCounts) {
      json_object_set_new(pOut, "counts", json_object());
    }
    goto done;
  }
  /* Reads must work on a full disk: if the queue cannot be indexed now,
  ** search what is indexed; the queue is kept for the next flush. */
  if (search_flush()) {
    fprintf(stderr, "hindsight: search index is behind (flush failed)\n");
  }
  const char *zFts = buf_str(&fts);
  sqlite3_stmt *p = prepare_ranked(q);
  if (!p) {
    rc = E_DB;
    goto done;
  }
  db_bind_text(p, ":q", zFts);
  db_bind_int(p, ":t", q->iType);
  db_bind_int(p, ":limit", q->limit + 1);
  db_bind_int(p, ":offset", q->offset);
  int64_t aRow[101];
  double aRank[101];
  int nRow = 0, rcStep;
  while (nRow <= q->limit && nRow < 101 &&
         (rcStep = db_step(p)) == SQLITE_ROW) {
    aRow[nRow] = db_col_int(p, 0);
    aRank[nRow] = sqlite3_column_double(p, 1);
    nRow++;
  }
  db_reset(p);
  int nShow = nRow > q->limit ? q->limit : nRow;
  for (int i = 0; i < nShow; i++) {
    json_t *pHit = load_hit(aRow[i], aRank[i], zFts);
    if (pHit) {
      json_array_append_new(pHits, pHit);
    }
  }
  if (nRow > q->limit) {
    char zNext[24];
    snprintf(zNext, sizeof(zNext), "%d", q->offset + q->limit);
    json_object_set_new(pOut, "next_cursor", json_string(zNext));
  }
  if (q->bCounts) {
    json_object_set_new(pOut, "counts", count_types(q, zFts));
  }
done:
  buf_free(&fts);
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
  sqlite3_stmt *p =
      db_prepare("SELECT name FROM components ORDER BY position, name");
  if (p) {
    while (db_step(p) == SQLITE_ROW) {
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
  json_object_set_new(r->pView, "total", json_integer(nTotal));
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
  r->pModel = json_pack("{s:s%, s:O, s:O}", "query", zQ,
                        echo_len(zQ), "hits",
                        json_object_get(pResult, "hits"), "next_cursor",
                        json_object_get(pResult, "next_cursor"));
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
