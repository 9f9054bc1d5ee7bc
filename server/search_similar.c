/*
** search_similar.c: similar past incidents for an incident page. Gathers
** candidates that share a component, a root-cause category, a tag or an
** error signal, or whose title or postmortem matches this incident's
** title and signal words (FTS5, OR of the words), then scores each one
** and says why: "same component: Checkout; shared words: load, balancer".
**
** Signals compare by fingerprint without its trailing ":<time>" part, so
** the same error burst or 5xx source in two incidents matches.
**
** Threading: no state of its own; uses the calling thread's connection.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "err.h"
#include "search.h"
#include "utc.h"

#define SIM_WORDS 24      /* distinct words taken from this incident */
#define SIM_CANDIDATES 60 /* incidents scored */
#define SIM_SHOWN 5       /* suggestions shown */
#define SIM_SIGNALS 20    /* signal fingerprints compared */

/* Words too common in incident titles to mean anything. */
static const char *const azStop[] = {
    "the",  "and",   "for",  "with", "from",  "into",  "on",    "in",
    "of",   "to",    "a",    "an",   "is",    "are",   "was",   "at",
    "by",   "or",    "not",  "no",   "all",   "after", "during", "high",
    "incident", "issue", "issues", "error", "errors", "x", NULL};

typedef struct WordSet {
  int n;                  /* entries used */
  char az[SIM_WORDS][48]; /* lower-cased words, NUL-terminated */
} WordSet;

static int wordset_has(const WordSet *p, const char *z) {
  for (int i = 0; i < p->n; i++) {
    if (strcmp(p->az[i], z) == 0) {
      return 1;
    }
  }
  return 0;
}

/* Adds the words of z: runs of ASCII letters and digits (lower-cased) and
** non-ASCII bytes, of 2 or more bytes, that are not stop words. A signal
** title's " (x12 on nginx, ...)" tail is not read. */
static void wordset_add(WordSet *p, const char *z) {
  const char *zEnd = strstr(z, " (x");
  size_t n = zEnd ? (size_t)(zEnd - z) : strlen(z);
  size_t i = 0;
  while (i < n && p->n < SIM_WORDS) {
    unsigned char c = (unsigned char)z[i];
    int bWord = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                (c >= 'A' && c <= 'Z') || c >= 0x80;
    if (!bWord) {
      i++;
      continue;
    }
    char zWord[48];
    size_t k = 0;
    while (i < n) {
      c = (unsigned char)z[i];
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
            (c >= 'A' && c <= 'Z') || c >= 0x80)) {
        break;
      }
      if (k < sizeof(zWord) - 1) {
        zWord[k++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
      }
      i++;
    }
    /* A word cut at the cap may end inside a character: drop its tail. */
    while (k > 0 && ((unsigned char)zWord[k - 1] & 0xC0) == 0xC0) {
      k--;
    }
    zWord[k] = 0;
    int bStop = k < 2;
    for (int s = 0; !bStop && azStop[s]; s++) {
      bStop = strcmp(azStop[s], zWord) == 0;
    }
    if (!bStop && !wordset_has(p, zWord)) {
      memcpy(p->az[p->n++], zWord, k + 1);
    }
  }
}

/* The signal key: the fingerprint without its last ":part". */
static void signal_key(const char *zFp, char *zKey, size_t nKey) {
  const char *zColon = strrchr(zFp, ':');
  size_t n = zColon && zColon != zFp ? (size_t)(zColon - zFp) : strlen(zFp);
  snprintf(zKey, nKey, "%.*s", (int)n, zFp);
}

/* What one incident brings to the comparison. */
typedef struct Profile {
  int64_t id;           /* the incident */
  WordSet words;        /* title and signal-title words */
  json_t *pComponents;  /* NEW array of names */
  char zCategory[32];   /* root-cause category, "" if none or unknown */
  json_t *pTags;        /* NEW array of strings */
  json_t *pSignals;     /* NEW object: signal key -> signal title */
} Profile;

static void profile_free(Profile *p) {
  json_decref(p->pComponents);
  json_decref(p->pTags);
  json_decref(p->pSignals);
}

