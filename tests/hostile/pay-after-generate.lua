-- hostile: after() pays outside its jobs (hh.generate in a loop, past the budget and the journal): refused, nothing paid
-- sim:
-- env: HH_SETTINGS=poll_min_interval=0.002,poll_max_interval=0.05,rate=0,recipe_instructions=20000000
-- hh: run {FILE} -q
-- after: test "$(curl -s {SIM}/_sim/stats | jq .accepted)" = 1
-- exit: 1
-- stdout: pay-after-generate: 1 done (0 already), 0 failed, 0 unknown, 0 pending, 0 skipped, 0 reruns; charged 300 credits this run; runs/pay-after-generate/manifest.jsonl
-- stderr: hh: error in after(): {FILE}:10: hh.generate is not available to a recipe: make jobs with run(list) in after(), within the budget and the journal (--trust lifts this, for your own recipes)
recipe{prompt = "a fox", output = "fox.mp4", budget = 300,
  after = function(results, run) for i = 1, 100 do hh.wait(hh.generate{prompt = "extra fox " .. i}) end end}
