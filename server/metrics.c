/*
** metrics.c: request, latency and ingest counters, and the /metrics page
** in the Prometheus text format.
**
** It does not keep per-path series: requests are labelled by their route
** pattern ("/api/v1/incidents/{id}"), or "unmatched", so a crawler cannot
** grow the table. Nor does it trust X-Forwarded-For: "loopback" means the
** TCP peer, so put a proxy in front only with /metrics blocked there.
**
** Threading: all counters live in the one struct `stats`, guarded by
** `statsMutex`; every access takes the mutex. The work under it is a few
** additions, or appending the text to a Buf at scrape time. Outside it:
** the render-failure count (an atomic) and the admission and lane counts
** (read from admit.c and lane.c).
*/
#include "metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "admit.h"
#include "linger.h"
#include "db.h"
#include "err.h"
#include "lane.h"

/* Upper bounds of the latency buckets, in milliseconds (+Inf implied). */
static const int64_t aBucketMs[] = {1,   5,   10,   25,   50,   100,
                                    250, 500, 1000, 2500, 5000, 10000};
#define N_BUCKET (sizeof(aBucketMs) / sizeof(aBucketMs[0]))

typedef struct Series {
  const char *zMethod; /* BORROWED for the process lifetime */
  const char *zRoute;  /* BORROWED for the process lifetime */
  int status;          /* HTTP status, 0 if never answered */
  uint64_t n;          /* requests counted */
} Series;

typedef struct Stats {
  Series aSeries[METRICS_MAX_SERIES]; /* one per (method, route, status) */
  int nSeries;                        /* entries used in aSeries */
  uint64_t nOverflow;                 /* requests whose series did not fit */
  uint64_t aBucket[N_BUCKET];         /* requests with ms <= aBucketMs[i] */
  uint64_t nRequest;                  /* all requests (the +Inf bucket) */
  int64_t msSum;                      /* total latency, ms */
  uint64_t nIngestRun;                /* committed ingest runs */
  uint64_t nAccepted;                 /* events accepted by those runs */
  uint64_t nDuplicate;                /* events found already stored */
  uint64_t nRejected;                 /* lines or events refused */
  uint64_t aDoor[5][3];               /* per streaming door (azDoor):
                                         received, stored, dropped */
  uint64_t nSweep;                    /* retention sweeps finished */
  uint64_t aSwept[3];                 /* evidence rows, raw lines and
                                         access minutes they deleted */
} Stats;

/* The streaming doors, in the order of Stats.aDoor. */
static const char *const azDoor[] = {"loki", "otlp", "syslog_udp", "syslog_tcp",
                                     "syslog_relp"};
#define N_DOOR (int)(sizeof(azDoor) / sizeof(azDoor[0]))

static Stats stats; /* guarded */
static atomic_ullong nRenderFailed; /* page renders that failed */
static pthread_mutex_t statsMutex =
    PTHREAD_MUTEX_INITIALIZER; /* guards stats */

void metrics_observe(const char *zMethod, const char *zRoute, int status,
                     int64_t ms) {
  if (ms < 0) {
    ms = 0;
  }
  pthread_mutex_lock(&statsMutex);
  int i = 0;
  while (i < stats.nSeries && !(stats.aSeries[i].zRoute == zRoute &&
                                stats.aSeries[i].zMethod == zMethod &&
                                stats.aSeries[i].status == status)) {
    i++;
  }
  if (i < stats.nSeries) {
    stats.aSeries[i].n++;
  } else if (stats.nSeries < METRICS_MAX_SERIES) {
    stats.aSeries[i] = (Series){zMethod, zRoute, status, 1};
    stats.nSeries++;
  } else {
    stats.nOverflow++;
  }
  for (size_t k = 0; k < N_BUCKET; k++) {
    if (ms <= aBucketMs[k]) {
      stats.aBucket[k]++;
    }
  }
  stats.nRequest++;
  stats.msSum += ms;
  pthread_mutex_unlock(&statsMutex);
}

