/*
** timeline.c: the incident timeline. Notes, evidence and marks are rows of
** `events`; edits go through one validated path with optimistic
** concurrency (If-Match for the API, a version field for forms), every
** change is written to the audit log, deletes are soft.
**
** Key moments: an event marked "detected" (and so on) sets the incident's
** detected_at to the earliest such event's time; moving, unmarking or
** deleting it moves the clock. A mark that would break the order of the
** moments is refused and nothing is written.
**
** The stream: GET .../stream answers server-sent events with the changes
** after Last-Event-ID and closes, asking the browser to reconnect after a
** second ("retry: 1000"). Nothing holds a pool thread while waiting.
**
** Threading: none of its own; uses the calling thread's connection.
*/
#include "timeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "db.h"
#include "dbjson.h"
#include "err.h"
#include "evidence.h"
#include "incident.h"
#include "input.h"
#include "md.h"
#include "request_key.h"
#include "settings.h"
#include "utc.h"

const char *const azEventKind[] = {"log",  "signal", "alert",        "ticket",
                                   "note", "change", "status_update", NULL};
const char *const azEventKey[] = {"started",   "detected", "acknowledged",
                                  "escalated", "mitigated", "resolved",
                                  NULL};
const char *const azEventLevel[] = {"debug", "info",     "notice", "warning",
                                    "error", "critical", NULL};

/* Kinds people may create or change an event into (evidence stays what it
** was: an alert cannot be turned into a note). */
static const char *const azWritableKind[] = {"note", "change",
                                             "status_update", NULL};
static const char *const azCreateFields[] = {
    "ts", "kind", "title", "body", "key", "level", "source", "component",
    "csrf_token", NULL};
static const char *const azUpdateFields[] = {
    "ts",    "title", "body",       "key",     "level", "pinned",
    "hidden", "kind", "csrf_token", "version", "delete", NULL};

#define EVENT_COLUMNS                                                         \
  "id, incident_id, ts, end_ts, kind, source, level, component, title,"       \
  " body, key, pinned, hidden, count, author, created_at, updated_at,"        \
  " version"

/* The API shape of the row at p (selected with EVENT_COLUMNS). NEW. */
static json_t *event_json(DbStmt *p) {
  return json_pack(
      "{s:I, s:I, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:b, s:b,"
      " s:I, s:s, s:o, s:o, s:I}",
      "id", (json_int_t)db_col_int(p, 0), "incident_id",
      (json_int_t)db_col_int(p, 1), "ts", dbjson_time(p, 2), "end_ts",
      dbjson_time(p, 3), "kind", db_col_text(p, 4), "source", db_col_text(p, 5),
      "level", db_col_text(p, 6), "component", db_col_text(p, 7), "title",
      db_col_text(p, 8), "body", db_col_text(p, 9), "key",
      dbjson_text(p, 10),
      "pinned", (int)db_col_int(p, 11), "hidden", (int)db_col_int(p, 12),
      "count", (json_int_t)db_col_int(p, 13), "author", db_col_text(p, 14),
      "created_at", dbjson_time(p, 15), "updated_at", dbjson_time(p, 16),
      "version", (json_int_t)db_col_int(p, 17));
}

json_t *timeline_event_load(int64_t id) {
  DbStmt *p = db_prepare("SELECT " EVENT_COLUMNS " FROM events"
                               " WHERE id = :id AND deleted = 0");
  if (!p) {
    return NULL;
  }
  db_bind_int(p, ":id", id);
  json_t *pOut = db_step(p) == DB_ROW ? event_json(p) : NULL;
  db_reset(p);
  return pOut;
}

/* 1 when event id is there (not deleted), 0 when not, or E_DB. */
static int event_exists(int64_t id) {
  DbStmt *p = db_prepare("SELECT 1 FROM events WHERE id = :id AND deleted = 0");
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":id", id);
  int rc = db_step(p);
  db_reset(p);
  return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : E_DB;
}

/* Sets the incident's moment zKey from the earliest event still carrying
** that mark (or clears it). Inside the caller's transaction. */
static int sync_moment(int64_t incidentId, const char *zKey,
                       const char *zActor, char *zErr, size_t nErr) {
  DbStmt *p = db_prepare(
      "SELECT min(ts) FROM events WHERE incident_id = :inc AND key = :key"
      " AND deleted = 0");
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":inc", incidentId);
  db_bind_text(p, ":key", zKey);
  int64_t ms = IN_UNSET;
  if (db_step(p) == DB_ROW && !db_col_is_null(p, 0)) {
    ms = db_col_int(p, 0);
  }
  db_reset(p);
  return incident_set_moment(incidentId, zKey, ms, zActor, zErr, nErr);
}

/* The incident id in the path, which must exist. */
static int path_incident(Req *r, int64_t *pId) {
  int rc = req_param_id(r, "id", pId);
  if (rc) {
    return rc;
  }
  DbStmt *p = db_prepare("SELECT 1 FROM incidents WHERE id = :id");
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":id", *pId);
  int bFound = db_step(p) == DB_ROW;
  db_reset(p);
  return bFound ? 0
                : req_fail(r, E_NOTFOUND, "no incident %lld",
                           (long long)*pId);
}