static int profile_load(int64_t id, Profile *p) {
  memset(p, 0, sizeof(*p));
  p->id = id;
  p->pComponents = json_array();
  p->pTags = json_array();
  p->pSignals = json_object();
  DbStmt *s = db_prepare("SELECT title FROM incidents WHERE id = :id");
  if (!s) {
    return E_DB;
  }
  db_bind_int(s, ":id", id);
  if (db_step(s) == DB_ROW) {
    wordset_add(&p->words, db_col_text(s, 0));
  }
  db_reset(s);
  s = db_prepare("SELECT c.name FROM incident_components ic"
                 " JOIN components c ON c.id = ic.component_id"
                 " WHERE ic.incident_id = :id ORDER BY c.position, c.name");
  if (!s) {
    return E_DB;
  }
  db_bind_int(s, ":id", id);
  while (db_step(s) == DB_ROW) {
    json_array_append_new(p->pComponents, json_string(db_col_text(s, 0)));
  }
  db_reset(s);
  s = db_prepare("SELECT root_cause_category, tags FROM postmortems"
                 " WHERE incident_id = :id");
  if (!s) {
    return E_DB;
  }
  db_bind_int(s, ":id", id);
  if (db_step(s) == DB_ROW) {
    const char *zCat = db_col_text(s, 0);
    if (strcmp(zCat, "unknown") != 0) {
      snprintf(p->zCategory, sizeof(p->zCategory), "%s", zCat);
    }
    json_t *pTags = json_loads(db_col_text(s, 1), 0, NULL);
    if (json_is_array(pTags)) {
      json_decref(p->pTags);
      p->pTags = pTags;
    } else {
      json_decref(pTags);
    }
  }
  db_reset(s);
  s = db_prepare("SELECT fingerprint, title FROM events"
                 " WHERE kind = 'signal' AND incident_id = :id"
                 " AND deleted = 0 AND fingerprint IS NOT NULL"
                 " ORDER BY count DESC LIMIT :n");
  if (!s) {
    return E_DB;
  }
  db_bind_int(s, ":id", id);
  db_bind_int(s, ":n", SIM_SIGNALS);
  while (db_step(s) == DB_ROW) {
    char zKey[200];
    signal_key(db_col_text(s, 0), zKey, sizeof(zKey));
    const char *zTitle = db_col_text(s, 1);
    const char *zTail = strstr(zTitle, " (x");
    json_object_set_new(p->pSignals, zKey,
                        json_stringn(zTitle, zTail ? (size_t)(zTail - zTitle)
                                                   : strlen(zTitle)));
    wordset_add(&p->words, zTitle);
  }
  db_reset(s);
  return 0;
}

/* Adds id to the candidate list unless present, full, or self. */
static void candidate_add(int64_t *aId, int *pn, int64_t self, int64_t id) {
  if (id == self || *pn >= SIM_CANDIDATES) {
    return;
  }
  for (int i = 0; i < *pn; i++) {
    if (aId[i] == id) {
      return;
    }
  }
  aId[(*pn)++] = id;
}

/* Documents holding a token, into *pMin if fewer (SearchTokenFn). */
static int token_docs(void *pCtx, const char *zToken, int nToken) {
  int64_t *pMin = pCtx;
  int64_t n = search_term_docs(zToken, nToken);
  if (*pMin < 0 || n < *pMin) {
    *pMin = n;
  }
  return 0; /* SQLITE_OK: go on */
}

/* Documents that can match word z: those of its rarest token, as the
** index folds it ("Café" is "cafe"). 0 if none. */
static int64_t word_docs(const char *z) {
  int64_t nMin = -1;
  if (search_tokenize(z, (int)strlen(z), 1, token_docs, &nMin)) {
    return 0;
  }
  return nMin < 0 ? 0 : nMin;
}

/* FTS5's rank scores every match of the words' OR: on 100,000
** postmortems one common word ("redis", in a quarter of them) took the
** incident page 100 to 300 ms (BENCHMARKS.md). So the rarest words, the
** ones that say most about likeness, bring candidates while their
** documents add up to at most this; the others still count in
** compare(). */
#define SIM_RANK_DOCS 2000

