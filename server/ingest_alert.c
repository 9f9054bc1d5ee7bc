/*
** ingest_alert.c: the "alertmanager" (webhook version 4) and "grafana"
** (unified alerting webhook, and the legacy single-alert shape) formats.
** Each is one JSON document.
**
** One event of kind "alert" per entry of alerts[], driven by the alert's
** own status (a group can mix firing and resolved): ts = startsAt, endTs =
** endsAt when resolved (Go's zero time 0001-01-01T00:00:00Z means unset),
** zKey = fingerprint (or a hash of the sorted labels), level from
** labels.severity, component = the first of labels component, service, job
** that is set, title = alertname and annotations.summary, body =
** annotations.description plus the labels. zRaw is the alert object as
** compact JSON. A bad alert is rejected as "alerts[i]: reason" on line 1;
** a document that is not the format is rejected whole. Pure.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "err.h"
#include "ingest_formats.h"
#include "utc.h"

static const char *const azCompLabel[] = {"component", "service", "job",
                                          NULL};

/* qsort comparator for an array of C strings. */
static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Writes "k=v" lines of the string-valued labels, sorted by key. */
static void labels_text(json_t *pLabels, Buf *pOut) {
  size_t nKey = json_object_size(pLabels), i = 0;
  const char *zKey;
  json_t *pV;
  if (nKey == 0) {
    return;
  }
  const char **azKey = xmalloc(nKey * sizeof(*azKey));
  json_object_foreach(pLabels, zKey, pV) {
    azKey[i++] = zKey;
  }
  qsort(azKey, nKey, sizeof(*azKey), cmp_str);
  for (i = 0; i < nKey; i++) {
    json_t *pVal = json_object_get(pLabels, azKey[i]);
    if (json_is_string(pVal)) {
      buf_printf(pOut, "%s=%s\n", azKey[i], json_string_value(pVal));
    }
  }
  free(azKey);
}

/* Emits one alert object; zWhere names it in reasons. */
static int emit_alert(IngestParser *p, json_t *pAlert, size_t iAlert,
                      const char *zDefaultSource) {
  IngestEvent ev = {0};
  Arena *pA = ingest_arena(p);
  Buf body, labels;
  char *zRaw = NULL;
  int rc = 0;
  buf_init(&body, INGEST_MAX_DOC);
  buf_init(&labels, INGEST_MAX_DOC);
  if (!json_is_object(pAlert)) {
    ingest_reject(p, 1, "alerts[%zu]: not an object", iAlert);
    goto cleanup;
  }
  json_t *pLabels = json_object_get(pAlert, "labels");
  json_t *pAnn = json_object_get(pAlert, "annotations");
  if (!json_is_object(pLabels)) {
    pLabels = NULL;
  }
  if (!json_is_object(pAnn)) {
    pAnn = NULL;
  }
  const char *zStatus = ingest_json_str(p, pAlert, "status");
  if (!zStatus) {
    zStatus = "firing";
  }
  if (strcmp(zStatus, "firing") != 0 && strcmp(zStatus, "resolved") != 0) {
    ingest_reject(p, 1, "alerts[%zu]: unknown status", iAlert);
    goto cleanup;
  }
  int rcT = ingest_json_time(p, pAlert, "startsAt", &ev.ts);
  if (rcT == E_NOTFOUND) {
    ingest_reject(p, 1, "alerts[%zu]: no \"startsAt\"", iAlert);
    goto cleanup;
  } else if (rcT) {
    ingest_reject(p, 1, "alerts[%zu]: invalid time in \"startsAt\"", iAlert);
    goto cleanup;
  }
  int64_t msEnd = INT64_MIN;
  rcT = ingest_json_time(p, pAlert, "endsAt", &msEnd);
  if (rcT == E_INVALID) {
    ingest_reject(p, 1, "alerts[%zu]: invalid time in \"endsAt\"", iAlert);
    goto cleanup;
  }
  /* Go's zero time (year 1) means unset. */
  if (rcT == 0 && msEnd < UTC_MIN_MS + INT64_C(86400000) * 366) {
    msEnd = INT64_MIN;
  }
  ev.endTs = strcmp(zStatus, "resolved") == 0 ? msEnd : INT64_MIN;
  ev.zState = zStatus;
  if (pLabels) {
    labels_text(pLabels, &labels);
  }
  const char *zFp = ingest_json_str(p, pAlert, "fingerprint");
  ev.zKey = zFp && zFp[0] ? zFp
                          : ingest_hash16(p, buf_str(&labels), labels.n);
  ev.zLevel = ingest_level(ingest_json_str(p, pLabels, "severity"), "warning");
  for (size_t i = 0; azCompLabel[i] && pLabels; i++) {
    const char *z = ingest_json_str(p, pLabels, azCompLabel[i]);
    if (z && z[0]) {
      ev.zComponent = z;
      break;
    }
  }
  const char *zName = ingest_json_str(p, pLabels, "alertname");
  const char *zSummary = ingest_json_str(p, pAnn, "summary");
  const char *zDesc = ingest_json_str(p, pAnn, "description");
  if (!zDesc) {
    zDesc = ingest_json_str(p, pAnn, "message");
  }
  Buf title;
  buf_init(&title, INGEST_MAX_LINE);
  buf_puts(&title, zName && zName[0] ? zName : "alert");
  if (zSummary && zSummary[0]) {
    buf_puts(&title, ": ");
    buf_puts(&title, zSummary);
  }
  ev.zTitle = arena_strdup(pA, buf_str(&title));
  buf_free(&title);
  if (zDesc && zDesc[0]) {
    buf_puts(&body, zDesc);
    buf_puts(&body, "\n\n");
  }
  if (labels.n) {
    buf_puts(&body, "Labels:\n");
    buf_append(&body, labels.z, labels.n);
  }
  ev.zBody = body.n ? buf_str(&body) : NULL;
  zRaw = json_dumps(pAlert, JSON_COMPACT);
  ev.zRaw = zRaw ? zRaw : "";
  ev.zKind = "alert";
  ev.zSource = ingest_options(p)->zSource ? NULL : zDefaultSource;
  ev.line = 1;
  if (buf_err(&body) || buf_err(&labels)) {
    ingest_reject(p, 1, "alerts[%zu]: too large", iAlert);
    goto cleanup;
  }
  rc = ingest_emit(p, &ev);
cleanup:
  free(zRaw);
  buf_free(&labels);
  buf_free(&body);
  return rc;
}

