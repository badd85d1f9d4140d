#!/usr/bin/env bash
# interop_py_client.sh: the project's Python grpcio client (tests/interop/greeter_client.py) against
# the C greeter-server: the four call kinds, errors, health, a deadline and a cancel.
. "$GW_SRCDIR/tests/lib.sh"
. "$GW_SRCDIR/tests/e2e/greeter_lib.sh"
. "$GW_SRCDIR/tests/interop/interop.sh"
interop_setup

start greeter "$GREETER_SERVER" --listen 127.0.0.1:0
port=$(listen_port greeter)
pc() { py_client --target "127.0.0.1:$port" "$@"; }

expect_eq "Hello py" "$(pc unary py)" "Python unary"
expect_eq $'Hello py #0\nHello py #1\nHello py #2\nHello py #3\nHello py #4' "$(pc server-stream py)" \
  "Python server stream"
expect_eq "Hello a, b, c" "$(pc client-stream a b c)" "Python client stream"
expect_eq "Hello " "$(pc client-stream)" "Python client stream without messages"
expect_eq $'Hello x\nHello y' "$(pc bidi x y)" "Python bidi"
expect_eq "SERVING" "$(pc health)" "Python health check"

st=0; err=$(pc unary "" 2>&1 >/dev/null) || st=$?
expect_eq "INVALID_ARGUMENT: name must not be empty" "$err" "Python: empty name"
st=0; err=$(pc unknown 2>&1 >/dev/null) || st=$?
expect_eq "UNIMPLEMENTED: unknown method /helloworld.Greeter/NoSuchMethod" "$err" "Python: unknown method"
wait_log greeter '^call /helloworld.Greeter/NoSuchMethod status=UNIMPLEMENTED cancelled=0 in=0 out=0 '
# Bytes that are not a HelloRequest (a truncated string field), sent raw.
err=$("$PYTHON3" - "127.0.0.1:$port" <<'PY'
import sys, grpc
with grpc.insecure_channel(sys.argv[1]) as ch:
    try:
        ch.unary_unary("/helloworld.Greeter/SayHello")(b"\x0a\x05a", timeout=10)
        print("OK")
    except grpc.RpcError as e:
        print("%s: %s" % (e.code().name, e.details()))
PY
)
expect_eq "INVALID_ARGUMENT: request is not a valid HelloRequest" "$err" "a malformed request"

# Deadline: a server that delays its replies.
start slow "$GREETER_SERVER" --listen 127.0.0.1:0 --delay-ms 3000
sport=$(listen_port slow)
st=0; err=$(py_client --target "127.0.0.1:$sport" --timeout 0.3 unary late 2>&1 >/dev/null) || st=$?
expect_eq 1 "$st" "Python deadline exits 1"
expect_eq "DEADLINE_EXCEEDED: Deadline Exceeded" "$err" "Python deadline exceeded"
wait_log slow '^call /helloworld.Greeter/SayHello status=DEADLINE_EXCEEDED cancelled=1 in=1 out=0 '

# Cancel: a slow server stream, cancelled by the Python client.
start stream "$GREETER_SERVER" --listen 127.0.0.1:0 --stream-count 40 --stream-interval-ms 100
tport=$(listen_port stream)
st=0
py_client --target "127.0.0.1:$tport" --cancel-after 0.35 server-stream c >"$WORK/out" 2>"$WORK/err" || st=$?
expect_eq 1 "$st" "Python cancel exits 1"
expect_match '^CANCELLED' "$(cat "$WORK/err")" "Python cancel"
wait_log stream '^call /helloworld.Greeter/SayHelloServerStream status=CANCELLED cancelled=1 in=1 '
out=$(log_field stream 'SayHelloServerStream status=CANCELLED' out)
[ "$out" -lt 10 ] || fail "the server should stop at the cancel (out=$out of 40)"
echo "ok - the server stopped sending at out=$out of 40"

for s in greeter slow stream; do
  stopped "$s"; expect_eq 0 "$code" "$s server exits 0"
done
