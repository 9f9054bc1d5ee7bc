/*
** outbox.c: the delivery worker. One thread, started by `serve`, that once
** a second
**   - moves due maintenance windows (maintenance_tick), so a window that
**     starts or ends with nobody looking at the page still notifies;
**   - queues action reminders (at most one a day per action, through the
**     UNIQUE idempotency key "rem.<action>.<day>");
**   - at start and then hourly, deletes sent and dead messages older than
**     subscriptions.outbox_keep_days (30);
**   - drains due outbox rows one at a time: renders the row if it has no
**     body yet (outside any transaction), claims it (state sending,
**     attempts + 1, in one short write), sends it with libcurl with no
**     transaction open, then records sent, a retry time (exponential
**     back-off), or dead.
**
** Crash semantics (README "Subscriptions"): a row found in `sending` when
** the worker starts was interrupted mid-send by a crash. A webhook is sent
** again with the same Idempotency-Key header (at-least-once; receivers
** dedupe on the key); an e-mail is not (SMTP has no idempotency key), so it
** becomes dead with a note: at most once.
**
** What it does not do: accept anything from the network, or run more than
** one sender (one thread; two `serve` processes on one database are not
** supported).
**
** Threading: the worker thread has its own database connection (db.c's
** per-thread one) and its own curl handles. Shared with the main thread:
** `worker` (below, a Worker from worker.h), whose stop flag is guarded by
** its mutex.
*/
#include "outbox.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "assets.h"
#include "db.h"
#include "err.h"
#include "hmac.h"
#include "http.h"
#include "maintenance.h"
#include "md.h"
#include "settings.h"
#include "statusapi.h"
#include "subs.h"
#include "tmpl.h"
#include "utc.h"
#include "worker.h"

#define OUTBOX_POLL_MS 1000
#define OUTBOX_PRUNE_MS (3600LL * 1000)   /* how often old rows are deleted */
#define OUTBOX_BODY_MAX ((size_t)4 << 20) /* a rendered message */
#define OUTBOX_ERROR_MAX 300              /* bytes of last_error kept */

/* The worker's control block: the only state shared between threads. */
static Worker worker = WORKER_INIT;

int64_t outbox_backoff_ms(int64_t baseSeconds, int n) {
  int64_t ms = (baseSeconds > 0 ? baseSeconds : 1) * 1000;
  for (int i = 1; i < n && ms < 86400000; i++) {
    ms *= 2;
  }
  return ms < 86400000 ? ms : 86400000;
}

/* Rendering ---------------------------------------------------------------- */

int outbox_render_text(const char *zName, json_t *pCtx, char **pz) {
  char zPath[128];
  snprintf(zPath, sizeof(zPath), "templates/%s.txt", zName);
  size_t nSrc = 0;
  char *zSrc = asset_load(zPath, &nSrc);
  if (!zSrc) {
    fprintf(stderr, "hindsight: template %s missing\n", zPath);
    return E_INVALID;
  }
  Buf out;
  buf_init(&out, OUTBOX_BODY_MAX);
  char zErr[256];
  int rc = tmpl_render_text(zSrc, nSrc, pCtx, NULL, &out, zErr, sizeof(zErr));
  free(zSrc);
  if (rc) {
    fprintf(stderr, "hindsight: template %s: %s\n", zPath, zErr);
    buf_free(&out);
    return rc;
  }
  *pz = buf_take(&out, NULL);
  return 0;
}

/* One outbox row as the worker sees it. */
typedef struct Msg {
  int64_t id;           /* outbox.id */
  int64_t subscriberId; /* 0 for reminders */
  char zKind[16];       /* email | webhook */
  char *zAddress;       /* NEW */
  char zTopic[32];      /* confirm | incident_update | ... */
  int64_t refId;        /* the source row */
  int bRendered;        /* subject is set */
  char zKey[96];        /* idempotency key */
  char zSecret[65];     /* the subscriber's secret, or "" */
  int attempts;         /* before this one */
  char *zSubject;       /* NEW once rendered or loaded */
  char *zText;          /* NEW or NULL */
  char *zHtml;          /* NEW or NULL */
  char *zPayload;       /* NEW or NULL */
} Msg;

static void msg_free(Msg *p) {
  free(p->zAddress);
  free(p->zSubject);
  free(p->zText);
  free(p->zHtml);
  free(p->zPayload);
  memset(p, 0, sizeof(*p));
}

static char *dup_or_null(DbStmt *p, int i) {
  return db_col_is_null(p, i) ? NULL : xstrdup(db_col_text(p, i));
}

/* "investigating" -> "Investigating", "under_maintenance" -> "Under
** maintenance". NEW. */
static json_t *label_json(const char *z) {
  char a[64];
  snprintf(a, sizeof(a), "%s", z ? z : "");
  for (char *p = a; *p; p++) {
    if (*p == '_') {
      *p = ' ';
    }
  }
  if (a[0] >= 'a' && a[0] <= 'z') {
    a[0] = (char)(a[0] - 'a' + 'A');
  }
  return json_string(a);
}

/* The page object of a webhook: Statuspage's id, status_indicator and
** status_description. NEW. */
static json_t *webhook_page(const SpPage *pg) {
  json_t *pC = sp_components(pg);
  json_t *pI = sp_incidents(pg, SP_UNRESOLVED);
  json_t *pM = sp_maintenances(pg, SP_ACTIVE);
  json_t *pS = sp_status(pC, pI, pM);
  json_t *pOut = json_pack(
      "{s:s, s:s, s:s, s:O, s:O}", "id", pg->zId, "name", pg->zName, "url",
      pg->zUrl, "status_indicator", json_object_get(pS, "indicator"),
      "status_description", json_object_get(pS, "description"));
  json_decref(pC);
  json_decref(pI);
  json_decref(pM);
  json_decref(pS);
  return pOut;
}

