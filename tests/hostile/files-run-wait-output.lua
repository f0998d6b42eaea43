-- allowed: hh.wait{output} in after() downloads into the run directory
-- sim:
-- env: HH_SETTINGS=poll_min_interval=0.002,poll_max_interval=0.05,rate=0,recipe_instructions=20000000
-- hh: run {FILE} -q
-- after: test -s runs/files-run-wait-output/extra/fox2.mp4
-- exit: 0
-- stdout: files-run-wait-output: 1 done (0 already), 0 failed, 0 unknown, 0 pending, 0 skipped, 0 reruns; charged 300 credits this run; runs/files-run-wait-output/manifest.jsonl
recipe{prompt = "a fox", output = "fox.mp4", after_credits = 300,
  after = function(results, run) assert(hh.wait(results[1].task_id, {output = "extra/fox2.mp4"})) end}
