/*
** syslog_door.c: the syslog UDP, TCP and RELP listeners (see
** syslog_door.h).
**
** A batch is the messages read since the last commit, newline-joined (a
** newline inside an octet-counted message becomes a space), fed to one
** "syslog" IngestRun and committed. TCP reads stop while a batch is
** outstanding, so a slow or full disk slows the senders (their socket
** buffers fill) instead of growing memory. UDP cannot push back: a batch
** that storage refuses is dropped and counted.
**
** Threading: the state below belongs to the main thread (start/stop);
** each listener's Listener is used only by its own worker thread after
** start, and the Worker's stop flag is the only thing shared.
*/
#include "syslog_door.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "db.h"
#include "err.h"
#include "ingest_store.h"
#include "metrics.h"
#include "relp_frame.h"
#include "syslog_frame.h"
#include "utc.h"
#include "worker.h"

#define SYSLOG_MAX_FRAME (64 * 1024) /* bytes of one message */
#define SYSLOG_POLL_MS 200           /* wait for input, then commit */
#define SYSLOG_RETRY_MS 1000         /* storage refused: wait, retry */

typedef struct Batch {
  Buf text;     /* the messages, one a line */
  int64_t nMsg; /* messages in text */
  int64_t nBad; /* frames dropped since the last count */
} Batch;

typedef struct Conn {
  int fd;              /* -1 when the slot is free */
  SyslogFramer framer; /* this connection's framing state (TCP) */
  int64_t lastMs;      /* last bytes read, for the idle timeout */
  RelpParser relp;     /* this connection's framing state (RELP) */
  Buf out;             /* RELP: answers, in order; the first nReady are
                          committed (sendable), the rest wait for it */
  size_t nReady;       /* bytes of out that may be sent */
  int bOpen;           /* RELP: the session was opened */
  int bClosing;        /* RELP: close once out is sent (close, error) */
} Conn;

typedef struct Listener {
  Worker worker;               /* its thread */
  int fd;                      /* the bound socket, or -1 */
  int bTcp;                    /* TCP (else UDP) */
  int bRelp;                   /* RELP over TCP (bTcp is set too) */
  const char *zDoor;           /* "syslog_udp", "syslog_tcp" or
                                  "syslog_relp", for /metrics */
  Batch batch;                 /* messages not yet committed */
  Conn aConn[SYSLOG_MAX_CONN]; /* TCP only */
} Listener;

static Listener udp = {.worker = WORKER_INIT, .fd = -1};
static Listener tcp = {.worker = WORKER_INIT, .fd = -1, .bTcp = 1};
static Listener relp = {.worker = WORKER_INIT, .fd = -1, .bTcp = 1, .bRelp = 1};

/* --syslog-allow: the networks senders may be in (none: any). Set by
** syslog_door_start() before the threads start, read-only after. */
typedef struct AllowNet {
  uint8_t a[16]; /* the network, IPv4 as ::ffff:a.b.c.d */
  int nBit;      /* prefix length over the 128 bits */
} AllowNet;
#define SYSLOG_MAX_ALLOW 32
static AllowNet aAllow[SYSLOG_MAX_ALLOW];
static int nAllow;

/* An address as 16 bytes (IPv4 mapped). 0, or -1 for another family. */
static int addr_bytes(const struct sockaddr *pSa, uint8_t *a) {
  if (pSa->sa_family == AF_INET) {
    memset(a, 0, 10);
    a[10] = a[11] = 0xFF;
    memcpy(a + 12, &((const struct sockaddr_in *)pSa)->sin_addr, 4);
    return 0;
  }
  if (pSa->sa_family == AF_INET6) {
    memcpy(a, &((const struct sockaddr_in6 *)pSa)->sin6_addr, 16);
    return 0;
  }
  return -1;
}

