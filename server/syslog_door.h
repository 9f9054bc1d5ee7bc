/*
** syslog_door.h: the opt-in syslog listeners of `hindsight serve
** --syslog-udp HOST:PORT --syslog-tcp HOST:PORT --syslog-relp HOST:PORT`:
** RFC 5426 (one message a datagram), RFC 6587 (octet counting or newline
** framing, per frame) and RELP (rsyslog's omrelp: each message is
** acknowledged only once the batch holding it is committed, so a sender
** resends what a crash lost).
** Messages go through the syslog parser (ingest_syslog.c, RFC 5424 and
** 3164) into the ingest store in batches; a batch is committed before the
** connection is read further (TCP back-pressure: nothing more is read
** while storage refuses the batch). UDP is best-effort: datagrams the
** kernel dropped (queue full) or a batch storage refused are counted in
** /metrics.
**
** Syslog has no token: bind to loopback or a trusted network, and
** optionally name the senders' networks (--syslog-allow).
**
** Threading: start and stop from the main thread; each listener runs on
** its own Worker (worker.c) with its own database connection.
*/
#ifndef HS_SYSLOG_DOOR_H
#define HS_SYSLOG_DOOR_H

#define SYSLOG_MAX_CONN 64           /* TCP connections served at once */
#define SYSLOG_IDLE_MS 300000        /* a silent TCP connection is closed */
#define SYSLOG_BATCH_MSGS 10000      /* messages committed together, at most */
#define SYSLOG_BATCH_BYTES (4 << 20) /* bytes of a batch (soft cap) */

/* Binds the listeners given (NULL: none); zAllow, when not NULL, is the
** comma-separated addresses and networks (CIDR) senders must be in
** (others' datagrams are dropped and connections closed, both counted as
** dropped). Prints "syslog udp listening on HOST:PORT" (tcp, relp; port 0
** picks one) on stdout, and starts their threads.
** 0, or E_INVALID (bad address) / E_IO (cannot bind), with a message on
** stderr; nothing is left running then. */
int syslog_door_start(const char *zUdp, const char *zTcp, const char *zRelp,
                      const char *zAllow);

/* Stops the listeners, committing what they hold. */
void syslog_door_stop(void);

#endif
