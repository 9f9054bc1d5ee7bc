/*
** test_search_pg.c: the text search_pg.c gives PostgreSQL: tsvector text
** (positions, weights A/B/D, stem tokens beside their words, the gap
** between columns, lexemes quoted), facet tsvectors, the OR query of
** similar incidents, stem spellings and array items. The tokens come from
** the SQLite connection's unicode61, the tokenizer both engines use.
*/
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "harness.h"
#include "search.h"
#include "search_tokenizer.h"

static char zOut[1 << 16];

static const char *tsv(const char *zTitle, const char *zRoot,
                       const char *zBody) {
  const char *azCol[3] = {zTitle, zRoot, zBody};
  Buf b;
  buf_init(&b, sizeof(zOut) - 1);
  search_pg_tsv(azCol, &b);
  snprintf(zOut, sizeof(zOut), "%s", buf_err(&b) ? "(error)" : buf_str(&b));
  buf_free(&b);
  return zOut;
}

static const char *facets(const char *z) {
  Buf b;
  buf_init(&b, sizeof(zOut) - 1);
  search_pg_facet_tsv(z, &b);
  snprintf(zOut, sizeof(zOut), "%s", buf_str(&b));
  buf_free(&b);
  return zOut;
}

static const char *words(const char *const *az, int n, int *pnOut) {
  Buf b;
  buf_init(&b, sizeof(zOut) - 1);
  *pnOut = search_pg_words_query(az, n, &b);
  snprintf(zOut, sizeof(zOut), "%s", buf_str(&b));
  buf_free(&b);
  return zOut;
}

static const char *stem(const char *zWord) {
  char aStem[SEARCH_STEM_MAX];
  int n = search_stem(zWord, (int)strlen(zWord), aStem);
  int nPg = search_pg_stem(aStem, n, zOut);
  zOut[nPg] = 0;
  return zOut;
}

int main(void) {
  char zDir[] = "/tmp/hs-test-search-pg.XXXXXX";
  if (!mkdtemp(zDir)) {
    return 1;
  }
  char zPath[256];
  snprintf(zPath, sizeof(zPath), "%s/s.db", zDir);
  db_global_init();
  CHECK_INT("db setup", db_setup(zPath), 0);

  CHECK_STR("a stem token is U+2171 and the stem's letters", stem("rolled"),
            "\xe2\x85\xb1roll");
  CHECK_STR("-ies to -y", stem("policies"), "\xe2\x85\xb1policy");

  /* Title A from 1, root cause B and body D each 8 positions on; a word
  ** whose stem differs has the stem token at its own position. */
  CHECK_STR("tsv: weights, positions, stems",
            tsv("Load Balancers", "", "rolled back"),
            "'load':1A 'balancers':2A '\xe2\x85\xb1"
            "balancer':2A 'rolled':19D '\xe2\x85\xb1roll':19D 'back':20D ");
  CHECK_STR("tsv: the root cause is B", tsv("", "weighted pool", ""),
            "'weighted':9B '\xe2\x85\xb1weight':9B 'pool':10B ");
  CHECK_STR("tsv: folded as unicode61 folds (diacritics, case)",
            tsv("Café ÉCOLE", "", ""),
            "'cafe':1A '\xe2\x85\xb1" "caf':1A 'ecole':2A '\xe2\x85\xb1" "ecol':2A ");
  CHECK_STR("tsv: punctuation separates, nothing to quote",
            tsv("it's a\\b 'x'", "", ""),
            "'it':1A 's':2A 'a':3A 'b':4A 'x':5A ");
  CHECK_STR("tsv: an empty document is empty", tsv("", "", ""), "");

  /* Lexemes are quoted with quotes and backslashes doubled. */
  CHECK_STR("facets: each token a lexeme",
            facets("\xe2\x85\xb0k1 \xe2\x85\xb0s2"),
            "'\xe2\x85\xb0k1' '\xe2\x85\xb0s2' ");
  CHECK_STR("facets: quotes and backslashes doubled", facets("a'b c\\d"),
            "'a''b' 'c\\\\d' ");

  int n = 0;
  const char *azWord[] = {"load", "Café", "--", "x-ray"};
  CHECK_STR("similar: words ORed, phrases of their tokens",
            words(azWord, 4, &n),
            "('load') | ('cafe') | ('x' <-> 'ray')");
  CHECK_INT("similar: a word without tokens is left out", n, 3);

  Buf b;
  buf_init(&b, 256);
  search_pg_array_item(&b, "a\"b\\c", 5);
  CHECK_STR("array item: quoted, \" and \\ escaped", buf_str(&b),
            "\"a\\\"b\\\\c\"");
  buf_free(&b);

  db_close_thread();
  char zCmd[300];
  snprintf(zCmd, sizeof(zCmd), "rm -rf '%s'", zDir);
  if (system(zCmd) != 0) {
    return 1;
  }
  return harness_exit();
}
