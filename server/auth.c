/*
** auth.c: who is asking, and proving it.
**
** Passwords: yescrypt through libcrypt, salt from the library's own
** getrandom(). Sessions: a 256-bit random token in an HttpOnly SameSite=Lax
** cookie; the database keeps only its SHA-256, with a per-session CSRF
** token and an absolute expiry. A new token at every login; logout and a
** password change delete sessions on the server. API tokens: random, shown
** once, stored as SHA-256, scoped ingest/write/read.
**
** Login throttle: AUTH_MAX_FAILS failures per account per hour, then the
** account refuses logins (same generic message) until the window ends (a
** name nobody has is refused the same way after as many failures); and
** THROTTLE_MAX_FAILS failures per client address (an IPv6 client by its
** /64) in THROTTLE_WINDOW_MS, then that address gets 429 for any account,
** before its password is even checked.
**
** Threading: no shared state here; each call uses its thread's connection.
** The per-address counts live in throttle.c behind its mutex.
*/
#include "auth.h"

#include <arpa/inet.h>
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "audit.h"
#include "db.h"
#include "err.h"
#include "sha256.h"
#include "throttle.h"
#include "utc.h"

#define SESSION_COOKIE "hs_session"
#define SESSION_COOKIE_TLS "__Host-hs_session"
#define LOGIN_COOKIE "hs_login"

void auth_random_hex(char *z, size_t nBytes) {
  unsigned char a[64];
  static const char azHex[] = "0123456789abcdef";
  if (nBytes > sizeof(a)) {
    nBytes = sizeof(a);
  }
  size_t nGot = 0;
  while (nGot < nBytes) {
    ssize_t n = getrandom(a + nGot, nBytes - nGot, 0);
    if (n <= 0) {
      /* No entropy means no safe tokens at all: stop, do not degrade. */
      perror("hindsight: getrandom");
      abort();
    }
    nGot += (size_t)n;
  }
  for (size_t i = 0; i < nBytes; i++) {
    z[2 * i] = azHex[a[i] >> 4];
    z[2 * i + 1] = azHex[a[i] & 15];
  }
  z[2 * nBytes] = 0;
}

int auth_equal(const char *zA, const char *zB) {
  if (!zA || !zB) {
    return 0;
  }
  size_t nA = strlen(zA), nB = strlen(zB);
  unsigned diff = (unsigned)(nA ^ nB);
  for (size_t i = 0; i < nA && i < nB; i++) {
    diff |= (unsigned char)(zA[i] ^ zB[i]);
  }
  return diff == 0;
}

char *auth_hash_password(const char *zPw) {
  char zSetting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (!crypt_gensalt_rn("$y$", 0, NULL, 0, zSetting, sizeof(zSetting))) {
    return NULL;
  }
  struct crypt_data *pData = xcalloc(1, sizeof(*pData));
  const char *zHash = crypt_r(zPw, zSetting, pData);
  char *zOut = zHash && zHash[0] == '$' ? xstrdup(zHash) : NULL;
  free(pData);
  return zOut;
}

int auth_verify_password(const char *zPw, const char *zHash) {
  struct crypt_data *pData = xcalloc(1, sizeof(*pData));
  const char *zGot = crypt_r(zPw, zHash, pData);
  int bOk = zGot && zGot[0] == '$' && auth_equal(zGot, zHash);
  free(pData);
  return bOk;
}

/* Identification ------------------------------------------------------- */

