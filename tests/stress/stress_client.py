#!/usr/bin/env python3
"""stress_client.py: the client side of the stress tests (tests/stress/*.sh): raw HTTP/1.1 over
asyncio, so that thousands of connections, dribbling clients and per-request timings are exact.

  stress_client.py load  HOST:PORT [--conns C] [--rate R] [--seconds S | --until FILE] [--method M]
                         [--path P] [--body B] [--header 'K: V']... [--expect STATUS] [--log FILE]
      Paced traffic: C keep-alive connections share R requests/s. With --log, one line per request
      "start_ms latency_ms status" (start: wall clock in ms since the epoch, as `date +%s%3N`;
      status 0: no answer).
      Prints one summary line: requests= ok= failed= rate= p50_ms= p90_ms= p99_ms= max_ms= statuses=
  stress_client.py loris HOST:PORT [--conns N] [--interval S] [--seconds S] [--header-timeout S]
                         [--margin S] [--body]
      N connections dribble a request head one byte every S seconds (half of them first complete
      one ordinary request on the connection, so that the next request's head is the slow one;
      with --body the head is sent whole and the body is dribbled instead).
      A connection that the server cuts is replaced at once until --seconds have passed; then the
      remaining ones are watched until they are cut, at most --header-timeout + --margin (10) s.
      Prints: opened= cut= answered= uncut= cut_p50_s= cut_p99_s= cut_max_s= (seconds from a
      connection's first byte to the cut).
  stress_client.py idle  HOST:PORT [--conns N] [--request] [--release FILE]
      Opens N connections (with --request each does one GET /v1/hello/idle first and keeps the
      connection), prints "ready", waits for FILE to exist, checks which are still open, prints
      "alive= closed=", closes them.
  stress_client.py hold  HOST:PORT --conns N --go FILE --release FILE [--method M] [--path P]
                         [--body B] [--header 'K: V']... [--first-line]
      Opens N connections, prints "opened", waits for the --go file, sends one request on each,
      prints "ready" once all are sent (with --first-line: once each has received its first body
      line, i.e. each stream is open), waits for the --release file, then reads the answers
      (--first-line: closes the connections instead) and prints "statuses=".
  stress_client.py soak  HOST:PORT --seconds S
      Mixed traffic against the greeter routes: unary calls, server streams read to the end, client
      streams, bidi streams over HTTP and over WebSocket, and clients that leave in the middle of a
      server stream, of an upload or of a WebSocket (each exchange must finish within 10 s). Prints
      one line per kind "kind ok= failed=" and "failed_total=".
  stress_client.py timeline LOG --kill MS --up MS [--settle MS]
      Reads a load --log around a backend that was killed at --kill and listening again at --up
      (wall-clock ms) and prints: inflight= inflight_ok= inflight_503= inflight_other= (requests
      started before the kill and answered after it), down= down_503= down_200= down_other=
      down_p50_ms= down_p99_ms= down_max_ms= (started between the kill and --up; latencies of the
      503s), first_ok_after_up_ms= (the first 200 of a request started after the kill, counted from
      --up), after= after_failed= (requests started --settle ms after that first 200).
Exit status: 0, or 2 for bad arguments. The shell scripts judge the figures.
"""
import argparse
import asyncio
import base64
import os
import random
import resource
import socket
import struct
import sys
import time


def now_ms():
    return time.monotonic() * 1000.0


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def split_addr(addr):
    host, port = addr.rsplit(":", 1)
    return host, int(port)


