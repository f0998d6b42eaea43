#!/bin/sh
# fuzz.sh BUILD HARNESS... - runs each libFuzzer harness BUILD/fuzz/HARNESS
# (built by `make fuzz-build`) over its seeds in tests/fuzz/corpus/HARNESS,
# with tests/fuzz/HARNESS.dict when there is one, for FUZZ_SECONDS (60),
# each input within FUZZ_TIMEOUT seconds (30) and the process within
# FUZZ_RSS_MB (2048). What it finds goes to FUZZ_WORK (BUILD/fuzz/work):
# HARNESS/ the inputs that reached new code, HARNESS.log the fuzzer's output,
# HARNESS-crash-* (or -timeout-, -oom-, -leak-) an input that failed. One
# summary line a harness; exits 1 when any harness failed.
set -u

[ $# -ge 2 ] || { echo "usage: fuzz.sh BUILD HARNESS..." >&2; exit 2; }
build=$1
shift
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${FUZZ_SECONDS:-60}
timeout=${FUZZ_TIMEOUT:-30}
rss=${FUZZ_RSS_MB:-2048}
work=${FUZZ_WORK:-$build/fuzz/work}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
failed=0

for h in "$@"; do
    bin=$build/fuzz/$h
    seeds=$root/tests/fuzz/corpus/$h
    log=$work/$h.log
    [ -x "$bin" ] || { echo "fuzz: $h: no $bin (make fuzz-build)" >&2; failed=1; continue; }
    mkdir -p "$work/$h"
    rm -f "$work/$h"-crash-* "$work/$h"-timeout-* "$work/$h"-oom-* "$work/$h"-leak-* "$work/$h"-slow-unit-*
    # -close_fd_mask=1: what a recipe prints (stdout) stays out of the log.
    set -- -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb="$rss" -print_final_stats=1 -close_fd_mask=1 \
        -artifact_prefix="$work/$h-"
    [ -f "$root/tests/fuzz/$h.dict" ] && set -- "$@" -dict="$root/tests/fuzz/$h.dict"
    "$bin" "$@" "$work/$h" "$seeds" > "$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(grep -E '^#[0-9]+[[:space:]]+(DONE|INITED|NEW|REDUCE|pulse)' "$log" | tail -n 1 |
        sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\).*/cov \1, ft \2, corpus \3/p')
    if [ "$rc" -eq 0 ]; then
        echo "fuzz: $h: ${runs:-?} runs, ${rate:-?}/s, ${cov:-no coverage line}; no crash"
        continue
    fi
    failed=1
    echo "fuzz: $h: FAILED (exit $rc) after ${runs:-?} runs; ${cov:-no coverage line}"
    grep -E 'ERROR|SUMMARY|fuzz_[a-z]+:|runtime error' "$log" | head -n 20 | sed 's/^/fuzz:   /'
    for f in "$work/$h"-crash-* "$work/$h"-timeout-* "$work/$h"-oom-* "$work/$h"-leak-*; do
        [ -e "$f" ] && echo "fuzz:   input: $f (reproduce: $bin $f)"
    done
    echo "fuzz:   log: $log"
done
exit $failed