static int identify_token(Req *r, const char *zToken) {
  char zHash[65];
  sha256_hex(zToken, strlen(zToken), zHash);
  DbStmt *p = db_prepare(
      "SELECT name, scope, coalesce(last_used_at, 0) FROM api_tokens"
      " WHERE token_hash = :hash AND revoked_at IS NULL");
  if (!p) {
    return E_DB;
  }
  db_bind_text(p, ":hash", zHash);
  int rc = db_step(p);
  if (rc != DB_ROW) {
    db_reset(p);
    return rc == DB_DONE ? req_fail(r, E_AUTH, "invalid API token")
                             : E_DB;
  }
  r->zUser = arena_strdup(&r->arena, db_col_text(p, 0));
  r->zScope = arena_strdup(&r->arena, db_col_text(p, 1));
  int64_t tUsed = db_col_int(p, 2);
  db_reset(p);
  r->bToken = 1;
  r->role = strcmp(r->zScope, "read") == 0 ? ROLE_VIEWER : ROLE_EDITOR;
  int64_t now = utc_now_ms();
  if (now - tUsed > 60000 && !db_read_only()) {
    /* Coarse on purpose: one write a minute per token, not per request.
    ** A read-only server cannot keep it, so it does not try (and log). */
    p = db_prepare("UPDATE api_tokens SET last_used_at = :now"
                   " WHERE token_hash = :hash");
    if (p) {
      db_bind_int(p, ":now", now);
      db_bind_text(p, ":hash", zHash);
      db_run(p);
    }
  }
  return 0;
}

static const char *session_cookie_name(Req *r) {
  return req_is_tls(r) ? SESSION_COOKIE_TLS : SESSION_COOKIE;
}

int auth_identify(Req *r) {
  r->role = ROLE_NONE;
  int bApi = strncmp(r->zPath, "/api/", 5) == 0 ||
             strncmp(r->zPath, "/hooks/", 7) == 0 ||
             strncmp(r->zPath, "/loki/", 6) == 0 ||
             strcmp(r->zPath, "/v1/logs") == 0;
  const char *zAuthz = req_header(r, "Authorization");
  if (zAuthz && bApi) {
    if (strncmp(zAuthz, "Bearer ", 7) != 0 || strlen(zAuthz) > 200) {
      return req_fail(r, E_AUTH, "use Authorization: Bearer TOKEN");
    }
    return identify_token(r, zAuthz + 7);
  }
  const char *zCookie = req_cookie(r, session_cookie_name(r));
  if (!zCookie || strlen(zCookie) != 64) {
    return 0;
  }
  char zHash[65];
  sha256_hex(zCookie, 64, zHash);
  DbStmt *p = db_prepare(
      "SELECT u.id, u.name, u.role, s.csrf FROM sessions s"
      " JOIN users u ON u.id = s.user_id"
      " WHERE s.token_hash = :hash AND s.expires_at > :now");
  if (!p) {
    return E_DB;
  }
  db_bind_text(p, ":hash", zHash);
  db_bind_int(p, ":now", utc_now_ms());
  int rc = db_step(p);
  if (rc == DB_ROW) {
    r->userId = db_col_int(p, 0);
    r->zUser = arena_strdup(&r->arena, db_col_text(p, 1));
    r->role = role_from_name(db_col_text(p, 2));
    r->zCsrf = arena_strdup(&r->arena, db_col_text(p, 3));
    r->zSessionHash = arena_strdup(&r->arena, zHash);
  }
  db_reset(p);
  return rc == DB_ROW || rc == DB_DONE ? 0 : E_DB;
}

int auth_check_csrf(Req *r) {
  const char *zGiven = req_header(r, "X-CSRF-Token");
  if (!zGiven && r->pForm) {
    zGiven = json_string_value(json_object_get(r->pForm, "csrf_token"));
  }
  if (!zGiven || !auth_equal(zGiven, r->zCsrf)) {
    return req_fail(r, E_FORBIDDEN,
                    "missing or wrong CSRF token; reload the page and retry");
  }
  return 0;
}

/* Users ---------------------------------------------------------------- */

static int name_valid(const char *z) {
  size_t n = strlen(z);
  if (n == 0 || n > 64) {
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    char c = z[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
          c == '@')) {
      return 0;
    }
  }
  return 1;
}