/* Emits every entry of pDoc's alerts[]. */
static int emit_alerts(IngestParser *p, json_t *pDoc, const char *zSource) {
  json_t *pAlerts = json_object_get(pDoc, "alerts");
  size_t i;
  json_t *pAlert;
  json_array_foreach(pAlerts, i, pAlert) {
    if (emit_alert(p, pAlert, i, zSource)) {
      return 1;
    }
  }
  return 0;
}

/* Parses the document; NULL (rejected) unless it is a JSON object. */
static json_t *load_doc(IngestParser *p, const char *z, size_t n) {
  if (strspn(z, " \t\r\n") == n) {
    ingest_reject(p, 1, "empty document");
    return NULL;
  }
  json_t *pDoc = ingest_json_load(p, z, n, 1);
  if (pDoc && !json_is_object(pDoc)) {
    ingest_reject(p, 1, "not a JSON object");
    json_decref(pDoc);
    pDoc = NULL;
  }
  return pDoc;
}

int ingest_alertmanager_doc(IngestParser *p, const char *z, size_t n) {
  int rc = 0;
  json_t *pDoc = load_doc(p, z, n);
  if (!pDoc) {
    goto cleanup;
  }
  const char *zVersion = ingest_json_str(p, pDoc, "version");
  if (zVersion && strcmp(zVersion, "4") != 0) {
    ingest_reject(p, 1, "unsupported webhook version (want \"4\")");
    goto cleanup;
  }
  if (!json_is_array(json_object_get(pDoc, "alerts"))) {
    ingest_reject(p, 1, "no \"alerts\" array");
    goto cleanup;
  }
  rc = emit_alerts(p, pDoc, "alertmanager");
cleanup:
  json_decref(pDoc);
  return rc;
}

/* Grafana's legacy (pre-unified) notification: one rule, no times. */
static int emit_legacy(IngestParser *p, json_t *pDoc) {
  IngestEvent ev = {0};
  Buf body;
  char *zRaw = NULL;
  int rc = 0;
  buf_init(&body, INGEST_MAX_DOC);
  const char *zState = ingest_json_str(p, pDoc, "state");
  const char *zRule = ingest_json_str(p, pDoc, "ruleName");
  const char *zTitle = ingest_json_str(p, pDoc, "title");
  const char *zRuleId = ingest_json_str(p, pDoc, "ruleId");
  if (!zState || (!zRule && !zTitle)) {
    ingest_reject(p, 1, "no \"alerts\" array");
    goto cleanup;
  }
  if (strcmp(zState, "ok") == 0) {
    ev.zState = "resolved";
  } else if (strcmp(zState, "alerting") == 0 ||
             strcmp(zState, "no_data") == 0) {
    ev.zState = "firing";
  } else {
    ingest_reject(p, 1, "unknown state");
    goto cleanup;
  }
  const char *zMsg = ingest_json_str(p, pDoc, "message");
  if (zMsg) {
    buf_puts(&body, zMsg);
  }
  size_t i;
  json_t *pM;
  json_array_foreach(json_object_get(pDoc, "evalMatches"), i, pM) {
    const char *zMetric = ingest_json_str(p, pM, "metric");
    const char *zValue = ingest_json_str(p, pM, "value");
    buf_printf(&body, "%s%s=%s", body.n ? "\n" : "", zMetric ? zMetric : "?",
               zValue ? zValue : "null");
  }
  const char *zName = zRule ? zRule : zTitle;
  ev.zKey = zRuleId ? arena_strdup(ingest_arena(p), zRuleId)
                    : ingest_hash16(p, zName, strlen(zName));
  json_t *pTags = json_object_get(pDoc, "tags");
  ev.zLevel = ingest_level(ingest_json_str(p, pTags, "severity"), "warning");
  ev.ts = ingest_options(p)->nowMs;
  ev.endTs = ev.zState[0] == 'r' ? ev.ts : INT64_MIN;
  ev.zTitle = zName;
  ev.zBody = body.n ? buf_str(&body) : NULL;
  zRaw = json_dumps(pDoc, JSON_COMPACT);
  ev.zRaw = zRaw ? zRaw : "";
  ev.zKind = "alert";
  ev.zSource = ingest_options(p)->zSource ? NULL : "grafana";
  ev.line = 1;
  rc = ingest_emit(p, &ev);
cleanup:
  free(zRaw);
  buf_free(&body);
  return rc;
}

int ingest_grafana_doc(IngestParser *p, const char *z, size_t n) {
  int rc = 0;
  json_t *pDoc = load_doc(p, z, n);
  if (!pDoc) {
    goto cleanup;
  }
  if (json_is_array(json_object_get(pDoc, "alerts"))) {
    rc = emit_alerts(p, pDoc, "grafana");
  } else {
    rc = emit_legacy(p, pDoc);
  }
cleanup:
  json_decref(pDoc);
  return rc;
}
