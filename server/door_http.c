/*
** door_http.c: POST /loki/api/v1/push and POST /v1/logs (see
** door_http.h). The token is checked before the body is read (http.c
** authenticates R_INGEST routes on the headers). A body is decoded twice:
** once to validate it whole (a malformed push stores nothing and gets
** 400), then into one transaction, so the answer (204 for Loki, 200 for
** OTLP) means every line is committed. Storage that is full or busy gives
** 503 with Retry-After (http.c), which both protocols' clients retry.
**
** Threading: none of its own; runs on the pool thread of the request.
*/
#include "door_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "door_loki.h"
#include "door_otlp.h"
#include "err.h"
#include "metrics.h"
#include "utc.h"

int door_store_begin(DoorStore *p, const char *zDoor, const char *zActor) {
  memset(p, 0, sizeof(*p));
  IngestOptions opt = {.nowMs = utc_now_ms()};
  IngestTarget target = {.zActor = zActor, .bStream = 1};
  int rc = 0;
  p->zDoor = zDoor;
  p->nowMs = opt.nowMs;
  p->pRun = ingest_run_new("generic", &opt, &target, &rc);
  if (!p->pRun) {
    return rc ? rc : E_DB;
  }
  p->zText = xmalloc(INGEST_MAX_LINE + 1);
  return 0;
}

int door_store_line(void *pArg, const DoorLine *pLine) {
  DoorStore *p = pArg;
  if (pLine->zReject) {
    p->nRejected++;
    p->nLine++;
    p->zReject = p->zReject ? p->zReject : pLine->zReject;
    return 0;
  }
  size_t n = pLine->n > INGEST_MAX_LINE ? INGEST_MAX_LINE : pLine->n;
  memcpy(p->zText, pLine->z, n);
  p->zText[n] = 0;
  const DoorMeta *pMeta = pLine->pMeta;
  IngestEvent ev = {
      .ts = pLine->tsMs == INT64_MIN ? p->nowMs : pLine->tsMs,
      .endTs = INT64_MIN,
      .zKind = "log",
      .zSource = pMeta->zSource[0] ? pMeta->zSource : p->zDoor,
      .zLevel = pMeta->zLevel ? pMeta->zLevel : "info",
      .zComponent = pMeta->zComponent[0] ? pMeta->zComponent : NULL,
      .zTitle = p->zText,
      .zRaw = p->zText,
      .line = ++p->nLine,
  };
  return ingest_run_event(p->pRun, &ev);
}

int door_store_end(DoorStore *p, int rc, IngestReport *pReport) {
  IngestReport report = {0};
  if (p->pRun && rc == 0) {
    rc = ingest_run_finish(p->pRun, &report);
  }
  ingest_run_free(p->pRun); /* rolls back what finish did not commit */
  free(p->zText);
  p->pRun = NULL;
  p->zText = NULL;
  if (pReport) {
    *pReport = report;
  } else {
    json_decref(report.pErrors);
  }
  return rc;
}

static int count_line(void *pArg, const DoorLine *pLine) {
  (void)pLine;
  (*(int64_t *)pArg)++;
  return 0;
}

static int body_append(void *pArg, const char *z, size_t n) {
  buf_append(pArg, z, n);
  return buf_err(pArg) ? E_TOOBIG : 0;
}

/* Inflates a gzip or zlib body into pOut (capped); 0, E_INVALID, E_TOOBIG. */
static int gunzip(const Buf *pIn, Buf *pOut) {
  z_stream s;
  memset(&s, 0, sizeof(s));
  if (inflateInit2(&s, 15 + 32) != Z_OK) { /* +32: gzip or zlib header */
    return E_INVALID;
  }
  char aOut[65536];
  int rc = 0, zrc = Z_OK;
  s.next_in = (Bytef *)buf_str(pIn);
  s.avail_in = (uInt)pIn->n;
  while (rc == 0 && zrc != Z_STREAM_END) {
    s.next_out = (Bytef *)aOut;
    s.avail_out = sizeof(aOut);
    zrc = inflate(&s, Z_NO_FLUSH);
    if (zrc != Z_OK && zrc != Z_STREAM_END) {
      rc = E_INVALID;
    } else if (s.avail_out == sizeof(aOut) && zrc != Z_STREAM_END) {
      rc = E_INVALID; /* no progress: the input ended early */
    } else {
      rc = body_append(pOut, aOut, sizeof(aOut) - s.avail_out);
    }
  }
  inflateEnd(&s);
  return rc;
}

/* The request body, inflated if gzip-encoded, into pOut (initialised
** here; caller frees). 0, or an answered failure's rc. */
static int door_body(Req *r, Buf *pOut) {
  Buf raw;
  buf_init(pOut, DOOR_MAX_BODY);
  buf_init(&raw, DOOR_MAX_BODY);
  int rc = req_body_read(r, body_append, &raw);
  const char *zEnc = req_header(r, "Content-Encoding");
  if (rc == 0 && zEnc && strcasecmp(zEnc, "gzip") != 0 &&
      strcasecmp(zEnc, "deflate") != 0 && strcasecmp(zEnc, "identity") != 0) {
    rc = req_fail(r, E_MEDIATYPE, "Content-Encoding: use gzip or none");
  } else if (rc == 0 && zEnc && strcasecmp(zEnc, "identity") != 0) {
    rc = gunzip(&raw, pOut);
    if (rc == E_INVALID) {
      rc = req_fail(r, rc, "the body is not valid %s data", zEnc);
    }
  } else if (rc == 0) {
    buf_append(pOut, buf_str(&raw), raw.n);
  }
  if (rc == E_TOOBIG) {
    rc = req_fail(r, rc, "a push is at most %zu bytes, decompressed",
                  DOOR_MAX_BODY);
  }
  buf_free(&raw);
  return rc;
}