/* Steps p, a bound write with "RETURNING id" (and optionally a second
** column, put into pRow under zCol), then logs the change; all inside one
** transaction. pRow (TAKES) describes the record: it is the change's
** "after", or its "before" when zAction is "delete" or "revoke". 0,
** E_NOTFOUND when p changed no row, E_CONFLICT, or E_DB. */
static int write_logged(DbStmt *p, const char *zEntity,
                        const char *zAction, const char *zCol, json_t *pRow,
                        const char *zActor) {
  int rc = p ? db_begin_write() : E_DB;
  if (rc) {
    db_reset(p);
    json_decref(pRow);
    return rc;
  }
  int step = db_step(p);
  int64_t id = step == DB_ROW ? db_col_int(p, 0) : 0;
  if (step == DB_ROW && zCol) {
    json_object_set_new(pRow, zCol, json_string(db_col_text(p, 1)));
  }
  db_reset(p);
  if (step == DB_ROW) {
    int bGone = strcmp(zAction, "delete") == 0 ||
                strcmp(zAction, "revoke") == 0;
    rc = audit_log(zEntity, id, zActor, zAction, bGone ? pRow : NULL,
                   bGone ? NULL : pRow);
  } else if (step == DB_DONE) {
    rc = E_NOTFOUND;
  } else {
    rc = step == DB_CONSTRAINT ? E_CONFLICT : E_DB;
  }
  rc = rc == 0 ? db_commit() : rc;
  if (rc) {
    db_rollback();
  }
  json_decref(pRow);
  return rc;
}

int auth_user_add(const char *zName, const char *zRole, const char *zPw,
                  const char *zActor) {
  if (!name_valid(zName) || !role_from_name(zRole) || strlen(zPw) < 12 ||
      strlen(zPw) > 1024) {
    return E_INVALID;
  }
  /* Hashed before the transaction: it takes tens of milliseconds. */
  char *zHash = auth_hash_password(zPw);
  if (!zHash) {
    return E_DB;
  }
  DbStmt *p = db_prepare(
      "INSERT INTO users (name, role, pw_hash, created_at, pw_changed_at)"
      " VALUES (:name, :role, :hash, :now, :now) RETURNING id");
  if (p) {
    db_bind_text(p, ":name", zName);
    db_bind_text(p, ":role", zRole);
    db_bind_text(p, ":hash", zHash);
    db_bind_int(p, ":now", utc_now_ms());
  }
  int rc = write_logged(p, "user", "create", NULL,
                        json_pack("{s:s, s:s}", "name", zName, "role", zRole),
                        zActor);
  free(zHash);
  return rc;
}

int auth_user_passwd(const char *zName, const char *zPw, const char *zActor) {
  if (strlen(zPw) < 12 || strlen(zPw) > 1024) {
    return E_INVALID;
  }
  char *zHash = auth_hash_password(zPw);
  if (!zHash) {
    return E_DB;
  }
  int rc = db_begin_write();
  DbStmt *p = NULL;
  int64_t id = 0;
  if (rc == 0) {
    p = db_prepare("UPDATE users SET pw_hash = :hash, pw_changed_at = :now,"
                   " failed_logins = 0 WHERE name = :name RETURNING id");
    rc = p ? 0 : E_DB;
  }
  if (rc == 0) {
    db_bind_text(p, ":hash", zHash);
    db_bind_int(p, ":now", utc_now_ms());
    db_bind_text(p, ":name", zName);
    int step = db_step(p);
    id = step == DB_ROW ? db_col_int(p, 0) : 0;
    db_reset(p);
    rc = step == DB_ROW ? 0 : step == DB_DONE ? E_NOTFOUND : E_DB;
  }
  if (rc == 0) {
    /* A new password ends every session, on every device. */
    rc = db_run_id("DELETE FROM sessions WHERE user_id = :id", id);
  }
  if (rc == 0) {
    json_t *pAfter = json_pack("{s:s, s:b}", "name", zName,
                               "password_changed", 1);
    rc = audit_log("user", id, zActor, "update", NULL, pAfter);
    json_decref(pAfter);
  }
  rc = rc == 0 ? db_commit() : rc;
  if (rc) {
    db_rollback();
  }
  free(zHash);
  return rc;
}

int auth_user_del(const char *zName, const char *zActor) {
  DbStmt *p = db_prepare(
      "DELETE FROM users WHERE name = :name RETURNING id, role");
  if (p) {
    db_bind_text(p, ":name", zName);
  }
  return write_logged(p, "user", "delete", "role",
                      json_pack("{s:s}", "name", zName), zActor);
}

