import type { Admin, Producer, ProducerConfig } from "kafkajs";
import { defineConsumer, names } from "../../platform/model";
import { type BatchStats, consume, type KafkaHandler } from "../../platform/runtime/consumer";
import { InMemoryPersistenceLayer } from "../../platform/runtime/idempotency";
import { type MilestoneResult, MilestonePublisher } from "../../platform/runtime/publisher";
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
  // The publisher's own client, watched: the producers it makes, and their connects and sends,
  // all passed through to the real broker.
  const publisherKafka = testKafka("runtime-roundtrip-publisher");
  const producers: Producer[] = [];

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await createTopics(admin, context.name, [group]);
    const makeProducer = publisherKafka.producer.bind(publisherKafka);
    jest.spyOn(publisherKafka, "producer").mockImplementation((config?: ProducerConfig) => {
      const producer = makeProducer(config);
      jest.spyOn(producer, "connect");
      jest.spyOn(producer, "send");
      producers.push(producer);
      return producer;
    });
    publisher = new MilestonePublisher(context, { kafka: publisherKafka });
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

  it("delivers 1,000 milestones of 50 entities once each, in order per entity, through one producer; a re-run republishes the same ids, handled once", async () => {
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
        const published: MilestoneResult[] = [];
        for (let step = 0; step < STEPS; step++) published.push(await publisher.publish({ ...milestone(entity, step), type }));
        return published;
      }),
    );
    const reader = kafka.consumer({ groupId: uniqueName("roundtrip-reader") });
    await reader.connect();
    const received = await consumeUntil(reader, topic, ENTITIES * STEPS);
    await reader.disconnect();
    const responses = [];
    for (const event of mskBatches(topic, received, 100)) responses.push(await handler(event));

    // Assess: one idempotent producer (acks=all), connected once for all 1,000 publishes
    expect(publisherKafka.producer).toHaveBeenCalledTimes(1);
    expect(publisherKafka.producer).toHaveBeenCalledWith(expect.objectContaining({ idempotent: true, maxInFlightRequests: 1 }));
    const [producer] = producers;
    expect(producer!.connect).toHaveBeenCalledTimes(1);
    const sends = jest.mocked(producer!.send).mock.calls.map(([record]) => record);
    expect(sends).toHaveLength(ENTITIES * STEPS);
    expect(sends.every((record) => record.topic === topic && record.acks === -1 && record.messages.length === 1)).toBe(true);

    // Assess: what publish returned is where the broker holds each event
    const coordinates = (r: { eventId: string; topic: string; partition: number; offset: string }) => `${r.eventId} ${r.topic}-${r.partition}@${r.offset}`;
    const stored = received.map(({ partition, message }) =>
      coordinates({ eventId: JSON.parse(message.value!.toString()).id, topic, partition, offset: message.offset }),
    );
    expect(results.flat().map(coordinates).sort()).toEqual(stored.sort());

    // Assess: every event once, nothing failed or dead-lettered
    expect(responses.every((r) => r.batchItemFailures.length === 0)).toBe(true);
    expect(handled).toHaveLength(ENTITIES * STEPS);
    expect(new Set(handled.map((h) => h.id)).size).toBe(ENTITIES * STEPS);
    expect(stats.reduce((sum, s) => sum + s.handled, 0)).toBe(ENTITIES * STEPS);
    expect(stats.reduce((sum, s) => sum + s.deadLettered + s.failed + s.duplicates, 0)).toBe(0);
    expect(handled.map((h) => h.id).sort()).toEqual(results.flat().map((r) => r.eventId).sort());

    // Assess: per entity, steps in order, correlated with the publishing execution
    for (let entity = 0; entity < ENTITIES; entity++) {
      const mine = handled.filter((h) => h.entityId === `entity-${entity}`);
      expect(mine.map((h) => h.step)).toEqual(Array.from({ length: STEPS }, (_, i) => i));
      expect(new Set(mine.map((h) => h.correlationId))).toEqual(new Set([execution(entity)]));
    }

    // Act: re-run a sample of the same executions (every 10th entity, all its milestones)
    const sample = Array.from({ length: ENTITIES / 10 }, (_, i) => i * 10);
    const rerun = (
      await Promise.all(
        sample.map(async (entity) => {
          const published: MilestoneResult[] = [];
          for (let step = 0; step < STEPS; step++) published.push(await publisher.publish({ ...milestone(entity, step), type }));
          return published;
        }),
      )
    ).flat();
    const rereader = kafka.consumer({ groupId: uniqueName("rerun-reader") });
    await rereader.connect();
    const republished = new Set(rerun.map((r) => `${r.partition}@${r.offset}`));
    const again = (await consumeUntil(rereader, topic, ENTITIES * STEPS + rerun.length)).filter(({ partition, message }) =>
      republished.has(`${partition}@${message.offset}`),
    );
    await rereader.disconnect();
    const statsBefore = stats.length;
    const rerunResponses = [];
    for (const event of mskBatches(topic, again, 100)) rerunResponses.push(await handler(event));

    // Assess: the broker holds new records carrying the first run's ids, and the group counts them as duplicates
    const original = sample.flatMap((entity) => results[entity]!.map((r) => r.eventId));
    expect(again).toHaveLength(rerun.length);
    expect(rerun.map((r) => r.eventId)).toEqual(original);
    expect(again.map(({ message }) => JSON.parse(message.value!.toString()).id as string).sort()).toEqual([...original].sort());
    expect(rerunResponses.every((r) => r.batchItemFailures.length === 0)).toBe(true);
    const rerunStats = stats.slice(statsBefore);
    expect(rerunStats.reduce((sum, s) => sum + s.duplicates, 0)).toBe(rerun.length);
    expect(rerunStats.reduce((sum, s) => sum + s.handled + s.deadLettered + s.failed, 0)).toBe(0);
    expect(handled).toHaveLength(ENTITIES * STEPS);
    expect(producer!.connect).toHaveBeenCalledTimes(1);
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
