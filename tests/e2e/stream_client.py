#!/usr/bin/env python3
"""stream_client.py: a raw-socket HTTP/1.1 client for the streaming tests.

Sends a request whose body is given as explicit chunks (so values can be split at any byte), reads
the response as it arrives and prints one line per received body line, prefixed with the
milliseconds since the request was sent: "<ms> <line>". Status and headers go to stderr.

  stream_client.py HOST:PORT METHOD PATH [--header 'K: V']... [--chunk TEXT]... [--chunk-delay-ms N]
"""
import argparse
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("addr")
    ap.add_argument("method")
    ap.add_argument("path")
    ap.add_argument("--header", action="append", default=[])
    ap.add_argument("--chunk", action="append", default=[])
    ap.add_argument("--chunk-delay-ms", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=20)
    a = ap.parse_args()
    host, port = a.addr.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=a.timeout)
    head = f"{a.method} {a.path} HTTP/1.1\r\nHost: {a.addr}\r\nTransfer-Encoding: chunked\r\n"
    for h in a.header:
        head += h + "\r\n"
    s.sendall((head + "\r\n").encode())
    t0 = time.monotonic()
    for c in a.chunk:
        data = c.encode()
        s.sendall(b"%x\r\n" % len(data) + data + b"\r\n")
        if a.chunk_delay_ms:
            time.sleep(a.chunk_delay_ms / 1000)
    s.sendall(b"0\r\n\r\n")

    f = s.makefile("rb")
    status = f.readline().decode().strip()
    print(status, file=sys.stderr)
    chunked = False
    length = None
    while True:
        line = f.readline().decode().strip()
        if not line:
            break
        print(line, file=sys.stderr)
        if line.lower().startswith("transfer-encoding:") and "chunked" in line.lower():
            chunked = True
        if line.lower().startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    pending = b""

    def emit(data):
        nonlocal pending
        pending += data
        while b"\n" in pending:
            ln, pending = pending.split(b"\n", 1)
            print("%d %s" % ((time.monotonic() - t0) * 1000, ln.decode()), flush=True)

    if chunked:
        while True:
            size = int(f.readline().split(b";")[0], 16)
            if size == 0:
                for tl in iter(f.readline, b"\r\n"):
                    if not tl:
                        break
                    print("trailer " + tl.decode().strip(), file=sys.stderr)
                break
            emit(f.read(size))
            f.readline()
    elif length is not None:
        emit(f.read(length))
    else:
        emit(f.read())
    if pending:
        print("%d %s" % ((time.monotonic() - t0) * 1000, pending.decode()), flush=True)


if __name__ == "__main__":
    main()
