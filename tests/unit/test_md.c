/*
** test_md.c: unit tests for md.c (the cmark wrapper and SafeHtml), plus the
** data-driven cases in tests/spec/md.txt (or the file named by argv[1]).
**
** Spec file format: lines before the first case are comments. Each case is
**   ### name
**   <markdown lines>
**   --- expect
**   <expected HTML lines>
** and runs until the next "### " line that follows an expect section, or the
** end of the file (so Markdown may itself contain "### heading" lines). The
** final newline of each section is not part of its value; cmark's output
** has its final newline dropped the same way before comparing.
**
** Single-threaded.
*/
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "err.h"
#include "harness.h"
#include "md.h"

#define MIB ((size_t)1 << 20)

/* Renders z (n bytes) and checks the HTML is exactly zWant. */
static void check_md_n(const char *zName, const char *z, size_t n,
                       const char *zWant) {
  char *zHtml = md_render(z, n);
  CHECK_STR(zName, zHtml, zWant);
  free(zHtml);
}

static void check_md(const char *zName, const char *z, const char *zWant) {
  check_md_n(zName, z, strlen(z), zWant);
}

/* Returns 1 if URL zUrl (the decoded attribute value) would run script or
** load a dangerous scheme in a browser: leading C0 controls and spaces are
** skipped and tabs/newlines removed, as the WHATWG URL parser does. */
static int url_is_dangerous(const char *zUrl) {
  char zNorm[64];
  size_t n = 0;
  while (*zUrl && (unsigned char)*zUrl <= 0x20) {
    zUrl++;
  }
  for (; *zUrl && n < sizeof(zNorm) - 1; zUrl++) {
    if (*zUrl != '\t' && *zUrl != '\n' && *zUrl != '\r') {
      zNorm[n++] = (char)tolower((unsigned char)*zUrl);
    }
  }
  zNorm[n] = 0;
  if (strncmp(zNorm, "data:image/png", 14) == 0 ||
      strncmp(zNorm, "data:image/gif", 14) == 0 ||
      strncmp(zNorm, "data:image/jpeg", 15) == 0 ||
      strncmp(zNorm, "data:image/webp", 15) == 0) {
    return 0;
  }
  return strncmp(zNorm, "javascript:", 11) == 0 ||
         strncmp(zNorm, "vbscript:", 9) == 0 ||
         strncmp(zNorm, "file:", 5) == 0 || strncmp(zNorm, "data:", 5) == 0;
}

/* Decodes the entities cmark writes in attributes (&amp; &quot; &lt; &gt;
** &#N; &#xN;) from z[0..n) into zOut (nOut bytes). */
static void attr_decode(const char *z, size_t n, char *zOut, size_t nOut) {
  size_t j = 0;
  for (size_t i = 0; i < n && j + 1 < nOut; i++) {
    char c = z[i];
    if (c == '&') {
      const char *zSemi = memchr(z + i, ';', n - i);
      if (zSemi) {
        size_t nEnt = (size_t)(zSemi - (z + i)) + 1;
        long cp = -1;
        if (nEnt == 5 && memcmp(z + i, "&amp;", 5) == 0) {
          cp = '&';
        } else if (nEnt == 6 && memcmp(z + i, "&quot;", 6) == 0) {
          cp = '"';
        } else if (nEnt == 4 && memcmp(z + i, "&lt;", 4) == 0) {
          cp = '<';
        } else if (nEnt == 4 && memcmp(z + i, "&gt;", 4) == 0) {
          cp = '>';
        } else if (nEnt > 3 && z[i + 1] == '#') {
          int bHex = z[i + 2] == 'x' || z[i + 2] == 'X';
          cp = strtol(z + i + (bHex ? 3 : 2), NULL, bHex ? 16 : 10);
        }
        if (cp >= 0 && cp < 0x80) {
          c = (char)cp;
          i += nEnt - 1;
        }
      }
    }
    zOut[j++] = c;
  }
  zOut[j] = 0;
}

/* Returns 1 if some href= or src= attribute of zHtml is dangerous. */
static int html_has_dangerous_url(const char *zHtml) {
  static const char *azAttr[] = {" href=\"", " src=\""};
  for (int k = 0; k < 2; k++) {
    for (const char *z = strstr(zHtml, azAttr[k]); z;
         z = strstr(z, azAttr[k])) {
      z += strlen(azAttr[k]);
      const char *zEnd = strchr(z, '"');
      if (!zEnd) {
        return 1;
      }
      char zUrl[256];
      attr_decode(z, (size_t)(zEnd - z), zUrl, sizeof(zUrl));
      if (url_is_dangerous(zUrl)) {
        return 1;
      }
      z = zEnd;
    }
  }
  return 0;
}

