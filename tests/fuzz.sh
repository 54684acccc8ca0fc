#!/usr/bin/env bash
# Build the libFuzzer harnesses of tests/fuzz with clang and run them.
#
#   tests/fuzz.sh                      build, then run every harness for 60 seconds
#   tests/fuzz.sh wal2json 600         run one harness (fuzz_<name>.c) for 600 seconds
#   tests/fuzz.sh all 300              every harness, 300 seconds each (one after the other)
#   MERGE=1 tests/fuzz.sh wal2json 600 then merge the new interesting inputs into the
#                                      committed corpus (tests/fuzz/corpus/<name>), minimized
#                                      with -merge=1: only what adds coverage is kept
#   tests/fuzz.sh totals               CPU seconds and executions per harness in fuzz-log.txt
#   BUILD_DIR=... (default build-fuzz/), FUZZ_ARGS="-max_len=8192 ..." extra libFuzzer flags
#
# One fuzzer process runs at a time, under nice -n 19. The inputs found are kept in
# $BUILD_DIR/corpus/<name> between runs (the committed corpus is read, not written, unless
# MERGE=1); a crash is written to $BUILD_DIR/crashes/<name>/ and ends the run with status 1.
# Each run appends "<harness> <cpu seconds> <executions>" to $BUILD_DIR/fuzz-log.txt, the
# figures tests/fuzz/README.md adds up.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-fuzz}
which=${1:-all}
seconds=${2:-60}
harnesses=$(cd "$root/tests/fuzz" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')

if [ "$which" = totals ]; then
    awk '{cpu[$1] += $2; ex[$1] += $3} END {for (h in cpu) printf "%-16s %6.1f CPU min %12d executions\n", h, cpu[h] / 60, ex[h]}' \
        "$build/fuzz-log.txt" | sort
    exit 0
fi
if ! command -v clang >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a \
    >/dev/null 2>&1; then
    echo "fuzz.sh: needs clang with libFuzzer: apt-get install -y clang libclang-rt-14-dev" >&2
    exit 2
fi
if [ "$which" != all ] && [ ! -f "$root/tests/fuzz/fuzz_$which.c" ]; then
    echo "fuzz.sh: no harness \"$which\" (have: $(echo $harnesses))" >&2
    exit 2
fi
[ "$which" = all ] || harnesses=$which

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DFUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    >/dev/null
targets=()
for h in $harnesses; do targets+=("fuzz_$h"); done
nice -n 19 cmake --build "$build" -j "${JOBS:-2}" --target "${targets[@]}" -- --no-print-directory

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for h in $harnesses; do
    seeds="$root/tests/fuzz/corpus/$h"
    work="$build/corpus/$h"
    crashes="$build/crashes/$h"
    mkdir -p "$work" "$crashes"
    echo "== fuzz_$h for ${seconds}s (corpus $work, seeds $seeds)"
    exe="$build/tests/fuzz/fuzz_$h"
    log="$build/fuzz_$h.log"
    # -close_fd_mask=2: the harnesses log at debug level; libFuzzer keeps its own output
    set +e
    /usr/bin/time -f "%U %S" -o "$build/time_$h.txt" \
        nice -n 19 "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 \
        -close_fd_mask=2 -print_final_stats=1 -artifact_prefix="$crashes/" \
        ${FUZZ_ARGS:-} "$work" "$seeds" >"$log" 2>&1
    rc=$?
    set -e
    cpu=$(tail -1 "$build/time_$h.txt" | awk '{printf "%.0f", $1 + $2}')
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    echo "fuzz_$h: exit $rc, ${cpu}s CPU, ${execs:-?} executions"
    echo "$h $cpu ${execs:-0} $(date -u +%FT%TZ)" >>"$build/fuzz-log.txt"
    if [ "$rc" != 0 ]; then
        status=1
        tail -60 "$log"
        echo "fuzz_$h: a finding is in $crashes (minimize: $exe -minimize_crash=1 -runs=10000 <file>)"
    fi
    if [ "${MERGE:-0}" = 1 ]; then
        echo "== merge the new inputs of fuzz_$h into $seeds"
        nice -n 19 "$exe" -merge=1 -close_fd_mask=2 "$seeds" "$work" >"$build/merge_$h.log" 2>&1 ||
            { status=1; tail -20 "$build/merge_$h.log"; }
    fi
done
exit "$status"
