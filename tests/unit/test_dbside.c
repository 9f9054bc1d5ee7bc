/* test_dbside: db.h's second-database API (DbSide, for hindsight copy) on
** SQLite: opening, values in and out as the copy needs them (integers as
** text, an empty BLOB apart from NULL, bytes with a NUL), streaming,
** stopping a query early, the statement cache past its size, errors.
** PostgreSQL's side is exercised by tests/http/t0104-copy.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "err.h"
#include "harness.h"

/* Whether v is text or bytes equal to z[0..n). */
static int value_is(const DbValue *v, int eType, const char *z, size_t n) {
  return v->eType == eType && v->n == n && (n == 0 || memcmp(v->a, z, n) == 0);
}

int main(void) {
  char zDir[] = "/tmp/hs-test-dbside.XXXXXX";
  if (!mkdtemp(zDir)) {
    return 1;
  }
  char zPath[256], zMissing[256];
  snprintf(zPath, sizeof(zPath), "%s/a.db", zDir);
  snprintf(zMissing, sizeof(zMissing), "%s/missing.db", zDir);

  DbSide *p = NULL;
  CHECK_INT("a missing file is not created",
            db_side_open(zMissing, 0, "source", &p), E_DB);
  CHECK("and nothing is returned", p == NULL && access(zMissing, F_OK) != 0);
  FILE *f = fopen(zPath, "w");
  fclose(f); /* an empty file is an empty SQLite database */
  CHECK_INT("an existing file opens", db_side_open(zPath, 0, "dest", &p), 0);
  CHECK("it is SQLite", !db_side_is_pg(p));
  CHECK_INT("exec runs several statements",
            db_side_exec(p, "CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT,"
                            " b BLOB); CREATE TABLE u (x INTEGER)"),
            0);
  DbValue a[6] = {{DB_VTEXT, "1", 1},  {DB_VTEXT, "x", 1},
                  {DB_VBLOB, "", 0},   {DB_VTEXT, "2", 1},
                  {DB_VNULL, NULL, 0}, {DB_VBLOB, "\0\xff", 2}};
  CHECK_INT(
      "a two-row insert",
      db_side_query(p, "INSERT INTO t VALUES (?1, ?2, ?3), (?4, ?5, ?6)", 6, a),
      0);
  CHECK_INT("finishes", db_side_next(p), DB_DONE);

  CHECK_INT("a query",
            db_side_query(p, "SELECT id, s, b FROM t ORDER BY id", 0, NULL), 0);
  CHECK_INT("row 1", db_side_next(p), DB_ROW);
  CHECK_INT("three columns", db_side_ncol(p), 3);
  DbValue v;
  db_side_col(p, 0, &v);
  CHECK("an integer comes as its digits", value_is(&v, DB_VTEXT, "1", 1));
  db_side_col(p, 1, &v);
  CHECK("text as text", value_is(&v, DB_VTEXT, "x", 1));
  db_side_col(p, 2, &v);
  CHECK("an empty BLOB is not NULL", value_is(&v, DB_VBLOB, "", 0));
  CHECK_INT("row 2", db_side_next(p), DB_ROW);
  db_side_col(p, 1, &v);
  CHECK("NULL as NULL", v.eType == DB_VNULL && v.n == 0);
  db_side_col(p, 2, &v);
  CHECK("bytes keep their NUL", value_is(&v, DB_VBLOB, "\0\xff", 2));
  CHECK_INT("then done", db_side_next(p), DB_DONE);

  CHECK_INT("a query stopped early",
            db_side_query(p, "SELECT id FROM t ORDER BY id", 0, NULL), 0);
  CHECK_INT("after one row", db_side_next(p), DB_ROW);
  db_side_finish(p);
  CHECK_INT("leaves the side free for the next",
            db_side_exec(p, "INSERT INTO u VALUES (7)"), 0);

  /* More texts than the cache holds: each still runs. */
  static const char *const azSql[] = {
      "SELECT 1",  "SELECT 2",  "SELECT 3",  "SELECT 4",  "SELECT 5",
      "SELECT 6",  "SELECT 7",  "SELECT 8",  "SELECT 9",  "SELECT 10",
      "SELECT 11", "SELECT 12", "SELECT 13", "SELECT 14", "SELECT 15",
      "SELECT 16", "SELECT 17", "SELECT 18", "SELECT 19", "SELECT 20"};
  int nOk = 0;
  for (int round = 0; round < 2; round++) {
    for (size_t i = 0; i < sizeof(azSql) / sizeof(azSql[0]); i++) {
      char zWant[8];
      snprintf(zWant, sizeof(zWant), "%zu", i + 1);
      if (db_side_query(p, azSql[i], 0, NULL) == 0 &&
          db_side_next(p) == DB_ROW) {
        db_side_col(p, 0, &v);
        nOk += value_is(&v, DB_VTEXT, zWant, strlen(zWant));
      }
      db_side_finish(p);
    }
  }
  CHECK_INT("the statement cache turns over", nOk, 40);

  fprintf(stderr, "(an SQL error is expected next)\n");
  CHECK_INT("bad SQL is an error", db_side_query(p, "SELEC 1", 0, NULL), E_DB);
  CHECK_INT("a failing step is an error",
            db_side_query(p, "INSERT INTO t (id) VALUES (1)", 0, NULL), 0);
  CHECK_INT("and ends the query", db_side_next(p), E_DB);
  CHECK_INT("BEGIN", db_side_exec(p, "BEGIN IMMEDIATE"), 0);
  CHECK_INT("a write in it", db_side_exec(p, "INSERT INTO u VALUES (8)"), 0);
  db_side_close(p); /* rolls back */
  CHECK_INT("reopens", db_side_open(zPath, 1, "source", &p), 0);
  CHECK_INT("count", db_side_query(p, "SELECT count(*) FROM u", 0, NULL), 0);
  CHECK_INT("a row", db_side_next(p), DB_ROW);
  db_side_col(p, 0, &v);
  CHECK("closing rolled the open transaction back",
        value_is(&v, DB_VTEXT, "1", 1));
  db_side_close(p);
  db_side_close(NULL);

  char zCmd[300];
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s", zDir);
  CHECK_INT("cleanup", system(zCmd), 0);
  return harness_exit();
}
