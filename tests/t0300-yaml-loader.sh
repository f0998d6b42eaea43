#!/usr/bin/env bash
# hh.yaml, the YAML loader under recipes: the value of every scalar form,
# nested collections, key order, the position of every key, value and item,
# every error with its exact text, and the bounds on untrusted input (size,
# nesting, alias bombs). No sim: each case is one `hh -e`.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"

# DUMP: loads the file arg[1] (limits from the Lua expression arg[2]) and
# prints the value on one line, then one line per collection and entry with
# its positions; or the errors, one a line.
DUMP='
local yaml = require("hh.yaml")
local f = assert(io.open(arg[1], "rb"))
local text = f:read("a")
f:close()
local doc, marks, left_out = yaml.load(text, "recipe.yaml", load("return " .. (arg[2] or "nil"))())
if doc == nil or left_out then
  for _, e in ipairs(left_out or marks) do print(e) end
  return
end
local function show(v)
  if v == yaml.null then return "null" end
  if type(v) == "string" then return string.format("%q", v) end
  if math.type(v) == "integer" then return "i:" .. v end
  if math.type(v) == "float" then return "f:" .. (v ~= v and "nan" or tostring(v)) end
  if type(v) ~= "table" then return tostring(v) end
  local m, out = marks[v], {}
  if m.kind == "map" then
    for _, k in ipairs(m.order) do out[#out + 1] = k .. "=" .. show(v[k]) end
    return "{" .. table.concat(out, ",") .. "}"
  end
  for i = 1, #v do out[#out + 1] = show(v[i]) end
  return "[" .. table.concat(out, ",") .. "]"
end
print(show(doc))
print(string.format("root %s %d:%d", marks.root.kind, marks.root.line, marks.root.col))
local function where(v, path)
  if type(v) ~= "table" then return end
  local m = marks[v]
  print(string.format("%s %s %d:%d", path, m.kind, m.line, m.col))
  if m.kind == "map" then
    for _, k in ipairs(m.order) do
      local p = m.keys[k]
      print(string.format("%s.%s key %d:%d value %d:%d", path, k, p.line, p.col, p.vline, p.vcol))
      where(v[k], path .. "." .. k)
    end
  else
    for i = 1, #v do
      print(string.format("%s[%d] %d:%d", path, i, m.items[i].line, m.items[i].col))
      where(v[i], path .. "[" .. i .. "]")
    end
  end
end
where(doc, "")'

# yl YAML [LIMITS]: loads YAML (printf %b escapes allowed) with DUMP. Bad
# YAML is not an error of the script: a load that exits non-zero or writes
# to stderr (a sanitizer's or valgrind's report) is noted in UNCLEAN.
UNCLEAN=
yl() {
    printf '%b' "$1" > "$SCRATCH/in.yaml"
    run_hh -e "$DUMP" "$SCRATCH/in.yaml" "${2:-nil}"
    clean_run "$1"
}
clean_run() {
    [ "$RC" = 0 ] && [ -z "$ERR" ] || UNCLEAN="$UNCLEAN
$(printf '%.40s' "$1"): status $RC: $(printf '%.300s' "$ERR")"
}

# first: the value line(s) of OUT (all of it for errors).
first() { printf '%s\n' "$OUT" | sed '/^root /,$d'; }

# --- scalars ---------------------------------------------------------------

yl 'null: [~, null, Null, NULL, !!null ""]
empty:
bool: [true, True, TRUE, false, False, FALSE]
int: [0, 12, -3, +7, 00012, -0, 0o17, 0xff, 0xFF, 9223372036854775807, -9223372036854775808]
bigint: [9223372036854775808, 0x8000000000000000, 0o1000000000000000000000]
float: [1.5, -2e3, .5, 1., 1e3, +1.5E-2, .inf, -.Inf, +.INF, .nan, .NaN, 0.0, -0.0]
string: [yes, no, on, off, y, n, 1_000, 0X10, -0x10, 0o8, 1e, ., .., -.nan, 1.2.3, 12:30, ~~, nULL, tRUE]
'
is "$(first)" '{null=[null,null,null,null,null],empty=null,bool=[true,true,true,false,false,false],int=[i:0,i:12,i:-3,i:7,i:12,i:0,i:15,i:255,i:255,i:9223372036854775807,i:-9223372036854775808],bigint=[f:9.2233720368548e+18,f:9.2233720368548e+18,f:9.2233720368548e+18],float=[f:1.5,f:-2000.0,f:0.5,f:1.0,f:1000.0,f:0.015,f:inf,f:-inf,f:inf,f:nan,f:nan,f:0.0,f:-0.0],string=["yes","no","on","off","y","n","1_000","0X10","-0x10","0o8","1e",".","..","-.nan","1.2.3","12:30","~~","nULL","tRUE"]}' \
    "plain scalars resolve by the YAML 1.2 core schema (yes/no/on/off stay strings)"

yl "a: ['12', \"1.5\", 'true', \"null\", '~', '', \"\"]
b: |
  12
c: >-
  true
d: |+
  x

e: >
  folded
  line
"
is "$(first)" '{a=["12","1.5","true","null","~","",""],b="12\
",c="true",d="x\
\
",e="folded line\
"}' "quoted scalars, literal and folded blocks are always strings"

yl '[!!str 12, !!str true, !!str ~, !!str, !!int "42", !!int 0x1F, !!float 3, !!float "0.5", !!float 0o10,
 !!bool "true", !!null "", !!null "~", ! 12, ! true, !<tag:yaml.org,2002:int> "7", !!seq [1], !!map {a: 1}, ! [x]]'
