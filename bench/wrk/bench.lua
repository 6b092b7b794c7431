-- wrk script of moviediary's HTTP benchmark (scripts/bench-http.sh).
--
-- Environment: BENCH_METHOD (default GET); for POST, BENCH_BODY (JSON) and
-- BENCH_TOKEN (sent as "Authorization: Bearer"). Headers given to wrk
-- with -H (e.g. If-None-Match) are sent too. At the end it prints one
-- machine-readable RESULT line; latencies are in milliseconds, bytes are
-- all bytes read (headers included).

local method = os.getenv("BENCH_METHOD") or "GET"
wrk.method = method
if method == "POST" then
  wrk.body = os.getenv("BENCH_BODY")
  wrk.headers["Content-Type"] = "application/json"
  local token = os.getenv("BENCH_TOKEN")
  if token and token ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. token
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  local ms = function(us) return us / 1000 end
  io.write(string.format(
    "RESULT requests=%d rps=%.1f p50=%.2f p90=%.2f p99=%.2f max=%.2f bytes=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    ms(latency:percentile(50)), ms(latency:percentile(90)), ms(latency:percentile(99)), ms(latency.max), summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout))
end
