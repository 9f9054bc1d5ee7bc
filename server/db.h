/*
** db.h: SQLite access. One connection per thread, opened lazily, with a
** per-connection statement cache; migrations; write transactions.
**
** Threading: a connection and its statements belong to the thread that
** opened them (SQLITE_OPEN_NOMUTEX); it is closed when that thread exits.
** The database path is set once by db_setup() before threads start.
**
** Two engines behind one interface, chosen by db_setup() from its argument:
** a file name is SQLite (db.c), a libpq connection string ("postgresql://..."
** or "host=... dbname=...") is PostgreSQL (db_pg.c). SQL is written once with
** :name parameters where both engines accept it; where they differ, db_sql()
** picks the text for the running engine, the two kept side by side.
*/
#ifndef HS_DB_H
#define HS_DB_H

#include <stddef.h>
#include <stdint.h>

typedef struct sqlite3 sqlite3;
/* A prepared statement of either engine. */
typedef struct DbStmt DbStmt;

/* db_step() results (the values of SQLITE_ROW, SQLITE_DONE and
** SQLITE_CONSTRAINT, so either engine reports them alike). */
enum { DB_CONSTRAINT = 19, DB_ROW = 100, DB_DONE = 101 };

/* Whether db_setup() chose PostgreSQL. */
int db_is_pg(void);
/* The SQL text for the running engine: both arguments must be string
** literals (db_prepare() caches by address). */
#define db_sql(zSqlite, zPg) (db_is_pg() ? (zPg) : (zSqlite))
/* Whether zTarget names a PostgreSQL database rather than a file. */
int db_target_is_pg(const char *zTarget);

/* Process-wide SQLite settings; call first thing in main(), before any
** connection exists. */
void db_global_init(void);

/*
** Opens (creating if missing) the database at zPath, applies pending
** migrations from the embedded schema/ files and remembers the path for
** every thread. Call once, from the main thread, before serving.
** Returns 0; E_DB with a message on stderr if the file cannot be opened, is
** corrupt, or was written by a newer Hindsight (refused, never touched).
** A file that exists but may not be written (or db_set_read_only()) is
** opened read-only with a warning; it cannot take pending migrations.
*/
int db_setup(const char *zPath);

/* The path db_setup() was given (files kept beside the database are
** named after it). BORROWED; NULL before db_setup(). */
const char *db_path(void);
/* The name this node's local files (the last good pages) start with:
** the SQLite path, or on PostgreSQL "hindsight-pg-DBNAME" in the working
** directory (the connection string is no file name). BORROWED. */
const char *db_local_name(void);

/* The newest schema version this binary knows (highest schema/NNN). */
int db_schema_version(void);
/* The database's PRAGMA user_version, or a negative error. */
int db_user_version(void);

/* This thread's SQLite connection, opened on first use. BORROWED. NULL if
** the database cannot be opened (logged), and always on PostgreSQL: only
** SQLite-only code (the FTS5 search index) may use it. */
sqlite3 *db_conn(void);
/* The SQLite statement behind p, for that SQLite-only code. */
struct sqlite3_stmt *db_lite_stmt(DbStmt *p);
/* Closes this thread's connection (after a checkpoint attempt). */
void db_close_thread(void);

/*
** Returns the cached prepared statement for zSql, which must be a string
** literal (the cache is keyed by its address). BORROWED: call db_reset()
** when done; never keep it across threads. NULL on a prepare error (logged
** with the SQL; a bug).
*/
DbStmt *db_prepare(const char *zSql);
/* Has PostgreSQL plan p for the values of each run, as SQLite always does,
** instead of reusing a generic plan: for searches, whose best plan depends
** on how common their words are (a generic plan scans every match). */
void db_plan_each_run(DbStmt *p);
/* Resets the statement and clears its bindings. NULL is allowed. */
void db_reset(DbStmt *p);

/* Bind by name (":name"). An unknown name aborts: it is a bug. */
void db_bind_int(DbStmt *p, const char *zName, int64_t v);
void db_bind_text(DbStmt *p, const char *zName, const char *z);
void db_bind_textn(DbStmt *p, const char *zName, const char *z, int n);
/* Binds z without copying it: z must stay valid until the statement is
** stepped and reset (the hot ingest path). */
void db_bind_text_static(DbStmt *p, const char *zName, const char *z);
void db_bind_null(DbStmt *p, const char *zName);
/* Binds v, or NULL when v == INT64_MIN (our "unset" marker). */
void db_bind_opt_int(DbStmt *p, const char *zName, int64_t v);

