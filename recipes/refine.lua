-- A Lua recipe doing what YAML cannot: make four looks, then pick the one
-- whose file came out largest (a stand-in for any score you compute) and
-- make two closer variations of it.
recipe {
  name = "refine",
  prompt = "A paper boat on a rain-soaked street, {look}",
  duration = 4,
  sweep = { look = { "noir", "pastel", "neon", "sepia" } },
  output = "{look}.mp4",
  budget = 3000,
  after_credits = 480, -- the two variations below, at most: counted in the plan
  after = function(results, run)
    local best
    for _, r in ipairs(results) do
      if r.state == "done" and (not best or r.bytes > best.bytes) then best = r end
    end
    if not best then return end
    run({
      { prompt = best.params.prompt .. ", close-up", output = "best-close-up.mp4" },
      { prompt = best.params.prompt .. ", from above", output = "best-from-above.mp4" },
    })
  end,
}
