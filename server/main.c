/*
** main.c: the `hindsight` command line: global flags, the database, and
** dispatch to each command. Exit codes (SPEC §1): 0 success, 1 runtime
** failure, 2 usage error with a one-line hint.
**
** Threading: runs on the main thread; `serve` blocks SIGINT and SIGTERM
** before starting the pool so only this thread receives them.
*/
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "assets.h"
#include "auth.h"
#include "copy.h"
#include "db.h"
#include "demo.h"
#include "err.h"
#include "http.h"
#include "incident.h"
#include "settings.h"
#include "ingest_store.h"
#include "rawstore_admin.h"
#include "mirror.h"
#include "outbox.h"
#include "retention.h"
#include "search.h"
#include "syslog_door.h"
#include "subs.h"
#include "status.h"

static const char *zUsage =
    "usage: hindsight [--db FILE] COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  serve [--listen 127.0.0.1:8080] [--threads N] [--tls-cert F"
    " --tls-key F] [--dev]\n"
    "        [--read-only] [--syslog-udp HOST:PORT] [--syslog-tcp HOST:PORT]\n"
    "        [--syslog-relp HOST:PORT]\n"
    "  migrate                       apply pending schema migrations\n"
    "  user add NAME --role ROLE     (password on stdin); user list|passwd|del\n"
    "  token add NAME --scope SCOPE  prints the token once; token list|revoke\n"
    "  incident open TITLE [--severity SEV2] [--component NAME]...\n"
    "  ingest --format FMT [--incident ID | --auto] [--source NAME]"
    " [--tz ZONE] [--json] [FILE|-]...\n"
    "  raw [--source S] [--from T] [--to T] [--grep TEXT] [-i]"
    "   print stored raw lines\n"
    "  demo                          load the demo scenario\n"
    "  config list | get KEY | set KEY VALUE   operational settings\n"
    "  backup --out FILE             online copy of the database\n"
    "  copy --from SRC --to DST      move everything to another database"
    " (SQLite\n"
    "                                file or PostgreSQL), verified\n"
    "  export-status --out DIR       write the public status site as static"
    " files\n"
    "\n"
    "--db defaults to $HINDSIGHT_DB or ./hindsight.db.\n"
    "`hindsight COMMAND --help` describes each command.\n";

static int usage_error(const char *zHint) {
  fprintf(stderr, "hindsight: %s (try hindsight --help)\n", zHint);
  return 2;
}

static const char *zServeUsage =
    "usage: hindsight serve [--listen HOST:PORT] [--threads N]\n"
    "         [--tls-cert FILE --tls-key FILE] [--dev] [--demo-if-empty]\n"
    "         [--read-only] [--mirror DIR] [--max-connections N]\n"
    "         [--max-conn-per-ip N] [--header-timeout S] [--drain-timeout S]\n"
    "         [--slow-lanes N] [--ingest-lanes N] [--max-body-memory MIB]\n"
    "         [--syslog-udp HOST:PORT] [--syslog-tcp HOST:PORT]"
    " [--syslog-relp HOST:PORT]\n"
    "         [--syslog-allow NETS]\n"
    "  --listen   address to serve on (default 127.0.0.1:8080; port 0 picks"
    " a free one)\n"
    "  --threads  worker threads (default: one per core)\n"
    "  --dev      read templates/, web/ from the current directory on every"
    " request\n"
    "  --demo-if-empty  load the demo scenario when there are no incidents\n"
    "  --mirror DIR  keep a static copy of the public site at DIR (a symlink\n"
    "             Hindsight swaps atomically), rewritten on every public"
    " change\n"
    "  --read-only  open the database read-only: pages and reads work, every"
    " write\n"
    "             gets 503 (also chosen on its own for a file that cannot be"
    " written)\n"
    "  --max-connections  connections in all (default 1000)\n"
    "  --max-conn-per-ip  connections per client address (default 64)\n"
    "  --header-timeout   a request head must arrive whole within S seconds"
    " (default 10)\n"
    "  --drain-timeout    SIGTERM waits S seconds for requests in flight"
    " (default 60)\n"
    "  --slow-lanes       raw searches and exports at once (default: threads"
    " - 1)\n"
    "  --ingest-lanes     large ingest uploads at once (default 2)\n"
    "  --max-body-memory  MiB of request bodies held in memory at once"
    " (default 64)\n"
    "  --syslog-udp, --syslog-tcp  also take syslog (RFC 5426 / RFC 6587)"
    " on HOST:PORT;\n"
    "             no token: bind to loopback or a trusted network\n"
    "  --syslog-relp  also take syslog over RELP (rsyslog's omrelp) on"
    " HOST:PORT;\n"
    "             a message is acknowledged once it is stored\n"
    "  --syslog-allow LIST  only these senders (addresses or CIDR networks,"
    "\n             comma-separated: 127.0.0.1,10.0.0.0/8,fd00::/8)\n";


