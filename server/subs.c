/*
** subs.c: subscribers and what they see. The public pages (subscribe with
** double opt-in, confirm, unsubscribe with RFC 8058 one-click), the admin
** list with each message's outbox state, per-component feeds, and the
** queue hooks update.c, maintenance.c and component.c call inside their
** transactions.
**
** It never talks to the network: a confirmation is written to the outbox
** (already rendered, since only this request knows the raw token) and
** outbox.c's worker sends it. A webhook host is checked here only as far
** as its text goes (loopback and private literals, "localhost"); what a
** name resolves to is checked by the worker at connect time.
**
** Tokens: the confirm token is random and stored as its SHA-256; the
** unsubscribe token is HMAC(secret, "unsubscribe"), stored as its SHA-256
** too, and recomputed by the worker for each message from the secret.
**
** Threading: none of its own; uses the calling thread's connection.
*/
#include "subs.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "assets.h"
#include "auth.h"
#include "db.h"
#include "dbjson.h"
#include "err.h"
#include "hmac.h"
#include "input.h"
#include "md.h"
#include "outbox.h"
#include "settings.h"
#include "sha256.h"
#include "statusapi.h"
#include "utc.h"

#define SUBS_CSRF_COOKIE "hs_sub_csrf"
#define SUBS_CONFIRM_TTL_MS (24LL * 3600 * 1000)
#define SUBS_RATE_MAX 5                     /* subscribe attempts... */
#define SUBS_RATE_WINDOW_MS (3600LL * 1000) /* ...per address per hour */
#define SUBS_ADDRESS_MAX 2000
#define SUBS_COMPONENTS_MAX 200
#define FEED_MAX 50 /* entries in a component feed */

void subs_unsubscribe_token(const char *zSecret, char zTok[65]) {
  hmac_sha256_hex(zSecret, strlen(zSecret), "unsubscribe", 11, zTok);
}

/* Validation ------------------------------------------------------------ */

/* A plain e-mail address: local@domain, printable ASCII without the
** characters that would need quoting, a dotted domain of letters, digits
** and hyphens. Nothing that could break a mail header. */
static int email_ok(const char *z) {
  size_t n = strlen(z);
  const char *zAt = strchr(z, '@');
  if (n < 3 || n > 254 || !zAt || zAt == z || strchr(zAt + 1, '@')) {
    return 0;
  }
  for (const char *p = z; p < zAt; p++) {
    unsigned char c = (unsigned char)*p;
    if (c <= 0x20 || c >= 0x7f || strchr("<>()[]\\,;:\"", c)) {
      return 0;
    }
  }
  const char *zDom = zAt + 1;
  if (!strchr(zDom, '.') || zDom[0] == '.' || zDom[0] == '-' ||
      zDom[strlen(zDom) - 1] == '.') {
    return 0;
  }
  for (const char *p = zDom; *p; p++) {
    char c = *p;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '-' || c == '.')) {
      return 0;
    }
  }
  return 1;
}

/* Whether an IPv4 address (network order bytes) is loopback, private,
** link-local, CGNAT, "this network", multicast or reserved. */
static int ipv4_private(const unsigned char *a) {
  return a[0] == 0 || a[0] == 10 || a[0] == 127 || a[0] >= 224 ||
         (a[0] == 169 && a[1] == 254) || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
         (a[0] == 192 && a[1] == 168) || (a[0] == 100 && (a[1] & 0xc0) == 64);
}

/* The same for IPv6: unspecified, loopback, unique local, link-local,
** multicast, and IPv4-mapped private addresses. */
static int ipv6_private(const unsigned char *a) {
  static const unsigned char aZero[16] = {0};
  static const unsigned char aMapped[12] = {0, 0, 0, 0, 0,    0,
                                            0, 0, 0, 0, 0xff, 0xff};
  if (memcmp(a, aZero, 15) == 0 && (a[15] == 0 || a[15] == 1)) {
    return 1;
  }
  if (memcmp(a, aMapped, 12) == 0) {
    return ipv4_private(a + 12);
  }
  return (a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||
         a[0] == 0xff;
}

/* Checks a webhook URL: http or https, a host, no credentials, no
** whitespace or control characters. Unless bPrivateOk, a host that is
** "localhost", a private or loopback literal, or a number that is not a
** dotted quad (resolvers read "2130706433" as 127.0.0.1) is refused.
** 0, or E_INVALID with zErr. */
static int url_ok(const char *z, int bPrivateOk, char *zErr, size_t nErr) {
  size_t n = strlen(z);
  const char *zHost = NULL;
  if (strncmp(z, "https://", 8) == 0) {
    zHost = z + 8;
  } else if (strncmp(z, "http://", 7) == 0) {
    zHost = z + 7;
  }
  if (!zHost || n > SUBS_ADDRESS_MAX) {
    snprintf(zErr, nErr,
             "address: a webhook URL starts with https:// or "
             "http://");
    return E_INVALID;
  }
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)z[i];
    if (c <= 0x20 || c >= 0x7f) {
      snprintf(zErr, nErr,
               "address: the URL must be printable ASCII with "
               "no spaces");
      return E_INVALID;
    }
  }
  size_t nAuth = strcspn(zHost, "/?#");
  char zAuth[300];
  if (nAuth == 0 || nAuth >= sizeof(zAuth)) {
    snprintf(zErr, nErr, "address: the URL has no host");
    return E_INVALID;
  }
  memcpy(zAuth, zHost, nAuth);
  zAuth[nAuth] = 0;
  if (strchr(zAuth, '@')) {
    snprintf(zErr, nErr, "address: credentials in the URL are not allowed");
    return E_INVALID;
  }
  char *zName = zAuth;
  if (zAuth[0] == '[') {
    char *zEnd = strchr(zAuth, ']');
    if (!zEnd) {
      snprintf(zErr, nErr, "address: bad IPv6 host");
      return E_INVALID;
    }
    *zEnd = 0;
    zName = zAuth + 1;
  } else {
    char *zColon = strchr(zAuth, ':');
    if (zColon) {
      *zColon = 0;
    }
  }
  for (char *p = zName; *p; p++) {
    if (*p >= 'A' && *p <= 'Z') {
      *p = (char)(*p - 'A' + 'a');
    }
  }
  if (!*zName) {
    snprintf(zErr, nErr, "address: the URL has no host");
    return E_INVALID;
  }
  if (bPrivateOk) {
    return 0;
  }
  unsigned char a[16];
  int bPrivate = 0;
  size_t nName = strlen(zName);
  if (inet_pton(AF_INET, zName, a) == 1) {
    bPrivate = ipv4_private(a);
  } else if (inet_pton(AF_INET6, zName, a) == 1) {
    bPrivate = ipv6_private(a);
  } else if (strcmp(zName, "localhost") == 0 ||
             (nName > 10 && strcmp(zName + nName - 10, ".localhost") == 0)) {
    bPrivate = 1;
  } else {
    /* A last label of digits (or 0x...) is an odd numeric form. */
    const char *zLast = strrchr(zName, '.');
    zLast = zLast ? zLast + 1 : zName;
    if (strspn(zLast, "0123456789") == strlen(zLast) ||
        strncmp(zLast, "0x", 2) == 0) {
      bPrivate = 1;
    }
  }
  if (bPrivate) {
    snprintf(zErr, nErr,
             "address: webhook URLs may not point at loopback "
             "or private addresses");
    return E_INVALID;
  }
  return 0;
}

