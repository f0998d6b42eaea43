-- tests/bench/poll-bound.lua - how few polls any schedule can need. For render
-- times drawn from a log-normal (median 1, spread SIGMA) known exactly, the
-- schedule with intervals sqrt(2 S(t) / (lambda f(t))) minimises polls for a
-- given mean detection lag. This prints, for a few lambdas, its polls a job
-- and mean lag, and the polls a fixed interval needs for that same lag.
--
--   hh tests/bench/poll-bound.lua [SIGMA] [SAMPLES]

local sigma = tonumber(arg[1]) or 0.35
local samples = tonumber(arg[2]) or 20000

local function pdf(t) return math.exp(-(math.log(t)) ^ 2 / (2 * sigma ^ 2)) / (t * sigma * math.sqrt(2 * math.pi)) end
local function erfc(x) -- Numerical Recipes' erfc, relative error < 1.2e-7
  local z = math.abs(x)
  local t = 1 / (1 + 0.5 * z)
  local r = t * math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))))
  return x >= 0 and r or 2 - r
end
local function sf(t) return 0.5 * erfc(math.log(t) / (sigma * math.sqrt(2))) end
local function ppf(p)
  local lo, hi = 1e-6, 100
  for _ = 1, 200 do
    local mid = (lo + hi) / 2
    if 1 - sf(mid) < p then lo = mid else hi = mid end
  end
  return lo
end

math.randomseed(1)
local T = {}
for i = 1, samples do
  local u1, u2 = math.random(), math.random()
  T[i] = math.exp(sigma * math.sqrt(-2 * math.log(u1 + 1e-300)) * math.cos(2 * math.pi * u2))
end

print(string.format("log-normal render times, sigma %.2f, %d samples (times in medians)", sigma, samples))
print(string.format("%8s %10s %10s %12s %8s", "lambda", "polls/job", "mean lag", "fixed polls", "ratio"))
for _, lambda in ipairs({ 100, 400, 1600, 6400 }) do
  local ts, t, stop = {}, ppf(0.002), ppf(0.99999) * 2
  while t < stop do
    ts[#ts + 1] = t
    local h = math.max(pdf(t) / math.max(sf(t), 1e-12), 1e-9)
    t = t + math.sqrt(2 / (lambda * h))
  end
  local polls, lag = 0, 0
  for _, x in ipairs(T) do
    local lo, hi = 1, #ts
    while lo < hi do
      local mid = (lo + hi) // 2
      if ts[mid] < x then lo = mid + 1 else hi = mid end
    end
    polls = polls + lo
    lag = lag + (ts[lo] - x)
  end
  polls, lag = polls / #T, lag / #T
  local fixed = 0
  for _, x in ipairs(T) do fixed = fixed + math.ceil(x / (2 * lag)) end
  fixed = fixed / #T
  print(string.format("%8d %10.2f %10.4f %12.2f %8.3f", lambda, polls, lag, fixed, polls / fixed))
end
