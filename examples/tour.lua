-- examples/tour.lua - a first look at hh: six clips (three times of day x two
-- styles) made at once, each downloaded as soon as it is ready, with a
-- manifest line and a report cell for each.
--
--   hh examples/tour.lua [OUT_DIR]

local out = arg[1] or "runs/tour"
os.execute("mkdir -p '" .. out:gsub("'", "'\\''") .. "'")

local times = { "dawn", "noon", "night" }
local styles = { plain = "", film = ", shot on 35mm film, shallow depth of field" }

local jobs = {}
for _, time in ipairs(times) do
  for style, suffix in pairs(styles) do
    jobs[#jobs + 1] = {
      name = time .. "-" .. style,
      params = { prompt = "A lighthouse on a cliff at " .. time .. ", waves below" .. suffix,
                 duration = 5, aspect_ratio = "16:9", mode = "std" },
    }
  end
end
table.sort(jobs, function(a, b) return a.name < b.name end)

local results = hh.map(jobs, function(job)
  local task, err = hh.generate(job.params)
  if not task then return { job = job, error = err } end
  io.stderr:write(string.format("submitted %-12s task %s (%d credits)\n", job.name, task.id, task.credits))
  local r, werr = hh.wait(task, { output = out .. "/" .. job.name .. ".mp4" })
  return { job = job, task = task, result = r, error = werr }
end)

local manifest = assert(io.open(out .. "/manifest.jsonl", "w"))
local cells = {}
local credits = 0
for _, r in ipairs(results) do
  local line = { name = r.job.name, params = r.job.params, task_id = r.task and r.task.id,
                 credits = r.task and r.task.credits, state = r.result and "done" or "failed",
                 file = r.result and r.job.name .. ".mp4", error = r.error }
  credits = credits + (line.credits or 0)
  manifest:write(require("hh.json").encode(line), "\n")
  cells[#cells + 1] = r.result
    and string.format('<figure><video src="%s" controls muted loop></video><figcaption>%s</figcaption></figure>',
                      line.file, r.job.name)
    or string.format("<figure><figcaption>%s: %s</figcaption></figure>", r.job.name, tostring(r.error))
end
manifest:close()

local report = assert(io.open(out .. "/report.html", "w"))
report:write([[<!doctype html><meta charset="utf-8"><title>hh tour</title>
<style>body{font:14px sans-serif;margin:2em}main{display:grid;grid-template-columns:repeat(2,1fr);gap:1em}
video{width:100%}</style><h1>hh tour</h1><main>]], table.concat(cells, "\n"), "</main>\n")
report:close()

print(string.format("%d clips, %d credits, in %s (manifest.jsonl, report.html)", #results, credits, out))
