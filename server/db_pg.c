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
#include <stdatomic.h>
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
/* A lock's number inside a constant SQL text (no text built at run time). */
#define PG_STR_(x) #x
#define PG_STR(x) PG_STR_(x)
#define PG_BYTEAOID 17
#define PG_INT8OID 20
#define PG_TEXTOID 25
#define PG_MAX_VARIANT 4 /* typed preparations kept per statement */

/* A server-side preparation of a statement for one pattern of bound types
** (see stmt_prepare()). */
typedef struct Variant {
  char zSig[PG_MAX_PARAM + 1]; /* 'i', 't', 'b', 'n' (NULL) per parameter */
  char zName[24];              /* server-side name */
  unsigned gen;                /* connection generation; 0: unused */
  char aTyped[PG_MAX_PARAM];   /* the types it was prepared with (types_*) */
} Variant;

struct DbStmt {
  const char *zKey;             /* the SQL literal's address */
  int iStmt;                    /* its index in the cache (names) */
  char aType[PG_MAX_PARAM];     /* what each value was bound as (pg_bind) */
  Variant aVar[PG_MAX_VARIANT]; /* its preparations on the connection */
  int iNextVar;                 /* the slot the next new variant takes */
  char *zSql;                   /* the text with $n parameters */
  int nParam;
  char *azParam[PG_MAX_PARAM];  /* parameter names, ":name", by $n - 1 */
  char *azVal[PG_MAX_PARAM];    /* bound values (NEW), NULL for NULL */
  int anLen[PG_MAX_PARAM];
  int aFormat[PG_MAX_PARAM];    /* 0 text, 1 binary */
  PGresult *pRes;               /* the rows, after the first step */
  int iRow;                     /* the current row in pRes */
  unsigned char *aBlob[PG_MAX_COL]; /* db_col_blob()'s bytes, per column */
  int bAutoId;                  /* "RETURNING id" was added: see translate() */
  int bPlanEachRun;             /* db_plan_each_run(): run unnamed */
};

typedef struct PgConn {
  PGconn *pg;                   /* NULL when lost; reconnects on next use */
  unsigned gen;                 /* bumped on every new connection */
  int nStmt;
  DbStmt *aStmt[PG_MAX_STMT];
  int nChanges;                 /* rows the last command touched */
  int64_t lastId;               /* id of the last row an INSERT added */
} PgConn;

static char *zTarget;
/* Tables whose id is an identity column, " name name ... ": set once by
** pg_load_identities() before threads start. */
static char *zIdentities;
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

char *pg_local_name(void) {
  PQconninfoOption *a = PQconninfoParse(zTarget, NULL);
  const char *zDb = "hindsight";
  for (PQconninfoOption *o = a; o && o->keyword; o++) {
    if (strcmp(o->keyword, "dbname") == 0 && o->val && o->val[0]) {
      zDb = o->val;
    }
  }
  Buf b;
  buf_init(&b, 64);
  buf_puts(&b, "hindsight-pg-");
  /* Only file-name-safe bytes of the name. */
  for (const char *z = zDb; *z; z++) {
    char c = *z;
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
             (c >= '0' && c <= '9') || c == '_' || c == '-';
    buf_putc(&b, ok ? c : '_');
  }
  PQconninfoFree(a);
  return buf_take(&b, NULL);
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
  if (pConn->pg && PQtransactionStatus(pConn->pg) == PQTRANS_IDLE) {
    /* An idle connection whose server went away (a restart, a failover)
    ** has its end-of-file waiting: find out now and connect again, rather
    ** than fail this statement and make its request a 503. */
    struct pollfd pfd = {.fd = PQsocket(pConn->pg), .events = POLLIN};
    if (poll(&pfd, 1, 0) > 0 &&
        (!PQconsumeInput(pConn->pg) || PQstatus(pConn->pg) != CONNECTION_OK)) {
      conn_lost();
    }
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
  if (strcmp(zState, "25006") == 0 && bTargetReadOnly) {
    /* serve --read-only: our own read-only sessions refused a write. */
    db_note_pg_error(PG_ERR_READ_ONLY);
    return 1;
  }
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
  /* An INSERT into a table with an identity id returns it, so that
  ** db_last_id() is the row's id as SQLite's last_insert_rowid() is
  ** (lastval() would be a trigger's insert, e.g. component_history). The
  ** rows are read in stmt_run(), not shown to the caller. */
  char zTable[64];
  if (sscanf(zSql, "INSERT INTO %63[a-z_]", zTable) == 1 && zIdentities &&
      !strcasestr(zSql, "RETURNING")) {
    char zKey[80];
    snprintf(zKey, sizeof(zKey), " %s ", zTable);
    if (strstr(zIdentities, zKey)) {
      buf_puts(&b, " RETURNING id");
      p->bAutoId = 1;
    }
  }
  p->zSql = buf_take(&b, NULL);
}

void pg_plan_each_run(DbStmt *p) { p->bPlanEachRun = 1; }

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
  p->iStmt = pConn->nStmt;
  translate(p, zSql);
  memset(p->aType, 'n', sizeof(p->aType));
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
    p->aType[k] = 'n';
  }
}

