import { Kafka } from "kafkajs";
import { orders } from "../../../contexts";
import { LocalRuntime } from "../../../platform/local/runtime";
import { defineConsumer, validate } from "../../../platform/model";
import { planConsumerGroup, planConsumerGroups } from "../../../platform/model/consumer-group-plan";
import { parseStackConfig } from "../../../platform/model/stack-config";
import { topology } from "../../../topology";
import { bareStackConfig, runProgram } from "../../support/stack";

const notifyCustomer = topology.consumers.find((c) => c.name === "notify-customer")!;

describe("planConsumerGroup", () => {
  it("gives one mapping per subscribed context, keyed by its group id, with the types it receives there", () => {
    // Act
    const plan = planConsumerGroup(notifyCustomer, "dev", parseStackConfig("dev", {}));

    // Assess
    expect(plan.mappings.map(({ context, topic, groupId, types }) => ({ context, topic, groupId, types }))).toEqual([
      { context: "orders", topic: "orders.events", groupId: "dev.notify-customer.orders", types: ["orders.OrderPlaced", "orders.OrderRejected"] },
      { context: "shipping", topic: "shipping.events", groupId: "dev.notify-customer.shipping", types: ["shipping.ShipmentDispatched"] },
      { context: "billing", topic: "billing.events", groupId: "dev.notify-customer.billing", types: ["billing.InvoiceIssued"] },
    ]);
    expect(plan.functionName).toBe("dev-notify-customer");
    expect(plan.deadLetterTopic).toBe("notify-customer.dlq");
    expect(JSON.parse(plan.mappings[0]!.filters[0]!)).toEqual({ value: { type: ["orders.OrderPlaced", "orders.OrderRejected"] } });
  });

  it("lists a type subscribed twice once, in its mapping and its filter", () => {
    const twice = defineConsumer({ name: "twice", on: [orders.events.OrderPlaced, orders.events.OrderPlaced] });
    const [mapping] = planConsumerGroup(twice, "dev", parseStackConfig("dev", {})).mappings;
    expect(mapping!.types).toEqual(["orders.OrderPlaced"]);
    expect(JSON.parse(mapping!.filters[0]!)).toEqual({ value: { type: ["orders.OrderPlaced"] } });
  });

  it("applies the stack's overrides to batch, pollers and memory", () => {
    const config = parseStackConfig("dev", { consumers: { "notify-customer": { batchSize: 7, windowSeconds: 2, minPollers: 2, maxPollers: 6, memoryMb: 512 } } });
    const { settings } = planConsumerGroup(notifyCustomer, "dev", config);
    expect(settings).toMatchObject({ batchSize: 7, windowSeconds: 2, minPollers: 2, maxPollers: 6, memoryMb: 512 });
  });

  it("reserves max(configured, maxPollers x mappings): notify-customer has 3 mappings of up to 4 pollers", () => {
    const low = parseStackConfig("dev", { functions: { consumerConcurrency: 5 } });
    const high = parseStackConfig("dev", { functions: { consumerConcurrency: 20 } });
    expect(planConsumerGroup(notifyCustomer, "dev", low).settings).toMatchObject({ reservedConcurrency: 12, concurrency: 12 });
    expect(planConsumerGroup(notifyCustomer, "dev", high).settings).toMatchObject({ reservedConcurrency: 20, concurrency: 20 });
  });

  it("raises a per-group reservation that would throttle the group's own pollers", () => {
    const config = parseStackConfig("dev", { consumers: { "notify-customer": { maxPollers: 10, reservedConcurrency: 8 } } });
    expect(planConsumerGroup(notifyCustomer, "dev", config).settings.reservedConcurrency).toBe(30);
  });

  it("reserves nothing with reserveConcurrency off, unless the group sets its own; unreserved, its pollers bound it", () => {
    const off = parseStackConfig("dev", { functions: { reserveConcurrency: false } });
    const own = parseStackConfig("dev", { functions: { reserveConcurrency: false }, consumers: { "notify-customer": { reservedConcurrency: 15 } } });
    expect(planConsumerGroup(notifyCustomer, "dev", off).settings).toMatchObject({ reservedConcurrency: undefined, concurrency: 12 });
    expect(planConsumerGroup(notifyCustomer, "dev", own).settings.reservedConcurrency).toBe(15);
  });

  it("refuses overrides that leave minPollers above maxPollers, naming the key", () => {
    const config = parseStackConfig("dev", { consumers: { "notify-customer": { minPollers: 5 } } });
    expect(() => planConsumerGroup(notifyCustomer, "dev", config)).toThrow(/ensemble:consumers.notify-customer: minPollers 5 is greater than maxPollers 4/);
  });
});

describe("the plan is what every interpreter reads", () => {
  const config = parseStackConfig("prod", { consumers: { "notify-customer": { batchSize: 9, maxPollers: 5 } } });
  const plans = planConsumerGroups(validate(topology, { stack: "prod" }).consumers, "prod", config);

  it("the local runtime plans each group as infra does, stack overrides included", () => {
    const runtime = new LocalRuntime({ topology: validate(topology, { stack: "prod" }), stack: "prod", config, kafka: new Kafka({ brokers: ["unused:9092"] }), brokers: [] });
    expect([...runtime.plans.values()]).toEqual(plans);
  });

  it("the Pulumi program deploys each mapping of the plan under its group id, with its filters and the overridden settings", async () => {
    const { mocks } = await runProgram("prod", bareStackConfig("prod", { "ensemble:consumers": JSON.stringify({ "notify-customer": { batchSize: 9, maxPollers: 5 } }) }));
    const deployed = mocks.byType("aws:lambda/eventSourceMapping:EventSourceMapping").map((m) => ({
      groupId: m.inputs.amazonManagedKafkaEventSourceConfig.consumerGroupId,
      topics: m.inputs.topics,
      filters: m.inputs.filterCriteria.filters.map((f: { pattern: string }) => f.pattern),
      batchSize: m.inputs.batchSize,
      maxPollers: m.inputs.provisionedPollerConfig.maximumPollers,
    }));
    const planned = plans.flatMap((plan) =>
      plan.mappings.map((m) => ({ groupId: m.groupId, topics: [m.topic], filters: m.filters, batchSize: plan.settings.batchSize, maxPollers: plan.settings.maxPollers })),
    );
    expect(deployed).toEqual(expect.arrayContaining(planned));
    expect(deployed).toHaveLength(planned.length);
    expect(deployed.find((m) => m.groupId === "prod.notify-customer.orders")).toMatchObject({ batchSize: 9, maxPollers: 5 });
  });
});
