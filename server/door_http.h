/*
** door_http.h: the HTTP streaming doors, POST /loki/api/v1/push and
** POST /v1/logs (OTLP/HTTP logs), and the storing both share with the
** syslog listeners: decoded lines go through one IngestRun ("generic"
** events of kind log, incident found by time and component) and are
** acknowledged only after it committed.
**
** Threading: handlers run on MHD pool threads; door_store_*() on the
** calling thread's connection.
*/
#ifndef HS_DOOR_HTTP_H
#define HS_DOOR_HTTP_H

#include <stdint.h>

#include "door_labels.h"
#include "http.h"
#include "ingest_store.h"

#define DOOR_MAX_BODY ((size_t)16 << 20) /* bytes of a push, decoded */

/* A batch of lines being stored. */
typedef struct DoorStore {
  IngestRun *pRun;     /* NEW: the run they go into */
  const char *zDoor;   /* "loki", "otlp": the source when labels give none */
  int64_t nowMs;       /* time for lines sent without one */
  int64_t nLine;       /* lines handed over so far */
  char *zText;         /* NEW: a NUL-terminated copy of the current line */
  int64_t nRejected;   /* records the decoder refused (zReject) */
  const char *zReject; /* the first such reason (static), or NULL */
} DoorStore;

/* Starts a batch as zActor. 0, or E_DB. */
int door_store_begin(DoorStore *p, const char *zDoor, const char *zActor);
/* A DoorEmit that stores the line; returns 0 or E_DB. */
int door_store_line(void *pArg, const DoorLine *pLine);
/* Commits (or, when rc is nonzero, rolls back) and frees; fills *pReport
** (caller frees pErrors) when given. Returns rc, or finish's error. */
int door_store_end(DoorStore *p, int rc, IngestReport *pReport);

/* Handlers. */
int door_loki_push(Req *r);
int door_otlp_logs(Req *r);

#endif