/* Binds n bytes at a as a BLOB (bytea on PostgreSQL); a == NULL binds
** NULL. The bytes are copied. */
void db_bind_blob(DbStmt *p, const char *zName, const void *a, size_t n);

/* Steps; returns DB_ROW, DB_DONE, or logs and returns the error
** (DB_CONSTRAINT for a UNIQUE/CHECK/foreign key violation). */
int db_step(DbStmt *p);
/* Steps a statement that returns no rows and resets it. 0 or E_DB
** (E_CONFLICT on a UNIQUE/constraint violation). */
int db_run(DbStmt *p);
/* Prepares zSql, whose one parameter is :id, binds id and runs it as
** db_run() does: 0, E_CONFLICT or E_DB (also if it does not prepare). */
int db_run_id(const char *zSql, int64_t id);

/* Column text, "" for NULL. BORROWED until the next step/reset. */
const char *db_col_text(DbStmt *p, int i);
int64_t db_col_int(DbStmt *p, int i);
int db_col_is_null(DbStmt *p, int i);
double db_col_double(DbStmt *p, int i);
/* Column bytes and their count in *pN. BORROWED until the next step/reset;
** NULL (and *pN == 0) for NULL or an empty value. */
const void *db_col_blob(DbStmt *p, int i, size_t *pN);

/* Whether this thread's connection is inside a transaction. */
int db_in_transaction(void);
/* Whether the last failure on this thread since db_clear_error() was a
** lost or read-only (standby) server: PostgreSQL failing over. 1: nothing
** was saved; 2: the connection was lost with COMMIT sent, so the write may
** or may not have been saved (a synchronous standby may hold it), or a
** commit on this thread since db_clear_error() did succeed (the failure
** came after it). http.c answers 503 with Retry-After; the next statement
** reconnects. */
int db_unavailable(void);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK on this thread's connection.
** Keep write transactions short: no rendering or network I/O inside. */
int db_begin_write(void);
int db_commit(void);
/* db_commit() without bumping the data version: for writes that no cached
** page shows (the search index, the outbox's delivery state), so background
** work does not re-render the status page or change its ETag. */
int db_commit_unseen(void);
void db_rollback(void);

/* Whether the last SQLite failure on this thread since db_clear_error()
** was a full disk: SQLITE_FULL, or an I/O error whose errno is ENOSPC,
** EDQUOT or EFBIG (a write past RLIMIT_FSIZE). http.c clears it before
** each handler and turns E_DB into "the disk is full" when it is set. */
int db_disk_full(void);
/* Whether the last SQLite failure on this thread since db_clear_error()
** was a refused write: SQLITE_READONLY (a read-only connection or file),
** or an I/O error whose errno is EROFS, EACCES or EPERM. http.c turns E_DB
** into "the database is read-only" when it is set. */
int db_read_only_error(void);
/* Whether the last SQLite failure on this thread since db_clear_error()
** was any other I/O error (SQLITE_IOERR: EIO from the disk, a failed
** write or fsync): 1, or 2 when an fsync failed. SQLite has rolled the
** transaction back by then, but after a failed fsync the commit's frames
** are already in the WAL and a crash before the next write would keep
** them, so http.c says "nothing was saved" for 1 and "may or may not have
** been saved" for 2 (also after a commit since db_clear_error()). 0
** otherwise. */
int db_io_error(void);
/* Whether the last failure on this thread since db_clear_error() was
** db_begin_write() refusing because db_schema_ahead(). */
int db_schema_error(void);
void db_clear_error(void);

/* PostgreSQL: 0, or the schema version a newer Hindsight migrated the
** shared database to while this node ran (its listener reads it every few
** seconds). From then on this node's write transactions
** fail (db_schema_error(), 503 with Retry-After) and /healthz answers 503,
** so the load balancer sends everything to upgraded nodes: a rolling
** upgrade. Reads keep working, and db_lead() gives this node's background
** jobs up to the upgraded nodes. */
int db_schema_ahead(void);

/* Asks db_setup() to open the database read-only (serve --read-only): no
** migrations, every write fails with SQLITE_READONLY. Call before it. */
void db_set_read_only(void);
/* Whether connections are read-only: asked for, or because db_setup()
** found a file it may not write (it says so on stderr). */
int db_read_only(void);

