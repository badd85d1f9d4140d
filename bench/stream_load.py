#!/usr/bin/env python3
"""stream_load.py: holds N server streams open through an HTTP gateway and counts the NDJSON lines
they deliver (benchmark helper, asyncio, raw HTTP/1.1).

  stream_load.py HOST:PORT N SECONDS [PATH] [BODY]
Opens N connections, each POSTing BODY to PATH and reading the chunked NDJSON reply; reports on
stdout one line: "opened=N lines=L errors=E seconds=S" after SECONDS, then closes everything. Writes
"ready" to stderr once all N streams have received their first line (the harness samples memory then).
"""
import asyncio
import sys
import time


async def one_stream(host, port, path, body, counters, first_seen, stop):
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        counters["errors"] += 1
        return
    req = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
           f"Content-Length: {len(body)}\r\n\r\n{body}").encode()
    writer.write(req)
    try:
        status = await reader.readline()
        if b" 200 " not in status:
            counters["errors"] += 1
            return
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        counters["opened"] += 1
        got_first = False
        while not stop.is_set():
            size_line = await reader.readline()
            if not size_line:
                break
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            data = await reader.readexactly(size + 2)
            n = data.count(b"\n") - 1
            counters["lines"] += n
            if not got_first and n > 0:
                got_first = True
                first_seen.append(1)
    except (OSError, asyncio.IncompleteReadError, ValueError):
        counters["errors"] += 1
    finally:
        writer.close()


async def main():
    addr, n, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    path = sys.argv[4] if len(sys.argv) > 4 else "/v1/hello/stream"
    body = sys.argv[5] if len(sys.argv) > 5 else '{"name":"load"}'
    host, port = addr.rsplit(":", 1)
    counters = {"opened": 0, "lines": 0, "errors": 0}
    first_seen = []
    stop = asyncio.Event()
    tasks = []
    for _ in range(n):
        tasks.append(asyncio.create_task(one_stream(host, int(port), path, body, counters, first_seen, stop)))
        await asyncio.sleep(0)
    t0 = time.monotonic()
    ready_reported = False
    while time.monotonic() - t0 < seconds:
        await asyncio.sleep(0.05)
        if not ready_reported and len(first_seen) >= n:
            ready_reported = True
            print("ready %.2f" % (time.monotonic() - t0), file=sys.stderr, flush=True)
    lines_at_end = counters["lines"]
    stop.set()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    print("opened=%d lines=%d errors=%d seconds=%.2f" % (counters["opened"], lines_at_end, counters["errors"], seconds))


if __name__ == "__main__":
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(main())
