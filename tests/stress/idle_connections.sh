#!/usr/bin/env bash
# idle_connections.sh: what connections and calls cost the gateway in memory, and that many idle
# connections neither stop ordinary traffic nor get mistaken for slow clients.
#   1. 5,000 idle connections that never sent a byte, beside ordinary traffic: requests are served,
#      none of the idle connections is cut (the slow-request guard is at 2 s and they are held
#      longer), RSS per connection.
#   2. 5,000 keep-alive connections that each completed one request and stay open: RSS per connection.
#   3. 1,000 unary calls held in flight (the echo backend delays its reply): RSS per call.
#   4. 1,000 open server streams (one message a second): RSS per stream.
# Each measurement runs on a fresh gateway (memory freed by an earlier phase would otherwise be
# reused and hide the cost); RSS is read once it has settled. The bounds are a little over twice
# what was measured, so a per-connection or per-call buffer that grows by kilobytes fails the test.
. "$(dirname "$0")/stress_lib.sh" || exit 99

IDLE=$(pick 5000 5000)
CALLS=$(pick 1000 1000)
HELD_MS=8000                      # how long the echo backend holds each in-flight call
# Bounds, about twice what was measured on a 2-core Debian 12 machine (4.6, 8.6-8.8, 15-15.4 and
# 22-30 KiB over runs).
IDLE_BOUND_KIB=12                 # per idle connection (never used)
KEEPALIVE_BOUND_KIB=18            # per keep-alive connection after one request
CALL_BOUND_KIB=40                 # per unary call in flight (over a connection that was idle)
STREAM_BOUND_KIB=72               # per open server stream (likewise)

start echo "$ECHO_SERVER" --listen 127.0.0.1:0 --quiet
BACKEND=127.0.0.1:$(listen_port echo)
N_GW=0

