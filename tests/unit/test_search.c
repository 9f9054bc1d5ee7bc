/*
** test_search.c: the query parser (typed text -> FTS5 query), snippet
** escaping and the index's plain text. Pure functions: no database.
*/
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "search.h"

/* Parses z; returns the query in a static buffer ("" for no terms). */
static const char *parse(const char *z, int *pnTerm) {
  static char zOut[8192];
  Buf b;
  buf_init(&b, 8192);
  int n = search_parse(z, &b);
  if (pnTerm) {
    *pnTerm = n;
  }
  snprintf(zOut, sizeof(zOut), "%s", buf_str(&b));
  buf_free(&b);
  return zOut;
}

static const char *snippet(const char *z) {
  static char zOut[4096];
  Buf b;
  buf_init(&b, 4096);
  search_snippet_html(z, &b);
  snprintf(zOut, sizeof(zOut), "%s", buf_str(&b));
  buf_free(&b);
  return zOut;
}

static const char *plain(const char *z) {
  static char zOut[4096];
  Buf b;
  buf_init(&b, 4096);
  search_plain(z, &b);
  snprintf(zOut, sizeof(zOut), "%s", buf_str(&b));
  buf_free(&b);
  return zOut;
}

int main(void) {
  static const struct {
    const char *zIn;   /* typed */
    const char *zWant; /* FTS5 query */
  } aCase[] = {
      {"load balancer", "\"load\" AND \"balancer\"*"},
      {"Load", "\"Load\"*"},
      {"\"flash sale\" timeout", "\"flash sale\" AND \"timeout\"*"},
      {"timeout \"flash sale\"", "\"timeout\" AND \"flash sale\""},
      {"\"unterminated phrase", "\"unterminated phrase\""},
      {"\"", ""},
      {"\"\"", ""},
      {"a-b", "\"a b\""},
      {"e-mail outage", "\"e mail\" AND \"outage\"*"},
      {"NEAR(", "\"NEAR\"*"},
      {"NEAR(a b)", "\"NEAR a\" AND \"b\""},
      {"col:x", "\"col x\""},
      {"title:checkout", "\"title checkout\"*"},
      {"*", ""},
      {"^", ""},
      {"^start", "\"start\"*"},
      {"a OR b", "\"a\" AND \"OR\" AND \"b\""},
      {"NOT x", "\"NOT\" AND \"x\""},
      {"x", "\"x\""},
      {"502", "\"502\"*"},
      {"10.0.0.1", "\"10 0 0 1\""},
      {"café déjà", "\"café\" AND \"déjà\"*"},
      {"東京 障害", "\"東京\" AND \"障害\"*"},
      {"😀", ""},
      {"fire 🔥 drill", "\"fire\" AND \"drill\"*"},
      {"' OR 1=1; --", "\"OR\" AND \"1 1\""},
      {"'; DROP TABLE incidents; --",
       "\"DROP\" AND \"TABLE\" AND \"incidents\"*"},
      {"  spaced   out  ", "\"spaced\" AND \"out\"*"},
      {"tab\tnew\nline", "\"tab\" AND \"new\" AND \"line\"*"},
      {"\xff\xfe bad", "\"bad\"*"},
      {"a\xc3", "\"a\""},
      {"(a) AND {b}", "\"a\" AND \"AND\" AND \"b\""},
      {"", ""},
  };
  for (size_t i = 0; i < sizeof(aCase) / sizeof(aCase[0]); i++) {
    char zName[128];
    snprintf(zName, sizeof(zName), "parse [%.60s]", aCase[i].zIn);
    for (char *p = zName; *p; p++) {
      *p = (unsigned char)*p < 0x20 ? '?' : *p; /* one line per check */
    }
    CHECK_STR(zName, parse(aCase[i].zIn, NULL), aCase[i].zWant);
  }
  int n = 0;
  CHECK_STR("NULL input is no terms", parse(NULL, &n), "");
  CHECK_INT("NULL input counts 0 terms", n, 0);
  parse("\"flash sale\" timeout", &n);
  CHECK_INT("a phrase and a word are 2 terms", n, 2);

  /* A 10 KB query: capped at SEARCH_TERMS_MAX terms and bounded output. */
  char *zBig = malloc(10241);
  for (int i = 0; i < 10240; i++) {
    zBig[i] = i % 5 == 4 ? ' ' : "abcd"[i % 5];
  }
  zBig[10240] = 0;
  const char *zQ = parse(zBig, &n);
  CHECK_INT("10 KB query keeps 16 terms", n, SEARCH_TERMS_MAX);
  CHECK("10 KB query output is short", strlen(zQ) < 200);
  memset(zBig, 'a', 10240);
  zQ = parse(zBig, &n);
  CHECK_INT("a 10 KB word is one term", n, 1);
  CHECK("a 10 KB word is cut to 64 bytes", strlen(zQ) == 64 + 3);
  free(zBig);

  /* Words are cut on a character boundary. */
  char zLong[200] = "";
  for (int i = 0; i < 40; i++) {
    strcat(zLong, "é");
  }
  zQ = parse(zLong, &n);
  CHECK("a long word of 2-byte characters is cut whole",
        strlen(zQ) == 64 + 3 && (unsigned char)zQ[64] != 0xC3);

  /* Facet tokens start with U+2170 (see search.h): the parser must treat
  ** it as a separator, so no typed word can equal a facet token. */
  CHECK_STR("the facet mark separates words",
            parse("\xe2\x85\xb0k1 x\xe2\x85\xb0y \"\xe2\x85\xb0s2\"", NULL),
            "\"k1\" AND \"x y\" AND \"s2\"");
  CHECK_STR("the facet mark alone is no term", parse("\xe2\x85\xb0", &n), "");
  zQ = parse("\xe2\x85\xb0\xe2\x85\xb0 a\xe2\x85\xb0\xe2\x85\xb0", NULL);
  CHECK("no parsed query holds the facet mark", !strstr(zQ, "\xe2\x85\xb0"));

  /* Snippets: text escaped, only balanced <mark> added. */
  CHECK_STR("snippet marks", snippet("a \x01load\x02 b"), "a <mark>load</mark> b");
  CHECK_STR("snippet escapes", snippet("<script>\x01x\x02</script> & \"'"),
            "&lt;script&gt;<mark>x</mark>&lt;/script&gt; &amp; &quot;&#39;");
  CHECK_STR("stray close is dropped", snippet("a\x02 b"), "a b");
  CHECK_STR("double open is one", snippet("\x01\x01x\x02"), "<mark>x</mark>");
  CHECK_STR("open at the end is closed", snippet("\x01x"), "<mark>x</mark>");
  CHECK_STR("control bytes dropped", snippet("a\x03\x1b[1mb\nc"),
            "a[1mb c");
  CHECK_STR("img onerror stays text", snippet("<img src=x onerror=alert(1)>"),
            "&lt;img src=x onerror=alert(1)&gt;");

  /* Plain text for the index drops HTML comments (template prompts). */
  CHECK_STR("comments removed",
            plain("## Root cause\n\n<!-- Ask why -->\nThe LB\n"),
            "## Root cause\n\n\nThe LB\n");
  CHECK_STR("generated markers removed",
            plain("a<!-- hs:generated:timeline -->b<!-- /hs:generated -->c"),
            "abc");
  CHECK_STR("unclosed comment runs to the end", plain("a<!-- b"), "a");
  return harness_exit();
}
