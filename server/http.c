/*
** http.c: libmicrohttpd glue. Dispatch on the route table (routes.c), the
** Req lifecycle (created on the first call of the access handler, body
** accumulated under a cap, handler run once the body is complete, freed in
** the completed callback), authentication and CSRF before handlers, error
** answers, security headers, and static files from web/.
**
** It does not build HTML from data: pages go through templates/.
**
** Before a body is read, the request head is checked: framing (only
** chunked as a Transfer-Encoding), who is asking (authorize()), the body
** cap (small for anonymous callers), a place in the ingest lane for big
** uploads; bodies held in memory count against lane.c's global budget.
** Connection admission (head deadline, head-phase cap) is admit.c's.
**
** Threading: MHD runs a pool of threads with an internal poller each; a
** Req stays on one thread, except that a slow route (R_SLOW) runs its
** handler on a slow-lane thread (lane.c) while MHD keeps the connection
** suspended, and the answer is sent from the pool thread once resumed.
** Shared state: the immutable config, the prebuilt answers for web/ files
** (both set before the daemon starts), an atomic request counter, the
** drain flag (atomic), and HttpReply reference counts (atomic).
*/
#include "http.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "admit.h"
#include "linger.h"
#include "assets.h"
#include "auth.h"
#include "cookie.h"
#include "db.h"
#include "err.h"
#include "form.h"
#include "input.h"
#include "lane.h"
#include "routes.h"
#include "md.h"
#include "metrics.h"
#include "tmpl.h"
#include "utc.h"


/* Strict: no inline script or style anywhere, so injected markup is inert.
** Images may also come over https: the status page's logo setting. */
#define CSP_HEADER                                                            \
  "default-src 'none'; script-src 'self'; style-src 'self'; "                 \
  "img-src 'self' data: https:; connect-src 'self'; font-src 'self'; "       \
  "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
/* The same for /embed, which other sites put in an iframe. */
#define CSP_HEADER_FRAMEABLE                                                  \
  "default-src 'none'; script-src 'none'; style-src 'self'; "                 \
  "img-src 'self' data: https:; form-action 'none'; base-uri 'none'; "        \
  "frame-ancestors *"

/* An embedded file of web/ with its prebuilt answer. */
typedef struct StaticReply {
  const char *zName;  /* the name under web/ (BORROWED from the asset) */
  HttpReply *pReply;  /* one reference: the 200 answer */
} StaticReply;

static HttpConfig cfg;                /* immutable once serving */
static StaticReply *aStatic;          /* built before serving, then read-only */
static int nStatic;                   /* entries in aStatic */
static int bTls;                      /* serving over TLS */
static atomic_ulong nextReqId = 1;    /* request ids for logs */

int http_status_for(int rc) {
  switch (rc) {
  case 0:
    return MHD_HTTP_OK;
  case E_NOTFOUND:
    return MHD_HTTP_NOT_FOUND;
  case E_INVALID:
    return MHD_HTTP_BAD_REQUEST;
  case E_CONFLICT:
    return MHD_HTTP_CONFLICT;
  case E_TOOBIG:
    return MHD_HTTP_CONTENT_TOO_LARGE;
  case E_AUTH:
    return MHD_HTTP_UNAUTHORIZED;
  case E_FORBIDDEN:
    return MHD_HTTP_FORBIDDEN;
  case E_METHOD:
    return MHD_HTTP_METHOD_NOT_ALLOWED;
  case E_MEDIATYPE:
    return MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
  case E_PRECONDITION:
    return MHD_HTTP_PRECONDITION_REQUIRED;
  case E_RATELIMIT:
    return MHD_HTTP_TOO_MANY_REQUESTS;
  case E_NOTIMPL:
    return MHD_HTTP_NOT_IMPLEMENTED;
  default:
    return MHD_HTTP_SERVICE_UNAVAILABLE;
  }
}

static const char *error_code_for(int rc) {
  switch (rc) {
  case E_NOTFOUND:
    return "not_found";
  case E_INVALID:
    return "invalid";
  case E_CONFLICT:
    return "conflict";
  case E_TOOBIG:
    return "too_large";
  case E_AUTH:
    return "unauthorized";
  case E_FORBIDDEN:
    return "forbidden";
  case E_METHOD:
    return "method_not_allowed";
  case E_MEDIATYPE:
    return "unsupported_media_type";
  case E_PRECONDITION:
    return "precondition_required";
  case E_RATELIMIT:
    return "rate_limited";
  case E_BUSY:
    return "busy";
  case E_NOTIMPL:
    return "not_implemented";
  default:
    return "unavailable";
  }
}

static const char *default_message_for(int rc) {
  switch (rc) {
  case E_NOTFOUND:
    return "Not found.";
  case E_AUTH:
    return "Log in first.";
  case E_FORBIDDEN:
    return "You are not allowed to do that.";
  case E_TOOBIG:
    return "The request body is too large.";
  case E_METHOD:
    return "That method is not allowed here.";
  default:
    return "The service is temporarily unavailable. Try again.";
  }
}

const char *role_name(int role) {
  switch (role) {
  case ROLE_ADMIN:
    return "admin";
  case ROLE_EDITOR:
    return "editor";
  case ROLE_VIEWER:
    return "viewer";
  default:
    return "anonymous";
  }
}

int role_from_name(const char *z) {
  if (!z) {
    return 0;
  }
  if (strcmp(z, "admin") == 0) {
    return ROLE_ADMIN;
  }
  if (strcmp(z, "editor") == 0) {
    return ROLE_EDITOR;
  }
  if (strcmp(z, "viewer") == 0) {
    return ROLE_VIEWER;
  }
  return 0;
}

int req_fail(Req *r, int rc, const char *zFmt, ...) {
  Buf msg;
  buf_init(&msg, 1024);
  va_list ap;
  va_start(ap, zFmt);
  buf_vprintf(&msg, zFmt, ap);
  va_end(ap);
  r->zErrMsg = arena_strdup(&r->arena, buf_str(&msg));
  buf_free(&msg);
  return rc;
}

const char *req_param(Req *r, const char *zName) {
  size_t n = strlen(zName);
  for (int i = 0; i < r->match.nParam; i++) {
    if (r->match.anName[i] == n &&
        memcmp(r->match.azName[i], zName, n) == 0) {
      return arena_strndup(&r->arena, r->match.azValue[i],
                           r->match.anValue[i]);
    }
  }
  return NULL;
}

int req_param_id(Req *r, const char *zName, int64_t *pId) {
  const char *z = req_param(r, zName);
  int64_t v = 0;
  if (!z || !*z || strlen(z) > 15) {
    return req_fail(r, E_NOTFOUND, "Not found.");
  }
  for (const char *p = z; *p; p++) {
    if (*p < '0' || *p > '9') {
      return req_fail(r, E_NOTFOUND, "Not found.");
    }
    v = v * 10 + (*p - '0');
  }
  if (v <= 0) {
    return req_fail(r, E_NOTFOUND, "Not found.");
  }
  *pId = v;
  return 0;
}

/* An in-process call (http_call) has no connection: no query, headers or
** cookies. */
const char *req_query(Req *r, const char *zName) {
  return r->pConn ? MHD_lookup_connection_value(r->pConn,
                                                MHD_GET_ARGUMENT_KIND, zName)
                  : NULL;
}

const char *req_header(Req *r, const char *zName) {
  return r->pConn ? MHD_lookup_connection_value(r->pConn, MHD_HEADER_KIND,
                                                zName)
                  : NULL;
}

const char *req_cookie(Req *r, const char *zName) {
  return cookie_get(r->pConn, zName);
}

