/*
** action.c: action items. Created, edited and closed from the postmortem
** and incident pages or the API, listed with filters on the dashboard
** /app/actions, and exported as CSV, an Atom feed of overdue items and an
** iCalendar file of due dates.
**
** Overdue means: a due date before today's date in UTC, and status open or
** in_progress. Due dates are calendar days, so "today" is the UTC day of
** the request; an item due today becomes overdue at 00:00 UTC tomorrow.
**
** CSV cells that a spreadsheet would run as a formula (starting with = + -
** @, tab or CR) get a leading single quote (THREATS item 6). iCalendar
** text is escaped per RFC 5545 and folded at 75 octets.
**
** Threading: none of its own; uses the calling thread's connection.
*/
#include "action.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "db.h"
#include "dbjson.h"
#include "err.h"
#include "input.h"
#include "md.h"
#include "request_key.h"
#include "statusapi.h"
#include "users.h"
#include "utc.h"
#include "viewtz.h"

#define TITLE_MAX 200
#define DESCRIPTION_MAX 16384
#define OWNER_MAX 100
#define LIST_MAX 1000 /* items in one answer */

static const char *const azWritable[] = {
    "incident_id", "title", "description", "owner", "due_date",
    "priority",    "type",  "status",      NULL};
/* Extra fields an HTML form carries. */
static const char *const azFormMeta[] = {"csrf_token", "version", "return_to",
                                         NULL};

void action_today(int64_t nowMs, char zDay[11]) {
  char z[25];
  utc_format(nowMs, z);
  memcpy(zDay, z, 10);
  zDay[10] = 0;
}

int action_is_overdue(const char *zDue, const char *zStatus, int64_t nowMs) {
  if (!zDue || strlen(zDue) != 10 || !zStatus ||
      (strcmp(zStatus, "open") != 0 && strcmp(zStatus, "in_progress") != 0)) {
    return 0;
  }
  char zToday[11];
  action_today(nowMs, zToday);
  return strcmp(zDue, zToday) < 0;
}

/* Which items a list shows. NULL/0 fields do not filter. */
typedef struct ActionFilter {
  const char *zStatus;   /* an action status */
  const char *zOwner;    /* exact owner */
  const char *zType;     /* an action type */
  const char *zPriority; /* P1..P3 */
  int bOverdue;          /* only overdue items */
  int64_t incidentId;    /* one incident's items */
  int64_t limit;         /* at most this many (1..LIST_MAX) */
  int64_t offset;        /* skip this many (the cursor) */
} ActionFilter;