static int gather(const Profile *pSelf, int64_t *aId, int *pn) {
  int64_t self = pSelf->id;
  /* Title and signal words through the index (OR: any word may match):
  ** the rarest, ranked; if even the rarest is too common, the newest
  ** matches of all. */
  int64_t aDocs[SIM_WORDS] = {0};
  int abUse[SIM_WORDS] = {0}, nUse = 0;
  int64_t nSum = 0;
  for (int i = 0; i < pSelf->words.n; i++) {
    aDocs[i] = word_docs(pSelf->words.az[i]);
  }
  for (;;) { /* the rarest unused word with matches, while they fit */
    int iMin = -1;
    for (int i = 0; i < pSelf->words.n; i++) {
      if (!abUse[i] && aDocs[i] > 0 && (iMin < 0 || aDocs[i] < aDocs[iMin])) {
        iMin = i;
      }
    }
    if (iMin < 0 || nSum + aDocs[iMin] > SIM_RANK_DOCS) {
      break;
    }
    abUse[iMin] = 1;
    nSum += aDocs[iMin];
    nUse++;
  }
  DbStmt *s;
  if (pSelf->words.n > 0) {
    Buf q;
    buf_init(&q, 65536);
    int nOr = 0;
    if (db_is_pg()) {
      /* The same OR as a tsquery (search_pg.c), ranked by ts_rank. */
      const char *azWord[SIM_WORDS];
      for (int i = 0; i < pSelf->words.n; i++) {
        if (nUse == 0 || abUse[i]) {
          azWord[nOr++] = pSelf->words.az[i];
        }
      }
      nOr = search_pg_words_query(azWord, nOr, &q);
    } else {
      /* Words may hold any non-ASCII character: keep them off the
      ** facets. */
      buf_puts(&q, SEARCH_TEXT_COLUMNS " : (");
      for (int i = 0; i < pSelf->words.n; i++) {
        if (nUse == 0 || abUse[i]) {
          buf_printf(&q, "%s\"%s\"", nOr++ ? " OR " : "",
                     pSelf->words.az[i]);
        }
      }
      buf_putc(&q, ')');
    }
    s = buf_err(&q) || nOr == 0 ? NULL
        : nUse > 0
            ? db_prepare(db_sql(
                  "SELECT incident_id FROM search_index"
                  " WHERE search_index MATCH :q"
                  " AND rowid % 4 IN (0, 1)"
                  " ORDER BY rank LIMIT 40",
                  "SELECT incident_id FROM search_index"
                  " WHERE tsv @@ :q::tsquery AND rowid % 4 IN (0, 1)"
                  " ORDER BY ts_rank('{0.1,0.2,0.5,1.0}', tsv,"
                  " :q::tsquery, 1) DESC, rowid DESC LIMIT 40"))
            : db_prepare(db_sql("SELECT incident_id FROM search_index"
                                " WHERE search_index MATCH :q"
                                " AND rowid % 4 IN (0, 1)"
                                " ORDER BY rowid DESC LIMIT 40",
                                "SELECT incident_id FROM search_index"
                                " WHERE tsv @@ :q::tsquery"
                                " AND rowid % 4 IN (0, 1)"
                                " ORDER BY rowid DESC LIMIT 40"));
    if (s) {
      db_plan_each_run(s); /* how common the words are picks the plan */
      db_bind_text(s, ":q", buf_str(&q));
      while (db_step(s) == DB_ROW) {
        candidate_add(aId, pn, self, db_col_int(s, 0));
      }
      db_reset(s);
    }
    buf_free(&q);
  }
  s = db_prepare(
      "SELECT DISTINCT b.incident_id FROM incident_components a"
      " JOIN incident_components b ON b.component_id = a.component_id"
      " WHERE a.incident_id = :id AND b.incident_id != :id"
      " ORDER BY b.incident_id DESC LIMIT 20");
  if (!s) {
    return E_DB;
  }
  db_bind_int(s, ":id", self);
  while (db_step(s) == DB_ROW) {
    candidate_add(aId, pn, self, db_col_int(s, 0));
  }
  db_reset(s);
  if (pSelf->zCategory[0]) {
    s = db_prepare("SELECT incident_id FROM postmortems"
                   " WHERE root_cause_category = :cat"
                   " AND incident_id != :id ORDER BY id DESC LIMIT 20");
    if (!s) {
      return E_DB;
    }
    db_bind_text(s, ":cat", pSelf->zCategory);
    db_bind_int(s, ":id", self);
    while (db_step(s) == DB_ROW) {
      candidate_add(aId, pn, self, db_col_int(s, 0));
    }
    db_reset(s);
  }
  const char *zKey;
  json_t *pVal;
  json_object_foreach(pSelf->pSignals, zKey, pVal) {
    s = db_prepare("SELECT DISTINCT incident_id FROM events"
                   " WHERE kind = 'signal' AND fingerprint > :lo"
                   " AND fingerprint < :hi AND incident_id != :id"
                   " AND deleted = 0 LIMIT 20");
    if (!s) {
      return E_DB;
    }
    char zLo[210], zHi[210];
    snprintf(zLo, sizeof(zLo), "%s:", zKey);
    snprintf(zHi, sizeof(zHi), "%s;", zKey);
    db_bind_text(s, ":lo", zLo);
    db_bind_text(s, ":hi", zHi);
    db_bind_int(s, ":id", self);
    while (db_step(s) == DB_ROW) {
      candidate_add(aId, pn, self, db_col_int(s, 0));
    }
    db_reset(s);
  }
  return 0;
}