is "$(first)" '["12","true","~","",i:42,i:31,f:3.0,f:0.5,f:8.0,true,null,null,"12","true",i:7,[i:1],{a=i:1},["x"]]' \
    "the standard tags are honoured (! makes a string)"

yl '1: one\n"2": two\n~: tilde\ntrue: yes\n1.5: f\n"": empty\n? |\n  block\n: b\n'
is "$(first)" '{1="one",2="two",~="tilde",true="yes",1.5="f",="empty",block
="b"}' "a scalar key is kept as its source text"
yl 'a: 1\n~: x\nnull: y\ntrue: p\nTrue: q\n1: m\n"1": n\n'
is "$OUT" "recipe.yaml:3:1: duplicate key 'null' (the same value as '~' at line 2)
recipe.yaml:5:1: duplicate key 'True' (the same value as 'true' at line 4)
recipe.yaml:7:1: duplicate key '1' (first at line 6; hh reads keys as names, so a quoted and a plain one of the same text are one key)" \
    "keys are compared by value (null and ~, true and True are one key); 1 and \"1\" differ in YAML but are one name here"
run_hh -e 'local d = require("hh.yaml").load("1: x\n") print(math.type(next(d)) or type(next(d)), d["1"], d[1])'
is "$OUT" "string	x	nil" "so 1: x has the key \"1\", not 1"

run_hh -e 'local yaml = require("hh.yaml")
print(yaml.null == cjson.null, type(yaml.null), yaml.load("a: ~\n").a == yaml.null)
print(yaml.limits.max_bytes, yaml.limits.max_depth, yaml.limits.max_nodes)
local doc, marks = yaml.load("x: 1\n")
print(doc.x, marks.root.kind)'
is "$OUT" "true	userdata	true
1048576	64	100000
1	map" "yaml.null is cjson.null; yaml.limits holds the defaults; the name is optional"

# --- collections, order and marks ------------------------------------------

yl 'zeta: 1
alpha:
  inner: [a, b]
  list:
    - x
    -
    - {k: v, j: [1, 2]}
    - - deep
mid: "s"
empty_map: {}
empty_seq: []
omega:
'
is "$OUT" '{zeta=i:1,alpha={inner=["a","b"],list=["x",null,{k="v",j=[i:1,i:2]},["deep"]]},mid="s",empty_map={},empty_seq=[],omega=null}
root map 1:1
 map 1:1
