/*
** evidence.h: evidence kept whether or not an incident covers it (alerts,
** tickets, changes, signals, condensed log events), one row per
** fingerprint, and the one rule that says which incidents it belongs to.
** An incident's timeline holds copies of the evidence that matches it
** (events.evidence_id), drawn in when the incident is declared or widened
** and taken out when it narrows, unless a person pinned or edited them.
**
** Threading: every call uses the calling thread's connection; writes run
** inside the caller's write transaction.
*/
#ifndef HS_EVIDENCE_H
#define HS_EVIDENCE_H

#include <stdint.h>

#include "http.h"

/* One item of evidence, as ingest stores it. Strings BORROWED. */
typedef struct Evidence {
  const char *zFp;        /* fingerprint: same evidence, same value */
  int64_t ts;             /* UTC ms */
  int64_t endTs;          /* INT64_MIN: not ended (or not known yet) */
  const char *zKind;      /* log, signal, alert, ticket, change */
  const char *zSource;    /* source */
  const char *zLevel;     /* debug .. critical */
  const char *zComponent; /* component or host, "" if none */
  const char *zTitle;     /* one line */
  const char *zBody;      /* detail */
  const char *zRaw;       /* as it arrived, or NULL */
  int64_t count;          /* lines or notices folded into it */
  uint64_t grp;           /* signals: their lines' message group, 0: any */
} Evidence;

/* Looks up zFp. 1 found (fills *pId, *pbEnded, *pCount), 0 not, E_DB. */
int evidence_find(const char *zFp, int64_t *pId, int *pbEnded, int64_t *pCount);

/* Inserts or refreshes the row for p->zFp; a refresh also refreshes the
** incidents' copies (kind, end, title, body, count). An alert's start is the
** earliest notice's. Returns 1 new, 0 refreshed, E_DB; *pId its id. */
int evidence_upsert(const Evidence *p, int64_t *pId);

/* Copies evidence id into every incident it matches (ingest correlation).
** Writes up to nInc of their ids into aInc. Returns how many incidents it
** matched, or E_DB. */
int evidence_draw_item(int64_t id, int64_t *aInc, int nInc);

/* Copies evidence id into incidentId whether it matches or not (ingest
** with an incident, or attached by hand); bPin pins the copy. A copy
** attached this way is never taken out. 0, E_NOTFOUND, E_DB. */
int evidence_attach(int64_t id, int64_t incidentId, int bPin);

/* After an incident's window or components changed (or it was declared):
** takes out drawn copies that no longer match (unless pinned, edited or
** carrying a key moment) and draws in everything that matches. 0 or E_DB. */
int evidence_sync(int64_t incidentId);

/* The time range an incident's raw lines and series come from: its
** window (started_at - pad .. coalesce(resolved_at, now) + pad) widened
** by the ranges ingested into it by hand. *pTo is inclusive. 1 found,
** 0 no such incident, E_DB. */
int evidence_scope(int64_t incidentId, int64_t *pFrom, int64_t *pTo);

/* Raw lines of zSource between first and last (UTC ms) that came with
** no incident (ingest --auto, the doors): every incident they match takes
** them as its own within its window, by the rule of EVIDENCE_MATCH (a
** source that names one of our components goes only to incidents listing
** it). 0 or E_DB. */
int evidence_claim_source(const char *zSource, int64_t first, int64_t last);

/* The correlation pad in ms (ingest.window_minutes). */
int64_t evidence_pad_ms(void);

/* The component named zName case-insensitively, spelled as stored, into
** z (n bytes). 1 found, 0 not, E_DB. */
int evidence_component(const char *zName, char *z, size_t n);

/* Handlers: GET /app/evidence and /api/v1/evidence (?source= &component=
** &kind= &from= &to= &cursor=), GET /app/evidence/raw and
** /api/v1/evidence/raw (?from= &to= [&source=] [&q=] [&bad=1]),
** POST /app/evidence/{id}/attach and /api/v1/evidence/{id}/attach
** (incident_id; the copy is pinned). */
int evidence_list(Req *r);
int evidence_raw(Req *r);
int evidence_attach_http(Req *r);

#endif
