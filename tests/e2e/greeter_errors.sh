#!/usr/bin/env bash
# greeter_errors.sh: error statuses and exit codes: empty names, deadlines, bad arguments, no server.
. "$GW_SRCDIR/tests/lib.sh"
. "$GW_SRCDIR/tests/e2e/greeter_lib.sh"

start greeter "$GREETER_SERVER" --listen 127.0.0.1:0
port=$(listen_port greeter)

# run_client ARGS...: sets $out, $err and $st from one greeter-client run.
run_client() {
  st=0
  out=$("$GREETER_CLIENT" "$@" 2>"$WORK/err") || st=$?
  err=$(cat "$WORK/err")
}

for kind in unary server-stream; do
  run_client --target "127.0.0.1:$port" "$kind" ""
  expect_eq 1 "$st" "$kind with an empty name exits 1"
  expect_eq "INVALID_ARGUMENT: name must not be empty" "$err" "$kind with an empty name"
done
run_client --target "127.0.0.1:$port" client-stream a "" c
expect_eq "INVALID_ARGUMENT: name must not be empty" "$err" "client stream with an empty name"
expect_eq "" "$out" "client stream with an empty name: no reply"
run_client --target "127.0.0.1:$port" bidi a "" c
expect_eq "Hello a" "$out" "bidi replies up to the empty name"
expect_eq "INVALID_ARGUMENT: name must not be empty" "$err" "bidi fails at the empty name"
wait_log greeter '^call /helloworld.Greeter/SayHelloBiStream status=INVALID_ARGUMENT cancelled=0 in=2 out=1 '

# Deadline exceeded: a slow server and a short timeout.
start slow "$GREETER_SERVER" --listen 127.0.0.1:0 --delay-ms 3000
sport=$(listen_port slow)
t0=$(now_ms)
run_client --target "127.0.0.1:$sport" --timeout-ms 300 unary late
elapsed=$(( $(now_ms) - t0 ))
expect_eq 1 "$st" "deadline exceeded exits 1"
expect_eq "DEADLINE_EXCEEDED: Deadline Exceeded" "$err" "deadline exceeded status"
[ "$elapsed" -lt 2500 ] || fail "the client should give up at its deadline, took $elapsed ms"
echo "ok - the client gave up after $elapsed ms"
wait_log slow '^call /helloworld.Greeter/SayHello status=DEADLINE_EXCEEDED cancelled=1 in=1 out=0 deadline_ms=[0-9]+ '
echo "ok - the server saw the deadline pass and sent nothing"

run_client --target "127.0.0.1:$sport" --timeout-ms 400 bidi a b
expect_eq "DEADLINE_EXCEEDED: Deadline Exceeded" "$err" "bidi deadline exceeded"
wait_log slow '^call /helloworld.Greeter/SayHelloBiStream status=DEADLINE_EXCEEDED cancelled=1 in=1 out=0 '

# No server: UNAVAILABLE. The port of a server that has exited is free.
stopped slow; expect_eq 0 "$code" "slow server exits 0"
run_client --target "127.0.0.1:$sport" --timeout-ms 5000 unary nobody
expect_eq 1 "$st" "no server exits 1"
expect_match '^UNAVAILABLE: ' "$err" "no server gives UNAVAILABLE"

# Usage errors exit 2.
for args in "" "unary" "shout x" "--timeout-ms soon unary x" "--target nohost unary x" "unary a b"; do
  # shellcheck disable=SC2086
  run_client $args
  expect_eq 2 "$st" "client usage error exits 2: [$args]"
done
expect_contains "usage: greeter-client" "$err" "client usage text"
for args in "--bogus" "--listen" "--listen 50051" "--stream-count -1" "extra"; do
  st=0
  # shellcheck disable=SC2086
  "$GREETER_SERVER" $args 2>"$WORK/err" || st=$?
  expect_eq 2 "$st" "server usage error exits 2: [$args]"
done
expect_contains "usage: greeter-server" "$(cat "$WORK/err")" "server usage text"
expect_match '^greeter-server [0-9]' "$("$GREETER_SERVER" --version)" "server --version"
stopped greeter; expect_eq 0 "$code" "server exits 0 on SIGTERM"
