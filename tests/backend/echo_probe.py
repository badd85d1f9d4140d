#!/usr/bin/env python3
"""echo_probe.py: drives tests/backend/echo-server with a generic grpcio client (raw bytes, no
generated code) and checks each behaviour and control. Usage: echo_probe.py HOST:PORT

Prints "ok - <what>" per check; exits 1 at the first failure. Method paths are named after the
check, so that the calling test can find each call's log line."""
import queue
import sys
import threading
import time

import grpc

TARGET = sys.argv[1]
channel = grpc.insecure_channel(TARGET)


def ok(what):
    print("ok - " + what, flush=True)


def fail(what):
    print("FAIL: " + what, file=sys.stderr, flush=True)
    sys.exit(1)


def expect(cond, what):
    if not cond:
        fail(what)
    ok(what)


def expect_eq(want, got, what):
    if want != got:
        fail("%s: expected %r, got %r" % (what, want, got))
    ok(what)


def md(pairs):
    """Metadata as a dict (the last value wins; enough for these checks)."""
    return {k: v for k, v in (pairs or ())}


def expect_error(call, code, what, details=None):
    """Runs call(); it must raise an RpcError with this code (and details); returns the error."""
    try:
        result = call()
    except grpc.RpcError as e:
        expect_eq(code, e.code(), what + ": status")
        if details is not None:
            expect_eq(details, e.details(), what + ": message")
        return e
    fail("%s: expected %s, got a result %r" % (what, code, result))


def unary(path):
    return channel.unary_unary(path)


def server_stream(path):
    return channel.unary_stream(path)


def client_stream(path):
    return channel.stream_unary(path)


def bidi(path):
    return channel.stream_stream(path)


# Mode "each": unary, any method name, bytes unchanged; metadata echo and the trailer.
payload = b"\x00\x01raw\xffbytes"
reply, call = unary("/any.pkg.Service/Whatever").with_call(
    payload, metadata=[("x-trace-id", "42"), ("trace-bin", b"\x00\xfe"), ("x-echo-repeat", "1")], timeout=10)
expect_eq(payload, reply, "unary echoes the request bytes")
init = md(call.initial_metadata())
expect_eq("42", init.get("echo-x-trace-id"), "initial metadata echoes x-trace-id")
expect_eq(b"\x00\xfe", init.get("echo-trace-bin"), "binary metadata is echoed byte for byte")
expect("echo-x-echo-repeat" not in init and "echo-user-agent" not in init,
       "controls and reserved keys are not echoed")
expect_eq("done", md(call.trailing_metadata()).get("x-echo-trailer"), "trailing metadata x-echo-trailer: done")
expect_eq(b"", unary("/any.pkg.Service/Empty")(b"", timeout=10), "an empty message is echoed")

# Mode "each" on a bidi stream, interactively: the reply to one message arrives before the next is sent.
requests = queue.Queue()


def request_iter():
    while True:
        item = requests.get()
        if item is None:
            return
        yield item


replies = bidi("/echo.Test/Chat")(request_iter(), timeout=10)
requests.put(b"one")
expect_eq(b"one", next(replies), "bidi: the first echo arrives while the stream is open")
requests.put(b"two")
expect_eq(b"two", next(replies), "bidi: then the second")
requests.put(None)
expect_eq([], list(replies), "bidi: the stream ends after the half-close")
expect_eq(grpc.StatusCode.OK, replies.code(), "bidi: status OK")

# Mode "last": methods whose name ends with ClientStream.
expect_eq(b"c", client_stream("/echo.Test/UploadClientStream")(iter([b"a", b"b", b"c"]), timeout=10),
          "ClientStream: the last message, once")
expect_eq(b"", client_stream("/echo.Test/UploadClientStream")(iter([]), timeout=10),
          "ClientStream with no messages: an empty message")
expect_eq([b"z"], list(bidi("/echo.Test/BothClientStream")(iter([b"y", b"z"]), timeout=10)),
          "mode last applies whatever the call kind")

# x-echo-repeat and x-echo-interval-ms.
t0 = time.monotonic()
got = list(server_stream("/echo.Test/Repeat")(b"r", metadata=[("x-echo-repeat", "3"), ("x-echo-interval-ms", "100")],
                                              timeout=10))
