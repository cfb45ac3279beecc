#!/usr/bin/env bash
# Fetch the Apache Kafka broker and tools jars from Maven Central into
#   ${ENSEMBLE_CACHE:-$HOME/.cache/ensemble}/kafka-$KAFKA_VERSION/libs
# and print that directory as the last stdout line.
#
# Why jars and not the release tarball: the machines this runs on reach Maven
# Central but not the Apache download mirrors. The POMs list every runtime
# dependency except the logging binding (the tarball adds that by hand), so we
# add it here. Downloads happen once; a marker file records a complete copy.
#
# Usage: scripts/kafka-jars.sh [--force]
set -euo pipefail

LOG_TAG=kafka-jars
# shellcheck source-path=SCRIPTDIR source=kafka-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/kafka-lib.sh"
load_kafka_env

force=false
case "${1:-}" in
  "") ;;
  --force) force=true ;;
  -h|--help) print_usage; exit 0 ;;
  *) die "unknown argument: $1" "usage: $0 [--force]" ;;
esac

marker="$KAFKA_LIBS/.complete"

# The log4j config is tiny and rewritten on every run, so edits to it here
# reach existing caches without a re-download.
write_log4j_config() {
  local target="$KAFKA_LIBS/log4j2.properties"
  cat >"$target.tmp" <<'EOF'
# Log4j 2 config for a Kafka broker that logs to a file.
# The directory comes from -Dkafka.logs.dir (scripts/kafka-host.sh points it at
# the broker's state dir); the root level from KAFKA_LOG4J_ROOT_LOGLEVEL.
status = warn
name = ensemble-kafka-file

property.logDir = ${sys:kafka.logs.dir:-/tmp}

appender.file.type = File
appender.file.name = FILE
appender.file.fileName = ${logDir}/server.log
appender.file.append = true
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n

rootLogger.level = ${env:KAFKA_LOG4J_ROOT_LOGLEVEL:-INFO}
rootLogger.appenderRef.file.ref = FILE

# Per-request and state-change logging is noise for a test broker.
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.channel.name = kafka.network.RequestChannel$
logger.channel.level = WARN
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
logger.authorizer.name = kafka.authorizer.logger
logger.authorizer.level = WARN
EOF
  mv -f "$target.tmp" "$target"
}

mkdir -p "$ENSEMBLE_CACHE"
# Two jobs sharing a cache (parallel CI steps) must not download into the same
# directory at once; the second waits and then finds the marker.
exec 9>"$KAFKA_HOME_CACHE.lock"
flock 9

if [[ -f "$marker" && "$force" == false ]]; then
  log "Kafka $KAFKA_VERSION jars already cached in $KAFKA_LIBS"
  write_log4j_config
  echo "$KAFKA_LIBS"
  exit 0
fi

# Maven resolves the dependency tree for us. As root on Debian it is simply
# installed (fresh CI machines); anyone else is told how.
if ! command -v mvn >/dev/null 2>&1; then
  if is_root && command -v apt-get >/dev/null 2>&1; then
    apt_install maven
  else
    die "Maven (mvn) is not installed; it downloads the Kafka jars" "install it: sudo apt-get install -y maven"
  fi
fi
find_java

work="$(mktemp -d "${TMPDIR:-/tmp}/ensemble-kafka-jars.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# A throwaway POM whose only purpose is to let Maven resolve the dependency
# tree. kafka-tools brings the CLI tools (topics, perf tests, consumer groups);
# its connect-runtime dependency (Jetty, Jersey, ~20 MB) is only used by the
# Connect plugin-path tool, so it is left out.
cat >"$work/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>ensemble.local</groupId>
  <artifactId>kafka-broker-jars</artifactId>
  <version>$KAFKA_VERSION</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_$SCALA_VERSION</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka-tools</artifactId>
      <version>$KAFKA_VERSION</version>
      <exclusions>
        <exclusion>
          <groupId>org.apache.kafka</groupId>
          <artifactId>connect-runtime</artifactId>
        </exclusion>
      </exclusions>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>$LOG4J_VERSION</version>
    </dependency>
    <dependency>
      <!-- slf4j 1.7 (what Kafka 4.x uses) to Log4j 2; the slf4j2-impl variant would be ignored -->
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>$LOG4J_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF

log "downloading Kafka $KAFKA_VERSION (Scala $SCALA_VERSION) jars from Maven Central ..."
rm -rf "$KAFKA_LIBS.partial"
mkdir -p "$KAFKA_LIBS.partial"
# The plugin version is pinned because Maven 3.8's default binding is an old
# dependency plugin; -ntp keeps per-file progress out of CI logs.
if ! mvn -B -ntp -f "$work/pom.xml" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIBS.partial" >"$work/mvn.log" 2>&1; then
  tail -n 40 "$work/mvn.log" >&2
  die "Maven could not fetch the Kafka $KAFKA_VERSION jars (log above)" \
    "check that Maven Central is reachable (mvn settings in ~/.m2/settings.xml, proxies) and that KAFKA_VERSION in scripts/kafka.env exists"
fi

# Sanity check before declaring the cache complete: the broker entry point and
# the logging backend must be there, otherwise the broker starts deaf or not at all.
for jar in "kafka_$SCALA_VERSION-$KAFKA_VERSION.jar" "kafka-tools-$KAFKA_VERSION.jar" \
           "kafka-clients-$KAFKA_VERSION.jar" "log4j-core-$LOG4J_VERSION.jar" "log4j-slf4j-impl-$LOG4J_VERSION.jar"; do
  [[ -f "$KAFKA_LIBS.partial/$jar" ]] || die "expected $jar among the downloaded jars, it is missing" \
    "the Maven dependency tree changed? compare with: mvn dependency:tree on the same coordinates"
done

rm -rf "$KAFKA_LIBS"
mv "$KAFKA_LIBS.partial" "$KAFKA_LIBS"
write_log4j_config
printf 'kafka=%s scala=%s log4j=%s\n' "$KAFKA_VERSION" "$SCALA_VERSION" "$LOG4J_VERSION" >"$marker"
log "$(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars, $(du -sh "$KAFKA_LIBS" | cut -f1) in $KAFKA_LIBS"
echo "$KAFKA_LIBS"
