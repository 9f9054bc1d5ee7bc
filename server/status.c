/*
** status.c: the public status site and its cache, the health check, and
** `hindsight export-status`.
**
** Every public route goes through status_public(): the answer for a path
** is rendered once (HTML through templates/, feeds through XML templates,
** /api/v2 from statusapi.c) and kept in memory with a content ETag until
** the data version changes, the next maintenance window is due to move,
** or a minute passes (today's uptime bar grows). If a render fails, the
** last good copy is served; that of `/` and summary.json survives a
** restart (lastgood.h). The same renderers write the static export,
** with relative links.
**
** Privacy: the models come from statusapi.c, which reads only published
** data; nothing here queries internal columns.
**
** Threading: the one piece of shared state is `cache` (StatusCache), a
** small table behind a read-write lock: hits only read, so the pool
** threads serving them never wait for each other (a mutex here was the
** most contended lock under load), and a new render writes. Each entry holds prebuilt replies
** (HttpReply: body and headers made once, reference-counted), so a
** response in flight keeps its bytes after the entry is replaced, and a
** hit costs no allocation. Rendering happens outside the lock, on the
** calling thread's connection; two threads may render the same path at
** once, and the later one simply replaces the entry.
*/
#include "status.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <zlib.h>

#include "assets.h"
#include "db.h"
#include "err.h"
#include "input.h"
#include "lastgood.h"
#include "maintenance.h"
#include "md.h"
#include "settings.h"
#include "sha256.h"
#include "statusapi.h"
#include "uptime.h"
#include "utc.h"

#define CACHE_MAX 64        /* cached paths */
#define CACHE_MAX_AGE 60000 /* ms a render stays fresh at most */
#define UPTIME_DAYS 90
#define UPTIME_DAYS_PHONE 30

/* How links are written: served pages use absolute paths; the export uses
** relative ones ending in .html. */
typedef struct Links {
  const char *zRoot; /* "/" served; "" or "../" exported */
  const char *zHome; /* "" served; "index.html" exported */
  const char *zExt;  /* "" served; ".html" exported */
} Links;

static const Links linksServed = {"/", "", ""};

/* The Cache-Control of every public answer. */
#define CACHE_CONTROL "public, max-age=10"
/* The front page shows each notice's newest updates, each cut short, with
** a link to the rest: whatever editors post, it stays small. */
#define HOME_UPDATES 3          /* updates per notice on / */
#define HOME_BODY_MAX 2000      /* bytes of an update's Markdown on / */

/* One rendered answer. */
typedef struct CacheEntry {
  char *zPath;        /* NEW: the request path, the key */
  HttpReply *pReply;  /* one reference: the answer, or NULL (none yet) */
  char zEtag[40];     /* quoted content hash */
  HttpReply *pGz;     /* one reference: the gzip answer, or NULL */
  char zEtagGz[44];   /* ETag of the gzip variant */
  uint64_t version;  /* data version it was rendered at */
  int64_t tValid;    /* fresh until this time (ms) */
} CacheEntry;

/* The status cache: shared by every pool thread, guarded by lock. Writers
** are preferred, so a stream of hits cannot starve a new render. */
static struct StatusCache {
  pthread_rwlock_t lock;   /* guards everything below */
  int nEntry;              /* entries used in a */
  CacheEntry a[CACHE_MAX]; /* the entries, unordered */
} cache = {PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP, 0, {{0}}};

/* Labels ------------------------------------------------------------------ */

static const char *component_label(const char *z) {
  static const char *const az[] = {"Operational", "Degraded performance",
                                   "Partial outage", "Major outage",
                                   "Under maintenance"};
  int i = enum_index(azComponentStatus, z);
  return i < 0 ? "Unknown" : az[i];
}

static const char *status_label(const char *z) {
  static const struct {
    const char *zKey, *zLabel;
  } a[] = {{"investigating", "Investigating"}, {"identified", "Identified"},
           {"monitoring", "Monitoring"},       {"resolved", "Resolved"},
           {"postmortem", "Postmortem"},       {"scheduled", "Scheduled"},
           {"in_progress", "In progress"},     {"verifying", "Verifying"},
           {"completed", "Completed"}};
  for (size_t i = 0; z && i < sizeof(a) / sizeof(a[0]); i++) {
    if (strcmp(a[i].zKey, z) == 0) {
      return a[i].zLabel;
    }
  }
  return "Update";
}

/* Writes "Nov 20, 2026 · 11:38 CET" for ms in the page's zone, labelled
** with the zone in force then (DST included). */
static void display_time(const SpPage *pg, int64_t ms, char *z, size_t n) {
  static const char *const azMon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char zIso[25], zZone[16];
  int offMin = sp_offset_min(pg, ms, zZone);
  utc_format(ms + (int64_t)offMin * 60000, zIso);
  int mon = (zIso[5] - '0') * 10 + (zIso[6] - '0');
  int day = (zIso[8] - '0') * 10 + (zIso[9] - '0');
  snprintf(z, n, "%s %d, %.4s \xc2\xb7 %.5s %s",
           azMon[mon < 1 || mon > 12 ? 0 : mon - 1], day, zIso, zIso + 11,
           zZone);
}

/* Display time of an ISO string from statusapi.c ("" when null). */
static json_t *display_json(const SpPage *pg, json_t *pIso) {
  const char *z = json_string_value(pIso);
  int64_t ms;
  if (!z || utc_parse_iso(z, strlen(z), &ms)) {
    return json_string("");
  }
  char zOut[64];
  display_time(pg, ms, zOut, sizeof(zOut));
  return json_string(zOut);
}

/* Adds view fields to one incident or maintenance (Statuspage shape). */
static void decorate_incident(const SpPage *pg, json_t *pI) {
  const char *zStatus = json_string_value(json_object_get(pI, "status"));
  json_object_set_new(pI, "status_label", json_string(status_label(zStatus)));
  json_object_set_new(
      pI, "is_open",
      json_boolean(enum_index(azIncidentStatus, zStatus) >= 0
                       ? enum_index(azIncidentStatus, zStatus) < 3
                       : strcmp(zStatus, "completed") != 0));
  const char *zId = json_string_value(json_object_get(pI, "id"));
  json_object_set_new(pI, "num",
                      json_string(zId && zId[0] == 'm' ? zId + 1 : zId));
  static const char *const azTimes[] = {"started_at",    "resolved_at",
                                        "scheduled_for", "scheduled_until",
                                        "created_at",    NULL};
  for (int i = 0; azTimes[i]; i++) {
    char zKey[40];
    snprintf(zKey, sizeof(zKey), "%s_text", azTimes[i]);
    json_object_set_new(pI, zKey,
                        display_json(pg, json_object_get(pI, azTimes[i])));
  }
  size_t i;
  json_t *pU;
  json_array_foreach(json_object_get(pI, "incident_updates"), i, pU) {
    const char *zBody = json_string_value(json_object_get(pU, "body"));
    json_object_set_new(pU, "body_html", md_safe_html(zBody ? zBody : ""));
    json_object_set_new(pU, "status_label",
                        json_string(status_label(
                            json_string_value(json_object_get(pU, "status")))));
    json_object_set_new(pU, "when_text",
                        display_json(pg, json_object_get(pU, "display_at")));
    size_t k;
    json_t *pA;
    json_array_foreach(json_object_get(pU, "affected_components"), k, pA) {
      json_object_set_new(pA, "new_label",
                          json_string(component_label(json_string_value(
                              json_object_get(pA, "new_status")))));
    }
  }
  const char *zPm = json_string_value(json_object_get(pI, "postmortem_body"));
  if (zPm) {
    json_object_set_new(pI, "postmortem_html", md_safe_html(zPm));
    json_object_set_new(
        pI, "postmortem_published_text",
        display_json(pg, json_object_get(pI, "postmortem_published_at")));
  }
  json_t *pNames = json_array();
  json_t *pC;
  json_array_foreach(json_object_get(pI, "components"), i, pC) {
    json_array_append(pNames, json_object_get(pC, "name"));
  }
  json_object_set_new(pI, "component_names", pNames);
}

