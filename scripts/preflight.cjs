#!/usr/bin/env node
// Usage: node scripts/preflight.cjs <npm script name>
//
// Run by npm before every script (the pre<script> hooks in package.json): checks, before tsx,
// jest or a broker load, that this machine has what the script needs, and prints one line per
// missing thing saying how to get it, then exits 1. Prints nothing when all is there.
//   every script        Node in package.json's engines.node range
//   start, bench,       a way to get a Kafka broker (as platform/broker/start-broker.ts tries
//   test:integration,   them): KAFKA_BROKERS, a Docker engine that answers, or what
//   test:e2e            scripts/kafka-host.sh needs to run the Kafka jars on this host
//   test, test:failure  what scripts/kafka-host.sh needs, whatever else there is: the failure
//                       tests start host brokers of their own
//   test,               Chromium, for the catalog page and live view tests
//   test:integration,
//   test:e2e
// Plain CommonJS, no dependencies, no syntax newer than Node 12: it must run on the old Node it
// reports. `npm test --ignore-scripts` skips it.
//
// For this script's own tests only: ENSEMBLE_PREFLIGHT_TEST_NODE_VERSION pretends to be that
// Node version; ENSEMBLE_PREFLIGHT_TEST_ROOT looks the fixed system paths (/var/run/docker.sock,
// /run/user/UID/docker.sock, /usr/bin/chromium) up under that directory instead of /.
"use strict";

const childProcess = require("child_process");
const fs = require("fs");
const net = require("net");
const os = require("os");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const env = process.env;

const NODE_INSTALL = "npm i -g --force --prefix /usr/local node@";
const CHROMIUM_DEFAULT = "/usr/bin/chromium";
const BROWSER_TESTS = "test/integration/catalog/catalog-page.test.ts, test/e2e/live-view.test.ts";
const JAVA_MIN = 17;
// Long enough for a JVM's -version or a socket on a loaded machine, short enough for the 1 s budget.
const PROBE_TIMEOUT_MS = 500;

/** What each script needs beyond Node; a script not listed needs Node only. */
const NEEDS = {
  start: ["broker"],
  bench: ["broker"],
  test: ["hostBroker", "chromium"],
  "test:integration": ["broker", "chromium"],
  "test:e2e": ["broker", "chromium"],
  "test:failure": ["hostBroker"],
};

async function main(script) {
  if (!script) return ["usage: node scripts/preflight.cjs <npm script name>"];
  const command = script === "start" || script === "test" ? `npm ${script}` : `npm run ${script}`;
  const tooOld = checkNode(command);
  // Nothing else matters until Node is right, and the broker code needs it.
  if (tooOld) return [tooOld];

  const needs = NEEDS[script] || [];
  const lines = [];
  if (needs.indexOf("hostBroker") >= 0) {
    const missing = hostBrokerMissing();
    if (missing.length > 0) {
      lines.push(
        `${command} needs ${names(missing)} for the failure tests, which run Kafka brokers of their own from the Apache Kafka jars whatever KAFKA_BROKERS says (${reasons(missing)}): run \`apt-get install ${packages(missing)}\`.`,
      );
    }
  }
  if (needs.indexOf("broker") >= 0 && !env.KAFKA_BROKERS) {
    const missing = hostBrokerMissing();
    if (missing.length > 0 && !(await dockerAnswers())) {
      const docker = env.DOCKER_HOST ? `none answers at DOCKER_HOST=${env.DOCKER_HOST}` : "none answers at /var/run/docker.sock";
      lines.push(
        `${command} needs a Kafka broker and has no way to get one: set KAFKA_BROKERS=host:port of a running broker, or start a Docker engine (${docker}), or install ${names(missing)} to run the Kafka jars on this host: \`apt-get install ${packages(missing)}\` (${reasons(missing)}).`,
      );
    }
  }
  if (needs.indexOf("chromium") >= 0) {
    if (!isExecutable(env.CHROMIUM_PATH || systemPath(CHROMIUM_DEFAULT))) {
      const where = env.CHROMIUM_PATH ? `CHROMIUM_PATH=${env.CHROMIUM_PATH}` : CHROMIUM_DEFAULT;
      lines.push(
        `${command} needs Chromium for the catalog page and live view tests (${BROWSER_TESTS}) and finds none at ${where}: run \`apt-get install chromium\`, or set CHROMIUM_PATH to a Chromium binary.`,
      );
    }
  }
  return lines;
}

// ---- Node -----------------------------------------------------------------

