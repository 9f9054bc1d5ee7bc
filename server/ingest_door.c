/*
** ingest_door.c: the three ways evidence comes in: `hindsight ingest`,
** POST /api/v1/incidents/{id}/ingest?format=FMT (a raw body: log file, CSV
** or JSON), and the webhooks /hooks/alertmanager, /hooks/grafana and
** /hooks/generic. Each hands bytes to an IngestRun and answers with the
** ingest report of SPEC §4.
**
** Webhooks are all or nothing: a body that is not its format gets 400 and
** stores nothing. Evidence that matches no incident is kept all the same
** (evidence.h): an incident declared later draws it in.
**
** Threading: none of its own.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "ingest_store.h"
#include "input.h"
#include "utc.h"

static int feed_chunk(void *pArg, const char *z, size_t n) {
  return ingest_run_feed(pArg, z, n);
}

/* Runs zFormat over the request body into incident id (0: correlate). */
static int ingest_body(Req *r, const char *zFormat, int64_t id,
                       int bAllOrNothing) {
  IngestOptions opt = {.zSource = req_query(r, "source"),
                       .tzOffsetMin = 0,
                       .nowMs = utc_now_ms()};
  if (opt.zSource && (strlen(opt.zSource) > 60 ||
                      !utf8_valid(opt.zSource, strlen(opt.zSource)))) {
    return req_fail(r, E_INVALID, "source: at most 60 bytes of UTF-8");
  }
  const char *zTz = req_query(r, "tz");
  if (zTz && ingest_options_tz(&opt, zTz)) {
    return req_fail(r, E_INVALID, "tz: use UTC, an offset like +05:30 or a"
                                  " zone name like America/New_York");
  }
  IngestTarget target = {.incidentId = id,
                         .zActor = r->zUser,
                         .bAllOrNothing = bAllOrNothing};
  int rc = 0;
  IngestRun *pRun = ingest_run_new(zFormat, &opt, &target, &rc);
  if (!pRun) {
    tz_free(opt.pZone);
    if (rc == E_INVALID) {
      char zList[300];
      size_t n = 0;
      zList[0] = 0;
      for (int i = 0; azIngestFormat[i] && n < sizeof(zList); i++) {
        n += (size_t)snprintf(zList + n, sizeof(zList) - n, "%s%s",
                              i ? ", " : "", azIngestFormat[i]);
      }
      return req_fail(r, rc, "format: must be one of %s", zList);
    }
    return rc == E_NOTFOUND ? req_fail(r, rc, "no incident %lld",
                                       (long long)id)
                            : rc;
  }
  rc = req_body_read(r, feed_chunk, pRun);
  IngestReport report = {0};
  int rcFinish = ingest_run_finish(pRun, &report);
  ingest_run_free(pRun);
  tz_free(opt.pZone);
  rc = rc ? rc : rcFinish;
  r->pModel = ingest_report_json(&report);
  json_decref(report.pErrors);
  if (rc == E_INVALID) {
    json_t *pFirst = json_array_get(json_object_get(r->pModel, "errors"), 0);
    rc = req_fail(r, rc, "the body is not a valid %s payload: %s", zFormat,
                  pFirst ? json_string_value(json_object_get(pFirst,
                                                             "reason"))
                         : "rejected");
    json_decref(r->pModel);
    r->pModel = NULL;
    return rc;
  }
  return rc;
}

int ingest_http(Req *r) {
  int64_t id = 0;
  /* /api/v1/ingest has no id: the evidence goes wherever it matches. */
  int rc = req_param(r, "id") ? req_param_id(r, "id", &id) : 0;
  if (rc) {
    return rc;
  }
  const char *zFormat = req_query(r, "format");
  if (!zFormat || !*zFormat) {
    return req_fail(r, E_INVALID, "format: is required (?format=nginx...)");
  }
  return ingest_body(r, zFormat, id, 0);
}

int ingest_hook_alertmanager(Req *r) {
  return ingest_body(r, "alertmanager", 0, 1);
}

int ingest_hook_grafana(Req *r) { return ingest_body(r, "grafana", 0, 1); }

