#!/usr/bin/env bash
# hh report and hh votes import without a browser: hh run writes the report;
# it holds no key, no machine path and only relative video paths; every value
# is escaped (the data as JSON that cannot close its script element); its
# script matches the page's Content-Security-Policy hash; failures are listed
# with their reasons; every error of hh report and hh votes import, exactly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"
cd "$SCRATCH"

# data FILE: the JSON embedded in a report.
data() { perl -0ne 'print $1 if m{<script type="application/json" id="hh-data">(.*?)</script>}s' "$1"; }

start_sim --time-scale 0.002 --palette 4
hh_env
cat > ab.yaml <<'Y'
name: report-ab
prompt: "a {thing} on a table"
sweep:
  thing: [cup, vase]
samples: 2
compare:
  plain: "{prompt}"
  film: "{prompt}, on film"
output: "clips/{thing}-{variant}-{sample}.mp4"
Y
run_hh run ab.yaml --out run -q
is "$RC" 0 "an A/B run succeeds"
ok "$(test -s run/report.html; echo $?)" "hh run writes run/report.html at its end"
html=$(cat run/report.html)
unlike "$html" "$SIM_KEY" "the report does not contain the API key"
unlike "$html" "$SCRATCH" "nor a machine path"
unlike "$html" "https?://" "nor any address: nothing is loaded from elsewhere"
json=$(data run/report.html)
is "$(jqv "$json" '.jobs | length')" 8 "the embedded data has the eight jobs"
is "$(jqv "$json" '[.jobs[].file] | sort | join(" ")')" \
    "clips/cup-film-1.mp4 clips/cup-film-2.mp4 clips/cup-plain-1.mp4 clips/cup-plain-2.mp4 clips/vase-film-1.mp4 clips/vase-film-2.mp4 clips/vase-plain-1.mp4 clips/vase-plain-2.mp4" \
    "video paths are relative to the run directory"
is "$(jqv "$json" '[.jobs[] | select(.present == true)] | length')" 8 "and every file is there"
is "$(jqv "$json" '[.run.name, .run.recipe, .summary.jobs, .summary.states.done, .summary.credits_planned, .summary.credits_spent] | join(" ")')" \
    "report-ab ab.yaml 8 8 2400 2400" "the summary: name, recipe, counts, credits"
is "$(grep -c '<script' run/report.html)" 2 "two script elements: the data and the page's script"
script_hash=$(perl -0ne 'print $1 if m{<script>(.*)</script>}s' run/report.html | openssl dgst -sha256 -binary | base64)
csp=$(grep -o '<meta http-equiv="Content-Security-Policy" content="[^"]*">' run/report.html)
is "$(printf '%s' "$csp" | sed -n "s/.*script-src &#39;sha256-\([^&]*\)&#39;;.*/\1/p")" "$script_hash" \
    "the Content-Security-Policy allows exactly the page's script"
like "$csp" "default-src &#39;none&#39;;" "and nothing else by default"
is "$(grep '<dt>jobs' run/report.html)" '<dt>jobs</dt><dd>8: <span class="state done">8 done</span></dd>' "the summary is in the HTML itself"

# Blind names for judging: a hard link per distinct clip, named by its sha256.
shas=$(jq -r 'select(.state == "done") | .sha256' run/manifest.jsonl | sort -u)
is "$(ls run/blind | tr '\n' ' ')" "$(printf '%s.mp4 ' $shas)" "run/blind has a name per distinct clip: its sha256"
is "$(jqv "$json" '[.jobs[] | select(.blind != ("blind/" + .sha256 + ".mp4"))] | length')" 0 "each job of the data has its blind name"
bad=0
for sha in $shas; do
    [ "$(sha256sum < "run/blind/$sha.mp4" | cut -d' ' -f1)" = "$sha" ] && [ "$(stat -c %h "run/blind/$sha.mp4")" -ge 2 ] || bad=1
