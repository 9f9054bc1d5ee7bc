/*
** test_tmpl.c: unit tests for tmpl.c (the template engine), plus the
** data-driven cases in tests/spec/tmpl.txt (or the file named by argv[1]).
**
** Spec file format: lines before the first case are comments. Each case is
**   ### name
**   <template lines>
**   --- context
**   <JSON context>
**   --- expect
**   <expected output lines>
** and runs until the next "### " line or the end of the file. The final
** newline of each section is not part of its value. An expect section that
** starts with "!error " means rendering must fail with E_INVALID and the
** message must contain the rest of that line.
**
** Partials come from the in-memory table aPartial below. Single-threaded.
*/
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "err.h"
#include "harness.h"
#include "md.h"
#include "tmpl.h"

/* The partials every test (and spec case) can include. */
static const struct {
  const char *zName; /* partial name */
  const char *zSrc;  /* its source */
} aPartial[] = {
    {"row", "<li>{{name}}</li>"},
    {"tree", "{{name}}({{#kids}}{{>tree}}{{/kids}})"},
    {"loop", "x{{>loop}}"},
    {"bad", "ok\n{{#x}}\nnever closed"},
    {"outer", "[{{>inner}}]"},
    {"inner", "{{title}}"},
    {"usesmissing", "{{>nope}}"},
    {"broken", "{{x|raw}}"},
    {"page", "<title>{{title}}</title><ul>{{#items}}{{>row}}{{/items}}</ul>"},
};

/* TmplLoader over aPartial. NEW: free(). */
static char *t_load(const char *zName, size_t *pn) {
  for (size_t i = 0; i < sizeof(aPartial) / sizeof(aPartial[0]); i++) {
    if (strcmp(aPartial[i].zName, zName) == 0) {
      *pn = strlen(aPartial[i].zSrc);
      return xstrdup(aPartial[i].zSrc);
    }
  }
  return NULL;
}

/* Renders zSrc against pCtx with output cap nMax into pOut (initialized
** here; the caller frees it). Returns tmpl_render()'s rc. */
static int t_render_ctx(const char *zSrc, json_t *pCtx, size_t nMax,
                        Buf *pOut, char *zErr, size_t nErr) {
  buf_init(pOut, nMax);
  return tmpl_render(zSrc, strlen(zSrc), pCtx, t_load, pOut, zErr, nErr);
}

/* Checks that zSrc renders against pCtx (BORROWED) to exactly zWant. */
static void check_ctx(const char *zName, const char *zSrc, json_t *pCtx,
                      const char *zWant) {
  Buf out;
  char zErr[256];
  int rc = t_render_ctx(zSrc, pCtx, 0, &out, zErr, sizeof(zErr));
  CHECK_STR(zName, rc == 0 ? buf_str(&out) : zErr, zWant);
  buf_free(&out);
}

/* Like check_ctx() with the context given as JSON text. */
static void check_render(const char *zName, const char *zSrc,
                         const char *zJson, const char *zWant) {
  json_error_t jerr;
  json_t *pCtx = json_loads(zJson, JSON_DECODE_ANY, &jerr);
  if (!pCtx) {
    printf("  bad context JSON in %s: %s\n", zName, jerr.text);
  }
  check_ctx(zName, zSrc, pCtx, zWant);
  json_decref(pCtx);
}

/* Checks that zSrc fails with rcWant and a message containing zNeedle. */
static void check_error(const char *zName, const char *zSrc,
                        const char *zJson, int rcWant, const char *zNeedle) {
  json_t *pCtx = json_loads(zJson, JSON_DECODE_ANY, NULL);
  Buf out;
  char zErr[256];
  int rc = t_render_ctx(zSrc, pCtx, 0, &out, zErr, sizeof(zErr));
  int bOk = rc == rcWant && strstr(zErr, zNeedle) != NULL;
  CHECK(zName, bOk);
  if (!bOk) {
    printf("  rc %d (want %d), message: %s\n  want it to contain: %s\n", rc,
           rcWant, zErr, zNeedle);
  }
  buf_free(&out);
  json_decref(pCtx);
}

