/*
** db_pg.c: the PostgreSQL engine behind db.h (libpq), chosen when --db is
** a connection string. db.c dispatches here; nothing else includes it.
**
** Statements: SQL keeps SQLite's :name parameters; pg_prepare() rewrites
** them to $1.. once per text and remembers the names. A statement is
** prepared on the server the first time it runs on a connection; values go
** as text (bytea as binary) with types inferred by the server. Results are
** read whole (PQexecPrepared): queries are bounded by their LIMITs, and a
** caller may run another statement while it walks the rows, as on SQLite.
**
** Writes: db_begin_write() is BEGIN plus a transaction-level advisory lock,
** so write transactions run one at a time across every node, exactly as
** SQLite's BEGIN IMMEDIATE does on one: handlers that read, decide and
** write need no other change.
**
** Failover: a lost or read-only server (a standby after failover) marks
** the failure unavailable (http.c answers 503 + Retry-After) and drops the
** connection; the next statement reconnects, and libpq's multi-host
** strings with target_session_attrs=read-write find the new primary.
** Statement structs outlive connections: each is prepared again on the new
** one (a connection generation tells). A write transaction never moves:
** once its connection is lost, its statements and its COMMIT fail instead
** of reconnecting (on a new connection they would run, and commit, one by
** one). A connection lost with COMMIT sent leaves the outcome unknown (the
** commit may have reached the synchronous standby that is promoted next):
** db_unavailable() says 2, and http.c asks the client to check first.
*/
#include "db_pg.h"

#include <assert.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "err.h"
#include "worker.h"

#define PG_MAX_STMT 320
#define PG_MAX_PARAM 64
#define PG_MAX_COL 16 /* columns db_col_blob() can hold at once */
/* Advisory lock keys (arbitrary, fixed): the write lock and migrations. */
#define PG_LOCK_WRITE 7216001
#define PG_LOCK_MIGRATE 7216002
#define PG_LOCK_JOB 7216100 /* + DB_JOB_* */
#define PG_BYTEAOID 17

struct DbStmt {
  const char *zKey;             /* the SQL literal's address */
  char zName[16];               /* server-side name: "h<n>" */
  char *zSql;                   /* the text with $n parameters */
  int nParam;
  char *azParam[PG_MAX_PARAM];  /* parameter names, ":name", by $n - 1 */
  char *azVal[PG_MAX_PARAM];    /* bound values (NEW), NULL for NULL */
  int anLen[PG_MAX_PARAM];
  int aFormat[PG_MAX_PARAM];    /* 0 text, 1 binary */
  unsigned gen;                 /* connection generation it was prepared on */
  PGresult *pRes;               /* the rows, after the first step */
  int iRow;                     /* the current row in pRes */
  unsigned char *aBlob[PG_MAX_COL]; /* db_col_blob()'s bytes, per column */
};

typedef struct PgConn {
  PGconn *pg;                   /* NULL when lost; reconnects on next use */
  unsigned gen;                 /* bumped on every new connection */
  int nStmt;
  DbStmt *aStmt[PG_MAX_STMT];
  int nChanges;                 /* rows the last command touched */
} PgConn;

static char *zTarget;
static int bTargetReadOnly;
static pthread_key_t connKey;
static pthread_once_t connKeyOnce = PTHREAD_ONCE_INIT;
static _Thread_local PgConn *pConn;
/* This thread's write transaction (pg_begin_write() to commit/rollback). */
static _Thread_local struct {
  int bOpen;    /* one is open */
  unsigned gen; /* on this connection generation */
} tx;

static void blobs_free(DbStmt *p) {
  for (int i = 0; i < PG_MAX_COL; i++) {
    PQfreemem(p->aBlob[i]);
    p->aBlob[i] = NULL;
  }
}

static void stmt_clear(DbStmt *p) {
  PQclear(p->pRes);
  p->pRes = NULL;
  p->iRow = -1;
  blobs_free(p);
}

static void conn_free(void *pArg) {
  PgConn *c = pArg;
  for (int i = 0; i < c->nStmt; i++) {
    DbStmt *p = c->aStmt[i];
    stmt_clear(p);
    for (int k = 0; k < p->nParam; k++) {
      free(p->azParam[k]);
      free(p->azVal[k]);
    }
    free(p->zSql);
    free(p);
  }
  if (c->pg) {
    PQfinish(c->pg);
  }
  free(c);
}

