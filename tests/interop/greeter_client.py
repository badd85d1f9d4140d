#!/usr/bin/env python3
"""greeter_client.py: the project's Python (grpcio) greeter client, for interop tests.

  greeter_client.py --target HOST:PORT [--timeout S] [--cancel-after S] KIND [NAME...]

KIND: unary | server-stream | client-stream | bidi (one NAME per message, like greeter-client),
health [SERVICE], or unknown (calls a method the server does not have). Each reply is printed on its
own line as it arrives; a failed call prints "<STATUS_NAME>: <details>" on stderr and exits 1.
--cancel-after cancels the call that many seconds after it started. Needs the generated stubs
(helloworld_pb2*, health_pb2) on PYTHONPATH."""
import argparse
import sys
import threading

import grpc

# Generated stubs, found through PYTHONPATH (tests/interop/interop.sh makes them).
import health_pb2
import helloworld_pb2
import helloworld_pb2_grpc


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--target", default="127.0.0.1:50051")
    p.add_argument("--timeout", type=float, default=None)
    p.add_argument("--cancel-after", type=float, default=None)
    p.add_argument("kind", choices=["unary", "server-stream", "client-stream", "bidi", "health", "unknown"])
    p.add_argument("names", nargs="*")
    a = p.parse_args()

    channel = grpc.insecure_channel(a.target)
    stub = helloworld_pb2_grpc.GreeterStub(channel)
    requests = [helloworld_pb2.HelloRequest(name=n) for n in a.names]
    first = requests[0] if requests else helloworld_pb2.HelloRequest()
    timer = None
    try:
        if a.kind == "unary":
            call = stub.SayHello.future(first, timeout=a.timeout)
        elif a.kind == "server-stream":
            call = stub.SayHelloServerStream(first, timeout=a.timeout)
        elif a.kind == "client-stream":
            call = stub.SayHelloClientStream.future(iter(requests), timeout=a.timeout)
        elif a.kind == "bidi":
            call = stub.SayHelloBiStream(iter(requests), timeout=a.timeout)
        elif a.kind == "health":
            check = channel.unary_unary("/grpc.health.v1.Health/Check",
                                        request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
                                        response_deserializer=health_pb2.HealthCheckResponse.FromString)
            service = a.names[0] if a.names else ""
            call = check.future(health_pb2.HealthCheckRequest(service=service), timeout=a.timeout)
        else:
            call = channel.unary_unary("/helloworld.Greeter/NoSuchMethod").future(b"", timeout=a.timeout)
        if a.cancel_after is not None:
            timer = threading.Timer(a.cancel_after, call.cancel)
            timer.start()
        if a.kind in ("server-stream", "bidi"):
            for reply in call:
                print(reply.message, flush=True)
        elif a.kind == "health":
            print(health_pb2.HealthCheckResponse.ServingStatus.Name(call.result().status), flush=True)
        else:
            result = call.result()
            print(result.message if a.kind != "unknown" else repr(result), flush=True)
    except grpc.RpcError as e:
        print("%s: %s" % (e.code().name, e.details()), file=sys.stderr, flush=True)
        return 1
    except grpc.FutureCancelledError:
        print("CANCELLED: cancelled by the client", file=sys.stderr, flush=True)
        return 1
    finally:
        if timer:
            timer.cancel()
        channel.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