static void test_variables(void) {
  check_render("var: string", "Hello {{name}}!", "{\"name\":\"World\"}",
               "Hello World!");
  check_render("var: spaces in tag", "{{ name }}|{{\tname\n}}",
               "{\"name\":\"x\"}", "x|x");
  check_render("var: integer", "{{n}}", "{\"n\":-42}", "-42");
  check_render("var: big integer", "{{n}}", "{\"n\":9007199254740993}",
               "9007199254740993");
  check_render("var: integral real", "{{n}}", "{\"n\":3.0}", "3");
  check_render("var: negative zero", "{{n}}", "{\"n\":-0.0}", "0");
  check_render("var: real", "{{a}} {{b}} {{c}}",
               "{\"a\":2.5,\"b\":0.1,\"c\":1e300}", "2.5 0.1 1e+300");
  check_render("var: real needing 17 digits", "{{n}}",
               "{\"n\":0.3333333333333333}", "0.33333333333333331");
  check_render("var: booleans", "{{t}}/{{f}}", "{\"t\":true,\"f\":false}",
               "true/false");
  check_render("var: null, object, array, missing print nothing",
               "[{{z}}{{o}}{{a}}{{missing}}]",
               "{\"z\":null,\"o\":{\"k\":1},\"a\":[1]}", "[]");
  check_render("var: dotted path", "{{a.b.c}}", "{\"a\":{\"b\":{\"c\":7}}}",
               "7");
  check_render("var: dotted path through a non-object", "[{{a.b}}]",
               "{\"a\":\"str\"}", "[]");
  check_render("var: dotted path with missing middle", "[{{a.x.c}}]",
               "{\"a\":{\"b\":{\"c\":7}}}", "[]");
  check_render("var: dot at top level", "{{.}}", "\"hi\"", "hi");
  check_ctx("var: NULL context", "x{{a}}{{.}}y", NULL, "xy");

  /* Binary-safe: an embedded NUL in a value is kept. */
  json_t *pCtx = json_object();
  json_object_set_new(pCtx, "s", json_stringn("a\0<", 3));
  Buf out;
  int rc = t_render_ctx("{{s}}", pCtx, 0, &out, NULL, 0);
  CHECK("var: embedded NUL kept",
        rc == 0 && out.n == 6 && memcmp(out.z, "a\0&lt;", 6) == 0);
  buf_free(&out);
  json_decref(pCtx);

  /* Output is appended to what the Buf already holds. */
  buf_init(&out, 0);
  buf_puts(&out, "pre:");
  rc = tmpl_render("{{.}}", 5, NULL, t_load, &out, NULL, 0);
  buf_puts(&out, "|");
  rc |= tmpl_render("ok", 2, NULL, t_load, &out, NULL, 0);
  CHECK_STR("render appends to pOut", rc == 0 ? buf_str(&out) : "error",
            "pre:|ok");
  buf_free(&out);

  buf_init(&out, 0);
  rc = tmpl_render(NULL, 0, NULL, NULL, &out, NULL, 0);
  CHECK_STR("empty source renders nothing", rc == 0 ? buf_str(&out) : "error",
            "");
  buf_free(&out);
}

static void test_context_stack(void) {
  const char *zCtx =
      "{\"title\":\"T\",\"items\":[{\"name\":\"a\"},"
      "{\"name\":\"b\",\"title\":\"own\"}],"
      "\"outer\":{\"x\":1},\"inner\":{\"a\":{}},\"a\":{\"b\":2}}";
  check_render("stack: outer names visible in loop",
               "{{#items}}{{name}}:{{title}};{{/items}}", zCtx,
               "a:T;b:own;");
  check_render("stack: dotted first segment found outward",
               "{{#inner}}{{outer.x}}{{/inner}}", zCtx, "1");
  check_render("stack: later segments only inside the first match",
               "{{#inner}}[{{a.b}}]{{/inner}}{{a.b}}", zCtx, "[]2");
  check_render("stack: object section pushes",
               "{{#outer}}{{x}}{{title}}{{/outer}}", zCtx, "1T");
  check_render("stack: dot is the current item",
               "{{#l}}{{.}},{{/l}}", "{\"l\":[1,\"x\",true,2.5]}",
               "1,x,true,2.5,");
  check_render("stack: nested arrays",
               "{{#l}}[{{#.}}{{.}}{{/.}}]{{/l}}", "{\"l\":[[1,2],[3]]}",
               "[12][3]");
  check_render("stack: null key stops the outward search",
               "{{#o}}[{{t}}]{{/o}}", "{\"t\":\"outer\",\"o\":{\"t\":null}}",
               "[]");
}

