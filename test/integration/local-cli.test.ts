import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as path from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { contexts } from "../../contexts";
import type { Snapshot } from "../../platform/local/demo";
import { LocalRuntime } from "../../platform/local/runtime";
import { type LiveView, listen, ROUTES, serveLive } from "../../platform/live-view";
import { validate } from "../../platform/model";

const ROOT = path.resolve(__dirname, "../..");

describe("npm start -- --keep: executions over HTTP on a running runtime", () => {
  const stack = `serve-${randomUUID().slice(0, 6)}`;
  const brokers = process.env.KAFKA_BROKERS!.split(",");
  const kafka = new Kafka({ clientId: stack, brokers, logLevel: logLevel.NOTHING });
  // The contexts without consumer groups: what is served, not what consumes, is under test.
  const topology = validate({ contexts, consumers: [] }, { stack });
  const runtime = new LocalRuntime({ topology, stack, kafka, brokers });
  let server: LiveView;
  const call = async (method: string, url: string, body?: string) => {
    const response = await fetch(`http://127.0.0.1:${server.port}${url}`, { method, ...(body === undefined ? {} : { body, headers: { "content-type": "application/json" } }) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  /** The first state `/live` pushes. */
  const firstLiveState = async () => {
    const response = await fetch(`http://127.0.0.1:${server.port}/live`);
    const reader = response.body!.getReader();
    let text = "";
    while (!/^data: .*\n\n/m.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    return JSON.parse(/^data: (.*)$/m.exec(text)![1]!) as { startedOverHttp: number; snapshot: Snapshot };
  };

  beforeAll(async () => {
    await runtime.start();
    server = await serveLive(await listen({ port: 0 }), { runtime, kafka, topology, catalog: { stack } });
  });

  afterAll(async () => {
    await server?.close();
    await runtime.stop();
  });

  it("listens on the loopback address only, unless asked for more", () => {
    expect(server.address).toBe("127.0.0.1");
  });

  it("starts an execution per POST /executions/<context> and reports it in GET /status", async () => {
    // Act
    const input = { orderId: `${stack}-1`, customerId: "c-1", lines: [{ sku: "teapot", quantity: 1 }], currency: "EUR" };
    const started = await call("POST", "/executions/orders", JSON.stringify({ name: "http-1", input }));
    const execution = runtime.machines.get("orders")!.all.find((e) => e.name === "http-1");
    await execution?.done;
    const status = await call("GET", "/status");
    const live = await firstLiveState();

    // Assess
    expect(started).toEqual({ status: 202, body: { executionArn: `arn:aws:states:local:000000000000:execution:${stack}-orders:http-1` } });
    expect(execution?.status).toBe("SUCCEEDED");
    expect(status.status).toBe(200);
    const snapshot = status.body as unknown as Snapshot;
    expect(snapshot.contexts.find((c) => c.name === "orders")).toEqual({ name: "orders", running: 0, succeeded: 1, failed: 0, byState: {} });
    expect(snapshot.milestones).toEqual({ "orders.OrderPlaced": 1 });
    // The header's started/planned are a demo's (none here); the one started over HTTP is counted apart.
    expect({ started: live.snapshot.started, planned: live.snapshot.planned, startedOverHttp: live.startedOverHttp }).toEqual({ started: 0, planned: 0, startedOverHttp: 1 });
  });

  it("answers 400 to a body that is not JSON or an unknown context, 409 to a name used twice, 404 to any other path", async () => {
    const input = { orderId: `${stack}-2`, customerId: "c-1", lines: [{ sku: "mug-white", quantity: 1 }], currency: "EUR" };
    const notJson = await call("POST", "/executions/orders", "{ not json");
    const unknown = await call("POST", "/executions/ordres", JSON.stringify({ input }));
    await call("POST", "/executions/orders", JSON.stringify({ name: "http-2", input }));
    const twice = await call("POST", "/executions/orders", JSON.stringify({ name: "http-2", input }));
    const paths = await Promise.all([call("GET", "/executions/orders"), call("POST", "/status"), call("GET", "/nowhere")]);
    await Promise.all(runtime.executions.map((e) => e.done));

    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toMatch(/JSON/);
    expect(unknown).toEqual({ status: 400, body: { error: 'No context "ordres" with a workflow; contexts: orders, shipping, billing.' } });
    expect(twice.status).toBe(409);
    expect(twice.body.error).toContain('Execution "http-2" already exists');
    expect(paths.map((p) => p.status)).toEqual([404, 404, 404]);
    expect(paths[2]!.body).toEqual({ error: "No route GET /nowhere.", routes: ROUTES });
    expect(runtime.executions.map((e) => e.name)).toEqual(["http-1", "http-2"]);
  });
});

describe("npm start, as a process", () => {
  it("plays a small demo on the test broker, serves the live view while it runs, prints the summary and exits 0", async () => {
    // The test broker (--broker env: CI may force another path through ENSEMBLE_BROKER), a stack
    // of its own, from LATEST: that broker holds other runs' orders events. Any free port: a
    // developer's own `npm start` may hold 4040.
    const args = ["tsx", "commands/start.ts", "--executions", "5", "--rate", "20", "--broker", "env", "--stack", `cli-${randomUUID().slice(0, 6)}`, "--starting-position", "LATEST", "--port", "0"];
    const child = spawn("npx", args, { cwd: ROOT, env: { ...process.env, POWERTOOLS_LOG_LEVEL: "SILENT" }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    // The page, fetched as soon as its address is printed: before the demo starts. A failed fetch
    // (the process gone first) is an answer of its own, caught at once: nothing is left unhandled.
    let page: Promise<{ status: number; html: string }> | undefined;
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const url = /^Live view: (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(stdout)?.[1];
      page ??=
        url === undefined
          ? undefined
          : fetch(url)
              .then(async (response) => ({ status: response.status, html: await response.text() }))
              .catch((error: unknown) => ({ status: 0, html: `fetch failed: ${String(error)}` }));
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    const served = await page;

    // Its only word on stderr is the broker it took: the test broker, through KAFKA_BROKERS.
    expect({ code, stderr }).toEqual({ code: 0, stderr: `[ensemble] broker path: env — KAFKA_BROKERS=${process.env.KAFKA_BROKERS}, ready in ${/ready in (\S+ s)/.exec(stderr)?.[1]}\n` });
    expect(stdout.split("\n")[0]).toMatch(/^Live view: http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(served?.status).toBe(200);
    expect(served?.html).toContain(`<g class="node node-context" data-node="context:orders">`);
    expect(stdout).toContain("\nSummary\n");
    expect(stdout).toContain("OK: every execution ended as expected");
    // Not a terminal: periodic plain lines, no escape codes.
    expect(stdout).not.toContain("\x1b[");
  }, 120_000);
});
