# lib.sh: the end-to-end test harness, sourced by tests/e2e/*.sh.
# Starts the real programs on ephemeral ports, waits for their "listening on HOST:PORT" line by
# polling (never by fixed sleeps), and stops everything it started when the test exits.
#
#   . "$GW_SRCDIR/tests/lib.sh"
#   start greeter "$GREETER_SERVER" --listen 127.0.0.1:0
#   port=$(listen_port greeter)
#   out=$("$GREETER_CLIENT" --target 127.0.0.1:$port unary you)
#   expect_eq "Hello you" "$out" "unary reply"
set -euo pipefail

: "${GW_BUILDDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${GW_SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${PYTHON3:=/usr/bin/python3}"
GREETER_SERVER="$GW_BUILDDIR/greeter-server"
GREETER_CLIENT="$GW_BUILDDIR/greeter-client"
GATEWAY="$GW_BUILDDIR/grpc-json-gateway"
GREETER_DESC="$GW_BUILDDIR/gen/helloworld.desc"

TEST_NAME="$(basename "$0" .sh)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/gw-$TEST_NAME.XXXXXX")"
declare -A PIDS=()

cleanup() {
  local st=$?
  local name
  for name in "${!PIDS[@]}"; do
    kill -KILL "${PIDS[$name]}" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  if [ "$st" -ne 0 ] && [ "$st" -ne 77 ]; then
    for f in "$WORK"/*.log; do
      [ -f "$f" ] || continue
      echo "---- $(basename "$f") (last 40 lines)"
      tail -n 40 "$f"
    done
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
note() { echo "# $*"; }

expect_eq() {  # expected actual what
  [ "$1" == "$2" ] || fail "$3: expected [$1], got [$2]"
  echo "ok - $3"
}
expect_match() {  # regex actual what
  [[ "$2" =~ $1 ]] || fail "$3: [$2] does not match /$1/"
  echo "ok - $3"
}
expect_contains() {  # needle haystack what
  [[ "$2" == *"$1"* ]] || fail "$3: [$2] does not contain [$1]"
  echo "ok - $3"
}

# start NAME CMD ARGS...: runs CMD in the background, stdout+stderr to $WORK/NAME.log.
start() {
  local name=$1; shift
  "$@" >"$WORK/$name.log" 2>&1 &
  PIDS[$name]=$!
}
pid_of() { echo "${PIDS[$1]}"; }
log_of() { echo "$WORK/$1.log"; }

# wait_for TIMEOUT_S CMD...: polls CMD every 20 ms until it succeeds; fails the test on timeout.
wait_for() {
  local timeout=$1; shift
  local deadline=$(( $(date +%s%N) / 1000000 + timeout * 1000 ))
  until "$@"; do
    [ $(( $(date +%s%N) / 1000000 )) -lt "$deadline" ] || fail "timed out after ${timeout}s waiting for: $*"
    sleep 0.02
  done
}

# listen_port NAME: waits until NAME printed "listening on HOST:PORT" and prints PORT.
listen_port() {
  local name=$1 log="$WORK/$1.log" line
  _listening() {
    grep -q "listening on " "$log" 2>/dev/null && return 0
    kill -0 "${PIDS[$name]}" 2>/dev/null || fail "$name exited before listening: $(tail -n 5 "$log")"
    return 1
  }
  wait_for 30 _listening
  line=$(grep -m1 "listening on " "$log")
  echo "${line##*:}" | tr -dc '0-9'
}

# wait_log NAME REGEX [TIMEOUT_S]: waits until NAME's log has a line matching REGEX.
wait_log() {
  local log="$WORK/$1.log" re=$2 timeout=${3:-10}
  _logged() { grep -Eq -- "$re" "$log" 2>/dev/null; }
  wait_for "$timeout" _logged
}

# stop NAME [SIGNAL]: signals NAME (TERM by default), waits for it and prints its exit status.
stop() {
  local name=$1 sig=${2:-TERM} pid=${PIDS[$1]} st=0
  kill "-$sig" "$pid" 2>/dev/null || true
  wait "$pid" || st=$?
  unset "PIDS[$name]"
  echo "$st"
}

# exited NAME: true once the process has exited.
exited() { ! kill -0 "${PIDS[$1]}" 2>/dev/null; }

# now_ms: monotonic-enough wall clock in milliseconds.
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# req METHOD URL [CURL ARGS...]: one HTTP request with curl; sets STATUS (HTTP code), BODY and
# HEADERS (response headers, CRLF stripped).
req() {
  local method=$1 url=$2; shift 2
  local hdr="$WORK/.headers" body="$WORK/.body"
  STATUS=$(curl -s -S -X "$method" -D "$hdr" -o "$body" -w '%{http_code}' "$@" "$url" || true)
  BODY=$(cat "$body" 2>/dev/null || true)
  HEADERS=$(tr -d '\r' < "$hdr" 2>/dev/null || true)
}

# header NAME: the value of response header NAME from the last req (case-insensitive), or "".
header() {
  echo "$HEADERS" | awk -v n="$(echo "$1" | tr 'A-Z' 'a-z')" -F': ' 'tolower($1)==n {sub(/^[^:]*: /,""); print; exit}'
}

# start_gateway NAME ARGS...: starts grpc-json-gateway on an ephemeral port; sets GW_URL.
start_gateway() {
  local name=$1; shift
  start "$name" "$GATEWAY" --listen 127.0.0.1:0 "$@"
  GW_URL="http://127.0.0.1:$(listen_port "$name")"
}
