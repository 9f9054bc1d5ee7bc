/*
** users.c: admins list, add and remove users, and create and revoke API
** tokens, from /app/users. A new token is shown once, on the page that
** created it; only its hash is kept. Admins also change a user's role and
** set a new password (which ends that user's sessions). No state of its
** own.
*/
#include "users.h"

#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "auth.h"
#include "db.h"
#include "dbjson.h"
#include "err.h"
#include "input.h"
#include "utc.h"

int users_page(Req *r) {
  json_t *pUsers = json_array();
  DbStmt *p = db_prepare("SELECT name, role, created_at FROM users"
                               " ORDER BY name");
  if (!p) {
    json_decref(pUsers);
    return E_DB;
  }
  while (db_step(p) == DB_ROW) {
    json_array_append_new(
        pUsers, json_pack("{s:s, s:s, s:o, s:b}", "name", db_col_text(p, 0),
                          "role", db_col_text(p, 1), "created_at",
                          dbjson_time(p, 2), "is_me",
                          r->zUser && strcmp(r->zUser, db_col_text(p, 0)) == 0));
  }
  db_reset(p);
  json_t *pTokens = json_array();
  p = db_prepare("SELECT name, scope, created_at, last_used_at, revoked_at"
                 " FROM api_tokens ORDER BY revoked_at IS NOT NULL, name");
  if (p) {
    while (db_step(p) == DB_ROW) {
      json_array_append_new(
          pTokens, json_pack("{s:s, s:s, s:o, s:o, s:o}", "name",
                             db_col_text(p, 0), "scope", db_col_text(p, 1),
                             "created_at", dbjson_time(p, 2), "last_used_at",
                             dbjson_time(p, 3), "revoked_at",
                             dbjson_time(p, 4)));
    }
    db_reset(p);
  }
  r->pModel = json_pack("{s:o, s:o}", "users", pUsers, "tokens", pTokens);
  r->pView = json_pack("{s:[s, s, s], s:[s, s, s]}", "roles", "admin",
                       "editor", "viewer", "scopes", "read", "write",
                       "ingest");
  const char *zReset = req_query(r, "reset");
  json_object_set_new(r->pView, "reset", json_boolean(zReset && *zReset));
  r->zTemplate = "users";
  r->zTitle = "Users and tokens";
  return 0;
}

int users_create(Req *r) {
  json_t *pIn = NULL;
  int rc = req_input(r, &pIn);
  if (rc) {
    return rc;
  }
  const char *zName = json_string_value(json_object_get(pIn, "name"));
  const char *zRole = json_string_value(json_object_get(pIn, "role"));
  const char *zPw = json_string_value(json_object_get(pIn, "password"));
  if (!zName || !zRole || !zPw) {
    return req_fail(r, E_INVALID, "name, role and password are required");
  }
  rc = auth_user_add(zName, zRole, zPw, r->zUser);
  if (rc == E_INVALID) {
    return req_fail(r, rc, "the name must be 1-64 of A-Z a-z 0-9 _ - . @, "
                           "the role admin, editor or viewer, and the "
                           "password 12 to 1024 characters");
  }
  if (rc == E_CONFLICT) {
    return req_fail(r, rc, "name: a user named \"%s\" exists", zName);
  }
  if (rc) {
    return rc;
  }
  r->zRedirect = "/app/users";
  return 0;
}

int users_delete(Req *r) {
  const char *zName = req_param(r, "name");
  if (zName && r->zUser && strcmp(zName, r->zUser) == 0) {
    return req_fail(r, E_INVALID, "you cannot delete your own account");
  }
  int rc = zName ? auth_user_del(zName, r->zUser) : E_NOTFOUND;
  if (rc == E_NOTFOUND) {
    return req_fail(r, rc, "no such user");
  }
  if (rc) {
    return rc;
  }
  r->zRedirect = "/app/users";
  return 0;
}

int users_token_create(Req *r) {
  json_t *pIn = NULL;
  int rc = req_input(r, &pIn);
  if (rc) {
    return rc;
  }
  const char *zName = json_string_value(json_object_get(pIn, "name"));
  const char *zScope = json_string_value(json_object_get(pIn, "scope"));
  char zToken[80];
  rc = zName && zScope ? auth_token_add(zName, zScope, zToken, r->zUser)
                       : E_INVALID;
  if (rc == E_INVALID) {
    return req_fail(r, rc, "a token needs a name (A-Z a-z 0-9 _ - . @) and "
                           "a scope: read, write or ingest");
  }
  if (rc == E_CONFLICT) {
    return req_fail(r, rc, "name: a token named \"%s\" exists", zName);
  }
  if (rc) {
    return rc;
  }
  /* Shown once, on this answer; never stored or logged. */
  rc = users_page(r);
  json_object_set_new(r->pView, "new_token",
                      json_pack("{s:s, s:s, s:s}", "name", zName, "scope",
                                zScope, "token", zToken));
  r->status = 201;
  return rc;
}

