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
** Threading: everything is atomic; call from any thread.
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

/* Requests in flight: one more, one fewer, how many. */
void lane_request_begin(void);
void lane_request_end(void);
int lane_requests(void);

#endif