void pg_bind(DbStmt *p, const char *zName, const char *z, int n,
             char cType) {
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
  p->aFormat[k] = cType == 'b';
  p->aType[k] = z ? cType : 'n';
}

/* Whether a failed PREPARE was about parameter types the server could not
** infer or match ("$1 IS NULL" alone, text against bigint). */
static int is_type_error(const PGresult *r) {
  const char *z = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  return z && (strcmp(z, "42P18") == 0 || strcmp(z, "42P08") == 0 ||
               strcmp(z, "42804") == 0 || strcmp(z, "42883") == 0 ||
               strcmp(z, "42725") == 0);
}

/* The parameter a failed PREPARE names ("... of parameter $3"), 0-based,
** or -1. */
static int error_param(const PGresult *r) {
  const char *z = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
  z = z ? strstr(z, "parameter $") : NULL;
  return z ? atoi(z + strlen("parameter $")) - 1 : -1;
}

/* One PREPARE of p as zName with parameter types aOid, under a savepoint
** inside a transaction (a failed PREPARE would abort the caller's
** transaction). The result (NEW, PQclear). */
static PGresult *prepare_try(DbStmt *p, const char *zName, const Oid *aOid,
                             int bTx) {
  if (bTx) {
    PQclear(PQexec(pConn->pg, "SAVEPOINT hs_prepare"));
  }
  PGresult *r = PQprepare(pConn->pg, zName, p->zSql, p->nParam, aOid);
  if (bTx) {
    PQclear(PQexec(pConn->pg, PQresultStatus(r) == PGRES_COMMAND_OK
                                  ? "RELEASE SAVEPOINT hs_prepare"
                                  : "ROLLBACK TO SAVEPOINT hs_prepare"));
  }
  return r;
}

/* A parameter type as Variant.aTyped keeps it, and back. */
static char types_code(Oid oid) {
  return oid == PG_BYTEAOID ? 'b'
         : oid == PG_INT8OID ? 'i'
         : oid == PG_TEXTOID ? 't'
                             : 0;
}

static Oid types_oid(char c) {
  return c == 'b' ? PG_BYTEAOID
         : c == 'i' ? PG_INT8OID
         : c == 't' ? PG_TEXTOID
                    : 0;
}

