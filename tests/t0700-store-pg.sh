#!/usr/bin/env bash
# hh.pg against a real PostgreSQL: connecting (and a wrong password kept
# out of the message), values by column type, parameters, affected counts,
# SQL errors with their SQLSTATE, several statements, the statistics, a
# closed connection, and a server that goes away under a connection.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"
. "$(dirname "$0")/lib-pg.sh"
pg_start

# lua 'LUA CODE' [ARGS...]: run_lua; a script that fails (a sanitizer's
# report included) fails the test. pg_lua: with the password where libpq looks.
lua() {
    run_lua "$@"
    [ "$RC" -eq 0 ] || { ok 1 "the script exits 0 (status $RC)"; printf '# %s\n' "$ERR"; }
}
pg_lua() { PGPASSWORD=$PG_PASSWORD lua "$@"; }

pg_lua '
local pg = require("hh.pg")
local c, err = pg.connect(arg[1])
print(c ~= nil, err, c and c:ok(), c and c:rows("select current_user as u")[1].u)
' "$PG_URL"
is "$RC:$OUT" "0:true	nil	true	hh" "connects with the password from PGPASSWORD"

wrong=wrong$(od -An -tx1 -N6 /dev/urandom | tr -d ' \n')
PGPASSWORD=$wrong lua '
local c, err = require("hh.pg").connect(arg[1])
print(c, err)
' "$PG_URL"
like "$OUT" '^nil	cannot connect to the store: .*password authentication failed for user "hh"$' "a wrong password: nil and the reason"
unlike "$OUT" "$wrong" "the message does not hold the password"
lua '
local c, err = require("hh.pg").connect(arg[1])
print(c, err)
' "postgresql://hh:$wrong@127.0.0.1:$PG_PORT/hh"
like "$OUT" '^nil	cannot connect to the store: ' "a wrong password in the URL: nil and the reason"
unlike "$OUT" "$wrong" "without the password"
lua 'print(require("hh.pg").connect(arg[1]))' "postgresql://hh:$wrong@[::1/hh"
like "$OUT" '^nil	cannot connect to the store: the connection string is not valid' "an unparsable URL is refused"
unlike "$OUT" "$wrong" "without echoing its password"

pg_lua '
local c = assert(require("hh.pg").connect(arg[1]))
local r = c:rows([[select 1::int2 as s, -2::int4 as i, 9007199254740993::int8 as b, 42::oid as o,
  12::numeric as n, 1.5::numeric as nd, 123456789012345678901234567890::numeric as nbig,
  0.25::float8 as f, 0.5::float4 as f4, true as t, false as ff, $$it'"'"'s$$::text as x,
  null::int as z, $$2026-01-02$$::date as d]])
