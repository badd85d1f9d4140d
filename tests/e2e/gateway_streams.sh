#!/usr/bin/env bash
# gateway_streams.sh: the three streaming kinds through grpc-json-gateway in front of greeter-server:
# NDJSON and SSE server streams flushed per message, client streams whose JSON values are split
# across chunks, bidi over HTTP/1.1, errors before and after the first message, a deadline
# mid-stream, and a client that disconnects mid-stream.
. "${GW_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh" || exit 99
CLIENT="$PYTHON3 $GW_SRCDIR/tests/e2e/stream_client.py"

start greeter "$GREETER_SERVER" --listen 127.0.0.1:0 --stream-count 3 --stream-interval-ms 300
start_gateway gw --backend "127.0.0.1:$(listen_port greeter)"
ADDR=${GW_URL#http://}

# Server streaming, NDJSON: every message is one line, flushed as it arrives.
out=$(curl -s -N -d '{"name":"x"}' "$GW_URL/v1/hello/stream")
expect_eq '{"result":{"message":"Hello x #0"}}
{"result":{"message":"Hello x #1"}}
{"result":{"message":"Hello x #2"}}' "$out" "server stream lines"
lines=$($CLIENT "$ADDR" POST /v1/hello/stream --chunk '{"name":"t"}' 2>"$WORK/stream.err")
first_ms=$(echo "$lines" | head -1 | cut -d' ' -f1)
last_ms=$(echo "$lines" | tail -1 | cut -d' ' -f1)
note "first line after ${first_ms} ms, last after ${last_ms} ms"
(( first_ms < 250 && last_ms >= 550 )) || fail "the first line must arrive before the stream ends (first ${first_ms} ms, last ${last_ms} ms)"
echo "ok - the first line arrives at once, not at the end"
grep -qi '^transfer-encoding: chunked' "$WORK/stream.err" || fail "server stream is not chunked"

# Server-Sent Events on request.
req POST "$GW_URL/v1/hello/stream" -H 'Accept: text/event-stream' -d '{"name":"s"}'
expect_eq 200 "$STATUS" "SSE status"
expect_match '^text/event-stream' "$(header Content-Type)" "SSE content type"
expect_eq 'data: {"message":"Hello s #0"}

data: {"message":"Hello s #1"}

data: {"message":"Hello s #2"}' "$BODY" "SSE events"

# A failure before the first message is an ordinary error response.
req POST "$GW_URL/v1/hello/stream" -d '{"name":""}'
expect_eq 400 "$STATUS" "error before the first message is a plain 400"
expect_eq '{"code":3,"message":"name must not be empty","details":[]}' "$BODY" "its body"

# Client streaming: values split across chunks at awkward places.
out=$($CLIENT "$ADDR" POST /v1/hello/collect --chunk '{"na' --chunk 'me":"a"}{"name"' --chunk ':"b\"' \
      --chunk 'q"}' --chunk $'\n{"name":"c"}\n' 2>/dev/null | cut -d' ' -f2-)
expect_eq '{"message":"Hello a, b\"q, c"}' "$out" "client stream with values split across chunks"
out=$(curl -s -d '{"name":"a"}{"name":"b"}{"name":"c"}' "$GW_URL/v1/hello/collect")
expect_eq '{"message":"Hello a, b, c"}' "$out" "client stream from curl -d"
req POST "$GW_URL/v1/hello/collect" -d '{"name":"a"}{"name":5}{"name":"c"}'
expect_eq 400 "$STATUS" "malformed value mid-body is 400"
expect_contains "message 1" "$BODY" "the error names the value's index"
wait_log greeter "SayHelloClientStream status=CANCELLED" 5
echo "ok - the backend call was cancelled, not completed"

# Bidi over HTTP/1.1: replies as NDJSON once the request body has ended.
out=$(curl -s -N -d '{"name":"a"}{"name":"b"}' "$GW_URL/v1/hello/chat")
expect_eq '{"result":{"message":"Hello a"}}
{"result":{"message":"Hello b"}}' "$out" "bidi over HTTP/1.1"

# An error after the first message: an error line, and trailers when asked for.
$CLIENT "$ADDR" POST /v1/hello/chat --header 'TE: trailers' --chunk '{"name":"a"}{"name":""}' \
    >"$WORK/bidi.out" 2>"$WORK/bidi.err"
out=$(cut -d' ' -f2- "$WORK/bidi.out")
expect_eq '{"result":{"message":"Hello a"}}
{"error":{"code":3,"message":"name must not be empty","details":[]}}' "$out" "error line after the first message"
grep -qi '^trailer Grpc-Status: 3' "$WORK/bidi.err" || fail "no Grpc-Status trailer: $(cat "$WORK/bidi.err")"
echo "ok - Grpc-Status trailer"
req POST "$GW_URL/v1/hello/chat" -H 'Accept: text/event-stream' -d '{"name":"a"}{"name":""}'
expect_contains $'event: error\ndata: {"code":3' "$BODY" "SSE error event"

# A deadline mid-stream ends the stream with DEADLINE_EXCEEDED.
out=$(curl -s -N -H 'Grpc-Timeout: 450m' -d '{"name":"d"}' "$GW_URL/v1/hello/stream")
expect_match '^\{"result":\{"message":"Hello d #0"\}\}' "$out" "deadline: first message delivered"
expect_match '\{"error":\{"code":4,' "$(echo "$out" | tail -1)" "deadline mid-stream ends with DEADLINE_EXCEEDED"

# A client that disconnects mid-stream cancels the call.
curl -s -N --max-time 0.4 -d '{"name":"bye"}' "$GW_URL/v1/hello/stream" >/dev/null || true
wait_log greeter "SayHelloServerStream status=CANCELLED cancelled=1" 3
echo "ok - disconnect mid-stream cancels the backend call"