void metrics_ingest(int64_t nAccepted, int64_t nDuplicate, int64_t nRejected) {
  pthread_mutex_lock(&statsMutex);
  stats.nIngestRun++;
  stats.nAccepted += nAccepted > 0 ? (uint64_t)nAccepted : 0;
  stats.nDuplicate += nDuplicate > 0 ? (uint64_t)nDuplicate : 0;
  stats.nRejected += nRejected > 0 ? (uint64_t)nRejected : 0;
  pthread_mutex_unlock(&statsMutex);
}

void metrics_door(const char *zDoor, int64_t nReceived, int64_t nStored,
                  int64_t nDropped) {
  for (int i = 0; i < N_DOOR; i++) {
    if (strcmp(zDoor, azDoor[i]) == 0) {
      pthread_mutex_lock(&statsMutex);
      stats.aDoor[i][0] += nReceived > 0 ? (uint64_t)nReceived : 0;
      stats.aDoor[i][1] += nStored > 0 ? (uint64_t)nStored : 0;
      stats.aDoor[i][2] += nDropped > 0 ? (uint64_t)nDropped : 0;
      pthread_mutex_unlock(&statsMutex);
      return;
    }
  }
}

void metrics_retention(int64_t nEvidence, int64_t nRaw, int64_t nMinutes) {
  pthread_mutex_lock(&statsMutex);
  stats.nSweep++;
  stats.aSwept[0] += nEvidence > 0 ? (uint64_t)nEvidence : 0;
  stats.aSwept[1] += nRaw > 0 ? (uint64_t)nRaw : 0;
  stats.aSwept[2] += nMinutes > 0 ? (uint64_t)nMinutes : 0;
  pthread_mutex_unlock(&statsMutex);
}

void metrics_reset(void) {
  pthread_mutex_lock(&statsMutex);
  memset(&stats, 0, sizeof(stats));
  pthread_mutex_unlock(&statsMutex);
}

/* Appends z as a label value: backslash, quote and newline escaped. */
static void put_label(Buf *pOut, const char *z) {
  for (; *z; z++) {
    if (*z == '\\' || *z == '"') {
      buf_putc(pOut, '\\');
      buf_putc(pOut, *z);
    } else if (*z == '\n') {
      buf_puts(pOut, "\\n");
    } else {
      buf_putc(pOut, *z);
    }
  }
}

/* Milliseconds as seconds with three decimals, without floating point. */
static void put_seconds(Buf *pOut, int64_t ms) {
  buf_printf(pOut, "%lld.%03lld", (long long)(ms / 1000),
             (long long)(ms % 1000));
}

