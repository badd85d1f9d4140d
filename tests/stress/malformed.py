#!/usr/bin/env python3
"""malformed.py: a catalogue of malformed HTTP requests and JSON bodies sent over raw sockets to a
gateway in front of the echo backend (tests/stress/malformed_inputs.sh starts both), each with the
answer it must get and whether the backend may be called.

  malformed.py HOST:PORT ECHO_LOG [--strict] [--only NAME]...

For each case: one new connection, the bytes sent at once, then every response read until the
connection closes or stays quiet. A case states the statuses in order, how the connection ends
("close": closed right after; "open": still open; None: either) and how many calls the echo
backend logs for it (its log has one line per call). After each case an ordinary request must
still be served. A case marked `known` is a known issue: its expectation is the safe behaviour, and
a mismatch is reported as "not ok ... # TODO known issue" without failing (with --strict it fails).

Prints one TAP-like line per case and "cases= passed= known= failed="; exit 1 on a failure.
"""
import argparse
import socket
import sys
import time

QUIET_S = 0.2            # no more bytes for this long after the expected responses: nothing else comes
LONG_QUIET_S = 1.0       # for cases that check that nothing else comes (smuggling)
RESPONSE_TIMEOUT_S = 10  # the first byte of an expected response

B = b'{"name":"a"}'


def post(path=b"/v1/hello", body=B, headers=b"", version=b"HTTP/1.1", host=True):
    head = b"POST " + path + b" " + version + b"\r\n"
    if host:
        head += b"Host: malformed\r\n"
    return head + headers + b"Content-Length: %d\r\n\r\n" % len(body) + body


def get(path, headers=b""):
    return b"GET " + path + b" HTTP/1.1\r\nHost: malformed\r\n" + headers + b"\r\n"


def chunked(path, chunks, headers=b""):
    return b"POST " + path + b" HTTP/1.1\r\nHost: malformed\r\n" + headers + b"\r\n" + chunks


def echo(body):
    return post(b"/v1/echo", body)


def nested(open_, close, n, inner=b"1"):
    return open_ * n + inner + close * n


class Case:
    def __init__(self, name, data, statuses, end=None, calls=0, known=None, quiet=QUIET_S, check=None, sweep=None):
        self.name, self.data, self.statuses, self.end = name, data, statuses, end
        self.calls, self.known, self.quiet, self.check = calls, known, quiet, check
        self.sweep = sweep      # [(label, data)]: the same expectation for each (calls: None)


def head_with(size):
    """A POST whose head (request line and headers) is `size` bytes."""
    base = post(headers=b"X-Big: \r\n")
    head_len = len(base) - len(B)
    return post(headers=b"X-Big: " + b"a" * max(0, size - head_len) + b"\r\n")


def metadata_echo(size):
    """A request carrying `size` bytes of metadata that the echo backend returns as a response header."""
    return post(headers=b"Grpc-Metadata-Big: " + b"a" * size + b"\r\n")


def has_header(resp, name):
    return name.lower() in resp[1]


