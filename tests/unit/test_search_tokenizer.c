/*
** test_search_tokenizer.c: hs_pairs, the index's tokenizer, on a real
** in-memory SQLite database: the pair tokens it adds (where, which, not
** across columns, not counted as words), their spelling from
** search_pair_token(), phrases of pairs, and bad pair text in queries;
** the stem tokens beside inflected words (search_stem) and phrases of
** them.
*/
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "search_tokenizer.h"

static sqlite3 *db;

/* Runs zSql; returns the SQLite result code (and prints the error). */
static int exec(const char *zSql) {
  char *zErr = NULL;
  int rc = sqlite3_exec(db, zSql, NULL, NULL, &zErr);
  if (rc != SQLITE_OK) {
    printf("  sql error: %s\n", zErr);
    sqlite3_free(zErr);
  }
  return rc;
}

/* The first column of zSql's first row as an integer, -1 on error; ?1 is
** bound to the n bytes at z when z is not NULL. */
static long long query_int(const char *zSql, const char *z, int n) {
  sqlite3_stmt *p = NULL;
  long long v = -1;
  if (sqlite3_prepare_v2(db, zSql, -1, &p, NULL) != SQLITE_OK) {
    return -1;
  }
  if (z) {
    sqlite3_bind_text(p, 1, z, n, SQLITE_TRANSIENT);
  }
  if (sqlite3_step(p) == SQLITE_ROW) {
    v = sqlite3_column_int64(p, 0);
  }
  sqlite3_finalize(p);
  return v;
}

/* Documents matching the FTS5 phrase of the pair tokens of the n words
** of azWord (as a quoted string, the way search.c writes it). */
static long long pair_phrase_matches(const char *const *azWord, int n) {
  char zQ[256];
  int k = 0;
  zQ[k++] = '"';
  for (int i = 1; i < n; i++) {
    if (i > 1) {
      zQ[k++] = ' ';
    }
    search_pair_token(azWord[i - 1], (int)strlen(azWord[i - 1]), azWord[i],
                      (int)strlen(azWord[i]), zQ + k);
    k += SEARCH_PAIR_BYTES;
  }
  zQ[k++] = '"';
  return query_int("SELECT count(*) FROM t WHERE t MATCH ?1", zQ, k);
}

