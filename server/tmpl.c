/*
** tmpl.c: the template engine declared in tmpl.h.
**
** A render is two passes. First tmpl_parse() turns the source into a tree of
** TmplNodes (text, variable, section, eq, partial) and checks the syntax, so
** a broken template fails the same way whatever the data. Every partial it
** names is loaded and parsed up front through a per-render list, once per
** name, however often it is used. Then tmpl_exec() walks the tree against a
** stack of context values (TmplFrames living on the C stack).
**
** What it does not do: mustache's standalone-line trimming, lambdas, set
** delimiters, triple mustaches or any raw filter. The only raw output is a
** SafeHtml value (md.h). Data is never parsed as a template.
**
** Limits, so hostile templates cannot loop or recurse without bound:
** sections nest at most 64 deep in one template, partials at most 16 deep,
** a render loads at most 256 distinct partials, and a render takes at most
** TMPL_MAX_STEPS steps (one per node visited and per loop iteration).
**
** Threading: no globals. All state (the Arena for nodes, the partial list,
** the step count) lives in a TmplState on the caller's stack.
*/
#include "tmpl.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "err.h"
#include "md.h"

#define TMPL_MAX_SECTION_DEPTH 64 /* open sections in one template */
#define TMPL_MAX_PARTIAL_DEPTH 16 /* partials inside partials */
#define TMPL_MAX_PARTIALS 256     /* distinct partial names per render */
#define TMPL_MAX_NAME 64          /* bytes in a partial name */
#define TMPL_MAX_STEPS (1L << 22) /* node visits per render */

/* Node types. */
enum { N_TEXT, N_VAR, N_SECTION, N_INVERTED, N_EQ, N_NEQ, N_PARTIAL };

/* Filters of a variable. */
enum { F_HTML, F_URL, F_JSON };

/* A dotted path split into segments. */
typedef struct TmplPath {
  char **azSeg; /* the segments, NUL-terminated, in the arena */
  int nSeg;     /* number of segments; 0 means "." (the current item) */
} TmplPath;

/* One operand of {{#eq a b}}: a path or a "quoted literal". */
typedef struct TmplOperand {
  TmplPath path;    /* the path, when zLit is NULL */
  const char *zLit; /* the literal's bytes (in the source), or NULL */
  size_t nLit;      /* length of zLit */
} TmplOperand;

typedef struct Tmpl Tmpl;
typedef struct TmplNode TmplNode;

struct TmplNode {
  int eType;          /* N_* */
  int iLine;          /* 1-based line of the tag, for messages */
  TmplNode *pNext;    /* next sibling */
  TmplNode *pChild;   /* sections: the first node of the body */
  const char *zText;  /* N_TEXT: the bytes, in the source */
  size_t nText;       /* N_TEXT: their count */
  TmplPath path;      /* N_VAR, N_SECTION, N_INVERTED: the value */
  int eFilter;        /* N_VAR: F_* */
  TmplOperand aOp[2]; /* N_EQ, N_NEQ: the two operands */
  Tmpl *pPartial;     /* N_PARTIAL: the partial, loaded before rendering */
};

/* A template: the top one or a partial. */
struct Tmpl {
  const char *zName; /* name, or NULL for an unnamed top template */
  int bPartial;      /* true for partials (changes the messages) */
  const char *zSrc;  /* the source; NULL until a partial is loaded */
  size_t nSrc;       /* bytes in zSrc */
  char *zOwned;      /* zSrc when it came from the loader; free() */
  TmplNode *pFirst;  /* the parsed body */
  const Tmpl *pRefBy; /* partials: the template that first named it */
  int iRefLine;      /* partials: the line of that first reference */
  Tmpl *pNext;       /* next partial in TmplState.pPartials */
};

/* Everything one render needs; lives on tmpl_run()'s stack. */
typedef struct TmplState {
  Arena arena;           /* nodes, paths, partial names */
  TmplLoader xLoad;      /* finds partials; may be NULL */
  Buf *pOut;             /* where the output goes */
  char *zErr;            /* message buffer, or NULL */
  size_t nErr;           /* size of zErr */
  int bErr;              /* a message has been written */
  Tmpl *pPartials;       /* every partial named so far, in order */
  Tmpl **ppPartialTail;  /* where the next one is linked */
  int nPartial;          /* entries in pPartials */
  long nStep;            /* steps taken by tmpl_exec() */
  int bText;             /* plain-text output: {{x}} is not HTML-escaped */
} TmplState;

/* One level of the context stack. */
typedef struct TmplFrame {
  json_t *pVal;                /* the context value at this level */
  const struct TmplFrame *pUp; /* the enclosing level, or NULL */
} TmplFrame;

