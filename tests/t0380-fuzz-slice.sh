#!/usr/bin/env bash
# A short slice of fuzzing (tests/fuzz/): the libFuzzer harnesses built with
# clang under ASan and UBSan (make fuzz-build), then each run over its whole
# seed corpus and a few seconds more (FUZZ_SLICE_SECONDS, 5). A crash, a
# sanitizer report, a broken invariant, a timeout, running out of memory or
# a leak fails that harness's line. `make fuzz` is the long run.
. "$(dirname "$0")/lib.sh"

HARNESSES="yaml canonical recipe"
FUZZ_BUILD=$ROOT/build-fuzz

if ! command -v clang > /dev/null 2>&1; then
    echo "1..0 # skip no clang (runtime/tools/ensure-deps.sh fuzz installs it)"
    exit 0
fi

OUT=$(cd "$ROOT" && MAKEFLAGS= make --no-print-directory fuzz-build 2>&1)
RC=$?
ok $RC "the harnesses build with -fsanitize=fuzzer,address,undefined"
[ $RC -eq 0 ] || { printf '%s\n' "$OUT" | tail -n 20 | sed 's/^/# /'; done_testing; exit; }

for h in $HARNESSES; do
    seeds=$(find "$ROOT/tests/fuzz/corpus/$h" -type f -size +0 | wc -l)   # libFuzzer runs the empty input itself
    OUT=$(TMPDIR=$SCRATCH FUZZ_SECONDS=${FUZZ_SLICE_SECONDS:-5} FUZZ_WORK=$SCRATCH/fuzz \
        "$ROOT/tests/fuzz/run.sh" "$FUZZ_BUILD" "$h")
    RC=$?
    grep -q "seed corpus: files: $seeds " "$SCRATCH/fuzz/$h.log" || RC=1
    ok $RC "$h: its $seeds seeds and ${FUZZ_SLICE_SECONDS:-5} s of fuzzing without a finding"
    printf '%s\n' "$OUT" | sed 's/^/# /'
    if [ $RC -ne 0 ]; then
        for f in "$SCRATCH/fuzz/$h"-crash-* "$SCRATCH/fuzz/$h"-timeout-* "$SCRATCH/fuzz/$h"-oom-* "$SCRATCH/fuzz/$h"-leak-*; do
            [ -e "$f" ] && diag "input (base64): $(base64 -w0 < "$f" | head -c 2000)"
        done
    fi
done
done_testing