static void test_escaping(void) {
  check_render("escape: all five characters", "{{s}}",
               "{\"s\":\"& < > \\\" '\"}", "&amp; &lt; &gt; &quot; &#39;");
  check_render("escape: plain text untouched", "{{s}}",
               "{\"s\":\"caf\\u00e9 ok\"}", "caf\xC3\xA9 ok");
  check_render("url: percent-encodes all but unreserved", "{{s|url}}",
               "{\"s\":\"a b&c/d?e=\\u00e9~-._Z9\"}",
               "a%20b%26c%2Fd%3Fe%3D%C3%A9~-._Z9");
  check_render("url: numbers and booleans", "{{n|url}},{{b|url}},{{r|url}}",
               "{\"n\":12,\"b\":true,\"r\":1e300}", "12,true,1e%2B300");
  check_render("url: spaces around the filter", "{{ s | url }}",
               "{\"s\":\"a/b\"}", "a%2Fb");
  /* Fuzz regression: the filter length came from the trimmed path, so
  ** spaces before the bar made it read past the tag (and the source). */
  check_render("filter: several spaces before the bar",
               "{{s    |url}}.{{ s\t\t| json }}", "{\"s\":\"a/b\"}",
               "a%2Fb.\"a/b\"");
  check_error("filter: unknown filter after spaces", "{{s      |x}}",
              "{\"s\":1}", E_INVALID, "unknown filter 'x'");
  char *zExact = xmalloc(12); /* "{{s   |url}}" without its NUL */
  memcpy(zExact, "{{s   |url}}", 12);
  json_t *pCtx = json_pack("{s:s}", "s", "a b");
  Buf out;
  buf_init(&out, 0);
  int rc = tmpl_render(zExact, 12, pCtx, t_load, &out, NULL, 0);
  CHECK_STR("filter: tag ending the source exactly",
            rc == 0 ? buf_str(&out) : "error", "a%20b");
  buf_free(&out);
  json_decref(pCtx);
  free(zExact);
  check_render("json: </script> and & escaped", "{{s|json}}",
               "{\"s\":\"</script><!--&\"}",
               "\"\\u003c/script\\u003e\\u003c!--\\u0026\"");
  check_render("json: U+2028 and U+2029 escaped", "{{s|json}}",
               "{\"s\":\"a\\u2028b\\u2029c\"}", "\"a\\u2028b\\u2029c\"");
  check_render("json: objects and arrays", "{{o|json}}",
               "{\"o\":{\"a\":[1,2.5,null,true],\"b\":\"x\"}}",
               "{\"a\":[1,2.5,null,true],\"b\":\"x\"}");
  check_render("json: number, missing gives null", "{{n|json}} {{x|json}}",
               "{\"n\":3}", "3 null");
}

