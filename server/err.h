/*
** err.h: the one set of error codes every fallible function returns.
**
** 0 is success; the negatives below are the only failures. Only http.c maps
** them to HTTP statuses (see http_status_for()).
*/
#ifndef HS_ERR_H
#define HS_ERR_H

enum {
  E_OK = 0,
  E_NOTFOUND = -1,    /* no such record or route: 404 */
  E_INVALID = -2,     /* bad input from the caller: 400 */
  E_CONFLICT = -3,    /* stale version or duplicate: 409 */
  E_TOOBIG = -4,      /* body or field over its cap: 413 */
  E_AUTH = -5,        /* not logged in / bad token: 401 */
  E_FORBIDDEN = -6,   /* logged in but not allowed, or CSRF failed: 403 */
  E_DB = -7,          /* storage failure: 503 */
  E_METHOD = -8,      /* method not allowed on this path: 405 */
  E_MEDIATYPE = -9,   /* unexpected Content-Type: 415 */
  E_PRECONDITION = -10, /* If-Match missing: 428 */
  E_RATELIMIT = -11,  /* too many attempts: 429 */
  E_IO = -12,         /* file or system error (CLI): exit 1 */
  E_BUSY = -13,       /* a limit on work in flight is reached: 503 */
  E_NOTIMPL = -14     /* a framing we do not implement: 501 */
};

#endif