/* Parser state for one template. */
typedef struct TmplParser {
  TmplState *pState;  /* the render */
  Tmpl *pT;           /* the template being parsed */
  TmplNode **ppTail;  /* where the next node is linked */
  int nOpen;          /* entries used in aOpen */
  struct {
    TmplNode *pSec;     /* the section node */
    TmplNode **ppTail;  /* the parent's ppTail, restored on close */
    const char *zName;  /* the name its {{/name}} must repeat */
    size_t nName;       /* length of zName */
  } aOpen[TMPL_MAX_SECTION_DEPTH]; /* the open sections, innermost last */
} TmplParser;

/*
** Records the first error as "[partial 'x' ]line N: message" (control
** characters become spaces so it stays one line) and returns rc.
*/
static int tmpl_fail(TmplState *p, const Tmpl *pT, int iLine, int rc,
                     const char *zFmt, ...)
    __attribute__((format(printf, 5, 6)));
static int tmpl_fail(TmplState *p, const Tmpl *pT, int iLine, int rc,
                     const char *zFmt, ...) {
  if (!p->zErr || p->nErr == 0 || p->bErr) {
    return rc;
  }
  char zMsg[256];
  va_list ap;
  va_start(ap, zFmt);
  vsnprintf(zMsg, sizeof(zMsg), zFmt, ap);
  va_end(ap);
  if (pT && pT->zName) {
    snprintf(p->zErr, p->nErr, "%s '%s' line %d: %s",
             pT->bPartial ? "partial" : "template", pT->zName, iLine, zMsg);
  } else {
    snprintf(p->zErr, p->nErr, "line %d: %s", iLine, zMsg);
  }
  for (char *z = p->zErr; *z; z++) {
    if ((unsigned char)*z < 0x20) {
      *z = ' ';
    }
  }
  p->bErr = 1;
  return rc;
}

/* Counts the newlines in z[0..n). */
static int tmpl_count_lines(const char *z, size_t n) {
  int nLine = 0;
  for (size_t i = 0; i < n; i++) {
    nLine += z[i] == '\n';
  }
  return nLine;
}

static int tmpl_is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Characters allowed in path segments and partial names. */
static int tmpl_is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Strips whitespace from both ends of z[0..*pn). */
static const char *tmpl_trim(const char *z, size_t *pn) {
  size_t n = *pn;
  while (n > 0 && tmpl_is_space(z[0])) {
    z++;
    n--;
  }
  while (n > 0 && tmpl_is_space(z[n - 1])) {
    n--;
  }
  *pn = n;
  return z;
}

/* Parses "." or "a.b.c" into pPath; returns 0, or -1 if it is no path. */
static int tmpl_parse_path(TmplState *p, const char *z, size_t n,
                           TmplPath *pPath) {
  memset(pPath, 0, sizeof(*pPath));
  if (n == 1 && z[0] == '.') {
    return 0;
  }
  if (n == 0) {
    return -1;
  }
  int nSeg = 1;
  for (size_t i = 0; i < n; i++) {
    if (z[i] == '.') {
      if (i == 0 || i == n - 1 || z[i - 1] == '.') {
        return -1;
      }
      nSeg++;
    } else if (!tmpl_is_name_char(z[i])) {
      return -1;
    }
  }
  pPath->azSeg = arena_alloc(&p->arena, sizeof(char *) * (size_t)nSeg);
  size_t iStart = 0;
  for (int iSeg = 0; iSeg < nSeg; iSeg++) {
    const char *zDot = memchr(z + iStart, '.', n - iStart);
    size_t iEnd = zDot ? (size_t)(zDot - z) : n;
    pPath->azSeg[iSeg] = arena_strndup(&p->arena, z + iStart, iEnd - iStart);
    iStart = iEnd + 1;
  }
  pPath->nSeg = nSeg;
  return 0;
}

/* Returns the partial called z[0..n), adding an unloaded entry when it is
** new, or NULL if the render already names too many partials. */
static Tmpl *tmpl_partial_ref(TmplState *p, const Tmpl *pRefBy, int iLine,
                              const char *z, size_t n) {
  for (Tmpl *pP = p->pPartials; pP; pP = pP->pNext) {
    if (strlen(pP->zName) == n && memcmp(pP->zName, z, n) == 0) {
      return pP;
    }
  }
  if (p->nPartial >= TMPL_MAX_PARTIALS) {
    return NULL;
  }
  Tmpl *pP = arena_alloc(&p->arena, sizeof(*pP));
  pP->zName = arena_strndup(&p->arena, z, n);
  pP->bPartial = 1;
  pP->pRefBy = pRefBy;
  pP->iRefLine = iLine;
  *p->ppPartialTail = pP;
  p->ppPartialTail = &pP->pNext;
  p->nPartial++;
  return pP;
}

