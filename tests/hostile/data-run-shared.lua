-- hostile: after() hands run() a table shared forty levels deep: refused before hh encodes it
-- sim:
-- env: HH_SETTINGS=poll_min_interval=0.002,poll_max_interval=0.05,rate=0,recipe_instructions=20000000
-- hh: run {FILE} -q
-- after: test -s runs/data-run-shared/manifest.jsonl
-- exit: 1
-- stdout: data-run-shared: 1 done (0 already), 0 failed, 0 unknown, 0 pending, 0 skipped, 0 reruns; charged 300 credits this run; runs/data-run-shared/manifest.jsonl
-- stderr: hh: error in after(): {FILE}:13: run[0]: holds more than 100000 values (a table used N times counts N times)
recipe{prompt = "a fox", output = "fox.mp4", after_credits = 300,
  after = function(results, run)
    local t = {}
    for _ = 1, 40 do t = { t, t } end
    run({ { prompt = "again", motion = t } })
  end}
