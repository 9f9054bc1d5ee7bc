/*
** auth.h: passwords (yescrypt through libcrypt), sessions, CSRF tokens,
** API tokens, and the login/logout pages.
**
** Threading: every function uses the calling thread's DB connection;
** no shared state.
*/
#ifndef HS_AUTH_H
#define HS_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"

#define AUTH_SESSION_TTL_MS (12LL * 3600 * 1000) /* absolute session life */
#define AUTH_MAX_FAILS 100              /* failed logins per account... */
#define AUTH_FAIL_WINDOW_MS (3600LL * 1000) /* ...per this window */

/* Fills z with 2*nBytes hex digits of getrandom() output plus a NUL. */
void auth_random_hex(char *z, size_t nBytes);

/* Hashes zPw with yescrypt and a fresh salt. NEW (free()), or NULL if
** libcrypt fails. */
char *auth_hash_password(const char *zPw);
/* 1 if zPw matches zHash, else 0. Constant-time comparison. */
int auth_verify_password(const char *zPw, const char *zHash);
/* Constant-time string equality (length leaks; contents do not). */
int auth_equal(const char *zA, const char *zB);

/* Fills r->userId, zUser, role, bToken, zScope, zCsrf and zSessionHash
** from the session cookie or, on /api/ and /hooks/, a bearer token.
** Anonymous requests are left as ROLE_NONE. Returns 0 or E_AUTH when a
** bearer token was given but is not valid (never fall back to anonymous). */
int auth_identify(Req *r);
/* Checks the CSRF token of a cookie-authenticated write: the csrf_token
** form field or the X-CSRF-Token header. 0 or E_FORBIDDEN. */
int auth_check_csrf(Req *r);

/* Users and tokens. Each change is written with its change-log row (see
** audit.h) in one transaction, as done by zActor (a user name, or "cli"
** from the command line); names, roles and scopes are logged, never a
** password or a token or their hashes. */

/* Creates a user. 0, E_CONFLICT if the name exists, E_INVALID for a bad
** name, role or a password shorter than 12 characters. */
int auth_user_add(const char *zName, const char *zRole, const char *zPw,
                  const char *zActor);
/* Sets a new password and ends every session of that user. 0, E_NOTFOUND,
** E_INVALID. */
int auth_user_passwd(const char *zName, const char *zPw, const char *zActor);
/* Deletes a user. 0 or E_NOTFOUND. */
int auth_user_del(const char *zName, const char *zActor);
/* Number of users (so the first start can create the admin). */
int auth_user_count(void);

/* Creates an API token; writes the secret into zToken[80] (shown once).
** Only its hash is stored. 0, E_CONFLICT, or E_INVALID. */
int auth_token_add(const char *zName, const char *zScope, char zToken[80],
                   const char *zActor);
/* Revokes the active token zName. 0 or E_NOTFOUND. */
int auth_token_revoke(const char *zName, const char *zActor);

/* Handlers: GET /login, POST /login, POST /logout. */
int auth_login_page(Req *r);
int auth_login_post(Req *r);
int auth_logout(Req *r);

/* CLI: `hindsight user ...` and `hindsight token ...` (argv after the
** command word). Returns the process exit code (0, 1 or 2). */
int auth_cli_user(int argc, char **argv);
int auth_cli_token(int argc, char **argv);

#endif