/* The unsubscribe link of m's subscriber into z, or "" for a message with
** no subscriber (reminders). */
static void unsubscribe_url(const Msg *m, const SpPage *pg, char z[512]) {
  z[0] = 0;
  if (m->zSecret[0]) {
    char zTok[65];
    subs_unsubscribe_token(m->zSecret, zTok);
    snprintf(z, 512, "%s/unsubscribe?token=%s", pg->zUrl, zTok);
  }
}

/* A subject is one header line: control characters become spaces. */
static void one_line(char *z) {
  for (char *q = z; q && *q; q++) {
    if ((unsigned char)*q < 0x20) {
      *q = ' ';
    }
  }
}

/* Renders an incident or maintenance update for m (its subject, bodies or
** payload). 0, E_NOTFOUND when the source is gone or not public, or an
** error. Reads only; no transaction. */
static int render_update(Msg *m) {
  int bMaint = strcmp(m->zTopic, "maintenance_update") == 0;
  DbStmt *p =
      bMaint ? db_prepare("SELECT maintenance_id, status, body, created_at"
                          " FROM maintenance_updates WHERE id = :id")
             : db_prepare("SELECT incident_id, status, body, created_at"
                          " FROM incident_updates WHERE id = :id");
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":id", m->refId);
  if (db_step(p) != DB_ROW) {
    db_reset(p);
    return E_NOTFOUND;
  }
  int64_t sourceId = db_col_int(p, 0);
  char zStatus[32];
  snprintf(zStatus, sizeof(zStatus), "%s", db_col_text(p, 1));
  char *zBody = xstrdup(db_col_text(p, 2));
  db_reset(p);

  SpPage pg;
  sp_page_load(&pg);
  json_t *pI =
      bMaint ? sp_maintenance(&pg, sourceId) : sp_incident(&pg, sourceId);
  if (!pI) {
    free(zBody);
    return E_NOTFOUND;
  }
  char zUrl[512];
  unsubscribe_url(m, &pg, zUrl);
  /* The update itself (Statuspage id "u<n>"/"mu<n>") and what it changed. */
  char zUid[40];
  snprintf(zUid, sizeof(zUid), "%s%lld", bMaint ? "mu" : "u",
           (long long)m->refId);
  json_t *pAffected = json_array();
  size_t i;
  json_t *pU;
  json_array_foreach(
      json_object_get(pI, bMaint ? "incident_updates" : "incident_updates"), i,
      pU) {
    const char *zId = json_string_value(json_object_get(pU, "id"));
    if (zId && strcmp(zId, zUid) == 0) {
      json_t *pA;
      size_t j;
      json_array_foreach(json_object_get(pU, "affected_components"), j, pA) {
        json_array_append_new(
            pAffected,
            json_pack("{s:O, s:o}", "name", json_object_get(pA, "name"),
                      "new_status_label",
                      label_json(json_string_value(
                          json_object_get(pA, "new_status")))));
      }
    }
  }
  const char *zName = json_string_value(json_object_get(pI, "name"));
  char zLink[512];
  snprintf(zLink, sizeof(zLink), "%s/%s/%lld", pg.zUrl,
           bMaint ? "maintenance" : "incidents", (long long)sourceId);
  json_t *pComponentNames = json_array();
  json_t *pC;
  json_array_foreach(json_object_get(pI, "components"), i, pC) {
    json_array_append(pComponentNames, json_object_get(pC, "name"));
  }
  Buf subj;
  buf_init(&subj, 1024);
  buf_printf(&subj, "[%s] %s%s: ", pg.zName, bMaint ? "Maintenance: " : "",
             zName ? zName : "");
  json_t *pLabel = label_json(zStatus);
  buf_puts(&subj, json_string_value(pLabel));
  one_line(subj.z);
  m->zSubject = buf_take(&subj, NULL);

  int rc = 0;
  if (strcmp(m->zKind, "webhook") == 0) {
    json_t *pP = json_pack(
        "{s:{s:s, s:s, s:s, s:s}, s:o, s:O}", "meta", "unsubscribe", zUrl,
        "documentation",
        "Verify X-Hindsight-Signature: t=<unix>,v1=hex(HMAC-SHA256(secret, "
        "\"<t>.<body>\")); drop messages whose Idempotency-Key you have seen.",
        "event", bMaint ? "maintenance_update" : "incident_update",
        "idempotency_key", m->zKey, "page", webhook_page(&pg), "incident", pI);
    m->zPayload = json_dumps(pP, JSON_COMPACT);
    json_decref(pP);
    rc = m->zPayload ? 0 : E_INVALID;
  } else {
    json_t *pCtx = json_pack(
        "{s:{s:s, s:s}, s:O, s:s, s:o, s:s, s:o, s:o, s:s, s:s, s:o, s:b}",
        "page", "name", pg.zName, "url", pg.zUrl, "name",
        json_object_get(pI, "name"), "link", zLink, "status_label", pLabel,
        "body", zBody, "body_html", md_safe_html(zBody), "affected", pAffected,
        "unsubscribe_url", zUrl, "manage_url", "", "component_names",
        pComponentNames, "is_maintenance", bMaint);
    pLabel = NULL;
    pAffected = NULL;
    pComponentNames = NULL;
    char zManage[400];
    snprintf(zManage, sizeof(zManage), "%s/subscribe", pg.zUrl);
    json_object_set_new(pCtx, "manage_url", json_string(zManage));
    rc = outbox_render_text("email_update", pCtx, &m->zText);
    size_t n = 0;
    if (rc == 0) {
      rc = http_render("email_update", NULL, pCtx, &m->zHtml, &n);
    }
    json_decref(pCtx);
  }
  json_decref(pLabel);
  json_decref(pAffected);
  json_decref(pComponentNames);
  json_decref(pI);
  free(zBody);
  return rc;
}

