/*
** maintenance.c: maintenance windows: create, list, read, edit, delete,
** and the status machine scheduled -> in_progress -> verifying ->
** completed. Entering in_progress or verifying from scheduled puts every
** linked component under_maintenance and remembers its prior status;
** completing restores the prior status of each component still
** under_maintenance. Each status change adds a maintenance_updates row,
** shown as the window's updates.
**
** Time-driven moves are lazy: maintenance_tick() runs them when the public
** page is about to render (status.c keeps its cache only until the next
** due time) and when the lists are read, so no timer thread is needed.
**
** Threading: none of its own; uses the calling thread's connection.
*/
#include "maintenance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "component.h"
#include "db.h"
#include "dbjson.h"
#include "err.h"
#include "input.h"
#include "request_key.h"
#include "subs.h"
#include "update.h"
#include "utc.h"

static const char *const azFields[] = {
    "title",           "body",       "status", "scheduled_for",
    "scheduled_until", "components", NULL};
static const char *const azFormMeta[] = {"csrf_token", "version",
                                         "components_present", NULL};

#define BODY_MAX 65536

/* The /api/v1 shape of maintenance id. NEW or NULL. */
static json_t *maint_load(int64_t id) {
  DbStmt *p = db_prepare(
      "SELECT id, title, body, status, scheduled_for, scheduled_until,"
      " started_at, completed_at, created_by, created_at, updated_at,"
      " version FROM maintenances WHERE id = :id");
  if (!p) {
    return NULL;
  }
  db_bind_int(p, ":id", id);
  if (db_step(p) != DB_ROW) {
    db_reset(p);
    return NULL;
  }
  json_t *pOut = json_pack(
      "{s:I, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:I, s:[]}",
      "id", (json_int_t)db_col_int(p, 0), "title", db_col_text(p, 1), "body",
      db_col_text(p, 2), "status", db_col_text(p, 3), "scheduled_for",
      dbjson_time(p, 4), "scheduled_until", dbjson_time(p, 5), "started_at",
      dbjson_time(p, 6), "completed_at", dbjson_time(p, 7), "created_by",
      db_col_text(p, 8), "created_at", dbjson_time(p, 9), "updated_at",
      dbjson_time(p, 10), "version", (json_int_t)db_col_int(p, 11),
      "components");
  db_reset(p);
  p = db_prepare("SELECT c.name FROM maintenance_components mc"
                 " JOIN components c ON c.id = mc.component_id"
                 " WHERE mc.maintenance_id = :id ORDER BY c.position, c.name");
  if (p) {
    db_bind_int(p, ":id", id);
    while (db_step(p) == DB_ROW) {
      json_array_append_new(json_object_get(pOut, "components"),
                            json_string(db_col_text(p, 0)));
    }
    db_reset(p);
  }
  return pOut;
}

