#!/usr/bin/env bash
# malformed_inputs.sh: malformed HTTP and JSON, sent over raw sockets, each with the answer it must
# get (or a closed connection where HTTP allows nothing else) and the backend calls it may cause
# (the echo backend logs one line per call): framing and request smuggling (Content-Length against
# Transfer-Encoding, bad chunks, lengths that disagree with the body, pipelining, obs-fold), request
# line and header syntax, sizes, Grpc-Timeout and metadata, and JSON (bad UTF-8, lone surrogates,
# duplicate keys, nesting, huge numbers, trailing garbage). The catalogue, with what libmicrohttpd
# 0.9.75 does for each framing case, is tests/stress/malformed.py. A case marked as a known issue
# (none is at present) is reported as "# TODO known issue" and fails the test only with
# STRESS_STRICT=1. Afterwards the gateway serves and holds no descriptor of the cases.
. "$(dirname "$0")/stress_lib.sh" || exit 99

KITCHEN_DESC="$GW_BUILDDIR/gen/tests/kitchen.desc"
[ -f "$KITCHEN_DESC" ] || skip "gen/tests/kitchen.desc is not built (make check-stress builds it)"

start echo "$ECHO_SERVER" --listen 127.0.0.1:0
# The limits the catalogue's size cases are written for (the defaults, stated here).
start_gateway gw --backend "127.0.0.1:$(listen_port echo)" --descriptor "$KITCHEN_DESC" --descriptor "$GREETER_DESC" \
  --max-header-bytes 6K --max-url-bytes 4K --max-header-count 100 --max-body-bytes 4M
GW_PID=$(pid_of gw)
req POST "$GW_URL/v1/hello" -d '{"name":"before"}'
expect_eq 200 "$STATUS" "the gateway serves before the catalogue"
fds_before=$(fd_count "$GW_PID")

strict=()
[ "${STRESS_STRICT:-0}" = 1 ] && strict=(--strict)
st=0
"$PYTHON3" "$GW_SRCDIR/tests/stress/malformed.py" "${GW_URL#http://}" "$(log_of echo)" "${strict[@]}" \
  | tee "$WORK/cases.out" || st=$?
summary=$(tail -n 1 "$WORK/cases.out")
figure cases "$(kv cases "$summary")"
figure passed "$(kv passed "$summary")"
figure known_issues "$(kv known "$summary")"
[ "$st" -eq 0 ] || fail "malformed inputs: $summary"
expect_match '^cases=[0-9]+ .* failed=0$' "$summary" "every case got its expected answer (known issues aside)"

kill -0 "$GW_PID" || fail "the gateway died"
req POST "$GW_URL/v1/hello" -d '{"name":"after"}'
expect_eq 200 "$STATUS" "the gateway serves after the catalogue"
# The case connections are closed by the client; those the gateway still waits on (a body that
# never comes) close when the client does.
_fds_back() { [ "$(fd_count "$GW_PID")" -le "$fds_before" ]; }
wait_for 10 _fds_back
echo "ok - the gateway's descriptors are back to $fds_before"
