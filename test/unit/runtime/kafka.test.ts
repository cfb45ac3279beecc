import type { OauthbearerProviderResponse, SASLOptions } from "kafkajs";
import { kafkaConfig, kafkaSettingsFromEnv } from "../../../platform/runtime/kafka";

describe("kafkaSettingsFromEnv", () => {
  it("reads the brokers the infra sets, plaintext by default", () => {
    expect(kafkaSettingsFromEnv("orders-publisher", { ENSEMBLE_KAFKA_BROKERS: "b-1:9098, b-2:9098" })).toEqual({
      brokers: ["b-1:9098", "b-2:9098"],
      auth: "none",
      region: undefined,
      clientId: "orders-publisher",
    });
  });

  it("falls back to KAFKA_BROKERS for local runs", () => {
    expect(kafkaSettingsFromEnv("x", { KAFKA_BROKERS: "localhost:9092" }).brokers).toEqual(["localhost:9092"]);
  });

  it.each([
    [{}, "orders-publisher: no Kafka brokers configured. Set ENSEMBLE_KAFKA_BROKERS (the infra does on AWS) or KAFKA_BROKERS locally."],
    [{ KAFKA_BROKERS: "b:1", ENSEMBLE_KAFKA_AUTH: "scram" }, 'orders-publisher: ENSEMBLE_KAFKA_AUTH="scram" is not one of none, iam.'],
    [{ KAFKA_BROKERS: "b:1", ENSEMBLE_KAFKA_AUTH: "iam" }, "orders-publisher: ENSEMBLE_KAFKA_AUTH=iam needs AWS_REGION for the MSK IAM token."],
  ])("refuses %j with a message naming the fix", (env, message) => {
    expect(() => kafkaSettingsFromEnv("orders-publisher", env)).toThrow(message);
  });
});

describe("kafkaConfig", () => {
  it("is plaintext without SASL for the local broker", () => {
    const config = kafkaConfig(kafkaSettingsFromEnv("x", { KAFKA_BROKERS: "localhost:9092" }));
    expect(config.ssl).toBeUndefined();
    expect(config.sasl).toBeUndefined();
  });

  it("uses TLS and an MSK IAM OAUTHBEARER token on MSK", async () => {
    // Prepare: the signer presigns locally from these credentials; nothing is sent.
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret", AWS_SESSION_TOKEN: "" });
    try {
      const config = kafkaConfig(kafkaSettingsFromEnv("x", { ENSEMBLE_KAFKA_BROKERS: "b-1:9098", ENSEMBLE_KAFKA_AUTH: "iam", AWS_REGION: "eu-west-1" }));

      // Act
      const sasl = config.sasl as SASLOptions & { oauthBearerProvider: () => Promise<OauthbearerProviderResponse> };
      const { value } = await sasl.oauthBearerProvider();

      // Assess: the token is a presigned kafka-cluster:Connect URL for the region
      const url = new URL(Buffer.from(value, "base64url").toString());
      expect(config.ssl).toBe(true);
      expect(sasl.mechanism).toBe("oauthbearer");
      expect(url.host).toBe("kafka.eu-west-1.amazonaws.com");
      expect(url.searchParams.get("Action")).toBe("kafka-cluster:Connect");
      expect(url.searchParams.get("X-Amz-Credential")).toMatch(/^AKIDEXAMPLE\/\d{8}\/eu-west-1\/kafka-cluster\/aws4_request$/);
      expect(url.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      process.env = saved;
    }
  });
});
