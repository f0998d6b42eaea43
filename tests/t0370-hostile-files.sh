#!/usr/bin/env bash
# The hostile corpus (tests/hostile/): recipes a stranger could send, each
# run without --trust in a directory of its own, bounded by a timeout (a
# hang is a failure, not a stuck suite) and, outside sanitizer and valgrind
# builds, a memory cap. Each file's header says what it tries and what must
# happen (README.md there lists the keys). Every case also checks that
# nothing hh printed holds a raw control character. Then strings from a
# hostile API host, files.read, and the rule for plain http, name by name.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"

LIMIT=30
[ "${HH_VALGRIND:-0}" = 1 ] && LIMIT=300
MEMCAP=
if [ "${HH_VALGRIND:-0}" != 1 ] && ! ldd "$HH" 2>/dev/null | grep -q asan; then
    MEMCAP=2000000  # KiB of address space: /dev/zero read whole fails fast instead of swapping
fi
FAST=poll_min_interval=0.002,poll_max_interval=0.05,rate=0,backoff_base=0.01,backoff_cap=0.05,max_retry_after=5

# header FILE KEY: the values of "# KEY: " (or "-- KEY: ") lines of the
# file's first comment block, one a line.
header() {
    awk -v key="$2" '
        !/^(#|--)/ { exit }
        { line = $0; sub(/^(#|--) ?/, "", line) }
        index(line, key ": ") == 1 { print substr(line, length(key) + 3) }
        line == key ":" { print "" }' "$1"
}

# has FILE KEY: succeeds when the header has a "KEY:" line.
has() {
    awk -v key="$2" '
        !/^(#|--)/ { exit 1 }
        { line = $0; sub(/^(#|--) ?/, "", line) }
        line == key ":" || index(line, key ": ") == 1 { found = 1; exit 0 }
        END { exit !found }' "$1"
}

# fill TEXT: the placeholders of a header value.
fill() {
    local s=$1
    s=${s//\{FILE\}/$CASE_FILE}
    s=${s//\{TREE\}/$CASE_TREE}
    s=${s//\{HH\}/$HH}
    s=${s//\{SIM\}/$SIM_URL}
    s=${s//\{PORT\}/$(sim_port)}
    printf '%s' "$s"
}

# raw_controls FILE: succeeds when FILE holds a control character other
# than a newline or a tab (C0, DEL, or a C1 control encoded as UTF-8).
raw_controls() {
    LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$1" ||
        LC_ALL=C grep -q "$(printf '\302[\200-\237]')" "$1"
}

# expect_stream NAME FILE: checks a stream against the case's "NAME:" lines
# (the whole stream, line by line; none: empty) or its "NAME-has:" lines.
expect_stream() {
    local name=$1 file=$2 want has line
    has=$(header "$CASE_SRC" "$name-has")
    if [ -n "$has" ]; then
        while IFS= read -r line; do
            line=$(fill "$line")
            if grep -qF -- "$line" "$file"; then ok 0 "$CASE: $name has: $line"
            else ok 1 "$CASE: $name has: $line"; sed "s/^/#   $name: /" "$file"; fi
        done <<< "$has"
        return
    fi
    want=$(header "$CASE_SRC" "$name")
    want=$(fill "$want")
    is "$(cat "$file")" "$want" "$CASE: $name"
}

run_case() {
    CASE_SRC=$1
    CASE_FILE=$(basename "$1")
    CASE=${CASE_FILE%.*}
    local dir=$SCRATCH/$CASE
    mkdir -p "$dir/tree"
    cp "$CASE_SRC" "$dir/tree/"
    CASE_TREE=$(cd "$dir/tree" && pwd -P)
    if has "$CASE_SRC" sim; then
        start_sim --time-scale 0.001 $(header "$CASE_SRC" sim)
    else
        stop_sim
        SIM_URL=http://127.0.0.1:9
    fi
    local args setup env after
    args=$(fill "$(header "$CASE_SRC" hh)")
    [ -n "$args" ] || args="check $CASE_FILE"
    (
        cd "$CASE_TREE" || exit 97
        export HH_BASE_URL=$SIM_URL HH_API_KEY=$SIM_KEY HH_SETTINGS=$FAST SIM_URL
        while IFS= read -r env; do
            [ -n "$env" ] && export "$(fill "$env")"
        done <<< "$(header "$CASE_SRC" env)"
        while IFS= read -r setup; do
            [ -n "$setup" ] && { eval "$(fill "$setup")" || exit 98; }
        done <<< "$(header "$CASE_SRC" setup)"
        [ -n "$MEMCAP" ] && ulimit -v "$MEMCAP"
        eval "set -- $args"
        if [ "${HH_VALGRIND:-0}" = 1 ]; then
            timeout -k 5 "$LIMIT" valgrind -q --error-exitcode=99 "$HH" "$@" > "$dir/out" 2> "$dir/err"
        else
            timeout -k 5 "$LIMIT" "$HH" "$@" > "$dir/out" 2> "$dir/err"
        fi
    )
    local rc=$?
    case $rc in
        97|98) ok 1 "$CASE: setup failed ($rc)"; return ;;
        124|137) ok 1 "$CASE: hh did not finish within $LIMIT s" ;;
    esac
    is "$rc" "$(header "$CASE_SRC" exit)" "$CASE: exit status"
    expect_stream stdout "$dir/out"
    expect_stream stderr "$dir/err"
    ! raw_controls "$dir/out" && ! raw_controls "$dir/err"
    ok $? "$CASE: no raw control character in what hh printed"
    while IFS= read -r after; do
        [ -n "$after" ] || continue
        (cd "$CASE_TREE" && export SIM_URL && eval "$(fill "$after")")
        ok $? "$CASE: afterwards, $after"
    done <<< "$(header "$CASE_SRC" after)"
}

for f in "$TESTS_DIR"/hostile/*.yaml "$TESTS_DIR"/hostile/*.lua; do
    [ -e "$f" ] || continue
    run_case "$f"
done
stop_sim

# --- a hostile API host --------------------------------------------------

# Answers every submission with a task id and every status request with a
# failure whose id and message carry escape sequences.
cat > "$SCRATCH/evil.py" <<'PY'
import json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
ESC = "\x1b]0;owned\x07\x1b[2J"
class H(BaseHTTPRequestHandler):
    def answer(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.answer(200, {"code": 200, "data": {"task_id": "hs1-" + ESC, "consumed_credits": 300}})
    def do_GET(self):
        self.answer(200, {"code": 200, "data": {"task_id": "hs1-" + ESC, "status": "FAILED",
                                                "error_message": ESC + "rejected\r\n"}})
    def log_message(self, *a): pass
s = HTTPServer(("127.0.0.1", 0), H)
print("http://127.0.0.1:%d" % s.server_port, flush=True)
s.serve_forever()
PY
python3 "$SCRATCH/evil.py" > "$SCRATCH/evil.url" &
EVIL_PID=$!
for _ in $(seq 100); do [ -s "$SCRATCH/evil.url" ] && break; sleep 0.05; done
EVIL=$(cat "$SCRATCH/evil.url")
export HH_BASE_URL=$EVIL HH_API_KEY=sk-evil HH_SETTINGS=$FAST
cd "$SCRATCH"
printf 'prompt: "a fox"\n' > evil.yaml
E='\e]0;owned\x07\e[2J'
run_evil() { # run_evil DESCRIPTION HH-ARGS...: hh bounded, no raw control characters out
    local what=$1
    shift
    OUT=$(timeout -k 5 "$LIMIT" "$HH" "$@" 2> "$SCRATCH/evil.err")
    RC=$?
    ERR=$(cat "$SCRATCH/evil.err")
    printf '%s' "$OUT" > "$SCRATCH/evil.out"
    ! raw_controls "$SCRATCH/evil.out" && ! raw_controls "$SCRATCH/evil.err"
    ok $? "a hostile host: $what: no raw control character printed"
}
run_evil "hh run" run evil.yaml
is "$RC" 4 "a hostile host: the job failed"
like "$ERR" "failed +j[0-9a-f]+: task hs1-\\\\e\]0;owned\\\\x07\\\\e\[2J failed: \\\\e\]0;owned\\\\x07\\\\e\[2Jrejected\\\\r\\\\n" \
    "a hostile host: the progress line shows its task id and message with escapes made visible"
run_evil "hh show" show runs/evil
like "$OUT" "hs1-\\\\e\]0;owned\\\\x07\\\\e\[2J: task hs1-.* failed: \\\\e\]0;owned" "a hostile host: hh show too"
run_evil "hh export" export runs/evil
like "$OUT" "$(printf '%s' "$E" | sed 's/[][\\.]/\\&/g')rejected" "a hostile host: hh export's CSV too"
run_evil "hh status" status hs1-x
is "$OUT" "failed	$E""rejected\\r\\n" "a hostile host: hh status prints its answer with escapes made visible"
run_evil "hh generate" generate --prompt "a fox" --wait
is "$ERR" "hh: task hs1-$E submitted (300 credits); waiting
hh: task hs1-$E failed: $E""rejected\\r\\n" "a hostile host: hh generate's messages too"
kill "$EVIL_PID" 2>/dev/null
wait "$EVIL_PID" 2>/dev/null

# The line a terminal sees redrawn in place: its last failure is shown with
# escapes (only hh's own colours and the redraw are raw).
unset HH_BASE_URL HH_SETTINGS
run_hh -e 'local p = require("hh.progress").new({ total = 2 })
p.color = false
p:event("failed", { job = "j1", error = "\27]52;c;cHduZWQ=\7\r" })
io.write(p:line())'
like "$OUT" '^0/2 · 0 done · 0 running · 0 credits · last failure: j1: \\e\]52;c;cHduZWQ=\\x07\\r$' "the terminal's progress line shows a failure with escapes made visible"

# --- files.read in a Lua recipe's run directory ---------------------------

# Only regular files: a FIFO planted there would block forever, a device
# would never end.
mkdir -p "$SCRATCH/files/run" && cd "$SCRATCH/files" || bail "no scratch directory"
mkfifo run/fifo
ln -s /dev/zero run/zero
mkdir run/dir
cat > driver.lua <<'LUA'
local sandbox = require("hh.sandbox")
local env = sandbox.recipe_env{run_dir = "run"}
local chunk = assert(sandbox.load_recipe(arg[1], env))
local ok, err = pcall(chunk)
if not ok then print(err) end
LUA
for case in 'fifo|must be a regular file (this is a FIFO)' 'dir|must be a regular file (this is a directory)' \
            'zero|is a symlink'; do
    name=${case%%|*} want=${case#*|}
    printf 'print(files.read("%s"))\n' "$name" > r.lua
    OUT=$(timeout -k 5 "$LIMIT" "$HH" driver.lua r.lua 2>&1)
    case $want in
        "is a symlink") is "$OUT" "r.lua:1: files.read: \"$name\": $want" "files.read refuses $name: $want" ;;
        *) is "$OUT" "nil	files.read: $name: $want" "files.read refuses $name: $want" ;;
    esac
done
cd "$SCRATCH" || bail "no scratch directory"

# --- which hosts plain http may reach ------------------------------------

# Only literal loopback addresses and localhost; any other name needs https,
# whatever it looks like or resolves to today.
unset HH_BASE_URL
for host in 127.0.0.1 127.0.0.2 127.255.255.254 '[::1]' localhost LocalHost; do
    run_hh -e "print(require('hh.host').allowed('http://$host:8787/') or 'allowed')"
    is "$OUT" allowed "plain http to $host is allowed (loopback)"
done
for host in 127.0.0.1.nip.io 127.example.com localhost.example.com 10.0.0.1 '[::2]' 0.0.0.0; do
    name=${host#[}
    name=${name%]}
    run_hh -e "print(require('hh.host').allowed('http://$host:8787/') or 'allowed')"
    is "$OUT" "plain http to $host is not allowed (only https, or http to localhost or a loopback address: 127.0.0.0/8, ::1; hh.config{allow_http = true} permits it)" \
        "plain http to $host is refused"
done
run_hh -e "hh.config{allow_http = true} print(require('hh.host').allowed('http://127.0.0.1.nip.io/') or 'allowed')"
is "$OUT" allowed "allow_http still permits any host"
done_testing
