/*
 * The bundles as deployed, on a real broker: platform/infra/bundle-trim.ts leaves most of kafkajs
 * out of them (older request versions, unused APIs, a consumer's admin and consumer client) and
 * the AWS SDK loads on first use (bundle-lazy.ts). Each bundle is built with bundle() as the infra
 * builds it, copied into a folder beside only the AWS SDK (as the nodejs22.x runtime provides it),
 * and invoked in a child `node` process that finds the broker as a function does locally
 * (KAFKA_BROKERS, platform/runtime/kafka.ts kafkaSettingsFromEnv). What they wrote is read back
 * with plain kafkajs from the repository.
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import type { Admin, Consumer } from "kafkajs";
import { type Bundle, bundle } from "../../platform/infra/bundle";
import { consumerEntry, publisherEntry } from "../../platform/infra/function-entries";
import { names } from "../../platform/model";
import { untilServed } from "../../platform/local/topics";
import { orders } from "../../contexts";
import notifyCustomer from "../../consumers/notify-customer/consumer";
import { testKafka, uniqueName } from "../support/kafka";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "../..");
const temporary: string[] = [];
let admin: Admin;
const consumers: Consumer[] = [];

beforeAll(async () => {
  admin = testKafka().admin();
  await admin.connect();
  // Created unless an earlier run (or npm start) did; records are found by offset, never by scanning.
  const topics = [names.contextTopic(orders.name), names.deadLetterTopic(notifyCustomer.name)];
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((topic) => !existing.has(topic));
  if (missing.length > 0) await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: false });
  await untilServed(admin, topics);
});

afterAll(async () => {
  await Promise.all(consumers.map((consumer) => consumer.disconnect()));
  await admin?.disconnect();
  for (const dir of temporary) fs.rmSync(dir, { recursive: true, force: true });
});

/** The bundle's package folder as Lambda unpacks it, with the runtime's AWS SDK beside it (as test/unit/infra/bundle.test.ts deploys one). */
function deploy(b: Bundle): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ensemble-${b.name}-`));
  temporary.push(dir);
  fs.cpSync(b.directory, dir, { recursive: true });
  const sdk = path.join(dir, "node_modules", "@aws-sdk");
  fs.mkdirSync(sdk, { recursive: true });
  for (const pkg of fs.readdirSync(path.join(ROOT, "node_modules", "@aws-sdk"))) {
    if (pkg !== "util-utf8-browser") fs.symlinkSync(path.join(ROOT, "node_modules", "@aws-sdk", pkg), path.join(sdk, pkg));
  }
  fs.symlinkSync(path.join(ROOT, "node_modules", "@smithy"), path.join(dir, "node_modules", "@smithy"));
  return dir;
}

/** Invokes the deployed handler once with `event` in a fresh node process; returns what it resolved to. */
async function invoke(dir: string, event: unknown, extraEnv: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const script = `require("./index.js").handler(${JSON.stringify(event)}, { getRemainingTimeInMillis: () => 30000 }).then(
    (result) => { process.stdout.write(JSON.stringify({ result })); process.exit(0); },
    (error) => { process.stdout.write(JSON.stringify({ error: { name: error.name, message: error.message } })); process.exit(0); });`;
  const env = { PATH: process.env.PATH, KAFKA_BROKERS: process.env.KAFKA_BROKERS!, AWS_REGION: "eu-west-1", POWERTOOLS_LOG_LEVEL: "SILENT", ...extraEnv };
  const { stdout } = await run(process.execPath, ["-e", script], { cwd: dir, env, timeout: 60_000 });
  return JSON.parse(stdout) as Record<string, unknown>;
}

/** The record at `offset` of `topic`'s `partition`, read with plain kafkajs. */
async function recordAt(topic: string, partition: number, offset: string) {
  const consumer = testKafka().consumer({ groupId: uniqueName("bundled-read"), maxWaitTimeInMs: 100 });
  consumers.push(consumer);
  await consumer.connect();
  await consumer.subscribe({ topic });
  return new Promise<{ key: string | undefined; headers: Record<string, string>; value: string | undefined }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no record at ${topic} ${partition}@${offset} within 30 s`)), 30_000);
    consumer.on(consumer.events.GROUP_JOIN, () => consumer.seek({ topic, partition, offset }));
    void consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition: at, message }) => {
        if (at !== partition || message.offset !== offset) return;
        clearTimeout(timer);
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]));
        resolve({ key: message.key?.toString(), headers, value: message.value?.toString() });
      },
    });
  });
}

