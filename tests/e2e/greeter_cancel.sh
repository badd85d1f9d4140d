#!/usr/bin/env bash
# greeter_cancel.sh: a client that cancels, or whose deadline passes, in the middle of a slow server
# stream: the server logs CANCELLED / DEADLINE_EXCEEDED and stops sending.
. "$GW_SRCDIR/tests/lib.sh"
. "$GW_SRCDIR/tests/e2e/greeter_lib.sh"

COUNT=40
start greeter "$GREETER_SERVER" --listen 127.0.0.1:0 --stream-count "$COUNT" --stream-interval-ms 100
port=$(listen_port greeter)

st=0
"$GREETER_CLIENT" --target "127.0.0.1:$port" --cancel-after-ms 450 server-stream slow >"$WORK/out" 2>"$WORK/err" || st=$?
expect_eq 1 "$st" "a cancelled call exits 1"
expect_match '^CANCELLED' "$(cat "$WORK/err")" "the client reports CANCELLED"
got=$(wc -l <"$WORK/out")
[ "$got" -ge 1 ] && [ "$got" -lt "$COUNT" ] || fail "expected a few replies before the cancel, got $got"
echo "ok - $got replies arrived before the cancel"

wait_log greeter '^call /helloworld.Greeter/SayHelloServerStream status=CANCELLED cancelled=1 in=1 out=[0-9]+ '
line=$(grep -m1 "SayHelloServerStream status=CANCELLED" "$(log_of greeter)")
out=$(sed -n 's/.* out=\([0-9]*\) .*/\1/p' <<<"$line")
[ "$out" -lt 10 ] || fail "the server should stop sending at the cancel (out=$out of $COUNT): $line"
ms=$(sed -n 's/.* ms=\([0-9]*\)$/\1/p' <<<"$line")
[ "$ms" -lt 2000 ] || fail "the server should notice the cancel at once, call took $ms ms"
echo "ok - the server stopped at out=$out of $COUNT after $ms ms"

# A deadline in the middle of the stream.
st=0
"$GREETER_CLIENT" --target "127.0.0.1:$port" --timeout-ms 350 server-stream late >"$WORK/out" 2>"$WORK/err" || st=$?
expect_eq "DEADLINE_EXCEEDED: Deadline Exceeded" "$(cat "$WORK/err")" "a stream past its deadline"
wait_log greeter '^call /helloworld.Greeter/SayHelloServerStream status=DEADLINE_EXCEEDED cancelled=1 in=1 out=[0-9] '
left=$(log_field greeter 'SayHelloServerStream status=DEADLINE_EXCEEDED' deadline_ms)
[ "$left" -gt 100 ] && [ "$left" -le 450 ] || fail "deadline_ms should be about 350 (less the time to connect), got $left"
echo "ok - the server logged the stream's deadline ($left ms left at the start)"

# Cancelling a bidi stream while the server delays its replies.
start slow "$GREETER_SERVER" --listen 127.0.0.1:0 --delay-ms 5000
sport=$(listen_port slow)
st=0
"$GREETER_CLIENT" --target "127.0.0.1:$sport" --cancel-after-ms 400 bidi a b >"$WORK/out" 2>"$WORK/err" || st=$?
expect_match '^CANCELLED' "$(cat "$WORK/err")" "a cancelled bidi call"
wait_log slow '^call /helloworld.Greeter/SayHelloBiStream status=CANCELLED cancelled=1 in=[01] out=0 '
echo "ok - the delayed reply was never sent"
stopped slow; expect_eq 0 "$code" "slow server exits 0 at once (no call left)"
stopped greeter; expect_eq 0 "$code" "server exits 0"
