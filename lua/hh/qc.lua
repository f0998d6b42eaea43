-- hh.qc: what a media check asks of the FFmpeg tools and what it makes of
-- their answers. Three child processes a clip: ffprobe (streams and format,
-- as JSON), one ffmpeg pass over the picture (black frames, frozen frames,
-- scene cuts, read from the frame tags of lavfi filters; a poster and a
-- filmstrip written on the way) and one over the sound (silence and EBU R128
-- loudness, frame tags too). Human log lines are never parsed. The input is
-- always demuxed as MP4 from the file protocol only, so a hostile download
-- cannot make a decoder open a playlist, another file or a URL.

local json = require("hh.json")

local M = {}

M.VERSION = 1 -- bumped when what is measured changes: cached results are checked again

-- Thresholds, as a recipe's `qc:` block or `hh qc --set` give them.
M.DEFAULTS = {
  enabled = true,
  duration_tolerance = 0.5, -- seconds between the clip and the request
  aspect_tolerance = 0.02,  -- relative difference of width/height
  fps_min = 20,             -- frames a second
  black_max = 0.25,         -- fraction of the clip that may be black
  black_pixel = 0.10,       -- blackdetect pix_th: luminance under this is black
  frozen_max = 0.5,         -- fraction that may be one still picture
  frozen_noise = -60,       -- freezedetect noise, dB
  frozen_seconds = 2,       -- shortest still stretch counted
  silence_max = 0.8,        -- fraction that may be silent, when sound was asked for
  silence_noise = -50,      -- silencedetect noise, dB
  silence_seconds = 1,      -- shortest silence counted
  loudness_min = -70,       -- LUFS integrated; quieter is flagged (-70 is the meter's floor: off)
  loudness_max = 0,         -- LUFS integrated; louder is flagged
  cut_threshold = 10,       -- scdet threshold (0 to 100)
  cut_tolerance = 0.5,      -- seconds between a cut and a shot boundary asked for
  timeout = 60,             -- seconds each tool may run
  memory = 1024,            -- MiB of address space each tool may use
  poster_width = 480,
  strip_frames = 10,
  strip_width = 160,
}

M.BOUNDS = {
  duration_tolerance = { 0, 15 }, aspect_tolerance = { 0, 1 }, fps_min = { 0, 240 },
  black_max = { 0, 1 }, black_pixel = { 0, 1 }, frozen_max = { 0, 1 }, frozen_noise = { -120, 0 },
  frozen_seconds = { 0.1, 60 }, silence_max = { 0, 1 }, silence_noise = { -120, 0 }, silence_seconds = { 0.1, 60 },
  loudness_min = { -70, 10 }, loudness_max = { -70, 10 }, cut_threshold = { 0, 100 }, cut_tolerance = { 0, 15 },
  timeout = { 1, 3600 }, memory = { 64, 65536 }, poster_width = { 32, 1920 }, strip_frames = { 2, 30 },
  strip_width = { 32, 640 },
}

-- The problems of a `qc:` mapping as {key, rule}; empty when it is valid.
function M.problems(t)
  local out = {}
  if type(t) ~= "table" then
    out[1] = { key = nil, rule = "must be a mapping of check settings (see docs/checks.md)" }
    return out
  end
  for k, v in pairs(t) do
    local d = M.DEFAULTS[k]
    if d == nil then
      out[#out + 1] = { key = k, rule = "unknown check setting" }
    elseif type(d) == "boolean" then
      if type(v) ~= "boolean" then out[#out + 1] = { key = k, rule = "must be true or false" } end
    elseif type(v) ~= "number" or v ~= v then
      out[#out + 1] = { key = k, rule = "must be a number" }
    elseif M.BOUNDS[k] and (v < M.BOUNDS[k][1] or v > M.BOUNDS[k][2]) then
      out[#out + 1] = { key = k, rule = string.format("must be from %g to %g", M.BOUNDS[k][1], M.BOUNDS[k][2]) }
    end
  end
  table.sort(out, function(a, b) return tostring(a.key) < tostring(b.key) end)
  return out
end

-- A recipe's `qc:` block, checked: its settings (nil when it has none).
function M.from_recipe(raw, problems)
  if raw.qc == nil then return nil end
  local loc = require("hh.loc")
  local at = loc.key(raw, "qc")
  for _, pr in ipairs(M.problems(raw.qc)) do
    if pr.key == nil then
      problems:add(at, "qc", pr.rule)
    else
      local unknown = pr.rule == "unknown check setting"
      local hint = unknown and require("hh.recipe").suggest(pr.key, M.DEFAULTS) or ""
      problems:add(unknown and loc.keypos(raw.qc, pr.key) or loc.key(raw.qc, pr.key), "qc." .. tostring(pr.key), pr.rule .. hint)
    end
  end
  return type(raw.qc) == "table" and raw.qc or nil
end

-- The settings in force: the defaults with `t` over them.
function M.settings(t)
  local s = {}
  for k, v in pairs(M.DEFAULTS) do s[k] = v end
  for k, v in pairs(t or {}) do if M.DEFAULTS[k] ~= nil then s[k] = v end end
  return s
end

-- What a cached result must have been measured with to be reused.
function M.version(s)
  local keys = {}
  for k in pairs(M.DEFAULTS) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = { tostring(M.VERSION) }
  for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. tostring(s[k]) end
  return require("hh.core").sha256(table.concat(parts, ";")):sub(1, 16)
end

local function input(path) return { "-f", "mov", "-protocol_whitelist", "file", "-i", "file:" .. path } end

local function append(t, list) for _, v in ipairs(list) do t[#t + 1] = v end return t end

function M.probe_argv(path)
  return append({ "ffprobe", "-v", "error", "-hide_banner", "-of", "json", "-show_streams", "-show_format" },
    input(path))
end

-- The picture pass: analysis on a small copy of each frame (the filters
-- see the same black, stillness and cuts at a fraction of the cost), a
-- poster (the most representative of a few frames a second) and a strip.
function M.video_argv(path, s, duration, poster, strip)
  -- Never enlarged: a small clip keeps its own size.
  local scale = string.format("scale=w='min(%d,iw)':h='min(%d,ih)':force_original_aspect_ratio=decrease:force_divisible_by=2:flags=fast_bilinear",
    s.poster_width, s.poster_width)
  local analysis = string.format(
    "blackdetect=d=0.1:pix_th=%g,freezedetect=n=%gdB:d=%g,scdet=threshold=%g,metadata=mode=print:file=/dev/stdout",
    s.black_pixel, s.frozen_noise, s.frozen_seconds, s.cut_threshold)
  local outputs = { "[an]" }
  local graph = { "[0:v]" .. scale .. ",split=" .. ((poster and 1 or 0) + (strip and duration and 1 or 0) + 1) .. "[a]" }
  if poster then graph[1] = graph[1] .. "[p]" end
  if strip and duration then graph[1] = graph[1] .. "[s]" end
  graph[#graph + 1] = "[a]" .. analysis .. "[an]"
  if poster then graph[#graph + 1] = "[p]fps=2,thumbnail=n=30[po]" end
  if strip and duration then
    local w = s.strip_width
    graph[#graph + 1] = string.format("[s]fps=%g,scale=w=%d:h=%d:force_original_aspect_ratio=decrease:force_divisible_by=2,tile=%dx1[st]",
      s.strip_frames / math.max(duration, 0.1), w, w, s.strip_frames)
  end
  -- Without the deblocking filter a 1080p decode costs a fifth less; at
  -- poster size, and for black, stillness and cuts, it makes no difference.
  local argv = append({ "ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-threads", "1", "-filter_threads", "1",
    "-skip_loop_filter", "all" }, input(path))
  append(argv, { "-filter_complex", table.concat(graph, ";"), "-map", outputs[1], "-f", "null", "-" })
  if poster then append(argv, { "-map", "[po]", "-frames:v", "1", "-update", "1", "-y", "file:" .. poster }) end
  if strip and duration then append(argv, { "-map", "[st]", "-frames:v", "1", "-update", "1", "-y", "file:" .. strip }) end
  return argv
end

function M.audio_argv(path, s)
  local filters = string.format("silencedetect=n=%gdB:d=%g,ebur128=metadata=1,ametadata=mode=print:file=/dev/stdout",
    s.silence_noise, s.silence_seconds)
  return append(append({ "ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-threads", "1" }, input(path)),
    { "-map", "0:a:0", "-af", filters, "-f", "null", "-" })
end

local function rate(text)
  local n, d = tostring(text or ""):match("^(%d+)/(%d+)$")
  n, d = tonumber(n), tonumber(d)
  if n and d and d > 0 and n > 0 then return n / d end
  return nil
end

-- Streams and format from ffprobe's JSON: nil and a message when it is not.
function M.parse_probe(text)
  local t = json.decode(text)
  if type(t) ~= "table" then return nil, "ffprobe's answer is not JSON" end
  local r = { audio = false, streams = 0 }
  for _, st in ipairs(t.streams or {}) do
    r.streams = r.streams + 1
    if st.codec_type == "video" and not r.vcodec then
      r.vcodec, r.width, r.height = st.codec_name, tonumber(st.width), tonumber(st.height)
      r.fps = rate(st.avg_frame_rate) or rate(st.r_frame_rate)
      r.vduration = tonumber(st.duration)
    elseif st.codec_type == "audio" and not r.acodec then
      r.audio, r.acodec = true, st.codec_name
      r.sample_rate, r.channels = tonumber(st.sample_rate), tonumber(st.channels)
    end
  end
  local f = t.format or {}
  r.duration = tonumber(f.duration) or r.vduration
  r.format = f.format_name
  return r
end

-- The frame tags printed by the metadata filters: a list of
-- {t = pts_time, tags = {key = value}} for the frames that have any.
function M.parse_tags(text)
  local frames, cur = {}, nil
  for line in tostring(text):gmatch("[^\n]+") do
    local t = line:match("^frame:%s*%d+%s+pts:%s*%S+%s+pts_time:(%S+)")
    if t then
      cur = { t = tonumber(t), tags = {} }
      frames[#frames + 1] = cur
    elseif cur then
      local k, v = line:match("^([%w%._]+)=(.*)$")
      if k then cur.tags[k] = v end
    end
  end
  return frames
end

-- Intervals from start/end tags; one still open at the end lasts to `stop`.
local function intervals(frames, start_key, end_key, stop)
  local list, open = {}, nil
  for _, f in ipairs(frames) do
    local s, e = tonumber(f.tags[start_key]), tonumber(f.tags[end_key])
    if e and open then
      list[#list + 1] = { open, e }
      open = nil
    end
    if s then open = s end
  end
  if open and stop then list[#list + 1] = { open, math.max(open, stop) } end
  return list
end

local function covered(list, total)
  if not total or total <= 0 then return 0 end
  local sum = 0
  for _, iv in ipairs(list) do sum = sum + math.max(0, math.min(iv[2], total) - math.max(iv[1], 0)) end
  return math.min(1, sum / total)
end

-- The time two lists of disjoint intervals share.
local function overlap(a, b)
  local sum = 0
  for _, x in ipairs(a) do
    for _, y in ipairs(b) do sum = sum + math.max(0, math.min(x[2], y[2]) - math.max(x[1], y[1])) end
  end
  return sum
end

-- What the picture pass saw. A black stretch is also a still one: it
-- counts as black only.
function M.parse_video(text, duration)
  local frames = M.parse_tags(text)
  local last = 0
  for _, f in ipairs(frames) do if f.t and f.t > last then last = f.t end end
  local total = duration or last
  local black = intervals(frames, "lavfi.black_start", "lavfi.black_end", total)
  local frozen = intervals(frames, "lavfi.freezedetect.freeze_start", "lavfi.freezedetect.freeze_end", total)
  local cuts = {}
  for _, f in ipairs(frames) do
    local c = tonumber(f.tags["lavfi.scd.time"])
    if c then cuts[#cuts + 1] = math.floor(c * 1000 + 0.5) / 1000 end
  end
  local still = covered(frozen, total) - (total > 0 and overlap(frozen, black) / total or 0)
  return { frames = #frames, black = covered(black, total), frozen = math.max(0, still),
           black_spans = black, frozen_spans = frozen, cuts = cuts }
end

function M.parse_audio(text, duration)
  local frames = M.parse_tags(text)
  local loudness
  for _, f in ipairs(frames) do
    local i = tonumber(f.tags["lavfi.r128.I"])
    if i then loudness = i end
  end
  local silent = intervals(frames, "lavfi.silence_start", "lavfi.silence_end", duration)
  return { silence = covered(silent, duration), silence_spans = silent, loudness = loudness }
end

local function round(x, d) return x and math.floor(x * 10 ^ d + 0.5) / 10 ^ d end

local ASPECT = { ["16:9"] = 16 / 9, ["9:16"] = 9 / 16, ["1:1"] = 1 }
local VIDEO_CODECS = { h264 = true, hevc = true, av1 = true, vp9 = true }
local AUDIO_CODECS = { aac = true, opus = true, mp3 = true }

-- The shot boundaries a multi-shot request asks for: their number, and
-- their times when every shot gives its duration.
local function asked_cuts(p)
  if not p.multi_shots or type(p.multi_prompt) ~= "table" or #p.multi_prompt < 2 then return nil end
  local times, at = {}, 0
  for i, shot in ipairs(p.multi_prompt) do
    if type(shot) ~= "table" or type(shot.duration) ~= "number" then times = nil break end
    at = at + shot.duration
    if i < #p.multi_prompt then times[#times + 1] = at end
  end
  return #p.multi_prompt - 1, times
end

-- The verdict: the measures and a list of flags {code, reason}, from what
-- the tools saw and what was asked (`p`, the request; nil for a bare file).
-- With `partial`, p holds only what was given (hh qc FILE --aspect ...).
function M.judge(probe, video, audio, p, s, asked_duration, partial)
  local r = {
    duration = round(probe.duration, 3), width = probe.width, height = probe.height, fps = round(probe.fps, 3),
    vcodec = probe.vcodec, acodec = probe.acodec, audio = probe.audio,
    black = video and round(video.black, 4), frozen = video and round(video.frozen, 4),
    cuts = video and video.cuts or {}, silence = audio and round(audio.silence, 4),
    loudness = audio and round(audio.loudness, 2), flags = {},
  }
  local function flag(code, fmt, ...) r.flags[#r.flags + 1] = { code = code, reason = string.format(fmt, ...) } end
  if not probe.vcodec then flag("no_video", "has no video stream") end
  if probe.vcodec and not VIDEO_CODECS[probe.vcodec] then flag("codec", "video codec %s is not H.264, HEVC, AV1 or VP9", probe.vcodec) end
  if probe.acodec and not AUDIO_CODECS[probe.acodec] then flag("codec", "audio codec %s is not AAC, Opus or MP3", probe.acodec) end
  if p and asked_duration and probe.duration and math.abs(probe.duration - asked_duration) > s.duration_tolerance then
    flag("duration", "lasts %.2f s; %g s was asked for", probe.duration, asked_duration)
  end
  local want = p and ASPECT[p.aspect_ratio or (not partial and "16:9") or ""]
  local images = p and type(p.image_urls) == "table" and #p.image_urls > 0 -- the host adapts to the image
  if want and not images and probe.width and probe.height and probe.height > 0 then
    local got = probe.width / probe.height
    if math.abs(got - want) / want > s.aspect_tolerance then
      flag("aspect", "is %d×%d; %s was asked for", probe.width, probe.height, p.aspect_ratio or "16:9")
    end
  end
  local res = p and type(p.resolution) == "string" and tonumber(p.resolution:match("^(%d+)[pP]$"))
  if res and probe.width and probe.height and math.min(probe.width, probe.height) ~= res then
    flag("resolution", "is %d×%d; %dp was asked for", probe.width, probe.height, res)
  end
  if probe.fps and probe.fps < s.fps_min then flag("fps", "plays at %.3g frames a second (fewer than %g)", probe.fps, s.fps_min) end
  local sound = p and p.sound ~= false and not (partial and p.sound == nil)
  if p and sound and not probe.audio then flag("no_audio", "has no audio track; sound was asked for") end
  if p and p.sound == false and probe.audio then flag("unexpected_audio", "has an audio track; sound: false was asked for") end
  if video then
    if video.black > s.black_max then flag("black", "is black for %d%% of its length", math.floor(video.black * 100 + 0.5)) end
    if video.frozen > s.frozen_max then flag("frozen", "is one still picture for %d%% of its length", math.floor(video.frozen * 100 + 0.5)) end
  end
  if audio and (sound or not p or (partial and p.sound == nil)) then
    if audio.silence > s.silence_max then flag("silent", "is silent for %d%% of its length", math.floor(audio.silence * 100 + 0.5)) end
    if audio.loudness and audio.loudness < s.loudness_min then flag("quiet", "loudness %.1f LUFS is under %g", audio.loudness, s.loudness_min) end
    if audio.loudness and audio.loudness > s.loudness_max then flag("loud", "loudness %.1f LUFS is over %g", audio.loudness, s.loudness_max) end
  end
  local nwant, times = asked_cuts(p or {})
  -- A picture that is black or still has no cuts to count: its flag says it.
  -- Nor has a clip cut short all its shots: its duration flag says it.
  local blank = video and (video.black > s.black_max or video.frozen > s.frozen_max)
  for _, f in ipairs(r.flags) do if f.code == "duration" then blank = true end end
  if nwant and video and not blank then
    local got = #video.cuts
    r.shots = nwant + 1
    if got < nwant then
      flag("shots_merged", "%d cut(s) found, %d shots asked for (%d cuts): shots were merged", got, nwant + 1, nwant)
    elseif got > nwant then
      flag("shots_split", "%d cut(s) found, %d shots asked for (%d cuts): a shot was split", got, nwant + 1, nwant)
    elseif times then
      for i, t in ipairs(times) do
        if math.abs(video.cuts[i] - t) > s.cut_tolerance then
          flag("shots_mistimed", "cut %d is at %.2f s; the shots ask for %g s", i, video.cuts[i], t)
          break
        end
      end
    end
  end
  r.flagged = #r.flags > 0
  return r
end

-- What a rerun rule's expression sees as `qc`: the measures, `flagged`,
-- `error`, `cuts` (how many) and `flags` (a set: qc.flags.black).
function M.view(r)
  local flags = {}
  for _, f in ipairs(r.flags or {}) do flags[f.code] = true end
  return {
    flagged = r.flagged or false, error = r.error, flags = flags, duration = r.duration, width = r.width,
    height = r.height, fps = r.fps, audio = r.audio, black = r.black, frozen = r.frozen, silence = r.silence,
    loudness = r.loudness, cuts = r.cuts and #r.cuts or 0, shots = r.shots,
  }
end

-- One line: "ok" or the reasons.
function M.summary(r)
  if r.error then return "not checked: " .. r.error end
  if not r.flagged then return "ok" end
  local parts = {}
  for _, f in ipairs(r.flags) do parts[#parts + 1] = f.reason end
  return table.concat(parts, "; ")
end

function M.codes(r)
  local parts = {}
  for _, f in ipairs(r.flags or {}) do parts[#parts + 1] = f.code end
  return table.concat(parts, ",")
end

return M
