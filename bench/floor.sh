#!/usr/bin/env bash
# floor.sh: how far above the floor of its parts grpc-json-gateway sits, measured so that the
# machine's state weighs on both alike: the gateway and bench/skeleton.c (a featureless gateway of
# the same libraries, wired the same way) run side by side in front of one greeter-server and are
# loaded AT THE SAME TIME by two wrk processes (-t1 -c32 each), for ROUNDS rounds of DUR; the order
# in which the two wrk start alternates from round to round. Prints each round's CPU per request of
# both (utime + stime from /proc, divided by the requests) and the median of the ratios.
# Sequential runs of one binary spread +-15 % on this shared machine; these ratios spread about
# +-7 %, and their median is steady to a few percent. CALIBRATE=1 puts the skeleton in both slots
# (the ratio should come out near 1.00). FORWARDED=1 runs the skeleton with --forwarded: the parts
# plus what the issue asks of every gateway (round_robin, x-forwarded-for and x-forwarded-host).
#   BUILD_DIR=/path/to/build bench/floor.sh [ROUNDS]
. "$(dirname "$0")/lib.sh"
ROUNDS=${1:-12}
DUR=${DUR:-4s}
CONNS=${CONNS:-32}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
build_skeleton "$WORK/skeleton" || exit 1
SKELETON=("$WORK/skeleton")
if [ "${FORWARDED:-0}" = 1 ]; then SKELETON+=(--forwarded); fi

start_listening greeter "$BUILD_DIR/greeter-server" --listen 127.0.0.1:0 --quiet
BACKEND=127.0.0.1:$PORT
start_listening skeleton "${SKELETON[@]}" "$BACKEND"
A_URL=http://127.0.0.1:$PORT/v1/hello; A_PID=$PID
if [ "${CALIBRATE:-0}" = 1 ]; then
  B_NAME=skeleton
  start_listening other "${SKELETON[@]}" "$BACKEND"
else
  B_NAME=grpc-json-gateway
  start_listening other "$BUILD_DIR/grpc-json-gateway" --listen 127.0.0.1:0 --backend "$BACKEND" --quiet
fi
B_URL=http://127.0.0.1:$PORT/v1/hello; B_PID=$PID

echo "# $(nproc) CPUs; both loaded at once: wrk -t1 -c$CONNS -d$DUR -s bench/post.lua, $ROUNDS rounds; floor: skeleton ${SKELETON[*]:1}"
load() { wrk -t1 -c"$CONNS" -d"$DUR" -s "$BENCH_DIR/post.lua" "$1" >"$2" 2>&1; }
printf '%5s %10s %12s %10s %12s %8s\n' round skel_req skel_us/req other_req other_us/req ratio
for i in $(seq 1 "$ROUNDS"); do
  a0=$(cpu_ticks "$A_PID"); b0=$(cpu_ticks "$B_PID")
  if [ $((i % 2)) = 1 ]; then
    load "$A_URL" "$WORK/a" & wa=$!; load "$B_URL" "$WORK/b" & wb=$!
  else
    load "$B_URL" "$WORK/b" & wb=$!; load "$A_URL" "$WORK/a" & wa=$!
  fi
  wait "$wa" "$wb"
  a1=$(cpu_ticks "$A_PID"); b1=$(cpu_ticks "$B_PID")
  na=$(awk '/requests in/{print $1}' "$WORK/a"); nb=$(awk '/requests in/{print $1}' "$WORK/b")
  awk -v i="$i" -v a=$((a1 - a0)) -v b=$((b1 - b0)) -v na="$na" -v nb="$nb" -v t="$TCK" 'BEGIN{
    x = a / t * 1e6 / na; y = b / t * 1e6 / nb
    printf "%5d %10d %12.1f %10d %12.1f %8.3f\n", i, na, x, nb, y, y / x }' | tee -a "$WORK/rounds"
done
echo
awk '{print $3}' "$WORK/rounds" | median | sed 's/^/median CPU per request, skeleton (floor): /; s/$/ us/'
awk '{print $5}' "$WORK/rounds" | median | sed "s/^/median CPU per request, $B_NAME: /; s/\$/ us/"
awk '{print $6}' "$WORK/rounds" | median | sed "s/^/median ratio: $B_NAME \/ floor = /"
