/*
 * Injected: the process running the audit-archive group (its real handler behind its event source
 * mapping, idempotency in DynamoDB as on AWS) is SIGKILLed in the middle of a batch: after some of
 * the batch's records had their effect, while the next one is inside the handler with its
 * idempotency claim taken. A new process of the same group is started once that claim has expired
 * (its invocation's Lambda timeout passed), as a Lambda retry would come after the timeout.
 *
 * Observed: the new process resumes from the group's committed offsets and re-delivers the whole
 * killed batch; the records whose effect was made before the kill are skipped (their ids are in
 * the DynamoDB table), the interrupted one and the rest have their effect: every published event
 * has its effect exactly once, in offset order per partition, nothing reached the dead-letter
 * topic, and every event id is recorded COMPLETED in the table.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { Admin } from "kafkajs";
import orders from "../../contexts/orders/context";
import { demoScenario } from "../../contexts/orders/demo";
import { ensureTopics } from "../../platform/local/topics";
import { names } from "../../platform/model";
import { IDEMPOTENCY_TABLE_SCHEMA, idempotencyRecordId } from "../../platform/runtime/idempotency";
import { MilestonePublisher } from "../../platform/runtime/publisher";
import { createIdempotencyTable, DynaliteServer, type StartedDynaliteServer } from "../support/dynamodb";
import { recordCount } from "../support/runtime";
import { Signal } from "../support/wait";
import { OwnedBroker, runId } from "./support/broker";
import { tally } from "./support/effects";

jest.setTimeout(150_000);

const GROUP = "audit-archive";
const EVENTS = 60;
/** The invocation's Lambda timeout: how long the killed process's claim holds its event id. */
const FUNCTION_TIMEOUT_SECONDS = 3;
/** The broker's minimum: the killed member's partitions are handed over this long after its last heartbeat. */
const SESSION_TIMEOUT_MS = 6_000;
const ROOT = path.resolve(__dirname, "../..");
const SCRIPT = path.join(__dirname, "support/audit-archive-process.ts");

interface Line {
  kind: string;
  [field: string]: any;
}

/** A run of the group's process: its stdout lines as they come, and a way to wait on them. */
class GroupProcess {
  readonly lines: Line[] = [];
  stderr = "";
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly child: ChildProcess;

  constructor(env: NodeJS.ProcessEnv, private readonly signal: Signal) {
    // Node itself with tsx's loader, not the tsx CLI: the CLI runs the script in a child of its
    // own, which a SIGKILL of the CLI would leave running.
    this.child = spawn(process.execPath, ["--import", "tsx", SCRIPT], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let buffered = "";
    this.child.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const complete = buffered.split("\n");
      buffered = complete.pop()!;
      for (const line of complete) if (line.trim()) this.lines.push(JSON.parse(line) as Line);
      signal.notify();
    });
    this.child.stderr!.on("data", (chunk: Buffer) => void (this.stderr += chunk.toString()));
    this.child.on("exit", (code, sig) => ((this.exit = { code, signal: sig }), signal.notify()));
  }

  get pid(): number {
    return this.child.pid!;
  }

  of(kind: string): Line[] {
    return this.lines.filter((line) => line.kind === kind);
  }

  /** Waits for a line of `kind`; fails early, with its stderr, if the process exits first. */
  async line(kind: string, timeoutMs: number): Promise<Line> {
    await this.signal.until(() => this.of(kind).length > 0 || this.exit !== undefined, `a "${kind}" line from the group's process`, timeoutMs, () => this.stderr.slice(-2_000));
    const found = this.of(kind)[0];
    if (!found) throw new Error(`The group's process exited (${JSON.stringify(this.exit)}) before saying "${kind}":\n${this.stderr.slice(-4_000)}`);
    return found;
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    if (this.exit) return;
    this.child.kill(signal);
    await this.signal.until(() => this.exit !== undefined, `the group's process to exit on ${signal}`, 30_000);
  }
}

