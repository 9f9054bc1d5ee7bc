/* test_rawstore: raw lines in compressed blocks (rawstore.c) on a real
** temporary database: append, dedupe (in the open buffer and against stored
** blocks), flush inside a transaction, merged scans in (ts, arrival) order,
** filters, cursors, budgets, counts, retention, corrupt blocks refused, and
** a large input sealed into bounded blocks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "err.h"
#include "harness.h"
#include "rawstore.h"
#include "rawstore_admin.h"
#include <time.h>

#define MIN_MS ((int64_t)60000)
#define T0 ((int64_t)1700000000000) /* a fixed time: no dependence on now */

/* Collected scan output. */
typedef struct Got {
  int n;                 /* lines seen */
  int64_t aTs[4096];     /* their times */
  char azLine[64][96];   /* the first 64 texts */
  char azSource[64][16]; /* and sources */
  int nBad;              /* error lines seen */
  int bOrdered;          /* ts never went back */
} Got;

static int collect(void *pArg, const RawLine *pLine) {
  Got *g = pArg;
  if (g->n > 0 && pLine->ts < g->aTs[(g->n - 1) % 4096]) {
    g->bOrdered = 0;
  }
  if (g->n < 64) {
    snprintf(g->azLine[g->n], sizeof(g->azLine[0]), "%s", pLine->z);
    snprintf(g->azSource[g->n], sizeof(g->azSource[0]), "%s", pLine->zSource);
  }
  if (pLine->z[pLine->n] != 0 || strlen(pLine->z) != pLine->n) {
    g->bOrdered = -1000000; /* not NUL-terminated at n: fail below */
  }
  g->aTs[g->n % 4096] = pLine->ts;
  g->nBad += pLine->bBad;
  g->n++;
  return 0;
}

static void got_init(Got *g) {
  memset(g, 0, sizeof(*g));
  g->bOrdered = 1;
}

/* Appends n lines "LABEL i" of zSource, one every stepMs from ts0; every
** tenth is an error line of group 42. Returns how many were stored. */
static int add_lines(RawWriter *w, const char *zSource, const char *zLabel,
                     int64_t ts0, int64_t stepMs, int n) {
  int nNew = 0;
  for (int i = 0; i < n; i++) {
    char z[96];
    int nz = snprintf(z, sizeof(z), "%s %d GET /x HTTP/1.1", zLabel, i);
    int bBad = i % 10 == 0;
    int rc = rawstore_append(w, zSource, ts0 + i * stepMs, i + 1, z, (size_t)nz,
                             bBad, bBad ? 42 : 0);
    if (rc < 0) {
      return rc;
    }
    nNew += rc;
  }
  return nNew;
}

static int store(const char *zSource, const char *zLabel, int64_t ts0,
                 int64_t stepMs, int n) {
  RawWriter *w = rawstore_writer_new();
  if (!w || db_begin_write()) {
    return -1;
  }
  int nNew = add_lines(w, zSource, zLabel, ts0, stepMs, n);
  if (nNew < 0 || rawstore_flush(w) || db_commit()) {
    db_rollback();
    nNew = -1;
  }
  rawstore_writer_free(w);
  return nNew;
}

static int64_t q_int(const char *zSql) {
  sqlite3_stmt *q;
  int64_t v = -1;
  if (sqlite3_prepare_v2(db_conn(), zSql, -1, &q, NULL) == SQLITE_OK &&
      sqlite3_step(q) == SQLITE_ROW) {
    v = sqlite3_column_int64(q, 0);
  }
  sqlite3_finalize(q);
  return v;
}

