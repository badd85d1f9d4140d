#!/usr/bin/env bash
# gateway_tls.sh: TLS on both sides of grpc-json-gateway, with a throwaway CA that openssl makes in
# $WORK at test time: the HTTPS front end (unary, an NDJSON server stream, WebSocket over TLS, plain
# HTTP refused), TLS and mutual TLS to greeter-server (--backend-tls, --backend-ca, --backend-cert,
# --backend-key, --backend-authority; a missing root, a wrong name or a missing or foreign client
# certificate is 503 UNAVAILABLE), greeter-client --tls, and clear start-up errors for bad settings.
. "${GW_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh" || exit 99
command -v openssl >/dev/null 2>&1 || skip "openssl is not installed"
WS="$PYTHON3 $GW_SRCDIR/tests/e2e/ws_client.py"

# ---------------------------------------------------------------- the throwaway PKI
PKI="$WORK/pki"
mkdir -p "$PKI"
# new_key NAME: an EC P-256 private key in $PKI/NAME.key (fast to make, and every TLS stack here takes it).
new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$PKI/$1.key" 2>/dev/null; }
# new_ca NAME: a self-signed CA certificate $PKI/NAME.pem with its key.
new_ca() {
  new_key "$1"
  openssl req -x509 -new -key "$PKI/$1.key" -out "$PKI/$1.pem" -days 2 -subj "/CN=gateway test $1" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
# issue CA NAME CN EXTENSIONS...: a certificate $PKI/NAME.pem for CN, signed by CA, with its key.
issue() {
  local ca=$1 name=$2 cn=$3; shift 3
  new_key "$name"
  printf '%s\n' basicConstraints=CA:FALSE "$@" > "$PKI/$name.ext"
  openssl req -new -key "$PKI/$name.key" -subj "/CN=$cn" -out "$PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/$ca.pem" -CAkey "$PKI/$ca.key" -set_serial "0x$(openssl rand -hex 8)" \
    -days 2 -extfile "$PKI/$name.ext" -out "$PKI/$name.pem" 2>/dev/null
}
new_ca ca
issue ca server localhost keyUsage=critical,digitalSignature extendedKeyUsage=serverAuth \
  subjectAltName=DNS:localhost,IP:127.0.0.1
issue ca client "gateway test client" keyUsage=critical,digitalSignature extendedKeyUsage=clientAuth
new_ca rogue   # a CA that nobody trusts, and a client certificate it signed
issue rogue rogue_client "rogue client" keyUsage=critical,digitalSignature extendedKeyUsage=clientAuth
for f in ca server client rogue_client; do
  [ -s "$PKI/$f.pem" ] && [ -s "$PKI/$f.key" ] || fail "openssl did not make $f.pem and $f.key"
done
CA="$PKI/ca.pem"
SERVER_TLS=(--tls-cert "$PKI/server.pem" --tls-key "$PKI/server.key")
note "throwaway CA, server (localhost, 127.0.0.1) and client certificates made in $PKI"

hello() { echo "{\"message\":\"Hello $1\"}"; }
# wait_ready: polls the gateway at $GW_URL until /readyz is 200 (its backend answers health checks
# over the channel), as a deployment's readiness probe would. A first connection attempt can time
# out on a loaded machine: UPSTREAM_MIN_RECONNECT_BACKOFF_MS (100 ms) is also gRPC's minimum connect
# timeout, and a TLS handshake under the sanitizers can take longer.
wait_ready() {
  _ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$GW_URL/readyz")" = 200 ]; }
  wait_for 15 _ready
}