/* Runs the filtered list; a NEW array of API-shape items, or NULL (E_DB). */
static json_t *action_query(const ActionFilter *pF) {
  DbStmt *p = db_prepare(
      "SELECT a.id, a.incident_id, i.title, a.title, a.description, a.owner,"
      " a.due_date, a.priority, a.type, a.status, a.created_by,"
      " a.created_at, a.updated_at, a.closed_at, a.version"
      " FROM actions a JOIN incidents i ON i.id = a.incident_id"
      " WHERE (:status IS NULL OR a.status = :status)"
      "  AND (:owner IS NULL OR a.owner = :owner)"
      "  AND (:type IS NULL OR a.type = :type)"
      "  AND (:priority IS NULL OR a.priority = :priority)"
      "  AND (:incident IS NULL OR a.incident_id = :incident)"
      "  AND (:overdue = 0 OR (a.due_date < :today"
      "   AND a.status IN ('open', 'in_progress')))"
      " ORDER BY a.status IN ('done', 'wont_do'), a.due_date IS NULL,"
      "  a.due_date, a.priority, a.id"
      " LIMIT :limit OFFSET :offset");
  if (!p) {
    return NULL;
  }
  int64_t now = utc_now_ms();
  char zToday[11];
  action_today(now, zToday);
  db_bind_text(p, ":status", pF->zStatus);
  db_bind_text(p, ":owner", pF->zOwner);
  db_bind_text(p, ":type", pF->zType);
  db_bind_text(p, ":priority", pF->zPriority);
  db_bind_opt_int(p, ":incident", pF->incidentId ? pF->incidentId : IN_UNSET);
  db_bind_int(p, ":overdue", pF->bOverdue);
  db_bind_text(p, ":today", zToday);
  db_bind_int(p, ":limit", pF->limit);
  db_bind_int(p, ":offset", pF->offset);
  json_t *pList = json_array();
  int rc;
  while ((rc = db_step(p)) == DB_ROW) {
    const char *zDue = db_col_is_null(p, 6) ? NULL : db_col_text(p, 6);
    json_array_append_new(
        pList,
        json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:b,"
                  " s:s, s:o, s:o, s:o, s:I}",
                  "id", (json_int_t)db_col_int(p, 0), "incident_id",
                  (json_int_t)db_col_int(p, 1), "incident_title",
                  db_col_text(p, 2), "title", db_col_text(p, 3), "description",
                  db_col_text(p, 4), "owner", db_col_text(p, 5), "due_date",
                  zDue ? json_string(zDue) : json_null(), "priority",
                  db_col_text(p, 7), "type", db_col_text(p, 8), "status",
                  db_col_text(p, 9), "overdue",
                  action_is_overdue(zDue, db_col_text(p, 9), now), "created_by",
                  db_col_text(p, 10), "created_at", dbjson_time(p, 11),
                  "updated_at", dbjson_time(p, 12), "closed_at",
                  dbjson_time(p, 13),
                  "version", (json_int_t)db_col_int(p, 14)));
  }
  db_reset(p);
  if (rc != DB_DONE) {
    json_decref(pList);
    return NULL;
  }
  return pList;
}

json_t *action_for_incident(int64_t incidentId) {
  ActionFilter f = {0};
  f.incidentId = incidentId;
  f.limit = LIST_MAX;
  json_t *p = action_query(&f);
  return p ? p : json_array();
}

int action_counts(int64_t incidentId, int *pnOpen, int *pnOverdue) {
  DbStmt *p = db_prepare(
      "SELECT count(*), coalesce(sum(CASE WHEN due_date < :today THEN 1"
      " ELSE 0 END), 0) FROM actions"
      " WHERE (:incident IS NULL OR incident_id = :incident)"
      "  AND status IN ('open', 'in_progress')");
  if (!p) {
    return E_DB;
  }
  char zToday[11];
  action_today(utc_now_ms(), zToday);
  db_bind_text(p, ":today", zToday);
  db_bind_opt_int(p, ":incident", incidentId ? incidentId : IN_UNSET);
  int rc = db_step(p);
  if (rc == DB_ROW) {
    *pnOpen = (int)db_col_int(p, 0);
    *pnOverdue = (int)db_col_int(p, 1);
  }
  db_reset(p);
  return rc == DB_ROW ? 0 : E_DB;
}

