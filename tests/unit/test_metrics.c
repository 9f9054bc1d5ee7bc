/* test_metrics: counters, the text format, and who counts as loopback. */
#include "harness.h"
#include "metrics.h"

static const char *render(Buf *pOut) {
  buf_reset(pOut);
  metrics_render(pOut, 8192);
  return buf_err(pOut) ? "" : buf_str(pOut);
}

int main(void) {
  Buf out;
  buf_init(&out, 1 << 20);
  static const char zRoute[] = "/api/v1/incidents/{id}";

  metrics_reset();
  metrics_observe("GET", zRoute, 200, 3);
  metrics_observe("GET", zRoute, 200, 40);
  metrics_observe("GET", zRoute, 404, 20000);
  metrics_observe("other", "unmatched", 0, -5);
  metrics_ingest(10, 2, 1);
  const char *z = render(&out);
  CHECK("counter per route and status",
        strstr(z, "hindsight_http_requests_total{method=\"GET\","
                  "route=\"/api/v1/incidents/{id}\",status=\"200\"} 2\n"));
  CHECK("a second status is its own series",
        strstr(z, "route=\"/api/v1/incidents/{id}\",status=\"404\"} 1\n"));
  CHECK("unanswered requests count with status 0",
        strstr(z, "{method=\"other\",route=\"unmatched\",status=\"0\"} 1\n"));
  CHECK("TYPE line for the counter",
        strstr(z, "# TYPE hindsight_http_requests_total counter\n"));
  CHECK("TYPE line for the histogram",
        strstr(z, "# TYPE hindsight_http_request_duration_seconds "
                  "histogram\n"));
  CHECK("bucket 5 ms holds 3 ms and the clamped negative",
        strstr(z, "_bucket{le=\"0.005\"} 2\n"));
  CHECK("bucket 50 ms is cumulative", strstr(z, "_bucket{le=\"0.050\"} 3\n"));
  CHECK("bucket 10 s misses the 20 s request",
        strstr(z, "_bucket{le=\"10.000\"} 3\n"));
  CHECK("+Inf bucket counts all", strstr(z, "_bucket{le=\"+Inf\"} 4\n"));
  CHECK("sum in seconds",
        strstr(z, "hindsight_http_request_duration_seconds_sum 20.043\n"));
  CHECK("count",
        strstr(z, "hindsight_http_request_duration_seconds_count 4\n"));
  CHECK("ingest accepted",
        strstr(z, "hindsight_ingest_events_total{result=\"accepted\"} 10\n"));
  CHECK("ingest duplicates", strstr(z, "{result=\"duplicate\"} 2\n"));
  CHECK("ingest rejected", strstr(z, "{result=\"rejected\"} 1\n"));
  CHECK("ingest runs", strstr(z, "hindsight_ingest_runs_total 1\n"));
  CHECK("database size gauge",
        strstr(z, "hindsight_database_size_bytes 8192\n"));

  /* Every line is a comment or "name{labels} value". */
  int bShape = 1;
  for (const char *p = z; *p;) {
    const char *zEnd = strchr(p, '\n');
    if (!zEnd) {
      bShape = 0;
      break;
    }
    if (*p != '#' && (strncmp(p, "hindsight_", 10) != 0 ||
                      !memchr(p, ' ', (size_t)(zEnd - p)))) {
      bShape = 0;
    }
    p = zEnd + 1;
  }
  CHECK("every line is a comment or a sample", bShape);

  /* The series table is bounded: the overflow is folded, not dropped. */
  metrics_reset();
  static const char azRoute[METRICS_MAX_SERIES + 10][8];
  for (int i = 0; i < METRICS_MAX_SERIES + 10; i++) {
    metrics_observe("GET", azRoute[i], 200, 1);
  }
  z = render(&out);
  CHECK("overflow is counted in route=other",
        strstr(z, "{method=\"other\",route=\"other\",status=\"other\"} 10\n"));
  metrics_reset();
  z = render(&out);
  CHECK("reset clears counts",
        strstr(z, "_duration_seconds_count 0\n") != NULL);

  CHECK("127.0.0.1 is loopback", metrics_ip_is_loopback("127.0.0.1"));
  CHECK("127.1.2.3 is loopback", metrics_ip_is_loopback("127.1.2.3"));
  CHECK("::1 is loopback", metrics_ip_is_loopback("::1"));
  CHECK("::ffff:127.0.0.1 is loopback",
        metrics_ip_is_loopback("::ffff:127.0.0.1"));
  CHECK("10.0.0.1 is not", !metrics_ip_is_loopback("10.0.0.1"));
  CHECK("192.168.1.127 is not", !metrics_ip_is_loopback("192.168.1.127"));
  CHECK("::2 is not", !metrics_ip_is_loopback("::2"));
  CHECK("::ffff:10.0.0.1 is not", !metrics_ip_is_loopback("::ffff:10.0.0.1"));
  CHECK("127.0.0.1.evil is not", !metrics_ip_is_loopback("127.0.0.1.evil"));
  CHECK("1127.0.0.1 is not", !metrics_ip_is_loopback("1127.0.0.1"));
  CHECK("unknown is not", !metrics_ip_is_loopback("unknown"));
  CHECK("NULL is not", !metrics_ip_is_loopback(NULL));
  buf_free(&out);
  return harness_exit();
}
