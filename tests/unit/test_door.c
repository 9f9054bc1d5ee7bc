/*
** test_door.c: the streaming doors' pure parts: the label mapping
** (door_labels.c), Prometheus label sets and Loki JSON (door_loki.c), and
** RFC 6587 framing (syslog_frame.c).
*/
#include <stdint.h>
#include <string.h>

#include "door_labels.h"
#include "door_loki.h"
#include "err.h"
#include "harness.h"
#include "syslog_frame.h"

static DoorMeta lastMeta; /* the last line's meta, copied */
static char zLast[256];   /* the last line's text */
static int nLine;         /* lines seen */

static int on_line(void *pArg, const DoorLine *p) {
  (void)pArg;
  lastMeta = *p->pMeta;
  snprintf(zLast, sizeof(zLast), "%.*s", (int)p->n, p->z);
  nLine++;
  return 0;
}

static char aFrames[8][64]; /* frames seen, as text */
static int nFrame, nBad;

static int on_frame(void *pArg, const char *z, size_t n) {
  (void)pArg;
  if (nFrame < 8) {
    snprintf(aFrames[nFrame], sizeof(aFrames[0]), "%.*s", (int)n, z);
  }
  nFrame++;
  return 0;
}

static void on_bad(void *pArg, const char *zReason) {
  (void)pArg;
  (void)zReason;
  nBad++;
}

int main(void) {
  DoorMeta m;
  door_meta_init(&m);
  door_meta_label(&m, "host", 4, "web-1", 5);
  door_meta_label(&m, "job", 3, "api", 3);
  door_meta_label(&m, "level", 5, "WARN", 4);
  CHECK_STR("job outranks host for the source", m.zSource, "api");
  CHECK_STR("job is the component when nothing better", m.zComponent, "api");
  CHECK_STR("level words are normalised", m.zLevel, "warning");
  door_meta_label(&m, "component", 9, "Checkout", 8);
  CHECK_STR("component outranks job", m.zComponent, "Checkout");
  door_meta_severity_number(&m, 17);
  CHECK_STR("OTLP severity 17 is error", m.zLevel, "error");
  door_meta_label(&m, "level", 5, "debug", 5);
  CHECK_STR("a severity outranks the level label", m.zLevel, "error");
  door_meta_severity_text(&m, "INFO", 4);
  CHECK_STR("severity_number outranks severity_text", m.zLevel, "error");

  uint64_t ns = 0;
  CHECK_INT("ns parse", door_parse_ns("1709287500000000000", 19, &ns), 0);
  CHECK_INT("ns to ms", door_ns_to_ms(ns), 1709287500000LL);
  CHECK("ns overflow refused",
        door_parse_ns("99999999999999999999", 20, &ns) != 0);
  CHECK("ns not digits refused", door_parse_ns("12a", 3, &ns) != 0);

  door_meta_init(&m);
  const char *zL = "{job=\"a\\\"b\", service_name=\"pay\", level=\"err\"}";
  CHECK_INT("labels parse", loki_parse_labels(zL, strlen(zL), &m), 0);
  CHECK_STR("service_name outranks job", m.zSource, "pay");
  CHECK_STR("err is error", m.zLevel, "error");
  door_meta_init(&m);
  zL = "{job=\"a\\\"b\"}";
  CHECK_INT("escaped quote in a label", loki_parse_labels(zL, strlen(zL), &m),
            0);
  CHECK_STR("escaped quote kept", m.zSource, "a\"b");
  CHECK_INT("unterminated labels refused", loki_parse_labels("{job=\"a", 7, &m),
            E_INVALID);
  CHECK_INT("labels without braces refused",
            loki_parse_labels("job=\"a\"", 7, &m), E_INVALID);

  char zErr[300];
  const char *zJ = "{\"streams\":[{\"stream\":{\"app\":\"x\"},\"values\":"
                   "[[\"1000000\",\"one\"],[\"2000000\",\"two\"]]}]}";
  CHECK_INT("loki json decodes",
            loki_decode_json(zJ, strlen(zJ), on_line, NULL, zErr, sizeof(zErr)),
            0);
  CHECK_INT("both lines", nLine, 2);
  CHECK_STR("last line", zLast, "two");
  CHECK_STR("app is the source", lastMeta.zSource, "x");
  const char *zBad = "{\"streams\":[{\"stream\":{},\"values\":[[1,\"a\"]]}]}";
  CHECK_INT(
      "a number timestamp is refused",
      loki_decode_json(zBad, strlen(zBad), on_line, NULL, zErr, sizeof(zErr)),
      E_INVALID);
  CHECK("the refusal names the entry", strstr(zErr, "values[0]") != NULL);

  SyslogFramer f;
  syslog_framer_init(&f, 32);
  const char *zIn = "5 hello<1>line two\n3x bad\n40 " /* 40 > cap */
                    "0123456789012345678901234567890123456789"
                    "<2>after\r\n9 partial";
  syslog_framer_feed(&f, zIn, strlen(zIn), on_frame, on_bad, NULL, NULL);
  syslog_framer_end(&f, on_frame, on_bad, NULL);
  syslog_framer_free(&f);
  CHECK_INT("frames kept", nFrame, 3);
  CHECK_STR("octet-counted frame", aFrames[0], "hello");
  CHECK_STR("newline frame right after it", aFrames[1], "<1>line two");
  CHECK_STR("CRLF trimmed after skipping bad frames", aFrames[2], "<2>after");
  CHECK_INT("bad count, oversized frame, truncated frame counted", nBad, 3);
  return harness_exit();
}
