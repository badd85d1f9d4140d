#!/usr/bin/env bash
# echo_backend.sh: the echo test backend (tests/backend/echo-server) driven by a generic Python grpcio
# client (tests/backend/echo_probe.py): echo modes, metadata echo, every x-echo-* control, deadlines
# and cancellation as seen in the server's log.
. "$GW_SRCDIR/tests/lib.sh"
. "$GW_SRCDIR/tests/e2e/greeter_lib.sh"

ECHO_SERVER="$GW_BUILDDIR/tests/backend/echo-server"
"$PYTHON3" -c 'import grpc' 2>/dev/null || skip "python3 grpcio is missing ($PYTHON3; Debian: python3-grpcio)"

start echo "$ECHO_SERVER" --listen 127.0.0.1:0
port=$(listen_port echo)
"$PYTHON3" "$GW_SRCDIR/tests/backend/echo_probe.py" "127.0.0.1:$port" || fail "echo_probe.py"

wait_log echo '^call /echo.Test/Deadline status=DEADLINE_EXCEEDED cancelled=1 in=1 out=0 deadline_ms=[0-9]+ '
left=$(log_field echo '/echo.Test/Deadline ' deadline_ms)
[ "$left" -gt 150 ] && [ "$left" -le 400 ] || fail "deadline_ms should be about 300 (the encoding rounds up), got $left"
echo "ok - the server logged the deadline ($left ms left at the start)"
wait_log echo '^call /echo.Test/CancelMe status=CANCELLED cancelled=1 in=1 '
out=$(log_field echo '/echo.Test/CancelMe ' out)
[ "$out" -lt 20 ] || fail "the cancelled stream should stop sending (out=$out of 100)"
echo "ok - the cancelled stream stopped at out=$out of 100"
wait_log echo '^call /echo.Test/FailAfterTwo status=INTERNAL cancelled=0 in=1 out=2 '
wait_log echo '^call /any.pkg.Service/Whatever status=OK cancelled=0 in=1 out=1 deadline_ms=[0-9]+ ms=[0-9]+$'
echo "ok - log lines"

stopped echo; expect_eq 0 "$code" "echo-server exits 0 on SIGTERM"

start quiet "$ECHO_SERVER" --listen 127.0.0.1:0 --quiet
qport=$(listen_port quiet)
"$PYTHON3" - "127.0.0.1:$qport" <<'PY' || fail "quiet echo call"
import sys, grpc
with grpc.insecure_channel(sys.argv[1]) as ch:
    assert ch.unary_unary("/q.Q/Q")(b"q", timeout=10) == b"q"
PY
stopped quiet; expect_eq 0 "$code" "quiet echo-server exits 0"
grep -q '^call ' "$(log_of quiet)" && fail "--quiet should suppress call lines"
echo "ok - --quiet logs no calls"

st=0; "$ECHO_SERVER" --bogus 2>/dev/null || st=$?
expect_eq 2 "$st" "a bad argument exits 2"