void metrics_render(Buf *pOut, int64_t nDbBytes) {
  pthread_mutex_lock(&statsMutex);
  static const char *const azWhat[] = {"received", "stored", "dropped"};
  static const char *const azHelp[] = {
      "decoded from the door", "committed (acknowledged)",
      "dropped (UDP: queue full or storage error; TCP, RELP: malformed"
      " frames)"};
  for (int k = 0; k < 3; k++) {
    buf_printf(pOut,
               "# HELP hindsight_door_lines_%s_total Log lines %s, by"
               " streaming door.\n"
               "# TYPE hindsight_door_lines_%s_total counter\n",
               azWhat[k], azHelp[k], azWhat[k]);
    for (int i = 0; i < N_DOOR; i++) {
      buf_printf(pOut, "hindsight_door_lines_%s_total{door=\"%s\"} %llu\n",
                 azWhat[k], azDoor[i],
                 (unsigned long long)stats.aDoor[i][k]);
    }
  }
  buf_puts(pOut,
           "# HELP hindsight_http_requests_total HTTP requests answered, by"
           " method, route pattern and status.\n"
           "# TYPE hindsight_http_requests_total counter\n");
  for (int i = 0; i < stats.nSeries; i++) {
    const Series *s = &stats.aSeries[i];
    buf_puts(pOut, "hindsight_http_requests_total{method=\"");
    put_label(pOut, s->zMethod);
    buf_puts(pOut, "\",route=\"");
    put_label(pOut, s->zRoute);
    buf_printf(pOut, "\",status=\"%d\"} %llu\n", s->status,
               (unsigned long long)s->n);
  }
  if (stats.nOverflow) {
    buf_printf(pOut,
               "hindsight_http_requests_total{method=\"other\","
               "route=\"other\",status=\"other\"} %llu\n",
               (unsigned long long)stats.nOverflow);
  }
  buf_puts(pOut, "# HELP hindsight_http_request_duration_seconds Time from"
                 " a request's headers to its completion.\n"
                 "# TYPE hindsight_http_request_duration_seconds"
                 " histogram\n");
  for (size_t k = 0; k < N_BUCKET; k++) {
    buf_puts(pOut, "hindsight_http_request_duration_seconds_bucket{le=\"");
    put_seconds(pOut, aBucketMs[k]);
    buf_printf(pOut, "\"} %llu\n", (unsigned long long)stats.aBucket[k]);
  }
  buf_printf(pOut,
             "hindsight_http_request_duration_seconds_bucket{le=\"+Inf\"}"
             " %llu\n"
             "hindsight_http_request_duration_seconds_sum ",
             (unsigned long long)stats.nRequest);
  put_seconds(pOut, stats.msSum);
  buf_printf(pOut, "\nhindsight_http_request_duration_seconds_count %llu\n",
             (unsigned long long)stats.nRequest);
  buf_printf(pOut,
             "# HELP hindsight_ingest_runs_total Ingest runs committed (CLI,"
             " HTTP ingest and webhooks).\n"
             "# TYPE hindsight_ingest_runs_total counter\n"
             "hindsight_ingest_runs_total %llu\n"
             "# HELP hindsight_ingest_events_total Ingested events and lines"
             " by outcome.\n"
             "# TYPE hindsight_ingest_events_total counter\n"
             "hindsight_ingest_events_total{result=\"accepted\"} %llu\n"
             "hindsight_ingest_events_total{result=\"duplicate\"} %llu\n"
             "hindsight_ingest_events_total{result=\"rejected\"} %llu\n",
             (unsigned long long)stats.nIngestRun,
             (unsigned long long)stats.nAccepted,
             (unsigned long long)stats.nDuplicate,
             (unsigned long long)stats.nRejected);
  buf_printf(pOut,
             "# HELP hindsight_retention_sweeps_total Retention sweeps"
             " finished.\n"
             "# TYPE hindsight_retention_sweeps_total counter\n"
             "hindsight_retention_sweeps_total %llu\n"
             "# HELP hindsight_retention_deleted_total Evidence the"
             " retention sweep deleted, by what it was.\n"
             "# TYPE hindsight_retention_deleted_total counter\n"
             "hindsight_retention_deleted_total{what=\"evidence\"} %llu\n"
             "hindsight_retention_deleted_total{what=\"raw_lines\"} %llu\n"
             "hindsight_retention_deleted_total{what=\"series_minutes\"}"
             " %llu\n",
             (unsigned long long)stats.nSweep,
             (unsigned long long)stats.aSwept[0],
             (unsigned long long)stats.aSwept[1],
             (unsigned long long)stats.aSwept[2]);
  pthread_mutex_unlock(&statsMutex);
  buf_printf(pOut,
             "# HELP hindsight_render_failures_total Page renders that"
             " failed (a public page then serves its last good render).\n"
             "# TYPE hindsight_render_failures_total counter\n"
             "hindsight_render_failures_total %llu\n",
             (unsigned long long)atomic_load(&nRenderFailed));
  unsigned long nDeadline = 0, nShed = 0, nRefused = 0;
  admit_counts(&nDeadline, &nShed);
  buf_printf(pOut,
             "# HELP hindsight_connections_closed_total Connections shut"
             " down by admission: head deadline passed, or shed for"
             " newcomers.\n"
             "# TYPE hindsight_connections_closed_total counter\n"
             "hindsight_connections_closed_total{reason=\"head_deadline\"}"
             " %lu\n"
             "hindsight_connections_closed_total{reason=\"shed\"} %lu\n",
             nDeadline, nShed);
  buf_printf(pOut,
             "# HELP hindsight_lingering_closes_total Connections answered"
             " before their body was read, drained before closing.\n"
             "# TYPE hindsight_lingering_closes_total counter\n"
             "hindsight_lingering_closes_total %lu\n",
             linger_count());
  buf_puts(pOut, "# HELP hindsight_job_lead Background jobs this node runs"
                 " now (1); on PostgreSQL each runs on one node at a time"
                 " and moves when that node dies.\n"
                 "# TYPE hindsight_job_lead gauge\n");
  unsigned leads = db_leads();
  for (int j = DB_JOB_OUTBOX; j < DB_JOB_END; j++) {
    buf_printf(pOut, "hindsight_job_lead{job=\"%s\"} %d\n", db_job_name(j),
               (leads >> j) & 1 ? 1 : 0);
  }
  buf_puts(pOut, "# HELP hindsight_lane_busy Requests in each lane now.\n"
                 "# TYPE hindsight_lane_busy gauge\n");
  for (int i = 0; i < N_LANE; i++) {
    int nBusy = 0, nMax = 0;
    lane_counts(i, &nBusy, &nMax, &nRefused);
    buf_printf(pOut, "hindsight_lane_busy{lane=\"%s\"} %d\n",
               lane_name(i), nBusy);
  }
  buf_puts(pOut, "# HELP hindsight_lane_refused_total Requests refused"
                 " (503) because their lane was full.\n"
                 "# TYPE hindsight_lane_refused_total counter\n");
  for (int i = 0; i < N_LANE; i++) {
    int nBusy = 0, nMax = 0;
    lane_counts(i, &nBusy, &nMax, &nRefused);
    buf_printf(pOut, "hindsight_lane_refused_total{lane=\"%s\"} %lu\n",
               lane_name(i), nRefused);
  }
  size_t nHeld = 0;
  lane_body_counts(&nHeld, &nRefused);
  buf_printf(pOut,
             "# HELP hindsight_body_memory_bytes Request body bytes held in"
             " memory now.\n"
             "# TYPE hindsight_body_memory_bytes gauge\n"
             "hindsight_body_memory_bytes %zu\n"
             "# HELP hindsight_body_memory_refused_total Requests refused"
             " (503) because bodies in memory reached their budget.\n"
             "# TYPE hindsight_body_memory_refused_total counter\n"
             "hindsight_body_memory_refused_total %lu\n",
             nHeld, nRefused);
  if (nDbBytes >= 0) {
    buf_printf(pOut,
               "# HELP hindsight_database_size_bytes Size of the main"
               " database file (page_count * page_size).\n"
               "# TYPE hindsight_database_size_bytes gauge\n"
               "hindsight_database_size_bytes %lld\n",
               (long long)nDbBytes);
  }
}

