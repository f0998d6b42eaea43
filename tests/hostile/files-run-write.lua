-- allowed: an untrusted recipe writes a note into its run directory
-- sim:
-- env: HH_SETTINGS=poll_min_interval=0.002,poll_max_interval=0.05,rate=0,recipe_instructions=20000000
-- hh: run {FILE} -q
-- after: test "$(cat runs/files-run-write/notes/first.txt)" = fox.mp4
-- exit: 0
-- stdout: files-run-write: 1 done (0 already), 0 failed, 0 unknown, 0 pending, 0 skipped, 0 reruns; charged 300 credits this run; runs/files-run-write/manifest.jsonl
recipe{prompt = "a fox", output = "fox.mp4", after_credits = 300,
  after = function(results, run) assert(files.write("notes/first.txt", results[1].file)) end}
