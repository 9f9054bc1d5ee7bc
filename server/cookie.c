/*
** cookie.c: exact-name cookie lookup over libmicrohttpd's parsed cookies
** (see cookie.h). No state of its own.
*/
#include "cookie.h"

#include <microhttpd.h>
#include <string.h>

typedef struct CookieFind {
  const char *zName;  /* the name wanted, exactly */
  const char *zValue; /* the first match, BORROWED from MHD, or NULL */
} CookieFind;

static enum MHD_Result find_one(void *pArg, enum MHD_ValueKind kind,
                                const char *zKey, const char *zValue) {
  (void)kind;
  CookieFind *pFind = pArg;
  if (zKey && strcmp(zKey, pFind->zName) == 0) {
    pFind->zValue = zValue ? zValue : "";
    return MHD_NO; /* the first one wins, as in MHD's own lookup */
  }
  return MHD_YES;
}

const char *cookie_get(struct MHD_Connection *pConn, const char *zName) {
  CookieFind find = {zName, NULL};
  if (pConn) {
    MHD_get_connection_values(pConn, MHD_COOKIE_KIND, find_one, &find);
  }
  return find.zValue;
}
