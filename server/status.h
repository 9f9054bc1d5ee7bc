/*
** status.h: the public status site: `/`, `/history`, `/incidents/{id}`,
** `/maintenance/{id}`, the Atom and RSS feeds and the /api/v2 JSON, all
** rendered once per data version and served from memory; the health check;
** and `hindsight export-status`. Anonymous: shows only what was published.
*/
#ifndef HS_STATUS_H
#define HS_STATUS_H

#include "http.h"

int status_public(Req *r);  /* GET every public status route */
int status_healthz(Req *r); /* GET /healthz */

/* CLI: hindsight export-status --out DIR. Exit code (0, 1 or 2). */
int status_export_cli(int argc, char **argv);

#endif
