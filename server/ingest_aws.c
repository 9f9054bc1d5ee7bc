/*
** ingest_aws.c: AWS network logs: "alb" (Application Load Balancer access
** logs) and "vpc-flow" (VPC flow logs), from their documented field lists.
** Both arrive from S3 gzip-compressed: decompress first (zcat).
**
** alb: one request a line, space-separated, some fields double-quoted:
**   type time elb client:port target:port request_processing_time
**   target_processing_time response_processing_time elb_status_code
**   target_status_code received_bytes sent_bytes "request" "user_agent"
**   ssl_cipher ssl_protocol target_group_arn "trace_id" "domain_name"
**   "chosen_cert_arn" matched_rule_priority request_creation_time
**   "actions_executed" "redirect_url" "error_reason" ... (later fields,
**   which AWS keeps adding, are ignored). The first 13 are required.
** Mapping: source = the load balancer's name (app/NAME/id), component =
** the target group's name (else the load balancer's); status =
** elb_status_code, bytes = sent_bytes, method/path/client from the request,
** so lines feed the per-minute request/5xx series like nginx lines. Level
** error for a 5xx, warning for a 4xx or an error_reason, else info.
**
** vpc-flow: one flow record a line, space-separated, in the default
** version 2 order (version account-id interface-id srcaddr dstaddr srcport
** dstport protocol packets bytes start end action log-status) unless a
** header line (field names, as S3 delivery writes it, "${x}" also taken)
** gives a custom order; a header may come again (concatenated files).
** Time = start (epoch seconds); component = interface-id; NODATA records
** are skipped. ACCEPT records are info lines; REJECT records are warning
** lines, and at the end of the input each group of REJECTs (same interface,
** source, destination, port and protocol) also becomes one warning event
** with its count, first and last time, condensed like error groups.
** Memory: the header and at most VPC_MAX_GROUPS groups.
*/
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "ingest_formats.h"
#include "utc.h"

#define AWS_MAX_FIELDS 64   /* fields read from one line */
#define VPC_MAX_GROUPS 1024 /* REJECT groups kept until the end */

/* A field of the line, quotes removed. */
typedef struct Field {
  const char *z; /* start */
  size_t n;      /* length */
} Field;

/* Splits z[0..n) into space-separated fields; a field starting with '"'
** runs to the next '"' that ends it (followed by a space or the end).
** Returns the count (at most nMax), or -1 for an unterminated quote. */
static int split_fields(const char *z, size_t n, Field *a, int nMax) {
  int nField = 0;
  size_t i = 0;
  while (i < n && nField < nMax) {
    while (i < n && z[i] == ' ') {
      i++;
    }
    if (i >= n) {
      break;
    }
    if (z[i] == '"') {
      size_t j = i + 1;
      while (j < n && !(z[j] == '"' && (j + 1 == n || z[j + 1] == ' '))) {
        j++;
      }
      if (j >= n) {
        return -1;
      }
      a[nField++] = (Field){z + i + 1, j - i - 1};
      i = j + 1;
    } else {
      size_t j = i;
      while (j < n && z[j] != ' ') {
        j++;
      }
      a[nField++] = (Field){z + i, j - i};
      i = j;
    }
  }
  return nField;
}

static int field_is(Field f, const char *z) {
  return f.n == strlen(z) && memcmp(f.z, z, f.n) == 0;
}

/* Parses a non-negative integer field ("-" gives -1). 0 or -1 if bad. */
static int field_int(Field f, int64_t *pv) {
  if (field_is(f, "-")) {
    *pv = -1;
    return 0;
  }
  if (f.n == 0 || f.n > 18) {
    return -1;
  }
  int64_t v = 0;
  for (size_t i = 0; i < f.n; i++) {
    if (!isdigit((unsigned char)f.z[i])) {
      return -1;
    }
    v = v * 10 + (f.z[i] - '0');
  }
  *pv = v;
  return 0;
}

static char *fdup(IngestParser *p, Field f) {
  return arena_strndup(ingest_arena(p), f.z, f.n);
}

/* The part of f between its first and second '/' ("app/NAME/id"), or f. */
static Field middle_name(Field f) {
  const char *z1 = memchr(f.z, '/', f.n);
  if (!z1) {
    return f;
  }
  const char *zRest = z1 + 1;
  size_t nRest = f.n - (size_t)(zRest - f.z);
  const char *z2 = memchr(zRest, '/', nRest);
  return (Field){zRest, z2 ? (size_t)(z2 - zRest) : nRest};
}

