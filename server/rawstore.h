/*
** rawstore.h: raw evidence lines, kept whether or not an incident covers
** them yet. Lines belong to a source and a time, never to an incident: an
** incident's lines are those of its window and sources, found by query, so
** declaring or widening an incident needs no copying.
**
** This is the one seam between the ingest/timeline code and how lines are
** laid out on disk (rows today, compressed blocks per source and time range
** later: issue 17). Callers use only this interface; no other file names
** the tables behind it.
**
** Durability: a writer appends inside the caller's write transaction on
** the thread's connection; rawstore_flush() puts everything appended so far
** into that transaction, so a caller that flushes, then commits, then
** acknowledges never acknowledges a line that is not on disk.
**
** Threading: a RawWriter belongs to one thread; queries use the calling
** thread's connection.
*/
#ifndef HS_RAWSTORE_H
#define HS_RAWSTORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct RawWriter RawWriter;

/* A writer for the calling thread's connection. NEW (rawstore_writer_free),
** NULL when out of memory. */
RawWriter *rawstore_writer_new(void);

/* Appends one line of zSource at ts (UTC ms). iLine is the line number in
** its input and with the text makes the line's identity: the same
** (source, ts, iLine, text) again is a duplicate. bBad marks an error
** line (5xx, level error and above); grp is the hash of its folded
** message (0: none). Returns 1 if stored, 0 if a duplicate, E_DB. */
int rawstore_append(RawWriter *p, const char *zSource, int64_t ts,
                    int64_t iLine, const char *z, size_t n, int bBad,
                    uint64_t grp);

/* Writes whatever the writer holds into the current transaction. Call it
** before every commit. 0 or E_DB. */
int rawstore_flush(RawWriter *p);

void rawstore_writer_free(RawWriter *p);

/* Which lines a scan returns. Zero-initialise, then set what matters. */
typedef struct RawQuery {
  int64_t from;              /* UTC ms, inclusive (INT64_MIN: no bound) */
  int64_t to;                /* UTC ms, exclusive (0 means INT64_MAX) */
  const char *const *azSource; /* NULL-ended list of sources, or NULL for
                                  every source */
  int bBadOnly;              /* only error lines */
  uint64_t grp;              /* only lines of this message group (0: any) */
  const char *zText;         /* substring to find, or NULL */
  int bNoCase;               /* zText matches ASCII case-insensitively */
  const char *zCursor;       /* from a previous scan's *pzNext, or NULL */
  int nLimit;                /* most lines to return (1..1000) */
  int64_t budgetMs;          /* stop early after this long (0: no budget);
                                a cursor is still returned, and fewer
                                than nLimit lines with a cursor means
                                the budget ended the scan. A scan always
                                examines at least one line first, so
                                following cursors ends. */
} RawQuery;

/* One line handed to a scan's callback; BORROWED until it returns. */
typedef struct RawLine {
  int64_t ts;          /* UTC ms */
  const char *zSource; /* source */
  const char *z;       /* the text, NUL-terminated at z[n] */
  size_t n;            /* its length */
  int bBad;            /* an error line */
  uint64_t grp;        /* message group, 0 if none */
} RawLine;

/* Returns 0 to go on, nonzero to stop. */
typedef int (*RawEach)(void *pArg, const RawLine *pLine);

/* Calls xEach for the matching lines in (ts, arrival) order, at most
** pQ->nLimit of them. When more may follow, writes a cursor (a short
** printable string) into zNext (nNext bytes, at least 64), else "".
** 0; E_INVALID for a cursor that is not one of ours; E_DB. */
int rawstore_scan(const RawQuery *pQ, RawEach xEach, void *pArg,
                  char *zNext, size_t nNext);

/* The time (UTC ms) a scan's cursor stopped at: every line before it was
** searched. INT64_MIN for a string that is not a cursor. */
int64_t rawstore_cursor_ts(const char *zCursor);

/* Counts lines matching pQ (its cursor and limit ignored). -1 on E_DB. */
int64_t rawstore_count(const RawQuery *pQ);

/* Retention: deletes lines older than cutoff (UTC ms), except those inside
** the nKeep windows aKeep[2i] .. aKeep[2i+1] (UTC ms, the windows of
** incidents, whose evidence stays as long as they do). A store may keep a
** little more than asked (a whole block that straddles a bound), never
** less. Returns how many lines went, or -1 on E_DB. */
int64_t rawstore_expire(int64_t cutoff, const int64_t *aKeep, int nKeep);

#endif
