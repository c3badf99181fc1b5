-- wrk script shared by every scenario; bench/harness.py sets it up through the environment.
--
--   BENCH_MODE=get       GET the URL (headers from wrk's -H), count non-2xx answers
--   BENCH_MODE=post      POST BENCH_BODY as JSON (login), count non-2xx answers
--   BENCH_MODE=refresh   chained refresh: each thread owns ONE connection and ONE session (run
--                        wrk with as many threads as connections) and sends the refresh token of
--                        the previous answer, so every request rotates and writes. Tokens travel in
--                        the JSON body (the template's body mode; Django's default): wrk hands Lua
--                        one value per header name, so several Set-Cookie headers cannot be read.
--     BENCH_TOKENS         file with one starting refresh token per line (one per thread)
--     BENCH_REQUEST_FIELD  JSON field the token is sent in   (template: refresh_token, Django: refresh)
--     BENCH_RESPONSE_FIELD JSON field the new token comes in (same names)
--
-- At the end one line `BENCH_JSON {...}` gives rate, latency percentiles and failures: `non2xx`
-- counts every answer outside 200..299, `broken` counts 2xx answers without a new token (a chain
-- that cannot go on). A failed rotation is never hidden by the reuse grace: the next request
-- would carry an old token and fail as well.

local mode = os.getenv("BENCH_MODE") or "get"
local threads = {}
local tokens = {}

if mode == "refresh" then
  local file = assert(io.open(assert(os.getenv("BENCH_TOKENS"), "BENCH_TOKENS"), "r"))
  for line in file:lines() do
    if #line > 0 then table.insert(tokens, line) end
  end
  file:close()
end

-- Runs in the main state, once per thread, before the threads start.
function setup(thread)
  table.insert(threads, thread)
  if mode == "refresh" then
    local token = tokens[#threads]
    assert(token, "fewer BENCH_TOKENS lines than threads")
    thread:set("token", token)
  end
end

-- From here on: each thread's own state.
non2xx = 0
broken = 0

function init(args)
  if mode == "post" or mode == "refresh" then
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
  end
  if mode == "post" then
    wrk.body = assert(os.getenv("BENCH_BODY"), "BENCH_BODY")
  end
  request_field = os.getenv("BENCH_REQUEST_FIELD") or "refresh_token"
  response_pattern = '"' .. (os.getenv("BENCH_RESPONSE_FIELD") or "refresh_token") .. '"%s*:%s*"([^"]+)"'
end

if mode == "refresh" then
  function request()
    return wrk.format(nil, nil, nil, '{"' .. request_field .. '":"' .. token .. '"}')
  end
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    return
  end
  if mode == "refresh" then
    local next_token = body:match(response_pattern)
    if next_token then
      token = next_token
    else
      broken = broken + 1
    end
  end
end

function done(summary, latency, requests)
  local failed, no_token = 0, 0
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("non2xx")
    no_token = no_token + thread:get("broken")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"rps":%.2f,"p50_us":%d,"p90_us":%d,"p99_us":%d,'
      .. '"max_us":%d,"non2xx":%d,"broken":%d,"connect_errors":%d,"read_errors":%d,'
      .. '"write_errors":%d,"timeouts":%d}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    failed, no_token, e.connect, e.read, e.write, e.timeout))
end
