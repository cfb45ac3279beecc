#!/usr/bin/env bash
# Run Kafka (KRaft, combined broker+controller) straight on the host JVM, for
# machines without Docker or an image registry: a single node, or the nodes of
# a small cluster for failure tests.
#
# Usage:
#   scripts/kafka-host.sh start  [--port N|0|auto] [--state-dir DIR]
#                                [--node-id N] [--cluster-id ID] [--controller-port N]
#                                [--voters ID@HOST:PORT,...]
#   scripts/kafka-host.sh stop   [--state-dir DIR]
#   scripts/kafka-host.sh kill   [--state-dir DIR] [--signal KILL|TERM]
#   scripts/kafka-host.sh status [--state-dir DIR]
#
# start  waits until the broker serves requests, then prints
#        KAFKA_BROKERS=localhost:PORT as its last stdout line. Port 9092 by
#        default; 0 or auto picks a free one. Without --state-dir a fresh temp
#        dir is used (and deleted again by stop). Starting again while the
#        broker is up just reprints its address.
# stop   SIGTERM, then SIGKILL after KAFKA_STOP_TIMEOUT (default 30) seconds.
# kill   sends one signal (default KILL, i.e. kill -9: a crash, no clean
#        shutdown) and waits until the broker is gone; the data stays, so the
#        same `start` brings the node back.
# status exit 0 and print KAFKA_BROKERS=... when running, exit 3 when not.
# Without --state-dir, stop/kill/status act on the broker of the last start.
#
# A cluster: one `start` per node, run concurrently (a node is only ready once
# a majority of the voters runs), each with its own --state-dir, --port and
# --node-id, and all with the same --cluster-id and --voters (every node's
# ID@localhost:CONTROLLER_PORT; a node's controller listens on its own entry).
# --voters switches the node to cluster settings: replication factor
# min(3, voters), min ISR one less (at least 1), no topic auto-creation, no
# unclean leader election, a dead broker fenced after 4 s, -Xmx512m. Cluster
# nodes need --state-dir and are not recorded as "the last start".
#
# Environment: ENSEMBLE_CACHE, JAVA_HOME, KAFKA_HEAP_OPTS, KAFKA_OPTS,
# KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_START_TIMEOUT (default 90 seconds),
# KAFKA_LOG4J_ROOT_LOGLEVEL.
set -euo pipefail

LOG_TAG=kafka-host
# shellcheck source-path=SCRIPTDIR source=kafka-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/kafka-lib.sh"
load_kafka_env

# Remembers the state dir of the last `start`, so that a bare `stop` finds it.
CURRENT_FILE="$ENSEMBLE_CACHE/host-broker.current"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
# Marker saying "this script created the state dir", i.e. stop may delete it.
TEMP_MARKER=.ensemble-temp-state-dir

usage() { print_usage; exit "${1:-2}"; }

# ---- state-dir helpers ------------------------------------------------------

broker_pid() { cat "$1/broker.pid" 2>/dev/null || true; }
broker_port() { cat "$1/port" 2>/dev/null || true; }

# True when the pid recorded in state dir $1 is alive AND is the broker started
# with that dir's config: pids get reused, and we must never signal a stranger.
broker_running() {
  local dir="$1" pid cmdline
  pid="$(broker_pid "$dir")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r "/proc/$pid/cmdline" ]]; then
    cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline")"
  else
    cmdline="$(ps -p "$pid" -o args= 2>/dev/null || true)"
  fi
  [[ "$cmdline" == *kafka.Kafka*"$dir/server.properties"* ]]
}

# pid_alive PID: true while the process runs. A broker whose launcher exited
# is reparented to init, and an init that does not reap leaves a zombie that
# `kill -0` still reports; a zombie holds no ports and no files, so it counts
# as gone.
pid_alive() {
  kill -0 "$1" 2>/dev/null || return 1
  [[ "$(ps -o stat= -p "$1" 2>/dev/null)" != Z* ]]
}

