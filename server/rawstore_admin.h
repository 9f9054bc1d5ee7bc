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

/* `hindsight raw ...` (argv after "raw"): prints a window's lines, or
** with --migrate moves every old row in batches. Exit status. */
int rawstore_cli(int argc, char **argv);

#endif
