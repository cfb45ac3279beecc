import { INVARIANT_VIOLATIONS_METRIC, invariantKeepSeconds, VIOLATION_LOG_MESSAGE } from "../../../platform/infra/invariant-checks";
import { dueIndexArn } from "../../../platform/infra/invariant-iam";
import { VIOLATION_LOG_MESSAGE as RUNTIME_VIOLATION_LOG_MESSAGE } from "../../../platform/runtime/invariants";
import { evaluatePolicies, stackPolicyConfig } from "../../support/policy";
import { MOCK_CLUSTER_UUID, type PulumiMocks } from "../../support/pulumi-mocks";
import { bundlesSeen } from "./bundle-stub";
import { deploy, noInvoiceAfterRefund, settlesOnce, withEverything, withNeither } from "./invariant-topology";

jest.mock("../../../platform/infra/bundle", () => jest.requireActual<typeof import("./bundle-stub")>("./bundle-stub").stubbedBundleModule());

const TABLE_ARN = "arn:aws:dynamodb:eu-west-1:123456789012:table/EnsembleInvariantsInvariantTable";
const IDEMPOTENCY_TABLE_ARN = "arn:aws:dynamodb:eu-west-1:123456789012:table/EnsembleInvariantsIdempotencyTable";
const CLUSTER_ARN = `arn:aws:kafka:eu-west-1:123456789012:cluster/dev-ensemble/${MOCK_CLUSTER_UUID}`;
const TOPIC_ARN = (topic: string) => `arn:aws:kafka:eu-west-1:123456789012:topic/dev-ensemble/${MOCK_CLUSTER_UUID}/${topic}`;
const ALARM_TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:topic/EnsembleAlarmsTopic";
const FUNCTION_ARN = "arn:aws:lambda:eu-west-1:123456789012:function/EnsembleInvariantsFunction";
const SCHEDULE_ARN = "arn:aws:cloudwatch:eu-west-1:123456789012:eventRule/EnsembleInvariantsSchedule";
/** Default stack config: 168 h context topics, 336 h dead-letter topics, so 336 h + a day's segment + an hour. */
const DEDUPE_WINDOW_SECONDS = 361 * 3600;

interface Statement {
  Sid: string;
  Effect: string;
  Action: string[];
  Resource: string[];
}
const statementsOf = (mocks: PulumiMocks, policy: string): Statement[] => JSON.parse(mocks.named(policy).inputs.policy as string).Statement;
const dashboardWidgets = (mocks: PulumiMocks): { type: string; properties: { title?: string; alarms?: string[]; metrics?: { expression: string }[][] } }[] =>
  JSON.parse(mocks.byType("aws:cloudwatch/dashboard:Dashboard")[0]!.inputs.dashboardBody as string).widgets;

