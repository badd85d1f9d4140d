#!/usr/bin/env bash
# gateway_echo_streams.sh: the three streaming kinds through grpc-json-gateway in front of the echo
# backend on kitchen.Echo: server streams (x-echo-repeat) as NDJSON and SSE whose lines are the
# canonical JSON of the request (checked against Python protobuf), a failure mid-stream with
# google.rpc.Status details in the error line and the Grpc-Status trailer, a failure before the first
# message, client streams (the backend answers with the last message), bidi, metadata on streams.
. "${GW_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh" || exit 99
. "$GW_SRCDIR/tests/e2e/echo_gateway_lib.sh"
: "${PROTOC:=protoc}" "${PROTO_INCLUDE:=/usr/include}"
oracle_available || skip "python3 protobuf (the JSON oracle) is missing ($PYTHON3; Debian: python3-protobuf)"

start_echo echo
start_gateway gw --backend "$ECHO_ADDR" --descriptor "$KITCHEN_DESC"
URL=$GW_URL

# A message with something of every kind, and its canonical JSON as Python renders it (the oracle
# checks the gateway's unary answer; the stream lines must then carry exactly that JSON).
MSG='{"fInt64":"-5","fUint64":18446744073709551615,"fFloat":1e-45,"fBytes":"-_8","fEnum":2,"rSint64":[1,"-2"],"uEnum":["COLOR_RED",3],"oInt32":0,"nested":{"label":"n","child":{"tags":["t"]}},"mInt64Nested":{"-1":{"count":2}},"mBoolString":{"true":"y"},"choiceMsg":{},"wTimestamp":"2020-01-01T00:00:00.5+01:00","wDuration":"-1.5s","wStruct":{"a":[1,null,{"b":"c"}]},"wValue":null,"wUint32":0,"wFieldMask":"fInt32,nested.label","wEmpty":{},"wAny":{"@type":"type.googleapis.com/kitchen.Retry","delay":"1s"},"customJson":"c"}'
MSG=${MSG/18446744073709551615/\"18446744073709551615\"}
run_cases "$WORK/unary" "$URL/v1/echo" <<<"stream_message $MSG"
oracle_check "$WORK/unary" kitchen.Everything
CANON=$(cat "$WORK/unary/1.out")

# ---------------------------------------------------------------- server streaming
req POST "$URL/v1/echo:stream" -d "$MSG" -H 'Grpc-Metadata-X-Echo-Repeat: 3' -H 'Grpc-Metadata-Tag: s1'
expect_eq 200 "$STATUS" "server stream status"
expect_eq "application/x-ndjson" "$(header Content-Type)" "server stream content type"
expect_eq "s1" "$(header Grpc-Metadata-echo-tag)" "server stream: initial metadata as headers"
expect_eq "{\"result\":$CANON}
{\"result\":$CANON}
{\"result\":$CANON}" "$BODY" "server stream: 3 NDJSON lines, each the canonical JSON of the request"
req POST "$URL/v1/echo:stream" -d "$MSG" -H 'Grpc-Metadata-X-Echo-Repeat: 2' -H 'Accept: text/event-stream'
expect_match '^text/event-stream' "$(header Content-Type)" "SSE content type"
expect_eq "data: $CANON

data: $CANON" "$BODY" "server stream as Server-Sent Events"
req POST "$URL/v1/echo:stream" -d '{}' -H 'Grpc-Metadata-X-Echo-Repeat: 0'
expect_eq 200 "$STATUS" "server stream without messages: status"
expect_eq "" "$BODY" "server stream without messages: empty body"
req POST "$URL/v1/echo:stream" -d '{"fInt32":"x"}'
expect_eq 400 "$STATUS" "server stream with a bad request: 400 before any call"

# A failure after two messages: an error line with the Status and its details; with TE: trailers,
# Grpc-Status / Grpc-Message trailers.
DETAILS=$(printf '%s\n' 'code: 9 message: "stop" details { [type.googleapis.com/kitchen.Detail] { reason: "R" } }' |
  "$PROTOC" -I"$GW_SRCDIR/tests/proto" -I"$GW_SRCDIR/proto" -I"$PROTO_INCLUDE" --encode=google.rpc.Status \
  google/rpc/status.proto kitchen.proto | base64 -w0)
[ -n "$DETAILS" ] || fail "protoc --encode=google.rpc.Status failed"
FAIL_HEADERS=(-H 'Grpc-Metadata-X-Echo-Repeat: 3' -H 'Grpc-Metadata-X-Echo-Status: 9'
              -H 'Grpc-Metadata-X-Echo-Message: stop' -H "Grpc-Metadata-X-Echo-Details-Bin: $DETAILS")
req POST "$URL/v1/echo:stream" -d '{"fInt32":7}' "${FAIL_HEADERS[@]}" -H 'Grpc-Metadata-X-Echo-Fail-After: 2' \
  -H 'TE: trailers'
expect_eq 200 "$STATUS" "failure mid-stream: the stream had started"
expect_eq '{"result":{"fInt32":7}}
{"result":{"fInt32":7}}
{"error":{"code":9,"message":"stop","details":[{"@type":"type.googleapis.com/kitchen.Detail","reason":"R"}]}}' \
  "$BODY" "failure mid-stream: an error line with the details"
expect_eq "9" "$(header Grpc-Status)" "failure mid-stream: Grpc-Status trailer"
expect_eq "stop" "$(header Grpc-Message)" "failure mid-stream: Grpc-Message trailer"
req POST "$URL/v1/echo:stream" -d '{"fInt32":7}' "${FAIL_HEADERS[@]}" -H 'Grpc-Metadata-X-Echo-Fail-After: 1' \
  -H 'Accept: text/event-stream'
expect_eq 'data: {"fInt32":7}

event: error
data: {"code":9,"message":"stop","details":[{"@type":"type.googleapis.com/kitchen.Detail","reason":"R"}]}' \
  "$BODY" "failure mid-stream over SSE: an error event with the details"
req POST "$URL/v1/echo:stream" -d '{"fInt32":7}' "${FAIL_HEADERS[@]}" -H 'Grpc-Metadata-X-Echo-Fail-After: 0'
expect_eq 400 "$STATUS" "failure before the first message: the mapped HTTP status (FAILED_PRECONDITION)"
expect_eq '{"code":9,"message":"stop","details":[{"@type":"type.googleapis.com/kitchen.Detail","reason":"R"}]}' \
  "$BODY" "failure before the first message: a plain Status body with the details"
req POST "$URL/v1/echo:stream" -d '{"fInt32":7}' -H 'Grpc-Metadata-X-Echo-Repeat: 2' -H 'TE: trailers'
expect_eq "0" "$(header Grpc-Status)" "a stream that ends well: Grpc-Status 0 trailer"
expect_eq "done" "$(header Grpc-Trailer-x-echo-trailer)" "a stream's trailing metadata as a trailer"

# ---------------------------------------------------------------- client streaming: the last message
req POST "$URL/v1/echo:collect" --data-binary $'{"fInt32":1}\n{"fInt32":2}\n'"$MSG"
expect_eq 200 "$STATUS" "client stream status"
expect_eq "$CANON" "$BODY" "client stream: the backend's answer is the last message, canonical"
req POST "$URL/v1/echo:collect" -d '{"fString":"a"}{"fString":"b"}[]'
expect_eq 400 "$STATUS" "client stream: a value that is not an object is 400"
expect_contains "message 2" "$BODY" "client stream: the error names the value's index"
req POST "$URL/v1/echo:collect" -d ''
expect_eq '{}' "$BODY" "client stream without messages: the echo answers an empty message"
req POST "$URL/v1/echo:collect" -d '{"fString":"only"}' -H 'Grpc-Metadata-X-Echo-Status: 10' \
  -H 'Grpc-Metadata-X-Echo-Message: aborted'
expect_eq 409 "$STATUS" "client stream ending in ABORTED: 409"
expect_eq '{"code":10,"message":"aborted","details":[]}' "$BODY" "client stream error body"

# ---------------------------------------------------------------- bidi: each message echoed
req POST "$URL/v1/echo:chat" --data-binary $'{"fInt32":1}\n{"fString":"two"}'"$MSG" -H 'Grpc-Metadata-X-Echo-Repeat: 2'
expect_eq 200 "$STATUS" "bidi status"
expect_eq "{\"result\":{\"fInt32\":1}}
{\"result\":{\"fInt32\":1}}
{\"result\":{\"fString\":\"two\"}}
{\"result\":{\"fString\":\"two\"}}
{\"result\":$CANON}
{\"result\":$CANON}" "$BODY" "bidi: every message echoed twice, in order"
req POST "$URL/v1/echo:chat" --data-binary '{"fInt32":1}{"fBool":"yes"}'
expect_eq 400 "$STATUS" "bidi: a bad message is 400"
expect_contains "fBool" "$BODY" "bidi: the error names the field"
wait_log echo '^call /kitchen.Echo/EchoBidi status=CANCELLED' 5
echo "ok - bidi: the backend call was cancelled, not completed"
