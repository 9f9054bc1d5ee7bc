/*
** settings.c: reading and writing the settings table. Values are plain
** text in SQLite, never written to an environment or config file, so a
** value like "x\nAPP_KEY=y" or "${DB_PASS}" has no meaning beyond itself;
** control characters are refused anyway. No state; uses the calling
** thread's connection.
*/
#include "settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "err.h"
#include "input.h"

static const char *const azKnown[] = {
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
    NULL};

char *settings_get(const char *zKey, const char *zDefault) {
  sqlite3_stmt *p = db_prepare("SELECT value FROM settings WHERE key = :k");
  char *zOut = NULL;
  if (p) {
    db_bind_text(p, ":k", zKey);
    if (db_step(p) == SQLITE_ROW) {
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
  sqlite3_stmt *p = db_prepare("INSERT INTO settings (key, value)"
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
      "  keys: ingest.window_minutes ingest.auto_declare redact.emails"
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
