import { Logger } from "@aws-lambda-powertools/logger";
import { Kafka, logLevel } from "kafkajs";
import { toMskEvent } from "../../../platform/local/event-source-mapping";
import { defineConsumer, defineContext, names } from "../../../platform/model";
import { consume, ConsumerInputError, type KafkaHandler } from "../../../platform/runtime/consumer";
import { toCloudEvent, toKafkaRecord } from "../../../platform/runtime/envelope";
import {
  InvalidEventError,
  MilestoneErrors,
  MilestoneInputError,
  PublishFailedError,
  RuntimeConfigError,
  RuntimeError,
  UnknownEventError,
} from "../../../platform/runtime/errors";
import { EventInProgressError, InMemoryPersistenceLayer, once } from "../../../platform/runtime/idempotency";
import { kafkaSettingsFromEnv } from "../../../platform/runtime/kafka";
import { MilestonePublisher } from "../../../platform/runtime/publisher";
import { startsWorkflow } from "../../../platform/runtime/consumer-starts-workflow";
import { RecordingWorkflowStarter, WorkflowStartError } from "../../../platform/runtime/workflow-starter";
import { silentLogger, testContext } from "../../support/runtime";

// Every error is raised where the runtime raises it, so the messages asserted are the real ones.

// Nothing listens on port 1: a publish fails fast; valid records never touch it.
const unreachable = new Kafka({ clientId: "unreachable", brokers: ["127.0.0.1:1"], logLevel: logLevel.NOTHING, connectionTimeout: 300, retry: { retries: 0 } });
const context = testContext();
const type = context.events.StepReached.type;
const topic = names.contextTopic(context.name);
const milestone = { type, key: "e1", data: { entityId: "e1", step: 1 }, executionId: "arn:aws:states:eu-west-1:1:execution:sm:run", state: "Step1" };

function delivery() {
  const record = toKafkaRecord(toCloudEvent({ ...milestone, event: context.events.StepReached }));
  const message = { key: Buffer.from(record.key), value: Buffer.from(record.value), headers: record.headers, offset: "7", timestamp: "1", attributes: 0 };
  return { event: toMskEvent([{ topic, partition: 0, messages: [message] }]), id: JSON.parse(record.value).id as string };
}

/** The wrapper reports a handler's error as a failed record and logs it: the error it logged. */
async function loggedFailure(handler: KafkaHandler, event: unknown): Promise<unknown> {
  const logged = jest.spyOn(Logger.prototype, "error");
  try {
    const response = await handler(event);
    expect(response.batchItemFailures).toHaveLength(1);
    const call = logged.mock.calls.find(([message]) => message === "handler failed; the record will be retried");
    return (call?.[1] as { error?: unknown } | undefined)?.error;
  } finally {
    logged.mockRestore();
  }
}

function expectRuntimeError(error: unknown, type: abstract new (...args: never[]) => RuntimeError, name: string) {
  expect(error).toBeInstanceOf(type);
  expect(error).toBeInstanceOf(RuntimeError);
  expect((error as Error).name).toBe(name);
}