/* Reads the filters from the query string. 0 or E_INVALID (req_fail). */
static int read_filter(Req *r, ActionFilter *pF) {
  memset(pF, 0, sizeof(*pF));
  pF->limit = 200;
  static const struct {
    const char *zName;
    const char *const *az;
  } aEnum[] = {{"status", azActionStatus},
               {"type", azActionType},
               {"priority", azActionPriority}};
  const char *azVal[3] = {NULL, NULL, NULL};
  for (int i = 0; i < 3; i++) {
    const char *z = req_query(r, aEnum[i].zName);
    if (z && *z) {
      if (enum_index(aEnum[i].az, z) < 0) {
        return req_fail(r, E_INVALID, "%s: not a known value", aEnum[i].zName);
      }
      azVal[i] = z;
    }
  }
  pF->zStatus = azVal[0];
  pF->zType = azVal[1];
  pF->zPriority = azVal[2];
  const char *z = req_query(r, "owner");
  if (z && *z) {
    if (strlen(z) > OWNER_MAX || !utf8_valid(z, strlen(z))) {
      return req_fail(r, E_INVALID, "owner: not a valid name");
    }
    pF->zOwner = z;
  }
  z = req_query(r, "overdue");
  pF->bOverdue = z && (strcmp(z, "1") == 0 || strcmp(z, "true") == 0);
  static const struct {
    const char *zName;
    int64_t nMin, nMax;
  } aNum[] = {{"incident", 1, INT64_MAX / 2},
              {"limit", 1, LIST_MAX},
              {"cursor", 0, INT64_MAX / 2}};
  int64_t *apOut[] = {&pF->incidentId, &pF->limit, &pF->offset};
  for (int i = 0; i < 3; i++) {
    z = req_query(r, aNum[i].zName);
    if (!z || !*z) {
      continue;
    }
    char *zEnd;
    long long v = strtoll(z, &zEnd, 10);
    if (*zEnd || v < aNum[i].nMin || v > aNum[i].nMax) {
      return req_fail(r, E_INVALID, "%s: not a valid number", aNum[i].zName);
    }
    *apOut[i] = v;
  }
  return 0;
}

/* The filters as a NEW object, echoed for the dashboard's form. */
static json_t *filter_json(const ActionFilter *pF) {
  json_t *p = json_pack("{s:s?, s:s?, s:s?, s:s?, s:b}", "status", pF->zStatus,
                        "owner", pF->zOwner, "type", pF->zType, "priority",
                        pF->zPriority, "overdue", pF->bOverdue);
  json_object_set_new(p, "incident",
                      pF->incidentId ? json_integer(pF->incidentId)
                                     : json_null());
  return p;
}

int action_list(Req *r) {
  ActionFilter f;
  int rc = read_filter(r, &f);
  if (rc) {
    return rc;
  }
  f.limit++; /* one more tells whether there is a next page */
  json_t *pList = action_query(&f);
  f.limit--;
  if (!pList) {
    return E_DB;
  }
  json_t *pNext = json_null();
  if ((int64_t)json_array_size(pList) > f.limit) {
    json_array_remove(pList, (size_t)f.limit);
    char z[32];
    snprintf(z, sizeof(z), "%lld", (long long)(f.offset + f.limit));
    pNext = json_string(z);
  }
  int nOpen = 0, nOverdue = 0;
  action_counts(0, &nOpen, &nOverdue);
  r->pModel = json_pack("{s:o, s:o, s:{s:i, s:i}, s:o}", "actions", pList,
                        "next_cursor", pNext, "counts", "open", nOpen,
                        "overdue", nOverdue, "filters", filter_json(&f));
  if (!r->bJsonOut) {
    json_t *pOwners = json_array();
    DbStmt *p = db_prepare("SELECT DISTINCT owner FROM actions"
                                 " WHERE owner != '' ORDER BY owner"
                                 " LIMIT 500");
    if (p) {
      while (db_step(p) == DB_ROW) {
        json_array_append_new(pOwners, json_string(db_col_text(p, 0)));
      }
      db_reset(p);
    }
    r->pView =
        json_pack("{s:o, s:o, s:o, s:o, s:o, s:b, s:s}", "owners", pOwners,
                  "statuses", enum_json(azActionStatus), "action_statuses",
                  enum_json(azActionStatus), "types", enum_json(azActionType),
                  "priorities", enum_json(azActionPriority), "show_incident", 1,
                  "return_to", "actions");
    /* Owners are picked from the users (free text still allowed). */
    json_object_set_new(r->pView, "user_names", users_names());
  }
  r->zTemplate = "actions";
  r->zTitle = "Action items";
  return 0;
}