int auth_user_count(void) {
  DbStmt *p = db_prepare("SELECT count(*) FROM users");
  if (!p) {
    return E_DB;
  }
  int n = db_step(p) == DB_ROW ? (int)db_col_int(p, 0) : E_DB;
  db_reset(p);
  return n;
}

int auth_token_add(const char *zName, const char *zScope, char zToken[80],
                   const char *zActor) {
  if (!name_valid(zName) ||
      (strcmp(zScope, "ingest") && strcmp(zScope, "write") &&
       strcmp(zScope, "read"))) {
    return E_INVALID;
  }
  char zRandom[65];
  auth_random_hex(zRandom, 32);
  snprintf(zToken, 80, "hs_%s", zRandom);
  char zHash[65];
  sha256_hex(zToken, strlen(zToken), zHash);
  DbStmt *p = db_prepare(
      "INSERT INTO api_tokens (name, scope, token_hash, created_at)"
      " VALUES (:name, :scope, :hash, :now) RETURNING id");
  if (p) {
    db_bind_text(p, ":name", zName);
    db_bind_text(p, ":scope", zScope);
    db_bind_text(p, ":hash", zHash);
    db_bind_int(p, ":now", utc_now_ms());
  }
  return write_logged(
      p, "token", "create", NULL,
      json_pack("{s:s, s:s}", "name", zName, "scope", zScope), zActor);
}

int auth_token_revoke(const char *zName, const char *zActor) {
  DbStmt *p = db_prepare("UPDATE api_tokens SET revoked_at = :now"
                               " WHERE name = :name AND revoked_at IS NULL"
                               " RETURNING id, scope");
  if (p) {
    db_bind_int(p, ":now", utc_now_ms());
    db_bind_text(p, ":name", zName);
  }
  return write_logged(p, "token", "revoke", "scope",
                      json_pack("{s:s}", "name", zName), zActor);
}

/* Login and logout ----------------------------------------------------- */

/* Only same-site paths: "/x", never "//host" or "/\host". */
static const char *safe_next(const char *zNext) {
  if (!zNext || zNext[0] != '/' || zNext[1] == '/' || zNext[1] == '\\' ||
      strlen(zNext) > 512) {
    return "/app/incidents";
  }
  for (const char *p = zNext; *p; p++) {
    if ((unsigned char)*p < 0x20 || *p == '\\') {
      return "/app/incidents";
    }
  }
  return zNext;
}

static void login_form(Req *r, const char *zNext, const char *zError,
                       const char *zName) {
  char zToken[65];
  auth_random_hex(zToken, 32);
  Buf cookie;
  buf_init(&cookie, 256);
  buf_printf(&cookie, LOGIN_COOKIE "=%s; Path=/login; HttpOnly; "
                                   "SameSite=Strict; Max-Age=3600%s",
             zToken, req_is_tls(r) ? "; Secure" : "");
  req_set_cookie(r, buf_str(&cookie));
  buf_free(&cookie);
  r->pModel = json_pack("{s:s, s:s}", "next", safe_next(zNext), "login_csrf",
                        zToken);
  if (zError) {
    json_object_set_new(r->pModel, "error", json_string(zError));
  }
  if (zName) {
    json_object_set_new(r->pModel, "username", json_string(zName));
  }
  r->zTemplate = "login";
  r->zTitle = "Log in";
}

int auth_login_page(Req *r) {
  login_form(r, req_query(r, "next"), NULL, NULL);
  return 0;
}

/* Counts a failure; returns 1 if the account is over its limit. */
static int login_throttled(const char *zName, int bFailed) {
  int64_t now = utc_now_ms();
  DbStmt *p = db_prepare(
      "UPDATE users SET"
      " failed_logins = CASE WHEN failed_since < :window"
      "   THEN :inc ELSE failed_logins + :inc END,"
      " failed_since = CASE WHEN failed_since < :window"
      "   THEN :now ELSE failed_since END"
      " WHERE name = :name RETURNING failed_logins");
  if (!p) {
    return 1;
  }
  db_bind_int(p, ":window", now - AUTH_FAIL_WINDOW_MS);
  db_bind_int(p, ":inc", bFailed ? 1 : 0);
  db_bind_int(p, ":now", now);
  db_bind_text(p, ":name", zName);
  int n = db_step(p) == DB_ROW ? (int)db_col_int(p, 0) : 0;
  db_reset(p);
  return n >= AUTH_MAX_FAILS;
}

