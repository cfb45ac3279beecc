import {
  ExecutionAlreadyExists,
  ExecutionLimitExceeded,
  SFNClient,
  SFNServiceException,
  StartExecutionCommand,
  StateMachineDoesNotExist,
} from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { RuntimeError } from "../../../platform/runtime/errors";
import {
  executionName,
  InvalidStartRequestError,
  RecordingWorkflowStarter,
  SfnWorkflowStarter,
  WorkflowStartError,
  type StartWorkflowRequest,
} from "../../../platform/runtime/workflow-starter";

const STATE_MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:prod-shipping";
const EVENT_ID = "3f0c9a52-8f1e-5b7e-9d4a-0c1b2e3f4a5b";
const NAME = `ship-order_${EVENT_ID}`;
const EXECUTION_ARN = `arn:aws:states:eu-west-1:123456789012:execution:prod-shipping:${NAME}`;

// The StartExecution name rules, written out from the API reference rather than taken from the
// code under test: https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
const AWS_FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f\ufffe\uffff\ud800-\udfff]/u;
// What executionName promises on top: the subset CloudWatch Logs logging needs.
const CLOUDWATCH_SAFE = /^[A-Za-z0-9_-]+$/;

function expectValidName(name: string) {
  expect(name.length).toBeGreaterThanOrEqual(1);
  expect(name.length).toBeLessThanOrEqual(80);
  expect(name).not.toMatch(AWS_FORBIDDEN);
  expect(name).toMatch(CLOUDWATCH_SAFE);
}

/** Deterministic odd strings: every forbidden character, Unicode, emoji, lone surrogates, long runs. */
function oddStrings(count: number, seed: number): string[] {
  const palette = [
    ..." \t\n\r\u00a0\u2028<>{}[]?*\"#%\\^|~`$&,;:/\u0000\u001f\u007f\u009f\ufffe\uffff",
    ..."aZ09-_.@+=!'()",
    "é",
    "日本",
    "🙂",
    "\ud800",
    "\udfff",
    "a".repeat(100),
  ];
  let state = seed;
  const next = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31);
  return Array.from({ length: count }, () =>
    Array.from({ length: next() % 40 }, () => palette[next() % palette.length]).join(""),
  );
}

