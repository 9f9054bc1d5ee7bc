/*
** component.c: the parts of the service (website, checkout, API...) whose
** status the public page shows and that incidents name as affected.
** Admins create and edit them; everyone logged in can read them. A
** component may belong to a group (by name; the group is created on first
** use). Status changes are recorded in component_history by a trigger
** (schema 003) at the row's updated_at, which every writer sets; an
** admin's status change also queues its subscribers' messages (subs.c).
**
** Threading: none of its own; uses the calling thread's connection.
*/
#include "component.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "db.h"
#include "err.h"
#include "input.h"
#include "subs.h"
#include "utc.h"

static const char *const azKnown[] = {"name", "description", "status",
                                      "position", "group", "csrf_token",
                                      "version", NULL};

/* One row of COMPONENT_COLS as the API's component object. */
static json_t *component_json(DbStmt *p) {
  char zTime[25];
  utc_format(db_col_int(p, 5), zTime);
  return json_pack("{s:I, s:s, s:s, s:s, s:I, s:s, s:I, s:s, s:I}", "id",
                   (json_int_t)db_col_int(p, 0), "name", db_col_text(p, 1),
                   "description", db_col_text(p, 2), "status",
                   db_col_text(p, 3), "position",
                   (json_int_t)db_col_int(p, 4), "group", db_col_text(p, 7),
                   "group_id", (json_int_t)db_col_int(p, 8), "updated_at",
                   zTime, "version", (json_int_t)db_col_int(p, 6));
}

/* The columns component_json() reads (group_id 0: no group). */
#define COMPONENT_COLS                                                    \
  "SELECT id, name, description, status, position, updated_at, version," \
  " coalesce((SELECT g.name FROM component_groups g"                      \
  "  WHERE g.id = group_id), ''), coalesce(group_id, 0)"

static json_t *component_load(int64_t id) {
  DbStmt *p = db_prepare(COMPONENT_COLS " FROM components WHERE id = :id");
  if (!p) {
    return NULL;
  }
  db_bind_int(p, ":id", id);
  json_t *pOut = db_step(p) == DB_ROW ? component_json(p) : NULL;
  db_reset(p);
  return pOut;
}

int component_list(Req *r) {
  /* The public page's order: groups by their position, each with its
  ** members, then the components in no group. */
  DbStmt *p = db_prepare(
      COMPONENT_COLS " FROM components c ORDER BY"
      " CASE WHEN group_id IS NULL THEN 1 ELSE 0 END,"
      " (SELECT g.position FROM component_groups g WHERE g.id = group_id),"
      " 8, position, name");
  if (!p) {
    return E_DB;
  }
  json_t *pList = json_array();
  /* The page shows one section per group, so that a group can be dragged
  ** with its members and a member only within its group. */
  json_t *pSections = json_array();
  json_t *pSection = NULL;
  while (db_step(p) == DB_ROW) {
    json_t *pC = component_json(p);
    int64_t gid = db_col_int(p, 8);
    if (!pSection ||
        json_integer_value(json_object_get(pSection, "group_id")) != gid) {
      pSection = json_pack("{s:I, s:s, s:[]}", "group_id", (json_int_t)gid,
                           "group_name", db_col_text(p, 7), "components");
      json_array_append_new(pSections, pSection);
    }
    json_array_append(json_object_get(pSection, "components"), pC);
    json_array_append_new(pList, pC);
  }
  db_reset(p);
  r->pModel = json_pack("{s:o}", "components", pList);
  r->pView = json_pack("{s:o, s:o, s:s}", "statuses",
                       enum_json(azComponentStatus), "sections", pSections,
                       "page_script", "reorder.js");
  r->zTemplate = "components";
  r->zTitle = "Components";
  return 0;
}

