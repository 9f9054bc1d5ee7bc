/*
** search_bench.c: in-process search latency over N generated postmortems
** (default 100,000). Builds the corpus with plain SQL in one transaction
** (the 005 triggers queue every document), times search_flush() indexing
** it, then times search_run() for a mix of queries and prints p50/p99.
** Built and run by tests/bench/search.sh; not part of make test.
**   search_bench DB [N]
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "search.h"

static const char *const azReal[] = {
    "load",     "balancer", "timeout",  "checkout", "database", "deploy",
    "config",   "latency",  "outage",   "cache",    "replica",  "disk",
    "memory",   "leak",     "certificate", "expired", "dns",    "queue",
    "backlog",  "retry",    "storm",    "payment",  "gateway",  "502",
    "503",      "flash",    "sale",     "traffic",  "spike",    "rollback",
    "kafka",    "redis",    "postgres", "nginx",    "kubernetes", "node",
    "pool",     "exhausted", "connection", "limit", NULL};
static const char *const azCat[] = {"change_config", "capacity",
                                    "dependency",    "deploy",
                                    "hardware",      "software_bug",
                                    "process",       "unknown"};

static unsigned long long seed = 88172645463325252ULL;
static unsigned rnd(void) {
  seed ^= seed << 13;
  seed ^= seed >> 7;
  seed ^= seed << 17;
  return (unsigned)(seed >> 11);
}

/* A word: one of 40 real words (often) or one of ~8000 made-up ones,
** skewed so a few are common and most are rare. */
static void word(char *z, size_t n) {
  static const char *const azSyl[] = {"ka", "lo", "mi", "ne", "ru", "ta",
                                      "vo", "zi", "pe", "su", "do", "fa",
                                      "gu", "hi", "jo", "be", "ci", "wa",
                                      "xo", "yu"};
  if (rnd() % 4 == 0) {
    int nReal = 0;
    while (azReal[nReal]) {
      nReal++;
    }
    double u = (double)(rnd() % 10000) / 10000;
    snprintf(z, n, "%s", azReal[(int)(u * u * nReal)]);
    return;
  }
  double u = (double)(rnd() % 100000) / 100000;
  unsigned k = (unsigned)(u * u * u * 8000);
  snprintf(z, n, "%s%s%s", azSyl[k % 20], azSyl[(k / 20) % 20],
           azSyl[(k / 400) % 20]);
}

