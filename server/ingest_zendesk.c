/*
** ingest_zendesk.c: the "zendesk" format: ticket JSON, either one document
** ({"tickets": [...]}, {"ticket": {...}} or a bare ticket object) or one
** ticket object a line. The first JSON value decides: if something follows
** it, the input is read a line at a time.
**
** One event of kind "ticket" per ticket: zKey = id, ts = created_at, title
** = subject, body = description plus status, priority, requester and tags,
** level from priority (urgent critical, high error, normal warning, low
** info), zState = status. Pure.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "err.h"
#include "ingest_formats.h"

/* Emits one ticket. zWhere prefixes reasons ("tickets[3]: " or ""). */
static int emit_ticket(IngestParser *p, json_t *pT, int64_t iLine,
                       const char *zWhere, const char *zRaw) {
  IngestEvent ev = {0};
  Buf body;
  char *zDump = NULL;
  int rc = 0;
  buf_init(&body, INGEST_MAX_DOC);
  if (!json_is_object(pT)) {
    ingest_reject(p, iLine, "%snot a ticket object", zWhere);
    goto cleanup;
  }
  const char *zId = ingest_json_str(p, pT, "id");
  if (!zId || !zId[0]) {
    ingest_reject(p, iLine, "%sno \"id\"", zWhere);
    goto cleanup;
  }
  int rcT = ingest_json_time(p, pT, "created_at", &ev.ts);
  if (rcT == E_NOTFOUND) {
    ingest_reject(p, iLine, "%sno \"created_at\"", zWhere);
    goto cleanup;
  } else if (rcT) {
    ingest_reject(p, iLine, "%sinvalid time in \"created_at\"", zWhere);
    goto cleanup;
  }
  const char *zSubject = ingest_json_str(p, pT, "subject");
  if (!zSubject) {
    zSubject = ingest_json_str(p, pT, "raw_subject");
  }
  const char *zDesc = ingest_json_str(p, pT, "description");
  const char *zPrio = ingest_json_str(p, pT, "priority");
  const char *zStatus = ingest_json_str(p, pT, "status");
  const char *zReq = ingest_json_str(p, pT, "requester_id");
  if (zDesc && zDesc[0]) {
    buf_puts(&body, zDesc);
    buf_puts(&body, "\n\n");
  }
  if (zStatus) {
    buf_printf(&body, "Status: %s\n", zStatus);
  }
  if (zPrio) {
    buf_printf(&body, "Priority: %s\n", zPrio);
  }
  if (zReq) {
    buf_printf(&body, "Requester: %s\n", zReq);
  }
  json_t *pTags = json_object_get(pT, "tags");
  if (json_array_size(pTags) > 0) {
    size_t i;
    json_t *pTag;
    buf_puts(&body, "Tags:");
    json_array_foreach(pTags, i, pTag) {
      if (json_is_string(pTag)) {
        buf_printf(&body, " %s", json_string_value(pTag));
      }
    }
    buf_putc(&body, '\n');
  }
  if (buf_err(&body)) {
    ingest_reject(p, iLine, "%sticket too large", zWhere);
    goto cleanup;
  }
  if (!zRaw) {
    zDump = json_dumps(pT, JSON_COMPACT);
    zRaw = zDump ? zDump : "";
  }
  ev.endTs = INT64_MIN;
  ev.zKind = "ticket";
  ev.zKey = zId;
  ev.zTitle = zSubject ? zSubject : "";
  ev.zBody = body.n ? buf_str(&body) : NULL;
  ev.zLevel = ingest_level(zPrio, "info");
  ev.zState = zStatus;
  ev.zSource = ingest_options(p)->zSource ? NULL : "zendesk";
  ev.zRaw = zRaw;
  ev.line = iLine;
  rc = ingest_emit(p, &ev);
cleanup:
  free(zDump);
  buf_free(&body);
  return rc;
}

/* One ticket a line: the lines of the document z[0..n). */
static int parse_lines(IngestParser *p, const char *z, size_t n) {
  size_t i = 0;
  int64_t iLine = 1;
  while (i < n) {
    const char *zNl = memchr(z + i, '\n', n - i);
    size_t nLine = zNl ? (size_t)(zNl - (z + i)) : n - i;
    const char *zLine = z + i;
    size_t nTrim = nLine;
    if (nTrim > 0 && zLine[nTrim - 1] == '\r') {
      nTrim--;
    }
    if (strspn(zLine, " \t") < nTrim) {
      json_t *pT = ingest_json_load(p, zLine, nTrim, iLine);
      if (pT) {
        char *zRaw = arena_strndup(ingest_arena(p), zLine, nTrim);
        int rc = emit_ticket(p, pT, iLine, "", zRaw);
        json_decref(pT);
        if (rc) {
          return rc;
        }
      }
    }
    i += nLine + (zNl ? 1 : 0);
    iLine++;
  }
  return 0;
}

int ingest_zendesk_doc(IngestParser *p, const char *z, size_t n) {
  json_error_t err;
  json_t *pDoc = NULL;
  int rc = 0;
  if (strspn(z, " \t\r\n") == n) {
    ingest_reject(p, 1, "empty document");
    goto cleanup;
  }
  pDoc = json_loadb(z, n, JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK,
                    &err);
  if (!pDoc) {
    ingest_reject(p, err.line > 1 ? err.line : 1, "invalid JSON: %s",
                  err.text);
    goto cleanup;
  }
  size_t iEnd = (size_t)err.position;
  if (iEnd < n && strspn(z + iEnd, " \t\r\n") < n - iEnd) {
    rc = parse_lines(p, z, n);
    goto cleanup;
  }
  json_t *pList = json_object_get(pDoc, "tickets");
  json_t *pOne = json_object_get(pDoc, "ticket");
  if (json_is_array(pList)) {
    size_t i;
    json_t *pT;
    json_array_foreach(pList, i, pT) {
      char zWhere[40];
      snprintf(zWhere, sizeof(zWhere), "tickets[%zu]: ", i);
      rc = emit_ticket(p, pT, 1, zWhere, NULL);
      if (rc) {
        goto cleanup;
      }
    }
  } else if (json_is_object(pOne)) {
    rc = emit_ticket(p, pOne, 1, "", NULL);
  } else {
    rc = emit_ticket(p, pDoc, 1, "", NULL);
  }
cleanup:
  json_decref(pDoc);
  return rc;
}
