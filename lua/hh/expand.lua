-- hh.expand: turns a checked recipe into its job list, deterministically.
-- Cells come from the grid (sweep axes and zip groups crossed in alphabetical
-- order, the last varying fastest) and explicit rows, filtered by include and
-- exclude, optionally sampled with a seed; each cell meets every sample and
-- every variant. Ids are hashes of canonical JSON, so the same file always
-- gives the same jobs in the same order with the same ids.

local core = require("hh.core")
local loc = require("hh.loc")
local rules = require("hh.rules")
local template = require("hh.template")
local recipe = require("hh.recipe")

local FIELDS = recipe.FIELDS

local M = {}

-- A recipe's size: a plan holds every job in memory (about 1 KiB each).
M.MAX_CELLS, M.MAX_JOBS = 1000000, 1000000

local function count_text(n)
  return math.tointeger(n) and string.format("%d", n) or string.format("%.3g", n)
end

-- A cell's id: a hash of its values' canonical JSON, 64 bits of it (with 40,
-- a million-cell sweep would hold two cells with one id about half the time).
local function cell_id(values)
  return core.digest("c", 16, values)
end

-- Cells work their id out when it is first read: checking a recipe needs it
-- only for {cell}, seed: auto and repeated rows.
local CELL = { __index = function(cell, k)
  if k ~= "id" then return nil end
  local id = cell_id(cell.values)
  rawset(cell, "id", id)
  return id
end }

-- splitmix64 on Lua integers: a sampling order that never changes.
local function rng(seed)
  local state = seed
  return function()
    state = state + 0x9e3779b97f4a7c15
    local z = state
    z = (z ~ (z >> 30)) * 0xbf58476d1ce4e5b9
    z = (z ~ (z >> 27)) * 0x94d049bb133111eb
    return z ~ (z >> 31)
  end
end

local function same_value(a, b)
  if a == b then return true end
  return template.format(a) == template.format(b)
end

local function matches(cond, vars, problems)
  if cond.pattern then
    for k, v in pairs(cond.pattern) do
      if not same_value(vars[k], v) then return false end
    end
    return true
  end
  local value, err = require("hh.sandbox").evaluate(cond.expr, vars)
  if err then
    problems:add(cond.at, cond.field, recipe.expression_error(err, cond.at))
    return false
  end
  return value and true or false
end