/* 1 if the sender may send (no list, or in one of its networks). */
static int sender_allowed(const struct sockaddr *pSa) {
  uint8_t a[16];
  if (nAllow == 0) {
    return 1;
  }
  if (addr_bytes(pSa, a)) {
    return 0;
  }
  for (int i = 0; i < nAllow; i++) {
    int nBit = aAllow[i].nBit, k = 0;
    for (; nBit >= 8 && a[k] == aAllow[i].a[k]; k++, nBit -= 8) {
    }
    if (nBit <= 0 || (nBit < 8 && ((a[k] ^ aAllow[i].a[k]) & (0xFF00 >> nBit) &
                                   0xFF) == 0)) {
      return 1;
    }
  }
  return 0;
}

/* Parses "10.0.0.0/8,127.0.0.1,::1,fd00::/8" into aAllow. 0 or E_INVALID. */
static int allow_parse(const char *zList) {
  char zItem[64];
  nAllow = 0;
  while (*zList) {
    size_t n = strcspn(zList, ",");
    if (n == 0 || n >= sizeof(zItem) || nAllow == SYSLOG_MAX_ALLOW) {
      return E_INVALID;
    }
    memcpy(zItem, zList, n);
    zItem[n] = 0;
    zList += n + (zList[n] == ',');
    char *zSlash = strchr(zItem, '/');
    int nBit = -1;
    if (zSlash) {
      char *zEnd;
      *zSlash = 0;
      nBit = (int)strtol(zSlash + 1, &zEnd, 10);
      if (*zEnd || zSlash[1] == 0) {
        return E_INVALID;
      }
    }
    AllowNet *pNet = &aAllow[nAllow];
    struct in_addr v4;
    if (inet_pton(AF_INET, zItem, &v4) == 1) {
      if (nBit < 0) {
        nBit = 32;
      } else if (nBit > 32) {
        return E_INVALID;
      }
      memset(pNet->a, 0, 10);
      pNet->a[10] = pNet->a[11] = 0xFF;
      memcpy(pNet->a + 12, &v4, 4);
      pNet->nBit = nBit + 96;
    } else if (inet_pton(AF_INET6, zItem, pNet->a) == 1) {
      if (nBit < 0) {
        nBit = 128;
      } else if (nBit > 128) {
        return E_INVALID;
      }
      pNet->nBit = nBit;
    } else {
      return E_INVALID;
    }
    nAllow++;
  }
  return nAllow ? 0 : E_INVALID;
}

/* Adds one message to the batch (a SyslogFrameFn). */
static int batch_add(void *pArg, const char *z, size_t n) {
  Batch *b = pArg;
  size_t i0 = b->text.n;
  buf_append(&b->text, z, n);
  for (size_t i = i0; i < b->text.n; i++) {
    char c = b->text.z[i];
    if (c == '\n' || c == '\r' || c == 0) {
      b->text.z[i] = ' ';
    }
  }
  buf_putc(&b->text, '\n');
  b->nMsg++;
  return 0;
}

static void batch_bad(void *pArg, const char *zReason) {
  (void)zReason;
  ((Batch *)pArg)->nBad++;
}

static int batch_full(const Batch *b) {
  return b->nMsg >= SYSLOG_BATCH_MSGS || b->text.n >= SYSLOG_BATCH_BYTES;
}

/* Stores the batch in one transaction. 0 (the batch is emptied), or E_DB
** (it is kept for a retry). */
static int batch_commit(Listener *p) {
  Batch *b = &p->batch;
  if (b->nMsg == 0) {
    metrics_door(p->zDoor, 0, 0, b->nBad);
    b->nBad = 0;
    return 0;
  }
  IngestOptions opt = {.nowMs = utc_now_ms()};
  IngestTarget target = {.zActor = "syslog", .bStream = 1};
  IngestReport report = {0};
  int rc = 0;
  db_clear_error();
  IngestRun *pRun = ingest_run_new("syslog", &opt, &target, &rc);
  if (pRun) {
    rc = ingest_run_feed(pRun, b->text.z, b->text.n);
    int rcFinish = ingest_run_finish(pRun, &report);
    rc = rc ? rc : rcFinish;
    ingest_run_free(pRun);
  } else if (rc == 0) {
    rc = E_DB;
  }
  json_decref(report.pErrors);
  if (rc) {
    return E_DB;
  }
  /* Lines the parser refused count as dropped, like bad frames. */
  metrics_door(p->zDoor, b->nMsg, report.nAccepted + report.nDuplicate,
               b->nBad + report.nRejected);
  buf_reset(&b->text);
  b->nMsg = 0;
  b->nBad = 0;
  return 0;
}