/* Escapes % _ and \ so a search text is matched literally by LIKE. */
static char *like_pattern(Req *r, const char *zQ) {
  Buf b;
  buf_init(&b, 1024);
  buf_putc(&b, '%');
  for (const char *z = zQ; *z; z++) {
    if (*z == '%' || *z == '_' || *z == '\\') {
      buf_putc(&b, '\\');
    }
    buf_putc(&b, *z);
  }
  buf_putc(&b, '%');
  char *zOut = buf_err(&b) ? NULL : arena_strdup(&r->arena, buf_str(&b));
  buf_free(&b);
  return zOut;
}

/* The filters of a timeline query, validated. */
typedef struct TimelineFilter {
  const char *zKind;   /* a kind or NULL */
  const char *zSource; /* a source or NULL */
  const char *zLevel;  /* a level or NULL */
  const char *zLike;   /* LIKE pattern or NULL */
  int bHidden;         /* include hidden events */
  int64_t afterTs;     /* cursor: events after (afterTs, afterId) */
  int64_t afterId;     /* cursor id */
  int64_t limit;       /* page size */
} TimelineFilter;

static int read_filter(Req *r, TimelineFilter *pF) {
  memset(pF, 0, sizeof(*pF));
  pF->afterTs = INT64_MIN;
  pF->limit = 500;
  const char *z = req_query(r, "kind");
  if (z && *z) {
    if (enum_index(azEventKind, z) < 0) {
      return req_fail(r, E_INVALID, "kind: must be one of log, signal, alert,"
                                    " ticket, note, change, status_update");
    }
    pF->zKind = z;
  }
  z = req_query(r, "level");
  if (z && *z) {
    if (enum_index(azEventLevel, z) < 0) {
      return req_fail(r, E_INVALID, "level: must be one of debug, info,"
                                    " notice, warning, error, critical");
    }
    pF->zLevel = z;
  }
  z = req_query(r, "source");
  if (z && *z) {
    if (strlen(z) > 200 || !utf8_valid(z, strlen(z))) {
      return req_fail(r, E_INVALID, "source: not a valid source name");
    }
    pF->zSource = z;
  }
  z = req_query(r, "q");
  if (z && *z) {
    if (strlen(z) > 500 || !utf8_valid(z, strlen(z))) {
      return req_fail(r, E_INVALID, "q: at most 500 bytes of UTF-8");
    }
    pF->zLike = like_pattern(r, z);
  }
  z = req_query(r, "hidden");
  pF->bHidden = z && (strcmp(z, "1") == 0 || strcmp(z, "on") == 0);
  z = req_query(r, "limit");
  if (z && *z) {
    char *zEnd;
    pF->limit = strtoll(z, &zEnd, 10);
    if (*zEnd || pF->limit < 1 || pF->limit > 1000) {
      return req_fail(r, E_INVALID, "limit: must be 1 to 1000");
    }
  }
  z = req_query(r, "cursor");
  if (z && *z) {
    long long ts, id;
    char cExtra;
    if (sscanf(z, "%lld:%lld%c", &ts, &id, &cExtra) != 2) {
      return req_fail(r, E_INVALID, "cursor: not a cursor from this list");
    }
    pF->afterTs = ts;
    pF->afterId = id;
  }
  return 0;
}

/* Runs the filtered query; fills a NEW array and the next cursor. */
static int query_events(Req *r, int64_t incidentId, const TimelineFilter *pF,
                        json_t **ppList, char *zNext, size_t nNext) {
  DbStmt *p = db_prepare(
      "SELECT " EVENT_COLUMNS " FROM events"
      " WHERE incident_id = :inc AND deleted = 0"
      " AND (:hidden <> 0 OR hidden = 0)"
      " AND (:kind IS NULL OR kind = :kind)"
      " AND (:source IS NULL OR source = :source)"
      " AND (:level IS NULL OR level = :level)"
      " AND (:like IS NULL OR title LIKE :like ESCAPE '\\'"
      "      OR body LIKE :like ESCAPE '\\')"
      " AND (ts > :after_ts OR (ts = :after_ts AND id > :after_id))"
      " ORDER BY ts, id LIMIT :limit");
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":inc", incidentId);
  db_bind_int(p, ":hidden", pF->bHidden);
  db_bind_text(p, ":kind", pF->zKind);
  db_bind_text(p, ":source", pF->zSource);
  db_bind_text(p, ":level", pF->zLevel);
  db_bind_text(p, ":like", pF->zLike);
  db_bind_int(p, ":after_ts", pF->afterTs);
  db_bind_int(p, ":after_id", pF->afterId);
  db_bind_int(p, ":limit", pF->limit + 1);
  json_t *pList = json_array();
  int64_t n = 0, lastTs = 0, lastId = 0;
  int rc;
  zNext[0] = 0;
  while ((rc = db_step(p)) == DB_ROW) {
    if (n == pF->limit) {
      snprintf(zNext, nNext, "%lld:%lld", (long long)lastTs,
               (long long)lastId);
      break;
    }
    json_array_append_new(pList, event_json(p));
    lastTs = db_col_int(p, 2);
    lastId = db_col_int(p, 0);
    n++;
  }
  db_reset(p);
  (void)r;
  *ppList = pList;
  return rc == DB_ROW || rc == DB_DONE ? 0 : E_DB;
}

