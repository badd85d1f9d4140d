#!/usr/bin/env bash
# streams.sh: N concurrent server streams held open through grpc-json-gateway and through grpc-gateway
# (Go, ../shared/peers), both in front of the same greeter-server, in the same run. Each stream gets
# a message every INTERVAL ms. Prints messages per second, the gateway's CPU per streamed message and
# its RSS per open stream (RSS with all streams open minus RSS before, divided by N).
#   BUILD_DIR=/path/to/build bench/streams.sh [N] [SECONDS]
. "$(dirname "$0")/lib.sh"
N=${1:-1000}
SECS=${2:-20}
INTERVAL=${INTERVAL:-100}
COUNT=$(( (SECS + 10) * 1000 / INTERVAL ))

start_listening greeter "$BUILD_DIR/greeter-server" --listen 127.0.0.1:0 --quiet --stream-count "$COUNT" --stream-interval-ms "$INTERVAL"
BACKEND=127.0.0.1:$PORT
start_listening ours "$BUILD_DIR/grpc-json-gateway" --listen 127.0.0.1:0 --backend "$BACKEND" --quiet
OURS_ADDR=127.0.0.1:$PORT; OURS_PID=$PID
HAVE_PEER=0
if [ -x "$PEERS_HOME/bin/gateway" ]; then
  PEER_PORT=$(free_port)
  "$PEERS_HOME/bin/gateway" --listen "127.0.0.1:$PEER_PORT" --backend "$BACKEND" >"$WORK/peer.log" 2>&1 &
  PEER_PID=$!; PIDS+=("$PEER_PID")
  wait_http "http://127.0.0.1:$PEER_PORT/v1/hello" && HAVE_PEER=1
fi

measure() {  # NAME PID ADDR
  local name=$1 pid=$2 addr=$3 rss0 rss1 c0 c1 out lines
  sleep 1
  rss0=$(rss_kib "$pid")
  c0=$(cpu_ticks "$pid")
  /usr/bin/python3 "$BENCH_DIR/stream_load.py" "$addr" "$N" "$SECS" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  local lp=$!
  for _ in $(seq 1 600); do grep -q ready "$WORK/$name.err" && break; sleep 0.1; done
  sleep 1
  rss1=$(rss_kib "$pid")
  wait "$lp"
  c1=$(cpu_ticks "$pid")
  out=$(cat "$WORK/$name.out")
  lines=$(echo "$out" | sed -n 's/.*lines=\([0-9]*\).*/\1/p')
  awk -v name="$name" -v n="$N" -v r0="$rss0" -v r1="$rss1" -v c0="$c0" -v c1="$c1" -v t="$TCK" \
      -v lines="${lines:-0}" -v secs="$SECS" -v out="$out" \
      'BEGIN { printf "%-18s %7d %10.0f %12.1f %15.1f %13.1f   %s\n", name, n, lines / secs,
                      (c1 - c0) / t * 1e6 / (lines > 0 ? lines : 1), (r1 - r0) / n, r1 / 1024, out }'
}
echo "# $(nproc) CPUs; $N server streams, one message every ${INTERVAL} ms each, ${SECS} s; backend: C greeter-server"
printf '%-18s %7s %10s %12s %15s %13s\n' gateway streams msgs/s cpu_us/msg rss_KiB/stream rss_total_MiB
measure grpc-json-gateway "$OURS_PID" "$OURS_ADDR"
[ "$HAVE_PEER" = 1 ] && measure grpc-gateway "$PEER_PID" "127.0.0.1:$PEER_PORT"
exit 0
