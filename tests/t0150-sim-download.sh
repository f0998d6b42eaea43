#!/usr/bin/env bash
# hh-sim's result URLs: single byte ranges (206, Content-Range, suffixes,
# 416), HEAD, signatures (403 when tampered), expiry after --url-ttl with a
# fresh URL from a new status call, and no key needed (or seen) to download.
. "$(dirname "$0")/lib.sh"
start_sim --time-scale 0.001
post_task "{$GEN,\"prompt\":\"a ranged download\",\"duration\":3}"
id=$TASK
url=$(wait_url "$id")
fetch "$url" "$SCRATCH/whole"
is "$CODE" 200 "the whole file: 200"
len=$(stat -c %s "$SCRATCH/whole")
is "$(header Content-Length)" "$len" "Content-Length is the file's length ($len)"
is "$(header Accept-Ranges)" bytes "Accept-Ranges: bytes"
is "$(header Content-Range)" "" "no Content-Range on a 200"
ffprobe -v error "$SCRATCH/whole"
ok $? "ffprobe accepts it"

fetch "$url" "$SCRATCH/r1" -H 'Range: bytes=0-99'
is "$CODE" 206 "bytes=0-99: 206"
is "$(stat -c %s "$SCRATCH/r1")" 100 "bytes=0-99: 100 bytes"
is "$(header Content-Range)" "bytes 0-99/$len" "bytes=0-99: Content-Range"
is "$(header Content-Length)" 100 "bytes=0-99: Content-Length 100"
cmp -s "$SCRATCH/r1" <(head -c 100 "$SCRATCH/whole")
ok $? "bytes=0-99 are the file's first 100 bytes"

fetch "$url" "$SCRATCH/r2" -H 'Range: bytes=100-'
is "$CODE" 206 "bytes=100-: 206"
is "$(stat -c %s "$SCRATCH/r2")" $((len - 100)) "bytes=100-: the rest"
is "$(header Content-Range)" "bytes 100-$((len - 1))/$len" "bytes=100-: Content-Range"
cat "$SCRATCH/r1" "$SCRATCH/r2" | cmp -s - "$SCRATCH/whole"
ok $? "0-99 then 100- make the whole file"

fetch "$url" "$SCRATCH/r3" -H 'Range: bytes=-100'
is "$CODE" 206 "suffix bytes=-100: 206"
is "$(header Content-Range)" "bytes $((len - 100))-$((len - 1))/$len" "suffix: Content-Range"
cmp -s "$SCRATCH/r3" <(tail -c 100 "$SCRATCH/whole")
ok $? "suffix: the last 100 bytes"

# Pieces of odd sizes, concatenated, equal the whole file.
: > "$SCRATCH/joined"
start=0
while [ "$start" -lt "$len" ]; do
    fetch "$url" "$SCRATCH/piece" -H "Range: bytes=$start-$((start + 9999))"
    cat "$SCRATCH/piece" >> "$SCRATCH/joined"
    start=$((start + 10000))
done
cmp -s "$SCRATCH/joined" "$SCRATCH/whole"
ok $? "10000-byte ranges concatenated equal the whole file"

fetch "$url" "$SCRATCH/r" -H 'Range: bytes=0-0'
is "$(stat -c %s "$SCRATCH/r")/$(header Content-Range)" "1/bytes 0-0/$len" "bytes=0-0: one byte"
fetch "$url" "$SCRATCH/r" -H "Range: bytes=$((len - 1))-"
is "$(stat -c %s "$SCRATCH/r")/$CODE" "1/206" "the last byte alone"
fetch "$url" "$SCRATCH/r" -H "Range: bytes=10-$((len + 5000))"
is "$(header Content-Range)" "bytes 10-$((len - 1))/$len" "an end past the file is clipped"
fetch "$url" "$SCRATCH/r" -H "Range: bytes=-$((len + 5000))"
is "$CODE/$(stat -c %s "$SCRATCH/r")" "206/$len" "a suffix longer than the file is the whole file"
for bad in "bytes=$len-" "bytes=$((len + 10))-$((len + 20))" "bytes=-0"; do
    fetch "$url" "$SCRATCH/r" -H "Range: $bad"
    is "$CODE" 416 "unsatisfiable $bad: 416"
    is "$(header Content-Range)" "bytes */$len" "$bad: Content-Range bytes */$len"