# ---------------------------------------------------------------- HTTPS front end
start greeter "$GREETER_SERVER" --listen 127.0.0.1:0 --stream-count 3
start_gateway gwhttps --backend "127.0.0.1:$(listen_port greeter)" "${SERVER_TLS[@]}"
PORT=${GW_URL##*:}
HTTPS="https://127.0.0.1:$PORT"

out=$(curl -sS --cacert "$CA" "$HTTPS/v1/hello" -d '{"name":"you"}')
expect_eq "$(hello you)" "$out" "HTTPS POST /v1/hello"
req GET "https://localhost:$PORT/v1/hello/there" --cacert "$CA" --resolve "localhost:$PORT:127.0.0.1"
expect_eq 200 "$STATUS" "HTTPS by the name localhost (the certificate's DNS name)"
expect_eq "$(hello there)" "$BODY" "HTTPS GET /v1/hello/{name}"
rc=0; curl -sS -o /dev/null --cacert "$PKI/rogue.pem" "$HTTPS/v1/hello" -d '{"name":"x"}' 2>/dev/null || rc=$?
expect_eq 60 "$rc" "a client that trusts another CA rejects the certificate (curl exit 60)"
req POST "http://127.0.0.1:$PORT/v1/hello" -d '{"name":"plain"}' -m 5 2>/dev/null
expect_eq 000 "$STATUS" "plain HTTP to the HTTPS port gets no HTTP response"
req POST "$HTTPS/v1/hello" --cacert "$CA" -d '{"name":"again"}'
expect_eq "$(hello again)" "$BODY" "HTTPS still served after a plain-text client"

out=$(curl -sS -N --cacert "$CA" "$HTTPS/v1/hello/stream" -d '{"name":"s"}')
expect_eq '{"result":{"message":"Hello s #0"}}
{"result":{"message":"Hello s #1"}}
{"result":{"message":"Hello s #2"}}' "$out" "server stream over HTTPS (NDJSON)"

out=$($WS --cafile "$CA" "127.0.0.1:$PORT" /v1/hello/chat 'send:{"name":"a"}' recv 'send:{"name":"b"}' recv \
  close recv-all | cut -d' ' -f2-)
expect_eq "text $(hello a)
text $(hello b)
close 1000 OK" "$out" "bidi over WebSocket over TLS (wss)"
stop gwhttps >/dev/null

# ---------------------------------------------------------------- TLS to the backend
start tls_greeter "$GREETER_SERVER" --listen 127.0.0.1:0 "${SERVER_TLS[@]}"
TLS_BACKEND="127.0.0.1:$(listen_port tls_greeter)"
grep -q "serving TLS" "$(log_of tls_greeter)" || fail "greeter-server does not say it serves TLS"

start_gateway gwtls --backend "$TLS_BACKEND" --backend-tls --backend-ca "$CA" --backend-authority localhost
wait_ready
req POST "$GW_URL/v1/hello" -d '{"name":"tls"}'
expect_eq "$(hello tls)" "$BODY" "reply over a TLS backend"
expect_eq 200 "$STATUS" "backend over TLS, --backend-ca and --backend-authority localhost"
out=$(curl -sS -N "$GW_URL/v1/hello/stream" -d '{"name":"t"}' | wc -l)
expect_eq 5 "$out" "server stream over a TLS backend"

start_gateway gwip --backend "$TLS_BACKEND" --backend-tls --backend-ca "$CA"
wait_ready
req POST "$GW_URL/v1/hello" -d '{"name":"ip"}'
expect_eq "$(hello ip)" "$BODY" "backend over TLS by IP address (the certificate's IP name)"

start_gateway gwnoca --backend "$TLS_BACKEND" --backend-tls --backend-authority localhost
req POST "$GW_URL/v1/hello" -d '{"name":"noca"}'
expect_eq 503 "$STATUS" "without --backend-ca the system roots do not know the throwaway CA: 503"
expect_match '"code":14' "$BODY" "untrusted backend is UNAVAILABLE"

start_gateway gwname --backend "$TLS_BACKEND" --backend-tls --backend-ca "$CA" --backend-authority other.example
req POST "$GW_URL/v1/hello" -d '{"name":"name"}'
expect_eq 503 "$STATUS" "a backend certificate without the --backend-authority name: 503"

start_gateway gwplain --backend "$TLS_BACKEND"
req POST "$GW_URL/v1/hello" -d '{"name":"plain"}'
expect_eq 503 "$STATUS" "plain-text HTTP/2 to a TLS backend: 503"
ok_calls=$(grep -c "SayHello status=OK" "$(log_of tls_greeter)" || true)
expect_eq 2 "$ok_calls" "the TLS greeter answered only the gateways that trust it"

out=$("$GREETER_CLIENT" --target "$TLS_BACKEND" --tls --ca "$CA" unary you)
expect_eq "Hello you" "$out" "greeter-client --tls --ca"
out=$("$GREETER_CLIENT" --target "$TLS_BACKEND" --tls --ca "$CA" --authority localhost server-stream s | wc -l)
expect_eq 5 "$out" "greeter-client --tls --authority localhost, server stream"
rc=0; "$GREETER_CLIENT" --target "$TLS_BACKEND" --tls unary you 2>"$WORK/client_noca.err" || rc=$?
expect_eq 1 "$rc" "greeter-client --tls without the CA fails the call"
expect_contains "UNAVAILABLE" "$(cat "$WORK/client_noca.err")" "greeter-client without the CA: UNAVAILABLE"
stop gwtls >/dev/null; stop gwip >/dev/null; stop gwnoca >/dev/null; stop gwname >/dev/null; stop gwplain >/dev/null

# ---------------------------------------------------------------- mutual TLS
start mtls_greeter "$GREETER_SERVER" --listen 127.0.0.1:0 "${SERVER_TLS[@]}" --tls-client-ca "$CA"
MTLS_BACKEND="127.0.0.1:$(listen_port mtls_greeter)"
grep -q "client certificates required" "$(log_of mtls_greeter)" || fail "greeter-server does not say it needs client certificates"
BACKEND_TLS=(--backend "$MTLS_BACKEND" --backend-tls --backend-ca "$CA" --backend-authority localhost)

start_gateway gwmtls "${BACKEND_TLS[@]}" --backend-cert "$PKI/client.pem" --backend-key "$PKI/client.key"
wait_ready
req POST "$GW_URL/v1/hello" -d '{"name":"mtls"}'
expect_eq "$(hello mtls)" "$BODY" "reply over mutual TLS"
expect_eq 200 "$STATUS" "mutual TLS with --backend-cert/--backend-key"

start_gateway gwnocert "${BACKEND_TLS[@]}"
req POST "$GW_URL/v1/hello" -d '{"name":"nocert"}'
expect_eq 503 "$STATUS" "mutual TLS backend, no client certificate: 503"
expect_match '"code":14' "$BODY" "no client certificate is UNAVAILABLE"

start_gateway gwrogue "${BACKEND_TLS[@]}" --backend-cert "$PKI/rogue_client.pem" --backend-key "$PKI/rogue_client.key"
req POST "$GW_URL/v1/hello" -d '{"name":"rogue"}'
expect_eq 503 "$STATUS" "mutual TLS backend, a client certificate from an unknown CA: 503"

out=$("$GREETER_CLIENT" --target "$MTLS_BACKEND" --tls --ca "$CA" --cert "$PKI/client.pem" --key "$PKI/client.key" unary m)
expect_eq "Hello m" "$out" "greeter-client with a client certificate (mutual TLS)"
rc=0; "$GREETER_CLIENT" --target "$MTLS_BACKEND" --tls --ca "$CA" unary m 2>/dev/null || rc=$?
expect_eq 1 "$rc" "greeter-client without a client certificate is refused"
ok_calls=$(grep -c "SayHello status=OK" "$(log_of mtls_greeter)" || true)
expect_eq 2 "$ok_calls" "the mutual-TLS greeter answered only the clients with a certificate it trusts"
stop gwmtls >/dev/null; stop gwnocert >/dev/null; stop gwrogue >/dev/null

# ---------------------------------------------------------------- bad settings: a clear error at start-up
# start_error NAME RC CMD...: CMD must exit at once (no "listening on"), with status RC (or any non-zero
# status for RC "nonzero"); its stderr is left in $WORK/NAME.err for the caller to check.
start_error() {
  local name=$1 want=$2 rc=0; shift 2
  timeout 20 "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" </dev/null || rc=$?
  [ "$rc" -ne 124 ] || fail "$name: still running after 20 s instead of refusing to start"
  if [ "$want" = nonzero ]; then
    [ "$rc" -ne 0 ] || fail "$name: exit status 0"
    echo "ok - $name: exit status $rc (non-zero)"
  else
    expect_eq "$want" "$rc" "$name: exit status $want"
  fi
  ! grep -q "^listening on " "$WORK/$name.err" || fail "$name: started listening"
  ERR=$(cat "$WORK/$name.err")
}
GW=("$GATEWAY" --listen 127.0.0.1:0 --backend 127.0.0.1:1 --quiet)
printf 'not a certificate\n' > "$WORK/garbage.pem"

start_error gw_cert_only nonzero "${GW[@]}" --tls-cert "$PKI/server.pem"
expect_contains "--tls-cert and --tls-key go together" "$ERR" "gateway: --tls-cert without --tls-key"
start_error gw_cert_missing nonzero "${GW[@]}" --tls-cert "$WORK/missing.pem" --tls-key "$PKI/server.key"
expect_contains "cannot read $WORK/missing.pem: No such file or directory" "$ERR" "gateway: unreadable --tls-cert"
start_error gw_cert_dir nonzero "${GW[@]}" --tls-cert "$WORK" --tls-key "$PKI/server.key"
expect_contains "Is a directory" "$ERR" "gateway: a directory as --tls-cert"
start_error gw_cert_zero nonzero "${GW[@]}" --tls-cert /dev/zero --tls-key "$PKI/server.key"
expect_contains "too large" "$ERR" "gateway: /dev/zero as --tls-cert is refused, not read forever"
start_error gw_key_mismatch nonzero "${GW[@]}" --tls-cert "$PKI/server.pem" --tls-key "$PKI/client.key"
expect_contains "cannot start the HTTPS server" "$ERR" "gateway: a key that is not the certificate's"
start_error gw_ca_garbage 2 "${GW[@]}" --backend-tls --backend-ca "$WORK/garbage.pem"
expect_contains "garbage.pem is not PEM" "$ERR" "gateway: a --backend-ca that is not PEM"
start_error gw_ca_empty 2 "${GW[@]}" --backend-tls --backend-ca /dev/null
expect_contains "/dev/null is empty" "$ERR" "gateway: an empty --backend-ca"
printf -- '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n' > "$WORK/broken.pem"
start_error gw_ca_broken 2 "${GW[@]}" --backend-tls --backend-ca "$WORK/broken.pem"
expect_contains "broken.pem holds no usable certificate" "$ERR" "gateway: a --backend-ca whose PEM block is broken"
start_error gw_backend_key_mismatch 2 "${GW[@]}" --backend-tls --backend-ca "$CA" \
  --backend-cert "$PKI/client.pem" --backend-key "$PKI/server.key"
expect_contains "do not match" "$ERR" "gateway: a --backend-key that is not the --backend-cert's"
start_error gw_ca_no_tls 2 "${GW[@]}" --backend-ca "$CA"
expect_contains "need --backend-tls" "$ERR" "gateway: --backend-ca without --backend-tls"

GS=("$GREETER_SERVER" --listen 127.0.0.1:0)
start_error gs_cert_only 2 "${GS[@]}" --tls-cert "$PKI/server.pem"
expect_contains "--tls-cert and --tls-key go together" "$ERR" "greeter-server: --tls-cert without --tls-key"
start_error gs_client_ca_only 2 "${GS[@]}" --tls-client-ca "$CA"
expect_contains "--tls-client-ca needs --tls-cert" "$ERR" "greeter-server: --tls-client-ca alone"
start_error gs_cert_missing 2 "${GS[@]}" --tls-cert "$WORK/missing.pem" --tls-key "$PKI/server.key"
expect_contains "cannot read $WORK/missing.pem" "$ERR" "greeter-server: unreadable --tls-cert"
start_error gs_ca_garbage 2 "${GS[@]}" "${SERVER_TLS[@]}" --tls-client-ca "$WORK/garbage.pem"
expect_contains "is not PEM" "$ERR" "greeter-server: a --tls-client-ca that is not PEM"
start_error gs_key_mismatch 1 "${GS[@]}" --tls-cert "$PKI/server.pem" --tls-key "$PKI/client.key"
expect_contains "with TLS" "$ERR" "greeter-server: a key that is not the certificate's"
start_error gc_ca_missing 2 "$GREETER_CLIENT" --target 127.0.0.1:1 --tls --ca "$WORK/missing.pem" unary x
expect_contains "cannot read $WORK/missing.pem" "$ERR" "greeter-client: unreadable --ca"
start_error gc_ca_without_tls 2 "$GREETER_CLIENT" --target 127.0.0.1:1 --ca "$CA" unary x
expect_contains "need --tls" "$ERR" "greeter-client: --ca without --tls"
