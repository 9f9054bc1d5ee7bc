/*
** rawstore.c: raw evidence lines in zstd-compressed blocks (rawstore.h is
** the contract; issue 17).
**
** Layout: table raw_blocks (schema/NNN_raw_blocks.sql). A block holds the
** lines of one source whose times lie within one hour (ts_max - ts_min <
** RS_SPAN_MS), sorted by (ts, arrival); its payload is format 1 of
** rawblock.h. So a window [from, to) is found through the ts_min index as
** ts_min in [from - RS_SPAN_MS, to) and ts_max >= from, and only those
** blocks are read. Beside the payload, plain columns: has_bad, grps (the
** distinct message groups of its error lines) and keys (dedupe keys), so
** a signal's lines and duplicates are found without decompressing
** unrelated blocks.
**
** Writing: a RawWriter buffers lines per source (at most RS_MAX_OPEN
** sources open; the least recently used is sealed to make room). A block
** is sealed at RS_SEAL_RAW bytes of text, RS_SEAL_LINES lines, or when a
** line would stretch it past an hour. rawstore_flush() seals every open
** buffer, however small, as a block in the caller's transaction: a line
** flushed is a line in a row. This was chosen over an uncompressed "open
** tail" table because the file ingest flushes every 100,000 lines (blocks
** stay full) and a tail table costs a second write of every line; the
** streaming doors, which flush per push, make smaller blocks, which
** rawstore_compact() merges (the maintenance worker, once idle).
**
** Dedupe: a line's key is 48 bits of a hash of (ts, fp), fp being the
** ingest's hash of (source, line number, text). A writer knows the newest
** stored ts per source: a line after it (the usual, in-order case) is only
** checked against the open buffer's key set. An older line is checked
** against the keys column of the blocks of its source whose range holds
** its ts (6 bytes a line, sorted, binary searched; the last few kept in a
** small cache for re-ingests). 48 bits among the few thousand lines of a
** block make a false duplicate about one in 10^10 lines.
**
** Overlap: sealing (sorting, encoding, compressing) runs on a compression
** thread named "hs-rawzstd" that each writer starts on its first seal: the
** caller's thread goes on parsing while the previous block compresses, and
** inserts finished blocks into its own connection (connections are never
** shared). At most one block is in the thread's hands and one waits, so
** memory stays flat: RS_MAX_OPEN open buffers plus two blocks.
**
** Scans: only the blocks of the window (and sources, error lines, message
** group) are read; each is decoded into a buffer reused within the scan
** and searched with memmem over the whole block text, then hits are
** mapped to lines. Lines come out merged across blocks in (ts, block id,
** index) order, which is (ts, arrival); the cursor is that key. Counting
** needs no order and runs on both cores (a helper thread, "hs-rawcount").
**
** Threading: a RawWriter belongs to one thread (plus its compression
** thread, which touches only the job handed to it, under mu). Scans use
** the calling thread's connection; a count's helper gets copies of
** payloads and touches no connection.
*/
#include "rawstore.h"
#include "rawstore_admin.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <zstd.h>

#include "arena.h"
#include "db.h"
#include "err.h"
#include "hash.h"
#include "rawblock.h"
#include "utc.h"
#include "worker.h"

#define RS_SPAN_MS ((int64_t)3600 * 1000)
#define RS_SEAL_RAW ((size_t)256 << 10)
#define RS_SEAL_LINES 8192
#define RS_MAX_OPEN 16
#define RS_LEVEL 3
#define RS_KEY_BYTES 6
#define RS_CACHE 8
#define RS_CODEC_ZSTD1 1

/* ---- keys and hashes ---- */

/* 48-bit dedupe key of a line: splitmix64's finalizer over (ts, fp). */
static uint64_t line_key(int64_t ts, uint64_t fp) {
  uint64_t x = fp ^ ((uint64_t)ts * 0x9e3779b97f4a7c15ULL);
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x >> 16;
}

static uint64_t get_key(const unsigned char *z) {
  uint64_t v = 0;
  for (int b = 0; b < RS_KEY_BYTES; b++) {
    v = (v << 8) | z[b];
  }
  return v;
}

/* Whether sorted keys z[0..nByte) (RS_KEY_BYTES each) hold key. */
static int keys_have(const unsigned char *z, size_t nByte, uint64_t key) {
  size_t lo = 0, hi = nByte / RS_KEY_BYTES;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    uint64_t v = get_key(z + mid * RS_KEY_BYTES);
    if (v == key) {
      return 1;
    }
    if (v < key) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return 0;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* ---- writer ---- */

/* One source's buffered lines, not yet a block. */
typedef struct OpenBlock {
  char *zSource;       /* NEW; NULL when the slot is free */
  RawBlockLine *aLine; /* lines in arrival order (off rises with it) */
  uint64_t *aKey;      /* aKey[i]: line i's key */
  int nLine;           /* lines buffered */
  int nLineAlloc;      /* entries allocated in aLine and aKey */
  char *zText;         /* the texts, back to back */
  size_t nText;        /* bytes used in zText */
  size_t nTextAlloc;   /* bytes allocated */
  uint64_t *aSet;      /* open-addressing set of keys | 1<<63 (0: empty) */
  size_t nSet;         /* slots in aSet, a power of two */
  int64_t tsMin;       /* least ts buffered */
  int64_t tsMax;       /* greatest ts buffered */
  int64_t storedMax;   /* greatest stored ts of the source (INT64_MIN) */
  int bStoredMax;      /* storedMax was read since the last flush */
  uint64_t iUse;       /* last use, for eviction */
} OpenBlock;

/* A block on its way to a row: built by seal_job(), compressed by the
** compression thread, inserted by the writer's thread. */
typedef struct SealJob {
  char *zSource;        /* NEW */
  RawBlockLine *aLine;  /* sorted lines, NEW */
  int nLine;            /* how many */
  char *zText;          /* their texts, NEW */
  unsigned char *aKeys; /* sorted keys column, NEW */
  size_t nKeys;         /* its bytes */
  unsigned char *aGrps; /* grps column, NEW (NULL: none) */
  size_t nGrps;         /* its bytes */
  int64_t tsMin;        /* first line's ts */
  int64_t tsMax;        /* last line's ts */
  int bBad;             /* holds an error line */
  void *pPay;           /* compressed payload, NEW once done */
  size_t nPay;          /* its bytes */
  size_t nRaw;          /* content bytes */
  int rc;               /* the encoder's result */
} SealJob;

/* A stored block's keys, kept for re-ingests. */
typedef struct KeyCache {
  int64_t id;       /* block id, 0: empty */
  unsigned char *a; /* the keys column, NEW */
  size_t n;         /* its bytes */
} KeyCache;

struct RawWriter {
  OpenBlock aOpen[RS_MAX_OPEN]; /* open buffers, by source */
  uint64_t iClock;              /* use counter */
  KeyCache aCache[RS_CACHE];    /* recently read keys columns */
  int iCache;                   /* next cache slot to replace */
  ZSTD_CCtx *pCtx;              /* the compression thread's context */
  pthread_t thread;             /* the compression thread */
  int bThread;                  /* it was started */
  pthread_mutex_t mu;           /* guards the three fields below */
  pthread_cond_t cond;          /* signalled on every change of them */
  SealJob *pQueued;               /* handed to the thread, not started */
  SealJob *pBusy;               /* being compressed */
  SealJob *pDone;               /* compressed, to insert */
  int bStop;                    /* the thread should exit */
  int rc;                       /* sticky E_DB from an insert */
};

static void job_free(SealJob *j) {
  if (!j) {
    return;
  }
  free(j->zSource);
  free(j->aLine);
  free(j->zText);
  free(j->aKeys);
  free(j->aGrps);
  free(j->pPay);
  free(j);
}

static void job_encode(ZSTD_CCtx *pCtx, SealJob *j) {
  j->rc = rawblock_encode(pCtx, RS_LEVEL, j->aLine, j->nLine, j->zText,
                          j->tsMin, &j->pPay, &j->nPay, &j->nRaw);
}

/* The compression thread: takes pQueued, compresses it, leaves it in
** pDone (waiting while pDone is still full, so at most two blocks). */
static void *compress_main(void *pArg) {
  RawWriter *p = pArg;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->bStop && (!p->pQueued || p->pDone)) {
      pthread_cond_wait(&p->cond, &p->mu);
    }
    if (p->bStop) {
      break;
    }
    SealJob *j = p->pQueued;
    p->pQueued = NULL;
    p->pBusy = j;
    pthread_mutex_unlock(&p->mu);
    job_encode(p->pCtx, j);
    pthread_mutex_lock(&p->mu);
    p->pBusy = NULL;
    p->pDone = j;
    pthread_cond_broadcast(&p->cond);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

RawWriter *rawstore_writer_new(void) {
  RawWriter *p = calloc(1, sizeof(*p));
  if (!p) {
    return NULL;
  }
  p->pCtx = ZSTD_createCCtx();
  if (!p->pCtx) {
    free(p);
    return NULL;
  }
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cond, NULL);
  return p;
}