/* UDP ------------------------------------------------------------------ */

static void udp_main(void *pArg) {
  Listener *p = pArg;
  char *aDgram = xmalloc(SYSLOG_MAX_FRAME);
  uint32_t nKernelDrops = 0; /* SO_RXQ_OVFL's running count */
  while (!worker_stopping(&p->worker)) {
    struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
    int nReady = poll(&pfd, 1, SYSLOG_POLL_MS);
    while (nReady > 0 && !batch_full(&p->batch)) {
      char aCtl[CMSG_SPACE(sizeof(uint32_t))];
      struct iovec iov = {.iov_base = aDgram, .iov_len = SYSLOG_MAX_FRAME};
      struct sockaddr_storage from;
      struct msghdr msg = {.msg_name = &from,
                           .msg_namelen = sizeof(from),
                           .msg_iov = &iov,
                           .msg_iovlen = 1,
                           .msg_control = aCtl,
                           .msg_controllen = sizeof(aCtl)};
      ssize_t n = recvmsg(p->fd, &msg, MSG_DONTWAIT);
      if (n < 0) {
        break; /* EAGAIN: drained */
      }
      for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c;
           c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
          uint32_t nNow;
          memcpy(&nNow, CMSG_DATA(c), sizeof(nNow));
          metrics_door(p->zDoor, 0, 0,
                       (int64_t)(uint32_t)(nNow - nKernelDrops));
          nKernelDrops = nNow;
        }
      }
      if ((msg.msg_flags & MSG_TRUNC) || n == 0 ||
          !sender_allowed((struct sockaddr *)&from)) {
        p->batch.nBad++;
        continue;
      }
      size_t m = (size_t)n;
      while (m > 0 && (aDgram[m - 1] == '\n' || aDgram[m - 1] == 0)) {
        m--; /* a trailing LF or NUL is framing, not message */
      }
      batch_add(&p->batch, aDgram, m);
    }
    if (batch_commit(p)) {
      /* Best effort: the sender cannot be told to wait. */
      metrics_door(p->zDoor, p->batch.nMsg, 0, p->batch.nMsg + p->batch.nBad);
      buf_reset(&p->batch.text);
      p->batch.nMsg = 0;
      p->batch.nBad = 0;
    }
  }
  free(aDgram);
  db_close_thread();
}

/* TCP ------------------------------------------------------------------ */

static void conn_close(Listener *p, Conn *c) {
  syslog_framer_end(&c->framer, batch_add, batch_bad, &p->batch);
  syslog_framer_free(&c->framer);
  close(c->fd);
  c->fd = -1;
}

/* Batching of a stream listener (TCP, RELP): when the open batch began,
** and whether storage refused it. */
typedef struct Pace {
  int64_t startMs; /* when the batch got its first message */
  int bRefused;    /* storage refused the batch: retry first */
} Pace;

/* Back-pressure: while the last batch is refused, read nothing (nor, on
** RELP, acknowledge anything). 1 when the round should wait and retry. */
static int pace_blocked(Listener *p, Pace *pc) {
  if (!pc->bRefused) {
    return 0;
  }
  if (batch_commit(p)) {
    worker_wait(&p->worker, SYSLOG_RETRY_MS);
    return 1;
  }
  pc->bRefused = 0;
  return 0;
}

/* After a round of reads: commits the batch once input pauses (nothing
** was read), it is full, or it is SYSLOG_POLL_MS old, so a steady stream
** commits in big batches. nBefore: messages in the batch before the round. */
static void pace_commit(Listener *p, Pace *pc, int64_t nBefore, int bRead,
                        int64_t now) {
  if (nBefore == 0 && p->batch.nMsg > 0) {
    pc->startMs = now;
  }
  if ((p->batch.nMsg || p->batch.nBad) &&
      (!bRead || batch_full(&p->batch) ||
       now - pc->startMs >= SYSLOG_POLL_MS)) {
    pc->bRefused = batch_commit(p) != 0; /* retried at the top */
  }
}

