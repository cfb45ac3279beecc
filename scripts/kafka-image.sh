#!/usr/bin/env bash
# Build the local Kafka image $LOCAL_KAFKA_IMAGE (scripts/kafka.env) without
# any container registry: a stand-in for confluentinc/cp-kafka that
# @testcontainers/kafka can drive.
#
#   1. base: a Debian bookworm rootfs from debootstrap (minbase) plus a
#      headless JRE 17 and the tools testcontainers' port check uses, from this
#      machine's apt mirror; cached as $ENSEMBLE_CACHE/rootfs-bookworm-jre17.tar
#      and `docker import`ed as ensemble/debian-jre17:bookworm;
#   2. scripts/kafka-image/Dockerfile on top: the Kafka jars (from
#      scripts/kafka-jars.sh's cache), the Confluent-style entry point and the
#      kafka-* commands.
#
# Skips the build when the image exists and was built from the same inputs
# (scripts/kafka-image/, kafka.env); --force rebuilds the image, and
# --rebuild-rootfs also the cached rootfs. Needs root for debootstrap/chroot
# (first run only) and to start dockerd. Last stdout line: KAFKA_IMAGE=<image>.
#
# Environment: ENSEMBLE_CACHE, DEBIAN_MIRROR, DEBIAN_SECURITY_MIRROR
# (default: what this machine's apt sources use for bookworm, else deb.debian.org).
set -euo pipefail

LOG_TAG=kafka-image
# shellcheck source-path=SCRIPTDIR source=kafka-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/kafka-lib.sh"
load_kafka_env

SUITE=bookworm
ROOTFS_TAR="$ENSEMBLE_CACHE/rootfs-$SUITE-jre17.tar"
BASE_IMAGE="ensemble/debian-jre17:$SUITE"
IMAGE_DIR="$ENSEMBLE_SCRIPTS_DIR/kafka-image"
# bash, coreutils and grep are already in minbase (they are Essential). gawk,
# procps and netcat-openbsd serve testcontainers' internal port check
# (`cat /proc/net/tcp* | awk | grep`, `nc -vz`) and `ps` for humans.
PACKAGES=(openjdk-17-jre-headless bash coreutils grep gawk procps netcat-openbsd)

force=false
rebuild_rootfs=false
for arg in "$@"; do
  case "$arg" in
    --force) force=true ;;
    --rebuild-rootfs) force=true; rebuild_rootfs=true ;;
    -h|--help) print_usage; exit 0 ;;
    *) die "unknown argument: $arg" "usage: $0 [--force] [--rebuild-rootfs]" ;;
  esac
done

# @testcontainers/kafka parses the tag as a Confluent Platform version to pick
# KRaft; a tag that drifted from CP_VERSION would silently change its behaviour.
[[ "${LOCAL_KAFKA_IMAGE##*:}" == "$CP_VERSION" ]] ||
  die "LOCAL_KAFKA_IMAGE ($LOCAL_KAFKA_IMAGE) must be tagged with CP_VERSION ($CP_VERSION)" "fix scripts/kafka.env"

started_at=$SECONDS

"$ENSEMBLE_SCRIPTS_DIR/docker-engine.sh" >/dev/null
find_docker_client || die "the Docker engine stopped answering" "run scripts/docker-engine.sh and look at $ENSEMBLE_CACHE/dockerd.log"

# Everything the image is made of, hashed: a change to the entry point or to
# kafka.env gets a rebuild without anyone remembering --force.
inputs_hash="$(
  cd "$IMAGE_DIR"
  {
    find . -type f -printf '%p %m\n' | LC_ALL=C sort
    find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
    sha256sum <"$ENSEMBLE_SCRIPTS_DIR/kafka.env"
  } | sha256sum | cut -c1-16
)"

image_label() { "$DOCKER" image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }

if [[ "$force" == false ]] && "$DOCKER" image inspect "$LOCAL_KAFKA_IMAGE" >/dev/null 2>&1; then
  if [[ "$(image_label "$LOCAL_KAFKA_IMAGE" ensemble.inputs)" == "$inputs_hash" ]]; then
    log "$LOCAL_KAFKA_IMAGE is up to date (inputs $inputs_hash); --force rebuilds it"
    echo "KAFKA_IMAGE=$LOCAL_KAFKA_IMAGE"
    exit 0
  fi
  log "$LOCAL_KAFKA_IMAGE exists but scripts/kafka-image/ or kafka.env changed since; rebuilding"
fi

libs="$("$ENSEMBLE_SCRIPTS_DIR/kafka-jars.sh" | tail -n 1)"

# ---- base rootfs ------------------------------------------------------------

