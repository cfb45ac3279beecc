# shellcheck shell=bash
# Helpers shared by the scripts/kafka-*.sh and docker-engine.sh scripts.
# Sourced, never executed: it only defines functions and a few variables.

# Variables set here (KAFKA_LIBS, DOCKER, JAVA...) are read by the callers.
# shellcheck disable=SC2034

# Where this file lives, so callers find kafka.env and each other wherever
# they are run from.
ENSEMBLE_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Big downloads (jars, rootfs) are kept outside the repo so a fresh clone or
# `git clean` does not throw them away, and repeated runs stay fast.
ENSEMBLE_CACHE="${ENSEMBLE_CACHE:-$HOME/.cache/ensemble}"

# Progress goes to stderr: several scripts promise a machine-readable last
# line on stdout, which must not be mixed with chatter.
log() { printf '[%s] %s\n' "${LOG_TAG:-ensemble}" "$*" >&2; }

# die MESSAGE... : print an error (which should say how to fix it) and exit 1.
die() {
  printf '[%s] ERROR: %s\n' "${LOG_TAG:-ensemble}" "$1" >&2
  shift
  local line
  for line in "$@"; do printf '[%s]        %s\n' "${LOG_TAG:-ensemble}" "$line" >&2; done
  exit 1
}

# `set -e` alone exits silently; this names the command and line that failed,
# for the failures no explicit check anticipated.
set -o errtrace
trap 'printf "[%s] ERROR: unexpected failure (exit %s) in %s line %s: %s\n" "${LOG_TAG:-ensemble}" "$?" "${BASH_SOURCE[0]##*/}" "$LINENO" "$BASH_COMMAND" >&2' ERR

# Read kafka.env. It is plain KEY=VALUE so bash can source it directly; we
# then check that nothing the scripts rely on is missing.
load_kafka_env() {
  local env_file="$ENSEMBLE_SCRIPTS_DIR/kafka.env"
  [[ -r "$env_file" ]] || die "cannot read $env_file" "restore it from git: git checkout -- scripts/kafka.env"
  # shellcheck source-path=SCRIPTDIR source=kafka.env
  source "$env_file"
  local key
  for key in KAFKA_VERSION SCALA_VERSION LOG4J_VERSION CP_VERSION LOCAL_KAFKA_IMAGE DEFAULT_KAFKA_IMAGE; do
    [[ -n "${!key:-}" ]] || die "$key is not set in $env_file" "add a $key=... line to scripts/kafka.env"
  done
  KAFKA_HOME_CACHE="$ENSEMBLE_CACHE/kafka-$KAFKA_VERSION"
  KAFKA_LIBS="$KAFKA_HOME_CACHE/libs"
}

# The header comment of the running script, for --help.
print_usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2; }

is_root() { [[ "$(id -u)" -eq 0 ]]; }

# apt_install PKG... : install Debian packages non-interactively. Only root
# can do it; anyone else gets told the exact command to run.
apt_install() {
  is_root || die "missing packages: $*" "install them as root: sudo apt-get install -y $*"
  command -v apt-get >/dev/null 2>&1 || die "missing packages: $*" "this is not a Debian-like system; install $* with your package manager"
  log "installing Debian packages: $*"
  export DEBIAN_FRONTEND=noninteractive
  # A machine fresh from an image often has empty package lists, so a failed
  # install is retried once after `apt-get update`.
  if ! apt-get install -y --no-install-recommends "$@" >&2; then
    apt-get update >&2 || die "apt-get update failed" "check the apt sources in /etc/apt/sources.list.d/"
    apt-get install -y --no-install-recommends "$@" >&2 || die "apt-get install $* failed" "see the apt output above"
  fi
}

# find_java: set JAVA to a Java 17+ binary (Kafka 4 brokers need 17).
find_java() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    JAVA="$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    JAVA="$(command -v java)"
  else
    die "no Java found (JAVA_HOME unset and no java on PATH)" \
      "install a JRE 17+, e.g. apt-get install -y openjdk-17-jre-headless, or set JAVA_HOME"
  fi
  local version major
  version="$("$JAVA" -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')"
  major="${version%%.*}"
  [[ "$major" =~ ^[0-9]+$ && "$major" -ge 17 ]] ||
    die "$JAVA is Java '$version'; Kafka $KAFKA_VERSION needs Java 17 or newer" \
      "install openjdk-17-jre-headless (or newer) and/or point JAVA_HOME at it"
}

# port_open PORT: true when something accepts TCP connections on localhost:PORT.
# The timeout guards against a firewall that drops instead of refusing.
port_open() {
  # shellcheck disable=SC2016 # $0 is expanded by the inner bash, on purpose
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0"' "$1" 2>/dev/null
}

# find_docker_client: set DOCKER to a docker client that gets an answer from
# the engine; false when none does. Debian's /usr/bin/docker comes with
# Debian's dockerd and always speaks its API version, whereas a newer
# standalone client earlier on PATH (e.g. /usr/local/bin/docker) only works
# through API negotiation and lacks the buildx plugin its `docker build`
# expects. So the engine's own client goes first when that engine is local.
find_docker_client() {
  local candidate version
  local -a candidates=()
  if [[ -x /usr/bin/docker ]] && [[ -x /usr/sbin/dockerd || -x /usr/bin/dockerd ]]; then
    candidates+=(/usr/bin/docker)
  fi
  if command -v docker >/dev/null 2>&1; then candidates+=("$(command -v docker)"); fi
  for candidate in "${candidates[@]}"; do
    # `version` fails, or prints no server version, when the engine does not answer.
    version="$("$candidate" version --format '{{.Server.Version}}' 2>/dev/null)" || continue
    if [[ -n "$version" ]]; then DOCKER="$candidate"; return 0; fi
  done
  return 1
}
