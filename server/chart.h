/*
** chart.h: the requests/errors chart of an incident page, computed from
** the per-minute access-log series as plain numbers; templates/chart.html
** draws it as SVG (no JavaScript needed), with the key moments marked.
*/
#ifndef HS_CHART_H
#define HS_CHART_H

#include <jansson.h>
#include <stdint.h>

#include "http.h"

/* Adds "chart" to r->pView for incident pIncident (its API shape), or
** nothing when it has no access-log series. 0 or E_DB. */
int chart_view(Req *r, json_t *pIncident);

#endif
