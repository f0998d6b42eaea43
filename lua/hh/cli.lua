-- hh.cli: the command line. `hh SCRIPT.lua`, `hh -e CODE`, `hh generate`,
-- `hh status`, `hh wait`, `hh version`, `hh help`. Every command runs its
-- work as a job on the loop (hh.core.run) and turns outcomes into the exit
-- codes documented in docs/cli.md.

local args = require("hh.args")
local core = require("hh.core")
local display = require("hh.display")
local startup = require("hh.startup")

local M = {}

M.EXIT = { ok = 0, error = 1, usage = 2, refused = 3, failed = 4, unreachable = 5, interrupted = 130 }
local EXIT = M.EXIT

local say = display.say

local function tracing()
  local t = os.getenv("HH_TRACE")
  return t ~= nil and t ~= "" and t ~= "0"
end

-- Exit code for an expected failure class.
local function exit_for(class)
  if class == "auth" or class == "quota" or class == "forbidden" or class == "invalid" or class == "stopped"
      or class == "not_found" then
    return EXIT.refused
  end
  if class == "interrupted" then return EXIT.interrupted end
  if (class == "not_sent" or class == "transport") and startup.unreachable() then return EXIT.unreachable end
  return EXIT.failed
end

-- An error in hh's own code: one line, or the traceback with HH_TRACE set.
-- Invalid input found where hh is first loaded (HH_BASE_URL, HH_SETTINGS)
-- is kept as it is, for exit 2.
local function internal(e)
  if type(e) == "table" and e.usage then return e end
  if tracing() then return debug.traceback(tostring(e), 2) end
  return startup.clean(e)
end

local function run_loop(fn, ...)
  local failed, aborted, interrupts = core.run(fn, ...)
  return failed, aborted, interrupts
end

-- Runs a command's work as a job; its exit status is what fn returns. An
-- error raised in it is hh's own (the command checked its input first):
-- one line and exit 1, never a success.
local function run_command(fn)
  local code
  local _, aborted, interrupts = run_loop(function()
    local ok, res = xpcall(fn, internal)
    if ok then code = res else io.stderr:write("hh: error: ", display.safe(res, true), "\n") code = EXIT.error end
  end)
  if aborted or interrupts > 0 then return EXIT.interrupted end
  return code or EXIT.error
end

local HELP = {}

HELP.main = [[
usage: hh check RECIPE             validate a recipe (YAML or Lua) without network
       hh plan RECIPE [--json]     the job table and what it will cost
       hh run RECIPE [--out DIR]   run it: submit, wait, download, rerun, manifest
       hh resume DIR               continue a run (after Ctrl-C, a crash, a reboot)
       hh show DIR / hh runs       what a run did and spent / every run
       hh export DIR [--csv]       a run's jobs as CSV or JSON lines
       hh report DIR [--open]      DIR/report.html: summary, grid, A/B, blind judging
       hh report DIR --grid-image  DIR/grid.png: one page of the grid as one picture
       hh view DIR                 open the report in the browser (live while hh run runs)
       hh qc DIR | FILE...         check clips: conformance, black, frozen, silence, cuts
       hh votes import DIR FILE... merge exported votes into DIR/votes.jsonl
       hh spend [--by person]      a team store's budgets and spending (hh run --store)
       hh SCRIPT.lua [ARGS...]     run a Lua script with `hh` and `cjson` loaded
       hh -e CODE                  run a line of Lua
       hh generate --prompt TEXT [options] [--wait] [-o FILE]
       hh status TASK_ID
       hh wait TASK_ID [-o FILE]
       hh version
       hh help [COMMAND]           (hh help --man: the man page; --completion bash|zsh)

Environment: HH_API_KEY (or ~/.config/hh/credentials, mode 0600),
HH_BASE_URL (default https://happyhorse.app), HH_SETTINGS (name=value,...
as hh.config takes), HH_LUA_PATH (load lua/ from disk), HH_TRACE=1 (trace
HTTP, Authorization redacted), NO_COLOR.

Exit codes: 0 ok, 1 script error, 2 usage or invalid input (nothing sent),
3 the API refused (key, credits, request, unknown task id), 4 some jobs failed,
5 the host could not be reached, 130 interrupted.]]

local COMMON = {
  { name = "base-url", arg = "URL", help = "API base URL (default $HH_BASE_URL or https://happyhorse.app)" },
  { name = "rate", arg = "N", help = "API requests a second for this run" },
  { name = "json", flag = true, help = "print the result as JSON" },
  { name = "help", short = "h", flag = true, help = "show this help" },
}