/* Reads the editable fields into the out-values (left as given if
** absent). 0 or E_INVALID via req_fail. */
static int component_fields(Req *r, json_t *pIn, const char **pzName,
                            const char **pzDesc, const char **pzStatus,
                            int64_t *pPosition, const char **pzGroup) {
  char zErr[256];
  int rc = in_only_known(pIn, azKnown, zErr, sizeof(zErr));
  if (rc == 0) {
    rc = in_string(pIn, "name", 100, 1, pzName, NULL, zErr, sizeof(zErr));
  }
  if (rc == 0) {
    rc = in_string(pIn, "description", 1000, 0, pzDesc, NULL, zErr,
                   sizeof(zErr));
  }
  if (rc == 0) {
    rc = in_enum(pIn, "status", azComponentStatus, pzStatus, zErr,
                 sizeof(zErr));
  }
  if (rc == 0) {
    rc = in_string(pIn, "group", 100, 1, pzGroup, NULL, zErr, sizeof(zErr));
  }
  json_t *pPos = json_object_get(pIn, "position");
  if (rc == 0 && pPos) {
    const char *z = json_string_value(pPos);
    char *zEnd = NULL;
    if (json_is_integer(pPos)) {
      *pPosition = json_integer_value(pPos);
    } else if (z && *z) {
      *pPosition = strtoll(z, &zEnd, 10);
      if (*zEnd) {
        snprintf(zErr, sizeof(zErr), "position: must be a whole number");
        rc = E_INVALID;
      }
    } else if (!z) {
      snprintf(zErr, sizeof(zErr), "position: must be a whole number");
      rc = E_INVALID;
    }
  }
  if (rc == 0 && *pzName && strspn(*pzName, " ") == strlen(*pzName)) {
    snprintf(zErr, sizeof(zErr), "name: must not be empty");
    rc = E_INVALID;
  }
  return rc ? req_fail(r, rc, "%s", zErr) : 0;
}

/* Sets the group of component id by name ("" for none), creating the
** group on first use. 0 or E_DB. */
static int set_group(int64_t id, const char *zGroup) {
  int64_t now = utc_now_ms();
  if (zGroup && *zGroup) {
    DbStmt *p = db_prepare(
        "INSERT INTO component_groups (name, position, created_at,"
        " updated_at) VALUES (:n, (SELECT count(*) FROM component_groups),"
        " :now, :now) ON CONFLICT DO NOTHING");
    if (!p) {
      return E_DB;
    }
    db_bind_text(p, ":n", zGroup);
    db_bind_int(p, ":now", now);
    int rc = db_run(p);
    if (rc) {
      return rc;
    }
  }
  DbStmt *p = db_prepare(
      "UPDATE components SET group_id = (SELECT id FROM component_groups"
      " WHERE name = :n) WHERE id = :id");
  if (!p) {
    return E_DB;
  }
  db_bind_text(p, ":n", zGroup && *zGroup ? zGroup : NULL);
  db_bind_int(p, ":id", id);
  return db_run(p);
}

/* What a change answers: the list page for a form; for JSON the component,
** with status unless that is 0 (the default). */
static int component_answer(Req *r, int64_t id, int status) {
  if (!r->bJsonOut) {
    r->zRedirect = "/app/components";
    return 0;
  }
  r->pModel = component_load(id);
  if (status) {
    r->status = status;
  }
  return r->pModel ? 0 : E_DB;
}

int component_create(Req *r) {
  json_t *pIn = NULL;
  int rcIn = req_input(r, &pIn);
  if (rcIn) {
    return rcIn;
  }
  const char *zName = NULL, *zDesc = "", *zStatus = "operational";
  const char *zGroup = NULL;
  int64_t position = INT64_MIN; /* unset: after the last one */
  int rc = component_fields(r, pIn, &zName, &zDesc, &zStatus, &position,
                            &zGroup);
  if (rc) {
    return rc;
  }
  if (!zName) {
    return req_fail(r, E_INVALID, "name: is required");
  }
  rc = db_begin_write();
  if (rc) {
    return rc;
  }
  DbStmt *p = db_prepare(
      "INSERT INTO components (name, description, status, position,"
      " created_at, updated_at)"
      " VALUES (:name, :desc, :status, CASE WHEN :pos IS NULL THEN"
      " (SELECT coalesce(max(position), 0) + 1 FROM components) ELSE :pos"
      " END, :now, :now)");
  if (!p) {
    db_rollback();
    return E_DB;
  }
  db_bind_text(p, ":name", zName);
  db_bind_text(p, ":desc", zDesc);
  db_bind_text(p, ":status", zStatus);
  if (position == INT64_MIN) {
    db_bind_null(p, ":pos");
  } else {
    db_bind_int(p, ":pos", position);
  }
  db_bind_int(p, ":now", utc_now_ms());
  rc = db_run(p);
  int64_t id = db_last_id();
  if (rc == 0 && zGroup) {
    rc = set_group(id, zGroup);
  }
  if (rc == 0) {
    json_t *pAfter = component_load(id);
    rc = audit_log("component", id, r->zUser, "create", NULL, pAfter);
    json_decref(pAfter);
  }
  rc = rc == 0 ? db_commit() : rc;
  if (rc) {
    db_rollback();
  }
  if (rc == E_CONFLICT) {
    return req_fail(r, rc, "name: a component named \"%s\" exists", zName);
  }
  if (rc) {
    return rc;
  }
  return component_answer(r, id, 201);
}

