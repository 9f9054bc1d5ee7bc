/*
** users.c: admins list, add and remove users, and create and revoke API
** tokens, from /app/users. A new token is shown once, on the page that
** created it; only its hash is kept. No state of its own.
*/
#include "users.h"

#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "db.h"
#include "err.h"
#include "input.h"
#include "utc.h"

static json_t *time_or_null(sqlite3_stmt *p, int i) {
  if (db_col_is_null(p, i)) {
    return json_null();
  }
  char z[25];
  utc_format(db_col_int(p, i), z);
  return json_string(z);
}

int users_page(Req *r) {
  json_t *pUsers = json_array();
  sqlite3_stmt *p = db_prepare("SELECT name, role, created_at FROM users"
                               " ORDER BY name");
  if (!p) {
    json_decref(pUsers);
    return E_DB;
  }
  while (db_step(p) == SQLITE_ROW) {
    json_array_append_new(
        pUsers, json_pack("{s:s, s:s, s:o, s:b}", "name", db_col_text(p, 0),
                          "role", db_col_text(p, 1), "created_at",
                          time_or_null(p, 2), "is_me",
                          r->zUser && strcmp(r->zUser, db_col_text(p, 0)) == 0));
  }
  db_reset(p);
  json_t *pTokens = json_array();
  p = db_prepare("SELECT name, scope, created_at, last_used_at, revoked_at"
                 " FROM api_tokens ORDER BY revoked_at IS NOT NULL, name");
  if (p) {
    while (db_step(p) == SQLITE_ROW) {
      json_array_append_new(
          pTokens, json_pack("{s:s, s:s, s:o, s:o, s:o}", "name",
                             db_col_text(p, 0), "scope", db_col_text(p, 1),
                             "created_at", time_or_null(p, 2), "last_used_at",
                             time_or_null(p, 3), "revoked_at",
                             time_or_null(p, 4)));
    }
    db_reset(p);
  }
  r->pModel = json_pack("{s:o, s:o}", "users", pUsers, "tokens", pTokens);
  r->pView = json_pack("{s:[s, s, s], s:[s, s, s]}", "roles", "admin",
                       "editor", "viewer", "scopes", "read", "write",
                       "ingest");
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
