#!/usr/bin/env bash
# gateway_unary.sh: grpc-json-gateway in front of greeter-server, unary calls as a user makes them
# with curl: happy paths, every binding of SayHello, errors with google.rpc.Status bodies, deadlines,
# body limits, a backend that is down, and a client that disconnects.
. "${GW_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh" || exit 99

start greeter "$GREETER_SERVER" --listen 127.0.0.1:0
GREETER_PORT=$(listen_port greeter)
start_gateway gw --backend "127.0.0.1:$GREETER_PORT" --max-body-bytes 64K

# The README's first example: curl -d sends application/x-www-form-urlencoded; JSON is accepted anyway.
out=$(curl -s -d '{"name":"you"}' "$GW_URL/v1/hello")
expect_eq '{"message":"Hello you"}' "$out" "POST /v1/hello"

req POST "$GW_URL/v1/hello" -H 'Content-Type: application/json' -d '{"name":"json"}'
expect_eq 200 "$STATUS" "status of POST /v1/hello"
expect_eq "application/json" "$(header Content-Type)" "content type"
expect_eq '{"message":"Hello json"}' "$BODY" "body of POST /v1/hello"

req GET "$GW_URL/v1/hello/you"
expect_eq '{"message":"Hello you"}' "$BODY" "GET /v1/hello/{name}"
req GET "$GW_URL/v1/hello/a%20b%2Fc"
expect_eq '{"message":"Hello a b/c"}' "$BODY" "path variable is percent-decoded"
req POST "$GW_URL/helloworld.Greeter/SayHello" -d '{"name":"rpc"}'
expect_eq '{"message":"Hello rpc"}' "$BODY" "POST /<service>/<method>"
req POST "$GW_URL/v1/hello" -d '{"name":"a"}' -H 'Content-Type: text/plain'
expect_eq '{"message":"Hello a"}' "$BODY" "JSON body whatever the content type"

# Errors from the backend: INVALID_ARGUMENT for an empty name -> 400 with a Status body.
req POST "$GW_URL/v1/hello" -d '{}'
expect_eq 400 "$STATUS" "empty name is 400"
expect_eq '{"code":3,"message":"name must not be empty","details":[]}' "$BODY" "empty name body"
req POST "$GW_URL/v1/hello" -d ''
expect_eq 400 "$STATUS" "empty body is an empty message (then INVALID_ARGUMENT from the greeter)"

# The gateway's own errors: same body shape, and the backend is not called.
req POST "$GW_URL/v1/hello" -d '{"nme":"you"}'
expect_eq 400 "$STATUS" "unknown field is 400"
expect_contains "nme" "$BODY" "unknown field is named"
expect_match '"code":3' "$BODY" "unknown field code"
req POST "$GW_URL/v1/hello" -d '{"name":'
expect_eq 400 "$STATUS" "malformed JSON is 400"
expect_match 'line 1, column [0-9]+' "$BODY" "malformed JSON gives its position"
req POST "$GW_URL/v1/hello" -d '{"name":5}'
expect_eq 400 "$STATUS" "wrong type is 400"
expect_contains "name" "$BODY" "wrong type names the field"
req POST "$GW_URL/v1/hello" -d '{"name":"a"} trailing'
expect_eq 400 "$STATUS" "trailing garbage is 400"
req GET "$GW_URL/v1/nope"
expect_eq 404 "$STATUS" "unknown path is 404"
expect_match '"code":5' "$BODY" "404 body is a Status"
req DELETE "$GW_URL/v1/hello"
expect_eq 405 "$STATUS" "wrong method is 405"
expect_eq "POST" "$(header Allow)" "405 carries Allow"
req POST "$GW_URL/v1/hello" -H 'Grpc-Timeout: soon' -d '{"name":"x"}'
expect_eq 400 "$STATUS" "malformed Grpc-Timeout is 400"
req POST "$GW_URL/v1/hello" -H 'Grpc-Timeout: 123456789S' -d '{"name":"x"}'
expect_eq 400 "$STATUS" "nine-digit Grpc-Timeout is 400"
req POST "$GW_URL/v1/hello" -H 'Grpc-Timeout: 99999999H' -d '{"name":"big"}'
expect_eq 200 "$STATUS" "largest Grpc-Timeout is served"
big=$(head -c 70000 /dev/zero | tr '\0' 'a')
req POST "$GW_URL/v1/hello" -d "{\"name\":\"$big\"}"
expect_eq 413 "$STATUS" "body over --max-body-bytes is 413"
req POST "$GW_URL/v1/hello" -H 'Grpc-Metadata-Bad: caf'$'\x01' -d '{"name":"x"}'
expect_eq 400 "$STATUS" "illegal metadata value is 400"
calls_before=$(grep -c "SayHello status=" "$(log_of greeter)" || true)
expect_eq 9 "$calls_before" "the backend saw only the calls that were valid"