def percentile(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    k = min(len(s) - 1, max(0, int(round(p / 100.0 * (len(s) - 1)))))
    return s[k]


def build_request(method, path, body, headers, host="stress"):
    b = body.encode() if isinstance(body, str) else body
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n"
    for h in headers:
        head += h + "\r\n"
    if b or method not in ("GET", "HEAD", "DELETE"):
        head += f"Content-Length: {len(b)}\r\n"
    return head.encode() + b"\r\n" + b


class HttpError(Exception):
    pass


async def read_head(reader):
    line = await reader.readline()
    if not line:
        raise HttpError("connection closed before the status line")
    parts = line.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
        raise HttpError("bad status line %r" % line[:80])
    status = int(parts[1])
    headers = {}
    while True:
        h = await reader.readline()
        if h in (b"\r\n", b"\n"):
            break
        if not h:
            raise HttpError("connection closed in the response head")
        k, _, v = h.partition(b":")
        headers[k.strip().lower().decode()] = v.strip().decode(errors="replace")
    return status, headers


async def read_chunk(reader):
    """One chunk of a chunked body: its data, or b"" for the last chunk (trailers consumed)."""
    size_line = await reader.readline()
    if not size_line:
        raise HttpError("connection closed in a chunked body")
    size = int(size_line.split(b";")[0].strip(), 16)
    if size == 0:
        while (await reader.readline()) not in (b"\r\n", b"\n", b""):
            pass
        return b""
    data = await reader.readexactly(size + 2)
    return data[:-2]


async def read_body(reader, headers):
    if "content-length" in headers:
        return await reader.readexactly(int(headers["content-length"]))
    if headers.get("transfer-encoding", "").lower() == "chunked":
        out = b""
        while True:
            c = await read_chunk(reader)
            if not c:
                return out
            out += c
    return await reader.read()


async def read_response(reader):
    status, headers = await read_head(reader)
    body = await read_body(reader, headers)
    return status, headers, body


# ------------------------------------------------------------------ load


async def load_worker(args, host, port, interval_s, deadline, stop_file, records, start_at):
    req = build_request(args.method, args.path, args.body, args.header)
    reader = writer = None
    next_at = start_at
    while True:
        t = time.monotonic()
        if (deadline and t >= deadline) or (stop_file and os.path.exists(stop_file)):
            break
        if next_at > t:
            await asyncio.sleep(next_at - t)
        next_at = max(next_at + interval_s, time.monotonic() - interval_s)
        wall0, t0 = time.time() * 1000.0, now_ms()
        status = 0
        try:
            if writer is None:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), args.timeout)
            writer.write(req)
            status, headers, _ = await asyncio.wait_for(read_response(reader), args.timeout)
            if headers.get("connection", "").lower() == "close":
                writer.close()
                writer = None
        except (OSError, HttpError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError):
            status = 0
            if writer is not None:
                writer.close()
            writer = None
            await asyncio.sleep(0.01)
        records.append((wall0, now_ms() - t0, status))
    if writer is not None:
        writer.close()


def summarize(records, expect, seconds):
    lat = [r[1] for r in records]
    ok = sum(1 for r in records if r[2] == expect)
    statuses = {}
    for r in records:
        statuses[r[2]] = statuses.get(r[2], 0) + 1
    return ("requests=%d ok=%d failed=%d rate=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f statuses=%s" % (
        len(records), ok, len(records) - ok, len(records) / seconds if seconds > 0 else 0,
        percentile(lat, 50), percentile(lat, 90), percentile(lat, 99), max(lat) if lat else float("nan"),
        ",".join("%d:%d" % (k, v) for k, v in sorted(statuses.items()))))


async def cmd_load(args):
    host, port = split_addr(args.addr)
    records = []
    interval_s = args.conns / args.rate
    t0 = time.monotonic()
    deadline = t0 + args.seconds if args.seconds else None
    tasks = [asyncio.create_task(load_worker(args, host, port, interval_s, deadline, args.until, records,
                                             t0 + i * interval_s / args.conns))
             for i in range(args.conns)]
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - t0
    if args.log:
        with open(args.log, "w") as f:
            for r in sorted(records):
                f.write("%.3f %.3f %d\n" % r)
    print(summarize(records, args.expect, elapsed), flush=True)


# ------------------------------------------------------------------ loris

LORIS_HEAD = b"POST /v1/hello HTTP/1.1\r\nHost: loris\r\nX-Loris: " + b"z" * 4000
SLOW_BODY_HEAD = b"POST /v1/hello HTTP/1.1\r\nHost: loris\r\nContent-Length: 1000000\r\n\r\n"