/* Reads the chosen component ids ("component": a string or a list of
** strings or numbers). Fills aId; 0 or E_INVALID. */
static int read_components(json_t *pIn, int64_t *aId, int *pnId, char *zErr,
                           size_t nErr) {
  json_t *pVal = json_object_get(pIn, "component");
  json_t *pOne = NULL;
  int n = 0;
  if (!pVal) {
    pVal = json_object_get(pIn, "components");
  }
  if (!pVal || json_is_null(pVal)) {
    *pnId = 0;
    return 0;
  }
  if (!json_is_array(pVal)) {
    pOne = json_array();
    json_array_append(pOne, pVal);
    pVal = pOne;
  }
  size_t i;
  json_t *p;
  int rc = 0;
  json_array_foreach(pVal, i, p) {
    long long id = 0;
    if (json_is_integer(p)) {
      id = json_integer_value(p);
    } else if (json_is_string(p)) {
      const char *z = json_string_value(p);
      char *zEnd = NULL;
      id = strtoll(z, &zEnd, 10);
      if (!*z || *zEnd) {
        id = 0;
      }
    }
    if (id <= 0 || n >= SUBS_COMPONENTS_MAX) {
      snprintf(zErr, nErr, "component: must be component ids");
      rc = E_INVALID;
      break;
    }
    DbStmt *q = db_prepare("SELECT 1 FROM components WHERE id = :id");
    if (!q) {
      rc = E_DB;
      break;
    }
    db_bind_int(q, ":id", id);
    int bFound = db_step(q) == DB_ROW;
    db_reset(q);
    if (!bFound) {
      snprintf(zErr, nErr, "component: no component %lld", id);
      rc = E_INVALID;
      break;
    }
    aId[n++] = id;
  }
  json_decref(pOne);
  *pnId = n;
  return rc;
}

/* Pages ------------------------------------------------------------------ */

/* The model every public page here starts from (what public_layout
** needs). NEW. */
static json_t *public_model(const SpPage *pg) {
  return json_pack("{s:{s:s, s:s}, s:s, s:s, s:s}", "page", "name", pg->zName,
                   "url", pg->zUrl, "root", "/", "home", "", "ext", "");
}

static void public_page(Req *r, json_t *pM, const char *zTemplate,
                        const char *zTitle) {
  r->pModel = pM;
  r->zTemplate = zTemplate;
  r->zLayout = "public_layout";
  r->zTitle = zTitle;
}

/* The components to choose from. NEW array. */
static json_t *component_choices(void) {
  json_t *pList = json_array();
  DbStmt *p =
      db_prepare("SELECT id, name FROM components ORDER BY position, name");
  if (!p) {
    return pList;
  }
  while (db_step(p) == DB_ROW) {
    json_array_append_new(pList, json_pack("{s:I, s:s}", "id",
                                           (json_int_t)db_col_int(p, 0), "name",
                                           db_col_text(p, 1)));
  }
  db_reset(p);
  return pList;
}