/* Moves window id to zNew at time now, inside the caller's transaction.
** now may be in the past (a lazy move dated at the scheduled time); a
** component's updated_at, where its history row is dated, never goes
** back. */
static int maint_set_status(int64_t id, const char *zOld, const char *zNew,
                            const char *zBody, int64_t now) {
  int iOld = enum_index(azMaintStatus, zOld);
  int iNew = enum_index(azMaintStatus, zNew);
  if (iOld == iNew) {
    return 0;
  }
  int64_t mark = 0;
  int rc = subs_component_mark(&mark);
  if (rc) {
    return rc;
  }
  DbStmt *p = db_prepare(
      "UPDATE maintenances SET status = :s, updated_at = :now,"
      " version = version + 1,"
      " started_at = CASE WHEN :s IN ('in_progress', 'verifying',"
      "  'completed') THEN coalesce(started_at, :now) ELSE NULL END,"
      " completed_at = CASE WHEN :s = 'completed' THEN :now ELSE NULL END"
      " WHERE id = :id");
  if (!p) {
    return E_DB;
  }
  db_bind_text(p, ":s", zNew);
  db_bind_int(p, ":now", now);
  db_bind_int(p, ":id", id);
  rc = db_run(p);
  /* The update first, so the component moves below can name it. */
  int64_t uid = 0;
  if (rc == 0) {
    static const char *const azText[] = {"The maintenance is scheduled.",
                                         "The maintenance is in progress.",
                                         "The work is done and being verified.",
                                         "The maintenance has been completed."};
    p = db_prepare("INSERT INTO maintenance_updates (maintenance_id, status,"
                   " body, created_at) VALUES (:id, :s, :b, :now)");
    rc = E_DB;
    if (p) {
      db_bind_int(p, ":id", id);
      db_bind_text(p, ":s", zNew);
      db_bind_text(p, ":b", zBody && *zBody ? zBody : azText[iNew]);
      db_bind_int(p, ":now", now);
      rc = db_run(p);
      uid = db_last_id();
    }
  }
  int bActiveOld = iOld == 1 || iOld == 2;
  int bActiveNew = iNew == 1 || iNew == 2;
  if (rc == 0 && bActiveOld != bActiveNew) {
    /* What each component goes from and to, before it moves. */
    p = db_prepare(
        "INSERT INTO maintenance_update_components (update_id, component_id,"
        " old_status, new_status)"
        " SELECT :u, c.id, c.status, CASE WHEN :active = 1"
        "  THEN 'under_maintenance'"
        "  ELSE coalesce(mc.prior_status, 'operational') END"
        " FROM maintenance_components mc"
        " JOIN components c ON c.id = mc.component_id"
        " WHERE mc.maintenance_id = :id AND (CASE WHEN :active = 1"
        "  THEN c.status <> 'under_maintenance'"
        "  ELSE c.status = 'under_maintenance' END)");
    rc = E_DB;
    if (p) {
      db_bind_int(p, ":u", uid);
      db_bind_int(p, ":active", bActiveNew);
      db_bind_int(p, ":id", id);
      rc = db_run(p);
    }
  }
  if (rc == 0 && !bActiveOld && bActiveNew) {
    rc = db_run_id("UPDATE maintenance_components SET prior_status ="
                   " (SELECT status FROM components WHERE id = component_id)"
                   " WHERE maintenance_id = :id",
                   id);
    if (rc == 0) {
      p = db_prepare(
          "UPDATE components SET status = 'under_maintenance',"
          " updated_at = CASE WHEN :now > updated_at THEN :now"
          " ELSE updated_at END, version = version + 1"
          " WHERE status <> 'under_maintenance' AND id IN (SELECT"
          " component_id FROM maintenance_components"
          " WHERE maintenance_id = :id)");
      rc = E_DB;
      if (p) {
        db_bind_int(p, ":now", now);
        db_bind_int(p, ":id", id);
        rc = db_run(p);
      }
    }
  } else if (rc == 0 && bActiveOld && !bActiveNew) {
    p = db_prepare(
        "UPDATE components SET status = coalesce((SELECT mc.prior_status"
        " FROM maintenance_components mc WHERE mc.maintenance_id = :id AND"
        " mc.component_id = components.id), 'operational'),"
        " updated_at = CASE WHEN :now > updated_at THEN :now"
          " ELSE updated_at END, version = version + 1"
        " WHERE status = 'under_maintenance' AND id IN (SELECT"
        " component_id FROM maintenance_components"
        " WHERE maintenance_id = :id)");
    rc = E_DB;
    if (p) {
      db_bind_int(p, ":now", now);
      db_bind_int(p, ":id", id);
      rc = db_run(p);
    }
  }
  if (rc == 0 && uid) {
    rc = subs_queue_maintenance_update(uid, id);
  }
  if (rc == 0) {
    /* Webhooks get component_update for each status moved; e-mail has
    ** the window's own message. */
    rc = subs_queue_component_updates(mark, 0);
  }
  return rc;
}