int component_update(Req *r) {
  int64_t id;
  int rc = req_param_id(r, "id", &id);
  if (rc) {
    return rc;
  }
  json_t *pIn = NULL;
  int rcIn = req_input(r, &pIn);
  if (rcIn) {
    return rcIn;
  }
  const char *zVersion = req_is_form(r)
                             ? json_string_value(json_object_get(pIn,
                                                                 "version"))
                             : req_header(r, "If-Match");
  if (!zVersion) {
    return req_fail(r, req_is_form(r) ? E_INVALID : E_PRECONDITION,
                    "send the version you edited (If-Match)");
  }
  int64_t version = strtoll(zVersion + (zVersion[0] == '"'), NULL, 10);
  json_t *pOld = component_load(id);
  if (!pOld) {
    return req_fail(r, E_NOTFOUND, "no component %lld", (long long)id);
  }
  const char *zName = json_string_value(json_object_get(pOld, "name"));
  const char *zDesc =
      json_string_value(json_object_get(pOld, "description"));
  const char *zStatus = json_string_value(json_object_get(pOld, "status"));
  int64_t position = json_integer_value(json_object_get(pOld, "position"));
  const char *zGroup = NULL;
  rc = component_fields(r, pIn, &zName, &zDesc, &zStatus, &position,
                        &zGroup);
  DbStmt *p = NULL;
  int bTx = 0;
  int64_t mark = 0;
  if (rc == 0) {
    rc = db_begin_write();
    bTx = rc == 0;
  }
  if (rc == 0) {
    rc = subs_component_mark(&mark);
  }
  if (rc == 0) {
    p = db_prepare("UPDATE components SET name = :name, description = :desc,"
                   " status = :status, position = :pos, updated_at = :now,"
                   " version = version + 1"
                   " WHERE id = :id AND version = :version");
    rc = p ? 0 : E_DB;
  }
  if (rc == 0) {
    db_bind_text(p, ":name", zName);
    db_bind_text(p, ":desc", zDesc);
    db_bind_text(p, ":status", zStatus);
    db_bind_int(p, ":pos", position);
    db_bind_int(p, ":now", utc_now_ms());
    db_bind_int(p, ":id", id);
    db_bind_int(p, ":version", version);
    rc = db_run(p);
    if (rc == E_CONFLICT) {
      rc = req_fail(r, rc, "name: a component with that name exists");
    } else if (rc == 0 && db_changes() == 0) {
      r->pErrCurrent = json_incref(pOld);
      rc = req_fail(r, E_CONFLICT, "this component was changed meanwhile");
    }
  }
  if (rc == 0 && zGroup) {
    rc = set_group(id, zGroup);
  }
  if (rc == 0) {
    json_t *pAfter = component_load(id);
    rc = audit_log("component", id, r->zUser, "update", pOld, pAfter);
    json_decref(pAfter);
    if (rc == 0) {
      /* A status change is news for the component's subscribers, told in
      ** the same transaction (nothing if the status stayed). */
      rc = subs_queue_component_updates(mark, 1);
    }
  }
  if (bTx) {
    rc = rc == 0 ? db_commit() : rc;
    if (rc) {
      db_rollback();
    }
  }
  json_decref(pOld);
  if (rc) {
    return rc;
  }
  return component_answer(r, id, 0);
}

