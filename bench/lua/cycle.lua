-- Cycle through one connection's pre-signed requests (bench/gen_requests.py writes them).
--
--   wrk -t C -c C -s lua/cycle.lua URL -- REQDIR [TOTAL_RATE C]
--
-- wrk gives each *thread* its own Lua state, so the suite runs one thread per connection: thread N reads
-- REQDIR/connN.req and sends its requests in order, wrapping around (create-quote k, cancel-quote k, ...).
-- With TOTAL_RATE (requests/s over all connections) each connection is paced with delay() against a
-- monotonic clock (LuaJIT ffi), staggered, so the offered rate is TOTAL_RATE whatever the latency.
-- Answers that are not HTTP 200 with envelope code "0" are counted as "bad"; done() prints one JSON line.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]]
local tspec = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, tspec) -- CLOCK_MONOTONIC
  return tonumber(tspec.tv_sec) * 1000 + tonumber(tspec.tv_nsec) / 1e6
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  local dir = args[1]
  local f = assert(io.open(dir .. "/conn" .. id .. ".req", "rb"))
  local data = f:read("*a")
  f:close()
  reqs = {}
  local pos = 1
  while pos <= #data do
    local nl = data:find("\n", pos, true)
    local n = tonumber(data:sub(pos, nl - 1))
    reqs[#reqs + 1] = data:sub(nl + 1, nl + n)
    pos = nl + n + 1
  end
  nreq = #reqs
  idx = 0
  bad = 0
  sent = 0
  first_bad = ""
  verify_pending = (id == 1)
  local total_rate = tonumber(args[2] or "0")
  local conns = tonumber(args[3] or "1")
  if total_rate > 0 then
    interval = 1000 * conns / total_rate -- ms between two requests of this connection
    phase = interval * (id - 1) / conns
  end
end

function request()
  if verify_pending then
    -- wrk calls request() once on thread 1's state to inspect the request before any is sent: don't advance
    verify_pending = false
    return reqs[1]
  end
  sent = sent + 1
  idx = idx + 1
  if idx > nreq then idx = 1 end
  return reqs[idx]
end

function delay()
  if interval == nil then return 0 end
  local now = now_ms()
  if next_at == nil then next_at = now + phase end
  local d = next_at - now
  next_at = next_at + interval
  if d <= 0 then return 0 end
  return math.floor(d + 0.5)
end

function response(status, headers, body)
  if status ~= 200 or body:sub(1, 11) ~= '{"code":"0"' then
    bad = bad + 1
    if first_bad == "" then first_bad = tostring(status) .. " " .. body:sub(1, 200) end
  end
end

function done(summary, latency, requests)
  local nbad, firsts = 0, {}
  for _, t in ipairs(threads) do
    nbad = nbad + t:get("bad")
    local fb = t:get("first_bad")
    if fb ~= "" and #firsts < 3 then table.insert(firsts, fb) end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"bad":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout, nbad))
  for _, fb in ipairs(firsts) do io.write("BENCH_BAD " .. fb:gsub("\n", " ") .. "\n") end
end