/* The subscribe form with a fresh double-submit token (cookie + field). */
static void subscribe_form(Req *r, const char *zError, json_t *pIn) {
  SpPage pg;
  sp_page_load(&pg);
  char zToken[65];
  auth_random_hex(zToken, 32);
  Buf cookie;
  buf_init(&cookie, 256);
  buf_printf(&cookie,
             SUBS_CSRF_COOKIE "=%s; Path=/subscribe; HttpOnly; "
                              "SameSite=Strict; Max-Age=3600%s",
             zToken, req_is_tls(r) ? "; Secure" : "");
  req_set_cookie(r, buf_str(&cookie));
  buf_free(&cookie);
  json_t *pM = public_model(&pg);
  json_object_set_new(pM, "components", component_choices());
  json_object_set_new(pM, "subscribe_csrf", json_string(zToken));
  if (zError) {
    json_object_set_new(pM, "error", json_string(zError));
  }
  const char *zKind =
      pIn ? json_string_value(json_object_get(pIn, "kind")) : NULL;
  const char *zAddr =
      pIn ? json_string_value(json_object_get(pIn, "address")) : NULL;
  json_object_set_new(pM, "is_webhook",
                      json_boolean(zKind && strcmp(zKind, "webhook") == 0));
  if (zAddr) {
    json_object_set_new(pM, "address", json_string(zAddr));
  }
  public_page(r, pM, "subscribe", "Subscribe to updates");
}

int subs_page(Req *r) {
  subscribe_form(r, NULL, NULL);
  return 0;
}

/* Counts this attempt and says whether the address is over its limit.
** Inside the caller's transaction. */
static int rate_limited(const char *zAddress, int64_t now, int *pbLimited) {
  DbStmt *p = db_prepare("DELETE FROM subscribe_attempts"
                               " WHERE created_at < :old");
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":old", now - SUBS_RATE_WINDOW_MS);
  int rc = db_run(p);
  if (rc) {
    return rc;
  }
  p = db_prepare("SELECT count(*) FROM subscribe_attempts"
                 " WHERE address = :a");
  if (!p) {
    return E_DB;
  }
  db_bind_text(p, ":a", zAddress);
  int n = db_step(p) == DB_ROW ? (int)db_col_int(p, 0) : 0;
  db_reset(p);
  *pbLimited = n >= SUBS_RATE_MAX;
  p = db_prepare("INSERT INTO subscribe_attempts (address, created_at)"
                 " VALUES (:a, :now)");
  if (!p) {
    return E_DB;
  }
  db_bind_text(p, ":a", zAddress);
  db_bind_int(p, ":now", now);
  return db_run(p);
}

/* The confirmation message, rendered before the transaction. */
typedef struct Confirm {
  char *zSubject; /* NEW */
  char *zText;    /* NEW: e-mail text, or NULL */
  char *zHtml;    /* NEW: e-mail HTML, or NULL */
  char *zPayload; /* NEW: webhook JSON, or NULL */
} Confirm;

static void confirm_free(Confirm *p) {
  free(p->zSubject);
  free(p->zText);
  free(p->zHtml);
  free(p->zPayload);
}

static int confirm_render(const SpPage *pg, int bWebhook, const char *zAddress,
                          const char *zToken, const char *zKey, Confirm *pOut) {
  memset(pOut, 0, sizeof(*pOut));
  Buf url;
  buf_init(&url, 1024);
  buf_printf(&url, "%s/subscribe/confirm?token=%s", pg->zUrl, zToken);
  Buf subj;
  buf_init(&subj, 512);
  buf_printf(&subj, "[%s] Confirm your subscription", pg->zName);
  pOut->zSubject = buf_take(&subj, NULL);
  json_t *pCtx = json_pack("{s:{s:s, s:s}, s:s, s:s, s:i}", "page", "name",
                           pg->zName, "url", pg->zUrl, "confirm_url",
                           buf_str(&url), "address", zAddress, "hours", 24);
  int rc = 0;
  if (bWebhook) {
    json_t *pP = json_pack(
        "{s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s}, s:s}", "meta", "event",
        "subscription_confirmation", "idempotency_key", zKey, "documentation",
        "Open confirm_url in a browser and press Confirm to start receiving "
        "updates; the link expires in 24 hours.",
        "page", "id", pg->zId, "name", pg->zName, "url", pg->zUrl,
        "confirm_url", buf_str(&url));
    pOut->zPayload = json_dumps(pP, JSON_COMPACT);
    json_decref(pP);
    rc = pOut->zPayload ? 0 : E_INVALID;
  } else {
    size_t n = 0;
    rc = outbox_render_text("email_confirm", pCtx, &pOut->zText);
    if (rc == 0) {
      rc = http_render("email_confirm", NULL, pCtx, &pOut->zHtml, &n);
    }
  }
  json_decref(pCtx);
  buf_free(&url);
  if (rc) {
    confirm_free(pOut);
  }
  return rc;
}

