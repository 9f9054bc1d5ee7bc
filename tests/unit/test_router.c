/* test_router: path patterns with parameters. */
#include "harness.h"
#include "router.h"

static int matches(const char *zPattern, const char *zPath) {
  RouteMatch m;
  return route_match(zPattern, zPath, &m);
}

int main(void) {
  RouteMatch m;
  CHECK("root matches root", matches("/", "/"));
  CHECK("root does not match a page", !matches("/", "/x"));
  CHECK("literal path matches", matches("/app/incidents", "/app/incidents"));
  CHECK("trailing slash is a different path",
        !matches("/app/incidents", "/app/incidents/"));
  CHECK("prefix is not a match", !matches("/app/incidents", "/app/incident"));
  CHECK("longer path is not a match", !matches("/app", "/app/incidents"));
  CHECK("parameter matches one segment",
        route_match("/api/v1/incidents/{id}", "/api/v1/incidents/42", &m));
  CHECK_INT("one parameter captured", m.nParam, 1);
  CHECK("parameter name", m.anName[0] == 2 &&
                              strncmp(m.azName[0], "id", 2) == 0);
  CHECK("parameter value", m.anValue[0] == 2 &&
                               strncmp(m.azValue[0], "42", 2) == 0);
  CHECK("parameter does not span segments",
        !matches("/api/v1/incidents/{id}", "/api/v1/incidents/4/2"));
  CHECK("empty parameter does not match",
        !matches("/api/v1/incidents/{id}", "/api/v1/incidents/"));
  CHECK("two parameters",
        route_match("/a/{x}/b/{y}", "/a/1/b/two", &m) && m.nParam == 2 &&
            strncmp(m.azValue[1], "two", m.anValue[1]) == 0);
  CHECK("rest parameter takes slashes",
        route_match("/static/{*path}", "/static/css/site.css", &m) &&
            m.anValue[0] == strlen("css/site.css"));
  CHECK("rest parameter needs something", !matches("/static/{*path}", "/static/"));
  CHECK("literal after parameter must match",
        !matches("/incidents/{id}/events", "/incidents/1/updates"));
  CHECK("empty path never matches", !matches("/", ""));
  return harness_exit();
}
