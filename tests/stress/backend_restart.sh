#!/usr/bin/env bash
# backend_restart.sh: the backend dies under load and comes back.
#   One backend, killed with SIGKILL under load: the calls in flight fail with 503 (UNAVAILABLE), new
#   calls fail at once (no pile-up waiting for a deadline), /readyz turns 503; restarted on the same
#   port, it is used again within a fraction of a second (reconnect backoff 100-500 ms) and /readyz
#   returns to 200.
#   Two replicas (ipv4:A,B), one killed under load: at most the calls in flight on it fail, the
#   traffic moves to the other, /readyz stays 200; restarted, the replica gets traffic again.
# The greeters delay each reply by 200 ms so that calls are always in flight when one dies.
. "$(dirname "$0")/stress_lib.sh" || exit 99

DOWN_MS=$(pick 3000 2000)        # how long the backend stays dead (the backoff reaches its 500 ms cap)
DELAY_MS=200
CONNS=16                         # load connections: at most this many calls in flight
RATE=200                         # paced; the 200 ms replies bound it to ~80/s while the backend is up
FAIL_P99_BOUND_MS=100            # new calls while the backend is down fail faster than this
RESTART_BOUND_MS=1000            # first 200 after the backend listens again (backoff capped at 500 ms, +20 % jitter)

# start_greeter NAME PORT: a greeter with the reply delay on 127.0.0.1:PORT (0: any); sets PORT.
start_greeter() {
  start "$1" "$GREETER_SERVER" --listen "127.0.0.1:$2" --delay-ms "$DELAY_MS"
  PORT=$(listen_port "$1")
}
calls_of() { grep -c '^call /helloworld.Greeter/SayHello ' "$(log_of "$1")" || true; }
ready_status() { curl -s -o /dev/null -w '%{http_code}' "$GW_URL/readyz"; }

