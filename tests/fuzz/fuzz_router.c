// fuzz-sources: server/router.c
// fuzz-libs:
/*
** fuzz_router.c: libFuzzer target for router.c route_match().
**
** The input up to the first '\n' is a pattern, the rest a path (both made
** NUL-terminated copies). route_match() runs on that pair, and the path
** also against every pattern shape the route table uses. When it matches,
** the captures must be sane: at most ROUTE_MAX_PARAMS, each value a
** non-empty run inside the path without '/' (unless a {*rest}), each name
** inside the pattern. A broken property calls abort(). Single-threaded.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"

static const char *const azPattern[] = {
    "/",
    "/healthz",
    "/static/{*path}",
    "/app/incidents/{id}",
    "/app/incidents/{id}/events",
    "/api/v1/incidents/{id}/events",
    "/api/v1/events/{id}/history",
    "/a/{x}/{y}/{z}/{w}",
    "/a/{x}/{y}/{z}/{w}/{v}",
    "/{a}",
    "/{*all}",
    "/{}",
    "/{*}",
    NULL,
};

static void check(const char *zPattern, const char *zPath) {
  RouteMatch m;
  if (!route_match(zPattern, zPath, &m)) {
    return;
  }
  size_t nPath = strlen(zPath);
  size_t nPattern = strlen(zPattern);
  if (m.nParam < 0 || m.nParam > ROUTE_MAX_PARAMS) {
    abort();
  }
  for (int i = 0; i < m.nParam; i++) {
    const char *zV = m.azValue[i];
    const char *zN = m.azName[i];
    if (zV < zPath || zV + m.anValue[i] > zPath + nPath || m.anValue[i] == 0) {
      abort();
    }
    if (zN < zPattern || zN + m.anName[i] > zPattern + nPattern) {
      abort();
    }
    int bRest = zN > zPattern && zN[-1] == '*';
    if (!bRest && memchr(zV, '/', m.anValue[i])) {
      abort();
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData);

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData) {
  const char *z = (const char *)aData;
  const char *zNl = memchr(z, '\n', nData);
  size_t nPat = zNl ? (size_t)(zNl - z) : 0;
  size_t nPath = zNl ? nData - nPat - 1 : nData;
  char *zPattern = malloc(nPat + 1);
  char *zPath = malloc(nPath + 1);
  memcpy(zPattern, z, nPat);
  zPattern[nPat] = 0;
  memcpy(zPath, zNl ? zNl + 1 : z, nPath);
  zPath[nPath] = 0;
  check(zPattern, zPath);
  for (int i = 0; azPattern[i]; i++) {
    check(azPattern[i], zPath);
  }
  free(zPattern);
  free(zPath);
  return 0;
}