void metrics_render_failed(void) { atomic_fetch_add(&nRenderFailed, 1); }

int metrics_ip_is_loopback(const char *zIp) {
  if (!zIp) {
    return 0;
  }
  if (strcmp(zIp, "::1") == 0) {
    return 1;
  }
  if (strncmp(zIp, "::ffff:", 7) == 0) {
    zIp += 7;
  }
  /* 127.0.0.0/8, and only a dotted quad: "127.evil" is not an address. */
  unsigned a, b, c, d;
  char zTail;
  return sscanf(zIp, "%3u.%3u.%3u.%3u%c", &a, &b, &c, &d, &zTail) == 4 &&
         a == 127 && b < 256 && c < 256 && d < 256;
}

/* page_count * page_size of the main database, or -1. */
static int64_t db_size_bytes(void) {
  DbStmt *p = db_prepare(db_sql("SELECT page_count * page_size"
                                " FROM pragma_page_count, pragma_page_size",
                                "SELECT pg_database_size(current_database())"));
  if (!p) {
    return -1;
  }
  int64_t n = db_step(p) == DB_ROW ? db_col_int(p, 0) : -1;
  db_reset(p);
  return n;
}

int metrics_page(Req *r) {
  int bAdmin = r->role >= ROLE_ADMIN && !r->bToken;
  if (!bAdmin && !metrics_ip_is_loopback(req_client_ip(r))) {
    return r->role == ROLE_NONE
               ? req_fail(r, E_AUTH, "metrics are for admins")
               : req_fail(r, E_FORBIDDEN, "metrics are for admins");
  }
  Buf out;
  buf_init(&out, (size_t)1 << 20);
  metrics_render(&out, db_size_bytes());
  if (buf_err(&out)) {
    buf_free(&out);
    return req_fail(r, E_DB, "metrics did not fit");
  }
  r->zRaw = buf_take(&out, &r->nRaw);
  r->zRawType = "text/plain; version=0.0.4; charset=utf-8";
  return 0;
}