int subs_post(Req *r) {
  json_t *pIn = NULL;
  int rc = req_input(r, &pIn);
  if (rc) {
    return rc;
  }
  const char *zToken = json_string_value(json_object_get(pIn, "csrf_token"));
  if (!zToken) {
    zToken = req_header(r, "X-CSRF-Token");
  }
  if (!auth_equal(zToken, req_cookie(r, SUBS_CSRF_COOKIE))) {
    return req_fail(r, E_FORBIDDEN,
                    "the form expired; reload the page and try again");
  }
  char zErr[256] = "";
  const char *zKind = "email", *zAddress = NULL;
  static const char *const azKind[] = {"email", "webhook", NULL};
  rc = in_enum(pIn, "kind", azKind, &zKind, zErr, sizeof(zErr));
  if (rc == 0) {
    rc = in_string(pIn, "address", SUBS_ADDRESS_MAX, 1, &zAddress, NULL, zErr,
                   sizeof(zErr));
  }
  if (rc == 0 && !zAddress) {
    snprintf(zErr, sizeof(zErr), "address: is required");
    rc = E_INVALID;
  }
  int bWebhook = rc == 0 && strcmp(zKind, "webhook") == 0;
  if (rc == 0 && !bWebhook && !email_ok(zAddress)) {
    snprintf(zErr, sizeof(zErr), "address: is not an e-mail address");
    rc = E_INVALID;
  }
  if (rc == 0 && bWebhook) {
    rc =
        url_ok(zAddress,
               settings_get_int("subscriptions.allow_private_webhooks", 0) == 1,
               zErr, sizeof(zErr));
  }
  int64_t aComp[SUBS_COMPONENTS_MAX];
  int nComp = 0;
  if (rc == 0) {
    rc = read_components(pIn, aComp, &nComp, zErr, sizeof(zErr));
  }
  if (rc == E_INVALID) {
    if (req_is_form(r) && !r->bJsonOut) {
      subscribe_form(r, zErr, pIn);
      r->status = 400;
      return 0;
    }
    return req_fail(r, rc, "%s", zErr);
  }
  if (rc) {
    return rc;
  }

  /* Everything random, hashed and rendered before the transaction. */
  SpPage pg;
  sp_page_load(&pg);
  char zSecret[65], zConfirm[65], zConfirmHash[65], zUnsub[65], zUnsubHash[65],
      zNonce[17];
  auth_random_hex(zSecret, 32);
  auth_random_hex(zConfirm, 32);
  auth_random_hex(zNonce, 8);
  sha256_hex(zConfirm, 64, zConfirmHash);
  subs_unsubscribe_token(zSecret, zUnsub);
  sha256_hex(zUnsub, 64, zUnsubHash);
  char zKey[64];
  snprintf(zKey, sizeof(zKey), "confirm.%s", zNonce);
  Confirm msg;
  rc = confirm_render(&pg, bWebhook, zAddress, zConfirm, zKey, &msg);
  if (rc) {
    return E_DB;
  }
  int64_t now = utc_now_ms();
  int bLimited = 0, bAlready = 0;
  int64_t id = 0;
  rc = db_begin_write();
  if (rc == 0) {
    rc = rate_limited(zAddress, now, &bLimited);
  }
  if (rc == 0 && !bLimited) {
    DbStmt *p = db_prepare("SELECT id, confirmed_at IS NOT NULL"
                                 " FROM subscribers"
                                 " WHERE kind = :k AND address = :a");
    rc = E_DB;
    if (p) {
      db_bind_text(p, ":k", zKind);
      db_bind_text(p, ":a", zAddress);
      rc = 0;
      if (db_step(p) == DB_ROW) {
        id = db_col_int(p, 0);
        bAlready = (int)db_col_int(p, 1);
      }
      db_reset(p);
    }
  }
  if (rc == 0 && !bLimited && !bAlready) {
    /* New, or not yet confirmed: (re)start the opt-in with new tokens. */
    DbStmt *p =
        id ? db_prepare("UPDATE subscribers SET secret = :s,"
                        " confirm_token_hash = :ch, confirm_expires_at = :exp,"
                        " unsubscribe_token_hash = :uh, created_at = :now"
                        " WHERE id = :id")
           : db_prepare("INSERT INTO subscribers (kind, address, secret,"
                        " confirm_token_hash, confirm_expires_at,"
                        " unsubscribe_token_hash, created_at)"
                        " VALUES (:k, :a, :s, :ch, :exp, :uh, :now)");
    rc = E_DB;
    if (p) {
      if (id) {
        db_bind_int(p, ":id", id);
      } else {
        db_bind_text(p, ":k", zKind);
        db_bind_text(p, ":a", zAddress);
      }
      db_bind_text(p, ":s", zSecret);
      db_bind_text(p, ":ch", zConfirmHash);
      db_bind_int(p, ":exp", now + SUBS_CONFIRM_TTL_MS);
      db_bind_text(p, ":uh", zUnsubHash);
      db_bind_int(p, ":now", now);
      rc = db_run(p);
    }
    if (rc == 0 && !id) {
      id = db_last_id();
    }
    if (rc == 0) {
      rc = db_run_id("DELETE FROM subscriber_components"
                     " WHERE subscriber_id = :id",
                     id);
    }
    for (int i = 0; rc == 0 && i < nComp; i++) {
      p = db_prepare("INSERT INTO subscriber_components"
                     " (subscriber_id, component_id) VALUES (:s, :c)"
                     " ON CONFLICT DO NOTHING");
      rc = E_DB;
      if (p) {
        db_bind_int(p, ":s", id);
        db_bind_int(p, ":c", aComp[i]);
        rc = db_run(p);
      }
    }
    if (rc == 0) {
      /* An unconfirmed subscriber gets only the newest confirmation. */
      rc = db_run_id("DELETE FROM outbox WHERE subscriber_id = :id"
                     " AND topic = 'confirm' AND state IN ('pending',"
                     " 'failed')",
                     id);
    }
    if (rc == 0) {
      p = db_prepare(
          "INSERT INTO outbox (subscriber_id, kind, address, topic, subject,"
          " body_text, body_html, payload, next_attempt_at, idempotency_key,"
          " created_at) VALUES (:s, :k, :a, 'confirm', :subj, :text, :html,"
          " :payload, :now, :key, :now)");
      rc = E_DB;
      if (p) {
        db_bind_int(p, ":s", id);
        db_bind_text(p, ":k", zKind);
        db_bind_text(p, ":a", zAddress);
        db_bind_text(p, ":subj", msg.zSubject);
        db_bind_text(p, ":text", msg.zText);
        db_bind_text(p, ":html", msg.zHtml);
        db_bind_text(p, ":payload", msg.zPayload);
        db_bind_int(p, ":now", now);
        db_bind_text(p, ":key", zKey);
        rc = db_run(p);
      }
    }
  }
  rc = rc == 0 ? db_commit() : rc;
  if (rc) {
    db_rollback();
  }
  confirm_free(&msg);
  if (rc) {
    return rc;
  }
  if (bLimited) {
    return req_fail(r, E_RATELIMIT,
                    "Too many subscription requests for this address; try "
                    "again in an hour.");
  }
  json_t *pM = public_model(&pg);
  json_object_set_new(pM, "kind", json_string(zKind));
  json_object_set_new(pM, "address", json_string(zAddress));
  json_object_set_new(pM, "is_webhook", json_boolean(bWebhook));
  json_object_set_new(pM, "status", json_string("confirmation_sent"));
  if (bWebhook && !bAlready) {
    /* Shown once: the receiver verifies X-Hindsight-Signature with it. */
    json_object_set_new(pM, "secret", json_string(zSecret));
  }
  public_page(r, pM, "subscribe_sent", "Check your inbox");
  r->status = 202;
  return 0;
}