/* ---- ALB ---- */

int ingest_alb_line(IngestParser *p, const char *z, size_t n,
                    int64_t iLine) {
  Field a[AWS_MAX_FIELDS];
  IngestEvent ev = {0};
  if (!z || strspn(z, " \t") == n) {
    return 0;
  }
  int nField = split_fields(z, n, a, AWS_MAX_FIELDS);
  if (nField < 0) {
    ingest_reject(p, iLine, "unterminated quoted field");
    return 0;
  }
  if (nField < 13) {
    ingest_reject(p, iLine, "%d fields; an ALB access log line has at least"
                  " 13", nField);
    return 0;
  }
  static const char *const azType[] = {"http", "https", "h2", "grpcs",
                                       "ws",   "wss",   NULL};
  int bType = 0;
  for (int k = 0; azType[k]; k++) {
    bType |= field_is(a[0], azType[k]);
  }
  if (!bType) {
    ingest_reject(p, iLine, "unknown ALB request type \"%.*s\"",
                  (int)(a[0].n > 20 ? 20 : a[0].n), a[0].z);
    return 0;
  }
  if (utc_parse_iso(a[1].z, a[1].n, &ev.ts)) {
    ingest_reject(p, iLine, "invalid time");
    return 0;
  }
  int64_t status, targetStatus, sent;
  if (field_int(a[8], &status) || field_int(a[9], &targetStatus) ||
      field_int(a[11], &sent) || status > 999) {
    ingest_reject(p, iLine, "invalid status code or byte count");
    return 0;
  }
  Field lb = middle_name(a[2]);
  Field request = a[12];
  Field tg = lb;
  if (nField > 16 && !field_is(a[16], "-")) {
    const char *zTg = NULL;
    for (size_t i = 0; i + 12 <= a[16].n; i++) {
      if (memcmp(a[16].z + i, "targetgroup/", 12) == 0) {
        zTg = a[16].z + i;
        break;
      }
    }
    tg = zTg ? middle_name((Field){zTg, a[16].n - (size_t)(zTg - a[16].z)})
             : lb;
  }
  Field reason = nField > 24 ? a[24] : (Field){"-", 1};
  ev.endTs = INT64_MIN;
  ev.zKind = "log";
  ev.zSource = fdup(p, lb);
  ev.zComponent = fdup(p, tg);
  ev.status = status > 0 ? (int)status : 0;
  ev.bytes = sent > 0 ? sent : 0;
  const char *zColon = NULL;
  for (size_t i = a[3].n; i > 0; i--) {
    if (a[3].z[i - 1] == ':') {
      zColon = a[3].z + i - 1;
      break;
    }
  }
  ev.zClient = arena_strndup(ingest_arena(p), a[3].z,
                             zColon ? (size_t)(zColon - a[3].z) : a[3].n);
  /* "GET http://host:80/path?q HTTP/1.1": the path from the URL. */
  const char *zSp = memchr(request.z, ' ', request.n);
  if (zSp && zSp > request.z) {
    ev.zMethod = arena_strndup(ingest_arena(p), request.z,
                               (size_t)(zSp - request.z));
    const char *zUrl = zSp + 1;
    size_t nUrl = request.n - (size_t)(zUrl - request.z);
    const char *zEnd = memchr(zUrl, ' ', nUrl);
    nUrl = zEnd ? (size_t)(zEnd - zUrl) : nUrl;
    const char *zPath = zUrl;
    for (size_t i = 0; i + 2 < nUrl; i++) {
      if (zUrl[i] == ':' && zUrl[i + 1] == '/' && zUrl[i + 2] == '/') {
        const char *zSlash = memchr(zUrl + i + 3, '/', nUrl - i - 3);
        zPath = zSlash ? zSlash : zUrl + nUrl;
        break;
      }
    }
    size_t nPath = nUrl - (size_t)(zPath - zUrl);
    const char *zQ = memchr(zPath, '?', nPath);
    nPath = zQ ? (size_t)(zQ - zPath) : nPath;
    ev.zPath = nPath ? arena_strndup(ingest_arena(p), zPath, nPath) : "/";
  }
  int bReason = !field_is(reason, "-") && reason.n > 0;
  ev.zLevel = status >= 500                ? "error"
              : status >= 400 || bReason ? "warning"
                                           : "info";
  Buf b;
  buf_init(&b, INGEST_MAX_LINE);
  buf_printf(&b, "%s %s %.*s (%.*s to %.*s)%s%.*s",
             ev.zMethod ? ev.zMethod : "-", ev.zPath ? ev.zPath : "-",
             (int)a[8].n, a[8].z, (int)lb.n, lb.z, (int)a[4].n, a[4].z,
             bReason ? ": " : "", bReason ? (int)reason.n : 0, reason.z);
  ev.zTitle = arena_strdup(ingest_arena(p), buf_str(&b));
  buf_reset(&b);
  buf_printf(&b,
             "processing times request/target/response %.*s/%.*s/%.*s s\n"
             "target %.*s answered %.*s; %.*s bytes in, %.*s out",
             (int)a[5].n, a[5].z, (int)a[6].n, a[6].z, (int)a[7].n, a[7].z,
             (int)a[4].n, a[4].z, (int)a[9].n, a[9].z, (int)a[10].n, a[10].z,
             (int)a[11].n, a[11].z);
  if (nField > 13) {
    buf_printf(&b, "\nuser agent %.*s", (int)a[13].n, a[13].z);
  }
  if (nField > 17) {
    buf_printf(&b, "\ntrace %.*s", (int)a[17].n, a[17].z);
  }
  if (bReason) {
    buf_printf(&b, "\nerror reason %.*s", (int)reason.n, reason.z);
  }
  ev.zBody = arena_strdup(ingest_arena(p), buf_str(&b));
  buf_free(&b);
  return ingest_emit(p, &ev);
}

