/*
** db.c: per-thread SQLite connections, the statement cache, write
** transactions and schema migrations.
**
** Durability: journal_mode=WAL with synchronous=FULL. NORMAL can lose the
** last transactions on power loss (never on a process crash); we answer an
** ingest or an edit only after COMMIT returns, so FULL makes that answer a
** promise. Ingest batches many rows per transaction, so the extra fsync per
** commit costs little.
**
** Read-only: `serve --read-only`, or a file we may not write (db_setup()
** falls back on its own), opens every connection with SQLITE_OPEN_READONLY.
** A WAL database needs its -shm file even to read; when that cannot be
** created either (a read-only directory), the file is opened immutable,
** which is right only because nobody can write it: changes made by others
** are not seen until a restart. Writes then fail with SQLITE_READONLY, which
** note_error() records so http.c can say so.
**
** Threads: zDbPath and eMode are set once before threads start. Each thread
** owns one connection in a _Thread_local pointer; a pthread key closes it
** when the thread exits. The only shared mutable state is the atomic data
** version.
*/
#include "db.h"

#include <sqlite3.h>

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "assets.h"
#include "buf.h"
#include "db_pg.h"
#include "err.h"
#include "search_tokenizer.h"
#include "utc.h"

#define DB_MAX_STMT 256
#define DB_BUSY_MS 5000 /* how long a statement waits for a lock */

typedef struct DbConn {
  sqlite3 *db;                   /* this thread's connection */
  int nStmt;                     /* entries used in aKey/aStmt */
  const char *aKey[DB_MAX_STMT]; /* SQL literal addresses, the cache keys */
  sqlite3_stmt *aStmt[DB_MAX_STMT]; /* prepared statements for aKey */
} DbConn;

/* How connections open the file; chosen by db_setup(). */
enum { DB_RW = 0, DB_RO = 1, DB_RO_IMMUTABLE = 2 };

static char *zDbPath;                 /* set once by db_setup() */
static int eMode = DB_RW;             /* DB_*, set once by db_setup() */
static int bWantReadOnly;             /* db_set_read_only() was called */
static pthread_key_t connKey;         /* runs conn_destroy at thread exit */
static pthread_once_t connKeyOnce = PTHREAD_ONCE_INIT;
static _Thread_local DbConn *pConn;   /* this thread's connection */
static atomic_uint_least64_t dataVersion = 1; /* bumped on every commit */
static _Thread_local int bDiskFull;   /* last failure was a full disk */
static _Thread_local int bReadOnlyErr; /* last failure: cannot write */
static _Thread_local int bIoErr;      /* last failure: any other I/O error */
static _Thread_local int bUnavailable; /* server lost/standby: 1, 2 */
static _Thread_local int bSchemaErr;  /* last failure: db_schema_ahead() */
static _Thread_local int bCommitted;  /* a commit since db_clear_error() */
static atomic_int nSchemaAhead;       /* a newer node's schema, or 0 */
static int bPg;                       /* PostgreSQL, set once by db_setup() */

/* A DbStmt on SQLite is the sqlite3_stmt itself. */
#define LITE(p) ((sqlite3_stmt *)(void *)(p))

int db_is_pg(void) { return bPg; }

int db_target_is_pg(const char *zTarget) {
  return strncmp(zTarget, "postgresql://", 13) == 0 ||
         strncmp(zTarget, "postgres://", 11) == 0 ||
         (strchr(zTarget, '=') && !strchr(zTarget, '/')) ||
         strncmp(zTarget, "host=", 5) == 0 ||
         strncmp(zTarget, "dbname=", 7) == 0;
}

struct sqlite3_stmt *db_lite_stmt(DbStmt *p) {
  assert(!bPg);
  return LITE(p);
}

void db_note_pg_error(int eKind) {
  if (eKind == PG_ERR_UNAVAILABLE) {
    bUnavailable = bUnavailable ? bUnavailable : 1;
  } else if (eKind == PG_ERR_COMMIT_UNKNOWN) {
    bUnavailable = 2;
  } else if (eKind == PG_ERR_DISK_FULL) {
    bDiskFull = 1;
  } else if (eKind == PG_ERR_READ_ONLY) {
    bReadOnlyErr = 1;
  }
}

static void conn_free(DbConn *p) {
  for (int i = 0; i < p->nStmt; i++) {
    sqlite3_finalize(p->aStmt[i]);
  }
  sqlite3_close(p->db);
  free(p);
}

static void conn_destroy(void *pArg) { conn_free(pArg); }

static void conn_key_init(void) { pthread_key_create(&connKey, conn_destroy); }

/* The file: URI for zPath with every byte outside [A-Za-z0-9/._-]
** percent-encoded, plus zQuery. NEW (free()). */
static char *uri_for(const char *zPath, const char *zQuery) {
  Buf b;
  buf_init(&b, 3 * strlen(zPath) + strlen(zQuery) + 16);
  buf_puts(&b, "file:");
  for (const unsigned char *p = (const unsigned char *)zPath; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
        (*p >= '0' && *p <= '9') || *p == '/' || *p == '.' || *p == '_' ||
        *p == '-') {
      buf_putc(&b, (char)*p);
    } else {
      buf_printf(&b, "%%%02X", *p);
    }
  }
  buf_puts(&b, zQuery);
  return buf_take(&b, NULL);
}

