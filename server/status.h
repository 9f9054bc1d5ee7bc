/*
** status.h: the public status page and health check. Public: shows only
** components and incidents marked public.
*/
#ifndef HS_STATUS_H
#define HS_STATUS_H

#include "http.h"

int status_page(Req *r); /* GET / */
int status_healthz(Req *r); /* GET /healthz */

#endif