/* Appends "label: a, b" to the reasons (and the list) when pList is not
** empty. */
static void add_reason(Buf *pText, json_t *pReasons, const char *zLabel,
                       json_t *pList) {
  if (json_array_size(pList) == 0) {
    return;
  }
  Buf one;
  buf_init(&one, 4096);
  buf_printf(&one, "%s: ", zLabel);
  size_t i;
  json_t *p;
  json_array_foreach(pList, i, p) {
    buf_printf(&one, "%s%s", i ? ", " : "", json_string_value(p));
  }
  if (!buf_err(&one)) {
    json_array_append_new(pReasons, json_string(buf_str(&one)));
    buf_printf(pText, "%s%s", pText->n ? "; " : "", buf_str(&one));
  }
  buf_free(&one);
}

static int str_in(json_t *pArr, const char *z) {
  size_t i;
  json_t *p;
  json_array_foreach(pArr, i, p) {
    if (strcmp(json_string_value(p), z) == 0) {
      return 1;
    }
  }
  return 0;
}

/* Compares candidate c with this incident. NEW suggestion, or NULL when
** it does not have enough in common. */
static json_t *compare(const Profile *pSelf, const Profile *c) {
  json_t *pWords = json_array(), *pComps = json_array();
  json_t *pTags = json_array(), *pSignals = json_array();
  for (int i = 0; i < pSelf->words.n; i++) {
    if (wordset_has(&c->words, pSelf->words.az[i])) {
      json_array_append_new(pWords, json_string(pSelf->words.az[i]));
    }
  }
  size_t i;
  json_t *p;
  json_array_foreach(pSelf->pComponents, i, p) {
    if (str_in(c->pComponents, json_string_value(p))) {
      json_array_append(pComps, p);
    }
  }
  json_array_foreach(pSelf->pTags, i, p) {
    if (json_is_string(p) && str_in(c->pTags, json_string_value(p))) {
      json_array_append(pTags, p);
    }
  }
  const char *zKey;
  json_object_foreach(pSelf->pSignals, zKey, p) {
    if (json_object_get(c->pSignals, zKey)) {
      json_array_append(pSignals, p);
    }
  }
  int bCategory = pSelf->zCategory[0] &&
                  strcmp(pSelf->zCategory, c->zCategory) == 0;
  int score = 2 * (int)json_array_size(pWords) +
              3 * (int)json_array_size(pComps) + 3 * bCategory +
              2 * (int)json_array_size(pTags) +
              4 * (int)json_array_size(pSignals);
  json_t *pOut = NULL;
  if (score >= 3) {
    Buf text;
    buf_init(&text, 8192);
    json_t *pReasons = json_array();
    add_reason(&text, pReasons, "same error signal", pSignals);
    add_reason(&text, pReasons, "same component", pComps);
    if (bCategory) {
      json_t *pCat = json_pack("[s]", c->zCategory);
      add_reason(&text, pReasons, "same root cause", pCat);
      json_decref(pCat);
    }
    add_reason(&text, pReasons, "shared tags", pTags);
    add_reason(&text, pReasons, "shared words", pWords);
    pOut = json_pack("{s:I, s:i, s:o, s:s}", "id", (json_int_t)c->id,
                     "score", score, "reasons", pReasons, "why",
                     buf_err(&text) ? "" : buf_str(&text));
    buf_free(&text);
  }
  json_decref(pWords);
  json_decref(pComps);
  json_decref(pTags);
  json_decref(pSignals);
  return pOut;
}