static void conn_key_init(void) { pthread_key_create(&connKey, conn_free); }

static void notice_quiet(void *pArg, const PGresult *pRes) {
  (void)pArg;
  (void)pRes;
}

void pg_set_target(const char *zConn, int bReadOnly) {
  free(zTarget);
  zTarget = xstrdup(zConn);
  bTargetReadOnly = bReadOnly;
}

/* Drops a connection that failed: the server is gone or became a standby.
** Its statements stay, to be prepared again on the next connection. */
static void conn_lost(void) {
  if (pConn && pConn->pg) {
    PQfinish(pConn->pg);
    pConn->pg = NULL;
  }
}

/* Whether this thread's write transaction lost its connection: then
** nothing may run until it is rolled back (marked unavailable here). */
static int tx_lost(void) {
  if (tx.bOpen && (!pConn || !pConn->pg || pConn->gen != tx.gen)) {
    db_note_pg_error(PG_ERR_UNAVAILABLE);
    return 1;
  }
  return 0;
}

int pg_connect(void) {
  if (!pConn) {
    pthread_once(&connKeyOnce, conn_key_init);
    pConn = xcalloc(1, sizeof(*pConn));
    pthread_setspecific(connKey, pConn);
  }
  if (pConn->pg) {
    return 0;
  }
  assert(zTarget);
  PGconn *pg = PQconnectdb(zTarget);
  if (PQstatus(pg) != CONNECTION_OK) {
    fprintf(stderr, "hindsight: cannot connect to PostgreSQL: %s",
            PQerrorMessage(pg));
    PQfinish(pg);
    db_note_pg_error(PG_ERR_UNAVAILABLE);
    return E_DB;
  }
  PQsetNoticeReceiver(pg, notice_quiet, NULL);
  /* lock_timeout: a writer waits for the write lock as long as SQLite's
  ** busy handler would (DB_BUSY_MS); timestamps are UTC epoch numbers, so
  ** the session zone matters only to now()-style defaults. */
  PGresult *r = PQexec(pg, bTargetReadOnly
                               ? "SET lock_timeout = '5s';"
                                 "SET default_transaction_read_only = on;"
                                 "SET TIME ZONE 'UTC'"
                               : "SET lock_timeout = '5s';"
                                 "SET TIME ZONE 'UTC'");
  int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (!ok) {
    fprintf(stderr, "hindsight: cannot set up the PostgreSQL session: %s",
            PQerrorMessage(pg));
    PQfinish(pg);
    db_note_pg_error(PG_ERR_UNAVAILABLE);
    return E_DB;
  }
  pConn->pg = pg;
  pConn->gen++;
  return 0;
}

void pg_close_thread(void) {
  if (pConn) {
    pthread_setspecific(connKey, NULL);
    conn_free(pConn);
    pConn = NULL;
  }
}

/* Classifies a failed result and logs it; returns DB_CONSTRAINT, 5 (busy,
** as SQLITE_BUSY) or 1 (as SQLITE_ERROR). */
static int result_error(const PGresult *r, const char *zSql) {
  const char *zState = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
  if (!zState) {
    zState = "08000"; /* no result: the connection is gone */
  }
  if (strncmp(zState, "23", 2) == 0) {
    return DB_CONSTRAINT;
  }
  const char *zMsg = r ? PQresultErrorMessage(r) : "";
  if (!zMsg[0] && pConn->pg) {
    zMsg = PQerrorMessage(pConn->pg);
  }
  fprintf(stderr, "hindsight: postgresql error %s: %s  in: %s\n", zState,
          zMsg, zSql);
  if (strncmp(zState, "08", 2) == 0 || strncmp(zState, "57P", 3) == 0 ||
      strcmp(zState, "25006") == 0 || !pConn->pg ||
      PQstatus(pConn->pg) != CONNECTION_OK) {
    /* 25006: a read-only transaction, i.e. this server is now a standby. */
    db_note_pg_error(PG_ERR_UNAVAILABLE);
    conn_lost();
    return 1;
  }
  if (strcmp(zState, "53100") == 0) {
    db_note_pg_error(PG_ERR_DISK_FULL);
    return 1;
  }
  if (strcmp(zState, "55P03") == 0 || strcmp(zState, "40001") == 0 ||
      strcmp(zState, "40P01") == 0) {
    return 5;
  }
  db_note_pg_error(PG_ERR_OTHER);
  return 1;
}