describe("runtime errors", () => {
  let publisher: MilestonePublisher;
  beforeEach(() => {
    publisher = new MilestonePublisher(context, { kafka: unreachable });
  });
  afterEach(async () => {
    await publisher.close();
  });

  it("RuntimeError is an Error named RuntimeError that carries its cause", () => {
    const cause = new Error("root");
    const error = new RuntimeError("boom", { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: "RuntimeError", message: "boom", cause });
  });

  it.each([
    [{}, ["ENSEMBLE_KAFKA_BROKERS", "KAFKA_BROKERS", "Set "]],
    [{ KAFKA_BROKERS: "b:1", ENSEMBLE_KAFKA_AUTH: "scram" }, ['ENSEMBLE_KAFKA_AUTH="scram"', "Set ENSEMBLE_KAFKA_AUTH=iam", "or unset it"]],
    [{ KAFKA_BROKERS: "b:1", ENSEMBLE_KAFKA_AUTH: "iam" }, ["AWS_REGION", "Set AWS_REGION to the cluster's region"]],
  ])("RuntimeConfigError from kafkaSettingsFromEnv(%j) names the client, the variable and the fix", (env, parts) => {
    // Act
    const error = (() => {
      try {
        return kafkaSettingsFromEnv("orders-publisher", env);
      } catch (e) {
        return e;
      }
    })();

    // Assess
    expectRuntimeError(error, RuntimeConfigError, "RuntimeConfigError");
    expect((error as Error).message).toMatch(/^orders-publisher: /);
    for (const part of parts) expect((error as Error).message).toContain(part);
  });

  it("RuntimeConfigError from once() and startsWorkflow() names the group", () => {
    const ttl = (() => {
      try {
        return once(async () => {}, { group: "notify-customer", key: () => "e1", ttlSeconds: 0, store: new InMemoryPersistenceLayer() });
      } catch (e) {
        return e;
      }
    })();
    expectRuntimeError(ttl, RuntimeConfigError, "RuntimeConfigError");
    expect((ttl as Error).message).toContain('Consumer group "notify-customer"');

    const noStart = defineConsumer({ name: "start-nothing", on: [context.events.StepReached] });
    expect(() => startsWorkflow(noStart, { input: () => ({}) })).toThrow(
      new RuntimeConfigError('Consumer group "start-nothing" declares no startWorkflow; add startWorkflow: <context> to its definition.'),
    );
  });

  it("Milestone.InvalidInput names the event type when the input has one, the context and its topic", async () => {
    const withType = await publisher.publish({ ...milestone, executionId: undefined }).catch((e: unknown) => e);
    const withoutType = await publisher.publish({ key: "e1" }).catch((e: unknown) => e);

    expectRuntimeError(withType, MilestoneInputError, MilestoneErrors.InvalidInput);
    expect((withType as Error).message).toMatch(
      new RegExp(`^Milestone task input ${type.replace(".", "\\.")} for context "${context.name}" \\(topic ${context.name}\\.events\\) is invalid: executionId: `),
    );
    expectRuntimeError(withoutType, MilestoneInputError, MilestoneErrors.InvalidInput);
    expect((withoutType as Error).message).toMatch(new RegExp(`^Milestone task input for context "${context.name}" \\(topic ${context.name}\\.events\\) is invalid: type: `));
  });

  it("Milestone.UnknownEvent names the type, the context and the topic", async () => {
    const error = await publisher.publish({ ...milestone, type: `${context.name}.Nope` }).catch((e: unknown) => e);
    expectRuntimeError(error, UnknownEventError, MilestoneErrors.UnknownEvent);
    expect((error as Error).message).toContain(`"${context.name}.Nope"`);
    expect((error as Error).message).toContain(`Context "${context.name}"`);
    expect((error as Error).message).toContain(`topic ${topic}`);
  });

  it("Milestone.InvalidEvent names the type and lists the problems", async () => {
    const error = await publisher.publish({ ...milestone, data: { entityId: "e1", step: -1 } }).catch((e: unknown) => e);
    expectRuntimeError(error, InvalidEventError, MilestoneErrors.InvalidEvent);
    expect((error as Error).message).toMatch(new RegExp(`^${type.replace(".", "\\.")} data does not match its schema: step: `));
  });

  it("Milestone.PublishFailed names the type, the event id, the key and the topic", async () => {
    const error = await publisher.publish(milestone).catch((e: unknown) => e);
    expectRuntimeError(error, PublishFailedError, MilestoneErrors.PublishFailed);
    const message = (error as Error).message;
    expect(message).toContain(type);
    expect(message).toContain(publisher.eventIdOf(milestone));
    expect(message).toContain("(key e1)");
    expect(message).toContain(`topic ${topic}`);
  });

  it("ConsumerInputError names the group", async () => {
    const handler = consume(defineConsumer({ name: "audit", on: [context.events.StepReached] }), () => {}, { kafka: unreachable, logger: silentLogger() });
    const error = await handler({ eventSource: "aws:sqs" }).catch((e: unknown) => e);
    expectRuntimeError(error, ConsumerInputError, "ConsumerInputError");
    expect((error as Error).message).toContain('Consumer group "audit"');
  });

  it("EventInProgressError from the consumer wrapper names the type, the event id, the topic and the group", async () => {
    // Prepare: the first delivery's handler holds the event until the duplicate has failed
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const group = "notify-customer";
    const handler = consume(
      defineConsumer({ name: group, on: [context.events.StepReached] }),
      async () => {
        started();
        await held;
      },
      { kafka: unreachable, logger: silentLogger(), idempotency: new InMemoryPersistenceLayer() },
    );
    const { event, id } = delivery();
    const first = handler(event);
    await running;

    // Act
    const error = await loggedFailure(handler, event);
    release();
    await first;

    // Assess
    expectRuntimeError(error, EventInProgressError, "EventInProgressError");
    expect(error).toMatchObject({ group, eventId: id, eventType: type, topic });
    expect((error as Error).message).toBe(
      `Event "${id}" (${type}) from topic ${topic} is already being handled by consumer group "${group}" (a concurrent duplicate delivery); retry it later.`,
    );
  });

  it("WorkflowStartError from a workflow-starting group names the type, the event id, the group and the state machine", async () => {
    // Prepare
    const target = defineContext({ name: "shipping", events: [] });
    const group = "start-shipping";
    const starter = new RecordingWorkflowStarter({ fail: () => Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }) });
    const handler = startsWorkflow(defineConsumer({ name: group, on: [context.events.StepReached], startWorkflow: target }), {
      starter,
      stateMachine: "shipping",
      input: () => ({}),
      kafka: unreachable,
      logger: silentLogger(),
      idempotency: new InMemoryPersistenceLayer(),
    });
    const { event, id } = delivery();

    // Act
    const error = await loggedFailure(handler, event);

    // Assess
    expectRuntimeError(error, WorkflowStartError, "WorkflowStartError");
    expect(starter.requests).toEqual([expect.objectContaining({ eventId: id, eventType: type, group })]);
    expect((error as Error).message).toMatch(
      new RegExp(`^Could not start execution "[^"]+" of state machine shipping for event ${type.replace(".", "\\.")} ${id} of consumer group "${group}": ThrottlingException: Rate exceeded\\. Retryable`),
    );
  });
});
