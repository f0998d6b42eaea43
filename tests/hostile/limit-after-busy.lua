-- hostile: a busy after(): stopped, and the run still ends with its manifest
-- sim:
-- env: HH_SETTINGS=poll_min_interval=0.002,poll_max_interval=0.05,rate=0,recipe_instructions=20000000
-- hh: run {FILE} -q
-- after: test -s runs/limit-after-busy/manifest.jsonl
-- exit: 1
-- stdout: limit-after-busy: 1 done (0 already), 0 failed, 0 unknown, 0 pending, 0 skipped, 0 reruns; charged 300 credits this run; runs/limit-after-busy/manifest.jsonl
-- stderr: hh: error in after(): {FILE}:10: ran for more than 20000000 instructions
recipe{prompt = "a fox", output = "fox.mp4", after_credits = 300,
  after = function(results, run) while true do end end}
