import type { RecordedResource } from "../../support/pulumi-mocks";
import { runProgram } from "../../support/stack";

interface Statement {
  readonly Sid?: string;
  readonly Action: string[];
  readonly Resource: string[];
}
const policyOf = (resource: RecordedResource): Statement[] => JSON.parse(resource.inputs.policy as string).Statement;

// billing waits for shipping's ShipmentDispatched (contexts/billing/workflow.ts): what AWS gets for it.
describe.each(["dev", "prod"])("billing's wait for the dispatch on stack %s, under Pulumi's mocks", (stack) => {
  let run: Awaited<ReturnType<typeof runProgram>>;
  const machineArn = "arn:aws:sfn:eu-west-1:123456789012:stateMachine/EnsembleBillingStateMachine";

  beforeAll(async () => {
    run = await runProgram(stack);
  });

  it("binds the wait state to the correlator's function, as a callback task with the token, its timeout and a Catch of the timeout", () => {
    const definition = JSON.parse(run.mocks.named("EnsembleBillingStateMachine").inputs.definition as string);
    const correlator = run.mocks.named("EnsembleBillingCorrelatorFunction").inputs;
    expect(correlator.name).toBe(`${stack}-billing-correlator`);
    // billing starts by waiting; the order's tax and number come after the dispatch
    expect(definition.StartAt).toBe("AwaitDispatch");
    expect(definition.States.AwaitDispatch).toMatchObject({
      Type: "Task",
      Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
      Parameters: {
        FunctionName: `arn:aws:lambda:eu-west-1:123456789012:function:${correlator.name}`,
        Payload: { type: "shipping.ShipmentDispatched", eventKey: "$.orderId", "key.$": "$.orderId", "taskToken.$": "$$.Task.Token", state: "AwaitDispatch", timeoutSeconds: 604_800 },
      },
      TimeoutSeconds: 604_800,
      ResultPath: "$.dispatch",
      Catch: [{ ErrorEquals: ["States.Timeout"], Next: "AnnounceNotDispatched" }],
      Next: "Prepare",
    });
    expect(definition.States.AwaitDispatch.Retry[0].ErrorEquals).toContain("Ensemble.WaitRegistrationFailed");
    // A timed-out wait publishes billing's failure milestone, InvoiceFailed, through its publisher, then fails.
    expect(definition.States.AnnounceNotDispatched).toMatchObject({
      Type: "Task",
      Resource: "arn:aws:states:::lambda:invoke",
      Parameters: {
        FunctionName: definition.States.Issued.Parameters.FunctionName,
        Payload: { type: "billing.InvoiceFailed", "key.$": "$$.Execution.Input.orderId", data: { reason: "NotDispatched" }, state: "ensemble:failed" },
      },
      ResultPath: null,
      Next: "NotDispatched",
    });
    expect(definition.States.NotDispatched).toMatchObject({ Type: "Fail", Error: "NotDispatched" });
    // The state machine may invoke it: by the ARN its name gives (the function is created after the state machine).
    const invoke = policyOf(run.mocks.named("EnsembleBillingStateMachinePolicy")).filter((s) => s.Action.includes("lambda:InvokeFunction"));
    expect(invoke.flatMap((s) => s.Resource)).toContain(`arn:aws:lambda:eu-west-1:123456789012:function:${correlator.name}`);
  });

  it("gives the correlator a table of waits with TTL, point-in-time recovery and the stack's deletion protection, named in its environment", () => {
    const table = run.mocks.named("EnsembleBillingCorrelatorWaitTable").inputs;
    expect(table).toMatchObject({
      name: `${stack}-billing-waits`,
      hashKey: "id",
      attributes: [{ name: "id", type: "S" }],
      ttl: { attributeName: "expiresAt", enabled: true },
      billingMode: "PAY_PER_REQUEST",
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true },
      deletionProtectionEnabled: stack === "prod",
    });
    const env = run.mocks.named("EnsembleBillingCorrelatorFunction").inputs.environment.variables;
    expect(env).toMatchObject({ ENSEMBLE_WAIT_TABLE: `${stack}-billing-waits`, ENSEMBLE_IDEMPOTENCY_TABLE: `${stack}-billing-correlator-idempotency` });
    expect(env).not.toHaveProperty("ENSEMBLE_START_STATE_MACHINE_ARN");
  });

  it("lets the correlator answer the waits of billing's state machine only, update its two tables, and nothing else in Step Functions", () => {
    const statements = policyOf(run.mocks.named("EnsembleBillingCorrelatorPolicy"));
    const states = statements.filter((s) => s.Action.some((a) => a.startsWith("states:")));
    expect(states).toEqual([{ Sid: "CompleteWaits", Effect: "Allow", Action: ["states:SendTaskSuccess", "states:SendTaskFailure"], Resource: [machineArn] }]);
    const dynamo = Object.fromEntries(statements.filter((s) => s.Action.some((a) => a.startsWith("dynamodb:"))).map((s) => [s.Sid, [s.Action, s.Resource]]));
    expect(dynamo).toEqual({
      IdempotencyTable: [["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"], ["arn:aws:dynamodb:eu-west-1:123456789012:table/EnsembleBillingCorrelatorIdempotencyTable"]],
      UpdateTables: [
        ["dynamodb:UpdateItem"],
        ["arn:aws:dynamodb:eu-west-1:123456789012:table/EnsembleBillingCorrelatorIdempotencyTable", "arn:aws:dynamodb:eu-west-1:123456789012:table/EnsembleBillingCorrelatorWaitTable"],
      ],
    });
    // No other function may complete a wait.
    const others = run.mocks
      .byType("aws:iam/rolePolicy:RolePolicy")
      .filter((p) => p.name !== "EnsembleBillingCorrelatorPolicy")
      .flatMap((p) => policyOf(p).flatMap((s) => s.Action))
      .filter((a) => a === "states:SendTaskSuccess" || a === "states:SendTaskFailure");
    expect(others).toEqual([]);
  });

  it("reads the awaited events through an event source mapping of its own, filtered to ShipmentDispatched, with a dead-letter topic", () => {
    const mapping = run.mocks.named("EnsembleBillingCorrelatorEventSourceMappingShipping").inputs;
    expect(mapping).toMatchObject({
      topics: ["shipping.events"],
      amazonManagedKafkaEventSourceConfig: { consumerGroupId: `${stack}.billing-correlator.shipping` },
      functionResponseTypes: ["ReportBatchItemFailures"],
      destinationConfig: { onFailure: { destinationArn: "kafka://billing-correlator.dlq" } },
    });
    expect(JSON.parse(mapping.filterCriteria.filters[0].pattern)).toEqual({ value: { type: ["shipping.ShipmentDispatched"] } });
  });
});