/* Appends a new node of type eType to the current body. */
static TmplNode *tmpl_add_node(TmplParser *pPar, int eType, int iLine) {
  TmplNode *pNode = arena_alloc(&pPar->pState->arena, sizeof(*pNode));
  pNode->eType = eType;
  pNode->iLine = iLine;
  *pPar->ppTail = pNode;
  pPar->ppTail = &pNode->pNext;
  return pNode;
}

/* Parses the two operands of "eq a b" (z is what follows "eq"). */
static int tmpl_parse_eq(TmplParser *pPar, TmplNode *pNode, const char *z,
                         size_t n) {
  TmplState *p = pPar->pState;
  size_t i = 0;
  int nOp = 0;
  while (i < n) {
    if (tmpl_is_space(z[i])) {
      i++;
      continue;
    }
    if (nOp == 2) {
      return -1;
    }
    TmplOperand *pOp = &pNode->aOp[nOp++];
    if (z[i] == '"') {
      const char *zEnd = memchr(z + i + 1, '"', n - i - 1);
      if (!zEnd) {
        return -1;
      }
      pOp->zLit = z + i + 1;
      pOp->nLit = (size_t)(zEnd - pOp->zLit);
      i = (size_t)(zEnd - z) + 1;
    } else {
      size_t iStart = i;
      while (i < n && !tmpl_is_space(z[i])) {
        i++;
      }
      if (tmpl_parse_path(p, z + iStart, i - iStart, &pOp->path)) {
        return -1;
      }
    }
  }
  return nOp == 2 ? 0 : -1;
}

/* Opens a section from the tag body z (after the # or ^). */
static int tmpl_open_section(TmplParser *pPar, int bInvert, const char *z,
                             size_t n, int iLine) {
  TmplState *p = pPar->pState;
  if (pPar->nOpen >= TMPL_MAX_SECTION_DEPTH) {
    return tmpl_fail(p, pPar->pT, iLine, E_INVALID,
                     "sections nested deeper than %d",
                     TMPL_MAX_SECTION_DEPTH);
  }
  TmplNode *pNode;
  const char *zName = z;
  size_t nName = n;
  if (n >= 2 && memcmp(z, "eq", 2) == 0 && (n == 2 || tmpl_is_space(z[2]))) {
    pNode = tmpl_add_node(pPar, bInvert ? N_NEQ : N_EQ, iLine);
    nName = 2;
    if (tmpl_parse_eq(pPar, pNode, z + 2, n - 2)) {
      return tmpl_fail(p, pPar->pT, iLine, E_INVALID,
                       "eq needs two operands (paths or \"literals\")");
    }
  } else {
    pNode = tmpl_add_node(pPar, bInvert ? N_INVERTED : N_SECTION, iLine);
    if (tmpl_parse_path(p, z, n, &pNode->path)) {
      return tmpl_fail(p, pPar->pT, iLine, E_INVALID,
                       "bad section name '%.*s'", (int)(n > 40 ? 40 : n),
                       z);
    }
  }
  pPar->aOpen[pPar->nOpen].pSec = pNode;
  pPar->aOpen[pPar->nOpen].ppTail = pPar->ppTail;
  pPar->aOpen[pPar->nOpen].zName = zName;
  pPar->aOpen[pPar->nOpen].nName = nName;
  pPar->nOpen++;
  pPar->ppTail = &pNode->pChild;
  return 0;
}

/* Closes the innermost section, which must be called z[0..n). */
static int tmpl_close_section(TmplParser *pPar, const char *z, size_t n,
                              int iLine) {
  TmplState *p = pPar->pState;
  if (pPar->nOpen == 0) {
    return tmpl_fail(p, pPar->pT, iLine, E_INVALID,
                     "{{/%.*s}} closes no section", (int)(n > 40 ? 40 : n), z);
  }
  int iTop = pPar->nOpen - 1;
  if (pPar->aOpen[iTop].nName != n ||
      memcmp(pPar->aOpen[iTop].zName, z, n) != 0) {
    return tmpl_fail(p, pPar->pT, iLine, E_INVALID,
                     "{{/%.*s}} does not close {{#%.*s}} from line %d",
                     (int)(n > 40 ? 40 : n), z,
                     (int)(pPar->aOpen[iTop].nName > 40
                               ? 40
                               : pPar->aOpen[iTop].nName),
                     pPar->aOpen[iTop].zName,
                     pPar->aOpen[iTop].pSec->iLine);
  }
  pPar->ppTail = pPar->aOpen[iTop].ppTail;
  pPar->nOpen--;
  return 0;
}

