import type { Kafka } from "kafkajs";
import { orders } from "../../../contexts";
import { BrokerError, BrokerUnavailableError } from "../../../platform/broker/errors";
import { startBroker } from "../../../platform/broker/start-broker";
import {
  ExecutionAlreadyExistsError,
  FunctionTimedOutError,
  HandlerNotFoundError,
  InvalidFilterPatternError,
  LocalError,
  MappingSettingsError,
} from "../../../platform/local/errors";
import { compileFilters, LocalEventSourceMapping } from "../../../platform/local/event-source-mapping";
import { loadHandler } from "../../../platform/local/runtime";
import { LocalStateMachine } from "../../../platform/local/state-machine";
import { defineConsumer } from "../../../platform/model";

/** Runs `act` and returns what it threw. */
function thrownBy(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("local errors", () => {
  it("a filter pattern beyond the local subset is an InvalidFilterPatternError", () => {
    // Act
    const error = thrownBy(() => compileFilters([JSON.stringify({ key: ["k"] })]));

    // Assess
    expect(error).toBeInstanceOf(InvalidFilterPatternError);
    expect(error).toBeInstanceOf(LocalError);
    expect(error).toMatchObject({ name: "InvalidFilterPatternError", message: expect.stringContaining('filter only on "value"') });
  });

  it("a filter pattern that is not JSON is an InvalidFilterPatternError carrying the parse error", () => {
    // Act
    const error = thrownBy(() => compileFilters(["{value"]));

    // Assess
    expect(error).toBeInstanceOf(InvalidFilterPatternError);
    expect(error).toBeInstanceOf(LocalError);
    expect((error as Error).cause).toBeInstanceOf(SyntaxError);
  });

  it("an invalid mapping setting is a MappingSettingsError, thrown before any connection", () => {
    // Prepare: a client that would fail any call, to show none is made
    const kafka = {} as Kafka;

    // Act
    const error = thrownBy(
      () => new LocalEventSourceMapping({ kafka, group: "g", groupId: "local.g.orders", topic: "orders.events", handler: async () => {}, onFailureTopic: "g.dlq", batchSize: 0 }),
    );

    // Assess
    expect(error).toBeInstanceOf(MappingSettingsError);
    expect(error).toBeInstanceOf(LocalError);
    expect(error).toMatchObject({ name: "MappingSettingsError", message: expect.stringContaining("batchSize must be a whole number of at least 1 (got 0)") });
  });

  it("a consumer group's module without a handler export is a HandlerNotFoundError saying what to export", () => {
    // Prepare
    const group = defineConsumer({ name: "handlerless", on: [orders.events.OrderPlaced], handler: "../../fixtures/handlerless-group/handler.ts" });

    // Act
    const error = thrownBy(() => loadHandler(group));

    // Assess
    expect(error).toBeInstanceOf(HandlerNotFoundError);
    expect(error).toBeInstanceOf(LocalError);
    expect(error).toMatchObject({ name: "HandlerNotFoundError", message: expect.stringContaining("export const handler = consume(") });
  });

  it("a second execution of the same name is an ExecutionAlreadyExistsError, named as Step Functions names it", async () => {
    // Prepare
    const publish = async () => ({ eventId: "e-1", topic: "orders.events", partition: 0, offset: "0", alreadyPublished: false });
    const machine = new LocalStateMachine(orders, { stack: "local", publisher: { publish } });
    const first = machine.start("twice", { orderId: "o-twice", customerId: "c-1", lines: [], currency: "EUR" });

    // Act
    const error = thrownBy(() => machine.start("twice", {}));
    machine.abortRunning();
    await first.done;

    // Assess
    expect(error).toBeInstanceOf(ExecutionAlreadyExistsError);
    expect(error).toBeInstanceOf(LocalError);
    expect(error).toMatchObject({ name: "ExecutionAlreadyExists" });
  });

  it("a timed-out function keeps the name Step Functions reports, Lambda.Unknown", () => {
    // Act
    const error = new FunctionTimedOutError("f: Task timed out after 1.00 seconds");

    // Assess
    expect(error).toBeInstanceOf(LocalError);
    expect(error.name).toBe("Lambda.Unknown");
  });
});

describe("broker errors", () => {
  it("an unknown ENSEMBLE_BROKER is a BrokerUnavailableError, a BrokerError", async () => {
    // Act
    const error = await startBroker({ env: { ENSEMBLE_BROKER: "carrier-pigeon" }, log: () => {} }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(BrokerUnavailableError);
    expect(error).toBeInstanceOf(BrokerError);
    expect(error).toMatchObject({ name: "BrokerUnavailableError", message: expect.stringContaining("use one of env, testcontainers, host") });
  });
});