/* Looks up a subscriber by a token hash column. Returns 0 with *pId and the
** address copied into the arena, or E_NOTFOUND. bConfirm: by confirm
** token, and only while it has not expired (*pbExpired says it had). */
static int by_token(Req *r, const char *zToken, int bConfirm, int64_t *pId,
                    const char **pzAddress, const char **pzKind,
                    int *pbExpired) {
  char zHash[65];
  if (!zToken || strlen(zToken) != 64) {
    return E_NOTFOUND;
  }
  sha256_hex(zToken, 64, zHash);
  DbStmt *p =
      bConfirm ? db_prepare("SELECT id, address, kind,"
                            " confirm_expires_at <= :now FROM subscribers"
                            " WHERE confirm_token_hash = :h")
               : db_prepare("SELECT id, address, kind, 0 FROM subscribers"
                            " WHERE unsubscribe_token_hash = :h");
  if (!p) {
    return E_DB;
  }
  db_bind_text(p, ":h", zHash);
  if (bConfirm) {
    db_bind_int(p, ":now", utc_now_ms());
  }
  int rc = E_NOTFOUND;
  if (db_step(p) == DB_ROW) {
    *pId = db_col_int(p, 0);
    *pzAddress = arena_strdup(&r->arena, db_col_text(p, 1));
    *pzKind = arena_strdup(&r->arena, db_col_text(p, 2));
    *pbExpired = (int)db_col_int(p, 3);
    rc = 0;
  }
  db_reset(p);
  return rc;
}

/* The token of a confirm or unsubscribe request: the query string (the
** link, and RFC 8058's POST to the same URL), else the form field. */
static const char *request_token(Req *r) {
  const char *z = req_query(r, "token");
  if (!z && r->pForm) {
    z = json_string_value(json_object_get(r->pForm, "token"));
  }
  if (!z && r->pInput) {
    z = json_string_value(json_object_get(r->pInput, "token"));
  }
  return z;
}

/* by_token() for the token of this confirm (bConfirm) or unsubscribe
** request, failing with the message its page shows: E_NOTFOUND after
** req_fail() for a missing, used or expired token; E_DB. The GET and POST
** handlers of both links use it so that they answer alike. */
static int request_subscriber(Req *r, int bConfirm, int64_t *pId,
                              const char **pzAddress, const char **pzKind) {
  int bExpired = 0;
  int rc = by_token(r, request_token(r), bConfirm, pId, pzAddress, pzKind,
                    &bExpired);
  if (bExpired) {
    return req_fail(r, E_NOTFOUND,
                    "This confirmation link has expired. "
                    "Subscribe again to get a new one.");
  }
  if (rc == E_NOTFOUND) {
    return req_fail(r, rc,
                    bConfirm ? "This confirmation link is not valid (it may "
                               "have been used already)."
                             : "No such subscription (perhaps you have "
                               "unsubscribed already).");
  }
  return rc;
}

int subs_confirm_page(Req *r) {
  const char *zToken = request_token(r);
  int64_t id = 0;
  const char *zAddress = NULL, *zKind = NULL;
  int rc = request_subscriber(r, 1, &id, &zAddress, &zKind);
  if (rc) {
    return rc;
  }
  SpPage pg;
  sp_page_load(&pg);
  json_t *pM = public_model(&pg);
  json_object_set_new(pM, "token", json_string(zToken));
  json_object_set_new(pM, "address", json_string(zAddress));
  json_object_set_new(pM, "kind", json_string(zKind));
  /* The link only shows a button: mail scanners follow links. */
  public_page(r, pM, "subscribe_confirm", "Confirm your subscription");
  return 0;
}

int subs_confirm_post(Req *r) {
  json_t *pIn = NULL;
  if (!r->pForm) {
    int rcIn = req_input(r, &pIn);
    if (rcIn) {
      return rcIn;
    }
  }
  int64_t id = 0;
  const char *zAddress = NULL, *zKind = NULL;
  int rc = request_subscriber(r, 1, &id, &zAddress, &zKind);
  if (rc) {
    return rc;
  }
  int64_t now = utc_now_ms();
  rc = db_begin_write();
  if (rc == 0) {
    DbStmt *p =
        db_prepare("UPDATE subscribers SET confirmed_at = :now,"
                   " confirm_token_hash = NULL, confirm_expires_at = NULL"
                   " WHERE id = :id AND confirm_expires_at > :now");
    rc = E_DB;
    if (p) {
      db_bind_int(p, ":now", now);
      db_bind_int(p, ":id", id);
      rc = db_run(p);
    }
    if (rc == 0 && db_changes() == 0) {
      rc = E_NOTFOUND;
    }
  }
  rc = rc == 0 ? db_commit() : rc;
  if (rc) {
    db_rollback();
    return rc == E_NOTFOUND
               ? req_fail(r, rc, "This confirmation link has expired.")
               : rc;
  }
  SpPage pg;
  sp_page_load(&pg);
  json_t *pM = public_model(&pg);
  json_object_set_new(pM, "address", json_string(zAddress));
  json_object_set_new(pM, "status", json_string("confirmed"));
  public_page(r, pM, "subscribe_done", "Subscribed");
  return 0;
}