/* Uptime ------------------------------------------------------------------ */

/* Reads the status spans of component id that matter from tStart on.
** NEW array (free()) in *paSpan. */
static int load_spans(int64_t id, int64_t tStart, UptimeSpan **paSpan) {
  DbStmt *p = db_prepare(
      "SELECT status, from_ts FROM component_history WHERE component_id = :c"
      " AND from_ts >= (SELECT coalesce(max(from_ts), 0) FROM"
      "  component_history WHERE component_id = :c AND from_ts <= :t)"
      " ORDER BY from_ts, id LIMIT 100000");
  *paSpan = NULL;
  if (!p) {
    return 0;
  }
  db_bind_int(p, ":c", id);
  db_bind_int(p, ":t", tStart);
  int n = 0, nAlloc = 0;
  while (db_step(p) == DB_ROW) {
    if (n == nAlloc) {
      nAlloc = nAlloc ? nAlloc * 2 : 16;
      *paSpan = xrealloc(*paSpan, sizeof(UptimeSpan) * (size_t)nAlloc);
    }
    (*paSpan)[n].iStatus = enum_index(azComponentStatus, db_col_text(p, 0));
    (*paSpan)[n].tFrom = db_col_int(p, 1);
    n++;
  }
  db_reset(p);
  return n;
}

static void duration_text(int64_t ms, char *z, size_t n) {
  int64_t m = ms / 60000;
  if (m >= 60) {
    snprintf(z, n, "%lldh %lldm", (long long)(m / 60), (long long)(m % 60));
  } else {
    snprintf(z, n, "%lldm", (long long)(m < 1 ? 1 : m));
  }
}

/* One bar list: the last nDay of aDay, x positions in a 10-unit grid. */
static json_t *bars_json(const SpPage *pg, const UptimeDay *aDay, int nDay,
                         int nShow) {
  static const char *const azClass[] = {"ok", "minor", "major", "critical"};
  json_t *pBars = json_array();
  for (int i = nDay - nShow; i < nDay; i++) {
    const UptimeDay *d = &aDay[i];
    char zTitle[200], zDate[64];
    display_time(pg, d->tDay, zDate, sizeof(zDate));
    char *zDot = strstr(zDate, " \xc2\xb7");
    if (zDot) {
      *zDot = 0; /* the date alone */
    }
    double f = uptime_percent(d->msKnown, d->msDown);
    if (f < 0) {
      snprintf(zTitle, sizeof(zTitle), "%s: no data", zDate);
    } else {
      int nT = snprintf(zTitle, sizeof(zTitle), "%s: %.2f%% uptime", zDate, f);
      static const char *const azWhat[] = {NULL, "degraded", "partial outage",
                                           "major outage", "maintenance"};
      for (int s = 3; s >= 1 && nT > 0 && nT < (int)sizeof(zTitle); s--) {
        if (d->aMs[s] > 0) {
          char zDur[32];
          duration_text(d->aMs[s], zDur, sizeof(zDur));
          nT += snprintf(zTitle + nT, sizeof(zTitle) - (size_t)nT, ", %s %s",
                         azWhat[s], zDur);
        }
      }
      if (d->aMs[4] > 0 && nT > 0 && nT < (int)sizeof(zTitle)) {
        char zDur[32];
        duration_text(d->aMs[4], zDur, sizeof(zDur));
        snprintf(zTitle + nT, sizeof(zTitle) - (size_t)nT, ", maintenance %s",
                 zDur);
      }
    }
    json_array_append_new(
        pBars, json_pack("{s:i, s:s, s:s}", "x", (i - (nDay - nShow)) * 10,
                         "cls", d->iWorst < 0 ? "none" : azClass[d->iWorst],
                         "title", zTitle));
  }
  return pBars;
}

/* Adds uptime (bars and percentages) to a component view. */
/* What add_uptime() adds. */
enum {
  UP_HTML,    /* bars and texts for the page, and uptime_90d */
  UP_PERCENT, /* uptime_90d only (summary.json) */
  UP_DAYS     /* uptime_90d and uptime_days (components.json) */
};

static int64_t local_day_start(const SpPage *pg, int64_t ms);

/* Adds uptime to a component object (not a group) as eMode says. */
static void add_uptime(const SpPage *pg, json_t *pC, int64_t now, int eMode) {
  const char *zId = json_string_value(json_object_get(pC, "id"));
  int64_t id = zId ? atoll(zId + 1) : 0;
  UptimeDay aDay[UPTIME_DAYS];
  /* Days in the page's zone (23 or 25 hours across a DST change), so the
  ** bars agree with every other date on the page. */
  int64_t aStart[UPTIME_DAYS + 1];
  aStart[UPTIME_DAYS] = local_day_start(pg, now) + 36 * 3600000LL;
  aStart[UPTIME_DAYS] = local_day_start(pg, aStart[UPTIME_DAYS]);
  for (int i = UPTIME_DAYS - 1; i >= 0; i--) {
    aStart[i] = local_day_start(pg, aStart[i + 1] - 1);
  }
  UptimeSpan *aSpan = NULL;
  int nSpan = load_spans(id, aStart[0], &aSpan);
  uptime_days_between(aSpan, nSpan, now, UPTIME_DAYS, aStart, aDay);
  free(aSpan);
  int64_t aKnown[2] = {0, 0}, aDown[2] = {0, 0};
  for (int i = 0; i < UPTIME_DAYS; i++) {
    aKnown[0] += aDay[i].msKnown;
    aDown[0] += aDay[i].msDown;
    if (i >= UPTIME_DAYS - UPTIME_DAYS_PHONE) {
      aKnown[1] += aDay[i].msKnown;
      aDown[1] += aDay[i].msDown;
    }
  }
  char z90[32] = "no data", z30[32] = "no data";
  double f90 = uptime_percent(aKnown[0], aDown[0]);
  double f30 = uptime_percent(aKnown[1], aDown[1]);
  if (f90 >= 0) {
    snprintf(z90, sizeof(z90), "%.2f%% uptime", f90);
  }
  if (f30 >= 0) {
    snprintf(z30, sizeof(z30), "%.2f%% uptime", f30);
  }
  if (eMode == UP_HTML) {
    json_object_set_new(
        pC, "uptime",
        json_pack("{s:s, s:s, s:o, s:o}", "text90", z90, "text30", z30,
                  "bars90", bars_json(pg, aDay, UPTIME_DAYS, UPTIME_DAYS),
                  "bars30",
                  bars_json(pg, aDay, UPTIME_DAYS, UPTIME_DAYS_PHONE)));
  }
  if (eMode == UP_DAYS) {
    static const char *const azWorst[] = {"operational", "degraded_performance",
                                          "partial_outage", "major_outage"};
    json_t *pDays = json_array();
    for (int i = 0; i < UPTIME_DAYS; i++) {
      char zDay[25];
      utc_format(aDay[i].tDay + (int64_t)sp_offset_min(pg, aDay[i].tDay, NULL) *
                                    60000,
                 zDay);
      zDay[10] = 0; /* the local date */
      double f = uptime_percent(aDay[i].msKnown, aDay[i].msDown);
      json_array_append_new(
          pDays,
          json_pack("{s:s, s:o, s:o}", "date", zDay, "uptime",
                    f >= 0 ? json_real(((long long)(f * 100 + 0.5)) / 100.0)
                           : json_null(),
                    "worst",
                    aDay[i].iWorst >= 0 ? json_string(azWorst[aDay[i].iWorst])
                                        : json_null()));
    }
    json_object_set_new(pC, "uptime_days", pDays);
  }
  json_object_set_new(pC, "uptime_90d",
                      f90 >= 0
                          ? json_real(((long long)(f90 * 100 + 0.5)) / 100.0)
                          : json_null());
}