/* The TCP peer's address as text into zIp, or "unknown". */
static void client_ip(Req *r, char zIp[INET6_ADDRSTRLEN]) {
  const union MHD_ConnectionInfo *pInfo =
      MHD_get_connection_info(r->pConn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  const struct sockaddr *pAddr = pInfo ? pInfo->client_addr : NULL;
  const char *zOk = NULL;
  if (pAddr && pAddr->sa_family == AF_INET) {
    /* By hand: inet_ntop() formats IPv4 with sprintf(), every request. */
    const unsigned char *a =
        (const unsigned char *)&((const struct sockaddr_in *)pAddr)->sin_addr;
    char *z = zIp;
    for (int i = 0; i < 4; i++) {
      if (a[i] >= 100) {
        *z++ = (char)('0' + a[i] / 100);
      }
      if (a[i] >= 10) {
        *z++ = (char)('0' + a[i] / 10 % 10);
      }
      *z++ = (char)('0' + a[i] % 10);
      *z++ = i < 3 ? '.' : 0;
    }
    zOk = zIp;
  } else if (pAddr && pAddr->sa_family == AF_INET6) {
    zOk = inet_ntop(AF_INET6,
                    &((const struct sockaddr_in6 *)pAddr)->sin6_addr, zIp,
                    INET6_ADDRSTRLEN);
  }
  if (!zOk) {
    snprintf(zIp, INET6_ADDRSTRLEN, "%s", "unknown");
  }
}

const char *req_client_ip(Req *r) {
  char zIp[INET6_ADDRSTRLEN];
  client_ip(r, zIp);
  return arena_strdup(&r->arena, zIp);
}

int req_is_tls(Req *r) {
  (void)r;
  return bTls;
}

void req_set_cookie(Req *r, const char *zValue) {
  if (r->nCookie < (int)(sizeof(r->azCookie) / sizeof(r->azCookie[0]))) {
    r->azCookie[r->nCookie++] = arena_strdup(&r->arena, zValue);
  }
}

/* Input ---------------------------------------------------------------- */

/* Parses the urlencoded body into r->pForm (see form.h). 0, or E_INVALID /
** E_TOOBIG after req_fail(). */
static int form_parse(Req *r) {
  char zErr[256];
  int rc = form_parse_urlencoded(buf_str(&r->body), r->body.n, &r->pForm,
                                 zErr, sizeof(zErr));
  return rc ? req_fail(r, rc, "%s", zErr) : 0;
}

/* MHD's unescaper for paths and query values: form_unescape_url() keeps
** "%00" as text, so a NUL never truncates what the router checks. */
static size_t url_unescape(void *pCls, struct MHD_Connection *pConn,
                           char *z) {
  (void)pCls;
  (void)pConn;
  return form_unescape_url(z);
}

static int content_type_is(Req *r, const char *zType) {
  const char *z = req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
  size_t n = strlen(zType);
  return z && strncasecmp(z, zType, n) == 0 &&
         (z[n] == 0 || z[n] == ';' || z[n] == ' ');
}

int req_is_form(Req *r) { return r->pForm != NULL; }

int req_body_read(Req *r, int (*xChunk)(void *, const char *, size_t),
                  void *pArg) {
  if (!r->pSpool) {
    return r->body.n ? xChunk(pArg, buf_str(&r->body), r->body.n) : 0;
  }
  rewind(r->pSpool);
  char *aChunk = xmalloc(1 << 16);
  size_t n;
  int rc = 0;
  while (rc == 0 && (n = fread(aChunk, 1, 1 << 16, r->pSpool)) > 0) {
    rc = xChunk(pArg, aChunk, n);
  }
  if (rc == 0 && ferror(r->pSpool)) {
    rc = E_DB;
  }
  free(aChunk);
  return rc;
}

int req_input(Req *r, json_t **ppIn) {
  *ppIn = NULL;
  if (r->pForm) {
    *ppIn = r->pForm;
    return 0;
  }
  if (!r->pInput) {
    if (r->body.n == 0) {
      r->pInput = json_object();
    } else if (!content_type_is(r, "application/json")) {
      return req_fail(r, E_MEDIATYPE, "send the body as application/json");
    } else {
      json_error_t err;
      json_t *p = json_loadb(buf_str(&r->body), r->body.n,
                             JSON_REJECT_DUPLICATES, &err);
      if (!p) {
        return req_fail(r, E_INVALID,
                        "malformed JSON at line %d, column %d: %s", err.line,
                        err.column, err.text);
      }
      if (!json_is_object(p)) {
        json_decref(p);
        return req_fail(r, E_INVALID, "the body must be a JSON object");
      }
      r->pInput = p;
    }
  }
  *ppIn = r->pInput;
  return 0;
}

int req_version(Req *r, json_t *pIn, int64_t *pVersion) {
  const char *z = NULL;
  if (req_is_form(r)) {
    z = json_string_value(json_object_get(pIn, "version"));
  } else {
    z = req_header(r, "If-Match");
    if (!z) {
      return req_fail(r, E_PRECONDITION,
                      "send If-Match: \"<version>\" with the version you "
                      "edited");
    }
  }
  if (!z) {
    return req_fail(r, E_INVALID, "version: is required");
  }
  if (strncmp(z, "W/", 2) == 0) {
    z += 2;
  }
  size_t n = strlen(z);
  if (n >= 2 && z[0] == '"' && z[n - 1] == '"') {
    z++;
    n -= 2;
  }
  int64_t v = 0;
  if (n == 0 || n > 15) {
    return req_fail(r, E_INVALID, "version: must be a number");
  }
  for (size_t i = 0; i < n; i++) {
    if (z[i] < '0' || z[i] > '9') {
      return req_fail(r, E_INVALID, "version: must be a number");
    }
    v = v * 10 + (z[i] - '0');
  }
  *pVersion = v;
  return 0;
}


/* Answers ------------------------------------------------------------- */

/* The headers every answer carries after Content-Type and
** Content-Encoding, in this order; prebuilt replies add the same ones. */
static void add_headers(struct MHD_Response *pResp, const char *zCache,
                        const char *zEtag, const char *zDisposition,
                        int bVary) {
  MHD_add_response_header(pResp, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(pResp, "Referrer-Policy", "same-origin");
  if (bTls) {
    MHD_add_response_header(pResp, "Strict-Transport-Security",
                            "max-age=31536000");
  }
  if (!zCache) {
    zCache = "no-store";
  }
  MHD_add_response_header(pResp, MHD_HTTP_HEADER_CACHE_CONTROL, zCache);
  if (zEtag) {
    MHD_add_response_header(pResp, MHD_HTTP_HEADER_ETAG, zEtag);
  }
  if (zDisposition) {
    MHD_add_response_header(pResp, "Content-Disposition", zDisposition);
  }
  if (bVary & 1) {
    MHD_add_response_header(pResp, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
  }
  if (bVary & HTTP_REPLY_FRAME) {
    /* /embed: any site may frame it; it has no script and no forms. */
    MHD_add_response_header(pResp, "Content-Security-Policy",
                            CSP_HEADER_FRAMEABLE);
  } else {
    MHD_add_response_header(pResp, "Content-Security-Policy", CSP_HEADER);
    MHD_add_response_header(pResp, "X-Frame-Options", "DENY");
  }
  if (bVary & HTTP_REPLY_CORS) {
    /* Public read-only data only (R_CORS): never a session's answer. */
    MHD_add_response_header(pResp, "Access-Control-Allow-Origin", "*");
  }
}

static void add_common_headers(struct MHD_Response *pResp, Req *r) {
  int bCors = r->pRoute && (r->pRoute->flags & R_CORS);
  int bFrame = r->pRoute && (r->pRoute->flags & R_FRAME) && r->status < 400;
  add_headers(pResp, r->zCacheControl, r->zEtag, r->zDisposition,
              (r->bVary ? 1 : 0) | (bCors ? HTTP_REPLY_CORS : 0) |
                  (bFrame ? HTTP_REPLY_FRAME : 0));
  for (int i = 0; i < r->nCookie; i++) {
    MHD_add_response_header(pResp, MHD_HTTP_HEADER_SET_COOKIE,
                            r->azCookie[i]);
  }
}

/* Prebuilt replies ---------------------------------------------------- */

/* An MHD response is itself reference-counted, but only queueing can add
** a reference, and a request takes its reference (under the owner's lock)
** before it queues; hence this small count of our own. MHD locks a
** response's mutex to queue and to release it, so pool threads sharing one
** response waited on each other: each thread queues its own copy (the
** headers copied, the body shared). */
struct HttpReply {
  atomic_int nRef;    /* owners: the creator, requests not yet queued */
  int nResp;          /* entries in apResp */
  struct MHD_Response *apResp[]; /* one MHD reference each, one per thread */
};

/* Bytes owned by the responses of one reply, freed with the last. */
typedef struct ReplyBytes {
  atomic_int nRef; /* MHD responses using z, plus one while building */
  char *z;         /* NEW (free()) */
} ReplyBytes;

#define REPLY_COPY_MAX 16          /* more threads share copies */
static int nReplyCopy = 1;          /* copies a reply; set before serving */
static atomic_int nReplyThread;     /* pool threads seen so far */
static _Thread_local int iReplyThread = -1; /* this thread's copy */

static void reply_bytes_release(void *pArg) {
  ReplyBytes *p = pArg;
  if (atomic_fetch_sub(&p->nRef, 1) == 1) {
    free(p->z);
    free(p);
  }
}

/* Builds the reply over z[0..n): owned (TAKES z) or static (BORROWED for
** the life of the process). NULL if MHD cannot make a response. */
static HttpReply *reply_build(const char *zType, const char *zEncoding,
                              const char *zCache, const char *zEtag,
                              int bVary, char *z, size_t n, int bOwned) {
  HttpReply *p = xcalloc(1, sizeof(*p) + (size_t)nReplyCopy *
                                             sizeof(p->apResp[0]));
  atomic_init(&p->nRef, 1);
  ReplyBytes *pBytes = NULL;
  if (bOwned) {
    pBytes = xmalloc(sizeof(*pBytes));
    atomic_init(&pBytes->nRef, 1);
    pBytes->z = z;
  }
  for (int i = 0; i < nReplyCopy; i++) {
    struct MHD_Response *pResp;
    if (bOwned) {
      pResp = MHD_create_response_from_buffer_with_free_callback_cls(
          n, z, reply_bytes_release, pBytes);
    } else {
      pResp = MHD_create_response_from_buffer(n, z, MHD_RESPMEM_PERSISTENT);
    }
    if (!pResp) {
      break;
    }
    if (bOwned) {
      atomic_fetch_add(&pBytes->nRef, 1);
    }
    MHD_add_response_header(pResp, MHD_HTTP_HEADER_CONTENT_TYPE, zType);
    if (zEncoding) {
      MHD_add_response_header(pResp, MHD_HTTP_HEADER_CONTENT_ENCODING,
                              zEncoding);
    }
    add_headers(pResp, zCache, zEtag, NULL, bVary);
    p->apResp[p->nResp++] = pResp;
  }
  if (pBytes) {
    reply_bytes_release(pBytes); /* the responses hold it now */
  }
  if (p->nResp < nReplyCopy) {
    http_reply_release(p);
    return NULL;
  }
  return p;
}

HttpReply *http_reply_new(const char *zType, const char *zEncoding,
                          const char *zCacheControl, const char *zEtag,
                          int bVary, char *z, size_t n) {
  return reply_build(zType, zEncoding, zCacheControl, zEtag, bVary, z, n, 1);
}

HttpReply *http_reply_static(const char *zType, const char *zCacheControl,
                             const void *p, size_t n) {
  return reply_build(zType, NULL, zCacheControl, NULL, 0, (char *)p, n, 0);
}

void http_reply_retain(HttpReply *p) { atomic_fetch_add(&p->nRef, 1); }

void http_reply_release(HttpReply *p) {
  if (p && atomic_fetch_sub(&p->nRef, 1) == 1) {
    for (int i = 0; i < p->nResp; i++) {
      MHD_destroy_response(p->apResp[i]);
    }
    free(p);
  }
}

/* Queues r->pReply (and lets go of the request's reference). */
static enum MHD_Result send_reply(Req *r) {
  HttpReply *p = r->pReply;
  r->pReply = NULL;
  if (iReplyThread < 0) {
    iReplyThread = atomic_fetch_add(&nReplyThread, 1);
  }
  struct MHD_Response *pResp = p->apResp[iReplyThread % p->nResp];
  enum MHD_Result ret = MHD_queue_response(r->pConn, MHD_HTTP_OK, pResp);
  http_reply_release(p);
  r->status = MHD_HTTP_OK;
  return ret;
}

/* Queues the bytes z (TAKES: MHD frees them) with status and type. */
static enum MHD_Result send_bytes(Req *r, int status, const char *zType,
                                  char *z, size_t n) {
  struct MHD_Response *pResp =
      MHD_create_response_from_buffer(n, z, MHD_RESPMEM_MUST_FREE);
  if (!pResp) {
    free(z);
    return MHD_NO;
  }
  MHD_add_response_header(pResp, MHD_HTTP_HEADER_CONTENT_TYPE, zType);
  if (r->zEncoding) {
    MHD_add_response_header(pResp, MHD_HTTP_HEADER_CONTENT_ENCODING,
                            r->zEncoding);
  }
  add_common_headers(pResp, r);
  if (status == MHD_HTTP_SERVICE_UNAVAILABLE) {
    MHD_add_response_header(pResp, MHD_HTTP_HEADER_RETRY_AFTER, "2");
  }
  if (status == MHD_HTTP_METHOD_NOT_ALLOWED && r->pRoute == NULL) {
    MHD_add_response_header(pResp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD, POST, "
                                                          "PATCH, PUT");
  }
  enum MHD_Result ret = MHD_queue_response(r->pConn, (unsigned)status, pResp);
  MHD_destroy_response(pResp);
  r->status = status;
  return ret;
}

static char *template_loader(const char *zName, size_t *pn) {
  for (const char *p = zName; *p; p++) {
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
          *p == '-')) {
      return NULL;
    }
  }
  Buf path;
  buf_init(&path, 256);
  buf_printf(&path, "templates/%s.html", zName);
  char *z = buf_err(&path) ? NULL : asset_load(buf_str(&path), pn);
  buf_free(&path);
  return z;
}

/* Adds what every page needs: who is logged in, the CSRF token, title. */
static void add_page_globals(Req *r, json_t *pCtx) {
  if (r->zUser && !r->bToken) {
    json_object_set_new(
        pCtx, "me",
        json_pack("{s:s, s:s, s:b, s:b}", "name", r->zUser, "role",
                  role_name(r->role), "is_admin", r->role >= ROLE_ADMIN,
                  "is_editor", r->role >= ROLE_EDITOR));
  }
  if (r->zCsrf) {
    json_object_set_new(pCtx, "csrf_token", json_string(r->zCsrf));
  }
  json_object_set_new(pCtx, "page_title",
                      json_string(r->zTitle ? r->zTitle : "Hindsight"));
  json_object_set_new(pCtx, "path", json_string(r->zPath));
}

int http_render(const char *zTemplate, const char *zLayout, json_t *pCtx,
                char **pz, size_t *pn) {
  char zErr[256];
  Buf page;
  buf_init(&page, (size_t)16 << 20);
  int rc = tmpl_render_named(zTemplate, pCtx, template_loader, &page, zErr,
                             sizeof(zErr));
  if (rc) {
    /* A page over its budget is our failure, not the caller's: never
    ** 413 (E_TOOBIG) to someone who sent no body. */
    fprintf(stderr, "hindsight: template %s: %s\n", zTemplate,
            rc == E_TOOBIG ? "output too large" : zErr);
    buf_free(&page);
    metrics_render_failed();
    return E_DB;
  }
  if (!zLayout) {
    *pz = buf_take(&page, pn);
    return 0;
  }
  json_object_set_new(pCtx, "body", md_trusted_html(buf_str(&page)));
  buf_free(&page);
  Buf out;
  buf_init(&out, (size_t)16 << 20);
  rc = tmpl_render_named(zLayout, pCtx, template_loader, &out, zErr,
                         sizeof(zErr));
  if (rc) {
    fprintf(stderr, "hindsight: template %s: %s\n", zLayout, zErr);
    buf_free(&out);
    metrics_render_failed();
    return E_DB;
  }
  *pz = buf_take(&out, pn);
  return 0;
}

/* Renders r->zTemplate inside the layout. NEW html or NULL (logged). */
static char *render_page(Req *r, json_t *pCtx, size_t *pn) {
  char *z = NULL;
  int rc = http_render(r->zTemplate, r->zLayout ? r->zLayout : "layout",
                       pCtx, &z, pn);
  if (rc) {
    fprintf(stderr, "req=%lu rendering %s failed\n", r->id, r->zTemplate);
    return NULL;
  }
  return z;
}

static enum MHD_Result send_json(Req *r, int status, json_t *p) {
  char *z = json_dumps(p, JSON_COMPACT | JSON_ENCODE_ANY);
  if (!z) {
    return MHD_NO;
  }
  size_t n = strlen(z);
  char *zOut = xmalloc(n + 2);
  memcpy(zOut, z, n);
  zOut[n] = '\n';
  zOut[n + 1] = 0;
  free(z);
  return send_bytes(r, status, "application/json; charset=utf-8", zOut,
                    n + 1);
}

static enum MHD_Result send_error(Req *r, int rc) {
  int status = http_status_for(rc);
  const char *zMsg = r->zErrMsg ? r->zErrMsg : default_message_for(rc);
  if (rc == E_DB && db_unavailable() == 2) {
    r->zErrCode = "db_commit_unknown";
    zMsg = "The database failed over while saving: it may or may not have"
           " been saved. Check before trying again.";
  } else if (rc == E_DB && db_unavailable()) {
    r->zErrCode = "db_unavailable";
    zMsg = "The database is failing over: nothing was saved. Try again in"
           " a few seconds.";
  } else if (rc == E_DB && db_schema_error()) {
    r->zErrCode = "schema_ahead";
    zMsg = "A newer Hindsight has upgraded the database, and this node is"
           " not upgraded yet: nothing was saved. Try again; an upgraded"
           " node takes it.";
  } else if (rc == E_DB && db_disk_full()) {
    r->zErrCode = "disk_full";
    zMsg = "The disk is full: nothing was saved. Reading still works; try"
           " again once space is freed.";
  } else if (rc == E_DB && db_read_only_error()) {
    r->zErrCode = "read_only";
    zMsg = "The database is read-only: nothing was saved. Reading still"
           " works; writing needs a server that can write the database"
           " file.";
  } else if (rc == E_DB && db_io_error() == 2) {
    r->zErrCode = "io_error";
    zMsg = "The server could not confirm that the write reached its storage"
           " (a failed fsync): it may or may not have been saved. Check"
           " before trying again; if it keeps failing, the disk needs"
           " attention.";
  } else if (rc == E_DB && db_io_error()) {
    r->zErrCode = "io_error";
    zMsg = "The server could not write to its storage: nothing was saved."
           " Try again; if it keeps failing, the disk needs attention.";
  }
  if (r->bJsonOut) {
    json_t *p = json_pack("{s:{s:s, s:s}}", "error", "code",
                          r->zErrCode ? r->zErrCode : error_code_for(rc),
                          "message", zMsg);
    if (r->pErrCurrent) {
      json_object_set(p, "current", r->pErrCurrent);
    }
    enum MHD_Result ret = send_json(r, status, p);
    json_decref(p);
    return ret;
  }
  json_t *pCtx = json_pack("{s:i, s:s}", "status", status, "message", zMsg);
  add_page_globals(r, pCtx);
  r->zTemplate = "error";
  size_t n = 0;
  char *z = render_page(r, pCtx, &n);
  json_decref(pCtx);
  if (!z) {
    Buf plain;
    buf_init(&plain, 4096);
    tmpl_escape_html(&plain, zMsg, strlen(zMsg));
    z = buf_take(&plain, &n);
  }
  return send_bytes(r, status, "text/html; charset=utf-8", z, n);
}

static enum MHD_Result send_redirect(Req *r, const char *zTo) {
  struct MHD_Response *pResp =
      MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
  if (!pResp) {
    return MHD_NO;
  }
  MHD_add_response_header(pResp, MHD_HTTP_HEADER_LOCATION, zTo);
  MHD_add_response_header(pResp, MHD_HTTP_HEADER_CONTENT_TYPE,
                          "text/html; charset=utf-8");
  add_common_headers(pResp, r);
  enum MHD_Result ret =
      MHD_queue_response(r->pConn, MHD_HTTP_SEE_OTHER, pResp);
  MHD_destroy_response(pResp);
  r->status = MHD_HTTP_SEE_OTHER;
  return ret;
}

static enum MHD_Result send_not_modified(Req *r) {
  struct MHD_Response *pResp =
      MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
  if (!pResp) {
    return MHD_NO;
  }
  add_common_headers(pResp, r);
  enum MHD_Result ret =
      MHD_queue_response(r->pConn, MHD_HTTP_NOT_MODIFIED, pResp);
  MHD_destroy_response(pResp);
  r->status = MHD_HTTP_NOT_MODIFIED;
  return ret;
}

/* Sends what the handler produced. */
static enum MHD_Result send_result(Req *r) {
  int status = r->status ? r->status : MHD_HTTP_OK;
  if (r->zEtag) {
    const char *zIfNone = req_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH);
    if (zIfNone && strcmp(zIfNone, r->zEtag) == 0) {
      return send_not_modified(r);
    }
  }
  if (r->pReply) {
    return send_reply(r);
  }
  if (r->zRedirect) {
    return send_redirect(r, r->zRedirect);
  }
  if (r->zRaw) {
    char *z = r->zRaw;
    r->zRaw = NULL;
    return send_bytes(r, status, r->zRawType, z, r->nRaw);
  }
  if (!r->pModel) {
    r->pModel = json_object();
  }
  if (r->bJsonOut || !r->zTemplate) {
    return send_json(r, status, r->pModel);
  }
  json_t *pCtx = json_is_object(r->pModel) ? json_copy(r->pModel)
                                           : json_pack("{s:O}", "data",
                                                       r->pModel);
  if (r->pView) {
    json_object_update(pCtx, r->pView);
  }
  add_page_globals(r, pCtx);
  size_t n = 0;
  char *z = render_page(r, pCtx, &n);
  json_decref(pCtx);
  if (!z) {
    return send_error(r, E_DB);
  }
  return send_bytes(r, status,
                    r->zRawType ? r->zRawType : "text/html; charset=utf-8", z,
                    n);
}

