import { Kafka, logLevel } from "kafkajs";
import { MilestoneErrors } from "../../../platform/runtime/errors";
import { MilestonePublisher, milestoneHandler } from "../../../platform/runtime/publisher";
import * as z from "zod";
import { defineContext, defineEvent, TOPIC_MAX_MESSAGE_BYTES } from "../../../platform/model";
import { uniqueName } from "../../support/kafka";
import { testContext } from "../../support/runtime";

// Nothing listens on port 1: any attempt to publish fails fast.
const unreachable = new Kafka({ clientId: "unreachable", brokers: ["127.0.0.1:1"], logLevel: logLevel.NOTHING, connectionTimeout: 300, retry: { retries: 0 } });

describe("the milestone publisher, before and without a broker", () => {
  const context = testContext();
  const type = context.events.StepReached.type;
  const input = { type, key: "e1", data: { entityId: "e1", step: 1 }, executionId: "arn:aws:states:eu-west-1:1:execution:sm:run", state: "Step1" };
  let publisher: MilestonePublisher;

  beforeEach(() => {
    publisher = new MilestonePublisher(context, { kafka: unreachable });
  });

  afterEach(async () => {
    await publisher.close();
  });

  it("fails a schema-invalid event with Milestone.InvalidEvent, listing each problem", async () => {
    // Act
    const act = publisher.publish({ ...input, data: { entityId: 7, step: -1 } });

    // Assess
    await expect(act).rejects.toMatchObject({
      name: MilestoneErrors.InvalidEvent,
      message: expect.stringMatching(new RegExp(`^${type.replace(".", "\\.")} data does not match its schema: entityId: .+; step: .+$`)),
      problems: [expect.stringMatching(/^entityId: /), expect.stringMatching(/^step: /)],
    });
  });

  it("fails an event its context does not declare with Milestone.UnknownEvent", async () => {
    await expect(publisher.publish({ ...input, type: `${context.name}.Nope` })).rejects.toMatchObject({
      name: MilestoneErrors.UnknownEvent,
      message: `Context "${context.name}" declares no event "${context.name}.Nope" (declared: ${context.name}.StepReached, ${context.name}.Finished), so it cannot go to topic ${context.name}.events; fix the milestone's type.`,
    });
  });

  it("fails a malformed task input with Milestone.InvalidInput", async () => {
    await expect(publisher.publish({ ...input, executionId: undefined, mapIndex: -1 })).rejects.toMatchObject({
      name: MilestoneErrors.InvalidInput,
      message: expect.stringContaining(`Milestone task input ${type} for context "${context.name}" (topic ${context.name}.events) is invalid: executionId: `),
    });
  });

  it("fails with the retryable Milestone.PublishFailed, naming event, id and topic, when the broker is unreachable", async () => {
    const id = publisher.eventIdOf(input);
    await expect(publisher.publish(input)).rejects.toMatchObject({
      name: MilestoneErrors.PublishFailed,
      message: expect.stringMatching(
        new RegExp(`^Could not publish ${type.replace(".", "\\.")} ${id} \\(key e1\\) to topic ${context.name}\\.events: .+ Retrying the task publishes the same event id\\.$`),
      ),
    });
  });

  it("refuses an event over its topic's max.message.bytes before sending, naming type, size and limit", async () => {
    // Prepare: a context whose event carries a free-form note, and a note of 1 MiB
    const Noted = defineEvent({ name: "Noted", schema: z.object({ note: z.string() }) });
    const notes = defineContext({ name: uniqueName("notes"), events: [Noted] });
    const big = new MilestonePublisher(notes, { kafka: unreachable });

    // Act
    const act = big.publish({ type: notes.events.Noted.type, key: "k", data: { note: "x".repeat(1024 * 1024) }, executionId: "arn:x", state: "Noted" });

    // Assess: refused as too large, not as unreachable (it never tried to send)
    await expect(act).rejects.toMatchObject({
      name: MilestoneErrors.EventTooLarge,
      limit: TOPIC_MAX_MESSAGE_BYTES,
      bytes: expect.any(Number),
      message: expect.stringMatching(new RegExp(`^${notes.name}\\.Noted is 10[0-9]{5} bytes as a record, over the 1048588-byte limit of topic ${notes.name}\\.events \\(max\\.message\\.bytes\\)`)),
    });
    await big.close();
  });

  it("is exposed as a Lambda handler that reports the same named errors", async () => {
    const handler = milestoneHandler(context, { kafka: unreachable });
    await expect(handler({ ...input, data: {} })).rejects.toMatchObject({ name: MilestoneErrors.InvalidEvent });
  });
});
