-- hh.grid_image: `hh report DIR --grid-image [FILE]` draws one page of the
-- report's grid as one picture: each cell the clip's poster (from the media
-- checks), column labels on top, row labels on the left, a title line,
-- placeholders for what has no picture, a red label on flagged clips. The
-- picture is made by one ffmpeg child of the event loop (core.process, with
-- its time and memory limits). No text from the run enters the filtergraph:
-- labels are made visible (core.visible), cut to fit and given to drawtext
-- in temporary files (textfile=, expansion=none); the graph holds only
-- numbers, colours and hh's own file names, escaped for both of ffmpeg's
-- parsing levels.

local core = require("hh.core")
local fs = require("hh.fs")
local display = require("hh.display")
local report_axes = require("hh.report_axes")

local M = {}

M.CELL_WIDTH = 320 -- a cell's width when the grid fits in MAX_WIDTH
M.MAX_WIDTH = 3840 -- cells shrink so that the picture is at most this wide
M.MAX_COLUMNS = 16 -- more columns or rows than these are left out (and said)
M.MAX_ROWS = 16
M.GAP = 8
M.TITLE_HEIGHT = 40
M.HEAD_HEIGHT = 28
local FONT_SIZE, TITLE_SIZE, SMALL_SIZE = 15, 20, 13

M.FONTS = { "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf" }
M.NO_FONT = "no font for the labels: install the Debian package fonts-dejavu-core (apt-get install fonts-dejavu-core)"

local COLOURS = { page = "0xffffff", text = "0x1d1f21", muted = "0x6b7075", bad = "0xb3261e", cell = "0x111111",
  empty = "0xf4f5f6", white = "0xffffff", unchecked = "0x6b7075" }

-- A value for a filter option, escaped for the option parser and then for
-- the graph parser (ffmpeg-filters(1), "Notes on filtergraph escaping"):
-- every byte that is not a letter, digit or one of "/._-" gets a backslash,
-- twice.
local function escape_once(s) return (s:gsub("[^%w/._-]", "\\%0")) end
function M.escape(s) return escape_once(escape_once(tostring(s))) end

-- The width of text in pixels, roughly (DejaVu Sans: about 0.62 em a
-- Latin letter, a full em for wide scripts); a label's box clips the rest.
local function char_width(cp, size)
  return (cp >= 0x1100 and size or size * 0.62)
end
function M.text_width(s, size)
  local w = 0
  for _, cp in utf8.codes(s) do w = w + char_width(cp, size) end
  return w
end

-- Text from the run made safe to draw: one line, controls made visible
-- (display.safe), empty shown as "", cut with "…" to fit `width` pixels.
function M.label(s, width, size)
  s = display.safe(tostring(s))
  if not utf8.len(s) then s = s:gsub("[\128-\255]", "?") end
  if s == "" then s = '""' end
  if M.text_width(s, size) <= width then return s end
  local w, cut = char_width(0x2026, size), 0
  for p, cp in utf8.codes(s) do
    w = w + char_width(cp, size)
    if w > width then break end
    cut = p + #utf8.char(cp) - 1
  end
  return s:sub(1, cut) .. "…"
end