/* Checks that rendering z gives no dangerous URL and, when zWant is not
** NULL, exactly zWant. */
static void check_safe(const char *zName, const char *z, const char *zWant) {
  char *zHtml = md_render(z, strlen(z));
  int bOk = !html_has_dangerous_url(zHtml) &&
            (!zWant || strcmp(zHtml, zWant) == 0);
  CHECK(zName, bOk);
  if (!bOk) {
    printf("  got:  %s  want: %s\n", zHtml, zWant ? zWant : "(no bad URL)");
  }
  free(zHtml);
}

static void test_basic(void) {
  check_md("md: heading and list", "# Title\n\n- a\n- b\n",
           "<h1>Title</h1>\n<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n");
  check_md("md: ordered list and quote", "> q\n\n1. one\n2. two",
           "<blockquote>\n<p>q</p>\n</blockquote>\n<ol>\n<li>one</li>\n"
           "<li>two</li>\n</ol>\n");
  check_md("md: code is escaped", "`code <b>`",
           "<p><code>code &lt;b&gt;</code></p>\n");
  check_md("md: empty input", "", "");
  check_md_n("md: NULL input", NULL, 0, "");
  check_md_n("md: NUL byte becomes U+FFFD", "a\0b", 3,
             "<p>a\xEF\xBF\xBD" "b</p>\n");
  check_md_n("md: length is honoured", "**x** ignored", 5,
             "<p><strong>x</strong></p>\n");
}

static void test_raw_html(void) {
  check_md("raw: script omitted", "<script>alert(1)</script>",
           "<!-- raw HTML omitted -->\n");
  check_md("raw: img onerror omitted", "x <img src=x onerror=alert(1)> y",
           "<p>x <!-- raw HTML omitted --> y</p>\n");
  check_md("raw: iframe omitted", "<iframe src=//evil.example></iframe>",
           "<!-- raw HTML omitted -->\n");
  check_md("raw: inline anchor omitted", "<a href=\"javascript:x\">y</a>",
           "<p><!-- raw HTML omitted -->y<!-- raw HTML omitted --></p>\n");
  check_md("raw: svg onload omitted", "\"><svg onload=alert(1)>",
           "<p>&quot;&gt;<!-- raw HTML omitted --></p>\n");
}

static void test_links(void) {
  const char *zEmpty = "<p><a href=\"\">x</a></p>\n";
  check_safe("link: javascript:", "[x](javascript:alert(1))", zEmpty);
  check_safe("link: JaVaScRiPt:", "[x](JaVaScRiPt:alert(1))", zEmpty);
  check_safe("link: vbscript:", "[x](vbscript:msgbox(1))", zEmpty);
  check_safe("link: file:///etc/passwd", "[x](file:///etc/passwd)", zEmpty);
  check_safe("link: data:text/html",
             "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
             zEmpty);
  check_safe("link: reference definition", "[x][r]\n\n[r]: javascript:a()",
             zEmpty);
  check_safe("link: &#106;avascript: decoded then dropped",
             "[x](&#106;avascript:alert(1))", zEmpty);
  check_safe("link: javascript&#58 is no colon",
             "[x](javascript&#58alert(1))",
             "<p><a href=\"javascript&amp;#58alert(1)\">x</a></p>\n");
  check_safe("link: tab inside the scheme is not a link",
             "<java\tscript:alert(1)>",
             "<p>&lt;java\tscript:alert(1)&gt;</p>\n");
  check_safe("link: autolink javascript:", "<javascript:alert(1)>",
             "<p><a href=\"\">javascript:alert(1)</a></p>\n");
  check_safe("link: leading \\x01 percent-encoded",
             "[x](<\x01javascript:alert(1)>)",
             "<p><a href=\"%01javascript:alert(1)\">x</a></p>\n");
  check_safe("link: percent-encoded letter stays relative",
             "[x](%6Aavascript:alert(1))", NULL);
  check_safe("image: data:image/png allowed",
             "![x](data:image/png;base64,AAAA)",
             "<p><img src=\"data:image/png;base64,AAAA\" alt=\"x\" /></p>\n");
  check_safe("image: data:image/svg+xml dropped",
             "![x](data:image/svg+xml;base64,PHN2Zz4=)",
             "<p><img src=\"\" alt=\"x\" /></p>\n");
  check_safe("link: https kept and escaped",
             "[x](https://ok.example/?a=1&b=\"2\")",
             "<p><a href=\"https://ok.example/?a=1&amp;b=%222%22\">x</a>"
             "</p>\n");
  CHECK("checker: flags an executable href",
        html_has_dangerous_url("<a href=\"&#x6A;avascript:x\">") &&
            html_has_dangerous_url("<a href=\" \tjava\nscript:x\">") &&
            !html_has_dangerous_url("<img src=\"data:image/png;x\">"));
}