/* The throttle key for the client: its address, or for IPv6 its /64,
** since one host usually holds a whole /64. Written into zOut. */
static void client_key(Req *r, char zOut[INET6_ADDRSTRLEN]) {
  const char *zIp = req_client_ip(r);
  struct in6_addr a6;
  if (strchr(zIp, ':') && strncmp(zIp, "::ffff:", 7) != 0 &&
      inet_pton(AF_INET6, zIp, &a6) == 1) {
    memset(a6.s6_addr + 8, 0, 8);
    if (inet_ntop(AF_INET6, &a6, zOut, INET6_ADDRSTRLEN)) {
      return;
    }
  }
  snprintf(zOut, INET6_ADDRSTRLEN, "%s", zIp);
}

static int start_session(Req *r, int64_t userId) {
  char zToken[65], zHash[65], zCsrf[65];
  auth_random_hex(zToken, 32);
  auth_random_hex(zCsrf, 32);
  sha256_hex(zToken, 64, zHash);
  int64_t now = utc_now_ms();
  int rc = db_begin_write();
  if (rc) {
    return rc;
  }
  DbStmt *p;
  if (r->zSessionHash) {
    /* Rotate: the session the browser brought (maybe planted) ends. */
    p = db_prepare("DELETE FROM sessions WHERE token_hash = :hash");
    if (p) {
      db_bind_text(p, ":hash", r->zSessionHash);
      db_run(p);
    }
  }
  p = db_prepare("DELETE FROM sessions WHERE expires_at <= :now");
  if (p) {
    db_bind_int(p, ":now", now);
    db_run(p);
  }
  p = db_prepare("INSERT INTO sessions"
                 " (token_hash, user_id, csrf, created_at, expires_at,"
                 "  seen_at) VALUES (:hash, :user, :csrf, :now, :exp, :now)");
  rc = E_DB;
  if (p) {
    db_bind_text(p, ":hash", zHash);
    db_bind_int(p, ":user", userId);
    db_bind_text(p, ":csrf", zCsrf);
    db_bind_int(p, ":now", now);
    db_bind_int(p, ":exp", now + AUTH_SESSION_TTL_MS);
    rc = db_run(p);
  }
  rc = rc == 0 ? db_commit() : rc;
  if (rc) {
    db_rollback();
    return rc;
  }
  Buf cookie;
  buf_init(&cookie, 512);
  buf_printf(&cookie, "%s=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=%lld%s",
             session_cookie_name(r), zToken,
             (long long)(AUTH_SESSION_TTL_MS / 1000),
             req_is_tls(r) ? "; Secure" : "");
  req_set_cookie(r, buf_str(&cookie));
  buf_free(&cookie);
  req_set_cookie(r, LOGIN_COOKIE "=; Path=/login; HttpOnly; SameSite=Strict; "
                                 "Max-Age=0");
  return 0;
}