/* Creates the admin account on an empty database; prints it once. */
static int ensure_admin(void) {
  int n = auth_user_count();
  if (n != 0) {
    return n < 0 ? E_DB : 0;
  }
  char zPw[25];
  auth_random_hex(zPw, 12);
  int rc = auth_user_add("admin", "admin", zPw, "hindsight");
  if (rc == 0) {
    printf("hindsight: created user admin with password %s\n"
           "hindsight: it is shown only now; change it with"
           " `hindsight user passwd admin`\n",
           zPw);
    fflush(stdout);
  }
  return rc;
}

/* The serve flags that set a limit (README "Limits"): 1 if zFlag is one
** (then *pzErr is set when zValue is missing or out of range), else 0. */
static int serve_limit(const char *zFlag, const char *zValue,
                       HttpConfig *pCfg, const char **pzErr) {
  static const struct {
    const char *zFlag; /* the flag */
    int nMin, nMax;    /* its range */
    const char *zErr;  /* the hint when out of range */
  } aLimit[] = {
      {"--max-connections", 4, 100000, "--max-connections must be 4 to 100000"},
      {"--max-conn-per-ip", 1, 100000, "--max-conn-per-ip must be 1 to 100000"},
      {"--header-timeout", 1, 3600, "--header-timeout must be 1 to 3600 s"},
      {"--drain-timeout", 1, 86400, "--drain-timeout must be 1 to 86400 s"},
      {"--slow-lanes", 1, 256, "--slow-lanes must be 1 to 256"},
      {"--ingest-lanes", 1, 256, "--ingest-lanes must be 1 to 256"},
      {"--max-body-memory", 1, 65536, "--max-body-memory must be 1 to 65536 MiB"},
  };
  for (size_t i = 0; i < sizeof(aLimit) / sizeof(aLimit[0]); i++) {
    if (strcmp(zFlag, aLimit[i].zFlag) != 0) {
      continue;
    }
    char *zEnd = NULL;
    long v = zValue ? strtol(zValue, &zEnd, 10) : 0;
    if (!zValue || !*zValue || *zEnd || v < aLimit[i].nMin ||
        v > aLimit[i].nMax) {
      *pzErr = aLimit[i].zErr;
      return 1;
    }
    int n = (int)v;
    switch (i) {
    case 0: pCfg->nMaxConn = n; break;
    case 1: pCfg->nPerIpConn = n; break;
    case 2: pCfg->nHeaderTimeoutS = n; break;
    case 3: pCfg->nDrainTimeoutS = n; break;
    case 4: pCfg->nSlowLanes = n; break;
    case 5: pCfg->nIngestLanes = n; break;
    default: pCfg->nBodyMemory = (size_t)n << 20; break;
    }
    return 1;
  }
  return 0;
}

/* Stops every background worker serve may have started, newest first;
** each stop does nothing for a worker that is not running. */
static void background_stop(void) {
  db_listen_stop();
  syslog_door_stop();
  mirror_stop();
  rawstore_migrator_stop();
  retention_stop();
  search_indexer_stop();
  outbox_stop();
}