/* The busy handler: waits for a lock up to DB_BUSY_MS in all, retrying
** every 10 ms at most. SQLite's own (busy_timeout) sleeps up to 100 ms
** between tries, so a writer could keep missing the short gaps the search
** indexer leaves between its batches (search_index.c) until it gave up. */
static int busy_wait(void *pArg, int nTry) {
  static const int aMs[] = {1, 2, 5}; /* then 10 ms each */
  (void)pArg;
  int nWaited = 0; /* ms slept in the tries before this one */
  for (int i = 0; i < nTry; i++) {
    nWaited += i < 3 ? aMs[i] : 10;
    if (nWaited >= DB_BUSY_MS) {
      return 0;
    }
  }
  sqlite3_sleep(nTry < 3 ? aMs[nTry] : 10);
  return 1;
}

/* Opens zPath in mode (DB_*) with our settings and reads the schema, so a
** file that cannot be read fails here. Returns the SQLite result code and
** *ppDb (NEW, sqlite3_close) on SQLITE_OK; the message goes to stderr unless
** bQuiet. */
static int db_open_raw(const char *zPath, int mode, int bQuiet,
                       sqlite3 **ppDb) {
  sqlite3 *db = NULL;
  int rc;
  *ppDb = NULL;
  if (mode == DB_RW) {
    rc = sqlite3_open_v2(zPath, &db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                             SQLITE_OPEN_NOMUTEX,
                         NULL);
  } else {
    char *zUri = uri_for(zPath, mode == DB_RO ? "?mode=ro"
                                              : "?mode=ro&immutable=1");
    rc = sqlite3_open_v2(zUri, &db,
                         SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
                             SQLITE_OPEN_NOMUTEX,
                         NULL);
    free(zUri);
  }
  if (rc != SQLITE_OK) {
    if (!bQuiet) {
      fprintf(stderr, "hindsight: cannot open database %s: %s\n", zPath,
              db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    }
    sqlite3_close(db);
    return rc;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_handler(db, busy_wait, NULL);
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
  sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 256 << 20);
  sqlite3_limit(db, SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 100);
  /* journal_mode first: it reads the file, so a non-database fails here.
  ** A read-only connection keeps the file's mode and reads the schema. */
  char *zErr = NULL;
  rc = sqlite3_exec(db,
                    mode == DB_RW ? "PRAGMA journal_mode=WAL;"
                                    "PRAGMA synchronous=FULL;"
                                    "PRAGMA foreign_keys=ON;"
                                    "PRAGMA trusted_schema=OFF;"
                                  : "SELECT count(*) FROM sqlite_schema;"
                                    "PRAGMA foreign_keys=ON;"
                                    "PRAGMA trusted_schema=OFF;",
                    NULL, NULL, &zErr);
  if (rc != SQLITE_OK) {
    rc = sqlite3_extended_errcode(db);
    if (!bQuiet) {
      fprintf(stderr, "hindsight: cannot use database %s: %s\n", zPath,
              zErr ? zErr : sqlite3_errstr(rc));
    }
    sqlite3_free(zErr);
    sqlite3_close(db);
    return rc;
  }
  /* The search index's tokenizer: every connection that may touch
  ** search_index needs it, migrations included. */
  rc = search_tokenizer_register(db);
  if (rc != SQLITE_OK) {
    if (!bQuiet) {
      fprintf(stderr, "hindsight: cannot use database %s: no FTS5\n", zPath);
    }
    sqlite3_close(db);
    return rc;
  }
  *ppDb = db;
  return SQLITE_OK;
}

sqlite3 *db_conn(void) {
  if (bPg) {
    return NULL;
  }
  if (pConn) {
    return pConn->db;
  }
  assert(zDbPath);
  sqlite3 *db = NULL;
  if (db_open_raw(zDbPath, eMode, 0, &db) != SQLITE_OK) {
    return NULL;
  }
  pthread_once(&connKeyOnce, conn_key_init);
  pConn = xcalloc(1, sizeof(*pConn));
  pConn->db = db;
  pthread_setspecific(connKey, pConn);
  return db;
}

void db_close_thread(void) {
  if (bPg) {
    pg_close_thread();
    return;
  }
  if (!pConn) {
    return;
  }
  pthread_setspecific(connKey, NULL);
  conn_free(pConn);
  pConn = NULL;
}

void db_plan_each_run(DbStmt *p) {
  if (bPg && p) {
    pg_plan_each_run(p);
  }
}

DbStmt *db_prepare(const char *zSql) {
  if (bPg) {
    return pg_prepare(zSql);
  }
  sqlite3 *db = db_conn();
  if (!db) {
    return NULL;
  }
  for (int i = 0; i < pConn->nStmt; i++) {
    if (pConn->aKey[i] == zSql) {
      /* A busy cached statement here means nested use of one query. */
      assert(!sqlite3_stmt_busy(pConn->aStmt[i]));
      return (DbStmt *)(void *)pConn->aStmt[i];
    }
  }
  sqlite3_stmt *p = NULL;
  int rc = sqlite3_prepare_v3(db, zSql, -1, SQLITE_PREPARE_PERSISTENT, &p,
                              NULL);
  if (rc != SQLITE_OK) {
    fprintf(stderr, "hindsight: prepare failed: %s\n  in: %s\n",
            sqlite3_errmsg(db), zSql);
    return NULL;
  }
  assert(pConn->nStmt < DB_MAX_STMT);
  pConn->aKey[pConn->nStmt] = zSql;
  pConn->aStmt[pConn->nStmt] = p;
  pConn->nStmt++;
  return (DbStmt *)(void *)p;
}

void db_reset(DbStmt *p) {
  if (p && bPg) {
    pg_reset(p);
  } else if (p) {
    sqlite3_reset(LITE(p));
    sqlite3_clear_bindings(LITE(p));
  }
}

/* Parameter indexes remembered by (statement, name literal): looking a
** name up walks the statement's parameter list with strcmp, and ingest
** binds seven names per line. A hit is checked against the statement,
** so a stale slot (a statement freed and its address reused) only
** costs a lookup. */
#define BIND_CACHE 256
static _Thread_local struct {
  sqlite3_stmt *p;
  const char *zName;
  int i;
} aBindCache[BIND_CACHE];

static int bind_index(sqlite3_stmt *p, const char *zName) {
  assert(!bPg);
  size_t h = (((uintptr_t)p >> 4) ^ ((uintptr_t)zName >> 1)) % BIND_CACHE;
  if (aBindCache[h].p == p && aBindCache[h].zName == zName) {
    const char *zAt = sqlite3_bind_parameter_name(p, aBindCache[h].i);
    if (zAt && strcmp(zAt, zName) == 0) {
      return aBindCache[h].i;
    }
  }
  int i = sqlite3_bind_parameter_index(p, zName);
  aBindCache[h].p = p;
  aBindCache[h].zName = zName;
  aBindCache[h].i = i;
  if (i == 0) {
    fprintf(stderr, "hindsight: no parameter %s in: %s\n", zName,
            sqlite3_sql(p));
    abort();
  }
  return i;
}

void db_bind_int(DbStmt *p, const char *zName, int64_t v) {
  if (bPg) {
    char z[24];
    snprintf(z, sizeof(z), "%lld", (long long)v);
    pg_bind(p, zName, z, -1, 'i');
    return;
  }
  sqlite3_bind_int64(LITE(p), bind_index(LITE(p), zName), v);
}

void db_bind_text(DbStmt *p, const char *zName, const char *z) {
  db_bind_textn(p, zName, z, -1);
}

void db_bind_textn(DbStmt *p, const char *zName, const char *z, int n) {
  if (bPg) {
    pg_bind(p, zName, z, n, 't');
    return;
  }
  int i = bind_index(LITE(p), zName);
  if (z) {
    sqlite3_bind_text(LITE(p), i, z, n, SQLITE_TRANSIENT);
  } else {
    sqlite3_bind_null(LITE(p), i);
  }
}

void db_bind_text_static(DbStmt *p, const char *zName, const char *z) {
  if (bPg) {
    pg_bind(p, zName, z, -1, 't');
    return;
  }
  int i = bind_index(LITE(p), zName);
  if (z) {
    sqlite3_bind_text(LITE(p), i, z, -1, SQLITE_STATIC);
  } else {
    sqlite3_bind_null(LITE(p), i);
  }
}

void db_bind_null(DbStmt *p, const char *zName) {
  if (bPg) {
    pg_bind(p, zName, NULL, 0, 't');
    return;
  }
  sqlite3_bind_null(LITE(p), bind_index(LITE(p), zName));
}

void db_bind_blob(DbStmt *p, const char *zName, const void *a, size_t n) {
  if (bPg) {
    pg_bind(p, zName, a, (int)n, 'b');
    return;
  }
  int i = bind_index(LITE(p), zName);
  if (a) {
    sqlite3_bind_blob64(LITE(p), i, a, n, SQLITE_TRANSIENT);
  } else {
    sqlite3_bind_null(LITE(p), i);
  }
}

void db_bind_opt_int(DbStmt *p, const char *zName, int64_t v) {
  if (v == INT64_MIN) {
    db_bind_null(p, zName);
  } else {
    db_bind_int(p, zName, v);
  }
}

/* Remembers whether a failure with code rc on db was a full disk, a file
** that may not be written, or another I/O error (EIO from a failing disk,
** a failed fsync). */
static void note_error(sqlite3 *db, int rc) {
  /* A failed COMMIT rolls back before returning, which can leave SQLite's
  ** saved errno at 0; errno from the failing write(2) is then still ours. */
  int e = sqlite3_system_errno(db) ? sqlite3_system_errno(db) : errno;
  if ((rc & 0xff) == SQLITE_FULL ||
      ((rc & 0xff) == SQLITE_IOERR &&
       (e == ENOSPC || e == EDQUOT || e == EFBIG))) {
    bDiskFull = 1;
  } else if ((rc & 0xff) == SQLITE_READONLY ||
             (((rc & 0xff) == SQLITE_IOERR ||
               (rc & 0xff) == SQLITE_CANTOPEN) &&
              (e == EROFS || e == EACCES || e == EPERM))) {
    bReadOnlyErr = 1;
  } else if (rc == SQLITE_IOERR_FSYNC || rc == SQLITE_IOERR_DIR_FSYNC) {
    bIoErr = 2; /* the commit's frames are written: a crash may keep them */
  } else if ((rc & 0xff) == SQLITE_IOERR && bIoErr == 0) {
    bIoErr = 1;
  }
}

int db_disk_full(void) { return bDiskFull; }

int db_read_only_error(void) { return bReadOnlyErr; }

/* A failure after this request's own commit (its answer read back, say)
** must not say "nothing was saved": a client would send it again. */
int db_io_error(void) { return bIoErr && bCommitted ? 2 : bIoErr; }

int db_unavailable(void) {
  return bUnavailable && bCommitted ? 2 : bUnavailable;
}

void db_clear_error(void) {
  bCommitted = 0;
  bUnavailable = 0;
  bSchemaErr = 0;
  bDiskFull = 0;
  bReadOnlyErr = 0;
  bIoErr = 0;
}

void db_set_read_only(void) { bWantReadOnly = 1; }

int db_read_only(void) { return eMode != DB_RW; }

const char *db_path(void) { return zDbPath; }

static char *zLocalName; /* set once by db_setup() */

const char *db_local_name(void) { return bPg ? zLocalName : zDbPath; }

int db_step(DbStmt *p) {
  if (bPg) {
    return pg_step(p);
  }
  int rc = sqlite3_step(LITE(p));
  if (rc != SQLITE_ROW && rc != SQLITE_DONE &&
      (rc & 0xff) != SQLITE_CONSTRAINT) {
    sqlite3 *db = sqlite3_db_handle(LITE(p));
    note_error(db, rc);
    fprintf(stderr, "hindsight: sqlite error %d (errno %d): %s\n  in: %s\n",
            rc, sqlite3_system_errno(db), sqlite3_errmsg(db),
            sqlite3_sql(LITE(p)));
  }
  return (rc & 0xff) == SQLITE_CONSTRAINT ? DB_CONSTRAINT : rc;
}

int db_run(DbStmt *p) {
  if (!p) {
    return E_DB;
  }
  int rc = db_step(p);
  db_reset(p);
  if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
    return 0;
  }
  return rc == DB_CONSTRAINT ? E_CONFLICT : E_DB;
}