int auth_login_post(Req *r) {
  json_t *pIn = NULL;
  int rcIn = req_input(r, &pIn);
  if (rcIn) {
    return rcIn;
  }
  const char *zName = json_string_value(json_object_get(pIn, "username"));
  const char *zPw = json_string_value(json_object_get(pIn, "password"));
  const char *zNext = json_string_value(json_object_get(pIn, "next"));
  const char *zToken = json_string_value(json_object_get(pIn, "csrf_token"));
  if (!auth_equal(zToken, req_cookie(r, LOGIN_COOKIE))) {
    return req_fail(r, E_FORBIDDEN,
                    "the login form expired; reload the page and retry");
  }
  int rc = auth_identify(r);
  if (rc) {
    return rc;
  }
  if (!zName || !zPw || strlen(zName) > 64 || strlen(zPw) > 1024) {
    login_form(r, zNext, "Enter a username and password.", zName);
    r->status = 400;
    return 0;
  }
  char zClient[INET6_ADDRSTRLEN];
  client_key(r, zClient);
  if (throttle_blocked(zClient, utc_now_ms())) {
    fprintf(stderr, "req=%lu login refused: too many failures from %s\n",
            r->id, zClient);
    login_form(r, zNext, "Too many failed attempts. Try again later.",
               zName);
    r->status = 429;
    return 0;
  }
  DbStmt *p = db_prepare("SELECT id, pw_hash FROM users"
                               " WHERE name = :name");
  if (!p) {
    return E_DB;
  }
  db_bind_text(p, ":name", zName);
  int64_t userId = 0;
  char *zHash = NULL;
  if (db_step(p) == DB_ROW) {
    userId = db_col_int(p, 0);
    zHash = xstrdup(db_col_text(p, 1));
  }
  db_reset(p);
  /* Unknown names cost the same time as wrong passwords. */
  int bOk = auth_verify_password(
      zPw, zHash ? zHash
                 : "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9"
                   "SqC.5i5rd.RhAtQ7");
  free(zHash);
  /* A name nobody has is locked out after as many failures as an
  ** account, counted in memory: the answers do not tell them apart. */
  char zNameKey[80];
  snprintf(zNameKey, sizeof(zNameKey), "name:%s", zName);
  int bThrottled =
      userId ? login_throttled(zName, !bOk)
             : throttle_fail_window(zNameKey, utc_now_ms(),
                                    AUTH_FAIL_WINDOW_MS) >= AUTH_MAX_FAILS;
  if (!bOk || !userId || bThrottled) {
    throttle_fail(zClient, utc_now_ms());
    fprintf(stderr, "req=%lu login failed for %s%s\n", r->id,
            userId ? "a known user" : "an unknown user",
            bThrottled ? " (throttled)" : "");
    login_form(r, zNext,
               bThrottled ? "Too many failed attempts for this account. "
                            "Try again later."
                          : "Invalid username or password.",
               zName);
    r->status = bThrottled ? 429 : 401;
    return 0;
  }
  rc = start_session(r, userId);
  if (rc) {
    return rc;
  }
  r->zRedirect = safe_next(zNext);
  return 0;
}

int auth_logout(Req *r) {
  DbStmt *p = db_prepare("DELETE FROM sessions WHERE token_hash = :h");
  if (!p) {
    return E_DB;
  }
  db_bind_text(p, ":h", r->zSessionHash);
  int rc = db_run(p);
  if (rc) {
    return rc;
  }
  Buf cookie;
  buf_init(&cookie, 256);
  buf_printf(&cookie, "%s=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0%s",
             session_cookie_name(r), req_is_tls(r) ? "; Secure" : "");
  req_set_cookie(r, buf_str(&cookie));
  buf_free(&cookie);
  r->zRedirect = "/login";
  return 0;
}

/* CLI ------------------------------------------------------------------ */

/* Reads one line from stdin without its newline. NEW or NULL. */
static char *read_password_line(void) {
  char *zLine = NULL;
  size_t nAlloc = 0;
  ssize_t n = getline(&zLine, &nAlloc, stdin);
  if (n <= 0) {
    free(zLine);
    return NULL;
  }
  while (n > 0 && (zLine[n - 1] == '\n' || zLine[n - 1] == '\r')) {
    zLine[--n] = 0;
  }
  return zLine;
}

static const char *zUserUsage =
    "usage: hindsight user add NAME --role admin|editor|viewer"
    " (password on stdin)\n"
    "       hindsight user list | passwd NAME | del NAME\n";

static int user_list(void) {
  DbStmt *p =
      db_prepare("SELECT name, role, created_at FROM users ORDER BY name");
  if (!p) {
    return 1;
  }
  while (db_step(p) == DB_ROW) {
    char zTime[25];
    utc_format(db_col_int(p, 2), zTime);
    printf("%-24s %-7s %s\n", db_col_text(p, 0), db_col_text(p, 1), zTime);
  }
  db_reset(p);
  return 0;
}

