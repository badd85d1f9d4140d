#!/usr/bin/env bash
# check-docker.sh (`make check-docker`): builds the Docker image, runs compose.yaml, checks a call through
# the gateway, then scales the greeter to several replicas under the running gateway and checks that every
# replica gets calls, and that scaling back down loses none.
#
# It starts a Docker engine when none runs (and stops it again at the end), and makes the Debian base
# images the Dockerfile names locally with debootstrap, because no image registry is reachable here.
# Exit status: 0 PASS, 1 FAIL, 77 when no Docker engine can be had (not root, tools not installed:
# scripts/install-deps.sh --docker installs them).
#
# Settings (environment):
#   GW_SRCDIR          project root holding compose.yaml (default: two levels above this script)
#   GW_DOCKER_STATE    engine data, its log and the base-image cache (default /var/tmp/docker-check);
#                      keeping it between runs keeps the image layers and the debootstrap tarball
#   GW_DEBIAN_MIRROR   the Debian mirror debootstrap and the images use (default http://deb.debian.org/debian)
#   GW_REFRESH_BASE=1  make the base images again even when they exist
# shellcheck disable=SC2317  # (functions called from traps and from poll look unreachable to it)
set -euo pipefail

SRCDIR=${GW_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# (The default path leaves out the program names on purpose: dockerd's command line holds it, and a
# `pkill -f grpc-json-gateway` aimed at stray gateways would otherwise stop the engine too.)
STATE=${GW_DOCKER_STATE:-/var/tmp/docker-check}
MIRROR=${GW_DEBIAN_MIRROR:-http://deb.debian.org/debian}
PROJECT=gwcheck              # compose project name, kept apart from a user's own `docker compose up`
SUITE=bookworm               # Debian release of the base images (the Dockerfile's FROM lines)
REPLICAS=3                   # greeter replicas in the scale-out check
CALLS=30                     # calls sent through the gateway in the scale-out check
ENGINE_WAIT_S=60             # how long dockerd may take to answer `docker info`
HEALTH_WAIT_S=120            # how long containers may take to become healthy
CALL_TIMEOUT_S=10            # curl's limit for one call
LOCK_WAIT_S=1800             # how long to wait for another check-docker run on this machine
LOG_WAIT_S=10                # how long a greeter may take to log a call the gateway has answered
SPREAD_WAIT_S=90             # how long after scaling up calls may take to reach every replica
GREETER_CALL_LOG='call /helloworld.Greeter/SayHello '  # greeter-server's line per finished SayHello

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gw-check-docker.XXXXXX")
DOCKERD_PID=""               # set when this script started the engine
COMPOSE_UP=0
START_S=$(date +%s)
STAGE_NAME=""
STAGE_START_S=$START_S
TIMINGS=()

# ---------------------------------------------------------------- reporting

stage_end() {
  [ -n "$STAGE_NAME" ] || return 0
  local took=$(( $(date +%s) - STAGE_START_S ))
  TIMINGS+=("$STAGE_NAME: ${took}s")
  echo "    ($STAGE_NAME took ${took}s)"
  STAGE_NAME=""
}
stage() {
  stage_end
  STAGE_NAME=$1
  STAGE_START_S=$(date +%s)
  echo "=== $1 (+$(( STAGE_START_S - START_S ))s)"
}
note() { echo "    $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }

# ---------------------------------------------------------------- teardown

compose() { "${COMPOSE[@]}" -f "$SRCDIR/compose.yaml" -p "$PROJECT" "$@"; }

finish() {
  local st=$?
  set +e
  # Tear down even when stdout is a closed pipe (e.g. `make check-docker | head`).
  trap '' PIPE
  stage_end
  if [ "$COMPOSE_UP" -eq 1 ]; then
    if [ "$st" -ne 0 ]; then
      echo "---- compose logs (last 40 lines, health checks left out)"
      compose logs --no-color 2>&1 | grep -v -F 'Health/Check' | tail -n 40
    fi
    echo "=== tear down"
    compose down --remove-orphans --timeout 5 >"$WORK/down.log" 2>&1 || cat "$WORK/down.log"
  fi
  if [ -n "$DOCKERD_PID" ]; then
    echo "=== stop the Docker engine this check started (pid $DOCKERD_PID)"
    kill -TERM "$DOCKERD_PID" 2>/dev/null
    local i
    for ((i = 0; i < 300; i++)); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$DOCKERD_PID" 2>/dev/null && { echo "dockerd did not stop in 30s; killing it"; kill -KILL "$DOCKERD_PID"; }
  fi
  if [ "$st" -eq 0 ] || [ "$st" -eq 77 ]; then rm -rf "$WORK"; else echo "logs kept in $WORK"; fi
  local t
  t=$(printf '%s, ' "${TIMINGS[@]}")
  echo "stage timings: ${t%, } (total $(( $(date +%s) - START_S ))s)"
  case $st in
    0) echo "check-docker: PASS" ;;
    77) echo "check-docker: SKIP" ;;
    *) echo "check-docker: FAIL" ;;
  esac
  exit "$st"
}
trap finish EXIT
trap 'exit 1' INT TERM HUP PIPE

