/*
** accesslog.h: the access log's writer. Lines are gathered in memory and
** written to standard error in batches by a small thread, at least every
** ACCESSLOG_FLUSH_MS, so serving a request costs no system call and no
** lock held across one. A SIGKILL loses at most that much of the log.
*/
#ifndef HINDSIGHT_ACCESSLOG_H
#define HINDSIGHT_ACCESSLOG_H

#include <stddef.h>

#define ACCESSLOG_FLUSH_MS 50

/* Starts the flushing thread. 0, or -1 when it cannot start (lines are
** then written at once). */
int accesslog_start(void);
/* Appends one line (with its newline). Thread-safe. */
void accesslog_write(const char *z, size_t n);
/* Writes what is pending and stops the thread. */
void accesslog_stop(void);

#endif