/* Runs SQL text with no bound values (pragmas, migrations). 0 or E_DB. */
int db_exec(const char *zSql);

int64_t db_last_id(void);
int db_changes(void);

/* A counter bumped by every committed write through db_commit(); public
** pages use it to know when their cached render is stale. */
uint64_t db_data_version(void);
void db_bump_version(void);


/* Background jobs that must run on one node at a time (db_lead()). */
enum {
  DB_JOB_OUTBOX = 1,
  DB_JOB_INDEXER,
  DB_JOB_RETENTION,
  DB_JOB_MIRROR,
  DB_JOB_RAWMIGRATE,
  DB_JOB_END
};
/* Whether this node runs job eJob (DB_JOB_*) now. SQLite: always (one
** process owns the file). PostgreSQL: whether this thread's connection
** holds the job's session advisory lock, taken here when free, so exactly
** one node runs it; when that node dies its connection ends, the lock is
** freed, and another node's next round takes it. Call at the start of every
** round, from the worker's own thread. */
int db_lead(int eJob);
/* The jobs this node leads now: bit eJob set when db_lead(eJob) last said
** yes and the lock has not been lost since (for /metrics; any thread). */
unsigned db_leads(void);
/* A job's name in /metrics ("outbox", "indexer", ...). */
const char *db_job_name(int eJob);

/* PostgreSQL: starts a named worker (hs-dbnotify) that LISTENs for other
** nodes' commits (db_commit() sends NOTIFY) and bumps the data version,
** so cached public pages follow changes made anywhere within a second.
** Nothing to do on SQLite. 0, or E_IO. */
int db_listen_start(void);
void db_listen_stop(void);

/* Online, consistent copy of the database to zOut (sqlite3 backup API). */
int db_backup(const char *zOut);

/* A second database, for `hindsight copy` only -------------------------- */

/* The engine seam above is one database per process (db_setup()); copying
** between two needs both open at once, on the calling thread. A DbSide is
** one connection to a SQLite file or a PostgreSQL database, outside the
** per-thread cache, without migrations. SQL is in the side's own dialect
** (db_side_is_pg() tells) with positional parameters, ?1.. on SQLite and
** $1.. on PostgreSQL. One query at a time per side; its rows are streamed
** (SQLite steps, libpq single-row mode), so memory stays bounded whatever
** the table's size. Not for request code. */
typedef struct DbSide DbSide;

/* A value read from or bound to a DbSide. */
enum { DB_VNULL = 0, DB_VTEXT, DB_VBLOB };
typedef struct DbValue {
  int eType;     /* DB_V*: integers travel as their decimal text */
  const void *a; /* the bytes (text is not NUL-terminated); NULL for NULL */
  size_t n;      /* their count */
} DbValue;

/*
** Opens zTarget (a file, or a connection string as db_target_is_pg()
** tells). A file must exist; bReadOnly opens it read-only. Returns 0 and
** *pp (NEW, db_side_close()); E_DB with a message on stderr naming zWhat
** ("source", "destination"), never the conninfo (it may hold a password).
*/
int db_side_open(const char *zTarget, int bReadOnly, const char *zWhat,
                 DbSide **pp);
/* Closes the side, rolling back an open transaction. NULL is allowed. */
void db_side_close(DbSide *p);
int db_side_is_pg(DbSide *p);
/* Runs SQL text without parameters or rows (several statements are
** allowed). 0 or E_DB (logged). */
int db_side_exec(DbSide *p, const char *zSql);
/* Starts zSql with nParam values (BORROWED for the call; at most 65535 on
** PostgreSQL, SQLITE_MAX_VARIABLE_NUMBER on SQLite). The statement
** is prepared once per text and side (a few texts cached). 0 or E_DB
** (logged); then db_side_next() until it returns DB_DONE or an error. */
int db_side_query(DbSide *p, const char *zSql, int nParam,
                  const DbValue *aParam);
/* The next row: DB_ROW, DB_DONE (the query is finished), or E_DB (logged;
** finished too). */
int db_side_next(DbSide *p);
/* Columns of the current row. */
int db_side_ncol(DbSide *p);
/* Column i of the current row: text (an integer as its decimal digits),
** bytes (BLOB/bytea) or NULL. BORROWED until the next db_side_next(). */
void db_side_col(DbSide *p, int i, DbValue *pV);
/* Ends the current query early (its remaining rows are dropped). */
void db_side_finish(DbSide *p);

#endif