req GET "$GW_URL/healthz"
expect_eq 200 "$STATUS" "healthz"

# --max-message-bytes bounds the messages both ways: a request message over it is 413 (not sent), a
# reply over it is RESOURCE_EXHAUSTED (429), as gRPC reports it.
start_gateway gwsmall --backend "127.0.0.1:$GREETER_PORT" --max-message-bytes 100
name95=$(head -c 95 /dev/zero | tr '\0' 'n')
req POST "$GW_URL/v1/hello" -d "{\"name\":\"$name95\"}"
expect_eq 429 "$STATUS" "reply over --max-message-bytes is 429"
expect_contains "larger than max" "$BODY" "and says why"
name150=$(head -c 150 /dev/zero | tr '\0' 'n')
req POST "$GW_URL/v1/hello" -d "{\"name\":\"$name150\"}"
expect_eq 413 "$STATUS" "request message over --max-message-bytes is 413"

# Request heads over the limits: 414 and 431 with a JSON body.
start_gateway gwlim --backend "127.0.0.1:$GREETER_PORT" --max-url-bytes 64 --max-header-count 20 --max-header-bytes 2K
req GET "$GW_URL/v1/hello/$(head -c 80 /dev/zero | tr '\0' u)"
expect_eq 414 "$STATUS" "target over --max-url-bytes is 414"
expect_match '"code":3' "$BODY" "414 has a Status body"
hdrs=(); for i in $(seq 1 25); do hdrs+=(-H "X-H$i: v"); done
req POST "$GW_URL/v1/hello" "${hdrs[@]}" -d '{"name":"h"}'
expect_eq 431 "$STATUS" "more headers than --max-header-count is 431"
req POST "$GW_URL/v1/hello" -H "X-Big: $(head -c 2100 /dev/zero | tr '\0' b)" -d '{"name":"h"}'
expect_eq 431 "$STATUS" "head over --max-header-bytes is 431"
expect_match '"code":3' "$BODY" "431 has a Status body"
req POST "$GW_URL/v1/hello" -d '{"name":"fits"}'
expect_eq 200 "$STATUS" "a request within the limits is served"

# Deadlines: a slow backend and a Grpc-Timeout -> 504, and the backend sees its deadline pass.
start slow "$GREETER_SERVER" --listen 127.0.0.1:0 --delay-ms 1500
start_gateway gwslow --backend "127.0.0.1:$(listen_port slow)"
t0=$(now_ms)
req POST "$GW_URL/v1/hello" -H 'Grpc-Timeout: 200m' -d '{"name":"late"}'
t1=$(now_ms)
expect_eq 504 "$STATUS" "deadline exceeded is 504"
expect_match '"code":4' "$BODY" "deadline body is DEADLINE_EXCEEDED"
(( t1 - t0 < 1200 )) || fail "504 took $((t1 - t0)) ms, expected about 200"
echo "ok - 504 after $((t1 - t0)) ms"
wait_log slow "SayHello status=(DEADLINE_EXCEEDED|CANCELLED)" 5

# Overload: over --max-inflight the gateway answers 503 with Retry-After at once.
start_gateway gwbusy --backend "127.0.0.1:$(listen_port slow)" --max-inflight 2
curl -s -o /dev/null -d '{"name":"a"}' "$GW_URL/v1/hello" & busy1=$!
curl -s -o /dev/null -d '{"name":"b"}' "$GW_URL/v1/hello" & busy2=$!
for _ in $(seq 1 250); do
  req GET "$GW_URL/metrics"
  [[ "$BODY" =~ calls_in_flight\ 2 ]] && break
  sleep 0.02
done
t0=$(now_ms)
req POST "$GW_URL/v1/hello" -d '{"name":"c"}'
t1=$(now_ms)
expect_eq 503 "$STATUS" "over --max-inflight is 503"
expect_eq 1 "$(header Retry-After)" "with Retry-After"
(( t1 - t0 < 500 )) || fail "overload answer took $((t1 - t0)) ms"
wait "$busy1" "$busy2" || true

# A client that goes away cancels its call: the backend records CANCELLED.
curl -s --max-time 0.3 -d '{"name":"gone"}' "$GW_URL/v1/hello" >/dev/null || true
wait_log slow "SayHello status=CANCELLED cancelled=1" 5
echo "ok - client disconnect cancels the backend call"

# Backend down: 503 UNAVAILABLE, quickly.
start_gateway gwdown --backend 127.0.0.1:1 --default-timeout 5s
t0=$(now_ms)
req POST "$GW_URL/v1/hello" -d '{"name":"x"}'
t1=$(now_ms)
expect_eq 503 "$STATUS" "backend down is 503"
expect_match '"code":14' "$BODY" "backend down is UNAVAILABLE"
echo "# 503 after $((t1 - t0)) ms"
