import type { Admin } from "kafkajs";
import { defineConsumer, names } from "../../platform/model";
import { type BatchStats, consume, type KafkaHandler } from "../../platform/runtime/consumer";
import { InMemoryPersistenceLayer } from "../../platform/runtime/idempotency";
import { MilestonePublisher } from "../../platform/runtime/publisher";
import { consumeUntil, testKafka, uniqueName } from "../support/kafka";
import { createTopics, mskBatches, recordCount, silentLogger, testContext } from "../support/runtime";

const ENTITIES = 50;
const STEPS = 20; // 50 entities x 20 milestones = 1,000 events
const execution = (entity: number) => `arn:aws:states:eu-west-1:123456789012:execution:test-sm:entity-${entity}`;
const milestone = (entity: number, step: number) => ({
  type: "",
  key: `entity-${entity}`,
  data: { entityId: `entity-${entity}`, step },
  executionId: execution(entity),
  state: `Step${step}`,
});

describe("publisher -> broker -> consumer wrapper", () => {
  const kafka = testKafka("runtime-roundtrip");
  const context = testContext();
  const topic = names.contextTopic(context.name);
  const group = uniqueName("roundtrip-group");
  const consumer = defineConsumer({ name: group, on: [context.events.StepReached, context.events.Finished] });
  let admin: Admin;
  let publisher: MilestonePublisher;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await createTopics(admin, context.name, [group]);
    publisher = new MilestonePublisher(context, { kafka });
  });

  afterAll(async () => {
    await publisher.close();
    await admin.disconnect();
  });

  // Handlers keep a dead-letter connection open: close them even when a test fails.
  const handlers: KafkaHandler[] = [];
  const track = (handler: KafkaHandler) => (handlers.push(handler), handler);
  afterEach(async () => {
    await Promise.all(handlers.splice(0).map((h) => h.close()));
  });

  it("delivers 1,000 milestones of 50 entities once each, in order per entity, with ids a re-run reproduces", async () => {
    // Prepare
    const type = context.events.StepReached.type;
    const handled: { id: string; entityId: string; step: number; correlationId: string | undefined }[] = [];
    const stats: BatchStats[] = [];
    const handler = track(consume(
      consumer,
      (event, { correlationId }) => {
        if (event.type === type) handled.push({ id: event.id, ...event.data, correlationId });
      },
      { kafka, logger: silentLogger(), idempotency: new InMemoryPersistenceLayer(), onBatch: (s) => stats.push(s) },
    ));

    // Act: entities publish concurrently, each entity's steps in order
    const results = await Promise.all(
      Array.from({ length: ENTITIES }, async (_, entity) => {
        const ids: string[] = [];
        for (let step = 0; step < STEPS; step++) ids.push((await publisher.publish({ ...milestone(entity, step), type })).eventId);
        return ids;
      }),
    );
    const reader = kafka.consumer({ groupId: uniqueName("roundtrip-reader") });
    await reader.connect();
    const received = await consumeUntil(reader, topic, ENTITIES * STEPS);
    await reader.disconnect();
    const responses = [];
    for (const event of mskBatches(topic, received, 100)) responses.push(await handler(event));

    // Assess: every event once, nothing failed or dead-lettered
    expect(responses.every((r) => r.batchItemFailures.length === 0)).toBe(true);
    expect(handled).toHaveLength(ENTITIES * STEPS);
    expect(new Set(handled.map((h) => h.id)).size).toBe(ENTITIES * STEPS);
    expect(stats.reduce((sum, s) => sum + s.handled, 0)).toBe(ENTITIES * STEPS);
    expect(stats.reduce((sum, s) => sum + s.deadLettered + s.failed + s.duplicates, 0)).toBe(0);

    // Assess: per entity, steps in order, correlated with the publishing execution
    for (let entity = 0; entity < ENTITIES; entity++) {
      const mine = handled.filter((h) => h.entityId === `entity-${entity}`);
      expect(mine.map((h) => h.step)).toEqual(Array.from({ length: STEPS }, (_, i) => i));
      expect(new Set(mine.map((h) => h.correlationId))).toEqual(new Set([execution(entity)]));
    }

    // Assess: re-running the same executions yields the same ids
    const rerun = Array.from({ length: ENTITIES }, (_, entity) =>
      Array.from({ length: STEPS }, (_, step) => publisher.eventIdOf({ ...milestone(entity, step), type })),
    );
    expect(rerun).toEqual(results);
    expect(handled.map((h) => h.id).sort()).toEqual(results.flat().sort());
  });

  it("gives a publish repeated for the same execution and state the same id, and the consumer one effect", async () => {
    // Prepare
    const type = context.events.Finished.type;
    const effects: string[] = [];
    const stats: BatchStats[] = [];
    const handler = track(consume(consumer, (event) => void effects.push(event.id), {
      kafka,
      logger: silentLogger(),
      idempotency: new InMemoryPersistenceLayer(),
      onBatch: (s) => stats.push(s),
    }));
    const input = { type, key: "entity-x", data: { entityId: "entity-x", steps: 3 }, executionId: execution(999), state: "Done" };
    const before = await recordCount(admin, topic);

    // Act: the task is retried after a publish whose answer was lost
    const first = await publisher.publish(input);
    const second = await publisher.publish(input);
    const reader = kafka.consumer({ groupId: uniqueName("duplicate-reader") });
    await reader.connect();
    const received = (await consumeUntil(reader, topic, before + 2)).filter((r) => r.message.key?.toString() === "entity-x");
    await reader.disconnect();
    for (const event of mskBatches(topic, received, 100)) await handler(event);

    // Assess
    expect(second.eventId).toBe(first.eventId);
    expect(await recordCount(admin, topic)).toBe(before + 2);
    expect(received).toHaveLength(2);
    expect(effects).toEqual([first.eventId]);
    expect(stats.reduce((sum, s) => sum + s.duplicates, 0)).toBe(1);
  });
});
