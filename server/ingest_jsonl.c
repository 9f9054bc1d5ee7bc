/*
** ingest_jsonl.c: the "jsonl" format: one JSON object a line (go-kit,
** slog, zap, logrus, ECS, pino and the like).
**
** Time from the first of ts, time, timestamp, @timestamp (RFC 3339, or
** epoch seconds/ms/us/ns as a number or digit string); level from level,
** severity, lvl or ECS log.level, normalised by ingest_level(); message from
** msg or message; component from component, service or host. Duplicate
** keys are rejected (which of the two would be meant is a guess). Pure; no
** state between lines.
*/
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "ingest_formats.h"

static const char *const azTimeKey[] = {"ts", "time", "timestamp",
                                        "@timestamp", NULL};
static const char *const azLevelKey[] = {"level", "severity", "lvl", NULL};
static const char *const azMsgKey[] = {"msg", "message", NULL};
static const char *const azCompKey[] = {"component", "service", "host", NULL};

/* The first key of az present in pObj as a non-empty scalar, or NULL. */
static const char *first_str(IngestParser *p, json_t *pObj,
                             const char *const *az) {
  for (size_t i = 0; az[i]; i++) {
    const char *z = ingest_json_str(p, pObj, az[i]);
    if (z && z[0]) {
      return z;
    }
  }
  return NULL;
}

int ingest_jsonl_line(IngestParser *p, const char *z, size_t n,
                      int64_t iLine) {
  IngestEvent ev = {0};
  json_t *pJ = NULL;
  int rc = 0;
  if (!z || strspn(z, " \t") == n) {
    return 0;
  }
  pJ = ingest_json_load(p, z, n, iLine);
  if (!pJ) {
    goto cleanup;
  }
  if (!json_is_object(pJ)) {
    ingest_reject(p, iLine, "not a JSON object");
    goto cleanup;
  }
  const char *zTimeKey = NULL;
  for (size_t i = 0; azTimeKey[i] && !zTimeKey; i++) {
    int rcT = ingest_json_time(p, pJ, azTimeKey[i], &ev.ts);
    if (rcT == E_INVALID) {
      ingest_reject(p, iLine, "invalid time in \"%s\"", azTimeKey[i]);
      goto cleanup;
    } else if (rcT == 0) {
      zTimeKey = azTimeKey[i];
    }
  }
  if (!zTimeKey) {
    ingest_reject(p, iLine,
                  "no time field (ts, time, timestamp or @timestamp)");
    goto cleanup;
  }
  const char *zLevel = first_str(p, pJ, azLevelKey);
  if (!zLevel) {
    json_t *pLog = json_object_get(pJ, "log");
    zLevel = json_is_object(pLog) ? ingest_json_str(p, pLog, "level")
                                  : ingest_json_str(p, pJ, "log.level");
  }
  const char *zMsg = first_str(p, pJ, azMsgKey);
  ev.endTs = INT64_MIN;
  ev.zKind = "log";
  ev.zLevel = ingest_level(zLevel, "info");
  ev.zComponent = first_str(p, pJ, azCompKey);
  ev.zTitle = zMsg ? zMsg : "";
  ev.zBody = zMsg;
  rc = ingest_emit(p, &ev);
cleanup:
  json_decref(pJ);
  return rc;
}
