/*
** http.h: the request type every handler receives, and the helpers
** handlers use to read input and describe their answer.
**
** A handler returns 0 after filling r->pModel (served as JSON under /api/
** or with ?format=json, else rendered through r->zTemplate), setting
** r->zRedirect, or setting a raw body; or it returns a negative E_* code,
** usually through req_fail(), and http.c turns that into the error answer.
**
** Threading: a Req belongs to the pool thread serving its connection.
*/
#ifndef HS_HTTP_H
#define HS_HTTP_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"
#include "buf.h"
#include "router.h"

struct MHD_Connection;
struct MHD_Daemon;

enum { ROLE_NONE = 0, ROLE_VIEWER = 1, ROLE_EDITOR = 2, ROLE_ADMIN = 3 };

/* Route flags */
#define R_INGEST 0x01 /* a token with scope ingest may call it */
#define R_BIGBODY 0x02 /* takes bodies up to the ingest cap */
#define R_PUBLIC_CACHE 0x04 /* public: ETag and Cache-Control */
#define R_OWN_CSRF 0x08 /* checks its own CSRF token (the login form) */
#define R_CORS 0x10 /* read-only public data: Access-Control-Allow-Origin: * */
#define R_FRAME 0x20 /* may be framed by any site (/embed: no script) */
#define R_SLOW 0x40 /* slow work (raw search, export): the slow lane */

typedef struct Req Req;
typedef int (*Handler)(Req *r);
typedef struct HttpReply HttpReply;

typedef struct Route {
  const char *zMethod;  /* "GET", "POST", "PATCH", "DELETE" */
  const char *zPattern; /* see router.h */
  Handler xHandler;     /* the feature's function */
  int minRole;          /* ROLE_NONE for public routes */
  int flags;            /* R_* */
} Route;

struct Req {
  struct MHD_Connection *pConn; /* BORROWED from MHD */
  Arena arena;          /* everything request-scoped; freed at completion */
  unsigned long id;     /* request id for logs */
  int64_t tStart;       /* when the request began, ms */
  const char *zMethod;  /* BORROWED from MHD */
  const char *zPath;    /* BORROWED from MHD (decoded) */
  const Route *pRoute;  /* the matched route, or NULL */
  RouteMatch match;     /* path parameters of pRoute */
  Buf body;             /* request body, capped per route */
  FILE *pSpool;         /* R_BIGBODY routes: the body, in a temp file */
  size_t nSpool;        /* bytes written to pSpool */
  int bSpoolFailed;     /* the temp file could not be written */
  int bBodyTooBig;      /* body passed its cap; answer 413 */
  int bIdentified;      /* auth_identify() already ran (before the body) */
  int bHasBody;         /* the head announced a body (length or chunked) */
  int rcEarly;          /* refused before the body: the rc to answer */
  int bBodyBusy;        /* the global memory for bodies in flight is full */
  int bDrainRefused;    /* the drain limit passed while the body arrived */
  int bInFlight;        /* counted in the in-flight requests (drain) */
  int iLane;            /* the lane this request holds (lane.h), or -1 */
  int bSlowDone;        /* a slow-lane thread ran the handler: send rcSlow */
  int rcSlow;           /* the handler's rc, from the slow-lane thread */
  size_t nBodyHeld;     /* bytes of body counted in the global budget */
  int bJsonOut;         /* answer with JSON (API route or ?format=json) */
  json_t *pForm;        /* NEW: urlencoded body as an object, or NULL */
  json_t *pInput;       /* NEW: the parsed JSON body, or NULL */

  /* Who is asking (filled before the handler runs) */
  int64_t userId;       /* 0 when anonymous or a token */
  const char *zUser;    /* user or token name; NULL when anonymous */
  int role;             /* ROLE_* granted to this request */
  int bToken;           /* authenticated by a bearer token */
  const char *zScope;   /* token scope, or NULL */
  const char *zCsrf;    /* the session's CSRF token, or NULL */
  const char *zSessionHash; /* SHA-256 of the session cookie, or NULL */