/* ---- VPC flow logs ---- */

/* The fields we read, by name. */
enum {
  V_ACCOUNT, V_IFACE, V_SRC, V_DST, V_SPORT, V_DPORT, V_PROTO, V_PACKETS,
  V_BYTES, V_START, V_END, V_ACTION, V_STATUS, V_VERSION, V_COUNT
};
static const char *const azVpcName[V_COUNT] = {
    "account-id", "interface-id", "srcaddr", "dstaddr", "srcport",
    "dstport",    "protocol",     "packets", "bytes",   "start",
    "end",        "action",       "log-status", "version"};

/* One group of REJECT records. */
typedef struct VpcGroup {
  char zKey[160];   /* interface, source, destination:port/protocol */
  int64_t n;        /* records */
  int64_t first;    /* earliest start, ms */
  int64_t last;     /* latest end, ms */
  int64_t packets;  /* packets in all */
  int64_t firstLine; /* line of the first record */
} VpcGroup;

/* The parser's state: the field order and the REJECT groups. */
typedef struct VpcState {
  int aCol[V_COUNT];  /* column of each field, -1 if absent */
  int nCol;           /* columns a record has */
  VpcGroup *aGroup;   /* groups, in order of first sight */
  int nGroup;         /* groups used */
  int64_t nDropped;   /* REJECT records past VPC_MAX_GROUPS groups */
} VpcState;

void ingest_vpc_free(void *pState) {
  VpcState *s = pState;
  if (s) {
    free(s->aGroup);
    free(s);
  }
}

static VpcState *vpc_state(IngestParser *p) {
  void **pp = ingest_state(p);
  if (!*pp) {
    VpcState *s = xcalloc(1, sizeof(*s));
    /* The default format, version 2. */
    static const int aDefault[] = {V_VERSION, V_ACCOUNT, V_IFACE, V_SRC,
                                   V_DST,     V_SPORT,   V_DPORT, V_PROTO,
                                   V_PACKETS, V_BYTES,   V_START, V_END,
                                   V_ACTION,  V_STATUS};
    for (int k = 0; k < V_COUNT; k++) {
      s->aCol[k] = -1;
    }
    for (int c = 0; c < 14; c++) {
      s->aCol[aDefault[c]] = c;
    }
    s->nCol = 14;
    s->aGroup = xcalloc(VPC_MAX_GROUPS, sizeof(VpcGroup));
    *pp = s;
  }
  return *pp;
}

