-- post.lua: wrk script for the unary benchmark: POST {"name":"you"} as JSON.
wrk.method = "POST"
wrk.body   = '{"name":"you"}'
wrk.headers["Content-Type"] = "application/json"