int timeline_list(Req *r) {
  int64_t id;
  int rc = path_incident(r, &id);
  if (rc) {
    return rc;
  }
  TimelineFilter f;
  rc = read_filter(r, &f);
  if (rc) {
    return rc;
  }
  json_t *pList = NULL;
  char zNext[64];
  rc = query_events(r, id, &f, &pList, zNext, sizeof(zNext));
  if (rc) {
    json_decref(pList);
    return rc;
  }
  r->pModel = json_pack("{s:o, s:o}", "events", pList, "next_cursor",
                        zNext[0] ? json_string(zNext) : json_null());
  return 0;
}

/* Redirect target for forms: the event on its incident page. */
static void redirect_to_event(Req *r, int64_t incidentId, int64_t eventId) {
  char zTo[96];
  snprintf(zTo, sizeof(zTo), "/app/incidents/%lld#e%lld",
           (long long)incidentId, (long long)eventId);
  r->zRedirect = arena_strdup(&r->arena, zTo);
}

int timeline_add(int64_t incidentId, json_t *pIn, const char *zActor,
                 int64_t *pEventId, char *zErr, size_t nErr) {
  const char *zKind = "note", *zTitle = "", *zBody = "", *zKey = NULL;
  const char *zLevel = "info", *zSource = "", *zComponent = "";
  int64_t ts = utc_now_ms();
  RequestKey reqKey;
  char zScope[48];
  snprintf(zScope, sizeof(zScope), "incident %lld events",
           (long long)incidentId);
  int rc = request_key_read(pIn, zScope, &reqKey, zErr, nErr);
  if (rc == 0) {
    rc = in_only_known(pIn, azCreateFields, zErr, nErr);
  }
  if (rc == 0) {
    rc = in_enum(pIn, "kind", azWritableKind, &zKind, zErr, nErr);
  }
  if (rc == 0) {
    rc = in_string(pIn, "title", 300, 1, &zTitle, NULL, zErr, nErr);
  }
  if (rc == 0) {
    rc = in_string(pIn, "body", 65536, 0, &zBody, NULL, zErr, nErr);
  }
  if (rc == 0) {
    rc = in_enum(pIn, "level", azEventLevel, &zLevel, zErr, nErr);
  }
  if (rc == 0) {
    rc = in_string(pIn, "source", 200, 1, &zSource, NULL, zErr, nErr);
  }
  if (rc == 0) {
    rc = in_string(pIn, "component", 200, 1, &zComponent, NULL, zErr, nErr);
  }
  if (rc == 0) {
    rc = in_time(pIn, "ts", &ts, NULL, zErr, nErr);
    if (rc == 0 && ts == IN_UNSET) {
      ts = utc_now_ms(); /* an empty time field means now */
    }
  }
  if (rc == 0) {
    json_t *pKey = json_object_get(pIn, "key");
    if (pKey && !json_is_null(pKey) &&
        !(json_is_string(pKey) && json_string_length(pKey) == 0)) {
      rc = in_enum(pIn, "key", azEventKey, &zKey, zErr, nErr);
    }
  }
  if (rc == 0 && !*zTitle && !*zBody && !zKey) {
    snprintf(zErr, nErr, "title: write a title or a body");
    rc = E_INVALID;
  }
  if (rc) {
    return rc;
  }
  if (!*zTitle && zKey) {
    zTitle = zKey; /* a bare mark is titled by what it marks */
  }
  rc = db_begin_write();
  if (rc) {
    return rc;
  }
  /* Sent again (its first answer lost): what the first try made, unless
  ** someone deleted it meanwhile (then this makes it again). */
  rc = request_key_find(zActor, &reqKey, pEventId);
  if (rc == 1) {
    rc = event_exists(*pEventId);
  }
  if (rc) {
    db_rollback();
    return rc == 1 ? 0 : rc;
  }
  int64_t now = utc_now_ms();
  DbStmt *p = db_prepare(
      "INSERT INTO events (incident_id, ts, kind, source, level, component,"
      " title, body, key, author, created_at, updated_at)"
      " VALUES (:inc, :ts, :kind, :source, :level, :component, :title,"
      " :body, :key, :author, :now, :now)");
  rc = E_DB;
  if (p) {
    db_bind_int(p, ":inc", incidentId);
    db_bind_int(p, ":ts", ts);
    db_bind_text(p, ":kind", zKind);
    db_bind_text(p, ":source", zSource);
    db_bind_text(p, ":level", zLevel);
    db_bind_text(p, ":component", zComponent);
    db_bind_text(p, ":title", zTitle);
    db_bind_text(p, ":body", zBody);
    db_bind_text(p, ":key", zKey);
    db_bind_text(p, ":author", zActor);
    db_bind_int(p, ":now", now);
    rc = db_run(p);
  }
  if (rc == 0) {
    *pEventId = db_last_id();
    rc = request_key_save(zActor, &reqKey, *pEventId);
  }
  if (rc == 0) {
    json_t *pAfter = timeline_event_load(*pEventId);
    rc = audit_log("event", *pEventId, zActor, "create", NULL, pAfter);
    json_decref(pAfter);
  }
  if (rc == 0 && zKey) {
    rc = sync_moment(incidentId, zKey, zActor, zErr, nErr);
  }
  rc = rc == 0 ? db_commit() : rc;
  if (rc) {
    db_rollback();
  }
  return rc;
}