int component_move(Req *r) {
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
  const char *zDir = json_string_value(json_object_get(pIn, "dir"));
  if (!zDir || (strcmp(zDir, "up") && strcmp(zDir, "down"))) {
    return req_fail(r, E_INVALID, "dir: must be up or down");
  }
  json_t *pOld = component_load(id);
  if (!pOld) {
    return req_fail(r, E_NOTFOUND, "no component %lld", (long long)id);
  }
  rc = db_begin_write();
  /* Number the component's group 1..n in its shown order (older rows all
  ** had position 0), then swap it with its neighbour. */
  int64_t aId[1000];
  int nId = 0, iMe = -1;
  DbStmt *p = NULL;
  if (rc == 0) {
    p = db_prepare("SELECT id FROM components WHERE coalesce(group_id, 0) ="
                   " (SELECT coalesce(group_id, 0) FROM components"
                   "  WHERE id = :id) ORDER BY position, name LIMIT 1000");
    rc = p ? 0 : E_DB;
  }
  if (rc == 0) {
    db_bind_int(p, ":id", id);
    while (db_step(p) == DB_ROW) {
      if (db_col_int(p, 0) == id) {
        iMe = nId;
      }
      aId[nId++] = db_col_int(p, 0);
    }
    db_reset(p);
    int iOther = iMe + (zDir[0] == 'u' ? -1 : 1);
    if (iMe >= 0 && iOther >= 0 && iOther < nId) {
      int64_t t = aId[iMe];
      aId[iMe] = aId[iOther];
      aId[iOther] = t;
    }
  }
  for (int i = 0; rc == 0 && i < nId; i++) {
    p = db_prepare("UPDATE components SET position = :pos,"
                   " version = version + 1 WHERE id = :id AND position <> :pos");
    rc = p ? 0 : E_DB;
    if (rc == 0) {
      db_bind_int(p, ":pos", i + 1);
      db_bind_int(p, ":id", aId[i]);
      rc = db_run(p);
    }
  }
  if (rc == 0) {
    json_t *pAfter = component_load(id);
    rc = audit_log("component", id, r->zUser, "update", pOld, pAfter);
    json_decref(pAfter);
  }
  rc = rc == 0 ? db_commit() : rc;
  if (rc) {
    db_rollback();
  }
  json_decref(pOld);
  if (rc) {
    return rc;
  }
  return component_answer(r, id, 0);
}

/* Reordering in one request (drag and drop) ---------------------------- */

#define ORDER_MAX 1000 /* components (and groups) one order may list */

/* One component or group as reorder knows it. */
typedef struct OrderItem {
  int64_t id;    /* its id */
  int64_t gid;   /* its group (components; 0: none) */
  int64_t pos;   /* its position now */
  int iList;     /* its index in the request's list, -1 if not listed */
} OrderItem;

static int order_cmp(const void *a, const void *b) {
  int64_t x = ((const OrderItem *)a)->id, y = ((const OrderItem *)b)->id;
  return x < y ? -1 : x > y;
}

/* By group, then in the order listed. */
static int order_cmp_listed(const void *a, const void *b) {
  const OrderItem *x = a, *y = b;
  if (x->gid != y->gid) {
    return x->gid < y->gid ? -1 : 1;
  }
  return x->iList < y->iList ? -1 : x->iList > y->iList;
}

/* Reads field zField of pIn, a JSON array of ids or a form's "3,1,2", into
** aId (at most ORDER_MAX). Sets *pn to -1 when the field is absent. 0 or
** E_INVALID with the message in zErr. */
static int order_ids(json_t *pIn, const char *zField, int64_t *aId, int *pn,
                     char *zErr, size_t nErr) {
  json_t *pV = json_object_get(pIn, zField);
  const char *z = json_string_value(pV);
  int n = 0;
  *pn = -1;
  if (!pV) {
    return 0;
  }
  if (json_is_array(pV)) {
    size_t i;
    json_t *pId;
    json_array_foreach(pV, i, pId) {
      if (n == ORDER_MAX) {
        snprintf(zErr, nErr, "%s: at most %d ids", zField, ORDER_MAX);
        return E_INVALID;
      }
      if (!json_is_integer(pId) || json_integer_value(pId) <= 0) {
        snprintf(zErr, nErr, "%s: ids are positive whole numbers", zField);
        return E_INVALID;
      }
      aId[n++] = json_integer_value(pId);
    }
  } else if (z) {
    while (*z) {
      char *zEnd = NULL;
      long long v = strtoll(z, &zEnd, 10);
      if (zEnd == z || v <= 0 || (*zEnd && *zEnd != ',')) {
        snprintf(zErr, nErr, "%s: ids are positive whole numbers, comma"
                 " separated", zField);
        return E_INVALID;
      }
      if (n == ORDER_MAX) {
        snprintf(zErr, nErr, "%s: at most %d ids", zField, ORDER_MAX);
        return E_INVALID;
      }
      aId[n++] = v;
      z = *zEnd ? zEnd + 1 : zEnd;
    }
  } else {
    snprintf(zErr, nErr, "%s: must be a list of ids", zField);
    return E_INVALID;
  }
  *pn = n;
  return 0;
}