int db_run_id(const char *zSql, int64_t id) {
  DbStmt *p = db_prepare(zSql);
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":id", id);
  return db_run(p);
}

const char *db_col_text(DbStmt *p, int i) {
  if (bPg) {
    return pg_col_text(p, i);
  }
  const char *z = (const char *)sqlite3_column_text(LITE(p), i);
  return z ? z : "";
}

int64_t db_col_int(DbStmt *p, int i) {
  if (bPg) {
    /* PostgreSQL spells a boolean t/f where SQLite has 1/0. */
    const char *z = pg_col_text(p, i);
    return z[0] == 't' ? 1 : z[0] == 'f' ? 0 : strtoll(z, NULL, 10);
  }
  return sqlite3_column_int64(LITE(p), i);
}

int db_col_is_null(DbStmt *p, int i) {
  if (bPg) {
    return pg_col_is_null(p, i);
  }
  return sqlite3_column_type(LITE(p), i) == SQLITE_NULL;
}

double db_col_double(DbStmt *p, int i) {
  if (bPg) {
    return strtod(pg_col_text(p, i), NULL);
  }
  return sqlite3_column_double(LITE(p), i);
}

const void *db_col_blob(DbStmt *p, int i, size_t *pN) {
  if (bPg) {
    return pg_col_blob(p, i, pN);
  }
  const void *a = sqlite3_column_blob(LITE(p), i);
  *pN = a ? (size_t)sqlite3_column_bytes(LITE(p), i) : 0;
  return a;
}