static void test_sections(void) {
  check_render("section: array loops", "{{#l}}<{{name}}>{{/l}}",
               "{\"l\":[{\"name\":\"a\"},{\"name\":\"b\"}]}", "<a><b>");
  check_render("section: object entered", "{{#o}}{{k}}{{/o}}",
               "{\"o\":{\"k\":\"v\"}}", "v");
  check_render("section: empty object is truthy", "{{#o}}yes{{/o}}",
               "{\"o\":{}}", "yes");
  check_render("section: truthy scalar renders once without push",
               "{{#s}}[{{s}}|{{.}}]{{/s}}", "{\"s\":\"x\"}", "[x|]");
  check_render("section: true renders once", "{{#b}}B{{/b}}",
               "{\"b\":true}", "B");
  const char *zFalsy =
      "{\"s\":\"\",\"i\":0,\"r\":0.0,\"z\":null,\"f\":false,\"a\":[]}";
  check_render("section: falsy values skip",
               "{{#s}}1{{/s}}{{#i}}2{{/i}}{{#r}}3{{/r}}{{#z}}4{{/z}}"
               "{{#f}}5{{/f}}{{#a}}6{{/a}}{{#missing}}7{{/missing}}.",
               zFalsy, ".");
  check_render("inverted: falsy values render",
               "{{^s}}1{{/s}}{{^i}}2{{/i}}{{^r}}3{{/r}}{{^z}}4{{/z}}"
               "{{^f}}5{{/f}}{{^a}}6{{/a}}{{^missing}}7{{/missing}}",
               zFalsy, "1234567");
  check_render("inverted: truthy values skip",
               "{{^s}}1{{/s}}{{^l}}2{{/l}}{{^o}}3{{/o}}.",
               "{\"s\":\"x\",\"l\":[0],\"o\":{}}", ".");
  check_render("section: dotted name", "{{#a.b}}{{c}}{{/a.b}}",
               "{\"a\":{\"b\":{\"c\":1}}}", "1");
  check_render("comment: ignored", "a{{! a comment with {{ and } }}b", "{}",
               "ab");
}

static void test_eq(void) {
  const char *zCtx =
      "{\"status\":\"open\",\"multi\":\"in progress\",\"i\":3,\"r\":3.0,"
      "\"h\":3.5,\"s3\":\"3\",\"t\":true,\"t2\":true,\"f\":false,"
      "\"z\":null,\"z2\":null,\"sel\":2,"
      "\"items\":[{\"id\":1,\"n\":\"a\"},{\"id\":2,\"n\":\"b\"}]}";
  check_render("eq: path vs literal", "{{#eq status \"open\"}}Y{{/eq}}", zCtx,
               "Y");
  check_render("eq: literal with spaces",
               "{{#eq multi \"in progress\"}}Y{{/eq}}", zCtx, "Y");
  check_render("eq: different string", "{{#eq status \"closed\"}}Y{{/eq}}.",
               zCtx, ".");
  check_render("^eq: opposite", "{{^eq status \"closed\"}}N{{/eq}}", zCtx,
               "N");
  check_render("eq: integer and integral real", "{{#eq i r}}Y{{/eq}}", zCtx,
               "Y");
  check_render("eq: 3 vs 3.5 differ", "{{#eq i h}}Y{{/eq}}.", zCtx, ".");
  check_render("eq: string vs integer by decimal text",
               "{{#eq s3 i}}a{{/eq}}{{#eq i \"3\"}}b{{/eq}}"
               "{{#eq r \"3\"}}c{{/eq}}{{#eq h \"3\"}}d{{/eq}}"
               "{{#eq i \"3.0\"}}e{{/eq}}",
               zCtx, "abc");
  check_render("eq: booleans", "{{#eq t t2}}a{{/eq}}{{#eq t f}}b{{/eq}}"
                               "{{#eq t \"true\"}}c{{/eq}}",
               zCtx, "a");
  check_render("eq: null and missing never equal",
               "{{#eq z z2}}a{{/eq}}{{#eq x y}}b{{/eq}}{{^eq x y}}c{{/eq}}",
               zCtx, "c");
  check_render("eq: inside a loop against an outer value",
               "{{#items}}{{#eq id sel}}*{{/eq}}{{n}}{{/items}}", zCtx,
               "a*b");
  check_render("eq: two literals", "{{#eq \"a\" \"a\"}}Y{{/eq}}", "{}", "Y");
}

