#!/usr/bin/env python3
"""ws_client.py: a small WebSocket client for the end-to-end tests (client side of RFC 6455, test
code only). Runs a script of steps given on the command line and prints what it receives:

  ws_client.py [--cafile FILE] HOST:PORT PATH STEP...
    --cafile FILE wss: TLS, the server's certificate checked against the PEM roots in FILE
    send:TEXT     send one text frame
    recv          wait for one frame and print "text <payload>" or "close <code> <reason>"
    close         send a close frame (1000)
    recv-all      print frames until the server's close frame
Each printed line is prefixed with the milliseconds since the handshake. Exit 1 on protocol errors.
"""
import base64
import os
import socket
import ssl
import struct
import sys
import time


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise EOFError("connection closed")
        data += chunk
    return data


def send_frame(s, opcode, payload):
    mask = os.urandom(4)
    head = bytes([0x80 | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    s.sendall(head + mask + masked)


def read_frame(s):
    b0, b1 = recv_exact(s, 2)
    if b1 & 0x80:
        raise ValueError("server frames must not be masked")
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", recv_exact(s, 2))[0]
    elif n == 127:
        n = struct.unpack("!Q", recv_exact(s, 8))[0]
    return b0 & 0x0F, recv_exact(s, n)


def main():
    args = sys.argv[1:]
    cafile = None
    if len(args) >= 2 and args[0] == "--cafile":
        cafile, args = args[1], args[2:]
    addr, path, steps = args[0], args[1], args[2:]
    host, port = addr.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=15)
    if cafile:
        s = ssl.create_default_context(cafile=cafile).wrap_socket(s, server_hostname=host)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += recv_exact(s, 1)
    status = head.split(b"\r\n", 1)[0].decode()
    if " 101 " not in status:
        print("handshake failed: " + status, file=sys.stderr)
        print(head.decode(errors="replace"), file=sys.stderr)
        return 1
    t0 = time.monotonic()

    def out(line):
        print("%d %s" % ((time.monotonic() - t0) * 1000, line), flush=True)

    def recv_one():
        while True:
            op, payload = read_frame(s)
            if op == 0x9:          # ping -> pong
                send_frame(s, 0xA, payload)
                continue
            if op == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                out("close %d %s" % (code, payload[2:].decode()))
                return False
            out("text " + payload.decode())
            return True

    for step in steps:
        if step.startswith("send:"):
            send_frame(s, 0x1, step[5:].encode())
        elif step == "recv":
            recv_one()
        elif step == "close":
            send_frame(s, 0x8, struct.pack("!H", 1000))
        elif step == "recv-all":
            while recv_one():
                pass
        else:
            print("unknown step " + step, file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
