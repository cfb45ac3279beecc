/*
 * Injected: the audit-archive group (its real handler behind its event source mapping, idempotency
 * in DynamoDB as on AWS) is SIGKILLed in the middle of a batch of 10, inside the handler of the
 * batch's fifth record, with that record's idempotency claim taken (INPROGRESS until the
 * invocation's Lambda deadline):
 * (a) the whole consumer process (poller and function), before the record's effect; a new
 *     process is started once the claim has expired;
 * (b) the whole consumer process, after the record's effect and before its idempotency record is
 *     completed; a new process is started once the claim has expired;
 * (c) the function's container only, before the record's effect: the poller stays in its group
 *     and retries the batch at once in a new container, before the claim expires.
 * Each case runs under both readings of partial batch responses, as two groups (stacks) side by
 * side on the same published events.
 *
 * Why (c) kills the container and not the process: a restarted consumer process cannot meet the
 * claim. The killed process's group member keeps the partitions until its session times out, and
 * the mapping's session timeout (the function timeout + the batching window + 5 s) always outlasts
 * the claim (at most the function timeout), so whatever its start time, a new process gets the
 * records only after the claim has expired: that is (a). On AWS the poller is not in the
 * function's container, and a crashed invocation is retried at once: that is (c). The container is
 * killed once its invocation has run for more than CLAIM_WAIT_RESERVE_MS (1 s): the wrapper waits
 * for a claim until its own deadline less that reserve, which is after the killed invocation's
 * deadline (the claim's expiry) only when the retry started more than the reserve after it; a
 * retry sooner than that waits in vain and fails the record once, spending one of its retries.
 * (c) runs with a 5 s function timeout, so the kill comes before the claim expires on a busy
 * machine too.
 *
 * Observed, under each reading:
 * (a) the new process resumes from the committed offset and gets the killed batch again; the
 *     records archived before the kill are skipped as handled; the handler ran twice for the
 *     interrupted record (once in each process) and archived it once: every event's effect exactly
 *     once.
 * (b) no consumer can avoid running the interrupted record's handler again: its idempotency record
 *     was still INPROGRESS when the process died, so once the claim expired the redelivery ran the
 *     handler again. Exactly that record's effect happened twice (once per process), every other
 *     event's exactly once. What keeps the end state right is the effect itself: the audit archive
 *     is keyed by event id (AuditArchive.append adds an event once), so replaying every effect
 *     into one archive leaves each event archived once.
 * (c) the poller never left its group; the retry reached a new container while the claim was
 *     still live; the wrapper waited for the claim to expire (instead of failing the record) and
 *     archived the record after it: every event's effect exactly once, the only failed invocation
 *     the crash itself.
 * In every case: each partition's effects in offset order, nothing in the dead-letter topic and no
 * on-failure record, every event id COMPLETED in the table, the group at the end of every
 * partition. Figures: test-results/failure-consumer-kill.json.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { Admin } from "kafkajs";
import { AuditArchive } from "../../consumers/audit-archive/handler";
import orders from "../../contexts/orders/context";
import { demoScenario } from "../../contexts/orders/demo";
import { PartialBatchReading } from "../../platform/local/event-source-mapping";
import { ensureTopics } from "../../platform/local/topics";
import { names } from "../../platform/model";
import { CLAIM_WAIT_RESERVE_MS, IDEMPOTENCY_TABLE_SCHEMA, idempotencyRecordId } from "../../platform/runtime/idempotency";
import { MilestonePublisher } from "../../platform/runtime/publisher";
import { createIdempotencyTable, DynaliteServer, type StartedDynaliteServer } from "../support/dynamodb";
import { recordCount } from "../support/runtime";
import { Signal } from "../support/wait";
import { OwnedBroker, runId } from "./support/broker";
import { countEach, tally } from "./support/effects";
import { FigureFile } from "./support/figures";

jest.setTimeout(150_000);

const GROUP = "audit-archive";
const EVENTS = 60;
/** The stack's function timeout: how long an invocation's claim holds its event id. */
const FUNCTION_TIMEOUT_SECONDS = 3;
/** (c)'s: room for the kill to come after CLAIM_WAIT_RESERVE_MS, and before the claim expires, on a busy machine too. */
const CONTAINER_FUNCTION_TIMEOUT_SECONDS = 5;
/** The function is frozen in its 2nd invocation or later, after 4 effects of the batch, at its 5th record. */
const FREEZE = { FREEZE_FROM_BATCH: "2", FREEZE_AFTER_EFFECTS: "4" };
const READINGS = Object.values(PartialBatchReading);
const ROOT = path.resolve(__dirname, "../..");
const SCRIPT = path.join(__dirname, "support/audit-archive-process.ts");

