/*
** retention.h: evidence that no incident holds goes after a while.
** Settings (days, default 14): retention.logs_days (raw lines, access
** series, log events and signals), retention.alerts_days (alerts),
** retention.tickets_days (tickets and changes). Whatever lies in an
** incident's window, or is on its timeline, stays as long as it does.
**
** Threading: a named worker ("retention") sweeps once at start and then
** every RETENTION_INTERVAL_MS on its own connection.
*/
#ifndef HS_RETENTION_H
#define HS_RETENTION_H

#include <stdint.h>

/* How much one sweep deleted. */
typedef struct RetentionCounts {
  int64_t nEvidence; /* evidence rows (alerts, tickets, signals, ...) */
  int64_t nRaw;      /* raw lines */
  int64_t nMinutes;  /* access-series minutes */
} RetentionCounts;

/* One sweep as of now (UTC ms), in short transactions on the calling
** thread's connection. Adds what went to *pOut. 0 or E_DB. */
int retention_sweep(int64_t now, RetentionCounts *pOut);

/* Starts and stops the worker (main thread). 0, or E_IO. */
int retention_start(void);
void retention_stop(void);

#endif