elapsed = time.monotonic() - t0
expect_eq([b"r", b"r", b"r"], got, "x-echo-repeat: 3 copies")
expect(elapsed >= 0.19, "x-echo-interval-ms spaces the replies (%.0f ms for 3)" % (elapsed * 1000))

# x-echo-delay-ms delays the first reply.
t0 = time.monotonic()
unary("/echo.Test/Delay")(b"d", metadata=[("x-echo-delay-ms", "200")], timeout=10)
expect(time.monotonic() - t0 >= 0.19, "x-echo-delay-ms delays the reply")

# x-echo-status / x-echo-message after the replies.
stream = server_stream("/echo.Test/StatusAfter")(b"s", metadata=[("x-echo-status", "5"), ("x-echo-message", "gone")],
                                                 timeout=10)
expect_eq(b"s", next(stream), "x-echo-status: the replies come first")
err = expect_error(lambda: next(stream), grpc.StatusCode.NOT_FOUND, "x-echo-status 5 after the replies", "gone")
expect_eq("done", md(err.trailing_metadata()).get("x-echo-trailer"), "an error keeps the trailer")
expect_error(lambda: unary("/echo.Test/Unary404")(b"u", metadata=[("x-echo-status", "5")], timeout=10),
             grpc.StatusCode.NOT_FOUND, "unary with x-echo-status")

# x-echo-fail-after: 0 fails at once without replies; N after N replies (default status INTERNAL).
stream = bidi("/echo.Test/FailAtOnce")(iter([b"a", b"b"]), metadata=[("x-echo-fail-after", "0"),
                                                                      ("x-echo-status", "7"),
                                                                      ("x-echo-message", "no")], timeout=10)
seen = []
expect_error(lambda: seen.extend(stream), grpc.StatusCode.PERMISSION_DENIED, "x-echo-fail-after 0", "no")
expect_eq([], seen, "x-echo-fail-after 0 sends no reply")
stream = server_stream("/echo.Test/FailAfterTwo")(b"f", metadata=[("x-echo-fail-after", "2"), ("x-echo-repeat", "5")],
                                                  timeout=10)
seen = []
expect_error(lambda: seen.extend(stream), grpc.StatusCode.INTERNAL, "x-echo-fail-after 2: INTERNAL by default")
expect_eq([b"f", b"f"], seen, "x-echo-fail-after 2: exactly two replies")

# x-echo-details-bin comes back as grpc-status-details-bin.
details = b"\x08\x03\x12\x03bad\x1a\x00\xff"
err = expect_error(lambda: unary("/echo.Test/Details")(b"x", metadata=[("x-echo-status", "3"),
                                                                       ("x-echo-message", "bad"),
                                                                       ("x-echo-details-bin", details)], timeout=10),
                   grpc.StatusCode.INVALID_ARGUMENT, "x-echo-details-bin with status 3", "bad")
expect_eq(details, md(err.trailing_metadata()).get("grpc-status-details-bin"),
          "grpc-status-details-bin carries the bytes verbatim")

# A malformed control is INVALID_ARGUMENT.
expect_error(lambda: unary("/echo.Test/BadControl")(b"x", metadata=[("x-echo-repeat", "many")], timeout=10),
             grpc.StatusCode.INVALID_ARGUMENT, "a malformed control", "x-echo-repeat must be a whole number from 0 to 10000")
expect_error(lambda: unary("/echo.Test/BadControl")(b"x", metadata=[("x-echo-colour", "red")], timeout=10),
             grpc.StatusCode.INVALID_ARGUMENT, "an unknown control")

# Deadline: the server's delay is longer than the client's timeout (the test checks the server log).
expect_error(lambda: unary("/echo.Test/Deadline")(b"x", metadata=[("x-echo-delay-ms", "2000")], timeout=0.3),
             grpc.StatusCode.DEADLINE_EXCEEDED, "a delay past the deadline")

# Cancel: a long stream cancelled after its first reply (the test checks the server log).
stream = server_stream("/echo.Test/CancelMe")(b"c", metadata=[("x-echo-repeat", "100"), ("x-echo-interval-ms", "50")],
                                              timeout=30)
expect_eq(b"c", next(stream), "cancel: the first reply arrived")
stream.cancel()
expect_eq(grpc.StatusCode.CANCELLED, stream.code(), "cancel: the client sees CANCELLED")
channel.close()
