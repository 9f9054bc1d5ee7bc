/*
** redact.c: masking secrets (passwords, tokens, credentials) and, when
** asked, e-mail addresses in text before it is stored. One pass over the
** bytes, copying runs and writing REDACT_MASK over what must not be kept.
**
** Heuristic by nature: it errs towards masking (a "primary_key=5" loses
** its 5), never towards keeping a secret it recognised. Does not know
** anything about the format around the text; does not decode
** percent-encoding. Pure; thread-safe.
*/
#include "redact.h"

#include <ctype.h>
#include <string.h>

/* Byte classes, looked up once per byte: this scan runs over every line
** ingested. ASCII only, as the C locale's <ctype.h>. */
enum {
  C_ALPHA = 1,    /* A-Z a-z */
  C_DIGIT = 2,    /* 0-9 */
  C_WORDP = 4,    /* _ - . (word punctuation) */
  C_SPACE = 8,    /* isspace() */
  C_VSTOP = 16,   /* ends an unquoted value: & " ' , ; ) } ] < > and NUL */
  C_USERP = 32,   /* userinfo punctuation: -._~%!$&'()*+,;=: */
  C_BEARP = 64,   /* bearer credential punctuation: ._~+/=- */
  C_LOCALP = 128, /* e-mail local part punctuation: ._%+- */
  C_START = 256,  /* may start something to mask: : = b B */
  C_AT = 512      /* @ (an e-mail address when asked) */
};
static const unsigned short aClass[256] = {
    ['A'] = C_ALPHA, ['B'] = C_ALPHA | C_START, ['C' ... 'Z'] = C_ALPHA,
    ['a'] = C_ALPHA, ['b'] = C_ALPHA | C_START, ['c' ... 'z'] = C_ALPHA,
    ['@'] = C_AT,
    ['0' ... '9'] = C_DIGIT,
    ['_'] = C_WORDP | C_USERP | C_BEARP | C_LOCALP,
    ['-'] = C_WORDP | C_USERP | C_BEARP | C_LOCALP,
    ['.'] = C_WORDP | C_USERP | C_BEARP | C_LOCALP,
    [' '] = C_SPACE, ['\t'] = C_SPACE, ['\n'] = C_SPACE, ['\v'] = C_SPACE,
    ['\f'] = C_SPACE, ['\r'] = C_SPACE,
    [0] = C_VSTOP,
    ['&'] = C_VSTOP | C_USERP, ['"'] = C_VSTOP, ['\''] = C_VSTOP | C_USERP,
    [','] = C_VSTOP | C_USERP, [';'] = C_VSTOP | C_USERP,
    [')'] = C_VSTOP | C_USERP, ['}'] = C_VSTOP, [']'] = C_VSTOP,
    ['<'] = C_VSTOP, ['>'] = C_VSTOP,
    ['~'] = C_USERP | C_BEARP, ['%'] = C_USERP | C_LOCALP, ['!'] = C_USERP,
    ['$'] = C_USERP, ['('] = C_USERP, ['*'] = C_USERP,
    ['+'] = C_USERP | C_BEARP | C_LOCALP,
    ['='] = C_USERP | C_BEARP | C_START, [':'] = C_USERP | C_START,
    ['/'] = C_BEARP,
};
#define CLASS(c) (aClass[(unsigned char)(c)])
#define IS_ALPHA(c) (CLASS(c) & C_ALPHA)
#define IS_ALNUM(c) (CLASS(c) & (C_ALPHA | C_DIGIT))
#define IS_SPACE(c) (CLASS(c) & C_SPACE)

/* With their lengths: the scan asks about every word before a '='. */
#define KEY(z) {z, sizeof(z) - 1}
static const struct {
  const char *z; /* key name */
  size_t n;      /* its length */
} aBuiltinKey[] = {KEY("password"),      KEY("passwd"),  KEY("pwd"),
                   KEY("token"),         KEY("access_token"),
                   KEY("refresh_token"), KEY("api_key"), KEY("apikey"),
                   KEY("secret"),        KEY("key"),     KEY("private_key"),
                   KEY("authorization")};
#undef KEY

/* The scan: input, output, and the start of the run not yet copied. */
typedef struct Scan {
  const char *z;  /* input */
  size_t n;       /* its length */
  size_t iRun;    /* first input byte not yet written to pOut */
  Buf *pOut;      /* output */
  int nMask;      /* masks written */
  size_t iMaskEnd; /* input offset just after the last mask, or 0 */
} Scan;

/* Copies the pending run up to iEnd, writes the mask, skips to iSkip. Two
** masks with nothing between them become one, so that redacting the output
** again gives the same text. */
static void mask(Scan *s, size_t iEnd, size_t iSkip) {
  buf_append(s->pOut, s->z + s->iRun, iEnd - s->iRun);
  if (!(s->nMask > 0 && iEnd == s->iMaskEnd)) {
    buf_puts(s->pOut, REDACT_MASK);
  }
  s->iMaskEnd = iSkip;
  s->iRun = iSkip;
  s->nMask++;
}