/* Models ------------------------------------------------------------------ */

/* Reads a page setting (branding) into a NEW string, "" when unset. */
static json_t *brand_setting(const char *zKey) {
  char *z = settings_get(zKey, "");
  json_t *pOut = json_string(z);
  free(z);
  return pOut ? pOut : json_string("");
}

static json_t *base_model(const SpPage *pg, const Links *pL) {
  json_t *pPage = sp_page_json(pg);
  json_t *pM = json_pack("{s:o, s:s, s:s, s:s}", "page", pPage, "root",
                         pL->zRoot, "home", pL->zHome, "ext", pL->zExt);
  /* Labelled in the page's zone: one zone for every time on a page. */
  /* Nothing published yet: no "Updated Jan 1, 1970". */
  int bAny = strncmp(json_string_value(json_object_get(pPage, "updated_at")),
                     "1970-01-01", 10) != 0;
  json_object_set_new(pM, "updated_text",
                      bAny ? display_json(pg, json_object_get(pPage,
                                                              "updated_at"))
                           : json_string(""));
  char zZone[16];
  sp_offset_min(pg, utc_now_ms(), zZone);
  json_object_set_new(pM, "zone_label", json_string(zZone));
  json_object_set_new(
      pM, "brand",
      json_pack("{s:o, s:o, s:o}", "logo_url", brand_setting("page_logo_url"),
                "accent", brand_setting("page_accent_color"), "support_url",
                brand_setting("page_support_url")));
  return pM;
}

/* The start (UTC ms) of the page-zone day holding ms. */
static int64_t local_day_start(const SpPage *pg, int64_t ms) {
  int64_t local = ms + (int64_t)sp_offset_min(pg, ms, NULL) * 60000;
  int64_t day = local / UPTIME_DAY_MS - (local % UPTIME_DAY_MS < 0 ? 1 : 0);
  int64_t t = day * UPTIME_DAY_MS;
  /* Local midnight back to UTC; twice, in case DST changed in between. */
  int64_t u = t - (int64_t)sp_offset_min(pg, t, NULL) * 60000;
  return t - (int64_t)sp_offset_min(pg, u, NULL) * 60000;
}

/* The last 7 days in the page's zone, newest first, each with the public
** incidents and maintenance that began on it (Statuspage's "Past
** Incidents"); a quiet day has no items. */
static json_t *model_days(const SpPage *pg, int64_t now) {
  json_t *pDays = json_array();
  int64_t tEnd = now;
  int64_t tDay = local_day_start(pg, now);
  DbStmt *p = db_prepare(
      "SELECT 'i', id, title, impact, status, started_at FROM incidents"
      " WHERE public = 1 AND started_at >= :from AND started_at < :to"
      " UNION ALL SELECT 'm', id, title, 'maintenance', status,"
      " coalesce(started_at, scheduled_for) FROM maintenances"
      " WHERE coalesce(started_at, scheduled_for) >= :from"
      " AND coalesce(started_at, scheduled_for) < :to"
      " ORDER BY 6 DESC, 2 DESC LIMIT 50");
  for (int i = 0; i < 7; i++) {
    char zDate[64];
    display_time(pg, tDay + 12 * 3600000LL, zDate, sizeof(zDate));
    char *zDot = strstr(zDate, " \xc2\xb7");
    if (zDot) {
      *zDot = 0; /* the date alone */
    }
    json_t *pItems = json_array();
    if (p) {
      db_bind_int(p, ":from", tDay);
      db_bind_int(p, ":to", tEnd);
      while (db_step(p) == DB_ROW) {
        char zAt[64];
        display_time(pg, db_col_int(p, 5), zAt, sizeof(zAt));
        json_array_append_new(
            pItems,
            json_pack("{s:I, s:b, s:s, s:s, s:s, s:s}", "id",
                      (json_int_t)db_col_int(p, 1), "is_maintenance",
                      db_col_text(p, 0)[0] == 'm', "name", db_col_text(p, 2),
                      "impact", db_col_text(p, 3), "status_label",
                      status_label(db_col_text(p, 4)), "at_text", zAt));
      }
      db_reset(p);
    }
    json_array_append_new(pDays, json_pack("{s:s, s:o}", "date", zDate,
                                           "items", pItems));
    tEnd = tDay;
    tDay = local_day_start(pg, tDay - 1);
  }
  return pDays;
}

/* Metrics ----------------------------------------------------------------- */

#define METRIC_MINUTES 1440 /* the last 24 hours */
#define METRIC_PER_BAR 10   /* minutes a bar folds */
#define METRIC_BARS (METRIC_MINUTES / METRIC_PER_BAR)

/* Whether component zName is in the comma-separated opt-in list zList
** (case-insensitive, spaces around names ignored). */
static int in_list(const char *zList, const char *zName) {
  size_t nName = strlen(zName);
  const char *z = zList;
  while (*z) {
    while (*z == ' ' || *z == ',') {
      z++;
    }
    const char *zEnd = strchr(z, ',');
    size_t n = zEnd ? (size_t)(zEnd - z) : strlen(z);
    while (n > 0 && z[n - 1] == ' ') {
      n--;
    }
    if (n == nName && n > 0 && strncasecmp(z, zName, n) == 0) {
      return 1;
    }
    z += zEnd ? (size_t)(zEnd - z) : strlen(z);
  }
  return 0;
}

