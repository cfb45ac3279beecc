import * as pulumi from "@pulumi/pulumi";
import { contexts } from "../../../contexts";
import { dashboardBody } from "../../../platform/infra/observability";
import { LAMBDA_VPC_ACTIONS, MSK_EVENT_SOURCE_EC2_ACTIONS } from "../../../platform/infra/lambda-iam";
import { pascal } from "../../../platform/model";
import { planConsumerGroups } from "../../../platform/model/consumer-group-plan";
import { stackConfigFromPulumi } from "../../../platform/model/stack-config";
import { inExample } from "../../support/example";
import { awaitOutput, recordResources, type RecordedResource } from "../../support/pulumi-mocks";
import { bareStackConfig, runProgram, stackFileConfig } from "../../support/stack";
import { topology } from "../../../topology";

// The security and operations baseline of both stacks, read off the resources the program asks
// for under Pulumi's mocks (the policy pack checks the same graph in test/unit/policy/).
const ALARM_ARN = (name: string) => `arn:aws:cloudwatch:eu-west-1:123456789012:metricAlarm/${name}`;
const KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/EnsembleKeyKey";
const TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:topic/EnsembleAlarmsTopic";

describe.each([
  ["dev", { retention: 7, deletionProtection: false, monitoring: "DEFAULT", brokers: 2, subscriptions: [["email", "ensemble-dev@example.com"]], reserved: { "notify-customer": 12, "sales-ledger": 5, "start-shipping": 10, "start-billing": 5, analytics: 6, "audit-archive": 5, "refund-order": 5, "recall-shipment": 5, "billing-correlator": 5, invariants: 6 } }],
  [
    "prod",
    {
      retention: 365,
      deletionProtection: true,
      monitoring: "PER_TOPIC_PER_BROKER",
      brokers: 3,
      subscriptions: [
        ["email", "oncall@example.com"],
        ["https", "https://hooks.example.com/ensemble/prod"],
      ],
      reserved: { "notify-customer": 40, "sales-ledger": 20, "start-shipping": 20, "start-billing": 20, analytics: 20, "audit-archive": 20, "refund-order": 20, "recall-shipment": 20, "billing-correlator": 20, invariants: 20 },
    },
  ],
])("stack %s", (stack, expected) => {
  let run: Awaited<ReturnType<typeof runProgram>>;
  const alarms = () => run.mocks.byType("aws:cloudwatch/metricAlarm:MetricAlarm");
  const alarmNamed = (name: string) => run.mocks.named(name).inputs;

  beforeAll(async () => {
    run = await runProgram(stack);
  });

  describe("alarms that reach someone", () => {
    it("notifies the stack's KMS-encrypted alarm topic, subscribed from the stack's config", () => {
      expect(run.mocks.named("EnsembleAlarmsTopic").inputs).toMatchObject({ name: `${stack}-ensemble-alarms`, kmsMasterKeyId: KEY_ARN });
      const subscriptions = run.mocks.byType("aws:sns/topicSubscription:TopicSubscription").map((s) => [s.inputs.protocol, s.inputs.endpoint, s.inputs.topic]);
      expect(subscriptions).toEqual(expected.subscriptions.map(([protocol, endpoint]) => [protocol, endpoint, TOPIC_ARN]));
      const policy = JSON.parse(run.mocks.named("EnsembleAlarmsPolicy").inputs.policy as string);
      expect(policy.Statement).toEqual([
        {
          Sid: "CloudWatchAlarmsOfThisAccount",
          Effect: "Allow",
          Principal: { Service: "cloudwatch.amazonaws.com" },
          Action: "sns:Publish",
          Resource: TOPIC_ARN,
          Condition: { ArnLike: { "aws:SourceArn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:*" }, StringEquals: { "aws:SourceAccount": "123456789012" } },
        },
        { Sid: "TlsOnly", Effect: "Deny", Principal: "*", Action: "sns:Publish", Resource: TOPIC_ARN, Condition: { Bool: { "aws:SecureTransport": "false" } } },
      ]);
      // ...and the key the topic is encrypted with lets CloudWatch encrypt for it: without this, alarms go nowhere.
      const key = JSON.parse(run.mocks.named("EnsembleKeyKey").inputs.policy as string).Statement;
      expect(key.find((s: { Sid: string }) => s.Sid === "CloudWatchAlarmsToEncryptedTopic")).toEqual({
        Sid: "CloudWatchAlarmsToEncryptedTopic",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
      });
    });

    it("gives every alarm the topic as its alarm action and its OK action", () => {
      expect(alarms().length).toBeGreaterThan(0);
      for (const alarm of alarms()) {
        expect({ alarm: alarm.name, alarmActions: alarm.inputs.alarmActions, okActions: alarm.inputs.okActions }).toEqual({ alarm: alarm.name, alarmActions: [TOPIC_ARN], okActions: [TOPIC_ARN] });
      }
    });

    it("alarms on failed and timed-out executions of every state machine, and on every publisher's errors", () => {
      for (const context of contexts) {
        const prefix = `Ensemble${pascal(context.name)}`;
        const machineArn = `arn:aws:sfn:eu-west-1:123456789012:stateMachine/${prefix}StateMachine`;
        expect(alarmNamed(`${prefix}ExecutionsFailedAlarm`)).toMatchObject({
          name: `${stack}-${context.name}-executions-failed`,
          namespace: "AWS/States",
          metricName: "ExecutionsFailed",
          dimensions: { StateMachineArn: machineArn },
          threshold: 1,
          // One failed execution fires it; three quiet periods clear it.
          datapointsToAlarm: 1,
          evaluationPeriods: 3,
        });
        expect(alarmNamed(`${prefix}ExecutionsTimedOutAlarm`)).toMatchObject({ metricName: "ExecutionsTimedOut", dimensions: { StateMachineArn: machineArn } });
        expect(alarmNamed(`${prefix}PublisherErrorsAlarm`)).toMatchObject({ metricName: "Errors", dimensions: { FunctionName: `${stack}-${context.name}-publisher` } });
      }
    });

    it("alarms on every Kafka group id's lag, by its event source mapping", () => {
      const config = stackConfigFromPulumi(stack, stackFileConfig(stack));
      for (const plan of planConsumerGroups(topology.consumers, stack, config)) {
        for (const mapping of plan.mappings) {
          const esm = `Ensemble${pascal(plan.name)}EventSourceMapping${pascal(mapping.context)}`;
          expect(alarmNamed(`Ensemble${pascal(plan.name)}LagAlarm${pascal(mapping.context)}`)).toMatchObject({
            namespace: "AWS/Lambda",
            metricName: "SumOffsetLag",
            dimensions: { EventSourceMappingUUID: `${esm}-uuid` },
            threshold: config.alarms.offsetLag,
            // A level: three breaching periods in a row.
            datapointsToAlarm: 3,
          });
        }
      }
    });

    it("alarms on every record a group writes to its dead-letter topic, from the wrapper and from each mapping", () => {
      for (const consumer of topology.consumers) {
        const alarm = alarmNamed(`Ensemble${pascal(consumer.name)}DeadLetterAlarm`);
        const metrics = alarm.metricQueries.filter((q: { metric?: unknown }) => q.metric).map((q: { metric: { namespace: string; metricName: string } }) => `${q.metric.namespace} ${q.metric.metricName}`);
        const mappings = new Set(consumer.on.map((event) => event.context)).size;
        expect(metrics).toEqual([`Ensemble/${stack} DeadLettered`, ...Array.from({ length: mappings }, () => "AWS/Lambda OnFailureDestinationDeliveredEventCount")]);
        expect(alarm.metricQueries.at(-1)).toMatchObject({ returnData: true, expression: ["wrapper", ...Array.from({ length: mappings }, (_, i) => `mapping${i}`)].map((id) => `FILL(${id}, 0)`).join(" + ") });
        expect([alarm.threshold, alarm.datapointsToAlarm]).toEqual([1, 1]);
      }
    });

    it("alarms on the fullest broker's disk", () => {
      const alarm = alarmNamed("EnsembleKafkaDiskAlarm");
      expect(alarm.metricQueries.filter((q: { metric?: unknown }) => q.metric).map((q: { metric: { dimensions: Record<string, string> } }) => q.metric.dimensions)).toEqual(
        Array.from({ length: expected.brokers }, (_, i) => ({ "Cluster Name": `${stack}-ensemble`, "Broker ID": String(i + 1) })),
      );
      expect(alarm).toMatchObject({ threshold: 80, comparisonOperator: "GreaterThanThreshold" });
    });

    it("shows every alarm, and each new metric, on the dashboard", () => {
      const body = JSON.parse(run.mocks.byType("aws:cloudwatch/dashboard:Dashboard")[0]!.inputs.dashboardBody as string);
      const listed = body.widgets.filter((w: { type: string }) => w.type === "alarm").flatMap((w: { properties: { alarms: string[] } }) => w.properties.alarms);
      expect(listed.sort()).toEqual(alarms().map((a) => ALARM_ARN(a.name)).sort());
      const searched = JSON.stringify(body.widgets.filter((w: { type: string }) => w.type !== "alarm"));
      for (const metric of ["ExecutionsFailed", "ExecutionsTimedOut", "SumOffsetLag", "KafkaDataLogsDiskUsed", "DeadLettered", "OnFailureDestinationDeliveredEventCount"]) {
        expect(searched).toContain(`MetricName=\\"${metric}\\"`);
      }
      expect(searched).toContain(`MetricName=\\"Errors\\" ${stack} publisher`);
    });
  });

  describe("data stores and logs", () => {
    it("keeps point-in-time recovery on every table, and deletion protection as the stack says", () => {
      for (const table of run.mocks.byType("aws:dynamodb/table:Table")) {
        expect(table.inputs).toMatchObject({ pointInTimeRecovery: { enabled: true }, deletionProtectionEnabled: expected.deletionProtection, serverSideEncryption: { enabled: true } });
      }
    });

    it("encrypts every log group with the stack's rotating key and keeps it as the stack says", () => {
      const groups = run.mocks.byType("aws:cloudwatch/logGroup:LogGroup");
      expect(groups.map((g) => [g.inputs.name, g.inputs.kmsKeyId, g.inputs.retentionInDays]).filter(([, key, days]) => key !== KEY_ARN || days !== expected.retention)).toEqual([]);
      expect(run.mocks.named("EnsembleKeyKey").inputs).toMatchObject({ enableKeyRotation: true, customerMasterKeySpec: "SYMMETRIC_DEFAULT" });
    });

    it("grants the key to CloudWatch Logs for this account's log groups only, and grants only to AWS services", () => {
      const statements = JSON.parse(run.mocks.named("EnsembleKeyKey").inputs.policy as string).Statement;
      expect(statements.find((s: { Sid: string }) => s.Sid === "CloudWatchLogs").Condition).toEqual({
        ArnLike: { "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:123456789012:log-group:*" },
      });
      expect(statements.find((s: { Sid: string }) => s.Sid === "GrantsOnlyForAwsServices")).toMatchObject({ Effect: "Deny", Action: "kms:CreateGrant" });
    });
  });

  describe("network and MSK", () => {
    it("empties the VPC's default security group and logs its flows to an encrypted log group", () => {
      expect(run.mocks.named("EnsembleNetworkDefaultSecurityGroup").inputs).toMatchObject({ vpcId: "EnsembleNetworkVpc-id", ingress: [], egress: [] });
      expect(run.mocks.named("EnsembleNetworkFlowLogFlowLog").inputs).toMatchObject({ vpcId: "EnsembleNetworkVpc-id", trafficType: "ALL", logDestinationType: "cloud-watch-logs" });
      expect(run.mocks.named("EnsembleNetworkFlowLogLogGroup").inputs.kmsKeyId).toBe(KEY_ARN);
    });

    it("runs every function, tasks included, in the private subnets of at least two AZs", () => {
      for (const fn of run.mocks.byType("aws:lambda/function:Function")) {
        expect({ fn: fn.inputs.name, subnets: fn.inputs.vpcConfig?.subnetIds.length }).toEqual({ fn: fn.inputs.name, subnets: expected.brokers });
      }
    });

    it("encrypts MSK at rest with the stack's key and monitors it as the stack says", () => {
      expect(run.mocks.named("EnsembleKafkaCluster").inputs).toMatchObject({ enhancedMonitoring: expected.monitoring, encryptionInfo: { encryptionAtRestKmsKeyArn: KEY_ARN } });
    });
  });

  describe("tags and privileges", () => {
    it("tags every taggable resource with its owner: its context, its group, or the platform", () => {
      const owners = [...contexts, ...topology.consumers].map((c) => [`Ensemble${pascal(c.name)}`, c.name] as const).sort(([a], [b]) => b.length - a.length);
      const ownerOf = (resource: RecordedResource) => owners.find(([prefix]) => resource.name.startsWith(prefix) && /^[A-Z]/.test(resource.name.slice(prefix.length)))?.[1] ?? "platform";
      const taggable = run.mocks.resources.filter((r) => r.custom && "tags" in r.inputs);
      expect(taggable.length).toBeGreaterThan(100);
      expect(taggable.filter((r) => r.inputs.tags?.owner !== ownerOf(r)).map((r) => `${r.name}: ${r.inputs.tags?.owner}`)).toEqual([]);
      expect(stackFileConfig(stack)["aws:defaultTags"]).toBe(JSON.stringify({ tags: { project: "ensemble", stack } }));
    });

    it("grants no EC2 action Lambda does not document, and no action on a resource twice in one policy", () => {
      const documented = new Set<string>([...LAMBDA_VPC_ACTIONS, ...MSK_EVENT_SOURCE_EC2_ACTIONS]);
      for (const policy of run.mocks.byType("aws:iam/rolePolicy:RolePolicy")) {
        const statements = JSON.parse(policy.inputs.policy as string).Statement as { Action: string[]; Resource: string[] }[];
        const actions = statements.flatMap((s) => s.Action);
        const grants = statements.flatMap((s) => s.Action.flatMap((action) => [s.Resource].flat().map((resource) => `${action} ${resource}`)));
        expect({ policy: policy.name, undocumented: actions.filter((a) => a.startsWith("ec2:") && !documented.has(a)), repeated: grants.filter((g, i) => grants.indexOf(g) !== i) }).toEqual({
          policy: policy.name,
          undocumented: [],
          repeated: [],
        });
      }
    });

    it("exports what the stack reserves of the account's Lambda concurrency", async () => {
      const budget = await awaitOutput(run.program.reservedConcurrency);
      // The example's groups: 64 in dev, 220 in prod (and whatever groups were added since).
      expect(Object.fromEntries(Object.entries(budget.byGroup).filter(([group]) => inExample(group)))).toEqual(expected.reserved);
      expect(budget.reserved).toBe(Object.values(budget.byGroup).reduce((sum, n) => sum + n, 0));
      expect(budget.reservable).toBe(stack === "prod" ? 900 : undefined);
    });
  });
});

