/*
** metrics.h: process-wide counters exported at /metrics in the Prometheus
** text format (exposition format 0.0.4): requests by method, route pattern
** and status, a request latency histogram, ingest counts and the database
** size.
**
** Threading: every function is safe to call from any thread; the counters
** sit behind one mutex in metrics.c.
*/
#ifndef HS_METRICS_H
#define HS_METRICS_H

#include <stdint.h>

#include "buf.h"
#include "http.h"

/* Request series kept; later distinct (method, route, status) triples are
** folded into route="other". Routes are a fixed table, so this is ample. */
#define METRICS_MAX_SERIES 512

/* Counts one finished request. zMethod and zRoute must live as long as the
** process (the route table's literals, or other string literals): they
** are kept by pointer. status 0 means the client left before an answer. */
void metrics_observe(const char *zMethod, const char *zRoute, int status,
                     int64_t ms);

/* Counts one committed ingest run's outcome. */
void metrics_ingest(int64_t nAccepted, int64_t nDuplicate, int64_t nRejected);

/* Counts lines of a streaming door: zDoor is "loki", "otlp", "syslog_udp"
** or "syslog_tcp" (others are ignored). */
void metrics_door(const char *zDoor, int64_t nReceived, int64_t nStored,
                  int64_t nDropped);
/* Counts what one retention sweep deleted. */
void metrics_retention(int64_t nEvidence, int64_t nRaw, int64_t nMinutes);

/* Appends every metric to pOut in the text format; nDbBytes < 0 leaves
** the database size out. Check buf_err(pOut) afterwards. */
void metrics_render(Buf *pOut, int64_t nDbBytes);

/* 1 if zIp (as from req_client_ip) is a loopback address: 127.0.0.0/8,
** ::1, or ::ffff:127.x.y.z. Pure. */
int metrics_ip_is_loopback(const char *zIp);

/* Counts one page render that failed (hindsight_render_failures_total). */
void metrics_render_failed(void);

/* GET /metrics: for admins logged in with a session, or any request from
** loopback (a scraper on the same host). Others get 401/403. */
int metrics_page(Req *r);

/* Forgets every count (unit tests). */
void metrics_reset(void);

#endif
