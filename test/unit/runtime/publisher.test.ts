import { Kafka, logLevel } from "kafkajs";
import { MilestoneErrors } from "../../../platform/runtime/errors";
import { MilestonePublisher, milestoneHandler } from "../../../platform/runtime/publisher";
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

  it("is exposed as a Lambda handler that reports the same named errors", async () => {
    const handler = milestoneHandler(context, { kafka: unreachable });
    await expect(handler({ ...input, data: {} })).rejects.toMatchObject({ name: MilestoneErrors.InvalidEvent });
  });
});