int users_token_revoke(Req *r) {
  const char *zName = req_param(r, "name");
  int rc = zName ? auth_token_revoke(zName, r->zUser) : E_NOTFOUND;
  if (rc == E_NOTFOUND) {
    return req_fail(r, rc, "no active token with that name");
  }
  if (rc) {
    return rc;
  }
  r->zRedirect = "/app/users";
  return 0;
}

/* Sets user {name}'s role (form field "role"); takes effect on their next
** request, as sessions read the role from users. 0, or E_INVALID or
** E_NOTFOUND via req_fail, or E_DB. */
int users_set_role(Req *r) {
  const char *zName = req_param(r, "name");
  json_t *pIn = NULL;
  int rc = req_input(r, &pIn);
  if (rc) {
    return rc;
  }
  const char *zRole = json_string_value(json_object_get(pIn, "role"));
  static const char *const azRole[] = {"admin", "editor", "viewer", NULL};
  if (!zRole || enum_index(azRole, zRole) < 0) {
    return req_fail(r, E_INVALID, "role: must be admin, editor or viewer");
  }
  /* An admin who demotes themselves could leave nobody to undo it. */
  if (zName && r->zUser && strcmp(zName, r->zUser) == 0) {
    return req_fail(r, E_INVALID, "you cannot change your own role");
  }
  rc = db_begin_write();
  if (rc) {
    return rc;
  }
  DbStmt *p = db_prepare("SELECT id, role FROM users WHERE name = :n");
  int64_t id = 0;
  char zOld[16] = "";
  if (!p) {
    rc = E_DB;
  } else {
    db_bind_text(p, ":n", zName ? zName : "");
    if (db_step(p) == DB_ROW) {
      id = db_col_int(p, 0);
      snprintf(zOld, sizeof(zOld), "%s", db_col_text(p, 1));
    } else {
      rc = E_NOTFOUND;
    }
    db_reset(p);
  }
  if (rc == 0) {
    p = db_prepare("UPDATE users SET role = :role WHERE id = :id");
    rc = p ? 0 : E_DB;
    if (p) {
      db_bind_text(p, ":role", zRole);
      db_bind_int(p, ":id", id);
      rc = db_run(p);
    }
  }
  if (rc == 0) {
    json_t *pB = json_pack("{s:s, s:s}", "name", zName, "role", zOld);
    json_t *pA = json_pack("{s:s, s:s}", "name", zName, "role", zRole);
    rc = audit_log("user", id, r->zUser, "update", pB, pA);
    json_decref(pB);
    json_decref(pA);
  }
  rc = rc == 0 ? db_commit() : rc;
  if (rc) {
    db_rollback();
    return rc == E_NOTFOUND ? req_fail(r, rc, "no such user") : rc;
  }
  r->zRedirect = "/app/users";
  return 0;
}

/* Sets user {name}'s password (form field "password"), ending their
** sessions (auth_user_passwd). 0, or E_INVALID or E_NOTFOUND via
** req_fail, or E_DB. */
int users_reset_password(Req *r) {
  const char *zName = req_param(r, "name");
  json_t *pIn = NULL;
  int rc = req_input(r, &pIn);
  if (rc) {
    return rc;
  }
  const char *zPw = json_string_value(json_object_get(pIn, "password"));
  rc = zName && zPw ? auth_user_passwd(zName, zPw, r->zUser) : E_INVALID;
  if (rc == E_INVALID) {
    return req_fail(r, rc, "password: 12 to 1024 characters");
  }
  if (rc == E_NOTFOUND) {
    return req_fail(r, rc, "no such user");
  }
  if (rc) {
    return rc;
  }
  r->zRedirect = "/app/users?reset=1";
  return 0;
}

/* The user names, for the pickers of owners and roles. NEW. */
json_t *users_names(void) {
  json_t *pOut = json_array();
  DbStmt *p = db_prepare("SELECT name FROM users ORDER BY name");
  while (p && db_step(p) == DB_ROW) {
    json_array_append_new(pOut, json_string(db_col_text(p, 0)));
  }
  db_reset(p);
  return pOut;
}