describe("the invariants group on AWS, under Pulumi's mocks", () => {
  let mocks: PulumiMocks;

  beforeAll(async () => {
    mocks = await deploy(withEverything);
  });

  it("keeps each key's events in a table of its own: key id, TTL on expiresAt, the due index, on demand, point-in-time recovery, encrypted, deletion protection as the stack says", () => {
    expect(mocks.named("EnsembleInvariantsInvariantTable").inputs).toEqual({
      name: "dev-invariants",
      billingMode: "PAY_PER_REQUEST",
      hashKey: "id",
      attributes: [
        { name: "id", type: "S" },
        { name: "dueShard", type: "S" },
        { name: "dueAt", type: "N" },
      ],
      globalSecondaryIndexes: [
        {
          name: "due",
          keySchemas: [
            { attributeName: "dueShard", keyType: "HASH" },
            { attributeName: "dueAt", keyType: "RANGE" },
          ],
          projectionType: "ALL",
        },
      ],
      ttl: { attributeName: "expiresAt", enabled: true },
      serverSideEncryption: { enabled: true },
      pointInTimeRecovery: { enabled: true },
      deletionProtectionEnabled: true,
      tags: { owner: "invariants" },
    });
  });

  it("lets the group get and update only items of its two tables, query only the due index, and write only its dead-letter and violations topics", () => {
    const statements = statementsOf(mocks, "EnsembleInvariantsPolicy");
    const of = (prefix: string) => statements.filter((s) => s.Action.some((a) => a.startsWith(prefix))).map(({ Sid, Action, Resource }) => ({ Sid, Action, Resource }));
    expect(of("dynamodb:")).toEqual([
      { Sid: "IdempotencyTable", Action: ["dynamodb:PutItem", "dynamodb:DeleteItem"], Resource: [IDEMPOTENCY_TABLE_ARN] },
      { Sid: "GetTables", Action: ["dynamodb:GetItem"], Resource: [IDEMPOTENCY_TABLE_ARN, TABLE_ARN] },
      { Sid: "UpdateTables", Action: ["dynamodb:UpdateItem"], Resource: [IDEMPOTENCY_TABLE_ARN, TABLE_ARN] },
      { Sid: "QueryDueIndex", Action: ["dynamodb:Query"], Resource: [`${TABLE_ARN}/index/due`] },
    ]);
    expect(of("kafka-cluster:")).toEqual([
      { Sid: "KafkaCluster", Action: ["kafka-cluster:Connect", "kafka-cluster:DescribeClusterDynamicConfiguration"], Resource: [CLUSTER_ARN] },
      { Sid: "KafkaDescribeTopics", Action: ["kafka-cluster:DescribeTopic"], Resource: ["sales.events", "billing.events", "invariants.dlq", "invariants.violations"].map(TOPIC_ARN) },
      { Sid: "KafkaReadTopics", Action: ["kafka-cluster:ReadData"], Resource: ["sales.events", "billing.events"].map(TOPIC_ARN) },
      {
        Sid: "KafkaConsumerGroup",
        Action: ["kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"],
        Resource: ["dev.invariants.sales", "dev.invariants.billing"].map((id) => `arn:aws:kafka:eu-west-1:123456789012:group/dev-ensemble/${MOCK_CLUSTER_UUID}/${id}`),
      },
      { Sid: "KafkaWriteTopics", Action: ["kafka-cluster:WriteData"], Resource: ["invariants.dlq", "invariants.violations"].map(TOPIC_ARN) },
      { Sid: "KafkaIdempotentWrite", Action: ["kafka-cluster:WriteDataIdempotently"], Resource: [CLUSTER_ARN] },
    ]);
    // Nothing else is new: no Scan, no PutItem or DeleteItem on the table, no other service.
    expect([...new Set(statements.flatMap((s) => s.Action.map((a) => a.split(":")[0])))].sort()).toEqual(["dynamodb", "ec2", "kafka", "kafka-cluster", "logs", "xray"]);
  });

  it("tells the function its table, its violations topic and how long to keep a key: the longest bound plus the deduplication window", () => {
    expect(mocks.named("EnsembleInvariantsFunction").inputs.environment.variables).toMatchObject({
      ENSEMBLE_INVARIANT_TABLE: "dev-invariants",
      ENSEMBLE_VIOLATION_TOPIC: "invariants.violations",
      ENSEMBLE_INVARIANT_KEEP_SECONDS: String(15 * 60 + DEDUPE_WINDOW_SECONDS),
      ENSEMBLE_IDEMPOTENCY_TTL_SECONDS: String(DEDUPE_WINDOW_SECONDS),
    });
  });

  it("binds the platform's handler to the project's invariants in the function's bundle", () => {
    expect(bundlesSeen.find((seen) => seen.name === "dev-invariants")?.entry).toBe(
      'import { invariants } from "./invariants";\nimport { invariantsHandler } from "./platform/runtime/invariants";\nexport const handler = invariantsHandler(invariants);',
    );
  });

  it("invokes the function every minute from a schedule that alone may invoke it", () => {
    expect(mocks.named("EnsembleInvariantsSchedule").inputs).toMatchObject({ name: "dev-invariants-sweep", scheduleExpression: "rate(1 minute)", tags: { owner: "invariants" } });
    expect(mocks.named("EnsembleInvariantsScheduleTarget").inputs).toEqual({ rule: "dev-invariants-sweep", arn: FUNCTION_ARN });
    expect(mocks.named("EnsembleInvariantsSchedulePermission").inputs).toEqual({
      action: "lambda:InvokeFunction",
      function: "dev-invariants",
      principal: "events.amazonaws.com",
      sourceArn: SCHEDULE_ARN,
    });
  });

  it("counts the handler's violation log lines per invariant, and alarms on one in a minute, telling the alarm topic when it fires and when it clears", () => {
    expect(mocks.named("EnsembleInvariantsViolationsMetric").inputs).toEqual({
      name: "dev-invariants-violations",
      logGroupName: "/aws/lambda/dev-invariants",
      pattern: '{ $.message = "invariant violated" }',
      metricTransformation: { namespace: "Ensemble/dev", name: "InvariantViolations", value: "1", unit: "Count", dimensions: { Invariant: "$.invariant" } },
    });
    const alarm = mocks.named("EnsembleInvariantsViolationsAlarm").inputs;
    expect(alarm).toMatchObject({
      name: "dev-invariants-violations",
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
      alarmActions: [ALARM_TOPIC_ARN],
      okActions: [ALARM_TOPIC_ARN],
    });
    expect(alarm.metricQueries).toEqual([
      ...[settlesOnce, noInvoiceAfterRefund].map((invariant, index) => ({
        id: `invariant${index}`,
        returnData: false,
        metric: { namespace: "Ensemble/dev", metricName: "InvariantViolations", dimensions: { Invariant: invariant.name }, stat: "Sum", period: 60 },
      })),
      { id: "violations", expression: "FILL(invariant0, 0) + FILL(invariant1, 0)", label: "Invariant violations", returnData: true },
    ]);
  });

  it("shows the violations per invariant on the dashboard, and the alarm among the stack's", () => {
    const widgets = dashboardWidgets(mocks);
    expect(widgets.filter((w) => w.type === "alarm").flatMap((w) => w.properties.alarms)).toContain("arn:aws:cloudwatch:eu-west-1:123456789012:metricAlarm/EnsembleInvariantsViolationsAlarm");
    const violations = widgets.filter((w) => w.properties.title === "Invariant violations per invariant");
    expect(violations.map((w) => w.properties.metrics)).toEqual([[[{ id: "m0", expression: `SEARCH('{Ensemble/dev,Invariant} MetricName="InvariantViolations"', 'Sum', 300)`, label: "" }]]]);
  });

  it("passes the policy pack with prod's strict settings, new resources included", async () => {
    const violations = await evaluatePolicies(mocks.policyGraph(), { config: stackPolicyConfig("prod"), defaultTags: { tags: { project: "ensemble", stack: "dev" } } });
    expect(violations.map(({ policy, name, message }) => `${policy}: ${name}: ${message}`)).toEqual([]);
  });
});

