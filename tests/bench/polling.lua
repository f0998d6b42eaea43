-- tests/bench/polling.lua - N jobs submitted at once and waited for (no download),
-- under the polling policy given by HH_SETTINGS. Prints one JSON line:
-- jobs, seconds, requests, client CPU seconds and peak RSS (from /proc).
--
--   hh tests/bench/polling.lua N

local n = tonumber(arg[1]) or 1000
local list = {}
for i = 1, n do list[i] = i end
local t0 = hh.now()
local done = 0
hh.map(list, function(i)
  local t = hh.generate{prompt = "bench " .. (i % 16), duration = 5}
  if t and hh.wait(t) then done = done + 1 end
end)
local elapsed = hh.now() - t0

local function proc(path, pattern)
  local f = io.open(path)
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s:match(pattern)
end
local stat = proc("/proc/self/stat", "%) %S+ (.*)")
local fields = {}
for w in (stat or ""):gmatch("%S+") do fields[#fields + 1] = w end
-- fields after the state: utime is the 12th, stime the 13th (clock ticks of 1/100 s)
local cpu = ((tonumber(fields[12]) or 0) + (tonumber(fields[13]) or 0)) / 100
local rss_kb = tonumber(proc("/proc/self/status", "VmHWM:%s*(%d+)")) or 0
local s = hh.stats()
print(require("hh.json").encode({
  jobs = n, done = done, seconds = elapsed, submit_requests = s.submit_requests,
  status_requests = s.status_requests, retries = s.retries, cpu_seconds = cpu, peak_rss_kb = rss_kb,
}))