describe("a consumer process killed mid-batch and restarted", () => {
  const stack = `kill-${runId()}`;
  const table = `idempotency-${stack}`;
  const signal = new Signal();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "ensemble-failure-kill-"));
  const effectsFile = path.join(workDir, "effects.jsonl");
  const processes: GroupProcess[] = [];
  let broker: OwnedBroker;
  let dynamo: StartedDynaliteServer;
  let client: DynamoDBClient;
  let admin: Admin;

  beforeAll(async () => {
    [broker, dynamo] = await Promise.all([OwnedBroker.start("kill"), new DynaliteServer().start()]);
    client = new DynamoDBClient({ endpoint: dynamo.getEndpoint(), region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
    await createIdempotencyTable(client, table);
    admin = broker.kafka("kill-admin").admin();
    await admin.connect();
    await ensureTopics(admin, [
      { name: names.contextTopic("orders"), purpose: "events", owner: "orders" },
      { name: names.deadLetterTopic(GROUP), purpose: "dead-letter", owner: GROUP },
    ]);
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill("SIGKILL")));
    await admin?.disconnect();
    client?.destroy();
    await dynamo?.stop();
    await broker?.destroy();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  const start = (freeze?: { fromBatch: number; afterEffects: number }) => {
    const child = new GroupProcess(
      {
        ...process.env,
        KAFKA_BROKERS: broker.brokers.join(","),
        ENSEMBLE_IDEMPOTENCY_TABLE: table,
        ENSEMBLE_DYNAMODB_ENDPOINT: dynamo.getEndpoint(),
        STACK: stack,
        EFFECTS_FILE: effectsFile,
        SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
        FUNCTION_TIMEOUT_SECONDS: String(FUNCTION_TIMEOUT_SECONDS),
        POWERTOOLS_LOG_LEVEL: "SILENT",
        ...(freeze ? { FREEZE_FROM_BATCH: String(freeze.fromBatch), FREEZE_AFTER_EFFECTS: String(freeze.afterEffects) } : {}),
      },
      signal,
    );
    processes.push(child);
    return child;
  };

  const effects = () =>
    fs.existsSync(effectsFile)
      ? fs.readFileSync(effectsFile, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as { eventId: string; partition: number; offset: number; pid: number })
      : [];

  it("loses nothing and makes each effect once, the interrupted record's included", async () => {
    // Prepare: 60 milestones of the orders context, published by the real publisher
    const publisher = new MilestonePublisher(orders, { kafka: broker.kafka("kill-publisher") });
    const scenario = demoScenario(EVENTS, `kill-${runId()}`).executions;
    const published: string[] = [];
    for (const [i, order] of scenario.entries()) {
      const placed = order.expect === "SUCCEEDED";
      const { orderId, customerId, lines, currency } = order.input;
      const result = await publisher.publish({
        type: placed ? "orders.OrderPlaced" : "orders.OrderRejected",
        key: orderId,
        data: placed ? { orderId, customerId, lines, totalCents: 1_000 + i, currency } : { orderId, customerId, reason: "payment-declined" },
        executionId: `arn:aws:states:local:000000000000:execution:${stack}-orders:${order.name}`,
        state: placed ? "Placed" : "Rejected",
      });
      published.push(result.eventId);
    }
    await publisher.close();
    const ends = new Map((await admin.fetchTopicOffsets(names.contextTopic("orders"))).map((p) => [p.partition, Number(p.high)]));

    // Act: freeze the first process inside a batch after its first (one with records left after
    // its 5th), after 4 effects of that batch, and kill it there
    const first = start({ fromBatch: 2, afterEffects: 4 });
    const inFlight = await first.line("in-flight", 60_000);
    await first.kill("SIGKILL");

    // The interrupted record's claim is in the table; a new container's retry comes after it expires.
    const claim = await DynamoDBDocumentClient.from(client).send(
      new GetCommand({ TableName: table, Key: { id: idempotencyRecordId(GROUP, inFlight.eventId) }, ConsistentRead: true }),
    );
    expect(claim.Item).toMatchObject({ status: "INPROGRESS" });
    const expiresAt = claim.Item!.in_progress_expiration as number;
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(FUNCTION_TIMEOUT_SECONDS * 1000);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now() + 50)));

    const second = start();
    // The group's committed offsets, as both processes moved them (the first may have finished a partition).
    const committed = () => {
      const latest = new Map<number, number>();
      for (const line of [...first.of("committed"), ...second.of("committed")]) latest.set(line.partition, Math.max(line.offset, latest.get(line.partition) ?? 0));
      return latest;
    };
    await signal.until(() => [...ends].every(([partition, end]) => end === 0 || committed().get(partition) === end), "the group to commit every partition to its end", 90_000, () => ({
      committed: Object.fromEntries(committed()),
      ends: Object.fromEntries(ends),
      stderr: second.stderr.slice(-1_000),
    }));
    await second.kill("SIGTERM");
    const [groupOffsets] = await admin.fetchOffsets({ groupId: names.consumerGroupId(stack, GROUP, "orders"), topics: [names.contextTopic("orders")] });

    // Assess: the kill landed mid-batch, with effects made before it and records left after it
    const batch = inFlight.batch as { partition: number; offsets: number[] };
    expect(inFlight.effectsInBatch).toBe(4);
    expect(batch.offsets.length).toBeGreaterThan(5);
    expect(inFlight.offset).toBe(batch.offsets[4]);
    expect(first.exit).toEqual({ code: null, signal: "SIGKILL" });
    expect(second.exit).toEqual({ code: 0, signal: null });

    // Assess: each published event had its effect exactly once
    const made = effects();
    expect(tally(made.map((e) => e.eventId))).toEqual({ ids: [...published].sort(), repeated: [] });
    // ...the interrupted record's by the second process, the batch's first four by the first
    expect(made.find((e) => e.eventId === inFlight.eventId)?.pid).toBe(second.pid);
    const beforeKill = made.filter((e) => e.partition === batch.partition && batch.offsets.slice(0, 4).includes(e.offset));
    expect(beforeKill.map((e) => e.pid)).toEqual([first.pid, first.pid, first.pid, first.pid]);
    // ...which the second process was handed again, and skipped as already handled
    const redelivered = second.of("delivered").filter((d) => d.partition === batch.partition).flatMap((d) => d.records.map((r: { offset: number }) => r.offset));
    expect(redelivered).toEqual(expect.arrayContaining(batch.offsets));

    // Assess: in offset order per partition, across both processes
    for (const partition of ends.keys()) {
      const offsets = made.filter((e) => e.partition === partition).map((e) => e.offset);
      expect({ partition, offsets }).toEqual({ partition, offsets: [...Array(ends.get(partition)).keys()] });
    }

    // Assess: nothing was given up on; the group is at the end of every partition; every id is remembered as handled
    expect(Object.fromEntries(groupOffsets!.partitions.map((p) => [p.partition, Number(p.offset)]))).toEqual(
      Object.fromEntries([...ends].map(([partition, end]) => [partition, end === 0 ? -1 : end])),
    );
    expect(await recordCount(admin, names.deadLetterTopic(GROUP))).toBe(0);
    const { Items = [] } = await DynamoDBDocumentClient.from(client).send(new ScanCommand({ TableName: table, ConsistentRead: true }));
    expect(Items.map((item) => item.status)).toEqual(published.map(() => "COMPLETED"));
    expect(Items.map((item) => item[IDEMPOTENCY_TABLE_SCHEMA.partitionKey.name]).sort()).toEqual(published.map((id) => idempotencyRecordId(GROUP, id)).sort());
  });
});