# ---------------------------------------------------------------- the catalogue
# libmicrohttpd 0.9.75 (Debian 12) does the HTTP framing; what it does is noted where it matters.
CASES = [
    # --- message framing and request smuggling
    # Both Content-Length and Transfer-Encoding: libmicrohttpd decodes the chunked body (TE wins, as
    # RFC 9112 6.3 says) but keeps the connection open, and RFC 9112 requires it to be closed after
    # the answer (or the request refused with 400): behind a proxy that frames by Content-Length,
    # the bytes after the chunked body would be a second, smuggled request.
    Case("content-length and transfer-encoding", chunked(b"/v1/hello", b'c\r\n{"name":"a"}\r\n0\r\n\r\n',
                                                        b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n"),
         [400], end="close", calls=0),
    Case("smuggled request after a CL+TE body",
         chunked(b"/v1/hello", b"0\r\n\r\nGET /v1/hello/smuggled HTTP/1.1\r\nHost: malformed\r\n\r\n",
                 b"Content-Length: 60\r\nTransfer-Encoding: chunked\r\n"),
         [400], end="close", calls=0, quiet=LONG_QUIET_S),
    Case("two different content-lengths", post().replace(b"\r\n\r\n", b"\r\nContent-Length: 5\r\n\r\n"), [400], calls=0),
    Case("bad chunk size", chunked(b"/v1/hello", b'zz\r\n{"name":"a"}\r\n0\r\n\r\n', b"Transfer-Encoding: chunked\r\n"),
         [400], end="close"),
    Case("negative chunk size", chunked(b"/v1/hello", b'-c\r\n{"name":"a"}\r\n0\r\n\r\n',
                                        b"Transfer-Encoding: chunked\r\n"), [400], end="close"),
    Case("chunk size beyond 64 bits", chunked(b"/v1/hello", b'ffffffffffffffffff\r\n{"name":"a"}\r\n0\r\n\r\n',
                                              b"Transfer-Encoding: chunked\r\n"), [413], end="close"),
    Case("chunk longer than its size", chunked(b"/v1/hello", b"3\r\nabcdef\r\n0\r\n\r\n", b"Transfer-Encoding: chunked\r\n"),
         [400], end="close"),
    Case("chunk extension (allowed)", chunked(b"/v1/hello", b'c;ext=1\r\n{"name":"a"}\r\n0\r\n\r\n',
                                              b"Transfer-Encoding: chunked\r\n"), [200], end="open", calls=1),
    # libmicrohttpd answers a malformed Content-Length with its status line and headers twice (then
    # closes): the client sees a 400 (or 413) with a garbled body.
    Case("negative content-length", post(b"/v1/hello", B, b"").replace(b"Content-Length: 12", b"Content-Length: -1"),
         [400], end="close"),
    Case("content-length with a sign", post().replace(b"Content-Length: 12", b"Content-Length: +12"), [400], end="close"),
    Case("content-length beyond 64 bits", post().replace(b"Content-Length: 12", b"Content-Length: 99999999999999999999999"),
         [413], end="close"),
    Case("body larger than --max-body-bytes (declared, not sent)",
         b"POST /v1/hello HTTP/1.1\r\nHost: malformed\r\nContent-Length: 5000000\r\n\r\n", [413]),
    # Content-Length shorter than the body: the body is cut there ('{"nam': malformed JSON), and the
    # rest starts the next request, whose request line is garbage: libmicrohttpd closes.
    Case("content-length shorter than the body", post(body=B).replace(b"Content-Length: 12", b"Content-Length: 5")
         + b"\r\n\r\n", [400], end="close"),
    # Content-Length longer than the body: the gateway waits for the rest (the idle timeout ends it).
    Case("content-length longer than the body", post().replace(b"Content-Length: 12", b"Content-Length: 50"),
         [], end="open", quiet=LONG_QUIET_S),
    Case("pipelined requests (both answered, in order)", post(body=b'{"name":"one"}') + post(body=b'{"name":"two"}'),
         [200, 200], end="open", calls=2,
         check=lambda rs: [r[2] for r in rs] == [b'{"message":"one"}', b'{"message":"two"}']),
    Case("pipelined after a refused request", post(body=b"{") + post(body=b'{"name":"two"}'), [400, 200], end="open", calls=1),
    Case("a request inside a body is only a body",
         post(body=b"GET /v1/hello/smuggled HTTP/1.1\r\nHost: malformed\r\n\r\n"), [400], end="open", quiet=LONG_QUIET_S),
    # A transfer coding other than chunked: libmicrohttpd reads the body until the connection
    # closes and never answers (RFC 9112 would answer 501); nothing after it is taken as a request.
    Case("unknown transfer-coding with a smuggled request",
         chunked(b"/v1/hello", b'c\r\n{"name":"a"}\r\n0\r\n\r\nGET /v1/hello/smuggled HTTP/1.1\r\nHost: malformed\r\n\r\n',
                 b"Transfer-Encoding: gzip, chunked\r\n"), [501], end="close", calls=0, quiet=LONG_QUIET_S),
    # Whitespace between a header name and its colon (RFC 9112 5.1: 400). libmicrohttpd keeps the
    # space in the name: "Transfer-Encoding :" is not Transfer-Encoding to it, the body counts as
    # empty and the chunked data becomes the next request.
    Case("space before the colon of transfer-encoding",
         chunked(b"/v1/hello", b'c\r\n{"name":"a"}\r\n0\r\n\r\n', b"Transfer-Encoding : chunked\r\n"),
         [400], end="close", calls=0),
    # obs-fold (a header line continued on the next line): libmicrohttpd 0.9.75 appends the
    # continuation to the header's NAME ("Aa: one" + " two" becomes "Aatwo: one"), so a folded line
    # could make up a Transfer-Encoding or Content-Length that a proxy in front never saw. The
    # gateway detects it and refuses (RFC 9112 5.2 allows a 400).
    Case("obs-fold in a header", post(headers=b"Grpc-Metadata-Aa: one\r\n two\r\n"), [400], calls=0,
         check=lambda rs: not any(has_header(r, "grpc-metadata-echo-aatwo") for r in rs)),
    Case("obs-fold makes up transfer-encoding",
         chunked(b"/v1/hello", b'c\r\n{"name":"a"}\r\n0\r\n\r\n', b"Transfer-Encodin: chunked\r\n g\r\n"),
         [400], end="close", calls=0),
    Case("whitespace line before the first header (rejected, RFC 9112 2.2 allows either)",
         b"POST /v1/hello HTTP/1.1\r\n X-Ignored: 1\r\nHost: malformed\r\nContent-Length: 12\r\n\r\n" + B,
         [400], calls=0),

    # --- request line and header syntax
    Case("garbage request line", b"GARBAGE\r\n\r\n", [], end="close"),
    Case("request line without a version", b"POST /v1/hello\r\nHost: malformed\r\n\r\n", [400], end="close"),
    Case("unknown HTTP version", post(version=b"HTTP/9.9"), [505], end="close"),
    Case("lower-case HTTP version", post(version=b"http/1.1"), [400], end="close"),
    Case("HTTP/2 preface on the HTTP/1.1 port", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", [505], end="close"),
    Case("HTTP/1.0 (served, then closed)", post(version=b"HTTP/1.0"), [200], end="close", calls=1),
    Case("HTTP/1.1 without Host", post(host=False), [400], calls=0),
    Case("absolute-form target (served, RFC 9112 3.2.2)",
         b"POST http://malformed/v1/hello HTTP/1.1\r\nHost: malformed\r\nContent-Length: 12\r\n\r\n" + B,
         [200], calls=1),
    Case("absolute-form target without a path", b"GET HTTPS://malformed HTTP/1.1\r\nHost: malformed\r\n\r\n",
         [404], calls=0),
    Case("bare LF line ends (tolerated, RFC 9112 2.2)",
         b"POST /v1/hello HTTP/1.1\nHost: malformed\nContent-Length: 12\n\n" + B, [200], calls=1),
    Case("header without a colon", post(headers=b"X-Foo bar\r\n"), [400], end="close"),
    Case("NUL in a header name", post(headers=b"X-\x00A: b\r\n"), [400], end="close"),
    # libmicrohttpd cuts a header value at a NUL byte; the gateway sees the rest of the line left
    # behind and refuses (RFC 9110 5.5), whether the header is the last one or not.
    Case("NUL in a metadata value", post(headers=b"Grpc-Metadata-Aa: a\x00b\r\n"), [400], calls=0),
    Case("NUL in the last header's value",
         b"POST /v1/hello HTTP/1.1\r\nHost: malformed\r\nContent-Length: 12\r\nGrpc-Metadata-Aa: a\x00b\r\n\r\n" + B,
         [400], calls=0),
    Case("empty header values and blanks around values (served)",
         post(headers=b"X-Empty:\r\nX-Blank: \r\nX-Tabs:\t\tv\t \r\nX-Tight:v\r\n"), [200], calls=1),
    Case("control character in a metadata value", post(headers=b"Grpc-Metadata-Aa: a\x01b\r\n"), [400]),
    Case("DEL in a metadata value", post(headers=b"Grpc-Metadata-Aa: a\x7fb\r\n"), [400]),
    Case("bare CR in a metadata value", post(headers=b"Grpc-Metadata-Aa: a\rb\r\n"), [400]),
    Case("non-ASCII metadata value", post(headers="Grpc-Metadata-Aa: caf\u00e9\r\n".encode()), [400]),
    Case("illegal metadata name", post(headers=b"Grpc-Metadata-X!y: 1\r\n"), [400]),
    Case("binary metadata with bad base64", post(headers=b"Grpc-Metadata-X-Bin: !!!\r\n"), [400]),
    Case("binary metadata with good base64", post(headers=b"Grpc-Metadata-X-Bin: AAEC\r\n"), [200], calls=1,
         check=lambda rs: rs[0][1].get("grpc-metadata-echo-x-bin") == "AAEC"),

    # --- sizes (malformed_inputs.sh runs the gateway with --max-header-bytes 6K --max-url-bytes 4K;
    # libmicrohttpd's per-connection pool is 2 KiB larger: beyond it, libmicrohttpd answers by itself)
    Case("7 KiB header (the gateway's 431)", post(headers=b"X-Big: " + b"a" * 7000 + b"\r\n"), [431],
         check=lambda rs: b'"code":3' in rs[0][2]),
    # Every head above the limit gets a 431, the gateway's or libmicrohttpd's. A head that nearly
    # fills the pool leaves libmicrohttpd no room for the answer's own head (it would close the
    # connection without a word): the gateway writes that 431 to the socket itself. Every 8 bytes
    # around the pool's size, where that happens.
    Case("heads of 6 to 10 KiB, every 32 bytes: each gets 431", None, [431], calls=None,
         sweep=[("head of %d bytes" % n, head_with(n)) for n in range(6 * 1024 + 32, 10 * 1024, 32)]),
    Case("heads within 512 bytes of the 8 KiB pool, every 8 bytes: each gets 431", None, [431], calls=None,
         sweep=[("head of %d bytes" % n, head_with(n)) for n in range(8 * 1024 - 512, 8 * 1024 + 64, 8)]),
    # The same limit on the way out: the backend's metadata becomes response headers, which must fit
    # in what the request head left of the pool; when they do not, libmicrohttpd closes the
    # connection without an answer, after the backend has done the call.
    Case("response metadata of 1 to 5 KiB, every 128 bytes: each answered", None, [(200, 500, 502, 503)],
         calls=None, sweep=[("metadata of %d bytes" % n, metadata_echo(n)) for n in range(1024, 5 * 1024, 128)]),
    Case("64 KiB header (libmicrohttpd's 431)", post(headers=b"X-Big: " + b"a" * 65536 + b"\r\n"), [431], end="close"),
    Case("5 KiB URL (the gateway's 414)", post(path=b"/v1/hello?x=" + b"a" * 5000), [414],
         check=lambda rs: b'"code":3' in rs[0][2]),
    Case("100 KiB URL (libmicrohttpd's 414)", post(path=b"/v1/hello?x=" + b"a" * 100000), [414], end="close"),
    Case("101 headers (the gateway's 431)", post(headers=b"".join(b"X-H%d: v\r\n" % i for i in range(101))), [431]),
    Case("2000 headers (libmicrohttpd's 431)", post(headers=b"".join(b"X%d:v\r\n" % i for i in range(2000))), [431],
         end="close"),

    # --- Grpc-Timeout
    Case("Grpc-Timeout of 8 digits in hours (served)", post(headers=b"Grpc-Timeout: 99999999H\r\n"), [200], calls=1),
    Case("Grpc-Timeout of 9 digits", post(headers=b"Grpc-Timeout: 123456789S\r\n"), [400]),
    Case("negative Grpc-Timeout", post(headers=b"Grpc-Timeout: -1S\r\n"), [400]),
    Case("Grpc-Timeout without a unit", post(headers=b"Grpc-Timeout: 5\r\n"), [400]),

    # --- JSON bodies (kitchen.Echo: every scalar type, Struct, recursion)
    Case("invalid UTF-8", echo(b'{"fString":"\xff\xfe"}'), [400]),
    Case("overlong UTF-8", echo(b'{"fString":"\xc0\xaf"}'), [400]),
    Case("lone high surrogate", echo(b'{"fString":"\\ud800"}'), [400]),
    Case("lone low surrogate", echo(b'{"fString":"\\udc00x"}'), [400]),
    Case("duplicate keys", echo(b'{"fString":"a","fString":"b"}'), [400]),
    Case("one field under its JSON and proto names", echo(b'{"fString":"a","f_string":"b"}'), [400]),
    Case("message nesting 100 deep (limit 64)", echo(nested(b'{"recursive":', b"}", 100, b"{}")), [400]),
    Case("message nesting 60 deep (served)", echo(nested(b'{"recursive":', b"}", 60, b'{"fInt32":1}')), [200], calls=1),
    Case("array nesting 100000 deep", echo(nested(b"[", b"]", 100000, b"")), [400]),
    Case("unterminated nesting 5000 deep", echo(b'{"a":' * 5000), [400]),
    # A Struct nested 40 deep passes the request's depth check, is sent, and its echo then fails
    # the response's check: the request side counts one level per JSON object, the response side two
    # (Struct and Value), so the call has happened and the client gets 500.
    Case("Struct nesting 40 deep", echo(b'{"wStruct":{"a":' + nested(b'{"a":', b"}", 40) + b"}}"), [200], calls=1),
    Case("Struct nesting 100 deep", echo(b'{"wStruct":{"a":' + nested(b'{"a":', b"}", 100) + b"}}"), [400]),
    Case("integer of 10,000 digits", echo(b'{"fInt64":' + b"9" * 10000 + b"}"), [400]),
    Case("int64 string of 10,000 digits", echo(b'{"fInt64":"' + b"9" * 10000 + b'"}'), [400]),
    Case("double of 10,000 digits", echo(b'{"fDouble":' + b"9" * 10000 + b"}"), [400]),
    Case("fraction of 10,000 digits (rounds to 0: served)", echo(b'{"fDouble":0.' + b"0" * 10000 + b"1}"), [200], calls=1),
    Case("1e999999 as a double", echo(b'{"fDouble":1e999999}'), [400]),
    Case("1e999999 as an int32", echo(b'{"fInt32":1e999999}'), [400]),
    Case("1e-999999 (rounds to 0: served)", echo(b'{"fDouble":1e-999999}'), [200], calls=1),
    Case("NaN as a bare token", echo(b'{"fDouble":NaN}'), [400]),
    Case("trailing garbage", echo(b'{"fString":"a"} x'), [400]),
    Case("two JSON values", echo(b'{"fString":"a"}{}'), [400]),
    Case("array as the body", echo(b"[]"), [400]),
    Case("string as the body", echo(b'"x"'), [400]),
    Case("empty body on a body-less route (served)", get(b"/v1/hello/x"), [200], calls=1,
         check=lambda rs: rs[0][2] == b'{"message":"x"}'),
    Case("body on a body-less route", b"GET /v1/hello/x HTTP/1.1\r\nHost: malformed\r\nContent-Length: 12\r\n\r\n" + B,
         [400]),
    Case("empty body where the body is the message (served)", post(body=b""), [200], calls=1),
]


# ---------------------------------------------------------------- running


class Conn:
    def __init__(self, addr):
        self.s = socket.create_connection(addr, timeout=RESPONSE_TIMEOUT_S)
        self.buf = b""
        self.eof = False

    def fill(self, timeout):
        self.s.settimeout(max(timeout, 0.001))
        try:
            d = self.s.recv(65536)
        except socket.timeout:
            return False
        except OSError:
            d = b""
        if not d:
            self.eof = True
            return False
        self.buf += d
        return True

    def take_line(self, timeout):
        while b"\n" not in self.buf:
            if self.eof or not self.fill(timeout):
                return None
        line, _, self.buf = self.buf.partition(b"\n")
        return line + b"\n"

    def take(self, n, timeout):
        while len(self.buf) < n:
            if self.eof or not self.fill(timeout):
                return None
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


def read_response(c, first_timeout):
    """(status, headers, body), or None when nothing (more) came."""
    line = c.take_line(first_timeout)
    if line is None:
        return None
    parts = line.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
        raise ValueError("not a status line: %r" % line[:60])
    status = int(parts[1])
    headers = {}
    while True:
        h = c.take_line(RESPONSE_TIMEOUT_S)
        if h is None:
            raise ValueError("response head cut short")
        if h in (b"\r\n", b"\n"):
            break
        k, _, v = h.partition(b":")
        headers[k.strip().lower().decode()] = v.strip().decode(errors="replace")
    body = b""
    if "content-length" in headers:
        body = c.take(int(headers["content-length"]), RESPONSE_TIMEOUT_S)
        if body is None:
            body = c.buf
            c.buf = b""
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int(c.take_line(RESPONSE_TIMEOUT_S).split(b";")[0], 16)
            if size == 0:
                c.take_line(RESPONSE_TIMEOUT_S)
                break
            body += c.take(size + 2, RESPONSE_TIMEOUT_S)[:-2]
    return status, headers, body


def exchange(addr, data, quiet, expected):
    """Sends data; reads the expected number of responses (waiting up to RESPONSE_TIMEOUT_S for
    each), then any others that come before `quiet` seconds pass without a byte."""
    c = Conn(addr)
    try:
        c.s.sendall(data)
    except OSError:
        pass           # refused part-way (a huge head): what was answered is read below
    responses = []
    while True:
        r = read_response(c, RESPONSE_TIMEOUT_S if len(responses) < expected else quiet)
        if r is None:
            break
        responses.append(r)
    if not c.eof and not c.buf:
        c.fill(0.05)            # an EOF right behind the last response
    end = "close" if c.eof else "open"
    c.s.close()
    return responses, end


def backend_calls(log):
    with open(log, errors="replace") as f:
        return sum(1 for line in f if line.startswith("call "))


def wait_calls(log, at_least, timeout=3.0):
    deadline = time.monotonic() + timeout
    while backend_calls(log) < at_least and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.05)
    return backend_calls(log)


def status_ok(got, want):
    return got == want if isinstance(want, int) else got in want


def judge(case, responses, end, calls):
    problems = []
    got = [r[0] for r in responses]
    if len(got) != len(case.statuses) or not all(status_ok(g, w) for g, w in zip(got, case.statuses)):
        problems.append("statuses %s, expected %s" % (got, case.statuses))
    if case.end and end != case.end:
        problems.append("connection %s, expected %s" % (end, case.end))
    if case.calls is not None and calls != case.calls:
        problems.append("backend called %d times, expected %d" % (calls, case.calls))
    if case.check and not problems and not case.check(responses):
        problems.append("content check failed: %r" % [(r[0], r[2][:120]) for r in responses])
    return problems


def still_serving(addr):
    responses, _ = exchange(addr, post(body=b'{"name":"alive"}'), 0, 1)
    return len(responses) == 1 and responses[0][0] == 200 and responses[0][2] == b'{"message":"alive"}'


def main():
    p = argparse.ArgumentParser()
    p.add_argument("addr")
    p.add_argument("echo_log")
    p.add_argument("--strict", action="store_true")
    p.add_argument("--only", action="append", default=[])
    args = p.parse_args()
    host, port = args.addr.rsplit(":", 1)
    addr = (host, int(port))
    passed = known = failed = 0
    for case in CASES:
        if args.only and case.name not in args.only:
            continue
        before = backend_calls(args.echo_log)
        label = ""
        for label, data in case.sweep or [("", case.data)]:
            try:
                responses, end = exchange(addr, data, 0 if case.sweep else case.quiet, len(case.statuses))
            except (OSError, ValueError) as e:
                responses, end = [], "error: %s" % e
            if case.sweep and judge(case, responses, end, 0):
                break           # the first item that fails is the one reported
        serving = still_serving(addr)
        # The backend logs a call when it has finished it, after the answer may have gone out: the
        # case's calls are counted once the check request's call (one more) is logged too.
        calls = wait_calls(args.echo_log, before + (case.calls or 0) + 1) - before - 1
        problems = judge(case, responses, end, calls)
        summary = "[%s] %s, backend calls %d" % (",".join(str(r[0]) for r in responses), end, calls)
        if label and problems:
            problems.insert(0, label)
        if not problems:
            passed += 1
            note = " (listed as a known issue: it is fixed, remove the mark)" if case.known else ""
            print("ok - %s: %s%s" % (case.name, summary, note), flush=True)
        elif case.known and not args.strict:
            known += 1
            print("not ok - %s: %s # TODO known issue: %s" % (case.name, "; ".join(problems), case.known), flush=True)
        else:
            failed += 1
            print("not ok - %s: %s" % (case.name, "; ".join(problems)), flush=True)
        if not serving:
            print("not ok - the gateway stopped serving after: %s" % case.name, flush=True)
            failed += 1
            break
    print("cases=%d passed=%d known=%d failed=%d" % (passed + known + failed, passed, known, failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
