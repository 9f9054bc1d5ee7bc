/*
** settings.c: reading and writing the settings table. Values are plain
** text in SQLite, never written to an environment or config file, so a
** value like "x\nAPP_KEY=y" or "${DB_PASS}" has no meaning beyond itself;
** control characters are refused anyway. No state; uses the calling
** thread's connection.
**
** The admin page /app/settings (and /api/v1/settings) edits the keys of
** aDef: each change is validated, written and audited in one transaction;
** readers load settings per render, so nothing needs a restart (the
** commit bumps the data version, which drops the public page's cache).
*/
#include "settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "db.h"
#include "err.h"
#include "input.h"
#include "tz.h"

static const char *const azKnown[] = {
    "page_id",
    "page_name",
    "page_url",
    "time_zone",
    "page_logo_url",
    "page_accent_color",
    "page_support_url",
    "page_chart_components",
    "ingest.window_minutes",
    "ingest.auto_declare",
    "redact.emails",
    "redact.keys",
    "smtp.host",
    "smtp.port",
    "smtp.starttls",
    "smtp.user",
    "smtp.password",
    "smtp.from",
    "smtp.ca_file",
    "subscriptions.allow_private_webhooks",
    "subscriptions.retry_base_seconds",
    "subscriptions.max_attempts",
    "subscriptions.outbox_keep_days",
    "serve.drain_timeout_seconds",
    "reminders.days_before",
    "search.raw_budget_ms",
    "retention.logs_days",
    "retention.alerts_days",
    "retention.tickets_days",
    NULL};

/* How a value is checked. */
enum { K_TEXT, K_URL, K_URL_OPT, K_ZONE, K_COLOR, K_LOGO, K_INT, K_BOOL,
       K_LIST };

/* One setting the admin page edits. */
typedef struct SettingDef {
  const char *zKey;     /* the settings row */
  const char *zLabel;   /* the form's label */
  const char *zGroup;   /* the form's section */
  int eKind;            /* K_*: how a value is checked */
  long long iMax;       /* K_INT: the largest value (the smallest is 0) */
  const char *zDefault; /* shown when unset (what readers assume) */
  const char *zHelp;    /* one line under the field */
} SettingDef;

static const SettingDef aDef[] = {
    {"page_name", "Page name", "Status page", K_TEXT, 0, "Service status",
     "The title of the public page, its feeds and e-mails."},
    {"page_url", "Public base URL", "Status page", K_URL, 0,
     "http://localhost:8080",
     "Where customers reach the page; every absolute link (feeds, e-mails,"
     " exports, the API's page.url) starts with it."},
    {"time_zone", "Time zone", "Status page", K_ZONE, 0, "Etc/UTC",
     "An IANA zone (Europe/Berlin, America/New_York) or a fixed +HH:MM;"
     " public times are shown and labelled in it, daylight saving"
     " included."},
    {"page_logo_url", "Logo URL", "Status page", K_LOGO, 0, "",
     "An image at https://... or a path on this site; empty: the name"
     " alone."},
    {"page_accent_color", "Accent colour", "Status page", K_COLOR, 0, "",
     "#rrggbb for links and the brand mark; empty: the default."},
    {"page_support_url", "Support link", "Status page", K_URL_OPT, 0, "",
     "https://... or mailto:...; shown in the page's header."},
    {"page_chart_components", "Components with a public requests chart",
     "Status page", K_LIST, 0, "",
     "Comma-separated component names (opt-in): the page shows their"
     " requests and 5xx rate per minute over the last 24 hours, from access"
     " logs ingested into public incidents."},
    {"ingest.window_minutes", "Correlation window (minutes)", "Ingest", K_INT,
     1440, "30",
     "Evidence this close to an incident's time span joins it."},
    {"ingest.auto_declare", "Declare incidents from critical alerts",
     "Ingest", K_BOOL, 1, "0",
     "On: a firing critical alert with no open incident declares one."},
    {"redact.emails", "Mask e-mail addresses", "Ingest", K_BOOL, 1, "0",
     "On: e-mail addresses in ingested lines are masked."},
    {"redact.keys", "Extra key names to mask", "Ingest", K_LIST, 0, "",
     "Comma-separated, e.g. session,card."},
    {"subscriptions.outbox_keep_days", "Keep sent messages (days)",
     "Retention", K_INT, 3650, "30",
     "Sent and dead subscriber messages older than this are pruned; 0"
     " keeps them all."},
    {"reminders.days_before", "Action reminders (days before due)",
     "Retention", K_INT, 365, "2", "When due-date reminders start."},
};
#define N_DEF (sizeof(aDef) / sizeof(aDef[0]))

