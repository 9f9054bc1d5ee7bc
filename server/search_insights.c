/*
** search_insights.c: the recurring-causes view, /app/insights. Counts
** postmortem root-cause categories and incident components per quarter of
** the incident start, and lays them out as stacked bars in a 1000 x 200
** viewBox (coordinates computed here, as chart.c does, so the SVG needs
** no script or style) plus a table. A row that shows up in two or more
** quarters is marked recurring.
**
** Threading: no state of its own; uses the calling thread's connection.
*/
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "err.h"
#include "input.h"
#include "search.h"
#include "utc.h"

#define INS_QUARTERS 12 /* most recent quarters shown */
#define INS_SERIES 8    /* series (colour classes s0..s7) */
#define INS_W 1000
#define INS_H 160       /* bar area; labels go below */

typedef struct Grid {
  int nSeries;                         /* rows used */
  char azName[INS_SERIES][64];         /* series names */
  int64_t aCount[INS_SERIES][INS_QUARTERS]; /* counts per quarter */
} Grid;

static double tenth(double v) { return (double)(int64_t)(v * 10 + 0.5) / 10; }

/* Finds or adds series zName; the last slot collects "other". */
static int grid_series(Grid *g, const char *zName) {
  for (int i = 0; i < g->nSeries; i++) {
    if (strcmp(g->azName[i], zName) == 0) {
      return i;
    }
  }
  if (g->nSeries == INS_SERIES - 1 && strcmp(zName, "other") != 0) {
    return grid_series(g, "other");
  }
  snprintf(g->azName[g->nSeries], sizeof(g->azName[0]), "%s", zName);
  return g->nSeries++;
}

/* Turns a grid into {bars, legend, rows, max}. NEW. */
static json_t *grid_json(const Grid *g, int64_t firstKey, int nQ,
                         const char *zHead, const char *zAria) {
  int64_t max = 1;
  for (int q = 0; q < nQ; q++) {
    int64_t sum = 0;
    for (int s = 0; s < g->nSeries; s++) {
      sum += g->aCount[s][q];
    }
    max = sum > max ? sum : max;
  }
  double slot = (double)INS_W / (nQ > 0 ? nQ : 1);
  json_t *pBars = json_array();
  for (int q = 0; q < nQ; q++) {
    int64_t key = firstKey + q;
    char zLabel[48];
    snprintf(zLabel, sizeof(zLabel), "%lld Q%lld", (long long)(key / 4),
             (long long)(key % 4 + 1));
    json_t *pSegs = json_array();
    double y = INS_H;
    int64_t total = 0;
    for (int s = 0; s < g->nSeries; s++) {
      int64_t n = g->aCount[s][q];
      if (n == 0) {
        continue;
      }
      double h = (double)n * INS_H / (double)max;
      y -= h;
      total += n;
      char zTitle[128];
      snprintf(zTitle, sizeof(zTitle), "%s, %s: %lld", zLabel, g->azName[s],
               (long long)n);
      json_array_append_new(
          pSegs, json_pack("{s:f, s:f, s:s, s:s}", "y", tenth(y), "h",
                           tenth(h), "cls", (char[]){'s', (char)('0' + s), 0},
                           "title", zTitle));
    }
    json_array_append_new(
        pBars,
        json_pack("{s:f, s:f, s:f, s:s, s:o, s:I, s:f}", "x",
                  tenth(q * slot + slot * 0.2), "w", tenth(slot * 0.6), "cx",
                  tenth(q * slot + slot * 0.5), "label", zLabel, "segs",
                  pSegs, "total", (json_int_t)total, "ty",
                  tenth(y - 4)));
  }
  json_t *pRows = json_array();
  for (int s = 0; s < g->nSeries; s++) {
    json_t *pCells = json_array();
    int64_t total = 0;
    int nSeen = 0;
    for (int q = 0; q < nQ; q++) {
      json_array_append_new(pCells, json_integer(g->aCount[s][q]));
      total += g->aCount[s][q];
      nSeen += g->aCount[s][q] > 0;
    }
    json_array_append_new(
        pRows, json_pack("{s:s, s:s, s:o, s:I, s:b}", "name", g->azName[s],
                         "cls", (char[]){'s', (char)('0' + s), 0}, "cells",
                         pCells, "total", (json_int_t)total, "recurring",
                         nSeen >= 2));
  }
  return json_pack("{s:o, s:o, s:I, s:b, s:s, s:s}", "bars", pBars, "rows",
                   pRows, "max", (json_int_t)max, "any", g->nSeries > 0,
                   "head", zHead, "aria", zAria);
}

/* Fills g from a statement returning (quarter key, name, count). */
static int grid_fill(DbStmt *p, Grid *g, int64_t firstKey, int nQ) {
  int rc;
  while ((rc = db_step(p)) == DB_ROW) {
    int64_t q = db_col_int(p, 0) - firstKey;
    if (q < 0 || q >= nQ) {
      continue;
    }
    int s = grid_series(g, db_col_text(p, 1));
    g->aCount[s][q] += db_col_int(p, 2);
  }
  db_reset(p);
  return rc == DB_DONE ? 0 : E_DB;
}