/* Requests and 5xx per minute of component id over the last 24 hours, as
** SVG bars in a 1000 x 60 box (Statuspage's "system metrics"). From the
** access-log series of the source named like the component and of the
** sources ingested into public incidents that name it; NULL when there
** are none. NEW. */
static json_t *component_metrics(const SpPage *pg, int64_t id, int64_t now) {
  int64_t tEnd = now - now % 60000 + 60000;
  int64_t tFrom = tEnd - (int64_t)METRIC_MINUTES * 60000;
  DbStmt *p = db_prepare(
      "SELECT s.minute, sum(s.requests), sum(s.s5xx) FROM access_series s"
      " WHERE s.minute >= :from AND s.minute < :to"
      " AND (lower(s.source) = (SELECT lower(name) FROM components"
      "   WHERE id = :c)"
      "  OR s.source IN (SELECT src.source FROM incident_sources src"
      "   JOIN incident_components ic ON ic.incident_id = src.incident_id"
      "   JOIN incidents i ON i.id = src.incident_id"
      "   WHERE ic.component_id = :c AND i.public = 1))"
      " GROUP BY s.minute");
  if (!p) {
    return NULL;
  }
  int64_t aReq[METRIC_BARS] = {0}, aErr[METRIC_BARS] = {0};
  int64_t nReq = 0, nErr = 0;
  db_bind_int(p, ":c", id);
  db_bind_int(p, ":from", tFrom);
  db_bind_int(p, ":to", tEnd);
  while (db_step(p) == DB_ROW) {
    int i = (int)((db_col_int(p, 0) - tFrom) / 60000 / METRIC_PER_BAR);
    if (i >= 0 && i < METRIC_BARS) {
      aReq[i] += db_col_int(p, 1);
      aErr[i] += db_col_int(p, 2);
      nReq += db_col_int(p, 1);
      nErr += db_col_int(p, 2);
    }
  }
  db_reset(p);
  if (nReq == 0) {
    return NULL;
  }
  int64_t max = 1;
  for (int i = 0; i < METRIC_BARS; i++) {
    max = aReq[i] > max ? aReq[i] : max;
  }
  json_t *pBars = json_array();
  double w = 1000.0 / METRIC_BARS;
  for (int i = 0; i < METRIC_BARS; i++) {
    if (aReq[i] == 0) {
      continue;
    }
    double hReq = (double)aReq[i] * 60 / (double)max;
    double hErr = (double)aErr[i] * 60 / (double)max;
    char zAt[64], zLabel[160];
    display_time(pg, tFrom + (int64_t)i * METRIC_PER_BAR * 60000, zAt,
                 sizeof(zAt));
    snprintf(zLabel, sizeof(zLabel),
             "%s: %.1f requests/min, %.1f%% 5xx", zAt,
             (double)aReq[i] / METRIC_PER_BAR,
             100.0 * (double)aErr[i] / (double)aReq[i]);
    json_array_append_new(
        pBars,
        json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:s}", "x",
                  (int)(i * w * 10) / 10, "w", (int)w - 1 > 0 ? (int)w - 1 : 1,
                  "y", 60 - (int)(hReq + 0.5), "h", (int)(hReq + 0.5), "ey",
                  60 - (int)(hErr + 0.5), "eh", (int)(hErr + 0.5), "label",
                  zLabel));
  }
  char zRate[64];
  snprintf(zRate, sizeof(zRate), "%.2f%% 5xx", 100.0 * (double)nErr /
                                                    (double)nReq);
  return json_pack("{s:o, s:I, s:s, s:I}", "bars", pBars, "requests",
                   (json_int_t)nReq, "error_rate", zRate, "peak",
                   (json_int_t)(max / METRIC_PER_BAR));
}

/* Keeps the newest HOME_UPDATES of notice pI's updates (newest first),
** each cut to HOME_BODY_MAX bytes of Markdown; "updates_more" counts the
** ones left out, "body_cut" marks a cut update. The notice page has all. */
static void home_trim_updates(json_t *pI) {
  json_t *pUpdates = json_object_get(pI, "incident_updates");
  size_t n = json_array_size(pUpdates);
  while (json_array_size(pUpdates) > HOME_UPDATES) {
    json_array_remove(pUpdates, json_array_size(pUpdates) - 1);
  }
  if (n > HOME_UPDATES) {
    json_object_set_new(pI, "updates_more",
                        json_integer((json_int_t)(n - HOME_UPDATES)));
  }
  size_t i;
  json_t *pU;
  json_array_foreach(pUpdates, i, pU) {
    const char *zBody = json_string_value(json_object_get(pU, "body"));
    size_t nBody = zBody ? strlen(zBody) : 0;
    if (nBody <= HOME_BODY_MAX) {
      continue;
    }
    size_t nCut = HOME_BODY_MAX;
    while (nCut > 0 && ((unsigned char)zBody[nCut] & 0xC0) == 0x80) {
      nCut--; /* not inside a UTF-8 character */
    }
    char *zCut = xmalloc(nCut + 1);
    memcpy(zCut, zBody, nCut);
    zCut[nCut] = 0;
    json_object_set_new(pU, "body_html", md_safe_html(zCut));
    json_object_set_new(pU, "body_cut", json_true());
    free(zCut);
  }
}

/* The front page: banner, grouped components with uptime, open incidents
** with their updates, active and upcoming maintenance. */
static json_t *model_home(const SpPage *pg, const Links *pL, int64_t now) {
  json_t *pM = base_model(pg, pL);
  json_t *pComps = sp_components(pg);
  json_t *pInc = sp_incidents(pg, SP_UNRESOLVED);
  json_t *pMaint = sp_maintenances(pg, SP_OPEN);
  json_t *pStatus = sp_status(pComps, pInc, pMaint);
  const char *zInd = json_string_value(json_object_get(pStatus, "indicator"));
  int bMaintText =
      strcmp(json_string_value(json_object_get(pStatus, "description")),
             "Service Under Maintenance") == 0;
  json_object_set_new(pStatus, "banner",
                      json_string(bMaintText ? "maintenance" : zInd));
  json_object_set_new(pM, "status", pStatus);
  char *zCharts = settings_get("page_chart_components", "");
  /* Groups as sections; ungrouped components in one unnamed section. */
  json_t *pGroups = json_array();
  json_t *pLoose = json_pack("{s:s, s:[]}", "name", "", "components");
  size_t i;
  json_t *pC;
  json_array_foreach(pComps, i, pC) {
    const char *zStatus = json_string_value(json_object_get(pC, "status"));
    json_object_set_new(pC, "status_label",
                        json_string(component_label(zStatus)));
    if (json_is_true(json_object_get(pC, "group"))) {
      /* Collapsed while all is well, open when a member is not, as
      ** Statuspage shows groups. */
      json_array_append_new(
          pGroups,
          json_pack("{s:O, s:O, s:s, s:[], s:b, s:i}", "name",
                    json_object_get(pC, "name"), "status",
                    json_object_get(pC, "status"), "status_label",
                    component_label(zStatus), "components", "open",
                    strcmp(zStatus, "operational") != 0, "count", 0));
      continue;
    }
    add_uptime(pg, pC, now, UP_HTML);
    const char *zName = json_string_value(json_object_get(pC, "name"));
    if (zName && in_list(zCharts, zName)) {
      const char *zId = json_string_value(json_object_get(pC, "id"));
      json_t *pMetrics =
          zId ? component_metrics(pg, atoll(zId + 1), now) : NULL;
      if (pMetrics) {
        json_object_set_new(pC, "metrics", pMetrics);
      }
    }
    json_t *pInto = pLoose;
    if (!json_is_null(json_object_get(pC, "group_id"))) {
      pInto = json_array_get(pGroups, json_array_size(pGroups) - 1);
    }
    json_array_append(json_object_get(pInto, "components"), pC);
    json_object_set_new(
        pInto, "count",
        json_integer((json_int_t)json_array_size(
            json_object_get(pInto, "components"))));
  }
  if (json_array_size(json_object_get(pLoose, "components"))) {
    json_array_insert(pGroups, 0, pLoose);
  }
  json_decref(pLoose);
  free(zCharts);
  json_object_set_new(pM, "groups", pGroups);
  json_object_set_new(pM, "has_components",
                      json_boolean(json_array_size(pComps) > 0));
  json_decref(pComps);
  json_array_foreach(pInc, i, pC) {
    decorate_incident(pg, pC);
    home_trim_updates(pC);
  }
  json_object_set_new(pM, "incidents", pInc);
  json_t *pActive = json_array(), *pUpcoming = json_array();
  json_array_foreach(pMaint, i, pC) {
    decorate_incident(pg, pC);
    home_trim_updates(pC);
    const char *zS = json_string_value(json_object_get(pC, "status"));
    json_array_append(strcmp(zS, "scheduled") == 0 ? pUpcoming : pActive, pC);
  }
  json_decref(pMaint);
  json_object_set_new(pM, "maintenances_active", pActive);
  json_object_set_new(pM, "maintenances_upcoming", pUpcoming);
  json_object_set_new(pM, "days", model_days(pg, now));
  return pM;
}

