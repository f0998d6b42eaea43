#!/usr/bin/env bash
# hh report DIR --grid-image: one page of the grid as one picture, made by
# ffmpeg. An A/B run of a 2x2 sweep against hh-sim with black clips: the
# default axes and file, the size (columns x cell width + label margins), a
# red label on each flagged clip and none elsewhere, other axes and pages,
# JPEG; labels that try to break or steer ffmpeg (quotes, colons,
# backslashes, percent signs, newlines, control characters, filtergraph
# syntax, a very long label) in the values and the run directory's name; a
# missing poster made by checking the clip, a missing clip drawn as a
# placeholder; the cap on large grids; the default-axes rule
# (hh.report_axes); every option error, word for word; without ffmpeg.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"
cd "$SCRATCH"
start_sim --time-scale 0.002 --palette 4 --fault clip-black=0.3 --seed 3
hh_env

# pixel FILE X Y: "R G B" of the picture at X,Y.
pixel() {
    ffmpeg -v error -i "$1" -vf "crop=1:1:$2:$3" -frames:v 1 -f rawvideo -pix_fmt rgb24 - | od -An -tu1 | tr -s ' ' | sed 's/^ //; s/ $//'
}
is_red() { # is_red "R G B"
    set -- $1
    [ "$1" -gt 150 ] && [ "$2" -lt 80 ] && [ "$3" -lt 80 ]
}
size() { printf '%sx%s' "$(ffprobe_field "$1" stream=width)" "$(ffprobe_field "$1" stream=height)"; }

cat > ab.yaml <<'Y'
name: street-ab
prompt: "A street market at {time} in {weather}"
sweep:
  time: [dawn, dusk]
  weather: [clear, rain]
compare:
  plain: "{prompt}"
  film: "{prompt}, on film"
output: "{time}-{weather}-{variant}.mp4"
Y
run_hh run ab.yaml --out out -q
is "$RC" 0 "an A/B run of a 2x2 sweep"
flagged=$(jq -s 'map(select(.qc.flagged)) | length' out/manifest.jsonl)
ok $([ "$flagged" -gt 0 ] && [ "$flagged" -lt 8 ]; echo $?) "some of its clips are flagged black ($flagged of 8)"

run_hh report out --grid-image
is "$RC" 0 "hh report DIR --grid-image succeeds"
is "$OUT" "out/grid.png" "it writes DIR/grid.png and names it"
like "$ERR" "grid image: 2 columns \(variant\) by 2 rows \(time\), cells 320x180, row labels 160 px: 832x452 px" \
    "by default variants across and the first sweep axis down, one page of weather"
is "$(ffprobe_field out/grid.png stream=codec_name)" png "the picture is a PNG"
# width: 8 + row labels (160) + 8 + 2 x (320 + 8); height: title 40 + heads 28 + 8 + 2 x (180 + 8)
is "$(size out/grid.png)" "$((2 * (320 + 8) + 16 + 160))x$((40 + 28 + 8 + 2 * (180 + 8)))" \
    "its size is columns x cell width plus the label margins"
is "$(pixel out/grid.png 4 4)" "255 255 255" "the margins are white"

# Each page: a red label at the top left of each flagged clip and only there.
order=$(printf '%s\n' 'local c = require("hh.grid_image").choose(require("hh.report").data(arg[1]), {})' \
    'print(table.concat(c.X.values, " ")) print(table.concat(c.Y.values, " "))' > order.lua && "$HH" order.lua out)
variants=$(printf '%s\n' "$order" | sed -n 1p)
times=$(printf '%s\n' "$order" | sed -n 2p)
bad=0
for weather in clear rain; do
    run_hh report out --grid-image "page-$weather.png" --page "weather=$weather"
    [ "$RC" = 0 ] || bad=1
    i=0
    for v in $variants; do
        j=0
        for t in $times; do
            f=$(jq -s -r --arg v "$v" --arg t "$t" --arg w "$weather" \
                'map(select(.variant == $v and .cell_values.time == $t and .cell_values.weather == $w)) | .[0].qc.flagged' out/manifest.jsonl)
            px=$(pixel "page-$weather.png" $((16 + 160 + i * 328 + 8)) $((76 + j * 188 + 8)))
            if is_red "$px"; then red=true; else red=false; fi
            [ "$red" = "$f" ] || { bad=1; diag "$weather $v $t: flagged $f, pixel $px"; }
            centre=$(pixel "page-$weather.png" $((16 + 160 + i * 328 + 160)) $((76 + j * 188 + 90)))
            [ "$centre" != "255 255 255" ] || { bad=1; diag "$weather $v $t: no poster"; }
            j=$((j + 1))
        done
        i=$((i + 1))
    done