int auth_cli_user(int argc, char **argv) {
  if (argc < 1 || strcmp(argv[0], "--help") == 0) {
    fputs(zUserUsage, argc < 1 ? stderr : stdout);
    return argc < 1 ? 2 : 0;
  }
  const char *zSub = argv[0];
  if (strcmp(zSub, "list") == 0) {
    return user_list();
  }
  if (argc < 2) {
    fputs(zUserUsage, stderr);
    return 2;
  }
  const char *zName = argv[1];
  if (strcmp(zSub, "del") == 0) {
    int rc = auth_user_del(zName, "cli");
    if (rc) {
      fprintf(stderr, "hindsight: no user %s\n", zName);
    }
    return rc ? 1 : 0;
  }
  const char *zRole = NULL;
  if (strcmp(zSub, "add") == 0) {
    if (argc != 4 || strcmp(argv[2], "--role") != 0 ||
        !role_from_name(argv[3])) {
      fputs(zUserUsage, stderr);
      return 2;
    }
    zRole = argv[3];
  } else if (strcmp(zSub, "passwd") != 0 || argc != 2) {
    fputs(zUserUsage, stderr);
    return 2;
  }
  char *zPw = read_password_line();
  if (!zPw) {
    fprintf(stderr, "hindsight: give the password on stdin, one line\n");
    return 2;
  }
  int rc = zRole ? auth_user_add(zName, zRole, zPw, "cli")
                 : auth_user_passwd(zName, zPw, "cli");
  free(zPw);
  if (rc == E_INVALID) {
    fprintf(stderr, "hindsight: the name must be 1-64 of A-Z a-z 0-9 _ - . @"
                    " and the password 12 to 1024 characters\n");
    return 2;
  }
  if (rc == E_CONFLICT) {
    fprintf(stderr, "hindsight: user %s already exists\n", zName);
    return 1;
  }
  if (rc == E_NOTFOUND) {
    fprintf(stderr, "hindsight: no user %s\n", zName);
    return 1;
  }
  if (rc) {
    fprintf(stderr, "hindsight: could not save user %s\n", zName);
    return 1;
  }
  fprintf(stderr, "hindsight: user %s %s\n", zName,
          zRole ? "added" : "password changed; its sessions ended");
  return 0;
}

static const char *zTokenUsage =
    "usage: hindsight token add NAME --scope ingest|write|read\n"
    "       hindsight token list | revoke NAME\n";

int auth_cli_token(int argc, char **argv) {
  if (argc < 1 || strcmp(argv[0], "--help") == 0) {
    fputs(zTokenUsage, argc < 1 ? stderr : stdout);
    return argc < 1 ? 2 : 0;
  }
  if (strcmp(argv[0], "list") == 0) {
    DbStmt *p = db_prepare(
        "SELECT name, scope, created_at, revoked_at IS NOT NULL"
        " FROM api_tokens ORDER BY name");
    if (!p) {
      return 1;
    }
    while (db_step(p) == DB_ROW) {
      char zTime[25];
      utc_format(db_col_int(p, 2), zTime);
      printf("%-24s %-6s %s%s\n", db_col_text(p, 0), db_col_text(p, 1),
             zTime, db_col_int(p, 3) ? " revoked" : "");
    }
    db_reset(p);
    return 0;
  }
  if (strcmp(argv[0], "revoke") == 0 && argc == 2) {
    int rc = auth_token_revoke(argv[1], "cli");
    if (rc) {
      fprintf(stderr, "hindsight: no active token %s\n", argv[1]);
    }
    return rc ? 1 : 0;
  }
  if (strcmp(argv[0], "add") == 0 && argc == 4 &&
      strcmp(argv[2], "--scope") == 0) {
    char zToken[80];
    int rc = auth_token_add(argv[1], argv[3], zToken, "cli");
    if (rc == E_INVALID) {
      fputs(zTokenUsage, stderr);
      return 2;
    }
    if (rc) {
      fprintf(stderr, "hindsight: could not add token %s%s\n", argv[1],
              rc == E_CONFLICT ? " (the name is taken)" : "");
      return 1;
    }
    printf("%s\n", zToken);
    return 0;
  }
  fputs(zTokenUsage, stderr);
  return 2;
}
