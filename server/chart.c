/*
** chart.c: bars for requests and 5xx errors per time bucket, scaled into
** a 1000 x 160 viewBox, and the x positions of the key moments. At most
** CHART_BARS bars: long incidents fold several minutes into one bar.
** No state; uses the calling thread's connection.
*/
#include "chart.h"

#include <stdio.h>
#include <string.h>

#include "db.h"
#include "err.h"
#include "evidence.h"
#include "utc.h"

#define CHART_W 1000
#define CHART_H 160
#define CHART_BARS 240

/* Rounds to a tenth: enough for a 1000-unit viewBox, and short HTML. */
static double tenth(double v) { return (double)(int64_t)(v * 10 + 0.5) / 10; }

/* The incident's minutes: its scope and its sources (as its raw lines). */
#define CHART_SCOPE                                                           \
  " WHERE minute BETWEEN :from AND :to"                                       \
  " AND source IN (SELECT source FROM incident_sources"                       \
  "  WHERE incident_id = :inc UNION SELECT source FROM events"                \
  "  WHERE incident_id = :inc AND evidence_id IS NOT NULL"                    \
  "  AND kind IN ('log', 'signal'))"

static void bind_scope(DbStmt *p, int64_t id, int64_t from,
                       int64_t to) {
  db_bind_int(p, ":inc", id);
  db_bind_int(p, ":from", from - 60000); /* the minute holding from */
  db_bind_int(p, ":to", to);
}

int chart_view(Req *r, json_t *pIncident) {
  int64_t id = json_integer_value(json_object_get(pIncident, "id"));
  int64_t from = 0, to = 0;
  if (evidence_scope(id, &from, &to) != 1) {
    return 0;
  }
  DbStmt *p = db_prepare(
      "SELECT min(minute), max(minute) FROM access_series" CHART_SCOPE);
  if (!p) {
    return E_DB;
  }
  bind_scope(p, id, from, to);
  int64_t first = 0, last = 0;
  int bAny = db_step(p) == DB_ROW && !db_col_is_null(p, 0);
  if (bAny) {
    first = db_col_int(p, 0);
    last = db_col_int(p, 1);
  }
  db_reset(p);
  if (!bAny) {
    return 0;
  }
  int64_t nMinutes = (last - first) / 60000 + 1;
  int64_t perBar = (nMinutes + CHART_BARS - 1) / CHART_BARS;
  int nBar = (int)((nMinutes + perBar - 1) / perBar);
  int64_t aReq[CHART_BARS] = {0}, aErr[CHART_BARS] = {0};
  p = db_prepare("SELECT minute, sum(requests), sum(s5xx) FROM access_series"
                 CHART_SCOPE " GROUP BY minute");
  if (!p) {
    return E_DB;
  }
  bind_scope(p, id, from, to);
  while (db_step(p) == DB_ROW) {
    int i = (int)((db_col_int(p, 0) - first) / 60000 / perBar);
    if (i >= 0 && i < nBar) {
      aReq[i] += db_col_int(p, 1);
      aErr[i] += db_col_int(p, 2);
    }
  }
  db_reset(p);
  int64_t max = 1;
  for (int i = 0; i < nBar; i++) {
    max = aReq[i] > max ? aReq[i] : max;
  }
  double w = (double)CHART_W / nBar;
  json_t *pBars = json_array();
  for (int i = 0; i < nBar; i++) {
    double hReq = (double)aReq[i] * CHART_H / (double)max;
    double hErr = (double)aErr[i] * CHART_H / (double)max;
    char zTime[25], zLabel[96];
    utc_format(first + (int64_t)i * perBar * 60000, zTime);
    snprintf(zLabel, sizeof(zLabel), "%.16s UTC: %lld requests, %lld 5xx",
             zTime, (long long)aReq[i], (long long)aErr[i]);
    json_array_append_new(
        pBars, json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:s}", "x",
                         tenth(i * w), "w", tenth(w > 1.5 ? w - 0.5 : w),
                         "y", tenth(CHART_H - hReq), "h", tenth(hReq), "ey",
                         tenth(CHART_H - hErr), "eh", tenth(hErr), "label",
                         zLabel));
  }
  static const char *const azMoment[] = {"started_at", "detected_at",
                                         "acknowledged_at", "mitigated_at",
                                         "resolved_at", NULL};
  json_t *pMarks = json_array();
  int64_t end = first + nBar * perBar * 60000;
  for (int i = 0; azMoment[i]; i++) {
    const char *zAt = json_string_value(json_object_get(pIncident,
                                                        azMoment[i]));
    int64_t ms;
    if (!zAt || utc_parse_iso(zAt, strlen(zAt), &ms) || ms < first ||
        ms > end) {
      continue;
    }
    char zName[20];
    snprintf(zName, sizeof(zName), "%.*s", (int)(strlen(azMoment[i]) - 3),
             azMoment[i]);
    /* Alternate label heights so close moments stay readable. */
    json_array_append_new(
        pMarks,
        json_pack("{s:f, s:s, s:i}", "x",
                  tenth((double)(ms - first) * CHART_W / (double)(end - first)),
                  "name", zName, "ty", json_array_size(pMarks) % 2 ? -6 : -20));
  }
  char zFirst[25], zLast[25];
  utc_format(first, zFirst);
  utc_format(end, zLast);
  if (!r->pView) {
    r->pView = json_object();
  }
  json_object_set_new(
      r->pView, "chart",
      json_pack("{s:o, s:o, s:I, s:s, s:s, s:I}", "bars", pBars, "marks",
                pMarks, "max", (json_int_t)max, "from", zFirst, "to", zLast,
                "minutes_per_bar", (json_int_t)perBar));
  return 0;
}
