import * as path from "node:path";
import validateAsl from "asl-validator";
import { topology } from "../../../topology";
import { contexts, orders } from "../../../contexts";
import { correlatorName, correlatorOf, defineConsumer, names, pascal } from "../../../platform/model";
import { inExample } from "../../support/example";
import { awaitOutput, comparable, MOCK_CLUSTER_UUID, type RecordedResource } from "../../support/pulumi-mocks";
import { runProgram, stackFileConfig } from "../../support/stack";

/** Every consumer group the program deploys: those of consumers/ and the platform's correlators. */
const { consumers } = topology;
const correlators = consumers.filter((c) => c.correlates);

const CLUSTER = (stack: string) => `arn:aws:kafka:eu-west-1:123456789012:cluster/${stack}-ensemble/${MOCK_CLUSTER_UUID}`;
const TOPIC = (stack: string, topic: string) => `arn:aws:kafka:eu-west-1:123456789012:topic/${stack}-ensemble/${MOCK_CLUSTER_UUID}/${topic}`;

interface Statement {
  Sid: string;
  Effect: string;
  Action: string[];
  Resource: string[];
}


/** A dashboard's inputs without its first widget, the alarm list. */
const withoutAlarmWidget = (inputs: Record<string, any>) => {
  const body = JSON.parse(inputs.dashboardBody as string) as { widgets: { type: string }[] };
  return { ...inputs, dashboardBody: JSON.stringify({ widgets: body.widgets.filter((widget) => widget.type !== "alarm") }) };
};
const policyOf = (resource: RecordedResource): Statement[] => JSON.parse(resource.inputs.policy as string).Statement;
const statementsWith = (statements: Statement[], action: string) => statements.filter((s) => s.Action.includes(action));