/* Static files from web/ ---------------------------------------------- */

static const char *mime_for(const char *zName) {
  const char *zExt = strrchr(zName, '.');
  if (!zExt) {
    return "application/octet-stream";
  }
  if (strcmp(zExt, ".css") == 0) {
    return "text/css; charset=utf-8";
  }
  if (strcmp(zExt, ".js") == 0) {
    return "text/javascript; charset=utf-8";
  }
  if (strcmp(zExt, ".svg") == 0) {
    return "image/svg+xml";
  }
  if (strcmp(zExt, ".ico") == 0) {
    return "image/x-icon";
  }
  return "application/octet-stream";
}

static void static_add(const Asset *p, void *pArg) {
  (void)pArg;
  const char *zName = p->zName + strlen("web/");
  if (strchr(zName, '/')) {
    return; /* http_static() serves no subdirectories */
  }
  HttpReply *pReply = http_reply_static(mime_for(zName), "public, max-age=300",
                                        p->pData, p->nData);
  if (pReply) {
    aStatic[nStatic].zName = zName;
    aStatic[nStatic].pReply = pReply;
    nStatic++;
  }
}

static void count_asset(const Asset *p, void *pArg) {
  (void)p;
  (*(int *)pArg)++;
}

/* Builds the answers for the embedded web/ files (not in dev mode, where
** they come from disk on every request). Before the daemon starts. */
static void static_build(void) {
  int n = 0;
  asset_each("web/", count_asset, &n);
  if (asset_is_dev() || n == 0) {
    return;
  }
  aStatic = xcalloc((size_t)n, sizeof(*aStatic));
  asset_each("web/", static_add, NULL);
}