int subs_unsub_page(Req *r) {
  const char *zToken = request_token(r);
  int64_t id = 0;
  const char *zAddress = NULL, *zKind = NULL;
  int rc = request_subscriber(r, 0, &id, &zAddress, &zKind);
  if (rc) {
    return rc;
  }
  SpPage pg;
  sp_page_load(&pg);
  json_t *pM = public_model(&pg);
  json_object_set_new(pM, "token", json_string(zToken));
  json_object_set_new(pM, "address", json_string(zAddress));
  public_page(r, pM, "unsubscribe", "Unsubscribe");
  return 0;
}

int subs_unsub_post(Req *r) {
  /* RFC 8058: the mail provider POSTs "List-Unsubscribe=One-Click" (maybe
  ** as multipart/form-data) to the URL in the header, with no cookie; the
  ** token in the URL is the whole authority, as in the link. */
  int64_t id = 0;
  const char *zAddress = NULL, *zKind = NULL;
  int rc = request_subscriber(r, 0, &id, &zAddress, &zKind);
  if (rc) {
    return rc;
  }
  rc = db_begin_write();
  if (rc == 0) {
    /* Cascades to its components and its unsent messages. */
    rc = db_run_id("DELETE FROM subscribers WHERE id = :id", id);
  }
  rc = rc == 0 ? db_commit() : rc;
  if (rc) {
    db_rollback();
    return rc;
  }
  SpPage pg;
  sp_page_load(&pg);
  json_t *pM = public_model(&pg);
  json_object_set_new(pM, "address", json_string(zAddress));
  json_object_set_new(pM, "status", json_string("unsubscribed"));
  public_page(r, pM, "subscribe_done", "Unsubscribed");
  return 0;
}

/* Queue hooks -------------------------------------------------------------- */

/* The random part of the idempotency keys one queueing writes: the same
** update queued again (a re-publish) makes new messages. */
static void bind_nonce(DbStmt *p) {
  char z[17];
  auth_random_hex(z, 8);
  db_bind_text(p, ":nonce", z);
}

int subs_queue_incident_update(int64_t updateId, int64_t incidentId) {
  DbStmt *p = db_prepare(
      "INSERT INTO outbox (subscriber_id, kind, address, topic,"
      " ref_id, next_attempt_at, idempotency_key, created_at)"
      " SELECT s.id, s.kind, s.address, 'incident_update', :u, :now,"
      "  'iu' || :u || '.' || s.id || '.' || :nonce, :now"
      " FROM subscribers s WHERE s.confirmed_at IS NOT NULL AND ("
      "  NOT EXISTS (SELECT 1 FROM subscriber_components sc"
      "   WHERE sc.subscriber_id = s.id)"
      "  OR EXISTS (SELECT 1 FROM subscriber_components sc"
      "   JOIN incident_components ic ON ic.component_id = sc.component_id"
      "   WHERE sc.subscriber_id = s.id AND ic.incident_id = :i)"
      "  OR EXISTS (SELECT 1 FROM subscriber_components sc"
      "   JOIN incident_update_components uc"
      "    ON uc.component_id = sc.component_id"
      "   WHERE sc.subscriber_id = s.id AND uc.update_id = :u))"
      " ON CONFLICT DO NOTHING");
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":u", updateId);
  bind_nonce(p);
  db_bind_int(p, ":i", incidentId);
  db_bind_int(p, ":now", utc_now_ms());
  return db_run(p);
}

int subs_queue_maintenance_update(int64_t maintenanceUpdateId,
                                  int64_t maintenanceId) {
  DbStmt *p = db_prepare(
      "INSERT INTO outbox (subscriber_id, kind, address, topic,"
      " ref_id, next_attempt_at, idempotency_key, created_at)"
      " SELECT s.id, s.kind, s.address, 'maintenance_update', :u, :now,"
      "  'mu' || :u || '.' || s.id || '.' || :nonce, :now"
      " FROM subscribers s WHERE s.confirmed_at IS NOT NULL AND ("
      "  NOT EXISTS (SELECT 1 FROM subscriber_components sc"
      "   WHERE sc.subscriber_id = s.id)"
      "  OR EXISTS (SELECT 1 FROM subscriber_components sc"
      "   JOIN maintenance_components mc ON mc.component_id = sc.component_id"
      "   WHERE sc.subscriber_id = s.id AND mc.maintenance_id = :m))"
      " ON CONFLICT DO NOTHING");
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":u", maintenanceUpdateId);
  db_bind_int(p, ":m", maintenanceId);
  bind_nonce(p);
  db_bind_int(p, ":now", utc_now_ms());
  return db_run(p);
}

int subs_component_mark(int64_t *pMark) {
  DbStmt *p =
      db_prepare("SELECT coalesce(max(id), 0) FROM component_history");
  if (!p) {
    return E_DB;
  }
  int rc = db_step(p) == DB_ROW ? 0 : E_DB;
  *pMark = rc == 0 ? db_col_int(p, 0) : 0;
  db_reset(p);
  return rc;
}

