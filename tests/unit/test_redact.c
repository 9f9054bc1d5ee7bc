/*
** test_redact.c: unit tests for redact.c: each kind of secret, things that
** must be left alone, extra keys, e-mails on and off, and odd bytes.
** Single-threaded.
*/
#include <string.h>

#include "buf.h"
#include "harness.h"
#include "redact.h"

/* Redacts zIn and checks the text and the count. */
static void check(const char *zName, const char *zIn, int bEmails,
                  const char *const *azExtra, const char *zWant,
                  int nWant) {
  Buf out;
  buf_init(&out, 0);
  int n = redact_text_keys(zIn, strlen(zIn), bEmails, azExtra, &out);
  CHECK_STR(zName, buf_str(&out), zWant);
  char zCount[160];
  snprintf(zCount, sizeof(zCount), "%s: count", zName);
  CHECK_INT(zCount, n, nWant);
  buf_free(&out);
}

int main(void) {
  check("query string",
        "GET /login?user=bob&password=hunter2&next=/ HTTP/1.1", 0, NULL,
        "GET /login?user=bob&password=***&next=/ HTTP/1.1", 1);
  check("several keys, any case",
        "?Token=abc&API_KEY=k1&apikey=k2&secret=s&pwd=p&passwd=q&key=z", 0,
        NULL, "?Token=***&API_KEY=***&apikey=***&secret=***&pwd=***"
              "&passwd=***&key=***", 7);
  check("access_token", "cb?access_token=ya29.a0Af&x=1", 0, NULL,
        "cb?access_token=***&x=1", 1);
  check("suffix keys", "client_secret=abc x-api-key: k db.password=pw", 0,
        NULL, "client_secret=*** x-api-key: *** db.password=***", 3);
  check("key: value", "password: hunter2 next", 0, NULL,
        "password: *** next", 1);
  check("JSON", "{\"user\":\"bob\",\"password\":\"hu\\\"nter2\",\"n\":1}", 0,
        NULL, "{\"user\":\"bob\",\"password\":\"***\",\"n\":1}", 1);
  check("JSON with spaces", "{\"token\" : \"abc\"}", 0, NULL,
        "{\"token\" : \"***\"}", 1);
  check("JSON object value kept", "{\"key\": {\"id\": 1}}", 0, NULL,
        "{\"key\": {\"id\": 1}}", 0);
  check("userinfo", "postgres://app:s3cr3t@db:5432/x and ftp://anon@h/", 0,
        NULL, "postgres://app:***@db:5432/x and ftp://anon@h/", 1);
  check("Authorization Bearer",
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.x\r\nHost: h", 0,
        NULL, "Authorization: Bearer ***\r\nHost: h", 1);
  check("Authorization Basic in JSON",
        "{\"authorization\":\"Basic dXNlcjpwYXNz\"}", 0, NULL,
        "{\"authorization\":\"Basic ***\"}", 1);
  check("bare bearer", "sent bearer abcdefgh12345 to x", 0, NULL,
        "sent bearer *** to x", 1);
  check("short bearer word kept", "the bearer of news", 0, NULL,
        "the bearer of news", 0);
  check("no false friends",
        "monkey=1 keyboard=2 passport=3 tokens are fine, secretary=4", 0,
        NULL, "monkey=1 keyboard=2 passport=3 tokens are fine, secretary=4",
        0);
  check("empty value", "password=&x=1", 0, NULL, "password=&x=1", 0);
  check("email off", "from alice.smith+x@example.co.uk", 0, NULL,
        "from alice.smith+x@example.co.uk", 0);
  check("email on", "from alice.smith+x@example.co.uk, bob@h.io.", 1, NULL,
        "from ***, ***.", 2);
  check("not an email", "user@localhost and @mention and a@b.c1", 1, NULL,
        "user@localhost and @mention and a@b.c1", 0);
  const char *const azExtra[] = {"session_id", "pin", NULL};
  check("extra keys", "session_id=abc&pin=1234&x-session-id=z", 0, azExtra,
        "session_id=***&pin=***&x-session-id=***", 3);
  check("empty", "", 1, NULL, "", 0);
  check("scheme is not a key value", "token://abc", 0, NULL, "token://abc",
        0);
  Buf out;
  buf_init(&out, 0);
  const char zBin[] = "pass\0word=x\xff password=\xff\xfe y";
  int n = redact_text(zBin, sizeof(zBin) - 1, 1, &out);
  CHECK_INT("binary: one mask", n, 1);
  CHECK_INT("binary: length", out.n, sizeof(zBin) - 1 - 2 + 3);
  buf_free(&out);
  buf_init(&out, 8);
  redact_text("password=hunter2 and more", 25, 0, &out);
  CHECK("capped Buf reports", buf_err(&out) != 0);
  buf_free(&out);
  return harness_exit();
}
