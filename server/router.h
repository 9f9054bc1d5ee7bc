/*
** router.h: matching request paths against route patterns with
** parameters. Pure functions; the route table itself lives in http.c.
**
** A pattern is a path whose segments may be "{name}" (one non-empty
** segment) or, last, "{*name}" (the rest of the path, possibly with slashes).
** "/api/v1/incidents/{id}" matches "/api/v1/incidents/42" with id = "42".
*/
#ifndef HS_ROUTER_H
#define HS_ROUTER_H

#include <stddef.h>

#define ROUTE_MAX_PARAMS 4

typedef struct RouteMatch {
  int nParam;                            /* parameters captured */
  const char *azName[ROUTE_MAX_PARAMS];  /* name in the pattern, no braces */
  size_t anName[ROUTE_MAX_PARAMS];       /* length of each name */
  const char *azValue[ROUTE_MAX_PARAMS]; /* start of the value in the path */
  size_t anValue[ROUTE_MAX_PARAMS];      /* length of each value */
} RouteMatch;

/* Returns 1 and fills *pM (pointers into zPattern and zPath) if zPath
** matches zPattern, else 0. */
int route_match(const char *zPattern, const char *zPath, RouteMatch *pM);

#endif