/* Renders a component status change (m->refId is its component_history
** row): Statuspage's component_update webhook body, or a short e-mail.
** The component object is the one components.json shows, as it was at the
** change (its status is the new one). 0, E_NOTFOUND when the component or
** the row is gone, or an error. Reads only; no transaction. */
static int render_component(Msg *m) {
  DbStmt *p = db_prepare(
      "SELECT component_id, status, coalesce(old_status, ''), from_ts"
      " FROM component_history WHERE id = :id");
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":id", m->refId);
  if (db_step(p) != DB_ROW) {
    db_reset(p);
    return E_NOTFOUND;
  }
  int64_t componentId = db_col_int(p, 0);
  char zNew[32], zOld[32];
  snprintf(zNew, sizeof(zNew), "%s", db_col_text(p, 1));
  snprintf(zOld, sizeof(zOld), "%s", db_col_text(p, 2));
  int64_t at = db_col_int(p, 3);
  db_reset(p);

  SpPage pg;
  sp_page_load(&pg);
  json_t *pComp = sp_component(&pg, componentId);
  if (!pComp) {
    return E_NOTFOUND;
  }
  json_object_set_new(pComp, "status", json_string(zNew));
  char zAt[32], zUrl[512], zId[40], zCid[40];
  sp_time(&pg, at, zAt);
  unsubscribe_url(m, &pg, zUrl);
  snprintf(zId, sizeof(zId), "cu%lld", (long long)m->refId);
  snprintf(zCid, sizeof(zCid), "c%lld", (long long)componentId);
  const char *zName = json_string_value(json_object_get(pComp, "name"));
  json_t *pNewLabel = label_json(zNew);
  json_t *pOldLabel = label_json(zOld);
  Buf subj;
  buf_init(&subj, 1024);
  buf_printf(&subj, "[%s] %s: %s (was %s)", pg.zName, zName ? zName : "",
             json_string_value(pNewLabel), json_string_value(pOldLabel));
  one_line(subj.z);
  m->zSubject = buf_take(&subj, NULL);

  int rc = 0;
  if (strcmp(m->zKind, "webhook") == 0) {
    json_t *pP = json_pack(
        "{s:{s:s, s:s, s:s, s:s}, s:o, s:{s:s, s:s, s:s, s:s, s:s}, s:O}",
        "meta", "unsubscribe", zUrl, "documentation",
        "Verify X-Hindsight-Signature: t=<unix>,v1=hex(HMAC-SHA256(secret, "
        "\"<t>.<body>\")); drop messages whose Idempotency-Key you have seen.",
        "event", "component_update", "idempotency_key", m->zKey, "page",
        webhook_page(&pg), "component_update", "created_at", zAt, "new_status",
        zNew, "old_status", zOld, "id", zId, "component_id", zCid, "component",
        pComp);
    m->zPayload = pP ? json_dumps(pP, JSON_COMPACT) : NULL;
    json_decref(pP);
    rc = m->zPayload ? 0 : E_INVALID;
  } else {
    char zManage[400], zLink[400];
    snprintf(zManage, sizeof(zManage), "%s/subscribe", pg.zUrl);
    snprintf(zLink, sizeof(zLink), "%s/", pg.zUrl);
    /* "2026-11-20 11:38 +00:00": the change's time for people. */
    char zWhen[40];
    snprintf(zWhen, sizeof(zWhen), "%.10s %.5s %s", zAt, zAt + 11, zAt + 23);
    json_t *pCtx = json_pack(
        "{s:{s:s, s:s}, s:s, s:O, s:O, s:s, s:s, s:s, s:s}", "page", "name",
        pg.zName, "url", pg.zUrl, "name", zName ? zName : "", "status_label",
        pNewLabel, "old_status_label", pOldLabel, "at", zWhen, "link", zLink,
        "unsubscribe_url", zUrl, "manage_url", zManage);
    size_t n = 0;
    rc = pCtx ? outbox_render_text("email_component", pCtx, &m->zText)
              : E_INVALID;
    if (rc == 0) {
      rc = http_render("email_component", NULL, pCtx, &m->zHtml, &n);
    }
    json_decref(pCtx);
  }
  json_decref(pNewLabel);
  json_decref(pOldLabel);
  json_decref(pComp);
  return rc;
}

