#!/bin/sh
# quickstart.sh: from a fresh clone to a running gateway in one command. Installs the Debian packages
# (scripts/install-deps.sh), builds, then starts greeter-server on :50051 and grpc-json-gateway on :8080
# in the background (logs and pids in .quickstart/). `scripts/quickstart.sh stop` stops them.
set -eu
cd "$(dirname "$0")/.."
STATE=.quickstart

stop() {
  for p in gateway greeter; do
    [ -f "$STATE/$p.pid" ] && kill "$(cat "$STATE/$p.pid")" 2>/dev/null || true
    rm -f "$STATE/$p.pid"
  done
}

if [ "${1:-}" = stop ]; then stop; echo "stopped"; exit 0; fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO scripts/install-deps.sh
[ -x configure ] || ./autogen.sh
[ -f Makefile ] || ./configure
make -j"$(nproc)"

stop
mkdir -p "$STATE"
./greeter-server >"$STATE/greeter.log" 2>&1 &
echo $! >"$STATE/greeter.pid"
./grpc-json-gateway >"$STATE/gateway.log" 2>&1 &
echo $! >"$STATE/gateway.pid"
i=0
until grep -q "listening on" "$STATE/gateway.log" 2>/dev/null && grep -q "listening on" "$STATE/greeter.log" 2>/dev/null; do
  i=$((i + 1))
  if [ "$i" -gt 100 ]; then echo "did not start; see $STATE/*.log" >&2; cat "$STATE"/*.log >&2; exit 1; fi
  sleep 0.1
done
echo
echo "greeter-server: $(grep -m1 'listening on' "$STATE/greeter.log")"
echo "grpc-json-gateway: $(grep -m1 'listening on' "$STATE/gateway.log")"
echo
echo "Try:   curl -d '{\"name\":\"you\"}' localhost:8080/v1/hello"
echo "Stop:  scripts/quickstart.sh stop"