local function with_common(spec) return args.with(spec, COMMON) end

local GENERATE = with_common({
  { name = "prompt", short = "p", arg = "TEXT", help = "what to make (up to 2500 characters)" },
  { name = "mode", arg = "std|pro", help = "quality mode (default std)" },
  { name = "duration", short = "d", arg = "SECONDS", help = "3 to 15 (default 5)" },
  { name = "aspect", arg = "RATIO", help = "16:9, 9:16 or 1:1 (default 16:9)" },
  { name = "sound", flag = true, negatable = true, help = "native audio (default on; --no-sound turns it off)" },
  { name = "cfg", arg = "X", help = "prompt adherence, 0 to 1 (default 0.5)" },
  { name = "image", arg = "URL", many = true, help = "first (and last) frame image; repeatable" },
  { name = "set", arg = "FIELD=VALUE", many = true, help = "any other API field, JSON-typed, e.g. --set seed=42" },
  { name = "extra", arg = "NAME=VALUE", many = true, help = "a field only some hosts know, sent unchanged" },
  { name = "wait", short = "w", flag = true, help = "wait until the task is final" },
  { name = "output", short = "o", arg = "FILE", help = "download the video to FILE (implies --wait)" },
  { name = "deadline", arg = "SECONDS", help = "give up waiting after this long" },
})

local STATUS = with_common({})
local WAIT = with_common({
  { name = "output", short = "o", arg = "FILE", help = "download the video to FILE" },
  { name = "deadline", arg = "SECONDS", help = "give up waiting after this long" },
})

HELP.generate = "usage: hh generate --prompt TEXT [options]\n\nSubmits one generation; prints the task id, or with --wait the result.\n\n" .. args.usage(GENERATE)
HELP.status = "usage: hh status TASK_ID [--json]\n\nAsks once for a task's status.\n\n" .. args.usage(STATUS)
HELP.wait = "usage: hh wait TASK_ID [-o FILE] [--deadline SECONDS]\n\nWaits until the task is final; downloads its video with -o.\n\n" .. args.usage(WAIT)
HELP.version = "usage: hh version\n\nPrints the versions of hh, Lua, libcurl, libyaml and SQLite."

-- Loads hh for a command with its --base-url and --rate; or prints what is
-- wrong (one line) and returns nil and the exit status.
local function connect(name, opts)
  local rate, rerr = args.number(opts, "rate", 0, 1e6)
  if rerr then say("%s: %s", name, rerr) return nil, EXIT.usage end
  local hh, err = startup.connect({ base_url = opts["base-url"], rate = rate })
  if not hh then say("%s", err) return nil, EXIT.usage end
  return hh
end

local function print_result(r, as_json)
  if as_json then
    local copy = {}
    for k, v in pairs(r) do if k ~= "raw" and k ~= "answer" then copy[k] = v end end
    io.stdout:write(require("hh.json").encode(copy), "\n")
  else
    display.print(r.file or r.url or r.status or "?")
  end
end

-- Parses a --set value as JSON when it reads as JSON, else as a string.
local function set_value(text)
  local json = require("hh.json")
  local v = json.decode(text)
  if v ~= nil and v ~= json.null then return v end
  if text == "null" then return json.null end
  return text
end

-- FIELD=VALUE pairs of --set (known fields) or --extra (fields hh does not
-- know, sent unchanged) into params; every problem is said. True if none.
local function add_fields(params, opts, profile)
  local fine = true
  local function bad(...) say(...) fine = false end
  for _, option in ipairs({ "set", "extra" }) do
    for _, kv in ipairs(opts[option] or {}) do
      local k, v = kv:match("^([%a_][%w_]*)=(.*)$")
      if not k then
        bad("generate: --%s: expected FIELD=VALUE, got %q", option, kv)
      elseif option == "set" then
        local why = profile.unknown_field(require("hh").profile(), k,
          "pass fields only some hosts know with --extra NAME=VALUE")
        if why then bad("generate: --set %s: %s", kv, (why:gsub("^[%w_]+: ", "", 1))) else params[k] = set_value(v) end
      elseif profile.KNOWN[k] then
        bad("generate: --extra %s: is an API field; use --set %s", kv, kv)
      else
        params.extra = params.extra or {}
        params.extra[k] = set_value(v)
      end
    end
  end
  return fine
end