static int cmd_serve(int argc, char **argv) {
  HttpConfig cfg = {
      .zListen = "127.0.0.1:8080",
      .nThread = 0,
      .nMaxBody = (size_t)1 << 20,
      .nMaxIngest = (size_t)256 << 20,
  };
  /* The setting, unless the flag below says otherwise. */
  long long nDrain = settings_get_int("serve.drain_timeout_seconds", 0);
  if (nDrain >= 1 && nDrain <= 86400) {
    cfg.nDrainTimeoutS = (int)nDrain;
  }
  int bDemo = 0;
  const char *zSyslogUdp = NULL, *zSyslogTcp = NULL, *zSyslogAllow = NULL;
  const char *zSyslogRelp = NULL;
  const char *zMirror = NULL;
  const char *zErr = NULL;
  for (int i = 0; i < argc; i++) {
    const char *z = argv[i];
    int bHasValue = i + 1 < argc;
    if (strcmp(z, "--help") == 0) {
      fputs(zServeUsage, stdout);
      return 0;
    } else if (strcmp(z, "--dev") == 0) {
      asset_set_dev(".");
    } else if (strcmp(z, "--demo-if-empty") == 0) {
      bDemo = 1;
    } else if (strcmp(z, "--read-only") == 0) {
      /* main() saw it before opening the database */
    } else if (strcmp(z, "--listen") == 0 && bHasValue) {
      cfg.zListen = argv[++i];
    } else if (strcmp(z, "--threads") == 0 && bHasValue) {
      cfg.nThread = atoi(argv[++i]);
      if (cfg.nThread < 1 || cfg.nThread > 256) {
        return usage_error("--threads must be 1 to 256");
      }
    } else if (serve_limit(z, bHasValue ? argv[i + 1] : NULL, &cfg,
                           &zErr)) {
      if (zErr) {
        return usage_error(zErr);
      }
      i++;
    } else if (strcmp(z, "--tls-cert") == 0 && bHasValue) {
      cfg.zTlsCert = argv[++i];
    } else if (strcmp(z, "--tls-key") == 0 && bHasValue) {
      cfg.zTlsKey = argv[++i];
    } else if (strcmp(z, "--syslog-udp") == 0 && bHasValue) {
      zSyslogUdp = argv[++i];
    } else if (strcmp(z, "--syslog-tcp") == 0 && bHasValue) {
      zSyslogTcp = argv[++i];
    } else if (strcmp(z, "--syslog-relp") == 0 && bHasValue) {
      zSyslogRelp = argv[++i];
    } else if (strcmp(z, "--syslog-allow") == 0 && bHasValue) {
      zSyslogAllow = argv[++i];
    } else if (strcmp(z, "--mirror") == 0 && bHasValue) {
      zMirror = argv[++i];
    } else {
      return usage_error("unknown serve option");
    }
  }
  int bReadOnly = db_read_only();
  if (bReadOnly) {
    /* Nothing here may write: no admin, no demo, no delivery worker (it
    ** claims outbox rows), no checkpoint at the end. */
    fprintf(stderr, "hindsight: serving read-only: pages and reads work;"
                    " logging in and every write get 503 (the database is"
                    " read-only)\n");
    if (auth_user_count() == 0) {
      fprintf(stderr, "hindsight: warning: there are no users, so nobody"
                      " can log in\n");
    }
  } else if (ensure_admin()) {
    fprintf(stderr, "hindsight: could not create the admin user\n");
    return 1;
  }
  if (bDemo && !bReadOnly && demo_db_is_empty()) {
    if (demo_load()) {
      return 1;
    }
    printf("hindsight: loaded the demo scenario\n");
  }
  /* Only this thread takes the signals; pool threads inherit the mask. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  /* The background workers run while we serve and stop (background_stop())
  ** before the database is checkpointed and closed: the delivery worker,
  ** the search indexer (it writes the index), the retention sweep (it
  ** deletes old evidence) and the raw-line worker (moves a pre-blocks
  ** database's raw lines into blocks, then merges the small blocks that
  ** small pushes leave). A read-only server runs none of them. */
  if (!bReadOnly && (outbox_start() || search_indexer_start() ||
                     retention_start() || rawstore_migrator_start())) {
    background_stop();
    return 1;
  }
  /* The static mirror: its first copy is written before we listen. */
  if (zMirror) {
    int rcMirror = mirror_start(zMirror);
    if (rcMirror) {
      background_stop();
      return rcMirror == E_INVALID ? 2 : 1;
    }
  }
  /* The syslog listeners store as they go, so they need a writable
  ** database; they stop before it is checkpointed. */
  int rcSyslog = bReadOnly ? 0
                           : syslog_door_start(zSyslogUdp, zSyslogTcp,
                                               zSyslogRelp, zSyslogAllow);
  if (rcSyslog) {
    background_stop();
    return rcSyslog == E_INVALID ? 2 : 1;
  }
  /* Other nodes' commits (PostgreSQL) reach our page caches through it. */
  if (db_listen_start()) {
    background_stop();
    return 1;
  }
  int rc = http_serve(&cfg);
  background_stop();
  if (rc == 0 && !bReadOnly) {
    /* Fold the WAL back so the file is whole on its own. */
    if (!db_is_pg()) {
      db_exec("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    fprintf(stderr, "hindsight: stopped cleanly\n");
  } else if (rc == 0) {
    fprintf(stderr, "hindsight: stopped cleanly (read-only)\n");
  }
  return rc == 0 ? 0 : rc == E_INVALID ? 2 : 1;
}

/* backup's arguments: -1 with *pzOut set, or the exit code (--help, a
** usage error). */
static int backup_args(int argc, char **argv, const char **pzOut) {
  if (argc == 1 && strcmp(argv[0], "--help") == 0) {
    fputs("usage: hindsight backup --out FILE\n"
          "  a consistent copy of the database, taken while it serves, into\n"
          "  FILE (SQLite). On PostgreSQL FILE must be new; restore it with\n"
          "  hindsight copy --from FILE --to postgresql://...\n",
          stdout);
    return 0;
  }
  if (argc != 2 || strcmp(argv[0], "--out") != 0) {
    return usage_error("backup needs --out FILE");
  }
  *pzOut = argv[1];
  return -1;
}

static int cmd_backup(int argc, char **argv) {
  const char *zOut = NULL;
  int rc = backup_args(argc, argv, &zOut);
  return rc >= 0 ? rc : db_backup(zOut) ? 1 : 0;
}

/* On PostgreSQL a backup is `copy` into a new SQLite file: one snapshot
** (REPEATABLE READ), verified by counts and checksums, and restored the
** same way back. */
static int cmd_backup_pg(const char *zDb, int argc, char **argv) {
  const char *zOut = NULL;
  int rc = backup_args(argc, argv, &zOut);
  if (rc >= 0) {
    return rc;
  }
  if (db_target_is_pg(zOut)) {
    return usage_error("backup --out takes a file name (to fill another"
                       " PostgreSQL database, use copy)");
  }
  struct stat st;
  if (stat(zOut, &st) == 0) {
    fprintf(stderr, "hindsight: %s exists: a backup of PostgreSQL goes to a"
                    " new file\n", zOut);
    return 1;
  }
  rc = copy_databases(zDb, zOut);
  char zSide[4200];
  if (rc && strlen(zOut) + 8 < sizeof(zSide)) {
    /* The file was ours (it did not exist): no schema-only "backup". */
    unlink(zOut);
    snprintf(zSide, sizeof(zSide), "%s-wal", zOut);
    unlink(zSide);
    snprintf(zSide, sizeof(zSide), "%s-shm", zOut);
    unlink(zSide);
  }
  return rc;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  /* Past RLIMIT_FSIZE the kernel would kill us; ignored, the write fails
  ** with EFBIG and SQLite reports it like a full disk. */
  signal(SIGXFSZ, SIG_IGN);
  db_global_init();
  const char *zDb = getenv("HINDSIGHT_DB");
  if (!zDb || !*zDb) {
    zDb = "./hindsight.db";
  }
  /* --db may come anywhere; take it out so commands see only theirs. */
  int nArg = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--db") == 0) {
      if (i + 1 >= argc) {
        return usage_error("--db needs a file name");
      }
      zDb = argv[++i];
    } else {
      argv[1 + nArg++] = argv[i];
    }
  }
  argc = nArg + 1;
  if (argc < 2) {
    fputs(zUsage, stderr);
    return 2;
  }
  const char *zCmd = argv[1];
  if (strcmp(zCmd, "--help") == 0 || strcmp(zCmd, "help") == 0) {
    fputs(zUsage, stdout);
    return 0;
  }
  static const char *const azCmd[] = {"serve", "migrate", "user", "token",
                                      "incident", "demo", "backup", "ingest",
                                      "config", "export-status", "raw",
                                      "copy", NULL};
  int bKnown = 0;
  for (int i = 0; azCmd[i]; i++) {
    bKnown |= strcmp(azCmd[i], zCmd) == 0;
  }
  if (!bKnown) {
    return usage_error("unknown command");
  }
  /* copy opens its two databases itself; --db plays no part. */
  if (strcmp(zCmd, "copy") == 0) {
    return copy_cli(argc - 2, argv + 2);
  }
  if (strcmp(zCmd, "backup") == 0 && db_target_is_pg(zDb)) {
    return cmd_backup_pg(zDb, argc - 2, argv + 2);
  }
  int bHelp = argc > 2 && strcmp(argv[2], "--help") == 0;
  if (strcmp(zCmd, "migrate") == 0 && bHelp) {
    fputs("usage: hindsight migrate\n  applies pending migrations and prints"
          " the schema version\n",
          stdout);
    return 0;
  }
  if (strcmp(zCmd, "demo") == 0 && bHelp) {
    fputs("usage: hindsight demo\n  loads the flash-sale demo scenario\n",
          stdout);
    return 0;
  }
  if (strcmp(zCmd, "serve") == 0) {
    for (int i = 2; i < argc; i++) {
      if (strcmp(argv[i], "--read-only") == 0) {
        db_set_read_only();
      }
    }
  }
  if (db_setup(zDb)) {
    return 1;
  }
  int rc;
  if (strcmp(zCmd, "serve") == 0) {
    rc = cmd_serve(argc - 2, argv + 2);
  } else if (strcmp(zCmd, "migrate") == 0) {
    if (argc > 2) {
      rc = usage_error("migrate takes no arguments");
    } else {
      printf("%d\n", db_user_version());
      rc = 0;
    }
  } else if (strcmp(zCmd, "user") == 0) {
    rc = argc > 2 && strcmp(argv[2], "email") == 0
             ? subs_cli_user_email(argc - 3, argv + 3)
             : auth_cli_user(argc - 2, argv + 2);
  } else if (strcmp(zCmd, "token") == 0) {
    rc = auth_cli_token(argc - 2, argv + 2);
  } else if (strcmp(zCmd, "incident") == 0) {
    rc = incident_cli(argc - 2, argv + 2);
  } else if (strcmp(zCmd, "config") == 0) {
    rc = settings_cli(argc - 2, argv + 2);
  } else if (strcmp(zCmd, "ingest") == 0) {
    rc = ingest_cli(argc - 2, argv + 2);
  } else if (strcmp(zCmd, "raw") == 0) {
    rc = rawstore_cli(argc - 2, argv + 2);
  } else if (strcmp(zCmd, "export-status") == 0) {
    rc = status_export_cli(argc - 2, argv + 2);
  } else if (strcmp(zCmd, "demo") == 0) {
    rc = demo_load() ? 1 : 0;
    if (rc == 0) {
      printf("hindsight: demo scenario loaded\n");
    }
  } else {
    rc = cmd_backup(argc - 2, argv + 2);
  }
  db_close_thread();
  return rc;
}
