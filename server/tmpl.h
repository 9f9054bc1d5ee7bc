/*
** tmpl.h: our small template engine over jansson values.
**
** Syntax (mustache-like, escaping by default):
**   {{name}} {{a.b.c}} {{.}}  value, HTML-escaped (& < > " ' are encoded,
**                             so it is safe in text and quoted attributes);
**                             a numeric segment indexes an array:
**                             {{#list.0}} means "list is not empty"
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
** Names are looked up from the innermost context outwards, as mustache does:
** the first segment of a.b.c searches outwards, b and c only inside it.
** Names and partial names use [A-Za-z0-9_-]; a partial name is at most 64
** bytes. Falsy: missing, null, false, "", 0, 0.0, empty array, empty
** SafeHtml (an empty object is truthy).
**
** The only way to emit raw HTML is a SafeHtml value (md_safe_html() makes
** them): {{name}} on a SafeHtml emits its HTML unescaped. Strings are
** always escaped; there is no raw filter.
**
** Numbers print as integers when they are integral; true/false print as
** "true"/"false"; objects and arrays print nothing. {{x|json}} of a missing
** value prints null. A SafeHtml value is a scalar: a section renders it once
** without pushing it, and |url, |json and eq use its HTML as a string.
**
** The whole template, and every partial it names (transitively, in rendered
** branches or not), is loaded and parsed before anything renders, so syntax
** errors and missing partials do not depend on the data.
** Limits: sections nest 64 deep per template, partials 16 deep, at most 256
** distinct partials and about 4 million steps (nodes visited plus loop
** iterations) per render.
**
** Thread-safe: no shared state; templates are parsed on each render.
*/
#ifndef HS_TMPL_H
#define HS_TMPL_H

#include <jansson.h>

#include "buf.h"

/* Loads the source of a template by name ("incident" loads
** templates/incident.html). Returns NEW memory (free()) and its length, or
** NULL if missing. The engine calls this for partials, once per name per
** render. It gets no user data, so it must be safe to call from any thread. */
typedef char *(*TmplLoader)(const char *zName, size_t *pn);

/*
** Renders the template source zSrc (nSrc bytes) with context pCtx (BORROWED)
** into pOut, appending to what it holds. xLoad finds partials (nesting
** capped at 16 levels; may be NULL when there are none).
** Returns 0, or E_INVALID for a template syntax error (unclosed section,
** unknown filter, missing partial, nesting over a cap): then pOut holds
** nothing useful and zErr (if non-NULL, nErr bytes) receives a one-line
** message with the line, prefixed "partial 'name' " when it is in a partial.
** Returns E_TOOBIG if the output exceeded pOut's cap or the render exceeded
** its step budget (also with a message).
*/
int tmpl_render(const char *zSrc, size_t nSrc, json_t *pCtx,
                TmplLoader xLoad, Buf *pOut, char *zErr, size_t nErr);

/* The same for plain text (e-mail bodies): {{x}} emits the value as is,
** with no HTML escaping; |url and |json still apply. Never use it for
** anything a browser renders. */
int tmpl_render_text(const char *zSrc, size_t nSrc, json_t *pCtx,
                     TmplLoader xLoad, Buf *pOut, char *zErr, size_t nErr);
/* Renders the named template (loaded through xLoad). Same contract; a bad
** or missing name is E_INVALID, and messages start "template 'name' ". */
int tmpl_render_named(const char *zName, json_t *pCtx, TmplLoader xLoad,
                      Buf *pOut, char *zErr, size_t nErr);

/* The HTML escaping used by {{x}}, for callers that need it outside a
** template (the error page fallback). Appends to pOut. */
void tmpl_escape_html(Buf *pOut, const char *z, size_t n);

#endif