static void test_basic(void) {
  CHECK_INT("100 new lines stored", store("web", "alpha", T0, 1000, 100), 100);
  CHECK_INT("the same again: all duplicates (stored blocks)",
            store("web", "alpha", T0, 1000, 100), 0);
  CHECK_INT("the same text at another line number is new",
            store("web", "alpha", T0 + 50, 1000, 1), 1);
  RawWriter *w = rawstore_writer_new();
  db_begin_write();
  CHECK_INT("a line once", rawstore_append(w, "api", T0 + 5, 1, "x", 1, 0, 0),
            1);
  CHECK_INT("the same line twice before a flush is a duplicate",
            rawstore_append(w, "api", T0 + 5, 1, "x", 1, 0, 0), 0);
  CHECK_INT("flush", rawstore_flush(w), 0);
  db_rollback();
  rawstore_writer_free(w);
  RawQuery q = {.from = INT64_MIN};
  const char *azApi[] = {"api", NULL};
  q.azSource = azApi;
  CHECK_INT("a rolled-back flush leaves nothing", rawstore_count(&q), 0);

  q.azSource = NULL;
  CHECK_INT("count of everything", rawstore_count(&q), 101);
  q.from = T0 + 10 * 1000;
  q.to = T0 + 20 * 1000;
  CHECK_INT("count of a window [from, to)", rawstore_count(&q), 10);
  q.bBadOnly = 1;
  CHECK_INT("error lines of the window", rawstore_count(&q), 1);
  q.bBadOnly = 0;
  q.grp = 42;
  CHECK_INT("lines of group 42 in the window", rawstore_count(&q), 1);
  q.grp = 7;
  CHECK_INT("no lines of another group", rawstore_count(&q), 0);
  q.grp = 0;

  Got g;
  got_init(&g);
  char zNext[64];
  q.nLimit = 1000;
  CHECK_INT("scan a window",
            rawstore_scan(&q, collect, &g, zNext, sizeof(zNext)), 0);
  CHECK_INT("10 lines", g.n, 10);
  CHECK_STR("first line's text", g.azLine[0], "alpha 10 GET /x HTTP/1.1");
  CHECK_STR("its source", g.azSource[0], "web");
  CHECK_INT("no cursor at the end", zNext[0], 0);
  CHECK_INT("NUL-terminated at n, in order", g.bOrdered, 1);

  q.from = INT64_MIN;
  q.to = 0;
  q.zText = "alpha 7 ";
  got_init(&g);
  rawstore_scan(&q, collect, &g, zNext, sizeof(zNext));
  CHECK_INT("substring match", g.n, 1);
  q.zText = "ALPHA 7 get";
  got_init(&g);
  rawstore_scan(&q, collect, &g, zNext, sizeof(zNext));
  CHECK_INT("case matters by default", g.n, 0);
  q.bNoCase = 1;
  got_init(&g);
  rawstore_scan(&q, collect, &g, zNext, sizeof(zNext));
  CHECK_INT("-i matches ASCII case-insensitively", g.n, 1);
  q.zText = "1.1alpha";
  got_init(&g);
  rawstore_scan(&q, collect, &g, zNext, sizeof(zNext));
  CHECK_INT("a match never spans two lines", g.n, 0);
  char zLong[2000];
  memset(zLong, 'A', sizeof(zLong) - 1);
  zLong[sizeof(zLong) - 1] = 0;
  q.zText = zLong;
  CHECK_INT("a long needle is fine, -i too (no match)", rawstore_count(&q), 0);
  q.bNoCase = 0;
  q.zText = NULL;
}

static void test_order_and_cursor(void) {
  /* Two sources interleaved, one with a late line. */
  int64_t t = T0 + 10 * 60 * MIN_MS;
  store("b", "bee", t + 1, 2, 50);
  store("a", "ay", t, 2, 50);
  RawWriter *w = rawstore_writer_new();
  db_begin_write();
  rawstore_append(w, "b", t + 3, 999, "late bee", 8, 0, 0);
  rawstore_flush(w);
  db_commit();
  rawstore_writer_free(w);

  RawQuery q = {.from = t, .to = t + 100, .nLimit = 1000};
  Got g;
  got_init(&g);
  char zNext[64];
  rawstore_scan(&q, collect, &g, zNext, sizeof(zNext));
  CHECK_INT("both sources merged", g.n, 101);
  CHECK_INT("merged in ts order", g.bOrdered, 1);
  CHECK_STR("ts order: a's first", g.azLine[0], "ay 0 GET /x HTTP/1.1");
  CHECK_STR("then b's", g.azLine[1], "bee 0 GET /x HTTP/1.1");
  CHECK_STR("the late line in its place", g.azLine[4], "late bee");
  CHECK_STR("after the earlier arrival of the same ts", g.azLine[3],
            "bee 1 GET /x HTTP/1.1");

  /* Paging by 7 returns each line once, in order. */
  Got all;
  got_init(&all);
  char zCur[64] = "";
  int nPage = 0, rc = 0;
  q.nLimit = 7;
  do {
    q.zCursor = zCur;
    rc |= rawstore_scan(&q, collect, &all, zNext, sizeof(zNext));
    memcpy(zCur, zNext, sizeof(zCur));
    nPage++;
  } while (zCur[0] && nPage < 100);
  CHECK_INT("paging: no error", rc, 0);
  CHECK_INT("paging: 15 pages", nPage, 15);
  CHECK_INT("paging: every line once", all.n, 101);
  CHECK_INT("paging: in order", all.bOrdered, 1);
  int bSame = 1;
  for (int i = 0; i < 64; i++) {
    bSame &= strcmp(all.azLine[i], g.azLine[i]) == 0 || i >= 50;
  }
  CHECK("paging: the same lines as one scan", bSame);
  q.nLimit = 1000;
  const char *azA[] = {"a", NULL};
  q.azSource = azA;
  got_init(&g);
  rawstore_scan(&q, collect, &g, zNext, sizeof(zNext));
  CHECK_INT("one source only", g.n, 50);
  q.azSource = NULL;
  q.zCursor = "b1.x.1.2";
  CHECK_INT("a cursor that is not ours",
            rawstore_scan(&q, collect, &g, zNext, sizeof(zNext)), E_INVALID);
  q.zCursor = "b1.1.2.3junk";
  CHECK_INT("a cursor with trailing junk",
            rawstore_scan(&q, collect, &g, zNext, sizeof(zNext)), E_INVALID);
  q.zCursor = NULL;
}