static const SettingDef *def_find(const char *zKey) {
  for (size_t i = 0; i < N_DEF; i++) {
    if (strcmp(aDef[i].zKey, zKey) == 0) {
      return &aDef[i];
    }
  }
  return NULL;
}

/* Whether z is a URL with one of the schemes in azScheme and no spaces,
** quotes or angle brackets (it lands in attributes and XML). */
static int url_ok(const char *z, const char *const *azScheme) {
  int bScheme = 0;
  for (int i = 0; azScheme[i]; i++) {
    size_t n = strlen(azScheme[i]);
    if (strncmp(z, azScheme[i], n) == 0 && z[n]) {
      bScheme = 1;
    }
  }
  return bScheme && strlen(z) < 250 && strpbrk(z, " \"'<>\\`") == NULL;
}

const char *settings_check(const char *zKey, const char *zValue) {
  const SettingDef *d = def_find(zKey);
  static const char *const azHttp[] = {"http://", "https://", NULL};
  static const char *const azLogo[] = {"https://", "http://", "/", NULL};
  static const char *const azSupport[] = {"https://", "http://", "mailto:",
                                          NULL};
  if (!d) {
    return NULL; /* checked as one line by settings_set */
  }
  size_t n = strlen(zValue);
  switch (d->eKind) {
  case K_TEXT:
    return n >= 1 && n <= 100 ? NULL : "1 to 100 characters";
  case K_URL:
    return url_ok(zValue, azHttp) && strchr(zValue, '?') == NULL &&
                   strchr(zValue, '#') == NULL
               ? NULL
               : "an http:// or https:// URL without query or fragment";
  case K_URL_OPT:
    return n == 0 || url_ok(zValue, azSupport)
               ? NULL
               : "empty, or an https://, http:// or mailto: URL";
  case K_LOGO:
    return n == 0 || (url_ok(zValue, azLogo) && strncmp(zValue, "//", 2))
               ? NULL
               : "empty, an https:// URL or a path on this site";
  case K_ZONE: {
    TzZone *pZone = NULL;
    int rc = tz_load(zValue, &pZone);
    tz_free(pZone);
    return rc == 0
               ? NULL
               : "an IANA time zone name (Europe/Berlin) or +HH:MM";
  }
  case K_COLOR:
    return n == 0 || (n == 7 && zValue[0] == '#' &&
                      strspn(zValue + 1, "0123456789abcdefABCDEF") == 6)
               ? NULL
               : "empty or #rrggbb";
  case K_INT:
  case K_BOOL: {
    char *zEnd = NULL;
    long long v = n ? strtoll(zValue, &zEnd, 10) : -1;
    return n && n < 12 && zEnd && !*zEnd && v >= 0 && v <= d->iMax
               ? NULL
               : d->eKind == K_BOOL ? "0 or 1" : "a whole number in range";
  }
  default:
    return n <= 500 ? NULL : "at most 500 characters";
  }
}

char *settings_get(const char *zKey, const char *zDefault) {
  DbStmt *p = db_prepare("SELECT value FROM settings WHERE key = :k");
  char *zOut = NULL;
  if (p) {
    db_bind_text(p, ":k", zKey);
    if (db_step(p) == DB_ROW) {
      zOut = xstrdup(db_col_text(p, 0));
    }
    db_reset(p);
  }
  return zOut ? zOut : xstrdup(zDefault);
}

