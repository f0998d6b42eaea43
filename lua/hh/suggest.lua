-- hh.suggest: "did you mean" for a misspelt name: the known name at most two
-- edits away (a swap of neighbours counting as one), or nothing.

-- Edits from a to b, two swapped neighbours counting as one edit (the
-- commonest typo: "sampels").
local function distance(a, b)
  if math.abs(#a - #b) > 2 then return 3 end
  local prev2, prev = nil, {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = { [0] = i }
    for j = 1, #b do
      local cost = a:sub(i, i) == b:sub(j, j) and 0 or 1
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
      if prev2 and j > 1 and a:sub(i, i) == b:sub(j - 1, j - 1) and a:sub(i - 1, i - 1) == b:sub(j, j) then
        cur[j] = math.min(cur[j], prev2[j - 2] + 1)
      end
    end
    prev2, prev = prev, cur
  end
  return prev[#b]
end

-- "; did you mean 'x'?" for a misspelt name, or "". A short name must be
-- close (two edits turn "zzz" into "zip", which is no suggestion), and the
-- name itself is none ({job} is reserved, yet no template can use it).
local function suggest(name, known)
  local best, bestd
  for k in pairs(known) do
    local d = distance(name, k)
    if d > 0 and d <= 2 and 2 * d <= #name and (not bestd or d < bestd or (d == bestd and k < best)) then
      best, bestd = k, d
    end
  end
  return best and string.format(" (did you mean '%s'?)", best) or ""
end

return suggest
