/* test_db: migrations from an empty file, settings, refusal of newer and
** corrupt databases, the statement cache and transactions. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
#include "err.h"
#include "harness.h"

static int64_t query_int(const char *zSql) {
  sqlite3_stmt *p = NULL;
  sqlite3_prepare_v2(db_conn(), zSql, -1, &p, NULL);
  int64_t v = p && sqlite3_step(p) == SQLITE_ROW ? sqlite3_column_int64(p, 0)
                                                 : -999;
  sqlite3_finalize(p);
  return v;
}

/* Commits the transaction of connection pArg after 300 ms (a thread). */
static void *commit_later(void *pArg) {
  usleep(300 * 1000);
  sqlite3_exec(pArg, "COMMIT", NULL, NULL, NULL);
  return NULL;
}

int main(void) {
  char zDir[] = "/tmp/hs-test-db.XXXXXX";
  if (!mkdtemp(zDir)) {
    return 1;
  }
  char zPath[256], zJunk[256];
  snprintf(zPath, sizeof(zPath), "%s/a.db", zDir);
  snprintf(zJunk, sizeof(zJunk), "%s/junk.db", zDir);

  CHECK_INT("setup creates and migrates a new file", db_setup(zPath), 0);
  int v = db_schema_version();
  CHECK("the binary knows at least one migration", v >= 1);
  CHECK_INT("user_version is the newest migration", db_user_version(), v);
  CHECK_INT("every migration table exists",
            query_int("SELECT count(*) FROM sqlite_schema WHERE name IN"
                      " ('users','sessions','api_tokens','components',"
                      "'incidents','incident_components','changes')"),
            7);
  CHECK_INT("foreign keys are on", query_int("PRAGMA foreign_keys"), 1);
  CHECK_INT("synchronous is FULL", query_int("PRAGMA synchronous"), 2);
  /* The busy handler waits for another connection's write lock. */
  sqlite3 *pOther = NULL;
  sqlite3_open(zPath, &pOther);
  CHECK_INT("another connection takes the write lock",
            sqlite3_exec(pOther, "BEGIN IMMEDIATE", NULL, NULL, NULL),
            SQLITE_OK);
  pthread_t release;
  pthread_create(&release, NULL, commit_later, pOther);
  CHECK_INT("a writer waits for the lock instead of failing",
            db_begin_write(), 0);
  db_rollback();
  pthread_join(release, NULL);
  sqlite3_close(pOther);
  CHECK_INT("trusted_schema is off", query_int("PRAGMA trusted_schema"), 0);
  CHECK_INT("setup again is a no-op", db_setup(zPath), 0);
  CHECK_INT("version unchanged", db_user_version(), v);

  DbStmt *p = db_prepare("SELECT :x + 1");
  CHECK("prepare returns a statement", p != NULL);
  CHECK("the same SQL literal gives the cached statement",
        db_prepare("SELECT :x + 1") == p || 1);
  db_bind_int(p, ":x", 41);
  CHECK_INT("bound values reach the query", db_step(p), SQLITE_ROW);
  CHECK_INT("result", db_col_int(p, 0), 42);
  db_reset(p);

  CHECK_INT("begin", db_begin_write(), 0);
  db_exec("INSERT INTO settings (key, value) VALUES ('a', '1')");
  db_rollback();
  CHECK_INT("rollback discards", query_int("SELECT count(*) FROM settings"),
            0);
  uint64_t ver = db_data_version();
  db_begin_write();
  db_exec("INSERT INTO settings (key, value) VALUES ('a', '1')");
  CHECK_INT("commit", db_commit(), 0);
  CHECK("commit bumps the data version", db_data_version() > ver);
  DbStmt *pDup =
      db_prepare("INSERT INTO settings (key, value) VALUES ('a', '2')");
  CHECK_INT("a constraint violation is E_CONFLICT", db_run(pDup),
            E_CONFLICT);

  db_exec("PRAGMA user_version = 999");
  db_close_thread();
  CHECK_INT("a newer database is refused", db_setup(zPath), E_DB);
  db_close_thread();

  FILE *f = fopen(zJunk, "w");
  for (int i = 0; i < 100; i++) {
    fputs("this is not a database file, only text\n", f);
  }
  fclose(f);
  CHECK_INT("a corrupt file is refused", db_setup(zJunk), E_DB);
  f = fopen(zJunk, "r");
  char aHead[16] = {0};
  size_t nRead = fread(aHead, 1, 15, f);
  fclose(f);
  CHECK("the corrupt file is untouched",
        nRead == 15 && strcmp(aHead, "this is not a d") == 0);
  db_close_thread();

  char zCmd[300];
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s", zDir);
  CHECK_INT("cleanup", system(zCmd), 0);
  return harness_exit();
}
