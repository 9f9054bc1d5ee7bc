/*
** postmortem.h: the postmortem of an incident: draft from a template,
** edit with revisions, compare, refresh generated sections, move through
** draft -> in_review -> published, export. Pages under
** /app/incidents/{id}/postmortem and JSON under
** /api/v1/incidents/{id}/postmortem share the handlers.
*/
#ifndef HS_POSTMORTEM_H
#define HS_POSTMORTEM_H

#include "http.h"

int postmortem_get(Req *r);         /* GET  .../incidents/{id}/postmortem */
int postmortem_create(Req *r);      /* POST .../incidents/{id}/postmortem */
int postmortem_update(Req *r);      /* PATCH/PUT the API, POST .../edit */
int postmortem_refresh(Req *r);     /* POST .../postmortem/refresh */
int postmortem_revisions(Req *r);   /* GET  .../postmortem/revisions
                                       [?from=REV&to=REV for a diff] */
int postmortem_export_md(Req *r);   /* GET .../postmortem/export.md */
int postmortem_export_html(Req *r); /* GET .../postmortem/export.html */
int postmortem_preview(Req *r);     /* POST /api/v1/markdown/preview:
                                       {markdown} -> {html, hints} */

#endif
