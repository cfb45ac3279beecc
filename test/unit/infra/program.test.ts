import * as pulumi from "@pulumi/pulumi";

/** Loads index.ts under Pulumi's mocks for `stack` with the given `ensemble:*` config. */
function runProgram(stack: string, config: Record<string, unknown>) {
  pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
      call: (args) => args.inputs,
    },
    "ensemble",
    stack,
    false,
  );
  pulumi.runtime.setAllConfig(
    Object.fromEntries(Object.entries(config).map(([key, value]) => [`ensemble:${key}`, JSON.stringify(value)])),
  );
  jest.resetModules();
  // require, not import(): the program must load after the mocks, and afresh for each stack.
  return require("../../../index") as typeof import("../../../index");
}

describe("the Pulumi program (under mocks)", () => {
  it("exports the topics and stack-prefixed consumer group ids of the topology", () => {
    // Act
    const program = runProgram("dev", { kafka: { brokers: 2, instanceType: "kafka.t3.small" } });

    // Assess
    expect(program.topics).toEqual(["orders.events", "notify-customer.dlq", "sales-ledger.dlq"]);
    expect(program.consumerGroupIds).toEqual(["dev.notify-customer", "dev.sales-ledger"]);
    expect(program.kafka).toEqual({ brokers: 2, instanceType: "kafka.t3.small", partitions: 3 });
  });

  it("refuses invalid stack config, naming the key", () => {
    expect(() => runProgram("dev", { kafka: { brokers: 0 }, logRetentionDays: "long" })).toThrow(
      /Pulumi\.dev\.yaml has invalid config:\n {2}- ensemble:kafka\.brokers: .*\n {2}- ensemble:logRetentionDays: /,
    );
  });

  it("refuses a stack name that cannot prefix AWS names", () => {
    expect(() => runProgram("Prod.EU", {})).toThrow(/stack "Prod\.EU": is not a valid stack name/);
  });
});
