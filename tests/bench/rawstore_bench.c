/*
** rawstore_bench.c: the bench driver for rawstore.c (tests/bench/raw.sh).
**   rawstore_bench DB append SOURCE FILE   nginx lines through rawstore:
**       time from the bracketed CLF stamp, 5xx lines as error lines,
**       100,000 lines a transaction (flush, commit), as `ingest` does
**   rawstore_bench DB count WORD           lines holding WORD, all time
**   rawstore_bench DB window FROM_ISO      lines of the hour from FROM_ISO
** count and window print "LINES MS" (the scan's wall time in ms).
** Not part of make test: it measures, it does not check.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "rawstore.h"
#include "utc.h"

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int add(void *pArg, const RawLine *pLine) {
  (void)pLine;
  (*(long *)pArg)++;
  return 0;
}

static int append_file(const char *zSource, const char *zFile) {
  FILE *f = strcmp(zFile, "-") ? fopen(zFile, "r") : stdin;
  if (!f) {
    perror(zFile);
    return 1;
  }
  RawWriter *w = rawstore_writer_new();
  char *zLine = NULL;
  size_t nAlloc = 0;
  ssize_t n;
  long iLine = 0, nNew = 0;
  int64_t ts = 0;
  if (db_begin_write()) {
    return 1;
  }
  while ((n = getline(&zLine, &nAlloc, f)) > 0) {
    iLine++;
    if (zLine[n - 1] == '\n') {
      zLine[--n] = 0;
    }
    const char *zA = strchr(zLine, '[');
    const char *zB = zA ? strchr(zA, ']') : NULL;
    if (zA && zB) {
      utc_parse_clf(zA + 1, (size_t)(zB - zA - 1), &ts);
    }
    const char *zQ = strstr(zLine, "\" ");
    int bBad = zQ && zQ[2] == '5';
    int rc = rawstore_append(w, zSource, ts, iLine, zLine, (size_t)n, bBad,
                             bBad ? 1 : 0);
    if (rc < 0) {
      return 1;
    }
    nNew += rc;
    if (iLine % 100000 == 0) {
      if (rawstore_flush(w) || db_commit() || db_begin_write()) {
        return 1;
      }
    }
  }
  if (rawstore_flush(w) || db_commit()) {
    return 1;
  }
  rawstore_writer_free(w);
  free(zLine);
  fprintf(stderr, "%ld lines, %ld new\n", iLine, nNew);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fputs("usage: rawstore_bench DB append SOURCE FILE | count WORD |"
          " window FROM_ISO\n", stderr);
    return 2;
  }
  db_global_init();
  if (db_setup(argv[1])) {
    return 1;
  }
  int rc = 0;
  if (strcmp(argv[2], "append") == 0 && argc == 5) {
    rc = append_file(argv[3], argv[4]);
  } else {
    RawQuery q = {.from = INT64_MIN, .nLimit = 1000};
    if (strcmp(argv[2], "count") == 0) {
      q.zText = argv[3];
      double t = now_ms();
      long n = (long)rawstore_count(&q);
      printf("%ld %.1f\n", n, now_ms() - t);
    } else {
      if (utc_parse_iso(argv[3], strlen(argv[3]), &q.from)) {
        return 2;
      }
      q.to = q.from + 3600 * 1000;
      char zCur[64] = "", zNext[64];
      long n = 0;
      double t = now_ms();
      do {
        q.zCursor = zCur;
        if (rawstore_scan(&q, add, &n, zNext, sizeof(zNext))) {
          return 1;
        }
        memcpy(zCur, zNext, sizeof(zCur));
      } while (zCur[0]);
      printf("%ld %.1f\n", n, now_ms() - t);
    }
  }
  db_close_thread();
  return rc;
}