int maintenance_tick(int64_t now, int64_t *pNext) {
  int64_t aId[32];
  char aazOld[32][16];
  int nId = 0;
  DbStmt *p =
      db_prepare("SELECT id, status FROM maintenances"
                 " WHERE (status = 'scheduled' AND scheduled_for <= :now)"
                 " OR (status IN ('in_progress', 'verifying')"
                 "  AND scheduled_until <= :now) ORDER BY id LIMIT 32");
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":now", now);
  while (nId < 32 && db_step(p) == DB_ROW) {
    aId[nId] = db_col_int(p, 0);
    snprintf(aazOld[nId], sizeof(aazOld[nId]), "%s", db_col_text(p, 1));
    nId++;
  }
  db_reset(p);
  int rc = 0;
  if (nId > 0) {
    rc = db_begin_write();
    for (int i = 0; rc == 0 && i < nId; i++) {
      /* A window whose end has also passed goes straight to completed. */
      DbStmt *q =
          db_prepare("SELECT status, scheduled_until <= :now,"
                     " CASE WHEN scheduled_for > created_at"
                     "  THEN scheduled_for ELSE created_at END,"
                     " CASE WHEN scheduled_until > created_at"
                     "  THEN scheduled_until ELSE created_at END"
                     " FROM maintenances WHERE id = :id");
      rc = E_DB;
      if (q) {
        db_bind_int(q, ":now", now);
        db_bind_int(q, ":id", aId[i]);
        rc = 0;
        if (db_step(q) == DB_ROW) {
          char zNow[16];
          snprintf(zNow, sizeof(zNow), "%s", db_col_text(q, 0));
          int bEnded = (int)db_col_int(q, 1);
          /* Dated at the scheduled times, not at this lazy moment, so
          ** component history (and uptime) is exact; but never before
          ** the window was created (one scheduled in the past starts
          ** when it is made, not before its own "scheduled" update). */
          int64_t tFor = db_col_int(q, 2), tUntil = db_col_int(q, 3);
          db_reset(q);
          if (strcmp(zNow, aazOld[i]) == 0) {
            if (strcmp(zNow, "scheduled") == 0) {
              rc = maint_set_status(aId[i], zNow, "in_progress", NULL, tFor);
              if (rc == 0 && bEnded) {
                rc = maint_set_status(aId[i], "in_progress", "completed", NULL,
                                      tUntil);
              }
            } else {
              rc = maint_set_status(aId[i], zNow, "completed", NULL, tUntil);
            }
          }
        } else {
          db_reset(q);
        }
      }
    }
    rc = rc == 0 ? db_commit() : rc;
    if (rc) {
      db_rollback();
    }
  }
  if (pNext) {
    *pNext = INT64_MAX;
    p = db_prepare("SELECT min(CASE WHEN status = 'scheduled' THEN"
                   " scheduled_for ELSE scheduled_until END) FROM"
                   " maintenances WHERE status <> 'completed'");
    if (p && db_step(p) == DB_ROW && !db_col_is_null(p, 0)) {
      *pNext = db_col_int(p, 0);
    }
    db_reset(p);
  }
  return rc;
}

int maintenance_list(Req *r) {
  maintenance_tick(utc_now_ms(), NULL);
  DbStmt *p =
      db_prepare("SELECT id FROM maintenances ORDER BY status = 'completed',"
                 " scheduled_for DESC, id DESC LIMIT 200");
  if (!p) {
    return E_DB;
  }
  int64_t aId[200];
  int nId = 0;
  while (nId < 200 && db_step(p) == DB_ROW) {
    aId[nId++] = db_col_int(p, 0);
  }
  db_reset(p);
  json_t *pList = json_array();
  for (int i = 0; i < nId; i++) {
    json_t *pM = maint_load(aId[i]);
    if (pM) {
      json_array_append_new(pList, pM);
    }
  }
  r->pModel = json_pack("{s:o}", "maintenances", pList);
  if (!r->bJsonOut) {
    json_t *pAll = json_array();
    p = db_prepare("SELECT name FROM components ORDER BY position, name");
    while (p && db_step(p) == DB_ROW) {
      json_array_append_new(pAll, json_string(db_col_text(p, 0)));
    }
    db_reset(p);
    char zFor[25], zUntil[25];
    int64_t t = (utc_now_ms() / 3600000 + 24) * 3600000;
    utc_format(t, zFor);
    utc_format(t + 2 * 3600000, zUntil);
    r->pView = json_pack("{s:o, s:o, s:s, s:s, s:o}", "statuses",
                         enum_json(azMaintStatus), "all_components", pAll,
                         "default_for", zFor, "default_until", zUntil,
                         "request_key", request_key_new());
  }
  r->zTemplate = "maintenances";
  r->zTitle = "Maintenance";
  return 0;
}

