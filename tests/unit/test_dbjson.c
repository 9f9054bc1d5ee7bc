/* test_dbjson: result columns as JSON values (dbjson.c): times as ISO 8601
** UTC at the edges of the range, text and integers, and SQL NULL as JSON
** null for each; and the background-job leads /metrics shows (db_lead,
** db_leads, db_job_name) on SQLite. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "dbjson.h"
#include "harness.h"

/* The JSON text of v, then v released; "(none)" for NULL. */
static char *dumped(json_t *v) {
  char *z = v ? json_dumps(v, JSON_ENCODE_ANY) : NULL;
  json_decref(v);
  return z ? z : strdup("(none)");
}

static void check_json(const char *zName, json_t *v, const char *zWant) {
  char *z = dumped(v);
  CHECK_STR(zName, z, zWant);
  free(z);
}

int main(void) {
  char zDir[] = "/tmp/hs-test-dbjson.XXXXXX";
  if (!mkdtemp(zDir)) {
    return 1;
  }
  char zPath[256];
  snprintf(zPath, sizeof(zPath), "%s/j.db", zDir);
  CHECK_INT("setup", db_setup(zPath), 0);

  DbStmt *p = db_prepare("SELECT NULL, 1676460600000, 0, -1,"
                         " 253402300799999, 'checkout <502>', '', 42,"
                         " -9007199254740993");
  CHECK("a row", p && db_step(p) == DB_ROW);
  check_json("a NULL time is null", dbjson_time(p, 0), "null");
  check_json("a time is ISO 8601 UTC with milliseconds", dbjson_time(p, 1),
             "\"2023-02-15T11:30:00.000Z\"");
  check_json("the epoch", dbjson_time(p, 2), "\"1970-01-01T00:00:00.000Z\"");
  check_json("before the epoch", dbjson_time(p, 3),
             "\"1969-12-31T23:59:59.999Z\"");
  check_json("the last representable instant", dbjson_time(p, 4),
             "\"9999-12-31T23:59:59.999Z\"");
  check_json("a NULL text is null", dbjson_text(p, 0), "null");
  check_json("a text is a string", dbjson_text(p, 5), "\"checkout <502>\"");
  check_json("an empty text is an empty string", dbjson_text(p, 6), "\"\"");
  check_json("a NULL integer is null", dbjson_int(p, 0), "null");
  check_json("an integer", dbjson_int(p, 7), "42");
  check_json("a 64-bit integer stays exact", dbjson_int(p, 8),
             "-9007199254740993");
  db_reset(p);

  CHECK_INT("no job is led before one asks", (int)db_leads(), 0);
  CHECK_INT("on SQLite the one process leads", db_lead(DB_JOB_OUTBOX), 1);
  CHECK_INT("the outbox shows as led", (int)db_leads(), 1 << DB_JOB_OUTBOX);
  db_lead(DB_JOB_INDEXER);
  CHECK_INT("two jobs", (int)db_leads(),
            (1 << DB_JOB_OUTBOX) | (1 << DB_JOB_INDEXER));
  CHECK_STR("job names for /metrics", db_job_name(DB_JOB_RAWMIGRATE),
            "raw_migrate");
  CHECK_STR("an unknown job", db_job_name(DB_JOB_END), "?");
  CHECK_INT("SQLite is never behind a newer node", db_schema_ahead(), 0);

  db_close_thread();
  char zCmd[300];
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s", zDir);
  CHECK_INT("cleanup", system(zCmd), 0);
  return harness_exit();
}