/* Renders an action reminder (plain text only). 0, E_NOTFOUND, or an
** error. */
static int render_reminder(Msg *m) {
  DbStmt *p = db_prepare(
      "SELECT a.title, a.due_date, a.status, a.incident_id, i.title,"
      " a.owner FROM actions a JOIN incidents i ON i.id = a.incident_id"
      " WHERE a.id = :id");
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":id", m->refId);
  if (db_step(p) != DB_ROW) {
    db_reset(p);
    return E_NOTFOUND;
  }
  SpPage pg;
  sp_page_load(&pg);
  char zLink[400];
  snprintf(zLink, sizeof(zLink), "%s/app/incidents/%lld", pg.zUrl,
           (long long)db_col_int(p, 3));
  char zToday[11];
  char zNow[25];
  utc_format(utc_now_ms(), zNow);
  memcpy(zToday, zNow, 10);
  zToday[10] = 0;
  int bOverdue = strcmp(db_col_text(p, 1), zToday) < 0;
  json_t *pCtx =
      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "title",
                db_col_text(p, 0), "due_date", db_col_text(p, 1), "status",
                db_col_text(p, 2), "incident_title", db_col_text(p, 4), "owner",
                db_col_text(p, 5), "link", zLink, "overdue", bOverdue);
  Buf subj;
  buf_init(&subj, 1024);
  buf_printf(&subj, "[Hindsight] Action item %s %s: %s",
             bOverdue ? "overdue since" : "due", db_col_text(p, 1),
             db_col_text(p, 0));
  db_reset(p);
  one_line(subj.z);
  m->zSubject = buf_take(&subj, NULL);
  int rc = outbox_render_text("email_reminder", pCtx, &m->zText);
  json_decref(pCtx);
  return rc;
}

/* Database steps ------------------------------------------------------------
 */

/* Rows left in `sending` by a crash: webhooks go again (same key), e-mail
** is given up. */
static void recover_interrupted(void) {
  if (db_begin_write()) {
    return;
  }
  DbStmt *p = db_prepare(
      "UPDATE outbox SET state = 'pending', next_attempt_at = :now,"
      " last_error = 'interrupted by a restart; sent again with the same"
      " Idempotency-Key' WHERE state = 'sending' AND kind = 'webhook'");
  int rc = E_DB;
  if (p) {
    db_bind_int(p, ":now", utc_now_ms());
    rc = db_run(p);
  }
  if (rc == 0) {
    p = db_prepare(
        "UPDATE outbox SET state = 'dead', last_error = 'interrupted"
        " mid-send by a restart; not sent again, since it may have been"
        " delivered' WHERE state = 'sending' AND kind = 'email'");
    rc = p ? db_run(p) : E_DB;
  }
  rc = rc == 0 ? db_commit_unseen() : rc; /* outbox only */
  if (rc) {
    db_rollback();
  }
}

/* Queues today's reminders: open or in-progress actions due within
** reminders.days_before days or overdue, whose owner is a user with an
** e-mail address, once a day each. */
static void queue_reminders(int64_t now) {
  char zNow[25];
  utc_format(now, zNow);
  char zToday[11];
  memcpy(zToday, zNow, 10);
  zToday[10] = 0;
  long long nDays = settings_get_int("reminders.days_before", 2);
  if (nDays < 0 || nDays > 365) {
    nDays = 2;
  }
  char zLimit[25];
  utc_format(now + nDays * 86400000LL, zLimit);
  zLimit[10] = 0;
  DbStmt *p = db_prepare(
      "SELECT count(*) FROM actions a JOIN users u ON u.name = a.owner"
      " WHERE a.status IN ('open', 'in_progress') AND a.due_date IS NOT NULL"
      " AND a.due_date <= :limit AND coalesce(u.email, '') <> ''"
      " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.idempotency_key ="
      "  'rem.' || a.id || '.' || :today)");
  if (!p) {
    return;
  }
  db_bind_text(p, ":limit", zLimit);
  db_bind_text(p, ":today", zToday);
  int n = db_step(p) == DB_ROW ? (int)db_col_int(p, 0) : 0;
  db_reset(p);
  if (n == 0 || db_begin_write()) {
    return;
  }
  p = db_prepare(
      "INSERT INTO outbox (subscriber_id, kind, address, topic,"
      " ref_id, next_attempt_at, idempotency_key, created_at)"
      " SELECT NULL, 'email', u.email, 'action_reminder', a.id, :now,"
      "  'rem.' || a.id || '.' || :today, :now"
      " FROM actions a JOIN users u ON u.name = a.owner"
      " WHERE a.status IN ('open', 'in_progress') AND a.due_date IS NOT NULL"
      " AND a.due_date <= :limit AND coalesce(u.email, '') <> ''"
      " ON CONFLICT DO NOTHING");
  int rc = E_DB;
  if (p) {
    db_bind_int(p, ":now", now);
    db_bind_text(p, ":today", zToday);
    db_bind_text(p, ":limit", zLimit);
    rc = db_run(p);
  }
  rc = rc == 0 ? db_commit_unseen() : rc; /* outbox only */
  if (rc) {
    db_rollback();
  }
}

/* Deletes sent and dead messages created more than
** subscriptions.outbox_keep_days (30) days ago; below 1 keeps them all.
** Pending and failed ones stay whatever their age: they are still owed.
** In batches, each its own short write, so the HTTP threads never wait
** long for the lock. */
static void prune(int64_t now) {
  long long nDays = settings_get_int("subscriptions.outbox_keep_days", 30);
  if (nDays < 1) {
    return;
  }
  if (nDays > 36500) {
    nDays = 36500;
  }
  int64_t before = now - nDays * 86400000LL;
  for (int i = 0; i < 1000 && !worker_stopping(&worker); i++) {
    if (db_begin_write()) {
      return;
    }
    DbStmt *p =
        db_prepare("DELETE FROM outbox WHERE id IN (SELECT id FROM outbox"
                   " WHERE created_at < :before AND state IN ('sent', 'dead')"
                   " LIMIT 500)");
    int rc = E_DB;
    if (p) {
      db_bind_int(p, ":before", before);
      rc = db_run(p);
    }
    int n = rc == 0 ? db_changes() : 0;
    rc = rc == 0 ? db_commit_unseen() : rc; /* outbox only */
    if (rc) {
      db_rollback();
      return;
    }
    if (n < 500) {
      return;
    }
  }
}