/* Validates pIn onto the fields (left as given when absent). */
static int maint_fields(Req *r, json_t *pIn, const char **pzTitle,
                        const char **pzBody, const char **pzStatus,
                        int64_t *pFor, int64_t *pUntil, json_t **ppComps) {
  char zErr[256] = "";
  int rc = 0;
  if (req_is_form(r)) {
    json_t *pCopy = json_copy(pIn);
    for (int i = 0; azFormMeta[i]; i++) {
      json_object_del(pCopy, azFormMeta[i]);
    }
    rc = in_only_known(pCopy, azFields, zErr, sizeof(zErr));
    json_decref(pCopy);
  } else {
    rc = in_only_known(pIn, azFields, zErr, sizeof(zErr));
  }
  if (rc == 0) {
    rc = in_string(pIn, "title", 200, 1, pzTitle, NULL, zErr, sizeof(zErr));
  }
  if (rc == 0 && *pzTitle && strspn(*pzTitle, " ") == strlen(*pzTitle)) {
    snprintf(zErr, sizeof(zErr), "title: must not be empty");
    rc = E_INVALID;
  }
  if (rc == 0) {
    rc = in_string(pIn, "body", BODY_MAX, 0, pzBody, NULL, zErr, sizeof(zErr));
  }
  if (rc == 0 && *pzBody && !update_text_ok(*pzBody, strlen(*pzBody))) {
    snprintf(zErr, sizeof(zErr),
             "body: must not contain control "
             "characters");
    rc = E_INVALID;
  }
  if (rc == 0) {
    rc = in_enum(pIn, "status", azMaintStatus, pzStatus, zErr, sizeof(zErr));
  }
  int bSet = 0;
  if (rc == 0) {
    rc = in_time(pIn, "scheduled_for", pFor, &bSet, zErr, sizeof(zErr));
  }
  if (rc == 0) {
    rc = in_time(pIn, "scheduled_until", pUntil, &bSet, zErr, sizeof(zErr));
  }
  if (rc == 0 && (*pFor == IN_UNSET || *pUntil == IN_UNSET)) {
    snprintf(zErr, sizeof(zErr), "%s: is required",
             *pFor == IN_UNSET ? "scheduled_for" : "scheduled_until");
    rc = E_INVALID;
  }
  if (rc == 0 && *pUntil < *pFor) {
    snprintf(zErr, sizeof(zErr),
             "scheduled_until: cannot be before scheduled_for");
    rc = E_INVALID;
  }
  if (rc == 0) {
    rc =
        in_string_list(pIn, "components", 50, 100, ppComps, zErr, sizeof(zErr));
  }
  if (rc == 0 && !*ppComps && req_is_form(r) &&
      json_object_get(pIn, "components_present")) {
    *ppComps = json_array();
  }
  return rc ? req_fail(r, rc, "%s", zErr) : 0;
}

/* Replaces the component links (only while the window has not started, so
** restoring stays exact). */
static int link_components(Req *r, int64_t id, json_t *pNames) {
  char zErr[256];
  int rc = component_link(COMPONENT_LINK_MAINTENANCE, id, pNames, zErr,
                          sizeof(zErr));
  return rc == E_INVALID ? req_fail(r, rc, "%s", zErr) : rc;
}

static int maint_answer(Req *r, int64_t id, int status) {
  if (!r->bJsonOut) {
    r->zRedirect = "/app/maintenances";
    return 0;
  }
  r->pModel = maint_load(id);
  r->status = status;
  return r->pModel ? 0 : E_DB;
}