int timeline_create(Req *r) {
  int64_t incidentId, eventId = 0;
  int rc = path_incident(r, &incidentId);
  if (rc) {
    return rc;
  }
  json_t *pIn = NULL;
  rc = req_input(r, &pIn);
  if (rc) {
    return rc;
  }
  rc = request_key_header(r, pIn);
  if (rc) {
    return rc;
  }
  char zErr[256] = "";
  rc = timeline_add(incidentId, pIn, r->zUser, &eventId, zErr, sizeof(zErr));
  if (rc) {
    return rc == E_INVALID ? req_fail(r, rc, "%s", zErr) : rc;
  }
  if (!r->bJsonOut) {
    redirect_to_event(r, incidentId, eventId);
    return 0;
  }
  r->pModel = timeline_event_load(eventId);
  r->status = 201;
  return r->pModel ? 0 : E_DB;
}

/* The event id in the path; loads it (not deleted). */
static int path_event(Req *r, int64_t *pId, json_t **ppEvent) {
  int rc = req_param_id(r, "id", pId);
  if (rc) {
    return rc;
  }
  *ppEvent = timeline_event_load(*pId);
  return *ppEvent ? 0
                  : req_fail(r, E_NOTFOUND, "no event %lld", (long long)*pId);
}

int timeline_get(Req *r) {
  int64_t id;
  return path_event(r, &id, &r->pModel);
}