/* Records the outcome of an attempt. zErr NULL means sent. */
static void finish(const Msg *m, const char *zErr, int bPermanent) {
  int64_t now = utc_now_ms();
  int maxAttempts = (int)settings_get_int("subscriptions.max_attempts", 8);
  int64_t base = settings_get_int("subscriptions.retry_base_seconds", 30);
  int nAttempt = m->attempts + 1;
  int bDead = zErr && (bPermanent || nAttempt >= maxAttempts);
  if (db_begin_write()) {
    return;
  }
  DbStmt *p = db_prepare(
      "UPDATE outbox SET state = :s, last_error = :e, next_attempt_at = :next,"
      " sent_at = CASE WHEN :s = 'sent' THEN :now ELSE sent_at END"
      " WHERE id = :id AND state = 'sending'");
  int rc = E_DB;
  if (p) {
    char zShort[OUTBOX_ERROR_MAX + 1];
    snprintf(zShort, sizeof(zShort), "%s", zErr ? zErr : "");
    db_bind_text(p, ":s", !zErr ? "sent" : bDead ? "dead" : "failed");
    db_bind_text(p, ":e", zShort);
    db_bind_int(p, ":next",
                now + (zErr ? outbox_backoff_ms(base, nAttempt) : 0));
    db_bind_int(p, ":now", now);
    db_bind_int(p, ":id", m->id);
    rc = db_run(p);
  }
  rc = rc == 0 ? db_commit_unseen() : rc; /* outbox only */
  if (rc) {
    db_rollback();
  }
}

/* Loads the next due row into *m. 1 if there is one, 0 if not. */
static int next_due(Msg *m, int64_t now) {
  DbStmt *p = db_prepare(
      "SELECT o.id, coalesce(o.subscriber_id, 0), o.kind, o.address, o.topic,"
      " coalesce(o.ref_id, 0), o.subject IS NOT NULL, o.idempotency_key,"
      " coalesce(s.secret, ''), o.attempts"
      " FROM outbox o LEFT JOIN subscribers s ON s.id = o.subscriber_id"
      " WHERE o.state IN ('pending', 'failed') AND o.next_attempt_at <= :now"
      " ORDER BY o.next_attempt_at, o.id LIMIT 1");
  if (!p) {
    return 0;
  }
  db_bind_int(p, ":now", now);
  int bRow = db_step(p) == DB_ROW;
  if (bRow) {
    memset(m, 0, sizeof(*m));
    m->id = db_col_int(p, 0);
    m->subscriberId = db_col_int(p, 1);
    snprintf(m->zKind, sizeof(m->zKind), "%s", db_col_text(p, 2));
    m->zAddress = xstrdup(db_col_text(p, 3));
    snprintf(m->zTopic, sizeof(m->zTopic), "%s", db_col_text(p, 4));
    m->refId = db_col_int(p, 5);
    m->bRendered = (int)db_col_int(p, 6);
    snprintf(m->zKey, sizeof(m->zKey), "%s", db_col_text(p, 7));
    snprintf(m->zSecret, sizeof(m->zSecret), "%s", db_col_text(p, 8));
    m->attempts = (int)db_col_int(p, 9);
  }
  db_reset(p);
  return bRow;
}

/* Claims m (state sending, attempts + 1), storing its rendering the first
** time. 1 if claimed, 0 if someone else changed it, -1 on a DB error. */
static int claim(Msg *m) {
  if (db_begin_write()) {
    return -1;
  }
  DbStmt *p = db_prepare(
      "UPDATE outbox SET state = 'sending', attempts = attempts + 1,"
      " subject = coalesce(subject, :subj),"
      " body_text = CASE WHEN subject IS NULL THEN :text ELSE body_text END,"
      " body_html = CASE WHEN subject IS NULL THEN :html ELSE body_html END,"
      " payload = CASE WHEN subject IS NULL THEN :payload ELSE payload END"
      " WHERE id = :id AND state IN ('pending', 'failed')");
  int rc = E_DB;
  if (p) {
    db_bind_text(p, ":subj", m->zSubject ? m->zSubject : "");
    db_bind_text(p, ":text", m->zText);
    db_bind_text(p, ":html", m->zHtml);
    db_bind_text(p, ":payload", m->zPayload);
    db_bind_int(p, ":id", m->id);
    rc = db_run(p);
  }
  int bClaimed = rc == 0 && db_changes() == 1;
  rc = rc == 0 ? db_commit_unseen() : rc; /* outbox only */
  if (rc) {
    db_rollback();
    return -1;
  }
  if (!bClaimed) {
    return 0;
  }
  /* What goes out is what is stored (a retry sends the same bytes). */
  free(m->zSubject);
  free(m->zText);
  free(m->zHtml);
  free(m->zPayload);
  m->zSubject = m->zText = m->zHtml = m->zPayload = NULL;
  p = db_prepare("SELECT subject, body_text, body_html, payload FROM outbox"
                 " WHERE id = :id");
  if (!p) {
    return -1;
  }
  db_bind_int(p, ":id", m->id);
  if (db_step(p) == DB_ROW) {
    m->zSubject = dup_or_null(p, 0);
    m->zText = dup_or_null(p, 1);
    m->zHtml = dup_or_null(p, 2);
    m->zPayload = dup_or_null(p, 3);
  }
  db_reset(p);
  return 1;
}