# fresh_gateway: starts a new gateway (the previous one is stopped), warms it with a little traffic;
# sets ADDR, GW_PID, RSS0 (settled RSS) and FD0.
fresh_gateway() {
  if [ "$N_GW" -gt 0 ]; then stop "gw$N_GW" >/dev/null; fi
  N_GW=$((N_GW + 1))
  start_gateway "gw$N_GW" --backend "$BACKEND" --header-timeout 2s --idle-timeout 10m
  ADDR=${GW_URL#http://}
  GW_PID=$(pid_of "gw$N_GW")
  local warm
  warm=$(client load "$ADDR" --conns 8 --rate 400 --seconds 1)
  [ "$(kv failed "$warm")" = 0 ] || fail "warm-up traffic failed: $warm"
  RSS0=$(settle_rss "$GW_PID")
  FD0=$(fd_count "$GW_PID")
}

# wait_fds N: until the gateway holds at least N descriptors (it has accepted the connections).
wait_fds() {
  _enough_fds() { [ "$(fd_count "$GW_PID")" -ge "$1" ]; }
  wait_for 60 _enough_fds "$1"
}
fds_back() { [ "$(fd_count "$GW_PID")" -le "$FD0" ]; }

# ---- 1. idle connections that never sent a byte
fresh_gateway
note "1. $IDLE idle connections (gateway RSS before: $RSS0 KiB, $FD0 descriptors)"
bg_client idle1 idle "$ADDR" --conns "$IDLE" --release "$WORK/release1"
wait_for 120 grep -q ready "$WORK/idle1.out"
wait_fds $((FD0 + IDLE))
RSS1=$(settle_rss "$GW_PID")
during=$(client load "$ADDR" --conns 4 --rate 100 --seconds 5)
note "ordinary traffic beside them: $during"
expect_eq 0 "$(kv failed "$during")" "ordinary requests are served beside $IDLE idle connections"
check "$(kv p99_ms "$during") < 1000" "p99 latency beside them under 1000 ms"
touch "$WORK/release1"
wait_client idle1
expect_eq "alive=$IDLE closed=0" "$(grep alive= "$WORK/idle1.out")" \
  "no idle connection was closed (held beyond --header-timeout 2s: idle is not slow)"
per=$(calc "($RSS1 - $RSS0) / $IDLE")
figure idle_conn_rss_kib "$per" KiB
figure idle_conn_total_mib "$(calc "($RSS1 - $RSS0) / 1024")" MiB
figure idle_beside_p99_ms "$(kv p99_ms "$during")" ms
check "$per < $IDLE_BOUND_KIB" "memory per idle connection under $IDLE_BOUND_KIB KiB"
wait_for 15 fds_back
echo "ok - descriptors back to $FD0 once they closed"

# ---- 2. keep-alive connections after one request each
fresh_gateway
note "2. $IDLE keep-alive connections after one request each (RSS before: $RSS0 KiB)"
bg_client idle2 idle "$ADDR" --conns "$IDLE" --request --release "$WORK/release2"
wait_for 180 grep -q ready "$WORK/idle2.out"
expect_match "requests_ok=$IDLE\$" "$(grep ready "$WORK/idle2.out")" "each of the $IDLE connections completed its request"
RSS2=$(settle_rss "$GW_PID")
during=$(client load "$ADDR" --conns 4 --rate 100 --seconds 3)
expect_eq 0 "$(kv failed "$during")" "ordinary requests are served beside them"
touch "$WORK/release2"
wait_client idle2
expect_eq "alive=$IDLE closed=0" "$(grep alive= "$WORK/idle2.out")" "every keep-alive connection stayed open"
per=$(calc "($RSS2 - $RSS0) / $IDLE")
figure keepalive_conn_rss_kib "$per" KiB
check "$per < $KEEPALIVE_BOUND_KIB" "memory per keep-alive connection under $KEEPALIVE_BOUND_KIB KiB"
wait_for 15 fds_back

# ---- 3. unary calls in flight
fresh_gateway
note "3. $CALLS unary calls held ${HELD_MS} ms by the backend"
bg_client hold3 hold "$ADDR" --conns "$CALLS" --go "$WORK/go3" --release "$WORK/release3" \
  --header "Grpc-Metadata-X-Echo-Delay-Ms: $HELD_MS" --body '{"name":"held"}'
wait_for 60 grep -q opened "$WORK/hold3.out"
wait_fds $((FD0 + CALLS))
RSS_A=$(settle_rss "$GW_PID")
t_go=$(now_ms)
touch "$WORK/go3"
_all_in_flight() { [ "$(metric calls_in_flight)" = "$CALLS" ]; }
wait_for 60 _all_in_flight
RSS_B=$(settle_rss "$GW_PID")
check "$(now_ms) - $t_go < $HELD_MS" "the measurement was taken while all $CALLS calls were in flight"
touch "$WORK/release3"
wait_client hold3
expect_eq "statuses=200:$CALLS" "$(grep statuses= "$WORK/hold3.out")" "all $CALLS held calls completed with 200"
per=$(calc "($RSS_B - $RSS_A) / $CALLS")
figure inflight_call_rss_kib "$per" KiB
check "$per < $CALL_BOUND_KIB" "memory per unary call in flight under $CALL_BOUND_KIB KiB"
wait_for 15 fds_back

# ---- 4. open server streams
fresh_gateway
note "4. $CALLS server streams kept open (one message a second)"
bg_client hold4 hold "$ADDR" --conns "$CALLS" --go "$WORK/go4" --release "$WORK/release4" --first-line \
  --path /v1/hello/stream --header "Grpc-Metadata-X-Echo-Repeat: 1000" \
  --header "Grpc-Metadata-X-Echo-Interval-Ms: 1000" --body '{"name":"stream"}'
wait_for 60 grep -q opened "$WORK/hold4.out"
wait_fds $((FD0 + CALLS))
RSS_A=$(settle_rss "$GW_PID")
touch "$WORK/go4"
wait_for 120 grep -q ready "$WORK/hold4.out"
expect_eq "ready 200:$CALLS" "$(grep ready "$WORK/hold4.out")" "all $CALLS streams delivered their first message"
expect_eq "$CALLS" "$(metric streams_open)" "the gateway counts $CALLS open streams"
RSS_B=$(settle_rss "$GW_PID")
touch "$WORK/release4"
wait_client hold4
per=$(calc "($RSS_B - $RSS_A) / $CALLS")
figure open_stream_rss_kib "$per" KiB
check "$per < $STREAM_BOUND_KIB" "memory per open server stream under $STREAM_BOUND_KIB KiB"
_streams_closed() { [ "$(metric calls_in_flight)" = 0 ]; }
wait_for 15 _streams_closed
echo "ok - the streams ended when their clients left"
wait_for 15 fds_back
echo "ok - descriptors back to $FD0"
