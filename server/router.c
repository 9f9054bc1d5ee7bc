/*
** router.c: path pattern matching, segment by segment. No allocation.
*/
#include "router.h"

#include <string.h>

/* Length of the segment starting at z (up to '/' or NUL). */
static size_t seg_len(const char *z) { return strcspn(z, "/"); }

int route_match(const char *zPattern, const char *zPath, RouteMatch *pM) {
  const char *p = zPattern;
  const char *z = zPath;
  pM->nParam = 0;
  while (*p && *z) {
    if (*p != '/' || *z != '/') {
      return 0;
    }
    p++;
    z++;
    size_t nP = seg_len(p);
    size_t nZ = seg_len(z);
    if (nP >= 2 && p[0] == '{' && p[nP - 1] == '}') {
      int bRest = p[1] == '*';
      if (pM->nParam >= ROUTE_MAX_PARAMS) {
        return 0;
      }
      if (bRest) {
        nZ = strlen(z);
      }
      if (nZ == 0) {
        return 0;
      }
      pM->azName[pM->nParam] = p + 1 + bRest;
      pM->anName[pM->nParam] = nP - 2 - bRest;
      pM->azValue[pM->nParam] = z;
      pM->anValue[pM->nParam] = nZ;
      pM->nParam++;
      if (bRest) {
        return p[nP] == 0;
      }
    } else if (nP != nZ || memcmp(p, z, nP) != 0) {
      return 0;
    }
    p += nP;
    z += nZ;
  }
  return *p == 0 && *z == 0;
}