/* Marks a row that cannot be rendered (its source was deleted). */
static void give_up(const Msg *m, const char *zWhy) {
  if (db_begin_write()) {
    return;
  }
  DbStmt *p = db_prepare(
      "UPDATE outbox SET state = 'dead', last_error = :e WHERE id = :id"
      " AND state IN ('pending', 'failed')");
  int rc = E_DB;
  if (p) {
    db_bind_text(p, ":e", zWhy);
    db_bind_int(p, ":id", m->id);
    rc = db_run(p);
  }
  rc = rc == 0 ? db_commit_unseen() : rc; /* outbox only */
  if (rc) {
    db_rollback();
  }
}

/* Sending ------------------------------------------------------------------ */

/* Whether a socket address is loopback, private, link-local or the like
** (the same ranges subs.c refuses in URLs, checked here on the address
** curl is about to connect to, so DNS cannot smuggle one in). */
static int addr_private(const struct sockaddr *pA) {
  if (pA->sa_family == AF_INET) {
    const unsigned char *a =
        (const unsigned char *)&((const struct sockaddr_in *)pA)->sin_addr;
    return a[0] == 0 || a[0] == 10 || a[0] == 127 || a[0] >= 224 ||
           (a[0] == 169 && a[1] == 254) ||
           (a[0] == 172 && (a[1] & 0xf0) == 16) ||
           (a[0] == 192 && a[1] == 168) || (a[0] == 100 && (a[1] & 0xc0) == 64);
  }
  if (pA->sa_family == AF_INET6) {
    const unsigned char *a =
        (const unsigned char *)&((const struct sockaddr_in6 *)pA)->sin6_addr;
    static const unsigned char aZero[16] = {0};
    static const unsigned char aMapped[12] = {0, 0, 0, 0, 0,    0,
                                              0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(a, aZero, 15) == 0 && (a[15] == 0 || a[15] == 1)) {
      return 1;
    }
    if (memcmp(a, aMapped, 12) == 0) {
      const unsigned char *b = a + 12;
      return b[0] == 0 || b[0] == 10 || b[0] == 127 || b[0] >= 224 ||
             (b[0] == 169 && b[1] == 254) ||
             (b[0] == 172 && (b[1] & 0xf0) == 16) ||
             (b[0] == 192 && b[1] == 168) ||
             (b[0] == 100 && (b[1] & 0xc0) == 64);
    }
    return (a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||
           a[0] == 0xff;
  }
  return 1; /* anything else (unix sockets...) is not for webhooks */
}

/* State of one webhook connection attempt. */
typedef struct SockCheck {
  int bAllowPrivate; /* the setting */
  int bRefused;      /* an address was refused */
} SockCheck;

static curl_socket_t open_socket(void *pArg, curlsocktype purpose,
                                 struct curl_sockaddr *pAddr) {
  SockCheck *pC = pArg;
  (void)purpose;
  if (!pC->bAllowPrivate && addr_private(&pAddr->addr)) {
    pC->bRefused = 1;
    return CURL_SOCKET_BAD;
  }
  return socket(pAddr->family, pAddr->socktype, pAddr->protocol);
}

/* Discards a response body (we keep only the status). */
static size_t discard(char *p, size_t n, size_t m, void *pArg) {
  (void)p;
  (void)pArg;
  return n * m;
}

/* POSTs the payload. NULL on a 2xx, else a NEW error message; *pbPermanent
** when retrying cannot help. */
static char *send_webhook(const Msg *m, int *pbPermanent) {
  const char *zBody = m->zPayload ? m->zPayload : "{}";
  size_t nBody = strlen(zBody);
  char zT[24];
  snprintf(zT, sizeof(zT), "%lld", (long long)(utc_now_ms() / 1000));
  /* Sign "<t>.<body>" so a captured body cannot be replayed later with a
  ** fresh timestamp. */
  Buf signed_;
  buf_init(&signed_, nBody + 64);
  buf_printf(&signed_, "%s.", zT);
  buf_append(&signed_, zBody, nBody);
  char zMac[65];
  hmac_sha256_hex(m->zSecret, strlen(m->zSecret), buf_str(&signed_), signed_.n,
                  zMac);
  buf_free(&signed_);
  char zSig[160], zKey[160], zEvent[80];
  snprintf(zSig, sizeof(zSig), "X-Hindsight-Signature: t=%s,v1=%s", zT, zMac);
  snprintf(zKey, sizeof(zKey), "Idempotency-Key: %s", m->zKey);
  snprintf(zEvent, sizeof(zEvent), "X-Hindsight-Event: %s", m->zTopic);
  struct curl_slist *pH = NULL;
  pH = curl_slist_append(pH, "Content-Type: application/json");
  pH = curl_slist_append(pH, "User-Agent: Hindsight-Webhook/1");
  pH = curl_slist_append(pH, "Expect:");
  pH = curl_slist_append(pH, zSig);
  pH = curl_slist_append(pH, zKey);
  pH = curl_slist_append(pH, zEvent);
  SockCheck check = {
      settings_get_int("subscriptions.allow_private_webhooks", 0) == 1, 0};
  CURL *c = curl_easy_init();
  char *zErr = NULL;
  if (!c || !pH) {
    curl_slist_free_all(pH);
    return xstrdup("curl could not start");
  }
  char aErr[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(c, CURLOPT_URL, m->zAddress);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_PROXY, "");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, pH);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, zBody);
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)nBody);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &check);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, aErr);
  CURLcode cc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  char zMsg[OUTBOX_ERROR_MAX];
  if (check.bRefused) {
    snprintf(zMsg, sizeof(zMsg),
             "refused: the URL resolves to a loopback or "
             "private address");
    zErr = xstrdup(zMsg);
    *pbPermanent = 1;
  } else if (cc != CURLE_OK) {
    snprintf(zMsg, sizeof(zMsg), "%s", aErr[0] ? aErr : curl_easy_strerror(cc));
    zErr = xstrdup(zMsg);
  } else if (status < 200 || status > 299) {
    snprintf(zMsg, sizeof(zMsg), "HTTP %ld", status);
    zErr = xstrdup(zMsg);
  }
  curl_easy_cleanup(c);
  curl_slist_free_all(pH);
  return zErr;
}

