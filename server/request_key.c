/*
** request_key.c: idempotent create requests (see request_key.h).
*/
#include "request_key.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "buf.h"
#include "db.h"
#include "err.h"
#include "input.h"
#include "sha256.h"
#include "utc.h"

/* How long a key is remembered: far past any client's retries. */
#define REQUEST_KEY_TTL_MS (24 * 3600 * 1000LL)
#define KEY_RULE "1 to 100 letters, digits, '.', '_', ':' or '-'"

static int key_valid(const char *z) {
  size_t n = strlen(z);
  if (n == 0 || n > REQUEST_KEY_MAX) {
    return 0;
  }
  for (const char *p = z; *p; p++) {
    char c = *p;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
          c == '-')) {
      return 0;
    }
  }
  return 1;
}

json_t *request_key_new(void) {
  char z[33];
  auth_random_hex(z, 16);
  return json_string(z);
}

int request_key_header(Req *r, json_t *pIn) {
  const char *z = req_header(r, "Idempotency-Key");
  if (!z) {
    return 0;
  }
  if (!key_valid(z)) {
    return req_fail(r, E_INVALID, "Idempotency-Key: " KEY_RULE);
  }
  if (!json_object_get(pIn, "request_key")) {
    json_object_set_new(pIn, "request_key", json_string(z));
  }
  return 0;
}

int request_key_read(json_t *pIn, const char *zScope, RequestKey *pKey,
                     char *zErr, size_t nErr) {
  pKey->zKey[0] = 0;
  snprintf(pKey->zScope, sizeof(pKey->zScope), "%s", zScope);
  const char *z = "";
  int rc = in_string(pIn, "request_key", REQUEST_KEY_MAX, 1, &z, NULL, zErr,
                     nErr);
  if (rc == 0 && *z && !key_valid(z)) {
    snprintf(zErr, nErr, "request_key: " KEY_RULE);
    rc = E_INVALID;
  }
  if (rc == 0) {
    snprintf(pKey->zKey, sizeof(pKey->zKey), "%s", z);
    json_object_del(pIn, "request_key");
  }
  if (rc || !pKey->zKey[0]) {
    return rc;
  }
  /* The fields but the form's token, keys sorted: the same request
  ** hashes the same in any field order. */
  json_t *pFields = json_copy(pIn);
  json_object_del(pFields, "csrf_token");
  char *zFields = json_dumps(pFields, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(pFields);
  Buf b;
  buf_init(&b, BUF_DEFAULT_MAX);
  buf_printf(&b, "%s\n%s", zScope, zFields ? zFields : "");
  free(zFields);
  sha256_hex(b.z, b.n, pKey->zHash);
  buf_free(&b);
  return 0;
}

/* Binds the key's :a, :k, :s and :h. */
static void bind_key(DbStmt *p, const char *zActor, const RequestKey *pKey) {
  db_bind_text(p, ":a", zActor);
  db_bind_text(p, ":k", pKey->zKey);
  db_bind_text(p, ":s", pKey->zScope);
  db_bind_text(p, ":h", pKey->zHash);
}

int request_key_find(const char *zActor, const RequestKey *pKey,
                     int64_t *pId) {
  if (!*pKey->zKey) {
    return 0;
  }
  DbStmt *p = db_prepare("SELECT ref_id FROM request_keys WHERE actor = :a"
                         " AND key = :k AND scope = :s AND req_hash = :h"
                         " AND created_at >= :old");
  if (!p) {
    return E_DB;
  }
  bind_key(p, zActor, pKey);
  db_bind_int(p, ":old", utc_now_ms() - REQUEST_KEY_TTL_MS);
  int rc = db_step(p);
  if (rc == DB_ROW) {
    *pId = db_col_int(p, 0);
  }
  db_reset(p);
  return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : E_DB;
}

int request_key_save(const char *zActor, const RequestKey *pKey, int64_t id) {
  if (!*pKey->zKey) {
    return 0;
  }
  int64_t now = utc_now_ms();
  DbStmt *d = db_prepare("DELETE FROM request_keys WHERE created_at < :old");
  if (!d) {
    return E_DB;
  }
  db_bind_int(d, ":old", now - REQUEST_KEY_TTL_MS);
  int rc = db_run(d);
  DbStmt *p = rc ? NULL
                 : db_prepare(
                       "INSERT INTO request_keys (actor, key, scope, req_hash,"
                       " ref_id, created_at) VALUES (:a, :k, :s, :h, :id, :now)"
                       " ON CONFLICT (actor, key) DO UPDATE SET scope = :s,"
                       " req_hash = :h, ref_id = :id, created_at = :now");
  if (!p) {
    return E_DB;
  }
  bind_key(p, zActor, pKey);
  db_bind_int(p, ":id", id);
  db_bind_int(p, ":now", now);
  return db_run(p);
}
