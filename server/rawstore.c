/*
** rawstore.c: raw evidence lines as SQLite rows (raw_rows), one row a
** line, behind rawstore.h. The only file that names raw_rows. Lines are
** deduplicated by (ts, source, fp), fp a 64-bit hash of the line number
** and text. Scans walk (ts, id) order with a "ts:id" cursor.
**
** A query names at most RAW_MAX_SOURCES sources (one prepared statement
** with that many slots; unused slots bind NULL and match nothing).
**
** Threading: a writer and every query use the calling thread's connection.
*/
#include "rawstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "err.h"
#include "utc.h"

#define RAW_MAX_SOURCES 32

struct RawWriter {
  int nAppended; /* lines appended, for asserts and debugging */
};

/* A 64-bit hash, eight bytes a step; stable across runs. For dedupe. */
static uint64_t raw_hash(const char *z, size_t n, uint64_t seed) {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ seed ^ (n * 0xff51afd7ed558ccdULL);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, z + i, 8);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 29;
  }
  uint64_t w = 0;
  memcpy(&w, z + i, n - i);
  h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 32;
  return h;
}

RawWriter *rawstore_writer_new(void) { return xcalloc(1, sizeof(RawWriter)); }

int rawstore_append(RawWriter *p, const char *zSource, int64_t ts,
                    int64_t iLine, const char *z, size_t n, int bBad,
                    uint64_t grp) {
  uint64_t fp = raw_hash(z, n, (uint64_t)iLine * 0x100000001b3ULL);
  sqlite3_stmt *q =
      db_prepare("INSERT INTO raw_rows (source, ts, fp, bad, grp, line)"
                 " VALUES (:source, :ts, :fp, :bad, :grp, :line)"
                 " ON CONFLICT DO NOTHING");
  if (!q) {
    return E_DB;
  }
  db_bind_text_static(q, ":source", zSource);
  db_bind_int(q, ":ts", ts);
  db_bind_int(q, ":fp", (int64_t)fp);
  db_bind_int(q, ":bad", bBad != 0);
  db_bind_int(q, ":grp", (int64_t)grp);
  db_bind_textn(q, ":line", z, (int)n);
  int rc = db_run(q);
  if (rc) {
    return E_DB;
  }
  p->nAppended++;
  return db_changes() > 0;
}

int rawstore_flush(RawWriter *p) {
  (void)p; /* rows go straight into the transaction */
  return 0;
}

void rawstore_writer_free(RawWriter *p) { free(p); }

/* Binds the filters every query shares. 0, or E_INVALID for too many
** sources. */
static int bind_query(sqlite3_stmt *q, const RawQuery *pQ) {
  db_bind_int(q, ":from", pQ->from);
  db_bind_int(q, ":to", pQ->to ? pQ->to : INT64_MAX);
  db_bind_int(q, ":all", pQ->azSource == NULL);
  int n = 0;
  for (; pQ->azSource && pQ->azSource[n]; n++) {
    if (n == RAW_MAX_SOURCES) {
      return E_INVALID;
    }
    char zName[8];
    snprintf(zName, sizeof(zName), ":s%d", n);
    db_bind_text(q, zName, pQ->azSource[n]);
  }
  db_bind_int(q, ":bad", pQ->bBadOnly != 0);
  db_bind_int(q, ":grp", (int64_t)pQ->grp);
  db_bind_text(q, ":text", pQ->zText && *pQ->zText ? pQ->zText : NULL);
  db_bind_int(q, ":nocase", pQ->bNoCase != 0);
  return 0;
}

#define RAW_WHERE                                                              \
  " ts >= :from AND ts < :to"                                                  \
  " AND (:all OR source IN (:s0, :s1, :s2, :s3, :s4, :s5, :s6, :s7, :s8,"      \
  "  :s9, :s10, :s11, :s12, :s13, :s14, :s15, :s16, :s17, :s18, :s19, :s20,"   \
  "  :s21, :s22, :s23, :s24, :s25, :s26, :s27, :s28, :s29, :s30, :s31))"       \
  " AND (:bad = 0 OR bad = 1) AND (:grp = 0 OR grp = :grp)"                    \
  " AND (:text IS NULL OR (CASE WHEN :nocase THEN instr(lower(line),"          \
  "  lower(:text)) ELSE instr(line, :text) END) > 0)"