interface Line {
  kind: string;
  [field: string]: any;
}

/** A line of the effects file: a run of the handler, or an effect (an archive entry). */
interface EffectLine {
  readonly kind: "run" | "effect";
  readonly eventId: string;
  readonly partition: number;
  readonly offset: number;
  readonly pid: number;
  readonly at: number;
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
      for (const line of complete) if (line.trim()) this.lines.push(parse(line));
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

/** A stdout line: JSON from the process or its containers; anything else (a library's warning) is kept as text. */
function parse(text: string): Line {
  try {
    return JSON.parse(text) as Line;
  } catch {
    return { kind: "text", text };
  }
}

describe("a consumer killed mid-batch", () => {
  const signal = new Signal();
  const figures = new FigureFile("consumer-kill", {
    injected: "SIGKILL of the audit-archive consumer inside its handler, mid-batch",
    events: EVENTS,
    functionTimeoutSeconds: FUNCTION_TIMEOUT_SECONDS,
  });
  let workDir: string;
  let broker: OwnedBroker;
  let dynamo: StartedDynaliteServer;
  let client: DynamoDBClient;
  let admin: Admin;
  let processes: GroupProcess[];

  beforeEach(async () => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), "ensemble-failure-kill-"));
    processes = [];
    [broker, dynamo] = await Promise.all([OwnedBroker.start("kill"), new DynaliteServer().start()]);
    client = new DynamoDBClient({ endpoint: dynamo.getEndpoint(), region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
    admin = broker.kafka("kill-admin").admin();
    await admin.connect();
    await ensureTopics(admin, [
      { name: names.contextTopic("orders"), purpose: "events", owner: "orders" },
      { name: names.deadLetterTopic(GROUP), purpose: "dead-letter", owner: GROUP },
    ]);
  });