/* Loads every row of SQL zSql (id, group, position) into aItem sorted by
** id. 0, E_DB, or E_INVALID if there are more than ORDER_MAX. */
static int order_load(const char *zSql, OrderItem *aItem, int *pn) {
  DbStmt *p = db_prepare(zSql);
  int n = 0, rc = p ? 0 : E_DB;
  while (rc == 0 && db_step(p) == DB_ROW) {
    if (n == ORDER_MAX) {
      rc = E_INVALID;
      break;
    }
    aItem[n].id = db_col_int(p, 0);
    aItem[n].gid = db_col_int(p, 1);
    aItem[n].pos = db_col_int(p, 2);
    aItem[n].iList = -1;
    n++;
  }
  if (p) {
    db_reset(p);
  }
  qsort(aItem, (size_t)n, sizeof(aItem[0]), order_cmp);
  *pn = n;
  return rc;
}

/* Sets iList of the listed ids in aItem: each must be there once, and
** every item must be listed. 0 or E_INVALID naming the first problem in
** zErr. */
static int order_check(const char *zField, const char *zWhat,
                       const int64_t *aId, int nId, OrderItem *aItem,
                       int nItem, char *zErr, size_t nErr) {
  for (int i = 0; i < nId; i++) {
    OrderItem key = {.id = aId[i]};
    OrderItem *pI = bsearch(&key, aItem, (size_t)nItem, sizeof(aItem[0]),
                            order_cmp);
    if (!pI) {
      snprintf(zErr, nErr, "%s: no %s %lld", zField, zWhat,
               (long long)aId[i]);
      return E_INVALID;
    }
    if (pI->iList >= 0) {
      snprintf(zErr, nErr, "%s: %lld is listed twice", zField,
               (long long)aId[i]);
      return E_INVALID;
    }
    pI->iList = i;
  }
  for (int i = 0; i < nItem; i++) {
    if (aItem[i].iList < 0) {
      snprintf(zErr, nErr, "%s: %s %lld is missing (list them all)", zField,
               zWhat, (long long)aItem[i].id);
      return E_INVALID;
    }
  }
  return 0;
}

/* Sets group gid's position to pos if it differs, audited. */
static int order_group(Req *r, int64_t gid, int64_t posOld, int64_t pos) {
  if (posOld == pos) {
    return 0;
  }
  DbStmt *p = db_prepare("UPDATE component_groups SET position = :pos,"
                         " updated_at = :now WHERE id = :id");
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":pos", pos);
  db_bind_int(p, ":now", utc_now_ms());
  db_bind_int(p, ":id", gid);
  int rc = db_run(p);
  if (rc == 0) {
    json_t *pBefore = json_pack("{s:I}", "position", (json_int_t)posOld);
    json_t *pAfter = json_pack("{s:I}", "position", (json_int_t)pos);
    rc = audit_log("component_group", gid, r->zUser, "update", pBefore,
                   pAfter);
    json_decref(pBefore);
    json_decref(pAfter);
  }
  return rc;
}

/* Sets component id's position to pos if it differs, audited as a move. */
static int order_component(Req *r, int64_t id, int64_t posOld, int64_t pos) {
  if (posOld == pos) {
    return 0;
  }
  json_t *pOld = component_load(id);
  DbStmt *p = db_prepare("UPDATE components SET position = :pos,"
                         " version = version + 1 WHERE id = :id");
  int rc = pOld && p ? 0 : E_DB;
  if (rc == 0) {
    db_bind_int(p, ":pos", pos);
    db_bind_int(p, ":id", id);
    rc = db_run(p);
  }
  if (rc == 0) {
    json_t *pAfter = component_load(id);
    rc = audit_log("component", id, r->zUser, "update", pOld, pAfter);
    json_decref(pAfter);
  }
  json_decref(pOld);
  return rc;
}

