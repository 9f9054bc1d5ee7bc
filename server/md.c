/*
** md.c: the one wrapper around cmark, and the SafeHtml value.
**
** md_render() calls cmark with CMARK_OPT_DEFAULT and never CMARK_OPT_UNSAFE,
** so raw HTML comes out as "<!-- raw HTML omitted -->" and links to
** javascript:, vbscript:, file: and data: (except data:image/png, gif, jpeg
** and webp) get an empty href/src. Input is capped at MD_MAX_INPUT bytes,
** cut at a UTF-8 character boundary, which bounds cmark's worst cases.
**
** SafeHtml is a jansson object with exactly one key, MD_SAFE_KEY, whose value
** is the HTML string. The key starts with \x01 and handlers never copy user
** JSON objects into template models, so user data cannot forge one. The HTML
** is always valid UTF-8 (invalid bytes become U+FFFD), so a model holding
** SafeHtml still serializes for ?format=json.
**
** It does not sanitize HTML from other sources: md_trusted_html() trusts
** its caller.
**
** Threading: no shared state; cmark's default allocator is malloc.
*/
#include "md.h"

#include <cmark.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"

#define MD_MAX_INPUT ((size_t)4 << 20) /* bytes of Markdown rendered */
#define MD_SAFE_KEY "\x01" "safe_html" /* the one key of a SafeHtml */

/* Returns how many of z's n bytes to render: all, or MD_MAX_INPUT moved
** back (at most 3 bytes) so the cut does not split a UTF-8 character. */
static size_t md_clip(const char *z, size_t n) {
  if (n <= MD_MAX_INPUT) {
    return n;
  }
  size_t i = MD_MAX_INPUT;
  /* z[i] is the first byte dropped; a continuation byte there means its
  ** character started earlier, so cut before that character's lead byte. */
  while (i > MD_MAX_INPUT - 3 && ((unsigned char)z[i] & 0xC0) == 0x80) {
    i--;
  }
  return i;
}

char *md_render(const char *z, size_t n) {
  if (!z) {
    z = "";
    n = 0;
  }
  /* cmark allocates with its default allocator (calloc/realloc), so the
  ** caller frees the result with free(); no copy is made. */
  char *zHtml = cmark_markdown_to_html(z, md_clip(z, n), CMARK_OPT_DEFAULT);
  return zHtml ? zHtml : xstrdup("");
}

/* Whether the node ends a line of plain text: a block. */
static int md_is_block(cmark_node_type t) {
  return t == CMARK_NODE_PARAGRAPH || t == CMARK_NODE_HEADING ||
         t == CMARK_NODE_ITEM || t == CMARK_NODE_BLOCK_QUOTE ||
         t == CMARK_NODE_LIST || t == CMARK_NODE_CODE_BLOCK ||
         t == CMARK_NODE_THEMATIC_BREAK;
}

/* Starts a new line in pOut unless it is empty or one was just started. */
static void md_newline(Buf *pOut) {
  if (pOut->n > 0 && pOut->z[pOut->n - 1] != '\n') {
    buf_putc(pOut, '\n');
  }
}

void md_plain(const char *z, size_t n, Buf *pOut) {
  if (!z) {
    z = "";
    n = 0;
  }
  cmark_node *pDoc = cmark_parse_document(z, md_clip(z, n), CMARK_OPT_DEFAULT);
  if (!pDoc) {
    return;
  }
  cmark_iter *pIter = cmark_iter_new(pDoc);
  cmark_event_type ev;
  while ((ev = cmark_iter_next(pIter)) != CMARK_EVENT_DONE) {
    cmark_node *pNode = cmark_iter_get_node(pIter);
    cmark_node_type t = cmark_node_get_type(pNode);
    if (ev == CMARK_EVENT_EXIT) {
      if (md_is_block(t)) {
        md_newline(pOut);
      }
      continue;
    }
    const char *zLit;
    switch (t) {
    case CMARK_NODE_TEXT:
    case CMARK_NODE_CODE:
    case CMARK_NODE_CODE_BLOCK:
      zLit = cmark_node_get_literal(pNode);
      buf_puts(pOut, zLit ? zLit : "");
      if (t == CMARK_NODE_CODE_BLOCK) {
        md_newline(pOut); /* a leaf: no EXIT event */
      }
      break;
    case CMARK_NODE_SOFTBREAK:
      buf_putc(pOut, ' ');
      break;
    case CMARK_NODE_LINEBREAK:
    case CMARK_NODE_THEMATIC_BREAK:
      md_newline(pOut);
      break;
    default:
      break; /* raw HTML is dropped, as md_render omits it */
    }
  }
  cmark_iter_free(pIter);
  cmark_node_free(pDoc);
}

