-- hh.profile: a host profile says how one host speaks the HappyHorse API:
-- base URL, endpoint paths, where the task id, status word, result URLs and
-- error live in its answers, what its status words mean, its rate limit,
-- whether it honours Idempotency-Key and which fields it takes beyond the
-- documented ones. The C core calls the functions below; a reseller with
-- another URL shape is a new table, not new C.

local json = require("hh.json")
local rules = require("hh.rules")
local core = require("hh.core")

local M = {}

M.happyhorse = {
  name = "happyhorse",
  base_url = "https://happyhorse.app",
  generate_path = "/api/generate",
  status_path = "/api/status?task_id={id}",
  model = rules.MODEL,
  task_id = { "data", "task_id" },
  status = { "data", "status" },
  result_urls = { "data", "response", "resultUrls" },
  error = { "data", "error_message" },
  charged = { "data", "consumed_credits" }, -- what the host says a task cost, when it says
  result_ttl = 24 * 3600, -- seconds a host is assumed to keep a finished task (not documented)
  words = {
    IN_PROGRESS = "running",
    SUCCESS = "succeeded", COMPLETED = "succeeded",
    FAILED = "failed", CANCELLED = "cancelled", CANCELED = "cancelled",
  },
  rate = 1,               -- requests a second (a reseller documents 60 a minute)
  idempotent = false,     -- not documented for this host
  extra_fields = {},      -- fields the host takes beyond rules.FIELDS, sent unchanged
}

-- The request fields every host knows (rules.FIELDS, seed among them).
M.KNOWN = {}
for _, f in ipairs(rules.FIELDS) do M.KNOWN[f] = true end

-- Why a name cannot be a request field of profile p, or nil: one rule for
-- hh.generate, hh generate --set and the recipe engine. `tail` says how to
-- pass a field only some hosts know.
function M.unknown_field(p, name, tail)
  if type(name) ~= "string" then
    return string.format("[%s]: not a field name (fields are named: {prompt = ...})", tostring(name))
  end
  if M.KNOWN[name] or p.extra_set[name] then return nil end
  return string.format("%s: not an API field%s; %s", name, require("hh.recipe").suggest(name, M.KNOWN), tail)
end

local function dig(t, path)
  for _, k in ipairs(path) do
    if type(t) ~= "table" then return nil end
    t = t[k]
  end
  if t == json.null then return nil end
  return t
end

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = type(v) == "table" and copy(v) or v end
  return c
end

-- Why an answer said no, in the host's words where it gave some.
local function answer_message(answer)
  local body = json.decode(answer or "")
  if type(body) == "table" then
    local err = body.error
    if type(err) == "table" and type(err.message) == "string" then return err.message end
    if type(err) == "string" then return err end
    for _, k in ipairs({ "message", "error_message", "detail", "msg" }) do
      if type(body[k]) == "string" then return body[k] end
    end
  end
  local s = tostring(answer or ""):gsub("%c", " "):sub(1, 200)
  return s ~= "" and s or "no message"
end
M.answer_message = answer_message

local HTTP_CLASS = {
  [400] = "invalid", [401] = "auth", [402] = "quota", [403] = "forbidden", [404] = "not_found",
  [409] = "conflict", [413] = "too_large", [422] = "invalid", [429] = "rate_limited",
}

-- The failure class of a FAILED task from its message (recipes rerun by class).
function M.failure_class(message)
  local m = tostring(message or ""):lower()
  if m:find("polic") or m:find("moderat") or m:find("safety") or m:find("nsfw") or m:find("not allowed") then
    return "policy"
  end
  if m:find("invalid") or m:find("unsupported") then return "invalid" end
  if m:find("credit") or m:find("quota") or m:find("balance") then return "quota" end
  return "transient"
end

local run_nonce
local calls = 0

-- Status results keep the answer's text; `raw` decodes it on first use, so
-- ten thousand results held by a sweep stay small.
local Result = {
  __name = "hh.Result",
  __index = function(t, k)
    if k ~= "raw" then return nil end
    local v = json.decode(rawget(t, "answer") or "")
    rawset(t, "raw", v)
    return v
  end,
}
M.Result = Result

