/*
** routes.h: the route table (routes.c), which http.c dispatches on.
*/
#ifndef HS_ROUTES_H
#define HS_ROUTES_H

#include <stddef.h>

#include "http.h"

extern const Route aRoute[];
extern const size_t nRoute;

#endif