/* Handles one tag whose body (between the braces) is z[0..n). */
static int tmpl_parse_tag(TmplParser *pPar, const char *z, size_t n,
                          int iLine) {
  TmplState *p = pPar->pState;
  z = tmpl_trim(z, &n);
  if (n == 0) {
    return tmpl_fail(p, pPar->pT, iLine, E_INVALID, "empty tag");
  }
  char cSigil = z[0];
  if (cSigil == '!') {
    return 0;
  }
  if (cSigil == '#' || cSigil == '^' || cSigil == '/' || cSigil == '>') {
    n--;
    z = tmpl_trim(z + 1, &n);
  }
  if (cSigil == '#' || cSigil == '^') {
    return tmpl_open_section(pPar, cSigil == '^', z, n, iLine);
  }
  if (cSigil == '/') {
    return tmpl_close_section(pPar, z, n, iLine);
  }
  if (cSigil == '>') {
    int bGood = n > 0 && n <= TMPL_MAX_NAME;
    for (size_t i = 0; i < n && bGood; i++) {
      bGood = tmpl_is_name_char(z[i]);
    }
    if (!bGood) {
      return tmpl_fail(p, pPar->pT, iLine, E_INVALID, "bad partial name");
    }
    TmplNode *pNode = tmpl_add_node(pPar, N_PARTIAL, iLine);
    pNode->pPartial = tmpl_partial_ref(p, pPar->pT, iLine, z, n);
    if (!pNode->pPartial) {
      return tmpl_fail(p, pPar->pT, iLine, E_INVALID,
                       "more than %d partials", TMPL_MAX_PARTIALS);
    }
    return 0;
  }

  /* A variable: path, then an optional |filter. */
  TmplNode *pNode = tmpl_add_node(pPar, N_VAR, iLine);
  const char *zBar = memchr(z, '|', n);
  size_t nRaw = zBar ? (size_t)(zBar - z) : n; /* bytes before the bar */
  size_t nPath = nRaw;
  const char *zPath = tmpl_trim(z, &nPath);
  if (tmpl_parse_path(p, zPath, nPath, &pNode->path)) {
    return tmpl_fail(p, pPar->pT, iLine, E_INVALID, "bad name '%.*s'",
                     (int)(nPath > 40 ? 40 : nPath), zPath);
  }
  if (zBar) {
    size_t nFilter = n - nRaw - 1;
    const char *zFilter = tmpl_trim(zBar + 1, &nFilter);
    if (nFilter == 3 && memcmp(zFilter, "url", 3) == 0) {
      pNode->eFilter = F_URL;
    } else if (nFilter == 4 && memcmp(zFilter, "json", 4) == 0) {
      pNode->eFilter = F_JSON;
    } else {
      return tmpl_fail(p, pPar->pT, iLine, E_INVALID, "unknown filter '%.*s'",
                       (int)(nFilter > 40 ? 40 : nFilter), zFilter);
    }
  }
  return 0;
}

/* Parses pT->zSrc into pT->pFirst. Returns 0 or E_INVALID. */
static int tmpl_parse(TmplState *p, Tmpl *pT) {
  TmplParser par;
  par.pState = p;
  par.pT = pT;
  par.ppTail = &pT->pFirst;
  par.nOpen = 0;
  const char *z = pT->zSrc;
  size_t n = pT->nSrc;
  size_t i = 0;
  int iLine = 1;
  int rc = 0;
  while (i < n && rc == 0) {
    const char *zOpen = memmem(z + i, n - i, "{{", 2);
    size_t iOpen = zOpen ? (size_t)(zOpen - z) : n;
    if (iOpen > i) {
      TmplNode *pText = tmpl_add_node(&par, N_TEXT, iLine);
      pText->zText = z + i;
      pText->nText = iOpen - i;
      iLine += tmpl_count_lines(z + i, iOpen - i);
    }
    if (!zOpen) {
      break;
    }
    const char *zClose = memmem(z + iOpen + 2, n - iOpen - 2, "}}", 2);
    if (!zClose) {
      rc = tmpl_fail(p, pT, iLine, E_INVALID, "unterminated tag");
      break;
    }
    size_t nTag = (size_t)(zClose - z) - iOpen - 2;
    rc = tmpl_parse_tag(&par, z + iOpen + 2, nTag, iLine);
    iLine += tmpl_count_lines(z + iOpen + 2, nTag);
    i = (size_t)(zClose - z) + 2;
  }
  if (rc == 0 && par.nOpen > 0) {
    int iTop = par.nOpen - 1;
    rc = tmpl_fail(p, pT, par.aOpen[iTop].pSec->iLine, E_INVALID,
                   "unclosed section {{#%.*s}}",
                   (int)(par.aOpen[iTop].nName > 40 ? 40
                                                    : par.aOpen[iTop].nName),
                   par.aOpen[iTop].zName);
  }
  return rc;
}