  /* The answer */
  int status;           /* 0 = default (200, or 303 with zRedirect) */
  json_t *pModel;       /* NEW: the data, one model for both views */
  json_t *pView;        /* NEW: extra values for the HTML view only */
  const char *zTemplate; /* page template name, e.g. "incidents" */
  const char *zLayout;  /* layout template; NULL means "layout" */
  const char *zTitle;   /* page title */
  const char *zRedirect; /* answer 303 See Other to this path */
  HttpReply *pReply;    /* NEW reference: a prebuilt 200 answer, sent as is */
  char *zRaw;           /* NEW (free()): raw body to send */
  size_t nRaw;          /* length of zRaw */
  const char *zRawType; /* Content-Type for zRaw */
  const char *zCacheControl; /* overrides the default Cache-Control */
  const char *zEtag;    /* ETag to send (quoted) */
  char zEtagCopy[48];   /* room for an ETag copied out of a shared cache */
  const char *zDisposition; /* Content-Disposition to send, or NULL */
  const char *zEncoding; /* Content-Encoding of zRaw (e.g. "gzip"), or NULL */
  int bVary;            /* the answer depends on Accept-Encoding */
  const char *azCookie[3]; /* Set-Cookie values */
  int nCookie;          /* entries used in azCookie */

  /* The error, when the handler failed */
  const char *zErrCode; /* machine-readable code, e.g. "invalid" */
  const char *zErrMsg;  /* human-readable message */
  json_t *pErrCurrent;  /* NEW: the current record, sent with a 409 */
};

