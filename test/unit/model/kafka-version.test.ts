import { parseStackConfig, StackConfigError } from "../../../platform/model/stack-config";

describe("ensemble:kafka.version", () => {
  it.each(["2.8.1", "2.8.2.tiered", "3.9.x", "4.1.x.kraft"])("takes %s (Kafka 2.8 or later)", (version) => {
    expect(parseStackConfig("dev", { kafka: { version } }).kafka.version).toBe(version);
  });

  it.each(["2.6.2", "2.7.0", "1.1.1", "latest"])("refuses %s, naming the key and why the bundles need 2.8", (version) => {
    // Act
    let error: unknown;
    try {
      parseStackConfig("dev", { kafka: { version } });
    } catch (thrown) {
      error = thrown;
    }

    // Assess
    expect(error).toBeInstanceOf(StackConfigError);
    expect((error as Error).message).toBe(
      "Pulumi.dev.yaml has invalid config:\n  - ensemble:kafka.version: expected Kafka 2.8 or later (for example 3.9.x or 4.1.x.kraft): Lambda bundles speak only the newest version of each request kafkajs knows",
    );
  });
});