# ---------------------------------------------------------------- helpers

# poll TIMEOUT_S CMD...: runs CMD every 0.5 s until it succeeds (0); returns 1 on timeout, or at once
# when CMD returns 2 (what it waits for can no longer happen).
poll() {
  local deadline=$(( $(date +%s) + $1 )) rc; shift
  while :; do
    rc=0; "$@" || rc=$?
    [ "$rc" -eq 0 ] && return 0
    [ "$rc" -ne 2 ] || return 1
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.5
  done
}

# The image names the Dockerfile builds FROM, e.g. debian:bookworm (the "AS name" part dropped).
base_tags() { sed -n 's/^FROM[[:space:]]\{1,\}\([^[:space:]]\{1,\}\).*/\1/p' "$SRCDIR/docker/Dockerfile" | sort -u; }

# all_healthy SERVICE N: true when SERVICE has exactly N containers and every one is healthy; 2 when
# one of them has stopped.
all_healthy() {
  local ids id state n=0 ok=0
  ids=$(compose ps -q "$1" 2>/dev/null) || return 1
  for id in $ids; do
    state=$(docker inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$id" 2>/dev/null) || return 1
    case $state in
      "running healthy") ok=$((ok + 1)) ;;
      exited*|dead*) return 2 ;;
    esac
    n=$((n + 1))
  done
  [ "$n" -eq "$2" ] && [ "$ok" -eq "$2" ]
}
wait_healthy() {  # SERVICE N
  if ! poll "$HEALTH_WAIT_S" all_healthy "$1" "$2"; then
    local id
    for id in $(compose ps -q "$1"); do
      echo "---- $1 container ${id:0:12}: $(docker inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}: {{range .State.Health.Log}}[exit {{.ExitCode}}] {{.Output}} {{end}}{{end}}' "$id")"
    done
    fail "$1: not $2 healthy container(s) after ${HEALTH_WAIT_S}s"
  fi
  note "$1: $2 container(s) healthy"
}

