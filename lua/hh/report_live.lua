-- hh.report_live: the report while a run is alive. hh run rewrites
-- report.html (for a page opened later) and report-live.html (for a page
-- already open) as results arrive: no more often than every `interval`
-- seconds, and only the jobs that changed since the last write are read
-- again from the journal. report-live.html is a tiny page that posts its
-- stamp to the report that framed it; the report reloads itself, keeping
-- the reader's place (and the judge's votes, which live in the browser).

local core = require("hh.core")
local fs = require("hh.fs")

local M = {}
local Live = {}
Live.__index = Live

M.FILE = "report-live.html"
M.INTERVAL = 3 -- seconds between writes at most

-- The live data page: its script (allowed by hash, like the report's) hands
-- the data to the parent page and nothing else.
M.SCRIPT = [[(function () {
  var d = document.getElementById('hh-live').textContent;
  if (window.parent !== window) window.parent.postMessage({ hhLive: JSON.parse(d) }, '*');
})();]]

-- The report page's side, inside its script (before its first view is
-- drawn): while the run is alive it frames report-live.html again every few
-- seconds; when that posts a newer stamp (from that frame only), the page
-- reloads itself — report.html was rewritten first — keeping the view, the
-- grid's choices, the judge's pair and the scroll position in
-- sessionStorage; votes are in localStorage already. While videos play the
-- reload waits for a pause.
M.js = [==[
  // --- live: while hh run runs, report-live.html says when there is more
  const LIVE_STATE = 'hh-report:' + (DATA.run.id || DATA.run.name) + ':live-state';
  const liveSaved = (function () {
    try {
      const s = window.sessionStorage.getItem(LIVE_STATE);
      window.sessionStorage.removeItem(LIVE_STATE);
      return s ? JSON.parse(s) : null;
    } catch (e) { return null; }
  })();
  if (liveSaved && liveSaved.grid && typeof liveSaved.grid === 'object') {
    for (const k of Object.keys(grid)) if (k in liveSaved.grid && k !== 'typing') grid[k] = liveSaved.grid[k];
  }
  if (liveSaved && liveSaved.pair && typeof liveSaved.pair.cell === 'string') {
    const p = liveSaved.pair;
    if (slots.has(slotKey(p.cell, p.left, p.sample)) && slots.has(slotKey(p.cell, p.right, p.sample))) current = p;
  }
  (function live() {
    if (!DATA.run.live) return;
    let frame = null, pending = null;
    const note = h('span', { class: 'live', role: 'status' }, 'live: the run is going on');
    const header = document.querySelector('header');
    if (header) header.append(note);
    function ask() {
      if (frame) frame.remove();
      frame = h('iframe', { src: 'report-live.html?t=' + Date.now(), hidden: true, title: 'live results',
        'aria-hidden': 'true', tabindex: '-1' });
      document.body.append(frame);
    }
    function apply() {
      if (!pending) return;
      if (player.playing) { note.textContent = 'live: new results, shown when playback pauses'; return; }
      try {
        window.sessionStorage.setItem(LIVE_STATE, JSON.stringify({ grid: grid, pair: current,
          x: window.scrollX, y: window.scrollY }));
      } catch (e) { /* no sessionStorage: the page reloads at its defaults */ }
      pending = null;
      location.reload();
    }
    window.addEventListener('message', (e) => {
      if (!frame || e.source !== frame.contentWindow) return;
      const d = e.data && e.data.hhLive;
      if (!d || typeof d.stamp !== 'number' || d.stamp <= (DATA.run.stamp || 0)) return;
      pending = d;
      apply();
    });
    setInterval(() => { apply(); ask(); }, 3000);
    ask();
  })();
]==]

-- After the first view is drawn: back where the reader was.
M.js_after = [==[
  if (liveSaved && typeof liveSaved.y === 'number') window.scrollTo(liveSaved.x || 0, liveSaved.y);
]==]

function M.new(dir, journal, interval)
  return setmetatable({ dir = dir, journal = journal, interval = interval or M.INTERVAL, changed = {},
                        last = -math.huge, stamp = 0, writes = 0, seconds = 0 }, Live)
end

-- A job changed: written with the next write, at once when the last one is
-- `interval` old.
-- The pause after a write is at least `interval`, and at least 20 times what
-- the write took, so rewriting a big page never takes more than a
-- twentieth of the loop's time.
function Live:touch(id)
  if id then self.changed[id] = true end
  if core.now() - self.last >= math.max(self.interval, 20 * (self.took or 0)) then self:flush(false) end
end

local function live_page(data)
  local report = require("hh.report")
  local csp = "default-src 'none'; script-src 'sha256-" .. report.csp_hash(M.SCRIPT) .. "'"
  return table.concat({
    '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
    '<meta http-equiv="Content-Security-Policy" content="', report.escape(csp), '">\n',
    "<title>live data</title>\n</head>\n<body>\n",
    '<script type="application/json" id="hh-live">', report.script_json(data), "</script>\n",
    "<script>", M.SCRIPT, "</script>\n</body>\n</html>\n",
  })
end

-- Writes both pages. `final`: the run is over (the page stops asking).
function Live:flush(final)
  local t0 = core.now()
  local report = require("hh.report")
  if not self.data then
    local data, _, failures = report.data(self.dir)
    if not data then return end
    self.data, self.failures, self.index = data, failures, {}
    for i, job in ipairs(data.jobs) do self.index[job.job] = i end
  else
    local j = self.journal
    for id in pairs(self.changed) do
      local ok, row = pcall(j.get, j, id)
      if ok and row then
        local okq, q = pcall(j.qc_get, j, id)
        local entry = report.job_entry(self.dir, row, okq and q or nil)
        local i = self.index[id]
        if i then
          self.data.jobs[i] = entry
        else
          self.data.jobs[#self.data.jobs + 1] = entry -- a rerun, or a job after() added
          self.index[id] = #self.data.jobs
        end
      end
    end
    local okl, ledger = pcall(self.journal.ledger, self.journal)
    if okl then self.data.summary, self.failures = report.summarise(self.data.jobs, ledger) end
  end
  self.changed = {}
  self.stamp = self.stamp + 1
  local run = self.data.run
  run.live, run.stamp = not final, self.stamp
  run.generated_at = os.date("!%Y-%m-%dT%H:%M:%SZ")
  require("hh.report_blind").link(self.dir, self.data) -- the judge view's names for new clips
  fs.write_atomic(self.dir .. "/" .. report.FILE, report.render(self.data, self.failures))
  local done = 0
  for _, job in ipairs(self.data.jobs) do if job.state == "done" then done = done + 1 end end
  fs.write_atomic(self.dir .. "/" .. M.FILE, live_page({ stamp = self.stamp, live = not final, jobs = #self.data.jobs,
    done = done, generated_at = run.generated_at }))
  self.last = core.now()
  if self.open and not self.opened then
    -- hh run --open: the page, once it exists, in the user's browser.
    self.opened = true
    require("hh").spawn(function()
      local ok, err = report.open(self.dir .. "/" .. report.FILE)
      if not ok then require("hh.display").say("%s", err) end
    end)
  end
  self.writes = self.writes + 1
  self.took = self.last - t0
  self.seconds = self.seconds + self.took
end

return M