/* A duplicate of a line whose block is still being compressed (sealed,
** not yet a row) is still a duplicate. */
static void test_dup_in_flight(void) {
  int64_t t = T0 + 20 * 24 * 60 * MIN_MS;
  RawWriter *w = rawstore_writer_new();
  db_begin_write();
  int nNew = add_lines(w, "fly", "in flight", t, 10, 9000); /* seals 8192 */
  int rc = rawstore_append(w, "fly", t + 10, 2, "in flight 1 GET /x HTTP/1.1",
                           27, 0, 0);
  CHECK_INT("9000 new lines", nNew, 9000);
  CHECK_INT("a line of the sealed block is a duplicate", rc, 0);
  CHECK_INT("flush", rawstore_flush(w), 0);
  db_commit();
  rawstore_writer_free(w);
  CHECK("two blocks",
        q_int("SELECT count(*) FROM raw_blocks WHERE source = 'fly'") == 2);
}

/* Stops after the first line: a callback may end a scan. */
static int first_only(void *pArg, const RawLine *pLine) {
  (void)pLine;
  (*(int *)pArg)++;
  return 1;
}

static void test_large_and_budget(void) {
  /* 3 days of one line every 2 s, in one transaction: blocks stay within
  ** an hour and near the size cap; memory is bounded by the writer. */
  int64_t t = T0 + 30 * 24 * 60 * MIN_MS;
  int n = 3 * 24 * 1800;
  CHECK_INT("129,600 lines",
            store("big", "large input line with some text", t, 2000, n), n);
  CHECK("every block within an hour",
        q_int("SELECT count(*) FROM raw_blocks WHERE ts_max - ts_min >="
              " 3600000") == 0);
  CHECK("blocks hold their line counts",
        q_int("SELECT sum(n_lines) FROM raw_blocks WHERE source = 'big'") == n);
  CHECK("no block over 256 KiB of content",
        q_int("SELECT max(raw_bytes) FROM raw_blocks") <= 300000);
  CHECK("compressed below a third of the content",
        q_int("SELECT sum(length(payload)) * 3 < sum(raw_bytes) FROM"
              " raw_blocks WHERE source = 'big'") == 1);

  const char *azBig[] = {"big", NULL};
  RawQuery q = {.from = t + 36 * 60 * MIN_MS,
                .to = t + 37 * 60 * MIN_MS,
                .azSource = azBig,
                .nLimit = 1000};
  CHECK_INT("an hour's window counts its lines", rawstore_count(&q), 1800);
  q.zText = "text 12345 ";
  CHECK_INT("count with text", rawstore_count(&q), 0);
  q.from = INT64_MIN;
  q.to = 0;
  CHECK_INT("count with text, all time", rawstore_count(&q), 1);
  q.zText = NULL;

  int nSeen = 0;
  char zNext[64];
  rawstore_scan(&q, first_only, &nSeen, zNext, sizeof(zNext));
  CHECK_INT("the callback can stop a scan", nSeen, 1);

  /* With a 1 ms budget a scan may stop early; paging on with the cursor
  ** still finds exactly the matching lines (whether or not it stopped). */
  q.zText = "text 1299";
  q.budgetMs = 1;
  q.nLimit = 1000;
  Got g;
  got_init(&g);
  char zCur[64] = "";
  int nPage = 0, rc = 0;
  do {
    q.zCursor = zCur;
    rc |= rawstore_scan(&q, collect, &g, zNext, sizeof(zNext));
    memcpy(zCur, zNext, sizeof(zCur));
    nPage++;
  } while (zCur[0] && nPage < 100000);
  CHECK_INT("budget: no error", rc, 0);
  CHECK_INT("budget: pages end with every match once", g.n, 11);
  CHECK_INT("budget: in order", g.bOrdered, 1);
  q.budgetMs = 0;
  q.zText = NULL;

  /* Re-ingest of the middle of a large input: all duplicates. */
  RawWriter *w = rawstore_writer_new();
  db_begin_write();
  int nNew = 0;
  for (int i = 5000; i < 15000; i++) {
    char z[96];
    int nz = snprintf(z, sizeof(z),
                      "large input line with some text %d GET"
                      " /x HTTP/1.1",
                      i);
    int bBad = i % 10 == 0;
    nNew += rawstore_append(w, "big", t + i * 2000, i + 1, z, (size_t)nz, bBad,
                            bBad ? 42 : 0);
  }
  rawstore_flush(w);
  db_commit();
  rawstore_writer_free(w);
  CHECK_INT("re-ingest of 10,000 stored lines: all duplicates", nNew, 0);
}