describe("executionName", () => {
  it("keeps a plain group and event id verbatim, joined by _", () => {
    // Act
    const name = executionName("ship-order", EVENT_ID);

    // Assess
    expect(name).toBe(NAME);
  });

  it("is deterministic", () => {
    // Prepare
    const inputs: [string, string][] = [
      ["ship-order", EVENT_ID],
      ["g".repeat(120), "orders:exec/Placed#3"],
      ["dev.ship_order", "🙂".repeat(90)],
    ];

    // Act
    const first = inputs.map(([group, id]) => executionName(group, id));
    const second = inputs.map(([group, id]) => executionName(group, id));

    // Assess
    expect(second).toEqual(first);
  });

  it("keeps the full event id when only the group is too long, and still tells long groups apart", () => {
    // Prepare
    const longA = `${"billing-".repeat(10)}a`;
    const longB = `${"billing-".repeat(10)}b`;

    // Act
    const a = executionName(longA, EVENT_ID);
    const b = executionName(longB, EVENT_ID);

    // Assess
    expect(a).not.toBe(b);
    for (const name of [a, b]) {
      expect(name.endsWith(`_${EVENT_ID}`)).toBe(true);
      expect(name.startsWith("billing-billing-")).toBe(true);
      expectValidName(name);
    }
  });

  it("uses a consumer group name of up to 43 characters verbatim next to a UUID", () => {
    // Prepare: 43 = 64 (Lambda function name) - 20 (stack) - 1 ("-")
    const group = `a${"-b".repeat(21)}`;

    // Act
    const name = executionName(group, EVENT_ID);

    // Assess
    expect(name).toBe(`${group}_${EVENT_ID}`);
    expect(name).toHaveLength(80);
  });

  it("differs across groups and event ids, including ones that only differ where they are cut or cleaned", () => {
    // Prepare
    const long = "x".repeat(300);
    const pairs: [string, string][] = [
      ["ship-order", EVENT_ID],
      ["notify-customer", EVENT_ID],
      ["ship-order", "3f0c9a52-8f1e-5b7e-9d4a-0c1b2e3f4a5c"],
      // The separator cannot be confused: "-" and "_" moved between the parts.
      ["a-b", "c"],
      ["a", "b-c"],
      ["a", "b_c"],
      ["a_b", "c"],
      ["a", "_b"],
      ["a_", "b"],
      // Cleaned to the same characters.
      ["ship-order", "a:b"],
      ["ship-order", "a/b"],
      ["ship-order", "a-b"],
      ["ship.order", "a"],
      ["ship_order", "a"],
      ["ship-order", "a"],
      // Cut to the same prefix.
      ["ship-order", `${long}1`],
      ["ship-order", `${long}2`],
      [`${long}1`, "e"],
      [`${long}2`, "e"],
      // The verbatim id limit, either side of it.
      ["g", "e".repeat(65)],
      ["g", "e".repeat(66)],
      ["", ""],
      ["", "e"],
      ["g", ""],
    ];

    // Act
    const names = pairs.map(([group, id]) => executionName(group, id));

    // Assess
    expect(new Set(names).size).toBe(pairs.length);
    names.forEach(expectValidName);
  });

  it("always returns a valid name of at most 80 characters, for long and odd inputs", () => {
    // Prepare
    const groups = ["ship-order", "g".repeat(500), "dev.ship-order", ...oddStrings(40, 7)];
    const ids = [EVENT_ID, "e".repeat(500), "orders:exec-1/Placed#0", ...oddStrings(40, 11)];

    // Act
    const names = new Map<string, [string, string]>();
    for (const group of groups) {
      for (const id of ids) {
        const name = executionName(group, id);
        expectValidName(name);
        const clash = names.get(name);
        // Assess (inside the loop, so a failure names the inputs)
        if (clash && (clash[0] !== group || clash[1] !== id)) {
          throw new Error(`${JSON.stringify([group, id])} and ${JSON.stringify(clash)} share ${name}`);
        }
        names.set(name, [group, id]);
      }
    }

    // Assess
    expect(names.size).toBe(new Set(groups.flatMap((g) => ids.map((id) => JSON.stringify([g, id])))).size);
  });
});