static int is_word(char c) {
  return CLASS(c) & (C_ALPHA | C_DIGIT | C_WORDP);
}

/* Case-insensitive, '-' and '_' the same. */
static int same_char(char a, char b) {
  if (a == '-') {
    a = '_';
  }
  if (b == '-') {
    b = '_';
  }
  return tolower((unsigned char)a) == tolower((unsigned char)b);
}

/* 1 if the word z[0..n) is zKey, or ends with [_-.]zKey for a key of five
** or more bytes. */
static int key_match(const char *z, size_t n, const char *zKey,
                     size_t nKey) {
  if (nKey == 0 || n < nKey) {
    return 0;
  }
  if (n > nKey) {
    if (nKey < 5 || !strchr("_-.", z[n - nKey - 1])) {
      return 0;
    }
  }
  for (size_t i = 0; i < nKey; i++) {
    if (!same_char(z[n - nKey + i], zKey[i])) {
      return 0;
    }
  }
  return 1;
}

static int is_secret_key(const char *z, size_t n,
                         const char *const *azExtra) {
  for (size_t i = 0; i < sizeof(aBuiltinKey) / sizeof(aBuiltinKey[0]); i++) {
    if (key_match(z, n, aBuiltinKey[i].z, aBuiltinKey[i].n)) {
      return 1;
    }
  }
  for (size_t i = 0; azExtra && azExtra[i]; i++) {
    if (key_match(z, n, azExtra[i], strlen(azExtra[i]))) {
      return 1;
    }
  }
  return 0;
}

/* End of an unquoted value starting at i. */
static size_t value_end(const char *z, size_t n, size_t i) {
  while (i < n && !(CLASS(z[i]) & (C_SPACE | C_VSTOP))) {
    i++;
  }
  return i;
}

/* End of a quoted value whose opening quote is at i-1 (the closing quote
** is not included). */
static size_t quoted_end(const char *z, size_t n, size_t i, char q) {
  while (i < n && z[i] != q && z[i] != '\n') {
    if (z[i] == '\\' && i + 1 < n) {
      i++;
    }
    i++;
  }
  return i > n ? n : i;
}

/* Masks the value at i (after the separator); bAuth keeps a leading
** scheme word ("Bearer "). Returns where scanning goes on. */
static size_t mask_value(Scan *s, size_t i, int bAuth) {
  const char *z = s->z;
  size_t n = s->n;
  char q = 0;
  if (i < n && (z[i] == '"' || z[i] == '\'')) {
    q = z[i];
    i++;
  }
  if (bAuth) {
    size_t j = i;
    while (j < n && IS_ALPHA(z[j])) {
      j++;
    }
    if (j > i && j < n && z[j] == ' ') {
      i = j;
      while (i < n && z[i] == ' ') {
        i++;
      }
    }
  }
  if (i >= n || z[i] == '{' || z[i] == '[') {
    return i;
  }
  size_t iEnd = q ? quoted_end(z, n, i, q) : value_end(z, n, i);
  if (q && bAuth) {
    size_t k = i;
    while (k < iEnd && !IS_SPACE(z[k])) {
      k++;
    }
    iEnd = k;
  }
  if (iEnd > i) {
    mask(s, i, iEnd);
  }
  return iEnd;
}

/* At a separator ('=' or ':' not starting "://") at q: is the word before
** it a secret key? The word is looked for backwards: a run of word bytes
** starting with a letter, not before iFloor (where the scan last jumped
** to), then an optional closing quote and spaces. Returns where scanning
** goes on. */
static size_t try_key(Scan *s, size_t q, size_t iFloor,
                      const char *const *azExtra) {
  const char *z = s->z;
  size_t n = s->n;
  size_t p = q;
  while (p > iFloor && z[p - 1] == ' ') {
    p--;
  }
  if (p > iFloor && (z[p - 1] == '"' || z[p - 1] == '\'')) {
    p--;
  }
  size_t iWord = p;
  while (iWord > 0 && is_word(z[iWord - 1])) {
    iWord--;
  }
  size_t nWord = p - iWord;
  /* Trailing dots are punctuation, not part of the key. */
  if (nWord == 0 || iWord < iFloor || !IS_ALPHA(z[iWord]) ||
      z[p - 1] == '.' || !is_secret_key(z + iWord, nWord, azExtra)) {
    return q + 1;
  }
  size_t j = q + 1;
  while (j < n && z[j] == ' ') {
    j++;
  }
  int bAuth = key_match(z + iWord, nWord, "authorization", 13);
  return mask_value(s, j, bAuth);
}