int subs_queue_component_updates(int64_t mark, int bEmail) {
  /* A history row with no old_status is a component's first: a new
  ** component, not a change. */
  DbStmt *p = db_prepare(
      "INSERT INTO outbox (subscriber_id, kind, address, topic,"
      " ref_id, next_attempt_at, idempotency_key, created_at)"
      " SELECT s.id, s.kind, s.address, 'component_update', h.id, :now,"
      "  'cu' || h.id || '.' || s.id || '.' || :nonce, :now"
      " FROM component_history h, subscribers s"
      " WHERE h.id > :mark AND h.old_status IS NOT NULL"
      " AND s.confirmed_at IS NOT NULL AND (:email <> 0 OR s.kind = 'webhook')"
      " AND (NOT EXISTS (SELECT 1 FROM subscriber_components sc"
      "   WHERE sc.subscriber_id = s.id)"
      "  OR EXISTS (SELECT 1 FROM subscriber_components sc"
      "   WHERE sc.subscriber_id = s.id AND sc.component_id = h.component_id))"
      " ORDER BY h.id, s.id ON CONFLICT DO NOTHING");
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":mark", mark);
  bind_nonce(p);
  db_bind_int(p, ":email", bEmail ? 1 : 0);
  db_bind_int(p, ":now", utc_now_ms());
  return db_run(p);
}

/* Admin ------------------------------------------------------------------ */

/* zJoin: the engine's text aggregate (SQLite group_concat, PostgreSQL
** string_agg). */
#define SUBS_LIST_SQL(zJoin)                                                   \
  "SELECT s.id, s.kind, s.address, s.confirmed_at, s.created_at,"              \
  " (SELECT " zJoin "(c.name, ', ') FROM subscriber_components sc"            \
  "  JOIN components c ON c.id = sc.component_id"                              \
  "  WHERE sc.subscriber_id = s.id),"                                          \
  " (SELECT count(*) FROM outbox o WHERE o.subscriber_id = s.id"               \
  "  AND o.state = 'sent')"                                                    \
  " FROM subscribers s ORDER BY s.id DESC LIMIT 1000"

int subs_admin_list(Req *r) {
  json_t *pSubs = json_array();
  DbStmt *p = db_prepare(
      db_sql(SUBS_LIST_SQL("group_concat"), SUBS_LIST_SQL("string_agg")));
  if (!p) {
    json_decref(pSubs);
    return E_DB;
  }
  while (db_step(p) == DB_ROW) {
    json_array_append_new(
        pSubs,
        json_pack("{s:I, s:s, s:s, s:b, s:o, s:o, s:s, s:I}", "id",
                  (json_int_t)db_col_int(p, 0), "kind", db_col_text(p, 1),
                  "address", db_col_text(p, 2), "confirmed",
                  !db_col_is_null(p, 3), "confirmed_at", dbjson_time(p, 3),
                  "created_at", dbjson_time(p, 4), "components",
                  *db_col_text(p, 5) ? db_col_text(p, 5) : "all", "sent",
                  (json_int_t)db_col_int(p, 6)));
  }
  db_reset(p);
  json_t *pOut = json_array();
  p = db_prepare("SELECT id, subscriber_id, kind, address, topic, state,"
                 " attempts, next_attempt_at, last_error, created_at,"
                 " sent_at, idempotency_key, coalesce(subject, '')"
                 " FROM outbox ORDER BY id DESC LIMIT 200");
  if (!p) {
    json_decref(pSubs);
    json_decref(pOut);
    return E_DB;
  }
  while (db_step(p) == DB_ROW) {
    int bDone = strcmp(db_col_text(p, 5), "sent") == 0 ||
                strcmp(db_col_text(p, 5), "dead") == 0;
    json_array_append_new(
        pOut,
        json_pack("{s:I, s:o, s:s, s:s, s:s, s:s, s:I, s:o, s:s, s:o, s:o,"
                  " s:s, s:s}",
                  "id", (json_int_t)db_col_int(p, 0), "subscriber_id",
                  db_col_is_null(p, 1) ? json_null()
                                       : json_integer(db_col_int(p, 1)),
                  "kind", db_col_text(p, 2), "address", db_col_text(p, 3),
                  "topic", db_col_text(p, 4), "state", db_col_text(p, 5),
                  "attempts", (json_int_t)db_col_int(p, 6), "next_attempt_at",
                  bDone ? json_null() : dbjson_time(p, 7), "last_error",
                  db_col_text(p, 8), "created_at", dbjson_time(p, 9),
                  "sent_at", dbjson_time(p, 10), "idempotency_key",
                  db_col_text(p, 11), "subject", db_col_text(p, 12)));
  }
  db_reset(p);
  long long nKeep = settings_get_int("subscriptions.outbox_keep_days", 30);
  r->pModel = json_pack("{s:o, s:o, s:b, s:I}", "subscribers", pSubs, "outbox",
                        pOut, "prunes", nKeep >= 1, "keep_days",
                        (json_int_t)(nKeep > 36500 ? 36500 : nKeep));
  r->zTemplate = "subscribers";
  r->zTitle = "Subscribers";
  return 0;
}

