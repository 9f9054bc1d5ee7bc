/*
** ingest.h: turning evidence (log files, alert payloads, ticket exports)
** into normalized events. Pure: bytes in, IngestEvent out, no database and
** no HTTP, so parsers are easy to test and fuzz. Storage, condensing and
** correlation live in ingest_store.c.
**
** Streaming: a parser is fed any number of byte chunks and keeps memory
** bounded (a line or record is capped at INGEST_MAX_LINE; whole-document
** formats such as an Alertmanager payload are capped at INGEST_MAX_DOC).
** A bad line or record is reported through xReject with its line number
** and a reason and never stops the rest of the input.
**
** Threading: an IngestParser belongs to one thread; no shared state.
*/
#ifndef HS_INGEST_H
#define HS_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "tz.h"

#define INGEST_MAX_LINE (64 * 1024)        /* bytes in one line or record */
#define INGEST_MAX_DOC ((size_t)16 << 20)  /* bytes in one JSON document */

/* One piece of evidence, normalized. Every string is BORROWED until the
** callback returns (copy what you keep); NULL means absent. */
typedef struct IngestEvent {
  int64_t ts;              /* UTC ms */
  int64_t endTs;           /* UTC ms when it ended (resolved alert), or
                              INT64_MIN */
  const char *zKind;       /* "log", "alert", "ticket", "change" */
  const char *zSource;     /* what sent it: host, job, "zendesk", ... */
  const char *zLevel;      /* debug info notice warning error critical */
  const char *zComponent;  /* component or host it concerns */
  const char *zTitle;      /* one line */
  const char *zBody;       /* detail, may be multi-line */
  const char *zRaw;        /* the line or record exactly as it arrived */
  const char *zKey;        /* identity across notices: an alert's
                              fingerprint, a ticket id; NULL for logs */
  const char *zState;      /* alerts: "firing" or "resolved"; tickets:
                              their status ("open", "solved", ...) */
  int64_t line;            /* line number where the record starts */
  /* Access logs only (status 0 otherwise): */
  int status;              /* HTTP status */
  int64_t bytes;           /* response bytes, 0 for "-" */
  const char *zMethod;     /* request method */
  const char *zPath;       /* request path without the query */
  const char *zClient;     /* client address */
} IngestEvent;

typedef struct IngestOptions {
  const char *zSource;     /* --source: default source name, or NULL */
  int tzOffsetMin;         /* --tz as minutes east of UTC, for zoneless
                              times (RFC 3164) */
  int64_t nowMs;           /* "now", for RFC 3164's missing year */
  TzZone *pZone;           /* --tz as a named zone (BORROWED), or NULL:
                              then tzOffsetMin applies */
} IngestOptions;

/* Called for each event; return 0 to go on, nonzero to stop. */
typedef int (*IngestEmit)(void *pArg, const IngestEvent *pEv);
/* Called for each rejected line or record. */
typedef void (*IngestReject)(void *pArg, int64_t line, const char *zReason);

typedef struct IngestParser IngestParser;

/* The format names of SPEC §1, NULL-terminated. */
extern const char *const azIngestFormat[];

/* A parser for zFormat, or NULL for an unknown format. NEW:
** ingest_parser_free(). */
IngestParser *ingest_parser_new(const char *zFormat, const IngestOptions *pOpt,
                                IngestEmit xEmit, IngestReject xReject,
                                void *pArg);
/* Feeds n more bytes. 0, or nonzero if xEmit asked to stop. */
int ingest_parser_feed(IngestParser *p, const char *z, size_t n);
/* Ends the input (a last line without a newline is still parsed; a
** truncated JSON document is rejected). 0 or nonzero if stopped. */
int ingest_parser_finish(IngestParser *p);
void ingest_parser_free(IngestParser *p);

/* The most bytes the parser has held in its line or document buffer at
** once: at most INGEST_MAX_LINE + 1 for line formats, INGEST_MAX_DOC for
** document formats, whatever the input size. For tests and /metrics. */
size_t ingest_parser_peak(const IngestParser *p);

/* Parses a --tz value: "UTC", "Z", "+05:30", "-0700". 0 or E_INVALID. */
int ingest_parse_tz(const char *z, int *pOffsetMin);
/* Sets pOpt's zone from a --tz value: a fixed one as ingest_parse_tz(), or
** a named IANA zone ("America/New_York") loaded into pOpt->pZone (NEW:
** tz_free(pOpt->pZone)). 0; E_INVALID or E_NOTFOUND (unknown zone). */
int ingest_options_tz(IngestOptions *pOpt, const char *z);

#endif
