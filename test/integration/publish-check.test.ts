import type { Admin } from "kafkajs";
import { names } from "../../platform/model";
import { MilestonePublisher } from "../../platform/runtime/publisher";
import { consumeUntil, testKafka, uniqueName } from "../support/kafka";
import { createTopics, recordCount, testContext } from "../support/runtime";

describe("a retried or redriven publish looks for the earlier attempt's record first", () => {
  const kafka = testKafka("publish-check");
  const context = testContext();
  const topic = names.contextTopic(context.name);
  const enteredTime = new Date().toISOString();
  const input = (entity: string, extra: Record<string, unknown> = {}) => ({
    type: context.events.StepReached.type,
    key: entity,
    data: { entityId: entity, step: 1 },
    executionId: `arn:aws:states:local:000000000000:execution:check:${entity}`,
    state: "Step1",
    enteredTime,
    executionStartTime: enteredTime,
    ...extra,
  });
  let admin: Admin;
  let publisher: MilestonePublisher;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await createTopics(admin, context.name, []);
    publisher = new MilestonePublisher(context, { kafka });
  });

  afterAll(async () => {
    await publisher.close();
    await admin.disconnect();
  });

  it("finds it on a retry and on a redrive, and sends nothing; publishes what no attempt wrote", async () => {
    // Prepare: a first attempt that went through
    const first = await publisher.publish(input("e1", { attempt: 0 }));

    // Act
    const retried = await publisher.publish(input("e1", { attempt: 2 }));
    const redriven = await publisher.publish(input("e1", { attempt: 0, redriveCount: 1 }));
    const neverWritten = await publisher.publish(input("e2", { attempt: 1 }));

    // Assess
    expect(first.alreadyPublished).toBe(false);
    expect(retried).toEqual({ ...first, alreadyPublished: true });
    expect(redriven).toEqual({ ...first, alreadyPublished: true });
    expect(neverWritten).toMatchObject({ eventId: publisher.eventIdOf(input("e2")), alreadyPublished: false });
    expect(await recordCount(admin, topic)).toBe(2);
    const reader = kafka.consumer({ groupId: uniqueName("check-reader") });
    await reader.connect();
    const records = await consumeUntil(reader, topic, 2);
    await reader.disconnect();
    expect(records.map((r) => (JSON.parse(r.message.value!.toString()) as { id: string }).id).sort()).toEqual([first.eventId, neverWritten.eventId].sort());
  });
});