/* Content-Type is zType (parameters allowed). */
static int type_is(Req *r, const char *zType) {
  const char *z = req_header(r, "Content-Type");
  size_t n = strlen(zType);
  return z && strncasecmp(z, zType, n) == 0 &&
         (z[n] == 0 || z[n] == ';' || z[n] == ' ');
}

typedef int (*DoorDecode)(const void *p, size_t n, DoorEmit xEmit, void *pArg,
                          char *zErr, size_t nErr);

/* Decodes the body with xDecode twice (validate, then store) as zDoor.
** 0 with *pReport filled (caller frees pErrors), or an answered failure. */
static int door_push(Req *r, const char *zDoor, DoorDecode xDecode,
                     IngestReport *pReport, DoorStore *pStore) {
  Buf body;
  char zErr[300] = "";
  int64_t nLine = 0;
  int rc = door_body(r, &body);
  if (rc == 0) {
    rc =
        xDecode(buf_str(&body), body.n, count_line, &nLine, zErr, sizeof(zErr));
    if (rc) {
      rc = req_fail(r, rc, "%s", zErr);
    }
  }
  if (rc == 0) {
    rc = door_store_begin(pStore, zDoor, r->zUser);
    if (rc == 0) {
      rc = xDecode(buf_str(&body), body.n, door_store_line, pStore, zErr,
                   sizeof(zErr));
    }
    rc = door_store_end(pStore, rc, pReport);
    metrics_door(zDoor, nLine, rc ? 0 : pReport->nAccepted, 0);
  }
  buf_free(&body);
  return rc;
}

static int loki_json(const void *p, size_t n, DoorEmit xEmit, void *pArg,
                     char *zErr, size_t nErr) {
  return loki_decode_json(p, n, xEmit, pArg, zErr, nErr);
}

int door_loki_push(Req *r) {
  DoorDecode xDecode;
  if (type_is(r, "application/json")) {
    xDecode = loki_json;
  } else if (type_is(r, "application/x-protobuf") ||
             type_is(r, "application/protobuf")) {
    xDecode = loki_decode_snappy;
  } else {
    return req_fail(r, E_MEDIATYPE,
                    "Content-Type: use application/json or "
                    "application/x-protobuf (snappy)");
  }
  IngestReport report = {0};
  DoorStore store;
  int rc = door_push(r, "loki", xDecode, &report, &store);
  json_decref(report.pErrors);
  if (rc) {
    return rc;
  }
  r->status = 204; /* Loki's answer: stored, nothing to say */
  r->zRaw = xmalloc(1);
  r->nRaw = 0;
  r->zRawType = "text/plain; charset=utf-8";
  return 0;
}

static int otlp_json(const void *p, size_t n, DoorEmit xEmit, void *pArg,
                     char *zErr, size_t nErr) {
  return otlp_decode_json(p, n, xEmit, pArg, zErr, nErr);
}

/* Appends a protobuf varint. */
static void put_varint(Buf *p, uint64_t v) {
  while (v >= 0x80) {
    buf_putc(p, (char)(v | 0x80));
    v >>= 7;
  }
  buf_putc(p, (char)v);
}

int door_otlp_logs(Req *r) {
  int bProto;
  if (type_is(r, "application/json")) {
    bProto = 0;
  } else if (type_is(r, "application/x-protobuf") ||
             type_is(r, "application/protobuf")) {
    bProto = 1;
  } else {
    return req_fail(r, E_MEDIATYPE,
                    "Content-Type: use application/json or "
                    "application/x-protobuf");
  }
  IngestReport report = {0};
  DoorStore store = {0};
  int rc = door_push(r, "otlp", bProto ? otlp_decode_proto : otlp_json, &report,
                     &store);
  json_decref(report.pErrors);
  if (rc) {
    return rc;
  }
  /* Records the decoder or the store refused are OTLP's partial
  ** success. */
  int64_t nRejected = store.nRejected + report.nRejected;
  const char *zMsg =
      store.zReject ? store.zReject : "some records were refused";
  if (!bProto) {
    r->pModel = json_object();
    if (nRejected) {
      char zN[24];
      snprintf(zN, sizeof(zN), "%lld", (long long)nRejected);
      json_object_set_new(r->pModel, "partialSuccess",
                          json_pack("{s:s, s:s}", "rejectedLogRecords", zN,
                                    "errorMessage", zMsg));
    }
    r->bJsonOut = 1;
    return 0;
  }
  Buf out, inner;
  buf_init(&out, 4096);
  buf_init(&inner, 4096);
  if (nRejected) {
    buf_putc(&inner, 0x08); /* rejected_log_records = 1 */
    put_varint(&inner, (uint64_t)nRejected);
    buf_putc(&inner, 0x12); /* error_message = 2 */
    put_varint(&inner, strlen(zMsg));
    buf_puts(&inner, zMsg);
    buf_putc(&out, 0x0A); /* partial_success = 1 */
    put_varint(&out, inner.n);
    buf_append(&out, buf_str(&inner), inner.n);
  }
  buf_free(&inner);
  size_t n = 0;
  r->zRaw = buf_take(&out, &n);
  r->nRaw = n;
  r->zRawType = "application/x-protobuf";
  return 0;
}