done
is "$bad" 0 "each is a hard link to a clip with those bytes"
gone=$(printf '%s\n' $shas | head -n 1)
gone_files=$(jq -r --arg s "$gone" 'select(.sha256 == $s) | .file' run/manifest.jsonl)
mkdir aside && for f in $gone_files; do mv "run/$f" aside/; done
run_hh report run
is "$RC:$(ls run/blind | grep -c "$gone")" "0:0" "a clip deleted from the run loses its blind name at the next hh report"
is "$(data run/report.html | jq --arg s "$gone" '[.jobs[] | select(.sha256 == $s) | .blind | values] | length')" 0 \
    "and the judging view leaves it out"
for f in $gone_files; do mv "aside/${f##*/}" "run/$f"; done
run_hh report run
mkdir lk && echo clip > lk/a && ln -s a lk/s && mkdir lk/d
run_hh -e 'local fs = require("hh.fs")
for _, p in ipairs({ { "lk/a", "lk/b" }, { "lk/a", "lk/b" }, { "lk/s", "lk/c" }, { "lk/d", "lk/c" }, { "lk/none", "lk/c" },
  { "lk/a", "lk/s" }, { "lk/a", "lk/no/c" } }) do print(fs.link(p[1], p[2])) end'
is "$OUT" "true
true
nil	lk/s: is a symlink	io
nil	lk/d: not a regular file	io
nil	lk/none: No such file or directory	io
nil	lk/s: exists	exists
nil	lk/no/c: No such file or directory	io" "hh.fs.link: a hard link (again: already there), never from a symlink, nor over another file"
is "$(stat -c %i lk/a)" "$(stat -c %i lk/b)" "the link is the same file"
is "$(readlink lk/s)" "a" "the symlink in the way is left alone"

# Failures with their reasons; values with HTML in them are escaped.
start_sim --time-scale 0.002 --fault task-policy=1
hh_env
cat > 'b<i>&.yaml' <<'Y'
name: bad
prompt: "</script><script>alert(1)</script> {thing}"
sweep:
  thing: ["<b>\"x\"&'", plain]
Y
run_hh run 'b<i>&.yaml' --out bad -q
is "$RC" 4 "a run whose jobs all fail"
html=$(grep -e '<dd>' -e '<td>' -e '<h2>' bad/report.html)
like "$html" '<dt>recipe</dt><dd>bad <small>b&lt;i&gt;&amp;.yaml</small></dd>' "the recipe's file name is escaped"
like "$html" '<td>thing=&lt;b&gt;&quot;x&quot;&amp;&#39;</td>' "a cell value is escaped in the failures table"
like "$html" '<td>failed</td><td>policy</td><td>task hs[0-9]+-[0-9a-f]+ failed: prompt rejected by content policy</td>' "each failure with its class and reason"
like "$html" '<h2>Not done: 2</h2>' "the failures are counted"
is "$(grep -c '</script><script>alert' bad/report.html)" 0 "a prompt cannot close the data's script element"
like "$(data bad/report.html)" '\\u003c/script\\u003e\\u003cscript\\u003ealert' "it is in the data with < and > escaped"
is "$(jqv "$(data bad/report.html)" '.jobs[0].params.prompt')" '</script><script>alert(1)</script> <b>"x"&'"'" "and decodes to the prompt"
is "$(jqv "$(data bad/report.html)" '[.jobs[].file] | map(select(. != null)) | length')" 0 "failed jobs have no file"
stop_sim

# hh report: errors.
run_hh report
is "$RC:$ERR" "2:hh: report: expected one run directory (see hh help report)" "hh report needs a directory"
run_hh report run bad
is "$RC:$ERR" "2:hh: report: expected one run directory (see hh help report)" "and only one"
run_hh report nowhere
is "$RC:$ERR" "2:hh: report: nowhere: not a run directory (no journal.db)" "a directory without a journal"
run_hh report run --bogus
is "$RC:$ERR" "2:hh: report: unknown option --bogus (see hh help report)" "an unknown option"
rm run/report.html
run_hh report run/
is "$RC:$OUT" "0:run/report.html" "hh report DIR writes DIR/report.html and says where"
run_hh help report
like "$OUT" "^usage: hh report DIR" "hh help report"

