import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

/**
 * scripts/preflight.cjs run as npm runs it, as a child process, in a sandbox: PATH holds only the
 * fake tools a test puts there, HOME and the Kafka jar cache are empty dirs, and the fixed system
 * paths (/var/run/docker.sock, /usr/bin/chromium) are looked up under the sandbox.
 */
const ROOT = path.resolve(__dirname, "../../..");
const PREFLIGHT = path.join(ROOT, "scripts", "preflight.cjs");
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
const KAFKA_VERSION = /^KAFKA_VERSION=(.+)$/m.exec(fs.readFileSync(path.join(ROOT, "scripts", "kafka.env"), "utf8"))![1]!.trim();

const NODE_20 = "[ensemble] npm start needs Node >=22.22 (package.json engines.node) but this is Node v20.20.2: run `npm i -g --force --prefix /usr/local node@22` (or `nvm install`, which reads .nvmrc).";
const NO_BROKER = (command: string, docker: string, host: string) =>
  `[ensemble] ${command} needs a Kafka broker and has no way to get one: set KAFKA_BROKERS=host:port of a running broker, or start a Docker engine (none answers at ${docker}), or install ${host}.`;
const NO_JAVA_NO_MVN = "Java 17+ and Maven to run the Kafka jars on this host: `apt-get install openjdk-17-jre-headless maven` (no java on PATH, JAVA_HOME unset; no mvn on PATH to fetch the Kafka jars)";
const TEST_NO_JAVA =
  "[ensemble] npm test needs Java 17+ for the failure tests, which run Kafka brokers of their own from the Apache Kafka jars whatever KAFKA_BROKERS says (no java on PATH, JAVA_HOME unset): run `apt-get install openjdk-17-jre-headless`.";
const NO_CHROMIUM = (command: string, where: string) =>
  `[ensemble] ${command} needs Chromium for the catalog page and live view tests (test/integration/catalog/catalog-page.test.ts, test/e2e/live-view.test.ts) and finds none at ${where}: run \`apt-get install chromium\`, or set CHROMIUM_PATH to a Chromium binary.`;

interface Sandbox {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  /** Puts an executable named `name` on the sandbox's PATH. */
  tool(name: string, script?: string): void;
  /** A file at `absolute` as seen through ENSEMBLE_PREFLIGHT_TEST_ROOT. */
  at(absolute: string): string;
}

let sandboxes: string[] = [];
afterEach(() => {
  for (const dir of sandboxes) fs.rmSync(dir, { recursive: true, force: true });
  sandboxes = [];
});

function sandbox(): Sandbox {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ensemble-preflight-"));
  sandboxes.push(dir);
  fs.mkdirSync(path.join(dir, "bin"));
  const at = (absolute: string) => path.join(dir, absolute);
  const tool = (name: string, script = "exit 0") => fs.writeFileSync(path.join(dir, "bin", name), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  // What kafka-host.sh needs besides Java and the jars, there by default.
  tool("bash");
  tool("flock");
  return { dir, at, tool, env: { PATH: path.join(dir, "bin"), HOME: dir, ENSEMBLE_CACHE: path.join(dir, "cache"), ENSEMBLE_PREFLIGHT_TEST_ROOT: dir } };
}

const java = (version: string) => `echo 'openjdk version "${version}" 2025-04-15' >&2`;

/** Everything `npm test` needs: Java 17, Maven, Chromium at /usr/bin/chromium. */
function fullSandbox(): Sandbox {
  const box = sandbox();
  box.tool("java", java("17.0.15"));
  box.tool("mvn");
  fs.mkdirSync(box.at("/usr/bin"), { recursive: true });
  fs.writeFileSync(box.at("/usr/bin/chromium"), "#!/bin/sh\n", { mode: 0o755 });
  return box;
}

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly lines: string[];
  readonly ms: number;
}

