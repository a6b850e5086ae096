-- wrk script of go run ./bench (bench/wrk.go): every request is a
-- POST /introspect of one token with HTTP Basic credentials, the same
-- request the Go load generator sends.
--
--   wrk -t1 -c32 -d3s -s bench/introspect.lua http://127.0.0.1:PORT/introspect -- TOKEN 'Basic …'
--
-- The arguments after -- are the token and the whole Authorization value.
-- The request is built once per thread: no Lua runs per request.
function init(args)
  if #args ~= 2 then
    error("usage: wrk … -s introspect.lua URL -- TOKEN AUTHORIZATION")
  end
  wrk.method = "POST"
  wrk.body = "token=" .. args[1]
  wrk.headers["Authorization"] = args[2]
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["User-Agent"] = "introspectmock-bench-wrk"
end
