#!/usr/bin/env bash
# gateway_ops.sh: what an operator relies on: /healthz, /readyz following the backend, Prometheus
# /metrics, /openapi.json, --admin-listen, the access log, CORS, settings from the environment, a
# start-up error for colliding paths, and the drain on SIGTERM (unary calls finish, streams end with
# UNAVAILABLE, exit 0).
. "${GW_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh" || exit 99

start greeter "$GREETER_SERVER" --listen 127.0.0.1:0
BACKEND=127.0.0.1:$(listen_port greeter)
start_gateway gw --backend "$BACKEND" --access-log json

# Health and readiness.
req GET "$GW_URL/healthz"
expect_eq 200 "$STATUS" "healthz"
req GET "$GW_URL/readyz"
expect_eq 200 "$STATUS" "readyz with a SERVING backend"
expect_contains '"status":"SERVING"' "$BODY" "readyz body"
start_gateway down --backend 127.0.0.1:1
req GET "$GW_URL/readyz"
expect_eq 503 "$STATUS" "readyz with the backend down"
expect_contains 'UNAVAILABLE' "$BODY" "readyz gives the reason"
req GET "$GW_URL/healthz"
expect_eq 200 "$STATUS" "healthz does not depend on the backend"

# Metrics after some traffic.
GW_URL=http://127.0.0.1:$(listen_port gw)
for i in 1 2 3; do curl -s -o /dev/null -d '{"name":"m"}' "$GW_URL/v1/hello"; done
curl -s -o /dev/null -d '{}' "$GW_URL/v1/hello"
curl -s -o /dev/null "$GW_URL/nowhere"
req GET "$GW_URL/metrics"
expect_eq 200 "$STATUS" "metrics"
expect_match '^text/plain; version=0.0.4' "$(header Content-Type)" "Prometheus content type"
expect_match 'grpc_json_gateway_requests_total\{route="POST /v1/hello",code="200"\} 3' "$BODY" "requests by route and status"
expect_match 'grpc_json_gateway_requests_total\{route="POST /v1/hello",code="400"\} 1' "$BODY" "errors by status"
expect_match 'grpc_json_gateway_requests_total\{route="unrouted",code="404"\} 1' "$BODY" "unrouted requests"
expect_match 'grpc_json_gateway_backend_errors_total\{grpc_code="INVALID_ARGUMENT"\} 1' "$BODY" "backend errors by code"
expect_match 'grpc_json_gateway_request_duration_seconds_count\{route="POST /v1/hello"\} 4' "$BODY" "latency histogram"

# The OpenAPI document.
req GET "$GW_URL/openapi.json"
expect_eq 200 "$STATUS" "openapi.json"
echo "$BODY" | "$PYTHON3" -c 'import json,sys; d=json.load(sys.stdin); assert d["openapi"].startswith("3."), d["openapi"]; assert "/v1/hello" in d["paths"], list(d["paths"])' \
  || fail "openapi.json is not an OpenAPI 3 document with /v1/hello"
echo "ok - openapi.json describes /v1/hello"

# The access log: one JSON line per request on stdout.
wait_log gw '"target":"/nowhere"' 5
line=$(grep -m1 '"target":"/v1/hello"' "$(log_of gw)")
echo "$line" | "$PYTHON3" -c 'import json,sys; r=json.load(sys.stdin); assert r["method"]=="POST" and r["status"]==200 and r["grpc_code"]=="OK" and r["peer"]=="127.0.0.1" and r["bytes_in"]==12, r' \
  || fail "access log line: $line"
echo "ok - access log line has method, status, gRPC code, peer and sizes"

# Admin endpoints on a listener of their own.
APORT=$("$PYTHON3" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_gateway adm --backend "$BACKEND" --admin-listen "127.0.0.1:$APORT"
wait_log adm "admin endpoints on" 5
req GET "http://127.0.0.1:$APORT/metrics"
expect_eq 200 "$STATUS" "metrics on --admin-listen"
req GET "$GW_URL/metrics"
expect_eq 404 "$STATUS" "metrics are not on the API listener then"
req POST "http://127.0.0.1:$APORT/v1/hello" -d '{"name":"x"}'
expect_eq 404 "$STATUS" "the admin listener serves no API"

# An admin path that collides with an API route is a start-up error.
set +e
"$GATEWAY" --listen 127.0.0.1:0 --backend "$BACKEND" --metrics-path /v1/hello >"$WORK/collide.log" 2>&1
st=$?
set -e
expect_eq 2 "$st" "colliding admin path: exit 2"
expect_contains "collides" "$(cat "$WORK/collide.log")" "and says so"

# Settings from the environment.
GW_CORS_ORIGIN=https://app.example,http://localhost:3000 GW_BACKEND=$BACKEND start_gateway cors
req OPTIONS "$GW_URL/v1/hello" -H 'Origin: https://app.example' -H 'Access-Control-Request-Method: POST' \
    -H 'Access-Control-Request-Headers: content-type, grpc-timeout'
expect_eq 204 "$STATUS" "CORS preflight from an allowed origin"
expect_eq "https://app.example" "$(header Access-Control-Allow-Origin)" "preflight Allow-Origin"
expect_contains "POST" "$(header Access-Control-Allow-Methods)" "preflight Allow-Methods"
req POST "$GW_URL/v1/hello" -H 'Origin: http://localhost:3000' -d '{"name":"c"}'
expect_eq 200 "$STATUS" "cross-origin call (backend from GW_BACKEND)"
expect_eq "http://localhost:3000" "$(header Access-Control-Allow-Origin)" "response Allow-Origin"
req POST "$GW_URL/v1/hello" -H 'Origin: https://evil.example' -d '{"name":"c"}'
expect_eq "" "$(header Access-Control-Allow-Origin)" "no Allow-Origin for other origins"
req OPTIONS "$GW_URL/v1/hello" -H 'Origin: https://evil.example' -H 'Access-Control-Request-Method: POST'
expect_eq 403 "$STATUS" "preflight from another origin is refused"

# Drain on SIGTERM: a unary call in flight finishes, a stream ends with UNAVAILABLE, exit 0.
start slow "$GREETER_SERVER" --listen 127.0.0.1:0 --delay-ms 700 --stream-count 100 --stream-interval-ms 50
start_gateway drain --backend "127.0.0.1:$(listen_port slow)"
curl -s -d '{"name":"late"}' "$GW_URL/v1/hello" >"$WORK/unary.out" &
unary_pid=$!
curl -s -N -d '{"name":"s"}' "$GW_URL/v1/hello/stream" >"$WORK/stream.out" &
stream_pid=$!
wait_for 5 grep -q result "$WORK/stream.out"
kill -TERM "$(pid_of drain)"
wait "$unary_pid" || true
wait "$stream_pid" || true
expect_eq '{"message":"Hello late"}' "$(cat "$WORK/unary.out")" "unary call in flight finishes during the drain"
expect_contains '{"error":{"code":14,' "$(tail -n 1 "$WORK/stream.out")" "open stream ends with UNAVAILABLE"
st=0
wait "$(pid_of drain)" || st=$?
unset "PIDS[drain]"
expect_eq 0 "$st" "the gateway exits 0 after draining"
