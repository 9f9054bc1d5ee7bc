/*
** settings.h: the few operational settings stored in the `settings` table
** (key, value), read with defaults. Known keys only; values are one line.
**
**   page_name, page_url, time_zone  the public page's title, base URL
**                          and IANA zone (see statusapi.h)
**   page_logo_url, page_accent_color, page_support_url  its branding
**   ingest.window_minutes  correlation pad around an incident (30)
**   ingest.auto_declare    1: a firing critical alert with no open incident
**                          for its component declares one (0)
**   redact.emails          1: mask e-mail addresses on the way in (0)
**   redact.keys            extra key names to mask, comma-separated ("")
**   smtp.host, smtp.port   the relay for outgoing mail ("", 25)
**   smtp.starttls          1: require STARTTLS (0: use it if offered)
**   smtp.user, smtp.password, smtp.from   relay login and envelope sender
**   subscriptions.allow_private_webhooks  1: webhook URLs may point at
**                          loopback or private addresses (0)
**   subscriptions.retry_base_seconds  first retry delay, doubled per try (30)
**   subscriptions.max_attempts        attempts before a message is dead (8)
**   reminders.days_before  action reminders start this many days before
**                          the due date (2)
**   search.raw_budget_ms   a raw-line search stops after this long and
**                          answers partial: true with a cursor (2000;
**                          0: no budget)
**   serve.drain_timeout_seconds  SIGTERM waits this long for requests in
**                          flight (60; serve --drain-timeout overrides)
*/
#ifndef HS_SETTINGS_H
#define HS_SETTINGS_H

#include <stddef.h>

#include "http.h"

/* The value of zKey, or zDefault. NEW (free()). */
char *settings_get(const char *zKey, const char *zDefault);
/* The value of zKey as an integer, or iDefault when unset or not one. */
long long settings_get_int(const char *zKey, long long iDefault);
/* Sets a known key to a one-line value. 0, E_INVALID (unknown key or a
** value with control characters or over 1000 bytes), E_DB. */
int settings_set(const char *zKey, const char *zValue);

/* Why zValue is not acceptable for zKey (a static phrase), or NULL when
** it is (keys the admin page does not edit are only checked as one line
** by settings_set). */
const char *settings_check(const char *zKey, const char *zValue);

/* GET /app/settings and /api/v1/settings (admins): the page's settings,
** branding, ingest and retention values, with defaults filled in. */
int settings_page(Req *r);
/* POST /app/settings and /api/v1/settings (admins, CSRF): sets the given
** keys (form or JSON object of strings); all are checked before any is
** written; each change is audited (entity "setting"). 400 names the bad
** field; the form redirects to the page, JSON answers the new values. */
int settings_post(Req *r);

/* CLI: hindsight config list | get KEY | set KEY VALUE. Exit code. */
int settings_cli(int argc, char **argv);

#endif