/* 1 if the line is a header: every field a name ("${x}" or x, lower-case
** letters, digits and '-'), one of them "start" or "end". */
static int vpc_header(VpcState *s, Field *a, int nField) {
  int aCol[V_COUNT];
  int bTime = 0;
  for (int k = 0; k < V_COUNT; k++) {
    aCol[k] = -1;
  }
  for (int c = 0; c < nField; c++) {
    Field f = a[c];
    if (f.n > 3 && f.z[0] == '$' && f.z[1] == '{' && f.z[f.n - 1] == '}') {
      f = (Field){f.z + 2, f.n - 3};
    }
    if (f.n == 0 || !islower((unsigned char)f.z[0])) {
      return 0;
    }
    for (size_t i = 0; i < f.n; i++) {
      unsigned char ch = (unsigned char)f.z[i];
      if (!islower(ch) && !isdigit(ch) && ch != '-' && ch != '_') {
        return 0;
      }
    }
    for (int k = 0; k < V_COUNT; k++) {
      if (field_is(f, azVpcName[k])) {
        aCol[k] = c;
        bTime |= k == V_START || k == V_END;
      }
    }
  }
  if (!bTime) {
    return 0;
  }
  memcpy(s->aCol, aCol, sizeof(aCol));
  s->nCol = nField;
  return 1;
}

static Field vpc_get(const VpcState *s, Field *a, int k) {
  return s->aCol[k] >= 0 ? a[s->aCol[k]] : (Field){"-", 1};
}

static const char *proto_name(Field f, char *zBuf, size_t nBuf) {
  if (field_is(f, "6")) {
    return "TCP";
  } else if (field_is(f, "17")) {
    return "UDP";
  } else if (field_is(f, "1")) {
    return "ICMP";
  } else if (field_is(f, "58")) {
    return "ICMPv6";
  }
  snprintf(zBuf, nBuf, "proto %.*s", (int)(f.n > 8 ? 8 : f.n), f.z);
  return zBuf;
}

static void vpc_group(VpcState *s, const char *zKey, int64_t first,
                      int64_t last, int64_t packets, int64_t iLine) {
  for (int g = 0; g < s->nGroup; g++) {
    VpcGroup *pG = &s->aGroup[g];
    if (strcmp(pG->zKey, zKey) == 0) {
      pG->n++;
      pG->first = first < pG->first ? first : pG->first;
      pG->last = last > pG->last ? last : pG->last;
      pG->packets += packets > 0 ? packets : 0;
      return;
    }
  }
  if (s->nGroup >= VPC_MAX_GROUPS) {
    s->nDropped++;
    return;
  }
  VpcGroup *pG = &s->aGroup[s->nGroup++];
  snprintf(pG->zKey, sizeof(pG->zKey), "%s", zKey);
  pG->n = 1;
  pG->first = first;
  pG->last = last;
  pG->packets = packets > 0 ? packets : 0;
  pG->firstLine = iLine;
}