/* Characters (not bytes) of UTF-8 text z. */
static size_t utf8_chars(const char *z) {
  size_t n = 0;
  for (; *z; z++) {
    n += ((unsigned char)*z & 0xC0) != 0x80;
  }
  return n;
}

/* The badge: "status | All Systems Operational" for the page, or
** "NAME | Operational" for the component named zName (case-insensitive;
** NULL: the page). NULL model when no such component. Widths estimate
** Verdana 11px at 7 pixels a character, as badge makers do. */
static json_t *model_badge(const SpPage *pg, const char *zName) {
  static const char *const azColor[] = {"#2ea44f", "#dbab09", "#e36209",
                                        "#cb2431", "#0366d6"};
  json_t *pComps = sp_components(pg);
  const char *zLabel = "status", *zText = NULL;
  int iColor = 0;
  json_t *pStatus = NULL;
  if (zName) {
    size_t i;
    json_t *pC;
    json_array_foreach(pComps, i, pC) {
      const char *z = json_string_value(json_object_get(pC, "name"));
      if (z && strcasecmp(z, zName) == 0 &&
          !json_is_true(json_object_get(pC, "group"))) {
        const char *zS = json_string_value(json_object_get(pC, "status"));
        int k = enum_index(azComponentStatus, zS);
        zLabel = z;
        zText = component_label(zS);
        iColor = k < 0 ? 0 : k;
        break;
      }
    }
    if (!zText) {
      json_decref(pComps);
      return NULL;
    }
  } else {
    json_t *pInc = sp_incidents(pg, SP_UNRESOLVED);
    json_t *pMaint = sp_maintenances(pg, SP_OPEN);
    pStatus = sp_status(pComps, pInc, pMaint);
    json_decref(pInc);
    json_decref(pMaint);
    static const char *const azInd[] = {"none", "minor", "major", "critical",
                                        NULL};
    zText = json_string_value(json_object_get(pStatus, "description"));
    iColor = enum_index(azInd, json_string_value(
                                   json_object_get(pStatus, "indicator")));
    if (iColor <= 0 && strcmp(zText, "Service Under Maintenance") == 0) {
      iColor = 4;
    }
    iColor = iColor < 0 ? 0 : iColor;
  }
  int lw = 10 + 7 * (int)utf8_chars(zLabel);
  int tw = 10 + 7 * (int)utf8_chars(zText);
  json_t *pM = json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:i}", "label",
                         zLabel, "text", zText, "color", azColor[iColor], "w",
                         lw + tw, "lw", lw, "tw", tw, "lx", lw / 2, "tx",
                         lw + tw / 2);
  json_decref(pStatus);
  json_decref(pComps);
  return pM;
}

/* The page of one incident or maintenance pI (TAKES it), as
** sp_incident() or sp_maintenance() gives it. NEW. */
static json_t *model_incident(const SpPage *pg, const Links *pL, json_t *pI) {
  decorate_incident(pg, pI);
  json_t *pM = base_model(pg, pL);
  json_object_set_new(pM, "page_title",
                      json_incref(json_object_get(pI, "name")));
  json_object_set_new(pM, "incident", pI);
  return pM;
}

/* Past incidents by month (page zone), newest first, and completed
** maintenance. */
static json_t *model_history(const SpPage *pg, const Links *pL) {
  json_t *pM = base_model(pg, pL);
  json_t *pMonths = json_array();
  DbStmt *p = db_prepare(
      "SELECT 'i', id, title, impact, status, started_at, resolved_at"
      " FROM incidents WHERE public = 1"
      " UNION ALL SELECT 'm', id, title, 'maintenance', status,"
      " coalesce(started_at, scheduled_for), completed_at FROM maintenances"
      " WHERE status = 'completed'"
      " ORDER BY 6 DESC, 2 DESC LIMIT 1000");
  if (!p) {
    return pM;
  }
  static const char *const azMonth[] = {
      "January", "February", "March",     "April",   "May",      "June",
      "July",    "August",   "September", "October", "November", "December"};
  char zLast[32] = "";
  json_t *pMonth = NULL;
  while (db_step(p) == DB_ROW) {
    char zIso[25], zLabel[32];
    utc_format(db_col_int(p, 5) +
                   (int64_t)sp_offset_min(pg, db_col_int(p, 5), NULL) * 60000,
               zIso);
    int mon = (zIso[5] - '0') * 10 + (zIso[6] - '0');
    snprintf(zLabel, sizeof(zLabel), "%s %.4s",
             azMonth[mon < 1 || mon > 12 ? 0 : mon - 1], zIso);
    if (strcmp(zLabel, zLast) != 0) {
      pMonth = json_pack("{s:s, s:[]}", "label", zLabel, "items");
      json_array_append_new(pMonths, pMonth);
      snprintf(zLast, sizeof(zLast), "%s", zLabel);
    }
    char zFrom[64], zTo[64] = "";
    display_time(pg, db_col_int(p, 5), zFrom, sizeof(zFrom));
    if (!db_col_is_null(p, 6)) {
      display_time(pg, db_col_int(p, 6), zTo, sizeof(zTo));
    }
    int bMaint = db_col_text(p, 0)[0] == 'm';
    json_array_append_new(
        json_object_get(pMonth, "items"),
        json_pack("{s:I, s:b, s:s, s:s, s:s, s:s, s:s}", "id",
                  (json_int_t)db_col_int(p, 1), "is_maintenance", bMaint,
                  "name", db_col_text(p, 2), "impact", db_col_text(p, 3),
                  "status_label", status_label(db_col_text(p, 4)), "from_text",
                  zFrom, "to_text", zTo));
  }
  db_reset(p);
  json_object_set_new(pM, "months", pMonths);
  return pM;
}

/* Feed content: each incident's updates as HTML, rendered by the
** feed_entry template and then escaped as text by the feed template. */
static json_t *model_feed(const SpPage *pg) {
  json_t *pM = base_model(pg, &linksServed);
  json_t *pList = sp_incidents(pg, SP_ALL);
  size_t i;
  json_t *pI;
  json_array_foreach(pList, i, pI) {
    decorate_incident(pg, pI);
    char *z = NULL;
    size_t n = 0;
    if (http_render("feed_entry", NULL, pI, &z, &n) == 0) {
      json_object_set_new(pI, "content_html", json_stringn(z, n));
      free(z);
    }
    int64_t ms = 0;
    const char *zAt = json_string_value(json_object_get(pI, "updated_at"));
    utc_parse_iso(zAt, strlen(zAt), &ms);
    /* RFC 822 in the page's zone, like every other time of the page. */
    int off = sp_offset_min(pg, ms, NULL);
    time_t t = (time_t)(ms / 1000 + (int64_t)off * 60);
    struct tm tm;
    gmtime_r(&t, &tm);
    char zRfc[64], zDate[48];
    strftime(zDate, sizeof(zDate), "%a, %d %b %Y %H:%M:%S", &tm);
    int a = off < 0 ? -off : off;
    snprintf(zRfc, sizeof(zRfc), "%s %c%02d%02d", zDate, off < 0 ? '-' : '+',
             (a / 60) % 100, a % 60);
    json_object_set_new(pI, "rfc822", json_string(zRfc));
  }
  json_object_set_new(pM, "entries", pList);
  return pM;
}