describe("a topology without invariants, under Pulumi's mocks", () => {
  it("has no invariants group, table, schedule, violations topic, metric filter, alarm or dashboard widget", async () => {
    const mocks = await deploy(withNeither);
    const names = mocks.resources.map((r) => r.name);
    expect(names.filter((name) => /Invariant|Violations|Schedule/.test(name))).toEqual([]);
    expect(mocks.byType("aws:dynamodb/table:Table").map((t) => t.inputs.name)).not.toContain("dev-invariants");
    expect(mocks.byType("aws:msk/topic:Topic").map((t) => t.inputs.name)).not.toContain("invariants.violations");
    expect(mocks.byType("aws:cloudwatch/eventRule:EventRule")).toEqual([]);
    expect(mocks.byType("aws:cloudwatch/logMetricFilter:LogMetricFilter").map((f) => f.inputs.metricTransformation.name)).not.toContain(INVARIANT_VIOLATIONS_METRIC);
    expect(dashboardWidgets(mocks).map((w) => w.properties.title)).not.toContain("Invariant violations per invariant");
    expect(mocks.byType("aws:lambda/function:Function").filter((f) => "ENSEMBLE_INVARIANT_TABLE" in f.inputs.environment.variables)).toEqual([]);
  });
});

describe("invariantKeepSeconds", () => {
  it("is the longest bound plus the deduplication window, a never-invariant counting no bound", () => {
    expect(invariantKeepSeconds([settlesOnce, noInvoiceAfterRefund], 3600)).toBe(900 + 3600);
    expect(invariantKeepSeconds([noInvoiceAfterRefund], 3600)).toBe(3600);
  });
});

describe("what infra and the runtime must agree on", () => {
  it("counts the very log line the handler writes per violation, on the index the sweep queries", () => {
    expect(VIOLATION_LOG_MESSAGE).toBe(RUNTIME_VIOLATION_LOG_MESSAGE);
    expect(dueIndexArn("arn:aws:dynamodb:eu-west-1:123456789012:table/dev-invariants")).toBe("arn:aws:dynamodb:eu-west-1:123456789012:table/dev-invariants/index/due");
  });
});