# wait_until_gone PID SECONDS: false if the process still runs after SECONDS.
wait_until_gone() {
  local waited=0
  while pid_alive "$1" && (( waited < $2 * 5 )); do
    sleep 0.2
    waited=$(( waited + 1 ))
  done
  ! pid_alive "$1"
}

# The state dir to act on: --state-dir if given, else the one of the last start.
resolve_state_dir() {
  if [[ -n "$1" ]]; then
    (cd "$1" 2>/dev/null && pwd) || echo "$1"
  elif [[ -s "$CURRENT_FILE" ]]; then
    cat "$CURRENT_FILE"
  fi
}

print_log_tails() {
  local dir="$1" f
  for f in "$dir/kafka.out" "$dir/server.log"; do
    [[ -s "$f" ]] || continue
    printf '%s\n' "----- last 40 lines of $f -----" >&2
    tail -n 40 "$f" >&2
  done
}

# pick_free_port: a port nobody listens on. Taken below the kernel's ephemeral
# range (32768+) so it does not collide with outgoing connections.
pick_free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$(( 20000 + RANDOM % 12000 ))
    port_open "$port" || { echo "$port"; return 0; }
  done
  die "could not find a free TCP port in 20000-31999" "free some ports or pass --port N"
}

# ---- cluster nodes ----------------------------------------------------------

