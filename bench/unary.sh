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
if [ "$HAVE_PEER" = 1 ]; then wrk -t1 -c"$CONNS" -d2s -s "$BENCH_DIR/post.lua" "$PEER_URL" >/dev/null; fi
if [ "$HAVE_SKEL" = 1 ]; then wrk -t1 -c"$CONNS" -d2s -s "$BENCH_DIR/post.lua" "$SKEL_URL" >/dev/null; fi

ROW='%-22s %4s %10s %8s %8s %12s %12s %7s\n'
MED_ROW='%-22s %10s %8s %8s %12s %12s\n'
# measure RUN NAME KEY PID URL: one run against URL, its row printed and kept in $WORK/KEY.
measure() {
  local r
  r=$(wrk_run "$4" "$5" "$DUR" "$CONNS" -s "$BENCH_DIR/post.lua"); echo "$r" >>"$WORK/$3"
  # shellcheck disable=SC2086
  printf "$ROW" "$2" "$1" $r
}
med() { awk -v c="$2" '{print $c}' "$WORK/$1" | median; }
median_row() { printf "$MED_ROW" "$1" "$(med "$2" 1)" "$(med "$2" 2)" "$(med "$2" 3)" "$(med "$2" 4)" "$(med "$2" 5)"; }
ratio() { awk -v a="$(med "$1" 4)" -v b="$(med "$2" 4)" -v what="$3" 'BEGIN{printf "%s: %.2fx\n", what, a/b}'; }

printf "$ROW" gateway run req/s p50_ms p99_ms cpu_us/req peak_rss_KiB errors
for i in $(seq 1 "$RUNS"); do
  measure "$i" grpc-json-gateway ours "$OURS_PID" "$OURS_URL"
  if [ "$HAVE_PEER" = 1 ]; then measure "$i" grpc-gateway peer "$PEER_PID" "$PEER_URL"; fi
  if [ "$HAVE_SKEL" = 1 ]; then measure "$i" "skeleton (floor)" skel "$SKEL_PID" "$SKEL_URL"; fi
done
echo
printf "$MED_ROW" median req/s p50_ms p99_ms cpu_us/req peak_rss_KiB
median_row grpc-json-gateway ours
if [ "$HAVE_PEER" = 1 ]; then median_row grpc-gateway peer; fi
if [ "$HAVE_SKEL" = 1 ]; then median_row "skeleton (floor)" skel; fi
if [ "$HAVE_PEER" = 1 ]; then ratio ours peer "CPU per request against grpc-gateway"; fi
if [ "$HAVE_SKEL" = 1 ]; then
  ratio ours skel "CPU per request against the floor of the parts (skeleton)"
  if [ "$HAVE_PEER" = 1 ]; then ratio skel peer "the floor itself against grpc-gateway"; fi
fi
