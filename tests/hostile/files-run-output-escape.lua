-- hostile: run() with an output name leaving the run directory
-- sim:
-- env: HH_SETTINGS=poll_min_interval=0.002,poll_max_interval=0.05,rate=0,recipe_instructions=20000000
-- hh: run {FILE} -q
-- after: test ! -e ../out.mp4 && test ! -e out.mp4
-- exit: 1
-- stdout: files-run-output-escape: 1 done (0 already), 0 failed, 0 unknown, 0 pending, 0 skipped, 0 reruns; charged 300 credits this run; runs/files-run-output-escape/manifest.jsonl
-- stderr: hh: error in after(): {FILE}:10: run: entry 1: output "../../out.mp4": must not contain '..'
recipe{prompt = "a fox", output = "fox.mp4", after_credits = 300,
  after = function(results, run) run({ { prompt = "a fox", output = "../../out.mp4" } }) end}
