import { SFNClient, SFNServiceException, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { mockClient } from "aws-sdk-client-mock";
import { LocalTraces } from "../../../platform/local/traces";
import { SfnWorkflowStarter, type StartWorkflowRequest, WorkflowStartError } from "../../../platform/runtime/workflow-starter";

/*
 * With an OpenTelemetry provider registered (the collector layer on AWS), each StartExecution a
 * consumer makes is a span of its own in the event's trace, and the execution continues under it.
 * Its own file: a provider, once found by the runtime's tracer, stays for the module's life.
 */
const STATE_MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:prod-shipping";
const EVENT_ID = "3f0c9a52-8f1e-5b7e-9d4a-0c1b2e3f4a5b";
const NAME = `ship-order_${EVENT_ID}`;
const EXECUTION_ARN = `arn:aws:states:eu-west-1:123456789012:execution:prod-shipping:${NAME}`;
const TRACE_ID = "5759e988bd862e3fe1be46a994272793";
const EVENT_TRACE = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

const sfnMock = mockClient(SFNClient);
const traces = new LocalTraces();
const request: StartWorkflowRequest = { stateMachine: STATE_MACHINE, name: NAME, input: { orderId: "o-1" }, eventId: EVENT_ID, traceHeader: EVENT_TRACE };

beforeEach(() => sfnMock.reset());
afterAll(async () => {
  sfnMock.restore();
  await traces.stop();
});

it("records a client span per start, child of the event's span, and starts the execution under it", async () => {
  // Prepare
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date(0) });
  const before = traces.spans.length;

  // Act
  await new SfnWorkflowStarter(new SFNClient({ region: "eu-west-1" })).start(request);

  // Assess
  const spans = traces.spans.slice(before);
  expect(spans.map((s) => [s.name, s.kind, s.spanContext().traceId, s.parentSpanContext?.spanId, s.attributes])).toEqual([
    ["start prod-shipping", SpanKind.CLIENT, TRACE_ID, "53995c3f42cd8ad8", { "ensemble.execution": EXECUTION_ARN, "messaging.message.id": EVENT_ID, "ensemble.started": true }],
  ]);
  expect(sfnMock.commandCalls(StartExecutionCommand)[0]!.args[0].input.traceHeader).toBe(`Root=1-5759e988-bd862e3fe1be46a994272793;Parent=${spans[0]!.spanContext().spanId};Sampled=1`);
});

it("marks a repeated start as not started, and a failed one as an error", async () => {
  // Prepare
  const before = traces.spans.length;
  const starter = new SfnWorkflowStarter(new SFNClient({ region: "eu-west-1" }));
  sfnMock
    .on(StartExecutionCommand)
    .rejectsOnce(new SFNServiceException({ name: "ExecutionAlreadyExists", $fault: "client", $metadata: {}, message: "exists" }))
    .rejectsOnce(new SFNServiceException({ name: "AccessDeniedException", $fault: "client", $metadata: {}, message: "denied" }));

  // Act
  const repeated = await starter.start(request);
  const failed = await starter.start(request).catch((error: unknown) => error);

  // Assess
  expect(repeated).toEqual({ executionId: EXECUTION_ARN, started: false });
  expect(failed).toBeInstanceOf(WorkflowStartError);
  expect(traces.spans.slice(before).map((s) => [s.attributes["ensemble.started"], s.status.code, s.status.message])).toEqual([
    [false, SpanStatusCode.UNSET, undefined],
    [undefined, SpanStatusCode.ERROR, "denied"],
  ]);
});
