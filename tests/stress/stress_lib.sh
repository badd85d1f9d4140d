# stress_lib.sh: what the stress tests (tests/stress/*.sh, run by `make check-stress`) share, sourced
# instead of tests/lib.sh (which it sources): the short mode, figures, and a process's RSS and open
# descriptors read from /proc.
#
#   STRESS_SHORT=1   smaller and shorter runs (CI); each test picks its sizes with `pick FULL SHORT`
#   STRESS_FIGURES   a file that collects every "figure:" line (make check-stress prints it at the end)
#   STRESS_STRICT=1  known issues (see malformed_inputs.sh) fail the test instead of being reported
. "${GW_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}/tests/lib.sh" || exit 99

STRESS_CLIENT="$GW_SRCDIR/tests/stress/stress_client.py"
ECHO_SERVER="$GW_BUILDDIR/tests/backend/echo-server"

# pick FULL SHORT: the value for the current mode.
pick() { if [ "${STRESS_SHORT:-0}" = 1 ]; then echo "$2"; else echo "$1"; fi; }

# client ARGS...: runs tests/stress/stress_client.py (see its header for the subcommands).
client() { "$PYTHON3" "$STRESS_CLIENT" "$@"; }

# bg_client NAME ARGS...: runs the client in the background, its output in $WORK/NAME.out; the test's
# cleanup stops it if the test fails first. wait_client NAME waits for it (fails the test if it failed).
bg_client() {
  local name=$1; shift
  client "$@" >"$WORK/$name.out" 2>&1 &
  PIDS[$name]=$!
}
wait_client() {
  local st=0
  wait "${PIDS[$1]}" || st=$?
  unset "PIDS[$1]"
  [ "$st" -eq 0 ] || fail "client $1 failed: $(tail -n 20 "$WORK/$1.out")"
}

# figure NAME VALUE [UNIT]: prints one measured figure (and records it in $STRESS_FIGURES).
figure() {
  local line="figure: $TEST_NAME.$1 = $2${3:+ $3}"
  echo "$line"
  if [ -n "${STRESS_FIGURES:-}" ]; then echo "$line" >>"$STRESS_FIGURES"; fi
}

# kv KEY LINE: the value of KEY=VALUE in LINE (the clients' summary lines).
kv() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
fd_count() { ls "/proc/$1/fd" | wc -l; }

# calc EXPR: floating-point arithmetic (awk), e.g. calc "($a - $b) / 1000".
calc() { awk "BEGIN { printf \"%.1f\", $1 }"; }
# check EXPR WHAT: fails the test unless the awk condition EXPR holds.
check() {
  [[ "$1" != *nan* && "$1" != *inf* ]] || fail "$2 (no figure: $1)"
  awk "BEGIN { exit !($1) }" || fail "$2 ($1)"
  echo "ok - $2"
}

# metric NAME: the value of an unlabelled gauge from the gateway's /metrics ($GW_URL).
metric() { curl -s "$GW_URL/metrics" | awk -v n="grpc_json_gateway_$1" '$1 == n {print $2}'; }

# settle_rss PID: waits until PID's RSS changes by less than 64 KiB over half a second (at most 10 s)
# and prints it: freed memory is returned lazily and pages are touched after the fact.
settle_rss() {
  local pid=$1 a b i
  a=$(rss_kib "$pid")
  for i in $(seq 1 20); do
    sleep 0.5
    b=$(rss_kib "$pid")
    if [ $((b > a ? b - a : a - b)) -lt 64 ]; then break; fi
    a=$b
  done
  echo "$b"
}