static void test_partials(void) {
  check_render("partial: in a loop", "<ul>{{#l}}{{>row}}{{/l}}</ul>",
               "{\"l\":[{\"name\":\"a\"},{\"name\":\"<b>\"}]}",
               "<ul><li>a</li><li>&lt;b&gt;</li></ul>");
  check_render("partial: nested partials", "{{>outer}}", "{\"title\":\"T\"}",
               "[T]");
  check_render("partial: recursive over data", "{{>tree}}",
               "{\"name\":\"a\",\"kids\":[{\"name\":\"b\",\"kids\":[]},"
               "{\"name\":\"c\",\"kids\":[]}]}",
               "a(b()c())");
  check_error("partial: missing", "a\n{{>nope}}", "{}", E_INVALID,
              "line 2: partial 'nope' not found");
  check_error("partial: missing inside a partial", "{{>usesmissing}}", "{}",
              E_INVALID, "partial 'usesmissing' line 1: partial 'nope'");
  check_error("partial: missing even in an unrendered branch",
              "{{#no}}{{>nope}}{{/no}}", "{}", E_INVALID, "nope");
  check_error("partial: syntax error names the partial", "{{>bad}}", "{}",
              E_INVALID, "partial 'bad' line 2: unclosed section {{#x}}");
  check_error("partial: self-inclusion capped at 16", "{{>loop}}", "{}",
              E_INVALID, "partials nested deeper than 16");
  check_error("partial: bad name", "{{>../etc/passwd}}", "{}", E_INVALID,
              "bad partial name");

  /* Recursion through data deeper than 16 levels hits the same cap. */
  json_t *pCtx = json_pack("{s:s, s:[]}", "name", "leaf", "kids");
  for (int i = 0; i < 20; i++) {
    pCtx = json_pack("{s:s, s:[o]}", "name", "n", "kids", pCtx);
  }
  Buf out;
  char zErr[256];
  int rc = t_render_ctx("{{>tree}}", pCtx, 0, &out, zErr, sizeof(zErr));
  CHECK("partial: deep data hits the depth cap",
        rc == E_INVALID && strstr(zErr, "deeper than 16"));
  buf_free(&out);
  json_decref(pCtx);

  /* No loader at all: a partial is simply missing. */
  buf_init(&out, 0);
  rc = tmpl_render("{{>row}}", 8, NULL, NULL, &out, zErr, sizeof(zErr));
  CHECK("partial: no loader", rc == E_INVALID && strstr(zErr, "not found"));
  buf_free(&out);

  /* tmpl_render_named. */
  json_t *pPage = json_pack("{s:s, s:[{s:s},{s:s}]}", "title", "<T>", "items",
                            "name", "a", "name", "b");
  buf_init(&out, 0);
  rc = tmpl_render_named("page", pPage, t_load, &out, zErr, sizeof(zErr));
  CHECK_STR("named: renders", rc == 0 ? buf_str(&out) : zErr,
            "<title>&lt;T&gt;</title><ul><li>a</li><li>b</li></ul>");
  buf_free(&out);
  json_decref(pPage);
  buf_init(&out, 0);
  rc = tmpl_render_named("missing", NULL, t_load, &out, zErr, sizeof(zErr));
  CHECK("named: missing template",
        rc == E_INVALID && strstr(zErr, "'missing' not found"));
  rc = tmpl_render_named("../etc/passwd", NULL, t_load, &out, zErr,
                         sizeof(zErr));
  CHECK("named: bad name", rc == E_INVALID && strstr(zErr, "bad template"));
  rc = tmpl_render_named("broken", NULL, t_load, &out, zErr, sizeof(zErr));
  CHECK_STR("named: error names the template",
            rc == E_INVALID ? zErr : "no error",
            "template 'broken' line 1: unknown filter 'raw'");
  buf_free(&out);
}

/* Returns n copies of z concatenated. NEW: free(). */
static char *t_repeat(const char *z, int n) {
  Buf b;
  buf_init(&b, 0);
  for (int i = 0; i < n; i++) {
    buf_puts(&b, z);
  }
  return buf_take(&b, NULL);
}