.zeta key 1:1 value 1:7
.alpha key 2:1 value 3:3
.alpha map 3:3
.alpha.inner key 3:3 value 3:10
.alpha.inner seq 3:10
.alpha.inner[1] 3:11
.alpha.inner[2] 3:14
.alpha.list key 4:3 value 5:5
.alpha.list seq 5:5
.alpha.list[1] 5:7
.alpha.list[2] 6:6
.alpha.list[3] 7:7
.alpha.list[3] map 7:7
.alpha.list[3].k key 7:8 value 7:11
.alpha.list[3].j key 7:14 value 7:17
.alpha.list[3].j seq 7:17
.alpha.list[3].j[1] 7:18
.alpha.list[3].j[2] 7:21
.alpha.list[4] 8:7
.alpha.list[4] seq 8:7
.alpha.list[4][1] 8:9
.mid key 9:1 value 9:6
.empty_map key 10:1 value 10:12
.empty_map map 10:12
.empty_seq key 11:1 value 11:12
.empty_seq seq 11:12
.omega key 12:1 value 12:7' "values in key order, with the line and column of every collection, key, value and item"

run_hh -e 'local yaml = require("hh.yaml")
local doc, marks = yaml.load("# c\n\n  - a\n  - b: 1\n", "x.yaml")
local m = marks[doc]
print(#doc, m.kind, m.line, m.col, m.order, m.keys, #m.items)
local m2 = marks[doc[2]]
print(m2.kind, #m2.order, m2.order[1], m2.keys.b.line, m2.keys.b.col, m2.keys.b.vline, m2.keys.b.vcol, m2.items)
print(marks.root.kind, marks.root.line, marks.root.col)'
is "$OUT" "2	seq	3	3	nil	nil	2
map	1	b	4	5	4	8	nil
seq	3	3" "marks hold kind, line, col and order/keys for mappings, items for sequences"

yl 'caf\xc3\xa9: "\xc3\xa9t\xc3\xa9"\nx: [\xe2\x82\xac, y]\n'
is "$(printf '%s\n' "$OUT" | tail -n 4)" '.x key 2:1 value 2:4
.x seq 2:4
.x[1] 2:5
.x[2] 2:8' "columns count characters, not bytes"

# --- empty documents --------------------------------------------------------

for doc in '' '# only a comment\n' '\n\n' '---\n' '--- ~\n'; do
    yl "$doc"
    is "$(first)" "null" "an empty document ('$doc') is yaml.null"
done
yl ''
is "$(printf '%s\n' "$OUT" | sed -n 2p)" "root scalar 1:1" "and its root is at 1:1"
yl '42\n'
is "$OUT" "i:42
root scalar 1:1" "a scalar document is that scalar"
yl '--- # c\na: 1\n...\n'
is "$(first)" "{a=i:1}" "document markers are allowed around the one document"

# --- anchors and aliases -----------------------------------------------------

yl 'base: &b {x: 1, l: [1, 2]}
one: *b
many: [*b, *s, &s str, *s]
' 2>/dev/null
is "$(first)" "recipe.yaml:3:12: found undefined alias *s" "an alias before its anchor is an error"

yl 'base: &b {x: 1, l: [1, 2]}
s: &s text
n: &n 0x10
one: *b
many: [*s, *n, *b]
*s : keyed
'
is "$OUT" '{base={x=i:1,l=[i:1,i:2]},s="text",n=i:16,one={x=i:1,l=[i:1,i:2]},many=["text",i:16,{x=i:1,l=[i:1,i:2]}],text="keyed"}
root map 1:1
 map 1:1
.base key 1:1 value 1:7
.base map 1:7
.base.x key 1:11 value 1:14
.base.l key 1:17 value 1:20
.base.l seq 1:20
.base.l[1] 1:21
.base.l[2] 1:24
.s key 2:1 value 2:4
.n key 3:1 value 3:4
.one key 4:1 value 4:6
.one map 1:7
.one.x key 1:11 value 1:14
.one.l key 1:17 value 1:20
.one.l seq 1:20
.one.l[1] 1:21
.one.l[2] 1:24
.many key 5:1 value 5:7
.many seq 5:7
.many[1] 5:8
.many[2] 5:12
.many[3] 5:16
.many[3] map 1:7
.many[3].x key 1:11 value 1:14
.many[3].l key 1:17 value 1:20
.many[3].l seq 1:20
.many[3].l[1] 1:21
.many[3].l[2] 1:24
.text key 6:1 value 6:6' "aliases copy their anchor's value; a copy's marks are its anchor's, the entry points at the alias"

run_hh -e 'local yaml = require("hh.yaml")
local doc, marks = yaml.load("a: &x {k: [1]}\nb: *x\nc: *x\n")
print(doc.a ~= doc.b, doc.b ~= doc.c, doc.a.k ~= doc.b.k, marks[doc.b] == marks[doc.a])
doc.b.k[1] = 99
print(doc.a.k[1], doc.c.k[1])'
is "$OUT" "true	true	true	true
1	1" "each alias is an independent deep copy (marks records are shared, read-only)"

yl 'a: &a [1, 2]\nb: &a [3]\nc: *a\n'
is "$(first)" "{a=[i:1,i:2],b=[i:3],c=[i:3]}" "an anchor defined again names the later node"

yl 'a: &x [1, *x]\n'
is "$OUT" "recipe.yaml:1:11: the alias *x is inside the node it names" "a recursive alias is an error"
yl 'a: *nope\n'
is "$OUT" "recipe.yaml:1:4: found undefined alias *nope" "an alias to an unknown anchor is an error"

# --- errors -------------------------------------------------------------------

yl 'name: x\nlist:\n  - a\n   b: c\n'
is "$OUT" "recipe.yaml:4:5: mapping values are not allowed in this context" "a libyaml syntax error at its problem mark"
yl 'a: b: c\n'
is "$OUT" "recipe.yaml:1:5: mapping values are not allowed in this context" "another"
yl 'key: [1, 2\nnext: 3\n'
is "$OUT" "recipe.yaml:1:6: this [ list is not closed with ] (or a ',' is missing between its items); noticed at line 2, column 5" \
    "an unclosed list: said plainly, where it began, and where libyaml noticed it"
yl 'a: "unterminated\n'
is "$OUT" "recipe.yaml:1:4: this quoted string is never closed: the file ends inside it" \
    "an unterminated quote, at the quote"
yl 'prompt: x\nfoo\nmode: std\n'
is "$OUT" "recipe.yaml:2:1: this key has no ':' after it (or a value goes on without being indented); noticed at line 3, column 1" \
    "a key without its colon, at the key"
yl 'a: {x: 1\nb: 2\n'
like "$OUT" "^recipe.yaml:1:4: this \{ mapping is not closed with \} \(or a ',' is missing between its entries\)" "an unclosed mapping"
yl 'a: [1, 2]\nb: c d: e\n'
is "$OUT" "recipe.yaml:2:7: mapping values are not allowed in this context" "other libyaml messages as libyaml says them"
yl 'a:\n\t- b\n'
is "$OUT" "recipe.yaml:2:1: found character that cannot start any token (while scanning for the next token); YAML indents with spaces, not tabs" \
    "a tab used for indentation is named"

yl 'prompt: one\nmode: std\n\nprompt: two\n'
is "$OUT" "recipe.yaml:4:1: duplicate key 'prompt' (first at line 1)" "a duplicate key, with where the first was"
yl 'a:\n  x: 1\n  "x": 2\n  ? x\n  : 3\n'
is "$OUT" "recipe.yaml:3:3: duplicate key 'x' (first at line 2)
recipe.yaml:4:5: duplicate key 'x' (first at line 2)" "quoting or ? does not make another key"

yl 'a: 1\n---\nb: 2\n'
is "$OUT" "recipe.yaml:2:1: only one YAML document is allowed" "a second document"
yl 'a: 1\n...\nb: 2\n'
is "$OUT" "recipe.yaml:3:1: did not find expected <document start>" "after ..., libyaml wants ---"
yl 'a: 1\n...\n---\nb: 2\n'
is "$OUT" "recipe.yaml:3:1: only one YAML document is allowed" "and that is a second document"

yl 'a: !foo 1\nb: !!binary aGk=\nc: !foo {x: 1}\nd: !<tag:example.com,2000:x> [1]\n'
is "$OUT" "recipe.yaml:1:4: the tag !foo is not supported
recipe.yaml:2:4: the tag !!binary is not supported
recipe.yaml:3:4: the tag !foo is not supported
recipe.yaml:4:4: the tag tag:example.com,2000:x is not supported" "tags other than the standard ones"
yl '- !!seq x\n- !!map [1]\n- !!str [1]\n- !!int {}\n'
is "$OUT" "recipe.yaml:1:3: the tag !!seq does not apply to a scalar
recipe.yaml:2:3: the tag !!map does not apply to a sequence
recipe.yaml:3:3: the tag !!str does not apply to a sequence
recipe.yaml:4:3: the tag !!int does not apply to a mapping" "a standard tag on the wrong kind of node"
yl '- !!int abc\n- !!int 1.5\n- !!float x\n- !!bool yes\n- !!null 0\n'
is "$OUT" "recipe.yaml:1:3: 'abc' is not a valid !!int
recipe.yaml:2:3: '1.5' is not a valid !!int
recipe.yaml:3:3: 'x' is not a valid !!float
recipe.yaml:4:3: 'yes' is not a valid !!bool
recipe.yaml:5:3: '0' is not a valid !!null" "a standard tag on text that is not of its type"

yl 'base: &b {x: 1}\nthing:\n  <<: *b\n  y: 2\n'
is "$OUT" "recipe.yaml:3:3: merge keys (<<) are not supported: share settings with defaults: (fields every job gets) or a base file named by extends: (its vars, defaults and extra merge key by key)" "merge keys: refused, saying what to use instead"
yl '"<<": quoted\n'
is "$(first)" '{<<="quoted"}' "a quoted << is an ordinary key"

yl '[1, 2]: x\n? {a: 1}\n: y\n'
is "$OUT" "recipe.yaml:1:1: a mapping key must be a scalar, not a sequence
recipe.yaml:2:3: a mapping key must be a scalar, not a mapping" "a non-scalar key"
yl 'a: &m {x: 1}\n*m : y\n'
is "$OUT" "recipe.yaml:2:1: a mapping key must be a scalar, not a mapping" "also through an alias"

yl 'a: 1\nb: !foo 2\na: 3\nc:\n  <<: {}\nd: !!int x\ne: [1\n'
is "$OUT" "recipe.yaml:2:4: the tag !foo is not supported
recipe.yaml:3:1: duplicate key 'a' (first at line 1)
recipe.yaml:5:3: merge keys (<<) are not supported: share settings with defaults: (fields every job gets) or a base file named by extends: (its vars, defaults and extra merge key by key)
recipe.yaml:6:4: 'x' is not a valid !!int
recipe.yaml:7:4: this [ list is not closed with ] (or a ',' is missing between its items); noticed at line 8, column 1" \
    "every error is reported, up to the first syntax error"

python3 -c 'print("\n".join("k: %d" % i for i in range(150)))' > "$SCRATCH/dups.yaml"
run_hh -e "$DUMP" "$SCRATCH/dups.yaml"
clean_run dups
is "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" 101 "at most 100 errors are listed"
is "$(printf '%s\n' "$OUT" | tail -n 2)" "recipe.yaml:101:1: duplicate key 'k' (first at line 1)
recipe.yaml: too many errors; stopped after 100" "then a line saying so"

long=$(printf 'x%.0s' $(seq 1 80))
yl "\"\\\\x1b[2J$long\": 1\n\"\\\\x1b[2J$long\": 2\n"
is "$OUT" "recipe.yaml:2:1: duplicate key '\\x1b[2Jxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' (first at line 1)" \
    "a key in a message has control characters escaped and is cut short"

# --- bad bytes ------------------------------------------------------------------

yl 'a: ok\nb: \xff\n'
is "$OUT" "recipe.yaml:2:4: invalid leading UTF-8 octet (#xFF)" "invalid UTF-8, at its line and column"
yl 'a: "\xc3\xa9\xc3"\n'
is "$OUT" "recipe.yaml:1:6: invalid trailing UTF-8 octet (#x22)" "a truncated UTF-8 sequence"
yl 'a: \xc3\xa9\xc3'
is "$OUT" "recipe.yaml:1:5: incomplete UTF-8 octet sequence" "one cut by the end of the text"
yl 'a: \xed\xa0\x80\n'
is "$OUT" "recipe.yaml:1:4: invalid Unicode character (#xD800)" "a surrogate"
yl 'a: b\x00c\n'
is "$OUT" "recipe.yaml:1:5: control characters are not allowed (#x0)" "a NUL byte"
yl 'a: b\x1bc\n'
is "$OUT" "recipe.yaml:1:5: control characters are not allowed (#x1B)" "a control character"
yl '\xff\xfea\x00:\x00 \x001\x00'
is "$OUT" "recipe.yaml:1:1: the text is UTF-16; only UTF-8 is supported" "UTF-16"
yl '\xef\xbb\xbfa: 1\nb: [\n'
is "$OUT" "recipe.yaml:3:1: did not find expected node content (while parsing a flow node)" "a UTF-8 byte order mark is skipped"
yl '\xef\xbb\xbfa: \xff'
is "$OUT" "recipe.yaml:1:4: invalid leading UTF-8 octet (#xFF)" "and is not a column"
yl 'a: "x\\u0000y"\n'
is "$(first)" '{a="x\0y"}' "an escaped NUL in a quoted string is kept"

# --- limits ----------------------------------------------------------------------

bomb='a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
'
start=$(now_ms)
yl "$bomb"
took=$(($(now_ms) - start))
is "$OUT" "recipe.yaml:6:8: aliases expand to more than 100000 nodes" "a billion-laughs document fails at the alias that passes the limit"
limit=1000
[ "${HH_VALGRIND:-0}" = 1 ] && limit=20000
ok "$([ "$took" -lt "$limit" ]; echo $?)" "quickly ($took ms), without building it"
yl "$bomb" '{max_nodes = 1000}'
is "$OUT" "recipe.yaml:4:8: aliases expand to more than 1000 nodes" "max_nodes lowers the bound"
yl 'a: &a [1, 2, 3]\nb: [*a, *a, *a]\n' '{max_nodes = 20}'
is "$(first)" "{a=[i:1,i:2,i:3],b=[[i:1,i:2,i:3],[i:1,i:2,i:3],[i:1,i:2,i:3]]}" \
    "every node counts, keys and copies included: 20 nodes fit in 20"
yl 'a: &a [1, 2, 3]\nb: [*a, *a, *a]\n' '{max_nodes = 19}'
is "$OUT" "recipe.yaml:2:13: aliases expand to more than 19 nodes" "and not in 19"
python3 -c 'print("[" + ",".join(["1"] * 100001) + "]")' > "$SCRATCH/many.yaml"
run_hh -e "$DUMP" "$SCRATCH/many.yaml"
clean_run many
is "$OUT" "recipe.yaml:1:200000: the document has more than 100000 nodes" "a large document without aliases says so"

deep() { python3 -c "import sys; n = int(sys.argv[1]); print('[' * n + ']' * n)" "$1"; }
yl "$(deep 64)"
is "$(printf '%s\n' "$OUT" | sed -n 2p)" "root seq 1:1" "64 levels of nesting load"
yl "$(deep 70)"
is "$OUT" "recipe.yaml:1:65: nesting deeper than 64 levels" "70 levels fail at the 65th"
python3 -c 'print("".join("  " * i + "k%d:\n" % i for i in range(70)))' > "$SCRATCH/deepmap.yaml"
run_hh -e "$DUMP" "$SCRATCH/deepmap.yaml"
clean_run deepmap
is "$OUT" "recipe.yaml:65:129: nesting deeper than 64 levels" "block mappings too"
yl "$(deep 70)" '{max_depth = 70}'
is "$(printf '%s\n' "$OUT" | sed -n 2p)" "root seq 1:1" "max_depth raises the bound"
yl "$(deep 1000)" '{max_depth = 1000}'
is "$(printf '%s\n' "$OUT" | sed -n 2p)" "root seq 1:1" "up to 1000 levels"
yl 'a: {b: {c: 1}}\n' '{max_depth = 2}'
is "$OUT" "recipe.yaml:1:8: nesting deeper than 2 levels" "or lowers it"
yl 'a: &a [[[1]]]\nb: [[*a]]\n' '{max_depth = 5}'
is "$OUT" "recipe.yaml:2:6: nesting deeper than 5 levels" "the depth of an alias's copy counts where it lands"

python3 -c 'import sys; sys.stdout.write("x: " + "a" * (2 * 1024 * 1024) + "\n")' > "$SCRATCH/big.yaml"
run_hh -e "$DUMP" "$SCRATCH/big.yaml"
clean_run big
is "$OUT" "recipe.yaml: the file is larger than 1048576 bytes" "a 2 MiB text fails the size limit"
run_hh -e "$DUMP" "$SCRATCH/big.yaml" '{max_bytes = 3 * 1024 * 1024}'
clean_run big-allowed
is "$(printf '%s\n' "$OUT" | sed -n 2p)" "root map 1:1" "max_bytes raises it"
yl 'a: 12345\n' '{max_bytes = 8}'
is "$OUT" "recipe.yaml: the file is larger than 8 bytes" "or lowers it"
yl 'a: 1234\n' '{max_bytes = 8}'
is "$(first)" "{a=i:1234}" "a text of exactly max_bytes loads"

# --- misuse raises -----------------------------------------------------------------

run_hh -e 'require("hh.yaml").load("a: 1", "x", {max_depht = 3})'
like "$ERR" "\(command line\):1: hh.yaml.load: unknown limit max_depht \(max_bytes, max_depth, max_nodes\)" "an unknown limit raises"
run_hh -e 'require("hh.yaml").load("a: 1", "x", {max_depth = 1001})'
like "$ERR" "\(command line\):1: hh.yaml.load: limits.max_depth must be a whole number from 1 to 1000" "a limit out of range raises"
run_hh -e 'require("hh.yaml").load("a: 1", "x", {max_nodes = 1.5})'
like "$ERR" "hh.yaml.load: limits.max_nodes must be a whole number from 1 to 1073741824" "so does a fraction"
run_hh -e 'require("hh.yaml").load(nil)'
like "$ERR" "\(command line\):1: bad argument #1 to 'load' \(string expected, got nil\)" "text must be a string"
run_hh -e 'require("hh.yaml").load("a: 1", "x", {max_bytes = "10"})'
like "$ERR" "hh.yaml.load: limits.max_bytes must be a whole number from 1 to 1073741824" "a limit must be a number, not a string"
run_hh -e 'require("hh.yaml").load("a: 1", "x", "max_depth=3")'
like "$ERR" "bad argument #3 to 'load' \(table expected, got string\)" "limits must be a table"
run_hh -e 'local d, e = require("hh.yaml").load("a: [") print(d, e[1])'
is "$OUT" "nil	(yaml):2:1: did not find expected node content (while parsing a flow node)" "without a name, messages say (yaml)"

is "$UNCLEAN" "" "every load above exited 0 with nothing on stderr"

done_testing