# ---------------------------------------------------------------- one backend
start_greeter g1 0
start_gateway gw --backend "127.0.0.1:$PORT" --backend-max-backoff 500ms
ADDR=${GW_URL#http://}
expect_eq 200 "$(ready_status)" "/readyz is 200 with the backend up"

bg_client load1 load "$ADDR" --conns "$CONNS" --rate "$RATE" --until "$WORK/stop1" --log "$WORK/load1.log" --timeout 30
_warm() { [ "$(calls_of g1)" -ge 50 ]; }
wait_for 30 _warm

t_kill=$(now_ms)
stop g1 KILL >/dev/null
note "backend killed at $t_kill"
_ready_down() { [ "$(ready_status)" = 503 ]; }
wait_for 5 _ready_down
t_ready_down=$(now_ms)
echo "ok - /readyz turned 503 $((t_ready_down - t_kill)) ms after the kill"
req POST "$GW_URL/v1/hello" -d '{"name":"down"}'
expect_eq 503 "$STATUS" "a call while the backend is down is 503"
expect_contains '"code":14' "$BODY" "with status UNAVAILABLE"
_downtime_over() { [ "$(now_ms)" -ge $((t_kill + DOWN_MS)) ]; }
wait_for $((DOWN_MS / 1000 + 5)) _downtime_over

t_start=$(now_ms)
start_greeter g2 "$PORT"
t_up=$(now_ms)
note "backend restarted on port $PORT: process started at $t_start, listening at $t_up"
_ready_up() { [ "$(ready_status)" = 200 ]; }
wait_for 10 _ready_up
t_ready_up=$(now_ms)
echo "ok - /readyz returned to 200 $((t_ready_up - t_up)) ms after the backend listened"
_settled() { [ "$(now_ms)" -ge $((t_ready_up + 2500)) ]; }
wait_for 10 _settled
touch "$WORK/stop1"
wait_client load1
note "load: $(cat "$WORK/load1.out")"
tl=$(client timeline "$WORK/load1.log" --kill "$t_kill" --up "$t_up")
note "timeline: $tl"

figure inflight_at_kill "$(kv inflight "$tl")"
figure inflight_failed_503 "$(kv inflight_503 "$tl")"
figure down_requests "$(kv down "$tl")"
figure down_fail_p50_ms "$(kv down_p50_ms "$tl")" ms
figure down_fail_p99_ms "$(kv down_p99_ms "$tl")" ms
figure down_fail_max_ms "$(kv down_max_ms "$tl")" ms
figure readyz_down_after_kill_ms "$((t_ready_down - t_kill))" ms
figure first_200_after_listen_ms "$(kv first_ok_after_up_ms "$tl")" ms
figure first_200_after_process_start_ms "$(calc "$(kv first_ok_after_up_ms "$tl") + $t_up - $t_start")" ms
figure readyz_up_after_listen_ms "$((t_ready_up - t_up))" ms

check "$(kv inflight "$tl") >= 1" "calls were in flight when the backend died"
check "$(kv inflight_503 "$tl") >= 1" "calls in flight failed with 503"
expect_eq 0 "$(kv inflight_other "$tl")" "calls in flight ended with 200 or 503, nothing else"
check "$(kv down_503 "$tl") >= 10" "new calls were refused while the backend was down"
expect_eq 0 "$(kv down_other "$tl")" "every call while the backend was down was 503 (or served after it came back)"
check "$(kv down_p99_ms "$tl") < $FAIL_P99_BOUND_MS" "they failed fast: p99 under $FAIL_P99_BOUND_MS ms"
check "$(kv first_ok_after_up_ms "$tl") < $RESTART_BOUND_MS" "the restarted backend served within $RESTART_BOUND_MS ms of listening"
check "$(kv after "$tl") >= 20" "traffic continued after the restart"
expect_eq 0 "$(kv after_failed "$tl")" "every call a second after the first 200 succeeded"
stop g2 >/dev/null
stop gw >/dev/null

# ---------------------------------------------------------------- two replicas
start_greeter a 0
PORT_A=$PORT
start_greeter b 0
PORT_B=$PORT
start_gateway gw2 --backend "ipv4:127.0.0.1:$PORT_A,127.0.0.1:$PORT_B" --backend-max-backoff 500ms
ADDR=${GW_URL#http://}
bg_client load2 load "$ADDR" --conns "$CONNS" --rate "$RATE" --until "$WORK/stop2" --log "$WORK/load2.log" --timeout 30
_both() { [ "$(calls_of a)" -ge 20 ] && [ "$(calls_of b)" -ge 20 ]; }
wait_for 30 _both
echo "ok - round-robin: both replicas serve ($(calls_of a) and $(calls_of b) calls)"

t_kill=$(now_ms)
stop a KILL >/dev/null
b_at_kill=$(calls_of b)
_b_took_over() { [ "$(calls_of b)" -ge $((b_at_kill + 100)) ]; }
wait_for 30 _b_took_over
expect_eq 200 "$(ready_status)" "/readyz stays 200 while one replica serves"

t_start=$(now_ms)
start_greeter a2 "$PORT_A"
t_up=$(now_ms)
_a_back() { [ "$(calls_of a2)" -ge 1 ]; }
wait_for 10 _a_back
t_a_back=$(now_ms)
_a_more() { [ "$(calls_of a2)" -ge 20 ]; }
wait_for 30 _a_more
touch "$WORK/stop2"
wait_client load2
note "load: $(cat "$WORK/load2.out")"
# Failed calls, calls in flight at the kill, and failures of calls that started 200 ms after it.
read -r failed inflight late < <(awk -v k="$t_kill" '
  $3 != 200 { f++ } $1 < k && $1 + $2 > k { i++ } $3 != 200 && $1 > k + 200 { l++ }
  END { print f + 0, i + 0, l + 0 }' "$WORK/load2.log")
figure replica_kill_inflight "$inflight"
figure replica_kill_failed "$failed"
figure replica_back_after_listen_ms "$((t_a_back - t_up))" ms
check "$failed <= $inflight" "at most the calls in flight failed when a replica died ($failed of $inflight)"
expect_eq 0 "$late" "no call that started after the kill failed: the traffic moved to the other replica"
check "$((t_a_back - t_up)) < 2000" "the restarted replica got traffic again within 2 s"