int ingest_vpc_line(IngestParser *p, const char *z, size_t n,
                    int64_t iLine) {
  Field a[AWS_MAX_FIELDS];
  IngestEvent ev = {0};
  if (!z || strspn(z, " \t") == n) {
    return 0;
  }
  VpcState *s = vpc_state(p);
  int nField = split_fields(z, n, a, AWS_MAX_FIELDS);
  if (nField <= 0 || nField >= AWS_MAX_FIELDS) {
    ingest_reject(p, iLine, "not a flow log record");
    return 0;
  }
  if (vpc_header(s, a, nField)) {
    return 0;
  }
  if (nField != s->nCol) {
    ingest_reject(p, iLine, "%d fields where the format has %d", nField,
                  s->nCol);
    return 0;
  }
  Field status = vpc_get(s, a, V_STATUS);
  if (field_is(status, "NODATA")) {
    return 0;
  }
  int64_t start, end, packets, bytes;
  if (field_int(vpc_get(s, a, V_START), &start) ||
      field_int(vpc_get(s, a, V_END), &end) ||
      field_int(vpc_get(s, a, V_PACKETS), &packets) ||
      field_int(vpc_get(s, a, V_BYTES), &bytes)) {
    ingest_reject(p, iLine, "invalid start, end, packets or bytes");
    return 0;
  }
  int64_t tStart = start >= 0 ? start : end;
  if (tStart < 0 || ingest_epoch_ms((double)tStart, &ev.ts)) {
    ingest_reject(p, iLine, "no valid start or end time");
    return 0;
  }
  int64_t tEndMs = ev.ts;
  if (end >= 0) {
    ingest_epoch_ms((double)end, &tEndMs);
  }
  Field action = vpc_get(s, a, V_ACTION);
  Field src = vpc_get(s, a, V_SRC), dst = vpc_get(s, a, V_DST);
  Field sport = vpc_get(s, a, V_SPORT), dport = vpc_get(s, a, V_DPORT);
  Field iface = vpc_get(s, a, V_IFACE);
  char zProto[24];
  const char *zProto2 = proto_name(vpc_get(s, a, V_PROTO), zProto,
                                   sizeof(zProto));
  int bReject = field_is(action, "REJECT");
  char zTitle[300];
  snprintf(zTitle, sizeof(zTitle), "%.*s %.*s:%.*s -> %.*s:%.*s %s "
           "(%lld packets, %lld bytes)%s%.*s",
           (int)(action.n > 16 ? 16 : action.n), action.z,
           (int)(src.n > 45 ? 45 : src.n), src.z,
           (int)(sport.n > 8 ? 8 : sport.n), sport.z,
           (int)(dst.n > 45 ? 45 : dst.n), dst.z,
           (int)(dport.n > 8 ? 8 : dport.n), dport.z, zProto2,
           (long long)(packets > 0 ? packets : 0),
           (long long)(bytes > 0 ? bytes : 0),
           field_is(status, "OK") || field_is(status, "-") ? "" : ", ",
           field_is(status, "OK") || field_is(status, "-")
               ? 0
               : (int)(status.n > 16 ? 16 : status.n),
           status.z);
  ev.endTs = INT64_MIN;
  ev.zKind = "log";
  ev.zLevel = bReject ? "warning" : "info";
  ev.zComponent = field_is(iface, "-") ? NULL : fdup(p, iface);
  ev.zTitle = zTitle;
  ev.zBody = zTitle;
  if (bReject) {
    char zKey[160];
    snprintf(zKey, sizeof(zKey), "%.*s %.*s -> %.*s:%.*s %s",
             (int)(iface.n > 40 ? 40 : iface.n), iface.z,
             (int)(src.n > 45 ? 45 : src.n), src.z,
             (int)(dst.n > 45 ? 45 : dst.n), dst.z,
             (int)(dport.n > 8 ? 8 : dport.n), dport.z, zProto2);
    vpc_group(s, zKey, ev.ts, tEndMs, packets, iLine);
  }
  return ingest_emit(p, &ev);
}

int ingest_vpc_end(IngestParser *p) {
  VpcState *s = *ingest_state(p);
  if (!s) {
    return 0;
  }
  for (int g = 0; g < s->nGroup; g++) {
    VpcGroup *pG = &s->aGroup[g];
    char zFirst[25], zLast[25], zTitle[300], zKey[200], zBody[200];
    utc_format(pG->first, zFirst);
    utc_format(pG->last, zLast);
    const char *zSp = strchr(pG->zKey, ' ');
    snprintf(zTitle, sizeof(zTitle), "REJECT x%lld: %s (%.5s to %.5s UTC)",
             (long long)pG->n, zSp ? zSp + 1 : pG->zKey, zFirst + 11,
             zLast + 11);
    snprintf(zBody, sizeof(zBody),
             "%lld rejected flow records, %lld packets, from %s to %s.",
             (long long)pG->n, (long long)pG->packets, zFirst, zLast);
    snprintf(zKey, sizeof(zKey), "vpc-reject:%s:%lld", pG->zKey,
             (long long)pG->first);
    IngestEvent ev = {0};
    ev.ts = pG->first;
    ev.endTs = pG->last > pG->first ? pG->last : INT64_MIN;
    ev.zKind = "log";
    ev.zLevel = "warning";
    char zIface[64];
    snprintf(zIface, sizeof(zIface), "%.*s",
             (int)(zSp ? (size_t)(zSp - pG->zKey) : strlen(pG->zKey)),
             pG->zKey);
    ev.zComponent = strcmp(zIface, "-") ? zIface : NULL;
    ev.zTitle = zTitle;
    ev.zBody = zBody;
    ev.zKey = zKey;
    ev.line = pG->firstLine;
    if (ingest_emit(p, &ev)) {
      return 1;
    }
  }
  if (s->nDropped) {
    ingest_reject(p, 0, "%lld REJECT records past %d groups were not "
                  "grouped", (long long)s->nDropped, VPC_MAX_GROUPS);
  }
  s->nGroup = 0;
  return 0;
}