int db_in_transaction(void) {
  if (bPg) {
    return pg_in_transaction();
  }
  sqlite3 *db = db_conn();
  return db && !sqlite3_get_autocommit(db);
}

int db_exec(const char *zSql) {
  if (bPg) {
    return pg_exec(zSql);
  }
  sqlite3 *db = db_conn();
  if (!db) {
    return E_DB;
  }
  char *zErr = NULL;
  int rc = sqlite3_exec(db, zSql, NULL, NULL, &zErr);
  if (rc != SQLITE_OK) {
    note_error(db, rc);
    fprintf(stderr, "hindsight: sqlite error %d (errno %d): %s\n  in: %s\n",
            rc, sqlite3_system_errno(db), zErr ? zErr : "?", zSql);
    sqlite3_free(zErr);
    return E_DB;
  }
  return 0;
}

int db_begin_write(void) {
  if (atomic_load(&nSchemaAhead)) {
    bSchemaErr = 1;
    return E_DB;
  }
  return bPg ? pg_begin_write() : db_exec("BEGIN IMMEDIATE");
}

int db_schema_ahead(void) { return atomic_load(&nSchemaAhead); }

int db_schema_error(void) { return bSchemaErr; }

void db_note_schema(int v) {
  int nOurs = db_schema_version();
  if (v > nOurs && atomic_exchange(&nSchemaAhead, v) != v) {
    fprintf(stderr,
            "hindsight: a newer hindsight migrated the database to schema"
            " %d (this one knows %d): this node refuses writes and answers"
            " /healthz 503 until it is upgraded\n",
            v, nOurs);
    /* Workers that wait for a change (the indexer) look again, and give
    ** their jobs up (db_lead). */
    db_bump_version();
  }
}