int maintenance_create(Req *r) {
  json_t *pIn = NULL;
  int rc = req_input(r, &pIn);
  rc = rc ? rc : request_key_header(r, pIn);
  if (rc) {
    return rc;
  }
  char zErr[256];
  RequestKey reqKey;
  if (request_key_read(pIn, "maintenances", &reqKey, zErr, sizeof(zErr))) {
    return req_fail(r, E_INVALID, "%s", zErr);
  }
  const char *zTitle = NULL, *zBody = "", *zStatus = "scheduled";
  int64_t tFor = IN_UNSET, tUntil = IN_UNSET;
  json_t *pComps = NULL;
  rc = maint_fields(r, pIn, &zTitle, &zBody, &zStatus, &tFor, &tUntil, &pComps);
  if (rc == 0 && !zTitle) {
    rc = req_fail(r, E_INVALID, "title: is required");
  }
  int64_t id = 0, now = utc_now_ms();
  if (rc == 0) {
    rc = db_begin_write();
  }
  /* Sent again (its first answer lost): the first try's maintenance, and
  ** its subscribers are not told twice. */
  int found = rc == 0 ? request_key_find(r->zUser, &reqKey, &id) : 0;
  if (found) {
    db_rollback();
    rc = found == 1 ? 0 : found;
  } else if (rc == 0) {
    DbStmt *p = db_prepare(
        "INSERT INTO maintenances (title, body, status, scheduled_for,"
        " scheduled_until, created_by, created_at, updated_at)"
        " VALUES (:t, :b, 'scheduled', :f, :u, :a, :now, :now)");
    rc = E_DB;
    if (p) {
      db_bind_text(p, ":t", zTitle);
      db_bind_text(p, ":b", zBody);
      db_bind_int(p, ":f", tFor);
      db_bind_int(p, ":u", tUntil);
      db_bind_text(p, ":a", r->zUser);
      db_bind_int(p, ":now", now);
      rc = db_run(p);
    }
    if (rc == 0) {
      id = db_last_id();
      rc = link_components(r, id, pComps);
    }
    if (rc == 0) {
      p = db_prepare("INSERT INTO maintenance_updates (maintenance_id,"
                     " status, body, created_at)"
                     " VALUES (:id, 'scheduled', :b, :now)");
      rc = E_DB;
      if (p) {
        db_bind_int(p, ":id", id);
        db_bind_text(p, ":b",
                     *zBody ? zBody
                            : "The maintenance is "
                              "scheduled.");
        db_bind_int(p, ":now", now);
        rc = db_run(p);
      }
      if (rc == 0) {
        rc = subs_queue_maintenance_update(db_last_id(), id);
      }
    }
    if (rc == 0 && strcmp(zStatus, "scheduled") != 0) {
      rc = maint_set_status(id, "scheduled", zStatus, NULL, now);
    }
    if (rc == 0) {
      rc = request_key_save(r->zUser, &reqKey, id);
    }
    if (rc == 0) {
      json_t *pAfter = maint_load(id);
      rc = audit_log("maintenance", id, r->zUser, "create", NULL, pAfter);
      json_decref(pAfter);
    }
    rc = rc == 0 ? db_commit() : rc;
    if (rc) {
      db_rollback();
    }
  }
  json_decref(pComps);
  if (rc) {
    return rc;
  }
  maintenance_tick(now, NULL);
  return maint_answer(r, id, 201);
}

int maintenance_get(Req *r) {
  int64_t id;
  int rc = req_param_id(r, "id", &id);
  if (rc) {
    return rc;
  }
  maintenance_tick(utc_now_ms(), NULL);
  r->pModel = maint_load(id);
  if (!r->pModel) {
    return req_fail(r, E_NOTFOUND, "no maintenance %lld", (long long)id);
  }
  char zEtag[32];
  snprintf(
      zEtag, sizeof(zEtag), "\"%lld\"",
      (long long)json_integer_value(json_object_get(r->pModel, "version")));
  r->zEtag = arena_strdup(&r->arena, zEtag);
  return 0;
}

