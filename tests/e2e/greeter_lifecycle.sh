#!/usr/bin/env bash
# greeter_lifecycle.sh: SIGTERM drains in-flight calls, a second server on a taken port fails, and a
# call that outlives the grace period is cancelled.
. "$GW_SRCDIR/tests/lib.sh"
. "$GW_SRCDIR/tests/e2e/greeter_lib.sh"

start greeter "$GREETER_SERVER" --listen 127.0.0.1:0 --stream-count 4 --stream-interval-ms 300
port=$(listen_port greeter)

# A second server on the same port must fail (no SO_REUSEPORT sharing).
st=0
"$GREETER_SERVER" --listen "127.0.0.1:$port" 2>"$WORK/second.err" || st=$?
expect_eq 1 "$st" "a second server on a taken port exits 1"
expect_contains "cannot listen on 127.0.0.1:$port" "$(cat "$WORK/second.err")" "it says why"
expect_eq "Hello one" "$("$GREETER_CLIENT" --target "127.0.0.1:$port" unary one)" "the first server still serves"

# Drain: a slow stream in flight when SIGTERM arrives still completes.
start stream "$GREETER_CLIENT" --target "127.0.0.1:$port" server-stream drain
wait_log stream 'Hello drain #0'
kill -TERM "$(pid_of greeter)"
wait_log greeter 'SIGTERM received'
st=0
"$GREETER_CLIENT" --target "127.0.0.1:$port" --timeout-ms 3000 unary late 2>"$WORK/late.err" || st=$?
expect_eq 1 "$st" "no new calls once draining"
stopped stream 0; expect_eq 0 "$code" "the in-flight stream ends OK"
expect_eq $'Hello drain #0\nHello drain #1\nHello drain #2\nHello drain #3' "$(cat "$(log_of stream)")" \
  "the in-flight stream got every reply"
wait_for 10 exited greeter
stopped greeter; expect_eq 0 "$code" "the server exits 0 after draining"
grep -q 'SayHelloServerStream status=OK cancelled=0 in=1 out=4 ' "$(log_of greeter)" ||
  fail "the drained stream should be logged OK with out=4"
echo "ok - the drained stream was logged OK"

# Grace period: a call longer than --grace-ms is cancelled and the server still exits 0. The stream's
# first reply comes at once and the next a minute later, so the call is surely in flight.
start slow "$GREETER_SERVER" --listen 127.0.0.1:0 --stream-count 3 --stream-interval-ms 60000 --grace-ms 300
sport=$(listen_port slow)
start stuck "$GREETER_CLIENT" --target "127.0.0.1:$sport" server-stream stuck
wait_log stuck 'Hello stuck #0'
t0=$(now_ms)
stopped slow; expect_eq 0 "$code" "the server exits 0 after the grace period"
elapsed=$(( $(now_ms) - t0 ))
[ "$elapsed" -ge 250 ] && [ "$elapsed" -lt 4000 ] || fail "the stop should take about --grace-ms 300, took $elapsed ms"
echo "ok - stopped in $elapsed ms"
grep -q 'grace period over, cancelling 1 call' "$(log_of slow)" || fail "the server should say it cancelled the call"
grep -q '^call /helloworld.Greeter/SayHelloServerStream status=CANCELLED cancelled=1 in=1 out=1 ' "$(log_of slow)" ||
  fail "the cancelled call should be logged"
echo "ok - the stuck call was cancelled"
wait_for 10 exited stuck
stopped stuck 0; expect_eq 1 "$code" "the stuck client fails"