done
for whole in "bytes=0-1,5-6" "bytes=9-2" "items=0-5" "bytes=x-y"; do
    fetch "$url" "$SCRATCH/r" -H "Range: $whole"
    is "$CODE/$(stat -c %s "$SCRATCH/r")" "200/$len" "Range $whole is not a single byte range: the whole file"
done

# HEAD: the headers and no body.
code=$(curl -s -I -o "$SCRATCH/head" -w '%{http_code} %{size_download}' "$url")
is "$code" "200 0" "HEAD: 200 and no body"
HEADERS=$SCRATCH/head
is "$(header Content-Length)" "$len" "HEAD: Content-Length"
code=$(curl -s -I -o "$SCRATCH/head" -w '%{http_code}' -H 'Range: bytes=0-9' "$url")
is "$code/$(header Content-Length)" "206/10" "HEAD with Range: 206 and its length"

# Signatures.
fetch "${url%sig=*}sig=0000000000000000" "$SCRATCH/r"
is "$CODE" 403 "a tampered sig: 403"
is "$(jq -r .error.message "$SCRATCH/r")" "this URL's signature does not match" "tampered: message"
is "$(jq -r .error.code "$SCRATCH/r")" bad_signature "tampered: error code"
e=$(printf '%s' "$url" | sed -E 's/.*[?&]e=([0-9]+).*/\1/')
fetch "$(printf '%s' "$url" | sed -E "s/e=[0-9]+/e=$((e + 100000))/")" "$SCRATCH/r"
is "$CODE" 403 "a later expiry with the old sig: 403"
fetch "${url%%\?*}" "$SCRATCH/r"
is "$CODE" 403 "no query at all: 403"
fetch "$SIM_URL/files/hs99-00000000.mp4?e=1&sig=0" "$SCRATCH/r"
is "$CODE" 404 "an unknown file: 404"
fetch "${url/.mp4/.mov}" "$SCRATCH/r"
is "$CODE" 404 "another extension: 404"

is "$(jqv "$(sim_stats)" '.requests.download["206"] > 10')" true "206s are in the ledger"

# Expiry: --url-ttl 2 s (long enough that a busy machine fetches a fresh URL in time).
start_sim --time-scale 0.001 --url-ttl 2
post_task "{$GEN,\"prompt\":\"an expiring URL\",\"duration\":3}"
url=$(wait_url "$TASK")
fetch "$url" "$SCRATCH/r"
is "$CODE" 200 "a fresh URL works at once"
sleep 2.2
fetch "$url" "$SCRATCH/r"
is "$CODE" 403 "after --url-ttl it answers 403"
is "$(jq -r .error.message "$SCRATCH/r")" "this URL has expired; ask /api/status for a fresh one" "expired: message"
is "$(jq -r .error.code "$SCRATCH/r")" url_expired "expired: error code"
api_status "$TASK"
fresh=$(jqv "$BODY" '.data.response.resultUrls[0]')
[ "$fresh" != "$url" ]
ok $? "a new status call gives a new URL"
fetch "$fresh" "$SCRATCH/r"
is "$CODE" 200 "the new URL works"

# Downloads need no key, and none reached the download host.
stats=$(sim_stats)
is "$(jqv "$stats" .authorization_seen.download)" 0 "authorization_seen.download is 0"
is "$(jqv "$stats" '.headers.download | has("authorization")')" false "no Authorization among download headers"
is "$(jqv "$stats" '.headers.download.host')" 3 "the download headers are counted (host: 3)"
is "$(jqv "$stats" '.authorization_seen.status > 0')" true "status requests carried the key"
curl -s -o /dev/null -H "Authorization: Bearer $SIM_KEY" "$fresh"
is "$(jqv "$(sim_stats)" .authorization_seen.download)" 1 "a client that sends the key to the download host is seen doing it"
is "$(jqv "$(sim_stats)" '.requests.download | [.["200"], .["403"]] | map(tostring) | join(" ")')" "3 1" \
    "downloads by status in the ledger: 3 200s, 1 403"
done_testing