static void static_free(void) {
  for (int i = 0; i < nStatic; i++) {
    http_reply_release(aStatic[i].pReply);
  }
  free(aStatic);
  aStatic = NULL;
  nStatic = 0;
}

int http_static(Req *r) {
  /* The prebuilt answers first, compared in place (no copy of the name):
  ** their names have no "/" or "..". */
  assert(r->match.nParam == 1);
  for (int i = 0; i < nStatic; i++) {
    size_t n = r->match.anValue[0];
    if (strlen(aStatic[i].zName) == n &&
        memcmp(aStatic[i].zName, r->match.azValue[0], n) == 0) {
      r->pReply = aStatic[i].pReply;
      http_reply_retain(r->pReply);
      return 0;
    }
  }
  const char *zPath = req_param(r, "path");
  if (!zPath || strstr(zPath, "..") || strchr(zPath, '/')) {
    return req_fail(r, E_NOTFOUND, "Not found.");
  }
  Buf name;
  buf_init(&name, 512);
  buf_printf(&name, "web/%s", zPath);
  size_t n = 0;
  char *z = buf_err(&name) ? NULL : asset_load(buf_str(&name), &n);
  buf_free(&name);
  if (!z) {
    return req_fail(r, E_NOTFOUND, "Not found.");
  }
  r->zRaw = z;
  r->nRaw = n;
  r->zRawType = mime_for(zPath);
  r->zCacheControl = asset_is_dev() ? "no-cache" : "public, max-age=300";
  return 0;
}

