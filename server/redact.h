/*
** redact.h: masking secrets and personal data in text before it is stored.
** Pure functions; thread-safe; the only memory they touch is the output Buf.
*/
#ifndef HS_REDACT_H
#define HS_REDACT_H

#include <stddef.h>

#include "buf.h"

/* The mask written in place of a secret. */
#define REDACT_MASK "***"

/*
** Appends z[0..n) to pOut with secrets replaced by REDACT_MASK:
**  - values of secret-looking keys, case-insensitive, as key=value (URL
**    query strings, logfmt), key: value, and JSON "key": "value"; the keys
**    are password passwd pwd token access_token refresh_token api_key apikey
**    secret key private_key authorization, and (for the longer ones) any
**    word ending in _key, -key or .key of them (client_secret, x-api-key,
**    db.password);
**  - the password in URL userinfo (scheme://user:PASSWORD@host);
**  - the credentials after "Authorization: Bearer|Basic|..." and after a
**    bare "Bearer ";
**  - e-mail addresses, when bEmails.
** Returns how many things were masked. pOut's sticky error reports a
** capped-out Buf (check buf_err()). z need not be NUL-terminated and may be
** any bytes. Does not allocate except through pOut.
*/
int redact_text(const char *z, size_t n, int bEmails, Buf *pOut);

/* The same, with azExtraKeys (NULL-terminated, may be NULL) matched like
** the built-in keys: exactly, or as the last part of a longer word. */
int redact_text_keys(const char *z, size_t n, int bEmails,
                     const char *const *azExtraKeys, Buf *pOut);

#endif