int rawstore_scan(const RawQuery *pQ, RawEach xEach, void *pArg, char *zNext,
                  size_t nNext) {
  zNext[0] = 0;
  int64_t afterTs = INT64_MIN, afterId = 0;
  if (pQ->zCursor && *pQ->zCursor) {
    long long ts, id;
    char cExtra;
    if (sscanf(pQ->zCursor, "%lld:%lld%c", &ts, &id, &cExtra) != 2 || id < 0) {
      return E_INVALID;
    }
    afterTs = ts;
    afterId = id;
  }
  int nLimit = pQ->nLimit < 1 ? 1 : pQ->nLimit > 1000 ? 1000 : pQ->nLimit;
  sqlite3_stmt *q = db_prepare(
      "SELECT id, ts, source, line, bad, grp FROM raw_rows WHERE" RAW_WHERE
      " AND (ts > :after_ts OR (ts = :after_ts AND id > :after_id))"
      " ORDER BY ts, id LIMIT :limit");
  if (!q) {
    return E_DB;
  }
  if (bind_query(q, pQ)) {
    db_reset(q);
    return E_INVALID;
  }
  db_bind_int(q, ":after_ts", afterTs);
  db_bind_int(q, ":after_id", afterId);
  db_bind_int(q, ":limit", nLimit + 1);
  int64_t deadline = pQ->budgetMs > 0 ? utc_now_ms() + pQ->budgetMs : 0;
  int n = 0, rc = 0, bStop = 0;
  int64_t lastTs = 0, lastId = 0;
  for (;;) {
    int rcStep = db_step(q);
    if (rcStep != SQLITE_ROW) {
      rc = rcStep == SQLITE_DONE ? 0 : E_DB;
      break;
    }
    if (n == nLimit || bStop || (deadline && utc_now_ms() > deadline)) {
      snprintf(zNext, nNext, "%lld:%lld", (long long)lastTs, (long long)lastId);
      break;
    }
    const char *z = db_col_text(q, 3);
    RawLine line = {.ts = db_col_int(q, 1),
                    .zSource = db_col_text(q, 2),
                    .z = z,
                    .n = strlen(z),
                    .bBad = (int)db_col_int(q, 4),
                    .grp = (uint64_t)db_col_int(q, 5)};
    lastId = db_col_int(q, 0);
    lastTs = line.ts;
    n++;
    bStop = xEach(pArg, &line) != 0;
  }
  db_reset(q);
  return rc;
}

int64_t rawstore_count(const RawQuery *pQ) {
  sqlite3_stmt *q = db_prepare("SELECT count(*) FROM raw_rows WHERE" RAW_WHERE);
  if (!q) {
    return -1;
  }
  if (bind_query(q, pQ)) {
    db_reset(q);
    return -1;
  }
  int64_t n = db_step(q) == SQLITE_ROW ? db_col_int(q, 0) : -1;
  db_reset(q);
  return n;
}

static int cmp_window(const void *a, const void *b) {
  const int64_t *x = a, *y = b;
  return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* Deletes lines in [from, to). Returns how many, or -1. */
static int64_t expire_range(int64_t from, int64_t to) {
  if (from >= to) {
    return 0;
  }
  sqlite3_stmt *q =
      db_prepare("DELETE FROM raw_rows WHERE ts >= :from AND ts < :to");
  if (!q) {
    return -1;
  }
  db_bind_int(q, ":from", from);
  db_bind_int(q, ":to", to);
  if (db_run(q)) {
    return -1;
  }
  return db_changes();
}

int64_t rawstore_expire(int64_t cutoff, const int64_t *aKeep, int nKeep) {
  /* The gaps between the sorted keep windows, below cutoff, go. */
  int64_t *a = xmalloc(sizeof(int64_t) * 2 * (size_t)(nKeep > 0 ? nKeep : 1));
  if (nKeep > 0) {
    memcpy(a, aKeep, sizeof(int64_t) * 2 * (size_t)nKeep);
    qsort(a, (size_t)nKeep, sizeof(int64_t) * 2, cmp_window);
  }
  int64_t nGone = 0, from = INT64_MIN;
  for (int i = 0; i < nKeep && from < cutoff && nGone >= 0; i++) {
    int64_t to = a[2 * i] < cutoff ? a[2 * i] : cutoff;
    int64_t n = expire_range(from, to);
    nGone = n < 0 ? -1 : nGone + n;
    if (a[2 * i + 1] > from) {
      from = a[2 * i + 1] == INT64_MAX ? INT64_MAX : a[2 * i + 1] + 1;
    }
  }
  if (nGone >= 0 && from < cutoff) {
    int64_t n = expire_range(from, cutoff);
    nGone = n < 0 ? -1 : nGone + n;
  }
  free(a);
  return nGone;
}
