/*
** ingest_store.h: storing parsed evidence. Attaches each event to an
** incident (given, or found by time window and component), keeps raw lines
** in their own table, folds access logs into per-minute series, condenses
** error-rate rises and bursts of identical errors into signals, and counts
** what was accepted, duplicated and rejected.
**
** Threading: an IngestRun belongs to one thread and uses its connection.
*/
#ifndef HS_INGEST_STORE_H
#define HS_INGEST_STORE_H

#include <jansson.h>
#include <stdint.h>

#include "http.h"
#include "ingest.h"

#define INGEST_MAX_ERRORS 20 /* rejected lines listed in a report */

typedef struct IngestReport {
  int64_t nAccepted;  /* events and lines stored */
  int64_t nDuplicate; /* already there: nothing added */
  int64_t nRejected;  /* refused, with a reason */
  int64_t nMasked;    /* secrets and personal data masked */
  json_t *pErrors;    /* NEW array of {line, reason}, the first few */
} IngestReport;

typedef struct IngestTarget {
  int64_t incidentId; /* attach everything here; 0 finds the incident by
                         time window and component for each event */
  const char *zActor; /* user or token name, for the audit log */
  int bAllOrNothing;  /* webhooks: any rejection stores nothing */
  int bStream;        /* a streamed push (the doors): error bursts go on
                      ** across pushes (ingest_store.c condense_errors) */
} IngestTarget;

typedef struct IngestRun IngestRun;

/* Starts a run for zFormat. NEW (ingest_run_free), or NULL with *pRc =
** E_INVALID for an unknown format ("generic" takes events through
** ingest_run_event instead of bytes), E_NOTFOUND for a missing incident,
** E_DB. Opens a write transaction; a small run is visible at finish, a
** large one slice by slice, each slice with its lines' series (a crash,
** then the same input again, ends as one uninterrupted run would). */
IngestRun *ingest_run_new(const char *zFormat, const IngestOptions *pOpt,
                          const IngestTarget *pTarget, int *pRc);
/* Stores one event directly (the "generic" format, which has no parser).
** 0 or E_DB. */
int ingest_run_event(IngestRun *p, const IngestEvent *pEv);
/* Feeds bytes. 0 or E_DB (the run is then dead: finish rolls back). */
int ingest_run_feed(IngestRun *p, const char *z, size_t n);
/* Ends the input, condenses, commits, fills *pReport (caller frees
** pErrors). 0; E_INVALID when bAllOrNothing and some input was malformed
** (nothing stored; events that matched no incident do not count); E_DB
** (rolled back). */
int ingest_run_finish(IngestRun *p, IngestReport *pReport);
void ingest_run_free(IngestRun *p);

/* The report in the SPEC §4 shape. NEW. */
json_t *ingest_report_json(const IngestReport *p);

/* Handlers: POST /api/v1/incidents/{id}/ingest?format=,
** POST /hooks/alertmanager, /hooks/grafana, /hooks/generic. */
int ingest_http(Req *r);
int ingest_hook_alertmanager(Req *r);
int ingest_hook_grafana(Req *r);
int ingest_hook_generic(Req *r);

/* CLI: hindsight ingest ... Returns the exit code. */
int ingest_cli(int argc, char **argv);

#endif