int search_insights(Req *r) {
  /* Quarter key: year * 4 + quarter index, from the incident start. */
  DbStmt *p = db_prepare(db_sql(
      "SELECT max(CAST(strftime('%Y', started_at / 1000, 'unixepoch')"
      " AS INTEGER) * 4 + (CAST(strftime('%m', started_at / 1000,"
      " 'unixepoch') AS INTEGER) - 1) / 3) FROM incidents",
      /* the session's zone is UTC (db_pg.c) */
      "SELECT max(extract(year FROM to_timestamp(started_at / 1000))::bigint"
      " * 4 + (extract(month FROM to_timestamp(started_at / 1000))::bigint"
      " - 1) / 3) FROM incidents"));
  if (!p) {
    return E_DB;
  }
  int64_t lastKey = -1;
  if (db_step(p) == DB_ROW && !db_col_is_null(p, 0)) {
    lastKey = db_col_int(p, 0);
  }
  db_reset(p);
  int nQ = lastKey < 0 ? 0 : INS_QUARTERS;
  int64_t firstKey = lastKey - INS_QUARTERS + 1;
  /* Start at the first quarter with data, when that is more recent. */
  p = db_prepare(db_sql(
      "SELECT min(CAST(strftime('%Y', started_at / 1000,"
      " 'unixepoch') AS INTEGER) * 4 + (CAST(strftime('%m',"
      " started_at / 1000, 'unixepoch') AS INTEGER) - 1) / 3)"
      " FROM incidents",
      "SELECT min(extract(year FROM to_timestamp(started_at / 1000))::bigint"
      " * 4 + (extract(month FROM to_timestamp(started_at / 1000))::bigint"
      " - 1) / 3) FROM incidents"));
  if (!p) {
    return E_DB;
  }
  if (db_step(p) == DB_ROW && !db_col_is_null(p, 0) &&
      db_col_int(p, 0) > firstKey) {
    firstKey = db_col_int(p, 0);
    nQ = (int)(lastKey - firstKey + 1);
  }
  db_reset(p);

  Grid cat, comp;
  memset(&cat, 0, sizeof(cat));
  memset(&comp, 0, sizeof(comp));
  for (int i = 0; i < INS_SERIES && azRootCause[i]; i++) {
    /* fixed order, so each category keeps its colour */
    snprintf(cat.azName[i], sizeof(cat.azName[0]), "%s", azRootCause[i]);
    cat.nSeries = i + 1;
  }
  p = db_prepare(db_sql(
      "SELECT CAST(strftime('%Y', i.started_at / 1000, 'unixepoch')"
      " AS INTEGER) * 4 + (CAST(strftime('%m', i.started_at / 1000,"
      " 'unixepoch') AS INTEGER) - 1) / 3 AS k, p.root_cause_category,"
      " count(*) FROM postmortems p JOIN incidents i"
      " ON i.id = p.incident_id WHERE i.started_at >= :from"
      " GROUP BY k, p.root_cause_category",
      "SELECT extract(year FROM to_timestamp(i.started_at / 1000))::bigint"
      " * 4 + (extract(month FROM to_timestamp(i.started_at / 1000))::bigint"
      " - 1) / 3 AS k, p.root_cause_category,"
      " count(*) FROM postmortems p JOIN incidents i"
      " ON i.id = p.incident_id WHERE i.started_at >= :from"
      " GROUP BY k, p.root_cause_category"));
  if (!p) {
    return E_DB;
  }
  /* The first day of firstKey's quarter, as ms (a bound, not exact). */
  int64_t fromMs = nQ ? utc_days_from_civil(firstKey / 4,
                                            (unsigned)(firstKey % 4) * 3 + 1,
                                            1) * 86400000
                      : 0;
  db_bind_int(p, ":from", fromMs);
  int rc = grid_fill(p, &cat, firstKey, nQ);
  if (rc) {
    return rc;
  }
  /* Components: the busiest seven by name, the rest as "other". */
  p = db_prepare(db_sql(
      "SELECT CAST(strftime('%Y', i.started_at / 1000, 'unixepoch')"
      " AS INTEGER) * 4 + (CAST(strftime('%m', i.started_at / 1000,"
      " 'unixepoch') AS INTEGER) - 1) / 3 AS k, c.name, count(*)"
      " FROM incident_components ic JOIN incidents i"
      " ON i.id = ic.incident_id JOIN components c"
      " ON c.id = ic.component_id WHERE i.started_at >= :from"
      " GROUP BY k, c.name ORDER BY (SELECT count(*)"
      " FROM incident_components x WHERE x.component_id = c.id) DESC,"
      " c.name",
      /* c.id grouped too: PostgreSQL wants what ORDER BY reads grouped */
      "SELECT extract(year FROM to_timestamp(i.started_at / 1000))::bigint"
      " * 4 + (extract(month FROM to_timestamp(i.started_at / 1000))::bigint"
      " - 1) / 3 AS k, c.name, count(*)"
      " FROM incident_components ic JOIN incidents i"
      " ON i.id = ic.incident_id JOIN components c"
      " ON c.id = ic.component_id WHERE i.started_at >= :from"
      " GROUP BY k, c.id, c.name ORDER BY (SELECT count(*)"
      " FROM incident_components x WHERE x.component_id = c.id) DESC,"
      " c.name"));
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":from", fromMs);
  rc = grid_fill(p, &comp, firstKey, nQ);
  if (rc) {
    return rc;
  }
  json_t *pQuarters = json_array();
  for (int q = 0; q < nQ; q++) {
    char zLabel[48];
    snprintf(zLabel, sizeof(zLabel), "%lld Q%lld",
             (long long)((firstKey + q) / 4),
             (long long)((firstKey + q) % 4 + 1));
    json_array_append_new(pQuarters, json_string(zLabel));
  }
  r->pModel = json_pack("{s:o, s:o, s:o}", "quarters", pQuarters,
                        "categories",
                        grid_json(&cat, firstKey, nQ, "Root cause",
                                  "Postmortems per root-cause category and"
                                  " quarter"),
                        "components",
                        grid_json(&comp, firstKey, nQ, "Component",
                                  "Incidents per component and quarter"));
  r->zTemplate = "insights";
  r->zTitle = "Recurring causes";
  return 0;
}
