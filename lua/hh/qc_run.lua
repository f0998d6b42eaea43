-- hh.qc_run: media checks run as child processes of the event loop (see
-- hh.qc for what they ask and conclude). A clip's check is three tools in
-- turn; checks of different clips run side by side, one a core. A tool that
-- crashes, hangs past its time or exceeds its memory ends that clip's check
-- with an error; the run goes on. Results are journaled per job and file,
-- and reused while the file and the settings are the same.

local core = require("hh.core")
local fs = require("hh.fs")
local json = require("hh.json")
local qc = require("hh.qc")

local M = {}

M.POSTERS = "posters" -- below the run directory: <sha256>.jpg and <sha256>-strip.jpg

M.MISSING = "ffprobe and ffmpeg are not installed: install the Debian package ffmpeg (apt-get install ffmpeg)"

function M.available()
  return core.findable("ffprobe") and core.findable("ffmpeg")
end

-- Why a tool's run did not give an answer, or nil when it did.
local function failure(name, r)
  if r.not_started then return string.format("%s could not be started: %s", name, r.error or "?") end
  if r.interrupted then return name .. " was stopped by an interrupt" end
  if r.timed_out then return string.format("%s did not finish in time", name) end
  if r.overflow then return name .. " printed more than hh reads" end
  if r.signal then return string.format("%s crashed (signal %d)", name, r.signal) end
  if r.exit ~= 0 then
    local last = (r.err or ""):gsub("%s+$", ""):match("([^\n]*)$") or ""
    if #last > 200 then last = last:sub(1, 200) .. "..." end
    return string.format("%s failed (exit %d)%s", name, r.exit, last ~= "" and ": " .. last or "")
  end
  return nil
end
M.failure = failure

local function limits(s)
  return { timeout = s.timeout, memory = s.memory * 1048576, output = 32 * 1048576 }
end

-- Checks the file at `path`. `p` is the request (nil for a bare file),
-- opts.dir where posters go (nil: none), opts.sha256 the file's digest,
-- opts.duration what was asked. Returns the result; result.error when it
-- could not be checked.
function M.check_file(path, p, s, opts)
  opts = opts or {}
  local t0 = core.now()
  if not M.available() then return { error = M.MISSING, missing = true } end
  local lim = limits(s)
  local r = core.process(qc.probe_argv(path), lim)
  local why = failure("ffprobe", r)
  if why then return { error = why, interrupted = r.interrupted } end
  local probe, perr = qc.parse_probe(r.out)
  if not probe then return { error = perr } end
  local video, audio
  local poster, strip, tmp_poster, tmp_strip
  if opts.dir and opts.sha256 then
    local pdir = opts.dir .. "/" .. M.POSTERS
    fs.mkdirs(pdir)
    poster = M.POSTERS .. "/" .. opts.sha256 .. ".jpg"
    strip = M.POSTERS .. "/" .. opts.sha256 .. "-strip.jpg"
    -- Named by content: made once, whatever job or run has the clip.
    if not fs.size(opts.dir .. "/" .. poster) then tmp_poster = opts.dir .. "/" .. poster .. ".part.jpg" end
    if not fs.size(opts.dir .. "/" .. strip) then tmp_strip = opts.dir .. "/" .. strip .. ".part.jpg" end
  end
  if probe.vcodec then
    r = core.process(qc.video_argv(path, s, probe.duration, tmp_poster, tmp_strip), lim)
    why = failure("ffmpeg (picture)", r)
    if why then
      if tmp_poster then fs.remove(tmp_poster) end
      if tmp_strip then fs.remove(tmp_strip) end
      return { error = why, interrupted = r.interrupted }
    end
    video = qc.parse_video(r.out, probe.duration)
    for tmp, final in pairs({ [tmp_poster or 0] = poster, [tmp_strip or 0] = strip }) do
      if tmp ~= 0 and fs.size(tmp) then os.rename(tmp, opts.dir .. "/" .. final) end
    end
  end
  if probe.audio then
    r = core.process(qc.audio_argv(path, s), lim)
    why = failure("ffmpeg (sound)", r)
    if why then return { error = why, interrupted = r.interrupted } end
    audio = qc.parse_audio(r.out, probe.duration)
  end
  local res = qc.judge(probe, video, audio, p, s, opts.duration, opts.partial)
  if opts.dir and opts.sha256 then
    res.poster = fs.size(opts.dir .. "/" .. poster) and poster or nil
    res.strip = fs.size(opts.dir .. "/" .. strip) and strip or nil
  end
  res.detail = { black_spans = video and video.black_spans, frozen_spans = video and video.frozen_spans,
                 silence_spans = audio and audio.silence_spans, frames = video and video.frames }
  res.seconds = core.now() - t0
  return res
end

-- A journaled result as check_file returned it.
function M.from_row(row)
  if not row then return nil end
  local d = row.detail and json.decode(row.detail) or {}
  local r = {
    error = row.error, flagged = row.flagged == 1, duration = row.duration, width = row.width, height = row.height,
    fps = row.fps, vcodec = row.vcodec, acodec = row.acodec, audio = row.audio == 1, black = row.black,
    frozen = row.frozen, silence = row.silence, loudness = row.loudness, shots = row.shots,
    cuts = row.cuts and json.decode(row.cuts) or {}, poster = row.poster, strip = row.strip,
    flags = d.flags or {}, detail = d.detail, seconds = row.seconds, sha256 = row.sha256, version = row.version,
  }
  return r
end

-- The context's check settings, once per run: nil when checks are off.
function M.context(r_qc)
  local s = qc.settings(r_qc)
  if not s.enabled then return nil end
  return { settings = s, version = qc.version(s), available = M.available() }
end

-- Checks a delivered job's clip (or takes the journaled result) and puts
-- it on the record as rec.qc.
function M.attach(rec, job, ctx)
  local q = ctx.qc
  if not q or rec.state ~= "done" or not rec.file then return nil end
  if not q.available then
    if not q.said then
      q.said = true
      require("hh.display").say("media checks not done: %s", M.MISSING)
    end
    return nil
  end
  local ok, row = pcall(ctx.journal.qc_get, ctx.journal, job.id)
  row = ok and row or nil
  if row and row.sha256 == rec.sha256 and row.version == q.version and not ctx.recheck then
    rec.qc = M.from_row(row)
    return rec.qc
  end
  local res = M.check_file(ctx.out .. "/" .. rec.file, job.params, q.settings,
    { dir = ctx.out, sha256 = rec.sha256, duration = job.duration })
  rec.qc = res
  if not res.interrupted then
    local okw, werr = pcall(ctx.journal.qc_put, ctx.journal, job.id, rec.sha256, q.version, res)
    if not okw then require("hh.display").say("cannot write the journal (check): %s", tostring(werr)) end
  end
  if ctx.emit then ctx.emit("checked", rec) end
  return res
end

return M
