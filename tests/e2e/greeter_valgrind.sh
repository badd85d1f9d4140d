#!/usr/bin/env bash
# greeter_valgrind.sh: greeter-server under valgrind through a short session (every call kind, an
# error, a cancel, a deadline, a drain on SIGTERM) must exit 0 with no memory errors and nothing
# definitely or indirectly lost; greeter-client likewise for a bidi call and a cancel. ("Possibly lost"
# is not counted: the client's gRPC resolver leaves abseil's static random pool, an interior pointer,
# reachable only that way; "still reachable" blocks are gRPC's and fine.) Runs only where valgrind is
# installed.
. "$GW_SRCDIR/tests/lib.sh"
. "$GW_SRCDIR/tests/e2e/greeter_lib.sh"

command -v valgrind >/dev/null || skip "valgrind is not installed"
# Sanitizer builds (--enable-sanitizers) cannot run under valgrind; ASan checks them instead.
ldd "$GREETER_SERVER" 2>/dev/null | grep -q libasan && skip "greeter-server is built with AddressSanitizer"
VALGRIND=(valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect
  --show-leak-kinds=definite,indirect --error-exitcode=99
  --quiet)

# Under valgrind the server is slow: the stream (30 replies 50 ms apart) outlasts the cancel and the
# deadline below by a wide margin, and both leave time for the call to reach the server first.
start greeter "${VALGRIND[@]}" "$GREETER_SERVER" --listen 127.0.0.1:0 --stream-count 30 --stream-interval-ms 50
port=$(listen_port greeter)
client() { "$GREETER_CLIENT" --target "127.0.0.1:$port" "$@"; }

expect_eq "Hello a" "$(client unary a)" "unary"
expect_eq 30 "$(client server-stream b | wc -l)" "server stream"
expect_eq "Hello a, b" "$(client client-stream a b)" "client stream"
expect_eq $'Hello x\nHello y' "$(client bidi x y)" "bidi"
expect_eq "SERVING" "$(client health)" "health"
client unary "" 2>/dev/null && fail "an empty name should fail"
client --cancel-after-ms 700 server-stream c >/dev/null 2>&1 && fail "the cancelled call should fail"
client --timeout-ms 1000 server-stream d >/dev/null 2>&1 && fail "the call past its deadline should fail"
wait_log greeter 'SayHelloServerStream status=CANCELLED cancelled=1'
wait_log greeter 'SayHelloServerStream status=DEADLINE_EXCEEDED cancelled=1'
# Drain: SIGTERM while a stream is in flight.
start stream "$GREETER_CLIENT" --target "127.0.0.1:$port" server-stream drain
wait_log stream 'Hello drain #0'
stopped greeter
expect_eq 0 "$code" "greeter-server under valgrind exits 0 (99 would be a valgrind error)"
wait_for 10 exited stream
stopped stream 0; expect_eq 0 "$code" "the stream in flight at SIGTERM completed"
grep -q '==[0-9]*==' "$(log_of greeter)" && fail "valgrind reported something for greeter-server"
echo "ok - valgrind: greeter-server clean"

# The client: a bidi call and a cancelled call, against a plain server.
start plain "$GREETER_SERVER" --listen 127.0.0.1:0 --stream-count 50 --stream-interval-ms 20 --quiet
pport=$(listen_port plain)
st=0
"${VALGRIND[@]}" "$GREETER_CLIENT" --target "127.0.0.1:$pport" bidi p q >"$WORK/out" 2>"$WORK/vg.client" || st=$?
expect_eq 0 "$st" "greeter-client bidi under valgrind"
expect_eq $'Hello p\nHello q' "$(cat "$WORK/out")" "bidi replies under valgrind"
st=0
"${VALGRIND[@]}" "$GREETER_CLIENT" --target "127.0.0.1:$pport" --cancel-after-ms 300 server-stream r \
  >"$WORK/out" 2>>"$WORK/vg.client" || st=$?
expect_eq 1 "$st" "a cancelled call under valgrind exits 1 (not 99)"
grep -q '==[0-9]*==' "$WORK/vg.client" && fail "valgrind reported something for greeter-client: $(cat "$WORK/vg.client")"
echo "ok - valgrind: greeter-client clean"
stopped plain; expect_eq 0 "$code" "plain server exits 0"