int maintenance_update(Req *r) {
  int64_t id;
  int rc = req_param_id(r, "id", &id);
  if (rc) {
    return rc;
  }
  json_t *pIn = NULL;
  rc = req_input(r, &pIn);
  if (rc) {
    return rc;
  }
  const char *zVersion =
      req_is_form(r) ? json_string_value(json_object_get(pIn, "version"))
                     : req_header(r, "If-Match");
  if (!zVersion) {
    return req_fail(r, req_is_form(r) ? E_INVALID : E_PRECONDITION,
                    "send the version you edited (If-Match)");
  }
  int64_t version = strtoll(zVersion + (zVersion[0] == '"'), NULL, 10);
  maintenance_tick(utc_now_ms(), NULL);
  json_t *pOld = maint_load(id);
  if (!pOld) {
    return req_fail(r, E_NOTFOUND, "no maintenance %lld", (long long)id);
  }
  if (json_integer_value(json_object_get(pOld, "version")) != version) {
    r->pErrCurrent = pOld;
    return req_fail(r, E_CONFLICT, "this maintenance was changed meanwhile");
  }
  const char *zTitle = json_string_value(json_object_get(pOld, "title"));
  const char *zBody = json_string_value(json_object_get(pOld, "body"));
  const char *zOld = json_string_value(json_object_get(pOld, "status"));
  const char *zStatus = zOld;
  int64_t tFor = IN_UNSET, tUntil = IN_UNSET;
  const char *zF = json_string_value(json_object_get(pOld, "scheduled_for"));
  const char *zU = json_string_value(json_object_get(pOld, "scheduled_until"));
  utc_parse_iso(zF, strlen(zF), &tFor);
  utc_parse_iso(zU, strlen(zU), &tUntil);
  json_t *pComps = NULL;
  rc = maint_fields(r, pIn, &zTitle, &zBody, &zStatus, &tFor, &tUntil, &pComps);
  if (rc == 0 && pComps && strcmp(zOld, "scheduled") != 0) {
    rc = req_fail(r, E_INVALID,
                  "components: can change only before the "
                  "maintenance starts");
  }
  int64_t now = utc_now_ms();
  if (rc == 0) {
    rc = db_begin_write();
  }
  if (rc == 0) {
    DbStmt *p = db_prepare(
        "UPDATE maintenances SET title = :t, body = :b, scheduled_for = :f,"
        " scheduled_until = :u, updated_at = :now, version = version + 1"
        " WHERE id = :id AND version = :v");
    rc = E_DB;
    if (p) {
      db_bind_text(p, ":t", zTitle);
      db_bind_text(p, ":b", zBody);
      db_bind_int(p, ":f", tFor);
      db_bind_int(p, ":u", tUntil);
      db_bind_int(p, ":now", now);
      db_bind_int(p, ":id", id);
      db_bind_int(p, ":v", version);
      rc = db_run(p);
    }
    if (rc == 0 && db_changes() == 0) {
      rc = req_fail(r, E_CONFLICT, "this maintenance was changed meanwhile");
    }
    if (rc == 0 && pComps) {
      rc = link_components(r, id, pComps);
    }
    if (rc == 0) {
      rc = maint_set_status(id, zOld, zStatus, NULL, now);
    }
    if (rc == 0) {
      json_t *pAfter = maint_load(id);
      rc = audit_log("maintenance", id, r->zUser, "update", pOld, pAfter);
      json_decref(pAfter);
    }
    rc = rc == 0 ? db_commit() : rc;
    if (rc) {
      db_rollback();
    }
  }
  json_decref(pComps);
  json_decref(pOld);
  return rc ? rc : maint_answer(r, id, 200);
}

int maintenance_delete(Req *r) {
  int64_t id;
  int rc = req_param_id(r, "id", &id);
  if (rc) {
    return rc;
  }
  json_t *pOld = maint_load(id);
  if (!pOld) {
    return req_fail(r, E_NOTFOUND, "no maintenance %lld", (long long)id);
  }
  const char *zOld = json_string_value(json_object_get(pOld, "status"));
  rc = db_begin_write();
  if (rc == 0) {
    /* Give the components back before the window goes. */
    rc = maint_set_status(id, zOld, "completed", NULL, utc_now_ms());
  }
  if (rc == 0) {
    rc = db_run_id("DELETE FROM maintenances WHERE id = :id", id);
  }
  if (rc == 0) {
    rc = audit_log("maintenance", id, r->zUser, "delete", pOld, NULL);
  }
  rc = rc == 0 ? db_commit() : rc;
  if (rc) {
    db_rollback();
  }
  json_decref(pOld);
  if (rc) {
    return rc;
  }
  r->pModel = json_pack("{s:b}", "deleted", 1);
  return 0;
}