/* Loads one item (API shape). NEW or NULL. */
static json_t *action_load(int64_t id) {
  DbStmt *p =
      db_prepare("SELECT incident_id FROM actions WHERE id = :id");
  if (!p) {
    return NULL;
  }
  db_bind_int(p, ":id", id);
  int64_t incidentId = db_step(p) == DB_ROW ? db_col_int(p, 0) : 0;
  db_reset(p);
  if (!incidentId) {
    return NULL;
  }
  json_t *pList = action_for_incident(incidentId);
  json_t *pOut = NULL;
  size_t i;
  json_t *pA;
  json_array_foreach(pList, i, pA) {
    if (json_integer_value(json_object_get(pA, "id")) == id) {
      pOut = json_incref(pA);
    }
  }
  json_decref(pList);
  return pOut;
}

int action_get(Req *r) {
  int64_t id;
  int rc = req_param_id(r, "id", &id);
  if (rc) {
    return rc;
  }
  r->pModel = action_load(id);
  if (!r->pModel) {
    return req_fail(r, E_NOTFOUND, "no action item %lld", (long long)id);
  }
  return 0;
}

/* A due date: "YYYY-MM-DD" that is a real day, or "" / null to clear.
** *pz is NULL for none; *pbSet when the field was present. */
static int in_due_date(json_t *pIn, const char **pz, int *pbSet, char *zErr,
                       size_t nErr) {
  json_t *pVal = json_object_get(pIn, "due_date");
  if (!pVal) {
    return 0;
  }
  *pbSet = 1;
  if (json_is_null(pVal) ||
      (json_is_string(pVal) && json_string_length(pVal) == 0)) {
    *pz = NULL;
    return 0;
  }
  const char *z = json_string_value(pVal);
  int64_t ms;
  if (!z || json_string_length(pVal) != 10 || z[4] != '-' ||
      utc_parse_iso(z, 10, &ms) != 0) {
    snprintf(zErr, nErr, "due_date: must be a date YYYY-MM-DD");
    return E_INVALID;
  }
  *pz = z;
  return 0;
}

/* Applies pIn onto pRow (API shape, string fields). 0 or E_INVALID. */
static int action_apply(Req *r, json_t *pRow, json_t *pIn, int bCreate,
                        char *zErr, size_t nErr) {
  int rc = in_only_known(pIn, azWritable, zErr, nErr);
  if (rc && req_is_form(r)) {
    json_t *pCopy = json_copy(pIn);
    for (int i = 0; azFormMeta[i]; i++) {
      json_object_del(pCopy, azFormMeta[i]);
    }
    rc = in_only_known(pCopy, azWritable, zErr, nErr);
    json_decref(pCopy);
  }
  if (rc) {
    return rc;
  }
  if (!bCreate && json_object_get(pIn, "incident_id")) {
    snprintf(zErr, nErr, "incident_id: cannot be changed");
    return E_INVALID;
  }
  static const struct {
    const char *zField;
    size_t nMax;
    int bLine;
  } aText[] = {{"title", TITLE_MAX, 1},
               {"description", DESCRIPTION_MAX, 0},
               {"owner", OWNER_MAX, 1}};
  for (size_t i = 0; i < sizeof(aText) / sizeof(aText[0]); i++) {
    const char *z = NULL;
    rc = in_string(pIn, aText[i].zField, aText[i].nMax, aText[i].bLine, &z,
                   NULL, zErr, nErr);
    if (rc) {
      return rc;
    }
    if (z) {
      json_object_set_new(pRow, aText[i].zField, json_string(z));
    }
  }
  const char *zTitle = json_string_value(json_object_get(pRow, "title"));
  if (!zTitle || !zTitle[strspn(zTitle, " \t")]) {
    snprintf(zErr, nErr, "title: is required");
    return E_INVALID;
  }
  static const struct {
    const char *zField;
    const char *const *az;
  } aEnum[] = {{"priority", azActionPriority},
               {"type", azActionType},
               {"status", azActionStatus}};
  for (size_t i = 0; i < sizeof(aEnum) / sizeof(aEnum[0]); i++) {
    const char *z = NULL;
    rc = in_enum(pIn, aEnum[i].zField, aEnum[i].az, &z, zErr, nErr);
    if (rc) {
      return rc;
    }
    if (z) {
      json_object_set_new(pRow, aEnum[i].zField, json_string(z));
    }
  }
  const char *zDue = NULL;
  int bSet = 0;
  rc = in_due_date(pIn, &zDue, &bSet, zErr, nErr);
  if (rc) {
    return rc;
  }
  if (bSet) {
    json_object_set_new(pRow, "due_date",
                        zDue ? json_string(zDue) : json_null());
  }
  return 0;
}

