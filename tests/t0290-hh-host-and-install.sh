#!/usr/bin/env bash
# Transport rules and packaging: plain http only to loopback unless allowed;
# the download size cap; hh version; HH_SETTINGS errors; the embedded Lua
# library (an installed hh runs from any directory) and the HH_LUA_PATH
# override for development.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"
start_sim --time-scale 0.001
hh_env

HH_BASE_URL=http://example.invalid run_lua 'hh.generate{prompt = "x"}'
is "$RC" 1 "plain http to a non-loopback host is refused"
like "$ERR" "hh.generate: http://example.invalid/api/generate: plain http to example.invalid is not allowed \(only https, or http to localhost or a loopback address: 127.0.0.0/8, ::1; hh.config\{allow_http = true\} permits it\)" "with the rule and the way out"
HH_BASE_URL=ftp://127.0.0.1 run_lua 'hh.generate{prompt = "x"}'
is "$RC: $ERR" '2: hh: HH_BASE_URL: "ftp://127.0.0.1": unknown scheme "ftp" (expected https://HOST[:PORT])' "other schemes are refused at start"
is "$(jqv "$(sim_stats)" '[.requests.generate[]] | add // 0')" 0 "nothing was sent"

run_lua 'hh.config{max_download = 1000}
local r, msg, class = hh.wait(hh.generate{prompt = "big"}, {output = arg[1]})
print(r, class, msg)' "$SCRATCH/big.mp4"
like "$OUT" "^nil	too_large	download of task hs[0-9]+-[0-9a-f]+ failed: the file is larger than the 1000-byte limit$" "the download size cap stops a large file"
ok "$(test ! -e "$SCRATCH/big.mp4"; echo $?)" "and leaves no file under the final name"

run_hh version
like "$OUT" "^hh [0-9]+\.[0-9]+\.[0-9]+
Lua 5\.4\.[0-9]+
libcurl [0-9.]+
libyaml [0-9.]+
SQLite [0-9.]+$" "hh version names hh, Lua, libcurl, libyaml and SQLite"

HH_SETTINGS=rate=fast run_hh -e 'print(1)'
is "$RC" 2 "a bad HH_SETTINGS value is invalid input: exit 2"
is "$ERR" "hh: HH_SETTINGS: rate must be a number" "naming the setting, in one line"
HH_SETTINGS=colour=blue run_hh -e 'print(1)'
is "$ERR" "hh: HH_SETTINGS: unknown setting 'colour'" "an unknown setting is named"
run_lua 'hh.config{poll = {min_interval = -1}}'
like "$ERR" "script.lua:1: hh.config: poll_min_interval must be from 0.001 to 86400" "hh.config checks ranges"

# Installed: the binary carries its Lua library and works from any directory.
make -s -C "$ROOT" -o all BUILD="$HH_BUILD" install PREFIX="$SCRATCH/inst" >/dev/null  # -o all: install what was built, never relink (sanitizer builds)
(cd / && "$SCRATCH/inst/bin/hh" -e 'print(require("hh.rules").MODEL)') > "$SCRATCH/inst.out" 2>&1
is "$(cat "$SCRATCH/inst.out")" "happyhorse-1.0/video" "an installed hh runs from / with its embedded library"
ok "$(test -x "$SCRATCH/inst/bin/hh-sim"; echo $?)" "hh-sim is installed beside it"

# make install DESTDIR=...: the man page (rendered by man), completions made
# from the same help texts, the docs and the example recipes; make uninstall
# takes them all away.
D=$SCRATCH/dest
make -s -C "$ROOT" -o all BUILD="$HH_BUILD" install DESTDIR="$D" PREFIX=/usr >/dev/null
man -l "$D/usr/share/man/man1/hh.1" > "$SCRATCH/man.txt" 2> "$SCRATCH/man.err"
is "$?:$(cat "$SCRATCH/man.err")" "0:" "man hh renders, without warnings"
like "$(cat "$SCRATCH/man.txt")" "hh plan RECIPE \[--json\]" "with the synopsis"
like "$(grep -A12 '^   plan' "$SCRATCH/man.txt")" "--top N +list only the N costliest jobs" "and every command's options, as hh help prints them"
out=$(bash -c '. "$1"; COMP_WORDS=(hh pl); COMP_CWORD=1; _hh; echo "${COMPREPLY[*]}"; COMP_WORDS=(hh plan --t); COMP_CWORD=2; _hh; echo "${COMPREPLY[*]}"' _ "$D/usr/share/bash-completion/completions/hh")
is "$out" "plan
--top --trust" "bash completion lists commands and a command's options"
like "$(head -n 2 "$D/usr/share/zsh/site-functions/_hh")" "^#compdef hh" "a zsh completion"
ok "$(test -s "$D/usr/share/doc/hh/recipes.md" && test -s "$D/usr/share/hh/recipes/from-csv.yaml" && test -s "$D/usr/share/hh/recipes/shared/studio-defaults.yaml"; echo $?)" \
    "the docs and the example recipes"
(cd "$D/usr/share/hh/recipes" && "$D/usr/bin/hh" check from-csv.yaml) > /dev/null 2>&1
is "$?" 0 "an installed example recipe checks"
make -s -C "$ROOT" -o all BUILD="$HH_BUILD" uninstall DESTDIR="$D" PREFIX=/usr >/dev/null
is "$(find "$D" -type f | wc -l)" 0 "make uninstall removes everything it installed"

# Development: HH_LUA_PATH loads lua/ from disk instead.
cp -r "$ROOT/lua" "$SCRATCH/lua"
{ printf 'MODEL_FROM_DISK = true\n'; cat "$ROOT/lua/hh/rules.lua"; } > "$SCRATCH/lua/hh/rules.lua"
HH_LUA_PATH=$SCRATCH/lua run_hh -e 'require("hh.rules") print(MODEL_FROM_DISK)'
is "$OUT" "true" "HH_LUA_PATH loads the library from disk"
HH_LUA_PATH=$SCRATCH/lua run_hh -e 'print(debug.getinfo(require("hh.rules").check, "S").source)'
is "$OUT" "@$SCRATCH/lua/hh/rules.lua" "with the file's own name in tracebacks"
run_hh -e 'print(debug.getinfo(require("hh.rules").check, "S").source)'
is "$OUT" "@lua/hh/rules.lua" "the embedded copy is named after lua/ in the source tree"
done_testing
