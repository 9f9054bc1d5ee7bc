/*
** tmpl.h: our small template engine over jansson values.
**
** Syntax (mustache-like, escaping by default):
**   {{name}} {{a.b.c}} {{.}}  value, HTML-escaped (& < > " ' are encoded,
**                             so it is safe in text and quoted attributes)
**   {{name|url}}              percent-encoded URL component
**   {{name|json}}             JSON literal safe inside <script> (< > & and
**                             U+2028/9 escaped)
**   {{#name}}..{{/name}}      section: loops over an array, enters an
**                             object, or renders once if truthy
**   {{^name}}..{{/name}}      inverted section: renders if falsy/empty
**   {{#eq a b}}..{{/eq}}      renders if a and b are equal scalars; each of
**                             a, b is a path or a "quoted literal"
**   {{^eq a b}}..{{/eq}}      the opposite
**   {{>name}}                 includes templates/name.html (a partial)
**   {{! comment }}
** Names are looked up from the innermost context outwards, as mustache does.
** Falsy: missing, null, false, "", 0, empty array.
**
** The only way to emit raw HTML is a SafeHtml value (md_safe_html() makes
** them): {{name}} on a SafeHtml emits its HTML unescaped. Strings are
** always escaped; there is no raw filter.
**
** Numbers print as integers when they are integral; true/false print as
** "true"/"false"; objects and arrays print nothing.
**
** Thread-safe: no shared state; templates are parsed on each render.
*/
#ifndef HS_TMPL_H
#define HS_TMPL_H

#include <jansson.h>

#include "buf.h"

/* Loads the source of a template by name ("incident" loads
** templates/incident.html). Returns NEW memory (free()) and its length, or
** NULL if missing. The engine calls this for partials. */
typedef char *(*TmplLoader)(const char *zName, size_t *pn);

/*
** Renders the template source zSrc (nSrc bytes) with context pCtx (BORROWED)
** into pOut. xLoad finds partials (nesting capped at 16 levels).
** Returns 0, or E_INVALID for a template syntax error (unclosed section,
** unknown filter, missing partial): then pOut holds nothing useful and
** zErr (if non-NULL, nErr bytes) receives a one-line message with the line.
** Returns E_TOOBIG if the output exceeded pOut's cap.
*/
int tmpl_render(const char *zSrc, size_t nSrc, json_t *pCtx,
                TmplLoader xLoad, Buf *pOut, char *zErr, size_t nErr);

/* Renders the named template (loaded through xLoad). Same contract. */
int tmpl_render_named(const char *zName, json_t *pCtx, TmplLoader xLoad,
                      Buf *pOut, char *zErr, size_t nErr);

/* The HTML escaping used by {{x}}, for callers that need it outside a
** template (the error page fallback). Appends to pOut. */
void tmpl_escape_html(Buf *pOut, const char *z, size_t n);

#endif
