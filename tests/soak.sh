#!/usr/bin/env bash
# tests/soak.sh - `make soak`: SOAK_JOBS jobs (default 10,000) against
# hh-sim with every fault at SOAK_RATE (5%), hh killed with -9 SOAK_KILLS
# times at random points (seeded by SOAK_SEED) and resumed, then the money
# reconciled: one TAP line a property and a summary (tests/soak-lib.sh says
# what each checks; docs/runs.md what it measured). SOAK_OUT=DIR keeps the
# run directory (and DIR.check: the ledger, the scratch database, hh's
# output) instead of removing it. Exit status 0 when every property holds.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/lib-hh.sh"
. "$ROOT/tests/soak-lib.sh"

soak_defaults
if [ -n "${SOAK_OUT:-}" ]; then
    rm -rf "$SOAK_OUT" "$SOAK_OUT.check"
    mkdir -p "$SOAK_OUT.check"
    SOAK_WORK=$(cd "$SOAK_OUT.check" && pwd)
    run_dir=$SOAK_OUT
else
    SOAK_WORK=$SCRATCH/check
    mkdir -p "$SOAK_WORK"
    run_dir=$SCRATCH/run
fi
SOAK_LOG=$SOAK_WORK/hh.log
: > "$SOAK_LOG"

soak_start_sim
soak_recipe "$SOAK_WORK/soak.yaml"
echo "# soak: $SOAK_JOBS jobs, every fault at $SOAK_RATE, $SOAK_KILLS kills, seed $SOAK_SEED; budget $SOAK_BUDGET"
soak_storm "$SOAK_WORK/soak.yaml" "$run_dir"
soak_reconcile "$run_dir"
[ -n "${SOAK_OUT:-}" ] && cp "$SCRATCH/sim.err" "$SOAK_WORK/sim.err" 2>/dev/null
stop_sim
done_testing
