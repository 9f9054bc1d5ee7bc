/*
** cookie.h: finding a request cookie by its exact name.
**
** libmicrohttpd parses the Cookie header, but its lookup compares names
** without regard to case, so "HS_SESSION" or "__HOST-hs_session" would be
** taken for our cookies. Cookie names are case-sensitive (RFC 6265), and
** the __Host- prefix only protects the exact spelling in older browsers, so
** we match names exactly. Threading: no state; call from the thread that
** serves the connection.
*/
#ifndef HS_COOKIE_H
#define HS_COOKIE_H

struct MHD_Connection;

/* The value of the first cookie named exactly zName, BORROWED from MHD
** until the request ends; NULL if there is none. A cookie without a value
** gives "". */
const char *cookie_get(struct MHD_Connection *pConn, const char *zName);

#endif