/* Makes sure p is prepared on this connection for the pattern of types now
** bound (zSig: 'i' integer, 't' text, 'b' bytes, 'n' NULL per parameter;
** up to PG_MAX_VARIANT patterns kept); *ppVar is the preparation to run.
**
** Types: integers are sent as bigint (PostgreSQL would infer int4 from a
** literal beside them, and our times overflow it); text and NULL are left
** for the server to infer from their context, as SQLite's loose typing
** expects. Where it cannot ("$1 IS NULL OR status = $1" with a NULL, or a
** text bound beside a bigint), the parameter the error names is sent as
** text, and if that then meets a bigint, as bigint. If integers as bigint
** do not fit (a function wanting int4), everything is inferred instead. */
static int stmt_prepare(DbStmt *p, const Variant **ppVar) {
  char zSig[PG_MAX_PARAM + 1];
  memcpy(zSig, p->aType, (size_t)p->nParam);
  zSig[p->nParam] = 0;
  for (int i = 0; i < PG_MAX_VARIANT; i++) {
    Variant *v = &p->aVar[i];
    if (v->gen == pConn->gen && strcmp(v->zSig, zSig) == 0) {
      *ppVar = v;
      return 0;
    }
  }
  Variant *v = &p->aVar[p->iNextVar];
  p->iNextVar = (p->iNextVar + 1) % PG_MAX_VARIANT;
  int bTx = pg_in_transaction();
  if (v->gen == pConn->gen) {
    char zSql[64];
    snprintf(zSql, sizeof(zSql), "DEALLOCATE %s", v->zName);
    PQclear(PQexec(pConn->pg, zSql));
  }
  v->gen = 0;
  snprintf(v->zName, sizeof(v->zName), "h%d_%d", p->iStmt,
           (int)(v - p->aVar));
  PGresult *r = NULL;
  Oid aOid[PG_MAX_PARAM];
  for (int bInts = 1; bInts >= 0; bInts--) {
    for (int k = 0; k < p->nParam; k++) {
      aOid[k] = zSig[k] == 'b'              ? PG_BYTEAOID
                : zSig[k] == 'i' && bInts ? PG_INT8OID
                                          : 0;
    }
    int iLast = -1; /* the parameter typed last */
    for (int iTry = 0; iTry <= 2 * p->nParam; iTry++) {
      PQclear(r);
      r = prepare_try(p, v->zName, aOid, bTx);
      if (PQresultStatus(r) == PGRES_COMMAND_OK || !is_type_error(r)) {
        break;
      }
      int k = error_param(r);
      if (k >= 0 && k < p->nParam && aOid[k] == 0) {
        aOid[k] = PG_TEXTOID;
        iLast = k;
      } else if (iLast >= 0 && aOid[iLast] == PG_TEXTOID) {
        aOid[iLast] = PG_INT8OID;
      } else {
        break;
      }
    }
    if (PQresultStatus(r) == PGRES_COMMAND_OK || !is_type_error(r)) {
      break;
    }
  }
  if (PQresultStatus(r) != PGRES_COMMAND_OK) {
    int rc = result_error(r, p->zSql);
    PQclear(r);
    return rc;
  }
  PQclear(r);
  memcpy(v->zSig, zSig, sizeof(zSig));
  v->gen = pConn->gen;
  for (int k = 0; k < p->nParam; k++) {
    v->aTyped[k] = types_code(aOid[k]);
  }
  *ppVar = v;
  return 0;
}