int http_app_home(Req *r) {
  r->zRedirect = "/app/incidents";
  return 0;
}

/* Dispatch ------------------------------------------------------------ */

static int path_has_prefix(const char *zPath, const char *zPrefix) {
  return strncmp(zPath, zPrefix, strlen(zPrefix)) == 0;
}

/* Finds the route; sets *pbOtherMethod when only the method differs. */
static const Route *route_find(Req *r, int *pbOtherMethod) {
  const char *zMethod = strcmp(r->zMethod, "HEAD") == 0 ? "GET" : r->zMethod;
  *pbOtherMethod = 0;
  for (size_t i = 0; i < nRoute; i++) {
    RouteMatch m;
    if (!route_match(aRoute[i].zPattern, r->zPath, &m)) {
      continue;
    }
    if (strcmp(aRoute[i].zMethod, zMethod) != 0) {
      *pbOtherMethod = 1;
      continue;
    }
    r->match = m;
    return &aRoute[i];
  }
  return NULL;
}

/* Origin, when sent, must be this host: a second line behind the token. */
static int origin_ok(Req *r) {
  const char *zOrigin = req_header(r, "Origin");
  const char *zHost = req_header(r, MHD_HTTP_HEADER_HOST);
  if (!zOrigin) {
    return 1;
  }
  if (!zHost) {
    return 0;
  }
  const char *zRest = NULL;
  if (strncmp(zOrigin, "http://", 7) == 0) {
    zRest = zOrigin + 7;
  } else if (strncmp(zOrigin, "https://", 8) == 0) {
    zRest = zOrigin + 8;
  }
  return zRest && strcmp(zRest, zHost) == 0;
}

/* Who is asking, and may they call r->pRoute: 0, an rc, or 0 with
** r->zRedirect set (to the login page). Runs once per request: before the
** body is read when there is one, else just before the handler. */
static int authorize(Req *r) {
  const Route *pRoute = r->pRoute;
  r->bIdentified = 1;
  int rc = auth_identify(r);
  if (rc) {
    return rc;
  }
  if (pRoute->minRole > ROLE_NONE) {
    if (r->role == ROLE_NONE) {
      if (!r->bJsonOut) {
        Buf to;
        buf_init(&to, 4096);
        buf_puts(&to, "/login?next=");
        for (const char *p = r->zPath; *p; p++) {
          unsigned char c = (unsigned char)*p;
          if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '/' || c == '-' || c == '_') {
            buf_putc(&to, (char)c);
          } else {
            buf_printf(&to, "%%%02X", c);
          }
        }
        r->zRedirect = buf_err(&to) ? "/login"
                                    : arena_strdup(&r->arena, buf_str(&to));
        buf_free(&to);
        return 0;
      }
      return req_fail(r, E_AUTH, "authentication required");
    }
    if (r->bToken && strcmp(r->zScope, "ingest") == 0 &&
        !(pRoute->flags & R_INGEST)) {
      return req_fail(r, E_FORBIDDEN,
                      "a token with scope ingest cannot call this route");
    }
    if (r->role < pRoute->minRole) {
      return req_fail(r, E_FORBIDDEN, "this needs the %s role",
                      role_name(pRoute->minRole));
    }
  }
  return 0;
}

/* Authenticates and authorizes (unless done before the body), then runs
** the handler; slow work only with a place in the slow lane. Returns its
** rc. */
static int dispatch(Req *r) {
  int bOtherMethod = 0;
  const Route *pRoute = r->pRoute;
  if (!pRoute) {
    route_find(r, &bOtherMethod);
    return bOtherMethod ? req_fail(r, E_METHOD, "method %s not allowed",
                                   r->zMethod)
                        : req_fail(r, E_NOTFOUND, "Not found.");
  }
  int rc = 0;
  if (!r->bIdentified) {
    rc = authorize(r);
    if (rc || r->zRedirect) {
      return rc;
    }
  }
  int bWrite = strcmp(r->zMethod, "GET") != 0 &&
               strcmp(r->zMethod, "HEAD") != 0;
  /* Ingest routes take raw bodies, whatever Content-Type a tool sends. */
  if (bWrite && !(pRoute->flags & (R_INGEST | R_BIGBODY)) &&
      content_type_is(r, "application/x-www-form-urlencoded")) {
    rc = form_parse(r);
    if (rc) {
      return rc;
    }
  }
  if (bWrite && r->zSessionHash && !r->bToken &&
      !(pRoute->flags & R_OWN_CSRF)) {
    if (!origin_ok(r)) {
      return req_fail(r, E_FORBIDDEN, "cross-origin request refused");
    }
    rc = auth_check_csrf(r);
    if (rc) {
      return rc;
    }
  }
  return pRoute->xHandler(r);
}

/* On a slow-lane thread: runs the request, then lets MHD call the access
** handler again (on the connection's pool thread) to send the answer. */
static void slow_run(void *pArg) {
  Req *r = pArg;
  db_clear_error();
  r->rcSlow = dispatch(r);
  db_rollback(); /* this thread's connection */
  /* The work is done: the place is free before the answer goes out, so
  ** a client that follows a partial search's cursor at once is not told
  ** the lane is busy with its own previous request. */
  lane_leave(LANE_SLOW);
  r->iLane = -1;
  r->bSlowDone = 1;
  MHD_resume_connection(r->pConn);
}

/* Runs a slow request off the pool: a place in the slow lane, the
** connection suspended, the work queued for a slow-lane thread. 1 if it
** went there (answer later), 0 to run it here (no lane threads: tests),
** or an rc (the lane is full). */
static int slow_submit(Req *r) {
  if (!lane_enter(LANE_SLOW)) {
    return req_fail(r, E_BUSY, "the server is busy with other searches "
                               "and exports; try again in a moment");
  }
  r->iLane = LANE_SLOW;
  if (!lane_run_started()) {
    return 0; /* an embedded daemon: no lane threads, no suspending */
  }
  MHD_suspend_connection(r->pConn);
  if (lane_submit(slow_run, r)) {
    return 1;
  }
  MHD_resume_connection(r->pConn);
  return 0;
}

/* An access log line under construction, on the stack: the log costs no
** allocation and no printf per request. A line that does not fit is
** dropped, as Buf's cap did before. */
typedef struct LogLine {
  char a[4096]; /* the line */
  size_t n;     /* bytes used */
  int bFull;    /* something did not fit */
} LogLine;

static void log_put(LogLine *p, const char *z, size_t n) {
  if (n > sizeof(p->a) - p->n) {
    p->bFull = 1;
    return;
  }
  memcpy(p->a + p->n, z, n);
  p->n += n;
}

static void log_puts(LogLine *p, const char *z) { log_put(p, z, strlen(z)); }