# hh votes import: every error names its file and line; nothing is written.
cell=$(jq -r 'select(.cell_values.thing == "cup") | .cell' run/manifest.jsonl | head -n 1)
vote() { # vote CHOICE [LEFT RIGHT SAMPLE JUDGE TIME RUN CELL]
    printf '{"run":"%s","cell":"%s","sample":%s,"left":"%s","right":"%s","choice":"%s","judge":"%s","time":"%s"}\n' \
        "${7-report-ab}" "${8-$cell}" "${4-1}" "${2-plain}" "${3-film}" "$1" "${5-ann}" "${6-2026-01-02T10:00:00.000Z}"
}
{
    vote left
    echo 'not json'
    echo '[1,2]'
    echo '{"run":"report-ab"}'
    vote up
    vote left plain film 1 ann 2026-01-02T10:00:00.000Z other-run
    vote left plain film 1 ann 2026-01-02T10:00:00.000Z report-ab cNOPE
    vote left plain nope
    vote left plain plain
    vote left plain film 0
    vote left plain film 3
    vote left plain film 1 ann yesterday
    vote left plain film 1 ''
    echo '{"run":"report-ab","cell":"'"$cell"'","sample":"1","left":"plain","right":"film","choice":"tie","judge":"b","time":"2026-01-02T10:00:00Z"}'
} > bad.jsonl
run_hh votes import run bad.jsonl missing.jsonl
is "$RC" 2 "bad vote files are refused"
expected="hh: votes import: bad.jsonl:2: not JSON: expected value but found invalid token at character 1
hh: votes import: bad.jsonl:3: expected a JSON object
hh: votes import: bad.jsonl:4: missing \"cell\"
hh: votes import: bad.jsonl:5: \"choice\" must be \"left\", \"right\" or \"tie\", not \"up\"
hh: votes import: bad.jsonl:6: the vote is for run \"other-run\", not this run (\"report-ab\")
hh: votes import: bad.jsonl:7: cell \"cNOPE\" is not in this run
hh: votes import: bad.jsonl:8: right variant \"nope\" has no job in cell $cell, sample 1
hh: votes import: bad.jsonl:9: \"left\" and \"right\" must be different variants
hh: votes import: bad.jsonl:10: \"sample\" must be a whole number from 1
hh: votes import: bad.jsonl:11: left variant \"plain\" has no job in cell $cell, sample 3
hh: votes import: bad.jsonl:12: \"time\" must be an ISO 8601 time like 2026-01-31T12:00:00Z
hh: votes import: bad.jsonl:13: \"judge\" must be a non-empty string of at most 100 characters
hh: votes import: bad.jsonl:14: \"sample\" must be a whole number from 1
hh: votes import: missing.jsonl: No such file or directory
hh: votes import: nothing was imported"
is "$ERR" "$expected" "each bad line is named by file and line, with what is wrong"
ok "$(test ! -e run/votes.jsonl; echo $?)" "nothing was written"
run_hh votes
is "$RC:$ERR" "2:hh: votes: expected: hh votes import DIR FILE... (see hh help votes)" "hh votes needs import"
run_hh votes import run
is "$RC:$ERR" "2:hh: votes import: expected a run directory and at least one vote file" "and a directory and files"
run_hh votes import nowhere bad.jsonl
is "$RC:$ERR" "2:hh: votes import: nowhere: not a run directory (no journal.db)
hh: votes import: nothing was imported" "a directory without a journal"

# Merging: deduplicated, sorted, canonical; a conflicting duplicate is refused.
{ vote left; vote tie plain film 2 ann 2026-01-02T10:01:00.000Z; } > ann.jsonl
{ vote right film plain 1 bob 2026-01-02T09:00:00.000Z; echo; vote left; } > bob.jsonl
run_hh votes import run ann.jsonl bob.jsonl
is "$RC:$OUT" "0:run/votes.jsonl: 3 new votes, 1 already there; 3 in all" "three votes from two files, one counted once"
is "$(jq -r '[.judge, .time, .choice] | join(" ")' run/votes.jsonl | tr '\n' '|')" \
    "bob 2026-01-02T09:00:00.000Z right|ann 2026-01-02T10:00:00.000Z left|ann 2026-01-02T10:01:00.000Z tie|" \
    "votes.jsonl is sorted by time"
