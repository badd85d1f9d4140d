#!/usr/bin/env bash
# gateway_backends.sh: the --backend target forms (host:port, dns:///host:port, ipv4:A:P,B:P,
# unix:PATH), round-robin over several addresses, the gateway's default descriptor set, and bad
# start-up settings (exit code 2 with a clear message).
. "${GW_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh" || exit 99

start a "$GREETER_SERVER" --listen 127.0.0.1:0
start b "$GREETER_SERVER" --listen 127.0.0.1:0
PA=$(listen_port a)
PB=$(listen_port b)

for target in "127.0.0.1:$PA" "localhost:$PA" "dns:///localhost:$PA" "ipv4:127.0.0.1:$PA"; do
  start_gateway "gw-$(echo "$target" | tr -c 'a-z0-9' _)" --backend "$target"
  expect_eq '{"message":"Hello t"}' "$(curl -s -d '{"name":"t"}' "$GW_URL/v1/hello")" "backend $target"
done

# --backend-refresh renews the channel of a DNS name (gateway_dns_refresh.sh, which needs root for a
# name of its own), never that of fixed addresses: IP addresses, address lists, localhost.
refreshes() { curl -s "$GW_URL/metrics" | sed -n 's/^grpc_json_gateway_backend_channel_refreshes_total \([0-9]*\)$/\1/p'; }
for target in "127.0.0.1:$PA" "dns:///127.0.0.1:$PA" "ipv4:127.0.0.1:$PA,127.0.0.1:$PB" "localhost:$PA"; do
  start_gateway "gw-norefresh-$(echo "$target" | tr -c 'a-z0-9' _)" --backend "$target" --backend-refresh 100ms
  curl -s -o /dev/null -d '{"name":"r"}' "$GW_URL/v1/hello"
  # Ten periods, watched on the counter the refresh would move.
  t_end=$(( $(now_ms) + 1000 ))
  while [ "$(now_ms)" -lt "$t_end" ]; do [ "$(refreshes)" = 0 ] || break; sleep 0.1; done
  expect_eq 0 "$(refreshes)" "fixed addresses ($target) are not refreshed"
done

SOCK="$WORK/greeter.sock"
start u "$GREETER_SERVER" --listen "unix:$SOCK"
wait_log u "listening on unix:" 10
start_gateway gwunix --backend "unix:$SOCK"
expect_eq '{"message":"Hello u"}' "$(curl -s -d '{"name":"u"}' "$GW_URL/v1/hello")" "backend unix:PATH"

# Round-robin: both addresses of ipv4:A,B receive calls.
start_gateway gwrr --backend "ipv4:127.0.0.1:$PA,127.0.0.1:$PB"
for i in $(seq 1 20); do curl -s -o /dev/null -d '{"name":"rr"}' "$GW_URL/v1/hello"; done
na=$(grep -c "SayHello status=OK" "$(log_of a)" || true)
nb=$(grep -c "SayHello status=OK" "$(log_of b)" || true)
note "calls: a=$na b=$nb"
(( nb >= 5 && na >= 5 )) || fail "round-robin should spread 20 calls over both backends (a=$na b=$nb)"
echo "ok - round-robin over two addresses"

# Bad settings: exit 2, a message, never "listening on".
bad() {  # WHAT ARGS...
  local what=$1 st=0; shift
  "$GATEWAY" --listen 127.0.0.1:0 "$@" >"$WORK/bad.log" 2>&1 || st=$?
  expect_eq 2 "$st" "$what exits 2"
  ! grep -q "listening on" "$WORK/bad.log" || fail "$what: it started listening"
}
bad "unknown flag" --no-such-flag
bad "bad duration" --default-timeout soon
bad "unreadable descriptor set" --descriptor "$WORK/missing.desc"
head -c 100 /dev/urandom >"$WORK/garbage.desc"
bad "invalid descriptor set" --descriptor "$WORK/garbage.desc"
expect_contains "garbage.desc" "$(cat "$WORK/bad.log")" "the error names the file"
bad "bad listen address" --listen nonsense
bad "bad access log format" --access-log yaml
