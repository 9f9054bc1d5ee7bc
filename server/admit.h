/*
** admit.h: connection admission that a few addresses cannot exhaust.
**
** libmicrohttpd caps connections in all and per address
** (MHD_OPTION_CONNECTION_LIMIT, MHD_OPTION_PER_IP_CONNECTION_LIMIT), and
** its MHD_OPTION_CONNECTION_TIMEOUT closes a connection only after that
** long *without a byte*: a client sending one header byte every few
** seconds keeps its slot forever. MHD has no deadline for a whole request
** head, and no way to prefer one connection over another. So this module
** keeps one of its own:
**
** - a table of live connections (MHD_OPTION_NOTIFY_CONNECTION) with the
**   time each entered its "head phase": accepted or kept alive after an
**   answer, and not yet past its request head (for anonymous requests
**   with a body: not yet past the body);
** - a watchdog thread (worker.c) that shuts down every connection whose
**   head phase is older than the head deadline;
** - a cap on connections in the head phase at once (three quarters of
**   the connection limit): when a new one would pass it, the oldest one
**   in the head phase is shut down. The remaining quarter stays for
**   clients past their head: /healthz, public pages, logged-in users.
**
** A connection is shut down with shutdown(2): MHD then sees the end of
** the stream and closes it on its own thread as usual.
**
** Threading: the table is guarded by one mutex; MHD calls the notify
** callback from its pool threads, the watchdog scans from its own.
** MHD reports a connection closed before it closes the socket, and the
** slot is freed under the mutex, so a descriptor shut down here is
** always still the connection's.
*/
#ifndef HS_ADMIT_H
#define HS_ADMIT_H

#include <microhttpd.h>

/* Sizes the table for nMaxConn connections, with whole heads due within
** nHeadTimeoutS seconds, and starts the watchdog. 0, or E_IO (no thread;
** admission then only has MHD's limits). Before the daemon starts. */
int admit_start(int nMaxConn, int nHeadTimeoutS);

/* Stops the watchdog and frees the table. After the daemon stopped. */
void admit_stop(void);

/* MHD_OPTION_NOTIFY_CONNECTION's callback. */
void admit_notify(void *pCls, struct MHD_Connection *pConn,
                  void **ppSocket, enum MHD_ConnectionNotificationCode code);

/* The connection is past its head (bDone=1), or starts a new head phase
** (bDone=0: it answered a request and is kept alive). */
void admit_head(struct MHD_Connection *pConn, int bDone);

/* The connection was answered before its body was read: when MHD closes
** it, linger.c drains it first, so the client reads the answer rather
** than a reset (see linger.h). */
void admit_linger(struct MHD_Connection *pConn);

/* Connections shut down for their head deadline, and for the cap. */
void admit_counts(unsigned long *pnDeadline, unsigned long *pnShed);

#endif