/* Runs p on this thread's connection, preparing it there first if needed.
** 0, or the db_step() error. */
static int stmt_run(DbStmt *p) {
  if (tx_lost() || pg_connect()) {
    return 1;
  }
  const Variant *v = NULL;
  int rc = stmt_prepare(p, &v);
  if (rc) {
    return rc;
  }
  PGresult *r;
  if (p->bPlanEachRun) {
    /* The unnamed statement is planned for these values; the named
    ** preparation above found the types that work. */
    Oid aOid[PG_MAX_PARAM];
    for (int k = 0; k < p->nParam; k++) {
      aOid[k] = types_oid(v->aTyped[k]);
    }
    r = PQexecParams(pConn->pg, p->zSql, p->nParam, aOid,
                     (const char *const *)p->azVal, p->anLen, p->aFormat, 0);
  } else {
    r = PQexecPrepared(pConn->pg, v->zName, p->nParam,
                       (const char *const *)p->azVal, p->anLen, p->aFormat,
                       0);
  }
  ExecStatusType st = PQresultStatus(r);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    rc = result_error(r, p->zSql);
    PQclear(r);
    return rc;
  }
  if (p->bAutoId && st == PGRES_TUPLES_OK) {
    int n = PQntuples(r);
    if (n > 0) {
      pConn->lastId = strtoll(PQgetvalue(r, n - 1, 0), NULL, 10);
    }
  }
  /* Like sqlite3_changes(): rows the last INSERT, UPDATE or DELETE
  ** touched; a SELECT leaves it alone. */
  const char *zCmd = PQcmdStatus(r);
  if (strncmp(zCmd, "INSERT", 6) == 0 || strncmp(zCmd, "UPDATE", 6) == 0 ||
      strncmp(zCmd, "DELETE", 6) == 0) {
    pConn->nChanges = atoi(PQcmdTuples(r));
  }
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
  if (p->bAutoId) {
    return DB_DONE; /* the added RETURNING's rows are ours */
  }
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
  /* One round trip: BEGIN and the lock in one text (so no parameters). */
  int rc = pg_exec("BEGIN; SELECT pg_advisory_xact_lock(" PG_STR(
      PG_LOCK_WRITE) ")");
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
  int rc = bNotify ? pg_exec("NOTIFY hs_data") : 0;
  if (rc == 0 && pConn->pg) {
    /* COMMIT of a transaction an earlier error aborted "succeeds" as a
    ** ROLLBACK: that is a failure here, nothing was saved. */
    PGresult *r = PQexec(pConn->pg, "COMMIT");
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
      result_error(r, "COMMIT");
      rc = E_DB;
    } else if (strcmp(PQcmdStatus(r), "COMMIT") != 0) {
      fprintf(stderr, "hindsight: postgresql: the transaction was rolled"
                      " back by an earlier error\n");
      db_note_pg_error(PG_ERR_OTHER);
      rc = E_DB;
    }
    PQclear(r);
    if (rc && !pConn->pg) {
      /* Lost with COMMIT sent: it may have committed. */
      db_note_pg_error(PG_ERR_COMMIT_UNKNOWN);
    }
  } else if (rc == 0) {
    rc = E_DB;
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
/* Runs zSql, whose one parameter $1 is v; the result (NEW, PQclear), or
** NULL when there is no connection. */
static PGresult *exec_int(const char *zSql, int64_t v) {
  if (tx_lost() || pg_connect()) {
    return NULL;
  }
  char zV[24];
  snprintf(zV, sizeof(zV), "%lld", (long long)v);
  const char *aParam[1] = {zV};
  return PQexecParams(pConn->pg, zSql, 1, NULL, aParam, NULL, NULL, 0);
}

/* The one value of zSql's one row (NEW, free), with $1 = v when bParam;
** NULL on any error. */
static char *query_value_of(const char *zSql, int bParam, int64_t v) {
  if (tx_lost() || pg_connect()) {
    return NULL;
  }
  PGresult *r = bParam ? exec_int(zSql, v) : PQexec(pConn->pg, zSql);
  char *z = NULL;
  if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
    z = xstrdup(PQgetvalue(r, 0, 0));
  } else {
    result_error(r, zSql);
  }
  PQclear(r);
  return z;
}

static char *query_value(const char *zSql) {
  return query_value_of(zSql, 0, 0);
}

int64_t pg_last_id(void) { return pConn ? pConn->lastId : 0; }

