#!/bin/sh
# run.sh [NAME...]: builds and runs the libFuzzer targets in tests/fuzz/.
#
# Each tests/fuzz/fuzz_NAME.c is one target called NAME. It declares what it
# links with in comment lines that this script greps (either may repeat or
# be empty; paths are relative to the repository root):
#   // fuzz-sources: server/utc.c server/buf.c server/arena.c
#   // fuzz-libs: -ljansson -lcmark
# A source may be a pattern (server/*.c); "// fuzz-exclude: server/main.c"
# then leaves files out of it.
# A source under build/ is generated (build/rel/asset_table.S, the embedded
# templates and schema): run.sh asks make for it first.
# The target is built as build/fuzz/NAME with clang, ASan and UBSan (UB
# aborts), then run for $FUZZ_SECONDS (default 60) seconds on the working
# corpus build/fuzz/corpus-NAME/ (created here; build/ is gitignored) plus
# the checked-in seed corpus tests/fuzz/corpus/NAME/ if present. New inputs
# go to the working corpus only; copy the ones worth keeping (a finding's
# input, always) into tests/fuzz/corpus/NAME/.
# FUZZ_SECONDS=0 just replays corpus and seeds once (a quick regression
# run). The fuzzer's output goes to build/fuzz/NAME.log, a crashing input
# to build/fuzz/NAME-crash-*.
#
# With NAME arguments only those targets run. Prints "PASS fuzz NAME" or
# "FAIL fuzz NAME" per target; exits 1 if any failed, 2 on bad usage.
# FUZZ_CC overrides the compiler (default clang).
set -u
cd "$(dirname "$0")/../.." || exit 2

fuzz_cc=${FUZZ_CC:-clang}
fuzz_seconds=${FUZZ_SECONDS:-60}
case $fuzz_seconds in
  '' | *[!0-9]*)
    echo "run.sh: FUZZ_SECONDS must be a whole number of seconds" >&2
    exit 2
    ;;
esac
if [ "$fuzz_seconds" -eq 0 ]; then
  fuzz_mode=-runs=0
else
  fuzz_mode=-max_total_time=$fuzz_seconds
fi
# libpq's headers live in their own directory (server/db_pg.c, in fuzz_http).
fuzz_cflags="-std=c17 -D_GNU_SOURCE -g -O1 -Iserver
  $(pkg-config --cflags libpq 2>/dev/null)
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
out=build/fuzz
mkdir -p "$out" || exit 2

n_fail=0
n_run=0
for src in tests/fuzz/fuzz_*.c; do
  [ -f "$src" ] || continue
  name=${src##*/}
  name=${name%.c}
  name=${name#fuzz_}
  if [ $# -gt 0 ]; then
    wanted=0
    for arg in "$@"; do
      if [ "$arg" = "$name" ]; then
        wanted=1
      fi
    done
    [ "$wanted" -eq 1 ] || continue
  fi
  n_run=$((n_run + 1))

  bin=$out/$name
  log=$out/$name.log
  corpus=$out/corpus-$name
  seeds=
  if [ -d "tests/fuzz/corpus/$name" ]; then
    seeds=tests/fuzz/corpus/$name
  fi
  sources=$(sed -n 's|^// fuzz-sources:||p' "$src")
  # A pattern (server/*.c) expands here; "// fuzz-exclude:" drops files
  # from it (main.c, whose main() libFuzzer provides).
  excludes=$(sed -n 's|^// fuzz-exclude:||p' "$src")
  if [ -n "$excludes" ]; then
    kept=
    # shellcheck disable=SC2086
    for f in $sources; do
      case " $(echo $excludes) " in
        *" $f "*) ;;
        *) kept="$kept $f" ;;
      esac
    done
    sources=$kept
  fi
  libs=$(sed -n 's|^// fuzz-libs:||p' "$src")
  made=1
  for f in $sources; do
    case $f in
      build/*) make -s "$f" >"$log" 2>&1 || made=0 ;;
    esac
  done
  if [ "$made" -eq 0 ]; then
    echo "FAIL fuzz $name"
    echo "  make of a generated source failed; see $log" >&2
    n_fail=$((n_fail + 1))
    continue
  fi

  # The flag, source and library lists are meant to split into words.
  # shellcheck disable=SC2086
  if ! $fuzz_cc $fuzz_cflags -o "$bin" "$src" $sources $libs >"$log" 2>&1
  then
    echo "FAIL fuzz $name"
    echo "  build failed; see $log" >&2
    tail -n 20 "$log" | sed 's/^/  /' >&2
    n_fail=$((n_fail + 1))
    continue
  fi
  mkdir -p "$corpus" || exit 2

  # A unit over FUZZ_TIMEOUT seconds (default 10) is a hang. 2 s gave false
  # alarms on a loaded 2-core machine: a 14 ms input was descheduled.
  # shellcheck disable=SC2086
  if "$bin" "$fuzz_mode" -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 \
    -artifact_prefix="$out/$name-" -print_final_stats=1 \
    "$corpus" $seeds >>"$log" 2>&1
  then
    echo "PASS fuzz $name"
  else
    echo "FAIL fuzz $name"
    echo "  see $log and $out/$name-*" >&2
    tail -n 30 "$log" | sed 's/^/  /' >&2
    n_fail=$((n_fail + 1))
  fi
done

if [ "$n_run" -eq 0 ]; then
  echo "run.sh: no fuzz targets matched" >&2
  exit 2
fi
[ "$n_fail" -eq 0 ]
