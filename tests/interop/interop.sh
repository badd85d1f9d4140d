# interop.sh: helpers for the Python interop tests, sourced after tests/lib.sh.
# The Python peers use Debian's python3-grpcio and python3-grpc-tools through $PYTHON3 (/usr/bin/python3,
# not a pyenv python3 on PATH); their stubs are generated into the test's temporary directory.

INTEROP_DIR="$GW_SRCDIR/tests/interop"

# interop_setup: skips the test (77) when grpcio or grpc_tools is missing, otherwise generates the
# helloworld and health stubs into $WORK/py and exports PYTHONPATH for the peers.
interop_setup() {
  "$PYTHON3" -c 'import grpc' 2>/dev/null || skip "python3 grpcio is missing ($PYTHON3; Debian: python3-grpcio)"
  "$PYTHON3" -c 'import grpc_tools.protoc' 2>/dev/null ||
    skip "python3 grpc_tools is missing ($PYTHON3; Debian: python3-grpc-tools)"
  mkdir -p "$WORK/py"
  # helloworld.proto imports google/api/annotations.proto (proto/) and descriptor.proto ($PROTO_INCLUDE).
  "$PYTHON3" -m grpc_tools.protoc -I"$GW_SRCDIR/proto" -I"${PROTO_INCLUDE:-/usr/include}" \
    --python_out="$WORK/py" --grpc_python_out="$WORK/py" \
    "$GW_SRCDIR/proto/helloworld.proto" "$GW_SRCDIR/proto/google/api/annotations.proto" \
    "$GW_SRCDIR/proto/google/api/http.proto" ||
    fail "grpc_tools.protoc could not generate the Python stubs"
  # health.proto is generated as a top-level module (health_pb2): under grpc/health/v1/ it would sit in
  # a "grpc" directory that the real grpc package hides.
  "$PYTHON3" -m grpc_tools.protoc -I"$GW_SRCDIR/proto/grpc/health/v1" --python_out="$WORK/py" \
    "$GW_SRCDIR/proto/grpc/health/v1/health.proto" || fail "grpc_tools.protoc could not generate health_pb2"
  export PYTHONPATH="$WORK/py${PYTHONPATH:+:$PYTHONPATH}"
}

py_client() { "$PYTHON3" "$INTEROP_DIR/greeter_client.py" "$@"; }
