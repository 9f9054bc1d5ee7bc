/*
** db_pg.h: the PostgreSQL engine behind db.h, for db.c only. Every other
** file goes through db.h, whichever engine runs.
*/
#ifndef HS_DB_PG_H
#define HS_DB_PG_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

/* Remembers the connection string for every thread (db_setup()). */
void pg_set_target(const char *zConn, int bReadOnly);
/* "hindsight-pg-DBNAME" for the target. NEW (free()). */
char *pg_local_name(void);
/* Opens this thread's connection if needed: 0, or E_DB (logged). */
int pg_connect(void);
void pg_close_thread(void);

DbStmt *pg_prepare(const char *zSql);
void pg_plan_each_run(DbStmt *p);
void pg_reset(DbStmt *p);
/* Binds n bytes at z (n < 0: up to the NUL); z == NULL binds NULL.
** cType is what the caller bound: 'i' an integer (as text), 't' text,
** 'b' bytes (sent as binary bytea). */
void pg_bind(DbStmt *p, const char *zName, const char *z, int n, char cType);
int pg_step(DbStmt *p);
const char *pg_col_text(DbStmt *p, int i);
int pg_col_is_null(DbStmt *p, int i);
const void *pg_col_blob(DbStmt *p, int i, size_t *pN);

int pg_exec(const char *zSql);
int pg_begin_write(void);
/* COMMIT; with bNotify, other nodes hear of the change (NOTIFY hs_data,
** delivered only if the commit succeeds). */
int pg_commit(int bNotify);
void pg_rollback(void);
int pg_in_transaction(void);
int64_t pg_last_id(void);
int pg_changes(void);
/* Reads which tables have an identity id (after migrations, before
** threads start): their INSERTs return it for db_last_id(). 0 or E_DB. */
int pg_load_identities(void);
/* The schema version (table hs_schema), 0 for an empty database. */
int pg_user_version(void);
int pg_set_user_version(int n);
/* Session advisory lock around migrations, so nodes starting together
** apply each one once. */
int pg_migration_lock(int bLock);

/* db_lead() on PostgreSQL. */
int pg_lead(int eJob);
unsigned pg_leads(void);
/* Gives up job eJob's lock if this thread holds it. */
void pg_lead_release(int eJob);
int pg_listen_start(void);
void pg_listen_stop(void);

/* What a failure was, for db.c's per-thread error flags. */
enum {
  PG_ERR_OTHER = 1,
  PG_ERR_UNAVAILABLE,
  PG_ERR_DISK_FULL,
  PG_ERR_READ_ONLY,
  PG_ERR_COMMIT_UNKNOWN /* lost with COMMIT sent: may have committed */
};
void db_note_pg_error(int eKind);
/* The shared database's schema version, read by the listener: db.c's
** db_schema_ahead() from it. */
void db_note_schema(int v);

/* db.h's DbSide on PostgreSQL: one connection of its own. */
typedef struct PgSide PgSide;
/* NULL after a message naming zWhat. */
PgSide *pg_side_open(const char *zConn, const char *zWhat);
void pg_side_close(PgSide *p);
int pg_side_exec(PgSide *p, const char *zSql);
int pg_side_query(PgSide *p, const char *zSql, int nParam,
                  const DbValue *aParam);
int pg_side_next(PgSide *p);
int pg_side_ncol(PgSide *p);
void pg_side_col(PgSide *p, int i, DbValue *pV);
void pg_side_finish(PgSide *p);

#endif
