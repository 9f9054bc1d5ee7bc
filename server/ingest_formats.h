/*
** ingest_formats.h: the internal interface between the ingest framework
** (ingest.c) and the per-format parsers (ingest_<fmt>.c). Not for use
** outside the ingest_*.c files.
**
** The framework splits the input into lines (capped, CRLF stripped, NUL and
** invalid UTF-8 rejected) or buffers a whole document, and calls the
** format's entry point; the format parses and calls ingest_emit() or
** ingest_reject(). Everything a format allocates for one line or document
** comes from ingest_arena(), which the framework empties afterwards.
**
** Threading: as ingest.h, one parser per thread.
*/
#ifndef HS_INGEST_FORMATS_H
#define HS_INGEST_FORMATS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "ingest.h"

/* Parses one line z[0..n) (valid UTF-8, no NUL, no terminator) that
** starts at line iLine. z is NULL when the framework rejected line iLine
** itself (too long, bad bytes), so record-spanning formats can drop the
** record in progress. Returns 0, or nonzero when xEmit asked to stop. */
typedef int (*IngestLineFn)(IngestParser *p, const char *z, size_t n,
                            int64_t iLine);
/* Parses a whole document z[0..n) (NUL-terminated at z[n]). 0 or stop. */
typedef int (*IngestDocFn)(IngestParser *p, const char *z, size_t n);
/* Ends a line format's input (a record still open). 0 or stop. */
typedef int (*IngestEndFn)(IngestParser *p);

/* Entry points, one group per parser file. */
int ingest_syslog_line(IngestParser *p, const char *z, size_t n,
                       int64_t iLine);
int ingest_nginx_line(IngestParser *p, const char *z, size_t n,
                      int64_t iLine);
int ingest_apache_line(IngestParser *p, const char *z, size_t n,
                       int64_t iLine);
int ingest_jsonl_line(IngestParser *p, const char *z, size_t n,
                      int64_t iLine);
int ingest_journal_line(IngestParser *p, const char *z, size_t n,
                        int64_t iLine);
int ingest_alertmanager_doc(IngestParser *p, const char *z, size_t n);
int ingest_grafana_doc(IngestParser *p, const char *z, size_t n);
int ingest_zendesk_doc(IngestParser *p, const char *z, size_t n);
int ingest_logfmt_line(IngestParser *p, const char *z, size_t n,
                       int64_t iLine);
int ingest_haproxy_line(IngestParser *p, const char *z, size_t n,
                        int64_t iLine);
int ingest_alb_line(IngestParser *p, const char *z, size_t n, int64_t iLine);
int ingest_vpc_line(IngestParser *p, const char *z, size_t n, int64_t iLine);
int ingest_vpc_end(IngestParser *p);
/* Frees the VPC flow log state kept in *ingest_state(p) (NULL is fine). */
void ingest_vpc_free(void *pState);
int ingest_csv_line(IngestParser *p, const char *z, size_t n, int64_t iLine);
int ingest_csv_end(IngestParser *p);
/* Frees the CSV state kept in *ingest_state(p) (NULL is fine). */
void ingest_csv_free(void *pState);

/* Hands pEv to xEmit after normalising it: zRaw defaults to the current
** line, line to its number, zSource to the --source option; the title is
** cut to its first line, control characters become spaces and it is cut to
** INGEST_MAX_TITLE bytes at a character boundary; the body keeps \n and \t
** only. pEv's strings must be valid UTF-8. Returns 0, or nonzero when
** xEmit asked to stop (the parser then stops for good). Does not keep
** pEv. */
int ingest_emit(IngestParser *p, IngestEvent *pEv);
/* Reports a rejected line or record: xReject(line, reason). */
void ingest_reject(IngestParser *p, int64_t iLine, const char *zFmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The options the parser was made with. BORROWED for its lifetime. */
const IngestOptions *ingest_options(const IngestParser *p);
/* Scratch memory for the current line or document. BORROWED until the
** format's entry point returns. */
Arena *ingest_arena(IngestParser *p);
/* Per-format state slot (CSV's open record). NULL until set. */
void **ingest_state(IngestParser *p);
/* 1 if the line last handed to the format ended with CRLF. */
int ingest_line_crlf(const IngestParser *p);
/* The format's name, as in azIngestFormat. BORROWED. */
const char *ingest_format_name(const IngestParser *p);

/* Shared helpers (ingest.c). */

#define INGEST_MAX_TITLE 200 /* bytes in a title */

/* Parses an RFC 3339 / ISO 8601 time like utc_parse_iso(); one without a
** zone is taken as local time at --tz. 0 or E_INVALID. */
int ingest_parse_time(const IngestParser *p, const char *z, size_t n,
                      int64_t *pMs);
/* Local wall-clock ms (as if UTC) at --tz into UTC ms, and back. */
int64_t ingest_local_to_utc(const IngestParser *p, int64_t localMs);
int64_t ingest_utc_to_local(const IngestParser *p, int64_t utcMs);
/* Parses epoch seconds or milliseconds (a value above 1e11 in magnitude is
** ms) given as a double; 0 or E_INVALID outside the representable range. */
int ingest_epoch_ms(double r, int64_t *pMs);
/* Maps a level word ("WARN", "err", "Fatal", "INFO+2", "5") to one of
** debug info notice warning error critical; zDefault for NULL or unknown.
** Static strings. */
const char *ingest_level(const char *z, const char *zDefault);
/* Level from a syslog severity 0..7. */
const char *ingest_level_severity(int iSev);
/* A time field of a JSON object: RFC 3339 string, or epoch seconds/ms
** number (or a string of digits). 0 and *pMs; E_NOTFOUND if absent or
** null; E_INVALID otherwise. */
int ingest_json_time(const IngestParser *p, json_t *pObj, const char *zKey,
                     int64_t *pMs);
/* The string value of pObj[zKey], or NULL when absent or not a string (a
** number or boolean is written as text into the arena). BORROWED. */
const char *ingest_json_str(IngestParser *p, json_t *pObj, const char *zKey);
/* Parses z[0..n) as JSON with duplicate keys rejected; on failure reports
** "invalid JSON: ..." for line iLine and returns NULL. NEW: json_decref. */
json_t *ingest_json_load(IngestParser *p, const char *z, size_t n,
                         int64_t iLine);
/* The first 16 hex digits of the SHA-256 of z, into the arena. */
const char *ingest_hash16(IngestParser *p, const char *z, size_t n);

#endif
