/* test_rawstore: the rawstore.h contract, through the interface only (so
** any store behind it can run it): dedupe by (source, ts, line number,
** text), (ts, arrival) order, filters, cursor paging that returns every
** line once, counting, and retention with keep-windows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "err.h"
#include "harness.h"
#include "rawstore.h"

typedef struct Seen {
  int n;              /* lines seen */
  char aText[64][32]; /* their text */
  int64_t aTs[64];    /* their times */
} Seen;

static int collect(void *pArg, const RawLine *pLine) {
  Seen *p = pArg;
  if (p->n < 64) {
    snprintf(p->aText[p->n], sizeof(p->aText[0]), "%.*s", (int)pLine->n,
             pLine->z);
    p->aTs[p->n] = pLine->ts;
  }
  p->n++;
  return 0;
}

static int append(RawWriter *w, const char *zSource, int64_t ts, int64_t i,
                  const char *z, int bBad, uint64_t grp) {
  return rawstore_append(w, zSource, ts, i, z, strlen(z), bBad, grp);
}

int main(void) {
  char zDir[] = "/tmp/hs-test-raw.XXXXXX";
  if (!mkdtemp(zDir)) {
    return 1;
  }
  char zPath[256];
  snprintf(zPath, sizeof(zPath), "%s/a.db", zDir);
  CHECK_INT("setup", db_setup(zPath), 0);

  RawWriter *w = rawstore_writer_new();
  CHECK_INT("begin", db_begin_write(), 0);
  CHECK_INT("a new line is stored",
            append(w, "web", 3000, 1, "GET / 502", 1, 0), 1);
  CHECK_INT("the same line again is a duplicate",
            append(w, "web", 3000, 1, "GET / 502", 1, 0), 0);
  CHECK_INT("same text, another line number",
            append(w, "web", 3000, 2, "GET / 502", 1, 0), 1);
  CHECK_INT("same text, another source",
            append(w, "api", 3000, 1, "GET / 502", 1, 0), 1);
  CHECK_INT("earlier time", append(w, "web", 1000, 3, "GET / 200", 0, 0), 1);
  CHECK_INT("an error group",
            append(w, "api", 2000, 4, "Timeout after 30 MS", 1, 77), 1);
  for (int i = 0; i < 20; i++) {
    char z[32];
    snprintf(z, sizeof(z), "bulk %02d", i);
    append(w, "bulk", 10000 + i * 10, 100 + i, z, 0, 0);
  }
  CHECK_INT("flush", rawstore_flush(w), 0);
  CHECK_INT("commit", db_commit(), 0);
  rawstore_writer_free(w);

  RawQuery q = {.from = INT64_MIN, .nLimit = 100};
  Seen seen = {0};
  char zNext[64];
  CHECK_INT("scan everything",
            rawstore_scan(&q, collect, &seen, zNext, sizeof(zNext)), 0);
  CHECK_INT("all 25 lines", seen.n, 25);
  CHECK_STR("time order first", seen.aText[0], "GET / 200");
  CHECK_STR("then the group line", seen.aText[1], "Timeout after 30 MS");
  CHECK_STR("nothing more to page", zNext, "");
  CHECK_INT("count agrees", rawstore_count(&q), 25);

  const char *azWeb[] = {"web", NULL};
  q = (RawQuery){
      .from = INT64_MIN, .azSource = azWeb, .bBadOnly = 1, .nLimit = 100};
  CHECK_INT("by source, errors only", rawstore_count(&q), 2);
  const char *azTwo[] = {"web", "api", NULL};
  q = (RawQuery){.from = INT64_MIN, .azSource = azTwo, .nLimit = 100};
  CHECK_INT("two sources", rawstore_count(&q), 5);
  const char *azNone[] = {NULL};
  q.azSource = azNone;
  CHECK_INT("an empty source list matches nothing", rawstore_count(&q), 0);
  q = (RawQuery){.from = INT64_MIN, .grp = 77, .nLimit = 100};
  CHECK_INT("by group", rawstore_count(&q), 1);
  q = (RawQuery){
      .from = INT64_MIN, .zText = "timeout", .bNoCase = 1, .nLimit = 100};
  CHECK_INT("text, any case", rawstore_count(&q), 1);
  q.bNoCase = 0;
  CHECK_INT("text, exact case", rawstore_count(&q), 0);
  q = (RawQuery){.from = 2000, .to = 3000, .nLimit = 100};
  CHECK_INT("from inclusive, to exclusive", rawstore_count(&q), 1);

  /* Paging: 7 a page over the 20 bulk lines, each exactly once. */
  const char *azBulk[] = {"bulk", NULL};
  q = (RawQuery){.from = INT64_MIN, .azSource = azBulk, .nLimit = 7};
  seen.n = 0;
  int nPage = 0;
  char zCursor[64] = "";
  do {
    q.zCursor = zCursor[0] ? zCursor : NULL;
    if (rawstore_scan(&q, collect, &seen, zNext, sizeof(zNext))) {
      break;
    }
    snprintf(zCursor, sizeof(zCursor), "%s", zNext);
    nPage++;
  } while (zCursor[0] && nPage < 10);
  CHECK_INT("three pages", nPage, 3);
  CHECK_INT("every line once", seen.n, 20);
  int bOrdered = 1;
  for (int i = 1; i < 20; i++) {
    bOrdered &= seen.aTs[i] > seen.aTs[i - 1];
  }
  CHECK("in time order across pages", bOrdered);
  q.zCursor = "not-a-cursor";
  CHECK_INT("a foreign cursor is E_INVALID",
            rawstore_scan(&q, collect, &seen, zNext, sizeof(zNext)), E_INVALID);

  /* Retention: before 10100 goes, except 2000..3000 (kept windows). */
  int64_t aKeep[] = {2000, 3000, 10050, 10060};
  CHECK_INT("begin", db_begin_write(), 0);
  int64_t nGone = rawstore_expire(10100, aKeep, 2);
  CHECK_INT("commit", db_commit(), 0);
  /* A store may keep more than asked (a block straddling a bound: here
  ** one hour-wide block may hold them all), never less: at most the 9
  ** unkept lines go. */
  CHECK("expire deletes at most the 9 unkept lines",
        nGone >= 0 && nGone <= 9);
  q = (RawQuery){.from = INT64_MIN, .nLimit = 100};
  CHECK_INT("what is left agrees", rawstore_count(&q), 25 - nGone);
  q = (RawQuery){.from = 2000, .to = 3001, .nLimit = 100};
  CHECK_INT("the kept window is whole", rawstore_count(&q), 4);
  q = (RawQuery){.from = 10050, .to = 10061, .nLimit = 100};
  CHECK_INT("so is the other", rawstore_count(&q), 2);
  q = (RawQuery){.from = 10100, .nLimit = 100};
  CHECK_INT("nothing from the cutoff on goes", rawstore_count(&q), 10);
  CHECK_INT("begin", db_begin_write(), 0);
  nGone = rawstore_expire(INT64_MAX, NULL, 0);
  CHECK_INT("commit", db_commit(), 0);
  q = (RawQuery){.from = INT64_MIN, .nLimit = 100};
  CHECK("no windows: everything before the cutoff goes",
        nGone > 0 && rawstore_count(&q) == 0);
  db_close_thread();
  char zCmd[300];
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s", zDir);
  if (system(zCmd)) {
    return 1;
  }
  return harness_exit();
}
