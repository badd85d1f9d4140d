#!/bin/sh
# install-deps.sh: installs everything needed to build, test and benchmark grpc-json-gateway on Debian 12.
# The one list of packages: the README, .ci/run and docker/Dockerfile all call this script.
#   scripts/install-deps.sh            build + test dependencies
#   scripts/install-deps.sh --runtime  only the shared libraries the installed programs need (the
#                                      Docker image's runtime stage; curl there is its health check)
#   scripts/install-deps.sh --docker   the Docker engine, Compose and debootstrap for `make check-docker`
#                                      (opt-in: plain `make check` does not need Docker)
set -eu

BUILD_PKGS="build-essential autoconf automake libtool pkg-config
  libgrpc-dev protobuf-compiler libprotobuf-dev libprotobuf-c-dev protobuf-c-compiler
  libmicrohttpd-dev libjansson-dev libwslay-dev libgnutls28-dev check"
TEST_PKGS="curl python3 python3-grpcio python3-protobuf python3-grpc-tools valgrind clang openssl"
RUNTIME_PKGS="libgrpc29 libprotobuf-c1 libmicrohttpd12 libjansson4 libwslay1 libgnutls30 ca-certificates curl"
DOCKER_PKGS="docker.io docker-compose debootstrap"

case "${1:-}" in
  --runtime) PKGS="$RUNTIME_PKGS" ;;
  --build-only) PKGS="$BUILD_PKGS" ;;
  --docker) PKGS="$DOCKER_PKGS" ;;
  "") PKGS="$BUILD_PKGS $TEST_PKGS" ;;
  *) echo "usage: $0 [--runtime|--build-only|--docker]" >&2; exit 2 ;;
esac

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && { echo "install-deps: all packages present"; exit 0; }

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Another apt run (unattended upgrades, a parallel job) may hold the dpkg lock for a while.
tries=0
until $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends $missing; do
  tries=$((tries + 1))
  [ "$tries" -lt 10 ] || { echo "install-deps: apt-get failed" >&2; exit 1; }
  sleep 6
done
