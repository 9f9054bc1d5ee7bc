/*
** lane.h: limits on work in flight, so slow work cannot hold every pool
** thread and bodies cannot hold unbounded memory.
**
** - Lanes: a lane admits at most nMax requests at once; one more is
**   refused at once (503 with Retry-After), never queued, so it does not
**   hold a pool thread while it waits. LANE_SLOW is raw-line searches and
**   exports (held while the handler runs); LANE_INGEST is large ingests
**   (held from the request head, through the upload, to the answer: the
**   spool on disk is bounded too).
** - Body memory: bytes of request bodies held in memory by all requests
**   together, against one budget.
** - In-flight requests: counted so the drain waits for requests, not for
**   idle kept-alive connections.
**
** Threading: counters are atomic; the slow-lane job queue is behind its
** own mutex. Call from any thread.
*/
#ifndef HS_LANE_H
#define HS_LANE_H

#include <stddef.h>

enum { LANE_SLOW = 0, LANE_INGEST = 1, N_LANE = 2 };

/* Sets each lane's limit and the body budget (bytes). Before serving. */
void lane_configure(int nSlow, int nIngest, size_t nBodyMemory);

/* 1 if the request got a place in lane iLane (then lane_leave() once),
** 0 if the lane is full (counted as refused). */
int lane_enter(int iLane);
void lane_leave(int iLane);

/* The lane's name for logs and /metrics ("slow", "ingest"). */
const char *lane_name(int iLane);

/* Counts: busy now, the limit, and refusals so far. */
void lane_counts(int iLane, int *pnBusy, int *pnMax, unsigned long *pnRefused);

/* Reserves n more bytes of body memory: 1, or 0 if that would pass the
** budget (nothing reserved). lane_body_release() gives them back. */
int lane_body_reserve(size_t n);
void lane_body_release(size_t n);
/* Bytes reserved now, and refusals so far. */
void lane_body_counts(size_t *pnHeld, unsigned long *pnRefused);

/* Slow-lane threads: the slow lane's work runs on threads of its own
** (named Workers, worker.c), so a pool thread never waits for it: the
** request's connection is suspended meanwhile. Starts nThread of them;
** 0, or E_IO (then lane_submit() refuses and callers run work inline).
** Before serving; lane_run_stop() after the last submit, before the
** daemon stops: it runs what is queued, then joins. */
int lane_run_start(int nThread);
void lane_run_stop(void);

/* Queues xRun(pArg) for a slow-lane thread: 1, or 0 when no thread runs
** (not started, or stopping): then the caller runs it itself. At most one
** job per place in LANE_SLOW is ever queued (lane_enter() first). */
int lane_submit(void (*xRun)(void *), void *pArg);

/* 1 if slow-lane threads run (lane_run_start() succeeded), else 0. */
int lane_run_started(void);

/* Requests in flight: one more, one fewer, how many. */
void lane_request_begin(void);
void lane_request_end(void);
int lane_requests(void);

#endif