# call NAME: POSTs {"name":NAME} to /v1/hello through the gateway and checks the greeting.
call() {
  local out
  out=$(curl -sS --max-time "$CALL_TIMEOUT_S" -d "{\"name\":\"$1\"}" "http://127.0.0.1:$HTTP_PORT/v1/hello" 2>&1) ||
    fail "curl -d '{\"name\":\"$1\"}' localhost:$HTTP_PORT/v1/hello: $out"
  [[ "$out" =~ ^\{[[:space:]]*\"message\"[[:space:]]*:[[:space:]]*\"Hello\ $1\"[[:space:]]*\}[[:space:]]*$ ]] ||
    fail "/v1/hello answered [$out], expected {\"message\":\"Hello $1\"}"
}

# gateway_ready: finds the gateway's published port (HTTP_PORT) and waits until /readyz answers 200,
# i.e. the gateway reaches a SERVING greeter.
gateway_ready() {
  HTTP_PORT=$(compose port gateway 8080 | head -n 1 | sed 's/.*://')
  [ -n "$HTTP_PORT" ] || fail "compose port gateway 8080 printed nothing"
  local code=none
  readyz() {
    code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$HTTP_PORT/readyz" 2>/dev/null) || true
    case $code in
      200) return 0 ;;
      404) return 2 ;;   # no such endpoint: waiting will not help
      *) return 1 ;;
    esac
  }
  poll "$HEALTH_WAIT_S" readyz || fail "localhost:$HTTP_PORT/readyz answered $code, not 200 (waited up to ${HEALTH_WAIT_S}s)"
  note "gateway on localhost:$HTTP_PORT is ready"
}

# greeter_calls ID: how many SayHello calls greeter container ID has logged.
greeter_calls() { docker logs "$1" 2>&1 | grep -c -F "$GREETER_CALL_LOG" || true; }

# ---------------------------------------------------------------- 1. tools and engine

stage "engine"
command -v docker >/dev/null || skip "no docker command (scripts/install-deps.sh --docker installs Docker)"
# One check at a time per machine: runs share the engine, the compose project and the image tag.
# (A user who may not write $STATE, e.g. one in the docker group, locks in /tmp instead.)
mkdir -p "$STATE" 2>/dev/null || true
{ exec 9>"$STATE/check.lock"; } 2>/dev/null || exec 9>"${TMPDIR:-/tmp}/docker-check.$(id -u).lock"
if ! flock -n 9; then
  note "another check-docker runs on this machine; waiting for it (up to ${LOCK_WAIT_S}s)"
  flock -w "$LOCK_WAIT_S" 9 || fail "another check-docker still holds $STATE/check.lock"
fi
command -v curl >/dev/null || skip "no curl command (scripts/install-deps.sh installs it)"
if docker compose version >/dev/null 2>&1; then
  COMPOSE=(docker compose)
elif command -v docker-compose >/dev/null; then
  COMPOSE=(docker-compose)
else
  skip "neither 'docker compose' nor docker-compose is installed (scripts/install-deps.sh --docker)"
fi
if docker info >/dev/null 2>&1; then
  note "using the Docker engine that is already running"
else
  [ "$(id -u)" -eq 0 ] || skip "no Docker engine runs, and starting one needs root"
  mkdir -p "$STATE"
  command -v dockerd >/dev/null || skip "no Docker engine runs, and dockerd is not installed (scripts/install-deps.sh --docker)"
  note "starting dockerd (data under $STATE, log $STATE/dockerd.log)"
  # No systemd here: dockerd runs as this script's child and starts its own containerd.
  dockerd --data-root "$STATE/data" --exec-root "$STATE/exec" --pidfile "$STATE/dockerd.pid" \
    >"$STATE/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  engine_ready() {
    kill -0 "$DOCKERD_PID" 2>/dev/null || { DOCKERD_PID=""; return 2; }
    docker info >/dev/null 2>&1
  }
  if ! poll "$ENGINE_WAIT_S" engine_ready; then
    tail -n 15 "$STATE/dockerd.log" >&2
    skip "the Docker engine could not be started (log above, $STATE/dockerd.log)"
  fi
fi
note "$(docker version --format 'engine {{.Server.Version}}, client {{.Client.Version}}'), compose: ${COMPOSE[*]}"

# ---------------------------------------------------------------- 2. base images