/* Inserts a compressed block. 0 or E_DB. */
static int job_store(SealJob *j) {
  if (j->rc) {
    return E_DB;
  }
  DbStmt *q = db_prepare(
      "INSERT INTO raw_blocks (source, ts_min, ts_max, n_lines, has_bad,"
      " codec, raw_bytes, grps, keys, payload) VALUES (:source, :min, :max,"
      " :n, :bad, :codec, :raw, :grps, :keys, :pay)");
  if (!q) {
    return E_DB;
  }
  db_bind_text(q, ":source", j->zSource);
  db_bind_int(q, ":min", j->tsMin);
  db_bind_int(q, ":max", j->tsMax);
  db_bind_int(q, ":n", j->nLine);
  db_bind_int(q, ":bad", j->bBad);
  db_bind_int(q, ":codec", RS_CODEC_ZSTD1);
  db_bind_int(q, ":raw", (int64_t)j->nRaw);
  db_bind_blob(q, ":grps", j->nGrps ? j->aGrps : NULL, j->nGrps);
  db_bind_blob(q, ":keys", j->aKeys, j->nKeys);
  db_bind_blob(q, ":pay", j->pPay, j->nPay);
  return db_run(q) ? E_DB : 0;
}

/* Inserts whatever the thread finished; with bAll, waits for all of it.
** 0 or E_DB (sticky). */
static int collect(RawWriter *p, int bAll) {
  for (;;) {
    pthread_mutex_lock(&p->mu);
    while (bAll && !p->pDone && (p->pQueued || p->pBusy)) {
      pthread_cond_wait(&p->cond, &p->mu);
    }
    SealJob *j = p->pDone;
    p->pDone = NULL;
    if (j) {
      pthread_cond_broadcast(&p->cond);
    }
    pthread_mutex_unlock(&p->mu);
    if (!j) {
      break;
    }
    if (!p->rc && job_store(j)) {
      p->rc = E_DB;
    }
    job_free(j);
  }
  return p->rc;
}