/* Element zIndex (decimal digits) of the array p, or NULL: lets a page
** test "has at least one" with {{#list.0}}. */
static json_t *tmpl_index(json_t *p, const char *zIndex) {
  size_t i = 0;
  if (!*zIndex || strlen(zIndex) > 6) {
    return NULL;
  }
  for (const char *z = zIndex; *z; z++) {
    if (*z < '0' || *z > '9') {
      return NULL;
    }
    i = i * 10 + (size_t)(*z - '0');
  }
  return json_array_get(p, i);
}

/* Finds pPath in the context stack: the first segment from the innermost
** frame outwards, the rest only inside that value. NULL if missing. */
static json_t *tmpl_lookup(const TmplFrame *pCtx, const TmplPath *pPath) {
  if (pPath->nSeg == 0) {
    return pCtx ? pCtx->pVal : NULL;
  }
  json_t *pVal = NULL;
  for (const TmplFrame *pF = pCtx; pF && !pVal; pF = pF->pUp) {
    if (json_is_object(pF->pVal)) {
      pVal = json_object_get(pF->pVal, pPath->azSeg[0]);
    }
  }
  for (int i = 1; pVal && i < pPath->nSeg; i++) {
    pVal = json_is_array(pVal) ? tmpl_index(pVal, pPath->azSeg[i])
           : json_is_object(pVal) ? json_object_get(pVal, pPath->azSeg[i])
                                  : NULL;
  }
  return pVal;
}

/* Mustache truthiness; a SafeHtml value is as truthy as its HTML. */
static int tmpl_truthy(json_t *pVal) {
  if (!pVal) {
    return 0;
  }
  const char *zSafe = md_safe_html_str(pVal);
  if (zSafe) {
    return zSafe[0] != 0;
  }
  switch (json_typeof(pVal)) {
    case JSON_STRING:
      return json_string_length(pVal) > 0;
    case JSON_INTEGER:
      return json_integer_value(pVal) != 0;
    case JSON_REAL:
      return json_real_value(pVal) != 0.0;
    case JSON_TRUE:
      return 1;
    case JSON_ARRAY:
      return json_array_size(pVal) > 0;
    case JSON_OBJECT:
      return 1;
    default:
      return 0;
  }
}

/* If r is an integer that fits a long long, stores it and returns 1. */
static int tmpl_real_is_integral(double r, long long *pI) {
  if (!isfinite(r) || r < -9.2e18 || r > 9.2e18) {
    return 0;
  }
  long long i = (long long)r;
  if ((double)i != r) {
    return 0;
  }
  *pI = i;
  return 1;
}

/* Formats a number into a (nA >= 32 bytes): integers as %lld, other reals
** in the shortest of %.15g and %.17g that reads back exactly. Returns the
** length. */
static size_t tmpl_fmt_number(json_t *pVal, char *a, size_t nA) {
  long long i;
  int nOut;
  if (json_is_integer(pVal)) {
    nOut = snprintf(a, nA, "%lld", (long long)json_integer_value(pVal));
  } else {
    double r = json_real_value(pVal);
    if (tmpl_real_is_integral(r, &i)) {
      nOut = snprintf(a, nA, "%lld", i);
    } else if (!isfinite(r)) {
      nOut = 0;
    } else {
      nOut = snprintf(a, nA, "%.15g", r);
      if (strtod(a, NULL) != r) {
        nOut = snprintf(a, nA, "%.17g", r);
      }
    }
  }
  if (nOut < 0 || (size_t)nOut >= nA) {
    nOut = 0;
  }
  a[nOut] = 0;
  return (size_t)nOut;
}

/* The text of a scalar (string, SafeHtml, number, boolean): sets *pz (maybe
** into a, which must hold 32 bytes) and *pn and returns 1; returns 0 for
** values with no text (missing, null, object, array). */
static int tmpl_text(json_t *pVal, char *a, size_t nA, const char **pz,
                     size_t *pn) {
  const char *zSafe = md_safe_html_str(pVal);
  if (zSafe) {
    *pz = zSafe;
    *pn = strlen(zSafe);
    return 1;
  }
  if (json_is_string(pVal)) {
    *pz = json_string_value(pVal);
    *pn = json_string_length(pVal);
    return 1;
  }
  if (json_is_number(pVal)) {
    *pn = tmpl_fmt_number(pVal, a, nA);
    *pz = a;
    return 1;
  }
  if (json_is_boolean(pVal)) {
    *pz = json_is_true(pVal) ? "true" : "false";
    *pn = strlen(*pz);
    return 1;
  }
  return 0;
}