static void test_syntax_errors(void) {
  check_error("syntax: unclosed section with its line",
              "a\nb\n{{#x}}\nc\n", "{}", E_INVALID,
              "line 3: unclosed section {{#x}}");
  check_error("syntax: mismatched close",
              "\n{{#a}}\n\n{{/b}}", "{}", E_INVALID,
              "line 4: {{/b}} does not close {{#a}} from line 2");
  check_error("syntax: stray close", "x{{/a}}", "{}", E_INVALID,
              "line 1: {{/a}} closes no section");
  check_error("syntax: unknown filter", "ok\n{{x|raw}}", "{}", E_INVALID,
              "line 2: unknown filter 'raw'");
  check_error("syntax: unterminated tag", "\n\n{{x", "{}", E_INVALID,
              "line 3: unterminated tag");
  check_error("syntax: empty tag", "{{ }}", "{}", E_INVALID, "empty tag");
  check_error("syntax: expression in template", "{{7*7}}", "{}", E_INVALID,
              "bad name '7*7'");
  check_error("syntax: triple mustache is not raw", "{{{x}}}", "{}",
              E_INVALID, "bad name");
  check_error("syntax: ampersand is not raw", "{{&x}}", "{}", E_INVALID,
              "bad name");
  check_error("syntax: eq needs two operands", "{{#eq a}}{{/eq}}", "{}",
              E_INVALID, "eq needs two operands");
  check_error("syntax: eq with three operands", "{{#eq a b c}}{{/eq}}", "{}",
              E_INVALID, "eq needs two operands");
  check_error("syntax: eq unterminated literal", "{{#eq a \"b}}{{/eq}}",
              "{}", E_INVALID, "eq needs two operands");
  check_error("syntax: bad path", "{{a..b}}", "{}", E_INVALID, "bad name");
  check_error("syntax: error in unrendered branch still reported",
              "{{#no}}{{x|bogus}}{{/no}}", "{}", E_INVALID, "bogus");
  check_error("syntax: message stays on one line", "{{#a\nb}}", "{}",
              E_INVALID, "bad section name 'a b'");

  Buf out;
  buf_init(&out, 0);
  int rc = tmpl_render("{{#x}}", 6, NULL, t_load, &out, NULL, 0);
  CHECK_INT("syntax: NULL zErr is fine", rc, E_INVALID);
  char zTiny[8];
  rc = tmpl_render("{{#x}}", 6, NULL, t_load, &out, zTiny, sizeof(zTiny));
  CHECK("syntax: small zErr truncated",
        rc == E_INVALID && strlen(zTiny) == sizeof(zTiny) - 1);
  buf_free(&out);

  /* Section nesting: 64 is allowed, 65 is not. */
  char *zOpen = t_repeat("{{#a}}", 64);
  char *zClose = t_repeat("{{/a}}", 64);
  Buf src;
  buf_init(&src, 0);
  buf_printf(&src, "%sx%s", zOpen, zClose);
  check_render("nesting: 64 sections", buf_str(&src), "{\"a\":true}", "x");
  buf_reset(&src);
  buf_printf(&src, "{{#a}}%sx%s{{/a}}", zOpen, zClose);
  check_error("nesting: 65 sections", buf_str(&src), "{\"a\":true}",
              E_INVALID, "sections nested deeper than 64");
  buf_free(&src);
  free(zOpen);
  free(zClose);
}

static void test_safe_html(void) {
  json_t *pCtx = json_object();
  json_object_set_new(pCtx, "h", md_safe_html("**b** <script>x</script>"));
  json_object_set_new(pCtx, "t", md_trusted_html("<b>x</b>"));
  json_object_set_new(pCtx, "e", md_trusted_html(""));
  json_object_set_new(pCtx, "s", json_string("<b>x</b>"));
  check_ctx("safehtml: markdown emitted raw", "{{h}}", pCtx,
            "<p><strong>b</strong> <!-- raw HTML omitted -->x"
            "<!-- raw HTML omitted --></p>\n");
  check_ctx("safehtml: trusted emitted raw", "{{t}}", pCtx, "<b>x</b>");
  check_ctx("safehtml: plain string with the same text escaped", "{{s}}",
            pCtx, "&lt;b&gt;x&lt;/b&gt;");
  check_ctx("safehtml: |json treats it as a string", "{{t|json}}", pCtx,
            "\"\\u003cb\\u003ex\\u003c/b\\u003e\"");
  check_ctx("safehtml: |url treats it as a string", "{{t|url}}", pCtx,
            "%3Cb%3Ex%3C%2Fb%3E");
  check_ctx("safehtml: empty is falsy",
            "{{#e}}A{{/e}}{{^e}}B{{/e}}{{#t}}C{{/t}}", pCtx, "BC");
  check_ctx("safehtml: section does not push it", "{{#t}}[{{s}}]{{/t}}", pCtx,
            "[&lt;b&gt;x&lt;/b&gt;]");
  check_ctx("safehtml: eq compares its HTML",
            "{{#eq t \"<b>x</b>\"}}Y{{/eq}}", pCtx, "Y");
  json_decref(pCtx);
}

