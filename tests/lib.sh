# tests/lib.sh - shared by every tests/tNNNN-*.sh: TAP output, a scratch
# directory, and hh-sim started on a free loopback port and always stopped,
# even when a test fails or is interrupted. Source it, call the checks, end
# with `done_testing`.

set -u
TESTS_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$TESTS_DIR/.." && pwd)
HH_BUILD=${HH_BUILD:-$ROOT/build}
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/hh-test.XXXXXX")
SIM_URL=
SIM_PID=
SIM_KEY=sk-test-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
SIM_CACHE=$HH_BUILD/clip-cache
_tap_n=0
_tap_failed=0

cleanup() {
    stop_sim
    rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- TAP -----------------------------------------------------------------

ok() { # ok CONDITION-EXIT-STATUS DESCRIPTION: `ok $? "it works"` or `check cmd...`
    _tap_n=$((_tap_n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $_tap_n - $2"
    else
        echo "not ok $_tap_n - $2"
        _tap_failed=$((_tap_failed + 1))
    fi
}

is() { # is GOT EXPECTED DESCRIPTION
    if [ "$1" = "$2" ]; then
        ok 0 "$3"
    else
        ok 1 "$3"
        printf '#   got:      %s\n#   expected: %s\n' "$1" "$2"
    fi
}

like() { # like GOT EXTENDED-REGEX DESCRIPTION
    if printf '%s' "$1" | grep -Eq -- "$2"; then
        ok 0 "$3"
    else
        ok 1 "$3"
        printf '#   got:      %s\n#   expected to match: %s\n' "$1" "$2"
    fi
}

unlike() { # unlike GOT EXTENDED-REGEX DESCRIPTION
    if printf '%s' "$1" | grep -Eq -- "$2"; then
        ok 1 "$3"
        printf '#   got:      %s\n#   expected not to match: %s\n' "$1" "$2"
    else
        ok 0 "$3"
    fi
}

diag() { printf '# %s\n' "$*"; }

bail() { echo "Bail out! $*"; exit 1; }

done_testing() {
    echo "1..$_tap_n"
    [ "$_tap_failed" -eq 0 ]
}

# --- hh-sim --------------------------------------------------------------

# start_sim [FLAGS...]: starts hh-sim with a fresh key on a free port; sets
# SIM_URL and SIM_PID. Under HH_VALGRIND=1 it runs under valgrind.
start_sim() {
    stop_sim
    local out=$SCRATCH/sim.out
    : > "$out"
    if [ "${HH_VALGRIND:-0}" = 1 ]; then
        valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
            "$HH_BUILD/hh-sim" --port 0 --key "$SIM_KEY" --cache-dir "$SIM_CACHE" "$@" \
            > "$out" 2> "$SCRATCH/sim.err" &
    else
        "$HH_BUILD/hh-sim" --port 0 --key "$SIM_KEY" --cache-dir "$SIM_CACHE" "$@" \
            > "$out" 2> "$SCRATCH/sim.err" &
    fi
    SIM_PID=$!
    local tries=0
    while [ $tries -lt 500 ]; do
        SIM_URL=$(head -n 1 "$out")
        [ -n "$SIM_URL" ] && return 0
        kill -0 "$SIM_PID" 2>/dev/null || break
        sleep 0.02
        tries=$((tries + 1))
    done
    cat "$SCRATCH/sim.err" >&2
    bail "hh-sim did not start"
}

# stop_sim: stops the sim; its exit status must be 0 (sanitizers and
# valgrind turn leaks and errors into a non-zero status).
stop_sim() {
    [ -n "$SIM_PID" ] || return 0
    local pid=$SIM_PID status=0
    SIM_PID=
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" || status=$?
    if [ "$status" -ne 0 ]; then
        echo "not ok - hh-sim exited with status $status"
        sed 's/^/# sim: /' "$SCRATCH/sim.err"
        _tap_n=$((_tap_n + 1))
        _tap_failed=$((_tap_failed + 1))
    fi
}

# --- HTTP helpers (curl) -------------------------------------------------

# api_post JSON [CURL-ARGS...]: POST /api/generate with the test key; sets
# CODE and BODY.
api_post() {
    local json=$1
    shift
    BODY=$(curl -s -o - -w '\n%{http_code}' -H "Authorization: Bearer $SIM_KEY" \
        -H 'Content-Type: application/json' --data-binary "$json" "$@" "$SIM_URL/api/generate")
    CODE=${BODY##*$'\n'}
    BODY=${BODY%$'\n'*}
}

# api_status TASK_ID [CURL-ARGS...]: GET /api/status; sets CODE and BODY.
api_status() {
    local id=$1
    shift
    BODY=$(curl -s -o - -w '\n%{http_code}' -H "Authorization: Bearer $SIM_KEY" "$@" \
        "$SIM_URL/api/status?task_id=$id")
    CODE=${BODY##*$'\n'}
    BODY=${BODY%$'\n'*}
}

# submit JSON: POSTs and prints the task id (empty when none came back).
submit() {
    api_post "$1"
    printf '%s' "$BODY" | jq -r '.data.task_id // empty' 2>/dev/null
}

# wait_final TASK_ID [SECONDS]: polls until the status is not IN_PROGRESS;
# leaves the last answer in BODY and prints the status word.
wait_final() {
    local id=$1 limit=${2:-20} start
    start=$(date +%s)
    while :; do
        api_status "$id"
        local st
        st=$(printf '%s' "$BODY" | jq -r '.data.status // empty' 2>/dev/null)
        case "$st" in
            IN_PROGRESS|QUEUED|"") ;;
            *) printf '%s' "$st"; return 0 ;;
        esac
        [ $(($(date +%s) - start)) -ge "$limit" ] && { printf 'TIMEOUT'; return 1; }
        sleep 0.02
    done
}

sim_stats() { curl -s "$SIM_URL/_sim/stats"; }

# jqv JSON FILTER: one value from a JSON text.
jqv() { printf '%s' "$1" | jq -r "$2"; }

GEN='"model":"happyhorse-1.0/video"'

# --- more helpers for the hh-sim tests -----------------------------------

# sim_port: the port of the running sim.
sim_port() { local p=${SIM_URL##*:}; printf '%s' "${p%%/*}"; }

# now_ms: wall-clock milliseconds, for lower bounds on durations.
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# post_task JSON [CURL-ARGS...]: like submit, but in this shell: sets CODE,
# BODY and TASK (the task id, empty when none came back).
post_task() {
    api_post "$@"
    TASK=$(printf '%s' "$BODY" | jq -r '.data.task_id // empty' 2>/dev/null)
}

# wait_done TASK_ID [SECONDS]: like wait_final, but in this shell: sets
# STATUS (the status word, or TIMEOUT) and leaves the last answer in BODY.
wait_done() {
    wait_final "$@" > "$SCRATCH/.status"
    local rc=$?
    STATUS=$(cat "$SCRATCH/.status")
    return $rc
}

# wait_url TASK_ID [SECONDS]: waits for the task to finish and prints its
# first result URL (empty when none).
wait_url() {
    wait_done "$@" || return 1
    printf '%s' "$BODY" | jq -r '.data.response.resultUrls[0] // empty'
}

# fetch URL FILE [CURL-ARGS...]: downloads without any key; sets CODE, and
# HEADERS to the file holding the answer's headers. curl's exit status is
# returned (0 on success).
fetch() {
    local url=$1 file=$2 rc=0
    shift 2
    HEADERS=$SCRATCH/headers.$$
    CODE=$(curl -s -D "$HEADERS" -o "$file" -w '%{http_code}' "$@" "$url") || rc=$?
    return $rc
}

# header NAME: the value of header NAME in the last fetch (first one).
header() {
    tr -d '\r' < "$HEADERS" | awk -v n="$(printf '%s' "$1" | tr 'A-Z' 'a-z')" \
        'index(tolower($0), n ":") == 1 { sub(/^[^:]*:[ \t]*/, ""); print; exit }'
}

# raw_get PATH [EXTRA-HEADER-LINES]: a GET on a bare socket (perl), so the
# bytes the sim sends reach stdout exactly, headers included, until it closes.
# A read error (a reset) is named on stderr: "raw_get: Connection reset by peer".
raw_get() {
    perl -MIO::Socket::INET -e '
        my ($port, $path, $extra) = @ARGV;
        my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 20) or die "connect: $!";
        print $s "GET $path HTTP/1.1\r\nHost: 127.0.0.1:$port\r\n${extra}Connection: close\r\n\r\n";
        binmode STDOUT;
        my ($buf, $n);
        while ($n = sysread($s, $buf, 65536)) { print $buf }
        print STDERR "raw_get: $!\n" unless defined $n;' "$(sim_port)" "$1" "${2:-}"
}

# probe FILE: "codec_type:codec_name" of each stream, one a line.
probe_streams() {
    ffprobe -v error -show_entries stream=codec_type,codec_name -of csv=p=0 "$1" 2>/dev/null |
        awk -F, '{ print $2 ":" $1 }'
}

# probe_duration FILE: the container's duration in whole seconds (rounded).
probe_duration() {
    ffprobe -v error -show_entries format=duration -of csv=p=0 "$1" 2>/dev/null |
        awk '{ printf "%d", $1 + 0.5 }'
}

# jqc JSON FILTER: like jqv, as compact JSON.
jqc() { printf '%s' "$1" | jq -c "$2"; }

# clip_facts FILE: what media checks see in a clip, as one JSON object, from
# ffprobe and one ffmpeg pass with the detectors at their usual thresholds:
# {"width","height","fps" ("24/1"),"duration" (s),"video","audio" (codec
# names, audio null when absent),"frames","sample_rate","black" (seconds of
# blackdetect d=0.1 pix_th=0.10),"frozen" (seconds of freezedetect -60dB
# d=2, to the end when it does not end),"silent" (seconds of silencedetect
# -50dB d=1),"max_volume" (dB),"loudness" (integrated LUFS),"cuts" (scdet
# times, threshold 10),"scene_cuts" (times of select gt(scene,0.3))}.
clip_facts() {
    local f=$1 probe af
    probe=$(ffprobe -v error -of json -show_streams -show_format "$f") || { echo null; return 1; }
    if [ "$(jqv "$probe" '[.streams[] | select(.codec_type == "audio")] | length')" -gt 0 ]; then
        af=(-af 'silencedetect=n=-50dB:d=1,volumedetect,ebur128')
    else
        af=(-an)
    fi
    ffmpeg -hide_banner -nostdin -i "$f" \
        -vf "blackdetect=d=0.1:pix_th=0.10,freezedetect=n=-60dB:d=2,scdet=threshold=10,select='gt(scene,0.3)',showinfo" \
        "${af[@]}" -f null - 2>&1 | tr '\r' '\n' |
        awk -v dur="$(jqv "$probe" '.format.duration')" '
            function num(key,   s) { s = $0; sub(".*" key ": ?", "", s); return s + 0 }
            /black_duration:/ { black += num("black_duration") }
            /freezedetect.freeze_start/ { fs = num("freeze_start"); open = 1 }
            /freezedetect.freeze_duration/ { frozen += num("freeze_duration"); open = 0 }
            /silence_duration:/ { silent += num("silence_duration") }
            /max_volume:/ { maxv = num("max_volume") }
            /^ +I: +-?[0-9.]+ LUFS/ { lufs = num("I") }
            /lavfi.scd.time:/ { cuts = cuts (cuts == "" ? "" : ",") num("lavfi.scd.time") }
            /Parsed_showinfo.*pts_time:/ { s = $0; sub(".*pts_time:", "", s); sub(" .*", "", s)
                                           scene = scene (scene == "" ? "" : ",") (s + 0) }
            END {
                if (open) frozen += dur - fs
                printf "{\"black\":%g,\"frozen\":%g,\"silent\":%g,\"max_volume\":%s,\"loudness\":%s,\"cuts\":[%s],\"scene_cuts\":[%s]}\n",
                    black, frozen, silent, maxv == "" ? "null" : maxv, lufs == "" ? "null" : lufs, cuts, scene
            }' > "$SCRATCH/.facts"
    printf '%s' "$probe" | jq -c --slurpfile a "$SCRATCH/.facts" '
        ([.streams[] | select(.codec_type == "video")][0]) as $v |
        ([.streams[] | select(.codec_type == "audio")][0]) as $s |
        {width: $v.width, height: $v.height, fps: $v.r_frame_rate, frames: ($v.nb_frames | tonumber),
         duration: (.format.duration | tonumber), video: $v.codec_name, audio: $s.codec_name,
         sample_rate: ($s.sample_rate // null | if . then tonumber else null end)} + $a[0]'
}