  afterEach(async () => {
    // Containers are the processes' children; they leave once their process is gone.
    await Promise.all(processes.map((p) => p.kill("SIGKILL")));
    await admin?.disconnect();
    client?.destroy();
    await dynamo?.stop();
    await broker?.destroy();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  /** EVENTS milestones of the orders context, published by the real publisher; their ids, and where each partition ends. */
  async function publish(): Promise<{ published: string[]; ends: Map<number, number> }> {
    const publisher = new MilestonePublisher(orders, { kafka: broker.kafka("kill-publisher") });
    const prefix = `kill-${runId()}`;
    const published: string[] = [];
    for (const [i, order] of demoScenario(EVENTS, prefix).executions.entries()) {
      const placed = order.expect === "SUCCEEDED";
      const { orderId, customerId, lines, currency } = order.input;
      const result = await publisher.publish({
        type: placed ? "orders.OrderPlaced" : "orders.OrderRejected",
        key: orderId,
        data: placed ? { orderId, customerId, lines, totalCents: 1_000 + i, currency } : { orderId, customerId, reason: "payment-declined" },
        executionId: `arn:aws:states:local:000000000000:execution:${prefix}-orders:${order.name}`,
        state: placed ? "Placed" : "Rejected",
      });
      published.push(result.eventId);
    }
    await publisher.close();
    const ends = new Map((await admin.fetchTopicOffsets(names.contextTopic("orders"))).map((p) => [p.partition, Number(p.high)]));
    return { published, ends };
  }

  /** One reading's consumer group: a stack, an idempotency table and an effects file of its own. */
  async function group(reading: PartialBatchReading, functionTimeoutSeconds = FUNCTION_TIMEOUT_SECONDS) {
    const stack = `kill-${runId()}`;
    const table = `idempotency-${stack}`;
    const effectsFile = path.join(workDir, `${stack}.jsonl`);
    await createIdempotencyTable(client, table);
    const own: GroupProcess[] = [];
    const documents = DynamoDBDocumentClient.from(client);
    return {
      reading,
      own,
      start(extra: NodeJS.ProcessEnv = {}) {
        const child = new GroupProcess(
          {
            ...process.env,
            KAFKA_BROKERS: broker.brokers.join(","),
            ENSEMBLE_IDEMPOTENCY_TABLE: table,
            ENSEMBLE_DYNAMODB_ENDPOINT: dynamo.getEndpoint(),
            STACK: stack,
            EFFECTS_FILE: effectsFile,
            FUNCTION_TIMEOUT_SECONDS: String(functionTimeoutSeconds),
            PARTIAL_BATCH_READING: reading,
            POWERTOOLS_LOG_LEVEL: "SILENT",
            ...extra,
          },
          signal,
        );
        processes.push(child);
        own.push(child);
        return child;
      },
      lines: (kind: string) => own.flatMap((p) => p.of(kind)),
      effectLines: (): EffectLine[] =>
        fs.existsSync(effectsFile) ? fs.readFileSync(effectsFile, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as EffectLine) : [],
      claim: async (eventId: string) =>
        (await documents.send(new GetCommand({ TableName: table, Key: { id: idempotencyRecordId(GROUP, eventId) }, ConsistentRead: true }))).Item,
      records: async () => (await documents.send(new ScanCommand({ TableName: table, ConsistentRead: true }))).Items ?? [],
      offsets: async () => {
        const [committed] = await admin.fetchOffsets({ groupId: names.consumerGroupId(stack, GROUP, "orders"), topics: [names.contextTopic("orders")] });
        return Object.fromEntries(committed!.partitions.map((p) => [p.partition, Number(p.offset)]));
      },
    };
  }
  type Group = Awaited<ReturnType<typeof group>>;

  /** Waits until the group's processes have committed every partition to its end. */
  async function drained(run: Group, ends: Map<number, number>): Promise<void> {
    const committed = () => {
      const latest = new Map<number, number>();
      for (const line of run.lines("committed")) latest.set(line.partition, Math.max(line.offset, latest.get(line.partition) ?? 0));
      return latest;
    };
    await signal.until(() => [...ends].every(([partition, end]) => end === 0 || committed().get(partition) === end), `the ${run.reading} group to commit every partition to its end`, 90_000, () => ({
      committed: Object.fromEntries(committed()),
      ends: Object.fromEntries(ends),
      stderr: run.own.map((p) => p.stderr.slice(-1_000)),
    }));
  }

  /** What holds in every case: offset order per partition, nothing given up on, every id COMPLETED, the group at the end. */
  async function assessEndState(run: Group, published: readonly string[], ends: Map<number, number>): Promise<void> {
    const effects = run.effectLines().filter((e) => e.kind === "effect");
    for (const partition of ends.keys()) {
      const offsets = [...new Set(effects.filter((e) => e.partition === partition).map((e) => e.offset))];
      expect({ reading: run.reading, partition, offsets }).toEqual({ reading: run.reading, partition, offsets: [...Array(ends.get(partition)).keys()] });
    }
    expect({ reading: run.reading, onFailure: run.lines("on-failure") }).toEqual({ reading: run.reading, onFailure: [] });
    const records = await run.records();
    expect({ reading: run.reading, statuses: records.map((item) => item.status) }).toEqual({ reading: run.reading, statuses: published.map(() => "COMPLETED") });
    expect(records.map((item) => item[IDEMPOTENCY_TABLE_SCHEMA.partitionKey.name]).sort()).toEqual(published.map((id) => idempotencyRecordId(GROUP, id)).sort());
    expect({ reading: run.reading, offsets: await run.offsets() }).toEqual({
      reading: run.reading,
      offsets: Object.fromEntries([...ends].map(([partition, end]) => [partition, end === 0 ? -1 : end])),
    });
  }

  /** The figures of one run: every count before any deduplication. */
  function figuresOf(run: Group, published: readonly string[]) {
    const delivered = run.lines("delivered").flatMap((d) => d.records.map((r: { id: string }) => r.id));
    const lines = run.effectLines();
    return {
      published: published.length,
      deliveredRecords: delivered.length,
      redeliveries: delivered.length - new Set(delivered).size,
      handlerRuns: lines.filter((e) => e.kind === "run").length,
      effects: lines.filter((e) => e.kind === "effect").length,
      failedInvocations: run.lines("failed").map((f) => f.cause),
      deadLettered: run.lines("on-failure").length,
    };
  }

  /** Runs each reading's part side by side; reports the first failure once both have ended, so no process is left mid-test. */
  async function bothReadings(part: (reading: PartialBatchReading) => Promise<void>): Promise<void> {
    const results = await Promise.allSettled(READINGS.map(part));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  /** (a) and (b): the process frozen at `when`, killed, and a new one started once the claim has expired. */
  async function killProcess(when: "before-effect" | "after-effect", ends: Map<number, number>, reading: PartialBatchReading) {
    const run = await group(reading);
    const first = run.start({ ...FREEZE, FREEZE_WHEN: when });
    const inFlight = await first.line("in-flight", 60_000);
    await first.kill("SIGKILL");

    // The interrupted record's claim is in the table; a new process is started after it expired.
    const claim = await run.claim(inFlight.eventId);
    expect(claim).toMatchObject({ status: "INPROGRESS" });
    const expiresAt = claim!.in_progress_expiration as number;
    expect(Math.abs(expiresAt - inFlight.deadline)).toBeLessThanOrEqual(5); // the invocation's Lambda deadline
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now() + 50)));
    const second = run.start();
    await drained(run, ends);
    await second.kill("SIGTERM");
    expect(first.exit).toEqual({ code: null, signal: "SIGKILL" });
    expect(second.exit).toEqual({ code: 0, signal: null });

    // The kill landed mid-batch: effects made before it, records left after it
    const batch = inFlight.batch as { partition: number; offsets: number[] };
    expect({ effectsInBatch: inFlight.effectsInBatch, at: inFlight.offset, left: batch.offsets.length > 5 }).toEqual({ effectsInBatch: 4, at: batch.offsets[4], left: true });
    // ...the second process was handed the whole batch again, and ran only the records not handled
    const redelivered = second.of("delivered").filter((d) => d.partition === batch.partition).flatMap((d) => d.records.map((r: { offset: number }) => r.offset));
    expect(redelivered).toEqual(expect.arrayContaining(batch.offsets));
    const lines = run.effectLines();
    const firstFour = lines.filter((e) => e.partition === batch.partition && batch.offsets.slice(0, 4).includes(e.offset));
    expect(firstFour.map((e) => [e.kind, e.pid])).toEqual([...Array(4)].flatMap(() => [["run", first.pid], ["effect", first.pid]]));
    return { run, inFlight, first, second, lines };
  }