done
ok $bad "on both pages, a red label marks each flagged clip and no other, and every cell has a poster"

run_hh report out --grid-image=swapped.jpg --columns weather --rows time --page variant=plain
is "$RC:$OUT" "0:swapped.jpg" "--grid-image=FILE with other axes and a page"
is "$(ffprobe_field swapped.jpg stream=codec_name)" mjpeg "a .jpg name makes a JPEG"
like "$ERR" "2 columns \(weather\) by 2 rows \(time\)" "with the axes asked for"
run_hh report out --grid-image one-axis.png --rows weather
like "$ERR" "2 columns \(variant\) by 2 rows \(weather\)" "one axis given: the other is the default"
run_hh report out --grid-image one-axis.png --columns time
like "$ERR" "2 columns \(time\) by 2 rows \(variant\)" "and the default columns go down when they are chosen across"

# Option errors, word for word.
errs() { run_hh report out "$@"; printf '%s %s\n' "$RC" "$ERR"; }
is "$(errs --grid-image x.png --columns tme)" "2 hh: report: --columns tme: unknown axis (did you mean 'time'?)" \
    "an unknown axis: did you mean"
is "$(errs --grid-image x.png --rows nope)" "2 hh: report: --rows nope: unknown axis; the axes are time, weather, variant, sample" \
    "an unknown axis with nothing near: the axes"
is "$(errs --grid-image x.png --columns time --rows time)" "2 hh: report: --columns and --rows are both time" \
    "the same axis twice"
is "$(errs --grid-image x.png --page weather)" "2 hh: report: --page weather: expected NAME=VALUE" "--page without a value"
is "$(errs --grid-image x.png --page wether=rain)" "2 hh: report: --page wether=rain: unknown axis (did you mean 'weather'?)" \
    "--page of an unknown axis"
is "$(errs --grid-image x.png --page weather=rian)" "2 hh: report: --page weather=rian: weather has no value \"rian\" (did you mean 'rain'?)" \
    "--page of an unknown value: did you mean"
is "$(errs --grid-image x.png --page weather=snow)" "2 hh: report: --page weather=snow: weather has no value \"snow\"; its values are clear, rain" \
    "--page of an unknown value: the values"
is "$(errs --grid-image x.png --page time=dawn)" "2 hh: report: --page time=dawn: time is the rows" "--page of the rows"
is "$(errs --grid-image x.png --page variant=film)" "2 hh: report: --page variant=film: variant is the columns" "--page of the columns"
is "$(errs --grid-image x.png --page weather=rain --page weather=clear)" \
    "2 hh: report: --page weather=clear: weather is given twice" "--page twice for one axis"
is "$(errs --grid-image x.gif)" "2 hh: report: --grid-image x.gif: the image must be a .png or .jpg file" "another kind of file"
is "$(errs --columns time)" "2 hh: report: --columns, --rows and --page go with --grid-image (see hh help report)" \
    "axes without --grid-image"
[ ! -e x.png ] && [ ! -e x.gif ]
ok $? "no picture is written for a bad option"

# A poster that is gone is made again by checking its clip; a clip that is
# gone is a placeholder.
poster=$(jq -s -r 'map(select(.variant == "plain" and .cell_values.time == "dawn" and .cell_values.weather == "clear")) | .[0].qc.poster' out/manifest.jsonl)
for p in $(jq -s -r '.[].qc.poster' out/manifest.jsonl | sort -u); do rm -f "out/$p"; done
flock out/.lock sleep 3 &
locker=$!
sleep 0.3
run_hh report out --grid-image locked.png
like "$ERR" "hh: report: grid image: cannot check the clips without a poster \(another hh \(process [0-9]+\) is running out; wait for it or stop it first\); hh qc out makes their posters" \
    "while another hh holds the run, the posters are not made, and hh says how to make them"
is "$RC" 0 "the picture is made all the same"
px=$(pixel locked.png $((16 + 160 + 20)) $((76 + 20)))
is "$px" "244 245 246" "with placeholders where the posters are missing"
wait "$locker"
run_hh report out --grid-image
like "$ERR" "checking 4 clip\(s\) that have no poster yet" "with the run free, the clips of the page without a poster are checked"
[ -s "out/$poster" ]
ok $? "and their posters are back"
centre=$(pixel out/grid.png $((16 + 160 + 160)) $((76 + 90)))
[ "$centre" != "244 245 246" ] && [ "$centre" != "255 255 255" ]
ok $? "and drawn ($centre)"
clip=$(jq -s -r 'map(select(.cell_values.time == "dusk" and .cell_values.weather == "clear")) | .[0].file' out/manifest.jsonl)
rm "out/$clip"
run_hh report out --grid-image gone.png
is "$RC" 0 "a clip that is gone does not stop the picture"
ok $(! printf '%s' "$ERR" | grep -q checking; echo $?) "and is not checked"