void tmpl_escape_html(Buf *pOut, const char *z, size_t n) {
  size_t iRun = 0;
  for (size_t i = 0; i < n; i++) {
    const char *zEnt;
    switch (z[i]) {
      case '&': zEnt = "&amp;"; break;
      case '<': zEnt = "&lt;"; break;
      case '>': zEnt = "&gt;"; break;
      case '"': zEnt = "&quot;"; break;
      case '\'': zEnt = "&#39;"; break;
      default: continue;
    }
    buf_append(pOut, z + iRun, i - iRun);
    buf_puts(pOut, zEnt);
    iRun = i + 1;
  }
  buf_append(pOut, z + iRun, n - iRun);
}

/* Percent-encodes all but the RFC 3986 unreserved characters. */
static void tmpl_escape_url(Buf *pOut, const char *z, size_t n) {
  static const char azHex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)z[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
        c == '~') {
      buf_putc(pOut, (char)c);
    } else {
      char a[3] = {'%', azHex[c >> 4], azHex[c & 15]};
      buf_append(pOut, a, 3);
    }
  }
}

/* Emits pVal as a JSON literal that cannot end a <script> element or an
** HTML comment: < > & become \u escapes, and so do U+2028/9 (line breaks
** in older JavaScript). Missing values and unencodable strings give null. */
static void tmpl_emit_json(Buf *pOut, json_t *pVal) {
  char *zJson = NULL;
  const char *zSafe = md_safe_html_str(pVal);
  if (zSafe) {
    json_t *pStr = json_string_nocheck(zSafe);
    zJson = pStr ? json_dumps(pStr, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    json_decref(pStr);
  } else if (pVal) {
    zJson = json_dumps(pVal, JSON_ENCODE_ANY | JSON_COMPACT);
  }
  if (!zJson) {
    buf_puts(pOut, "null");
    return;
  }
  const unsigned char *z = (const unsigned char *)zJson;
  size_t iRun = 0;
  for (size_t i = 0; z[i]; i++) {
    const char *zEsc = NULL;
    size_t nSkip = 1;
    if (z[i] == '<') {
      zEsc = "\\u003c";
    } else if (z[i] == '>') {
      zEsc = "\\u003e";
    } else if (z[i] == '&') {
      zEsc = "\\u0026";
    } else if (z[i] == 0xE2 && z[i + 1] == 0x80 &&
               (z[i + 2] == 0xA8 || z[i + 2] == 0xA9)) {
      zEsc = z[i + 2] == 0xA8 ? "\\u2028" : "\\u2029";
      nSkip = 3;
    }
    if (zEsc) {
      buf_append(pOut, zJson + iRun, i - iRun);
      buf_puts(pOut, zEsc);
      i += nSkip - 1;
      iRun = i + 1;
    }
  }
  buf_puts(pOut, zJson + iRun);
  free(zJson);
}

/* Emits the value of a {{path|filter}} tag. */
static void tmpl_emit(Buf *pOut, json_t *pVal, int eFilter, int bText) {
  char a[32];
  const char *z;
  size_t n;
  if (eFilter == F_JSON) {
    tmpl_emit_json(pOut, pVal);
  } else if (!tmpl_text(pVal, a, sizeof(a), &z, &n)) {
    return;
  } else if (eFilter == F_URL) {
    tmpl_escape_url(pOut, z, n);
  } else if (bText || md_safe_html_str(pVal)) {
    buf_append(pOut, z, n);
  } else {
    tmpl_escape_html(pOut, z, n);
  }
}

/* The value of an eq operand, reduced to what comparison needs. */
typedef struct TmplScalar {
  int eKind;      /* 0 none (never equal), 'S' string, 'I', 'R', 'B' */
  const char *z;  /* 'S': the bytes */
  size_t n;       /* 'S': their count */
  long long i;    /* 'I': the value; 'B': 0 or 1 */
  double r;       /* 'R': the value */
} TmplScalar;

static void tmpl_scalar(const TmplOperand *pOp, const TmplFrame *pCtx,
                        TmplScalar *pS) {
  memset(pS, 0, sizeof(*pS));
  if (pOp->zLit) {
    pS->eKind = 'S';
    pS->z = pOp->zLit;
    pS->n = pOp->nLit;
    return;
  }
  json_t *pVal = tmpl_lookup(pCtx, &pOp->path);
  const char *zSafe = md_safe_html_str(pVal);
  if (zSafe) {
    pS->eKind = 'S';
    pS->z = zSafe;
    pS->n = strlen(zSafe);
  } else if (json_is_string(pVal)) {
    pS->eKind = 'S';
    pS->z = json_string_value(pVal);
    pS->n = json_string_length(pVal);
  } else if (json_is_integer(pVal)) {
    pS->eKind = 'I';
    pS->i = (long long)json_integer_value(pVal);
  } else if (json_is_real(pVal)) {
    pS->eKind = 'R';
    pS->r = json_real_value(pVal);
  } else if (json_is_boolean(pVal)) {
    pS->eKind = 'B';
    pS->i = json_is_true(pVal);
  }
}

/* eq: same strings, same numbers, same booleans, or a string equal to the
** decimal text of an integral number. Everything else differs. */
static int tmpl_equal(const TmplOperand *pA, const TmplOperand *pB,
                      const TmplFrame *pCtx) {
  TmplScalar a, b;
  tmpl_scalar(pA, pCtx, &a);
  tmpl_scalar(pB, pCtx, &b);
  if (b.eKind == 'S' && a.eKind != 'S') {
    TmplScalar t = a;
    a = b;
    b = t;
  }
  if (a.eKind == 0 || b.eKind == 0) {
    return 0;
  }
  if (a.eKind == 'S' && b.eKind == 'S') {
    return a.n == b.n && memcmp(a.z, b.z, a.n) == 0;
  }
  if (a.eKind == 'B' || b.eKind == 'B') {
    return a.eKind == b.eKind && a.i == b.i;
  }
  if (a.eKind == 'S') {
    long long i = b.i;
    if (b.eKind == 'R' && !tmpl_real_is_integral(b.r, &i)) {
      return 0;
    }
    char zNum[32];
    int nNum = snprintf(zNum, sizeof(zNum), "%lld", i);
    return nNum > 0 && (size_t)nNum == a.n && memcmp(zNum, a.z, a.n) == 0;
  }
  if (a.eKind == 'I' && b.eKind == 'I') {
    return a.i == b.i;
  }
  double rA = a.eKind == 'I' ? (double)a.i : a.r;
  double rB = b.eKind == 'I' ? (double)b.i : b.r;
  return rA == rB;
}

/* Counts one step against TMPL_MAX_STEPS and checks the output cap. */
static int tmpl_step(TmplState *p, const Tmpl *pT, int iLine) {
  if (++p->nStep > TMPL_MAX_STEPS) {
    return tmpl_fail(p, pT, iLine, E_TOOBIG, "template expands past %ld steps",
                     TMPL_MAX_STEPS);
  }
  if (buf_err(p->pOut)) {
    return tmpl_fail(p, pT, iLine, E_TOOBIG, "output over its cap");
  }
  return 0;
}

static int tmpl_exec(TmplState *p, const Tmpl *pT, const TmplNode *pNode,
                     const TmplFrame *pCtx, int nPartialDepth);

/* Renders a {{#path}} section: each item of an array, inside an object,
** or once for any other truthy value (SafeHtml included) without a push. */
static int tmpl_exec_section(TmplState *p, const Tmpl *pT,
                             const TmplNode *pNode, const TmplFrame *pCtx,
                             int nPartialDepth) {
  int rc = 0;
  json_t *pVal = tmpl_lookup(pCtx, &pNode->path);
  if (!tmpl_truthy(pVal)) {
    return 0;
  }
  if (json_is_array(pVal)) {
    size_t nItem = json_array_size(pVal);
    for (size_t i = 0; i < nItem && rc == 0; i++) {
      TmplFrame frame = {json_array_get(pVal, i), pCtx};
      rc = tmpl_step(p, pT, pNode->iLine);
      if (rc == 0) {
        rc = tmpl_exec(p, pT, pNode->pChild, &frame, nPartialDepth);
      }
    }
  } else if (json_is_object(pVal) && !md_safe_html_str(pVal)) {
    TmplFrame frame = {pVal, pCtx};
    rc = tmpl_exec(p, pT, pNode->pChild, &frame, nPartialDepth);
  } else {
    rc = tmpl_exec(p, pT, pNode->pChild, pCtx, nPartialDepth);
  }
  return rc;
}

/* Renders the node list starting at pNode of template pT. */
static int tmpl_exec(TmplState *p, const Tmpl *pT, const TmplNode *pNode,
                     const TmplFrame *pCtx, int nPartialDepth) {
  int rc = 0;
  for (; pNode && rc == 0; pNode = pNode->pNext) {
    rc = tmpl_step(p, pT, pNode->iLine);
    if (rc) {
      break;
    }
    switch (pNode->eType) {
      case N_TEXT:
        buf_append(p->pOut, pNode->zText, pNode->nText);
        break;
      case N_VAR:
        tmpl_emit(p->pOut, tmpl_lookup(pCtx, &pNode->path), pNode->eFilter,
                  p->bText);
        break;
      case N_SECTION:
        rc = tmpl_exec_section(p, pT, pNode, pCtx, nPartialDepth);
        break;
      case N_INVERTED:
        if (!tmpl_truthy(tmpl_lookup(pCtx, &pNode->path))) {
          rc = tmpl_exec(p, pT, pNode->pChild, pCtx, nPartialDepth);
        }
        break;
      case N_EQ:
      case N_NEQ:
        if (tmpl_equal(&pNode->aOp[0], &pNode->aOp[1], pCtx) ==
            (pNode->eType == N_EQ)) {
          rc = tmpl_exec(p, pT, pNode->pChild, pCtx, nPartialDepth);
        }
        break;
      case N_PARTIAL:
        if (nPartialDepth >= TMPL_MAX_PARTIAL_DEPTH) {
          rc = tmpl_fail(p, pT, pNode->iLine, E_INVALID,
                         "partials nested deeper than %d",
                         TMPL_MAX_PARTIAL_DEPTH);
        } else {
          const Tmpl *pP = pNode->pPartial;
          rc = tmpl_exec(p, pP, pP->pFirst, pCtx, nPartialDepth + 1);
        }
        break;
    }
  }
  return rc;
}

/* Loads and parses every partial named so far; parsing one may name more,
** which join the end of the list and are loaded in turn. */
static int tmpl_load_partials(TmplState *p) {
  int rc = 0;
  for (Tmpl *pP = p->pPartials; pP && rc == 0; pP = pP->pNext) {
    size_t nSrc = 0;
    pP->zOwned = p->xLoad ? p->xLoad(pP->zName, &nSrc) : NULL;
    if (!pP->zOwned) {
      rc = tmpl_fail(p, pP->pRefBy, pP->iRefLine, E_INVALID,
                     "partial '%s' not found", pP->zName);
      break;
    }
    pP->zSrc = pP->zOwned;
    pP->nSrc = nSrc;
    rc = tmpl_parse(p, pP);
  }
  return rc;
}

/* The body of tmpl_render() and tmpl_render_named(). */
static int tmpl_run(const char *zName, const char *zSrc, size_t nSrc,
                    json_t *pCtx, TmplLoader xLoad, Buf *pOut, char *zErr,
                    size_t nErr, int bText) {
  int rc = 0;
  TmplState s;
  memset(&s, 0, sizeof(s));
  s.bText = bText;
  s.xLoad = xLoad;
  s.pOut = pOut;
  s.zErr = zErr;
  s.nErr = nErr;
  s.ppPartialTail = &s.pPartials;
  Tmpl top;
  memset(&top, 0, sizeof(top));
  top.zName = zName;
  top.zSrc = zSrc ? zSrc : "";
  top.nSrc = zSrc ? nSrc : 0;
  if (zErr && nErr) {
    zErr[0] = 0;
  }

  rc = tmpl_parse(&s, &top);
  if (rc) {
    goto cleanup;
  }
  rc = tmpl_load_partials(&s);
  if (rc) {
    goto cleanup;
  }
  TmplFrame root = {pCtx, NULL};
  rc = tmpl_exec(&s, &top, top.pFirst, &root, 0);
  if (rc == 0 && buf_err(pOut)) {
    rc = tmpl_fail(&s, &top, 1, E_TOOBIG, "output over its cap");
  }

cleanup:
  for (Tmpl *pP = s.pPartials; pP; pP = pP->pNext) {
    free(pP->zOwned);
  }
  arena_free(&s.arena);
  return rc;
}

int tmpl_render(const char *zSrc, size_t nSrc, json_t *pCtx,
                TmplLoader xLoad, Buf *pOut, char *zErr, size_t nErr) {
  return tmpl_run(NULL, zSrc, nSrc, pCtx, xLoad, pOut, zErr, nErr, 0);
}

int tmpl_render_text(const char *zSrc, size_t nSrc, json_t *pCtx,
                     TmplLoader xLoad, Buf *pOut, char *zErr, size_t nErr) {
  return tmpl_run(NULL, zSrc, nSrc, pCtx, xLoad, pOut, zErr, nErr, 1);
}

int tmpl_render_named(const char *zName, json_t *pCtx, TmplLoader xLoad,
                      Buf *pOut, char *zErr, size_t nErr) {
  int rc = 0;
  char *zSrc = NULL;
  size_t nSrc = 0;
  size_t nName = zName ? strlen(zName) : 0;
  int bGood = nName > 0 && nName <= TMPL_MAX_NAME;
  for (size_t i = 0; i < nName; i++) {
    bGood = bGood && tmpl_is_name_char(zName[i]);
  }
  if (!bGood) {
    if (zErr && nErr) {
      snprintf(zErr, nErr, "bad template name");
    }
    rc = E_INVALID;
    goto cleanup;
  }
  zSrc = xLoad ? xLoad(zName, &nSrc) : NULL;
  if (!zSrc) {
    if (zErr && nErr) {
      snprintf(zErr, nErr, "template '%s' not found", zName);
    }
    rc = E_INVALID;
    goto cleanup;
  }
  rc = tmpl_run(zName, zSrc, nSrc, pCtx, xLoad, pOut, zErr, nErr, 0);

cleanup:
  free(zSrc);
  return rc;
}