static void test_xss(void) {
  const char *zCtx = "{\"t\":\"\\\"><svg onload=alert(1)>\","
                     "\"q\":\"' onmouseover='alert(1)\","
                     "\"js\":\"</script><script>alert(1)</script>\"}";
  check_render("xss: double-quoted attribute, url and text",
               "<a title=\"{{t}}\" href=\"/x?q={{t|url}}\">{{t}}</a>", zCtx,
               "<a title=\"&quot;&gt;&lt;svg onload=alert(1)&gt;\" "
               "href=\"/x?q=%22%3E%3Csvg%20onload%3Dalert%281%29%3E\">"
               "&quot;&gt;&lt;svg onload=alert(1)&gt;</a>");
  check_render("xss: single-quoted attribute", "<a title='{{q}}'>", zCtx,
               "<a title='&#39; onmouseover=&#39;alert(1)'>");
  check_render("xss: script context", "<script>var t = {{js|json}};</script>",
               zCtx,
               "<script>var t = \"\\u003c/script\\u003e\\u003cscript\\u003e"
               "alert(1)\\u003c/script\\u003e\";</script>");
  check_render("ssti: {{7*7}} in a value printed literally", "{{v}}",
               "{\"v\":\"{{7*7}} ${7*7}\"}", "{{7*7}} ${7*7}");
  check_render("ssti: tags in values are not expanded",
               "{{v}}|{{#l}}{{.}}{{/l}}",
               "{\"v\":\"{{>row}}{{#a}}{{name}}{{/a}}\",\"l\":[\"{{v}}\"],"
               "\"name\":\"N\",\"a\":true}",
               "{{&gt;row}}{{#a}}{{name}}{{/a}}|{{v}}");
}

