#!/usr/bin/env bash
# Make sure a Docker engine answers, starting one if needed.
#
#   1. `docker info` already works            -> exit 0
#   2. no dockerd on this machine             -> apt-get install docker.io (root only)
#   3. start dockerd in the background, wait until it answers (DOCKERD_TIMEOUT,
#      default 60 s), exit 0; exit 1 with the reason otherwise.
#
# Logs go to ${ENSEMBLE_CACHE:-$HOME/.cache/ensemble}/dockerd.log. The vfs
# storage driver is used (DOCKERD_STORAGE_DRIVER overrides it): it is slow and
# big, but works on any filesystem, including inside VMs and containers where
# overlayfs is refused.
#
# The last stdout line is the docker client that talks to the engine, e.g.
# DOCKER=/usr/bin/docker, for callers that want the same one.
set -euo pipefail

LOG_TAG=docker-engine
# shellcheck source-path=SCRIPTDIR source=kafka-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/kafka-lib.sh"

TIMEOUT="${DOCKERD_TIMEOUT:-60}"
STORAGE_DRIVER="${DOCKERD_STORAGE_DRIVER:-vfs}"
LOG_FILE="$ENSEMBLE_CACHE/dockerd.log"

case "${1:-}" in
  "") ;;
  -h|--help) print_usage; exit 0 ;;
  *) die "unknown argument: $1" "usage: $0" ;;
esac

# An engine that already answers (Docker Desktop, a system service, a
# rootless daemon via DOCKER_HOST) is used as is.
if find_docker_client; then
  log "Docker engine answers ($("$DOCKER" version --format '{{.Server.Version}}' 2>/dev/null || echo '?'), client $DOCKER)"
  echo "DOCKER=$DOCKER"
  exit 0
fi

# DOCKER_HOST pointing elsewhere means someone else's engine is expected;
# starting a local one would not help the caller.
if [[ -n "${DOCKER_HOST:-}" && "${DOCKER_HOST}" != unix:///var/run/docker.sock && "${DOCKER_HOST}" != unix:///run/docker.sock ]]; then
  die "DOCKER_HOST=$DOCKER_HOST does not answer" "start that engine, or unset DOCKER_HOST to let this script run a local one"
fi

if ! command -v dockerd >/dev/null 2>&1 || ! { command -v docker >/dev/null 2>&1 || [[ -x /usr/bin/docker ]]; }; then
  is_root || die "no Docker engine answers and dockerd (or the docker client) is not installed" \
    "as root run: apt-get install -y docker.io   (or this script as root), or start your Docker engine"
  # containerd, runc and iptables come in as dependencies of docker.io.
  apt_install docker.io
  hash -r
  command -v dockerd >/dev/null 2>&1 || die "docker.io is installed but dockerd is still not on PATH" "check: dpkg -L docker.io | grep bin/"
fi

is_root || die "no Docker engine answers, and only root can start dockerd" \
  "run this script as root (sudo $0), or start Docker yourself"

mkdir -p "$ENSEMBLE_CACHE"
# One dockerd at a time: concurrent callers wait for the first to finish.
exec 9>"$ENSEMBLE_CACHE/dockerd.lock"
flock 9

# A dockerd may already be starting (another caller, or a slow boot): wait
# for it rather than launching a second one that would fight for the socket.
pid_file=/var/run/docker.pid
existing_pid="$(cat "$pid_file" 2>/dev/null || true)"
if [[ "$existing_pid" =~ ^[0-9]+$ ]] && kill -0 "$existing_pid" 2>/dev/null; then
  log "dockerd (pid $existing_pid) is running but not answering yet; waiting for it"
else
  log "starting dockerd --storage-driver=$STORAGE_DRIVER (log: $LOG_FILE)"
  # setsid + nohup so the engine outlives this script; stdio to the log and
  # the lock fd closed, so $(docker-engine.sh) callers are not kept waiting.
  setsid nohup dockerd --storage-driver="$STORAGE_DRIVER" </dev/null >>"$LOG_FILE" 2>&1 9>&- &
  existing_pid=$!
fi

started_at=$SECONDS
until find_docker_client; do
  if ! kill -0 "$existing_pid" 2>/dev/null; then
    tail -n 30 "$LOG_FILE" >&2 || true
    die "dockerd exited during startup (log above, full log in $LOG_FILE)" \
      "common causes: no iptables/nftables support (try: dockerd --iptables=false), another dockerd holding /var/run/docker.pid, missing kernel features"
  fi
  if (( SECONDS - started_at >= TIMEOUT )); then
    tail -n 30 "$LOG_FILE" >&2 || true
    die "dockerd did not answer within ${TIMEOUT}s (log above, full log in $LOG_FILE)" \
      "raise DOCKERD_TIMEOUT, or look at $LOG_FILE"
  fi
  sleep 0.5
done
log "Docker engine $("$DOCKER" version --format '{{.Server.Version}}' 2>/dev/null || echo '?') answers after $(( SECONDS - started_at ))s (client $DOCKER)"
echo "DOCKER=$DOCKER"