/* Returns n copies of z concatenated, optionally after zPrefix. NEW. */
static char *md_repeat(const char *zPrefix, const char *z, size_t n,
                       size_t *pn) {
  size_t nPre = strlen(zPrefix), nZ = strlen(z);
  char *zOut = xmalloc(nPre + nZ * n + 1);
  memcpy(zOut, zPrefix, nPre);
  for (size_t i = 0; i < n; i++) {
    memcpy(zOut + nPre + i * nZ, z, nZ);
  }
  *pn = nPre + nZ * n;
  zOut[*pn] = 0;
  return zOut;
}

/* Renders a pathological input and checks that HTML came out. */
static void check_pathological(const char *zName, const char *zPrefix,
                               const char *z, size_t nRep) {
  size_t n;
  char *zIn = md_repeat(zPrefix, z, nRep, &n);
  char *zHtml = md_render(zIn, n);
  CHECK(zName, zHtml && strlen(zHtml) > 0);
  free(zHtml);
  free(zIn);
}

/* Returns 1 if z[0..n) is well-formed UTF-8. */
static int utf8_valid(const unsigned char *z, size_t n) {
  size_t i = 0;
  while (i < n) {
    size_t nLen = z[i] < 0x80 ? 1 : z[i] < 0xC2 ? 0 : z[i] < 0xE0 ? 2
                : z[i] < 0xF0 ? 3 : z[i] < 0xF5 ? 4 : 0;
    if (nLen == 0 || i + nLen > n) {
      return 0;
    }
    for (size_t k = 1; k < nLen; k++) {
      if ((z[i + k] & 0xC0) != 0x80) {
        return 0;
      }
    }
    i += nLen;
  }
  return 1;
}

static void test_pathological(void) {
  check_pathological("patho: 50000 nested [", "", "[", 50000);
  check_pathological("patho: a + <!-- x 50000", "a", "<!--", 50000);
  check_pathological("patho: 1 MB of >", "", ">", MIB);
  check_pathological("patho: 1 MB of -", "", "-", MIB);
  check_pathological("patho: 1000-deep list", "", "- ", 1000);
  check_pathological("patho: 50000 unmatched emphasis", "", "*a _b ", 50000);
  check_pathological("patho: 50000 unclosed links", "", "[a](", 50000);
  check_pathological("patho: backtick runs", "", "`a``b```", 20000);

  /* 5 MiB: only the first 4 MiB are rendered. */
  size_t n;
  char *zIn = md_repeat("", "a", 5 * MIB, &n);
  char *zHtml = md_render(zIn, n);
  CHECK_INT("truncate: 5 MiB input rendered as 4 MiB", strlen(zHtml),
            4 * MIB + strlen("<p></p>\n"));
  free(zHtml);
  free(zIn);

  /* "x" then 2-byte characters: byte 4 MiB is a continuation byte, so the
  ** cut moves back one byte and the output stays valid UTF-8. */
  zIn = md_repeat("x", "\xC3\xA9", 5 * MIB / 2, &n);
  zHtml = md_render(zIn, n);
  size_t nHtml = strlen(zHtml);
  CHECK("truncate: cut at a UTF-8 boundary",
        nHtml == 4 * MIB - 1 + strlen("<p></p>\n") &&
            utf8_valid((const unsigned char *)zHtml, nHtml));
  free(zHtml);
  free(zIn);
}

static void test_safe_html(void) {
  json_t *p = md_safe_html("# T <script>");
  CHECK_STR("safe: markdown wrapped", md_safe_html_str(p),
            "<h1>T <!-- raw HTML omitted --></h1>\n");
  char *zJson = json_dumps(p, JSON_COMPACT);
  CHECK("safe: serializes as JSON", zJson != NULL);
  free(zJson);
  json_decref(p);

  p = md_safe_html(NULL);
  CHECK_STR("safe: NULL markdown is empty", md_safe_html_str(p), "");
  json_decref(p);

  p = md_trusted_html("<b>ok</b>");
  CHECK_STR("trusted: wrapped as is", md_safe_html_str(p), "<b>ok</b>");
  json_decref(p);

  /* Invalid UTF-8 (possible from form input) is repaired, so the value
  ** exists and the model still serializes. */
  p = md_safe_html("\xFF <b>\xC3");
  zJson = p ? json_dumps(p, JSON_COMPACT) : NULL;
  CHECK("safe: invalid UTF-8 repaired",
        p && zJson && strstr(md_safe_html_str(p), "\xEF\xBF\xBD"));
  free(zJson);
  json_decref(p);
  p = md_trusted_html("a\xED\xA0\x80z");
  CHECK_STR("trusted: surrogate bytes repaired", md_safe_html_str(p),
            "a\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDz");
  json_decref(p);

  CHECK("safe_str: NULL", md_safe_html_str(NULL) == NULL);
  json_t *pStr = json_string("<b>");
  CHECK("safe_str: plain string is not SafeHtml",
        md_safe_html_str(pStr) == NULL);
  json_decref(pStr);
  json_t *pObj = json_pack("{s:s}", "safe_html", "<b>");
  CHECK("safe_str: key without \\x01 is not SafeHtml",
        md_safe_html_str(pObj) == NULL);
  json_decref(pObj);
  pObj = json_pack("{s:s, s:i}", "\x01" "safe_html", "<b>", "x", 1);
  CHECK("safe_str: extra keys are not SafeHtml",
        md_safe_html_str(pObj) == NULL);
  json_decref(pObj);
  pObj = json_pack("{s:i}", "\x01" "safe_html", 1);
  CHECK("safe_str: non-string value is not SafeHtml",
        md_safe_html_str(pObj) == NULL);
  json_decref(pObj);
}