int component_order(Req *r) {
  json_t *pIn = NULL;
  int rc = req_input(r, &pIn);
  if (rc) {
    return rc;
  }
  static const char *const azOrderKnown[] = {"components", "groups",
                                             "csrf_token", NULL};
  char zErr[256] = "";
  rc = in_only_known(pIn, azOrderKnown, zErr, sizeof(zErr));
  if (rc) {
    return req_fail(r, rc, "%s", zErr);
  }
  /* Big arrays: off the pool thread's stack. */
  int64_t *aComp = xmalloc(ORDER_MAX * sizeof(int64_t));
  int64_t *aGroup = xmalloc(ORDER_MAX * sizeof(int64_t));
  OrderItem *aItem = xmalloc(ORDER_MAX * sizeof(OrderItem));
  int nComp = 0, nGroup = 0, nItem = 0, bTx = 0;
  rc = order_ids(pIn, "components", aComp, &nComp, zErr, sizeof(zErr));
  if (rc == 0) {
    rc = order_ids(pIn, "groups", aGroup, &nGroup, zErr, sizeof(zErr));
  }
  if (rc == 0 && nComp < 0) {
    snprintf(zErr, sizeof(zErr), "components: is required");
    rc = E_INVALID;
  }
  if (rc) {
    rc = req_fail(r, rc, "%s", zErr);
    goto done;
  }
  /* Checked and written in one transaction, so nothing is half-saved and
  ** nobody adds a component between the check and the writes. */
  rc = db_begin_write();
  bTx = rc == 0;
  if (rc == 0 && nGroup >= 0) {
    /* The groups the page shows: those with members. */
    rc = order_load("SELECT id, 0, position FROM component_groups g"
                    " WHERE EXISTS (SELECT 1 FROM components c"
                    "  WHERE c.group_id = g.id)",
                    aItem, &nItem);
    if (rc == 0) {
      rc = order_check("groups", "group with components", aGroup, nGroup,
                       aItem, nItem, zErr, sizeof(zErr));
    }
    qsort(aItem, (size_t)nItem, sizeof(aItem[0]), order_cmp_listed);
    for (int i = 0; rc == 0 && i < nItem; i++) {
      rc = order_group(r, aItem[i].id, aItem[i].pos, aItem[i].iList + 1);
    }
  }
  if (rc == 0) {
    rc = order_load("SELECT id, coalesce(group_id, 0), position"
                    " FROM components",
                    aItem, &nItem);
  }
  if (rc == 0) {
    rc = order_check("components", "component", aComp, nComp, aItem, nItem,
                     zErr, sizeof(zErr));
  }
  /* Each keeps its group; a group's members are numbered 1..n in the
  ** order listed (as a move numbers them). */
  if (rc == 0) {
    qsort(aItem, (size_t)nItem, sizeof(aItem[0]), order_cmp_listed);
  }
  for (int i = 0, pos = 1; rc == 0 && i < nItem; i++) {
    pos = i > 0 && aItem[i - 1].gid == aItem[i].gid ? pos + 1 : 1;
    rc = order_component(r, aItem[i].id, aItem[i].pos, pos);
  }
  if (rc == E_INVALID) {
    rc = req_fail(r, rc, "%s",
                  zErr[0] ? zErr : "more than 1000 components or groups");
  }
  if (bTx) {
    rc = rc == 0 ? db_commit() : rc;
    if (rc) {
      db_rollback();
    }
  }
  if (rc == 0 && !r->bJsonOut) {
    r->zRedirect = "/app/components";
  } else if (rc == 0) {
    r->pModel = json_pack("{s:b}", "ok", 1);
  }
done:
  free(aItem);
  free(aGroup);
  free(aComp);
  return rc;
}

int component_ensure(const char *zName, const char *zDescription) {
  DbStmt *p = db_prepare(
      "INSERT INTO components (name, description, position,"
      " created_at, updated_at) VALUES (:name, :desc,"
      " (SELECT count(*) FROM components), :now, :now)"
      " ON CONFLICT DO NOTHING");
  if (!p) {
    return E_DB;
  }
  db_bind_text(p, ":name", zName);
  db_bind_text(p, ":desc", zDescription);
  db_bind_int(p, ":now", utc_now_ms());
  return db_run(p);
}