/* Applies one event edit (fields of pIn) in a transaction. */
static int event_edit(Req *r, int64_t id, json_t *pBefore, json_t *pIn,
                      int bDelete) {
  char zErr[256] = "";
  json_t *pRow = json_deep_copy(pBefore);
  const char *zKind = json_string_value(json_object_get(pRow, "kind"));
  int rc = in_only_known(pIn, azUpdateFields, zErr, sizeof(zErr));
  const char *z = NULL;
  int bSet = 0;
  if (rc == 0) {
    rc = in_string(pIn, "title", 300, 1, &z, &bSet, zErr, sizeof(zErr));
    if (rc == 0 && bSet) {
      json_object_set_new(pRow, "title", json_string(z));
    }
  }
  if (rc == 0) {
    bSet = 0;
    rc = in_string(pIn, "body", 65536, 0, &z, &bSet, zErr, sizeof(zErr));
    if (rc == 0 && bSet) {
      json_object_set_new(pRow, "body", json_string(z));
    }
  }
  if (rc == 0 && json_object_get(pIn, "kind")) {
    z = NULL;
    rc = in_enum(pIn, "kind", azWritableKind, &z, zErr, sizeof(zErr));
    if (rc == 0 && enum_index(azWritableKind, zKind) < 0) {
      snprintf(zErr, sizeof(zErr), "kind: evidence (%s) keeps its kind",
               zKind);
      rc = E_INVALID;
    }
    if (rc == 0) {
      json_object_set_new(pRow, "kind", json_string(z));
    }
  }
  if (rc == 0) {
    z = NULL;
    rc = in_enum(pIn, "level", azEventLevel, &z, zErr, sizeof(zErr));
    if (rc == 0 && z) {
      json_object_set_new(pRow, "level", json_string(z));
    }
  }
  int64_t ts = IN_UNSET;
  if (rc == 0) {
    bSet = 0;
    rc = in_time(pIn, "ts", &ts, &bSet, zErr, sizeof(zErr));
    if (rc == 0 && bSet && ts == IN_UNSET) {
      snprintf(zErr, sizeof(zErr), "ts: an event needs a time");
      rc = E_INVALID;
    }
  }
  int bPinned = json_is_true(json_object_get(pRow, "pinned"));
  int bHidden = json_is_true(json_object_get(pRow, "hidden"));
  if (rc == 0) {
    rc = in_bool(pIn, "pinned", &bPinned, zErr, sizeof(zErr));
  }
  if (rc == 0) {
    rc = in_bool(pIn, "hidden", &bHidden, zErr, sizeof(zErr));
  }
  json_object_set_new(pRow, "pinned", json_boolean(bPinned));
  json_object_set_new(pRow, "hidden", json_boolean(bHidden));
  json_t *pKey = json_object_get(pIn, "key");
  if (rc == 0 && pKey) {
    if (json_is_null(pKey) ||
        (json_is_string(pKey) && json_string_length(pKey) == 0)) {
      json_object_set_new(pRow, "key", json_null());
    } else {
      z = NULL;
      rc = in_enum(pIn, "key", azEventKey, &z, zErr, sizeof(zErr));
      if (rc == 0) {
        json_object_set_new(pRow, "key", json_string(z));
      }
    }
  }
  if (rc) {
    json_decref(pRow);
    return req_fail(r, rc, "%s", zErr);
  }
  rc = db_begin_write();
  DbStmt *p = NULL;
  if (rc == 0) {
    p = db_prepare(
        "UPDATE events SET ts = coalesce(:ts, ts), kind = :kind,"
        " level = :level, title = :title, body = :body, key = :key,"
        " pinned = :pinned, hidden = :hidden, deleted = :deleted,"
        " updated_at = :now, version = version + 1"
        " WHERE id = :id AND version = :version AND deleted = 0");
    rc = p ? 0 : E_DB;
  }
  if (rc == 0) {
    db_bind_opt_int(p, ":ts", ts);
    db_bind_text(p, ":kind", json_string_value(json_object_get(pRow, "kind")));
    db_bind_text(p, ":level",
                 json_string_value(json_object_get(pRow, "level")));
    db_bind_text(p, ":title",
                 json_string_value(json_object_get(pRow, "title")));
    db_bind_text(p, ":body", json_string_value(json_object_get(pRow, "body")));
    db_bind_text(p, ":key", json_string_value(json_object_get(pRow, "key")));
    db_bind_int(p, ":pinned", bPinned);
    db_bind_int(p, ":hidden", bHidden);
    db_bind_int(p, ":deleted", bDelete);
    db_bind_int(p, ":now", utc_now_ms());
    db_bind_int(p, ":id", id);
    db_bind_int(p, ":version",
                json_integer_value(json_object_get(pBefore, "version")));
    rc = db_run(p);
    if (rc == 0 && db_changes() == 0) {
      rc = E_CONFLICT;
    }
  }
  json_t *pAfter = NULL;
  if (rc == 0) {
    pAfter = bDelete ? NULL : timeline_event_load(id);
    rc = audit_log("event", id, r->zUser, bDelete ? "delete" : "update",
                   pBefore, pAfter ? pAfter : pRow);
  }
  /* Re-derive the moments the old and new marks touch. */
  int64_t incidentId =
      json_integer_value(json_object_get(pBefore, "incident_id"));
  const char *zOldKey = json_string_value(json_object_get(pBefore, "key"));
  const char *zNewKey = json_string_value(json_object_get(pRow, "key"));
  if (rc == 0 && zOldKey) {
    rc = sync_moment(incidentId, zOldKey, r->zUser, zErr, sizeof(zErr));
  }
  if (rc == 0 && zNewKey && (!zOldKey || strcmp(zOldKey, zNewKey) != 0)) {
    rc = sync_moment(incidentId, zNewKey, r->zUser, zErr, sizeof(zErr));
  }
  rc = rc == 0 ? db_commit() : rc;
  json_decref(pRow);
  if (rc) {
    db_rollback();
    json_decref(pAfter);
    if (rc == E_CONFLICT) {
      r->pErrCurrent = timeline_event_load(id);
      return req_fail(r, rc, "this event was changed by someone else; "
                             "review their version and apply yours again");
    }
    return rc == E_INVALID ? req_fail(r, rc, "%s", zErr) : rc;
  }
  if (!r->bJsonOut) {
    json_decref(pAfter);
    redirect_to_event(r, incidentId, id);
    return 0;
  }
  r->pModel = pAfter ? pAfter : json_pack("{s:I, s:b}", "id", (json_int_t)id,
                                          "deleted", 1);
  return 0;
}

int timeline_update(Req *r) {
  int64_t id, version;
  json_t *pBefore = NULL;
  int rc = path_event(r, &id, &pBefore);
  json_t *pIn = NULL;
  if (rc == 0) {
    rc = req_input(r, &pIn);
  }
  if (rc == 0) {
    rc = req_version(r, pIn, &version);
  }
  if (rc == 0 && version !=
                     json_integer_value(json_object_get(pBefore, "version"))) {
    r->pErrCurrent = json_incref(pBefore);
    rc = req_fail(r, E_CONFLICT,
                  "this event was changed by someone else; review their "
                  "version and apply yours again");
  }
  if (rc == 0) {
    int bDelete = 0;
    const char *zDelete = json_string_value(json_object_get(pIn, "delete"));
    if (req_is_form(r) && zDelete && strcmp(zDelete, "1") == 0) {
      bDelete = 1;
    }
    rc = event_edit(r, id, pBefore, pIn, bDelete);
  }
  json_decref(pBefore);
  return rc;
}