static int by_score(const void *a, const void *b) {
  json_t *pa = *(json_t *const *)a, *pb = *(json_t *const *)b;
  json_int_t sa = json_integer_value(json_object_get(pa, "score"));
  json_int_t sb = json_integer_value(json_object_get(pb, "score"));
  if (sa != sb) {
    return sa > sb ? -1 : 1;
  }
  json_int_t ia = json_integer_value(json_object_get(pa, "id"));
  json_int_t ib = json_integer_value(json_object_get(pb, "id"));
  return ia > ib ? -1 : ia < ib;
}

/* Adds what the page shows of a suggested incident. */
static void describe(json_t *pSug) {
  DbStmt *s = db_prepare(
      "SELECT i.title, i.severity, i.status, i.started_at, p.status"
      " FROM incidents i LEFT JOIN postmortems p ON p.incident_id = i.id"
      " WHERE i.id = :id");
  if (!s) {
    return;
  }
  db_bind_int(s, ":id", json_integer_value(json_object_get(pSug, "id")));
  if (db_step(s) == DB_ROW) {
    char zStarted[25];
    utc_format(db_col_int(s, 3), zStarted);
    json_object_set_new(pSug, "title", json_string(db_col_text(s, 0)));
    json_object_set_new(pSug, "severity", json_string(db_col_text(s, 1)));
    json_object_set_new(pSug, "status", json_string(db_col_text(s, 2)));
    json_object_set_new(pSug, "started_at", json_string(zStarted));
    json_object_set_new(pSug, "started_day", json_stringn(zStarted, 10));
    if (!db_col_is_null(s, 4)) {
      json_object_set_new(pSug, "postmortem_status",
                          json_string(db_col_text(s, 4)));
    }
  }
  db_reset(s);
}

int search_similar_view(Req *r, json_t *pIncident) {
  int64_t self = json_integer_value(json_object_get(pIncident, "id"));
  /* As in search_run(): a failed flush (a full disk) must not fail the
  ** incident page; compare against what is indexed. */
  int64_t nPending = 0;
  if (search_flush(&nPending)) {
    fprintf(stderr, "hindsight: search index is behind (flush failed)\n");
  }
  Profile me;
  int rc = profile_load(self, &me);
  int64_t aId[SIM_CANDIDATES];
  int nId = 0;
  if (rc == 0) {
    rc = gather(&me, aId, &nId);
  }
  /* Initialised so cppcheck sees no uninitialised read when nSug is 0. */
  json_t *apSug[SIM_CANDIDATES] = {NULL};
  int nSug = 0;
  for (int i = 0; i < nId && rc == 0; i++) {
    Profile c;
    rc = profile_load(aId[i], &c);
    json_t *pSug = rc == 0 ? compare(&me, &c) : NULL;
    if (pSug) {
      apSug[nSug++] = pSug;
    }
    profile_free(&c);
  }
  profile_free(&me);
  qsort(apSug, (size_t)nSug, sizeof(apSug[0]), by_score);
  json_t *pList = json_array();
  for (int i = 0; i < nSug; i++) {
    if (i < SIM_SHOWN && rc == 0) {
      describe(apSug[i]);
      json_array_append(pList, apSug[i]);
    }
    json_decref(apSug[i]);
  }
  if (rc) {
    json_decref(pList);
    return rc;
  }
  if (!r->pView) {
    r->pView = json_object();
  }
  json_object_set_new(r->pView, "similar", pList);
  return 0;
}