# make_base_tarballs: one debootstrap run, cached as two tarballs: $SUITE.tar (minbase) and
# $SUITE-slim.tar (the same without documentation, manuals and translations, and with dpkg told not to
# install them later, as Debian's -slim images do).
make_base_tarballs() {
  command -v debootstrap >/dev/null || skip "debootstrap is not installed (scripts/install-deps.sh --docker)"
  local rootfs="$STATE/rootfs.tmp"
  rm -rf "$rootfs"; mkdir -p "$STATE"
  note "debootstrap --variant=minbase $SUITE from $MIRROR (log $WORK/debootstrap.log)"
  debootstrap --variant=minbase "$SUITE" "$rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
    { tail -n 15 "$WORK/debootstrap.log" >&2; fail "debootstrap failed"; }
  # Like Debian's own images: the release, its updates and security suites; no package cache, no
  # package lists, and no hostname or resolver file (the engine provides both).
  rm -f "$rootfs/etc/apt/sources.list" "$rootfs/etc/hostname" "$rootfs/etc/resolv.conf"
  cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  rm -rf "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar --numeric-owner -C "$rootfs" -cf "$STATE/$SUITE.tar.tmp" .
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/slim-image" <<'DPKG'
# -slim image: no documentation (except copyright files), manuals or translations.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
DPKG
  find "$rootfs/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/*
  tar --numeric-owner -C "$rootfs" -cf "$STATE/$SUITE-slim.tar.tmp" .
  mv "$STATE/$SUITE.tar.tmp" "$STATE/$SUITE.tar"
  mv "$STATE/$SUITE-slim.tar.tmp" "$STATE/$SUITE-slim.tar"
  rm -rf "$rootfs"
  note "cached $STATE/$SUITE.tar ($(du -h "$STATE/$SUITE.tar" | cut -f1)), $SUITE-slim.tar ($(du -h "$STATE/$SUITE-slim.tar" | cut -f1))"
}

stage "base images"
made=0
for tag in $(base_tags); do
  if [ "${GW_REFRESH_BASE:-0}" != 1 ] && docker image inspect "$tag" >/dev/null 2>&1; then
    note "$tag: present (GW_REFRESH_BASE=1 makes it again)"
    continue
  fi
  case $tag in
    "debian:$SUITE") tarball="$STATE/$SUITE.tar" ;;
    "debian:$SUITE-slim") tarball="$STATE/$SUITE-slim.tar" ;;
    *) fail "docker/Dockerfile builds FROM $tag; this check can only make debian:$SUITE and debian:$SUITE-slim" ;;
  esac
  if [ ! -s "$tarball" ] || { [ "${GW_REFRESH_BASE:-0}" = 1 ] && [ "$made" -eq 0 ]; }; then
    make_base_tarballs
    made=1
  else
    note "using the cached $tarball"
  fi
  docker import --change 'CMD ["bash"]' "$tarball" "$tag" >/dev/null
  note "$tag: imported ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%d MB", $1 / 1e6}'))"
done

# ---------------------------------------------------------------- 3. image

stage "image build"
note "docker/Dockerfile, log in $WORK/build.log"
# Both services name the same image: building it once for one of them is enough.
if ! compose build gateway >"$WORK/build.log" 2>&1; then
  tail -n 40 "$WORK/build.log" >&2
  fail "the image build failed"
fi
note "$(docker image inspect -f '{{.RepoTags}} {{.Size}}' grpc-json-gateway:local | awk '{printf "%s %d MB", $1, $2 / 1e6}')"
# The build stage's layers (the -dev packages above all) are the build cache of the next run. A tag
# keeps them when the stale ones of earlier runs are pruned; that is only done on this check's own engine.
if [ -n "$DOCKERD_PID" ]; then
  docker build -q --target build -t grpc-json-gateway:build -f "$SRCDIR/docker/Dockerfile" "$SRCDIR" \
    >"$WORK/build-stage.log" 2>&1 || { cat "$WORK/build-stage.log" >&2; fail "tagging the build stage failed"; }
  docker image prune -f >/dev/null
fi

# ---------------------------------------------------------------- 4. one greeter, one gateway