-- Text from the run in at most `lines` lines of `width` pixels, broken at
-- spaces; what does not fit is cut with "…".
function M.wrap(s, width, size, lines)
  s = display.safe(tostring(s))
  if not utf8.len(s) then s = s:gsub("[\128-\255]", "?") end
  local words = {}
  for word in s:gmatch("%S+") do words[#words + 1] = word end
  local out, i, space = {}, 1, char_width(32, size)
  while i <= #words and #out < lines - 1 do
    local line, w = words[i], M.text_width(words[i], size)
    i = i + 1
    while i <= #words and w + space + M.text_width(words[i], size) <= width do
      line, w = line .. " " .. words[i], w + space + M.text_width(words[i], size)
      i = i + 1
    end
    out[#out + 1] = line
  end
  if i <= #words then out[#out + 1] = table.concat(words, " ", i) end
  for k, l in ipairs(out) do out[k] = M.label(l, width, size) end
  return out
end

-- A poster file name from the report data, or nil: only hh's own names
-- (posters/<sha256>.jpg) are read.
local function poster_of(job)
  local p = job.qc and job.qc.poster
  if type(p) == "string" and p:match("^posters/%x+%.jpg$") then return p end
  return nil
end

-- The cell's height over its width: the most common clip shape on the page
-- (from the checks), 16:9 when none is known.
local function shape(cells)
  local count, best, bestn = {}, 9 / 16, 0
  for _, e in ipairs(cells) do
    local q = e and e.job.qc
    local w, h = tonumber(q and q.width), tonumber(q and q.height)
    if w and h and w > 0 and h > 0 then
      local k = h / w
      count[k] = (count[k] or 0) + 1
      if count[k] > bestn then best, bestn = k, count[k] end
    end
  end
  return best
end

local function even(n) return math.max(2, math.floor(n / 2) * 2) end

-- What to draw: g = { title, columns = {{key, label}}, rows = ..., at =
-- {"x\0y" = entry}, corner }. Returns the size and a list of pieces that
-- do not overlap: { poster = FILE, x, y, w, h, flag = BOX at x, y in the
-- cell } or BOX = { box = COLOUR, x, y, w, h, texts = { { text, size,
-- colour, left = true|nil, y = nil (centred) | pixels } } }.
function M.layout(g)
  local gap, ncol, nrow = M.GAP, #g.columns, #g.rows
  local widest = 0
  for _, r in ipairs(g.rows) do widest = math.max(widest, M.text_width(display.safe(r.label), FONT_SIZE)) end
  widest = math.max(widest, M.text_width(display.safe(g.corner), SMALL_SIZE))
  local lw = math.min(240, math.max(80, math.ceil((widest + 16) / 40) * 40))
  local cw = even(math.min(M.CELL_WIDTH, (M.MAX_WIDTH - 2 * gap - lw - ncol * gap) // ncol))
  local list = {}
  for _, r in ipairs(g.rows) do
    for _, c in ipairs(g.columns) do list[#list + 1] = g.at[c.key .. "\0" .. r.key] or false end
  end
  local ch = even(cw * shape(list) + 0.5)
  local width = 2 * gap + lw + ncol * (cw + gap)
  local height = M.TITLE_HEIGHT + M.HEAD_HEIGHT + gap + nrow * (ch + gap)
  local pieces = {}
  local function box(colour, x, y, w, h, texts) pieces[#pieces + 1] = { box = colour, x = x, y = y, w = w, h = h, texts = texts } end
  local function text(s, w, size, colour, left, y, bold)
    return { text = M.label(s, w - 8, size), size = size, colour = colour, left = left, y = y, bold = bold }
  end
  box(COLOURS.page, gap, 4, width - 2 * gap, M.TITLE_HEIGHT - 8,
    { text(g.title, width - 2 * gap, TITLE_SIZE, COLOURS.text, true, nil, true) })
  local top = M.TITLE_HEIGHT + M.HEAD_HEIGHT + gap
  box(COLOURS.page, gap, M.TITLE_HEIGHT, lw, M.HEAD_HEIGHT, { text(g.corner, lw, SMALL_SIZE, COLOURS.muted, true) })
  for i, c in ipairs(g.columns) do
    local x = 2 * gap + lw + (i - 1) * (cw + gap)
    box(COLOURS.page, x, M.TITLE_HEIGHT, cw, M.HEAD_HEIGHT, { text(c.label, cw, FONT_SIZE, COLOURS.text, false, nil, true) })
  end
  for j, r in ipairs(g.rows) do
    local y = top + (j - 1) * (ch + gap)
    box(COLOURS.page, gap, y, lw, ch, { text(r.label, lw, FONT_SIZE, COLOURS.text, true, nil, true) })
    for i, c in ipairs(g.columns) do
      local x = 2 * gap + lw + (i - 1) * (cw + gap)
      local e = g.at[c.key .. "\0" .. r.key]
      local job = e and e.job
      local poster = job and job.state == "done" and job.present and poster_of(job)
      if poster then
        local piece = { poster = poster, x = x, y = y, w = cw, h = ch }
        pieces[#pieces + 1] = piece
        local q = job.qc
        local flag = q.error and "not checked" or (q.flagged and table.concat(q.flags or {}, ", "))
        if flag and flag ~= "" then
          local s = M.label(flag, cw - 24, SMALL_SIZE)
          local fw = math.min(cw - 12, math.ceil(M.text_width(s, SMALL_SIZE)) + 12)
          piece.flag = { box = q.error and COLOURS.unchecked or COLOURS.bad, x = 6, y = 6, w = fw, h = 20,
            texts = { { text = s, size = SMALL_SIZE, colour = COLOURS.white, left = true } } }
        end
      else
        local what, why
        if not job then what, why = "no job", "" -- a combination the recipe left out
        elseif job.state ~= "done" then
          local class = job.failure_class or job.class
          what = job.state
          why = (class and job.error) and (class .. ": " .. job.error) or job.error or class or ""
        elseif not job.present then what, why = "file missing", job.file or ""
        else what, why = "no poster", (job.qc and job.qc.error) or "not checked (hh qc DIR)" end
        local lines = M.wrap(why, cw - 8, SMALL_SIZE, math.max(1, math.min(3, (ch - 2 * FONT_SIZE) // (SMALL_SIZE + 5))))
        local top_y = (ch - FONT_SIZE - 6 - #lines * (SMALL_SIZE + 5)) // 2
        local texts = { text(what, cw, FONT_SIZE, job and COLOURS.bad or COLOURS.muted, true, top_y, true) }
        for k, l in ipairs(lines) do
          texts[#texts + 1] = { text = l, size = SMALL_SIZE, colour = COLOURS.text, left = true,
            y = top_y + FONT_SIZE + 6 + (k - 1) * (SMALL_SIZE + 5) }
        end
        box(COLOURS.empty, x, y, cw, ch, texts)
      end
    end
  end
  return { width = width, height = height, cell_width = cw, cell_height = ch, label_width = lw, pieces = pieces }
end

-- The font files: regular and bold (the regular one when there is no bold).
function M.fonts()
  local regular
  for _, f in ipairs(M.FONTS) do
    if fs.size(f) then regular = f break end
  end
  if not regular and core.findable("fc-match") then
    local r = core.process({ "fc-match", "--format=%{file}", "sans" }, { timeout = 10, output = 65536 })
    if r.exit == 0 and r.out:match("%.[ot]tf$") and fs.size(r.out) then regular = r.out end
  end
  if not regular then return nil, M.NO_FONT end
  local bold = regular:gsub("%.ttf$", "-Bold.ttf")
  return regular, fs.size(bold) and bold or regular
end

-- The filtergraph for a layout, writing each text to a file named
-- tmp .. "-N.txt" (added to `files`). Every piece is made at its own size
-- and one xstack puts them in place: no frame the size of the picture is
-- made more than once. Returns the graph's text.
function M.graph(lay, dir, fonts, tmp, files, jpeg)
  local parts, n = {}, 0
  local function label()
    n = n + 1
    return "l" .. n
  end
  -- A box of colour with its texts, as a chain of filters.
  local function box(p)
    local chain = { string.format("color=c=%s:s=%dx%d:r=1:d=1", p.box, p.w, p.h) }
    for _, t in ipairs(p.texts or {}) do
      local file = string.format("%s-%d.txt", tmp, #files + 1)
      local f = assert(io.open(file, "wb"))
      f:write(t.text)
      f:close()
      files[#files + 1] = file
      chain[#chain + 1] = string.format("drawtext=fontfile=%s:textfile=%s:expansion=none:fontsize=%d:fontcolor=%s:x=%s:y=%s",
        M.escape(t.bold and fonts.bold or fonts.regular), M.escape(file), t.size, t.colour,
        M.escape(t.left and "4" or "max(4,(w-text_w)/2)"),
        M.escape(t.y and tostring(t.y) or "(h-ascent+descent)/2"))
    end
    return table.concat(chain, ",")
  end
  -- One source a poster file, split among the cells that show it.
  local uses, order = {}, {}
  for _, p in ipairs(lay.pieces) do
    if p.poster then
      if not uses[p.poster] then uses[p.poster] = {} order[#order + 1] = p.poster end
      table.insert(uses[p.poster], p)
    end
  end
  local pads = {}
  for _, file in ipairs(order) do
    local list = uses[file]
    local names = {}
    for i = 1, #list do names[i] = label() pads[list[i]] = names[i] end
    local w, h = list[1].w, list[1].h
    parts[#parts + 1] = string.format(
      "movie=filename=%s:format_name=jpeg_pipe,scale=w=%d:h=%d:force_original_aspect_ratio=decrease,"
        .. "pad=w=%d:h=%d:x=-1:y=-1:color=%s,setsar=1,format=rgb24%s",
      M.escape("file:" .. dir .. "/" .. file), w, h, w, h, COLOURS.cell,
      #names > 1 and (",split=" .. #names .. "[" .. table.concat(names, "][") .. "]") or ("[" .. names[1] .. "]"))
  end
  local inputs, layout = {}, {}
  for _, p in ipairs(lay.pieces) do
    local src = label()
    if p.poster and p.flag then
      local flag = label()
      parts[#parts + 1] = box(p.flag) .. "[" .. flag .. "]"
      parts[#parts + 1] = string.format("[%s][%s]overlay=x=%d:y=%d:format=rgb,format=rgb24[%s]",
        pads[p], flag, p.flag.x, p.flag.y, src)
    elseif p.poster then
      src = pads[p]
    else
      parts[#parts + 1] = box(p) .. ",format=rgb24[" .. src .. "]"
    end
    inputs[#inputs + 1] = "[" .. src .. "]"
    layout[#layout + 1] = p.x .. "_" .. p.y
  end
  parts[#parts + 1] = string.format("%sxstack=inputs=%d:layout=%s:fill=%s,pad=w=%d:h=%d:x=0:y=0:color=%s,format=%s[out]",
    table.concat(inputs), #inputs, table.concat(layout, "|"), COLOURS.page, lay.width, lay.height, COLOURS.page,
    jpeg and "yuvj420p" or "rgb24")
  return table.concat(parts, ";\n")
end

-- Runs ffmpeg over the layout, writing `out` (.png or .jpg) atomically.
-- true, or nil and a message. Runs as a job on the loop.
function M.draw(lay, dir, out, fonts)
  local jpeg = out:lower():match("%.jpe?g$") ~= nil
  -- An empty file only hh can write (mkstemp): the stem of the others.
  local made, tmp = pcall(os.tmpname)
  if not made then return nil, "cannot make a temporary file: " .. tostring(tmp) end
  local files = { tmp }
  local part = out .. ".part-" .. core.random_hex(4) .. (jpeg and ".jpg" or ".png")
  local ok, res = pcall(function()
    local graph_file = tmp .. "-graph.txt"
    files[#files + 1] = graph_file
    local graph = M.graph(lay, dir, fonts, tmp, files, jpeg)
    local f = assert(io.open(graph_file, "wb"))
    f:write(graph)
    f:close()
    local argv = { "ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-filter_threads", "1",
      "-filter_complex_script", "file:" .. graph_file, "-map", "[out]", "-frames:v", "1",
      "-c:v", jpeg and "mjpeg" or "png", "-f", "image2", "-update", "1", "-y", "file:" .. part }
    if jpeg then table.insert(argv, #argv - 1, "-q:v") table.insert(argv, #argv - 1, "3") end
    local r = core.process(argv, { timeout = 120, memory = 2048 * 1048576, output = 1048576 })
    return r
  end)
  for _, f in ipairs(files) do os.remove(f) end
  if not ok then fs.remove(part) return nil, tostring(res) end
  local why = require("hh.qc_run").failure("ffmpeg", res)
  if why or not fs.size(part) then
    fs.remove(part)
    return nil, why or "ffmpeg wrote no picture"
  end
  local okr, rerr = os.rename(part, out)
  if not okr then fs.remove(part) return nil, string.format("cannot write %s: %s", out, tostring(rerr)) end
  return true
end

-- --- the command --------------------------------------------------------

local say = display.say

local function names_of(axes)
  local t = {}
  for i, a in ipairs(axes) do t[i] = a.name end
  return t
end

local function list_text(list)
  if #list <= 10 then return table.concat(list, ", ") end
  return table.concat(list, ", ", 1, 10) .. ", ... (" .. #list .. " in all)"
end

local function suggest(word, list)
  local set = {}
  for _, k in ipairs(list) do set[k] = true end
  return require("hh.recipe").suggest(word, set)
end

local function find_axis(axes, name, what)
  local a = report_axes.find(axes, name)
  if a then return a end
  local hint = suggest(name, names_of(axes))
  return nil, string.format("%s: unknown axis%s", what, hint ~= "" and hint or ("; the axes are " .. list_text(names_of(axes))))
end

-- The grid to draw, from options.columns, .rows and .page (a list of
-- NAME=VALUE), each defaulting to what the report opens on: { axes,
-- entries, X, Y, page }, or nil and a message naming the option.
function M.choose(data, opts)
  local entries = report_axes.entries(data)
  local axes = report_axes.axes(data, entries)
  local dx, dy = report_axes.default(axes, entries)
  local X, Y, err
  if opts.columns then
    X, err = find_axis(axes, opts.columns, "--columns " .. opts.columns)
    if not X then return nil, err end
  end
  if opts.rows then
    Y, err = find_axis(axes, opts.rows, "--rows " .. opts.rows)
    if not Y then return nil, err end
  end
  if X and X == Y then return nil, "--columns and --rows are both " .. X.name end
  -- One axis chosen: the other is the default one that is not it.
  if not X then X = report_axes.find(axes, (Y and Y.name == dx) and dy or dx) end
  if not Y then Y = report_axes.find(axes, X.name == dy and dx or dy) end
  local page = {}
  for _, item in ipairs(opts.page or {}) do
    local name, value = item:match("^([^=]+)=(.*)$")
    if not name then return nil, string.format("--page %s: expected NAME=VALUE", item) end
    local A, aerr = find_axis(axes, name, "--page " .. item)
    if not A then return nil, aerr end
    if A == X or A == Y then
      return nil, string.format("--page %s: %s is the %s", item, A.name, A == X and "columns" or "rows")
    end
    if page[A.name] then return nil, string.format("--page %s: %s is given twice", item, A.name) end
    if not A.index[value] then
      local hint = suggest(value, A.values)
      return nil, string.format('--page %s: %s has no value "%s"%s', item, A.name, value,
        hint ~= "" and hint or ("; its values are " .. list_text(A.values)))
    end
    page[A.name] = value
  end
  -- As the page settles: the other axes take the values of the first job
  -- with those given, so the picture is of a page that has jobs.
  local others = report_axes.page_axes(axes, X.name, Y.name)
  local first
  for _, e in ipairs(entries) do
    local fits = true
    for _, a in ipairs(others) do
      if page[a.name] and a.of(e.job) ~= page[a.name] then fits = false break end
    end
    if fits then first = e break end
  end
  if not first then
    local given = {}
    for _, item in ipairs(opts.page or {}) do given[#given + 1] = "--page " .. item end
    return nil, string.format("%s: no job has all of these values", table.concat(given, " "))
  end
  for _, a in ipairs(others) do page[a.name] = page[a.name] or a.of(first.job) end
  return { axes = axes, entries = entries, X = X, Y = Y, page = page }
end

-- What M.layout draws for a choice: the title (the run's name and, when the
-- grid is one page of several, the values that choose the page), the first
-- MAX_COLUMNS columns and MAX_ROWS rows, the cells.
function M.grid(data, c)
  local g = { columns = {}, rows = {}, corner = c.Y.name .. " \\ " .. c.X.name,
    at = report_axes.cells(c.axes, c.entries, c.X.name, c.Y.name, c.page) }
  -- As on the page: the values with a job on this page.
  local xs, ys = {}, {}
  for k in pairs(g.at) do
    local x, y = k:match("^(.-)\0(.*)$")
    xs[x], ys[y] = true, true
  end
  local X, Y = {}, {}
  for _, v in ipairs(c.X.values) do if xs[v] then X[#X + 1] = v end end
  for _, v in ipairs(c.Y.values) do if ys[v] then Y[#Y + 1] = v end end
  for i, v in ipairs(X) do if i <= M.MAX_COLUMNS then g.columns[i] = { key = v, label = v } end end
  for i, v in ipairs(Y) do if i <= M.MAX_ROWS then g.rows[i] = { key = v, label = v } end end
  local title = { tostring(data.run.name) }
  local fixed = {}
  for _, a in ipairs(report_axes.page_axes(c.axes, c.X.name, c.Y.name)) do
    fixed[#fixed + 1] = a.name .. "=" .. (c.page[a.name] or a.values[1])
  end
  if #fixed > 0 then title[#title + 1] = table.concat(fixed, " · ") end
  local cut = {}
  if #X > M.MAX_COLUMNS then cut[#cut + 1] = string.format("columns 1-%d of %d", M.MAX_COLUMNS, #X) end
  if #Y > M.MAX_ROWS then cut[#cut + 1] = string.format("rows 1-%d of %d", M.MAX_ROWS, #Y) end
  if #cut > 0 then title[#title + 1] = "(" .. table.concat(cut, ", ") .. ")" end
  g.title, g.cut = table.concat(title, "  —  "), cut
  return g
end

local function poster_missing(e)
  local job = e.job
  return job.state == "done" and job.present and not poster_of(job) and not (job.qc and job.qc.error)
end

-- Checks the clips of `ids` (a set of job ids) as hh qc DIR does, so that
-- they get posters; the manifest and report follow. The number checked, or
-- nil and a message (another hh holds the run).
function M.check_clips(dir, ids)
  local journal, jerr = require("hh.journal").open(dir)
  if not journal then return nil, jerr end
  local json = require("hh.json")
  local qc_run = require("hh.qc_run")
  local ok, res = pcall(function()
    local base = json.decode(journal:meta("qc") or "{}") or {}
    local ctx = { journal = journal, out = dir, qc = qc_run.context(base) or qc_run.context({}), recheck = true }
    ctx.qc.available = true
    local list = {}
    for _, row in ipairs(journal:current()) do
      if ids[row.id] and row.file then list[#list + 1] = row end
    end
    require("hh").map(list, function(row)
      local job = { id = row.id, params = json.decode(row.params) or {} }
      job.duration = select(2, require("hh.rules").check(job.params))
      return qc_run.attach({ state = "done", file = row.file, sha256 = row.sha256 }, job, ctx)
    end, { concurrency = 64 })
    return #list
  end)
  require("hh.engine").finish(journal)
  if not ok then return nil, tostring(res) end
  local wrote, werr = require("hh.report").write(dir)
  if not wrote then say("report: cannot write the report: %s", werr) end
  return res
end

-- Makes the picture (as a job on the loop). Exit status.
local function make(dir, data, opts, file)
  local t0 = core.now()
  local regular, bold = M.fonts()
  if not regular then say("report: grid image: %s", bold) return 1 end
  local c = assert(M.choose(data, opts))
  local g = M.grid(data, c)
  local ids, n = {}, 0
  for _, e in pairs(g.at) do
    if poster_missing(e) then ids[e.job.job] = true n = n + 1 end
  end
  if n > 0 then
    say("report: grid image: checking %d clip(s) that have no poster yet, as hh qc DIR does", n)
    local done, err = M.check_clips(dir, ids)
    if done then
      data = assert(require("hh.report").data(dir))
      c = assert(M.choose(data, opts))
      g = M.grid(data, c)
    else
      say("report: grid image: cannot check the clips without a poster (%s); hh qc %s makes their posters", err, dir)
    end
  end
  if #g.cut > 0 then
    say("report: grid image: at most %d columns and %d rows are drawn: %s", M.MAX_COLUMNS, M.MAX_ROWS, table.concat(g.cut, ", "))
  end
  local lay = M.layout(g)
  local ok, err = M.draw(lay, dir, file, { regular = regular, bold = bold })
  if not ok then say("report: grid image: %s", err) return 4 end
  local function count(n, what) return n .. " " .. what .. (n == 1 and "" or "s") end
  say("report: grid image: %s (%s) by %s (%s), cells %dx%d, row labels %d px: %dx%d px in %.1f s",
    count(#g.columns, "column"), c.X.name, count(#g.rows, "row"), c.Y.name, lay.cell_width, lay.cell_height, lay.label_width, lay.width, lay.height,
    core.now() - t0)
  display.print(file)
  return 0
end

-- hh report DIR --grid-image [FILE]: writes FILE (DIR/grid.png when none).
-- Exit status: 0, 2 for a bad option, 1 without ffmpeg or a font, 4 when
-- ffmpeg failed.
function M.command(dir, opts, file)
  file = file or (dir .. "/grid.png")
  local lower = file:lower()
  if not (lower:match("%.png$") or lower:match("%.jpe?g$")) then
    say("report: --grid-image %s: the image must be a .png or .jpg file", file)
    return 2
  end
  local data, err = require("hh.report").data(dir)
  if not data then say("report: %s", err) return 4 end
  local c, cerr = M.choose(data, opts)
  if not c then say("report: %s", cerr) return 2 end
  local qc_run = require("hh.qc_run")
  if not qc_run.available() then say("report: grid image: %s", qc_run.MISSING) return 1 end
  local code
  local _, aborted, interrupts = core.run(function()
    local ok, res = pcall(make, dir, data, opts, file)
    if ok then code = res else say("report: grid image: %s", tostring(res)) code = 1 end
  end)
  if aborted or (interrupts or 0) > 0 then return 130 end
  return code or 1
end

return M
