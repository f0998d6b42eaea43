-- hh.spend: `hh spend`, the team store's money: its budgets and how much of
-- each is used, and the spending ledger (hh_spend) by person, recipe, key,
-- day or month: charged (tasks the host accepted, at its word when it said),
-- possibly charged (sent, outcome unknown), reserved (claims in flight).
-- `--budget SCOPE=CREDITS[/PERIOD]` sets a budget every worker's claims obey.

local args = require("hh.args")
local display = require("hh.display")
local json = require("hh.json")
local store = require("hh.store")
local team = require("hh.team")

local M = {}

local SPEC = {
  { name = "store", arg = "URI", help = "the team store (default: HH_STORE, ~/.config/hh/store)" },
  { name = "by", arg = "WHAT", help = "one table: person, recipe, key, day or month (default: person, recipe and month)" },
  { name = "since", arg = "DATE", help = "only spending from this day on (YYYY-MM-DD)" },
  { name = "budget", arg = "SCOPE=CREDITS[/PERIOD]", many = true,
    help = "set a budget: SCOPE team, recipe:NAME, key (the key in use) or key:ID; PERIOD day, month or total "
      .. "(default); CREDITS 'none' removes it" },
  { name = "json", flag = true, help = "print it as JSON" },
  { name = "help", short = "h", flag = true, help = "show this help" },
}

M.HELP = "usage: hh spend [--store URI] [--by person|recipe|key|day|month] [--since DATE] [--json]\n"
  .. "       hh spend --budget SCOPE=CREDITS[/PERIOD] ...\n\n"
  .. "A team store's budgets and spending: charged, possibly charged (unknown outcomes)\n"
  .. "and reserved (in flight), by person, recipe, key and period.\n\n" .. args.usage(SPEC)

local GROUP = {
  person = "person", recipe = "coalesce(recipe, '')", key = "key_id",
  day = "to_char(at, 'YYYY-MM-DD')", month = "to_char(at, 'YYYY-MM')",
}

local SUMS = [[count(*) FILTER (WHERE state = 'charged') AS tasks,
  coalesce(sum(coalesce(charged, reserved)) FILTER (WHERE state = 'charged'), 0) AS charged,
  coalesce(sum(reserved) FILTER (WHERE state IN ('sending', 'unknown')), 0) AS possibly,
  coalesce(sum(reserved) FILTER (WHERE state = 'reserved'), 0) AS reserved]]

local function say(...) display.say(...) end

-- "team=5000/month" -> scope, name, credits (nil: remove), period; or nil, why.
local function parse_budget(text, key_id)
  local scope, value = text:match("^([^=]+)=(.+)$")
  if not scope then return nil, string.format("--budget %s: expected SCOPE=CREDITS[/PERIOD]", text) end
  local kind, name = scope:match("^(%a+):(.+)$")
  kind = kind or scope
  if kind == "key" and not name then name = key_id end
  if kind == "team" then name = name or "" end
  if not (kind == "team" or kind == "recipe" or kind == "key") or (kind ~= "team" and not name) then
    return nil, string.format("--budget %s: the scope is team, recipe:NAME, key or key:ID", text)
  end
  if name == nil then return nil, string.format("--budget %s: no key is set (HH_API_KEY) to name", text) end
  if value == "none" then return { scope = kind, name = name } end
  local credits, period = value:match("^(%d+)/?(%a*)$")
  period = period ~= "" and period or "total"
  if not credits or not (period == "day" or period == "month" or period == "total") then
    return nil, string.format("--budget %s: expected CREDITS (a whole number) and optionally /day, /month or /total", text)
  end
  return { scope = kind, name = name, credits = math.tointeger(tonumber(credits)), period = period }
end

local function budgets(db)
  local list = db:rows("SELECT scope, name, period, credits, set_by FROM hh_budgets ORDER BY scope, name")
  for _, b in ipairs(list) do
    b.used = db:rows(team.USED, b.scope, b.name, b.period)[1].used
    b.left = math.max(0, b.credits - b.used)
  end
  return list
end

local function table_of(db, by, since)
  local sql = string.format("SELECT %s AS name, %s FROM hh_spend %s GROUP BY 1 ORDER BY 1", GROUP[by], SUMS,
    since and "WHERE at >= $1::date" or "")
  if since then return db:rows(sql, since) end
  return db:rows(sql)
end

function M.command(argv)
  local opts, rest = args.command(SPEC, "spend", argv, M.HELP)
  if not opts then return rest end
  if #rest > 0 then say("spend: unexpected argument %q (see hh help spend)", rest[1]) return 2 end
  if opts.by and not GROUP[opts.by] then
    say("spend: --by %s: expected person, recipe, key, day or month%s", opts.by,
      require("hh.suggest")(opts.by, GROUP))
    return 2
  end
  if opts.since and not opts.since:match("^%d%d%d%d%-%d%d%-%d%d$") then
    say("spend: --since %s: expected a day, YYYY-MM-DD", opts.since)
    return 2
  end
  local uri, err = store.locate(opts.store)
  if err then say("spend: %s", err) return 2 end
  if not uri then say("spend: no team store: give --store URI (or set HH_STORE)") return 2 end
  local changes = {}
  for _, text in ipairs(opts.budget or {}) do
    local key_id = text:match("^key=") and require("hh.core").key_id() or nil
    local b, berr = parse_budget(text, key_id)
    if not b then say("spend: %s", berr) return 2 end
    changes[#changes + 1] = b
  end
  local db, derr = store.open(uri)
  if not db then say("spend: %s", derr) return 1 end
  for _, b in ipairs(changes) do
    if b.credits then
      db:run([[INSERT INTO hh_budgets (scope, name, period, credits, set_by) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (scope, name) DO UPDATE SET period = excluded.period, credits = excluded.credits,
          set_by = excluded.set_by, set_at = now()]], b.scope, b.name, b.period, b.credits, store.person())
    else
      db:run("DELETE FROM hh_budgets WHERE scope = $1 AND name = $2", b.scope, b.name)
    end
  end
  local out = { store = uri, budgets = budgets(db), by = {} }
  local groups = opts.by and { opts.by } or { "person", "recipe", "month" }
  for _, g in ipairs(groups) do out.by[g] = table_of(db, g, opts.since) end
  db:close()
  if opts.json then
    io.stdout:write(json.encode(out), "\n")
    return 0
  end
  display.print("team store %s", uri)
  if #out.budgets == 0 then display.print("budgets: none (hh spend --budget team=CREDITS/month sets one)") end
  for _, b in ipairs(out.budgets) do
    display.print("budget %-24s %10d %-8s used %d, left %d", b.scope == "team" and "team" or (b.scope .. " " .. b.name),
      b.credits, b.period == "total" and "in all" or ("a " .. b.period), b.used, b.left)
  end
  for _, g in ipairs(groups) do
    display.print("")
    display.print("%-24s %7s %10s %10s %10s", "by " .. g .. (opts.since and (" since " .. opts.since) or ""), "tasks",
      "charged", "possibly", "reserved")
    local total = { tasks = 0, charged = 0, possibly = 0, reserved = 0 }
    for _, row in ipairs(out.by[g]) do
      display.print("%-24s %7d %10d %10d %10d", display.safe(row.name ~= "" and row.name or "-"), row.tasks,
        row.charged, row.possibly, row.reserved)
      for k in pairs(total) do total[k] = total[k] + row[k] end
    end
    display.print("%-24s %7d %10d %10d %10d", "all", total.tasks, total.charged, total.possibly, total.reserved)
  end
  return 0
end

return M
