/*
** outbox.h: delivery of the outbox (schema/006): one worker thread, started
** by `serve`, that sends pending e-mail through the SMTP relay and webhook
** POSTs with libcurl, retries with exponential back-off, queues action
** reminders, and deletes old sent and dead messages. The only code in
** Hindsight that talks to the network on its own.
*/
#ifndef HS_OUTBOX_H
#define HS_OUTBOX_H

#include <jansson.h>
#include <stdint.h>

/* Starts the worker (call from the main thread after db_setup(), before
** the HTTP daemon starts; it also initialises libcurl). 0 or E_IO. */
int outbox_start(void);
/* Asks the worker to stop, waits for it (a send in flight finishes or
** times out first, at most about 30 s), and cleans libcurl up. Call
** before the database is closed. Safe if outbox_start() failed. */
void outbox_stop(void);

/* Renders templates/<zName>.txt with pCtx (BORROWED) as plain text (no
** HTML escaping). 0 and NEW *pz (free()), or E_INVALID / E_TOOBIG. */
int outbox_render_text(const char *zName, json_t *pCtx, char **pz);

/* The retry delay in ms after the nth failed attempt (n >= 1):
** base * 2^(n-1) seconds, capped at a day. Pure. */
int64_t outbox_backoff_ms(int64_t baseSeconds, int n);

#endif
