/*
** lane.c: lanes, the body budget and the in-flight count (see lane.h).
**
** Threading: only atomics; the limits are set before serving.
*/
#include "lane.h"

#include <assert.h>
#include <stdatomic.h>

typedef struct Lane {
  const char *zName;    /* for logs and /metrics */
  int nMax;             /* places; set before serving */
  atomic_int nBusy;     /* places taken */
  atomic_ulong nRefused; /* requests refused because it was full */
} Lane;

static Lane aLane[N_LANE] = {{.zName = "slow", .nMax = 1},
                             {.zName = "ingest", .nMax = 2}};
static size_t nBodyMax = (size_t)64 << 20; /* set before serving */
static atomic_size_t nBodyHeld;            /* body bytes reserved now */
static atomic_ulong nBodyRefused;          /* reservations refused */
static atomic_int nInFlight;               /* requests begun, not ended */

void lane_configure(int nSlow, int nIngest, size_t nBodyMemory) {
  aLane[LANE_SLOW].nMax = nSlow;
  aLane[LANE_INGEST].nMax = nIngest;
  nBodyMax = nBodyMemory;
}

int lane_enter(int iLane) {
  assert(iLane >= 0 && iLane < N_LANE);
  Lane *p = &aLane[iLane];
  if (atomic_fetch_add(&p->nBusy, 1) >= p->nMax) {
    atomic_fetch_sub(&p->nBusy, 1);
    atomic_fetch_add(&p->nRefused, 1);
    return 0;
  }
  return 1;
}

void lane_leave(int iLane) {
  assert(iLane >= 0 && iLane < N_LANE);
  atomic_fetch_sub(&aLane[iLane].nBusy, 1);
}

const char *lane_name(int iLane) {
  assert(iLane >= 0 && iLane < N_LANE);
  return aLane[iLane].zName;
}

void lane_counts(int iLane, int *pnBusy, int *pnMax,
                 unsigned long *pnRefused) {
  assert(iLane >= 0 && iLane < N_LANE);
  *pnBusy = atomic_load(&aLane[iLane].nBusy);
  *pnMax = aLane[iLane].nMax;
  *pnRefused = atomic_load(&aLane[iLane].nRefused);
}

int lane_body_reserve(size_t n) {
  size_t nOld = atomic_fetch_add(&nBodyHeld, n);
  if (nOld + n > nBodyMax) {
    atomic_fetch_sub(&nBodyHeld, n);
    atomic_fetch_add(&nBodyRefused, 1);
    return 0;
  }
  return 1;
}

void lane_body_release(size_t n) { atomic_fetch_sub(&nBodyHeld, n); }

void lane_body_counts(size_t *pnHeld, unsigned long *pnRefused) {
  *pnHeld = atomic_load(&nBodyHeld);
  *pnRefused = atomic_load(&nBodyRefused);
}

void lane_request_begin(void) { atomic_fetch_add(&nInFlight, 1); }
void lane_request_end(void) { atomic_fetch_sub(&nInFlight, 1); }
int lane_requests(void) { return atomic_load(&nInFlight); }
