#!/usr/bin/env bash
# greeter_calls.sh: greeter-client against greeter-server (port 0): the four call kinds, the health
# check, stream options, and the per-call log line.
. "$GW_SRCDIR/tests/lib.sh"
. "$GW_SRCDIR/tests/e2e/greeter_lib.sh"

start greeter "$GREETER_SERVER" --listen 127.0.0.1:0
port=$(listen_port greeter)
[ "$port" -gt 0 ] || fail "listening line should carry the real port, got [$port]"
client() { "$GREETER_CLIENT" --target "127.0.0.1:$port" "$@"; }

expect_eq "Hello you" "$(client unary you)" "unary"
expect_eq "Hello h€llo wörld" "$(client unary 'h€llo wörld')" "unary keeps UTF-8 and spaces"
expect_eq $'Hello s #0\nHello s #1\nHello s #2\nHello s #3\nHello s #4' "$(client server-stream s)" \
  "server stream: five numbered replies by default"
expect_eq "Hello a, b, c" "$(client client-stream a b c)" "client stream joins the names"
expect_eq "Hello " "$(client client-stream)" "client stream with no names"
expect_eq $'Hello x\nHello y\nHello z' "$(client bidi x y z)" "bidi: one reply per name"
expect_eq "" "$(client bidi)" "bidi with no names: no replies"

expect_eq "SERVING" "$(client health)" "health check of the server"
expect_eq "SERVING" "$(client health helloworld.Greeter)" "health check of helloworld.Greeter"
st=0; err=$(client health no.such.Service 2>&1 >/dev/null) || st=$?
expect_eq 1 "$st" "health of an unknown service exits 1"
expect_eq "NOT_FOUND: unknown service no.such.Service" "$err" "health of an unknown service is NOT_FOUND"

# The log line: one per finished call, with the final status and message counts.
wait_log greeter '^call /helloworld.Greeter/SayHello status=OK cancelled=0 in=1 out=1 deadline_ms=none ms=[0-9]+$'
wait_log greeter '^call /helloworld.Greeter/SayHelloServerStream status=OK cancelled=0 in=1 out=5 '
wait_log greeter '^call /helloworld.Greeter/SayHelloClientStream status=OK cancelled=0 in=3 out=1 '
wait_log greeter '^call /helloworld.Greeter/SayHelloBiStream status=OK cancelled=0 in=3 out=3 '
wait_log greeter '^call /grpc.health.v1.Health/Check status=NOT_FOUND cancelled=0 in=1 out=0 '
echo "ok - log lines for each call kind"

# A deadline is logged as the time left when the call arrived.
client --timeout-ms 5000 unary dl >/dev/null
line=$(grep -m1 'SayHello status=OK .* deadline_ms=[0-9]' "$(log_of greeter)")
left=$(sed -n 's/.*deadline_ms=\([0-9]*\).*/\1/p' <<<"$line")
[ "$left" -gt 4000 ] && [ "$left" -le 5000 ] || fail "deadline_ms should be close to 5000: $line"
echo "ok - deadline_ms shows the time left ($left)"

# Stream options, and --quiet.
start quiet "$GREETER_SERVER" --listen 127.0.0.1:0 --stream-count 3 --stream-interval-ms 100 --quiet
qport=$(listen_port quiet)
t0=$(now_ms)
expect_eq $'Hello q #0\nHello q #1\nHello q #2' "$("$GREETER_CLIENT" --target "127.0.0.1:$qport" server-stream q)" \
  "--stream-count 3"
elapsed=$(( $(now_ms) - t0 ))
[ "$elapsed" -ge 200 ] || fail "--stream-interval-ms 100 should space 3 replies over >= 200 ms, took $elapsed"
echo "ok - --stream-interval-ms spaces the replies ($elapsed ms)"
stopped quiet; expect_eq 0 "$code" "quiet server exits 0 on SIGTERM"
grep -q '^call ' "$(log_of quiet)" && fail "--quiet should suppress call lines"
echo "ok - --quiet logs no calls"
stopped greeter; expect_eq 0 "$code" "server exits 0 on SIGTERM"

# Calls run concurrently: 20 streams of 5 replies 100 ms apart would take at least 8 s one after
# another (each lasts >= 400 ms).
start many "$GREETER_SERVER" --listen 127.0.0.1:0 --stream-count 5 --stream-interval-ms 100 --quiet
mport=$(listen_port many)
t0=$(now_ms)
pids=()
for i in $(seq 1 20); do
  "$GREETER_CLIENT" --target "127.0.0.1:$mport" server-stream "n$i" >"$WORK/many.$i" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent stream failed"; done
elapsed=$(( $(now_ms) - t0 ))
for i in $(seq 1 20); do
  [ "$(cat "$WORK/many.$i")" == "$(printf 'Hello n%s #%d\n' "$i" 0 "$i" 1 "$i" 2 "$i" 3 "$i" 4 | head -c -1)" ] ||
    fail "stream $i: $(cat "$WORK/many.$i")"
done
[ "$elapsed" -lt 5000 ] || fail "20 concurrent streams took $elapsed ms: calls are not served concurrently"
echo "ok - 20 concurrent streams in $elapsed ms"
stopped many; expect_eq 0 "$code" "many-streams server exits 0"