describe("the Pulumi program under mocks", () => {
  describe.each([
    [
      "dev",
      {
        subnets: 2,
        brokers: 2,
        instanceType: "kafka.t3.small",
        partitions: 3,
        dlqPartitions: 2,
        replication: 2,
        minIsr: 1,
        retention: 7,
        stateMachineLogs: { level: "ALL", includeExecutionData: true },
        subscriptions: 1,
        lag: 50_000,
        errors: 10,
        periodSeconds: 300,
        volumeGb: 20,
        notify: { min: 1, max: 4, concurrency: 12 },
      },
    ],
    [
      "prod",
      {
        subnets: 3,
        brokers: 3,
        instanceType: "kafka.m7g.large",
        partitions: 12,
        dlqPartitions: 6,
        replication: 3,
        minIsr: 2,
        retention: 365,
        stateMachineLogs: { level: "ERROR", includeExecutionData: false },
        subscriptions: 2,
        lag: 5_000,
        errors: 1,
        periodSeconds: 60,
        volumeGb: 500,
        notify: { min: 2, max: 10, concurrency: 40 },
      },
    ],
  ])("stack %s", (stack, expected) => {
    let run: Awaited<ReturnType<typeof runProgram>>;

    beforeAll(async () => {
      run = await runProgram(stack);
    });

    it("creates exactly these resources for the topology in contexts/ and consumers/", () => {
      const functions = contexts.reduce((sum, c) => sum + c.tasks.length + 1, 0) + consumers.length;
      const machines = contexts.filter((c) => c.workflow).length;
      const mappings = consumers.reduce((sum, c) => sum + new Set(c.on.map((event) => event.context)).size, 0);
      // the invariants group, when the topology declares invariants; contexts with a failure milestone
      const checkers = consumers.filter((c) => c.checks).length;
      const backstops = contexts.filter((c) => c.failure).length;
      expect(run.mocks.countsByType()).toEqual({
        // the stack's KMS key and alarm topic, with one subscription per notify address
        "aws:kms/key:Key": 1,
        "aws:kms/alias:Alias": 1,
        "aws:sns/topic:Topic": 1,
        "aws:sns/topicPolicy:TopicPolicy": 1,
        "aws:sns/topicSubscription:TopicSubscription": expected.subscriptions,
        // network: a VPC, private subnets and route tables per AZ, interface + gateway endpoints,
        // the default security group emptied and the default network ACL narrowed, and flow logs
        "aws:ec2/vpc:Vpc": 1,
        "aws:ec2/subnet:Subnet": expected.subnets,
        "aws:ec2/routeTable:RouteTable": expected.subnets,
        "aws:ec2/routeTableAssociation:RouteTableAssociation": expected.subnets,
        "aws:ec2/securityGroup:SecurityGroup": 3,
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": 1,
        "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": 1,
        "aws:ec2/vpcEndpoint:VpcEndpoint": 4,
        "aws:ec2/flowLog:FlowLog": 1,
        // kafka: cluster, configuration, broker logs, a topic per context, a dead-letter topic
        // per group and the invariants group's violations topic (the example: 3 + 10 + 1)
        "aws:msk/cluster:Cluster": 1,
        "aws:msk/configuration:Configuration": 1,
        "aws:msk/topic:Topic": contexts.length + consumers.length + checkers,
        // a function per task, per context's publisher and per consumer group (the example:
        // (5 + 5 + 4 tasks) + 3 publishers + 10 = 27), each with role, policy and log group; plus a role,
        // policy and log group per state machine, broker logs, and the flow log's role, policy
        // and log group
        "aws:lambda/function:Function": functions,
        "aws:iam/role:Role": functions + machines + 1,
        "aws:iam/rolePolicy:RolePolicy": functions + machines + 1,
        "aws:cloudwatch/logGroup:LogGroup": functions + machines + 2,
        "aws:sfn/stateMachine:StateMachine": machines,
        // consumer groups: one mapping per subscribed context (the example: 3 + 1 + 1 + 1 + 3 + 3 + 1 + 1 + 1 + 3 = 18),
        // a table and two metric filters each; alarms: lag, errors and dead letters per group, lag
        // per mapping, failed and timed-out executions and publisher errors per context, broker disk
        "aws:lambda/eventSourceMapping:EventSourceMapping": mappings,
        "aws:dynamodb/table:Table": consumers.length + correlators.length + checkers,
        "aws:cloudwatch/metricAlarm:MetricAlarm": 3 * consumers.length + mappings + 3 * machines + 1 + checkers + backstops,
        "aws:cloudwatch/logMetricFilter:LogMetricFilter": 2 * consumers.length + checkers,
        "aws:cloudwatch/dashboard:Dashboard": 1,
        // the invariants group's schedule, and each failure backstop's rule and reconciliation
        // schedule (each with a target and permission), queue (with its policy) and the
        // publisher's asynchronous retries into it
        ...(checkers + backstops > 0
          ? {
              "aws:cloudwatch/eventRule:EventRule": checkers + 2 * backstops,
              "aws:cloudwatch/eventTarget:EventTarget": checkers + 2 * backstops,
              "aws:lambda/permission:Permission": checkers + 2 * backstops,
            }
          : {}),
        ...(backstops > 0
          ? {
              "aws:sqs/queue:Queue": backstops,
              "aws:sqs/queuePolicy:QueuePolicy": backstops,
              "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": backstops,
            }
          : {}),
      });
    });

    it("creates an IAM-only, TLS-everywhere MSK cluster sized by the stack", () => {
      const [cluster] = run.mocks.byType("aws:msk/cluster:Cluster");
      expect(cluster!.inputs).toMatchObject({
        clusterName: `${stack}-ensemble`,
        kafkaVersion: "4.1.x.kraft",
        numberOfBrokerNodes: expected.brokers,
        brokerNodeGroupInfo: { instanceType: expected.instanceType },
        clientAuthentication: { sasl: { iam: true }, unauthenticated: false },
        encryptionInfo: { encryptionInTransit: { clientBroker: "TLS", inCluster: true } },
      });
      expect(cluster!.inputs.clientAuthentication.sasl.scram).toBeFalsy();
      expect(cluster!.inputs.clientAuthentication.tls).toBeUndefined();
      expect(cluster!.inputs.brokerNodeGroupInfo.clientSubnets).toHaveLength(expected.subnets);
      expect(cluster!.inputs.brokerNodeGroupInfo.storageInfo).toEqual({ ebsStorageInfo: { volumeSize: expected.volumeGb } });
      // broker logs go to the cluster's own log group, kept as long as the stack keeps logs
      expect(cluster!.inputs.loggingInfo).toEqual({ brokerLogs: { cloudwatchLogs: { enabled: true, logGroup: `/aws/msk/${stack}-ensemble` } } });
      expect(run.mocks.byType("aws:cloudwatch/logGroup:LogGroup").find((g) => g.inputs.name === `/aws/msk/${stack}-ensemble`)?.inputs.retentionInDays).toBe(
        expected.retention,
      );
      const [configuration] = run.mocks.byType("aws:msk/configuration:Configuration");
      expect(configuration!.inputs.serverProperties).toContain("auto.create.topics.enable=false");
      expect(configuration!.inputs.serverProperties).toContain(`min.insync.replicas=${expected.minIsr}`);
    });

    it("creates one topic per context, one dead-letter topic per group and the invariants group's violations topic, with the stack's partitions", () => {
      const topics = Object.fromEntries(run.mocks.byType("aws:msk/topic:Topic").map((t) => [t.inputs.name, t.inputs]));
      expect(Object.keys(topics).filter((topic) => inExample(topic.replace(/\.(events|dlq|violations)$/, ""))).sort()).toEqual([
        "analytics.dlq",
        "audit-archive.dlq",
        "billing-correlator.dlq",
        "billing.events",
        "invariants.dlq",
        "invariants.violations",
        "notify-customer.dlq",
        "orders.events",
        "recall-shipment.dlq",
        "refund-order.dlq",
        "sales-ledger.dlq",
        "shipping.events",
        "start-billing.dlq",
        "start-shipping.dlq",
      ]);
      expect(topics["orders.events"]).toMatchObject({ partitionCount: expected.partitions, replicationFactor: expected.replication });
      expect(topics["notify-customer.dlq"]).toMatchObject({ partitionCount: expected.dlqPartitions, replicationFactor: expected.replication });
      // violations wait for a person, like dead letters: partitioned like them
      expect(topics["invariants.violations"]).toMatchObject({ partitionCount: expected.dlqPartitions, replicationFactor: expected.replication });
    });

    it("maps each consumer group's subscription with its settings, group id, filter and dead-letter destination", () => {
      const mappings = Object.fromEntries(
        run.mocks.byType("aws:lambda/eventSourceMapping:EventSourceMapping").map((m) => [m.inputs.amazonManagedKafkaEventSourceConfig.consumerGroupId, m.inputs]),
      );
      const ofExample = (groupId: string) => groupId.split(".").slice(1).every(inExample);
      expect(Object.keys(mappings).filter(ofExample).sort()).toEqual(
        [
          ...["analytics", "audit-archive", "notify-customer", "invariants"].flatMap((group) => ["billing", "orders", "shipping"].map((context) => `${stack}.${group}.${context}`)),
          `${stack}.sales-ledger.orders`,
          `${stack}.start-billing.orders`,
          `${stack}.start-shipping.orders`,
          `${stack}.refund-order.billing`,
          `${stack}.recall-shipment.billing`,
          `${stack}.billing-correlator.shipping`,
        ].sort(),
      );
      expect(mappings[`${stack}.notify-customer.orders`]).toMatchObject({
        eventSourceArn: CLUSTER(stack),
        topics: ["orders.events"],
        startingPosition: "TRIM_HORIZON",
        batchSize: 50,
        maximumBatchingWindowInSeconds: 0,
        provisionedPollerConfig: { minimumPollers: expected.notify.min, maximumPollers: expected.notify.max },
        maximumRetryAttempts: 3,
        maximumRecordAgeInSeconds: -1,
        bisectBatchOnFunctionError: true,
        functionResponseTypes: ["ReportBatchItemFailures"],
        destinationConfig: { onFailure: { destinationArn: "kafka://notify-customer.dlq" } },
        metricsConfig: { metrics: ["EventCount", "ErrorCount", "KafkaMetrics"] },
      });
      expect(mappings[`${stack}.sales-ledger.orders`]).toMatchObject({
        batchSize: 500,
        maximumBatchingWindowInSeconds: 5,
        maximumRetryAttempts: 10,
        destinationConfig: { onFailure: { destinationArn: "kafka://sales-ledger.dlq" } },
      });
      const functions = Object.fromEntries(run.mocks.byType("aws:lambda/function:Function").map((f) => [f.inputs.name, f.inputs]));
      expect(functions[`${stack}-notify-customer`]!.reservedConcurrentExecutions).toBe(expected.notify.concurrency);
    });

    it("filters every mapping to exactly the types its group subscribes to on that context (plus binary-mode and malformed records, for the wrapper)", () => {
      // Expected from consumers/ directly: per group and context, the subscribed event types.
      const expectedFilters = consumers.flatMap((consumer) =>
        [...new Set(consumer.on.map((event) => event.context))].map((context) => [
          `${stack}.${consumer.name}.${context}`,
          [
            { value: { type: consumer.on.filter((event) => event.context === context).map((event) => event.type) } },
            { value: { specversion: [{ exists: false }] } },
            { value: { type: [{ exists: false }] } },
          ],
        ]),
      );
      const mappings = run.mocks.byType("aws:lambda/eventSourceMapping:EventSourceMapping");
      const actualFilters = mappings.map((m) => [
        m.inputs.amazonManagedKafkaEventSourceConfig.consumerGroupId,
        m.inputs.filterCriteria.filters.map((f: { pattern: string }) => JSON.parse(f.pattern)),
      ]);
      expect(Object.fromEntries(actualFilters)).toEqual(Object.fromEntries(expectedFilters));
      expect(actualFilters).toHaveLength(expectedFilters.length);
      expect(Object.fromEntries(expectedFilters)[`${stack}.notify-customer.orders`][0]).toEqual({ value: { type: ["orders.OrderPlaced", "orders.OrderRejected"] } });
    });

    it("gives every consumer function a deduplication window that outlasts every record it can read again", () => {
      // The topics as created: their retention.ms and segment.ms bound how long a record lives.
      const topics = Object.fromEntries(
        run.mocks.byType("aws:msk/topic:Topic").map((t) => {
          const configs = JSON.parse(t.inputs.configs) as Record<string, string>;
          return [t.inputs.name, (Number(configs["retention.ms"]) + Number(configs["segment.ms"])) / 1000];
        }),
      );
      const functions = Object.fromEntries(run.mocks.byType("aws:lambda/function:Function").map((f) => [f.inputs.name, f.inputs]));
      for (const consumer of consumers) {
        const window = Number(functions[`${stack}-${consumer.name}`]!.environment.variables.ENSEMBLE_IDEMPOTENCY_TTL_SECONDS);
        const read = [...new Set(consumer.on.map((event) => `${event.context}.events`)), `${consumer.name}.dlq`];
        const longest = Math.max(...read.map((topic) => topics[topic]!));
        expect({ group: consumer.name, covered: window >= longest, window }).toEqual({ group: consumer.name, covered: true, window: expect.any(Number) });
      }
    });

    it("reserves for each consumer function at least its pollers' maximum over all its mappings", () => {
      const functions = Object.fromEntries(run.mocks.byType("aws:lambda/function:Function").map((f) => [f.inputs.name, f.inputs]));
      const configured = stack === "dev" ? 5 : 20;
      for (const consumer of consumers) {
        const mappings = new Set(consumer.on.map((event) => event.context)).size;
        const maxPollers = consumer.name === "notify-customer" ? expected.notify.max : consumer.scaling.maxPollers;
        const reserved = functions[`${stack}-${consumer.name}`]!.reservedConcurrentExecutions as number;
        expect({ group: consumer.name, enough: reserved >= maxPollers * mappings }).toEqual({ group: consumer.name, enough: true });
        if (consumer.name !== "notify-customer") expect(reserved).toBe(Math.max(configured, maxPollers * mappings));
      }
    });

    it("deploys a STANDARD state machine with logging and tracing whose definition is valid ASL bound to the context's functions", () => {
      const [machine] = run.mocks.byType("aws:sfn/stateMachine:StateMachine");
      expect(machine!.inputs).toMatchObject({
        name: `${stack}-orders`,
        type: "STANDARD",
        loggingConfiguration: expected.stateMachineLogs,
        tracingConfiguration: { enabled: true },
      });
      const definition = JSON.parse(machine!.inputs.definition as string);
      expect(validateAsl(definition).errors).toEqual([]);
      const functionArns = JSON.stringify(definition).match(/"FunctionName":"[^"]+"/g)!.map((m) => m.slice(16, -1));
      const own = run.mocks.byType("aws:lambda/function:Function").filter((f) => f.name.startsWith("EnsembleOrders"));
      expect(validateAsl(definition).isValid).toBe(true);
      expect(new Set(functionArns)).toEqual(new Set(own.map((f) => `arn:aws:lambda:eu-west-1:123456789012:function/${f.name}`)));
      expect(JSON.stringify(definition)).not.toContain("ensemble:");
      // every context's generated definition is valid ASL
      for (const each of run.mocks.byType("aws:sfn/stateMachine:StateMachine")) {
        expect({ machine: each.inputs.name, errors: validateAsl(JSON.parse(each.inputs.definition as string)).errors }).toEqual({ machine: each.inputs.name, errors: [] });
      }
    });

    it("sets log retention from the stack", () => {
      for (const group of run.mocks.byType("aws:cloudwatch/logGroup:LogGroup")) expect(group.inputs.retentionInDays).toBe(expected.retention);
    });

    it("alarms on each group's offset lag with the stack's threshold", () => {
      const alarms = run.mocks.byType("aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => a.inputs.metricName === "OffsetLag");
      expect(alarms.map((a) => a.inputs.dimensions.FunctionName).sort()).toEqual(
        ["analytics", "audit-archive", "billing-correlator", "invariants", "notify-customer", "recall-shipment", "refund-order", "sales-ledger", "start-billing", "start-shipping"].map(
          (group) => `${stack}-${group}`,
        ),
      );
      for (const alarm of alarms) expect(alarm.inputs.threshold).toBe(expected.lag);
    });

    it("alarms on each group's function errors with the stack's threshold and period", () => {
      const groupFunctions = consumers.map((c) => `${stack}-${c.name}`);
      const alarms = run.mocks.byType("aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => a.inputs.metricName === "Errors" && groupFunctions.includes(a.inputs.dimensions.FunctionName));
      expect(alarms.map((a) => a.inputs.dimensions.FunctionName).sort()).toEqual(groupFunctions.sort());
      for (const alarm of alarms) {
        expect(alarm.inputs).toMatchObject({
          namespace: "AWS/Lambda",
          statistic: "Sum",
          threshold: expected.errors,
          period: expected.periodSeconds,
          evaluationPeriods: 3,
          comparisonOperator: "GreaterThanOrEqualToThreshold",
        });
      }
    });

    it("names every IAM role uniquely (IAM ignores case) within AWS's 64 characters", () => {
      const names = run.mocks.byType("aws:iam/role:Role").map((r) => r.inputs.name as string);
      expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(names.length);
      expect(names.filter((n) => n.length > 64)).toEqual([]);
      expect(names).toContain(`${stack}-orders-sfn`);
      expect(names).toContain(`${stack}-notify-customer-lambda`);
    });

    it("shows on the dashboard what the event source mappings send to their dead-letter topics, fail, drop or filter", () => {
      const [dashboard] = run.mocks.byType("aws:cloudwatch/dashboard:Dashboard");
      const expressions = JSON.parse(dashboard!.inputs.dashboardBody as string).widgets.flatMap((w: { properties: { metrics?: { expression: string }[][] } }) =>
        (w.properties.metrics ?? []).flat().map((m) => m.expression),
      );
      for (const metric of ["OnFailureDestinationDeliveredEventCount", "FailedInvokeEventCount", "DroppedEventCount", "OnFailureDestinationDeliveryErrorCount", "FilteredOutEventCount"]) {
        expect(expressions).toContain(`SEARCH('{AWS/Lambda,EventSourceMappingUUID} MetricName="${metric}"', 'Sum', 300)`);
      }
      // ...and what each group's wrapper filtered (binary-mode events of types it does not read), from its batch log
      expect(expressions).toContain(`SEARCH('{Ensemble/${stack},Group} MetricName="Filtered"', 'Sum', 300)`);
      const filters = run.mocks.byType("aws:cloudwatch/logMetricFilter:LogMetricFilter").filter((f) => f.inputs.metricTransformation.name === "Filtered");
      expect(filters.map((f) => [f.inputs.pattern, f.inputs.metricTransformation.value])).toEqual(consumers.map(() => ['{ $.message = "batch processed" && $.filtered > 0 }', "$.filtered"]));
      expect(expressions).toContain(`SEARCH('{AWS/Lambda,FunctionName} MetricName="OffsetLag" ${stack}', 'Maximum', 300)`);
    });

    it("exports the cluster, its IAM brokers, topics, state machines, functions and the dashboard", async () => {
      expect(await awaitOutput(run.program.clusterArn)).toBe(CLUSTER(stack));
      expect(await awaitOutput(run.program.bootstrapBrokersIam)).toMatch(/:9098/);
      expect(run.program.topics.filter((topic) => inExample(topic.replace(/\.(events|dlq|violations)$/, "")))).toEqual([
        "orders.events",
        "shipping.events",
        "billing.events",
        "notify-customer.dlq",
        "sales-ledger.dlq",
        "start-shipping.dlq",
        "start-billing.dlq",
        "analytics.dlq",
        "audit-archive.dlq",
        "refund-order.dlq",
        "recall-shipment.dlq",
        "billing-correlator.dlq",
        "invariants.dlq",
        "invariants.violations",
      ]);
      // The mocks name every ARN after the logical resource name.
      expect(await awaitOutput(run.program.stateMachineArns.orders!)).toBe("arn:aws:sfn:eu-west-1:123456789012:stateMachine/EnsembleOrdersStateMachine");
      expect(await awaitOutput(run.program.consumerFunctions["notify-customer"]!)).toBe(`${stack}-notify-customer`);
      // the dashboard's per-mapping widgets show UUIDs; this output says whose they are
      expect(Object.keys(run.program.eventSourceMappingUuids).sort()).toEqual(Object.values(run.program.consumerGroupIds).flat().sort());
      expect(await awaitOutput(run.program.dashboardUrl)).toBe(
        `https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/${stack}-ensemble`,
      );
    });

    describe("least privilege, over every IAM policy the program creates", () => {
      const policies = () => Object.fromEntries(run.mocks.byType("aws:iam/rolePolicy:RolePolicy").map((p) => [p.name, policyOf(p)]));

      it("never grants a wildcard action", () => {
        const actions = Object.values(policies()).flatMap((statements) => statements.flatMap((s) => s.Action));
        expect(actions.length).toBeGreaterThan(0);
        expect(actions.filter((a) => a === "*" || a.endsWith(":*"))).toEqual([]);
      });

      it("lets each consumer read exactly its subscribed topics, use only its group ids and write only its dead-letter topic (the invariants group also its violations topic)", () => {
        for (const consumer of consumers) {
          const statements = policies()[`Ensemble${pascal(consumer.name)}Policy`]!;
          const contextsRead = [...new Set(consumer.on.map((event) => event.context))];
          expect(statementsWith(statements, "kafka-cluster:ReadData").flatMap((s) => s.Resource).sort()).toEqual(
            contextsRead.map((context) => TOPIC(stack, `${context}.events`)).sort(),
          );
          const writes = [`${consumer.name}.dlq`, ...(consumer.checks ? ["invariants.violations"] : [])];
          expect(statementsWith(statements, "kafka-cluster:WriteData").flatMap((s) => s.Resource)).toEqual(writes.map((topic) => TOPIC(stack, topic)));
          expect(statementsWith(statements, "kafka-cluster:AlterGroup").flatMap((s) => s.Resource).sort()).toEqual(
            contextsRead.map((context) => `arn:aws:kafka:eu-west-1:123456789012:group/${stack}-ensemble/${MOCK_CLUSTER_UUID}/${stack}.${consumer.name}.${context}`).sort(),
          );
        }
      });

      it("lets only workflow-starting groups start executions, and only of the context they start", () => {
        const starters = Object.entries(policies()).filter(([, statements]) => statementsWith(statements, "states:StartExecution").length > 0);
        expect(starters.map(([name]) => name).sort()).toEqual([
          "EnsembleRecallShipmentPolicy",
          "EnsembleRefundOrderPolicy",
          "EnsembleStartBillingPolicy",
          "EnsembleStartShippingPolicy",
        ]);
        const started = (policy: string) => statementsWith(policies()[policy]!, "states:StartExecution").flatMap((s) => s.Resource);
        expect(started("EnsembleStartShippingPolicy")).toEqual(["arn:aws:sfn:eu-west-1:123456789012:stateMachine/EnsembleShippingStateMachine"]);
        expect(started("EnsembleStartBillingPolicy")).toEqual(["arn:aws:sfn:eu-west-1:123456789012:stateMachine/EnsembleBillingStateMachine"]);
        expect(started("EnsembleRefundOrderPolicy")).toEqual(["arn:aws:sfn:eu-west-1:123456789012:stateMachine/EnsembleOrdersStateMachine"]);
        expect(started("EnsembleRecallShipmentPolicy")).toEqual(["arn:aws:sfn:eu-west-1:123456789012:stateMachine/EnsembleShippingStateMachine"]);
      });

      it("lets each publisher write exactly its context's topic, and read it back only through its check groups", () => {
        for (const context of contexts) {
          const statements = policies()[`Ensemble${pascal(context.name)}PublisherPolicy`]!;
          expect(statementsWith(statements, "kafka-cluster:WriteData").flatMap((s) => s.Resource)).toEqual([TOPIC(stack, `${context.name}.events`)]);
          // exactly these Kafka actions, each on exactly this resource
          const kafka = statements.flatMap((s) => s.Action.filter((a) => a.startsWith("kafka")).map((a) => `${a} ${s.Resource.join(",")}`));
          const checkGroups = CLUSTER(stack).replace(":cluster/", ":group/") + `/${stack}.${context.name}.publish-check.*`;
          expect(kafka.sort()).toEqual(
            [
              `kafka-cluster:Connect ${CLUSTER(stack)}`,
              `kafka-cluster:WriteDataIdempotently ${CLUSTER(stack)}`,
              `kafka-cluster:DescribeTopic ${TOPIC(stack, `${context.name}.events`)}`,
              `kafka-cluster:WriteData ${TOPIC(stack, `${context.name}.events`)}`,
              `kafka-cluster:ReadData ${TOPIC(stack, `${context.name}.events`)}`,
              `kafka-cluster:DescribeGroup ${checkGroups}`,
              `kafka-cluster:AlterGroup ${checkGroups}`,
            ].sort(),
          );
        }
      });

      it("gives every milestone state a timeout past its publisher's, and the Retry that covers a timed-out or crashed publisher", () => {
        type AnyState = { Parameters?: { Payload?: { "executionId.$"?: string } }; TimeoutSeconds?: number; Retry?: { ErrorEquals: string[] }[] } & Record<string, unknown>;
        const statesOf = (states: Record<string, AnyState>): AnyState[] =>
          Object.values(states).flatMap((state) => [
            state,
            ...statesOf(((state.ItemProcessor ?? state.Iterator) as { States?: Record<string, AnyState> } | undefined)?.States ?? {}),
            ...((state.Branches as { States: Record<string, AnyState> }[] | undefined) ?? []).flatMap((branch) => statesOf(branch.States)),
          ]);
        for (const machine of run.mocks.byType("aws:sfn/stateMachine:StateMachine")) {
          const milestones = statesOf(JSON.parse(machine.inputs.definition).States).filter((state) => state.Parameters?.Payload?.["executionId.$"] === "$$.Execution.Id" && !String(state.Resource).endsWith(".waitForTaskToken"));
          expect(milestones.length).toBeGreaterThan(0);
          for (const state of milestones) {
            expect(state.TimeoutSeconds).toBe((stack === "dev" ? 30 : 60) + 10);
            expect(state.Retry![0]!.ErrorEquals).toEqual(
              expect.arrayContaining(["Milestone.PublishFailed", "Lambda.Unknown", "Sandbox.Timedout", "States.Timeout", "Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"]),
            );
          }
        }
      });

      it("lets each state machine invoke exactly its own functions (and its correlator, by name), and task functions touch no Kafka", () => {
        for (const context of contexts) {
          const prefix = `Ensemble${pascal(context.name)}`;
          const invoke = statementsWith(policies()[`${prefix}StateMachinePolicy`]!, "lambda:InvokeFunction").flatMap((s) => s.Resource);
          const own = run.mocks
            .byType("aws:lambda/function:Function")
            .filter((f) => f.name.startsWith(prefix) && !f.name.startsWith(`Ensemble${pascal(correlatorName(context.name))}`))
            .map((f) => `arn:aws:lambda:eu-west-1:123456789012:function/${f.name}`);
          const correlator = correlatorOf(context) ? [`arn:aws:lambda:eu-west-1:123456789012:function:${names.consumerFunction(stack, correlatorName(context.name))}`] : [];
          expect(invoke.sort()).toEqual([...own, ...correlator].sort());
          expect(own).toHaveLength(context.tasks.length + 1);
          for (const task of context.tasks) {
            expect(policies()[`${prefix}${task.name}Policy`]!.flatMap((s) => s.Action).filter((a) => a.startsWith("kafka"))).toEqual([]);
          }
        }
      });
    });
  });

  it("adds resources and changes none of the existing ones when a consumer group is added", async () => {
    // Prepare
    const before = await runProgram("dev");
    const auditTrail = defineConsumer({
      name: "audit-trail",
      on: [orders.events.OrderPlaced, orders.events.OrderRejected],
      handler: path.relative(__dirname, path.resolve("consumers/sales-ledger/handler.ts")),
    });

    // Act
    const after = await runProgram("dev", stackFileConfig("dev"), () => {
      jest.doMock("../../../topology", () => ({ topology: { contexts, consumers: [...consumers.filter((c) => !c.correlates), auditTrail] } }));
    });

    // Assess
    // Keyed by type and name: a component and its first child may share a name.
    const byName = (resources: RecordedResource[]) => new Map(resources.map((r) => [`${r.type}::${r.name}`, r]));
    const old = byName(before.mocks.resources);
    const now = byName(after.mocks.resources);
    for (const [name, resource] of old) {
      // The dashboard's alarm widget lists every alarm, so it gains the new group's; nothing else changes.
      const inputs = (r: RecordedResource | undefined) => (r?.type === "aws:cloudwatch/dashboard:Dashboard" ? withoutAlarmWidget(r.inputs) : r?.inputs);
      expect({ name, inputs: await comparable(inputs(now.get(name))) }).toEqual({ name, inputs: await comparable(inputs(resource)) });
    }
    const alarmsShown = (run: typeof before): string[] =>
      JSON.parse(run.mocks.byType("aws:cloudwatch/dashboard:Dashboard")[0]!.inputs.dashboardBody)
        .widgets.filter((w: { type: string }) => w.type === "alarm")
        .flatMap((w: { properties: { alarms: string[] } }) => w.properties.alarms);
    expect(alarmsShown(after).filter((arn) => !alarmsShown(before).includes(arn))).toEqual(
      ["DeadLetterAlarm", "ErrorAlarm", "LagAlarm", "LagAlarmOrders"].map((alarm) => `arn:aws:cloudwatch:eu-west-1:123456789012:metricAlarm/EnsembleAuditTrail${alarm}`),
    );
    const added = [...now.entries()].filter(([key, r]) => !old.has(key) && r.custom).map(([, r]) => r);
    expect(added.map((r) => r.type).sort()).toEqual(
      [
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:cloudwatch/logMetricFilter:LogMetricFilter",
        "aws:cloudwatch/logMetricFilter:LogMetricFilter",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:dynamodb/table:Table",
        "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:lambda/eventSourceMapping:EventSourceMapping",
        "aws:lambda/function:Function",
        "aws:msk/topic:Topic",
      ].sort(),
    );
  });
});