static void bind_row(DbStmt *p, json_t *pRow) {
  static const char *const azText[] = {"title",    "description", "owner",
                                       "due_date", "priority",    "type",
                                       "status",   NULL};
  char zParam[32];
  for (int i = 0; azText[i]; i++) {
    snprintf(zParam, sizeof(zParam), ":%s", azText[i]);
    db_bind_text(p, zParam,
                 json_string_value(json_object_get(pRow, azText[i])));
  }
}

/* Where a form goes back to after a write. */
static const char *return_path(Req *r, json_t *pIn, int64_t incidentId) {
  const char *z = json_string_value(json_object_get(pIn, "return_to"));
  char zTo[96];
  if (z && strcmp(z, "postmortem") == 0) {
    snprintf(zTo, sizeof(zTo), "/app/incidents/%lld/postmortem#actions",
             (long long)incidentId);
  } else if (z && strcmp(z, "incident") == 0) {
    snprintf(zTo, sizeof(zTo), "/app/incidents/%lld#actions",
             (long long)incidentId);
  } else {
    snprintf(zTo, sizeof(zTo), "/app/actions");
  }
  return arena_strdup(&r->arena, zTo);
}

int action_create(Req *r) {
  json_t *pIn = NULL;
  int rc = req_input(r, &pIn);
  rc = rc ? rc : request_key_header(r, pIn);
  if (rc) {
    return rc;
  }
  char zErr[256];
  RequestKey reqKey;
  if (request_key_read(pIn, "actions", &reqKey, zErr, sizeof(zErr))) {
    return req_fail(r, E_INVALID, "%s", zErr);
  }
  json_t *pInc = json_object_get(pIn, "incident_id");
  int64_t incidentId = 0;
  if (json_is_integer(pInc)) {
    incidentId = json_integer_value(pInc);
  } else if (json_is_string(pInc)) {
    char *zEnd;
    incidentId = strtoll(json_string_value(pInc), &zEnd, 10);
    if (*zEnd) {
      incidentId = 0;
    }
  }
  if (incidentId <= 0) {
    return req_fail(r, E_INVALID, "incident_id: is required");
  }
  json_t *pRow =
      json_pack("{s:s, s:s, s:s, s:n, s:s, s:s, s:s}", "title", "",
                "description", "", "owner", "", "due_date", "priority", "P2",
                "type", "corrective", "status", "open");
  rc = action_apply(r, pRow, pIn, 1, zErr, sizeof(zErr));
  if (rc) {
    json_decref(pRow);
    return req_fail(r, rc, "%s", zErr);
  }
  int64_t now = utc_now_ms(), id = 0;
  rc = db_begin_write();
  /* Sent again (its first answer lost): the first try's action item. */
  int found = rc == 0 ? request_key_find(r->zUser, &reqKey, &id) : 0;
  if (found) {
    db_rollback();
    rc = found == 1 ? 0 : found;
  } else if (rc == 0) {
    DbStmt *p = db_prepare(
        "INSERT INTO actions (incident_id, title, description, owner,"
        " due_date, priority, type, status, created_by, created_at,"
        " updated_at, closed_at)"
        " SELECT id, :title, :description, :owner, :due_date, :priority,"
        "  :type, :status, :actor, :now, :now,"
        "  CASE WHEN :status IN ('done', 'wont_do') THEN :now END"
        " FROM incidents WHERE id = :incident");
    rc = E_DB;
    if (p) {
      bind_row(p, pRow);
      db_bind_text(p, ":actor", r->zUser);
      db_bind_int(p, ":now", now);
      db_bind_int(p, ":incident", incidentId);
      rc = db_run(p);
    }
    if (rc == 0 && db_changes() == 0) {
      rc = req_fail(r, E_INVALID, "incident_id: no incident %lld",
                    (long long)incidentId);
    }
    if (rc == 0) {
      id = db_last_id();
      rc = request_key_save(r->zUser, &reqKey, id);
    }
    if (rc == 0) {
      rc = audit_log("action", id, r->zUser, "create", NULL, pRow);
    }
    rc = rc == 0 ? db_commit() : rc;
    if (rc) {
      db_rollback();
    }
  }
  json_decref(pRow);
  if (rc) {
    return rc;
  }
  if (!r->bJsonOut) {
    r->zRedirect = return_path(r, pIn, incidentId);
    return 0;
  }
  r->pModel = action_load(id);
  r->status = 201;
  return r->pModel ? 0 : E_DB;
}