/* The text of zSql with :name parameters as $n (one number per name),
** skipping quoted text, comments and PostgreSQL's :: casts. */
static void translate(DbStmt *p, const char *zSql) {
  Buf b;
  buf_init(&b, strlen(zSql) + 32);
  const char *z = zSql;
  while (*z) {
    if (*z == '\'' || *z == '"') {
      char q = *z;
      const char *zEnd = strchr(z + 1, q);
      zEnd = zEnd ? zEnd + 1 : z + strlen(z);
      buf_append(&b, z, (size_t)(zEnd - z));
      z = zEnd;
    } else if (z[0] == '-' && z[1] == '-') {
      const char *zEnd = strchr(z, '\n');
      zEnd = zEnd ? zEnd : z + strlen(z);
      buf_append(&b, z, (size_t)(zEnd - z));
      z = zEnd;
    } else if (z[0] == ':' && z[1] == ':') {
      buf_puts(&b, "::");
      z += 2;
    } else if (z[0] == ':' && (z[1] == '_' || (z[1] >= 'a' && z[1] <= 'z') ||
                               (z[1] >= 'A' && z[1] <= 'Z'))) {
      const char *zEnd = z + 1;
      while (*zEnd == '_' || (*zEnd >= 'a' && *zEnd <= 'z') ||
             (*zEnd >= 'A' && *zEnd <= 'Z') || (*zEnd >= '0' && *zEnd <= '9')) {
        zEnd++;
      }
      int n = (int)(zEnd - z);
      int k = 0;
      while (k < p->nParam &&
             !(strncmp(p->azParam[k], z, (size_t)n) == 0 &&
               p->azParam[k][n] == 0)) {
        k++;
      }
      if (k == p->nParam) {
        assert(p->nParam < PG_MAX_PARAM);
        p->azParam[k] = xstrndup(z, (size_t)n);
        p->nParam++;
      }
      buf_printf(&b, "$%d", k + 1);
      z = zEnd;
    } else {
      buf_putc(&b, *z);
      z++;
    }
  }
  p->zSql = buf_take(&b, NULL);
}

DbStmt *pg_prepare(const char *zSql) {
  if (pg_connect()) {
    return NULL;
  }
  for (int i = 0; i < pConn->nStmt; i++) {
    if (pConn->aStmt[i]->zKey == zSql) {
      /* Rows still held here mean nested use of one query. */
      assert(!pConn->aStmt[i]->pRes);
      return pConn->aStmt[i];
    }
  }
  assert(pConn->nStmt < PG_MAX_STMT);
  DbStmt *p = xcalloc(1, sizeof(*p));
  p->zKey = zSql;
  p->iRow = -1;
  snprintf(p->zName, sizeof(p->zName), "h%d", pConn->nStmt);
  translate(p, zSql);
  pConn->aStmt[pConn->nStmt++] = p;
  return p;
}

void pg_reset(DbStmt *p) {
  stmt_clear(p);
  for (int k = 0; k < p->nParam; k++) {
    free(p->azVal[k]);
    p->azVal[k] = NULL;
    p->anLen[k] = 0;
    p->aFormat[k] = 0;
  }
}

void pg_bind(DbStmt *p, const char *zName, const char *z, int n,
             int bBinary) {
  int k = 0;
  while (k < p->nParam && strcmp(p->azParam[k], zName) != 0) {
    k++;
  }
  if (k == p->nParam) {
    fprintf(stderr, "hindsight: no parameter %s in: %s\n", zName, p->zSql);
    abort();
  }
  free(p->azVal[k]);
  p->azVal[k] = NULL;
  if (z) {
    size_t len = n < 0 ? strlen(z) : (size_t)n;
    p->azVal[k] = xmalloc(len + 1);
    memcpy(p->azVal[k], z, len);
    p->azVal[k][len] = 0;
    p->anLen[k] = (int)len;
  }
  p->aFormat[k] = bBinary;
}