/* One item of a generic webhook into an event; 0 or E_INVALID (zErr). */
static int generic_event(json_t *pItem, IngestEvent *pEv, char *zErr,
                         size_t nErr) {
  static const char *const azKnown[] = {
      "ts", "title", "body", "level", "kind", "component", "source", "key",
      "state", NULL};
  static const char *const azKind[] = {"alert", "change", "log", "ticket",
                                       NULL};
  static const char *const azState[] = {"firing", "resolved", NULL};
  static const char *const azLevel[] = {"debug", "info",  "notice", "warning",
                                        "error", "critical", NULL};
  if (!json_is_object(pItem)) {
    snprintf(zErr, nErr, "each event must be a JSON object");
    return E_INVALID;
  }
  memset(pEv, 0, sizeof(*pEv));
  pEv->endTs = INT64_MIN;
  pEv->ts = utc_now_ms();
  pEv->zKind = "alert";
  pEv->zLevel = "warning";
  pEv->zState = "firing";
  int rc = in_only_known(pItem, azKnown, zErr, nErr);
  if (rc == 0) {
    rc = in_time(pItem, "ts", &pEv->ts, NULL, zErr, nErr);
  }
  if (rc == 0 && pEv->ts == IN_UNSET) {
    pEv->ts = utc_now_ms();
  }
  if (rc == 0) {
    rc = in_string(pItem, "title", 300, 1, &pEv->zTitle, NULL, zErr, nErr);
  }
  if (rc == 0) {
    rc = in_string(pItem, "body", 65536, 0, &pEv->zBody, NULL, zErr, nErr);
  }
  if (rc == 0) {
    rc = in_enum(pItem, "level", azLevel, &pEv->zLevel, zErr, nErr);
  }
  if (rc == 0) {
    rc = in_enum(pItem, "kind", azKind, &pEv->zKind, zErr, nErr);
  }
  if (rc == 0) {
    rc = in_enum(pItem, "state", azState, &pEv->zState, zErr, nErr);
  }
  if (rc == 0) {
    rc = in_string(pItem, "component", 200, 1, &pEv->zComponent, NULL, zErr,
                   nErr);
  }
  if (rc == 0) {
    rc = in_string(pItem, "source", 200, 1, &pEv->zSource, NULL, zErr, nErr);
  }
  if (rc == 0) {
    rc = in_string(pItem, "key", 200, 1, &pEv->zKey, NULL, zErr, nErr);
  }
  if (rc == 0 && (!pEv->zTitle || !*pEv->zTitle)) {
    snprintf(zErr, nErr, "title: is required");
    rc = E_INVALID;
  }
  if (rc == 0 && strcmp(pEv->zState, "resolved") == 0) {
    pEv->endTs = pEv->ts;
  }
  return rc;
}

int ingest_hook_generic(Req *r) {
  json_error_t err;
  json_t *pDoc = json_loadb(buf_str(&r->body), r->body.n,
                            JSON_REJECT_DUPLICATES, &err);
  if (!pDoc) {
    return req_fail(r, E_INVALID, "malformed JSON at line %d, column %d: %s",
                    err.line, err.column, err.text);
  }
  json_t *pItems = json_is_array(pDoc) ? json_incref(pDoc)
                                       : json_pack("[O]", pDoc);
  json_decref(pDoc);
  if (json_array_size(pItems) == 0 || json_array_size(pItems) > 10000) {
    json_decref(pItems);
    return req_fail(r, E_INVALID, "send one event or an array of 1 to "
                                  "10000 events");
  }
  /* Validate everything before storing anything. */
  char zErr[256];
  size_t i;
  json_t *pItem;
  IngestEvent ev;
  json_array_foreach(pItems, i, pItem) {
    if (generic_event(pItem, &ev, zErr, sizeof(zErr))) {
      json_decref(pItems);
      return req_fail(r, E_INVALID, "event %zu: %s", i + 1, zErr);
    }
  }
  IngestOptions opt = {.nowMs = utc_now_ms()};
  IngestTarget target = {.zActor = r->zUser, .bAllOrNothing = 1};
  int rc = 0;
  IngestRun *pRun = ingest_run_new("generic", &opt, &target, &rc);
  if (!pRun) {
    json_decref(pItems);
    return rc;
  }
  json_array_foreach(pItems, i, pItem) {
    generic_event(pItem, &ev, zErr, sizeof(zErr));
    char *zRaw = json_dumps(pItem, JSON_COMPACT | JSON_SORT_KEYS);
    ev.zRaw = zRaw;
    ev.line = (int64_t)i + 1;
    rc = ingest_run_event(pRun, &ev);
    free(zRaw);
    if (rc) {
      break;
    }
  }
  IngestReport report = {0};
  int rcFinish = ingest_run_finish(pRun, &report);
  ingest_run_free(pRun);
  json_decref(pItems);
  r->pModel = ingest_report_json(&report);
  json_decref(report.pErrors);
  return rc ? rc : rcFinish;
}

/* CLI ------------------------------------------------------------------ */

static const char *zIngestUsage =
    "usage: hindsight ingest --format FMT [--incident ID | --auto]"
    " [--source NAME] [--tz ZONE] [--json] [FILE|-]...\n"
    "  FMT: syslog nginx apache jsonl journal alertmanager grafana"
    " tickets-csv zendesk logfmt haproxy alb vpc-flow\n"
    "  ZONE: UTC, an offset like +05:30, or a zone like America/New_York\n";