describe("SfnWorkflowStarter", () => {
  const sfnMock = mockClient(SFNClient);
  const request: StartWorkflowRequest = {
    stateMachine: STATE_MACHINE,
    name: NAME,
    input: { orderId: "o-1", lines: [{ sku: "s-1", quantity: 2 }] },
    eventId: EVENT_ID,
    eventType: "orders.OrderPlaced",
    group: "ship-order",
  };

  beforeEach(() => sfnMock.reset());
  afterAll(() => sfnMock.restore());

  it("sends exactly one StartExecution with the ARN, name, JSON input and trace header", async () => {
    // Prepare
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date(0) });
    const starter = new SfnWorkflowStarter(new SFNClient({ region: "eu-west-1" }));

    // Act
    const result = await starter.start({ ...request, traceHeader: "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1" });

    // Assess
    expect(result).toEqual({ executionId: EXECUTION_ARN, started: true });
    expect(sfnMock.calls()).toHaveLength(1);
    expect(sfnMock.commandCalls(StartExecutionCommand)[0]!.args[0].input).toStrictEqual({
      stateMachineArn: STATE_MACHINE,
      name: NAME,
      input: '{"orderId":"o-1","lines":[{"sku":"s-1","quantity":2}]}',
      traceHeader: "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
    });
  });

  it("leaves the trace header out when there is none, and sends {} for no input", async () => {
    // Prepare
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date(0) });
    const starter = new SfnWorkflowStarter(new SFNClient({ region: "eu-west-1" }));

    // Act
    await starter.start({ stateMachine: STATE_MACHINE, name: NAME, input: undefined });

    // Assess
    expect(sfnMock.commandCalls(StartExecutionCommand)[0]!.args[0].input).toStrictEqual({
      stateMachineArn: STATE_MACHINE,
      name: NAME,
      input: "{}",
    });
  });

  it("builds its own client by default", async () => {
    // Prepare
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date(0) });

    // Act
    const result = await new SfnWorkflowStarter().start(request);

    // Assess
    expect(result.started).toBe(true);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it("treats ExecutionAlreadyExists as already done: started false, the execution's ARN, no throw", async () => {
    // Prepare
    sfnMock
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: `Execution Already Exists: '${EXECUTION_ARN}'`, $metadata: {} }));
    const starter = new SfnWorkflowStarter(new SFNClient({ region: "eu-west-1" }));

    // Act
    const result = await starter.start(request);

    // Assess
    expect(result).toEqual({ executionId: EXECUTION_ARN, started: false });
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it.each([
    ["a version", `${STATE_MACHINE}:10`, EXECUTION_ARN],
    ["an alias", `${STATE_MACHINE}:PROD`, EXECUTION_ARN],
    [
      "another partition",
      "arn:aws-cn:states:cn-north-1:123456789012:stateMachine:prod-shipping",
      `arn:aws-cn:states:cn-north-1:123456789012:execution:prod-shipping:${NAME}`,
    ],
  ])("derives the existing execution's ARN from %s ARN", async (_label, stateMachine, expected) => {
    // Prepare
    sfnMock.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: "exists", $metadata: {} }));
    const starter = new SfnWorkflowStarter(new SFNClient({ region: "eu-west-1" }));

    // Act
    const result = await starter.start({ ...request, stateMachine });

    // Assess
    expect(result).toEqual({ executionId: expected, started: false });
  });

  it.each([
    [
      "throttling",
      new SFNServiceException({
        name: "ThrottlingException",
        $fault: "client",
        $metadata: { httpStatusCode: 400 },
        message: "Rate exceeded",
      }),
      "throttled",
    ],
    [
      "a 5xx",
      new SFNServiceException({
        name: "InternalFailure",
        $fault: "server",
        $metadata: { httpStatusCode: 500 },
        message: "internal",
      }),
      "server error 500",
    ],
    [
      "the running-executions quota",
      new ExecutionLimitExceeded({ message: "limit", $metadata: { httpStatusCode: 400 } }),
      "too many running executions",
    ],
    ["a network failure", Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }), "network"],
  ])("rejects %s with a retryable WorkflowStartError that names everything", async (_label, cause, because) => {
    // Prepare
    sfnMock.on(StartExecutionCommand).rejects(cause);
    const starter = new SfnWorkflowStarter(new SFNClient({ region: "eu-west-1" }));

    // Act
    const error = await starter.start(request).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(WorkflowStartError);
    expect(error).toBeInstanceOf(RuntimeError);
    const startError = error as WorkflowStartError;
    expect(startError.name).toBe("WorkflowStartError");
    expect(startError.cause).toBe(cause);
    expect(startError.retryable).toBe(true);
    expect(startError.message).toContain(STATE_MACHINE);
    expect(startError.message).toContain(`"${NAME}"`);
    expect(startError.message).toContain(`event orders.OrderPlaced ${EVENT_ID} of consumer group "ship-order"`);
    expect(startError.message).toContain(cause.message);
    expect(startError.message).toContain(`Retryable (${because})`);
  });

  it("rejects a missing state machine with a WorkflowStartError that says retrying will not help", async () => {
    // Prepare
    const cause = new StateMachineDoesNotExist({ message: "State Machine Does Not Exist", $metadata: {} });
    sfnMock.on(StartExecutionCommand).rejects(cause);
    const starter = new SfnWorkflowStarter(new SFNClient({ region: "eu-west-1" }));

    // Act
    const error = await starter.start(request).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(WorkflowStartError);
    const startError = error as WorkflowStartError;
    expect(startError.cause).toBe(cause);
    expect(startError.retryable).toBe(false);
    expect(startError.message).toBe(
      `Could not start execution "${NAME}" of state machine ${STATE_MACHINE} for event orders.OrderPlaced ${EVENT_ID} of consumer group "ship-order": ` +
        "StateMachineDoesNotExist: State Machine Does Not Exist. " +
        "Not retryable: retries will fail the same way until the cause is fixed.",
    );
  });

  it("refuses a state machine that is not an ARN without calling AWS", async () => {
    // Prepare
    const starter = new SfnWorkflowStarter(new SFNClient({ region: "eu-west-1" }));

    // Act
    const error = await starter.start({ ...request, stateMachine: "shipping" }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(WorkflowStartError);
    expect((error as WorkflowStartError).retryable).toBe(false);
    expect((error as WorkflowStartError).message).toContain('"shipping" is not a state machine ARN; give arn:<partition>:states:');
    expect((error as WorkflowStartError).cause).toBeInstanceOf(InvalidStartRequestError);
    expect((error as WorkflowStartError).cause).toMatchObject({ name: "InvalidArn" });
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it("refuses input JSON cannot carry without calling AWS", async () => {
    // Prepare
    const starter = new SfnWorkflowStarter(new SFNClient({ region: "eu-west-1" }));

    // Act
    const error = await starter.start({ ...request, input: { total: 10n } }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(WorkflowStartError);
    expect((error as WorkflowStartError).retryable).toBe(false);
    expect((error as WorkflowStartError).cause).toBeInstanceOf(TypeError);
    expect(sfnMock.calls()).toHaveLength(0);
  });
});

describe("RecordingWorkflowStarter", () => {
  it("starts a name once per state machine and reports repeats as already started", async () => {
    // Prepare
    const starter = new RecordingWorkflowStarter();
    const first: StartWorkflowRequest = { stateMachine: "shipping", name: NAME, input: { orderId: "o-1" } };

    // Act
    const results = [
      await starter.start(first),
      await starter.start({ ...first, input: { orderId: "changed" } }),
      await starter.start({ ...first, stateMachine: "billing" }),
    ];

    // Assess
    expect(results).toEqual([
      { executionId: `shipping:${NAME}`, started: true },
      { executionId: `shipping:${NAME}`, started: false },
      { executionId: `billing:${NAME}`, started: true },
    ]);
    expect(starter.requests).toHaveLength(3);
    expect(starter.started.map((r) => r.stateMachine)).toEqual(["shipping", "billing"]);
    expect(starter.started[0]).toBe(first);
  });

  it("answers execution ARNs for state machine ARNs, as AWS does", async () => {
    // Prepare
    const starter = new RecordingWorkflowStarter();

    // Act
    const result = await starter.start({ stateMachine: STATE_MACHINE, name: NAME, input: {} });

    // Assess
    expect(result).toEqual({ executionId: EXECUTION_ARN, started: true });
  });

  it("refuses a name StartExecution would refuse, and starts nothing", async () => {
    // Prepare
    const starter = new RecordingWorkflowStarter();

    // Act
    const errors = await Promise.all(
      ["", "a".repeat(81), "has space", "a:b", "a/b", "x\u0007y"].map((name) =>
        starter.start({ stateMachine: "shipping", name, input: {} }).catch((e: unknown) => e),
      ),
    );

    // Assess
    for (const error of errors) {
      expect(error).toBeInstanceOf(WorkflowStartError);
      expect((error as WorkflowStartError).retryable).toBe(false);
      expect((error as WorkflowStartError).message).toMatch(/InvalidName: the execution name must/);
    }
    expect(starter.requests).toHaveLength(6);
    expect(starter.started).toHaveLength(0);
  });

  it("fails the requests `fail` chooses, wrapped like the AWS adapter wraps SDK errors", async () => {
    // Prepare
    const throttled = Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
    let calls = 0;
    const starter = new RecordingWorkflowStarter({ fail: () => (++calls === 1 ? throttled : undefined) });
    const request: StartWorkflowRequest = { stateMachine: "shipping", name: NAME, input: {}, eventId: EVENT_ID };

    // Act
    const error = await starter.start(request).catch((e: unknown) => e);
    const retried = await starter.start(request);

    // Assess
    expect(error).toBeInstanceOf(WorkflowStartError);
    expect((error as WorkflowStartError).cause).toBe(throttled);
    expect((error as WorkflowStartError).retryable).toBe(true);
    expect((error as WorkflowStartError).message).toContain(`event ${EVENT_ID}`);
    expect(retried).toEqual({ executionId: `shipping:${NAME}`, started: true });
    expect(starter.started).toEqual([request]);
  });
});
