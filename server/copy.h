/*
** copy.h: `hindsight copy --from SRC --to DST`, a whole installation moved
** between two databases (SQLite files or PostgreSQL connection strings, in
** any direction), verified by row counts and checksums.
**
** Threading: a CLI command, main thread only, before anything serves.
*/
#ifndef HS_COPY_H
#define HS_COPY_H

/* Runs the command with its arguments (after "copy"). Does its own
** db_setup() on the destination. Returns the exit code: 0 copied and
** verified, 1 refused or failed (a message on stderr), 2 a usage error. */
int copy_cli(int argc, char **argv);

/* The copy itself, for copy_cli() and for `backup` on PostgreSQL: zSrc
** into zDst, verified, the report on stdout and refusals on stderr.
** Returns 0, or 1 (refused or failed: nothing committed to zDst). */
int copy_databases(const char *zSrc, const char *zDst);

#endif
