# lib.sh: shared pieces of the benchmark scripts (sourced): starting programs on free ports and
# measuring a process's CPU time and peak RSS around a load run.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC_DIR="$(cd "$BENCH_DIR/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$SRC_DIR}"
PEERS_HOME="${PEERS_HOME:-/tmp/peers}"
TCK=$(getconf CLK_TCK)
WORK=$(mktemp -d /tmp/gw-bench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_listening NAME CMD...: starts CMD, waits for its "listening on HOST:PORT" line, sets PORT and PID.
start_listening() {
  local name=$1; shift
  "$@" >"$WORK/$name.log" 2>&1 &
  PID=$!; PIDS+=("$PID")
  for _ in $(seq 1 500); do
    if grep -q "listening on " "$WORK/$name.log"; then
      PORT=$(grep -m1 "listening on " "$WORK/$name.log" | sed 's/.*://' | tr -dc '0-9'); return 0
    fi
    kill -0 "$PID" 2>/dev/null || { cat "$WORK/$name.log" >&2; return 1; }
    sleep 0.02
  done
  echo "$name did not start" >&2; return 1
}

# wait_http URL: polls until URL answers.
wait_http() { for _ in $(seq 1 500); do curl -s -o /dev/null "$1" && return 0; sleep 0.02; done; return 1; }

cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS/{print $2}' "/proc/$1/status"; }
hwm_kib() { awk '/^VmHWM/{print $2}' "/proc/$1/status"; }

to_ms() {  # wrk latency (812.00us, 1.23ms, 2.01s) -> ms
  awk -v v="$1" 'BEGIN{ if (v ~ /us$/) {sub(/us$/,"",v); printf "%.3f", v/1000}
                        else if (v ~ /ms$/) {sub(/ms$/,"",v); printf "%.3f", v}
                        else if (v ~ /s$/)  {sub(/s$/,"",v);  printf "%.3f", v*1000}
                        else printf "%s", v }'
}

# wrk_run PID URL DURATION CONNS [wrk args...]: one wrk run against URL; prints
# "req/s p50_ms p99_ms cpu_us_per_req peak_rss_kib errors" for the process PID.
wrk_run() {
  local pid=$1 url=$2 dur=$3 conns=$4; shift 4
  local out="$WORK/wrk.out" c0 c1 maxrss=0 r
  c0=$(cpu_ticks "$pid")
  wrk -t1 -c"$conns" -d"$dur" --latency "$@" "$url" >"$out" 2>&1 &
  local wpid=$!
  while kill -0 "$wpid" 2>/dev/null; do
    r=$(rss_kib "$pid"); [ "$r" -gt "$maxrss" ] && maxrss=$r
    sleep 0.2
  done
  wait "$wpid" || true
  c1=$(cpu_ticks "$pid")
  local rps p50 p99 total errs
  rps=$(awk '/^Requests\/sec:/{print $2}' "$out")
  total=$(awk '/requests in/{print $1}' "$out")
  p50=$(to_ms "$(awk '$1=="50%"{print $2}' "$out")")
  p99=$(to_ms "$(awk '$1=="99%"{print $2}' "$out")")
  errs=$(awk '/Non-2xx/{n+=$NF} /Socket errors/{gsub(",","");n+=$4+$6+$8+$10} END{print n+0}' "$out")
  local cpu_us
  cpu_us=$(awk -v a="$c0" -v b="$c1" -v t="$TCK" -v n="$total" 'BEGIN{ if (n>0) printf "%.1f", (b-a)/t*1e6/n; else print "nan" }')
  echo "$rps $p50 $p99 $cpu_us $maxrss $errs"
}

median() { sort -g | awk '{a[NR]=$1} END{ if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'; }

# build_skeleton OUT: compiles bench/skeleton.c (the floor of the parts) into OUT; on failure prints
# the compiler's output and returns 1.
build_skeleton() {
  # shellcheck disable=SC2046
  ${CC:-cc} -std=c11 -O2 -o "$1" "$BENCH_DIR/skeleton.c" \
    $(pkg-config --cflags --libs grpc gpr libmicrohttpd jansson) -lpthread -ldl 2>"$WORK/skeleton.cc" ||
    { echo "# bench/skeleton.c did not build:"; cat "$WORK/skeleton.cc"; return 1; }
}