describe("the dashboard's alarm widgets", () => {
  it("list at most 100 alarms each, every alarm once, above the metric widgets", () => {
    // Prepare
    const arns = Array.from({ length: 150 }, (_, i) => ALARM_ARN(`Alarm${String(i).padStart(3, "0")}`));

    // Act
    const { widgets } = dashboardBody("eu-west-1", "dev", arns);

    // Assess
    const alarmWidgets = widgets.filter((w) => w.type === "alarm") as { y: number; height: number; properties: { alarms: string[]; title: string } }[];
    expect(alarmWidgets.map((w) => [w.properties.alarms.length, w.properties.title])).toEqual([
      [100, "Alarms of this stack (1 of 2)"],
      [50, "Alarms of this stack (2 of 2)"],
    ]);
    expect(alarmWidgets.flatMap((w) => w.properties.alarms)).toEqual(arns);
    expect(alarmWidgets[1]!.y).toBe(alarmWidgets[0]!.y + alarmWidgets[0]!.height);
    const firstMetric = widgets.find((w) => w.type === "metric")!;
    expect(firstMetric.y).toBe(alarmWidgets[1]!.y + alarmWidgets[1]!.height);
  });
});

describe("the program's checks before anything is created", () => {
  const requireProgram = async (config: Record<string, string>) => {
    const mocks = recordResources({ stack: "dev" });
    pulumi.runtime.setAllConfig(config);
    jest.resetModules();
    let error: unknown;
    try {
      require("../../../index");
    } catch (caught) {
      error = caught;
    }
    await mocks.settled();
    return { error: error as Error | undefined, created: mocks.resources.filter((r) => r.custom) };
  };

  it("stops a stack whose reservations exceed what the account limit leaves, naming the numbers and the ways out", async () => {
    const { error, created } = await requireProgram({ ...stackFileConfig("dev"), "ensemble:functions": JSON.stringify({ consumerConcurrency: 5, accountConcurrencyLimit: 130 }) });
    expect(error?.message).toContain(
      "ensemble:functions.accountConcurrencyLimit: the consumer groups reserve 64 concurrency (largest: notify-customer 12, start-shipping 10, analytics 6), but an account limit of 130 leaves 30 reservable (Lambda keeps 100 unreserved).",
    );
    expect(error?.message).toContain("set ensemble:functions.reserveConcurrency to false");
    expect(created).toEqual([]);
  });

  it("stops a stack file without the provider's default tags, showing the lines to add", async () => {
    const { "aws:defaultTags": _, ...untagged } = stackFileConfig("dev");
    const { error, created } = await requireProgram(untagged);
    expect(error?.message).toBe(
      "Pulumi.dev.yaml has invalid config:\n  - aws:defaultTags must tag every resource with project=ensemble and stack=dev (found {}). Add under config:\n      aws:defaultTags:\n        tags:\n          project: ensemble\n          stack: dev",
    );
    expect(created).toEqual([]);
  });

  it("keeps task functions out of the VPC when the stack says so, and adds the endpoints it names", async () => {
    const { mocks } = await runProgram(
      "dev",
      bareStackConfig("dev", { "ensemble:functions": JSON.stringify({ tasksInVpc: false }), "ensemble:network": JSON.stringify({ endpoints: ["secretsmanager"] }) }),
    );
    const outside = mocks.byType("aws:lambda/function:Function").filter((f) => f.inputs.vpcConfig === undefined).map((f) => f.inputs.name as string);
    expect(outside.sort()).toEqual(contexts.flatMap((c) => c.tasks.map((t) => `dev-${c.name}-${t.name}`)).sort());
    expect(mocks.named("EnsembleNetworkSecretsmanagerEndpoint").inputs).toMatchObject({ vpcEndpointType: "Interface", serviceName: "com.amazonaws.eu-west-1.secretsmanager" });
  });

  it("tells every alarm to the existing topics the stack names, beside its own", async () => {
    const onCall = "arn:aws:sns:eu-west-1:123456789012:on-call";
    const { mocks } = await runProgram("dev", bareStackConfig("dev", { "ensemble:alarms": JSON.stringify({ notify: { topicArns: [onCall] } }) }));
    for (const alarm of mocks.byType("aws:cloudwatch/metricAlarm:MetricAlarm")) expect([alarm.inputs.alarmActions, alarm.inputs.okActions]).toEqual([[TOPIC_ARN, onCall], [TOPIC_ARN, onCall]]);
    expect(mocks.byType("aws:sns/topicSubscription:TopicSubscription")).toEqual([]);
  });
});