function checkNode(command) {
  const range = readPackage().engines.node;
  const found = env.ENSEMBLE_PREFLIGHT_TEST_NODE_VERSION || process.versions.node;
  if (satisfies(found, range)) return undefined;
  const major = /\d+/.exec(range)[0];
  const nvm = fs.existsSync(path.join(ROOT, ".nvmrc")) ? " (or `nvm install`, which reads .nvmrc)" : "";
  return `${command} needs Node ${range} (package.json engines.node) but this is Node v${found}: run \`${NODE_INSTALL}${major}\`${nvm}.`;
}

function readPackage() {
  return JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
}

/**
 * Whether `version` is in `range`: comparators (>=, >, <=, <, =, ^, ~ or none) joined by spaces,
 * alternatives by ||, partial versions as npm reads them (>=22.22 is >=22.22.0, <=22 is <23.0.0).
 */
function satisfies(version, range) {
  const v = parseVersion(version).numbers;
  return range.split("||").some((alternative) =>
    alternative
      .trim()
      .split(/\s+/)
      .every((comparator) => inComparator(v, comparator)),
  );
}

function inComparator(v, comparator) {
  const match = /^(>=|<=|>|<|=|\^|~)?\s*v?(\d+(?:\.\d+){0,2})$/.exec(comparator);
  if (!match) throw new Error(`cannot read "${comparator}" in package.json's engines.node`);
  const operator = match[1] || "=";
  const bound = parseVersion(match[2]);
  const low = bound.numbers;
  // The first version past a partial one: 22.22 -> 22.23.0, 22 -> 23.0.0.
  const next = bound.given === 3 ? undefined : bump(low, bound.given - 1);
  switch (operator) {
    case ">=":
      return compare(v, low) >= 0;
    case ">":
      return next ? compare(v, next) >= 0 : compare(v, low) > 0;
    case "<":
      return compare(v, low) < 0;
    case "<=":
      return next ? compare(v, next) < 0 : compare(v, low) <= 0;
    case "^":
      return compare(v, low) >= 0 && compare(v, bump(low, 0)) < 0;
    case "~":
      return compare(v, low) >= 0 && compare(v, bump(low, Math.min(bound.given - 1, 1))) < 0;
    default:
      return next ? compare(v, low) >= 0 && compare(v, next) < 0 : compare(v, low) === 0;
  }
}

function parseVersion(text) {
  const parts = String(text).replace(/^v/, "").split("-")[0].split(".");
  return { numbers: [0, 1, 2].map((i) => Number(parts[i] || 0)), given: parts.length };
}

function bump(numbers, index) {
  return numbers.map((n, i) => (i < index ? n : i === index ? n + 1 : 0));
}

function compare(a, b) {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

// ---- the host broker (scripts/kafka-host.sh, scripts/kafka-jars.sh) -------

/** What kafka-host.sh (and kafka-jars.sh on a first run) would stop on, as {name, reason, pkg}. */
function hostBrokerMissing() {
  const missing = [];
  for (const tool of ["bash", "flock"]) {
    if (!onPath(tool)) missing.push({ name: tool, reason: `no ${tool} on PATH`, pkg: tool === "flock" ? "util-linux" : "bash" });
  }
  const java = javaProblem();
  if (java) missing.push({ name: `Java ${JAVA_MIN}+`, reason: java, pkg: "openjdk-17-jre-headless" });
  // The jars are fetched once with Maven; kafka-jars.sh installs Maven itself when root on Debian.
  const rootWithApt = process.getuid && process.getuid() === 0 && onPath("apt-get");
  if (!jarsCached() && !onPath("mvn") && !rootWithApt) {
    missing.push({ name: "Maven", reason: "no mvn on PATH to fetch the Kafka jars", pkg: "maven" });
  }
  return missing;
}

/** As find_java in scripts/kafka-lib.sh: $JAVA_HOME/bin/java, else java on PATH, at least 17. */
function javaProblem() {
  const fromHome = env.JAVA_HOME ? path.join(env.JAVA_HOME, "bin", "java") : undefined;
  const java = fromHome && isExecutable(fromHome) ? fromHome : onPath("java");
  if (!java) return `no java on PATH${env.JAVA_HOME ? ` nor in JAVA_HOME=${env.JAVA_HOME}` : ", JAVA_HOME unset"}`;
  const run = childProcess.spawnSync(java, ["-version"], { encoding: "utf8", timeout: PROBE_TIMEOUT_MS });
  // A JVM slow to answer is given the benefit of the doubt; kafka-host.sh checks it again.
  if (run.error && run.error.code === "ETIMEDOUT") return undefined;
  const version = /version "([^"]+)"/.exec(`${run.stderr || ""}${run.stdout || ""}`);
  if (!version) return `${java} -version does not say its version`;
  const major = Number(version[1].split(".")[0]);
  return major >= JAVA_MIN ? undefined : `${java} is Java ${version[1]}`;
}

