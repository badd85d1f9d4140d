#!/usr/bin/env bash
# interop_py_server.sh: the C greeter-client against the project's Python grpcio server
# (tests/interop/greeter_server.py): the four call kinds and an error status.
. "$GW_SRCDIR/tests/lib.sh"
. "$GW_SRCDIR/tests/e2e/greeter_lib.sh"
. "$GW_SRCDIR/tests/interop/interop.sh"
interop_setup

start pyserver "$PYTHON3" "$INTEROP_DIR/greeter_server.py" --listen 127.0.0.1:0
port=$(listen_port pyserver)
client() { "$GREETER_CLIENT" --target "127.0.0.1:$port" "$@"; }

expect_eq "Hello c" "$(client unary c)" "C unary against Python"
expect_eq $'Hello c #0\nHello c #1\nHello c #2\nHello c #3\nHello c #4' "$(client server-stream c)" \
  "C server stream against Python"
expect_eq "Hello a, b, c" "$(client client-stream a b c)" "C client stream against Python"
expect_eq $'Hello x\nHello y\nHello z' "$(client bidi x y z)" "C bidi against Python"
st=0; err=$(client unary "" 2>&1 >/dev/null) || st=$?
expect_eq 1 "$st" "C client exits 1 on a Python error"
expect_eq "INVALID_ARGUMENT: name must not be empty" "$err" "C client shows the Python status"
st=0; err=$(client bidi a "" 2>&1 >/dev/null) || st=$?
expect_eq "INVALID_ARGUMENT: name must not be empty" "$err" "C bidi sees the Python error mid-stream"
stopped pyserver; expect_eq 0 "$code" "Python server exits 0 on SIGTERM"