async def loris_one(host, port, interval, after_request, stats, first_delay, body):
    """One dribbling connection; returns when the server has cut it (or it is cancelled)."""
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        stats["connect_errors"] += 1
        return
    stats["opened"] += 1
    first_byte = None
    try:
        if after_request:
            writer.write(build_request("POST", "/v1/hello", '{"name":"loris"}', []))
            status, _, _ = await asyncio.wait_for(read_response(reader), 30)
            if status != 200:
                stats["bad_first"] += 1
        await asyncio.sleep(first_delay)
        pos = 0
        cut = asyncio.ensure_future(reader.read(1))
        if body:
            writer.write(SLOW_BODY_HEAD)
        while True:
            if first_byte is None:
                first_byte = time.monotonic()
            try:
                writer.write(b" " if body else LORIS_HEAD[pos:pos + 1])
                await writer.drain()
            except OSError:
                break
            pos = (pos + 1) % len(LORIS_HEAD)
            done, _ = await asyncio.wait({cut}, timeout=interval)
            if done:
                try:
                    if cut.result():
                        stats["answered"] += 1     # the server said something before closing
                except OSError:
                    pass
                break
        stats["cut_after"].append(time.monotonic() - first_byte)
    except (OSError, HttpError, asyncio.IncompleteReadError, asyncio.TimeoutError):
        if first_byte is not None:
            stats["cut_after"].append(time.monotonic() - first_byte)
    finally:
        writer.close()


async def loris_slot(host, port, args, stats, attack_end, slot):
    """Keeps one dribbling connection open until the attack ends, replacing it when it is cut."""
    rnd = random.Random(slot)
    while True:
        await loris_one(host, port, args.interval, slot % 2 == 1, stats, rnd.uniform(0, args.interval), args.body)
        if time.monotonic() >= attack_end:
            return


async def cmd_loris(args):
    raise_fd_limit()
    host, port = split_addr(args.addr)
    stats = {"opened": 0, "connect_errors": 0, "bad_first": 0, "answered": 0, "cut_after": []}
    t0 = time.monotonic()
    attack_end = t0 + args.seconds
    tasks = [asyncio.create_task(loris_slot(host, port, args, stats, attack_end, i)) for i in range(args.conns)]
    # After the attack, every connection must be cut within the header timeout plus a margin.
    _, pending = await asyncio.wait(tasks, timeout=args.seconds + args.header_timeout + args.margin)
    uncut = len(pending)
    for t in pending:
        t.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    c = stats["cut_after"]
    print("opened=%d connect_errors=%d first_request_failed=%d cut=%d answered=%d uncut=%d "
          "cut_p50_s=%.2f cut_p99_s=%.2f cut_max_s=%.2f elapsed_s=%.1f" % (
              stats["opened"], stats["connect_errors"], stats["bad_first"], len(c), stats["answered"], uncut,
              percentile(c, 50), percentile(c, 99), max(c) if c else float("nan"), time.monotonic() - t0),
          flush=True)


# ------------------------------------------------------------------ idle / hold


async def open_many(host, port, n, batch=200):
    conns = []
    for i in range(0, n, batch):
        res = await asyncio.gather(*(asyncio.open_connection(host, port) for _ in range(min(batch, n - i))),
                                   return_exceptions=True)
        for r in res:
            if isinstance(r, Exception):
                raise SystemExit("connect failed after %d connections: %s" % (len(conns), r))
            conns.append(r)
    return conns


async def request_on(conn, req):
    reader, writer = conn
    writer.write(req)
    status, _, _ = await read_response(reader)
    return status


async def gather_batched(coros, batch=200):
    out = []
    for i in range(0, len(coros), batch):
        out += await asyncio.gather(*coros[i:i + batch], return_exceptions=True)
    return out


def still_open(reader):
    """True while the server has not closed the connection (asyncio reads in the background, so an
    EOF or a reset would have been recorded on the reader)."""
    return not reader.at_eof() and reader.exception() is None


async def wait_file(path):
    while not os.path.exists(path):
        await asyncio.sleep(0.05)