/* Rendering --------------------------------------------------------------- */

/* A positive id from the tail of zPath after zPrefix, or 0. */
static int64_t path_id(const char *zPath, const char *zPrefix) {
  size_t n = strlen(zPrefix);
  if (strncmp(zPath, zPrefix, n) != 0) {
    return 0;
  }
  const char *z = zPath + n;
  if (!*z || strlen(z) > 15 || strspn(z, "0123456789") != strlen(z)) {
    return 0;
  }
  return atoll(z);
}

/* Renders the public answer for zPath with link style pL. 0 and NEW *pz
** (free()) with its type, or E_NOTFOUND / an error. */
static int status_render(const char *zPath, const Links *pL, int64_t now,
                         char **pz, size_t *pn, const char **pzType) {
  SpPage pg;
  sp_page_load(&pg);
  json_t *pM = NULL;
  const char *zTemplate = NULL;
  const char *zLayout = "public_layout";
  int64_t id;
  *pzType = "text/html; charset=utf-8";
  if (strncmp(zPath, "/api/v2/", 8) == 0) {
    int rc = sp_api(&pg, zPath + 8, &pM);
    if (rc) {
      return rc;
    }
    /* Uptime, beyond Statuspage's fields: the 90-day percentage, and in
    ** components.json the days behind the bars. */
    int bDays = strcmp(zPath + 8, "components.json") == 0;
    size_t i;
    json_t *pC;
    json_array_foreach(json_object_get(pM, "components"), i, pC) {
      if (!json_is_true(json_object_get(pC, "group"))) {
        add_uptime(&pg, pC, now, bDays ? UP_DAYS : UP_PERCENT);
      }
    }
    char *z = json_dumps(pM, JSON_COMPACT);
    json_decref(pM);
    if (!z) {
      return E_DB;
    }
    *pn = strlen(z);
    *pz = z;
    *pzType = "application/json; charset=utf-8";
    return 0;
  }
  if (strcmp(zPath, "/theme.css") == 0) {
    /* The accent colour; settings_check let only #rrggbb through. */
    char *zAccent = settings_get("page_accent_color", "");
    char *z = xmalloc(128);
    if (strlen(zAccent) == 7 && zAccent[0] == '#') {
      snprintf(z, 128, ":root { --accent: %s; }\n", zAccent);
    } else {
      snprintf(z, 128, "/* no accent colour set */\n");
    }
    free(zAccent);
    *pz = z;
    *pn = strlen(z);
    *pzType = "text/css; charset=utf-8";
    return 0;
  }
  if (strcmp(zPath, "/badge.svg") == 0 ||
      strncmp(zPath, "/badge/", 7) == 0) {
    char zName[256] = "";
    size_t n = strlen(zPath);
    if (zPath[6] == '/') {
      if (n < 12 || n - 11 >= sizeof(zName) ||
          strcmp(zPath + n - 4, ".svg") != 0) {
        return E_NOTFOUND;
      }
      memcpy(zName, zPath + 7, n - 11);
      zName[n - 11] = 0;
    }
    pM = model_badge(&pg, zName[0] ? zName : NULL);
    if (!pM) {
      return E_NOTFOUND;
    }
    *pzType = "image/svg+xml; charset=utf-8";
    int rc = http_render("badge", NULL, pM, pz, pn);
    json_decref(pM);
    return rc;
  }
  if (strcmp(zPath, "/embed") == 0) {
    pM = model_home(&pg, pL, now);
    int rc = http_render("embed", NULL, pM, pz, pn);
    json_decref(pM);
    return rc;
  }
  if (strcmp(zPath, "/") == 0) {
    pM = model_home(&pg, pL, now);
    zTemplate = "status";
    json_object_set_new(pM, "page_title", json_string(pg.zName));
  } else if (strcmp(zPath, "/history") == 0) {
    pM = model_history(&pg, pL);
    zTemplate = "history";
    json_object_set_new(pM, "page_title", json_string("Incident history"));
  } else if ((id = path_id(zPath, "/incidents/")) > 0) {
    json_t *pI = sp_incident(&pg, id);
    if (!pI) {
      return E_NOTFOUND;
    }
    pM = model_incident(&pg, pL, pI);
    zTemplate = "public_incident";
  } else if ((id = path_id(zPath, "/maintenance/")) > 0) {
    json_t *pI = sp_maintenance(&pg, id);
    if (!pI) {
      return E_NOTFOUND;
    }
    pM = model_incident(&pg, pL, pI);
    zTemplate = "public_incident";
  } else if (strcmp(zPath, "/history.atom") == 0) {
    pM = model_feed(&pg);
    zTemplate = "feed_atom";
    zLayout = NULL;
    *pzType = "application/atom+xml; charset=utf-8";
  } else if (strcmp(zPath, "/history.rss") == 0) {
    pM = model_feed(&pg);
    zTemplate = "feed_rss";
    zLayout = NULL;
    *pzType = "application/rss+xml; charset=utf-8";
  } else {
    return E_NOTFOUND;
  }
  int rc = http_render(zTemplate, zLayout, pM, pz, pn);
  json_decref(pM);
  return rc;
}

/* Cache ------------------------------------------------------------------- */

static void etag_of(const char *z, size_t n, char zEtag[40]) {
  unsigned char aHash[32];
  sha256(z, n, aHash);
  int k = snprintf(zEtag, 40, "\"");
  for (int i = 0; i < 12; i++) {
    k += snprintf(zEtag + k, 40 - (size_t)k, "%02x", aHash[i]);
  }
  snprintf(zEtag + k, 40 - (size_t)k, "\"");
}