-- Builds a profile object from a table of overrides on a base profile.
function M.new(base, overrides)
  local p = copy(base or M.happyhorse)
  for k, v in pairs(overrides or {}) do p[k] = v end
  p.base_url = tostring(p.base_url):gsub("/+$", "")
  if type(p.extra_fields) ~= "table" then error("profile.extra_fields must be a list of field names", 0) end
  p.extra_set = {}
  for _, f in ipairs(p.extra_fields) do
    if type(f) ~= "string" then error("profile.extra_fields must be a list of field names", 0) end
    p.extra_set[f] = true
  end

  -- Names first (sorted, so the message is always the same one), then the
  -- rules; `extra` fields pass through but may not stand in for known ones.
  local function check_names(params)
    local names = {}
    for k in pairs(params) do
      if k ~= "extra" then
        if type(k) ~= "string" then return M.unknown_field(p, k) end
        names[#names + 1] = k
      end
    end
    table.sort(names)
    for _, k in ipairs(names) do
      local why = M.unknown_field(p, k, "pass fields only some hosts know in extra = {...}")
      if why then return why end
    end
    local extra = params.extra
    if extra == nil then return nil end
    if type(extra) ~= "table" then return "extra: must be a table of fields passed through unchanged" end
    for k in pairs(extra) do
      if type(k) ~= "string" then return string.format("extra[%s]: not a field name", tostring(k)) end
      if M.KNOWN[k] then return string.format("extra.%s: is an API field; set it directly", k) end
    end
    return nil
  end

  function p.prepare_generate(params, opts)
    opts = opts or {}
    local why = type(params) == "table" and check_names(params)
    if why then error("hh.generate: " .. why, 3) end
    local problems, duration = rules.check(params)
    if #problems > 0 then
      local first = problems[1]
      error(string.format("hh.generate: %s: %s", first.field, first.rule), 3)
    end
    local body = copy(params)
    body.extra = nil
    for k, v in pairs(params.extra or {}) do body[k] = type(v) == "table" and copy(v) or v end
    body.model = body.model or p.model
    local text = json.encode(body)
    local key = opts.idempotency_key
    if key == nil then
      run_nonce = run_nonce or core.random_hex(16)
      calls = calls + 1
      key = "hh-" .. core.sha256(text .. "\n" .. run_nonce .. "\n" .. calls):sub(1, 40)
    end
    local sound = params.sound
    if sound == nil then sound = true end
    return {
      url = p.base_url .. p.generate_path,
      body = text,
      idempotency_key = key,
      params = params,
      duration = duration,
      kind = string.format("%s/%d/%s", params.mode or "std", duration, sound and "a" or "s"),
      credits = rules.price(params, duration),
    }
  end

  function p.finish_submit(req, out)
    if out.result == "answered" and out.code >= 200 and out.code < 300 then
      local body, err = json.decode(out.answer)
      local id = body and dig(body, p.task_id)
      if type(id) == "number" then id = string.format("%d", id) end
      if type(id) ~= "string" or id == "" then
        return nil, string.format("outcome unknown: the host answered HTTP %d without a task id (%s); "
          .. "the task may exist and be billed (Idempotency-Key %s)", out.code,
          body and "no data.task_id" or ("not JSON: " .. tostring(err)), req.idempotency_key), "unknown"
      end
      return setmetatable({
        id = id, params = req.params, kind = req.kind, duration = req.duration, credits = req.credits,
        submitted = core.now(), idempotency_key = req.idempotency_key, attempts = out.attempts,
      }, M.Task)
    end
    if out.result == "answered" then
      local cls = HTTP_CLASS[out.code] or (out.code >= 500 and "unknown" or "http")
      return nil, string.format("the API refused the request (HTTP %d): %s", out.code, answer_message(out.answer)), cls
    end
    if out.result == "unknown" then
      return nil, string.format("outcome unknown: %s; the task may exist and be billed (Idempotency-Key %s)",
        out.error, req.idempotency_key), "unknown"
    end
    -- "failed" here is a request the loop could not start: never sent either.
    if out.result == "not_sent" or out.result == "failed" then
      return nil, "not submitted: " .. out.error, "not_sent"
    end
    return nil, out.error, out.result
  end

  function p.status_url(id)
    local enc = tostring(id):gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end)
    return p.base_url .. p.status_path:gsub("{id}", (enc:gsub("%%", "%%%%")))
  end

  local warned = {}
  function p.parse_status(id, out)
    if out.result ~= "answered" then
      return nil, string.format("status of task %s: %s", id, out.error), "transport"
    end
    if out.code == 404 then return nil, string.format("task %s: not found", id), "not_found" end
    if out.code < 200 or out.code >= 300 then
      -- Still failing after the request's own retries: a passing problem of
      -- the host, worth more polls; anything else is final.
      local cls = (out.code >= 500 or out.code == 429 or out.code == 408) and "transient"
        or HTTP_CLASS[out.code] or "http"
      return nil, string.format("status of task %s: the API answered HTTP %d: %s", id, out.code,
        answer_message(out.answer)), cls
    end
    local body, err = json.decode(out.answer)
    if type(body) ~= "table" then
      return nil, string.format("status of task %s: the answer is not JSON (%s)", id, tostring(err)), "transient"
    end
    local word = dig(body, p.status)
    if type(word) ~= "string" then
      return nil, string.format("status of task %s: the answer has no status", id), "transient"
    end
    local status = p.words[word:upper()] or "unknown"
    if status == "unknown" and not warned[word] then
      warned[word] = true
      require("hh.display").say("warning: unknown status %q from the host; treating it as still running", word)
    end
    local urls = dig(body, p.result_urls)
    local url = type(urls) == "table" and urls[1] or (type(urls) == "string" and urls or nil)
    local message = dig(body, p.error)
    local result = setmetatable({ ok = status == "succeeded", status = status, word = word, task_id = id,
                     url = type(url) == "string" and url or nil, answer = out.answer }, Result)
    if message ~= nil then result.error = tostring(message) end
    local charged = p.charged and dig(body, p.charged)
    if math.type(charged) == "integer" or (type(charged) == "number" and charged == math.floor(charged)) then
      result.charged = math.tointeger(charged)
    end
    if status == "failed" or status == "cancelled" then
      result.failure_class = M.failure_class(message)
    end
    return result
  end

  return p
end

M.Task = {
  __name = "hh.Task",
  __tostring = function(t) return "hh.Task(" .. t.id .. ")" end,
}

return M