local function cmd_generate(argv)
  local opts, rest = args.command(GENERATE, "generate", argv, HELP.generate)
  if not opts then return rest end
  if #rest > 0 then say("generate: unexpected argument %q", rest[1]) return EXIT.usage end
  if opts.output == "" then say("generate: --output needs a file name") return EXIT.usage end
  local deadline, err = args.number(opts, "deadline", 0)
  if err then say("generate: %s", err) return EXIT.usage end
  local hh, code = connect("generate", opts)
  if not hh then return code end
  local params = { prompt = opts.prompt, mode = opts.mode, aspect_ratio = opts.aspect, sound = opts.sound,
                   image_urls = opts.image }
  local fine = true
  for _, name in ipairs({ "duration", "cfg" }) do
    if opts[name] then
      local n = tonumber(opts[name])
      if not n then say("generate: --%s: expected a number, got %q", name, opts[name]) fine = false end
      params[name == "cfg" and "cfg_scale" or name] = n
    end
  end
  fine = add_fields(params, opts, require("hh.profile")) and fine
  if not fine then return EXIT.usage end
  local problems = require("hh.rules").check(params)
  if #problems > 0 then
    for _, p in ipairs(problems) do say("generate: %s: %s", p.field, p.rule) end
    return EXIT.usage
  end
  local keyok, keyerr = core.check_key()
  if not keyok then say("%s", keyerr) return EXIT.refused end
  return run_command(function()
    local t, msg, class = hh.generate(params)
    if not t then say("%s", msg) return exit_for(class) end
    if not (opts.wait or opts.output) then
      if opts.json then
        io.stdout:write(require("hh.json").encode({ task_id = t.id, credits = t.credits }), "\n")
      else
        display.print(t.id)
      end
      return EXIT.ok
    end
    say("task %s submitted (%d credits); waiting", t.id, t.credits)
    local r, wmsg, wclass = hh.wait(t, { output = opts.output, deadline = deadline })
    if not r then say("%s", wmsg) return exit_for(wclass) end
    print_result(r, opts.json)
    return EXIT.ok
  end)
end

local function task_command(name, spec, argv, fn)
  local opts, rest = args.command(spec, name, argv, HELP[name])
  if not opts then return rest end
  if #rest ~= 1 then say("%s: expected one TASK_ID (see hh help %s)", name, name) return EXIT.usage end
  if rest[1] == "" then say("%s: TASK_ID must not be empty", name) return EXIT.usage end
  if opts.output == "" then say("%s: --output needs a file name", name) return EXIT.usage end
  local deadline, err = args.number(opts, "deadline", 0)
  if err then say("%s: %s", name, err) return EXIT.usage end
  opts.deadline = deadline
  local hh, code = connect(name, opts)
  if not hh then return code end
  local keyok, keyerr = core.check_key()
  if not keyok then say("%s", keyerr) return EXIT.refused end
  return run_command(function() return fn(hh, rest[1], opts) end)
end

local function print_status(r, opts)
  if opts.json then print_result(r, true) else
    local safe = display.safe
    io.stdout:write(safe(r.status), r.url and ("\t" .. safe(r.url)) or "", r.error and ("\t" .. safe(r.error)) or "", "\n")
  end
end

local function cmd_status(argv)
  return task_command("status", STATUS, argv, function(hh, id, opts)
    local r, msg, class = hh.status(id)
    if not r then say("%s", msg) return exit_for(class) end
    print_status(r, opts)
    return EXIT.ok
  end)
end

local function cmd_wait(argv)
  return task_command("wait", WAIT, argv, function(hh, id, opts)
    -- One status request first: a host that cannot be reached, or a task
    -- it does not know, is said now rather than after a patient wait.
    local first, fmsg, fclass = hh.status(id)
    if not first and (fclass == "not_found" or startup.unreachable()) then
      say("%s", fmsg)
      return exit_for(fclass)
    end
    local r, msg, class = hh.wait(id, { output = opts.output, deadline = opts.deadline })
    if not r then say("%s", msg) return exit_for(class) end
    print_result(r, opts.json)
    return EXIT.ok
  end)
end

local function cmd_version()
  local v = core.versions()
  print(string.format("hh %s\n%s\nlibcurl %s\nlibyaml %s\nSQLite %s", v.hh, v.lua, v.libcurl, v.libyaml, v.sqlite))
  return EXIT.ok
end