static int feed_file(IngestRun *pRun, const char *zPath) {
  FILE *f = strcmp(zPath, "-") == 0 ? stdin : fopen(zPath, "rb");
  if (!f) {
    fprintf(stderr, "hindsight: cannot read %s: %s\n", zPath,
            strerror(errno));
    return E_IO;
  }
  char *aChunk = xmalloc(1 << 16);
  size_t n;
  int rc = 0;
  while (rc == 0 && (n = fread(aChunk, 1, 1 << 16, f)) > 0) {
    rc = ingest_run_feed(pRun, aChunk, n);
  }
  if (rc == 0 && ferror(f)) {
    fprintf(stderr, "hindsight: error reading %s\n", zPath);
    rc = E_IO;
  }
  free(aChunk);
  if (f != stdin) {
    fclose(f);
  }
  return rc;
}

int ingest_cli(int argc, char **argv) {
  const char *zFormat = NULL, *zTz = NULL;
  IngestOptions opt = {.nowMs = utc_now_ms()};
  IngestTarget target = {.zActor = "cli"};
  int bAuto = 0, bJson = 0, nFile = 0;
  const char *azFile[256];
  for (int i = 0; i < argc; i++) {
    const char *z = argv[i];
    int bValue = i + 1 < argc;
    if (strcmp(z, "--help") == 0) {
      fputs(zIngestUsage, stdout);
      return 0;
    } else if (strcmp(z, "--format") == 0 && bValue) {
      zFormat = argv[++i];
    } else if (strcmp(z, "--incident") == 0 && bValue) {
      char *zEnd;
      target.incidentId = strtoll(argv[++i], &zEnd, 10);
      if (*zEnd || target.incidentId < 1) {
        fprintf(stderr, "hindsight: --incident needs a number\n");
        return 2;
      }
    } else if (strcmp(z, "--auto") == 0) {
      bAuto = 1;
    } else if (strcmp(z, "--source") == 0 && bValue) {
      opt.zSource = argv[++i];
    } else if (strcmp(z, "--tz") == 0 && bValue) {
      zTz = argv[++i];
    } else if (strcmp(z, "--json") == 0) {
      bJson = 1;
    } else if (z[0] == '-' && z[1] != 0) {
      fputs(zIngestUsage, stderr);
      return 2;
    } else if (nFile < 256) {
      azFile[nFile++] = z;
    }
  }
  /* Without --incident (or with --auto, the same) evidence is kept and
  ** drawn into whichever incidents it matches. */
  if (!zFormat || (bAuto && target.incidentId != 0)) {
    fprintf(stderr, "hindsight: give --format and at most one of"
                    " --incident ID or --auto (try hindsight ingest"
                    " --help)\n");
    return 2;
  }
  if (zTz && ingest_options_tz(&opt, zTz)) {
    fprintf(stderr, "hindsight: --tz takes UTC, an offset like +05:30 or a"
                    " zone name like America/New_York\n");
    return 2;
  }
  if (nFile == 0) {
    azFile[nFile++] = "-";
  }
  int rc = 0;
  IngestRun *pRun = ingest_run_new(zFormat, &opt, &target, &rc);
  if (!pRun) {
    tz_free(opt.pZone);
    fprintf(stderr, "hindsight: %s\n",
            rc == E_INVALID    ? "unknown --format (try hindsight ingest "
                                 "--help)"
            : rc == E_NOTFOUND ? "no such incident"
                               : "cannot write to the database");
    return rc == E_INVALID ? 2 : 1;
  }
  for (int i = 0; i < nFile && rc == 0; i++) {
    rc = feed_file(pRun, azFile[i]);
  }
  IngestReport report = {0};
  int rcFinish = ingest_run_finish(pRun, &report);
  ingest_run_free(pRun);
  tz_free(opt.pZone);
  rc = rc ? rc : rcFinish;
  json_t *pReport = ingest_report_json(&report);
  if (bJson) {
    char *z = json_dumps(pReport, JSON_COMPACT);
    printf("%s\n", z ? z : "{}");
    free(z);
  } else {
    printf("accepted %lld, duplicates %lld, rejected %lld\n",
           (long long)report.nAccepted, (long long)report.nDuplicate,
           (long long)report.nRejected);
    size_t i;
    json_t *pErr;
    json_array_foreach(report.pErrors, i, pErr) {
      printf("  line %lld: %s\n",
             (long long)json_integer_value(json_object_get(pErr, "line")),
             json_string_value(json_object_get(pErr, "reason")));
    }
  }
  json_decref(pReport);
  json_decref(report.pErrors);
  if (rc) {
    fprintf(stderr, "hindsight: ingest stopped by an error; what was read "
                    "before it is kept, and running it again adds only what "
                    "is missing\n");
  }
  return rc ? 1 : 0;
}