int db_commit_unseen(void) {
  int rc = bPg ? pg_commit(0) : db_exec("COMMIT");
  bCommitted |= rc == 0;
  if (rc && !bPg) {
    /* Some errors roll back on their own; make sure none stays open. */
    if (!sqlite3_get_autocommit(db_conn())) {
      db_exec("ROLLBACK");
    }
  }
  return rc;
}

int db_commit(void) {
  /* On PostgreSQL the commit tells every node (NOTIFY): their listeners
  ** bump their own data version. */
  int rc = bPg ? pg_commit(1) : db_commit_unseen();
  if (rc == 0) {
    bCommitted = 1;
    db_bump_version();
  }
  return rc;
}

void db_rollback(void) {
  if (bPg) {
    pg_rollback();
    return;
  }
  sqlite3 *db = db_conn();
  if (db && !sqlite3_get_autocommit(db)) {
    db_exec("ROLLBACK");
  }
}

int64_t db_last_id(void) {
  return bPg ? pg_last_id() : sqlite3_last_insert_rowid(db_conn());
}

int db_changes(void) { return bPg ? pg_changes() : sqlite3_changes(db_conn()); }

uint64_t db_data_version(void) { return atomic_load(&dataVersion); }

void db_bump_version(void) { atomic_fetch_add(&dataVersion, 1); }

/* Migrations ---------------------------------------------------------- */

typedef struct MigrationList {
  const Asset *aItem[999]; /* indexed by migration number */
  int nMax;                /* highest number seen */
  int nMin;                /* lowest: where an empty database starts */
  int nTwice;              /* a number two files share (a merge slip) */
} MigrationList;

/* Where the running engine's migrations are: SQLite's in schema/,
** PostgreSQL's in schema/pg/ (its first, 014_base, is the whole schema up
** to SQLite's 014; from there every migration comes in both). */
static const char *migration_dir(void) {
  return bPg ? "schema/pg/" : "schema/";
}

static int migration_number(const char *zName) {
  /* "schema/NNN_name.sql" or "schema/pg/NNN_name.sql" */
  const char *z = zName + strlen(migration_dir());
  if (strlen(z) < 5 || z[3] != '_') {
    return 0;
  }
  int n = 0;
  for (int i = 0; i < 3; i++) {
    if (z[i] < '0' || z[i] > '9') {
      return 0;
    }
    n = n * 10 + (z[i] - '0');
  }
  return n;
}

static void collect_migration(const Asset *pAsset, void *pArg) {
  MigrationList *pList = pArg;
  int n = migration_number(pAsset->zName);
  if (n > 0 && strstr(pAsset->zName, ".sql") &&
      strncmp(pAsset->zName, migration_dir(), strlen(migration_dir())) == 0 &&
      !strchr(pAsset->zName + strlen(migration_dir()), '/')) {
    if (pList->aItem[n]) {
      pList->nTwice = n;
    }
    pList->aItem[n] = pAsset;
    if (n > pList->nMax) {
      pList->nMax = n;
    }
    if (pList->nMin == 0 || n < pList->nMin) {
      pList->nMin = n;
    }
  }
}

static void migrations_list(MigrationList *pList) {
  memset(pList, 0, sizeof(*pList));
  asset_each(migration_dir(), collect_migration, pList);
}

int db_schema_version(void) {
  MigrationList list;
  migrations_list(&list);
  return list.nMax;
}

int db_user_version(void) {
  if (bPg) {
    return pg_user_version();
  }
  DbStmt *p = db_prepare("PRAGMA user_version");
  if (!p) {
    return E_DB;
  }
  int rc = db_step(p);
  int v = rc == SQLITE_ROW ? (int)db_col_int(p, 0) : E_DB;
  db_reset(p);
  return v;
}

