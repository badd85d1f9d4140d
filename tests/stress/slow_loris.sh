#!/usr/bin/env bash
# slow_loris.sh: clients that dribble a request head one byte every 2 s (slow-loris) are cut by the
# slow-request guard within --header-timeout (plus the time the guard needs to see them: a 1 s
# sweep, and one dribble interval for a connection whose earlier request just ended), while ordinary
# traffic beside them keeps being served; afterwards the gateway serves and holds no descriptor of
# theirs. Half of the dribbling connections first complete an ordinary request, so that the slow
# head is the second request on a keep-alive connection. Then the same for slow bodies (see below).
. "$(dirname "$0")/stress_lib.sh" || exit 99

CONNS=$(pick 300 100)            # dribbling connections kept open at once
ATTACK_S=$(pick 30 12)           # a cut connection is replaced until then
HEADER_TIMEOUT_S=3
DRIBBLE_S=2
RATE=100                         # ordinary requests per second beside the attack
# The guard's own latency: it notices new bytes at a sweep (1 s), and after a request the counter's
# baseline is read at the next sweep, which may already include the next head's first byte.
CUT_BOUND_S=$((HEADER_TIMEOUT_S + DRIBBLE_S + 4))   # two sweeps, and a second for a busy machine
P99_BOUND_MS=1000

start greeter "$GREETER_SERVER" --listen 127.0.0.1:0 --quiet
start_gateway gw --backend "127.0.0.1:$(listen_port greeter)" --header-timeout "${HEADER_TIMEOUT_S}s" \
  --body-timeout "${HEADER_TIMEOUT_S}s"
ADDR=${GW_URL#http://}
GW_PID=$(pid_of gw)
req POST "$GW_URL/v1/hello" -d '{"name":"warm"}'
expect_eq 200 "$STATUS" "the gateway serves before the attack"
fds_before=$(fd_count "$GW_PID")

note "baseline: $RATE requests/s on 4 connections for 5 s"
base=$(client load "$ADDR" --conns 4 --rate "$RATE" --seconds 5)
note "$base"
figure baseline_p50_ms "$(kv p50_ms "$base")" ms
figure baseline_p99_ms "$(kv p99_ms "$base")" ms

note "attack: $CONNS connections dribbling 1 byte every ${DRIBBLE_S}s for ${ATTACK_S}s, --header-timeout ${HEADER_TIMEOUT_S}s"
bg_client loris loris "$ADDR" --conns "$CONNS" --interval "$DRIBBLE_S" --seconds "$ATTACK_S" \
  --header-timeout "$HEADER_TIMEOUT_S"
during=$(client load "$ADDR" --conns 4 --rate "$RATE" --seconds "$ATTACK_S")
peak_fds=$(fd_count "$GW_PID")
wait_client loris
loris=$(grep opened= "$WORK/loris.out")
note "ordinary traffic during the attack: $during"
note "dribbling connections: $loris"

figure attack_requests "$(kv requests "$during")"
figure attack_success_pct "$(calc "100 * $(kv ok "$during") / $(kv requests "$during")")" %
figure attack_p50_ms "$(kv p50_ms "$during")" ms
figure attack_p99_ms "$(kv p99_ms "$during")" ms
figure attack_max_ms "$(kv max_ms "$during")" ms
figure slow_connections_opened "$(kv opened "$loris")"
figure slow_connections_cut "$(kv cut "$loris")"
figure cut_after_first_byte_p50_s "$(kv cut_p50_s "$loris")" s
figure cut_after_first_byte_max_s "$(kv cut_max_s "$loris")" s
figure gateway_fds_during_attack "$peak_fds"

expect_eq 0 "$(kv failed "$during")" "every ordinary request during the attack succeeded"
check "$(kv requests "$during") >= 0.5 * $RATE * $ATTACK_S" "ordinary requests kept flowing (at least half the paced rate)"
check "$(kv p99_ms "$during") < $P99_BOUND_MS" "p99 latency of ordinary requests under ${P99_BOUND_MS} ms during the attack"
check "$(kv opened "$loris") >= $CONNS" "the attack held $CONNS dribbling connections"
expect_eq 0 "$(kv connect_errors "$loris")" "every dribbling connection was accepted"
expect_eq 0 "$(kv first_request_failed "$loris")" "the keep-alive connections' first requests succeeded"
expect_eq 0 "$(kv uncut "$loris")" "no dribbling connection outlived the guard"
expect_eq "$(kv opened "$loris")" "$(kv cut "$loris")" "every dribbling connection was cut"
check "$(kv cut_max_s "$loris") <= $CUT_BOUND_S" "each was cut within ${CUT_BOUND_S}s of its first byte"

# Slow bodies (R.U.D.Y.): the head arrives whole, then the body one byte every 2 s. A request being
# read counts against --max-inflight, so such clients must be cut too: --body-timeout.
SLOW_BODIES=20
note "slow bodies: $SLOW_BODIES connections send a whole head, then dribble the body"
bg_client slowbody loris "$ADDR" --conns "$SLOW_BODIES" --interval "$DRIBBLE_S" --seconds 1 \
  --header-timeout "$HEADER_TIMEOUT_S" --margin 6 --body
t_sb=$(now_ms)
_sb_sample() { [ "$(now_ms)" -ge $((t_sb + (HEADER_TIMEOUT_S + 2) * 1000)) ]; }
wait_for 20 _sb_sample
sb_inflight=$(metric calls_in_flight)
wait_client slowbody
sb=$(grep opened= "$WORK/slowbody.out")
note "slow bodies: $sb"
figure slow_body_calls_in_flight_after_$((HEADER_TIMEOUT_S + 2))s "$sb_inflight"
figure slow_body_uncut_after_$((HEADER_TIMEOUT_S + 7))s "$(kv uncut "$sb")"
expect_eq 0 "$(kv uncut "$sb")" "no slow body outlived --body-timeout"
check "$(kv cut_max_s "$sb") <= $CUT_BOUND_S" "each slow body was cut within ${CUT_BOUND_S}s"

# Afterwards: the gateway serves, and the cut connections are closed (no descriptor left behind).
req POST "$GW_URL/v1/hello" -d '{"name":"after"}'
expect_eq 200 "$STATUS" "the gateway serves after the attack"
_fds_back() { [ "$(fd_count "$GW_PID")" -le "$fds_before" ]; }
wait_for 10 _fds_back
figure gateway_fds_before_after "$fds_before/$(fd_count "$GW_PID")"
echo "ok - the gateway's descriptors are back to $fds_before"