/* Runs p on this thread's connection, preparing it there first if needed.
** 0, or the db_step() error. */
static int stmt_run(DbStmt *p) {
  if (tx_lost() || pg_connect()) {
    return 1;
  }
  if (p->gen != pConn->gen) {
    PGresult *r = PQprepare(pConn->pg, p->zName, p->zSql, 0, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
      int rc = result_error(r, p->zSql);
      PQclear(r);
      return rc;
    }
    PQclear(r);
    p->gen = pConn->gen;
  }
  PGresult *r = PQexecPrepared(pConn->pg, p->zName, p->nParam,
                               (const char *const *)p->azVal, p->anLen,
                               p->aFormat, 0);
  ExecStatusType st = PQresultStatus(r);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    int rc = result_error(r, p->zSql);
    PQclear(r);
    return rc;
  }
  const char *zN = PQcmdTuples(r);
  pConn->nChanges = zN[0] ? atoi(zN) : 0;
  p->pRes = r;
  p->iRow = -1;
  return 0;
}

int pg_step(DbStmt *p) {
  if (!p->pRes) {
    int rc = stmt_run(p);
    if (rc) {
      return rc;
    }
  }
  blobs_free(p);
  p->iRow++;
  return p->iRow < PQntuples(p->pRes) ? DB_ROW : DB_DONE;
}

const char *pg_col_text(DbStmt *p, int i) {
  if (!p->pRes || p->iRow < 0 || p->iRow >= PQntuples(p->pRes) ||
      i >= PQnfields(p->pRes)) {
    return "";
  }
  return PQgetvalue(p->pRes, p->iRow, i);
}

int pg_col_is_null(DbStmt *p, int i) {
  if (!p->pRes || p->iRow < 0 || p->iRow >= PQntuples(p->pRes) ||
      i >= PQnfields(p->pRes)) {
    return 1;
  }
  return PQgetisnull(p->pRes, p->iRow, i);
}

const void *pg_col_blob(DbStmt *p, int i, size_t *pN) {
  *pN = 0;
  if (pg_col_is_null(p, i)) {
    return NULL;
  }
  const char *z = PQgetvalue(p->pRes, p->iRow, i);
  if (PQftype(p->pRes, i) != PG_BYTEAOID) {
    *pN = (size_t)PQgetlength(p->pRes, p->iRow, i);
    return *pN ? z : NULL;
  }
  assert(i < PG_MAX_COL);
  PQfreemem(p->aBlob[i]);
  p->aBlob[i] = PQunescapeBytea((const unsigned char *)z, pN);
  return *pN ? p->aBlob[i] : NULL;
}

int pg_exec(const char *zSql) {
  if (tx_lost() || pg_connect()) {
    return E_DB;
  }
  PGresult *r = PQexec(pConn->pg, zSql);
  ExecStatusType st = PQresultStatus(r);
  int rc = 0;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    result_error(r, zSql);
    rc = E_DB;
  }
  PQclear(r);
  return rc;
}

int pg_begin_write(void) {
  char zSql[96];
  snprintf(zSql, sizeof(zSql), "BEGIN; SELECT pg_advisory_xact_lock(%d)",
           PG_LOCK_WRITE);
  int rc = pg_exec(zSql);
  if (rc) {
    pg_rollback();
    return rc;
  }
  tx.bOpen = 1;
  tx.gen = pConn->gen;
  return 0;
}

int pg_commit(int bNotify) {
  if (tx_lost()) {
    tx.bOpen = 0;
    return E_DB;
  }
  int rc = pg_exec(bNotify ? "NOTIFY hs_data; COMMIT" : "COMMIT");
  if (rc && !pConn->pg) {
    /* Lost with COMMIT sent (or about to be): it may have committed. */
    db_note_pg_error(PG_ERR_COMMIT_UNKNOWN);
  }
  tx.bOpen = 0;
  if (rc) {
    pg_rollback();
  }
  return rc;
}

int pg_in_transaction(void) {
  return pConn && pConn->pg &&
         PQtransactionStatus(pConn->pg) != PQTRANS_IDLE;
}

void pg_rollback(void) {
  tx.bOpen = 0;
  if (pg_in_transaction()) {
    PGresult *r = PQexec(pConn->pg, "ROLLBACK");
    PQclear(r);
  }
}

/* Runs a one-value query; the value (NEW) or NULL after a logged error. */
static char *query_value(const char *zSql) {
  if (tx_lost() || pg_connect()) {
    return NULL;
  }
  PGresult *r = PQexec(pConn->pg, zSql);
  char *z = NULL;
  if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
    z = xstrdup(PQgetvalue(r, 0, 0));
  } else {
    result_error(r, zSql);
  }
  PQclear(r);
  return z;
}

