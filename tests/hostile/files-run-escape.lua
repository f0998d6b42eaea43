-- hostile: files.write leaving the run directory
-- sim:
-- env: HH_SETTINGS=poll_min_interval=0.002,poll_max_interval=0.05,rate=0,recipe_instructions=20000000
-- hh: run {FILE} -q
-- after: test ! -e ../escaped.txt && test ! -e escaped.txt && test ! -e runs/escaped.txt
-- exit: 1
-- stdout: files-run-escape: 1 done (0 already), 0 failed, 0 unknown, 0 pending, 0 skipped, 0 reruns; charged 300 credits this run; runs/files-run-escape/manifest.jsonl
-- stderr: hh: error in after(): {FILE}:10: files.write: "../../escaped.txt": must not contain '..'
recipe{prompt = "a fox", output = "fox.mp4", after_credits = 300,
  after = function(results, run) files.write("../../escaped.txt", "x") end}
