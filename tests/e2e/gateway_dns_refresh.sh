#!/usr/bin/env bash
# gateway_dns_refresh.sh: a DNS backend name whose addresses change under a running gateway.
# --backend-refresh resolves the name afresh: an added replica gets calls although no connection
# closed, a removed one gets none, and a stream under way survives the channel it started on.
# Without the refresh (none), gRPC alone does not see the added replica.
#
# The name lives in a private /etc/hosts: the test runs in its own mount namespace (root and
# unshare), with a file of its own bound over /etc/hosts, which it rewrites between the steps.
# Replica A listens on 127.0.0.1:P, replica B on 127.0.0.2:P.
if [ -z "${GW_DNS_TEST_NS:-}" ]; then
  if [ "$(id -u)" -ne 0 ] || ! unshare -m --propagation private true 2>/dev/null; then
    echo "SKIP: needs root and unshare -m (a private /etc/hosts in a mount namespace of its own)" >&2
    exit 77
  fi
  GW_DNS_TEST_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
. "${GW_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh" || exit 99

NAME=gw-refresh-test.internal
HOSTS="$WORK/hosts"
# hosts ADDR...: NAME resolves to these addresses from now on (the file is rewritten in place: the
# bind mount holds its inode).
hosts() {
  { grep -v -F "$NAME" "$WORK/hosts.orig"; local a; for a in "$@"; do echo "$a $NAME"; done; } >"$HOSTS"
}
cp /etc/hosts "$WORK/hosts.orig"
cp /etc/hosts "$HOSTS"
mount --bind "$HOSTS" /etc/hosts || skip "cannot bind a file over /etc/hosts"
hosts 127.0.0.1

# Streams of 15 replies, 200 ms apart: one outlives several refreshes.
start a "$GREETER_SERVER" --listen 127.0.0.1:0 --stream-count 15 --stream-interval-ms 200
P=$(listen_port a)
start b "$GREETER_SERVER" --listen "127.0.0.2:$P" --stream-count 15 --stream-interval-ms 200
listen_port b >/dev/null

calls_of() { grep -c "SayHello status=OK" "$(log_of "$1")" || true; }
hello() {  # URL
  local out
  out=$(curl -sS -d '{"name":"r"}' "$1/v1/hello") || fail "call through $1 failed"
  [ "$out" == '{"message":"Hello r"}' ] || fail "call through $1 answered [$out]"
}
refreshes() {
  curl -s "$GW_URL/metrics" | sed -n 's/^grpc_json_gateway_backend_channel_refreshes_total \([0-9]*\)$/\1/p'
}

start_gateway fixed --backend "$NAME:$P" --backend-refresh none
FIXED_URL=$GW_URL
start_gateway gw --backend "$NAME:$P" --backend-refresh 300ms
for _ in 1 2 3; do hello "$GW_URL"; hello "$FIXED_URL"; done
expect_eq 0 "$(calls_of b)" "before the change every call goes to the only address, A"

# A stream that starts on A, before any change.
curl -sS -N -d '{"name":"s"}' "$GW_URL/v1/hello/stream" >"$WORK/stream.out" 2>&1 &
STREAM_PID=$!
first_reply() { grep -q '"result"' "$WORK/stream.out"; }
wait_for 5 first_reply

# B joins behind the name.
hosts 127.0.0.1 127.0.0.2
r0=$(refreshes)
refreshed_twice() { [ "$(refreshes)" -ge $((r0 + 2)) ]; }
wait_for 3 refreshed_twice   # every 300 ms: two within 3 s
# Two swaps: the stream's channel is destroyed now, while the stream goes on.
kill -0 "$STREAM_PID" 2>/dev/null || fail "the stream ended before its channel was replaced: the check below would prove nothing"
for _ in $(seq 1 20); do hello "$FIXED_URL"; done
expect_eq 0 "$(calls_of b)" "without --backend-refresh the gateway keeps to A (gRPC resolves again only when a connection drops)"
t0=$(now_ms)
b_called() { hello "$GW_URL"; [ "$(calls_of b)" -gt 0 ]; }
wait_for 10 b_called
note "B got its first call $(( $(now_ms) - t0 )) ms after the refresh had seen it (refresh every 300 ms)"
before_a=$(calls_of a) before_b=$(calls_of b)
for _ in $(seq 1 20); do hello "$GW_URL"; done
na=$(( $(calls_of a) - before_a )) nb=$(( $(calls_of b) - before_b ))
note "20 calls: A=$na B=$nb"
(( na >= 5 && nb >= 5 )) || fail "with --backend-refresh, calls should be spread over A and B (A=$na B=$nb)"
echo "ok - an added replica gets calls without a connection closing"

# A leaves the name (it keeps running, so only the refresh can tell).
hosts 127.0.0.2
r0=$(refreshes)
wait_for 3 refreshed_twice   # every 300 ms: two within 3 s
before_a=$(calls_of a)
for _ in $(seq 1 20); do hello "$GW_URL"; done
expect_eq 0 "$(( $(calls_of a) - before_a ))" "a replica removed from the name gets no more calls"

# The stream began on the first channel, which has been swapped out and destroyed since.
wait "$STREAM_PID" || fail "the stream's curl failed: $(cat "$WORK/stream.out")"
expect_eq 15 "$(grep -c '^{"result":{"message":"Hello s #' "$WORK/stream.out")" \
  "a stream under way keeps going while its channel is replaced (15 replies)"
! grep -q '"error"' "$WORK/stream.out" || fail "the stream ended with an error: $(tail -n 1 "$WORK/stream.out")"

t0=$(now_ms)
stop gw >"$WORK/stop.code"   # not in $(...): wait needs the parent shell
expect_eq 0 "$(cat "$WORK/stop.code")" "the gateway stops cleanly with refreshes going on"
(( $(now_ms) - t0 < 3000 )) || fail "stopping took $(( $(now_ms) - t0 )) ms: the refresh's watch held it up"
stop fixed >"$WORK/stop.code"
expect_eq 0 "$(cat "$WORK/stop.code")" "the gateway without refresh stops cleanly"