# check_node_args: validates cmd_start's node_id, cluster_id, controller_arg,
# voters and state_arg (bash functions see their caller's locals), and sets
# controller_arg from this node's entry in --voters.
check_node_args() {
  [[ "$node_id" =~ ^[0-9]+$ ]] || die "invalid --node-id '$node_id'" "use a non-negative integer, e.g. 1"
  # A Kafka Uuid: 16 bytes in URL-safe base64 without padding.
  [[ -z "$cluster_id" || "$cluster_id" =~ ^[A-Za-z0-9_][A-Za-z0-9_-]{21}$ ]] ||
    die "invalid --cluster-id '$cluster_id'" \
      "use 22 URL-safe base64 characters not starting with '-', e.g. head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\\n'"
  [[ -z "$controller_arg" || ( "$controller_arg" =~ ^[0-9]+$ && "$controller_arg" -ge 1 && "$controller_arg" -le 65535 ) ]] ||
    die "invalid --controller-port '$controller_arg'" "use a number 1-65535"
  [[ -n "$voters" ]] || return 0

  [[ "$voters" =~ ^[0-9]+@[^,@:]+:[0-9]+(,[0-9]+@[^,@:]+:[0-9]+)*$ ]] ||
    die "invalid --voters '$voters'" "use ID@HOST:PORT,... with every node's controller address, e.g. 1@localhost:29093,2@localhost:29095,3@localhost:29097"
  [[ -n "$cluster_id" ]] ||
    die "--voters needs --cluster-id: every node of a cluster must be formatted with the same id" \
      "make one id (head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\\n') and pass it to every node"
  [[ -n "$state_arg" ]] || die "a cluster node needs --state-dir" "give each node a dir of its own, e.g. --state-dir /tmp/cluster/node-$node_id"
  local entry own_port=""
  for entry in ${voters//,/ }; do
    [[ "${entry%%@*}" == "$node_id" ]] && own_port="${entry##*:}"
  done
  [[ -n "$own_port" ]] || die "--node-id $node_id is not among --voters $voters" "pass the id of one of the voters, or add $node_id@localhost:PORT to --voters"
  [[ -z "$controller_arg" || "$controller_arg" == "$own_port" ]] ||
    die "--controller-port $controller_arg differs from node $node_id's entry in --voters (port $own_port)" \
      "drop --controller-port: a cluster node's controller listens on its --voters entry"
  controller_arg="$own_port"
}

# write_cluster_settings VOTERS: the settings of one node of a VOTERS-node
# cluster, on stdout. Replication 3 (fewer only in a smaller cluster) and min
# ISR 2 let acks=all writes survive one dead node; internal topics are made
# the same way, with few partitions so the first group and producer are fast.
# A SIGKILLed broker is fenced (and loses its leaderships) once its session
# expires: 4 s instead of 9 s, so failover is measured, not the default.
write_cluster_settings() {
  local replicas=$(( $1 < 3 ? $1 : 3 ))
  local min_isr=$(( replicas > 1 ? replicas - 1 : 1 ))
  cat <<EOF
num.partitions=1
default.replication.factor=$replicas
min.insync.replicas=$min_isr
offsets.topic.replication.factor=$replicas
offsets.topic.num.partitions=$1
transaction.state.log.replication.factor=$replicas
transaction.state.log.min.isr=$min_isr
transaction.state.log.num.partitions=$1
share.coordinator.state.topic.replication.factor=$replicas
share.coordinator.state.topic.min.isr=$min_isr
unclean.leader.election.enable=false
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=4000
EOF
}

# ---- start ------------------------------------------------------------------

cmd_start() {
  local port_arg="" state_arg="" node_id=1 cluster_id="" controller_arg="" voters=""
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --port) [[ $# -ge 2 ]] || usage; port_arg="$2"; shift 2 ;;
      --state-dir) [[ $# -ge 2 ]] || usage; state_arg="$2"; shift 2 ;;
      --node-id) [[ $# -ge 2 ]] || usage; node_id="$2"; shift 2 ;;
      --cluster-id) [[ $# -ge 2 ]] || usage; cluster_id="$2"; shift 2 ;;
      --controller-port) [[ $# -ge 2 ]] || usage; controller_arg="$2"; shift 2 ;;
      --voters) [[ $# -ge 2 ]] || usage; voters="$2"; shift 2 ;;
      -h|--help) usage 0 ;;
      *) die "unknown argument to start: $1" "see: $0 --help" ;;
    esac
  done
  local want_port="${port_arg:-9092}"
  [[ "$want_port" == auto ]] && want_port=0
  [[ "$want_port" =~ ^[0-9]+$ && "$want_port" -le 65535 ]] ||
    die "invalid --port '$port_arg'" "use a number 1-65535, or 0/auto for a free port"
  check_node_args
  # A cluster node is one of several brokers at once: the voter count sets its
  # replication, and a smaller default heap lets three fit on a small machine.
  local cluster=false voter_count=1 voter_list
  if [[ -n "$voters" ]]; then
    cluster=true
    IFS=, read -r -a voter_list <<<"$voters"
    voter_count="${#voter_list[@]}"
  fi

  mkdir -p "$ENSEMBLE_CACHE"
  # Serialise starts: two at once would race for the same port and pointer file.
  exec 9>"$ENSEMBLE_CACHE/host-broker.lock"
  flock 9

  # Idempotence: a broker already running for this state dir (or, without
  # --state-dir, the last one started) is reused as long as the port fits.
  local existing
  existing="$(resolve_state_dir "$state_arg")"
  if [[ -n "$existing" ]] && broker_running "$existing"; then
    local running_port
    running_port="$(broker_port "$existing")"
    if [[ -z "$port_arg" || "$want_port" == 0 || "$want_port" == "$running_port" ]]; then
      log "broker already running (pid $(broker_pid "$existing"), state dir $existing)"
      [[ "$cluster" == true ]] || echo "$existing" >"$CURRENT_FILE"
      echo "KAFKA_BROKERS=localhost:$running_port"
      return 0
    fi
    # A second broker without --state-dir would take over the "last started"
    # pointer and leave this one running untracked, so refuse instead.
    die "a broker already runs on port $running_port (state dir $existing), not $want_port" \
      "stop it first ($0 stop${state_arg:+ --state-dir $existing}), or give the second broker its own --state-dir"
  elif [[ -z "$state_arg" && -n "$existing" && -f "$existing/$TEMP_MARKER" ]]; then
    # The last temp broker died without `stop` (reboot, kill -9): its temp
    # dir would otherwise be left behind for good.
    log "removing stale state dir $existing of a broker that is gone"
    rm -rf "$existing"
  fi

  # Jars: fetched once into the cache (kafka-jars.sh skips when complete).
  if [[ ! -f "$KAFKA_LIBS/.complete" ]]; then
    log "Kafka jars not cached yet, fetching them"
    "$ENSEMBLE_SCRIPTS_DIR/kafka-jars.sh" >/dev/null
  fi
  find_java

  local state_dir
  if [[ -n "$state_arg" ]]; then
    mkdir -p "$state_arg"
    state_dir="$(cd "$state_arg" && pwd)"
  else
    state_dir="$(mktemp -d "${TMPDIR:-/tmp}/ensemble-kafka.XXXXXX")"
    touch "$state_dir/$TEMP_MARKER"
  fi

  local port controller_port
  if [[ "$want_port" == 0 ]]; then
    port="$(pick_free_port)"
  else
    port="$want_port"
    ! port_open "$port" ||
      die "port $port is already in use on this machine" \
        "stop whatever listens there (e.g. another broker: $0 stop), or use --port auto"
  fi
  # The KRaft controller needs a listener of its own. Peers of a cluster know
  # it from --voters, so there it is fixed; a single node's is only its own
  # business and gets a free port (kept across restarts).
  if [[ -n "$controller_arg" ]]; then
    controller_port="$controller_arg"
    [[ "$controller_port" != "$port" ]] || die "--controller-port and --port are both $port" "give the controller a port of its own"
    ! port_open "$controller_port" ||
      die "controller port $controller_port is already in use on this machine" \
        "stop whatever listens there (another node of this cluster still running?), or choose other ports"
  else
    controller_port="$(cat "$state_dir/controller_port" 2>/dev/null || true)"
    if [[ -z "$controller_port" || "$controller_port" == "$port" ]] || port_open "$controller_port"; then
      controller_port="$(pick_free_port)"
      while [[ "$controller_port" == "$port" ]]; do controller_port="$(pick_free_port)"; done
    fi
  fi

  mkdir -p "$state_dir/data"
  cat >"$state_dir/server.properties" <<EOF
# Generated by scripts/kafka-host.sh; rewritten on every start.
process.roles=broker,controller
node.id=$node_id
controller.quorum.voters=${voters:-$node_id@localhost:$controller_port}
listeners=PLAINTEXT://localhost:$port,CONTROLLER://localhost:$controller_port
advertised.listeners=PLAINTEXT://localhost:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$state_dir/data
EOF
  if [[ "$cluster" == true ]]; then
    write_cluster_settings "$voter_count" >>"$state_dir/server.properties"
  else
    # Single node settings: every internal topic gets replication factor 1 and
    # min ISR 1 (the defaults of 3 would leave them unwritable), the group
    # coordinator does not wait 3 s for more members, and __consumer_offsets
    # gets one partition instead of 50 so the first consumer group forms fast. A node killed
    # with SIGKILL is fenced by its restarted controller after 4 s, not 9 (its old session).
    # Topic auto-creation stays at Kafka's default (on), which tests rely on.
    cat >>"$state_dir/server.properties" <<EOF
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=4000
EOF
  fi

  local -a java_opts
  # Kafka's own launcher defaults, with a smaller starting heap: a test broker
  # rarely needs the 1 GB Kafka reserves up front.
  local heap="-Xms256m -Xmx1g"
  [[ "$cluster" == true ]] && heap="-Xms128m -Xmx512m"
  read -r -a java_opts <<<"${KAFKA_HEAP_OPTS:-$heap} ${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true} ${KAFKA_OPTS:-}"
  java_opts+=("-Dlog4j2.configurationFile=$KAFKA_LIBS/log4j2.properties" "-Dkafka.logs.dir=$state_dir")

  # KRaft refuses to start on unformatted storage. A fresh random cluster id
  # per state dir keeps brokers apart (the nodes of a cluster share the one
  # they are given); an existing dir keeps its own id.
  local formatted_id
  formatted_id="$(sed -n 's/^cluster\.id=//p' "$state_dir/data/meta.properties" 2>/dev/null || true)"
  if [[ -n "$cluster_id" && -n "$formatted_id" && "$cluster_id" != "$formatted_id" ]]; then
    die "$state_dir holds the data of cluster $formatted_id, not of --cluster-id $cluster_id" \
      "pass --cluster-id $formatted_id, or remove $state_dir/data to start this node afresh"
  fi
  if [[ ! -f "$state_dir/data/meta.properties" ]]; then
    # Like Kafka's own Uuid.randomUuid(): never one that starts with '-', which the storage
    # tool would read as an option (1 in 64 random ids otherwise).
    [[ -n "$cluster_id" ]] || cluster_id=-
    while [[ "$cluster_id" == -* ]]; do
      cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    done
    log "formatting storage in $state_dir/data (cluster id $cluster_id)"
    if ! "$JAVA" "${java_opts[@]}" -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format \
        --ignore-formatted -t "$cluster_id" -c "$state_dir/server.properties" >>"$state_dir/kafka.out" 2>&1; then
      print_log_tails "$state_dir"
      die "formatting the KRaft storage failed (log above)" "remove $state_dir/data and retry, or pass another --state-dir"
    fi
  fi

  echo "$port" >"$state_dir/port"
  echo "$controller_port" >"$state_dir/controller_port"
  [[ "$cluster" == true ]] || echo "$state_dir" >"$CURRENT_FILE"

  # Only log lines written after this point count as "started": a reused
  # state dir already holds the messages of earlier runs.
  local log_offset=0
  [[ -f "$state_dir/server.log" ]] && log_offset="$(stat -c %s "$state_dir/server.log")"

  log "starting Kafka $KAFKA_VERSION on localhost:$port (state dir $state_dir)"
  local started_at=$SECONDS pid
  # setsid + nohup: the broker must outlive this script and its terminal.
  # Its stdio goes to a file, and the lock fd is closed, so a caller capturing
  # our stdout ($(...)) is not kept waiting by the broker holding the pipe.
  local -a detach=(nohup)
  command -v setsid >/dev/null 2>&1 && detach=(setsid nohup)
  "${detach[@]}" "$JAVA" "${java_opts[@]}" -cp "$KAFKA_LIBS/*" kafka.Kafka "$state_dir/server.properties" \
    </dev/null >>"$state_dir/kafka.out" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$state_dir/broker.pid"
  # A cluster node is ready only once a majority of its peers runs, and their
  # starts wait for this lock: keep it and they would all wait on each other.
  # Its ports are fixed and it writes no pointer, so there is nothing to race.
  [[ "$cluster" == true ]] && exec 9>&-

  # Ready = the server says so in its log AND the client port accepts
  # connections. The log line alone can precede the listener by a moment.
  local ready=false
  while (( SECONDS - started_at < START_TIMEOUT )); do
    if ! kill -0 "$pid" 2>/dev/null; then
      print_log_tails "$state_dir"
      die "the Kafka broker exited during startup (log above)" \
        "see $state_dir/server.log and $state_dir/kafka.out"
    fi
    if tail -c "+$((log_offset + 1))" "$state_dir/server.log" 2>/dev/null |
        grep -qE 'Kafka Server started|started \(kafka\.server\.KafkaRaftServer\)' &&
        port_open "$port"; then
      ready=true
      break
    fi
    sleep 0.2
  done
  if [[ "$ready" != true ]]; then
    print_log_tails "$state_dir"
    kill -TERM "$pid" 2>/dev/null || true
    local -a hints=()
    [[ "$cluster" == true ]] &&
      hints+=("a cluster node is ready only once a majority of --voters runs: start the other nodes at the same time")
    die "Kafka did not become ready within ${START_TIMEOUT}s (log above; broker stopped)" "${hints[@]}" \
      "raise KAFKA_START_TIMEOUT on a slow machine, or look at $state_dir/server.log"
  fi
  log "ready after $(( SECONDS - started_at ))s (pid $pid)"
  echo "KAFKA_BROKERS=localhost:$port"
}

# ---- stop -------------------------------------------------------------------

cmd_stop() {
  local state_arg=""
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --state-dir) [[ $# -ge 2 ]] || usage; state_arg="$2"; shift 2 ;;
      -h|--help) usage 0 ;;
      *) die "unknown argument to stop: $1" "see: $0 --help" ;;
    esac
  done
  local state_dir
  state_dir="$(resolve_state_dir "$state_arg")"
  if [[ -z "$state_dir" ]]; then
    log "no broker recorded in $CURRENT_FILE; nothing to stop"
    return 0
  fi

  if broker_running "$state_dir"; then
    local pid
    pid="$(broker_pid "$state_dir")"
    log "stopping broker pid $pid (state dir $state_dir)"
    kill -TERM "$pid" 2>/dev/null || true
    # A clean shutdown lets the next start skip log recovery.
    if ! wait_until_gone "$pid" "$STOP_TIMEOUT"; then
      log "broker did not stop within ${STOP_TIMEOUT}s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      while pid_alive "$pid"; do sleep 0.1; done
    fi
    log "stopped"
  else
    log "no broker running for $state_dir"
  fi

  rm -f "$state_dir/broker.pid"
  # Only dirs this script made itself are deleted; a --state-dir the caller
  # chose (and its data) is left alone.
  if [[ -f "$state_dir/$TEMP_MARKER" && "$state_dir" != / ]]; then
    rm -rf "$state_dir"
    log "removed temporary state dir $state_dir"
  fi
  if [[ -s "$CURRENT_FILE" && "$(cat "$CURRENT_FILE")" == "$state_dir" ]]; then
    rm -f "$CURRENT_FILE"
  fi
}

# ---- kill -------------------------------------------------------------------

# One signal and no escalation: SIGKILL is the crash a failure test injects,
# SIGTERM a clean shutdown that must finish on its own. The data is kept.
cmd_kill() {
  local state_arg="" signal=KILL
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --state-dir) [[ $# -ge 2 ]] || usage; state_arg="$2"; shift 2 ;;
      --signal) [[ $# -ge 2 ]] || usage; signal="${2#SIG}"; shift 2 ;;
      -h|--help) usage 0 ;;
      *) die "unknown argument to kill: $1" "see: $0 --help" ;;
    esac
  done
  [[ "$signal" == KILL || "$signal" == TERM ]] || die "invalid --signal '$signal'" "use KILL (a crash) or TERM (a clean shutdown)"
  local state_dir pid
  state_dir="$(resolve_state_dir "$state_arg")"
  [[ -n "$state_dir" ]] || die "no broker recorded in $CURRENT_FILE" "pass the broker's --state-dir"
  broker_running "$state_dir" ||
    die "no broker running for $state_dir" "start it first; $0 status --state-dir $state_dir tells whether it runs"
  pid="$(broker_pid "$state_dir")"
  log "sending SIG$signal to broker pid $pid (state dir $state_dir)"
  kill "-$signal" "$pid"
  wait_until_gone "$pid" "$STOP_TIMEOUT" ||
    die "broker pid $pid still runs ${STOP_TIMEOUT}s after SIG$signal" \
      "look at $state_dir/server.log, or end it for good: $0 stop --state-dir $state_dir"
  rm -f "$state_dir/broker.pid"
  log "broker pid $pid is gone; its data stays in $state_dir"
}

# ---- status -----------------------------------------------------------------

cmd_status() {
  local state_arg=""
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --state-dir) [[ $# -ge 2 ]] || usage; state_arg="$2"; shift 2 ;;
      -h|--help) usage 0 ;;
      *) die "unknown argument to status: $1" "see: $0 --help" ;;
    esac
  done
  local state_dir
  state_dir="$(resolve_state_dir "$state_arg")"
  if [[ -n "$state_dir" ]] && broker_running "$state_dir"; then
    log "running: pid $(broker_pid "$state_dir"), Kafka $KAFKA_VERSION, state dir $state_dir"
    echo "KAFKA_BROKERS=localhost:$(broker_port "$state_dir")"
    return 0
  fi
  log "not running${state_dir:+ (state dir $state_dir)}"
  exit 3
}

[[ $# -ge 1 ]] || usage
command="$1"
shift
case "$command" in
  start) cmd_start "$@" ;;
  stop) cmd_stop "$@" ;;
  kill) cmd_kill "$@" ;;
  status) cmd_status "$@" ;;
  -h|--help|help) usage 0 ;;
  *) die "unknown command: $command" "use one of: start, stop, kill, status (see $0 --help)" ;;
esac