int action_update(Req *r) {
  int64_t id, version = 0;
  int rc = req_param_id(r, "id", &id);
  if (rc) {
    return rc;
  }
  json_t *pIn = NULL;
  rc = req_input(r, &pIn);
  if (rc == 0) {
    rc = req_version(r, pIn, &version);
  }
  if (rc) {
    return rc;
  }
  json_t *pBefore = action_load(id);
  if (!pBefore) {
    return req_fail(r, E_NOTFOUND, "no action item %lld", (long long)id);
  }
  int64_t incidentId =
      json_integer_value(json_object_get(pBefore, "incident_id"));
  json_t *pRow = json_deep_copy(pBefore);
  char zErr[256];
  int64_t current = json_integer_value(json_object_get(pBefore, "version"));
  if (current != version) {
    r->pErrCurrent = json_incref(pBefore);
    rc = req_fail(r, E_CONFLICT,
                  "this action item was changed by someone else (version "
                  "%lld, you edited %lld); review it and apply your edit "
                  "again",
                  (long long)current, (long long)version);
    goto done;
  }
  rc = action_apply(r, pRow, pIn, 0, zErr, sizeof(zErr));
  if (rc) {
    rc = req_fail(r, rc, "%s", zErr);
    goto done;
  }
  rc = db_begin_write();
  if (rc) {
    goto done;
  }
  DbStmt *p = db_prepare(
      "UPDATE actions SET title = :title, description = :description,"
      " owner = :owner, due_date = :due_date, priority = :priority,"
      " type = :type, status = :status, updated_at = :now,"
      " closed_at = CASE WHEN :status IN ('done', 'wont_do')"
      "  THEN coalesce(closed_at, :now) END,"
      " version = version + 1 WHERE id = :id AND version = :version");
  rc = E_DB;
  if (p) {
    bind_row(p, pRow);
    db_bind_int(p, ":now", utc_now_ms());
    db_bind_int(p, ":id", id);
    db_bind_int(p, ":version", version);
    rc = db_run(p);
  }
  if (rc == 0 && db_changes() == 0) {
    rc = req_fail(r, E_CONFLICT, "this action item was changed meanwhile");
  }
  if (rc == 0) {
    rc = audit_log("action", id, r->zUser, "update", pBefore, pRow);
  }
  rc = rc == 0 ? db_commit() : rc;
  if (rc) {
    db_rollback();
    goto done;
  }
  if (!r->bJsonOut) {
    r->zRedirect = return_path(r, pIn, incidentId);
  } else {
    r->pModel = action_load(id);
    rc = r->pModel ? 0 : E_DB;
  }
done:
  json_decref(pRow);
  json_decref(pBefore);
  return rc;
}

/* Exports ------------------------------------------------------------- */

