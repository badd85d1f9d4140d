#!/usr/bin/env python3
"""greeter_server.py: the project's Python (grpcio) helloworld.Greeter server, for interop tests.

  greeter_server.py [--listen HOST:PORT] [--stream-count N]

Same behaviour as greeter-server: "Hello <name>"; a server stream of "Hello <name> #i"; client
stream "Hello a, b, c"; bidi "Hello <name>" per request; an empty name is INVALID_ARGUMENT
"name must not be empty". Prints "listening on HOST:PORT" to stderr when ready; SIGTERM stops it."""
import argparse
import signal
import sys
from concurrent import futures

import grpc

import helloworld_pb2
import helloworld_pb2_grpc

EMPTY_NAME = "name must not be empty"


class Greeter(helloworld_pb2_grpc.GreeterServicer):
    def __init__(self, stream_count):
        self.stream_count = stream_count

    @staticmethod
    def _check(request, context):
        if not request.name:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, EMPTY_NAME)

    def SayHello(self, request, context):
        self._check(request, context)
        return helloworld_pb2.HelloReply(message="Hello " + request.name)

    def SayHelloServerStream(self, request, context):
        self._check(request, context)
        for i in range(self.stream_count):
            yield helloworld_pb2.HelloReply(message="Hello %s #%d" % (request.name, i))

    def SayHelloClientStream(self, request_iterator, context):
        names = []
        for request in request_iterator:
            self._check(request, context)
            names.append(request.name)
        return helloworld_pb2.HelloReply(message="Hello " + ", ".join(names))

    def SayHelloBiStream(self, request_iterator, context):
        for request in request_iterator:
            self._check(request, context)
            yield helloworld_pb2.HelloReply(message="Hello " + request.name)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--listen", default="127.0.0.1:0")
    p.add_argument("--stream-count", type=int, default=5)
    a = p.parse_args()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    helloworld_pb2_grpc.add_GreeterServicer_to_server(Greeter(a.stream_count), server)
    port = server.add_insecure_port(a.listen)
    if not port:
        print("greeter_server.py: cannot listen on " + a.listen, file=sys.stderr)
        return 1
    server.start()
    signal.signal(signal.SIGTERM, lambda *_: server.stop(2))
    host = a.listen.rsplit(":", 1)[0]
    print("listening on %s:%d" % (host, port), file=sys.stderr, flush=True)
    server.wait_for_termination()
    return 0


if __name__ == "__main__":
    sys.exit(main())