# Hostile labels, in the values and in the run directory's name.
cat > hostile.yaml <<'Y'
name: hostile
prompt: "a {look} and {mood}"
sweep:
  look: ["it's: 100% \\ 'q' \"dq\"", "line\none\x1b[31mred\x07\r", "[out];movie=/etc/passwd,drawtext=text=PWNED:x=0", "%{pts} %{localtime} ${x} {{y}}"]
  mood: ["averyveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylonglabel", "\u202e reversed \u0085 c1", ""]
output: "{look}-{mood}.mp4"
Y
dir="h'o:m%e,[d];x \\y"
run_hh run hostile.yaml --out "$dir" -q
is "$RC" 0 "a run whose values are hostile, into a directory whose name is"
run_hh report "$dir" --grid-image
is "$RC" 0 "the grid image of it is made"
unlike "$ERR" "rror|PWNED|Invalid|Unable" "ffmpeg says nothing"
is "$(size "$dir/grid.png")" "$((4 * 328 + 16 + 240))x$((76 + 3 * 188))" \
    "four columns of 320 px and the widest row labels (240 px): a long label is cut, not widened"
run_hh report "$dir" --grid-image "$dir/swap.png" --columns mood --rows look
is "$(size "$dir/swap.png")" "$((3 * 328 + 16 + 240))x$((76 + 4 * 188))" "and with the axes swapped"

cat > labels.lua <<'L'
local gi = require("hh.grid_image")
print(gi.label("line\none\27[31mred\7\r", 1000, 15))
print(gi.label("", 1000, 15))
print(gi.label(string.rep("long", 50), 100, 15))
print(gi.escape("a:b'c,d[e];f\\g%h i=j"))
print(table.concat(gi.wrap("policy: task failed: prompt rejected by content policy", 300, 13, 2), "|"))
print(table.concat(gi.wrap("policy: task failed: prompt rejected by content policy", 200, 13, 2), "|"))
L
run_hh labels.lua
is "$OUT" 'line\none\e[31mred\x07\r
""
longlongl…
a\\\:b\\\'"'"'c\\\,d\\\[e\\\]\\\;f\\\\g\\\%h\\\ i\\\=j
policy: task failed: prompt rejected|by content policy
policy: task failed:|prompt rejected by cont…' \
    "labels: controls made visible, empty shown, long cut; names escaped for both of ffmpeg's levels; reasons wrapped"

# Large grids are capped: at most 16 columns, the picture at most 3840 px wide.
cat > wide.yaml <<'Y'
name: wide
prompt: "a bird {n}"
sweep:
  n: {from: 1, to: 20, step: 1}
output: "{n}.mp4"
Y
run_hh run wide.yaml --out wide -q
run_hh report wide --grid-image
is "$RC" 0 "a grid of 20 columns"
like "$ERR" "at most 16 columns and 16 rows are drawn: columns 1-16 of 20" "is cut to 16, and says so"
w=$(ffprobe_field wide/grid.png stream=width)
ok $([ "$w" -le 3840 ]; echo $?) "the picture is at most 3840 px wide ($w)"
like "$ERR" "16 columns \(n\) by 1 row \(sample\), cells 222x124, row labels 120 px: 3816x208 px" "the cells shrink to fit"
run_hh report wide --grid-image n3.png --columns variant --rows sample --page n=3
is "$RC" 0 "a number is named as the page writes it (--page n=3)"
run_hh report wide --grid-image x.png --columns variant --rows sample --page n=3.0
is "$RC $ERR" \
    "2 hh: report: --page n=3.0: n has no value \"3.0\"; its values are 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ... (20 in all)" \
    "not as Lua would"