is "$(head -n 1 run/votes.jsonl)" "{\"cell\":\"$cell\",\"choice\":\"right\",\"judge\":\"bob\",\"left\":\"film\",\"right\":\"plain\",\"run\":\"report-ab\",\"sample\":1,\"time\":\"2026-01-02T09:00:00.000Z\"}" \
    "one canonical JSON vote a line"
before=$(cat run/votes.jsonl)
vote right > flip.jsonl
run_hh votes import run flip.jsonl
is "$RC:$ERR" "2:hh: votes import: flip.jsonl:1: the same vote (judge \"ann\", 2026-01-02T10:00:00.000Z) says \"left\" at run/votes.jsonl:2 but \"right\" here
hh: votes import: nothing was imported" "a vote that contradicts one already there is refused" 2>/dev/null
is "$(cat run/votes.jsonl)" "$before" "and votes.jsonl is unchanged"
run_hh votes import run ann.jsonl
is "$RC:$OUT" "0:run/votes.jsonl: 0 new votes, 2 already there; 3 in all" "importing the same file again adds nothing"

# The report has the committed votes; a bad line there is left out, with a warning.
run_hh report run
is "$(jqv "$(data run/report.html)" '.votes | length')" 3 "hh report embeds the committed votes"
like "$(cat run/report.html)" "<dt>votes</dt><dd>3 in votes.jsonl</dd>" "and counts them"
echo '{"run":"report-ab"}' >> run/votes.jsonl
run_hh report run
is "$RC:$ERR" '0:hh: report: run/votes.jsonl:4: missing "cell" (left out)' "a bad line in votes.jsonl is left out with a warning"
is "$(jqv "$(data run/report.html)" '.votes | length')" 3 "the good votes stay"
run_hh votes import run ann.jsonl
is "$RC:$ERR" "2:hh: votes import: run/votes.jsonl:4: missing \"cell\"
hh: votes import: nothing was imported" "hh votes import names the bad line of votes.jsonl itself"

# A vote names its run directory: one cast on another run of the same
# recipe (same name, same cells, other videos) is refused.
sed -i '$d' run/votes.jsonl
id=$(sqlite3 run/journal.db "SELECT value FROM meta WHERE key = 'run_id'")
like "$id" '^[0-9a-f]{16}$' "the journal has the run directory's own id"
run_hh report run
is "$(jqv "$(data run/report.html)" '.run.id')" "$id" "the report knows it (votes cast there carry it)"
with_id() { jq -c --arg id "$1" '. + {run_id: $id}'; }
vote left plain film 1 cy 2026-01-03T10:00:00.000Z | with_id "$id" > same.jsonl
run_hh votes import run same.jsonl
is "$RC:$OUT" "0:run/votes.jsonl: 1 new vote, 0 already there; 4 in all" "a vote with this directory's id is imported"
is "$(grep -c "\"run_id\":\"$id\"" run/votes.jsonl)" 1 "and keeps its run_id"
{
    vote left plain film 1 dee 2026-01-03T11:00:00.000Z | with_id 0123456789abcdef
    vote left plain film 1 dee 2026-01-03T12:00:00.000Z | with_id "not hex"
} > other.jsonl
run_hh votes import run other.jsonl
is "$RC:$ERR" "2:hh: votes import: other.jsonl:1: the vote is for another run directory named \"report-ab\" (run_id 0123456789abcdef; this one is $id): its videos are not these
hh: votes import: other.jsonl:2: \"run_id\" must be the hex id of a run directory
hh: votes import: nothing was imported" "a vote from another run of the same recipe is refused"
cp -r run copy
run_hh votes import copy same.jsonl
is "$RC:$OUT" "0:copy/votes.jsonl: 0 new votes, 1 already there; 4 in all" "a copied run directory is the same run"

done_testing
