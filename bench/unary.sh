#!/usr/bin/env bash
# unary.sh: unary SayHello through grpc-json-gateway and through grpc-gateway (Go, from
# ../shared/peers), both in front of the same greeter-server, in the same run and with the same load:
# wrk -t1 -c32 -d8s --latency, POST {"name":"you"}. Prints req/s, p50/p99 latency, the gateway's
# CPU time per request (utime+stime from /proc over the run / requests) and its peak RSS, per run
# and as medians, then the CPU ratio. With a C compiler at hand it measures, in the same run, the
# floor of the parts too: bench/skeleton.c, a featureless gateway of exactly grpc-json-gateway's
# libraries wired the same way (SKELETON=0 leaves it out).
#   BUILD_DIR=/path/to/build bench/unary.sh [RUNS]     (PEERS_HOME: where ../shared/peers was built)
. "$(dirname "$0")/lib.sh"
RUNS=${1:-3}
DUR=${DUR:-8s}
CONNS=${CONNS:-32}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }

start_listening greeter "$BUILD_DIR/greeter-server" --listen 127.0.0.1:0 --quiet
BACKEND=127.0.0.1:$PORT; BE_PID=$PID
start_listening ours "$BUILD_DIR/grpc-json-gateway" --listen 127.0.0.1:0 --backend "$BACKEND" --quiet
OURS_URL=http://127.0.0.1:$PORT/v1/hello; OURS_PID=$PID
HAVE_PEER=0
if [ -x "$PEERS_HOME/bin/gateway" ]; then
  PEER_PORT=$(free_port)
  "$PEERS_HOME/bin/gateway" --listen "127.0.0.1:$PEER_PORT" --backend "$BACKEND" >"$WORK/peer.log" 2>&1 &
  PEER_PID=$!; PIDS+=("$PEER_PID"); PEER_URL=http://127.0.0.1:$PEER_PORT/v1/hello
  wait_http "$PEER_URL" && HAVE_PEER=1
else
  echo "# grpc-gateway not found in $PEERS_HOME/bin (build it: PEERS_HOME=$PEERS_HOME ../shared/peers/build.sh); measuring ours only"
fi

HAVE_SKEL=0
if [ "${SKELETON:-1}" != 0 ]; then
  if build_skeleton "$WORK/skeleton"; then
    start_listening skeleton "$WORK/skeleton" "$BACKEND"
    SKEL_URL=http://127.0.0.1:$PORT/v1/hello; SKEL_PID=$PID; HAVE_SKEL=1
  fi
fi

echo "# $(nproc) CPUs; wrk -t1 -c$CONNS -d$DUR --latency -s bench/post.lua; backend: C greeter-server"
curl -s -d '{"name":"you"}' "$OURS_URL"; echo
wrk -t1 -c"$CONNS" -d2s -s "$BENCH_DIR/post.lua" "$OURS_URL" >/dev/null
[ "$HAVE_PEER" = 1 ] && wrk -t1 -c"$CONNS" -d2s -s "$BENCH_DIR/post.lua" "$PEER_URL" >/dev/null
[ "$HAVE_SKEL" = 1 ] && wrk -t1 -c"$CONNS" -d2s -s "$BENCH_DIR/post.lua" "$SKEL_URL" >/dev/null

printf '%-22s %4s %10s %8s %8s %12s %12s %7s\n' gateway run req/s p50_ms p99_ms cpu_us/req peak_rss_KiB errors
for i in $(seq 1 "$RUNS"); do
  r=$(wrk_run "$OURS_PID" "$OURS_URL" "$DUR" "$CONNS" -s "$BENCH_DIR/post.lua"); echo "$r" >>"$WORK/ours"
  printf '%-22s %4s %10s %8s %8s %12s %12s %7s\n' grpc-json-gateway "$i" $r
  if [ "$HAVE_PEER" = 1 ]; then
    r=$(wrk_run "$PEER_PID" "$PEER_URL" "$DUR" "$CONNS" -s "$BENCH_DIR/post.lua"); echo "$r" >>"$WORK/peer"
    printf '%-22s %4s %10s %8s %8s %12s %12s %7s\n' grpc-gateway "$i" $r
  fi
  if [ "$HAVE_SKEL" = 1 ]; then
    r=$(wrk_run "$SKEL_PID" "$SKEL_URL" "$DUR" "$CONNS" -s "$BENCH_DIR/post.lua"); echo "$r" >>"$WORK/skel"
    printf '%-22s %4s %10s %8s %8s %12s %12s %7s\n' "skeleton (floor)" "$i" $r
  fi
done
med() { awk -v c="$2" '{print $c}' "$WORK/$1" | median; }
echo
printf '%-22s %10s %8s %8s %12s %12s\n' median req/s p50_ms p99_ms cpu_us/req peak_rss_KiB
printf '%-22s %10s %8s %8s %12s %12s\n' grpc-json-gateway "$(med ours 1)" "$(med ours 2)" "$(med ours 3)" "$(med ours 4)" "$(med ours 5)"
if [ "$HAVE_PEER" = 1 ]; then
  printf '%-22s %10s %8s %8s %12s %12s\n' grpc-gateway "$(med peer 1)" "$(med peer 2)" "$(med peer 3)" "$(med peer 4)" "$(med peer 5)"
fi
[ "$HAVE_SKEL" = 1 ] &&
  printf '%-22s %10s %8s %8s %12s %12s\n' "skeleton (floor)" "$(med skel 1)" "$(med skel 2)" "$(med skel 3)" "$(med skel 4)" "$(med skel 5)"
[ "$HAVE_PEER" = 1 ] &&
  awk -v a="$(med ours 4)" -v b="$(med peer 4)" 'BEGIN{printf "CPU per request: %.2fx grpc-gateway\n", a/b}'
if [ "$HAVE_SKEL" = 1 ]; then
  awk -v a="$(med ours 4)" -v f="$(med skel 4)" 'BEGIN{printf "CPU per request: %.2fx the floor of the parts (skeleton)\n", a/f}'
  [ "$HAVE_PEER" = 1 ] &&
    awk -v f="$(med skel 4)" -v b="$(med peer 4)" 'BEGIN{printf "the floor itself: %.2fx grpc-gateway\n", f/b}'
fi