long long settings_get_int(const char *zKey, long long iDefault) {
  char *z = settings_get(zKey, "");
  char *zEnd = NULL;
  long long v = strtoll(z, &zEnd, 10);
  int bOk = *z && zEnd && *zEnd == 0;
  free(z);
  return bOk ? v : iDefault;
}

int settings_set(const char *zKey, const char *zValue) {
  size_t n = strlen(zValue);
  if (enum_index(azKnown, zKey) < 0 || n > 1000 || !utf8_valid(zValue, n)) {
    return E_INVALID;
  }
  for (size_t i = 0; i < n; i++) {
    if ((unsigned char)zValue[i] < 0x20) {
      return E_INVALID;
    }
  }
  if (settings_check(zKey, zValue) != NULL) {
    return E_INVALID;
  }
  DbStmt *p = db_prepare("INSERT INTO settings (key, value)"
                               " VALUES (:k, :v) ON CONFLICT (key)"
                               " DO UPDATE SET value = excluded.value");
  if (!p) {
    return E_DB;
  }
  db_bind_text(p, ":k", zKey);
  db_bind_text(p, ":v", zValue);
  return db_run(p);
}

int settings_cli(int argc, char **argv) {
  static const char *zUsage =
      "usage: hindsight config list | get KEY | set KEY VALUE\n"
      "  keys: page_id page_name page_url time_zone page_logo_url page_accent_color\n"
      "        page_support_url page_chart_components ingest.window_minutes ingest.auto_declare redact.emails"
      " redact.keys\n"
      "        smtp.host smtp.port smtp.starttls smtp.user smtp.password"
      " smtp.from\n"
      "        smtp.ca_file\n"
      "        subscriptions.allow_private_webhooks"
      " subscriptions.retry_base_seconds subscriptions.max_attempts\n"
      "        subscriptions.outbox_keep_days reminders.days_before\n";
  if (argc >= 1 && strcmp(argv[0], "--help") == 0) {
    fputs(zUsage, stdout);
    return 0;
  }
  if (argc == 1 && strcmp(argv[0], "list") == 0) {
    for (int i = 0; azKnown[i]; i++) {
      char *z = settings_get(azKnown[i], "");
      printf("%s=%s\n", azKnown[i], z);
      free(z);
    }
    return 0;
  }
  if (argc == 2 && strcmp(argv[0], "get") == 0) {
    char *z = settings_get(argv[1], "");
    printf("%s\n", z);
    free(z);
    return 0;
  }
  if (argc == 3 && strcmp(argv[0], "set") == 0) {
    const char *zWhy = settings_check(argv[1], argv[2]);
    if (zWhy) {
      fprintf(stderr, "hindsight: %s: %s\n", argv[1], zWhy);
      return 2;
    }
    int rc = settings_set(argv[1], argv[2]);
    if (rc == E_INVALID) {
      fprintf(stderr, "hindsight: unknown key or a value that is not one "
                      "line (try hindsight config --help)\n");
      return 2;
    }
    return rc ? 1 : 0;
  }
  fputs(zUsage, stderr);
  return 2;
}

/* The admin page --------------------------------------------------------- */

