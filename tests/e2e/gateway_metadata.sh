#!/usr/bin/env bash
# gateway_metadata.sh: headers and metadata through grpc-json-gateway in front of the echo backend
# (which returns the request metadata as initial metadata "echo-<key>" and sends the trailing metadata
# "x-echo-trailer: done"), then gRPC errors: every status code to its HTTP status, and
# google.rpc.Status details (grpc-status-details-bin, encoded here by protoc from text format) rendered
# with their @type, known types as JSON and unknown ones as base64.
. "${GW_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh" || exit 99
. "$GW_SRCDIR/tests/e2e/echo_gateway_lib.sh"
: "${PROTOC:=protoc}" "${PROTO_INCLUDE:=/usr/include}"

start_echo echo
start_gateway gw --backend "$ECHO_ADDR" --descriptor "$KITCHEN_DESC" --forward-header X-Request-Id \
  --forward-header x-tenant --forward-header Connection
URL=$GW_URL
ADDR=${GW_URL#http://}

# ---------------------------------------------------------------- request headers -> metadata
req POST "$URL/v1/echo" -d '{}' \
  -H 'Grpc-Metadata-Foo: bar' -H 'Grpc-Metadata-Multi-Word-Key: a b  c' \
  -H 'Grpc-Metadata-Trace-Bin: AAEC/w==' -H 'Grpc-Metadata-Url-Bin: AAEC_w' \
  -H 'Authorization: Bearer tok.en' -H 'X-Request-Id: r-1' -H 'X-Tenant: t1' -H 'X-Not-Forwarded: no'
expect_eq 200 "$STATUS" "metadata call status"
expect_eq "bar" "$(header Grpc-Metadata-echo-foo)" "Grpc-Metadata-Foo is sent as metadata foo"
expect_eq "a b  c" "$(header Grpc-Metadata-echo-multi-word-key)" "value with spaces kept"
expect_eq "AAEC/w==" "$(header Grpc-Metadata-echo-trace-bin)" "-Bin value: base64-decoded, sent as bytes, returned as base64"
expect_eq "AAEC/w==" "$(header Grpc-Metadata-echo-url-bin)" "-Bin value in URL-safe base64 without padding"
expect_eq "Bearer tok.en" "$(header Grpc-Metadata-echo-authorization)" "Authorization forwarded"
expect_eq "r-1" "$(header Grpc-Metadata-echo-x-request-id)" "--forward-header X-Request-Id"
expect_eq "t1" "$(header Grpc-Metadata-echo-x-tenant)" "--forward-header matches names case-insensitively"
expect_eq "" "$(header Grpc-Metadata-echo-x-not-forwarded)" "other headers are not forwarded"
expect_eq "127.0.0.1" "$(header Grpc-Metadata-echo-x-forwarded-for)" "x-forwarded-for is the client address"
expect_eq "$ADDR" "$(header Grpc-Metadata-echo-x-forwarded-host)" "x-forwarded-host is the Host header"
expect_eq "done" "$(header Grpc-Trailer-x-echo-trailer)" "trailing metadata as Grpc-Trailer-<key>"
expect_eq '{}' "$BODY" "metadata call body"

req POST "$URL/v1/echo" -d '{}' -H 'X-Forwarded-For: 203.0.113.7, 198.51.100.2' -H 'X-Forwarded-Host: api.example' \
  -H 'Host: inner.example:8080'
expect_eq "203.0.113.7, 198.51.100.2, 127.0.0.1" "$(header Grpc-Metadata-echo-x-forwarded-for)" \
  "x-forwarded-for: the client address is appended"
expect_eq "api.example" "$(header Grpc-Metadata-echo-x-forwarded-host)" "x-forwarded-host: an incoming one is kept"
req POST "$URL/v1/echo" -d '{}' -H 'Host: inner.example:8080'
expect_eq "inner.example:8080" "$(header Grpc-Metadata-echo-x-forwarded-host)" "x-forwarded-host from Host"

# Reserved and hop-by-hop names are never forwarded, not even through Grpc-Metadata- or
# --forward-header (Connection is one of this gateway's). The echo backend itself leaves grpc-*, te,
# user-agent and content-type out of what it echoes, so the names checked here are the others.
req POST "$URL/v1/echo" -d '{}' -H 'Grpc-Metadata-Grpc-Foo: g' -H 'Grpc-Metadata-Host: h' \
  -H 'Grpc-Metadata-Connection: c' -H 'Grpc-Metadata-Keep-Alive: k' -H 'Grpc-Metadata-Transfer-Encoding: x' \
  -H 'Grpc-Metadata-Upgrade: u' -H 'Grpc-Metadata-Te: t' -H 'Grpc-Metadata-Proxy-Connection: p' \
  -H 'Connection: keep-alive' -H 'Grpc-Metadata-Kept: yes'
expect_eq 200 "$STATUS" "reserved names: status"
expect_eq "yes" "$(header Grpc-Metadata-echo-kept)" "reserved names: the ordinary one is forwarded"
leaked=$(echo "$HEADERS" | grep -i '^grpc-metadata-echo-' | grep -v -i -E '^grpc-metadata-echo-(kept|x-forwarded-for|x-forwarded-host):' || true)
expect_eq "" "$leaked" "reserved and hop-by-hop names are not forwarded"

# Headers that cannot be legal metadata: 400 naming the header, and the backend is not called.
fence() { echo_fence echo /kitchen.Echo/EchoClientStream -d '{}' "$URL/v1/echo:collect"; }
fence
calls_before=$(echo_calls echo)
bad_header() {  # HEADER NEEDLE WHAT
  req POST "$URL/v1/echo" -d '{}' -H "$1"
  expect_eq 400 "$STATUS" "$3: 400"
  expect_match '"code":3' "$BODY" "$3: INVALID_ARGUMENT"
  expect_contains "$2" "$BODY" "$3: names the header"
}
bad_header $'Grpc-Metadata-Bad: caf\x01e' "Grpc-Metadata-Bad" "control character in a value"
bad_header $'Grpc-Metadata-Accent: caf\xc3\xa9' "Grpc-Metadata-Accent" "non-ASCII value"
bad_header 'Grpc-Metadata-Data-Bin: @@@' "Grpc-Metadata-Data-Bin" "-Bin value that is not base64"
bad_header 'Grpc-Metadata-A+B: x' "Grpc-Metadata-A+B" "character not allowed in a metadata name"
bad_header $'X-Request-Id: \x7f' "X-Request-Id" "bad value in a --forward-header header"
bad_header $'Authorization: Bearer \x02' "Authorization" "bad Authorization value"
fence
expect_eq $((calls_before + 1)) "$(echo_calls echo)" "the backend saw none of the refused requests"

# ---------------------------------------------------------------- every gRPC code -> HTTP status
declare -A HTTP_OF=([1]=499 [2]=500 [3]=400 [4]=504 [5]=404 [6]=409 [7]=403 [8]=429 [9]=400 [10]=409
                    [11]=400 [12]=501 [13]=500 [14]=503 [15]=500 [16]=401)
for code in $(seq 1 16); do
  req POST "$URL/v1/echo" -d '{"fInt32":1}' -H "Grpc-Metadata-X-Echo-Status: $code" \
    -H "Grpc-Metadata-X-Echo-Message: failure $code"
  expect_eq "${HTTP_OF[$code]}" "$STATUS" "gRPC code $code -> HTTP ${HTTP_OF[$code]}"
  expect_eq "{\"code\":$code,\"message\":\"failure $code\",\"details\":[]}" "$BODY" "gRPC code $code: Status body"
  expect_eq "application/json" "$(header Content-Type)" "gRPC code $code: JSON"
done
req POST "$URL/v1/echo" -d '{}' -H 'Grpc-Metadata-X-Echo-Status: 7' -H 'Grpc-Metadata-X-Echo-Message: 100% "sure" <no>'
expect_eq 403 "$STATUS" "message with special characters: status"
expect_eq '{"code":7,"message":"100% \"sure\" \u003cno\u003e","details":[]}' "$BODY" \
  "the status message survives gRPC's percent-encoding and is escaped as JSON"
req POST "$URL/v1/echo" -d '{}' -H 'Grpc-Metadata-X-Echo-Status: 5'
expect_eq '{"code":5,"message":"","details":[]}' "$BODY" "an error without a message"
expect_eq "echo-x-forwarded-for" "$(echo "$HEADERS" | grep -i -o '^grpc-metadata-echo-x-forwarded-for' | tr 'A-Z' 'a-z' | sed 's/^grpc-metadata-//')" \
  "an error response still carries the initial metadata"
expect_eq "done" "$(header Grpc-Trailer-x-echo-trailer)" "an error response carries the trailing metadata"

# ---------------------------------------------------------------- error details
# encode_status TEXT: a google.rpc.Status in text format -> base64 of its wire form.
encode_status() {
  printf '%s\n' "$1" | "$PROTOC" -I"$GW_SRCDIR/tests/proto" -I"$GW_SRCDIR/proto" -I"$PROTO_INCLUDE" \
    --encode=google.rpc.Status google/rpc/status.proto kitchen.proto | base64 -w0
}
DETAILS=$(encode_status '
code: 5
message: "shelf not found"
details { [type.googleapis.com/kitchen.Detail] { reason: "NO_SHELF" metadata { key: "shelf" value: "s1" } metadata { key: "a" value: "b" } } }
details { [type.googleapis.com/kitchen.Retry] { delay { seconds: 2 nanos: 500000000 } } }
details { [type.googleapis.com/google.protobuf.Duration] { seconds: 1 } }
details { [type.googleapis.com/kitchen.Everything] { f_int64: 7 f_enum: COLOR_RED w_any { [type.googleapis.com/kitchen.Nested] { label: "in" } } } }
details { type_url: "type.googleapis.com/other.pkg.Unknown" value: "\001\002\003" }
details { type_url: "example.com/custom/kitchen.Nested" value: "\n\001x" }')
[ -n "$DETAILS" ] || fail "protoc --encode=google.rpc.Status failed"
req POST "$URL/v1/echo" -d '{}' -H 'Grpc-Metadata-X-Echo-Status: 5' -H 'Grpc-Metadata-X-Echo-Message: shelf not found' \
  -H "Grpc-Metadata-X-Echo-Details-Bin: $DETAILS"
expect_eq 404 "$STATUS" "details: HTTP status from the code"
expect_eq '{"code":5,"message":"shelf not found","details":[{"@type":"type.googleapis.com/kitchen.Detail","reason":"NO_SHELF","metadata":{"a":"b","shelf":"s1"}},{"@type":"type.googleapis.com/kitchen.Retry","delay":"2.500s"},{"@type":"type.googleapis.com/google.protobuf.Duration","value":"1s"},{"@type":"type.googleapis.com/kitchen.Everything","fInt64":"7","fEnum":"COLOR_RED","wAny":{"@type":"type.googleapis.com/kitchen.Nested","label":"in"}},{"@type":"type.googleapis.com/other.pkg.Unknown","value":"AQID"},{"@type":"example.com/custom/kitchen.Nested","label":"x"}]}' \
  "$BODY" "details: each Any with its @type and fields; a well-known type under value; an unknown type as base64"

# The same details under other options: proto names and enum numbers apply inside them too.
start_gateway gwnames --backend "$ECHO_ADDR" --descriptor "$KITCHEN_DESC" --proto-names --enums-as-ints
req POST "$GW_URL/v1/echo" -d '{}' -H 'Grpc-Metadata-X-Echo-Status: 9' -H "Grpc-Metadata-X-Echo-Details-Bin: $DETAILS"
expect_eq 400 "$STATUS" "details with --proto-names: FAILED_PRECONDITION is 400"
expect_contains '{"@type":"type.googleapis.com/kitchen.Everything","f_int64":"7","f_enum":1,"w_any":{"@type":"type.googleapis.com/kitchen.Nested","label":"in"}}' \
  "$BODY" "details rendered with --proto-names --enums-as-ints"

# Details that are not a valid Status are not passed off as details.
req POST "$URL/v1/echo" -d '{}' -H 'Grpc-Metadata-X-Echo-Status: 13' -H 'Grpc-Metadata-X-Echo-Message: m' \
  -H 'Grpc-Metadata-X-Echo-Details-Bin: /////w=='
expect_eq 500 "$STATUS" "undecodable details: status"
expect_match '^\{"code":13,"message":"m","details":\[\]\}$' "$BODY" "undecodable details: the status without details"

# The gateway stops cleanly after all the errors above (LeakSanitizer runs at exit in sanitizer builds).
stop gw >"$WORK/stop.code"   # not in $(...): wait needs the parent shell
st=$(cat "$WORK/stop.code")
expect_eq 0 "$st" "the gateway exits 0 on SIGTERM"
if grep -q 'Sanitizer' "$(log_of gw)"; then fail "sanitizer report: $(grep -m3 -A5 'Sanitizer' "$(log_of gw)")"; fi
echo "ok - no sanitizer report from the gateway"
