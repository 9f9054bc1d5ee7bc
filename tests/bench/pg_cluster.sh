# pg_cluster.sh: sourced by the benches that compare PostgreSQL with
# SQLite. pg_cluster NAME: a work directory T (hs-bench-NAME.*), PIDS for
# the processes the bench starts, and on exit those killed, the throwaway
# cluster (tests/pg.sh) stopped and T removed; then PGBASE, the cluster's
# base conninfo, and PG, a fresh database on it.
pg_cluster() {
  T=$(mktemp -d "${TMPDIR:-/tmp}/hs-bench-$1.XXXXXX")
  chmod 755 "$T"
  PIDS=
  trap pg_cluster_cleanup EXIT
  PGBASE=$(sh tests/pg.sh start "$T/pg")
  PG=$(sh tests/pg.sh createdb "$PGBASE")
}
pg_cluster_cleanup() {
  for p in $PIDS; do kill "$p" 2>/dev/null || true; done
  sh tests/pg.sh stop "$T/pg" 2>/dev/null || true
  rm -rf "$T"
}