/* Applies migration n in its own transaction. */
static int migration_apply(int n, const Asset *pAsset) {
  char zPragma[64];
  snprintf(zPragma, sizeof(zPragma), "PRAGMA user_version=%d", n);
  int rc = db_begin_write();
  if (rc) {
    return rc;
  }
  rc = db_exec((const char *)pAsset->pData);
  if (rc == 0) {
    rc = bPg ? pg_set_user_version(n) : db_exec(zPragma);
  }
  if (rc == 0) {
    rc = db_commit();
  }
  if (rc) {
    db_rollback();
    fprintf(stderr, "hindsight: migration %s failed\n", pAsset->zName);
  }
  return rc;
}

void db_global_init(void) {
  /* Memory statistics take a global mutex on every allocation; we do not
  ** read them, and ingest allocates a lot. */
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* Whether an open that failed with rc means "you may not write here". */
static int is_write_refusal(int rc) {
  return (rc & 0xff) == SQLITE_READONLY || (rc & 0xff) == SQLITE_CANTOPEN ||
         (rc & 0xff) == SQLITE_PERM;
}

/* Sets eMode for zPath: read-write when we can, else (or when asked)
** read-only, else read-only immutable. 0, or E_DB after a message. */
static int db_choose_mode(const char *zPath) {
  sqlite3 *db = NULL;
  int rc;
  eMode = DB_RW;
  if (!bWantReadOnly) {
    /* An existing file we may not write opens read-only without an error
    ** (sqlite3_db_readonly tells), or fails on the WAL's -shm file. */
    int bExists = access(zPath, F_OK) == 0;
    rc = db_open_raw(zPath, DB_RW, bExists, &db);
    if (rc == SQLITE_OK && !sqlite3_db_readonly(db, "main")) {
      sqlite3_close(db);
      return 0;
    }
    sqlite3_close(db);
    db = NULL;
    if (rc != SQLITE_OK && (!bExists || !is_write_refusal(rc))) {
      if (bExists) {
        fprintf(stderr, "hindsight: cannot use database %s: %s\n", zPath,
                sqlite3_errstr(rc));
      }
      return E_DB;
    }
    fprintf(stderr,
            "hindsight: warning: %s cannot be written (%s); opening it"
            " read-only\n",
            zPath, rc == SQLITE_OK ? "read-only file" : sqlite3_errstr(rc));
  }
  eMode = DB_RO;
  rc = db_open_raw(zPath, DB_RO, 1, &db);
  sqlite3_close(db);
  if (rc == SQLITE_OK) {
    return 0;
  }
  if (!is_write_refusal(rc)) {
    fprintf(stderr, "hindsight: cannot use database %s: %s\n", zPath,
            sqlite3_errstr(rc));
    return E_DB;
  }
  /* A WAL file whose -shm cannot be created: nobody can write here, so
  ** reading it as immutable is safe. */
  eMode = DB_RO_IMMUTABLE;
  rc = db_open_raw(zPath, DB_RO_IMMUTABLE, 0, &db);
  sqlite3_close(db);
  if (rc == SQLITE_OK) {
    fprintf(stderr,
            "hindsight: warning: %s is read-only and so is its directory;"
            " reading it as immutable (changes made by others show after a"
            " restart)\n",
            zPath);
  }
  return rc == SQLITE_OK ? 0 : E_DB;
}

static int db_migrate_all(const char *zPath);

int db_setup(const char *zPath) {
  /* Versions start from the clock so an ETag never repeats across runs. */
  atomic_store(&dataVersion, (uint64_t)utc_now_ms());
  free(zDbPath);
  zDbPath = xstrdup(zPath);
  db_close_thread();
  bPg = db_target_is_pg(zPath);
  int rc;
  if (bPg) {
    eMode = bWantReadOnly ? DB_RO : DB_RW;
    pg_set_target(zPath, bWantReadOnly);
    free(zLocalName);
    zLocalName = pg_local_name();
    if (pg_connect()) {
      return E_DB;
    }
    /* Nodes starting together: one applies the migrations, the others
    ** wait and then find them applied. */
    if (!bWantReadOnly && pg_migration_lock(1)) {
      return E_DB;
    }
    rc = db_migrate_all(zPath);
    if (!bWantReadOnly) {
      pg_migration_lock(0);
    }
    return rc ? rc : pg_load_identities();
  }
  rc = db_choose_mode(zPath);
  if (rc) {
    return rc;
  }
  if (!db_conn()) {
    return E_DB;
  }
  return db_migrate_all(zPath);
}

/* Checks the database's schema version against ours and applies what is
** pending. */
static int db_migrate_all(const char *zPath) {
  int rc;
  MigrationList list;
  migrations_list(&list);
  int v = db_user_version();
  if (v < 0) {
    fprintf(stderr, "hindsight: %s is not a readable Hindsight database\n",
            zPath);
    return E_DB;
  }
  if (v > list.nMax) {
    fprintf(stderr,
            "hindsight: %s has schema version %d, newer than this binary "
            "knows (%d); refusing to touch it. Use a newer hindsight.\n",
            zPath, v, list.nMax);
    return E_DB;
  }
  if (eMode != DB_RW && v < list.nMax) {
    fprintf(stderr,
            "hindsight: %s has schema version %d and needs migrations up to"
            " %d, which a read-only database cannot take; run `hindsight"
            " migrate` with write access first\n",
            zPath, v, list.nMax);
    return E_DB;
  }
  if (list.nTwice) {
    fprintf(stderr, "hindsight: two migrations are numbered %03d\n",
            list.nTwice);
    return E_DB;
  }
  for (int n = v == 0 ? list.nMin : v + 1; n <= list.nMax; n++) {
    if (!list.aItem[n]) {
      fprintf(stderr, "hindsight: migration %03d is missing\n", n);
      return E_DB;
    }
    rc = migration_apply(n, list.aItem[n]);
    if (rc) {
      return rc;
    }
  }
  return 0;
}

/* SQLite's leads: the jobs that have asked (one process owns the file). */
static atomic_uint sqliteLeads;

int db_lead(int eJob) {
  if (bPg && atomic_load(&nSchemaAhead)) {
    /* An old node hands its jobs to the upgraded ones. */
    pg_lead_release(eJob);
    return 0;
  }
  if (bPg) {
    return pg_lead(eJob);
  }
  atomic_fetch_or(&sqliteLeads, 1u << eJob);
  return 1;
}

unsigned db_leads(void) {
  return bPg ? pg_leads() : atomic_load(&sqliteLeads);
}

const char *db_job_name(int eJob) {
  static const char *const azName[DB_JOB_END] = {
      [DB_JOB_OUTBOX] = "outbox",   [DB_JOB_INDEXER] = "indexer",
      [DB_JOB_RETENTION] = "retention", [DB_JOB_MIRROR] = "mirror",
      [DB_JOB_RAWMIGRATE] = "raw_migrate"};
  return eJob > 0 && eJob < DB_JOB_END ? azName[eJob] : "?";
}

int db_listen_start(void) { return bPg ? pg_listen_start() : 0; }

void db_listen_stop(void) {
  if (bPg) {
    pg_listen_stop();
  }
}

int db_backup(const char *zOut) {
  if (bPg) {
    fprintf(stderr, "hindsight: backup copies a SQLite file; on PostgreSQL"
                    " use pg_dump or `hindsight copy`\n");
    return E_NOTIMPL;
  }
  sqlite3 *pSrc = db_conn();
  sqlite3 *pDst = NULL;
  if (!pSrc) {
    return E_DB;
  }
  int rc = sqlite3_open_v2(zOut, &pDst,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_backup *pB = sqlite3_backup_init(pDst, "main", pSrc, "main");
    if (pB) {
      /* Small steps so writers are held up only briefly. */
      do {
        rc = sqlite3_backup_step(pB, 256);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
          sqlite3_sleep(20);
        }
      } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
      sqlite3_backup_finish(pB);
    }
    rc = sqlite3_errcode(pDst);
  }
  if (rc != SQLITE_OK) {
    fprintf(stderr, "hindsight: backup to %s failed: %s\n", zOut,
            pDst ? sqlite3_errmsg(pDst) : sqlite3_errstr(rc));
  }
  sqlite3_close(pDst);
  return rc == SQLITE_OK ? 0 : E_DB;
}