/* The model: sections of {key, label, value, help, kind flags}. NEW. */
static json_t *settings_model(void) {
  json_t *pGroups = json_array();
  json_t *pGroup = NULL;
  const char *zLast = "";
  json_t *pValues = json_object();
  for (size_t i = 0; i < N_DEF; i++) {
    const SettingDef *d = &aDef[i];
    if (strcmp(d->zGroup, zLast) != 0) {
      pGroup = json_pack("{s:s, s:[]}", "name", d->zGroup, "fields");
      json_array_append_new(pGroups, pGroup);
      zLast = d->zGroup;
    }
    char *z = settings_get(d->zKey, d->zDefault);
    json_object_set_new(pValues, d->zKey, json_string(z));
    json_array_append_new(
        json_object_get(pGroup, "fields"),
        json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:b}", "key", d->zKey,
                  "label", d->zLabel, "value", z, "help", d->zHelp, "is_bool",
                  d->eKind == K_BOOL, "is_zone", d->eKind == K_ZONE,
                  "is_color", d->eKind == K_COLOR, "is_on",
                  strcmp(z, "1") == 0));
    free(z);
  }
  return json_pack("{s:o, s:o}", "settings", pValues, "groups", pGroups);
}

int settings_page(Req *r) {
  r->pModel = settings_model();
  r->pView = json_pack("{s:b}", "saved", req_query(r, "saved") != NULL);
  r->zTemplate = "settings";
  r->zTitle = "Settings";
  return 0;
}

int settings_post(Req *r) {
  json_t *pIn = NULL;
  int rc = req_input(r, &pIn);
  if (rc) {
    return rc;
  }
  /* Check everything first: a form saves whole or not at all. */
  const char *zKey;
  json_t *pV;
  json_object_foreach(pIn, zKey, pV) {
    if (strcmp(zKey, "csrf_token") == 0) {
      continue;
    }
    const SettingDef *d = def_find(zKey);
    if (!d) {
      return req_fail(r, E_INVALID, "%s: not a setting this page edits",
                      zKey);
    }
    const char *z = json_string_value(pV);
    if (!z) {
      return req_fail(r, E_INVALID, "%s: must be a string", zKey);
    }
    size_t n = strlen(z);
    if (n > 1000 || !utf8_valid(z, n)) {
      return req_fail(r, E_INVALID, "%s: too long or not UTF-8", zKey);
    }
    for (size_t k = 0; k < n; k++) {
      if ((unsigned char)z[k] < 0x20) {
        return req_fail(r, E_INVALID, "%s: one line, no control characters",
                        zKey);
      }
    }
    const char *zWhy = settings_check(zKey, z);
    if (zWhy) {
      return req_fail(r, E_INVALID, "%s: %s", zKey, zWhy);
    }
  }
  rc = db_begin_write();
  if (rc) {
    return rc;
  }
  int nChanged = 0;
  json_object_foreach(pIn, zKey, pV) {
    const SettingDef *d = def_find(zKey);
    if (!d) {
      continue;
    }
    const char *z = json_string_value(pV);
    char *zOld = settings_get(zKey, d->zDefault);
    if (strcmp(zOld, z) != 0) {
      DbStmt *p = db_prepare("INSERT INTO settings (key, value)"
                                   " VALUES (:k, :v) ON CONFLICT (key)"
                                   " DO UPDATE SET value = excluded.value");
      rc = p ? 0 : E_DB;
      if (rc == 0) {
        db_bind_text(p, ":k", zKey);
        db_bind_text(p, ":v", z);
        rc = db_run(p);
      }
      if (rc == 0) {
        /* Secrets never pass through this page, so values are logged. */
        json_t *pBefore = json_pack("{s:s, s:s}", "key", zKey, "value", zOld);
        json_t *pAfter = json_pack("{s:s, s:s}", "key", zKey, "value", z);
        rc = audit_log("setting", 0, r->zUser, "update", pBefore, pAfter);
        json_decref(pBefore);
        json_decref(pAfter);
        nChanged++;
      }
    }
    free(zOld);
    if (rc) {
      break;
    }
  }
  if (rc) {
    db_rollback();
    return rc;
  }
  rc = db_commit();
  if (rc) {
    return rc;
  }
  if (r->bJsonOut) {
    r->pModel = settings_model();
    json_object_set_new(r->pModel, "changed", json_integer(nChanged));
    return 0;
  }
  r->zRedirect = "/app/settings?saved=1";
  return 0;
}