# apt_uri SUITE: the first archive URI this machine's apt sources use for
# SUITE (deb822 .sources files first, then one-line .list files), if any.
apt_uri() {
  local suite="$1" f
  {
    for f in /etc/apt/sources.list.d/*.sources; do
      [[ -r "$f" ]] || continue
      awk -v suite="$suite" '
        BEGIN { RS = ""; FS = "\n" }
        {
          uris = ""; suites = ""; types = ""; enabled = "yes"
          for (i = 1; i <= NF; i++) {
            line = $i
            if (line ~ /^[ \t]*#/) continue
            key = tolower(line); sub(/:.*/, "", key)
            sub(/^[^:]*:[ \t]*/, "", line)
            if (key == "uris") uris = line
            else if (key == "suites") suites = line
            else if (key == "types") types = line
            else if (key == "enabled") enabled = tolower(line)
          }
          if (enabled == "no" || types !~ /(^|[ \t])deb([ \t]|$)/) next
          n = split(suites, s, /[ \t]+/)
          for (j = 1; j <= n; j++) if (s[j] == suite) { split(uris, u, /[ \t]+/); print u[1]; exit }
        }' "$f"
    done
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      awk -v suite="$suite" '$1 == "deb" {
        i = 2
        if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
        if ($(i + 1) == suite) { print $i; exit }
      }' || true
  } 2>/dev/null | head -n 1
  # A missing sources.list or an early `head` exit is not an error here.
  return 0
}

rootfs_root=""
cleanup_rootfs() {
  [[ -n "$rootfs_root" && -d "$rootfs_root" ]] || return 0
  umount "$rootfs_root/proc" 2>/dev/null || true
  # Never delete through a mount that is still there (it would reach the host).
  if mountpoint -q "$rootfs_root/proc" 2>/dev/null; then
    log "WARNING: $rootfs_root/proc is still mounted; leaving $rootfs_root for you to clean up"
    return 0
  fi
  rm -rf --one-file-system "$rootfs_root"
}

