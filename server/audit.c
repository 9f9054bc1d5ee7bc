/*
** audit.c: writing and reading the `changes` table. No state of its own;
** uses the calling thread's connection.
*/
#include "audit.h"

#include <stdlib.h>

#include "db.h"
#include "err.h"
#include "utc.h"

int audit_log(const char *zEntity, int64_t id, const char *zActor,
              const char *zAction, json_t *pBefore, json_t *pAfter) {
  sqlite3_stmt *p = db_prepare(
      "INSERT INTO changes (ts, actor, entity, entity_id, action, before,"
      " after) VALUES (:ts, :actor, :entity, :id, :action, :before, :after)");
  if (!p) {
    return E_DB;
  }
  char *zBefore = pBefore ? json_dumps(pBefore, JSON_COMPACT) : NULL;
  char *zAfter = pAfter ? json_dumps(pAfter, JSON_COMPACT) : NULL;
  db_bind_int(p, ":ts", utc_now_ms());
  db_bind_text(p, ":actor", zActor ? zActor : "");
  db_bind_text(p, ":entity", zEntity);
  db_bind_int(p, ":id", id);
  db_bind_text(p, ":action", zAction);
  db_bind_text(p, ":before", zBefore);
  db_bind_text(p, ":after", zAfter);
  int rc = db_run(p);
  free(zBefore);
  free(zAfter);
  return rc;
}

static json_t *parse_or_null(const char *z) {
  json_t *p = *z ? json_loads(z, 0, NULL) : NULL;
  return p ? p : json_null();
}

json_t *audit_history(const char *zEntity, int64_t id) {
  json_t *pList = json_array();
  sqlite3_stmt *p = db_prepare(
      "SELECT id, ts, actor, action, coalesce(before, ''),"
      " coalesce(after, '') FROM changes"
      " WHERE entity = :entity AND entity_id = :id ORDER BY id");
  if (!p) {
    return pList;
  }
  db_bind_text(p, ":entity", zEntity);
  db_bind_int(p, ":id", id);
  while (db_step(p) == SQLITE_ROW) {
    char zTime[25];
    utc_format(db_col_int(p, 1), zTime);
    json_array_append_new(
        pList, json_pack("{s:I, s:s, s:s, s:s, s:o, s:o}", "id",
                         (json_int_t)db_col_int(p, 0), "ts", zTime, "actor",
                         db_col_text(p, 2), "action", db_col_text(p, 3),
                         "before", parse_or_null(db_col_text(p, 4)), "after",
                         parse_or_null(db_col_text(p, 5))));
  }
  db_reset(p);
  return pList;
}
