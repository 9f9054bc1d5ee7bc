/*
** md.h: the one wrapper around cmark. Safe mode only: raw HTML is omitted
** and javascript:/vbscript:/file:/data: (but image) links are dropped,
** because CMARK_OPT_UNSAFE is never passed.
*/
#ifndef HS_MD_H
#define HS_MD_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"

/* Renders CommonMark to HTML. Input over 4 MiB is truncated first, at a
** UTF-8 character boundary (caps cmark's worst cases). z may hold NULs and
** may be NULL when n is 0. Returns NEW memory (free()), never NULL: cmark's
** own malloc'd buffer, handed over without a copy. */
char *md_render(const char *z, size_t n);

/* Appends the text of CommonMark z (n bytes, capped as in md_render) as a
** reader sees it, without markup: each block (paragraph, heading, list
** item, code block) on a line of its own, emphasis and escapes resolved,
** code kept, link and image text kept but not their addresses, raw HTML
** dropped (md_render omits it too). For the search index and snippets. */
void md_plain(const char *z, size_t n, Buf *pOut);

/* Returns a NEW SafeHtml value holding the rendered HTML of z: the only kind
** of value tmpl_render emits unescaped. A SafeHtml is a JSON object whose
** one key is "\x01safe_html"; its HTML is repaired to valid UTF-8 (bad
** bytes become U+FFFD) so models holding it still serialize. */
json_t *md_safe_html(const char *z);

/* The HTML of one SafeHtml value is capped at MD_HTML_FACTOR times its
** source or MD_HTML_MIN bytes, whichever is more, so one field cannot
** blow a page past its render budget (60,000 ">" nest 60,000 blockquotes:
** 1.7 MB). Past the cap, a shorter prefix of the text is rendered and a
** note says it was cut. */
#define MD_HTML_FACTOR 2
#define MD_HTML_MIN ((size_t)64 << 10)

/* md_safe_html(), and *pbCut (if not NULL) set to 1 when the HTML was cut
** at the cap, so a page can link to the whole text. NEW. */
json_t *md_safe_html_cut(const char *z, int *pbCut);

/* Wraps HTML that our own code produced (already escaped) as SafeHtml.
** Only http.c (the layout body), search.c (snippets it escaped itself,
** adding nothing but <mark>) and md.c may call this. NEW. */
json_t *md_trusted_html(const char *zHtml);

/* If p is a SafeHtml value, returns its HTML (BORROWED from p); else NULL. */
const char *md_safe_html_str(json_t *p);

#endif
