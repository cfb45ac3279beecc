import type { Admin, Producer } from "kafkajs";
import * as z from "zod";
import { redriveCli, RedriveExit } from "../../commands/redrive";
import { LocalEventSourceMapping, PartialBatchReading } from "../../platform/local/event-source-mapping";
import { defineConsumer, names } from "../../platform/model";
import { RedriveOutcome, redriveGroupId, type RedriveReport } from "../../platform/redrive";
import { consume } from "../../platform/runtime/consumer";
import { toCloudEvent, toKafkaRecord } from "../../platform/runtime/envelope";
import context from "../fixtures/redrive-group/context";
import group from "../fixtures/redrive-group/consumer";
import { apply, effects, handler, state } from "../fixtures/redrive-group/handler";
import { createPartitioner, testKafka, uniqueName } from "../support/kafka";
import { createTopics, recordCount, silentLogger } from "../support/runtime";
import { Signal } from "../support/wait";

jest.setTimeout(120_000);

const topology = { contexts: [context], consumers: [group] };
const dlq = names.deadLetterTopic(group.name);
const topic = names.contextTopic(context.name);

describe("npm run redrive", () => {
  const kafka = testKafka("redrive");
  const stack = uniqueName("rd").slice(0, 11);
  let admin: Admin;
  let producer: Producer;
  /** What each record published to the context topic is, by entity and step. */
  const published = new Map<string, string>();

  beforeAll(async () => {
    admin = kafka.admin();
    producer = kafka.producer({ createPartitioner });
    await Promise.all([admin.connect(), producer.connect()]);
    await createTopics(admin, context.name, [group.name]);
  });

  afterAll(async () => {
    await handler.close();
    await Promise.all([producer.disconnect(), admin.disconnect()]);
  });

  /** Runs the CLI in this process; its report is kept as text. */
  async function run(...argv: string[]): Promise<{ exitCode: number; report: RedriveReport; text: string }> {
    let text = "";
    const errors: string[] = [];
    const { exitCode, report } = await redriveCli(argv, { topology, out: (t) => void (text += t), err: (t) => void errors.push(t) });
    if (!report) throw new Error(`redrive did not run (exit ${exitCode}): ${errors.join("")}`);
    return { exitCode, report, text };
  }

  const committed = async (groupId: string) => {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [dlq] });
    return Object.fromEntries(offsets!.partitions.map((p) => [p.partition, Number(p.offset)]));
  };
  const ids = () => effects.map((e) => e.id);

  const step = (entity: string, n: number) =>
    toCloudEvent({ event: context.events.StepReached, key: entity, data: { entityId: entity, step: n }, executionId: `arn:aws:states:local:000000000000:execution:rd:${entity}`, state: `Step${n}` });
  const finished = (entity: string) =>
    toCloudEvent({ event: context.events.Finished, key: entity, data: { entityId: entity, steps: 6 }, executionId: `arn:aws:states:local:000000000000:execution:rd:${entity}`, state: "Finished" });

  it("dead-letters, under a broken deployment, records of both formats and a poison one", async () => {
    // Prepare: a and b take steps 0-5 and finish; c sends a step the schema refuses
    const events = ["a", "b"].flatMap((entity) => [...[0, 1, 2, 3, 4, 5].map((n) => step(entity, n)), finished(entity)]);
    for (const event of events) published.set(`${event.subject}/${event.type.endsWith("Finished") ? "finished" : (event.data as { step: number }).step}`, event.id);
    const poison = toKafkaRecord(step("c", 0));
    const schemaInvalid = { ...poison, value: poison.value.replace('"step":0', '"step":-1') };
    published.set("c/-1", JSON.parse(schemaInvalid.value).id as string);
    await producer.send({ topic, acks: -1, messages: [...events.map((event) => toKafkaRecord(event)), schemaInvalid] });

    // The previous deployment: it read Finished with a schema that capped steps at 5, and its handler threw on step 3.
    const cappedFinished = { ...context.events.Finished, schema: z.object({ entityId: z.string(), steps: z.number().int().max(5) }) };
    const broken = consume(defineConsumer({ name: group.name, on: [context.events.StepReached, cappedFinished], retries: group.retries }), (event) => apply(event), {
      kafka,
      logger: silentLogger(),
    });
    state.broken = true;
    const signal = new Signal();
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
    const done = new Map<number, number>();
    const mapping = new LocalEventSourceMapping({
      kafka,
      group: group.name,
      groupId: names.consumerGroupId(stack, group.name, context.name),
      topic,
      handler: broken,
      retries: group.retries,
      // Only the failing step is given up on under this reading (under the other, the entity's later steps go with it).
      partialBatchReading: PartialBatchReading.CheckpointAtLowest,
      onFailureTopic: dlq,
      observer: { onCommit: ({ partition, offset }) => (done.set(partition, offset), signal.notify()) },
    });

    // Act
    try {
      await mapping.start();
      await signal.until(() => [...ends].every(([p, end]) => end === 0 || done.get(p) === end), "the broken deployment to get through the topic");
    } finally {
      await mapping.stop();
      await broken.close();
    }

    // Assess: steps 3 went to the dead-letter topic as on-failure records, Finished and c's step as poison records
    expect(effects.map((e) => `${e.entity}/${e.type.split(".")[1]}`).sort()).toEqual(
      ["a", "b"].flatMap((entity) => [0, 1, 2, 4, 5].map(() => `${entity}/StepReached`)).sort(),
    );
    expect(await recordCount(admin, dlq)).toBe(5);
  });

  it("--dry-run lists what would move, what still fails and why, and changes nothing", async () => {
    // Prepare
    const before = ids();

    // Act
    const { exitCode, report, text } = await run(group.name, "--dry-run", "--stack", stack);

    // Assess
    expect(exitCode).toBe(RedriveExit.StillFailing);
    expect([report.moved, report.duplicates, report.failing]).toEqual([4, 0, 1]);
    const byEvent = Object.fromEntries(report.items.map((item) => [item.eventId, item]));
    for (const [entity, format, reason] of [
      ["a/3", "on-failure", "retries-exhausted"],
      ["b/3", "on-failure", "retries-exhausted"],
      ["a/finished", "poison", "schema-invalid"],
      ["b/finished", "poison", "schema-invalid"],
    ] as const) {
      expect({ entity, ...byEvent[published.get(entity)!] }).toMatchObject({
        entity,
        format,
        reason,
        outcome: RedriveOutcome.WouldMove,
        source: { topic, partition: expect.any(Number), offset: expect.any(Number) },
        type: entity.endsWith("finished") ? context.events.Finished.type : context.events.StepReached.type,
      });
    }
    expect(byEvent[published.get("c/-1")!]).toMatchObject({ format: "poison", reason: "schema-invalid", outcome: RedriveOutcome.Failing, failure: expect.stringMatching(/^schema-invalid: .*step/) });
    expect(text).toContain("would move 4, already handled (duplicates) 0, still failing 1");
    expect(text).toContain("dry run: nothing invoked, nothing committed");
    expect(ids()).toEqual(before);
    expect(Object.values(await committed(redriveGroupId(stack, group.name))).every((offset) => offset < 0)).toBe(true);
  });

  it("after the fix, moves the dead-lettered records: each effect exactly once; the poison record stays failing and is not committed past", async () => {
    // Prepare: the fix
    state.broken = false;
    const before = ids();

    // Act
    const { exitCode, report, text } = await run(group.name, "--stack", stack);

    // Assess: four moved, one still failing with its reason
    expect(exitCode).toBe(RedriveExit.StillFailing);
    expect([report.moved, report.duplicates, report.failing]).toEqual([4, 0, 1]);
    const moved = ids().slice(before.length);
    expect(moved.sort()).toEqual(["a/3", "b/3", "a/finished", "b/finished"].map((key) => published.get(key)!).sort());
    expect(new Set(ids()).size).toBe(ids().length);
    expect(ids()).toHaveLength(14);
    const failing = report.items.find((item) => item.outcome === RedriveOutcome.Failing)!;
    expect(failing.eventId).toBe(published.get("c/-1"));
    expect(text).toContain("moved 4, already handled (duplicates) 0, still failing 1");
    expect(text).toMatch(/Still failing:\n {2}\d+@\d+ \(.*\) .* schema-invalid: /);

    // Assess: committed to the end of every partition but the poison record's, where it stays on that record
    const ends = new Map((await admin.fetchTopicOffsets(dlq)).map((p) => [p.partition, Number(p.high)]));
    expect(report.heldAt).toEqual([failing.dlq]);
    const offsets = await committed(redriveGroupId(stack, group.name));
    for (const [partition, end] of ends) {
      // Where the next redrive starts reading: the committed offset, or the start (0) when there is none.
      const next = Math.max(offsets[partition]!, 0);
      expect({ partition, next }).toEqual({ partition, next: partition === failing.dlq.partition ? failing.dlq.offset : end });
    }
  });

  it("run again, moves nothing: it retries only the poison record and what follows it", async () => {
    // Prepare
    const before = ids();
    const offsetsBefore = await committed(redriveGroupId(stack, group.name));

    // Act
    const { exitCode, report } = await run(group.name, "--stack", stack);

    // Assess
    expect(exitCode).toBe(RedriveExit.StillFailing);
    expect(report.moved).toBe(0);
    expect(report.failing).toBe(1);
    expect(report.items.filter((item) => item.outcome !== RedriveOutcome.Failing).every((item) => item.outcome === RedriveOutcome.Duplicate)).toBe(true);
    expect(ids()).toEqual(before);
    expect(await committed(redriveGroupId(stack, group.name))).toEqual(offsetsBefore);
  });

  it("with its progress lost (another stack's redrive group), repeats no effect: idempotency skips every handled id; --limit stops and the next run goes on", async () => {
    // Prepare
    const before = ids();
    const other = `${stack}-x`;

    // Act
    const first = await run(group.name, "--stack", other, "--limit", "2");
    const second = await run(group.name, "--stack", other);
    const dryRun = await run(group.name, "--stack", other, "--dry-run");

    // Assess
    expect(first.report.items.map((item) => item.dlq)).toHaveLength(2);
    expect(first.report.remaining).toBe(3);
    const all = [...first.report.items, ...second.report.items];
    expect(new Set(all.map((item) => `${item.dlq.partition}@${item.dlq.offset}`)).size).toBe(5);
    // A record after the still-failing one is read by both runs, and skipped by both.
    expect(new Set(all.filter((item) => item.outcome === RedriveOutcome.Duplicate).map((item) => `${item.dlq.partition}@${item.dlq.offset}`)).size).toBe(4);
    expect(all.filter((item) => item.outcome === RedriveOutcome.Moved)).toHaveLength(0);
    // The poison record fails in every run that reads it (the first may not get to it before its limit).
    expect([...new Set(all.filter((item) => item.outcome === RedriveOutcome.Failing).map((item) => item.eventId))]).toEqual([published.get("c/-1")]);
    expect(second.report.items.filter((item) => item.outcome === RedriveOutcome.Failing).map((item) => item.eventId)).toEqual([published.get("c/-1")]);
    expect(second.report.remaining).toBe(0);
    expect(ids()).toEqual(before);
    expect(dryRun.report.moved).toBe(0);
  });

  it("says so when the group has no dead-letter topic, and rejects an unknown group", async () => {
    // Act
    let text = "";
    let errors = "";
    const lonely = defineConsumer({ name: uniqueName("no-dlq"), on: [context.events.StepReached], handler: "../fixtures/redrive-group/handler.ts" });
    const none = await redriveCli([lonely.name, "--stack", stack], { topology: { contexts: [context], consumers: [group, lonely] }, out: (t) => void (text += t) });
    const unknown = await redriveCli([`${group.name}x`, "--stack", stack], { topology, err: (t) => void (errors += t) });

    // Assess
    expect(none.exitCode).toBe(RedriveExit.Ok);
    expect(text).toContain(`${names.deadLetterTopic(lonely.name)} does not exist on this broker`);
    expect(unknown.exitCode).toBe(RedriveExit.Error);
    expect(errors).toContain(`No consumer group "${group.name}x" (did you mean "${group.name}"?)`);
  });
});