build_rootfs() {
  is_root || die "building the base rootfs needs root (debootstrap, chroot)" "run as root: sudo $0"
  command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [[ -f "$keyring" ]] || apt_install debian-archive-keyring

  local mirror security
  mirror="${DEBIAN_MIRROR:-$(apt_uri "$SUITE")}"
  mirror="${mirror:-http://deb.debian.org/debian}"
  security="${DEBIAN_SECURITY_MIRROR:-$(apt_uri "$SUITE-security")}"
  security="${security:-http://deb.debian.org/debian-security}"

  local t0=$SECONDS build_log="$ENSEMBLE_CACHE/rootfs-build.log"
  : >"$build_log"
  # In the cache dir rather than /tmp: /tmp may be a small or nodev tmpfs.
  rootfs_root="$(mktemp -d "$ENSEMBLE_CACHE/rootfs-build.XXXXXX")"
  trap cleanup_rootfs EXIT

  log "debootstrap --variant=minbase $SUITE from $mirror (log: $build_log) ..."
  debootstrap --variant=minbase --keyring="$keyring" "$SUITE" "$rootfs_root" "$mirror" >>"$build_log" 2>&1 || {
    tail -n 30 "$build_log" >&2
    die "debootstrap failed (log above)" "check that $mirror is reachable, or set DEBIAN_MIRROR to a bookworm mirror"
  }

  # updates and security too: the JRE should carry this year's fixes, not
  # those of the bookworm release.
  cat >"$rootfs_root/etc/apt/sources.list" <<EOF
deb $mirror $SUITE main
deb $mirror $SUITE-updates main
deb $security $SUITE-security main
EOF
  # Docs, man pages and translations are dead weight in a container; licence
  # files stay.
  cat >"$rootfs_root/etc/dpkg/dpkg.cfg.d/01-ensemble-nodoc" <<'EOF'
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
EOF
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$rootfs_root/etc/apt/apt.conf.d/01-ensemble-norecommends"
  # No service may start inside the chroot during package configuration.
  printf '#!/bin/sh\nexit 101\n' >"$rootfs_root/usr/sbin/policy-rc.d"
  chmod 755 "$rootfs_root/usr/sbin/policy-rc.d"
  cp -L /etc/resolv.conf "$rootfs_root/etc/resolv.conf"
  # ca-certificates-java runs java while configuring, and java needs /proc.
  mount -t proc proc "$rootfs_root/proc"

  log "installing ${PACKAGES[*]} into the rootfs ..."
  chroot "$rootfs_root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 \
    sh -c "apt-get update && apt-get install -y ${PACKAGES[*]} && apt-get clean" >>"$build_log" 2>&1 || {
    tail -n 30 "$build_log" >&2
    die "installing ${PACKAGES[*]} in the rootfs failed (log above)" "check that $mirror and $security are reachable"
  }
  chroot "$rootfs_root" java -version >>"$build_log" 2>&1 || die "java does not run in the new rootfs" "see $build_log"
  umount "$rootfs_root/proc"

  rm -f "$rootfs_root/usr/sbin/policy-rc.d"
  rm -rf "$rootfs_root"/var/lib/apt/lists/* "$rootfs_root"/var/cache/apt/* "$rootfs_root"/var/cache/debconf/*-old \
    "$rootfs_root"/var/log/* "$rootfs_root"/tmp/* "$rootfs_root"/debootstrap
  # Docker bind-mounts its own resolv.conf/hosts; the host's must not leak in.
  : >"$rootfs_root/etc/resolv.conf"

  log "packing the rootfs into $ROOTFS_TAR ..."
  tar --numeric-owner -C "$rootfs_root" -cf "$ROOTFS_TAR.partial" \
    --exclude='./proc/*' --exclude='./sys/*' --exclude='./dev/*' --exclude='./run/*' .
  mv -f "$ROOTFS_TAR.partial" "$ROOTFS_TAR"
  cleanup_rootfs
  trap - EXIT
  log "rootfs ready in $(( SECONDS - t0 ))s ($(du -h "$ROOTFS_TAR" | cut -f1))"
}

mkdir -p "$ENSEMBLE_CACHE"
# The rootfs is shared by all image builds; two builds at once would both
# debootstrap into the same tar.
exec 9>"$ENSEMBLE_CACHE/rootfs.lock"
flock 9
if [[ ! -f "$ROOTFS_TAR" || "$rebuild_rootfs" == true ]]; then
  build_rootfs
else
  log "using cached rootfs $ROOTFS_TAR"
fi

# The base image remembers which tar it came from (size + mtime), so a
# rebuilt rootfs is re-imported and an unchanged one is not.
rootfs_id="$(stat -c '%s-%Y' "$ROOTFS_TAR")"
base_rootfs_id="$("$DOCKER" image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$BASE_IMAGE" 2>/dev/null |
  sed -n 's/^ENSEMBLE_ROOTFS_ID=//p' || true)"
if [[ "$base_rootfs_id" != "$rootfs_id" ]]; then
  old_base="$("$DOCKER" image inspect --format '{{.Id}}' "$BASE_IMAGE" 2>/dev/null || true)"
  log "importing $ROOTFS_TAR as $BASE_IMAGE ..."
  # `docker import --change` accepts no LABEL, hence the marker ENV.
  "$DOCKER" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV ENSEMBLE_ROOTFS_ID=$rootfs_id" \
    --change 'CMD ["/bin/bash"]' \
    "$ROOTFS_TAR" "$BASE_IMAGE" >/dev/null
  # The superseded base is hundreds of MB under vfs; drop it unless still used.
  [[ -z "$old_base" ]] || "$DOCKER" rmi "$old_base" >/dev/null 2>&1 || true
fi
flock -u 9

# ---- image ------------------------------------------------------------------

context="$(mktemp -d "$ENSEMBLE_CACHE/image-context.XXXXXX")"
trap 'rm -rf "$context"' EXIT
# The jars are copied in at build time and never committed to the repo.
cp -a "$IMAGE_DIR/Dockerfile" "$IMAGE_DIR/rootfs" "$context/"
mkdir -p "$context/rootfs/usr/share/java/kafka" "$context/rootfs/var/lib/kafka/data"
cp "$libs"/*.jar "$context/rootfs/usr/share/java/kafka/"

# BuildKit, where the client has it: the classic builder runs a container for
# every Dockerfile step, and under vfs each one copies the whole filesystem
# (20 s instead of 2 s here). Clients before 23.0 carry BuildKit themselves;
# newer ones need the buildx plugin, without which only the classic builder
# is left.
client_major="$("$DOCKER" version --format '{{.Client.Version}}' 2>/dev/null | cut -d. -f1)"
if "$DOCKER" buildx version >/dev/null 2>&1; then
  export DOCKER_BUILDKIT=1
elif [[ "$client_major" =~ ^[0-9]+$ && "$client_major" -lt 23 ]]; then
  export DOCKER_BUILDKIT=1
else
  export DOCKER_BUILDKIT=0
fi
progress_flag=()
[[ "$DOCKER_BUILDKIT" == 1 ]] && progress_flag=(--progress=plain)

# --force means a real rebuild, not a replay of the builder's layer cache.
cache_flag=()
[[ "$force" == true ]] && cache_flag=(--no-cache)

log "building $LOCAL_KAFKA_IMAGE (Kafka $KAFKA_VERSION) ..."
build_t0=$SECONDS
"$DOCKER" build "${cache_flag[@]}" "${progress_flag[@]}" \
  --build-arg "BASE_IMAGE=$BASE_IMAGE" \
  --label "ensemble.inputs=$inputs_hash" \
  --label "ensemble.kafka.version=$KAFKA_VERSION" \
  --label "org.opencontainers.image.title=Apache Kafka $KAFKA_VERSION (Confluent-style entry point)" \
  -t "$LOCAL_KAFKA_IMAGE" "$context" >&2 ||
  die "docker build failed (output above)" "fix the cause, then rerun: $0 --force"
# A rebuild leaves the previous image untagged; under vfs that is hundreds of MB.
"$DOCKER" image prune -f --filter "label=ensemble.inputs" >/dev/null 2>&1 || true

size_bytes="$("$DOCKER" image inspect --format '{{.Size}}' "$LOCAL_KAFKA_IMAGE")"
log "built $LOCAL_KAFKA_IMAGE in $(( SECONDS - started_at ))s total (docker build $(( SECONDS - build_t0 ))s, $([[ "$DOCKER_BUILDKIT" == 1 ]] && echo BuildKit || echo classic builder)), size $(( size_bytes / 1000000 )) MB"
echo "KAFKA_IMAGE=$LOCAL_KAFKA_IMAGE"