  it("(a) killed inside the handler before its effect: the handler runs again for that record only, each effect once", async () => {
    const { published, ends } = await publish();
    await bothReadings(async (reading) => {
      const { run, inFlight, first, second, lines } = await killProcess("before-effect", ends, reading);

      // Assess: the handler ran twice for the interrupted record (once per process), once for every other; each effect once
      const runs = countEach(lines.filter((e) => e.kind === "run").map((e) => e.eventId));
      expect({ reading, runs: published.map((id) => runs.get(id)) }).toEqual({ reading, runs: published.map((id) => (id === inFlight.eventId ? 2 : 1)) });
      expect({ reading, effects: tally(lines.filter((e) => e.kind === "effect").map((e) => e.eventId)) }).toEqual({ reading, effects: { ids: [...published].sort(), repeated: [] } });
      expect(lines.filter((e) => e.eventId === inFlight.eventId).map((e) => [e.kind, e.pid])).toEqual([["run", first.pid], ["run", second.pid], ["effect", second.pid]]);
      await assessEndState(run, published, ends);
      figures.set(`a-before-effect/${reading}`, figuresOf(run, published));
    });
    expect(await recordCount(admin, names.deadLetterTopic(GROUP))).toBe(0);
  });

  it("(b) killed after its effect, before its idempotency record is completed: exactly that effect runs twice, and the archive keyed by event id keeps it once", async () => {
    const { published, ends } = await publish();
    await bothReadings(async (reading) => {
      const { run, inFlight, first, second, lines } = await killProcess("after-effect", ends, reading);

      // Assess: exactly the interrupted record's handler and effect ran twice (once per process); every other once
      const runs = countEach(lines.filter((e) => e.kind === "run").map((e) => e.eventId));
      const effects = countEach(lines.filter((e) => e.kind === "effect").map((e) => e.eventId));
      const twiceForInterrupted = published.map((id) => (id === inFlight.eventId ? 2 : 1));
      expect({ reading, runs: published.map((id) => runs.get(id)), effects: published.map((id) => effects.get(id)) }).toEqual({ reading, runs: twiceForInterrupted, effects: twiceForInterrupted });
      expect(lines.filter((e) => e.eventId === inFlight.eventId).map((e) => [e.kind, e.pid])).toEqual([
        ["run", first.pid],
        ["effect", first.pid],
        ["run", second.pid],
        ["effect", second.pid],
      ]);

      // Assess: the end state is right because the effect is keyed by event id: one archive, fed every effect in order, keeps each event once
      const archive = new AuditArchive();
      const added = lines.filter((e) => e.kind === "effect").map((e) => archive.append("entity", { eventId: e.eventId, type: "", time: undefined, correlationId: undefined, data: null }));
      expect({ reading, archived: archive.size, repeatsRefused: added.filter((a) => !a).length }).toEqual({ reading, archived: published.length, repeatsRefused: 1 });
      await assessEndState(run, published, ends);
      figures.set(`b-after-effect/${reading}`, figuresOf(run, published));
    });
    expect(await recordCount(admin, names.deadLetterTopic(GROUP))).toBe(0);
  });