async def cmd_idle(args):
    raise_fd_limit()
    host, port = split_addr(args.addr)
    conns = await open_many(host, port, args.conns)
    ok = 0
    if args.request:
        req = build_request("GET", "/v1/hello/idle", "", [])
        # a few at a time: the figure is then what a kept-alive connection costs, not the
        # allocator's high-water mark of thousands of requests at once
        res = await gather_batched([request_on(c, req) for c in conns], batch=16)
        ok = sum(1 for r in res if r == 200)
    print("ready opened=%d requests_ok=%d" % (len(conns), ok), flush=True)
    await wait_file(args.release)
    await asyncio.sleep(0.2)
    alive = sum(1 for r, _ in conns if still_open(r))
    print("alive=%d closed=%d" % (alive, len(conns) - alive), flush=True)
    for _, w in conns:
        w.close()


async def first_line(conn):
    reader, _ = conn
    status, headers = await read_head(reader)
    if status != 200:
        return status
    chunk = await read_chunk(reader)
    return 200 if chunk else -1


async def cmd_hold(args):
    raise_fd_limit()
    host, port = split_addr(args.addr)
    conns = await open_many(host, port, args.conns)
    print("opened %d" % len(conns), flush=True)
    await wait_file(args.go)
    req = build_request(args.method, args.path, args.body, args.header)
    for _, w in conns:
        w.write(req)
    await asyncio.gather(*(w.drain() for _, w in conns))
    statuses = {}
    if args.first_line:
        res = await gather_batched([first_line(c) for c in conns])
        for r in res:
            k = r if isinstance(r, int) else 0
            statuses[k] = statuses.get(k, 0) + 1
    print("ready %s" % ",".join("%d:%d" % kv for kv in sorted(statuses.items())), flush=True)
    await wait_file(args.release)
    if not args.first_line:
        res = await gather_batched([read_response(r) for r, _ in conns])
        for r in res:
            k = r[0] if isinstance(r, tuple) else 0
            statuses[k] = statuses.get(k, 0) + 1
    for _, w in conns:
        w.close()
    print("statuses=%s" % ",".join("%d:%d" % kv for kv in sorted(statuses.items())), flush=True)


# ------------------------------------------------------------------ soak


