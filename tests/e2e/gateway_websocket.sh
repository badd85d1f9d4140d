#!/usr/bin/env bash
# gateway_websocket.sh: full-duplex streams over WebSocket through grpc-json-gateway in front of
# greeter-server: bidi with each reply before the next request, server and client streams and unary
# calls on a WebSocket, the final status as close code (1000 OK, 4000 + gRPC code otherwise), an
# error mid-stream, and a bad handshake.
. "${GW_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh" || exit 99
WS="$PYTHON3 $GW_SRCDIR/tests/e2e/ws_client.py"

start greeter "$GREETER_SERVER" --listen 127.0.0.1:0 --stream-count 3
start_gateway gw --backend "127.0.0.1:$(listen_port greeter)"
ADDR=${GW_URL#http://}
strip() { cut -d' ' -f2-; }

# Bidi: each reply arrives before the next request is sent (the client waits for it).
out=$($WS "$ADDR" /v1/hello/chat 'send:{"name":"a"}' recv 'send:{"name":"b"}' recv close recv-all | strip)
expect_eq 'text {"message":"Hello a"}
text {"message":"Hello b"}
close 1000 OK' "$out" "bidi over WebSocket, full duplex"

# An error mid-stream: a last text frame with the status, then a close frame with a matching code.
out=$($WS "$ADDR" /v1/hello/chat 'send:{"name":"a"}' recv 'send:{"name":""}' recv-all | strip)
expect_eq 'text {"message":"Hello a"}
text {"error":{"code":3,"message":"name must not be empty","details":[]}}
close 4003 INVALID_ARGUMENT' "$out" "error mid-stream over WebSocket"

# Server streaming and client streaming on a WebSocket.
out=$($WS "$ADDR" /v1/hello/stream 'send:{"name":"s"}' recv-all | strip)
expect_eq 'text {"message":"Hello s #0"}
text {"message":"Hello s #1"}
text {"message":"Hello s #2"}
close 1000 OK' "$out" "server stream over WebSocket"
out=$($WS "$ADDR" /v1/hello/collect 'send:{"name":"a"}' 'send:{"name":"b"}' close recv-all | strip)
expect_eq 'text {"message":"Hello a, b"}
close 1000 OK' "$out" "client stream over WebSocket: the client's close half-closes"
out=$($WS "$ADDR" /v1/hello 'send:{"name":"u"}' recv-all | strip)
expect_eq 'text {"message":"Hello u"}
close 1000 OK' "$out" "unary over WebSocket"

# A malformed request message ends the call with INVALID_ARGUMENT naming its index.
out=$($WS "$ADDR" /v1/hello/chat 'send:{"name":"a"}' recv 'send:{"name":' recv-all | strip)
expect_contains 'message 1' "$out" "malformed message is named by index"
expect_contains 'close 4003 INVALID_ARGUMENT' "$out" "and closes with 4003"

# A bad handshake is refused with a JSON error.
req GET "$GW_URL/v1/hello/chat" -H 'Upgrade: websocket' -H 'Connection: Upgrade' -H 'Sec-WebSocket-Version: 8' \
    -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='
expect_eq 426 "$STATUS" "unsupported WebSocket version is 426"
expect_match '"code":3' "$BODY" "with a Status body"

# With --cors-origin, a WebSocket from another origin is refused (browsers do not check it).
start_gateway gwcors --backend "127.0.0.1:$(listen_port greeter)" --cors-origin https://app.example
req GET "$GW_URL/v1/hello/chat" -H 'Upgrade: websocket' -H 'Connection: Upgrade' -H 'Sec-WebSocket-Version: 13' \
    -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' -H 'Origin: https://evil.example'
expect_eq 403 "$STATUS" "WebSocket from a foreign origin is 403"

# A client that drops the connection mid-stream cancels the call.
start slow "$GREETER_SERVER" --listen 127.0.0.1:0 --stream-count 50 --stream-interval-ms 100
start_gateway gw2 --backend "127.0.0.1:$(listen_port slow)"
timeout 0.5 $WS "${GW_URL#http://}" /v1/hello/stream 'send:{"name":"x"}' recv-all >/dev/null 2>&1 || true
wait_log slow "SayHelloServerStream status=CANCELLED cancelled=1" 3
echo "ok - dropping the WebSocket cancels the backend call"