/* Last: expires everything before its cutoff but the kept window. */
static void test_expire(void) {
  int64_t t = T0 + 300 * 24 * 60 * MIN_MS;
  store("old", "o", t, 60 * MIN_MS, 10); /* one block an hour */
  RawQuery q = {.from = INT64_MIN};
  int64_t nAll = rawstore_count(&q);
  const char *azOld[] = {"old", NULL};
  q.azSource = azOld;
  CHECK_INT("10 old lines", rawstore_count(&q), 10);
  int64_t aKeep[2] = {t + 2 * 60 * MIN_MS, t + 3 * 60 * MIN_MS};
  int64_t nGone = rawstore_expire(t + 5 * 60 * MIN_MS, aKeep, 1);
  CHECK_INT("what is left of the source: 2 kept, 5 newer", rawstore_count(&q),
            7);
  q.azSource = NULL;
  CHECK_INT("whole blocks before the cutoff went, with their counts", nGone,
            nAll - 7);
  CHECK_INT("and nothing else is left", rawstore_count(&q), 7);
}

static void test_corrupt(void) {
  int64_t t = T0 + 200 * 24 * 60 * MIN_MS;
  store("bad", "c", t, 1000, 20);
  const char *azBad[] = {"bad", NULL};
  RawQuery q = {
      .from = INT64_MIN, .azSource = azBad, .nLimit = 10, .zText = "c"};
  Got g;
  char zNext[64];
  got_init(&g);
  CHECK_INT("a good block reads",
            rawstore_scan(&q, collect, &g, zNext, sizeof(zNext)), 0);
  db_exec("UPDATE raw_blocks SET raw_bytes = raw_bytes + 1 WHERE source ="
          " 'bad'");
  CHECK_INT("a wrong raw_bytes is E_DB",
            rawstore_scan(&q, collect, &g, zNext, sizeof(zNext)), E_DB);
  db_exec("UPDATE raw_blocks SET raw_bytes = raw_bytes - 1,"
          " payload = substr(payload, 1, length(payload) - 3)"
          " WHERE source = 'bad'");
  CHECK_INT("a truncated payload is E_DB",
            rawstore_scan(&q, collect, &g, zNext, sizeof(zNext)), E_DB);
  db_exec("UPDATE raw_blocks SET payload = x'28b52ffd' WHERE source ="
          " 'bad'");
  CHECK_INT("a bare zstd header is E_DB",
            rawstore_scan(&q, collect, &g, zNext, sizeof(zNext)), E_DB);
  db_exec("UPDATE raw_blocks SET payload = x'' WHERE source = 'bad'");
  CHECK_INT("an empty payload is E_DB",
            rawstore_scan(&q, collect, &g, zNext, sizeof(zNext)), E_DB);
  CHECK_INT("count over a corrupt block is -1", rawstore_count(&q), -1);
  db_exec("DELETE FROM raw_blocks WHERE source = 'bad'");
}