static void test_limits(void) {
  Buf out;
  char zErr[256];
  int rc = t_render_ctx("0123456789ABCDEF", NULL, 10, &out, zErr,
                        sizeof(zErr));
  CHECK("limit: output cap gives E_TOOBIG",
        rc == E_TOOBIG && strstr(zErr, "cap"));
  buf_free(&out);

  json_t *pCtx = json_pack("{s:[i,i,i,i,i,i,i,i,i,i]}", "l", 0, 1, 2, 3, 4, 5,
                           6, 7, 8, 9);
  rc = t_render_ctx("{{#l}}{{.}}{{/l}}", pCtx, 5, &out, zErr, sizeof(zErr));
  CHECK_INT("limit: cap reached inside a loop", rc, E_TOOBIG);
  buf_free(&out);

  /* 10^8 iterations with no output: the step budget stops it. */
  char *zOpen = t_repeat("{{#l}}", 8);
  char *zClose = t_repeat("{{/l}}", 8);
  Buf src;
  buf_init(&src, 0);
  buf_printf(&src, "%s%s", zOpen, zClose);
  rc = t_render_ctx(buf_str(&src), pCtx, 0, &out, zErr, sizeof(zErr));
  CHECK("limit: step budget on exponential loops",
        rc == E_TOOBIG && strstr(zErr, "steps"));
  buf_free(&out);
  buf_free(&src);
  free(zOpen);
  free(zClose);
  json_decref(pCtx);

  Buf esc;
  buf_init(&esc, 0);
  tmpl_escape_html(&esc, "<a href='x'>&\"</a>", 19);
  CHECK_STR("tmpl_escape_html", buf_str(&esc),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
  buf_free(&esc);
}

/* Runs one spec case: azSec is {template, context, expect}. */
static void spec_case(const char *zName, char **azSec) {
  char zLabel[160];
  snprintf(zLabel, sizeof(zLabel), "spec: %s", zName);
  json_error_t jerr;
  json_t *pCtx = json_loads(azSec[1], JSON_DECODE_ANY, &jerr);
  if (!pCtx) {
    printf("  bad context JSON: %s\n", jerr.text);
    CHECK(zLabel, 0);
    return;
  }
  if (strncmp(azSec[2], "!error ", 7) == 0) {
    check_error(zLabel, azSec[0], azSec[1], E_INVALID, azSec[2] + 7);
  } else {
    check_ctx(zLabel, azSec[0], pCtx, azSec[2]);
  }
  json_decref(pCtx);
}

/* Calls xCase for every case of the spec file zPath (format in the file
** header). Returns the number of cases, or -1 if the file is unreadable
** or malformed. */
static int spec_each(const char *zPath,
                     void (*xCase)(const char *, char **)) {
  FILE *pFile = fopen(zPath, "rb");
  if (!pFile) {
    return -1;
  }
  Buf file;
  buf_init(&file, 0);
  char aChunk[4096];
  size_t nRead = fread(aChunk, 1, sizeof(aChunk), pFile);
  while (nRead > 0) {
    buf_append(&file, aChunk, nRead);
    nRead = fread(aChunk, 1, sizeof(aChunk), pFile);
  }
  fclose(pFile);

  Buf aSec[3];
  int anLine[3] = {0, 0, 0};
  for (int i = 0; i < 3; i++) {
    buf_init(&aSec[i], 0);
  }
  char zName[128] = "";
  int iSec = -1; /* -1 before the first case, else the section being read */
  int nCase = 0;
  const char *z = buf_str(&file);
  const char *zEnd = z + file.n;
  while (z < zEnd) {
    const char *zEol = memchr(z, '\n', (size_t)(zEnd - z));
    size_t nLine = zEol ? (size_t)(zEol - z) : (size_t)(zEnd - z);
    int bHeader = nLine >= 4 && memcmp(z, "### ", 4) == 0;
    if (bHeader && (iSec == -1 || iSec == 2)) {
      if (iSec == 2) {
        char *azVal[3] = {aSec[0].z ? aSec[0].z : "",
                          aSec[1].z ? aSec[1].z : "",
                          aSec[2].z ? aSec[2].z : ""};
        xCase(zName, azVal);
        nCase++;
      }
      snprintf(zName, sizeof(zName), "%.*s", (int)(nLine - 4), z + 4);
      for (int i = 0; i < 3; i++) {
        buf_reset(&aSec[i]);
        anLine[i] = 0;
      }
      iSec = 0;
    } else if (iSec >= 0 && nLine == 11 && memcmp(z, "--- context", 11) == 0) {
      iSec = 1;
    } else if (iSec >= 0 && nLine == 10 && memcmp(z, "--- expect", 10) == 0) {
      iSec = 2;
    } else if (iSec >= 0) {
      if (anLine[iSec]++ > 0) {
        buf_putc(&aSec[iSec], '\n');
      }
      buf_append(&aSec[iSec], z, nLine);
    }
    z += nLine + 1;
  }
  if (iSec == 2) {
    char *azVal[3] = {aSec[0].z ? aSec[0].z : "", aSec[1].z ? aSec[1].z : "",
                      aSec[2].z ? aSec[2].z : ""};
    xCase(zName, azVal);
    nCase++;
  } else if (iSec >= 0) {
    nCase = -1;
  }
  for (int i = 0; i < 3; i++) {
    buf_free(&aSec[i]);
  }
  buf_free(&file);
  return nCase;
}

int main(int argc, char **argv) {
  test_variables();
  test_context_stack();
  test_escaping();
  test_sections();
  test_eq();
  test_partials();
  test_syntax_errors();
  test_safe_html();
  test_xss();
  test_limits();

  const char *zSpec = argc > 1 ? argv[1] : "tests/spec/tmpl.txt";
  int nCase = spec_each(zSpec, spec_case);
  CHECK("spec: file read with at least 15 cases", nCase >= 15);
  if (nCase < 15) {
    printf("  %s: %d cases\n", zSpec, nCase);
  }
  return harness_exit();
}