/* One CSV cell: quoted, quotes doubled, and a leading = + - @ tab or CR
** neutralised with a single quote so spreadsheets show it as text. */
static void csv_cell(Buf *pOut, const char *z, int bLast) {
  buf_putc(pOut, '"');
  if (z && *z && strchr("=+-@\t\r", *z)) {
    buf_putc(pOut, '\'');
  }
  for (; z && *z; z++) {
    if (*z == '"') {
      buf_putc(pOut, '"');
    }
    buf_putc(pOut, *z);
  }
  buf_putc(pOut, '"');
  buf_puts(pOut, bLast ? "\r\n" : ",");
}

/* The actions an export (CSV, iCalendar) lists: the request's filter, up
** to LIST_MAX. *ppList is NEW on success. The app's export links carry the
** display zone (viewtz.h); the exports have calendar days only (and a UTC
** stamp RFC 5545 wants), so the zone is checked, not applied. */
static int export_list(Req *r, json_t **ppList) {
  ViewTz vt;
  int rc = viewtz_get(r, &vt);
  viewtz_done(&vt);
  if (rc) {
    return rc;
  }
  ActionFilter f;
  rc = read_filter(r, &f);
  if (rc) {
    return rc;
  }
  f.limit = LIST_MAX;
  *ppList = action_query(&f);
  return *ppList ? 0 : E_DB;
}

int action_csv(Req *r) {
  json_t *pList = NULL;
  int rc = export_list(r, &pList);
  if (rc) {
    return rc;
  }
  static const char *const azCol[] = {
      "id",     "incident_id", "incident_title", "title",
      "owner",  "due_date",    "priority",       "type",
      "status", "overdue",     "description",    NULL};
  Buf out;
  buf_init(&out, (size_t)32 << 20);
  for (int i = 0; azCol[i]; i++) {
    csv_cell(&out, azCol[i], azCol[i + 1] == NULL);
  }
  size_t k;
  json_t *pA;
  json_array_foreach(pList, k, pA) {
    for (int i = 0; azCol[i]; i++) {
      json_t *pVal = json_object_get(pA, azCol[i]);
      char zNum[32];
      const char *z = json_string_value(pVal);
      if (json_is_integer(pVal)) {
        snprintf(zNum, sizeof(zNum), "%lld",
                 (long long)json_integer_value(pVal));
        z = zNum;
      } else if (json_is_boolean(pVal)) {
        z = json_is_true(pVal) ? "yes" : "no";
      }
      csv_cell(&out, z ? z : "", azCol[i + 1] == NULL);
    }
  }
  json_decref(pList);
  if (buf_err(&out)) {
    buf_free(&out);
    return req_fail(r, E_TOOBIG, "the export is too large; filter it");
  }
  r->zRaw = buf_take(&out, &r->nRaw);
  r->zRawType = "text/csv; charset=utf-8";
  r->zDisposition = "attachment; filename=\"actions.csv\"";
  return 0;
}

int action_atom(Req *r) {
  ActionFilter f = {0};
  f.bOverdue = 1;
  f.limit = LIST_MAX;
  json_t *pList = action_query(&f);
  if (!pList) {
    return E_DB;
  }
  char zNow[25];
  utc_format(utc_now_ms(), zNow);
  /* Absolute links: a feed reader resolves nothing against our host. */
  static _Thread_local SpPage pg; /* large (its zone): off the stack */
  sp_page_load(&pg);
  r->pModel = json_pack("{s:o, s:s, s:s}", "actions", pList, "updated", zNow,
                        "base", pg.zUrl);
  r->zTemplate = "actions_atom";
  r->zLayout = "bare";
  r->zRawType = "application/atom+xml; charset=utf-8";
  return 0;
}