/* Returns the length (1-4) of the well-formed UTF-8 character at z, which
** has n bytes left, or 0 if it is malformed (the rules jansson enforces:
** no overlongs, no surrogates, nothing past U+10FFFF). */
static size_t md_utf8_len(const unsigned char *z, size_t n) {
  unsigned c = z[0];
  size_t nLen;
  unsigned cp;
  if (c < 0x80) {
    return 1;
  }
  if (c < 0xC2) {
    return 0;
  }
  if (c < 0xE0) {
    nLen = 2;
    cp = c & 0x1F;
  } else if (c < 0xF0) {
    nLen = 3;
    cp = c & 0x0F;
  } else if (c < 0xF5) {
    nLen = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (nLen > n) {
    return 0;
  }
  for (size_t i = 1; i < nLen; i++) {
    if ((z[i] & 0xC0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (z[i] & 0x3F);
  }
  if ((nLen == 3 && cp < 0x800) || (nLen == 4 && cp < 0x10000) ||
      cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return nLen;
}

/* Returns a copy of z with each malformed UTF-8 byte replaced by U+FFFD.
** NEW: free(). */
static char *md_utf8_repair(const char *z) {
  size_t n = strlen(z);
  char *zOut = xmalloc(n * 3 + 1);
  size_t nOut = 0;
  const unsigned char *zIn = (const unsigned char *)z;
  size_t i = 0;
  while (i < n) {
    size_t nLen = md_utf8_len(zIn + i, n - i);
    if (nLen == 0) {
      memcpy(zOut + nOut, "\xEF\xBF\xBD", 3);
      nOut += 3;
      i++;
    } else {
      memcpy(zOut + nOut, zIn + i, nLen);
      nOut += nLen;
      i += nLen;
    }
  }
  zOut[nOut] = 0;
  return zOut;
}

/* jansson returns NULL here only when out of memory. */
static void md_oom(void) {
  fprintf(stderr, "hindsight: out of memory (jansson)\n");
  abort();
}

/* Wraps zHtml (BORROWED) as a NEW SafeHtml value. */
static json_t *md_wrap(const char *zHtml) {
  json_t *pStr = json_string(zHtml);
  if (!pStr) {
    char *zFixed = md_utf8_repair(zHtml);
    pStr = json_string(zFixed);
    free(zFixed);
  }
  json_t *pObj = json_object();
  if (!pStr || !pObj || json_object_set_new(pObj, MD_SAFE_KEY, pStr)) {
    md_oom();
  }
  return pObj;
}

/* The length of the first n bytes of z cut back to a character boundary. */
static size_t md_char_floor(const char *z, size_t n) {
  while (n > 0 && ((unsigned char)z[n] & 0xC0) == 0x80) {
    n--;
  }
  return n;
}

/* What a cut render ends with: our own words, no user data. */
#define MD_CUT_NOTE                                                           \
  "<p class=\"cut\"><em>\xe2\x80\xa6 cut here: this text renders too"     \
  " large to show whole.</em></p>\n"

/* Renders z like md_render(), within the HTML cap of md.h; sets *pbCut
** when it had to cut. NEW (free()). */
static char *md_render_capped(const char *z, int *pbCut) {
  size_t n = z ? strlen(z) : 0;
  char *zHtml = md_render(z, n);
  size_t nHtml = strlen(zHtml);
  size_t nCap = n * MD_HTML_FACTOR;
  if (nCap < MD_HTML_MIN) {
    nCap = MD_HTML_MIN;
  }
  *pbCut = 0;
  if (nHtml <= nCap) {
    return zHtml;
  }
  /* Nesting or escapes blow this text up: render a shorter prefix, shrunk
  ** by the overshoot, a few times at most (each try is linear). */
  size_t nSrc = n;
  for (int iTry = 0; iTry < 4 && nHtml > nCap; iTry++) {
    free(zHtml);
    nSrc = md_char_floor(z, (size_t)((double)nSrc * nCap / nHtml * 0.8));
    zHtml = md_render(z, nSrc);
    nHtml = strlen(zHtml);
  }
  if (nHtml > nCap) {
    /* Still too big: the start of the text, escaped, no markup. */
    free(zHtml);
    Buf b;
    buf_init(&b, nCap + 64);
    buf_puts(&b, "<p>");
    size_t nText = md_char_floor(z, n < nCap / 8 ? n : nCap / 8);
    for (size_t i = 0; i < nText; i++) {
      char c = z[i];
      if (c == '<') {
        buf_puts(&b, "&lt;");
      } else if (c == '>') {
        buf_puts(&b, "&gt;");
      } else if (c == '&') {
        buf_puts(&b, "&amp;");
      } else if (c == '"') {
        buf_puts(&b, "&quot;");
      } else if (c == '\'') {
        buf_puts(&b, "&#39;");
      } else {
        buf_putc(&b, c);
      }
    }
    buf_puts(&b, "</p>\n");
    zHtml = buf_take(&b, &nHtml);
  }
  size_t nNote = strlen(MD_CUT_NOTE);
  zHtml = xrealloc(zHtml, nHtml + nNote + 1);
  memcpy(zHtml + nHtml, MD_CUT_NOTE, nNote + 1);
  *pbCut = 1;
  return zHtml;
}

json_t *md_safe_html_cut(const char *z, int *pbCut) {
  int bCut = 0;
  char *zHtml = md_render_capped(z, &bCut);
  json_t *p = md_wrap(zHtml);
  free(zHtml);
  if (pbCut) {
    *pbCut = bCut;
  }
  return p;
}

json_t *md_safe_html(const char *z) { return md_safe_html_cut(z, NULL); }

json_t *md_trusted_html(const char *zHtml) {
  return md_wrap(zHtml ? zHtml : "");
}

const char *md_safe_html_str(json_t *p) {
  if (!json_is_object(p) || json_object_size(p) != 1) {
    return NULL;
  }
  json_t *pHtml = json_object_get(p, MD_SAFE_KEY);
  return json_is_string(pHtml) ? json_string_value(pHtml) : NULL;
}