static void log_uint(LogLine *p, unsigned long long v) {
  char z[24];
  size_t i = sizeof(z);
  do {
    z[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  log_put(p, z + i, sizeof(z) - i);
}

/* Appends ` zKey="z"` with `"`, `\` and control bytes as \xNN, so no
** value can end its field or forge a log line; at most nMax bytes of z. */
static void log_field(LogLine *p, const char *zKey, const char *z,
                      size_t nMax) {
  static const char azHex[] = "0123456789abcdef";
  log_puts(p, " ");
  log_puts(p, zKey);
  log_puts(p, "=\"");
  size_t iRun = 0; /* start of the bytes not yet copied */
  size_t i = 0;
  for (; i < nMax && z[i]; i++) {
    unsigned char c = (unsigned char)z[i];
    if (c < 0x20 || c == 0x7f || c == '\\' || c == '"') {
      char aEsc[4] = {'\\', 'x', azHex[c >> 4], azHex[c & 15]};
      log_put(p, z + iRun, i - iRun);
      log_put(p, aEsc, 4);
      iRun = i + 1;
    }
  }
  log_put(p, z + iRun, i - iRun);
  log_puts(p, "\"");
}

/* "YYYY-MM-DDTHH:MM:SS" of the last second this thread formatted. */
static _Thread_local int64_t logSec = -1;
static _Thread_local char zLogSec[20];

/* The access log: one line per request on stderr, as key=value pairs
** (logfmt): ts (UTC, when it ended), req (id, as in other log lines), ip
** (the TCP peer), method, path, route (the pattern, "-" if none), status,
** ms, user (or "-") and auth (session, token or -). Never a query string,
** cookie or header. */
static void log_request(Req *r) {
  LogLine line;
  line.n = 0;
  line.bFull = 0;
  int64_t now = utc_now_ms();
  if (now / 1000 != logSec) {
    char zTs[25];
    utc_format(now, zTs); /* "YYYY-MM-DDTHH:MM:SS.mmmZ" */
    memcpy(zLogSec, zTs, 19);
    zLogSec[19] = 0;
    logSec = now / 1000;
  }
  int ms = (int)(now % 1000);
  char aMs[6] = {'.', (char)('0' + ms / 100), (char)('0' + ms / 10 % 10),
                 (char)('0' + ms % 10), 'Z', 0};
  log_puts(&line, "ts=");
  log_put(&line, zLogSec, 19);
  log_put(&line, aMs, 5);
  log_puts(&line, " req=");
  log_uint(&line, r->id);
  char zIp[INET6_ADDRSTRLEN];
  if (r->pConn) {
    client_ip(r, zIp);
  } else {
    snprintf(zIp, sizeof(zIp), "%s", "-");
  }
  log_field(&line, "ip", zIp, 64);
  log_field(&line, "method", r->zMethod, 32);
  log_field(&line, "path", r->zPath, 1500);
  log_field(&line, "route", r->pRoute ? r->pRoute->zPattern : "-", 128);
  log_puts(&line, " status=");
  log_uint(&line, (unsigned)r->status);
  log_puts(&line, " ms=");
  int64_t msTaken = now - r->tStart;
  if (msTaken < 0) {
    log_puts(&line, "-"); /* the clock stepped back */
    msTaken = -msTaken;
  }
  log_uint(&line, (unsigned long long)msTaken);
  log_field(&line, "user", r->zUser ? r->zUser : "-", 128);
  log_puts(&line, " auth=");
  log_puts(&line,
           r->bToken ? "token" : r->zSessionHash ? "session" : "-");
  log_puts(&line, "\n");
  if (!line.bFull) {
    accesslog_write(line.a, line.n);
  }
}

/* Rejects requests whose framing is ambiguous (smuggling). */
static enum MHD_Result count_framing(void *pArg, enum MHD_ValueKind kind,
                                     const char *zKey, const char *zValue) {
  (void)kind;
  (void)zValue;
  int *aCount = pArg;
  if (strcasecmp(zKey, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
    aCount[0]++;
  } else if (strcasecmp(zKey, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
    aCount[1]++;
  }
  return MHD_YES;
}

/* The body cap: ingest routes take big bodies; routes anyone may call
** (login, subscribe) only small ones, so an anonymous caller cannot make
** us hold much. */
static size_t body_cap(const Req *r) {
  if (!r->pRoute) {
    return cfg.nMaxAnonBody;
  }
  if (r->pRoute->flags & R_BIGBODY) {
    return cfg.nMaxIngest;
  }
  return r->pRoute->minRole == ROLE_NONE ? cfg.nMaxAnonBody : cfg.nMaxBody;
}

/* Set when the drain's limit has passed: uploads still arriving are
** answered with an error rather than cut off. */
static atomic_int bDrainExpired;
#define DRAIN_GRACE_MS 5000 /* then, for the rest of those uploads */

/* The first call of a request: its head is complete. Checks framing,
** who is asking (when a body follows) and the caps, and returns an rc to
** refuse the request before its body is read, or 0. */
static int request_head(Req *r) {
  int aCount[2] = {0, 0};
  MHD_get_connection_values(r->pConn, MHD_HEADER_KIND, count_framing,
                            aCount);
  const char *zTe = req_header(r, MHD_HTTP_HEADER_TRANSFER_ENCODING);
  const char *zLen = req_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
  r->bHasBody = zTe || (zLen && strtoull(zLen, NULL, 10) > 0);
  if (aCount[0] > 1 || (aCount[0] && aCount[1])) {
    return req_fail(r, E_INVALID, "conflicting Content-Length or "
                                  "Transfer-Encoding headers");
  }
  if (aCount[1] > 1 || (zTe && strcasecmp(zTe, "chunked") != 0)) {
    /* MHD would read an unknown coding as a body without end. */
    return req_fail(r, E_NOTIMPL, "Transfer-Encoding: only chunked is "
                                  "supported");
  }
  if (r->pRoute && r->bHasBody) {
    /* Who is asking before a byte of the body is read. */
    int rc = authorize(r);
    if (rc) {
      return rc;
    }
    if (r->zRedirect) {
      return 0; /* answered now, as a refusal is */
    }
  }
  if (zLen && strtoull(zLen, NULL, 10) > body_cap(r)) {
    return req_fail(r, E_TOOBIG, "the request body is over the %zu byte "
                                 "limit", body_cap(r));
  }
  if (r->pRoute && (r->pRoute->flags & R_BIGBODY) && r->bHasBody) {
    if (!lane_enter(LANE_INGEST)) {
      return req_fail(r, E_BUSY, "the server is taking other large uploads; "
                                 "try again in a moment");
    }
    r->iLane = LANE_INGEST;
  }
  return 0;
}

/* Takes n bytes of the body. */
static void request_body(Req *r, const char *z, size_t n) {
  if (r->bBodyTooBig || r->bBodyBusy || r->bDrainRefused ||
      r->bSpoolFailed) {
    return; /* discard the rest */
  }
  if (atomic_load(&bDrainExpired)) {
    r->bDrainRefused = 1;
  } else if (r->pRoute && (r->pRoute->flags & R_BIGBODY)) {
    /* Big bodies go to a temporary file, so memory stays flat. */
    r->nSpool += n;
    if (!r->pSpool) {
      r->pSpool = tmpfile();
    }
    if (r->nSpool > body_cap(r) || !r->pSpool ||
        fwrite(z, 1, n, r->pSpool) != n) {
      r->bBodyTooBig = r->nSpool > body_cap(r);
      r->bSpoolFailed = !r->bBodyTooBig;
    }
  } else if (r->body.n + n > body_cap(r)) {
    r->bBodyTooBig = 1;
  } else if (!lane_body_reserve(n)) {
    r->bBodyBusy = 1;
  } else {
    r->nBodyHeld += n;
    buf_append(&r->body, z, n);
    if (buf_err(&r->body)) {
      r->bBodyTooBig = 1;
    }
  }
  if (r->bBodyTooBig || r->bBodyBusy || r->bDrainRefused) {
    buf_free(&r->body);
    lane_body_release(r->nBodyHeld);
    r->nBodyHeld = 0;
  }
}

static enum MHD_Result on_request(void *pCls, struct MHD_Connection *pConn,
                                  const char *zUrl, const char *zMethod,
                                  const char *zVersion,
                                  const char *zUpload, size_t *pnUpload,
                                  void **ppReq) {
  (void)pCls;
  (void)zVersion;
  Req *r = *ppReq;
  if (!r) {
    /* First call: headers only. Answering now would make MHD drop
    ** keep-alive, so just set up and return. */
    r = xcalloc(1, sizeof(*r));
    r->pConn = pConn;
    r->id = atomic_fetch_add(&nextReqId, 1);
    r->tStart = utc_now_ms();
    r->zMethod = zMethod;
    r->zPath = zUrl;
    r->iLane = -1;
    r->bJsonOut = path_has_prefix(zUrl, "/api/") ||
                  path_has_prefix(zUrl, "/hooks/") ||
                  path_has_prefix(zUrl, "/loki/") ||
                  path_has_prefix(zUrl, "/v1/");
    const char *zFormat =
        MHD_lookup_connection_value(pConn, MHD_GET_ARGUMENT_KIND, "format");
    if (zFormat && strcmp(zFormat, "json") == 0) {
      r->bJsonOut = 1;
    }
    int bOther;
    r->pRoute = route_find(r, &bOther);
    buf_init(&r->body, body_cap(r));
    *ppReq = r;
    lane_request_begin();
    r->bInFlight = 1;
    db_clear_error();
    r->rcEarly = request_head(r);
    /* Anonymous bodies stay under the head deadline until complete. */
    if (r->role > ROLE_NONE || !r->bIdentified) {
      admit_head(pConn, 1);
    }
    if (!r->rcEarly && !r->zRedirect) {
      return MHD_YES;
    }
    /* Refuse now rather than read a body we would throw away; MHD closes
    ** the connection after this answer, which is what we want here, and
    ** linger.c drains what is still on its way so the client reads it. */
    if (r->bHasBody) {
      admit_linger(pConn);
    }
  } else if (r->status) {
    /* Already refused above: drop whatever body still arrives. */
    *pnUpload = 0;
    return MHD_YES;
  }
  if (*pnUpload) {
    request_body(r, zUpload, *pnUpload);
    *pnUpload = 0;
    return MHD_YES;
  }
  admit_head(pConn, 1);
  int rc;
  if (r->rcEarly || r->zRedirect) {
    rc = r->rcEarly;
  } else if (r->bSpoolFailed) {
    rc = req_fail(r, E_DB, "could not store the upload; try again");
  } else if (r->bBodyTooBig) {
    rc = req_fail(r, E_TOOBIG, "the request body is over the %zu byte limit",
                  body_cap(r));
  } else if (r->bDrainRefused) {
    rc = req_fail(r, E_BUSY, "the server is shutting down: this upload was "
                             "not stored; send it again");
  } else if (r->bBodyBusy) {
    rc = req_fail(r, E_BUSY, "the server holds too many request bodies; "
                             "try again in a moment");
  } else if (r->bSlowDone) {
    rc = r->rcSlow;
  } else if (r->pRoute && (r->pRoute->flags & R_SLOW) && r->iLane < 0 &&
             (rc = slow_submit(r)) != 0) {
    if (rc == 1) {
      return MHD_YES; /* answered when the slow-lane thread resumes us */
    }
  } else {
    db_clear_error();
    rc = dispatch(r);
  }
  enum MHD_Result ret = rc ? send_error(r, rc) : send_result(r);
  return ret;
}

static void on_completed(void *pCls, struct MHD_Connection *pConn,
                         void **ppReq, enum MHD_RequestTerminationCode code) {
  (void)pCls;
  (void)code;
  Req *r = *ppReq;
  if (!r) {
    return;
  }
  log_request(r);
  metrics_observe(r->pRoute ? r->pRoute->zMethod : "other",
                  r->pRoute ? r->pRoute->zPattern : "unmatched", r->status,
                  utc_now_ms() - r->tStart);
  /* A handler that failed mid-write must not leave a transaction open. */
  db_rollback();
  if (r->iLane >= 0) {
    lane_leave(r->iLane);
  }
  lane_body_release(r->nBodyHeld);
  if (r->bInFlight) {
    lane_request_end();
  }
  /* Kept alive: the next request's head is due within the deadline. */
  admit_head(pConn, 0);
  json_decref(r->pForm);
  json_decref(r->pInput);
  json_decref(r->pModel);
  json_decref(r->pView);
  json_decref(r->pErrCurrent);
  http_reply_release(r->pReply);
  free(r->zRaw);
  if (r->pSpool) {
    fclose(r->pSpool);
  }
  buf_free(&r->body);
  arena_free(&r->arena);
  free(r);
  *ppReq = NULL;
}

int http_call(const char *zMethod, const char *zPath, json_t *pForm,
              const char *zActor, int role, json_t **ppOut) {
  Req req;
  memset(&req, 0, sizeof(req));
  Req *r = &req;
  r->zMethod = zMethod;
  r->zPath = zPath;
  r->bJsonOut = 1;
  r->zUser = zActor;
  r->role = role;
  r->pForm = pForm;
  r->tStart = utc_now_ms();
  buf_init(&r->body, cfg.nMaxBody ? cfg.nMaxBody : (size_t)1 << 20);
  int bOther = 0;
  const Route *pRoute = route_find(r, &bOther);
  int rc = E_NOTFOUND;
  if (pRoute && role >= pRoute->minRole) {
    r->pRoute = pRoute;
    rc = pRoute->xHandler(r);
  } else if (pRoute) {
    rc = E_FORBIDDEN;
  }
  if (rc && r->zErrMsg) {
    fprintf(stderr, "hindsight: %s %s: %s\n", zMethod, zPath, r->zErrMsg);
  }
  *ppOut = rc ? NULL : r->pModel;
  if (rc) {
    json_decref(r->pModel);
  }
  db_rollback();
  json_decref(r->pForm);
  json_decref(r->pInput);
  json_decref(r->pView);
  json_decref(r->pErrCurrent);
  http_reply_release(r->pReply);
  free(r->zRaw);
  buf_free(&r->body);
  arena_free(&r->arena);
  return rc;
}

/* Serving -------------------------------------------------------------- */

/* Parses "host:port" or "[v6]:port" into *pAddr. 0 or E_INVALID. */
static int parse_listen(const char *z, struct sockaddr_storage *pAddr) {
  memset(pAddr, 0, sizeof(*pAddr));
  char zHost[128];
  const char *zPort;
  if (z[0] == '[') {
    const char *zEnd = strchr(z, ']');
    if (!zEnd || zEnd[1] != ':' || (size_t)(zEnd - z - 1) >= sizeof(zHost)) {
      return E_INVALID;
    }
    memcpy(zHost, z + 1, (size_t)(zEnd - z - 1));
    zHost[zEnd - z - 1] = 0;
    zPort = zEnd + 2;
  } else {
    const char *zColon = strrchr(z, ':');
    if (!zColon || (size_t)(zColon - z) >= sizeof(zHost)) {
      return E_INVALID;
    }
    memcpy(zHost, z, (size_t)(zColon - z));
    zHost[zColon - z] = 0;
    zPort = zColon + 1;
  }
  char *zEnd = NULL;
  long port = strtol(zPort, &zEnd, 10);
  if (!*zPort || *zEnd || port < 0 || port > 65535) {
    return E_INVALID;
  }
  struct sockaddr_in *p4 = (struct sockaddr_in *)pAddr;
  struct sockaddr_in6 *p6 = (struct sockaddr_in6 *)pAddr;
  if (inet_pton(AF_INET, zHost, &p4->sin_addr) == 1) {
    p4->sin_family = AF_INET;
    p4->sin_port = htons((uint16_t)port);
    return 0;
  }
  if (inet_pton(AF_INET6, zHost, &p6->sin6_addr) == 1) {
    p6->sin6_family = AF_INET6;
    p6->sin6_port = htons((uint16_t)port);
    return 0;
  }
  return E_INVALID;
}

static char *read_pem(const char *zPath) {
  FILE *f = fopen(zPath, "rb");
  if (!f) {
    fprintf(stderr, "hindsight: cannot read %s: %s\n", zPath,
            strerror(errno));
    return NULL;
  }
  Buf b;
  buf_init(&b, 1 << 20);
  char aChunk[4096];
  size_t n;
  while ((n = fread(aChunk, 1, sizeof(aChunk), f)) > 0) {
    buf_append(&b, aChunk, n);
  }
  fclose(f);
  if (buf_err(&b)) {
    buf_free(&b);
    return NULL;
  }
  return buf_take(&b, NULL);
}

/* Starts a daemon with our handler, callbacks and limits, plus aExtra
** (listening address, threads, TLS). The one place both http_serve() and
** http_start_embedded() get their options from. */
static struct MHD_Daemon *daemon_start(unsigned flags,
                                       struct MHD_OptionItem *aExtra) {
  return MHD_start_daemon(
      flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_NOTIFY_COMPLETED,
      on_completed, NULL, MHD_OPTION_UNESCAPE_CALLBACK, url_unescape, NULL,
      /* Idle time only (every byte restarts it); admit.c keeps the
      ** deadline for a whole request head. */
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg.nMaxConn,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg.nPerIpConn,
      MHD_OPTION_NOTIFY_CONNECTION, admit_notify, NULL,
      /* MHD zeroes the used part of this pool after every request on a
      ** kept-alive connection: 64 KiB made memset a fifth of serving
      ** summary.json. 32 KiB (MHD's default) still takes 16 KiB headers. */
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
      MHD_OPTION_ARRAY, aExtra, MHD_OPTION_END);
}

/* Fills the limits a caller left 0 with their defaults. */
static void config_defaults(void) {
  if (!cfg.nMaxBody) {
    cfg.nMaxBody = (size_t)1 << 20;
  }
  if (!cfg.nMaxIngest) {
    cfg.nMaxIngest = (size_t)256 << 20;
  }
  if (!cfg.nMaxAnonBody) {
    cfg.nMaxAnonBody = (size_t)16 << 10;
  }
  if (!cfg.nBodyMemory) {
    cfg.nBodyMemory = (size_t)64 << 20;
  }
  if (!cfg.nMaxConn) {
    cfg.nMaxConn = 1000;
  }
  if (!cfg.nPerIpConn) {
    cfg.nPerIpConn = 64;
  }
  if (!cfg.nHeaderTimeoutS) {
    cfg.nHeaderTimeoutS = 10;
  }
  if (!cfg.nDrainTimeoutS) {
    cfg.nDrainTimeoutS = 60;
  }
  if (!cfg.nIngestLanes) {
    cfg.nIngestLanes = 2;
  }
  lane_configure(cfg.nSlowLanes, cfg.nIngestLanes, cfg.nBodyMemory);
}

struct MHD_Daemon *http_start_embedded(const HttpConfig *pCfg) {
  cfg = *pCfg;
  if (!cfg.nSlowLanes) {
    cfg.nSlowLanes = 1;
  }
  config_defaults();
  nReplyCopy = 1;
  static_build();
  struct MHD_OptionItem aNone[] = {{MHD_OPTION_END, 0, NULL}};
  struct MHD_Daemon *pD = daemon_start(MHD_USE_NO_LISTEN_SOCKET, aNone);
  if (!pD) {
    static_free();
  }
  return pD;
}

void http_stop_embedded(struct MHD_Daemon *pD) {
  MHD_stop_daemon(pD);
  static_free();
}

int http_serve(const HttpConfig *pCfg) {
  cfg = *pCfg;
  struct sockaddr_storage addr;
  if (parse_listen(cfg.zListen, &addr)) {
    fprintf(stderr, "hindsight: bad --listen address %s (want HOST:PORT)\n",
            cfg.zListen);
    return E_INVALID;
  }
  unsigned nThread = cfg.nThread > 0 ? (unsigned)cfg.nThread
                                     : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
  if (nThread < 1) {
    nThread = 1;
  }
  /* Slow work may hold all pool threads but one: that one is for /,
  ** /healthz and everything quick. */
  if (!cfg.nSlowLanes) {
    cfg.nSlowLanes = nThread > 1 ? (int)nThread - 1 : 1;
  }
  config_defaults();
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
                   MHD_USE_ITC | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME;
  if (addr.ss_family == AF_INET6) {
    flags |= MHD_USE_IPv6;
  }
  char *zCert = NULL, *zKey = NULL;
  if (cfg.zTlsCert || cfg.zTlsKey) {
    zCert = cfg.zTlsCert ? read_pem(cfg.zTlsCert) : NULL;
    zKey = cfg.zTlsKey ? read_pem(cfg.zTlsKey) : NULL;
    if (!zCert || !zKey) {
      free(zCert);
      free(zKey);
      fprintf(stderr, "hindsight: TLS needs both --tls-cert and --tls-key\n");
      return E_INVALID;
    }
    flags |= MHD_USE_TLS;
    bTls = 1;
  }
  struct MHD_OptionItem aTls[] = {
      {zCert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, zCert},
      {zKey ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, zKey},
      {MHD_OPTION_END, 0, NULL},
  };
  nReplyCopy = nThread < REPLY_COPY_MAX ? (int)nThread : REPLY_COPY_MAX;
  static_build();
  if (accesslog_start()) {
    fprintf(stderr, "hindsight: access log unbatched (no thread)\n");
  }
  struct MHD_OptionItem aExtra[] = {
      {MHD_OPTION_SOCK_ADDR, 0, &addr},
      {MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)nThread, NULL},
      {MHD_OPTION_ARRAY, 0, aTls},
      {MHD_OPTION_END, 0, NULL},
  };
  if (lane_run_start(cfg.nSlowLanes)) {
    fprintf(stderr, "hindsight: slow work runs on pool threads (no lane"
                    " thread)\n");
  }
  if (admit_start(cfg.nMaxConn, cfg.nHeaderTimeoutS)) {
    fprintf(stderr, "hindsight: no head deadline (no thread)\n");
  }
  if (linger_start()) {
    fprintf(stderr, "hindsight: refused uploads close at once (no thread)\n");
  }
  struct MHD_Daemon *pD = daemon_start(flags, aExtra);
  if (!pD) {
    fprintf(stderr, "hindsight: cannot listen on %s: %s\n", cfg.zListen,
            strerror(errno));
    free(zCert);
    free(zKey);
    lane_run_stop();
    admit_stop();
    linger_stop();
    accesslog_stop();
    static_free();
    return E_IO;
  }
  const union MHD_DaemonInfo *pInfo =
      MHD_get_daemon_info(pD, MHD_DAEMON_INFO_BIND_PORT);
  char zHost[128];
  snprintf(zHost, sizeof(zHost), "%s", cfg.zListen);
  char *zColon = strrchr(zHost, ':');
  if (zColon) {
    *zColon = 0;
  }
  printf("hindsight: listening on %s://%s:%u (%u threads)\n",
         bTls ? "https" : "http", zHost, pInfo ? pInfo->port : 0, nThread);
  fflush(stdout);

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  fprintf(stderr, "hindsight: signal %d, draining\n", sig);

  /* Stop accepting, let requests in flight finish (a long upload too, up
  ** to the drain limit; idle kept-alive connections do not count). Past
  ** the limit, uploads still arriving are answered with an error on their
  ** next bytes; a moment for those answers, then stop. */
  MHD_socket fdListen = MHD_quiesce_daemon(pD);
  for (int i = 0; i < cfg.nDrainTimeoutS * 10 && lane_requests() > 0; i++) {
    usleep(100 * 1000);
  }
  if (lane_requests() > 0) {
    /* MHD 0.9.75 sends no answer before the whole body is read: the rest
    ** of each upload is read and dropped, then answered 503. */
    fprintf(stderr, "hindsight: drain limit (%d s) passed with %d requests"
                    " in flight; refusing their uploads\n",
            cfg.nDrainTimeoutS, lane_requests());
    atomic_store(&bDrainExpired, 1);
    for (int i = 0; i < DRAIN_GRACE_MS / 100 && lane_requests() > 0; i++) {
      usleep(100 * 1000);
    }
  }
  lane_run_stop(); /* finishes slow work and resumes its connections */
  MHD_stop_daemon(pD);
  admit_stop();
  linger_stop();
  accesslog_stop();
  static_free();
  if (fdListen != MHD_INVALID_SOCKET) {
    close(fdListen);
  }
  free(zCert);
  free(zKey);
  return 0;
}
