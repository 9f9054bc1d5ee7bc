/*
** request_key.c: idempotent create requests (see request_key.h).
*/
#include "request_key.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "err.h"
#include "sha256.h"
#include "utc.h"

/* How long a key is remembered: far past any client's retries. */
#define REQUEST_KEY_TTL_MS (24 * 3600 * 1000LL)

int request_key_valid(const char *z) {
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

void request_key_hash(const char *zScope, json_t *pIn, char zHash[65]) {
  json_t *pFields = json_copy(pIn);
  json_object_del(pFields, "csrf_token");
  json_object_del(pFields, "request_key");
  /* Sorted keys: the same fields hash the same in any order. */
  char *zFields = json_dumps(pFields, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(pFields);
  Buf b;
  buf_init(&b, BUF_DEFAULT_MAX);
  buf_printf(&b, "%s\n%s", zScope, zFields ? zFields : "");
  free(zFields);
  sha256_hex(b.z, b.n, zHash);
  buf_free(&b);
}

int request_key_find(const char *zActor, const char *zKey,
                     const char *zScope, const char *zHash, int64_t *pId) {
  DbStmt *p = db_prepare("SELECT ref_id FROM request_keys WHERE actor = :a"
                         " AND key = :k AND scope = :s AND req_hash = :h"
                         " AND created_at >= :old");
  if (!p) {
    return E_DB;
  }
  db_bind_text(p, ":a", zActor);
  db_bind_text(p, ":k", zKey);
  db_bind_text(p, ":s", zScope);
  db_bind_text(p, ":h", zHash);
  db_bind_int(p, ":old", utc_now_ms() - REQUEST_KEY_TTL_MS);
  int rc = db_step(p);
  if (rc == DB_ROW) {
    *pId = db_col_int(p, 0);
  }
  db_reset(p);
  return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : E_DB;
}

int request_key_save(const char *zActor, const char *zKey,
                     const char *zScope, const char *zHash, int64_t id) {
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
  db_bind_text(p, ":a", zActor);
  db_bind_text(p, ":k", zKey);
  db_bind_text(p, ":s", zScope);
  db_bind_text(p, ":h", zHash);
  db_bind_int(p, ":id", id);
  db_bind_int(p, ":now", now);
  return db_run(p);
}