-- A function making a grid cell's values from one row of each axis, compiled
-- for the recipe's axes into a single table constructor: copying row by row
-- regrows the table, and a sweep makes one per cell.
local function cell_builder(axes)
  if #axes > 100 then
    return function(row) return core.merge(table.unpack(row, 1, #axes)) end
  end
  local fields = {}
  for i, a in ipairs(axes) do
    for _, k in ipairs(a.names) do fields[#fields + 1] = string.format("[%q] = row[%d][%q]", k, i, k) end
  end
  local code = "return function(row) return { " .. table.concat(fields, ", ") .. " } end"
  return assert(load(code, "=cell", "t", {}))()
end

-- The cells of a recipe, in order: {values =, id =, at =}.
function M.cells(r, problems)
  local cells, seen = {}, {}
  local function add(values, at, what)
    local id = cell_id(values)
    if seen[id] then
      problems:add(at, what, "repeats a cell already in the sweep (" .. seen[id] .. ")")
      return
    end
    seen[id] = what
    cells[#cells + 1] = { values = values, id = id, at = at }
  end
  -- A grid repeats a cell only if an axis repeats a row; without explicit
  -- rows to compare either, its cells need no remembering.
  local grid_distinct = #r.rows == 0
  for _, a in ipairs(r.axes) do
    local rows_seen = {}
    for _, row in ipairs(a.rows) do
      local key = core.canonical(row)
      if rows_seen[key] then grid_distinct = false end
      rows_seen[key] = true
    end
  end
  if #r.axes > 0 then
    local idx = {}
    for i = 1, #r.axes do idx[i] = 1 end
    -- Counted as a float: sixteen axes of sixteen values are 2^64 cells,
    -- which as an integer wraps to 0.
    local total = 1.0
    for _, a in ipairs(r.axes) do total = total * #a.rows end
    if total > M.MAX_CELLS then
      problems:add(r.axes[1].at, "sweep", string.format("the grid has %s cells; at most %d", count_text(total),
        M.MAX_CELLS))
      return cells
    end
    total = math.tointeger(total)
    local axes, row = r.axes, {}
    local last, at = #axes, axes[#axes].at
    local build = cell_builder(axes)
    for _ = 1, total do
      for i = 1, last do row[i] = axes[i].rows[idx[i]] end
      if grid_distinct then
        local values = build(row)
        cells[#cells + 1] = setmetatable({ values = values, at = at }, CELL)
      else
        add(build(row), at, "sweep")
      end
      for i = last, 1, -1 do
        idx[i] = idx[i] + 1
        if idx[i] <= #axes[i].rows then break end
        idx[i] = 1
      end
    end
  end
  for _, row in ipairs(r.rows) do
    add(core.merge(row.values), row.at, string.format("rows[%d]", row.index - 1))
  end
  if #cells == 0 then cells[1] = { values = {}, id = cell_id({}), at = loc.of(r.raw) } end

  if #r.include > 0 or #r.exclude > 0 then
    local kept = {}
    for _, c in ipairs(cells) do
      local vars = {}
      for k, v in pairs(r.vars) do vars[k] = v end
      for k, v in pairs(c.values) do vars[k] = v end
      local ok = #r.include == 0
      for _, cond in ipairs(r.include) do if matches(cond, vars, problems) then ok = true break end end
      if ok then
        for _, cond in ipairs(r.exclude) do if matches(cond, vars, problems) then ok = false break end end
      end
      if ok then kept[#kept + 1] = c end
    end
    cells = kept
  end

  if r.sample then
    local n = r.sample.n
    if n > #cells then
      problems:add(r.sample.at, "sample", string.format("asks for %d cells but the sweep has %d", n, #cells))
    else
      local next_random = rng(r.sample.seed)
      local order = {}
      for i = 1, #cells do order[i] = i end
      for i = 1, n do
        local j = i + (next_random() % (#cells - i + 1))
        order[i], order[j] = order[j], order[i]
      end
      local pick = {}
      for i = 1, n do pick[i] = order[i] end
      table.sort(pick)
      local chosen = {}
      for i, k in ipairs(pick) do chosen[i] = cells[k] end
      cells = chosen
    end
  end
  return cells
end

-- One path component from a value: nothing in it can leave the directory.
local function safe_component(s)
  if not s:find("[%c/\\.]") and s ~= "" then return s end
  s = s:gsub("[%c]", ""):gsub("[/\\]", "_"):gsub("%.%.+", "_")
  if s:sub(1, 1) == "." then s = "_" .. s:sub(2) end
  if s == "" then s = "_" end
  return s
end

local function check_output(path)
  if path:sub(1, 1) == "/" then return "must stay inside the run directory (" .. path .. " is absolute)" end
  for part in (path .. "/"):gmatch("([^/]*)/") do
    if part == "" or part == "." or part == ".." then
      return "must stay inside the run directory (" .. path .. " has an empty, '.' or '..' part)"
    end
    if part:find("%c") then return "must not contain control characters" end
  end
  if #path > 400 then return "is longer than 400 characters" end
  return nil
end

-- File names without an output template: the cell's values, slugged, in
-- the order the recipe writes its axes (then a rows block's other names,
-- sorted), and 8 hex digits of the cell id (16 when the values were cut to
-- 48 characters), so no two cells share a name; then the variant (with
-- variants) and the sample: dawn-clear-sky-3f2a91c0-film-1.mp4. A recipe
-- without axes is named by the recipe: hello-1.mp4.
function M.default_namer(r)
  local slug = template.FILTERS.slug
  local order, seen = {}, {}
  local axes = {}
  for _, a in ipairs(r.axes) do axes[#axes + 1] = a end
  table.sort(axes, function(a, b) return (a.written or 0) < (b.written or 0) end)
  for _, a in ipairs(axes) do
    for _, n in ipairs(a.names) do if not seen[n] then seen[n] = true order[#order + 1] = n end end
  end
  local extra = {}
  for _, row in ipairs(r.rows or {}) do
    for k in pairs(row.values) do if not seen[k] then seen[k] = true extra[#extra + 1] = k end end
  end
  table.sort(extra)
  for _, k in ipairs(extra) do order[#order + 1] = k end
  local recipe_name = slug(tostring(r.name or "clip")) ~= "" and slug(tostring(r.name or "clip")) or "clip"
  local base_of = setmetatable({}, { __mode = "k" })
  local function base(cell)
    local b = base_of[cell]
    if b then return b end
    local parts = {}
    for _, k in ipairs(order) do
      local v = cell.values[k]
      if v ~= nil then
        local s = slug(template.format(type(v) == "table" and require("hh.json").encode(v) or v))
        if s ~= "" then parts[#parts + 1] = s end
      end
    end
    local text = table.concat(parts, "-")
    if text == "" and #order == 0 then
      b = recipe_name
    else
      local digits = 8
      if #text > 48 then
        local cut = 48
        while cut > 0 and (text:byte(cut + 1) or 0) & 0xC0 == 0x80 do cut = cut - 1 end
        text, digits = text:sub(1, cut):gsub("%-+$", ""), 16
      end
      local id = (cell.id or cell_id(cell.values)):sub(2, 1 + digits)
      b = (text ~= "" and text .. "-" or "") .. id
    end
    base_of[cell] = b
    return b
  end
  return function(cell, variant, sample)
    local name = base(cell)
    if #r.variants > 1 then name = name .. "-" .. (slug(variant.name) ~= "" and slug(variant.name) or "v") end
    return name .. "-" .. sample .. ".mp4"
  end
end

-- The jobs of a recipe, in order; problems gathered (deduplicated). With
-- opts.ids == false the jobs have no id and no cell id (hh check needs
-- neither, and hashing is a third of its work).
function M.jobs(r, problems, opts)
  local with_ids = not (opts and opts.ids == false)
  local cells = M.cells(r, problems)
  local jobs, outputs = {}, {}
  local count = #cells * r.samples * #r.variants
  if count > M.MAX_JOBS then
    problems:add(loc.of(r.raw), nil, string.format("the recipe makes %d jobs (%d cells x %d samples x %d variants); at most %d",
      count, #cells, r.samples, #r.variants, M.MAX_JOBS))
    return jobs
  end
  local reported = {}
  local function problem(at, field, rule)
    local key = at .. "\0" .. field .. "\0" .. rule
    if reported[key] then return end
    reported[key] = true
    problems:add(at, field, rule)
  end
  local collisions, first_collision, bad_paths, first_bad_path = 0, nil, 0, nil
  local known = {}
  for k in pairs(r.vars) do known[k] = true end
  for k in pairs(r.axis_names) do known[k] = true end
  for k in pairs(recipe.RESERVED) do known[k] = true end
  for k in pairs(FIELDS) do known[k] = true end

  -- Where a job's field came from, for a message: worked out only when
  -- there is a problem, so the common case pays nothing for it.
  local function origin(cell, variant, k)
    if variant.fields[k] ~= nil then return variant.field_at[k], "compare." .. variant.name .. "." .. k end
    if FIELDS[k] and cell.values[k] ~= nil then return cell.at, k end
    if r.fields[k] ~= nil then return r.field_at[k], r.field_label[k] or k end
    if r.extra[k] ~= nil then return r.field_at[k], "extra." .. k end
    return loc.of(r.raw), k
  end

  -- One lookup for every template, reading the job being built.
  local cur_cell, cur_sample, cur_variant, cur_params, cur_prompt
  local vars, name = r.vars, r.name
  local function lookup(key)
    local v = cur_cell.values[key]
    if v ~= nil then return v end
    v = vars[key]
    if v ~= nil then return v end
    if key == "cell" then return cur_cell.id end
    if key == "sample" then return cur_sample end
    if key == "variant" then return cur_variant.name end
    if key == "name" then return name end
    if key == "prompt" then return cur_prompt end
    return cur_params[key]
  end
  local function render(field, s, at)
    local out, err = template.render(s, lookup, nil, cur_cell.values)
    if out then return out end
    at = at or origin(cur_cell, cur_variant, field)
    if err:match("^unknown placeholder {(.-)}$") then
      for _, missing in ipairs(template.unknown(s, lookup, cur_cell.values)) do
        problem(at, field, "unknown placeholder {" .. missing .. "}" .. recipe.suggest(missing, known))
      end
    else
      problem(at, field, err)
    end
    return s
  end

  -- A value's text in a file name: the same few values recur in every job.
  local safe_text = {}
  local function safe(s)
    local t = safe_text[s]
    if t == nil then
      t = safe_component(s)
      safe_text[s] = t
    end
    return t
  end

  local extra, fields, variants, output = r.extra, r.fields, r.variants, r.output
  local output_checked, output_literal_bad = false, false
  local default_name = r.output_default and M.default_namer(r)
  if next(extra) == nil then extra = nil end
  -- Only cells that set request fields need looking into, cell by cell.
  local cells_set_fields = #r.rows > 0
  for k in pairs(r.axis_names) do if FIELDS[k] then cells_set_fields = true end end
  local samples, variant_count = r.samples, #variants
  for c = 1, #cells do
    local cell = cells[c]
    local cell_fields = nil
    if cells_set_fields then
      for k, v in pairs(cell.values) do
        if FIELDS[k] then cell_fields = cell_fields or {}; cell_fields[k] = v end
      end
    end
    -- The prompt before any variant's: {prompt} in a variant's prompt.
    local base_prompt_template, base_prompt_at = fields.prompt, r.field_at.prompt
    if cell_fields and cell_fields.prompt ~= nil then
      base_prompt_template, base_prompt_at = cell_fields.prompt, cell.at
    end
    for sample = 1, samples do
      for vi = 1, variant_count do
        local variant = variants[vi]
        local params = core.merge(extra, fields, cell_fields, variant.fields)
        if params.seed == "auto" then
          -- From the id's first 10 digits (ids had 10 before): seeds, and so
          -- the jobs' ids, stay what earlier runs have in their journals.
          params.seed = tonumber(core.digest("", 7, cell.id:sub(1, 11), "/", sample), 16)
        end
        cur_cell, cur_sample, cur_variant, cur_params, cur_prompt = cell, sample, variant, params, nil

        if type(base_prompt_template) == "string" then
          cur_prompt = render("prompt", base_prompt_template, base_prompt_at)
        end
        local v = params.prompt
        if type(v) == "string" then
          params.prompt = v == base_prompt_template and cur_prompt or render("prompt", v)
        end
        v = params.first_frame
        -- (nil first: type() is a call, and most of these fields are absent)
        if v ~= nil and type(v) == "string" then params.first_frame = render("first_frame", v) end
        v = params.last_frame
        if v ~= nil and type(v) == "string" then params.last_frame = render("last_frame", v) end
        if params.image_urls ~= nil and type(params.image_urls) == "table" then
          local urls = {}
          for i, u in ipairs(params.image_urls) do urls[i] = type(u) == "string" and render("image_urls", u) or u end
          params.image_urls = urls
        end
        if params.multi_prompt ~= nil and type(params.multi_prompt) == "table" then
          local shots = {}
          for i, shot in ipairs(params.multi_prompt) do
            if type(shot) == "table" then
              local sh = {}
              for k, v in pairs(shot) do sh[k] = v end
              if type(sh.prompt) == "string" then sh.prompt = render("multi_prompt", sh.prompt) end
              shots[i] = sh
            else
              shots[i] = shot
            end
          end
          params.multi_prompt = shots
          if params.multi_shots == nil then params.multi_shots = true end
        end
        if params.first_frame ~= nil or params.last_frame ~= nil then
          if params.image_urls ~= nil then
            local at = origin(cell, variant, params.first_frame ~= nil and "first_frame" or "last_frame")
            problem(at, "first_frame", "give image_urls or first_frame/last_frame, not both")
          else
            params.image_urls = { params.first_frame, params.last_frame }
          end
          params.first_frame, params.last_frame = nil, nil
        end

        local bad, duration = rules.check(params)
        for bi = 1, #bad do
          local p = bad[bi]
          local top = p.field:match("^[%w_]+")
          if top == "image_urls" and params.image_urls and (fields.first_frame or fields.last_frame
              or variant.fields.first_frame or variant.fields.last_frame or cell.values.first_frame) then
            top = fields.first_frame and "first_frame" or "last_frame"
          end
          local at, label = origin(cell, variant, top)
          problem(at, label .. p.field:sub(#(p.field:match("^[%w_]+")) + 1), p.rule)
        end

        local out, err
        if default_name then out = default_name(cell, variant, sample)
        else out, err = template.render(output, lookup, safe, cell.values) end
        if not out then
          if err:match("^unknown placeholder {(.-)}$") then
            for _, missing in ipairs(template.unknown(output, lookup, cell.values)) do
              problem(r.output_at, "output", "unknown placeholder {" .. missing .. "}" .. recipe.suggest(missing, known))
            end
          else
            problem(r.output_at, "output", err)
          end
          out = "?"
        elseif not output_checked or output_literal_bad then
          -- Values are made safe (safe_component), so only the template's own
          -- text can make a bad path: check every job only if it does.
          local why = check_output(out)
          if why then
            bad_paths = bad_paths + 1
            if bad_paths == 1 then first_bad_path = why end
            output_literal_bad = true
          end
          output_checked = true
        end

        local id = with_ids and core.digest("j", 15, params, "\n", sample, "\n", variant.name) or nil
        local index = #jobs + 1
        if outputs[out] and out ~= "?" then
          collisions = collisions + 1
          if collisions == 1 then first_collision = { outputs[out], index, out } end
        end
        outputs[out] = index
        jobs[index] = {
          index = index, id = id, cell = with_ids and cell.id or nil, cell_values = cell.values, sample = sample,
          variant = variant.name, params = params, output = out,
          credits = #bad == 0 and rules.price(params, duration) or 0, duration = duration,
        }
      end
    end
  end
  if first_bad_path then
    problem(r.output_at, "output", first_bad_path .. (bad_paths > 1 and string.format(" (and %d more)", bad_paths - 1) or ""))
  end
  if first_collision then
    problem(r.output_at, "output", string.format("jobs %d and %d both write %s%s; add {sample}, {variant} or an axis to the template",
      first_collision[1], first_collision[2], first_collision[3],
      collisions > 1 and string.format(" (%d collisions in all)", collisions) or ""))
  end
  return jobs
end

-- Credits: every job once (min) and with every rerun rule used to its max.
function M.costs(r, jobs)
  local min, worst = 0, 0
  local reruns = r.reruns
  for j = 1, #jobs do
    local job = jobs[j]
    min = min + job.credits
    worst = worst + job.credits
    for ri = 1, #reruns do
      local rule = reruns[ri]
      local p = {}
      for k, v in pairs(job.params) do p[k] = v end
      for k, v in pairs(rule.set) do if k ~= "seed" then p[k] = v end end
      local _, duration = rules.check(p)
      worst = worst + rule.max * rules.price(p, duration)
    end
  end
  return min, worst
end

return M