# The default axes (hh.report_axes): as written, variants across, zip
# groups as one axis, old runs, and a mostly empty pair replaced.
cat > axes.lua <<'L'
local ax = require("hh.report_axes")
local function job(cv, variant, sample) return { cell = cjson.encode(cv), cell_values = cv, variant = variant or "v", sample = sample or 1 } end
local function show(name, data)
  local e = ax.entries(data)
  local a = ax.axes(data, e)
  local x, y = ax.default(a, e)
  local names = {}
  for _, v in ipairs(a) do names[#names + 1] = v.name .. "(" .. table.concat(v.values, "|") .. ")" end
  print(name .. ": " .. x .. " x " .. y .. "; " .. table.concat(names, " "))
end
local function cross(f)
  local jobs = {}
  f(function(...) jobs[#jobs + 1] = job(...) end)
  return jobs
end
local two = cross(function(add) for _, a in ipairs({ 1, 2 }) do for _, b in ipairs({ "x", "y" }) do add({ a = a, b = b }) end end end)
show("written b, a", { axes = { { name = "b", members = { "b" } }, { name = "a", members = { "a" } } }, jobs = two })
show("old run", { axes = {}, jobs = two })
show("variants", { axes = { { name = "b", members = { "b" } }, { name = "a", members = { "a" } } },
  jobs = cross(function(add) for _, j in ipairs(two) do add(j.cell_values, "p") add(j.cell_values, "q") end end) })
show("zip", { axes = { { name = "look", members = { "t", "l" }, zip = true }, { name = "n", members = { "n" } } },
  jobs = cross(function(add) for _, tl in ipairs({ { "dawn", "warm" }, { "dusk", "cold" } }) do
    for n = 1, 2 do add({ t = tl[1], l = tl[2], n = n }) end end end) })
show("mostly empty", { axes = { { name = "a", members = { "a" } }, { name = "b", members = { "b" } }, { name = "c", members = { "c" } } },
  jobs = cross(function(add) for i = 1, 3 do for _, c in ipairs({ "x", "y" }) do add({ a = i, b = i, c = c }) end end end) })
show("one axis, samples", { axes = { { name = "a", members = { "a" } } },
  jobs = cross(function(add) for i = 1, 3 do add({ a = i }, "v", 1) add({ a = i }, "v", 2) end end) })
L
run_hh axes.lua
is "$OUT" 'written b, a: b x a; b(x|y) a(1|2) variant(v) sample(1)
old run: a x b; a(1|2) b(x|y) variant(v) sample(1)
variants: variant x b; b(x|y) a(1|2) variant(p|q) sample(1)
zip: look x n; look(t=dawn, l=warm|t=dusk, l=cold) n(1|2) variant(v) sample(1)
mostly empty: a x c; a(1|2|3) b(1|2|3) c(x|y) variant(v) sample(1)
one axis, samples: a x sample; a(1|2|3) variant(v) sample(1|2)' \
    "the default axes: first two as written, variants across, a zip group as one axis, sorted names for old runs, the fullest pair when mostly empty, sample as the second"

# The rows block (recipes/sweep.yaml: a 2x2 grid, a zip group, one extra
# row): one axis, "sweep" for the grid's cells, the row's tuple for the added
# one, named as the page names it; the other axes settle on a page with jobs.
run_hh run "$ROOT/recipes/sweep.yaml" --out sweep -q
is "$RC" 0 "a run of recipes/sweep.yaml"
run_hh report sweep --grid-image sweep.png
like "$ERR" "2 columns \(time\) by 2 rows \(weather\)" "it opens on time by weather, as the page does"
run_hh report sweep --grid-image extra.png --columns time --rows weather --page 'rows=grade=monochrome, style=noir, time=night, weather=fog'
is "$RC" 0 "the extra row's page, by its tuple"
like "$ERR" "1 column \(time\) by 1 row \(weather\)" "one cell: night by fog, the look its row has"
run_hh report sweep --grid-image x.png --page 'rows=grade=monochrome, style=noir, time=night, weather=fog' --page 'look=style=documentary, grade=natural'
is "$RC:$ERR" "2:hh: report: --page rows=grade=monochrome, style=noir, time=night, weather=fog --page look=style=documentary, grade=natural: no job has all of these values" \
    "a page no job is on"
run_hh report sweep --grid-image x.png --page rows=x
is "$ERR" 'hh: report: --page rows=x: rows has no value "x"; its values are sweep, grade=monochrome, style=noir, time=night, weather=fog' \
    "the rows block's values"

# Timing of a 4x4 grid (for docs/report.md).
cat > four.yaml <<'Y'
name: four
prompt: "a boat {a} {b}"
sweep:
  a: [1, 2, 3, 4]
  b: [1, 2, 3, 4]
output: "{a}-{b}.mp4"
Y
run_hh run four.yaml --out four -q
start=$(date +%s.%N)
run_hh report four --grid-image
end=$(date +%s.%N)
is "$RC" 0 "a 4x4 grid"
diag "4x4 grid image: $(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", e - s }') s for hh report --grid-image"

# Without ffmpeg: says what to install.
mkdir -p nobin
ln -s "$(command -v cat)" nobin/cat
PATH=$SCRATCH/nobin run_hh report out --grid-image
is "$RC:$ERR" "1:hh: report: grid image: ffprobe and ffmpeg are not installed: install the Debian package ffmpeg (apt-get install ffmpeg)" \
    "without ffmpeg, hh names the package"

done_testing