function jarsCached() {
  const kafkaEnv = fs.readFileSync(path.join(ROOT, "scripts", "kafka.env"), "utf8");
  const version = /^KAFKA_VERSION=(.+)$/m.exec(kafkaEnv);
  const cache = env.ENSEMBLE_CACHE || path.join(os.homedir(), ".cache", "ensemble");
  return Boolean(version) && fs.existsSync(path.join(cache, `kafka-${version[1].trim()}`, "libs", ".complete"));
}

// ---- Docker (where testcontainers looks for an engine) --------------------

function dockerAnswers() {
  return new Promise((resolve) => {
    const endpoints = dockerEndpoints();
    let pending = endpoints.length;
    if (pending === 0) return resolve(false);
    const done = (ok) => {
      if (ok) resolve(true);
      else if (--pending === 0) resolve(false);
    };
    endpoints.forEach((endpoint) => answers(endpoint, done));
  });
}

/** As testcontainers: ~/.testcontainers.properties, DOCKER_HOST, /var/run/docker.sock, rootless sockets. */
function dockerEndpoints() {
  const endpoints = [];
  const properties = path.join(os.homedir(), ".testcontainers.properties");
  if (fs.existsSync(properties)) {
    const text = fs.readFileSync(properties, "utf8");
    const found = text.match(/^\s*(tc\.host|docker\.host)\s*[=:]\s*(\S+)/gm) || [];
    found.forEach((line) => endpoints.push(line.replace(/^\s*\S+?\s*[=:]\s*/, "")));
  }
  if (env.DOCKER_HOST) endpoints.push(env.DOCKER_HOST);
  endpoints.push(`unix://${systemPath("/var/run/docker.sock")}`);
  if (env.XDG_RUNTIME_DIR) endpoints.push(`unix://${path.join(env.XDG_RUNTIME_DIR, "docker.sock")}`);
  endpoints.push(`unix://${path.join(os.homedir(), ".docker", "run", "docker.sock")}`);
  endpoints.push(`unix://${path.join(os.homedir(), ".docker", "desktop", "docker.sock")}`);
  if (process.getuid) endpoints.push(`unix://${systemPath(`/run/user/${process.getuid()}/docker.sock`)}`);
  return endpoints;
}

/** Calls back true when something accepts a connection at `endpoint` (unix:// or tcp://). */
function answers(endpoint, callback) {
  let target;
  if (endpoint.indexOf("unix://") === 0) {
    const socketPath = endpoint.slice("unix://".length);
    if (!fs.existsSync(socketPath)) return callback(false);
    target = { path: socketPath };
  } else if (/^(tcp|https?):\/\/[^/:]+:\d+/.test(endpoint)) {
    const url = new URL(endpoint);
    target = { host: url.hostname, port: Number(url.port) };
  } else {
    // ssh://, npipe:// and the like cannot be checked cheaply: trusted, start-broker.ts reports if it fails.
    return callback(true);
  }
  const socket = net.connect(target);
  const finish = (ok) => {
    socket.destroy();
    callback(ok);
  };
  socket.setTimeout(PROBE_TIMEOUT_MS, () => finish(false));
  socket.once("connect", () => finish(true));
  socket.once("error", () => finish(false));
}

// ---- files ----------------------------------------------------------------

function systemPath(absolute) {
  return env.ENSEMBLE_PREFLIGHT_TEST_ROOT ? path.join(env.ENSEMBLE_PREFLIGHT_TEST_ROOT, absolute) : absolute;
}

function onPath(name) {
  const dirs = (env.PATH || "").split(path.delimiter).filter(Boolean);
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch (error) {
    return false;
  }
}

function names(missing) {
  const all = missing.map((m) => m.name);
  return all.length === 1 ? all[0] : `${all.slice(0, -1).join(", ")} and ${all[all.length - 1]}`;
}

function reasons(missing) {
  return missing.map((m) => m.reason).join("; ");
}

function packages(missing) {
  return missing.map((m) => m.pkg).join(" ");
}

main(process.argv[2]).then(
  (lines) => {
    lines.forEach((line) => process.stderr.write(`[ensemble] ${line}\n`));
    process.exitCode = lines.length > 0 ? 1 : 0;
  },
  (error) => {
    process.stderr.write(`[ensemble] preflight failed: ${error.message}\n`);
    process.exitCode = 1;
  },
);
