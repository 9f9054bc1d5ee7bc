/* test_form: urlencoded bodies and URL unescaping. */
#include <stdlib.h>

#include "err.h"
#include "form.h"
#include "harness.h"

static json_t *pForm;
static char zErr[256];

static int parse(const char *z) {
  json_decref(pForm);
  pForm = NULL;
  zErr[0] = 0;
  return form_parse_urlencoded(z, strlen(z), &pForm, zErr, sizeof(zErr));
}

static const char *field(const char *zName) {
  return json_string_value(json_object_get(pForm, zName));
}

static const char *unescaped(const char *z) {
  static char zBuf[256];
  snprintf(zBuf, sizeof(zBuf), "%s", z);
  size_t n = form_unescape_url(zBuf);
  return n == strlen(zBuf) ? zBuf : "(bad length)";
}

int main(void) {
  CHECK_INT("simple form parses", parse("a=1&b=two+words"), 0);
  CHECK_STR("first field", field("a"), "1");
  CHECK_STR("plus is a space", field("b"), "two words");
  CHECK_INT("escapes", parse("t=%3Cb%3E%20%26%3d&e="), 0);
  CHECK_STR("escapes decode", field("t"), "<b> &=");
  CHECK_STR("empty value", field("e"), "");
  CHECK_INT("name without =", parse("flag&x=1"), 0);
  CHECK_STR("name without = is empty", field("flag"), "");
  CHECK_INT("empty pairs are skipped", parse("&&a=1&&"), 0);
  CHECK_INT("only one field", (int)json_object_size(pForm), 1);
  CHECK_INT("empty body", parse(""), 0);
  CHECK("empty body is an empty object",
        json_is_object(pForm) && json_object_size(pForm) == 0);
  CHECK_INT("repeated names", parse("c=x&c=y&c=z"), 0);
  CHECK("repeated names become an array",
        json_is_array(json_object_get(pForm, "c")) &&
            json_array_size(json_object_get(pForm, "c")) == 3);
  CHECK_STR("array keeps order",
            json_string_value(json_array_get(json_object_get(pForm, "c"), 2)),
            "z");
  CHECK_INT("UTF-8 is fine", parse("n=%C3%A9t%C3%A9"), 0);
  CHECK_STR("UTF-8 decodes", field("n"), "\xc3\xa9t\xc3\xa9");

  CHECK_INT("lone percent", parse("a=%"), E_INVALID);
  CHECK("no object on failure", pForm == NULL);
  CHECK_STR("message", zErr, "malformed form encoding");
  CHECK_INT("short escape", parse("a=%4"), E_INVALID);
  CHECK_INT("bad hex", parse("a=%zz"), E_INVALID);
  CHECK_INT("bad escape in a name", parse("%g1=x"), E_INVALID);
  CHECK_INT("%00 in a value", parse("a=x%00y"), E_INVALID);
  CHECK_STR("the field is named", zErr, "field a is not valid UTF-8");
  CHECK_INT("invalid UTF-8 in a name", parse("%FF=1"), E_INVALID);
  CHECK_STR("a bad name is not echoed", zErr,
            "field (name) is not valid UTF-8");
  CHECK_INT("overlong UTF-8", parse("a=%C0%AF"), E_INVALID);
  CHECK_INT("surrogate", parse("a=%ED%A0%80"), E_INVALID);
  static const char aRawNul[] = "a=1\0&b=2";
  CHECK_INT("a raw NUL byte is refused",
            form_parse_urlencoded(aRawNul, sizeof(aRawNul) - 1, &pForm, zErr,
                                  sizeof(zErr)),
            E_INVALID);
  /* The length bounds the input: bytes after n are never read. */
  CHECK_INT("length bounds the input",
            form_parse_urlencoded("a=12%", 4, &pForm, zErr, sizeof(zErr)), 0);
  CHECK_STR("value cut at n", field("a"), "12");

  size_t nBig = 6 * (FORM_MAX_FIELDS + 1);
  char *zBig = malloc(nBig + 1);
  for (int i = 0; i <= FORM_MAX_FIELDS; i++) {
    memcpy(zBig + 6 * i, "k=vvv&", 6);
  }
  zBig[nBig] = 0;
  CHECK_INT("too many fields is E_TOOBIG", parse(zBig), E_TOOBIG);
  zBig[6 * FORM_MAX_FIELDS] = 0;
  CHECK_INT("the limit itself is fine", parse(zBig), 0);
  free(zBig);

  CHECK_STR("unescape plain", unescaped("/app/incidents"), "/app/incidents");
  CHECK_STR("unescape %2e%2e", unescaped("/static/%2e%2e%2Fx"), "/static/../x");
  CHECK_STR("unescape keeps %00", unescaped("/healthz%00.js"),
            "/healthz%00.js");
  CHECK_STR("unescape keeps a lone %", unescaped("/x%"), "/x%");
  CHECK_STR("unescape keeps a short escape", unescaped("/x%4"), "/x%4");
  CHECK_STR("unescape keeps bad hex", unescaped("/x%g0"), "/x%g0");
  CHECK_STR("unescape leaves +", unescaped("a+b"), "a+b");
  CHECK_STR("unescape %25 once", unescaped("%2500"), "%00");
  json_decref(pForm);
  return harness_exit();
}