/* Appends "NAME:value" with RFC 5545 TEXT escaping, folded at 75 octets
** (never inside a UTF-8 character), ending in CRLF. */
static void ics_line(Buf *pOut, const char *zName, const char *zValue) {
  Buf line;
  buf_init(&line, (size_t)1 << 20);
  buf_printf(&line, "%s:", zName);
  for (const char *z = zValue; z && *z; z++) {
    if (*z == '\\' || *z == ';' || *z == ',') {
      buf_putc(&line, '\\');
      buf_putc(&line, *z);
    } else if (*z == '\n') {
      buf_puts(&line, "\\n");
    } else if ((unsigned char)*z >= 0x20 || *z == '\t') {
      buf_putc(&line, *z);
    }
  }
  const char *z = buf_str(&line);
  size_t n = line.n, i = 0, nCol = 0;
  while (i < n) {
    size_t nChar = 1;
    while (i + nChar < n && ((unsigned char)z[i + nChar] & 0xC0) == 0x80) {
      nChar++;
    }
    if (nCol + nChar > 75) {
      buf_puts(pOut, "\r\n ");
      nCol = 1;
    }
    buf_append(pOut, z + i, nChar);
    nCol += nChar;
    i += nChar;
  }
  buf_puts(pOut, "\r\n");
  buf_free(&line);
}

int action_ics(Req *r) {
  json_t *pList = NULL;
  int rc = export_list(r, &pList);
  if (rc) {
    return rc;
  }
  char zNow[25];
  utc_format(utc_now_ms(), zNow);
  char zStamp[17]; /* 20261123T161900Z */
  snprintf(zStamp, sizeof(zStamp), "%.4s%.2s%.2sT%.2s%.2s%.2sZ", zNow, zNow + 5,
           zNow + 8, zNow + 11, zNow + 14, zNow + 17);
  Buf out;
  buf_init(&out, (size_t)32 << 20);
  buf_puts(&out, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
                 "PRODID:-//Hindsight//Action items//EN\r\n"
                 "CALSCALE:GREGORIAN\r\n");
  size_t k;
  json_t *pA;
  json_array_foreach(pList, k, pA) {
    const char *zDue = json_string_value(json_object_get(pA, "due_date"));
    if (!zDue) {
      continue;
    }
    long long id = (long long)json_integer_value(json_object_get(pA, "id"));
    char z[64];
    buf_puts(&out, "BEGIN:VEVENT\r\n");
    snprintf(z, sizeof(z), "action-%lld@hindsight", id);
    ics_line(&out, "UID", z);
    buf_printf(&out, "DTSTAMP:%s\r\n", zStamp);
    buf_printf(&out, "DTSTART;VALUE=DATE:%.4s%.2s%.2s\r\n", zDue, zDue + 5,
               zDue + 8);
    Buf sum;
    buf_init(&sum, 4096);
    buf_printf(
        &sum, "[%s%s] %s (#%lld)",
        json_string_value(json_object_get(pA, "priority")),
        json_is_true(json_object_get(pA, "overdue")) ? " overdue"
        : strcmp(json_string_value(json_object_get(pA, "status")), "done") == 0
            ? " done"
            : "",
        json_string_value(json_object_get(pA, "title")), id);
    ics_line(&out, "SUMMARY", buf_str(&sum));
    buf_reset(&sum);
    buf_printf(
        &sum, "Owner: %s\nStatus: %s\nIncident #%lld: %s\n\n%s",
        json_string_value(json_object_get(pA, "owner")),
        json_string_value(json_object_get(pA, "status")),
        (long long)json_integer_value(json_object_get(pA, "incident_id")),
        json_string_value(json_object_get(pA, "incident_title")),
        json_string_value(json_object_get(pA, "description")));
    ics_line(&out, "DESCRIPTION", buf_str(&sum));
    buf_free(&sum);
    buf_puts(&out, "TRANSP:TRANSPARENT\r\n");
    buf_puts(&out, "END:VEVENT\r\n");
  }
  buf_puts(&out, "END:VCALENDAR\r\n");
  json_decref(pList);
  if (buf_err(&out)) {
    buf_free(&out);
    return req_fail(r, E_TOOBIG, "the export is too large; filter it");
  }
  r->zRaw = buf_take(&out, &r->nRaw);
  r->zRawType = "text/calendar; charset=utf-8";
  r->zDisposition = "attachment; filename=\"actions.ics\"";
  return 0;
}
