/*
** rawstore_admin.h: what rawstore.c offers beside the rawstore.h contract
** (kept apart so that contract stays as agreed): the move of old raw_lines
** rows into blocks, and the `hindsight raw` command.
**
** Threading: as rawstore.h; both use the calling thread's connection.
*/
#ifndef HS_RAWSTORE_ADMIN_H
#define HS_RAWSTORE_ADMIN_H

#include <stdint.h>

/* Moves up to nBatch of the oldest rows of the old raw_lines table (one row
** a line, incident_id, ts, fp, signal_id, bad, grp, source, line) into
** blocks and deletes them, in one write transaction of its own: resumable
** at any point, since a batch is moved whole or not at all. A line held by
** two incidents' rows becomes one line. Returns the rows moved (0 when none
** are left or the table does not exist), or -1 on E_DB. */
int64_t rawstore_migrate(int nBatch);

/* The migration while serving: a named worker (worker.c) that moves
** RS_MIGRATE_BATCH rows a transaction, yielding the write lock between
** batches, until none are left; then, once a minute, checks again (rows
** written by an older binary sharing the file) and compacts small blocks
** (rawstore_compact), going on at once while there is work. Serving waits at most one batch
** (20,000 rows: about 0.3 s measured) for the write lock. Until it is done,
** a window's lines not yet moved are missing from scans: chosen over
** scans that also read the old table, which would keep a second code path
** and its LIKE scan alive in every query for a one-time move that takes
** seconds (71,762 demo rows: 1.3 s). NOT wired into `serve` on this branch:
** today's callers still read the old table there (issue 16 moves them).
** 0, or E_IO if the thread cannot start. */
int rawstore_migrator_start(void);
/* Stops it (a batch in progress finishes first); nothing if not started. */
void rawstore_migrator_stop(void);

/* Merges runs of small blocks (under 1,024 lines: what flushes after
** small pushes leave) of one source into blocks within the usual caps,
** looking at up to nMax small blocks, in one write transaction of its own.
** Lines, keys and groups are kept; lines of one ts keep their arrival order
** within the run (a cursor taken before may repeat or skip lines of one
** ms). Returns how many blocks went, or -1 on E_DB. The migration worker
** below calls it when it has no old rows to move. */
int64_t rawstore_compact(int nMax);

/* `hindsight raw ...` (argv after "raw"): prints a window's lines, or
** with --migrate moves every old row in batches. Exit status. */
int rawstore_cli(int argc, char **argv);

#endif