/* Runs one spec case: azSec is {markdown, unused, expected HTML}. */
static void spec_case(const char *zName, char **azSec) {
  char zLabel[160];
  snprintf(zLabel, sizeof(zLabel), "spec: %s", zName);
  char *zHtml = md_render(azSec[0], strlen(azSec[0]));
  size_t n = strlen(zHtml);
  if (n > 0 && zHtml[n - 1] == '\n') {
    zHtml[n - 1] = 0;
  }
  CHECK_STR(zLabel, zHtml, azSec[2]);
  char zSafeLabel[200];
  snprintf(zSafeLabel, sizeof(zSafeLabel), "%s (no dangerous URL)", zLabel);
  CHECK(zSafeLabel, !html_has_dangerous_url(zHtml));
  free(zHtml);
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

/* md_plain() of z, in a static buffer. */
static const char *plain_of(const char *z) {
  static char zOut[4096];
  Buf b;
  buf_init(&b, sizeof(zOut) - 1);
  md_plain(z, strlen(z), &b);
  snprintf(zOut, sizeof(zOut), "%s", buf_err(&b) ? "(too big)" : buf_str(&b));
  buf_free(&b);
  return zOut;
}

static void test_plain(void) {
  CHECK_STR("plain: emphasis and escapes resolved",
            plain_of("A **routine** \\#1 change _here_."),
            "A routine #1 change here.\n");
  CHECK_STR("plain: heading and paragraph on their own lines",
            plain_of("## Root cause\n\nThe LB sent\nall traffic."),
            "Root cause\nThe LB sent all traffic.\n");
  CHECK_STR("plain: list items one a line",
            plain_of("- **Incident:** #1\n- SEV2 `code`\n"),
            "Incident: #1\nSEV2 code\n");
  CHECK_STR("plain: link text kept, address dropped",
            plain_of("see [the runbook](https://wiki.example/lb) now"),
            "see the runbook now\n");
  CHECK_STR("plain: raw HTML dropped, entities decoded",
            plain_of("a <b>bold</b> &amp; <script>x()</script> b"),
            "a bold & x() b\n");
  CHECK_STR("plain: code block kept", plain_of("```\nSELECT 1;\n```\n"),
            "SELECT 1;\n");
  CHECK_STR("plain: empty", plain_of(""), "");
}

int main(int argc, char **argv) {
  test_basic();
  test_plain();
  test_raw_html();
  test_links();
  test_pathological();
  test_safe_html();

  const char *zSpec = argc > 1 ? argv[1] : "tests/spec/md.txt";
  int nCase = spec_each(zSpec, spec_case);
  CHECK("spec: file read with at least 10 cases", nCase >= 10);
  if (nCase < 10) {
    printf("  %s: %d cases\n", zSpec, nCase);
  }

  /* The HTML cap: 60,000 ">" nest as many blockquotes (1.7 MB). */
  char *zDeep = xmalloc(60001);
  memset(zDeep, '>', 60000);
  zDeep[60000] = 0;
  int bCut = 0;
  json_t *pDeep = md_safe_html_cut(zDeep, &bCut);
  const char *zHtml = md_safe_html_str(pDeep);
  CHECK("deep nesting is cut", bCut);
  CHECK("within the cap (twice the source)",
        zHtml && strlen(zHtml) <= 120000 + 200);
  CHECK("with a note", zHtml && strstr(zHtml, "cut here"));
  json_decref(pDeep);
  free(zDeep);
  json_t *pPlain = md_safe_html_cut("*fine*", &bCut);
  CHECK("ordinary text is not cut", !bCut);
  CHECK_STR("and renders as before", md_safe_html_str(pPlain),
            "<p><em>fine</em></p>\n");
  json_decref(pPlain);
  return harness_exit();
}
