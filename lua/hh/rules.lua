-- hh.rules: the documented field rules of a HappyHorse generation request,
-- checked locally before anything is sent. Messages read "field: rule", the
-- same words hh-sim answers with. Only the fields named in M.FIELDS may be
-- sent; a host that takes more declares them (hh.profile's extra_fields).

local M = {}

M.MODEL = "happyhorse-1.0/video"
M.PROMPT_MAX = 2500
M.DURATION_MIN, M.DURATION_MAX = 3, 15
M.MODES = { std = true, pro = true }
M.ASPECTS = { ["16:9"] = true, ["9:16"] = true, ["1:1"] = true }
M.MAX_SHOTS = 16

-- The fields hh knows, for "did you mean" suggestions and the JSON schema.
-- seed has no rule here: it is passed through, and hosts that take one use it.
M.FIELDS = { "model", "prompt", "mode", "duration", "aspect_ratio", "image_urls", "sound",
             "cfg_scale", "multi_shots", "multi_prompt", "seed" }

local function whole(v)
  return type(v) == "number" and v == math.floor(v) and v == v and math.abs(v) < 1e15
end

local function is_array(t)
  if type(t) ~= "table" then return false end
  local n = 0
  for k in pairs(t) do
    if math.type(k) ~= "integer" or k < 1 then return false end
    n = n + 1
  end
  return n == #t
end
M.is_array = is_array

-- Returns the list of problems ({field=, rule=}), empty when the request is
-- valid (then a shared, read-only table: a sweep checks every job, and
-- most have nothing to say). The total clip duration is the second result.
local NO_PROBLEMS = setmetatable({}, { __newindex = function() error("rules.check's empty result is read-only", 2) end })
local problems_of -- the list bad() appends to; set by M.check
local function bad(field, rule)
  if problems_of == NO_PROBLEMS then problems_of = {} end
  problems_of[#problems_of + 1] = { field = field, rule = rule }
end

local function check_prompt(field, p)
  if type(p) ~= "string" then
    bad(field, "must be a string")
  elseif #p == 0 then
    bad(field, "must not be empty")
  else
    local n = utf8.len(p)
    if not n then
      bad(field, "must be valid UTF-8 text")
    elseif n > M.PROMPT_MAX then
      bad(field, string.format("must be at most %d characters (got %d)", M.PROMPT_MAX, n))
    end
  end
end

function M.check(p)
  problems_of = NO_PROBLEMS
  if type(p) ~= "table" then
    bad("params", "must be a table")
    return problems_of
  end
  if p.model ~= nil and p.model ~= M.MODEL then
    bad("model", string.format('must be "%s"', M.MODEL))
  end
  local multi = p.multi_shots
  if multi ~= nil and type(multi) ~= "boolean" then
    bad("multi_shots", "must be true or false")
    multi = false
  end
  if p.prompt == nil then
    if not multi then bad("prompt", "is required unless multi_shots is true") end
  else
    check_prompt("prompt", p.prompt)
  end
  if p.mode ~= nil and not M.MODES[p.mode] then bad("mode", 'must be "std" or "pro"') end
  local duration = 5
  if p.duration ~= nil then
    if not whole(p.duration) or p.duration < M.DURATION_MIN or p.duration > M.DURATION_MAX then
      bad("duration", string.format("must be a whole number of seconds from %d to %d", M.DURATION_MIN, M.DURATION_MAX))
    else
      duration = math.tointeger(p.duration)
    end
  end
  if p.aspect_ratio ~= nil and not M.ASPECTS[p.aspect_ratio] then
    bad("aspect_ratio", 'must be one of "16:9", "9:16", "1:1"')
  end
  if p.sound ~= nil and type(p.sound) ~= "boolean" then bad("sound", "must be true or false") end
  if p.cfg_scale ~= nil and (type(p.cfg_scale) ~= "number" or not (p.cfg_scale >= 0 and p.cfg_scale <= 1)) then
    bad("cfg_scale", "must be a number from 0 to 1")
  end
  if p.image_urls ~= nil then
    if not is_array(p.image_urls) then
      bad("image_urls", "must be an array of URL strings")
    else
      for i, u in ipairs(p.image_urls) do
        if type(u) ~= "string" or not (u:match("^https://.") or u:match("^http://.")) then
          bad(string.format("image_urls[%d]", i - 1), "must be an http or https URL")
        end
      end
      if multi and #p.image_urls > 1 then
        bad("image_urls", "at most 1 image (the first frame) when multi_shots is true")
      elseif not multi and #p.image_urls > 2 then
        bad("image_urls", "at most 2 images (first and last frame) for a single shot")
      end
    end
  end
  if multi then
    local shots = p.multi_prompt
    if shots == nil then
      bad("multi_prompt", "is required when multi_shots is true")
    elseif not is_array(shots) or #shots == 0 then
      bad("multi_prompt", "must be a non-empty array of shots")
    elseif #shots > M.MAX_SHOTS then
      bad("multi_prompt", string.format("must have at most %d shots (got %d)", M.MAX_SHOTS, #shots))
    else
      local with, total = 0, 0
      for i, shot in ipairs(shots) do
        local f = string.format("multi_prompt[%d]", i - 1)
        if type(shot) ~= "table" then
          bad(f, "must be an object with a prompt")
        else
          if shot.prompt == nil then bad(f .. ".prompt", "is required") else check_prompt(f .. ".prompt", shot.prompt) end
          if shot.duration ~= nil then
            if not whole(shot.duration) or shot.duration < 1 or shot.duration > M.DURATION_MAX then
              bad(f .. ".duration", string.format("must be a whole number of seconds from 1 to %d", M.DURATION_MAX))
            else
              total = total + shot.duration
            end
            with = with + 1
          end
          if with ~= 0 and with ~= i then
            bad(f .. ".duration", "give a duration for every shot or for none")
            with = -1000
          end
        end
      end
      if with == #shots then
        if total < M.DURATION_MIN or total > M.DURATION_MAX then
          bad("multi_prompt", string.format("shot durations add up to %d s; the total must be from %d to %d s",
            math.tointeger(total) or total, M.DURATION_MIN, M.DURATION_MAX))
        elseif p.duration ~= nil and p.duration ~= total then
          bad("duration", string.format("must equal the sum of the shot durations (%d s) or be left out", math.tointeger(total)))
        else
          duration = math.tointeger(total)
        end
      elseif with == 0 and #shots > duration then
        bad("multi_prompt", string.format("%d shots do not fit in %d s (each needs at least 1 s)", #shots, duration))
      end
    end
  end
  return problems_of, duration
end

-- Credits per second of output, by mode and sound.
M.PRICES = { std = { [false] = 40, [true] = 60 }, pro = { [false] = 54, [true] = 80 } }

-- The credits a valid request will cost.
function M.price(p, duration)
  local mode = p.mode or "std"
  local sound = p.sound
  if sound == nil then sound = true end
  local per = M.PRICES[mode] and M.PRICES[mode][sound] or M.PRICES.pro[true]
  return per * (duration or p.duration or 5)
end

return M
