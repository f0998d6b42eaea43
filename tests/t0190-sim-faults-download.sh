#!/usr/bin/env bash
# hh-sim's download faults, each at rate 1 in its own sim: a body cut short,
# reset, or longer than declared (read on a bare socket), a stall, corrupt video
# headers, Range ignored, and redirects to another host, another scheme and
# in a loop.
. "$(dirname "$0")/lib.sh"
JOB="{$GEN,\"prompt\":\"download faults\",\"duration\":3}"

# A clean copy to compare with.
start_sim --time-scale 0.001
post_task "$JOB"
fetch "$(wait_url "$TASK")" "$SCRATCH/good.mp4"
len=$(stat -c %s "$SCRATCH/good.mp4")
ffprobe -v error "$SCRATCH/good.mp4"
ok $? "the clean clip is valid ($len bytes)"

# faulty NAME [FLAGS...]: a sim with the fault at rate 1 and a finished
# task; sets URL and PATH_Q (the URL's path and query).
faulty() {
    local name=$1
    shift
    start_sim --time-scale 0.001 --fault "$name=1" "$@"
    post_task "$JOB"
    URL=$(wait_url "$TASK")
    PATH_Q=/${URL#http://*/}
}

faulty download-truncate
status=0
fetch "$URL" "$SCRATCH/t.mp4" || status=$?
is "$status" 18 "download-truncate: curl reports a partial transfer (18)"
is "$(header Content-Length)" "$len" "download-truncate: the full length is declared"
got=$(stat -c %s "$SCRATCH/t.mp4")
[ "$got" -lt "$len" ] && [ "$got" -gt 0 ]
ok $? "download-truncate: fewer bytes than declared ($got of $len)"
cmp -s "$SCRATCH/t.mp4" <(head -c "$got" "$SCRATCH/good.mp4")
ok $? "download-truncate: what came is a true prefix"
status=0
fetch "$URL" "$SCRATCH/t2" -H 'Range: bytes=1000-' || status=$?
is "$status/$(header Content-Length)" "18/$((len - 1000))" "download-truncate: a ranged download is cut too"

faulty download-reset
status=0
fetch "$URL" "$SCRATCH/r.mp4" || status=$?
is "$status" 56 "download-reset: curl sees the connection reset (56)"
is "$(header Content-Length)" "$len" "download-reset: the full length is declared"
got=$(stat -c %s "$SCRATCH/r.mp4")
[ "$got" -lt "$len" ]
ok $? "download-reset: fewer bytes than declared ($got of $len)"
cmp -s "$SCRATCH/r.mp4" <(head -c "$got" "$SCRATCH/good.mp4")
ok $? "download-reset: what came is a true prefix"
err=$(raw_get "$PATH_Q" 2>&1 > /dev/null)
is "$err" "raw_get: Connection reset by peer" "download-reset: a bare socket read ends in ECONNRESET, not EOF"
faulty download-truncate
err=$(raw_get "$PATH_Q" 2>&1 > /dev/null)
is "$err" "" "download-truncate, by contrast, ends in a clean close"

faulty download-longer
raw_get "$PATH_Q" > "$SCRATCH/raw"
head_len=$(perl -0777 -ne 'print index($_, "\r\n\r\n")' "$SCRATCH/raw")
body=$(( $(stat -c %s "$SCRATCH/raw") - head_len - 4 ))
declared=$(head -c "$head_len" "$SCRATCH/raw" | tr -d '\r' | awk -F': ' 'tolower($1) == "content-length" { print $2 }')
is "$declared" "$len" "download-longer: Content-Length declares the clip's length"
[ "$body" -gt "$declared" ]
ok $? "download-longer: a raw client receives more bytes than declared ($body > $declared)"
is "$body" $((len + 4096)) "download-longer: 4096 bytes too many"
tail -c +$((head_len + 5)) "$SCRATCH/raw" | head -c "$len" | cmp -s - "$SCRATCH/good.mp4"
ok $? "download-longer: the declared part is the clip"
like "$(head -n 1 "$SCRATCH/raw")" '^HTTP/1\.[01] 200' "download-longer: a 200"
like "$(head -c "$head_len" "$SCRATCH/raw" | tr -d '\r' | grep -i '^connection:')" '[Cc]lose' \
    "download-longer: the connection closes after the body"
status=0
fetch "$URL" "$SCRATCH/l.mp4" || status=$?
is "$status/$(stat -c %s "$SCRATCH/l.mp4")" "0/$len" "download-longer: curl stops at Content-Length"

faulty download-stall --stall-seconds 0.4
t0=$(now_ms)
fetch "$URL" "$SCRATCH/s.mp4"
elapsed=$(( $(now_ms) - t0 ))
[ "$elapsed" -ge 400 ]
ok $? "download-stall: the transfer takes at least --stall-seconds ($elapsed ms)"
cmp -s "$SCRATCH/s.mp4" "$SCRATCH/good.mp4"
ok $? "download-stall: and the file is whole"
fetch "$URL" "$SCRATCH/s-head" -I
is "$CODE" 200 "download-stall: HEAD is not held up"

faulty download-corrupt
fetch "$URL" "$SCRATCH/c.mp4"
is "$CODE" 200 "download-corrupt: 200"
is "$(stat -c %s "$SCRATCH/c.mp4")" "$len" "download-corrupt: the same length as the good file"
ffprobe -v error "$SCRATCH/c.mp4" 2> /dev/null
ok $((! $?)) "download-corrupt: ffprobe rejects it"
is "$(cmp -l "$SCRATCH/c.mp4" "$SCRATCH/good.mp4" | awk '$1 > 64' | wc -l)" 0 "download-corrupt: only the first 64 bytes differ"
fetch "$URL" "$SCRATCH/c2" -H 'Range: bytes=1000-1999'
cmp -s "$SCRATCH/c2" <(tail -c +1001 "$SCRATCH/good.mp4" | head -c 1000)
ok $? "download-corrupt: a range past the header is intact"

faulty download-ignore-range
fetch "$URL" "$SCRATCH/i.mp4" -H 'Range: bytes=0-99'
is "$CODE" 200 "download-ignore-range: 200 despite Range"
is "$(header Content-Range)" "" "download-ignore-range: no Content-Range"
cmp -s "$SCRATCH/i.mp4" "$SCRATCH/good.mp4"
ok $? "download-ignore-range: the whole file"
fetch "$URL" "$SCRATCH/i2" -H "Range: bytes=$((len + 5))-"
is "$CODE" 200 "download-ignore-range: even an unsatisfiable range gets 200"

faulty download-redirect-host
fetch "$URL" "$SCRATCH/h"
is "$CODE" 302 "download-redirect-host: 302"
port=$(sim_port)
like "$(header Location)" "^http://localhost:$port/files/$TASK\\.mp4\\?e=[0-9]+&sig=[0-9a-f]+&via=1\$" \
    "download-redirect-host: to http://localhost:PORT/..."
fetch "$URL" "$SCRATCH/h.mp4" -L
is "$CODE" 200 "download-redirect-host: followed, the other host serves the file"
cmp -s "$SCRATCH/h.mp4" "$SCRATCH/good.mp4"
ok $? "download-redirect-host: the same file"
curl -s -o /dev/null -L -H "Authorization: Bearer $SIM_KEY" "$URL"
is "$(jqv "$(sim_stats)" '.headers.download.host')" 5 "download-redirect-host: 5 download requests seen"
is "$(jqv "$(sim_stats)" .authorization_seen.download)" 1 "curl drops Authorization on the cross-host hop (1 of 2 seen)"

faulty download-redirect-scheme
fetch "$URL" "$SCRATCH/x"
is "$CODE" 302 "download-redirect-scheme: 302"
like "$(header Location)" "^ftp://" "download-redirect-scheme: to ftp://"
status=0
fetch "$URL" "$SCRATCH/x" -L --proto-redir =http,https || status=$?
is "$status" 1 "download-redirect-scheme: a client allowing only http(s) refuses it (curl 1)"

faulty download-redirect-loop
fetch "$URL" "$SCRATCH/o"
is "$CODE" 302 "download-redirect-loop: 302"
is "$(header Location)" "$URL" "download-redirect-loop: to itself"
status=0
fetch "$URL" "$SCRATCH/o" -L --max-redirs 5 || status=$?
is "$status" 47 "download-redirect-loop: curl -L --max-redirs 5 fails with too many redirects (47)"
is "$(jqv "$(sim_stats)" '.requests.download["302"]')" 7 "download-redirect-loop: 1 + 6 redirects answered"
done_testing