stage "compose up"
# Port 0: the engine picks a free host port, so a busy 8080 cannot fail the check.
COMPOSE_UP=1
GW_HTTP_PORT=0 compose up -d >"$WORK/up.log" 2>&1 || { cat "$WORK/up.log" >&2; fail "compose up failed"; }
wait_healthy greeter 1
wait_healthy gateway 1
gateway_ready

stage "call"
call you
note "curl -d '{\"name\":\"you\"}' localhost:$HTTP_PORT/v1/hello -> {\"message\":\"Hello you\"}"

# ---------------------------------------------------------------- 5. scale-out

# scale_greeter N: N greeter replicas, all healthy; the gateway container is kept as it is.
scale_greeter() {
  note "greeter scaled to $1 while the gateway keeps running"
  GW_HTTP_PORT=0 compose up -d --scale "greeter=$1" >"$WORK/scale-$1.log" 2>&1 ||
    { cat "$WORK/scale-$1.log" >&2; fail "compose up --scale greeter=$1 failed"; }
  wait_healthy greeter "$1"
}

stage "scale-out"
scale_greeter "$REPLICAS"
# Scaling keeps the gateway container, so its published port stays; it must find the new replicas by
# itself: it resolves dns:///greeter:50051 afresh every --backend-refresh (10 s), and gRPC does too
# when greeter-server closes a connection at its maximum age (30 s). No gateway restart.
ids=$(compose ps -q greeter)
declare -A before=()
for id in $ids; do before[$id]=$(greeter_calls "$id"); done
uncalled() {  # prints the replicas that have logged no call since `before`
  local id
  for id in $ids; do [ $(( $(greeter_calls "$id") - ${before[$id]} )) -gt 0 ] || echo "${id:0:12}"; done
}
sent=0 spread_start=$(date +%s)
calls_reach_every_replica() {
  local i
  for ((i = 0; i < 10; i++)); do call "spread$sent"; sent=$((sent + 1)); done
  [ -z "$(uncalled)" ]
}
poll "$SPREAD_WAIT_S" calls_reach_every_replica ||
  fail "after ${SPREAD_WAIT_S}s and $sent calls, replicas without a call: $(uncalled | tr '\n' ' ')"
note "every replica got calls $(( $(date +%s) - spread_start ))s after scaling ($sent calls, all answered)"

# check_spread N: sends CALLS calls and checks that the N greeter replicas logged them all between
# them, each at least one (round-robin over every replica the gateway knows).
check_spread() {
  local id n total=0 idle=0 i
  ids=$(compose ps -q greeter)
  before=()
  for id in $ids; do before[$id]=$(greeter_calls "$id"); done
  [ "$(wc -w <<<"$ids")" -eq "$1" ] || fail "expected $1 greeter containers, found: $ids"
  for ((i = 1; i <= CALLS; i++)); do call "you$i"; done
  # A greeter logs a call once it has finished on its side, which can be just after the gateway answered.
  all_logged() {
    local id total=0
    for id in $ids; do total=$(( total + $(greeter_calls "$id") - ${before[$id]} )); done
    [ "$total" -ge "$CALLS" ]
  }
  poll "$LOG_WAIT_S" all_logged || true
  for id in $ids; do
    n=$(( $(greeter_calls "$id") - ${before[$id]} ))
    total=$((total + n))
    note "greeter ${id:0:12}: $n calls"
    [ "$n" -gt 0 ] || idle=$((idle + 1))
  done
  [ "$total" -eq "$CALLS" ] || fail "the greeters logged $total calls, expected $CALLS ('$GREETER_CALL_LOG' lines)"
  [ "$idle" -eq 0 ] || fail "$idle of $1 greeter replicas received no calls"
  note "$CALLS calls answered, spread over all $1 replicas"
}
check_spread "$REPLICAS"

stage "scale-in"
scale_greeter "$((REPLICAS - 1))"
# The removed replica closed its connections on the way out: no call may fail or go missing.
check_spread "$((REPLICAS - 1))"
exit 0