/* Hands a job to the compression thread, waiting while it has two. */
static int submit(RawWriter *p, SealJob *j) {
  if (!p->bThread) {
    if (pthread_create(&p->thread, NULL, compress_main, p) != 0) {
      /* No thread: compress here. */
      job_encode(p->pCtx, j);
      int rc = p->rc ? p->rc : job_store(j);
      job_free(j);
      return p->rc = rc;
    }
    pthread_setname_np(p->thread, "hs-rawzstd");
    p->bThread = 1;
  }
  for (;;) {
    pthread_mutex_lock(&p->mu);
    if (!p->pQueued) {
      p->pQueued = j;
      pthread_cond_broadcast(&p->cond);
      pthread_mutex_unlock(&p->mu);
      break;
    }
    while (p->pQueued && !p->pDone) {
      pthread_cond_wait(&p->cond, &p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    collect(p, 0);
  }
  return collect(p, 0);
}

static int cmp_line(const void *a, const void *b) {
  const RawBlockLine *x = a, *y = b;
  if (x->ts != y->ts) {
    return x->ts < y->ts ? -1 : 1;
  }
  return x->off < y->off ? -1 : x->off > y->off; /* arrival */
}

/* Turns o's lines into a job and empties o. 0 or E_DB. */
static int seal(RawWriter *p, OpenBlock *o) {
  if (o->nLine == 0) {
    return p->rc;
  }
  SealJob *j = xcalloc(1, sizeof(*j));
  j->zSource = xstrdup(o->zSource);
  j->nLine = o->nLine;
  j->aLine = xmalloc((size_t)o->nLine * sizeof(RawBlockLine));
  memcpy(j->aLine, o->aLine, (size_t)o->nLine * sizeof(RawBlockLine));
  qsort(j->aLine, (size_t)o->nLine, sizeof(RawBlockLine), cmp_line);
  /* The texts move with the job; o gets a fresh buffer. */
  j->zText = o->zText;
  o->zText = NULL;
  o->nTextAlloc = 0;
  qsort(o->aKey, (size_t)o->nLine, sizeof(uint64_t), cmp_u64);
  j->nKeys = (size_t)o->nLine * RS_KEY_BYTES;
  j->aKeys = xmalloc(j->nKeys);
  for (int i = 0; i < o->nLine; i++) {
    for (int b = 0; b < RS_KEY_BYTES; b++) {
      j->aKeys[i * RS_KEY_BYTES + b] =
          (unsigned char)(o->aKey[i] >> (8 * (RS_KEY_BYTES - 1 - b)));
    }
  }
  /* Groups: gathered in aKey's place (done with it), sorted, distinct. */
  int nG = 0;
  for (int i = 0; i < o->nLine; i++) {
    if (o->aLine[i].bBad) {
      j->bBad = 1;
      if (o->aLine[i].grp) {
        o->aKey[nG++] = o->aLine[i].grp;
      }
    }
  }
  qsort(o->aKey, (size_t)nG, sizeof(uint64_t), cmp_u64);
  if (nG) {
    j->aGrps = xmalloc((size_t)nG * 8);
    int nOut = 0;
    for (int i = 0; i < nG; i++) {
      if (i > 0 && o->aKey[i] == o->aKey[i - 1]) {
        continue;
      }
      for (int b = 0; b < 8; b++) {
        j->aGrps[nOut * 8 + b] = (unsigned char)(o->aKey[i] >> (8 * b));
      }
      nOut++;
    }
    j->nGrps = (size_t)nOut * 8;
  }
  j->tsMin = j->aLine[0].ts;
  j->tsMax = j->aLine[j->nLine - 1].ts;
  if (!o->bStoredMax || o->storedMax < j->tsMax) {
    o->storedMax = j->tsMax;
  }
  o->nLine = 0;
  o->nText = 0;
  memset(o->aSet, 0, o->nSet * sizeof(uint64_t));
  return submit(p, j);
}

static void open_free(OpenBlock *o) {
  free(o->zSource);
  free(o->aLine);
  free(o->aKey);
  free(o->zText);
  free(o->aSet);
  memset(o, 0, sizeof(*o));
}

/* The newest stored ts of zSource, INT64_MIN if none. 0 or E_DB. */
static int stored_max(const char *zSource, int64_t *pMax) {
  DbStmt *q = db_prepare(
      "SELECT max(ts_max) FROM raw_blocks WHERE source = :s AND ts_min >="
      " (SELECT max(ts_min) FROM raw_blocks WHERE source = :s) - :span");
  if (!q) {
    return E_DB;
  }
  db_bind_text(q, ":s", zSource);
  db_bind_int(q, ":span", RS_SPAN_MS);
  int rc = db_step(q);
  *pMax = INT64_MIN;
  if (rc == DB_ROW && !db_col_is_null(q, 0)) {
    *pMax = db_col_int(q, 0);
  }
  db_reset(q);
  return rc == DB_ROW || rc == DB_DONE ? 0 : E_DB;
}

/* Finds or makes zSource's open buffer (sealing the least recently used
** one when all are taken). NULL on E_DB. */
static OpenBlock *open_for(RawWriter *p, const char *zSource) {
  OpenBlock *pFree = NULL, *pOld = NULL;
  for (int i = 0; i < RS_MAX_OPEN; i++) {
    OpenBlock *o = &p->aOpen[i];
    if (!o->zSource) {
      pFree = pFree ? pFree : o;
    } else if (strcmp(o->zSource, zSource) == 0) {
      o->iUse = ++p->iClock;
      return o;
    } else if (!pOld || o->iUse < pOld->iUse) {
      pOld = o;
    }
  }
  if (!pFree) {
    if (seal(p, pOld)) {
      return NULL;
    }
    open_free(pOld);
    pFree = pOld;
  }
  pFree->zSource = xstrdup(zSource);
  pFree->iUse = ++p->iClock;
  return pFree;
}

static int set_has(const OpenBlock *o, uint64_t key) {
  if (!o->nSet) {
    return 0;
  }
  uint64_t v = key | (1ULL << 63);
  for (size_t i = (size_t)(key * 0x9e3779b97f4a7c15ULL) & (o->nSet - 1);;
       i = (i + 1) & (o->nSet - 1)) {
    if (o->aSet[i] == v) {
      return 1;
    }
    if (o->aSet[i] == 0) {
      return 0;
    }
  }
}

static void set_add(OpenBlock *o, uint64_t key) {
  if ((size_t)(o->nLine + 1) * 2 > o->nSet) {
    size_t nNew = o->nSet ? o->nSet * 2 : 1024;
    uint64_t *aOld = o->aSet;
    size_t nOld = o->nSet;
    o->aSet = xcalloc(nNew, sizeof(uint64_t));
    o->nSet = nNew;
    for (size_t i = 0; i < nOld; i++) {
      if (aOld[i]) {
        set_add(o, aOld[i] & ~(1ULL << 63));
      }
    }
    free(aOld);
  }
  uint64_t v = key | (1ULL << 63);
  size_t i = (size_t)(key * 0x9e3779b97f4a7c15ULL) & (o->nSet - 1);
  while (o->aSet[i] && o->aSet[i] != v) {
    i = (i + 1) & (o->nSet - 1);
  }
  o->aSet[i] = v;
}

/* Whether a stored block of zSource holds key at ts: 1, 0, or E_DB. */
static int stored_has(RawWriter *p, const char *zSource, int64_t ts,
                      uint64_t key) {
  DbStmt *q =
      db_prepare("SELECT id FROM raw_blocks WHERE source = :s AND ts_min >= :lo"
                 " AND ts_min <= :ts AND ts_max >= :ts");
  if (!q) {
    return E_DB;
  }
  db_bind_text_static(q, ":s", zSource);
  db_bind_int(q, ":lo", ts - RS_SPAN_MS);
  db_bind_int(q, ":ts", ts);
  int rc, bHave = 0;
  while (!bHave && (rc = db_step(q)) == DB_ROW) {
    int64_t id = db_col_int(q, 0);
    KeyCache *c = NULL;
    for (int i = 0; i < RS_CACHE; i++) {
      if (p->aCache[i].id == id) {
        c = &p->aCache[i];
      }
    }
    if (!c) {
      DbStmt *k =
          db_prepare("SELECT keys FROM raw_blocks WHERE id = :id");
      if (!k) {
        db_reset(q);
        return E_DB;
      }
      db_bind_int(k, ":id", id);
      if (db_step(k) != DB_ROW) {
        db_reset(k);
        db_reset(q);
        return E_DB;
      }
      c = &p->aCache[p->iCache];
      p->iCache = (p->iCache + 1) % RS_CACHE;
      free(c->a);
      const void *aCol = db_col_blob(k, 0, &c->n);
      c->a = xmalloc(c->n ? c->n : 1);
      if (c->n) {
        memcpy(c->a, aCol, c->n);
      }
      c->id = id;
      db_reset(k);
    }
    bHave = keys_have(c->a, c->n, key);
  }
  db_reset(q);
  if (!bHave && rc != DB_DONE) {
    return E_DB;
  }
  return bHave;
}

/* Appends a line whose fp is known (the migration brings old ones). */
static int append_fp(RawWriter *p, const char *zSource, int64_t ts, uint64_t fp,
                     const char *z, size_t n, int bBad, uint64_t grp) {
  if (p->rc) {
    return p->rc;
  }
  if (n > RAWBLOCK_MAX_RAW / 2) {
    n = RAWBLOCK_MAX_RAW / 2; /* callers cap lines far lower; a bound */
  }
  uint64_t key = line_key(ts, fp);
  OpenBlock *o = open_for(p, zSource);
  if (!o) {
    return E_DB;
  }
  if (set_has(o, key)) {
    return 0;
  }
  /* Blocks still with the compression thread are not rows yet: the
  ** stored checks below need them inserted. */
  if ((!o->bStoredMax || ts <= o->storedMax) && collect(p, 1)) {
    return E_DB;
  }
  if (!o->bStoredMax) {
    if (stored_max(zSource, &o->storedMax)) {
      return E_DB;
    }
    o->bStoredMax = 1;
  }
  if (ts <= o->storedMax) {
    int rc = stored_has(p, zSource, ts, key);
    if (rc) {
      return rc > 0 ? 0 : rc;
    }
  }
  if (o->nLine > 0) {
    int64_t lo = ts < o->tsMin ? ts : o->tsMin;
    int64_t hi = ts > o->tsMax ? ts : o->tsMax;
    if (o->nText + n + 1 > RS_SEAL_RAW || o->nLine >= RS_SEAL_LINES ||
        (uint64_t)hi - (uint64_t)lo >= (uint64_t)RS_SPAN_MS) {
      if (seal(p, o)) {
        return E_DB;
      }
    }
  }
  if (o->nLine == o->nLineAlloc) {
    int nNew = o->nLineAlloc ? o->nLineAlloc * 2 : 256;
    o->aLine = xrealloc(o->aLine, (size_t)nNew * sizeof(RawBlockLine));
    o->aKey = xrealloc(o->aKey, (size_t)nNew * sizeof(uint64_t));
    o->nLineAlloc = nNew;
  }
  if (o->nText + n + 1 > o->nTextAlloc) {
    size_t nNew = o->nTextAlloc ? o->nTextAlloc : 4096;
    while (nNew < o->nText + n + 1) {
      nNew *= 2;
    }
    o->zText = xrealloc(o->zText, nNew);
    o->nTextAlloc = nNew;
  }
  if (o->nLine == 0) {
    o->tsMin = o->tsMax = ts;
  } else {
    o->tsMin = ts < o->tsMin ? ts : o->tsMin;
    o->tsMax = ts > o->tsMax ? ts : o->tsMax;
  }
  set_add(o, key);
  RawBlockLine *l = &o->aLine[o->nLine];
  l->ts = ts;
  l->grp = bBad ? grp : 0;
  l->off = o->nText;
  l->n = (uint32_t)n;
  l->bBad = bBad ? 1 : 0;
  o->aKey[o->nLine] = key;
  memcpy(o->zText + o->nText, z, n);
  o->nText += n;
  o->nLine++;
  return 1;
}

int rawstore_append(RawWriter *p, const char *zSource, int64_t ts,
                    int64_t iLine, const char *z, size_t n, int bBad,
                    uint64_t grp) {
  uint64_t fp = hash64(z, n, hash64(zSource, strlen(zSource), (uint64_t)iLine));
  return append_fp(p, zSource, ts, fp, z, n, bBad, grp);
}

int rawstore_flush(RawWriter *p) {
  for (int i = 0; i < RS_MAX_OPEN; i++) {
    OpenBlock *o = &p->aOpen[i];
    if (o->zSource && seal(p, o)) {
      return E_DB;
    }
    /* Another writer may store this source before our next append. */
    o->bStoredMax = 0;
  }
  return collect(p, 1);
}

void rawstore_writer_free(RawWriter *p) {
  if (!p) {
    return;
  }
  if (p->bThread) {
    pthread_mutex_lock(&p->mu);
    p->bStop = 1;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
  }
  job_free(p->pQueued);
  job_free(p->pDone);
  for (int i = 0; i < RS_MAX_OPEN; i++) {
    open_free(&p->aOpen[i]);
  }
  for (int i = 0; i < RS_CACHE; i++) {
    free(p->aCache[i].a);
  }
  ZSTD_freeCCtx(p->pCtx);
  pthread_cond_destroy(&p->cond);
  pthread_mutex_destroy(&p->mu);
  free(p);
}

/* ---- scans ---- */

/* A block being read by a scan. */
typedef struct Act {
  RawBlock blk;     /* decoded lines */
  char *zLow;       /* lower-cased texts for bNoCase, reused */
  size_t nLowAlloc; /* bytes allocated for zLow */
  int64_t id;       /* block id */
  char *zSource;    /* its source, NEW */
  int i;            /* next line */
  size_t hit;       /* next match offset in the texts; see line_hit */
} Act;

#define HIT_UNKNOWN ((size_t)-1)
#define HIT_NONE ((size_t)-2)

/* Finished blocks' buffers, reused within one scan. */
typedef struct ActPool {
  Act *a[8]; /* free Acts */
  int n;     /* how many */
} ActPool;

static Act *act_get(ActPool *p) {
  return p->n ? p->a[--p->n] : xcalloc(1, sizeof(Act));
}

static void act_put(ActPool *p, Act *a) {
  free(a->zSource);
  a->zSource = NULL;
  if (p && p->n < 8) {
    p->a[p->n++] = a;
  } else {
    rawblock_free(&a->blk);
    free(a->zLow);
    free(a);
  }
}

typedef struct ScanState {
  const RawQuery *pQ;  /* the query */
  int64_t from, to;    /* its window, to exclusive */
  const char *zNeedle; /* text to find, lower-cased for bNoCase; or NULL */
  size_t nNeedle;      /* its length */
  int64_t cTs, cId;    /* cursor: first key to consider */
  int cIdx;            /* its line index */
} ScanState;

/* Whether line i of a holds the needle (lines are asked in order). */
static int line_hit(const ScanState *s, Act *a, int i) {
  const RawBlockLine *l = &a->blk.aLine[i];
  const char *zHay = s->pQ->bNoCase ? a->zLow : a->blk.zText;
  size_t nAll = a->blk.nRaw - (size_t)(a->blk.zText - a->blk.zRaw);
  if (a->hit == HIT_NONE) {
    return 0;
  }
  if (a->hit == HIT_UNKNOWN || a->hit < l->off) {
    const char *zAt =
        memmem(zHay + l->off, nAll - l->off, s->zNeedle, s->nNeedle);
    a->hit = zAt ? (size_t)(zAt - zHay) : HIT_NONE;
    if (!zAt) {
      return 0;
    }
  }
  return a->hit + s->nNeedle <= l->off + l->n;
}

static int line_ok(const ScanState *s, Act *a, int i) {
  const RawBlockLine *l = &a->blk.aLine[i];
  if (s->pQ->bBadOnly && !l->bBad) {
    return 0;
  }
  if (s->pQ->grp && (!l->bBad || l->grp != s->pQ->grp)) {
    return 0;
  }
  return !s->zNeedle || line_hit(s, a, i);
}

static int source_wanted(const RawQuery *pQ, const char *zSource) {
  if (!pQ->azSource) {
    return 1;
  }
  for (int i = 0; pQ->azSource[i]; i++) {
    if (strcmp(pQ->azSource[i], zSource) == 0) {
      return 1;
    }
  }
  return 0;
}

static int grps_have(const unsigned char *z, size_t n, uint64_t grp) {
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t v = 0;
    for (int b = 0; b < 8; b++) {
      v |= (uint64_t)z[i + b] << (8 * b);
    }
    if (v == grp) {
      return 1;
    }
  }
  return 0;
}

/* grps_have() on column i of q's row. */
static int col_grps_have(DbStmt *q, int i, uint64_t grp) {
  size_t n = 0;
  const unsigned char *z = db_col_blob(q, i, &n);
  return grps_have(z, n, grp);
}

static int64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Reads and decodes block id into a; skips lines before the cursor and
** the window. 0 or E_DB (a corrupt block is logged and is E_DB). */
static int act_decode(const ScanState *s, Act *a, int64_t id, int64_t tsMin,
                      size_t nRaw, const void *pPay, size_t nPay) {
  if (rawblock_decode(&a->blk, tsMin, nRaw, pPay, nPay)) {
    fprintf(stderr, "rawstore: block %lld is corrupt or unreadable\n",
            (long long)id);
    return E_DB;
  }
  a->id = id;
  a->i = 0;
  a->hit = HIT_UNKNOWN;
  if (s->pQ->bNoCase && s->zNeedle) {
    size_t nText = a->blk.nRaw - (size_t)(a->blk.zText - a->blk.zRaw);
    if (a->nLowAlloc < nText + 1) {
      a->zLow = xrealloc(a->zLow, nText + 1);
      a->nLowAlloc = nText + 1;
    }
    for (size_t k = 0; k < nText; k++) {
      unsigned char c = (unsigned char)a->blk.zText[k];
      a->zLow[k] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
  }
  /* The cursor's key and the window's start: lines are sorted by ts. */
  while (a->i < a->blk.nLine) {
    const RawBlockLine *l = &a->blk.aLine[a->i];
    int bBefore =
        l->ts < s->from || l->ts < s->cTs ||
        (l->ts == s->cTs && (id < s->cId || (id == s->cId && a->i < s->cIdx)));
    if (!bBefore) {
      break;
    }
    a->i++;
  }
  return 0;
}

/* act_decode() of block id's payload, read from the database. */
static int act_load(const ScanState *s, Act *a, int64_t id, int64_t tsMin,
                    size_t nRaw) {
  DbStmt *q = db_prepare("SELECT payload FROM raw_blocks WHERE id = :id");
  if (!q) {
    return E_DB;
  }
  db_bind_int(q, ":id", id);
  int rc = E_DB;
  if (db_step(q) == DB_ROW) {
    size_t nCol = 0;
    const void *aCol = db_col_blob(q, 0, &nCol);
    rc = act_decode(s, a, id, tsMin, nRaw, aCol, nCol);
  } else {
    fprintf(stderr, "rawstore: block %lld is unreadable\n", (long long)id);
  }
  db_reset(q);
  return rc;
}

/* The matching lines of a decoded block inside the window. */
static int64_t act_count(const ScanState *s, Act *a) {
  int64_t n = 0;
  for (; a->i < a->blk.nLine && a->blk.aLine[a->i].ts < s->to; a->i++) {
    n += line_ok(s, a, a->i);
  }
  return n;
}

/* Counting on both cores: a helper thread ("hs-rawcount") decodes and
** counts a block from a copy of its payload while this thread reads and
** counts the next; counts need no order. */
typedef struct Helper {
  pthread_t thread;    /* the helper */
  int bStarted;        /* it runs */
  pthread_mutex_t mu;  /* guards bJob, bStop, n, rc */
  pthread_cond_t cond; /* signalled on each change of them */
  const ScanState *s;  /* the scan (read only) */
  Act act;             /* the helper's decode buffers */
  void *pPay;          /* the job's payload copy */
  size_t nPay;         /* its bytes */
  size_t nPayAlloc;    /* allocated */
  int64_t id;          /* the job's block */
  int64_t tsMin;       /* its ts_min */
  size_t nRaw;         /* its raw_bytes */
  int bJob;            /* a job is waiting or running */
  int bStop;           /* no more jobs */
  int64_t n;           /* lines counted by the helper */
  int rc;              /* its first error */
} Helper;

static void *helper_main(void *pArg) {
  Helper *h = pArg;
  pthread_mutex_lock(&h->mu);
  for (;;) {
    while (!h->bJob && !h->bStop) {
      pthread_cond_wait(&h->cond, &h->mu);
    }
    if (!h->bJob) {
      break;
    }
    pthread_mutex_unlock(&h->mu);
    int64_t n = 0;
    int rc =
        act_decode(h->s, &h->act, h->id, h->tsMin, h->nRaw, h->pPay, h->nPay);
    if (!rc) {
      n = act_count(h->s, &h->act);
    }
    pthread_mutex_lock(&h->mu);
    h->n += n;
    h->rc = h->rc ? h->rc : rc;
    h->bJob = 0;
    pthread_cond_broadcast(&h->cond);
  }
  pthread_mutex_unlock(&h->mu);
  return NULL;
}

/* Hands block id to the helper if it is idle (starting it on first use):
** 1 if handed over, 0 if this thread should count it, E_DB. */
static int helper_take(Helper *h, int64_t id, int64_t tsMin, size_t nRaw) {
  if (!h->bStarted) {
    if (pthread_create(&h->thread, NULL, helper_main, h) != 0) {
      return 0;
    }
    pthread_setname_np(h->thread, "hs-rawcount");
    h->bStarted = 1;
  }
  pthread_mutex_lock(&h->mu);
  int bBusy = h->bJob;
  pthread_mutex_unlock(&h->mu);
  if (bBusy) {
    return 0;
  }
  DbStmt *q = db_prepare("SELECT payload FROM raw_blocks WHERE id = :id");
  if (!q) {
    return E_DB;
  }
  db_bind_int(q, ":id", id);
  if (db_step(q) != DB_ROW) {
    db_reset(q);
    return E_DB;
  }
  /* The helper is idle: its fields are this thread's until bJob is set. */
  size_t nPay = 0;
  const void *aPay = db_col_blob(q, 0, &nPay);
  if (h->nPayAlloc < nPay + 1) {
    h->pPay = xrealloc(h->pPay, nPay + 1);
    h->nPayAlloc = nPay + 1;
  }
  if (nPay) {
    memcpy(h->pPay, aPay, nPay);
  }
  db_reset(q);
  h->nPay = nPay;
  h->id = id;
  h->tsMin = tsMin;
  h->nRaw = nRaw;
  pthread_mutex_lock(&h->mu);
  h->bJob = 1;
  pthread_cond_broadcast(&h->cond);
  pthread_mutex_unlock(&h->mu);
  return 1;
}

/* Waits for the helper's last job, stops it, adds its count. 0 or E_DB. */
static int helper_end(Helper *h, int64_t *pnCount) {
  if (h->bStarted) {
    pthread_mutex_lock(&h->mu);
    h->bStop = 1;
    pthread_cond_broadcast(&h->cond);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->thread, NULL);
  }
  if (pnCount) {
    *pnCount += h->n;
  }
  rawblock_free(&h->act.blk);
  free(h->act.zLow);
  free(h->pPay);
  pthread_cond_destroy(&h->cond);
  pthread_mutex_destroy(&h->mu);
  return h->rc ? E_DB : 0;
}

/* The scan engine behind rawstore_scan and rawstore_count. With xEach
** NULL it counts into *pnCount (no limit, no budget). */
static int scan_run(const RawQuery *pQ, RawEach xEach, void *pArg, char *zNext,
                    size_t nNext, int64_t *pnCount) {
  ScanState s = {.pQ = pQ};
  s.from = pQ->from;
  s.to = pQ->to ? pQ->to : INT64_MAX;
  s.cTs = INT64_MIN;
  char *zLowNeedle = NULL; /* NEW: the needle lower-cased, for bNoCase */
  if (zNext && nNext) {
    zNext[0] = 0;
  }
  if (xEach && pQ->zCursor && pQ->zCursor[0]) {
    long long a, b;
    int c, nUsed = 0;
    if (sscanf(pQ->zCursor, "b1.%lld.%lld.%d%n", &a, &b, &c, &nUsed) != 3 ||
        pQ->zCursor[nUsed] != 0 || c < 0 || b < 0) {
      return E_INVALID;
    }
    s.cTs = a;
    s.cId = b;
    s.cIdx = c;
  }
  int nLimit = pQ->nLimit < 1 ? 1 : pQ->nLimit > 1000 ? 1000 : pQ->nLimit;
  int64_t tEnd = xEach && pQ->budgetMs > 0 ? now_ms() + pQ->budgetMs : 0;
  int64_t lo = s.from > s.cTs ? s.from : s.cTs;
  if (lo >= s.to) {
    return 0;
  }
  if (pQ->zText && pQ->zText[0]) {
    s.nNeedle = strlen(pQ->zText);
    s.zNeedle = pQ->zText;
    if (pQ->bNoCase) {
      zLowNeedle = xmalloc(s.nNeedle + 1);
      for (size_t k = 0; k <= s.nNeedle; k++) {
        unsigned char c = (unsigned char)pQ->zText[k];
        zLowNeedle[k] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
      }
      s.zNeedle = zLowNeedle;
    }
  }
  int bWhole = !pQ->bBadOnly && !pQ->grp && !s.zNeedle;

  DbStmt *q = db_prepare(
      "SELECT id, source, ts_min, ts_max, n_lines, has_bad, codec,"
      " raw_bytes, grps FROM raw_blocks WHERE ts_min >= :lo AND ts_min < :to"
      " AND ts_max >= :from ORDER BY ts_min, id");
  if (!q) {
    free(zLowNeedle);
    return E_DB;
  }
  db_bind_int(q, ":lo",
              lo < INT64_MIN + RS_SPAN_MS ? INT64_MIN : lo - RS_SPAN_MS);
  db_bind_int(q, ":to", s.to);
  db_bind_int(q, ":from", lo);

  ActPool pool = {.n = 0};
  Helper helper = {.s = &s,
                   .mu = PTHREAD_MUTEX_INITIALIZER,
                   .cond = PTHREAD_COND_INITIALIZER};
  int nActAlloc = 8;
  Act **aAct = xmalloc((size_t)nActAlloc * sizeof(Act *));
  int nAct = 0, nOut = 0, rc = 0, bPending = 0;
  int64_t pendTsMin = 0;
  int bFull = 0;     /* the limit is reached: looking for one more match */
  int bRowsDone = 0; /* stepping after DB_DONE would start over */
  /* Lines examined. The budget stops a scan only after one: every call
  ** moves past its cursor (a budget smaller than one block's decoding
  ** would otherwise page forever), and the cursor it writes then lies
  ** after the one it was given (a block that starts before that cursor
  ** can be pending while none is examined yet). */
  int64_t nSeen = 0;
  for (;;) {
    if (!bPending && !bRowsDone) {
      int r = db_step(q);
      if (r == DB_ROW) {
        bPending = 1;
        pendTsMin = db_col_int(q, 2);
      } else if (r == DB_DONE) {
        bRowsDone = 1;
      } else {
        rc = E_DB;
        break;
      }
    }
    /* The least (ts, id, idx) among the active blocks. */
    int iBest = -1;
    for (int k = 0; k < nAct; k++) {
      Act *a = aAct[k];
      if (a->i >= a->blk.nLine || a->blk.aLine[a->i].ts >= s.to) {
        act_put(&pool, a);
        aAct[k--] = aAct[--nAct];
        continue;
      }
      if (iBest < 0) {
        iBest = k;
        continue;
      }
      Act *b = aAct[iBest];
      int64_t ta = a->blk.aLine[a->i].ts, tb = b->blk.aLine[b->i].ts;
      if (ta < tb || (ta == tb && a->id < b->id)) {
        iBest = k;
      }
    }
    if (bPending &&
        (iBest < 0 || pendTsMin <= aAct[iBest]->blk.aLine[aAct[iBest]->i].ts)) {
      bPending = 0;
      if (tEnd && nSeen > 0 && now_ms() >= tEnd) {
        if (zNext) {
          /* Every line before pendTsMin was examined (the merge takes
          ** this block before any line at or after its start). */
          snprintf(zNext, nNext, "b1.%lld.0.0", (long long)pendTsMin);
        }
        break;
      }
      int64_t id = db_col_int(q, 0);
      int64_t tsMax = db_col_int(q, 3);
      if (!source_wanted(pQ, db_col_text(q, 1)) ||
          (pQ->bBadOnly && !db_col_int(q, 5)) ||
          (pQ->grp &&
           !col_grps_have(q, 8, pQ->grp))) {
        continue;
      }
      if (db_col_int(q, 6) != RS_CODEC_ZSTD1) {
        rc = E_DB;
        break;
      }
      if (!xEach && bWhole && pendTsMin >= s.from && tsMax < s.to) {
        *pnCount += db_col_int(q, 4); /* wholly inside: no decoding */
        continue;
      }
      int64_t nRaw = db_col_int(q, 7);
      if (!xEach && nRaw >= 0) {
        int r = helper_take(&helper, id, pendTsMin, (size_t)nRaw);
        if (r < 0) {
          rc = E_DB;
          break;
        }
        if (r > 0) {
          continue;
        }
      }
      Act *a = act_get(&pool);
      a->zSource = xstrdup(db_col_text(q, 1));
      if (nRaw < 0 || act_load(&s, a, id, pendTsMin, (size_t)nRaw)) {
        act_put(&pool, a);
        rc = E_DB;
        break;
      }
      if (!xEach) {
        /* Counting needs no order: this block's lines, then the next. */
        *pnCount += act_count(&s, a);
        act_put(&pool, a);
        continue;
      }
      if (nAct == nActAlloc) {
        nActAlloc *= 2;
        aAct = xrealloc(aAct, (size_t)nActAlloc * sizeof(Act *));
      }
      aAct[nAct++] = a;
      continue;
    }
    if (iBest < 0) {
      break;
    }
    Act *a = aAct[iBest];
    int i = a->i++;
    nSeen++;
    if (!line_ok(&s, a, i)) {
      /* Counted across blocks: blocks of fewer than 1024 lines (small
      ** pushes) used to reach this check never. */
      if (tEnd && (nSeen & 255) == 0 && now_ms() >= tEnd) {
        if (zNext) {
          /* Just after line i: nothing between is unread. */
          snprintf(zNext, nNext, "b1.%lld.%lld.%d",
                   (long long)a->blk.aLine[i].ts, (long long)a->id, i + 1);
        }
        break;
      }
      continue;
    }
    RawBlockLine *l = &a->blk.aLine[i];
    if (!xEach) {
      (*pnCount)++;
      continue;
    }
    if (bFull) {
      if (zNext) {
        snprintf(zNext, nNext, "b1.%lld.%lld.%d", (long long)l->ts,
                 (long long)a->id, i);
      }
      break;
    }
    char *zLine = (char *)a->blk.zText + l->off;
    zLine[l->n] = 0; /* the '\n' after it, put back below */
    RawLine line = {.ts = l->ts,
                    .zSource = a->zSource,
                    .z = zLine,
                    .n = l->n,
                    .bBad = l->bBad,
                    .grp = l->grp};
    int bStop = xEach(pArg, &line);
    zLine[l->n] = '\n';
    nOut++;
    if (bStop) {
      break;
    }
    if (nOut >= nLimit) {
      bFull = 1;
    }
  }
  db_reset(q);
  for (int k = 0; k < nAct; k++) {
    act_put(NULL, aAct[k]);
  }
  for (int k = 0; k < pool.n; k++) {
    act_put(NULL, pool.a[k]);
  }
  free(aAct);
  if (helper_end(&helper, pnCount) && !rc) {
    rc = E_DB;
  }
  free(zLowNeedle);
  return rc;
}

int rawstore_scan(const RawQuery *pQ, RawEach xEach, void *pArg, char *zNext,
                  size_t nNext) {
  assert(xEach && nNext >= 64);
  return scan_run(pQ, xEach, pArg, zNext, nNext, NULL);
}

int64_t rawstore_cursor_ts(const char *zCursor) {
  long long a, b;
  int c, nUsed = 0;
  if (!zCursor ||
      sscanf(zCursor, "b1.%lld.%lld.%d%n", &a, &b, &c, &nUsed) != 3 ||
      zCursor[nUsed] != 0) {
    return INT64_MIN;
  }
  return a;
}

int64_t rawstore_count(const RawQuery *pQ) {
  int64_t n = 0;
  return scan_run(pQ, NULL, NULL, NULL, 0, &n) ? -1 : n;
}

/* ---- retention ---- */

int64_t rawstore_expire(int64_t cutoff, const int64_t *aKeep, int nKeep) {
  int bOwn = !db_in_transaction();
  if (bOwn && db_begin_write()) {
    return -1;
  }
  DbStmt *q =
      db_prepare("SELECT id, ts_min, ts_max, n_lines FROM raw_blocks"
                 " WHERE ts_min < :cutoff AND ts_max < :cutoff");
  DbStmt *d = db_prepare("DELETE FROM raw_blocks WHERE id = :id");
  int64_t nGone = 0;
  int rc = q && d ? 0 : E_DB;
  if (!rc) {
    db_bind_int(q, ":cutoff", cutoff);
    int r;
    while ((r = db_step(q)) == DB_ROW) {
      int64_t lo = db_col_int(q, 1), hi = db_col_int(q, 2);
      int bKeep = 0;
      for (int k = 0; k < nKeep && !bKeep; k++) {
        bKeep = lo <= aKeep[2 * k + 1] && hi >= aKeep[2 * k];
      }
      if (bKeep) {
        continue;
      }
      db_bind_int(d, ":id", db_col_int(q, 0));
      if (db_run(d)) {
        rc = E_DB;
        break;
      }
      nGone += db_col_int(q, 3);
    }
    if (!rc && r != DB_DONE) {
      rc = E_DB;
    }
    db_reset(q);
  }
  if (bOwn) {
    if (rc) {
      db_rollback();
    } else if (db_commit_unseen()) {
      rc = E_DB;
    }
  }
  return rc ? -1 : nGone;
}

/* ---- compaction ---- */

#define RS_SMALL_LINES 1024

/* One line of a group being merged, with where it came from. */
typedef struct MergeLine {
  RawBlockLine l; /* the line; off into the merged text */
  int iBlock;     /* its block's place in the group (id order) */
  int iIdx;       /* its index in that block */
} MergeLine;

static int cmp_merge(const void *a, const void *b) {
  const MergeLine *x = a, *y = b;
  if (x->l.ts != y->l.ts) {
    return x->l.ts < y->l.ts ? -1 : 1;
  }
  if (x->iBlock != y->iBlock) {
    return x->iBlock < y->iBlock ? -1 : 1;
  }
  return x->iIdx < y->iIdx ? -1 : x->iIdx > y->iIdx;
}

/* Merges the blocks aId[0..n) (one source, ids rising) into one block and
** deletes them, in the current transaction. 0 or E_DB. */
static int merge_group(ZSTD_CCtx *pCtx, const char *zSource, const int64_t *aId,
                       int n) {
  SealJob *j = xcalloc(1, sizeof(*j));
  MergeLine *aM = NULL;
  int nM = 0, nMAlloc = 0, rc = 0;
  size_t nText = 0, nTextAlloc = 0, nKeyAlloc = 0;
  uint64_t *aKey = NULL, *aGrp = NULL;
  size_t nKey = 0, nGrp = 0, nGrpAlloc = 0;
  RawBlock blk = {0};
  DbStmt *q = db_prepare(
      "SELECT ts_min, raw_bytes, grps, keys, payload, codec FROM raw_blocks"
      " WHERE id = :id");
  if (!q) {
    rc = E_DB;
  }
  for (int b = 0; !rc && b < n; b++) {
    db_bind_int(q, ":id", aId[b]);
    size_t nPay = 0, nKeyBytes = 0, nGrpBytes = 0;
    if (db_step(q) != DB_ROW || db_col_int(q, 5) != RS_CODEC_ZSTD1) {
      rc = E_DB;
      break;
    }
    const void *aPay = db_col_blob(q, 4, &nPay);
    if (rawblock_decode(&blk, db_col_int(q, 0), (size_t)db_col_int(q, 1),
                        aPay, nPay)) {
      rc = E_DB;
      break;
    }
    const unsigned char *zK = db_col_blob(q, 3, &nKeyBytes);
    size_t nK = nKeyBytes / RS_KEY_BYTES;
    if (nKey + nK > nKeyAlloc) {
      nKeyAlloc = (nKey + nK) * 2;
      aKey = xrealloc(aKey, nKeyAlloc * sizeof(uint64_t));
    }
    for (size_t k = 0; k < nK; k++) {
      aKey[nKey++] = get_key(zK + k * RS_KEY_BYTES);
    }
    const unsigned char *zG = db_col_blob(q, 2, &nGrpBytes);
    size_t nG = nGrpBytes / 8;
    if (nGrp + nG > nGrpAlloc) {
      nGrpAlloc = (nGrp + nG) * 2;
      aGrp = xrealloc(aGrp, nGrpAlloc * sizeof(uint64_t));
    }
    for (size_t k = 0; k < nG; k++) {
      uint64_t v = 0;
      for (int x = 0; x < 8; x++) {
        v |= (uint64_t)zG[k * 8 + x] << (8 * x);
      }
      aGrp[nGrp++] = v;
    }
    size_t nT = blk.nRaw - (size_t)(blk.zText - blk.zRaw);
    if (nText + nT > nTextAlloc) {
      nTextAlloc = (nText + nT) * 2;
      j->zText = xrealloc(j->zText, nTextAlloc);
    }
    memcpy(j->zText + nText, blk.zText, nT);
    for (int i = 0; i < blk.nLine; i++) {
      if (nM == nMAlloc) {
        nMAlloc = nMAlloc ? nMAlloc * 2 : 1024;
        aM = xrealloc(aM, (size_t)nMAlloc * sizeof(MergeLine));
      }
      aM[nM].l = blk.aLine[i];
      aM[nM].l.off += nText;
      aM[nM].iBlock = b;
      aM[nM].iIdx = i;
      j->bBad |= blk.aLine[i].bBad;
      nM++;
    }
    nText += nT;
    db_reset(q);
  }
  if (q) {
    db_reset(q);
  }
  if (!rc && (nM < 1 || nM > RAWBLOCK_MAX_LINES || nKey != (size_t)nM)) {
    rc = E_DB;
  }
  if (!rc) {
    qsort(aM, (size_t)nM, sizeof(MergeLine), cmp_merge);
    j->aLine = xmalloc((size_t)nM * sizeof(RawBlockLine));
    for (int i = 0; i < nM; i++) {
      j->aLine[i] = aM[i].l;
    }
    j->nLine = nM;
    j->zSource = xstrdup(zSource);
    j->tsMin = j->aLine[0].ts;
    j->tsMax = j->aLine[nM - 1].ts;
    qsort(aKey, nKey, sizeof(uint64_t), cmp_u64);
    j->nKeys = nKey * RS_KEY_BYTES;
    j->aKeys = xmalloc(j->nKeys);
    for (size_t i = 0; i < nKey; i++) {
      for (int x = 0; x < RS_KEY_BYTES; x++) {
        j->aKeys[i * RS_KEY_BYTES + (size_t)x] =
            (unsigned char)(aKey[i] >> (8 * (RS_KEY_BYTES - 1 - x)));
      }
    }
    if (nGrp) { /* qsort's base must not be NULL, even for none */
      qsort(aGrp, nGrp, sizeof(uint64_t), cmp_u64);
    }
    size_t nOut = 0;
    if (nGrp) {
      j->aGrps = xmalloc(nGrp * 8);
    }
    for (size_t i = 0; i < nGrp; i++) {
      if (i > 0 && aGrp[i] == aGrp[i - 1]) {
        continue;
      }
      for (int x = 0; x < 8; x++) {
        j->aGrps[nOut * 8 + (size_t)x] = (unsigned char)(aGrp[i] >> (8 * x));
      }
      nOut++;
    }
    j->nGrps = nOut * 8;
    job_encode(pCtx, j);
    rc = job_store(j);
  }
  DbStmt *d =
      rc ? NULL : db_prepare("DELETE FROM raw_blocks WHERE id = :id");
  for (int b = 0; !rc && b < n; b++) {
    if (!d) {
      rc = E_DB;
      break;
    }
    db_bind_int(d, ":id", aId[b]);
    rc = db_run(d) ? E_DB : 0;
  }
  rawblock_free(&blk);
  free(aM);
  free(aKey);
  free(aGrp);
  job_free(j);
  return rc;
}

int64_t rawstore_compact(int nMax) {
  if (db_begin_write()) {
    return -1;
  }
  ZSTD_CCtx *pCtx = ZSTD_createCCtx();
  DbStmt *q = db_prepare(
      "SELECT id, source, ts_min, ts_max, raw_bytes, n_lines FROM raw_blocks"
      " WHERE n_lines < :small ORDER BY source, ts_min, id LIMIT :max");
  int rc = pCtx && q ? 0 : E_DB;
  int64_t nGone = 0;
  int nRow = 0;
  int64_t *aId = xmalloc((size_t)(nMax < 2 ? 2 : nMax) * sizeof(int64_t));
  /* Rows are read first, merged after: no writes under a running read. */
  typedef struct Row {
    int64_t id, tsMin, tsMax, nRaw, nLine; /* the block's columns */
    char *zSource;                         /* NEW */
  } Row;
  Row *aRow = xcalloc((size_t)(nMax < 2 ? 2 : nMax), sizeof(Row));
  if (!rc) {
    db_bind_int(q, ":small", RS_SMALL_LINES);
    db_bind_int(q, ":max", nMax < 2 ? 2 : nMax);
    int r;
    while ((r = db_step(q)) == DB_ROW) {
      Row *w = &aRow[nRow++];
      w->id = db_col_int(q, 0);
      w->zSource = xstrdup(db_col_text(q, 1));
      w->tsMin = db_col_int(q, 2);
      w->tsMax = db_col_int(q, 3);
      w->nRaw = db_col_int(q, 4);
      w->nLine = db_col_int(q, 5);
    }
    rc = r == DB_DONE ? 0 : E_DB;
    db_reset(q);
  }
  /* Runs of one source that fit one block (an hour, the size caps). */
  for (int i = 0; !rc && i < nRow;) {
    int k = i + 1;
    int64_t lo = aRow[i].tsMin, hi = aRow[i].tsMax;
    int64_t nRaw = aRow[i].nRaw, nLine = aRow[i].nLine;
    while (k < nRow && strcmp(aRow[k].zSource, aRow[i].zSource) == 0) {
      int64_t lo2 = aRow[k].tsMin < lo ? aRow[k].tsMin : lo;
      int64_t hi2 = aRow[k].tsMax > hi ? aRow[k].tsMax : hi;
      if ((uint64_t)hi2 - (uint64_t)lo2 >= (uint64_t)RS_SPAN_MS ||
          nRaw + aRow[k].nRaw > (int64_t)RS_SEAL_RAW ||
          nLine + aRow[k].nLine > RS_SEAL_LINES) {
        break;
      }
      lo = lo2;
      hi = hi2;
      nRaw += aRow[k].nRaw;
      nLine += aRow[k].nLine;
      k++;
    }
    if (k - i >= 2) {
      int n = 0;
      for (int m = i; m < k; m++) {
        aId[n++] = aRow[m].id;
      }
      /* Ids rising: the merge keeps arrival order within a ts. */
      qsort(aId, (size_t)n, sizeof(int64_t), cmp_u64);
      rc = merge_group(pCtx, aRow[i].zSource, aId, n);
      nGone += n - 1;
    }
    i = k;
  }
  for (int i = 0; i < nRow; i++) {
    free(aRow[i].zSource);
  }
  free(aRow);
  free(aId);
  ZSTD_freeCCtx(pCtx);
  if (rc) {
    db_rollback();
    return -1;
  }
  return db_commit_unseen() ? -1 : nGone;
}

/* ---- the old raw_lines table ---- */

static int old_table_exists(void) {
  DbStmt *q =
      db_prepare(db_sql("SELECT count(*) FROM sqlite_master"
                        " WHERE type = 'table' AND name = 'raw_lines'",
                        "SELECT count(*) FROM pg_tables"
                        " WHERE tablename = 'raw_lines'"));
  if (!q) {
    return E_DB;
  }
  int rc = db_step(q);
  int bHave = rc == DB_ROW && db_col_int(q, 0) > 0;
  db_reset(q);
  return rc == DB_ROW ? bHave : E_DB;
}

int64_t rawstore_migrate(int nBatch) {
  int rc = old_table_exists();
  if (rc <= 0) {
    return rc ? -1 : 0;
  }
  if (db_begin_write()) {
    return -1;
  }
  RawWriter *w = rawstore_writer_new();
  DbStmt *q =
      db_prepare("SELECT id, ts, fp, bad, grp, source, line FROM raw_lines"
                 " ORDER BY id LIMIT :n");
  int64_t nMoved = 0, lastId = 0;
  rc = w && q ? 0 : E_DB;
  if (!rc) {
    db_bind_int(q, ":n", nBatch < 1 ? 1 : nBatch);
    int r;
    while ((r = db_step(q)) == DB_ROW) {
      const char *zLine = db_col_text(q, 6);
      int bBad = db_col_int(q, 3) != 0;
      if (append_fp(w, db_col_text(q, 5), db_col_int(q, 1),
                    (uint64_t)db_col_int(q, 2), zLine, strlen(zLine), bBad,
                    (uint64_t)db_col_int(q, 4)) < 0) {
        rc = E_DB;
        break;
      }
      lastId = db_col_int(q, 0);
      nMoved++;
    }
    if (!rc && r != DB_DONE) {
      rc = E_DB;
    }
    db_reset(q);
  }
  if (!rc && nMoved && rawstore_flush(w)) {
    rc = E_DB;
  }
  if (!rc && nMoved) {
    DbStmt *d = db_prepare("DELETE FROM raw_lines WHERE id <= :id");
    if (!d) {
      rc = E_DB;
    } else {
      db_bind_int(d, ":id", lastId);
      rc = db_run(d) ? E_DB : 0;
    }
  }
  rawstore_writer_free(w);
  if (rc) {
    db_rollback();
    return -1;
  }
  return db_commit_unseen() ? -1 : nMoved;
}

#define RS_MIGRATE_BATCH 20000

static Worker migrator = WORKER_INIT;

static void migrator_main(void *pArg) {
  (void)pArg;
  int bStop = 0;
  while (!bStop) {
    if (!db_lead(DB_JOB_RAWMIGRATE)) {
      bStop = worker_wait(&migrator, 60000); /* another node does it */
      continue;
    }
    int64_t n = rawstore_migrate(RS_MIGRATE_BATCH);
    if (n < 0) {
      fprintf(stderr, "rawstore: migrating old raw lines failed; retrying"
                      " in a minute\n");
    } else if (n == 0) {
      /* Idle: merge what small pushes left, 256 blocks a transaction. */
      n = rawstore_compact(256);
    }
    /* 0 ms between batches still gives other writers the lock. */
    bStop = worker_wait(&migrator, n > 0 ? 0 : 60000);
  }
  db_close_thread();
}

int rawstore_migrator_start(void) {
  if (worker_start(&migrator, migrator_main, NULL)) {
    fprintf(stderr, "hindsight: cannot start the raw-line migration\n");
    return E_IO;
  }
  pthread_setname_np(migrator.thread, "hs-rawmigrate");
  return 0;
}

void rawstore_migrator_stop(void) { worker_stop(&migrator); }

/* ---- hindsight raw ---- */

static const char *zRawUsage =
    "usage: hindsight raw [--source NAME]... [--from TIME] [--to TIME]\n"
    "                     [--grep TEXT] [-i] [--bad]\n"
    "       hindsight raw --migrate\n"
    "  prints the stored raw lines of a window, oldest first, one a line:\n"
    "  time (UTC, ISO 8601), a tab, the source, a tab, the line.\n"
    "  --from is inclusive, --to exclusive (ISO 8601; default: all).\n"
    "  --grep keeps lines holding TEXT (-i: ASCII case-insensitively);\n"
    "  --bad keeps error lines. --migrate moves the rows of the old\n"
    "  one-row-a-line table into blocks, 20,000 a transaction.\n";

static int cli_print(void *pArg, const RawLine *pLine) {
  char zTs[25];
  utc_format(pLine->ts, zTs);
  FILE *f = pArg;
  fprintf(f, "%s\t%s\t", zTs, pLine->zSource);
  fwrite(pLine->z, 1, pLine->n, f);
  fputc('\n', f);
  return ferror(f) ? 1 : 0;
}

int rawstore_cli(int argc, char **argv) {
  const char *azSource[33];
  int nSource = 0;
  RawQuery q = {.from = INT64_MIN, .nLimit = 1000};
  int bMigrate = 0;
  for (int i = 0; i < argc; i++) {
    const char *z = argv[i];
    int bArg = i + 1 < argc;
    if (strcmp(z, "--help") == 0) {
      fputs(zRawUsage, stdout);
      return 0;
    } else if (strcmp(z, "--migrate") == 0) {
      bMigrate = 1;
    } else if (strcmp(z, "-i") == 0) {
      q.bNoCase = 1;
    } else if (strcmp(z, "--bad") == 0) {
      q.bBadOnly = 1;
    } else if (strcmp(z, "--source") == 0 && bArg && nSource < 32) {
      azSource[nSource++] = argv[++i];
    } else if (strcmp(z, "--grep") == 0 && bArg) {
      q.zText = argv[++i];
      if (strlen(q.zText) > 500) {
        fputs("hindsight raw: --grep text is over 500 bytes\n", stderr);
        return 2;
      }
    } else if ((strcmp(z, "--from") == 0 || strcmp(z, "--to") == 0) && bArg) {
      const char *zT = argv[++i];
      int64_t ms;
      if (utc_parse_iso(zT, strlen(zT), &ms)) {
        fprintf(stderr, "hindsight raw: %s: not an ISO 8601 time\n", zT);
        return 2;
      }
      if (z[2] == 'f') {
        q.from = ms;
      } else {
        q.to = ms;
      }
    } else {
      fprintf(stderr, "hindsight raw: %s: unknown or incomplete\n%s", z,
              zRawUsage);
      return 2;
    }
  }
  if (bMigrate) {
    int64_t nAll = 0, n;
    while ((n = rawstore_migrate(20000)) > 0) {
      nAll += n;
      fprintf(stderr, "hindsight raw: moved %lld rows\n", (long long)nAll);
    }
    if (n < 0) {
      fputs("hindsight raw: the migration stopped on a database error;"
            " run it again to go on\n",
            stderr);
      return 1;
    }
    printf("%lld\n", (long long)nAll);
    return 0;
  }
  azSource[nSource] = NULL;
  q.azSource = nSource ? azSource : NULL;
  char zCursor[64] = "", zNext[64];
  do {
    q.zCursor = zCursor[0] ? zCursor : NULL;
    int rc = rawstore_scan(&q, cli_print, stdout, zNext, sizeof(zNext));
    if (rc) {
      fputs("hindsight raw: the store could not be read\n", stderr);
      return 1;
    }
    if (ferror(stdout)) {
      return 1;
    }
    memcpy(zCursor, zNext, sizeof(zCursor));
  } while (zCursor[0]);
  return 0;
}
