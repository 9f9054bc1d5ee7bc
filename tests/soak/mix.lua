-- mix.lua: the wrk script of tests/soak/run.sh. Each request takes the next
-- of four targets in turn: two public pages, an internal page with the
-- session cookie (HS_SESSION) and the API with a bearer token (HS_TOKEN).
-- Every answer's status is counted; done() prints one line that run.sh
-- reads: "SOAK responses=N non2xx=N connect=N read=N write=N timeout=N".
local targets = {
  { path = "/", headers = {} },
  { path = "/api/v2/summary.json", headers = {} },
  { path = "/app/incidents", headers = { ["Cookie"] = "hs_session=" .. os.getenv("HS_SESSION") } },
  { path = "/api/v1/incidents", headers = { ["Authorization"] = "Bearer " .. os.getenv("HS_TOKEN") } },
}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  i = 0
  n = 0
  bad = 0
end

function request()
  i = i % #targets + 1
  local t = targets[i]
  return wrk.format("GET", t.path, t.headers)
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
  io.write(string.format("SOAK responses=%d non2xx=%d connect=%d read=%d write=%d timeout=%d p99_ms=%.1f\n",
    total, nbad, e.connect, e.read, e.write, e.timeout, latency:percentile(99) / 1000))
end