/* Gzips z[0..n) at level 6. NEW (free()) or NULL when it does not pay. */
static char *gzip_of(const char *z, size_t n, size_t *pnOut) {
  if (n < 512) {
    return NULL;
  }
  z_stream s;
  memset(&s, 0, sizeof(s));
  /* windowBits 15 + 16: a gzip wrapper, as Content-Encoding: gzip wants. */
  if (deflateInit2(&s, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return NULL;
  }
  size_t nMax = deflateBound(&s, (uLong)n);
  char *zOut = xmalloc(nMax);
  s.next_in = (Bytef *)z;
  s.avail_in = (uInt)n;
  s.next_out = (Bytef *)zOut;
  s.avail_out = (uInt)nMax;
  int rc = deflate(&s, Z_FINISH);
  *pnOut = s.total_out;
  deflateEnd(&s);
  if (rc != Z_STREAM_END || *pnOut >= n) {
    free(zOut);
    return NULL;
  }
  return zOut;
}

/* Whether the client takes gzip (a plain token check; q=0 is ignored). */
static int accepts_gzip(Req *r) {
  const char *z = req_header(r, "Accept-Encoding");
  return z && strstr(z, "gzip") != NULL;
}

/* Finds the entry for zPath (any version), or NULL. Lock held. */
static CacheEntry *cache_find(const char *zPath) {
  for (int i = 0; i < cache.nEntry; i++) {
    if (strcmp(cache.a[i].zPath, zPath) == 0) {
      return &cache.a[i];
    }
  }
  return NULL;
}

/* Whether zPath is read-only public data other origins may read (the v2
** API, feeds, badges): the R_CORS routes of http.c. */
static int path_cors(const char *zPath) {
  size_t n = strlen(zPath);
  return strncmp(zPath, "/api/v2/", 8) == 0 ||
         (n > 5 && (strcmp(zPath + n - 5, ".atom") == 0 ||
                    strcmp(zPath + n - 4, ".rss") == 0 ||
                    strcmp(zPath + n - 4, ".svg") == 0));
}

/* Stores a render (TAKES z). Lock not held. */
static void cache_put(const char *zPath, char *z, size_t n, const char *zType,
                      uint64_t version, int64_t tValid) {
  char zEtag[40], zEtagGz[44];
  etag_of(z, n, zEtag);
  /* "abc" -> "abc-gz": the variants must not share an ETag. */
  snprintf(zEtagGz, sizeof(zEtagGz), "%.*s-gz\"", (int)strlen(zEtag) - 1,
           zEtag);
  size_t nGz = 0;
  char *zGz = gzip_of(z, n, &nGz);
  int bVary = 1 | (path_cors(zPath) ? HTTP_REPLY_CORS : 0) |
              (strcmp(zPath, "/embed") == 0 ? HTTP_REPLY_FRAME : 0);
  HttpReply *pReply =
      http_reply_new(zType, NULL, CACHE_CONTROL, zEtag, bVary, z, n);
  HttpReply *pGz = zGz ? http_reply_new(zType, "gzip", CACHE_CONTROL,
                                        zEtagGz, bVary, zGz, nGz)
                       : NULL;
  if (!pReply) {
    http_reply_release(pGz);
    return;
  }
  pthread_rwlock_wrlock(&cache.lock);
  CacheEntry *p = cache_find(zPath);
  if (!p) {
    /* Full: reuse a stale slot, else drop the render. */
    for (int i = 0; !p && i < cache.nEntry; i++) {
      if (cache.a[i].version != version) {
        p = &cache.a[i];
        free(p->zPath);
        p->zPath = xstrdup(zPath);
      }
    }
    if (!p && cache.nEntry < CACHE_MAX) {
      p = &cache.a[cache.nEntry++];
      p->zPath = xstrdup(zPath);
      p->pReply = NULL;
      p->pGz = NULL;
    }
  }
  if (p) {
    HttpReply *pOld = p->pReply, *pOldGz = p->pGz;
    p->pReply = pReply;
    p->pGz = pGz;
    p->version = version;
    p->tValid = tValid;
    memcpy(p->zEtag, zEtag, sizeof(zEtag));
    memcpy(p->zEtagGz, zEtagGz, sizeof(zEtagGz));
    pReply = pOld;
    pGz = pOldGz;
  }
  pthread_rwlock_unlock(&cache.lock);
  /* The replaced replies, or this render when it found no slot. */
  http_reply_release(pReply);
  http_reply_release(pGz);
}

/* Serves the entry for zPath (a new reference to its reply, no copy);
** bAny: even a stale one. */
static int cache_serve(Req *r, const char *zKey, uint64_t version,
                       int64_t now, int bAny) {
  int bHit = 0;
  const char *zIfNone = req_header(r, "If-None-Match");
  int bGzip = accepts_gzip(r);
  pthread_rwlock_rdlock(&cache.lock);
  CacheEntry *p = cache_find(zKey);
  if (p && p->pReply &&
      (bAny || (p->version == version && now < p->tValid))) {
    bHit = 1;
    int bGz = bGzip && p->pGz;
    const char *zEtag = bGz ? p->zEtagGz : p->zEtag;
    /* A copy: the entry may be replaced before the answer goes out. */
    snprintf(r->zEtagCopy, sizeof(r->zEtagCopy), "%s", zEtag);
    r->zEtag = r->zEtagCopy;
    r->bVary = 1;
    if (!zIfNone || strcmp(zIfNone, zEtag) != 0) {
      r->pReply = bGz ? p->pGz : p->pReply;
      http_reply_retain(r->pReply);
    }
  }
  pthread_rwlock_unlock(&cache.lock);
  return bHit;
}

/* A kept last good render (lastgood.h) as a stale entry: served only when
** a render fails (version 0 is never current: versions start from the
** clock). */
static void cache_put_kept(const char *zPath, const char *zType, char *z,
                           size_t n) {
  cache_put(zPath, z, n, zType, 0, 0);
}

static pthread_once_t keptOnce = PTHREAD_ONCE_INIT;

static void cache_load_kept(void) { lastgood_load(cache_put_kept); }

int status_public(Req *r) {
  /* After a restart the first render may fail too: the kept copies. */
  pthread_once(&keptOnce, cache_load_kept);
  int64_t now = utc_now_ms();
  r->zCacheControl = CACHE_CONTROL;
  /* /badge.svg?component=NAME is the path form /badge/NAME.svg. */
  const char *zKey = r->zPath;
  const char *zComp = strcmp(r->zPath, "/badge.svg") == 0
                          ? req_query(r, "component")
                          : NULL;
  if (zComp) {
    if (!*zComp || strlen(zComp) > 200 || strchr(zComp, '/') ||
        !utf8_valid(zComp, strlen(zComp))) {
      return req_fail(r, E_NOTFOUND, "Not found.");
    }
    size_t nKey = strlen(zComp) + 16;
    char *z = arena_alloc(&r->arena, nKey);
    snprintf(z, nKey, "/badge/%s.svg", zComp);
    zKey = z;
  }
  if (cache_serve(r, zKey, db_data_version(), now, 0)) {
    return 0;
  }
  /* Stale or missing: move due maintenance windows, then render. */
  int64_t tNext = INT64_MAX;
  maintenance_tick(now, &tNext);
  uint64_t version = db_data_version();
  int64_t tValid = now + CACHE_MAX_AGE;
  if (tNext < tValid) {
    tValid = tNext > now ? tNext : now + 1000;
  }
  char *z = NULL;
  size_t n = 0;
  const char *zType = NULL;
  db_clear_error();
  int rc = status_render(zKey, &linksServed, now, &z, &n, &zType);
  if (rc == 0 && db_unavailable()) {
    /* A query failed as the database went away (failover): the render
    ** may lack what those rows held; it must not replace a good copy. */
    free(z);
    z = NULL;
    rc = E_DB;
  }
  if (rc == E_NOTFOUND) {
    return req_fail(r, rc, "Not found.");
  }
  if (rc) {
    /* Keep the page up on its worst day: the last good copy. */
    return cache_serve(r, zKey, version, now, 1) ? 0 : rc;
  }
  lastgood_save(zKey, z, n);
  cache_put(zKey, z, n, zType, version, tValid);
  if (cache_serve(r, zKey, version, now, 1)) {
    return 0;
  }
  /* The cache was full of current entries: render again, uncached. */
  rc = status_render(zKey, &linksServed, now, &z, &n, &zType);
  if (rc) {
    return rc;
  }
  r->zRaw = z;
  r->nRaw = n;
  r->zRawType = zType;
  return 0;
}

int status_healthz(Req *r) {
  r->bJsonOut = 1;
  if (db_schema_ahead()) {
    r->zErrCode = "schema_ahead";
    return req_fail(r, E_DB,
                    "this node is older than the database's schema:"
                    " upgrade it");
  }
  DbStmt *p = db_prepare("SELECT 1");
  int bOk = p && db_step(p) == DB_ROW;
  db_reset(p);
  if (!bOk) {
    return req_fail(r, E_DB, "database unavailable");
  }
  r->pModel = json_pack("{s:s}", "status", "ok");
  return 0;
}

/* Export ------------------------------------------------------------------ */

static int write_file(const char *zDir, const char *zName, const char *z,
                      size_t n) {
  char zPath[4096];
  snprintf(zPath, sizeof(zPath), "%s/%s", zDir, zName);
  /* Make the parent directories. */
  for (char *p = zPath + strlen(zDir) + 1; *p; p++) {
    if (*p == '/') {
      *p = 0;
      if (mkdir(zPath, 0755) && errno != EEXIST) {
        fprintf(stderr, "hindsight: cannot create %s: %s\n", zPath,
                strerror(errno));
        return E_IO;
      }
      *p = '/';
    }
  }
  FILE *f = fopen(zPath, "wb");
  if (!f) {
    fprintf(stderr, "hindsight: cannot write %s: %s\n", zPath, strerror(errno));
    return E_IO;
  }
  int rc = fwrite(z, 1, n, f) == n ? 0 : E_IO;
  if (fclose(f) != 0) {
    rc = E_IO;
  }
  return rc;
}

/* Renders zPath into zDir/zFile. */
static int export_one(const char *zDir, const char *zPath, const char *zFile,
                      const Links *pL, int64_t now) {
  char *z = NULL;
  size_t n = 0;
  const char *zType;
  int rc = status_render(zPath, pL, now, &z, &n, &zType);
  if (rc == 0) {
    rc = write_file(zDir, zFile, z, n);
  } else {
    fprintf(stderr, "hindsight: cannot render %s\n", zPath);
  }
  free(z);
  return rc;
}

static int export_ids(const char *zDir, int bMaint, const Links *pL,
                      int64_t now) {
  DbStmt *p = bMaint
                        ? db_prepare("SELECT id FROM maintenances ORDER BY id")
                        : db_prepare("SELECT id FROM incidents WHERE public = 1"
                                     " ORDER BY id");
  if (!p) {
    return E_DB;
  }
  int64_t *aId = NULL;
  int nId = 0, nAlloc = 0;
  while (db_step(p) == DB_ROW) {
    if (nId == nAlloc) {
      nAlloc = nAlloc ? nAlloc * 2 : 64;
      aId = xrealloc(aId, sizeof(int64_t) * (size_t)nAlloc);
    }
    aId[nId++] = db_col_int(p, 0);
  }
  db_reset(p);
  int rc = 0;
  for (int i = 0; rc == 0 && i < nId; i++) {
    char zPath[64], zFile[80];
    snprintf(zPath, sizeof(zPath), "/%s/%lld",
             bMaint ? "maintenance" : "incidents", (long long)aId[i]);
    snprintf(zFile, sizeof(zFile), "%s.html", zPath + 1);
    rc = export_one(zDir, zPath, zFile, pL, now);
  }
  free(aId);
  return rc;
}

/* badge/NAME.svg for each component whose name makes a plain file name
** (the path form of its badge). */
static int export_badges(const char *zDir, const Links *pL, int64_t now) {
  DbStmt *p = db_prepare("SELECT name FROM components ORDER BY id"
                               " LIMIT 1000");
  if (!p) {
    return E_DB;
  }
  json_t *pNames = json_array();
  while (db_step(p) == DB_ROW) {
    const char *z = db_col_text(p, 0);
    if (z[0] != '.' && !strchr(z, '/') && strlen(z) < 200) {
      json_array_append_new(pNames, json_string(z));
    }
  }
  db_reset(p);
  int rc = 0;
  size_t i;
  json_t *pN;
  json_array_foreach(pNames, i, pN) {
    if (rc || !json_is_string(pN)) {
      continue;
    }
    char zPath[256];
    snprintf(zPath, sizeof(zPath), "/badge/%s.svg", json_string_value(pN));
    rc = export_one(zDir, zPath, zPath + 1, pL, now);
  }
  json_decref(pNames);
  return rc;
}

int status_write_site(const char *zDir, int bServedLinks, int64_t now) {
  static const Links top = {"", "index.html", ".html"};
  static const Links sub = {"../", "index.html", ".html"};
  const Links *pTop = bServedLinks ? &linksServed : &top;
  const Links *pSub = bServedLinks ? &linksServed : &sub;
  static const char *const azApi[] = {"summary.json",
                                      "status.json",
                                      "components.json",
                                      "incidents.json",
                                      "incidents/unresolved.json",
                                      "scheduled-maintenances.json",
                                      "scheduled-maintenances/upcoming.json",
                                      "scheduled-maintenances/active.json",
                                      NULL};
  static const struct {
    const char *zPath, *zFile;
  } aPage[] = {{"/", "index.html"},
               {"/history", "history.html"},
               {"/history.atom", "history.atom"},
               {"/history.rss", "history.rss"},
               {"/theme.css", "theme.css"},
               {"/badge.svg", "badge.svg"},
               {"/embed", "embed.html"}};
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < sizeof(aPage) / sizeof(aPage[0]); i++) {
    rc = export_one(zDir, aPage[i].zPath, aPage[i].zFile, pTop, now);
  }
  for (int i = 0; rc == 0 && azApi[i]; i++) {
    char zPath[128], zFile[128];
    snprintf(zPath, sizeof(zPath), "/api/v2/%s", azApi[i]);
    snprintf(zFile, sizeof(zFile), "api/v2/%s", azApi[i]);
    rc = export_one(zDir, zPath, zFile, pTop, now);
  }
  if (rc == 0) {
    rc = export_badges(zDir, pTop, now);
  }
  if (rc == 0) {
    rc = export_ids(zDir, 0, pSub, now);
  }
  if (rc == 0) {
    rc = export_ids(zDir, 1, pSub, now);
  }
  static const char *const azStatic[] = {"style.css", "app.js", "favicon.svg",
                                         NULL};
  for (int i = 0; rc == 0 && azStatic[i]; i++) {
    char zName[64], zFile[64];
    snprintf(zName, sizeof(zName), "web/%s", azStatic[i]);
    snprintf(zFile, sizeof(zFile), "static/%s", azStatic[i]);
    size_t n = 0;
    char *z = asset_load(zName, &n);
    rc = z ? write_file(zDir, zFile, z, n) : E_IO;
    free(z);
  }
  return rc;
}

int status_export_cli(int argc, char **argv) {
  static const char *zUsage =
      "usage: hindsight export-status --out DIR\n"
      "  writes the public status site (pages, feeds, api/v2/*.json,\n"
      "  static assets) as static files with relative links\n";
  if (argc == 1 && strcmp(argv[0], "--help") == 0) {
    fputs(zUsage, stdout);
    return 0;
  }
  if (argc != 2 || strcmp(argv[0], "--out") != 0 || !*argv[1]) {
    fprintf(stderr, "hindsight: export-status needs --out DIR (try"
                    " hindsight export-status --help)\n");
    return 2;
  }
  const char *zDir = argv[1];
  if (mkdir(zDir, 0755) && errno != EEXIST) {
    fprintf(stderr, "hindsight: cannot create %s: %s\n", zDir, strerror(errno));
    return 1;
  }
  int64_t now = utc_now_ms();
  if (maintenance_tick(now, NULL)) {
    return 1;
  }
  if (status_write_site(zDir, 0, now)) {
    return 1;
  }
  printf("hindsight: status site written to %s\n", zDir);
  return 0;
}