int timeline_delete(Req *r) {
  int64_t id, version;
  json_t *pBefore = NULL;
  int rc = path_event(r, &id, &pBefore);
  if (rc == 0) {
    json_t *pEmpty = json_object();
    rc = req_version(r, pEmpty, &version);
    if (rc == 0 &&
        version != json_integer_value(json_object_get(pBefore, "version"))) {
      r->pErrCurrent = json_incref(pBefore);
      rc = req_fail(r, E_CONFLICT, "this event was changed meanwhile");
    }
    if (rc == 0) {
      rc = event_edit(r, id, pBefore, pEmpty, 1);
    }
    json_decref(pEmpty);
  }
  json_decref(pBefore);
  return rc;
}

int timeline_history(Req *r) {
  int64_t id;
  int rc = req_param_id(r, "id", &id);
  if (rc) {
    return rc;
  }
  json_t *pHistory = audit_history("event", id);
  if (json_array_size(pHistory) == 0) {
    json_decref(pHistory);
    return req_fail(r, E_NOTFOUND, "no event %lld", (long long)id);
  }
  r->pModel = json_pack("{s:I, s:o}", "event_id", (json_int_t)id, "history",
                        pHistory);
  r->zTemplate = "event_history";
  r->zTitle = "Event history";
  return 0;
}

/* Collects scanned lines into a JSON array. */
static int raw_collect(void *pArg, const RawLine *pLine) {
  char zTime[25];
  utc_format(pLine->ts, zTime);
  json_array_append_new(pArg, json_pack("{s:s, s:s, s:s%, s:b}", "ts", zTime,
                                        "source", pLine->zSource, "line",
                                        pLine->z, pLine->n, "bad",
                                        pLine->bBad));
  return 0;
}

int timeline_raw_lines(Req *r, RawQuery *pQ, json_t **ppPage) {
  const char *zCursor = req_query(r, "cursor");
  if (zCursor && (strlen(zCursor) > 64 || !utf8_valid(zCursor,
                                                      strlen(zCursor)))) {
    return req_fail(r, E_INVALID, "cursor: not a cursor from this list");
  }
  pQ->zCursor = zCursor && *zCursor ? zCursor : NULL;
  pQ->nLimit = 200;
  /* A slow text search pages instead of holding a thread (issue 20). */
  long long nBudget = settings_get_int("search.raw_budget_ms", 2000);
  pQ->budgetMs = nBudget < 0 ? 2000 : nBudget;
  char zNext[64];
  json_t *pLines = json_array();
  int rc = rawstore_scan(pQ, raw_collect, pLines, zNext, sizeof(zNext));
  if (rc) {
    json_decref(pLines);
    return rc == E_INVALID
               ? req_fail(r, rc, "cursor: not a cursor from this list")
               : rc;
  }
  /* A cursor with less than a page: the budget ended the scan. */
  int bPartial = zNext[0] && json_array_size(pLines) < (size_t)pQ->nLimit;
  json_t *pTo = json_null();
  int64_t tsTo = bPartial ? rawstore_cursor_ts(zNext) : INT64_MIN;
  if (tsTo != INT64_MIN) {
    char zTime[25];
    utc_format(tsTo, zTime);
    json_decref(pTo);
    pTo = json_string(zTime);
  }
  *ppPage = json_pack("{s:o, s:o, s:b, s:o}", "lines", pLines, "next_cursor",
                      zNext[0] ? json_string(zNext) : json_null(), "partial",
                      bPartial, "searched_to", pTo);
  return 0;
}

int timeline_raw(Req *r) {
  int64_t id;
  int rc = req_param_id(r, "id", &id);
  if (rc) {
    return rc;
  }
  /* A signal's lines: its source's error lines in its time range, of its
  ** message group when it has one. */
  DbStmt *p = db_prepare(
      "SELECT e.source, e.ts, e.end_ts, e.grp, e.kind FROM events ev"
      " JOIN evidence e ON e.id = ev.evidence_id WHERE ev.id = :id");
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":id", id);
  int bFound = db_step(p) == DB_ROW;
  char *zSource = NULL;
  RawQuery q = {0};
  if (bFound) {
    zSource = arena_strdup(&r->arena, db_col_text(p, 0));
    q.from = db_col_int(p, 1);
    q.to = db_col_is_null(p, 2) ? (db_col_int(p, 3) ? 0 : q.from + 1)
                                : db_col_int(p, 2) + 1;
    q.grp = (uint64_t)db_col_int(p, 3);
    q.bBadOnly = 1;
  }
  db_reset(p);
  json_t *pPage = NULL;
  if (bFound) {
    const char *azSource[2] = {zSource, NULL};
    q.azSource = azSource;
    rc = timeline_raw_lines(r, &q, &pPage);
    if (rc) {
      return rc;
    }
  } else {
    pPage = json_pack("{s:[], s:n, s:b, s:n}", "lines", "next_cursor",
                      "partial", 0, "searched_to");
  }
  r->pModel = json_pack("{s:I}", "event_id", (json_int_t)id);
  json_object_update(r->pModel, pPage);
  json_decref(pPage);
  return 0;
}