-- Runs a chunk as the script: `hh` and `cjson` are globals, `arg` as lua gives it.
local function run_chunk(chunk, script_args)
  local hh, err = startup.connect({ script = true })
  if not hh then say("%s", err) return EXIT.usage end
  _G.hh = hh
  _G.cjson = require("cjson")
  local failed, aborted, interrupts = run_loop(chunk, table.unpack(script_args, 1, script_args.n))
  if aborted or interrupts > 0 then return EXIT.interrupted end
  if failed > 0 then return EXIT.error end
  return EXIT.ok
end

local function cmd_script(argv)
  local path = argv[1]
  local chunk, err = loadfile(path, "t")
  if not chunk then say("%s", err) return EXIT.error end
  local a = { [0] = path, n = #argv - 1 }
  for i = 2, #argv do a[i - 1] = argv[i] end
  a[-1] = argv[0]
  _G.arg = a
  return run_chunk(chunk, a)
end

local function cmd_eval(argv)
  if not argv[2] then say("-e needs a line of Lua") return EXIT.usage end
  local chunk, err = load(argv[2], "=(command line)", "t")
  if not chunk then say("%s", err) return EXIT.error end
  local a = { [0] = "-e", n = #argv - 2 }
  for i = 3, #argv do a[i - 2] = argv[i] end
  _G.arg = a
  return run_chunk(chunk, a)
end

local commands = require("hh.commands")
for name, text in pairs(commands.HELP) do HELP[name] = text end
local inspect = require("hh.inspect")
for name, text in pairs(inspect.HELP) do HELP[name] = text end
HELP.report = require("hh.report").HELP
HELP.view = HELP.report
HELP.votes = require("hh.votes").HELP
HELP.qc = require("hh.qc_command").HELP
HELP.spend = require("hh.spend").HELP

M.commands = {
  generate = cmd_generate,
  status = cmd_status,
  wait = cmd_wait,
  version = cmd_version,
  check = commands.check,
  plan = commands.plan,
  run = commands.run,
  resume = commands.resume,
  show = inspect.show,
  runs = inspect.runs,
  export = inspect.export,
  report = function(argv) return require("hh.report").command(argv) end,
  votes = function(argv) return require("hh.votes").command(argv) end,
  qc = function(argv) return require("hh.qc_command").command(argv) end,
  view = function(argv) return require("hh.report").view(argv) end,
  spend = function(argv) return require("hh.spend").command(argv) end,
}

-- Commands that hold nothing but memory at the end (no journal, no files
-- open for writing): the host may exit without freeing their state one
-- object at a time, which for a 100,000-job plan takes an eighth of its run.
local LEAVE_AT_EXIT = { check = true, plan = true }

-- The exit status, and true when the Lua state need not be closed.
local function dispatch(argv)
  local cmd = argv[1]
  if cmd == nil then
    io.stderr:write(HELP.main, "\n")
    return EXIT.usage
  end
  if cmd == "help" or cmd == "--help" or cmd == "-h" then
    local topic = argv[2]
    local man = require("hh.manpage")
    if topic == "--man" then io.stdout:write(man.man(HELP, M.commands, core.versions().hh)) return EXIT.ok end
    if topic == "--completion" then
      local shell = argv[3]
      if shell ~= "bash" and shell ~= "zsh" then say("help --completion: expected bash or zsh") return EXIT.usage end
      io.stdout:write(man.completion(shell, HELP, M.commands))
      return EXIT.ok
    end
    if topic and not HELP[topic] then say("no help for %q", topic) return EXIT.usage end
    print(HELP[topic or "main"])
    return EXIT.ok
  end
  if cmd == "--version" then return cmd_version() end
  if cmd == "-e" then return cmd_eval(argv) end
  local fn = M.commands[cmd]
  if fn then return fn(argv), LEAVE_AT_EXIT[cmd] end
  if cmd:match("%.ya?ml$") then say("%s is a recipe: use hh check, hh plan or hh run", cmd) return EXIT.usage end
  if cmd:match("%.lua$") or cmd:find("/") then return cmd_script(argv) end
  if cmd:match("^%-") then say("unknown option %s (see hh help)", cmd) return EXIT.usage end
  local hint = require("hh.suggest")(cmd, M.commands)
  say("unknown command %q%s (see hh help)", cmd, hint)
  return EXIT.usage
end

-- An error nothing else caught is hh's own: one line (HH_TRACE=1 shows
-- where), exit 1.
function M.main(argv)
  local ok, status, leave = xpcall(dispatch, internal, argv)
  if ok then return status, leave end
  if type(status) == "table" then say("%s", status.message) return EXIT.usage end
  io.stderr:write("hh: error: ", display.safe(status, true), "\n")
  return EXIT.error
end

return M
