#!/usr/bin/env bash
# gateway_python_backend.sh: grpc-json-gateway in front of a backend in another stack, the project's
# Python grpcio greeter (tests/interop/greeter_server.py): the same curl checks as the C greeter's
# basics (unary by every binding, the three streaming kinds, errors). Skipped (77) only
# when python3-grpcio (or grpc_tools, which makes the Python stubs) is missing.
. "${GW_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh" || exit 99
. "$GW_SRCDIR/tests/interop/interop.sh"
interop_setup

start pyserver "$PYTHON3" "$INTEROP_DIR/greeter_server.py" --listen 127.0.0.1:0 --stream-count 3
start_gateway gw --backend "127.0.0.1:$(listen_port pyserver)"

# Unary, by each binding of SayHello.
out=$(curl -s -d '{"name":"you"}' "$GW_URL/v1/hello")
expect_eq '{"message":"Hello you"}' "$out" "POST /v1/hello (Python backend)"
req GET "$GW_URL/v1/hello/a%20b%2Fc"
expect_eq 200 "$STATUS" "GET /v1/hello/{name}: status"
expect_eq "application/json" "$(header Content-Type)" "content type"
expect_eq '{"message":"Hello a b/c"}' "$BODY" "GET /v1/hello/{name}, percent-decoded"
req POST "$GW_URL/helloworld.Greeter/SayHello" -d '{"name":"rpc"}'
expect_eq '{"message":"Hello rpc"}' "$BODY" "POST /helloworld.Greeter/SayHello"
req POST "$GW_URL/v1/hello" -d '{"name":"h\u00e9 \"q\" <>"}'
expect_eq '{"message":"Hello hé \"q\" \u003c\u003e"}' "$BODY" "non-ASCII and escapes round trip through Python"

# Errors: the Python server's INVALID_ARGUMENT, and the gateway's own 400/404/405.
req POST "$GW_URL/v1/hello" -d '{}'
expect_eq 400 "$STATUS" "empty name: 400 from the Python backend"
expect_eq '{"code":3,"message":"name must not be empty","details":[]}' "$BODY" "empty name: Status body"
req POST "$GW_URL/v1/hello" -d '{"nme":"x"}'
expect_eq 400 "$STATUS" "unknown field: 400 from the gateway"
req GET "$GW_URL/v1/nope"
expect_eq 404 "$STATUS" "unknown path"
req DELETE "$GW_URL/v1/hello"
expect_eq 405 "$STATUS" "wrong method"
expect_eq "POST" "$(header Allow)" "Allow"

# Streams.
out=$(curl -s -N -d '{"name":"x"}' "$GW_URL/v1/hello/stream")
expect_eq '{"result":{"message":"Hello x #0"}}
{"result":{"message":"Hello x #1"}}
{"result":{"message":"Hello x #2"}}' "$out" "server stream from Python, NDJSON"
req POST "$GW_URL/v1/hello/stream" -H 'Accept: text/event-stream' -d '{"name":"s"}'
expect_eq 'data: {"message":"Hello s #0"}

data: {"message":"Hello s #1"}

data: {"message":"Hello s #2"}' "$BODY" "server stream from Python, SSE"
req POST "$GW_URL/v1/hello/stream" -d '{"name":""}'
expect_eq 400 "$STATUS" "server stream error before the first message"
expect_eq '{"code":3,"message":"name must not be empty","details":[]}' "$BODY" "its body"
out=$(curl -s -d '{"name":"a"}{"name":"b"}{"name":"c"}' "$GW_URL/v1/hello/collect")
expect_eq '{"message":"Hello a, b, c"}' "$out" "client stream to Python"
out=$(curl -s -N -d $'{"name":"a"}\n{"name":"b"}' "$GW_URL/v1/hello/chat")
expect_eq '{"result":{"message":"Hello a"}}
{"result":{"message":"Hello b"}}' "$out" "bidi with Python"
req POST "$GW_URL/v1/hello/chat" -d '{"name":"a"}{"name":""}' -H 'TE: trailers'
expect_eq '{"result":{"message":"Hello a"}}
{"error":{"code":3,"message":"name must not be empty","details":[]}}' "$BODY" "bidi error from Python mid-stream"
expect_eq "3" "$(header Grpc-Status)" "Grpc-Status trailer from Python's status"

# Request metadata reaches Python without upsetting it (it sends no metadata of its own to check).
req POST "$GW_URL/v1/hello" -d '{"name":"m"}' -H 'Grpc-Metadata-Trace-Bin: AAEC' -H 'Authorization: Bearer t' \
  -H 'Grpc-Timeout: 5S'
expect_eq '{"message":"Hello m"}' "$BODY" "metadata and a deadline sent to Python"