/* Old raw_lines rows move into blocks: directly in batches, then by the
** worker; lines and marks survive, duplicates fold. */
static void test_migrate(void) {
  int64_t t = T0 + 250 * 24 * 60 * MIN_MS;
  db_exec("INSERT INTO incidents (id, title, started_at, created_at,"
          " updated_at) VALUES (900, 'old', 0, 0, 0), (901, 'other', 0, 0, 0)");
  db_begin_write();
  DbStmt *q = db_prepare(
      "INSERT INTO raw_lines (incident_id, ts, fp, bad, grp, source, line)"
      " VALUES (:inc, :ts, :fp, :bad, :grp, 'mig', :line)");
  for (int i = 0; i < 2500; i++) {
    char z[64];
    snprintf(z, sizeof(z), "moved line %d", i % 2000);
    /* Rows 2000.. repeat 0..499 of another incident: same line, same fp. */
    db_bind_int(q, ":inc", i < 2000 ? 900 : 901);
    db_bind_int(q, ":ts", t + (i % 2000) * 1000);
    db_bind_int(q, ":fp", 1000 + i % 2000);
    db_bind_int(q, ":bad", i % 2000 == 7);
    db_bind_int(q, ":grp", i % 2000 == 7 ? 99 : 0);
    db_bind_text(q, ":line", z);
    db_run(q);
  }
  db_commit();
  CHECK_INT("a batch of 1000 moves 1000", rawstore_migrate(1000), 1000);
  CHECK("and leaves 1500", q_int("SELECT count(*) FROM raw_lines") == 1500);
  CHECK_INT("the worker starts", rawstore_migrator_start(), 0);
  for (int i = 0; i < 600 && q_int("SELECT count(*) FROM raw_lines") > 0; i++) {
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  rawstore_migrator_stop();
  CHECK("the worker moved the rest",
        q_int("SELECT count(*) FROM raw_lines") == 0);
  const char *azMig[] = {"mig", NULL};
  RawQuery rq = {.from = INT64_MIN, .azSource = azMig};
  CHECK_INT("one line per distinct row", rawstore_count(&rq), 2000);
  rq.grp = 99;
  CHECK_INT("the error line kept its group", rawstore_count(&rq), 1);
  rq.grp = 0;
  rq.zText = "moved line 1999";
  CHECK_INT("text intact", rawstore_count(&rq), 1);
  CHECK_INT("nothing left to move", rawstore_migrate(1000), 0);
}

/* Small flushes leave small blocks; compaction merges them, keeping every
** line, its order, its group and its dedupe key. */
static void test_compact(void) {
  int64_t t = T0 + 260 * 24 * 60 * MIN_MS;
  for (int k = 0; k < 50; k++) {
    store("push", "pushed", t + k * 10 * 500, 500, 10);
  }
  CHECK("50 small blocks",
        q_int("SELECT count(*) FROM raw_blocks WHERE source = 'push'") == 50);
  const char *azPush[] = {"push", NULL};
  RawQuery q = {.from = INT64_MIN, .azSource = azPush, .nLimit = 1000};
  Got before, after;
  char zNext[64];
  got_init(&before);
  rawstore_scan(&q, collect, &before, zNext, sizeof(zNext));
  int64_t nGone = rawstore_compact(1000);
  CHECK("compaction removed blocks", nGone >= 40);
  CHECK("few blocks left",
        q_int("SELECT count(*) FROM raw_blocks WHERE source = 'push'") <= 10);
  CHECK("no block over an hour",
        q_int("SELECT count(*) FROM raw_blocks WHERE ts_max - ts_min >="
              " 3600000") == 0);
  got_init(&after);
  rawstore_scan(&q, collect, &after, zNext, sizeof(zNext));
  CHECK_INT("every line kept", after.n, before.n);
  CHECK_INT("in order", after.bOrdered, 1);
  int bSame = after.n == 500;
  for (int i = 0; i < 64; i++) {
    bSame &= strcmp(before.azLine[i], after.azLine[i]) == 0;
  }
  CHECK("the same lines", bSame);
  q.grp = 42;
  CHECK_INT("groups kept", rawstore_count(&q), 50);
  q.grp = 0;
  CHECK_INT("keys kept: the same lines again are duplicates",
            store("push", "pushed", t, 500, 10), 0);
  CHECK_INT("compacting again changes little", rawstore_compact(1000) >= 0, 1);
}

int main(void) {
  char zDir[] = "/tmp/hs-test-rawstore.XXXXXX";
  if (!mkdtemp(zDir)) {
    return 1;
  }
  char zPath[256];
  snprintf(zPath, sizeof(zPath), "%s/r.db", zDir);
  db_global_init();
  CHECK_INT("db setup", db_setup(zPath), 0);
  test_basic();
  test_order_and_cursor();
  test_dup_in_flight();
  test_large_and_budget();
  test_corrupt();
  test_migrate();
  test_compact();
  test_expire();
  db_close_thread();
  char zCmd[300];
  snprintf(zCmd, sizeof(zCmd), "rm -rf '%s'", zDir);
  if (system(zCmd) != 0) {
    return 1;
  }
  return harness_exit();
}