int pg_load_identities(void) {
  if (pg_connect()) {
    return E_DB;
  }
  PGresult *r = PQexec(pConn->pg,
                       "SELECT table_name FROM information_schema.columns"
                       " WHERE table_schema = current_schema()"
                       " AND column_name = 'id' AND is_identity = 'YES'");
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    result_error(r, "identity columns");
    PQclear(r);
    return E_DB;
  }
  Buf b;
  buf_init(&b, 1024);
  buf_putc(&b, ' ');
  for (int i = 0; i < PQntuples(r); i++) {
    buf_printf(&b, "%s ", PQgetvalue(r, i, 0));
  }
  PQclear(r);
  free(zIdentities);
  zIdentities = buf_take(&b, NULL);
  return 0;
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
  const char *zSql = "UPDATE hs_schema SET version = $1::integer";
  PGresult *r = exec_int(zSql, n);
  if (!r) {
    return E_DB;
  }
  int rc = 0;
  if (PQresultStatus(r) != PGRES_COMMAND_OK) {
    result_error(r, zSql);
    rc = E_DB;
  }
  PQclear(r);
  return rc;
}

int pg_migration_lock(int bLock) {
  return pg_exec(bLock ? "SELECT pg_advisory_lock(" PG_STR(PG_LOCK_MIGRATE) ")"
                       : "SELECT pg_advisory_unlock(" PG_STR(
                             PG_LOCK_MIGRATE) ")");
}

/* Jobs ------------------------------------------------------------------ */

/* The job locks this thread holds, valid for connection generation gen. */
static _Thread_local struct {
  unsigned gen;
  unsigned mask; /* bit eJob: held */
} leads;

/* Every thread's leads together, for pg_leads(). */
static atomic_uint nodeLeads;

/* This thread's locks went with its connection. */
static void leads_lost(void) {
  atomic_fetch_and(&nodeLeads, ~leads.mask);
  leads.mask = 0;
}

int pg_lead(int eJob) {
  if (pg_connect()) {
    leads_lost();
    return 0;
  }
  if (leads.gen != pConn->gen) {
    /* A new connection holds nothing yet. */
    leads.gen = pConn->gen;
    leads_lost();
  }
  if (leads.mask & (1u << eJob)) {
    return 1;
  }
  char *z = query_value_of("SELECT pg_try_advisory_lock($1::bigint)", 1,
                           PG_LOCK_JOB + eJob);
  int bHeld = z && z[0] == 't';
  free(z);
  if (bHeld) {
    leads.mask |= 1u << eJob;
    atomic_fetch_or(&nodeLeads, 1u << eJob);
  }
  return bHeld;
}

unsigned pg_leads(void) { return atomic_load(&nodeLeads); }

void pg_lead_release(int eJob) {
  if (!(leads.mask & (1u << eJob))) {
    return;
  }
  if (pConn && pConn->pg && leads.gen == pConn->gen) {
    free(query_value_of("SELECT pg_advisory_unlock($1::bigint)", 1,
                        PG_LOCK_JOB + eJob));
  }
  leads.mask &= ~(1u << eJob);
  atomic_fetch_and(&nodeLeads, ~(1u << eJob));
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

/* Tells db.c the database's schema version (a newer node may have
** migrated it). */
static void listen_schema(PGconn *pg) {
  PGresult *r = PQexec(pg, "SELECT max(version) FROM hs_schema");
  if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
      !PQgetisnull(r, 0, 0)) {
    db_note_schema(atoi(PQgetvalue(r, 0, 0)));
  }
  PQclear(r);
}