int main(void) {
  CHECK("open", sqlite3_open(":memory:", &db) == SQLITE_OK);
  CHECK_INT("register", search_tokenizer_register(db), SQLITE_OK);
  CHECK_INT("create and fill", exec("CREATE VIRTUAL TABLE t USING fts5(a, b,"
       " tokenize = 'hs_pairs remove_diacritics 2', prefix = '2 3');"
       "CREATE VIRTUAL TABLE v USING fts5vocab(t, instance);"
       "INSERT INTO t (rowid, a, b) VALUES"
       " (1, 'Flash Sale now', ''),"
       " (2, 'the flash', 'sale ended'),"
       " (3, 'FLÂSH-sale!', 'x'),"
       " (4, 'a b c', ''),"
       " (5, 'a b x b c', '');"), SQLITE_OK);

  /* Doc 1: three words and two pairs, each pair at its second word. */
  CHECK_INT("doc 1: words", query_int("SELECT count(*) FROM v WHERE doc = 1"
                                      " AND CAST(term AS BLOB) < x'F8'",
                                      NULL, 0),
            3);
  CHECK_INT("doc 1: pairs at offsets 1 and 2",
            query_int("SELECT group_concat(offset, '') FROM v WHERE doc = 1"
                      " AND CAST(term AS BLOB) BETWEEN x'F8' AND x'F8FF'",
                      NULL, 0),
            12);
  CHECK_INT("a pair token is 12 bytes",
            query_int("SELECT length(CAST(term AS BLOB)) FROM v"
                      " WHERE doc = 1 AND CAST(term AS BLOB) BETWEEN x'F8' AND x'F8FF'",
                      NULL, 0),
            SEARCH_PAIR_BYTES);
  /* Column sizes (bm25's lengths) count words only: 3 and 0. */
  CHECK_INT("pairs add nothing to column sizes",
            query_int("SELECT sz = x'0300' FROM t_docsize WHERE id = 1", NULL,
                      0),
            1);

  static const char *const azFlashSale[] = {"flash", "sale"};
  CHECK_INT("pair of flash, sale: docs 1 and 3 (folded, no diacritics)",
            pair_phrase_matches(azFlashSale, 2), 2);
  CHECK_INT("...not doc 2, where they are in two columns",
            query_int("SELECT count(*) FROM t WHERE t MATCH '\"flash sale\"'"
                      " AND rowid = 2",
                      NULL, 0),
            0);
  static const char *const azSaleNow[] = {"sale", "now"};
  CHECK_INT("pair of sale, now", pair_phrase_matches(azSaleNow, 2), 1);
  static const char *const azNowSale[] = {"now", "sale"};
  CHECK_INT("pairs have an order", pair_phrase_matches(azNowSale, 2), 0);
  static const char *const azAbc[] = {"a", "b", "c"};
  CHECK_INT("a phrase of pairs: doc 4 only, not doc 5 (pairs apart)",
            pair_phrase_matches(azAbc, 3), 1);

  char aAbC[SEARCH_PAIR_BYTES], aABc[SEARCH_PAIR_BYTES];
  search_pair_token("ab", 2, "c", 1, aAbC);
  search_pair_token("a", 1, "bc", 2, aABc);
  CHECK("ab+c and a+bc differ", memcmp(aAbC, aABc, SEARCH_PAIR_BYTES) != 0);
  CHECK("a pair token starts with 0xF8", (unsigned char)aAbC[0] == 0xF8);

  /* Pair text is only what search.c writes: anything else is refused. */
  char zBad[SEARCH_PAIR_BYTES + 3];
  zBad[0] = '"';
  memcpy(zBad + 1, aAbC, SEARCH_PAIR_BYTES - 1);
  zBad[SEARCH_PAIR_BYTES] = '"';
  CHECK_INT("a cut pair token is an error",
            query_int("SELECT count(*) FROM t WHERE t MATCH ?1", zBad,
                      SEARCH_PAIR_BYTES + 1),
            -1);
  CHECK_INT("ordinary words still search", query_int(
                "SELECT count(*) FROM t WHERE t MATCH 'sale'", NULL, 0),
            3);
  CHECK_INT("a 2-character prefix still searches",
            query_int("SELECT count(*) FROM t WHERE t MATCH 'fl*'", NULL, 0),
            3);
  /* Stems: a colocated token beside a word whose stem differs from it. */
  static const struct {
    const char *zWord, *zStem;
  } aStem[] = {{"balancers", "balancer"}, {"balancer", "balancer"},
               {"rolled", "roll"},         {"rolling", "roll"},
               {"stopped", "stop"},        {"policies", "policy"},
               {"retried", "retry"},       {"class", "class"},
               {"caching", "cach"},        {"cache", "cach"},
               {"balanced", "balanc"},     {"balance", "balanc"},
               {"addresses", "address"},   {"status", "status"},
               {"speed", "speed"},         {"ring", "ring"},
               {"string", "string"},       {"sale", "sal"}};
  for (size_t i = 0; i < sizeof(aStem) / sizeof(aStem[0]); i++) {
    char aOut[SEARCH_STEM_MAX], zLetters[SEARCH_STEM_MAX] = "";
    int n = search_stem(aStem[i].zWord, (int)strlen(aStem[i].zWord), aOut);
    for (int k = 1; k < n; k++) {
      zLetters[k - 1] = (char)(((unsigned char)aOut[k] & 0x3F) | 0x40);
    }
    CHECK_STR(aStem[i].zWord, zLetters, aStem[i].zStem);
  }
  char aSt[SEARCH_STEM_MAX];
  CHECK_INT("no stem for digits", search_stem("abc1", 4, aSt), 0);
  CHECK_INT("no stem for two letters", search_stem("ab", 2, aSt), 0);
  CHECK_INT("no stem for folded non-ASCII", search_stem("caf\xc3\xa9", 5, aSt), 0);
  CHECK_INT("a word that is its own stem has none in the index",
            search_stem_indexed("balancer", 8, aSt), 0);
  CHECK_INT("create stems table", exec(
      "CREATE VIRTUAL TABLE s USING fts5(a, tokenize = 'hs_pairs');"
      "CREATE VIRTUAL TABLE sv USING fts5vocab(s, instance);"
      "INSERT INTO s (rowid, a) VALUES (1, 'we rolled back'),"
      " (2, 'roll back now'), (3, 'balancers'), (4, 'balancer');"), SQLITE_OK);
  CHECK_INT("one stem token in doc 1, at rolled",
            query_int("SELECT group_concat(offset, '') FROM sv WHERE doc = 1"
                      " AND CAST(term AS BLOB) >= x'F9'", NULL, 0), 1);
  CHECK_INT("none in doc 2 (roll is its own stem)",
            query_int("SELECT count(*) FROM sv WHERE doc = 2"
                      " AND CAST(term AS BLOB) >= x'F9'", NULL, 0), 0);
  char zQ[64];
  int nQ = search_stem("roll", 4, aSt);
  zQ[0] = '"';
  memcpy(zQ + 1, aSt, (size_t)nQ);
  memcpy(zQ + 1 + nQ, " back\"", 6);
  CHECK_INT("a phrase of a stem token and a word: rolled back",
            query_int("SELECT group_concat(rowid) FROM s WHERE s MATCH ?1", zQ,
                      nQ + 7), 1);
  nQ = search_stem("balancers", 9, aSt);
  zQ[0] = '"';
  memcpy(zQ + 1, aSt, (size_t)nQ);
  zQ[nQ + 1] = '"';
  CHECK_INT("the stem token of balancers is only beside balancers",
            query_int("SELECT group_concat(rowid) FROM s WHERE s MATCH ?1", zQ,
                      nQ + 2), 3);
  CHECK_INT("stems add nothing to column sizes",
            query_int("SELECT sz = x'03' FROM s_docsize WHERE id = 1", NULL,
                      0), 1);
  CHECK_INT("fts5 integrity check with stems",
            exec("INSERT INTO s (s) VALUES ('integrity-check')"), SQLITE_OK);
  CHECK_INT("fts5 integrity check (re-tokenizes every row)",
            exec("INSERT INTO t (t) VALUES ('integrity-check')"), SQLITE_OK);
  sqlite3_close(db);
  return harness_exit();
}
