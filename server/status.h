/*
** status.h: the public status site: `/`, `/history`, `/incidents/{id}`,
** `/maintenance/{id}`, the Atom and RSS feeds and the /api/v2 JSON, all
** rendered once per data version and served from memory; the health check;
** and `hindsight export-status`. Anonymous: shows only what was published.
*/
#ifndef HS_STATUS_H
#define HS_STATUS_H

#include <stdint.h>

#include "http.h"

int status_public(Req *r);  /* GET every public status route */
int status_healthz(Req *r); /* GET /healthz */

/* Writes the public site into the existing directory zDir: pages, feeds,
** the api/v2 JSON files, theme.css, badge.svg, embed.html, static/. bServedLinks:
** links as served (absolute paths, for a web server that maps /history to
** history.html: the mirror), else relative (export-status). 0 or E_IO /
** a render error (logged to stderr). Uses the calling thread's
** connection. */
int status_write_site(const char *zDir, int bServedLinks, int64_t now);

/* CLI: hindsight export-status --out DIR. Exit code (0, 1 or 2). */
int status_export_cli(int argc, char **argv);

#endif