describe("the bundled milestone publisher, on a real broker", () => {
  it("publishes the milestone's CloudEvent to its context's topic, keyed by the entity, and a retry finds it there", async () => {
    // Prepare
    const b = bundle({ name: "it-orders-publisher", entry: publisherEntry(orders) });
    const dir = deploy(b);
    const orderId = `order-${randomUUID()}`;
    const input = {
      type: "orders.OrderPlaced",
      key: orderId,
      data: { orderId, customerId: "c-1", lines: [{ sku: "sku-1", quantity: 2 }], totalCents: 1999, currency: "EUR" },
      executionId: `arn:aws:states:eu-west-1:123456789012:execution:orders:${orderId}`,
      state: "Placed",
      enteredTime: new Date().toISOString(),
    };

    // Act
    const { result, error } = (await invoke(dir, input)) as { result?: { eventId: string; topic: string; partition: number; offset: string }; error?: unknown };

    // Assess
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ topic: names.contextTopic(orders.name), alreadyPublished: false });
    const record = await recordAt(result!.topic, result!.partition, result!.offset);
    expect(record.key).toBe(orderId);
    // Binary mode puts the attributes in ce_ headers, structured mode in the value: either will do.
    const attributes = record.headers.ce_id ? { id: record.headers.ce_id, type: record.headers.ce_type } : (JSON.parse(record.value!) as { id: string; type: string });
    expect({ id: attributes.id, type: attributes.type }).toEqual({ id: result!.eventId, type: "orders.OrderPlaced" });

    // Act again: a retry of the same milestone reads the topic (kafkajs admin and consumer, kept in
    // publishers for this check) and finds the first attempt's record rather than publish twice.
    const retried = (await invoke(dir, { ...input, attempt: 1 })) as { result?: Record<string, unknown>; error?: unknown };

    // Assess
    expect(retried).toEqual({ result: { ...result, alreadyPublished: true } });
  }, 90_000);
});

describe("a bundled consumer group, on a real broker", () => {
  it("dead-letters a record that is not a CloudEvent to the group's .dlq topic, its key and value unchanged", async () => {
    // Prepare: a batch of one bad record, as the event source mapping hands it over
    const b = bundle({ name: "it-notify-customer", entry: consumerEntry(notifyCustomer) });
    const dir = deploy(b);
    const key = `bad-${randomUUID()}`;
    const topic = names.contextTopic(orders.name);
    const event = {
      eventSource: "aws:kafka",
      eventSourceArn: "arn:aws:kafka:eu-west-1:123456789012:cluster/test/abc",
      bootstrapServers: process.env.KAFKA_BROKERS,
      records: {
        [`${topic}-0`]: [
          { topic, partition: 0, offset: 987654321, timestamp: Date.now(), timestampType: "CREATE_TIME", key: Buffer.from(key).toString("base64"), value: Buffer.from("not a cloud event").toString("base64"), headers: [] },
        ],
      },
    };
    const dlq = names.deadLetterTopic(notifyCustomer.name);
    const before = await admin.fetchTopicOffsets(dlq);

    // Act
    const { result, error } = await invoke(dir, event);

    // Assess: the batch succeeds (nothing to retry) and the record is on the .dlq topic
    expect(error).toBeUndefined();
    expect(result).toEqual({ batchItemFailures: [] });
    // Found by its key among what was written since: other suites may write this shared topic too.
    const after = await admin.fetchTopicOffsets(dlq);
    const since = after.flatMap((p) => {
      const from = Number(before.find((q) => q.partition === p.partition)!.high);
      return Array.from({ length: Number(p.high) - from }, (_, i) => ({ partition: p.partition, offset: String(from + i) }));
    });
    const records = await Promise.all(since.map(({ partition, offset }) => recordAt(dlq, partition, offset)));
    const ours = records.filter((r) => r.key === key);
    expect(ours).toHaveLength(1);
    const record = ours[0]!;
    expect({ key: record.key, value: record.value }).toEqual({ key, value: "not a cloud event" });
    expect(record.headers).toMatchObject({ "ensemble-dlq-group": notifyCustomer.name, "ensemble-dlq-source-topic": topic, "ensemble-dlq-source-offset": "987654321" });
  }, 90_000);

  it("signs an MSK IAM token with the signer as bundled (its STS client and SHA-256 stubbed, the AWS SDK loaded on first use)", async () => {
    // Prepare: the runtime's Kafka config for MSK IAM, bundled as every function bundles it
    const entry = `import { kafkaConfig } from "./platform/runtime/kafka";
      export const handler = async () => {
        const { sasl } = kafkaConfig({ brokers: ["b-1.test.kafka.eu-west-1.amazonaws.com:9098"], auth: "iam", region: "eu-west-1", clientId: "it" });
        return (sasl as unknown as { oauthBearerProvider: () => Promise<{ value: string }> }).oauthBearerProvider();
      };`;
    const dir = deploy(bundle({ name: "it-msk-iam", entry }));

    // Act: static credentials, as a function's role gives them (presigning needs no network)
    const { result, error } = await invoke(dir, {}, { AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" });

    // Assess: a presigned kafka-cluster:Connect URL for the region, signed with those credentials
    expect(error).toBeUndefined();
    const url = new URL(Buffer.from((result as { value: string }).value, "base64url").toString("utf8"));
    expect(url.host).toBe("kafka.eu-west-1.amazonaws.com");
    expect(url.searchParams.get("Action")).toBe("kafka-cluster:Connect");
    expect(url.searchParams.get("X-Amz-Credential")).toMatch(/^AKIAIOSFODNN7EXAMPLE\/\d{8}\/eu-west-1\/kafka-cluster\/aws4_request$/);
    expect(url.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
  }, 90_000);
});