/* Appends z as base64 in 76-column lines with CRLF. */
static void base64_lines(Buf *pOut, const char *z, size_t n) {
  static const char az[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  int nCol = 0;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)(unsigned char)z[i] << 16;
    if (i + 1 < n) {
      v |= (unsigned)(unsigned char)z[i + 1] << 8;
    }
    if (i + 2 < n) {
      v |= (unsigned char)z[i + 2];
    }
    char a[4] = {az[(v >> 18) & 63], az[(v >> 12) & 63],
                 i + 1 < n ? az[(v >> 6) & 63] : '=',
                 i + 2 < n ? az[v & 63] : '='};
    buf_append(pOut, a, 4);
    nCol += 4;
    if (nCol >= 76) {
      buf_puts(pOut, "\r\n");
      nCol = 0;
    }
  }
  if (nCol) {
    buf_puts(pOut, "\r\n");
  }
}

/* A header value: as is when printable ASCII, else RFC 2047 base64. */
static void header_word(Buf *pOut, const char *z) {
  int bAscii = 1;
  for (const char *p = z; *p; p++) {
    unsigned char c = (unsigned char)*p;
    bAscii &= c >= 0x20 && c < 0x7f;
  }
  if (bAscii) {
    buf_puts(pOut, z);
    return;
  }
  Buf b;
  buf_init(&b, strlen(z) * 2 + 16);
  base64_lines(&b, z, strlen(z));
  buf_puts(pOut, "=?UTF-8?B?");
  for (const char *p = buf_str(&b); *p; p++) {
    if (*p != '\r' && *p != '\n') {
      buf_putc(pOut, *p);
    }
  }
  buf_puts(pOut, "?=");
  buf_free(&b);
}

/* The message being uploaded to the relay. */
typedef struct Upload {
  const char *z; /* the bytes */
  size_t n;      /* their count */
  size_t i;      /* how many are sent */
} Upload;

static size_t upload_read(char *p, size_t n, size_t m, void *pArg) {
  Upload *pU = pArg;
  size_t nLeft = pU->n - pU->i;
  size_t nCopy = n * m < nLeft ? n * m : nLeft;
  memcpy(p, pU->z + pU->i, nCopy);
  pU->i += nCopy;
  return nCopy;
}

/* Sends m through the SMTP relay of the smtp.* settings. NULL on success,
** else a NEW error message. */
static char *send_email(const Msg *m, int *pbPermanent) {
  char *zHost = settings_get("smtp.host", "");
  char *zFrom = settings_get("smtp.from", "");
  char *zUser = settings_get("smtp.user", "");
  char *zPass = settings_get("smtp.password", "");
  char *zCaFile = settings_get("smtp.ca_file", "");
  long long port = settings_get_int("smtp.port", 25);
  int bStartTls = settings_get_int("smtp.starttls", 0) == 1;
  char *zErr = NULL;
  if (!*zHost || !*zFrom) {
    zErr = xstrdup("smtp.host and smtp.from are not set");
    goto cleanup;
  }
  SpPage pg;
  sp_page_load(&pg);
  char zUnsubUrl[512];
  unsubscribe_url(m, &pg, zUnsubUrl);
  Buf msg;
  buf_init(&msg, OUTBOX_BODY_MAX * 2);
  char zDate[64];
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(zDate, sizeof(zDate), "%a, %d %b %Y %H:%M:%S +0000", &tm);
  buf_printf(&msg, "Date: %s\r\nFrom: %s\r\nTo: %s\r\nSubject: ", zDate, zFrom,
             m->zAddress);
  header_word(&msg, m->zSubject ? m->zSubject : "");
  buf_printf(&msg,
             "\r\nMessage-ID: <%s@hindsight.invalid>\r\n"
             "MIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n"
             "X-Hindsight-Idempotency-Key: %s\r\n",
             m->zKey, m->zKey);
  if (zUnsubUrl[0] && strcmp(m->zTopic, "confirm") != 0) {
    buf_printf(&msg,
               "List-Unsubscribe: <%s>\r\n"
               "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
               zUnsubUrl);
  }
  const char *zText = m->zText ? m->zText : "";
  if (m->zHtml) {
    buf_printf(&msg,
               "Content-Type: multipart/alternative; boundary=\"hs-%s\"\r\n"
               "\r\n--hs-%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
               "Content-Transfer-Encoding: base64\r\n\r\n",
               m->zKey, m->zKey);
    base64_lines(&msg, zText, strlen(zText));
    buf_printf(&msg,
               "--hs-%s\r\nContent-Type: text/html; charset=utf-8\r\n"
               "Content-Transfer-Encoding: base64\r\n\r\n",
               m->zKey);
    base64_lines(&msg, m->zHtml, strlen(m->zHtml));
    buf_printf(&msg, "--hs-%s--\r\n", m->zKey);
  } else {
    buf_puts(&msg, "Content-Type: text/plain; charset=utf-8\r\n"
                   "Content-Transfer-Encoding: base64\r\n\r\n");
    base64_lines(&msg, zText, strlen(zText));
  }
  if (buf_err(&msg)) {
    buf_free(&msg);
    zErr = xstrdup("message too large");
    *pbPermanent = 1;
    goto cleanup;
  }
  char zUrl[400], zMailFrom[400], zRcpt[400];
  snprintf(zUrl, sizeof(zUrl), "%s://%s:%lld/hindsight",
           port == 465 ? "smtps" : "smtp", zHost, port);
  snprintf(zMailFrom, sizeof(zMailFrom), "<%s>", zFrom);
  snprintf(zRcpt, sizeof(zRcpt), "<%s>", m->zAddress);
  struct curl_slist *pRcpt = curl_slist_append(NULL, zRcpt);
  CURL *c = curl_easy_init();
  if (!c || !pRcpt) {
    buf_free(&msg);
    curl_slist_free_all(pRcpt);
    if (c) {
      curl_easy_cleanup(c);
    }
    zErr = xstrdup("curl could not start");
    goto cleanup;
  }
  Upload up = {buf_str(&msg), msg.n, 0};
  char aErr[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(c, CURLOPT_URL, zUrl);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_PROXY, "");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  /* smtp.starttls 1, or any credentials, is CURLUSESSL_ALL: a relay that
  ** offers no STARTTLS gets nothing, so a password never crosses in clear
  ** (t0051). Without either, TLS is used when offered. The relay's
  ** certificate is always verified (against smtp.ca_file if set). */
  curl_easy_setopt(c, CURLOPT_USE_SSL, bStartTls || *zUser
                                           ? (long)CURLUSESSL_ALL
                                           : (long)CURLUSESSL_TRY);
  if (*zCaFile) {
    curl_easy_setopt(c, CURLOPT_CAINFO, zCaFile);
  }
  if (*zUser) {
    curl_easy_setopt(c, CURLOPT_USERNAME, zUser);
    curl_easy_setopt(c, CURLOPT_PASSWORD, zPass);
  }
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, zMailFrom);
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, pRcpt);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, upload_read);
  curl_easy_setopt(c, CURLOPT_READDATA, &up);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg.n);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, aErr);
  CURLcode cc = curl_easy_perform(c);
  if (cc != CURLE_OK) {
    char zMsg[OUTBOX_ERROR_MAX];
    snprintf(zMsg, sizeof(zMsg), "%s", aErr[0] ? aErr : curl_easy_strerror(cc));
    zErr = xstrdup(zMsg);
  }
  curl_easy_cleanup(c);
  curl_slist_free_all(pRcpt);
  buf_free(&msg);

