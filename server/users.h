/*
** users.h: the admin pages for users and API tokens (/app/users). The
** store itself (hashing, sessions, tokens) is auth.c's.
*/
#ifndef HS_USERS_H
#define HS_USERS_H

#include "http.h"

int users_page(Req *r);        /* GET  /app/users */
int users_create(Req *r);      /* POST /app/users */
int users_delete(Req *r);      /* POST /app/users/{name}/delete */
int users_token_create(Req *r); /* POST /app/tokens */
int users_token_revoke(Req *r); /* POST /app/tokens/{name}/revoke */
int users_set_role(Req *r);     /* POST /app/users/{name}/role */
int users_reset_password(Req *r); /* POST /app/users/{name}/password */
json_t *users_names(void);      /* NEW array of user names, for pickers */

#endif