/* A second database (DbSide, for `hindsight copy`) ---------------------- */

#define SIDE_CACHE 16 /* statement texts prepared per SQLite side */

struct DbSide {
  PgSide *pPg;                      /* PostgreSQL, or NULL */
  sqlite3 *db;                      /* SQLite, or NULL */
  char *azSql[SIDE_CACHE];          /* prepared texts (NEW), by slot */
  sqlite3_stmt *aStmt[SIDE_CACHE];  /* their statements */
  int nSql;                         /* slots used */
  int iEvict;                       /* the slot a new text takes when full */
  sqlite3_stmt *pCur;               /* the running query, or NULL */
};

int db_side_open(const char *zTarget, int bReadOnly, const char *zWhat,
                 DbSide **pp) {
  *pp = NULL;
  DbSide *p = xcalloc(1, sizeof(*p));
  if (db_target_is_pg(zTarget)) {
    p->pPg = pg_side_open(zTarget, zWhat);
    if (!p->pPg) {
      free(p);
      return E_DB;
    }
  } else {
    if (access(zTarget, F_OK) != 0) {
      fprintf(stderr, "hindsight: the %s %s does not exist\n", zWhat,
              zTarget);
      free(p);
      return E_DB;
    }
    if (db_open_raw(zTarget, bReadOnly ? DB_RO : DB_RW, 0, &p->db) !=
        SQLITE_OK) {
      free(p);
      return E_DB;
    }
  }
  *pp = p;
  return 0;
}

void db_side_close(DbSide *p) {
  if (!p) {
    return;
  }
  if (p->pPg) {
    pg_side_close(p->pPg);
  } else {
    for (int i = 0; i < p->nSql; i++) {
      sqlite3_finalize(p->aStmt[i]);
      free(p->azSql[i]);
    }
    if (!sqlite3_get_autocommit(p->db)) {
      sqlite3_exec(p->db, "ROLLBACK", NULL, NULL, NULL);
    }
    sqlite3_close(p->db);
  }
  free(p);
}