local keys = {}
for k in pairs(r[1]) do keys[#keys + 1] = k end
table.sort(keys)
for _, k in ipairs(keys) do
  local v = r[1][k]
  io.write(k, "=", math.type(v) or type(v), ":", tostring(v), " ")
end
print(#r, r[1].z == nil)
' "$PG_URL"
is "$OUT" "b=integer:9007199254740993 d=string:2026-01-02 f=float:0.25 f4=float:0.5 ff=boolean:false i=integer:-2 n=integer:12 nbig=float:1.2345678901235e+29 nd=float:1.5 o=integer:42 s=integer:1 t=boolean:true x=string:it's 1	true" \
    "rows() converts int2/int4/int8/oid, numeric, floats, bool, text; NULL is absent"

pg_lua '
local c = assert(require("hh.pg").connect(arg[1]))
local big = string.rep("x", 102400)
local q = [[it'"'"'s a "quote" \ $1]]
local r = c:rows([[select $1::text is null as isnull, $2::bool as yes, $3::bool as no, $4::int8 as i,
  $5::int8 as imin, $6::float8 as f, $7::text as s, $8::text as big, $9::float8 as third]],
  nil, true, false, 4611686018427387904, math.mininteger, 0.1, q, big, 1 / 3)[1]
print(r.isnull, r.yes, r.no, r.i == 4611686018427387904, r.imin == math.mininteger, r.f == 0.1,
  r.s == q, r.big == big, #r.big, r.third == 1 / 3)
print(pcall(c.rows, c, "select $1::text as v", "a\0b"))
print(pcall(c.rows, c, "select $1::text as v", {}))
' "$PG_URL"
is "$(sed -n 1p <<< "$OUT")" "true	true	false	true	true	true	true	true	102400	true" \
    "nil, true, false, integers, floats, a quoted string and 100 KB round-trip"
is "$(sed -n 2p <<< "$OUT")" "false	postgresql: parameter 1: a string with a NUL byte cannot be stored" "a string with a NUL byte is refused"
is "$(sed -n 3p <<< "$OUT")" "false	postgresql: parameter 1: cannot store a table" "a table is refused"

pg_lua '
local c = assert(require("hh.pg").connect(arg[1]))
local out = {}
out[#out + 1] = c:run("create table jobs (id int primary key, state text)")
for i = 1, 3 do out[#out + 1] = c:run("insert into jobs values ($1, $2)", i, "queued") end
out[#out + 1] = c:run("update jobs set state = $1 where id >= $2", "done", 2)
out[#out + 1] = c:run("update jobs set state = $1 where id > 100", "done")
out[#out + 1] = c:run("delete from jobs")
print(table.concat(out, " "), math.type(out[1]))
' "$PG_URL"
is "$OUT" "0 1 1 1 2 0 3	integer" "run() returns the rows affected, as an integer"

pg_lua '
local c = assert(require("hh.pg").connect(arg[1]))
local ok, err = pcall(c.rows, c, "select * from missing_table")
print(ok, err)
print(c:last_sqlstate())
c:rows("select 1 as one")
print(c:last_sqlstate())
ok, err = pcall(c.run, c, "insert into nowhere values (1)")
print(ok, err, c:last_sqlstate())
ok, err = pcall(c.exec, c, "select 1/0")
print(err, c:last_sqlstate())
' "$PG_URL"
is "$(sed -n 1p <<< "$OUT")" 'false	postgresql: relation "missing_table" does not exist (SQLSTATE 42P01)' \
    "an SQL error raises the server's message and SQLSTATE"
is "$(sed -n 2p <<< "$OUT")" 42P01 "last_sqlstate() names it"
is "$(sed -n 3p <<< "$OUT")" nil "and is nil after a call that succeeds"
is "$(sed -n 4p <<< "$OUT")" 'false	postgresql: relation "nowhere" does not exist (SQLSTATE 42P01)	42P01' "run() raises the same way"
is "$(sed -n 5p <<< "$OUT")" 'postgresql: division by zero (SQLSTATE 22012)	22012' "so does exec()"

pg_lua '
local c = assert(require("hh.pg").connect(arg[1]))
print(select("#", c:exec([[create table t (a int); insert into t values (1), (2);
  insert into t values (3); do $$ begin raise notice $n$a notice$n$; end $$;]])))
print(c:rows("select count(*)::int as n, sum(a)::int as s from t")[1].n)
print(pcall(c.exec, c, "insert into t values (4); select * from nope"))
print(c:rows("select count(*)::int as n from t")[1].n)
print(pcall(c.exec, c, "copy t to stdout"))
print(pcall(c.exec, c, "copy t from stdin"))
print(c:rows("select count(*)::int as n from t")[1].n)
c:exec("")
' "$PG_URL"
is "$(sed -n 1,2p <<< "$OUT" | tr '\n' ' ')" "0 3 " "exec() runs several statements and returns nothing"
like "$(sed -n 3,4p <<< "$OUT" | tr '\n' ' ')" '^false	postgresql: relation "nope" does not exist \(SQLSTATE 42P01\) 3 $' \
    "a failing exec() undoes its earlier statements"
like "$(sed -n 5,7p <<< "$OUT" | tr '\n' ' ')" '^false	postgresql: COPY is not supported here false	postgresql: .*COPY.* 3 $' \
    "a COPY is refused and the connection stays usable"
is "$ERR" "" "the server's notices are not printed"

pg_lua '
local c = assert(require("hh.pg").connect(arg[1]))
local s0 = c:stats()
c:exec("select 1")
c:rows("select $1::int as v", 5)
c:run("select 1")
pcall(c.rows, c, "select * from nope")
pcall(c.rows, c, "select $1::text", {})
local s = c:stats()
print(s0.round_trips, s.round_trips, s.seconds > 0, s.seconds < 10, math.type(s.seconds))
print(c:reset(), c:ok(), c:rows("select 2 as v")[1].v)
c:close()
c:close()
print(c:ok(), pcall(c.rows, c, "select 1"))
print(pcall(c.exec, c, "select 1"))
print(pcall(c.reset, c))
collectgarbage()
' "$PG_URL"
is "$(sed -n 1p <<< "$OUT")" "0	4	true	true	float" "stats() counts the round trips and the time in them"
is "$(sed -n 2p <<< "$OUT")" "true	true	2" "reset() reconnects"
is "$(sed -n 3,5p <<< "$OUT")" "false	false	postgresql: the connection is closed
false	postgresql: the connection is closed
false	postgresql: the connection is closed" "a closed connection raises 'the connection is closed' (close twice is harmless)"

# The server goes away under an open connection: the script connects, says
# so, and queries once the server is stopped.
code='
local c = assert(require("hh.pg").connect(arg[1]))
print(c:rows("select 1 as v")[1].v, c:ok())
io.open(arg[2], "w"):close()
while not io.open(arg[3]) do hh.sleep(0.02) end
local ok, err = pcall(c.rows, c, "select 1 as v")
print(ok, (err:gsub("\n.*", "")))
print(c:ok(), c:reset())
'
( pg_lua "$code" "$PG_URL" "$SCRATCH/connected" "$SCRATCH/stopped"; printf '%s' "$OUT" > "$SCRATCH/bg.out"; echo "$RC" > "$SCRATCH/bg.rc" ) &
bg=$!
for _ in $(seq 500); do [ -e "$SCRATCH/connected" ] && break; sleep 0.02; done
pg_stop
touch "$SCRATCH/stopped"
wait "$bg"
OUT=$(cat "$SCRATCH/bg.out")
is "$(cat "$SCRATCH/bg.rc")" 0 "a stopped server: the script runs"
is "$(sed -n 1p <<< "$OUT")" "1	true" "connected before"
diag "$(sed -n 2p <<< "$OUT")"
like "$(sed -n 2p <<< "$OUT")" '^false	postgresql: ' "a query after the server stopped raises"
is "$(sed -n 3p <<< "$OUT")" "false	false" "then ok() is false, and reset() cannot reconnect"

done_testing
