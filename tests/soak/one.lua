-- one.lua: a wrk script for the mixed soak of tests/soak/run.sh: the path
-- given on wrk's command line, every answer's status counted; done()
-- prints "ONE responses=N non2xx=N errors=N p99_ms=X".
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  n = 0
  bad = 0
end

function response(status, headers, body)
  n = n + 1
  if status < 200 or status > 299 then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local total, nbad = 0, 0
  for _, t in ipairs(threads) do
    total = total + t:get("n")
    nbad = nbad + t:get("bad")
  end
  local e = summary.errors
  io.write(string.format("ONE responses=%d non2xx=%d errors=%d p99_ms=%.2f\n",
    total, nbad, e.connect + e.read + e.write + e.timeout,
    latency:percentile(99) / 1000))
end
