# echo_gateway_lib.sh: helpers for the tests of grpc-json-gateway in front of the echo test backend
# (tests/backend/echo-server), sourced after tests/lib.sh. The echo backend returns the request bytes,
# so what the gateway answers is its own JSON -> protobuf -> JSON round trip of the request.

ECHO_SERVER="$GW_BUILDDIR/tests/backend/echo-server"
KITCHEN_DESC="$GW_BUILDDIR/gen/tests/kitchen.desc"
ROUTES_DESC="$GW_BUILDDIR/gen/tests/routes.desc"
MIRROR_DESC="$GW_BUILDDIR/gen/tests/mirror.desc"     # routes.proto's twin, plus /mirror/decode
ORACLE="$GW_SRCDIR/tests/e2e/kitchen_oracle.py"

# oracle_available: true when Python protobuf (the JSON oracle) can be imported.
oracle_available() { "$PYTHON3" -c 'from google.protobuf import json_format' 2>/dev/null; }

# start_echo NAME: starts an echo-server on an ephemeral port; sets ECHO_ADDR (127.0.0.1:PORT).
start_echo() {
  start "$1" "$ECHO_SERVER" --listen 127.0.0.1:0
  ECHO_ADDR="127.0.0.1:$(listen_port "$1")"
}

# echo_calls NAME [METHOD]: how many calls the echo backend NAME has finished (it logs one line per
# call as it ends), of one method path (/pkg.Service/Method) or of all.
echo_calls() {
  if [ -n "${2:-}" ]; then grep -c "^call $2 " "$(log_of "$1")" || true
  else grep -c '^call ' "$(log_of "$1")" || true
  fi
}

# wait_echo_calls NAME N [METHOD]: waits (10 s at most) until NAME has logged N calls (of METHOD).
wait_echo_calls() {
  _echo_calls_reached() { [ "$(echo_calls "$1" "${3:-}")" -ge "$2" ]; }
  wait_for 10 _echo_calls_reached "$@"
}

# echo_fence NAME METHOD CURL ARGS...: makes one good call (curl with these arguments) to METHOD and
# waits until NAME has logged it. The backend logs calls in the order they end, so afterwards every
# call that had ended before is counted: "the backend was not called" checks compare the total
# between two fences (the second fence's own call adds one).
echo_fence() {
  local name=$1 method=$2 n; shift 2
  n=$(echo_calls "$name" "$method")
  curl -s -S -o /dev/null "$@" || fail "echo_fence: curl $*"
  wait_echo_calls "$name" $((n + 1)) "$method"
}

# run_cases DIR URL [CURL ARGS...] < CASES: runs one POST per case line "LABEL JSON" (lines that are
# empty or start with # are skipped), storing DIR/N.name, N.in, N.status, N.out and, for each 200
# answer, N.rt: the answer to sending N.out back (the round trip; not with ROUNDTRIP=0), for
# tests/e2e/kitchen_oracle.py.
run_cases() {
  local dir=$1 url=$2; shift 2
  local n=0 i label json code
  local -a first=() second=()
  mkdir -p "$dir"
  while IFS= read -r line; do
    [[ -z "$line" || "$line" == \#* ]] && continue
    n=$((n + 1))
    label=${line%% *}
    json=${line#* }
    printf '%s\n' "$label" >"$dir/$n.name"
    printf '%s' "$json" >"$dir/$n.in"
    # One curl process for all the cases (--next starts the next request, on the same connection).
    [ "$n" -gt 1 ] && first+=(--next)
    first+=(-s -S -o "$dir/$n.out" -w "$n %{http_code}\n" --data-binary @"$dir/$n.in" "$@" "$url")
  done
  [ "$n" -gt 0 ] || fail "run_cases: no cases"
  curl "${first[@]}" >"$dir/statuses" || true
  while read -r i code; do
    echo "$code" >"$dir/$i.status"
    if [ "$code" = 200 ] && [ "${ROUNDTRIP:-1}" = 1 ]; then
      [ "${#second[@]}" -gt 0 ] && second+=(--next)
      second+=(-s -S -o "$dir/$i.rt" --data-binary @"$dir/$i.out" "$@" "$url")
    fi
  done <"$dir/statuses"
  [ "${#second[@]}" -eq 0 ] || curl "${second[@]}" || true
  for ((i = 1; i <= n; i++)); do [ -f "$dir/$i.status" ] || echo 000 >"$dir/$i.status"; done
}

# oracle_check DIR TYPE [ORACLE FLAGS...]: compares the cases in DIR with Python's json_format
# (kitchen_oracle.py prints one ok/not ok line per case); fails the test if any case differs.
oracle_check() {
  local dir=$1 type=$2; shift 2
  "$PYTHON3" "$ORACLE" "$KITCHEN_DESC" "$type" "$dir" "$@" || fail "the gateway's JSON differs from Python's (above)"
}