int64_t pg_last_id(void) {
  /* lastval(): the id the last INSERT drew in this session. It fails when
  ** none was drawn yet; inside a transaction a savepoint keeps that failure
  ** from aborting the caller's transaction. */
  int bTx = pg_in_transaction();
  if (bTx && pg_exec("SAVEPOINT hs_lastval")) {
    return 0;
  }
  char *z = query_value("SELECT lastval()");
  if (bTx) {
    pg_exec(z ? "RELEASE SAVEPOINT hs_lastval"
              : "ROLLBACK TO SAVEPOINT hs_lastval");
  }
  int64_t v = z ? strtoll(z, NULL, 10) : 0;
  free(z);
  return v;
}

int pg_changes(void) { return pConn ? pConn->nChanges : 0; }

int pg_user_version(void) {
  char *z = query_value("SELECT CASE WHEN to_regclass('hs_schema') IS NULL"
                        " THEN 0 ELSE -1 END");
  if (!z) {
    return E_DB;
  }
  int v = atoi(z);
  free(z);
  if (v == 0) {
    return 0;
  }
  z = query_value("SELECT max(version) FROM hs_schema");
  v = z ? atoi(z) : E_DB;
  free(z);
  return v;
}

int pg_set_user_version(int n) {
  char zSql[64];
  snprintf(zSql, sizeof(zSql), "UPDATE hs_schema SET version = %d", n);
  return pg_exec(zSql);
}

int pg_migration_lock(int bLock) {
  char zSql[64];
  snprintf(zSql, sizeof(zSql), "SELECT pg_advisory_%s(%d)",
           bLock ? "lock" : "unlock", PG_LOCK_MIGRATE);
  return pg_exec(zSql);
}

/* Jobs ------------------------------------------------------------------ */

/* The job locks this thread holds, valid for connection generation gen. */
static _Thread_local struct {
  unsigned gen;
  unsigned mask; /* bit eJob: held */
} leads;

int pg_lead(int eJob) {
  if (pg_connect()) {
    return 0;
  }
  if (leads.gen != pConn->gen) {
    /* A new connection holds nothing yet. */
    leads.gen = pConn->gen;
    leads.mask = 0;
  }
  if (leads.mask & (1u << eJob)) {
    return 1;
  }
  char zSql[64];
  snprintf(zSql, sizeof(zSql), "SELECT pg_try_advisory_lock(%d)",
           PG_LOCK_JOB + eJob);
  char *z = query_value(zSql);
  int bHeld = z && z[0] == 't';
  free(z);
  if (bHeld) {
    leads.mask |= 1u << eJob;
  }
  return bHeld;
}

/* The listener ------------------------------------------------------------ */

static Worker listener = WORKER_INIT;

/* Connects and LISTENs; NULL (quietly: the next round retries) if the
** server cannot be reached. */
static PGconn *listen_connect(void) {
  PGconn *pg = PQconnectdb(zTarget);
  if (PQstatus(pg) != CONNECTION_OK) {
    PQfinish(pg);
    return NULL;
  }
  PQsetNoticeReceiver(pg, notice_quiet, NULL);
  PGresult *r = PQexec(pg, "LISTEN hs_data");
  int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (!ok) {
    PQfinish(pg);
    return NULL;
  }
  return pg;
}

static void listen_main(void *pArg) {
  (void)pArg;
  pthread_setname_np(pthread_self(), "hs-dbnotify");
  PGconn *pg = NULL;
  while (!worker_stopping(&listener)) {
    if (!pg) {
      pg = listen_connect();
      if (!pg) {
        worker_wait(&listener, 1000);
        continue;
      }
      /* Whatever happened while we were not listening. */
      db_bump_version();
    }
    struct pollfd pfd = {.fd = PQsocket(pg), .events = POLLIN};
    /* A short wait so worker_stop() is heard quickly. */
    if (poll(&pfd, 1, 200) < 0) {
      continue;
    }
    if (!PQconsumeInput(pg) || PQstatus(pg) != CONNECTION_OK) {
      PQfinish(pg);
      pg = NULL;
      continue;
    }
    int bAny = 0;
    PGnotify *n;
    while ((n = PQnotifies(pg)) != NULL) {
      bAny = 1;
      PQfreemem(n);
    }
    if (bAny) {
      db_bump_version();
    }
  }
  if (pg) {
    PQfinish(pg);
  }
}

int pg_listen_start(void) {
  return worker_start(&listener, listen_main, NULL) ? E_IO : 0;
}

void pg_listen_stop(void) { worker_stop(&listener); }