  it("(c) its container killed before the effect and the batch retried before the claim expired: the wrapper waits the claim out, each effect once, nothing dead-lettered", async () => {
    const { published, ends } = await publish();
    await bothReadings(async (reading) => {
      const run = await group(reading, CONTAINER_FUNCTION_TIMEOUT_SECONDS);
      const poller = run.start({ ...FREEZE, FREEZE_WHEN: "before-effect", FUNCTION_CONTAINER: "1" });
      const inFlight = await poller.line("in-flight", 60_000);
      const killed = inFlight.pid as number;
      const claim = await run.claim(inFlight.eventId);
      expect(claim).toMatchObject({ status: "INPROGRESS" });
      const expiresAt = claim!.in_progress_expiration as number;
      expect(Math.abs(expiresAt - inFlight.deadline)).toBeLessThanOrEqual(5); // the invocation's Lambda deadline

      // Act: kill the container once its invocation has run longer than the wrapper's reserve (see the header)
      const invokedAt = inFlight.deadline - CONTAINER_FUNCTION_TIMEOUT_SECONDS * 1000;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, invokedAt + CLAIM_WAIT_RESERVE_MS + 500 - Date.now())));
      process.kill(killed, "SIGKILL");
      const killedAt = Date.now();
      await signal.until(() => run.lines("container-exit").some((l) => l.pid === killed), "the killed container to be gone", 30_000);
      await drained(run, ends);
      await poller.kill("SIGTERM");

      // Assess: the kill came before the claim expired, and the poller stayed up throughout
      expect(killedAt).toBeLessThan(expiresAt);
      expect(run.lines("container-exit").find((l) => l.pid === killed)).toMatchObject({ signal: "SIGKILL" });
      expect(poller.exit).toEqual({ code: 0, signal: null });
      expect(run.lines("ready")).toHaveLength(1);

      // Assess: the retry reached a new container while the claim was live, and its effect came after the claim expired
      const lines = run.effectLines();
      const interrupted = lines.filter((e) => e.eventId === inFlight.eventId);
      const retriedIn = interrupted.find((e) => e.kind === "effect")!.pid;
      expect(interrupted.map((e) => [e.kind, e.pid])).toEqual([["run", killed], ["run", retriedIn], ["effect", retriedIn]]);
      expect(retriedIn).not.toBe(killed);
      const retry = run.lines("invoked").find((l) => l.pid === retriedIn && l.offsets.includes(inFlight.offset))!;
      expect(retry.at).toBeLessThan(expiresAt);
      expect(interrupted.at(-1)!.at).toBeGreaterThanOrEqual(expiresAt);

      // Assess: each effect exactly once, the handler twice for the interrupted record only; the crash the only failed invocation
      const runs = countEach(lines.filter((e) => e.kind === "run").map((e) => e.eventId));
      expect({ reading, runs: published.map((id) => runs.get(id)) }).toEqual({ reading, runs: published.map((id) => (id === inFlight.eventId ? 2 : 1)) });
      expect({ reading, effects: tally(lines.filter((e) => e.kind === "effect").map((e) => e.eventId)) }).toEqual({ reading, effects: { ids: [...published].sort(), repeated: [] } });
      expect({ reading, failed: run.lines("failed").map((f) => [f.cause, f.offsets]) }).toEqual({ reading, failed: [["function-error", inFlight.batch.offsets]] });
      await assessEndState(run, published, ends);
      figures.set(`c-container-retried-before-expiry/${reading}`, { ...figuresOf(run, published), claimLeftAtKillMs: expiresAt - killedAt });
    });
    expect(await recordCount(admin, names.deadLetterTopic(GROUP))).toBe(0);
  });
});