cleanup:
  free(zHost);
  free(zCaFile);
  free(zFrom);
  free(zUser);
  free(zPass);
  return zErr;
}

/* Delivers one due row. 1 if a row was handled, 0 if none was due. */
static int deliver_one(void) {
  Msg m;
  memset(&m, 0, sizeof(m));
  if (!next_due(&m, utc_now_ms())) {
    return 0;
  }
  if (!m.bRendered) {
    int rc = strcmp(m.zTopic, "action_reminder") == 0    ? render_reminder(&m)
             : strcmp(m.zTopic, "component_update") == 0 ? render_component(&m)
             : strcmp(m.zTopic, "confirm") == 0          ? E_NOTFOUND
                                                         : render_update(&m);
    if (rc) {
      give_up(&m, rc == E_NOTFOUND ? "its source was deleted or unpublished"
                                   : "could not render the message");
      msg_free(&m);
      return 1;
    }
  }
  int bClaimed = claim(&m);
  if (bClaimed != 1) {
    msg_free(&m);
    return bClaimed == 0;
  }
  int bPermanent = 0;
  char *zErr = strcmp(m.zKind, "webhook") == 0 ? send_webhook(&m, &bPermanent)
                                               : send_email(&m, &bPermanent);
  if (zErr) {
    fprintf(stderr, "hindsight: outbox %lld (%s to %s) failed: %s\n",
            (long long)m.id, m.zTopic, m.zAddress, zErr);
  }
  finish(&m, zErr, bPermanent);
  free(zErr);
  msg_free(&m);
  return 1;
}

/* The thread -----------------------------------------------------------------
 */

static void outbox_main(void *pArg) {
  (void)pArg;
  int64_t lastPrune = 0; /* at start, then hourly */
  int bLead = 0;         /* this node delivers (db_lead) */
  while (!worker_stopping(&worker)) {
    /* One node delivers. Taking over (at start, or from a node that
    ** died) first requeues what was being sent when the sender stopped. */
    if (!db_lead(DB_JOB_OUTBOX)) {
      bLead = 0;
      if (worker_wait(&worker, OUTBOX_POLL_MS)) {
        break;
      }
      continue;
    }
    if (!bLead) {
      recover_interrupted();
      bLead = 1;
    }
    int64_t now = utc_now_ms();
    maintenance_tick(now, NULL);
    queue_reminders(now);
    if (now - lastPrune >= OUTBOX_PRUNE_MS) {
      prune(now);
      lastPrune = now;
    }
    /* Up to 100 messages a round, so a stop request is seen in time. */
    for (int i = 0; i < 100 && !worker_stopping(&worker) && deliver_one();
         i++) {
    }
    if (worker_wait(&worker, OUTBOX_POLL_MS)) {
      break;
    }
  }
  db_close_thread();
}

int outbox_start(void) {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    fprintf(stderr, "hindsight: libcurl failed to initialise\n");
    return E_IO;
  }
  if (worker_start(&worker, outbox_main, NULL)) {
    fprintf(stderr, "hindsight: cannot start the outbox worker\n");
    curl_global_cleanup();
    return E_IO;
  }
  return 0;
}

void outbox_stop(void) {
  if (!worker.bStarted) {
    return;
  }
  worker_stop(&worker);
  curl_global_cleanup();
}