static void listen_main(void *pArg) {
  (void)pArg;
  pthread_setname_np(pthread_self(), "hs-dbnotify");
  PGconn *pg = NULL;
  int nRound = 0;
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
    if (++nRound % 25 == 0) { /* every 5 s of 200 ms polls */
      listen_schema(pg);
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

/* A second database (db.h's DbSide, for `hindsight copy`) --------------- */

#define PG_SIDE_CACHE 16 /* statement texts prepared per side */

struct PgSide {
  PGconn *pg;                       /* its own connection */
  char *azSql[PG_SIDE_CACHE];       /* prepared texts (NEW), by slot */
  int nSql;                         /* slots used */
  int iEvict;                       /* the slot a new text takes when full */
  int bBusy;                        /* a query's results are pending */
  int bFailed;                      /* the pending query failed */
  PGresult *pRow;                   /* the current row (single-row mode) */
  unsigned char *aBlob[PG_MAX_PARAM]; /* unescaped bytea of pRow, by column */
};

PgSide *pg_side_open(const char *zConn, const char *zWhat) {
  PGconn *pg = PQconnectdb(zConn);
  if (PQstatus(pg) != CONNECTION_OK) {
    fprintf(stderr, "hindsight: cannot connect to the %s (PostgreSQL): %s",
            zWhat, PQerrorMessage(pg));
    PQfinish(pg);
    return NULL;
  }
  PQsetNoticeReceiver(pg, notice_quiet, NULL);
  PgSide *p = xcalloc(1, sizeof(*p));
  p->pg = pg;
  /* A lock held elsewhere (a node serving the database) fails the copy
  ** after a while rather than hanging it. */
  if (pg_side_exec(p, "SET TIME ZONE 'UTC'; SET lock_timeout = '30s'")) {
    pg_side_close(p);
    return NULL;
  }
  return p;
}

static void side_row_clear(PgSide *p) {
  for (int i = 0; i < PG_MAX_PARAM; i++) {
    PQfreemem(p->aBlob[i]);
    p->aBlob[i] = NULL;
  }
  PQclear(p->pRow);
  p->pRow = NULL;
}

void pg_side_finish(PgSide *p) {
  side_row_clear(p);
  if (!p->bBusy) {
    return;
  }
  /* Drop what is left of the query; libpq has no cheaper way out of
  ** single-row mode than reading it (or cancelling, then reading). */
  PGcancel *pCancel = PQgetCancel(p->pg);
  if (pCancel) {
    char zErr[256];
    PQcancel(pCancel, zErr, sizeof(zErr));
    PQfreeCancel(pCancel);
  }
  PGresult *r;
  while ((r = PQgetResult(p->pg)) != NULL) {
    PQclear(r);
  }
  p->bBusy = 0;
}

void pg_side_close(PgSide *p) {
  if (!p) {
    return;
  }
  pg_side_finish(p);
  for (int i = 0; i < p->nSql; i++) {
    free(p->azSql[i]);
  }
  PQfinish(p->pg);
  free(p);
}

int pg_side_exec(PgSide *p, const char *zSql) {
  assert(!p->bBusy);
  PGresult *r = PQexec(p->pg, zSql);
  ExecStatusType st = PQresultStatus(r);
  int rc = 0;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    fprintf(stderr, "hindsight: postgresql error: %s  in: %s\n",
            PQresultErrorMessage(r), zSql);
    rc = E_DB;
  }
  PQclear(r);
  return rc;
}

/* The server-side name of zSql on p ("c<slot>"), preparing it first. 0, or
** E_DB (logged). */
static int side_prepare(PgSide *p, const char *zSql, int nParam,
                        char *zName, size_t nName) {
  int i = 0;
  while (i < p->nSql && strcmp(p->azSql[i], zSql) != 0) {
    i++;
  }
  if (i < p->nSql) {
    snprintf(zName, nName, "c%d", i);
    return 0;
  }
  if (p->nSql < PG_SIDE_CACHE) {
    i = p->nSql++;
  } else {
    i = p->iEvict;
    p->iEvict = (p->iEvict + 1) % PG_SIDE_CACHE;
    char zDeallocate[32];
    snprintf(zDeallocate, sizeof(zDeallocate), "DEALLOCATE c%d", i);
    if (pg_side_exec(p, zDeallocate)) {
      return E_DB;
    }
    free(p->azSql[i]);
  }
  /* The slot is empty until the prepare succeeds. */
  p->azSql[i] = xstrdup("");
  snprintf(zName, nName, "c%d", i);
  PGresult *r = PQprepare(p->pg, zName, zSql, nParam, NULL);
  int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  if (!ok) {
    fprintf(stderr, "hindsight: postgresql error: %s  in: %s\n",
            PQresultErrorMessage(r), zSql);
  }
  PQclear(r);
  if (!ok) {
    return E_DB;
  }
  free(p->azSql[i]);
  p->azSql[i] = xstrdup(zSql);
  return 0;
}

int pg_side_query(PgSide *p, const char *zSql, int nParam,
                  const DbValue *aParam) {
  assert(nParam >= 0 && nParam <= 65535); /* the protocol's limit */
  pg_side_finish(p);
  char zName[16];
  if (side_prepare(p, zSql, nParam, zName, sizeof(zName))) {
    return E_DB;
  }
  /* Text values go NUL-terminated (libpq reads text parameters up to the
  ** NUL); bytes go as binary bytea. libpq copies them while sending. */
  size_t nAlloc = (size_t)(nParam ? nParam : 1);
  char **azVal = xcalloc(nAlloc, sizeof(char *));
  int *anLen = xcalloc(nAlloc, sizeof(int));
  int *aFormat = xcalloc(nAlloc, sizeof(int));
  for (int i = 0; i < nParam; i++) {
    const DbValue *v = &aParam[i];
    azVal[i] = NULL;
    anLen[i] = 0;
    aFormat[i] = v->eType == DB_VBLOB;
    if (v->eType != DB_VNULL) {
      azVal[i] = xmalloc(v->n + 1);
      if (v->n) {
        memcpy(azVal[i], v->a, v->n);
      }
      azVal[i][v->n] = 0;
      anLen[i] = (int)v->n;
    }
  }
  int ok = PQsendQueryPrepared(p->pg, zName, nParam,
                               (const char *const *)azVal, anLen, aFormat, 0);
  for (int i = 0; i < nParam; i++) {
    free(azVal[i]);
  }
  free(azVal);
  free(anLen);
  free(aFormat);
  if (!ok) {
    fprintf(stderr, "hindsight: postgresql error: %s  in: %s\n",
            PQerrorMessage(p->pg), zSql);
    return E_DB;
  }
  PQsetSingleRowMode(p->pg);
  p->bBusy = 1;
  p->bFailed = 0;
  return 0;
}

int pg_side_next(PgSide *p) {
  side_row_clear(p);
  if (!p->bBusy) {
    return DB_DONE;
  }
  PGresult *r;
  while ((r = PQgetResult(p->pg)) != NULL) {
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_SINGLE_TUPLE) {
      p->pRow = r;
      return DB_ROW;
    }
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
      fprintf(stderr, "hindsight: postgresql error: %s",
              PQresultErrorMessage(r));
      p->bFailed = 1;
    }
    PQclear(r);
  }
  p->bBusy = 0;
  return p->bFailed ? E_DB : DB_DONE;
}

int pg_side_ncol(PgSide *p) { return p->pRow ? PQnfields(p->pRow) : 0; }

void pg_side_col(PgSide *p, int i, DbValue *pV) {
  memset(pV, 0, sizeof(*pV));
  if (!p->pRow || i >= PQnfields(p->pRow) || PQgetisnull(p->pRow, 0, i)) {
    return;
  }
  const char *z = PQgetvalue(p->pRow, 0, i);
  if (PQftype(p->pRow, i) != PG_BYTEAOID) {
    pV->eType = DB_VTEXT;
    pV->a = z;
    pV->n = (size_t)PQgetlength(p->pRow, 0, i);
    return;
  }
  assert(i < PG_MAX_PARAM);
  PQfreemem(p->aBlob[i]);
  p->aBlob[i] = PQunescapeBytea((const unsigned char *)z, &pV->n);
  pV->eType = DB_VBLOB;
  pV->a = p->aBlob[i] ? (const void *)p->aBlob[i] : (const void *)"";
}