int subs_admin_delete(Req *r) {
  int64_t id;
  int rc = req_param_id(r, "id", &id);
  if (rc) {
    return rc;
  }
  rc = db_begin_write();
  if (rc == 0) {
    rc = db_run_id("DELETE FROM subscribers WHERE id = :id", id);
    if (rc == 0 && db_changes() == 0) {
      rc = E_NOTFOUND;
    }
  }
  rc = rc == 0 ? db_commit() : rc;
  if (rc) {
    db_rollback();
    return rc == E_NOTFOUND
               ? req_fail(r, rc, "no subscriber %lld", (long long)id)
               : rc;
  }
  if (r->bJsonOut) {
    r->pModel = json_pack("{s:b}", "deleted", 1);
  } else {
    r->zRedirect = "/app/subscribers";
  }
  return 0;
}

/* Feeds ---------------------------------------------------------------------
 */

int subs_feed(Req *r) {
  const char *zFile = req_param(r, "file");
  const char *zDot = zFile ? strrchr(zFile, '.') : NULL;
  int bAtom = zDot && strcmp(zDot, ".atom") == 0;
  int bRss = zDot && strcmp(zDot, ".rss") == 0;
  size_t nId = zDot ? (size_t)(zDot - zFile) : 0;
  if ((!bAtom && !bRss) || nId == 0 || nId > 15 ||
      strspn(zFile, "0123456789") != nId) {
    return req_fail(r, E_NOTFOUND, "Not found.");
  }
  int64_t id = atoll(zFile);
  SpPage pg;
  sp_page_load(&pg);
  DbStmt *p = db_prepare("SELECT name FROM components WHERE id = :id");
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":id", id);
  if (db_step(p) != DB_ROW) {
    db_reset(p);
    return req_fail(r, E_NOTFOUND, "Not found.");
  }
  json_t *pM = json_pack("{s:{s:s, s:s}, s:{s:I, s:s}, s:[], s:s}", "page",
                         "name", pg.zName, "url", pg.zUrl, "component", "id",
                         (json_int_t)id, "name", db_col_text(p, 0), "entries",
                         "updated_at", "1970-01-01T00:00:00.000Z");
  db_reset(p);
  /* Published updates only: the incident is public, and the update is a
  ** status post (incident_updates), never a timeline event. */
  p = db_prepare(
      "SELECT u.id, u.incident_id, i.title, u.status, u.body, u.created_at,"
      " u.updated_at FROM incident_updates u"
      " JOIN incidents i ON i.id = u.incident_id"
      " WHERE i.public = 1 AND (EXISTS (SELECT 1 FROM incident_components ic"
      "  WHERE ic.incident_id = i.id AND ic.component_id = :c)"
      "  OR EXISTS (SELECT 1 FROM incident_update_components uc"
      "  WHERE uc.update_id = u.id AND uc.component_id = :c))"
      " ORDER BY u.created_at DESC, u.id DESC LIMIT 50");
  if (!p) {
    json_decref(pM);
    return E_DB;
  }
  db_bind_int(p, ":c", id);
  json_t *pEntries = json_object_get(pM, "entries");
  int bFirst = 1;
  while (db_step(p) == DB_ROW) {
    char zAt[25], zUp[25], zRfc[64], zLink[400];
    utc_format(db_col_int(p, 5), zAt);
    utc_format(db_col_int(p, 6), zUp);
    time_t t = (time_t)(db_col_int(p, 5) / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(zRfc, sizeof(zRfc), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    snprintf(zLink, sizeof(zLink), "%s/incidents/%lld", pg.zUrl,
             (long long)db_col_int(p, 1));
    char *zHtml = md_render(db_col_text(p, 4), strlen(db_col_text(p, 4)));
    char zStatus[32];
    snprintf(zStatus, sizeof(zStatus), "%s", db_col_text(p, 3));
    if (zStatus[0] >= 'a' && zStatus[0] <= 'z') {
      zStatus[0] = (char)(zStatus[0] - 'a' + 'A');
    }
    json_array_append_new(
        pEntries,
        json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "update_id",
                  (json_int_t)db_col_int(p, 0), "title", db_col_text(p, 2),
                  "status_label", zStatus, "content_html", zHtml, "link", zLink,
                  "created_at", zAt, "updated_at", zUp, "rfc822", zRfc));
    free(zHtml);
    if (bFirst) {
      json_object_set_new(pM, "updated_at", json_string(zUp));
      bFirst = 0;
    }
  }
  db_reset(p);
  char *z = NULL;
  size_t n = 0;
  int rc = http_render(bAtom ? "feed_component_atom" : "feed_component_rss",
                       NULL, pM, &z, &n);
  json_decref(pM);
  if (rc) {
    return E_DB;
  }
  r->zRaw = z;
  r->nRaw = n;
  r->zRawType = bAtom ? "application/atom+xml; charset=utf-8"
                      : "application/rss+xml; charset=utf-8";
  r->zCacheControl = "public, max-age=60";
  return 0;
}

/* CLI ------------------------------------------------------------------------
 */

int subs_cli_user_email(int argc, char **argv) {
  if (argc != 2 || (*argv[1] && !email_ok(argv[1]))) {
    fputs("usage: hindsight user email NAME ADDRESS   (\"\" clears it)\n",
          stderr);
    return 2;
  }
  DbStmt *p =
      db_prepare("UPDATE users SET email = nullif(:e, '') WHERE name = :n");
  if (!p) {
    return 1;
  }
  db_bind_text(p, ":e", argv[1]);
  db_bind_text(p, ":n", argv[0]);
  int rc = db_run(p);
  if (rc == 0 && db_changes() == 0) {
    fprintf(stderr, "hindsight: no user %s\n", argv[0]);
    return 1;
  }
  return rc ? 1 : 0;
}
