-- hostile: after() exhausting memory
-- sim:
-- env: HH_SETTINGS=poll_min_interval=0.002,poll_max_interval=0.05,rate=0,recipe_instructions=20000000
-- hh: run {FILE} -q
-- exit: 1
-- stdout: limit-after-memory: 1 done (0 already), 0 failed, 0 unknown, 0 pending, 0 skipped, 0 reruns; charged 300 credits this run; runs/limit-after-memory/manifest.jsonl
-- stderr: hh: error in after(): used more than 256 MiB of memory
recipe{prompt = "a fox", output = "fox.mp4", after_credits = 300,
  after = function(results, run) local s = "x" for i = 1, 40 do s = s .. s end end}