def ws_frame(opcode, payload):
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([0x80 | opcode])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def ws_read_frame(reader):
    b0, b1 = await reader.readexactly(2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", await reader.readexactly(2))[0]
    elif n == 127:
        n = struct.unpack("!Q", await reader.readexactly(8))[0]
    return b0 & 0x0F, await reader.readexactly(n)


class Soak:
    def __init__(self, host, port, seconds, stream_count):
        self.host, self.port = host, port
        self.end = time.monotonic() + seconds
        self.stream_count = stream_count
        self.counts = {}

    def count(self, kind, ok):
        c = self.counts.setdefault(kind, [0, 0])
        c[0 if ok else 1] += 1

    async def loop(self, kind, fn, pause):
        """Runs fn over and over until the end (a fresh connection whenever fn asks for one)."""
        conn = None
        while time.monotonic() < self.end:
            try:
                if conn is None:
                    conn = await asyncio.open_connection(self.host, self.port)
                ok, keep = await asyncio.wait_for(fn(conn), 10)
            except (OSError, HttpError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError) as e:
                ok, keep = False, False
                print("soak %s at %s: %s %s" % (kind, time.strftime("%H:%M:%S"), type(e).__name__, e),
                      file=sys.stderr, flush=True)
            self.count(kind, ok)
            if not keep and conn is not None:
                conn[1].close()
                conn = None
            await asyncio.sleep(pause)
        if conn is not None:
            conn[1].close()

    async def unary(self, conn):
        r, w = conn
        w.write(build_request("POST", "/v1/hello", '{"name":"soak"}', ["Content-Type: application/json"]))
        status, _, body = await read_response(r)
        return status == 200 and body == b'{"message":"Hello soak"}', True

    async def server_stream(self, conn):
        r, w = conn
        w.write(build_request("POST", "/v1/hello/stream", '{"name":"s"}', []))
        status, headers = await read_head(r)
        body = await read_body(r, headers)
        lines = body.split(b"\n")[:-1]
        ok = status == 200 and len(lines) == self.stream_count and lines[-1] == (
            b'{"result":{"message":"Hello s #%d"}}' % (self.stream_count - 1))
        return ok, True

    async def client_stream(self, conn):
        r, w = conn
        w.write(b"POST /v1/hello/collect HTTP/1.1\r\nHost: soak\r\nTransfer-Encoding: chunked\r\n\r\n")
        for name in (b"a", b"b", b"c"):
            v = b'{"name":"%s"}\n' % name
            w.write(b"%x\r\n%s\r\n" % (len(v), v))
            await w.drain()
            await asyncio.sleep(0.005)
        w.write(b"0\r\n\r\n")
        status, _, body = await read_response(r)
        return status == 200 and body == b'{"message":"Hello a, b, c"}', True

    async def bidi_http(self, conn):
        r, w = conn
        w.write(build_request("POST", "/v1/hello/chat", '{"name":"x"}\n{"name":"y"}\n', []))
        status, headers = await read_head(r)
        body = await read_body(r, headers)
        return status == 200 and body == b'{"result":{"message":"Hello x"}}\n{"result":{"message":"Hello y"}}\n', True

    async def websocket(self, conn):
        r, w = conn
        key = base64.b64encode(os.urandom(16)).decode()
        w.write(("GET /v1/hello/chat HTTP/1.1\r\nHost: soak\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % key).encode())
        status, _ = await read_head(r)
        if status != 101:
            return False, False
        got = []
        for name in ("p", "q", "r"):
            w.write(ws_frame(1, b'{"name":"%s"}' % name.encode()))
            op, payload = await ws_read_frame(r)
            got.append(payload)
        w.write(ws_frame(8, struct.pack("!H", 1000)))
        op, payload = await ws_read_frame(r)
        ok = got == [b'{"message":"Hello p"}', b'{"message":"Hello q"}', b'{"message":"Hello r"}'] and op == 8
        return ok, False

    async def leave_server_stream(self, conn):
        """Reads the first message of a server stream and hangs up."""
        r, w = conn
        w.write(build_request("POST", "/v1/hello/stream", '{"name":"gone"}', []))
        status, headers = await read_head(r)
        chunk = await read_chunk(r)
        return status == 200 and chunk.startswith(b'{"result":'), False

    async def leave_upload(self, conn):
        """Starts a client stream, sends one value and hangs up without ending the body."""
        r, w = conn
        w.write(b"POST /v1/hello/collect HTTP/1.1\r\nHost: soak\r\nTransfer-Encoding: chunked\r\n\r\n")
        v = b'{"name":"gone"}\n'
        w.write(b"%x\r\n%s\r\n" % (len(v), v))
        await w.drain()
        await asyncio.sleep(0.02)
        return True, False

    async def leave_websocket(self, conn):
        """Opens a WebSocket bidi stream, exchanges one message and drops the TCP connection."""
        r, w = conn
        key = base64.b64encode(os.urandom(16)).decode()
        w.write(("GET /v1/hello/chat HTTP/1.1\r\nHost: soak\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % key).encode())
        status, _ = await read_head(r)
        if status != 101:
            return False, False
        w.write(ws_frame(1, b'{"name":"gone"}'))
        op, payload = await ws_read_frame(r)
        return op == 1, False


async def cmd_soak(args):
    raise_fd_limit()
    host, port = split_addr(args.addr)
    s = Soak(host, port, args.seconds, args.stream_count)
    jobs = [("unary", s.unary, 0.01), ("unary", s.unary, 0.01), ("server_stream", s.server_stream, 0.02),
            ("server_stream", s.server_stream, 0.02), ("client_stream", s.client_stream, 0.02),
            ("bidi_http", s.bidi_http, 0.02), ("websocket", s.websocket, 0.02), ("websocket", s.websocket, 0.02),
            ("leave_server_stream", s.leave_server_stream, 0.05), ("leave_upload", s.leave_upload, 0.05),
            ("leave_websocket", s.leave_websocket, 0.05)]
    await asyncio.gather(*(s.loop(kind, fn, pause) for kind, fn, pause in jobs))
    failed = 0
    for kind in sorted(s.counts):
        ok, bad = s.counts[kind]
        failed += bad
        print("%s ok=%d failed=%d" % (kind, ok, bad), flush=True)
    print("failed_total=%d" % failed, flush=True)


# ------------------------------------------------------------------ timeline


def cmd_timeline(args):
    recs = []
    with open(args.log) as f:
        for line in f:
            a, b, c = line.split()
            recs.append((float(a), float(b), int(c)))
    kill, up = args.kill, args.up
    inflight = [r for r in recs if r[0] < kill < r[0] + r[1]]
    down = [r for r in recs if kill <= r[0] < up]
    down_503 = [r[1] for r in down if r[2] == 503]
    oks = [r[0] + r[1] for r in recs if r[0] >= kill and r[2] == 200]
    first_ok = min(oks) if oks else float("nan")
    after = [r for r in recs if oks and r[0] >= first_ok + args.settle]
    print("inflight=%d inflight_ok=%d inflight_503=%d inflight_other=%d down=%d down_503=%d down_200=%d "
          "down_other=%d down_p50_ms=%.2f down_p99_ms=%.2f down_max_ms=%.2f first_ok_after_up_ms=%.0f "
          "after=%d after_failed=%d" % (
              len(inflight), sum(1 for r in inflight if r[2] == 200), sum(1 for r in inflight if r[2] == 503),
              sum(1 for r in inflight if r[2] not in (200, 503)), len(down), len(down_503),
              sum(1 for r in down if r[2] == 200), sum(1 for r in down if r[2] not in (200, 503)),
              percentile(down_503, 50), percentile(down_503, 99), max(down_503) if down_503 else float("nan"),
              first_ok - up, len(after), sum(1 for r in after if r[2] != 200)))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    lo = sub.add_parser("load")
    lo.add_argument("addr")
    lo.add_argument("--conns", type=int, default=4)
    lo.add_argument("--rate", type=float, default=100.0)
    lo.add_argument("--seconds", type=float, default=0)
    lo.add_argument("--until")
    lo.add_argument("--method", default="POST")
    lo.add_argument("--path", default="/v1/hello")
    lo.add_argument("--body", default='{"name":"load"}')
    lo.add_argument("--header", action="append", default=[])
    lo.add_argument("--expect", type=int, default=200)
    lo.add_argument("--timeout", type=float, default=10.0)
    lo.add_argument("--log")
    lr = sub.add_parser("loris")
    lr.add_argument("addr")
    lr.add_argument("--conns", type=int, default=300)
    lr.add_argument("--interval", type=float, default=2.0)
    lr.add_argument("--seconds", type=float, default=20.0)
    lr.add_argument("--header-timeout", type=float, default=3.0)
    lr.add_argument("--margin", type=float, default=10.0)
    lr.add_argument("--body", action="store_true")
    idl = sub.add_parser("idle")
    idl.add_argument("addr")
    idl.add_argument("--conns", type=int, default=5000)
    idl.add_argument("--request", action="store_true")
    idl.add_argument("--release", required=True)
    ho = sub.add_parser("hold")
    ho.add_argument("addr")
    ho.add_argument("--conns", type=int, default=1000)
    ho.add_argument("--go", required=True)
    ho.add_argument("--release", required=True)
    ho.add_argument("--method", default="POST")
    ho.add_argument("--path", default="/v1/hello")
    ho.add_argument("--body", default='{"name":"held"}')
    ho.add_argument("--header", action="append", default=[])
    ho.add_argument("--first-line", action="store_true")
    so = sub.add_parser("soak")
    so.add_argument("addr")
    so.add_argument("--seconds", type=float, default=60)
    so.add_argument("--stream-count", type=int, default=5)
    tl = sub.add_parser("timeline")
    tl.add_argument("log")
    tl.add_argument("--kill", type=float, required=True)
    tl.add_argument("--up", type=float, required=True)
    tl.add_argument("--settle", type=float, default=1000)
    args = p.parse_args()
    if args.cmd == "timeline":
        return cmd_timeline(args)
    if args.cmd == "load" and not args.seconds and not args.until:
        p.error("load: --seconds or --until")
    fn = {"load": cmd_load, "loris": cmd_loris, "idle": cmd_idle, "hold": cmd_hold, "soak": cmd_soak}[args.cmd]
    asyncio.run(fn(args))


if __name__ == "__main__":
    main()