int db_side_is_pg(DbSide *p) { return p->pPg != NULL; }

int db_side_exec(DbSide *p, const char *zSql) {
  if (p->pPg) {
    return pg_side_exec(p->pPg, zSql);
  }
  char *zErr = NULL;
  int rc = sqlite3_exec(p->db, zSql, NULL, NULL, &zErr);
  if (rc != SQLITE_OK) {
    fprintf(stderr, "hindsight: sqlite error %d: %s\n  in: %s\n", rc,
            zErr ? zErr : sqlite3_errmsg(p->db), zSql);
    sqlite3_free(zErr);
    return E_DB;
  }
  return 0;
}

/* The cached statement for zSql on SQLite side p, or NULL (logged). */
static sqlite3_stmt *side_prepare(DbSide *p, const char *zSql) {
  for (int i = 0; i < p->nSql; i++) {
    if (strcmp(p->azSql[i], zSql) == 0) {
      return p->aStmt[i];
    }
  }
  sqlite3_stmt *pStmt = NULL;
  if (sqlite3_prepare_v2(p->db, zSql, -1, &pStmt, NULL) != SQLITE_OK) {
    fprintf(stderr, "hindsight: prepare failed: %s\n  in: %s\n",
            sqlite3_errmsg(p->db), zSql);
    return NULL;
  }
  int i;
  if (p->nSql < SIDE_CACHE) {
    i = p->nSql++;
  } else {
    i = p->iEvict;
    p->iEvict = (p->iEvict + 1) % SIDE_CACHE;
    sqlite3_finalize(p->aStmt[i]);
    free(p->azSql[i]);
  }
  p->azSql[i] = xstrdup(zSql);
  p->aStmt[i] = pStmt;
  return pStmt;
}

void db_side_finish(DbSide *p) {
  if (p->pPg) {
    pg_side_finish(p->pPg);
  } else if (p->pCur) {
    sqlite3_reset(p->pCur);
    sqlite3_clear_bindings(p->pCur);
    p->pCur = NULL;
  }
}

int db_side_query(DbSide *p, const char *zSql, int nParam,
                  const DbValue *aParam) {
  if (p->pPg) {
    return pg_side_query(p->pPg, zSql, nParam, aParam);
  }
  db_side_finish(p);
  sqlite3_stmt *pStmt = side_prepare(p, zSql);
  if (!pStmt) {
    return E_DB;
  }
  for (int i = 0; i < nParam; i++) {
    const DbValue *v = &aParam[i];
    if (v->eType == DB_VTEXT) {
      sqlite3_bind_text64(pStmt, i + 1, v->n ? v->a : "", v->n,
                          SQLITE_STATIC, SQLITE_UTF8);
    } else if (v->eType == DB_VBLOB) {
      /* A NULL pointer would bind NULL: an empty BLOB is zeroblob(0). */
      if (v->n) {
        sqlite3_bind_blob64(pStmt, i + 1, v->a, v->n, SQLITE_STATIC);
      } else {
        sqlite3_bind_zeroblob(pStmt, i + 1, 0);
      }
    } else {
      sqlite3_bind_null(pStmt, i + 1);
    }
  }
  p->pCur = pStmt;
  return 0;
}

int db_side_next(DbSide *p) {
  if (p->pPg) {
    return pg_side_next(p->pPg);
  }
  if (!p->pCur) {
    return DB_DONE;
  }
  int rc = sqlite3_step(p->pCur);
  if (rc == SQLITE_ROW) {
    return DB_ROW;
  }
  if (rc != SQLITE_DONE) {
    fprintf(stderr, "hindsight: sqlite error %d: %s\n  in: %s\n", rc,
            sqlite3_errmsg(p->db), sqlite3_sql(p->pCur));
  }
  db_side_finish(p);
  return rc == SQLITE_DONE ? DB_DONE : E_DB;
}

int db_side_ncol(DbSide *p) {
  if (p->pPg) {
    return pg_side_ncol(p->pPg);
  }
  return p->pCur ? sqlite3_data_count(p->pCur) : 0;
}

void db_side_col(DbSide *p, int i, DbValue *pV) {
  if (p->pPg) {
    pg_side_col(p->pPg, i, pV);
    return;
  }
  memset(pV, 0, sizeof(*pV));
  int eType = sqlite3_column_type(p->pCur, i);
  if (eType == SQLITE_NULL) {
    return;
  }
  if (eType == SQLITE_BLOB) {
    pV->eType = DB_VBLOB;
    pV->a = sqlite3_column_blob(p->pCur, i);
  } else {
    pV->eType = DB_VTEXT;
    pV->a = sqlite3_column_text(p->pCur, i);
  }
  pV->n = (size_t)sqlite3_column_bytes(p->pCur, i);
  if (!pV->a) {
    pV->a = "";
  }
}