/* Records an error for the answer and returns rc, so a handler can write
** `return req_fail(r, E_INVALID, "title is required");`. zFmt is printf. */
int req_fail(Req *r, int rc, const char *zFmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A path parameter by name, BORROWED until the request ends; NULL if none. */
const char *req_param(Req *r, const char *zName);
/* A positive integer path parameter; E_NOTFOUND if it is not one. */
int req_param_id(Req *r, const char *zName, int64_t *pId);
/* A query-string argument, BORROWED from MHD; NULL if absent. */
const char *req_query(Req *r, const char *zName);
/* A request header, BORROWED from MHD; NULL if absent. */
const char *req_header(Req *r, const char *zName);

/* The body as input: a JSON object (Content-Type application/json, parsed
** strictly: duplicate keys, NUL, trailing data and non-objects rejected)
** or the urlencoded form; *ppIn is BORROWED until the request ends.
** Returns 0, or E_INVALID / E_MEDIATYPE (another Content-Type) after
** req_fail(). */
int req_input(Req *r, json_t **ppIn);
/* Hands the raw body to xChunk in pieces (from memory, or from the temp
** file of an R_BIGBODY route), stopping at its first nonzero return, which
** is returned. */
int req_body_read(Req *r, int (*xChunk)(void *, const char *, size_t),
                  void *pArg);
/* Whether the input came from an HTML form (checkbox and select values
** arrive as strings). */
int req_is_form(Req *r);

/* The version the client edited: the If-Match header for the API (quoted
** or W/-prefixed is fine), the "version" field for HTML forms. Returns 0 and
** *pVersion; E_PRECONDITION when an API call sent no If-Match, E_INVALID
** when it is not a number (both after req_fail()). */
int req_version(Req *r, json_t *pIn, int64_t *pVersion);

/* Adds a Set-Cookie header (zValue copied into the arena). */
void req_set_cookie(Req *r, const char *zValue);
/* A cookie sent by the client, by its exact (case-sensitive) name,
** BORROWED from MHD; NULL if absent. */
const char *req_cookie(Req *r, const char *zName);
/* The client's IP address as text ("127.0.0.1", "::1"; "unknown" if MHD
** cannot tell), BORROWED until the request ends. The TCP peer: proxy
** headers are not trusted. */
const char *req_client_ip(Req *r);
/* Whether the server is speaking TLS (cookies get Secure). */
int req_is_tls(Req *r);

/* The role names of ROLE_* and back (0 for unknown). */
const char *role_name(int role);
int role_from_name(const char *z);

typedef struct HttpConfig {
  const char *zListen;  /* "127.0.0.1:8080"; port 0 picks a free port */
  int nThread;          /* pool size; 0 means one per core */
  const char *zTlsCert; /* PEM file or NULL */
  const char *zTlsKey;  /* PEM file or NULL */
  size_t nMaxBody;      /* cap for forms and JSON */
  size_t nMaxIngest;    /* cap for R_BIGBODY routes */
  size_t nMaxAnonBody;  /* cap for bodies from anonymous callers */
  size_t nBodyMemory;   /* bytes of bodies held in memory, all requests */
  int nPerIpConn;       /* connections per client address */
  int nMaxConn;         /* connections in all */
  int nHeaderTimeoutS;  /* whole request head within this many seconds */
  int nDrainTimeoutS;   /* SIGTERM waits this long for requests in flight */
  int nSlowLanes;       /* concurrent slow requests (search, export) */
  int nIngestLanes;     /* concurrent large ingests (R_BIGBODY) */
} HttpConfig;

/* Serves until SIGTERM/SIGINT, then drains and returns 0; E_IO if the
** daemon cannot start. Signals must be blocked by the caller (main). */
int http_serve(const HttpConfig *pCfg);

/*
** For in-process tests (tests/fuzz/fuzz_http.c): a daemon with the access
** handler, completion callback, URL unescaper and limits http_serve() uses,
** but no listening socket, no TLS and no thread of its own. The caller
** hands it connections with MHD_add_connection() and drives it with
** MHD_run() from one thread, which then runs the handlers too (and so owns
** the database connection they use). Sets pCfg (copied) and builds the
** answers for web/ files as http_serve() does; starts no access-log thread
** (lines are written as they come). Returns the NEW daemon, to be stopped
** with http_stop_embedded(), or NULL if MHD cannot start it. Not while
** http_serve() runs.
*/
struct MHD_Daemon *http_start_embedded(const HttpConfig *pCfg);
/* Stops a daemon from http_start_embedded() and frees what it built. */
void http_stop_embedded(struct MHD_Daemon *pD);

/*
** Calls a route in-process, as zActor with role, with pForm (TAKES; an
** object of strings, as an HTML form would send, so versions travel in a
** "version" field) as the input and the JSON view as the answer: the demo
** builds its world through the same handlers the API uses. No CSRF check
** (there is no browser). Returns the handler's rc; *ppOut is the NEW model
** on success, else NULL.
*/
int http_call(const char *zMethod, const char *zPath, json_t *pForm,
              const char *zActor, int role, json_t **ppOut);

/*
** Renders templates/<zTemplate>.html with pCtx (BORROWED; gains a "body"
** key when zLayout is given), inside templates/<zLayout>.html unless
** zLayout is NULL. For pages rendered outside a request (the status cache,
** the static export). Returns 0 and NEW *pz (free()) with *pn bytes, or
** E_INVALID / E_TOOBIG (logged).
*/
int http_render(const char *zTemplate, const char *zLayout, json_t *pCtx,
                char **pz, size_t *pn);

/*
** A prebuilt answer: status 200, the body and every header (Content-Type,
** Content-Encoding, the security headers, Cache-Control, ETag, Vary) built
** once, byte for byte what send_result() would send for a Req with the same
** fields, and queued as is on any number of connections. For public cached
** content (the status cache, embedded static files). Reference-counted:
** the creator holds one reference; a handler hands one to a request with
** http_reply_retain() and r->pReply, and http.c releases it once queued.
** Thread-safe. Only valid once http_serve() has set up (HSTS depends on TLS).
*/
/* NEW reply (one reference) over z[0..n), which it TAKES (free()).
** zType, zEncoding, zCacheControl and zEtag are copied; zEncoding and zEtag
** may be NULL. NULL if MHD cannot make a response (z is then freed). */
/* bVary's bits: 1 sends Vary: Accept-Encoding, HTTP_REPLY_CORS sends
** Access-Control-Allow-Origin: * (read-only public data), HTTP_REPLY_FRAME
** lets other sites frame the answer. */
#define HTTP_REPLY_CORS 2
#define HTTP_REPLY_FRAME 4 /* frameable: no X-Frame-Options, own CSP */
HttpReply *http_reply_new(const char *zType, const char *zEncoding,
                          const char *zCacheControl, const char *zEtag,
                          int bVary, char *z, size_t n);
/* The same over bytes that live as long as the process (BORROWED). */
HttpReply *http_reply_static(const char *zType, const char *zCacheControl,
                             const void *p, size_t n);
/* Adds a reference. */
void http_reply_retain(HttpReply *p);
/* Drops a reference (NULL is fine); the last one frees the reply. Queued
** connections keep the bytes alive on their own. */
void http_reply_release(HttpReply *p);

/* Maps an E_* code to its HTTP status. */
int http_status_for(int rc);

/* http.c's own routes (routes.c): a file of web/, and /app's landing. */
int http_static(Req *r);
int http_app_home(Req *r);

#endif
