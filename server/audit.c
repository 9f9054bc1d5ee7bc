/*
** audit.c: writing and reading the `changes` table, and the admin's audit
** log page. No state of its own; uses the calling thread's connection.
*/
#include "audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "err.h"
#include "input.h"
#include "utc.h"

#define AUDIT_PAGE 50   /* rows per page by default */
#define AUDIT_MAX 500   /* largest ?limit= */
#define AUDIT_WORD 64   /* longest entity, actor or action filter */

int audit_log(const char *zEntity, int64_t id, const char *zActor,
              const char *zAction, json_t *pBefore, json_t *pAfter) {
  DbStmt *p = db_prepare(
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
  DbStmt *p = db_prepare(
      "SELECT id, ts, actor, action, coalesce(before, ''),"
      " coalesce(after, '') FROM changes"
      " WHERE entity = :entity AND entity_id = :id ORDER BY id");
  if (!p) {
    return pList;
  }
  db_bind_text(p, ":entity", zEntity);
  db_bind_int(p, ":id", id);
  while (db_step(p) == DB_ROW) {
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

/* The filters of one audit query, from the query string. */
typedef struct AuditFilter {
  const char *zEntity; /* entity name, or NULL for any */
  int64_t entityId;    /* with zEntity: one record; 0 for any */
  const char *zActor;  /* user or token name, or NULL */
  const char *zAction; /* "create", "update", ..., or NULL */
  const char *zFrom;   /* the from= text as given, or NULL */
  const char *zTo;     /* the to= text as given, or NULL */
  int64_t tFrom;       /* ts >= tFrom (ms) */
  int64_t tTo;         /* ts <= tTo (ms) */
  int64_t limit;       /* rows per page */
  int64_t cursor;      /* id < cursor; INT64_MAX for the first page */
} AuditFilter;

/* A word filter: at most AUDIT_WORD bytes of UTF-8; "" means none. */
static int word_param(Req *r, const char *zName, const char **pz) {
  const char *z = req_query(r, zName);
  *pz = NULL;
  if (!z || !*z) {
    return 0;
  }
  if (strlen(z) > AUDIT_WORD || !utf8_valid(z, strlen(z))) {
    return req_fail(r, E_INVALID, "%s: at most %d characters of text", zName,
                    AUDIT_WORD);
  }
  *pz = z;
  return 0;
}

/* A number in nMin..nMax, or *pv untouched when absent. */
static int num_param(Req *r, const char *zName, int64_t nMin, int64_t nMax,
                     int64_t *pv) {
  const char *z = req_query(r, zName);
  if (!z || !*z) {
    return 0;
  }
  char *zEnd = NULL;
  long long v = strtoll(z, &zEnd, 10);
  if (*zEnd || z[0] == '-' || z[0] == '+' || v < nMin || v > nMax) {
    return req_fail(r, E_INVALID, "%s: not a number from %lld to %lld",
                    zName, (long long)nMin, (long long)nMax);
  }
  *pv = v;
  return 0;
}

/* A time (RFC 3339 or a date); bEnd: a bare date means its last ms. */
static int time_param(Req *r, const char *zName, int bEnd, const char **pz,
                      int64_t *pMs) {
  const char *z = req_query(r, zName);
  *pz = NULL;
  if (!z || !*z) {
    return 0;
  }
  size_t n = strlen(z);
  if (n > 40 || utc_parse_iso(z, n, pMs)) {
    return req_fail(r, E_INVALID,
                    "%s: not a time (2026-11-20 or 2026-11-20T11:40:00Z)",
                    zName);
  }
  if (bEnd && n == 10) {
    *pMs += 86400000 - 1;
  }
  *pz = z;
  return 0;
}

static int read_filter(Req *r, AuditFilter *pF) {
  memset(pF, 0, sizeof(*pF));
  pF->tFrom = INT64_MIN;
  pF->tTo = INT64_MAX;
  pF->limit = AUDIT_PAGE;
  pF->cursor = INT64_MAX;
  int rc = word_param(r, "entity", &pF->zEntity);
  if (rc == 0) {
    rc = num_param(r, "entity_id", 1, INT64_MAX / 2, &pF->entityId);
  }
  if (rc == 0 && pF->entityId && !pF->zEntity) {
    rc = req_fail(r, E_INVALID, "entity_id: needs entity as well");
  }
  if (rc == 0) {
    rc = word_param(r, "actor", &pF->zActor);
  }
  if (rc == 0) {
    rc = word_param(r, "action", &pF->zAction);
  }
  if (rc == 0) {
    rc = time_param(r, "from", 0, &pF->zFrom, &pF->tFrom);
  }
  if (rc == 0) {
    rc = time_param(r, "to", 1, &pF->zTo, &pF->tTo);
  }
  if (rc == 0) {
    rc = num_param(r, "limit", 1, AUDIT_MAX, &pF->limit);
  }
  if (rc == 0) {
    rc = num_param(r, "cursor", 1, INT64_MAX / 2, &pF->cursor);
  }
  return rc;
}

/* Where a change's record is shown in the app, or NULL. NEW string. */
static json_t *record_href(const char *zEntity, int64_t id) {
  char z[80];
  if (strcmp(zEntity, "incident") == 0) {
    snprintf(z, sizeof(z), "/app/incidents/%lld", (long long)id);
  } else if (strcmp(zEntity, "event") == 0) {
    snprintf(z, sizeof(z), "/app/events/%lld/history", (long long)id);
  } else if (strcmp(zEntity, "postmortem") == 0) {
    snprintf(z, sizeof(z), "/app/incidents/%lld/postmortem", (long long)id);
  } else if (strcmp(zEntity, "action") == 0) {
    snprintf(z, sizeof(z), "/app/actions");
  } else if (strcmp(zEntity, "component") == 0) {
    snprintf(z, sizeof(z), "/app/components");
  } else if (strcmp(zEntity, "maintenance") == 0) {
    snprintf(z, sizeof(z), "/app/maintenances");
  } else if (strcmp(zEntity, "user") == 0 || strcmp(zEntity, "token") == 0) {
    snprintf(z, sizeof(z), "/app/users");
  } else {
    return json_null();
  }
  return json_string(z);
}

/* Distinct values of a column for the filter form. NEW array. */
static json_t *distinct(const char *zSql) {
  json_t *pList = json_array();
  DbStmt *p = db_prepare(zSql);
  if (!p) {
    return pList;
  }
  while (db_step(p) == DB_ROW) {
    json_array_append_new(pList, json_string(db_col_text(p, 0)));
  }
  db_reset(p);
  return pList;
}

int audit_list(Req *r) {
  AuditFilter f;
  int rc = read_filter(r, &f);
  if (rc) {
    return rc;
  }
  DbStmt *p = db_prepare(
      "SELECT id, ts, actor, entity, entity_id, action,"
      " coalesce(before, ''), coalesce(after, '') FROM changes"
      " WHERE id < :cursor"
      " AND (:entity IS NULL OR entity = :entity)"
      " AND (:eid = 0 OR entity_id = :eid)"
      " AND (:actor IS NULL OR actor = :actor)"
      " AND (:action IS NULL OR action = :action)"
      " AND ts BETWEEN :from AND :to"
      " ORDER BY id DESC LIMIT :limit");
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":cursor", f.cursor);
  db_bind_text(p, ":entity", f.zEntity);
  db_bind_int(p, ":eid", f.entityId);
  db_bind_text(p, ":actor", f.zActor);
  db_bind_text(p, ":action", f.zAction);
  db_bind_int(p, ":from", f.tFrom);
  db_bind_int(p, ":to", f.tTo);
  db_bind_int(p, ":limit", f.limit + 1); /* one more: is there a next page? */
  json_t *pList = json_array();
  int64_t lastId = 0;
  int step;
  while ((step = db_step(p)) == DB_ROW) {
    if ((int64_t)json_array_size(pList) == f.limit) {
      break;
    }
    char zTime[25];
    utc_format(db_col_int(p, 1), zTime);
    lastId = db_col_int(p, 0);
    const char *zEntity = db_col_text(p, 3);
    int64_t entityId = db_col_int(p, 4);
    json_array_append_new(
        pList,
        json_pack("{s:I, s:s, s:s, s:s, s:I, s:s, s:o, s:o, s:o}", "id",
                  (json_int_t)lastId, "ts", zTime, "actor", db_col_text(p, 2),
                  "entity", zEntity, "entity_id", (json_int_t)entityId,
                  "action", db_col_text(p, 5), "before",
                  parse_or_null(db_col_text(p, 6)), "after",
                  parse_or_null(db_col_text(p, 7)), "href",
                  record_href(zEntity, entityId)));
  }
  int bMore = step == DB_ROW;
  db_reset(p);
  if (step != DB_ROW && step != DB_DONE) {
    json_decref(pList);
    return E_DB;
  }
  json_t *pNext = json_null();
  if (bMore) {
    char z[24];
    snprintf(z, sizeof(z), "%lld", (long long)lastId);
    pNext = json_string(z);
  }
  r->pModel = json_pack(
      "{s:o, s:o, s:{s:s?, s:o, s:s?, s:s?, s:s?, s:s?, s:I}}", "changes",
      pList, "next_cursor", pNext, "filters", "entity", f.zEntity,
      "entity_id", f.entityId ? json_integer(f.entityId) : json_null(),
      "actor", f.zActor, "action", f.zAction, "from", f.zFrom, "to", f.zTo,
      "limit", (json_int_t)f.limit);
  if (!r->bJsonOut) {
    /* The filter form offers what the log holds. */
    r->pView = json_pack(
        "{s:o, s:o, s:o}", "entities",
        distinct("SELECT DISTINCT entity FROM changes ORDER BY 1"), "actors",
        distinct("SELECT DISTINCT actor FROM changes ORDER BY 1"), "actions",
        distinct("SELECT DISTINCT action FROM changes ORDER BY 1"));
    size_t i;
    json_t *pRow;
    json_array_foreach(pList, i, pRow) {
      /* Before and after as text for the page (escaped by the template). */
      const char *azKey[] = {"before", "after"};
      for (int k = 0; k < 2; k++) {
        json_t *pVal = json_object_get(pRow, azKey[k]);
        char *zText = json_is_null(pVal)
                          ? NULL
                          : json_dumps(pVal, JSON_COMPACT | JSON_SORT_KEYS);
        char zKey[16];
        snprintf(zKey, sizeof(zKey), "%s_text", azKey[k]);
        json_object_set_new(pRow, zKey, zText ? json_string(zText)
                                              : json_null());
        free(zText);
      }
    }
    r->zTemplate = "audit";
    r->zTitle = "Audit log";
  }
  return 0;
}