int component_link(int eOwner, int64_t id, json_t *pNames, char *zErr,
                   size_t nErr) {
  assert(eOwner == COMPONENT_LINK_INCIDENT ||
         eOwner == COMPONENT_LINK_MAINTENANCE);
  int bMaint = eOwner == COMPONENT_LINK_MAINTENANCE;
  DbStmt *p =
      bMaint ? db_prepare("DELETE FROM maintenance_components"
                          " WHERE maintenance_id = :id")
             : db_prepare("DELETE FROM incident_components"
                          " WHERE incident_id = :id");
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":id", id);
  int rc = db_run(p);
  size_t i;
  json_t *pName;
  json_array_foreach(pNames, i, pName) {
    if (rc) {
      break;
    }
    p = bMaint ? db_prepare("INSERT INTO maintenance_components"
                            " (maintenance_id, component_id)"
                            " SELECT :id, id FROM components"
                            " WHERE name = :name ON CONFLICT DO NOTHING")
               : db_prepare("INSERT INTO incident_components"
                            " (incident_id, component_id)"
                            " SELECT :id, id FROM components"
                            " WHERE name = :name ON CONFLICT DO NOTHING");
    if (!p) {
      return E_DB;
    }
    db_bind_int(p, ":id", id);
    db_bind_text(p, ":name", json_string_value(pName));
    rc = db_run(p);
    if (rc == 0 && db_changes() == 0) {
      /* Either unknown or listed twice; only unknown is an error. */
      DbStmt *q = db_prepare("SELECT 1 FROM components"
                                   " WHERE name = :name");
      if (!q) {
        return E_DB;
      }
      db_bind_text(q, ":name", json_string_value(pName));
      int bKnown = db_step(q) == DB_ROW;
      db_reset(q);
      if (!bKnown) {
        snprintf(zErr, nErr, "components: no component named \"%.80s\"",
                 json_string_value(pName));
        return E_INVALID;
      }
    }
  }
  return rc;
}

/* Deleting (admins, from /app/components) ------------------------------ */

/*
** Deleting a component removes it everywhere: from the status page, its
** uptime history, the component lists of past incidents, maintenances and
** status updates, and subscriptions to it. The incidents, their updates'
** text and their timelines stay. An open incident or an active or planned
** maintenance naming it blocks the delete: close it or unlink it first.
*/
int component_delete(Req *r) {
  int64_t id;
  int rc = req_param_id(r, "id", &id);
  if (rc) {
    return rc;
  }
  json_t *pOld = component_load(id);
  if (!pOld) {
    return req_fail(r, E_NOTFOUND, "no component %lld", (long long)id);
  }
  DbStmt *p = db_prepare(
      "SELECT (SELECT count(*) FROM incident_components ic"
      "  JOIN incidents i ON i.id = ic.incident_id WHERE ic.component_id = :id"
      "  AND i.status IN ('investigating', 'identified', 'monitoring')),"
      " (SELECT count(*) FROM maintenance_components mc"
      "  JOIN maintenances m ON m.id = mc.maintenance_id"
      "  WHERE mc.component_id = :id AND m.status IN ('scheduled',"
      "  'in_progress', 'verifying'))");
  int64_t nOpen = 0, nMaint = 0;
  if (p) {
    db_bind_int(p, ":id", id);
    if (db_step(p) == DB_ROW) {
      nOpen = db_col_int(p, 0);
      nMaint = db_col_int(p, 1);
    }
    db_reset(p);
  }
  rc = p ? 0 : E_DB;
  if (rc == 0 && (nOpen || nMaint)) {
    json_decref(pOld);
    return req_fail(r, E_CONFLICT,
                    "an open incident or a planned maintenance names this "
                    "component: resolve it or remove the component from it "
                    "first");
  }
  if (rc == 0) {
    rc = db_begin_write();
  }
  if (rc == 0) {
    rc = db_run_id("DELETE FROM components WHERE id = :id", id);
    if (rc == 0) {
      rc = audit_log("component", id, r->zUser, "delete", pOld, NULL);
    }
    rc = rc == 0 ? db_commit() : rc;
    if (rc) {
      db_rollback();
    }
  }
  json_decref(pOld);
  if (rc) {
    return rc;
  }
  r->zRedirect = "/app/components";
  return 0;
}