/* 1 if c may appear in URL userinfo (RFC 3986: unreserved, pct-encoded,
** sub-delims, ':'). */
static int is_userinfo_char(char c) {
  return CLASS(c) & (C_ALPHA | C_DIGIT | C_USERP);
}

/* At "://": masks the password of user:password@host. A user without a
** password (ftp://anon@host) is skipped whole, so its '@' is not taken for
** an e-mail address. */
static size_t try_userinfo(Scan *s, size_t i) {
  const char *z = s->z;
  size_t n = s->n;
  size_t iStart = i + 3, j = iStart, iColon = 0;
  while (j < n && is_userinfo_char(z[j])) {
    /* A mask stands for bytes that may not have been userinfo: unless it
    ** is the password itself, it ends the scan, as they did. */
    size_t nMask = sizeof(REDACT_MASK) - 1;
    if (n - j > nMask && memcmp(z + j, REDACT_MASK, nMask) == 0 &&
        z[j + nMask] != '@') {
      break;
    }
    if (z[j] == ':' && !iColon) {
      iColon = j;
    }
    j++;
  }
  if (j >= n || z[j] != '@' || j == iStart) {
    return iStart;
  }
  if (iColon && j > iColon + 1) {
    mask(s, iColon + 1, j);
  }
  return j + 1;
}

/* At a word start "bearer": masks a following credential. */
static size_t try_bearer(Scan *s, size_t i) {
  const char *z = s->z;
  size_t n = s->n;
  if (n - i < 7 || (z[i] != 'b' && z[i] != 'B') ||
      strncasecmp(z + i, "bearer", 6) != 0 || z[i + 6] != ' ') {
    return i;
  }
  size_t j = i + 7;
  while (j < n && z[j] == ' ') {
    j++;
  }
  size_t k = j;
  while (k < n && (CLASS(z[k]) & (C_ALPHA | C_DIGIT | C_BEARP))) {
    k++;
  }
  if (k - j >= 8) {
    mask(s, j, k);
    return k;
  }
  return i;
}

static int is_local_char(char c) {
  return CLASS(c) & (C_ALPHA | C_DIGIT | C_LOCALP);
}

/* At '@': masks local@domain.tld when the local part is still pending. */
static size_t try_email(Scan *s, size_t i) {
  const char *z = s->z;
  size_t n = s->n;
  size_t iLocal = i;
  while (iLocal > s->iRun && is_local_char(z[iLocal - 1])) {
    iLocal--;
  }
  if (iLocal == i || i + 1 >= n || !IS_ALNUM(z[i + 1])) {
    return i + 1;
  }
  size_t j = i + 1, iLastDot = 0;
  while (j < n && (IS_ALNUM(z[j]) || z[j] == '-' ||
                   (z[j] == '.' && j + 1 < n && IS_ALNUM(z[j + 1])))) {
    if (z[j] == '.') {
      iLastDot = j;
    }
    j++;
  }
  if (!iLastDot || j - iLastDot < 3) {
    return i + 1;
  }
  for (size_t k = iLastDot + 1; k < j; k++) {
    if (!IS_ALPHA(z[k])) {
      return i + 1;
    }
  }
  mask(s, iLocal, j);
  return j;
}

int redact_text_keys(const char *z, size_t n, int bEmails,
                     const char *const *azExtraKeys, Buf *pOut) {
  Scan s = {z, n, 0, pOut, 0, 0};
  /* Only a few bytes can start a mask: the scan hops between them (most
  ** lines are mostly letters, digits and spaces). */
  unsigned short mStart = C_START | (bEmails ? C_AT : 0);
  size_t i = 0, iFloor = 0;
  while (i < n) {
    if (!(CLASS(z[i]) & mStart)) {
      i++;
      continue;
    }
    char c = z[i];
    size_t iNext = i + 1;
    if (c == ':' && n - i >= 3 && z[i + 1] == '/' && z[i + 2] == '/') {
      iNext = try_userinfo(&s, i);
    } else if (c == '=' || c == ':') {
      iNext = try_key(&s, i, iFloor, azExtraKeys);
    } else if (c == '@') {
      iNext = try_email(&s, i);
    } else if (i == 0 || !is_word(z[i - 1])) {
      iNext = try_bearer(&s, i); /* 'b' or 'B' starting a word */
    }
    if (iNext > i + 1) {
      iFloor = iNext; /* bytes before it were masked or skipped whole */
    }
    i = iNext > i ? iNext : i + 1;
  }
  buf_append(pOut, z + s.iRun, n - s.iRun);
  return s.nMask;
}

int redact_text(const char *z, size_t n, int bEmails, Buf *pOut) {
  return redact_text_keys(z, n, bEmails, NULL, pOut);
}