function preflight(script: string, env: NodeJS.ProcessEnv, node = process.execPath): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(node, [PREFLIGHT, script], { env, cwd: ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, lines: stderr.split("\n").filter(Boolean), ms: performance.now() - started }));
  });
}

/** A unix socket something listens on, as a Docker engine's. */
async function listening(socketPath: string): Promise<net.Server> {
  fs.mkdirSync(path.dirname(socketPath), { recursive: true });
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return server;
}

describe("scripts/preflight.cjs", () => {
  describe("Node", () => {
    it("stops every script on a Node older than engines.node, in one line naming both versions and the command", async () => {
      // Prepare
      const box = fullSandbox();

      // Act
      const run = await preflight("start", { ...box.env, ENSEMBLE_PREFLIGHT_TEST_NODE_VERSION: "20.20.2" });

      // Assess
      expect(run).toMatchObject({ status: 1, stdout: "", lines: [NODE_20] });
    });

    it("reads engines.node as npm does: 22.22.0 is enough, 22.21.9 is not", async () => {
      // Prepare
      const box = sandbox();

      // Act
      const enough = await preflight("validate", { ...box.env, ENSEMBLE_PREFLIGHT_TEST_NODE_VERSION: "22.22.0" });
      const older = await preflight("validate", { ...box.env, ENSEMBLE_PREFLIGHT_TEST_NODE_VERSION: "22.21.9" });

      // Assess
      expect(enough).toMatchObject({ status: 0, lines: [] });
      expect(older.status).toBe(1);
      expect(older.lines).toEqual([
        "[ensemble] npm run validate needs Node >=22.22 (package.json engines.node) but this is Node v22.21.9: run `npm i -g --force --prefix /usr/local node@22` (or `nvm install`, which reads .nvmrc).",
      ]);
    });

    it("runs on the machine's own Node 20 and stops npm start within a second", async () => {
      // Prepare: Debian's Node where it is a 20.x, else the override stands in for it
      const box = fullSandbox();
      const debianNode = "/usr/bin/node";
      const isNode20 = fs.existsSync(debianNode) && execFileSync(debianNode, ["--version"], { encoding: "utf8" }).startsWith("v20.");
      const env = isNode20 ? box.env : { ...box.env, ENSEMBLE_PREFLIGHT_TEST_NODE_VERSION: "20.20.2" };

      // Act
      const run = await preflight("start", env, isNode20 ? debianNode : process.execPath);

      // Assess
      expect(run.status).toBe(1);
      expect(run.lines).toHaveLength(1);
      expect(run.lines[0]).toMatch(/^\[ensemble\] npm start needs Node >=22\.22 \(package\.json engines\.node\) but this is Node v20\.\d+\.\d+: run `npm i -g --force --prefix \/usr\/local node@22`/);
      expect(run.ms).toBeLessThan(1000);
    });
  });

  describe("a broker, for npm start", () => {
    it("says the three ways in one line when none is there", async () => {
      // Prepare
      const box = sandbox();

      // Act
      const run = await preflight("start", box.env);

      // Assess
      expect(run).toMatchObject({ status: 1, stdout: "", lines: [NO_BROKER("npm start", "/var/run/docker.sock", NO_JAVA_NO_MVN)] });
    });

    it("takes KAFKA_BROKERS alone", async () => {
      // Act
      const run = await preflight("start", { ...sandbox().env, KAFKA_BROKERS: "localhost:9092" });

      // Assess
      expect(run).toMatchObject({ status: 0, lines: [] });
    });

    it("takes a Docker engine that answers at /var/run/docker.sock, not a socket file nobody listens on", async () => {
      // Prepare
      const answering = sandbox();
      const server = await listening(answering.at("/var/run/docker.sock"));
      const stale = sandbox();
      fs.mkdirSync(stale.at("/var/run"), { recursive: true });
      fs.writeFileSync(stale.at("/var/run/docker.sock"), "");

      try {
        // Act
        const up = await preflight("bench", answering.env);
        const down = await preflight("bench", stale.env);

        // Assess
        expect(up).toMatchObject({ status: 0, lines: [] });
        expect(down.lines).toEqual([NO_BROKER("npm run bench", "/var/run/docker.sock", NO_JAVA_NO_MVN)]);
      } finally {
        server.close();
      }
    });

    it("takes DOCKER_HOST and a rootless engine's socket, and names DOCKER_HOST when it does not answer", async () => {
      // Prepare
      const box = sandbox();
      const server = await listening(path.join(box.dir, "home-docker", "docker.sock"));
      const closedPort = await new Promise<number>((resolve) => {
        const probe = net.createServer().listen(0, "127.0.0.1", () => {
          const { port } = probe.address() as net.AddressInfo;
          probe.close(() => resolve(port));
        });
      });

      try {
        // Act
        const viaDockerHost = await preflight("bench", { ...box.env, DOCKER_HOST: `unix://${path.join(box.dir, "home-docker", "docker.sock")}` });
        const rootless = await preflight("bench", { ...box.env, XDG_RUNTIME_DIR: path.join(box.dir, "home-docker") });
        const tcpDown = await preflight("bench", { ...box.env, DOCKER_HOST: `tcp://127.0.0.1:${closedPort}` });

        // Assess
        expect(viaDockerHost).toMatchObject({ status: 0, lines: [] });
        expect(rootless).toMatchObject({ status: 0, lines: [] });
        expect(tcpDown).toMatchObject({ status: 1, lines: [NO_BROKER("npm run bench", `DOCKER_HOST=tcp://127.0.0.1:${closedPort}`, NO_JAVA_NO_MVN)] });
      } finally {
        server.close();
      }
    });

    it("takes Java 17 with Maven, or with the Kafka jars already cached; not Java 11", async () => {
      // Prepare
      const withMaven = sandbox();
      withMaven.tool("java", java("17.0.15"));
      withMaven.tool("mvn");
      const cached = sandbox();
      cached.tool("java", java("21.0.2"));
      fs.mkdirSync(path.join(cached.env.ENSEMBLE_CACHE!, `kafka-${KAFKA_VERSION}`, "libs"), { recursive: true });
      fs.writeFileSync(path.join(cached.env.ENSEMBLE_CACHE!, `kafka-${KAFKA_VERSION}`, "libs", ".complete"), "");
      const old = sandbox();
      old.tool("java", java("11.0.2"));
      old.tool("mvn");

      // Act
      const runs = await Promise.all([withMaven, cached, old].map((box) => preflight("start", box.env)));

      // Assess
      expect(runs.map((run) => run.status)).toEqual([0, 0, 1]);
      expect(runs[2]!.lines).toEqual([
        NO_BROKER(
          "npm start",
          "/var/run/docker.sock",
          `Java 17+ to run the Kafka jars on this host: \`apt-get install openjdk-17-jre-headless\` (${path.join(old.dir, "bin", "java")} is Java 11.0.2)`,
        ),
      ]);
    });

    it("takes JAVA_HOME's java before the one on PATH, as kafka-host.sh does", async () => {
      // Prepare
      const box = sandbox();
      box.tool("java", java("11.0.2"));
      box.tool("mvn");
      const javaHome = path.join(box.dir, "jdk");
      fs.mkdirSync(path.join(javaHome, "bin"), { recursive: true });
      fs.writeFileSync(path.join(javaHome, "bin", "java"), `#!/bin/sh\n${java("17.0.15")}\n`, { mode: 0o755 });

      // Act
      const run = await preflight("start", { ...box.env, JAVA_HOME: javaHome });

      // Assess
      expect(run).toMatchObject({ status: 0, lines: [] });
    });

    it("does without Maven as root with apt-get (kafka-jars.sh installs it), but not otherwise", async () => {
      // Prepare
      const box = sandbox();
      box.tool("java", java("17.0.15"));
      box.tool("apt-get");

      // Act
      const run = await preflight("start", box.env);

      // Assess
      if (process.getuid?.() === 0) {
        expect(run).toMatchObject({ status: 0, lines: [] });
      } else {
        expect(run.lines).toEqual([
          NO_BROKER("npm start", "/var/run/docker.sock", "Maven to run the Kafka jars on this host: `apt-get install maven` (no mvn on PATH to fetch the Kafka jars)"),
        ]);
      }
    });
  });

  describe("npm test", () => {
    it("passes silently, within a second, when Java, Maven and Chromium are there", async () => {
      // Act
      const run = await preflight("test", fullSandbox().env);

      // Assess
      expect(run).toMatchObject({ status: 0, stdout: "", lines: [] });
      expect(run.ms).toBeLessThan(1000);
    });

    it("needs Java even with KAFKA_BROKERS set: the failure tests run host brokers of their own", async () => {
      // Prepare
      const box = fullSandbox();
      fs.rmSync(path.join(box.dir, "bin", "java"));

      // Act
      const run = await preflight("test", { ...box.env, KAFKA_BROKERS: "localhost:9092" });

      // Assess
      expect(run).toMatchObject({ status: 1, lines: [TEST_NO_JAVA] });
    });

    it("needs Chromium for the catalog page and live view tests, at /usr/bin/chromium or CHROMIUM_PATH", async () => {
      // Prepare
      const box = fullSandbox();
      fs.rmSync(box.at("/usr/bin/chromium"));

      // Act
      const atDefault = await preflight("test", box.env);
      const atMissingPath = await preflight("test:integration", { ...box.env, CHROMIUM_PATH: path.join(box.dir, "no-such-chromium") });
      const atGivenPath = await preflight("test:integration", { ...box.env, CHROMIUM_PATH: path.join(box.dir, "bin", "java") });
      const forEndToEnd = await preflight("test:e2e", { ...box.env, KAFKA_BROKERS: "localhost:9092" });

      // Assess
      expect(atDefault).toMatchObject({ status: 1, lines: [NO_CHROMIUM("npm test", "/usr/bin/chromium")] });
      expect(atMissingPath).toMatchObject({ status: 1, lines: [NO_CHROMIUM("npm run test:integration", `CHROMIUM_PATH=${path.join(box.dir, "no-such-chromium")}`)] });
      expect(atGivenPath).toMatchObject({ status: 0, lines: [] });
      expect(forEndToEnd).toMatchObject({ status: 1, lines: [NO_CHROMIUM("npm run test:e2e", "/usr/bin/chromium")] });
    });

    it("says everything missing at once, one line each", async () => {
      // Act
      const run = await preflight("test", sandbox().env);

      // Assess
      expect(run.status).toBe(1);
      expect(run.lines).toEqual([
        "[ensemble] npm test needs Java 17+ and Maven for the failure tests, which run Kafka brokers of their own from the Apache Kafka jars whatever KAFKA_BROKERS says (no java on PATH, JAVA_HOME unset; no mvn on PATH to fetch the Kafka jars): run `apt-get install openjdk-17-jre-headless maven`.",
        NO_CHROMIUM("npm test", "/usr/bin/chromium"),
      ]);
    });

    it("asks nothing of npm run test:unit but Node", async () => {
      // Act
      const run = await preflight("test:unit", sandbox().env);

      // Assess
      expect(run).toMatchObject({ status: 0, lines: [] });
    });
  });

  it("runs before every npm script that runs Node (the bash-only kafka:* scripts check for themselves)", () => {
    // Prepare
    const scripts = Object.keys(pkg.scripts).filter((name) => !(name.startsWith("pre") && name.slice(3) in pkg.scripts));

    // Assess
    for (const name of scripts) {
      const hook = pkg.scripts[`pre${name}`];
      if (pkg.scripts[name]!.startsWith("bash ")) expect({ name, hook }).toEqual({ name, hook: undefined });
      else expect({ name, hook }).toEqual({ name, hook: `node scripts/preflight.cjs ${name}` });
    }
  });
});