int timeline_raw_search(Req *r) {
  int64_t incidentId;
  int rc = path_incident(r, &incidentId);
  if (rc) {
    return rc;
  }
  const char *zQ = req_query(r, "q");
  const char *zSource = req_query(r, "source");
  if (zQ && (strlen(zQ) > 500 || !utf8_valid(zQ, strlen(zQ)))) {
    return req_fail(r, E_INVALID, "q: at most 500 bytes of UTF-8");
  }
  if (zSource && (strlen(zSource) > 200 ||
                  !utf8_valid(zSource, strlen(zSource)))) {
    return req_fail(r, E_INVALID, "source: not a valid source name");
  }
  /* An incident's lines: its window and its sources (given to it by an
  ** ingest, or of the log evidence on its timeline). */
  RawQuery q = {0};
  rc = evidence_scope(incidentId, &q.from, &q.to);
  if (rc < 0) {
    return rc;
  }
  q.to++;
  DbStmt *p = db_prepare(
      "SELECT source FROM incident_sources WHERE incident_id = :inc"
      " UNION SELECT source FROM events WHERE incident_id = :inc"
      " AND evidence_id IS NOT NULL AND kind IN ('log', 'signal')"
      " AND source <> '' ORDER BY 1 LIMIT 32");
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":inc", incidentId);
  const char **azSource = arena_alloc(&r->arena, sizeof(char *) * 33);
  int nSource = 0;
  while (db_step(p) == DB_ROW) {
    const char *z = db_col_text(p, 0);
    if (!zSource || !*zSource || strcmp(z, zSource) == 0) {
      azSource[nSource++] = arena_strdup(&r->arena, z);
    }
  }
  db_reset(p);
  azSource[nSource] = NULL;
  q.azSource = azSource;
  q.zText = zQ && *zQ ? zQ : NULL;
  q.bNoCase = 1;
  json_t *pPage = NULL;
  rc = timeline_raw_lines(r, &q, &pPage);
  if (rc) {
    return rc;
  }
  char zBase[64];
  snprintf(zBase, sizeof(zBase), "/app/incidents/%lld/raw",
           (long long)incidentId);
  r->pModel = json_pack("{s:I, s:s, s:s}", "incident_id",
                        (json_int_t)incidentId, "q", zQ ? zQ : "",
                        "raw_base", zBase);
  json_object_update(r->pModel, pPage);
  json_decref(pPage);
  r->zTemplate = "raw_lines";
  r->zTitle = "Raw lines";
  return 0;
}

int timeline_stream(Req *r) {
  int64_t incidentId;
  int rc = path_incident(r, &incidentId);
  if (rc) {
    return rc;
  }
  const char *zLast = req_header(r, "Last-Event-ID");
  if (!zLast) {
    zLast = req_query(r, "since");
  }
  Buf out;
  buf_init(&out, (size_t)4 << 20);
  buf_puts(&out, "retry: 1000\n\n");
  if (!zLast || !*zLast) {
    /* A new listener starts from now. */
    DbStmt *p = db_prepare("SELECT coalesce(max(id), 0) FROM changes");
    if (!p) {
      buf_free(&out);
      return E_DB;
    }
    int64_t maxId = db_step(p) == DB_ROW ? db_col_int(p, 0) : 0;
    db_reset(p);
    buf_printf(&out, "id: %lld\nevent: hello\ndata: {}\n\n",
               (long long)maxId);
  } else {
    int64_t last = strtoll(zLast, NULL, 10);
    DbStmt *p = db_prepare(
        "SELECT c.id, c.entity, c.entity_id, c.action, c.actor FROM changes c"
        " LEFT JOIN events e ON c.entity = 'event' AND e.id = c.entity_id"
        " WHERE c.id > :last AND ((c.entity = 'incident'"
        "   AND c.entity_id = :inc) OR e.incident_id = :inc)"
        " ORDER BY c.id LIMIT 200");
    if (!p) {
      buf_free(&out);
      return E_DB;
    }
    db_bind_int(p, ":last", last);
    db_bind_int(p, ":inc", incidentId);
    while (db_step(p) == DB_ROW) {
      json_t *pData = json_pack("{s:s, s:I, s:s, s:s}", "entity",
                                db_col_text(p, 1), "id",
                                (json_int_t)db_col_int(p, 2), "action",
                                db_col_text(p, 3), "actor",
                                db_col_text(p, 4));
      char *zData = json_dumps(pData, JSON_COMPACT);
      buf_printf(&out, "id: %lld\nevent: change\ndata: %s\n\n",
                 (long long)db_col_int(p, 0), zData ? zData : "{}");
      free(zData);
      json_decref(pData);
    }
    db_reset(p);
  }
  if (buf_err(&out)) {
    buf_free(&out);
    return E_DB;
  }
  r->zRaw = buf_take(&out, &r->nRaw);
  r->zRawType = "text/event-stream; charset=utf-8";
  return 0;
}

