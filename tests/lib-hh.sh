# tests/lib-hh.sh - helpers for tests that run hh against hh-sim. Source
# after lib.sh. run_hh runs the hh binary (under valgrind with
# HH_VALGRIND=1) and leaves its stdout in OUT, stderr in ERR, status in RC.

HH=$HH_BUILD/hh
unset HH_API_KEY HH_BASE_URL HH_SETTINGS HH_TRACE HH_LUA_PATH
export XDG_CONFIG_HOME=$SCRATCH/config

# Points hh at the running sim with settings scaled to its fast renders.
hh_env() {
    export HH_BASE_URL=$SIM_URL HH_API_KEY=$SIM_KEY
    export HH_SETTINGS=${1:-poll_min_interval=0.002,poll_max_interval=0.05,rate=0,backoff_base=0.01,backoff_cap=0.05,max_retry_after=5}
}

run_hh() {
    if [ "${HH_VALGRIND:-0}" = 1 ]; then
        # Only definite leaks count: hh check and hh plan leave their Lua
        # state to the system at exit (reachable, or only "possibly lost").
        OUT=$(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
            --show-leak-kinds=definite "$HH" "$@" 2>"$SCRATCH/hh.err")
    else
        OUT=$("$HH" "$@" 2>"$SCRATCH/hh.err")
    fi
    RC=$?
    ERR=$(cat "$SCRATCH/hh.err")
}

# run_lua 'LUA CODE' [ARGS...]: writes the code to a script and runs it.
run_lua() {
    local code=$1
    shift
    printf '%s\n' "$code" > "$SCRATCH/script.lua"
    run_hh "$SCRATCH/script.lua" "$@"
}

# ffprobe_field FILE ENTRY: e.g. ffprobe_field x.mp4 format=duration
ffprobe_field() {
    ffprobe -v error -show_entries "$2" -of default=noprint_wrappers=1:nokey=1 "$1" 2>/dev/null | head -n 1
}
