import * as path from "node:path";
import { consumers } from "../../../consumers";
import { contexts, shipping } from "../../../contexts";
import { defineConsumer } from "../../../platform/model";
import { bareStackConfig, runProgram, stackFileConfig } from "../../support/stack";

// The Pulumi program under mocks with config other than the stack files': what a setting changes,
// and the message each bad setting stops the program with, before anything is created.
describe("the Pulumi program's stack config", () => {
  it("reserves no concurrency with ensemble:functions.reserveConcurrency off, except where a group sets its own", async () => {
    // Prepare
    const config = {
      ...stackFileConfig("dev"),
      "ensemble:functions": JSON.stringify({ consumerConcurrency: 5, reserveConcurrency: false }),
      "ensemble:consumers": JSON.stringify({ "sales-ledger": { reservedConcurrency: 3 } }),
    };

    // Act
    const { mocks } = await runProgram("dev", config);

    // Assess
    const reserved = Object.fromEntries(
      mocks.byType("aws:lambda/function:Function").map((f) => [f.inputs.name, f.inputs.reservedConcurrentExecutions as number | undefined]),
    );
    expect(Object.values(reserved).filter((r) => r !== undefined)).toEqual([3]);
    expect(reserved["dev-sales-ledger"]).toBe(3);
  });

  it("puts every event source mapping in the stack's shared poller group with ensemble:functions.sharedPollers, and outputs the pollers", async () => {
    // Prepare
    const config = { ...stackFileConfig("dev"), "ensemble:functions": JSON.stringify({ sharedPollers: true }) };

    // Act
    const [{ mocks, program }, dedicated] = [await runProgram("dev", config), (await runProgram("dev")).mocks];

    // Assess
    const pollerGroupsOf = (run: typeof mocks) =>
      [...new Set(run.byType("aws:lambda/eventSourceMapping:EventSourceMapping").map((m) => m.inputs.provisionedPollerConfig.pollerGroupName as string | undefined))];
    expect(pollerGroupsOf(mocks)).toEqual(["dev-pollers-1"]);
    expect(pollerGroupsOf(dedicated)).toEqual([undefined]);
    const mappings = mocks.byType("aws:lambda/eventSourceMapping:EventSourceMapping");
    expect(program.eventPollers).toMatchObject({
      mappings: mappings.length,
      minimum: mappings.reduce((sum, m) => sum + (m.inputs.provisionedPollerConfig.minimumPollers as number), 0),
      maximum: mappings.reduce((sum, m) => sum + (m.inputs.provisionedPollerConfig.maximumPollers as number), 0),
      pollerGroups: { "dev-pollers-1": { mappings: mappings.length } },
    });
  });

  it("gives a consumer group named like a context a role of its own", async () => {
    // Prepare
    const ordersGroup = defineConsumer({
      name: "orders",
      on: [shipping.events.ShipmentDispatched],
      handler: path.relative(__dirname, path.resolve("consumers/sales-ledger/handler.ts")),
    });

    // Act
    const { mocks } = await runProgram("dev", stackFileConfig("dev"), () => {
      jest.doMock("../../../topology", () => ({ topology: { contexts, consumers: [...consumers, ordersGroup] } }));
    });

    // Assess
    const roles = mocks.byType("aws:iam/role:Role").map((r) => r.inputs.name as string);
    expect(roles).toEqual(expect.arrayContaining(["dev-orders-sfn", "dev-orders-lambda"]));
    expect(new Set(roles.map((r) => r.toLowerCase())).size).toBe(roles.length);
  });

  describe("bad config", () => {
    it.each([
      [{ "ensemble:kafka": JSON.stringify({ brokers: 0 }) }, "ensemble:kafka.brokers: Too small: expected number to be >0"],
      [{ "ensemble:kafka": JSON.stringify({ brokers: 3 }) }, "ensemble:kafka.brokers: 3 brokers cannot spread evenly over 2 subnets; MSK needs a multiple of 2."],
      [{ "ensemble:logs": JSON.stringify({ retentionDays: 10 }) }, "ensemble:logs.retentionDays: expected a retention CloudWatch Logs accepts"],
      [{ "ensemble:logRetentionDays": "7" }, "ensemble:logRetentionDays: moved to ensemble:logs.retentionDays; set it there."],
      [{ "ensemble:alarms": JSON.stringify({ notifyTopicArn: "arn:aws:sns:eu-west-1:123456789012:x" }) }, "ensemble:alarms.notifyTopicArn: moved to ensemble:alarms.notify.topicArns (a list); set it there."],
      [{ "ensemble:alarms": JSON.stringify({ notify: { emails: ["not-an-address"] } }) }, "ensemble:alarms.notify.emails.0: expected an email address"],
      [{ "ensemble:alarms": JSON.stringify({ notify: { https: ["http://hooks.example.com/x"] } }) }, "ensemble:alarms.notify.https.0: expected an https:// URL"],
      [{ "ensemble:alarms": JSON.stringify({ notify: { emails: ["oncall@example.com", "OnCall@example.com"] } }) }, "ensemble:alarms.notify.emails.1: OnCall@example.com is listed twice; list each once"],
      [{ "ensemble:kafak": JSON.stringify({ brokers: 2 }) }, "ensemble:kafak: not a setting of Ensemble; did you mean ensemble:kafka?"],
      [{ "ensemble:consumers": JSON.stringify({ "notify-custmer": { maxPollers: 3 } }) }, 'ensemble:consumers.notify-custmer: no consumer group "notify-custmer" in consumers/'],
      [{ "ensemble:consumers": JSON.stringify({ "notify-customer": { maxPollers: 0 } }) }, "ensemble:consumers.notify-customer.maxPollers: Too small"],
      [{ "ensemble:network": JSON.stringify({ vpcId: "vpc-0abc" }) }, "ensemble:network: give both vpcId and privateSubnetIds to use an existing VPC, or neither to create one"],
      [{ "ensemble:functions": JSON.stringify({ reserveConcurrency: "no" }) }, "ensemble:functions.reserveConcurrency: Invalid input: expected boolean"],
    ])("fails on %j with a message naming the key", async (config, message) => {
      await expect(runProgram("dev", bareStackConfig("dev", config))).rejects.toThrow(message);
    });

    it.each([
      ["network", { azcount: 3 }, "ensemble:network.azcount: not a setting of ensemble:network; did you mean ensemble:network.azCount?"],
      ["kafka", { broker: 3 }, "ensemble:kafka.broker: not a setting of ensemble:kafka; did you mean ensemble:kafka.brokers?"],
      ["functions", { memory: 512 }, "ensemble:functions.memory: not a setting of ensemble:functions; did you mean ensemble:functions.memoryMb?"],
      ["alarms", { error: 3 }, "ensemble:alarms.error: not a setting of ensemble:alarms; did you mean ensemble:alarms.errors?"],
      [
        "consumers",
        { "notify-customer": { maxPoller: 3 } },
        "ensemble:consumers.notify-customer.maxPoller: not a setting of ensemble:consumers.notify-customer; did you mean ensemble:consumers.notify-customer.maxPollers?",
      ],
      ["kafka", { zookeeper: true }, "ensemble:kafka.zookeeper: not a setting of ensemble:kafka; remove it (known: existingClusterArn, "],
    ])("rejects an unknown key inside ensemble:%s, naming its full key and the fix", async (section, value, message) => {
      await expect(runProgram("dev", bareStackConfig("dev", { [`ensemble:${section}`]: JSON.stringify(value) }))).rejects.toThrow(message);
    });

    it("names the key when the stack's overrides contradict the group's own scaling", async () => {
      await expect(runProgram("dev", bareStackConfig("dev", { "ensemble:consumers": JSON.stringify({ "notify-customer": { minPollers: 5 } }) }))).rejects.toThrow(
        "Pulumi.dev.yaml has invalid config:\n  - ensemble:consumers.notify-customer: minPollers 5 is greater than maxPollers 4",
      );
    });
  });
});