/* Accepts a connection on p's socket into a free slot (fd and lastMs set;
** the caller sets up its framing). NULL when it was refused (not on
** --syslog-allow), there was none, or no slot is free. */
static Conn *conn_accept(Listener *p, int64_t now) {
  struct sockaddr_storage from;
  socklen_t nFrom = sizeof(from);
  int fd = accept(p->fd, (struct sockaddr *)&from, &nFrom);
  if (fd < 0) {
    return NULL;
  }
  if (!sender_allowed((struct sockaddr *)&from)) {
    close(fd); /* not on --syslog-allow */
    p->batch.nBad++;
    return NULL;
  }
  for (int i = 0; i < SYSLOG_MAX_CONN; i++) {
    Conn *c = &p->aConn[i];
    if (c->fd < 0) {
      c->fd = fd;
      c->lastMs = now;
      return c;
    }
  }
  close(fd);
  return NULL;
}

static void tcp_main(void *pArg) {
  Listener *p = pArg;
  char *aRead = xmalloc(SYSLOG_MAX_FRAME);
  struct pollfd aPoll[SYSLOG_MAX_CONN + 1];
  int aIdx[SYSLOG_MAX_CONN + 1];
  Pace pace = {0};
  while (!worker_stopping(&p->worker)) {
    if (pace_blocked(p, &pace)) {
      continue;
    }
    int nPoll = 0, nConn = 0;
    for (int i = 0; i < SYSLOG_MAX_CONN; i++) {
      if (p->aConn[i].fd >= 0) {
        aPoll[nPoll] = (struct pollfd){.fd = p->aConn[i].fd, .events = POLLIN};
        aIdx[nPoll++] = i;
        nConn++;
      }
    }
    if (nConn < SYSLOG_MAX_CONN) {
      aPoll[nPoll] = (struct pollfd){.fd = p->fd, .events = POLLIN};
      aIdx[nPoll++] = -1; /* full: new connections wait in the backlog */
    }
    /* While a batch fills, only look for more that is ready now: a batch
    ** is committed once input pauses, it is full, or it is
    ** SYSLOG_POLL_MS old, so a steady stream commits in big batches. */
    int nReady = poll(aPoll, (nfds_t)nPoll, p->batch.nMsg ? 0 : SYSLOG_POLL_MS);
    int64_t now = utc_now_ms();
    int64_t nBefore = p->batch.nMsg;
    int bRead = 0;
    for (int k = 0; k < nPoll; k++) {
      if (nReady <= 0 && aIdx[k] < 0) {
        continue;
      } else if (aIdx[k] < 0) {
        Conn *c = aPoll[k].revents & POLLIN ? conn_accept(p, now) : NULL;
        if (c) {
          syslog_framer_init(&c->framer, SYSLOG_MAX_FRAME);
        }
        continue;
      }
      Conn *c = &p->aConn[aIdx[k]];
      if (nReady > 0 && (aPoll[k].revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t n = read(c->fd, aRead, SYSLOG_MAX_FRAME);
        if (n <= 0) {
          conn_close(p, c);
          continue;
        }
        c->lastMs = now;
        bRead = 1;
        syslog_framer_feed(&c->framer, aRead, (size_t)n, batch_add, batch_bad,
                           &p->batch, NULL);
        if (batch_full(&p->batch)) {
          break; /* commit before reading more */
        }
      } else if (now - c->lastMs > SYSLOG_IDLE_MS) {
        conn_close(p, c);
      }
    }
    pace_commit(p, &pace, nBefore, bRead, now);
  }
  for (int i = 0; i < SYSLOG_MAX_CONN; i++) {
    if (p->aConn[i].fd >= 0) {
      conn_close(p, &p->aConn[i]);
    }
  }
  if (batch_commit(p)) {
    metrics_door(p->zDoor, p->batch.nMsg, 0, p->batch.nMsg);
  }
  free(aRead);
  db_close_thread();
}

/* RELP ----------------------------------------------------------------- */

/* RELP's answers are queued on the connection and sent only once the
** batch holding the messages before them is committed: an acknowledged
** message is stored, and the sender resends what was not acknowledged.
** A connection with answers it cannot send yet (the peer is not reading)
** is not read either. */

/* Bytes of answers a connection may hold: a full batch's acks plus one
** read's worth of the smallest frames (13 bytes), 24 bytes an ack. */
#define RELP_MAX_OUT ((SYSLOG_BATCH_MSGS + SYSLOG_MAX_FRAME / 8) * 24)

typedef struct RelpCtx {
  Listener *p; /* the listener, for its batch */
  Conn *c;     /* the connection the frames came on */
} RelpCtx;

static const char zRelpOffers[] = "200 OK\nrelp_version=0\n"
                                  "relp_software=hindsight\ncommands=syslog";

/* One frame (a RelpFrameFn): 1 stops reading the connection. */
static int relp_frame(void *pArg, const RelpFrame *f) {
  RelpCtx *x = pArg;
  Conn *c = x->c;
  if (strcmp(f->zCmd, "syslog") == 0 && c->bOpen) {
    batch_add(&x->p->batch, f->z, f->n);
    relp_rsp(&c->out, f->txnr, "200 OK");
    return 0;
  }
  if (strcmp(f->zCmd, "open") == 0 && !c->bOpen) {
    c->bOpen = 1;
    relp_rsp(&c->out, f->txnr, zRelpOffers);
    return 0;
  }
  if (strcmp(f->zCmd, "close") == 0) {
    relp_rsp(&c->out, f->txnr, "200 OK");
    c->bClosing = 1;
    return 1;
  }
  if (!c->bOpen || strcmp(f->zCmd, "open") == 0) {
    /* The session must start with one open, as librelp's server wants. */
    x->p->batch.nBad += strcmp(f->zCmd, "syslog") == 0; /* refused */
    relp_rsp(&c->out, f->txnr, "500 the session must begin with open");
    c->bClosing = 1;
    return 1;
  }
  relp_rsp(&c->out, f->txnr, "500 command not supported");
  return 0;
}

static void relp_conn_close(Listener *p, Conn *c) {
  if (relp_parser_partial(&c->relp)) {
    p->batch.nBad++; /* cut inside a frame: never acknowledged, resent */
  }
  relp_parser_free(&c->relp);
  buf_free(&c->out);
  close(c->fd);
  c->fd = -1;
}

/* Sends what may be sent of c's answers. 0, or -1 when the connection is
** done (closed after its last answer, or broken). */
static int relp_flush(Listener *p, Conn *c) {
  if (buf_err(&c->out)) {
    relp_conn_close(p, c); /* the peer read no answers for too long */
    return -1;
  }
  if (c->nReady > 0) {
    ssize_t n = send(c->fd, c->out.z, c->nReady, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      relp_conn_close(p, c);
      return -1;
    }
    if (n > 0) {
      memmove(c->out.z, c->out.z + n, c->out.n - (size_t)n);
      c->out.n -= (size_t)n;
      c->out.z[c->out.n] = 0;
      c->nReady -= (size_t)n;
    }
  }
  if (c->bClosing && c->out.n == 0) {
    relp_conn_close(p, c);
    return -1;
  }
  return 0;
}

static void relp_main(void *pArg) {
  Listener *p = pArg;
  char *aRead = xmalloc(SYSLOG_MAX_FRAME);
  struct pollfd aPoll[SYSLOG_MAX_CONN + 1];
  int aIdx[SYSLOG_MAX_CONN + 1];
  Pace pace = {0};
  while (!worker_stopping(&p->worker)) {
    if (pace_blocked(p, &pace)) {
      continue;
    }
    int nPoll = 0, nConn = 0;
    for (int i = 0; i < SYSLOG_MAX_CONN; i++) {
      Conn *c = &p->aConn[i];
      if (c->fd >= 0) {
        short ev = c->nReady ? POLLOUT : c->bClosing ? 0 : POLLIN;
        aPoll[nPoll] = (struct pollfd){.fd = c->fd, .events = ev};
        aIdx[nPoll++] = i;
        nConn++;
      }
    }
    if (nConn < SYSLOG_MAX_CONN) {
      aPoll[nPoll] = (struct pollfd){.fd = p->fd, .events = POLLIN};
      aIdx[nPoll++] = -1;
    }
    int nReady = poll(aPoll, (nfds_t)nPoll, p->batch.nMsg ? 0 : SYSLOG_POLL_MS);
    int64_t now = utc_now_ms();
    int64_t nBefore = p->batch.nMsg;
    int bRead = 0;
    for (int k = 0; k < nPoll && nReady > 0; k++) {
      if (aIdx[k] < 0) {
        Conn *c = aPoll[k].revents & POLLIN ? conn_accept(p, now) : NULL;
        if (c) {
          c->nReady = 0;
          c->bOpen = 0;
          c->bClosing = 0;
          relp_parser_init(&c->relp, SYSLOG_MAX_FRAME);
          buf_init(&c->out, RELP_MAX_OUT);
        }
        continue;
      }
      Conn *c = &p->aConn[aIdx[k]];
      if (!(aPoll[k].events & POLLIN) ||
          !(aPoll[k].revents & (POLLIN | POLLHUP | POLLERR))) {
        continue;
      }
      ssize_t n = read(c->fd, aRead, SYSLOG_MAX_FRAME);
      if (n <= 0) {
        relp_conn_close(p, c); /* its unacknowledged messages are resent */
        continue;
      }
      c->lastMs = now;
      bRead = 1;
      RelpCtx x = {.p = p, .c = c};
      int rc =
          relp_parser_feed(&c->relp, aRead, (size_t)n, relp_frame, &x, NULL);
      if (rc == RELP_BAD) {
        char zMsg[96];
        snprintf(zMsg, sizeof(zMsg), "500 %s", c->relp.zErr);
        relp_rsp(&c->out, c->relp.txnr, zMsg);
        c->bClosing = 1;
        p->batch.nBad++;
      }
      if (batch_full(&p->batch)) {
        break; /* commit before reading more */
      }
    }
    pace_commit(p, &pace, nBefore, bRead, now);
    for (int i = 0; i < SYSLOG_MAX_CONN; i++) {
      Conn *c = &p->aConn[i];
      if (c->fd < 0) {
        continue;
      }
      if (p->batch.nMsg == 0) {
        c->nReady = c->out.n; /* everything answered is stored */
      }
      /* Idle: silent, or not reading its answers, for too long. */
      if (relp_flush(p, c) == 0 && now - c->lastMs > SYSLOG_IDLE_MS) {
        relp_conn_close(p, c);
      }
    }
  }
  int bStored = batch_commit(p) == 0;
  if (!bStored) {
    metrics_door(p->zDoor, p->batch.nMsg, 0, p->batch.nMsg);
  }
  for (int i = 0; i < SYSLOG_MAX_CONN; i++) {
    Conn *c = &p->aConn[i];
    if (c->fd >= 0) {
      if (bStored) {
        c->nReady = c->out.n;
        c->bClosing = 0;
        relp_flush(p, c); /* best effort: what is not acked is resent */
      }
      if (c->fd >= 0) {
        relp_conn_close(p, c);
      }
    }
  }
  free(aRead);
  db_close_thread();
}

/* Start and stop ------------------------------------------------------- */

/* Binds zAddr ("HOST:PORT", "[v6]:PORT") and prints where. fd or -1. */
static int bind_addr(const char *zAddr, int bTcp, const char *zKind) {
  char zHost[256];
  const char *zColon = strrchr(zAddr, ':');
  if (!zColon || (size_t)(zColon - zAddr) >= sizeof(zHost)) {
    fprintf(stderr, "hindsight: --syslog-%s needs HOST:PORT\n", zKind);
    return -1;
  }
  const char *zH = zAddr;
  size_t nH = (size_t)(zColon - zAddr);
  if (nH >= 2 && zH[0] == '[' && zH[nH - 1] == ']') {
    zH++;
    nH -= 2;
  }
  memcpy(zHost, zH, nH);
  zHost[nH] = 0;
  struct addrinfo hints = {.ai_family = AF_UNSPEC,
                           .ai_socktype = bTcp ? SOCK_STREAM : SOCK_DGRAM,
                           .ai_flags = AI_PASSIVE};
  struct addrinfo *pAi = NULL;
  int rc = getaddrinfo(nH ? zHost : NULL, zColon + 1, &hints, &pAi);
  if (rc) {
    fprintf(stderr, "hindsight: --syslog-%s %s: %s\n", zKind, zAddr,
            gai_strerror(rc));
    return -1;
  }
  int fd = socket(pAi->ai_family, pAi->ai_socktype | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd >= 0) {
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (!bTcp) {
      setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
    }
  }
  if (fd < 0 || bind(fd, pAi->ai_addr, pAi->ai_addrlen) ||
      (bTcp && listen(fd, 64))) {
    fprintf(stderr, "hindsight: cannot listen for syslog on %s: %s\n", zAddr,
            strerror(errno));
    if (fd >= 0) {
      close(fd);
    }
    freeaddrinfo(pAi);
    return -1;
  }
  freeaddrinfo(pAi);
  struct sockaddr_storage ss;
  socklen_t nSs = sizeof(ss);
  char zNumHost[64] = "?", zPort[16] = "0";
  if (getsockname(fd, (struct sockaddr *)&ss, &nSs) == 0) {
    getnameinfo((struct sockaddr *)&ss, nSs, zNumHost, sizeof(zNumHost), zPort,
                sizeof(zPort), NI_NUMERICHOST | NI_NUMERICSERV);
  }
  printf("hindsight: syslog %s listening on %s%s%s:%s\n", zKind,
         strchr(zNumHost, ':') ? "[" : "", zNumHost,
         strchr(zNumHost, ':') ? "]" : "", zPort);
  fflush(stdout);
  return fd;
}

static int listener_start(Listener *p, const char *zAddr) {
  const char *zKind = p->bRelp ? "relp" : p->bTcp ? "tcp" : "udp";
  p->fd = bind_addr(zAddr, p->bTcp, zKind);
  if (p->fd < 0) {
    return E_IO;
  }
  p->zDoor = p->bRelp ? "syslog_relp" : p->bTcp ? "syslog_tcp" : "syslog_udp";
  buf_init(&p->batch.text, SYSLOG_BATCH_BYTES + 2 * SYSLOG_MAX_FRAME + 64);
  for (int i = 0; i < SYSLOG_MAX_CONN; i++) {
    p->aConn[i].fd = -1;
  }
  if (worker_start(&p->worker,
                   p->bRelp  ? relp_main
                   : p->bTcp ? tcp_main
                             : udp_main,
                   p)) {
    close(p->fd);
    p->fd = -1;
    buf_free(&p->batch.text);
    return E_IO;
  }
  pthread_setname_np(p->worker.thread, p->bRelp  ? "hs-syslog-relp"
                                       : p->bTcp ? "hs-syslog-tcp"
                                                 : "hs-syslog-udp");
  return 0;
}

static void listener_stop(Listener *p) {
  if (p->fd < 0) {
    return;
  }
  worker_stop(&p->worker);
  close(p->fd);
  p->fd = -1;
  buf_free(&p->batch.text);
}

int syslog_door_start(const char *zUdp, const char *zTcp, const char *zRelp,
                      const char *zAllow) {
  if (zAllow && allow_parse(zAllow)) {
    fprintf(stderr,
            "hindsight: --syslog-allow takes addresses and networks"
            " like 127.0.0.1,10.0.0.0/8,::1 (at most %d)\n",
            SYSLOG_MAX_ALLOW);
    return E_INVALID;
  }
  if (zUdp && listener_start(&udp, zUdp)) {
    return E_IO;
  }
  if (zTcp && listener_start(&tcp, zTcp)) {
    listener_stop(&udp);
    return E_IO;
  }
  if (zRelp && listener_start(&relp, zRelp)) {
    listener_stop(&tcp);
    listener_stop(&udp);
    return E_IO;
  }
  return 0;
}

void syslog_door_stop(void) {
  listener_stop(&relp);
  listener_stop(&tcp);
  listener_stop(&udp);
}