/* The page --------------------------------------------------------------- */

#define EVENT_BODY_INLINE 16384 /* bytes of a body shown in the page */

/* Adds view-only fields to each event and groups them by minute, with a
** date line where the day changes. NEW array of groups. */
static json_t *group_by_minute(json_t *pEvents) {
  json_t *pGroups = json_array();
  json_t *pGroup = NULL;
  char zPrevMinute[17] = "", zPrevDay[11] = "";
  size_t i;
  json_t *pEv;
  json_array_foreach(pEvents, i, pEv) {
    const char *zTs = json_string_value(json_object_get(pEv, "ts"));
    if (!zTs || strlen(zTs) < 16) {
      continue;
    }
    if (strncmp(zTs, zPrevMinute, 16) != 0) {
      memcpy(zPrevMinute, zTs, 16);
      char zMinute[25];
      snprintf(zMinute, sizeof(zMinute), "%.16s:00.000Z", zTs);
      pGroup = json_pack("{s:s, s:[]}", "minute", zMinute, "events");
      if (strncmp(zTs, zPrevDay, 10) != 0) {
        memcpy(zPrevDay, zTs, 10);
        zPrevDay[10] = 0;
        json_object_set_new(pGroup, "day", json_string(zPrevDay));
      }
      json_array_append_new(pGroups, pGroup);
    }
    json_t *pItem = json_copy(pEv);
    const char *zKind = json_string_value(json_object_get(pEv, "kind"));
    const char *zBody = json_string_value(json_object_get(pEv, "body"));
    /* A long body is shown cut, linked whole, and not offered for editing
    ** in the page: dozens of 60 KB alerts must not take the page past its
    ** render budget. */
    char *zCut = NULL;
    if (zBody && strlen(zBody) > EVENT_BODY_INLINE) {
      size_t nCut = EVENT_BODY_INLINE;
      while (nCut > 0 && ((unsigned char)zBody[nCut] & 0xC0) == 0x80) {
        nCut--;
      }
      zCut = xmalloc(nCut + 1);
      memcpy(zCut, zBody, nCut);
      zCut[nCut] = 0;
      zBody = zCut;
      json_object_del(pItem, "body");
      json_object_set_new(pItem, "body_cut", json_true());
    }
    if (zKind && zBody && *zBody &&
        enum_index(azWritableKind, zKind) >= 0) {
      json_object_set_new(pItem, "body_html", md_safe_html(zBody));
    } else if (zBody && *zBody) {
      json_object_set_new(pItem, "body_text", json_string(zBody));
    }
    free(zCut);
    json_object_set_new(pItem, "is_signal",
                        json_boolean(zKind && strcmp(zKind, "signal") == 0));
    json_array_append_new(json_object_get(pGroup, "events"), pItem);
  }
  return pGroups;
}

int timeline_view(Req *r, int64_t id) {
  TimelineFilter f;
  int rc = read_filter(r, &f);
  if (rc) {
    return rc;
  }
  json_t *pList = NULL;
  char zNext[64];
  rc = query_events(r, id, &f, &pList, zNext, sizeof(zNext));
  if (rc) {
    json_decref(pList);
    return rc;
  }
  json_t *pSources = json_array();
  DbStmt *p = db_prepare("SELECT DISTINCT source FROM events"
                               " WHERE incident_id = :inc AND source != ''"
                               " AND deleted = 0 ORDER BY source LIMIT 100");
  if (p) {
    db_bind_int(p, ":inc", id);
    while (db_step(p) == DB_ROW) {
      json_array_append_new(pSources, json_string(db_col_text(p, 0)));
    }
    db_reset(p);
  }
  const char *zQ = req_query(r, "q");
  json_t *pTimeline = json_pack(
      "{s:o, s:I, s:o, s:o, s:o, s:o, s:{s:s, s:s, s:s, s:s, s:b}}",
      "groups", group_by_minute(pList), "count",
      (json_int_t)json_array_size(pList), "kinds", enum_json(azEventKind),
      "levels", enum_json(azEventLevel), "keys", enum_json(azEventKey),
      "sources", pSources, "filter", "kind", f.zKind ? f.zKind : "",
      "source", f.zSource ? f.zSource : "", "level",
      f.zLevel ? f.zLevel : "", "q", zQ && f.zLike ? zQ : "", "hidden",
      f.bHidden);
  if (zNext[0]) {
    json_object_set_new(pTimeline, "next_cursor", json_string(zNext));
  }
  /* The note form's key: a resend of the same note after an unclear
  ** answer is found, not added twice (request_key.h). */
  json_object_set_new(pTimeline, "request_key", request_key_new());
  json_decref(pList);
  if (!r->pView) {
    r->pView = json_object();
  }
  json_object_set_new(r->pView, "timeline", pTimeline);
  return 0;
}