static void sentence(char *z, size_t n, int nWord) {
  size_t used = 0;
  z[0] = 0;
  for (int i = 0; i < nWord && used + 32 < n; i++) {
    char w[32];
    word(w, sizeof(w));
    used += (size_t)snprintf(z + used, n - used, "%s%s", i ? " " : "", w);
  }
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: search_bench DB [N]\n");
    return 2;
  }
  int n = argc > 2 ? atoi(argv[2]) : 100000;
  db_global_init();
  if (db_setup(argv[1])) {
    return 1;
  }
  double t0 = now_ms();
  if (db_begin_write()) {
    return 1;
  }
  sqlite3_stmt *pInc = NULL, *pPm = NULL;
  static char zTitle[256], zBody[8192], zRoot[1024], zTags[128];
  for (int i = 0; i < n; i++) {
    sentence(zTitle, sizeof(zTitle), 4 + (int)(rnd() % 4));
    pInc = db_prepare("INSERT INTO incidents (title, severity, started_at,"
                      " created_at, updated_at) VALUES (:title, :sev,"
                      " :at, :at, :at)");
    db_bind_text(pInc, ":title", zTitle);
    db_bind_text(pInc, ":sev", (const char *[]){"SEV1", "SEV2", "SEV3",
                                                "SEV4"}[rnd() % 4]);
    db_bind_int(pInc, ":at", 1704067200000LL +
                                 (int64_t)(rnd() % 1000) * 86400000LL);
    if (db_run(pInc)) {
      return 1;
    }
    int64_t id = db_last_id();
    sentence(zRoot, sizeof(zRoot), 20);
    sentence(zBody, sizeof(zBody), 150);
    char zDoc[10000];
    snprintf(zDoc, sizeof(zDoc),
             "# Postmortem: %s\n\n## Summary\n\n%.3000s\n\n## Root cause\n\n"
             "<!-- Ask why until you reach something you can change. -->\n"
             "%s\n\n## Resolution\n\n%.2000s\n",
             zTitle, zBody, zRoot, zBody + strlen(zBody) / 2);
    char w1[32], w2[32];
    word(w1, sizeof(w1));
    word(w2, sizeof(w2));
    snprintf(zTags, sizeof(zTags), "[\"%s\",\"%s\"]", w1, w2);
    pPm = db_prepare("INSERT INTO postmortems (incident_id, body,"
                     " root_cause_category, tags, created_at, updated_at)"
                     " VALUES (:inc, :body, :cat, :tags, 0, 0)");
    db_bind_int(pPm, ":inc", id);
    db_bind_text(pPm, ":body", zDoc);
    db_bind_text(pPm, ":cat", azCat[rnd() % 8]);
    db_bind_text(pPm, ":tags", zTags);
    if (db_run(pPm)) {
      return 1;
    }
  }
  if (db_commit()) {
    return 1;
  }
  double t1 = now_ms();
  if (search_flush()) {
    return 1;
  }
  double t2 = now_ms();
  printf("search corpus: %d incidents + %d postmortems inserted in %.0f ms,"
         " indexed (search_flush) in %.0f ms\n",
         n, n, t1 - t0, t2 - t1);

  static const struct {
    const char *zQ;
    const char *zCategory;
    int iType;
  } aQ[] = {
      {"load balancer", NULL, -1},     {"timeout", NULL, -1},
      {"checkout 502", NULL, -1},      {"datab", NULL, -1},
      {"\"flash sale\"", NULL, -1},    {"kalomi", NULL, -1},
      {"redis replica storm", NULL, -1}, {"certificate expired", NULL, 1},
      {"dns", "dependency", -1},       {"pool exhausted", "capacity", -1},
      {"zz", NULL, -1},                {"NEAR( col:x \"", NULL, -1},
  };
  int nQ = (int)(sizeof(aQ) / sizeof(aQ[0]));
  int nRep = 30;
  double *aMs = malloc(sizeof(double) * (size_t)(nQ * nRep));
  int nMs = 0;
  for (int q = 0; q < nQ; q++) {
    double *aOne = malloc(sizeof(double) * (size_t)nRep);
    size_t nHit = 0;
    for (int rep = 0; rep < nRep; rep++) {
      SearchQuery sq;
      memset(&sq, 0, sizeof(sq));
      sq.zQ = aQ[q].zQ;
      sq.iType = aQ[q].iType;
      sq.zCategory = aQ[q].zCategory;
      sq.fromMs = sq.toMs = INT64_MIN;
      sq.limit = 20;
      double a = now_ms();
      json_t *pOut = NULL;
      if (search_run(&sq, &pOut)) {
        return 1;
      }
      double b = now_ms();
      nHit = json_array_size(json_object_get(pOut, "hits"));
      json_decref(pOut);
      aOne[rep] = b - a;
      aMs[nMs++] = b - a;
    }
    qsort(aOne, (size_t)nRep, sizeof(double), cmp_double);
    printf("  %-26s %-14s %2zu hits  p50 %6.2f ms  p99 %6.2f ms\n",
           aQ[q].zQ, aQ[q].zCategory ? aQ[q].zCategory : "", nHit,
           aOne[nRep / 2], aOne[nRep * 99 / 100]);
    free(aOne);
  }
  qsort(aMs, (size_t)nMs, sizeof(double), cmp_double);
  printf("search in-process over %d docs, %d searches: p50 %.2f ms,"
         " p99 %.2f ms (goal p99 < 5 ms)\n",
         2 * n, nMs, aMs[nMs / 2], aMs[nMs * 99 / 100]);
  free(aMs);
  db_close_thread();
  return 0;
}
