/**
 * Starting another context's state machine from a consumed event.
 *
 * A consumer group can declare that an event starts a workflow. Kafka delivers at least once, so
 * the start must be idempotent: the execution is named after the event ({@link executionName}),
 * and Step Functions refuses a second execution with the same name on the same STANDARD state
 * machine for 90 days after the first one closes. A redelivered event therefore finds the
 * execution already there, which {@link WorkflowStarter} reports as `started: false`, not as an
 * error. (EXPRESS state machines reuse names at once, so this guarantee needs STANDARD ones,
 * which is what every context deploys.)
 *
 * The Step Functions client sits behind the {@link WorkflowStarter} port so the local runtime can
 * plug in its local executor; {@link SfnWorkflowStarter} is the AWS adapter and
 * {@link RecordingWorkflowStarter} an in-memory one for tests.
 */
import { createHash } from "node:crypto";
import { SFNClient, StartExecutionCommand, type StartExecutionCommandInput } from "@aws-sdk/client-sfn";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { RuntimeError } from "./errors";
import { contextUnder, fromXRayHeader, toXRayHeader, tracer } from "./trace-context";

/**
 * What to start.
 *
 * @example
 * const request: StartWorkflowRequest = {
 *   stateMachine: "arn:aws:states:eu-west-1:123456789012:stateMachine:prod-shipping",
 *   name: executionName("ship-order", event.id),
 *   input: { orderId: event.data.orderId },
 *   eventId: event.id,
 *   eventType: event.type,
 *   group: "ship-order",
 * };
 */
export interface StartWorkflowRequest {
  /** The state machine ARN on AWS; the context name in the local runtime. */
  stateMachine: string;
  /** The execution name, from {@link executionName}, so a redelivery reuses it. */
  name: string;
  /** The execution input; sent as JSON. */
  input: unknown;
  /** The X-Ray trace header, so the execution joins the consumer's trace. */
  traceHeader?: string;
  /** The event that asked for this start; only used to say which one in errors. */
  eventId?: string;
  /** That event's type (`<context>.<Event>`); only used in errors. */
  eventType?: string;
  /** The consumer group that asked for this start; only used in errors. */
  group?: string;
}

/**
 * What happened.
 *
 * @example
 * const { executionId, started } = await starter.start(request);
 * logger.info(started ? "workflow started" : "workflow already started (redelivery)", { executionId });
 */
export interface StartWorkflowResult {
  /** The execution ARN on AWS; the local runtime's execution id locally. */
  executionId: string;
  /** `false` when an execution with this name already existed: the event was a redelivery. */
  started: boolean;
}

/**
 * The port the consumer wrapper calls; the AWS adapter and the local runtime implement it.
 * Implementations resolve (with `started: false`) when the execution already exists and reject
 * with a {@link WorkflowStartError} otherwise, so the wrapper reports the record as failed and
 * it is retried.
 *
 * @example
 * async function onOrderPlaced(event: OrderPlacedEvent, starter: WorkflowStarter) {
 *   await starter.start({
 *     stateMachine: process.env.SHIPPING_STATE_MACHINE_ARN!,
 *     name: executionName("ship-order", event.id),
 *     input: { orderId: event.data.orderId },
 *     eventId: event.id,
 *   });
 * }
 */
export interface WorkflowStarter {
  start(request: StartWorkflowRequest): Promise<StartWorkflowResult>;
}

/**
 * Options of a {@link WorkflowStartError}: the usual `cause`, plus whether trying again later
 * can succeed.
 */
export interface WorkflowStartErrorOptions extends ErrorOptions {
  /**
   * Throttling, a 5xx, a network failure or the running-executions quota: the same request can
   * succeed later. `false` for a missing state machine, a bad name or input, denied access.
   * @default false
   */
  retryable?: boolean;
}

/**
 * A workflow could not be started (and did not already exist). The message names the state
 * machine, the execution name, the event (type and id) and the consumer group, and says whether
 * a retry can help; the SDK's error is the `cause`.
 *
 * @example
 * try {
 *   await starter.start(request);
 * } catch (error) {
 *   if (error instanceof WorkflowStartError && !error.retryable) logger.error(error.message);
 *   throw error; // the consumer wrapper reports the record as failed, so it is retried
 * }
 */
export class WorkflowStartError extends RuntimeError {
  readonly retryable: boolean;

  constructor(message: string, options?: WorkflowStartErrorOptions) {
    super(message, options);
    this.name = "WorkflowStartError";
    this.retryable = options?.retryable ?? false;
  }
}

// Execution names use only [A-Za-z0-9_-]: AWS allows more, but CloudWatch Logs logging of the
// execution needs this subset (StartExecution docs), and every context logs its state machine.
const NAME_MAX = 80;
const GROUP_SAFE = /^[A-Za-z0-9-]+$/; // no "_": the first "_" of a name ends the group part
const ID_SAFE = /^[A-Za-z0-9_-]+$/;
const GROUP_HASH_CHARS = 10;
const ID_HASH_CHARS = 32;
/** Room always left for the group part: three readable characters, "-", the group hash. */
const GROUP_PART_MIN = 3 + 1 + GROUP_HASH_CHARS;
/** Longest event id kept verbatim: a UUID (36) leaves 43, the longest consumer group name. */
const ID_PART_MAX = NAME_MAX - 1 - GROUP_PART_MIN;

/**
 * The execution name for the workflow an event starts: `<group>_<eventId>`, deterministic, so a
 * redelivered event asks for the same name and Step Functions refuses a second execution.
 *
 * The rule, and why:
 * - Only `[A-Za-z0-9_-]`, at most 80 characters: valid for StartExecution (1–80 characters, no
 *   whitespace, brackets, wildcards, ``"#%\^|~`$&,;:/``, control characters) and for CloudWatch
 *   Logs, which wants just this subset.
 * - The event id is kept verbatim when it is made of those characters and at most 65 long (a
 *   UUID is 36), so an operator finds the execution from the event and the reverse. Otherwise
 *   it becomes a readable prefix plus 32 hex characters of its SHA-256.
 * - The group comes first and verbatim if it fits in what the id leaves; a longer or odd group
 *   is cut to a readable prefix plus 10 hex characters of its SHA-256. The group is there
 *   because two groups may start the same state machine from the same event.
 * - The group part never contains `_`, so the first `_` splits a name back into its two parts:
 *   names of different (group, event id) pairs differ, exactly when both are kept verbatim and
 *   up to a SHA-256 collision otherwise.
 *
 * @example
 * executionName("ship-order", "3f0c9a52-8f1e-5b7e-9d4a-0c1b2e3f4a5b");
 * // => "ship-order_3f0c9a52-8f1e-5b7e-9d4a-0c1b2e3f4a5b"
 * executionName("ship-order", "orders:exec-1/Placed#0");
 * // => "ship-order_orders-exec-1-Placed-0-<32 hex>"
 */
export function executionName(group: string, eventId: string): string {
  const idPart =
    ID_SAFE.test(eventId) && eventId.length <= ID_PART_MAX
      ? eventId
      : digest(eventId, /[^A-Za-z0-9_-]+/g, ID_PART_MAX - 1 - ID_HASH_CHARS, ID_HASH_CHARS);
  const room = NAME_MAX - 1 - idPart.length;
  const groupPart =
    GROUP_SAFE.test(group) && group.length <= room
      ? group
      : digest(group, /[^A-Za-z0-9-]+/g, room - 1 - GROUP_HASH_CHARS, GROUP_HASH_CHARS);
  return `${groupPart}_${idPart}`;
}

/** A readable prefix of `value` (unsafe runs replaced by "-") plus a hex prefix of its SHA-256. */
function digest(value: string, unsafe: RegExp, prefixMax: number, hashChars: number): string {
  const hash = createHash("sha256").update(value, "utf8").digest("hex").slice(0, hashChars);
  const prefix = value.replace(unsafe, "-").slice(0, prefixMax).replace(/^-+|-+$/g, "");
  return prefix ? `${prefix}-${hash}` : hash;
}

// What StartExecution refuses in a name: whitespace, brackets, wildcards, specials, control
// characters, U+FFFE-FFFF, lone surrogates, U+10FFFF.
// https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
const NAME_FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f\ufffe\uffff\ud800-\udfff\u{10ffff}]/u;

/** Why StartExecution would refuse `name`, or `undefined` when it would accept it. */
function invalidNameReason(name: string): string | undefined {
  if (name.length < 1 || name.length > NAME_MAX) return `must be 1-${NAME_MAX} characters, not ${name.length}`;
  const bad = NAME_FORBIDDEN.exec(name);
  return bad ? `must not contain ${JSON.stringify(bad[0])}` : undefined;
}

/**
 * The ARN StartExecution gives an execution: `arn:<partition>:states:<region>:<account>:stateMachine:<sm>[:<version|alias>]`
 * becomes `arn:<partition>:states:<region>:<account>:execution:<sm>:<name>`. `undefined` when
 * `stateMachineArn` is not a state machine ARN.
 */
function executionArn(stateMachineArn: string, name: string): string | undefined {
  const [arn, partition, service, region, account, resource, machine] = stateMachineArn.split(":");
  if (arn !== "arn" || service !== "states" || resource !== "stateMachine" || !machine) return undefined;
  return `arn:${partition}:states:${region}:${account}:execution:${machine}:${name}`;
}

/** Error names that mean "slow down" (the SDK's own list, plus Step Functions' KMS one). */
const THROTTLING = new Set([
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "RequestThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "KmsThrottlingException",
]);
/** Failures on the way, before any answer: the request may not even have arrived. */
const TRANSIENT = new Set(["TimeoutError", "RequestTimeout", "RequestTimeoutException"]);
const TRANSIENT_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EAI_AGAIN"]);

/** Why retrying later can succeed, or `undefined` when it cannot. */
function retryableBecause(error: unknown): string | undefined {
  const e = (typeof error === "object" && error !== null ? error : {}) as {
    name?: unknown;
    code?: unknown;
    $fault?: unknown;
    $retryable?: { throttling?: boolean };
    $metadata?: { httpStatusCode?: number };
  };
  const name = typeof e.name === "string" ? e.name : "";
  const status = e.$metadata?.httpStatusCode;
  if (THROTTLING.has(name) || e.$retryable?.throttling || status === 429) return "throttled";
  if (e.$fault === "server" || (status !== undefined && status >= 500)) return `server error${status ? ` ${status}` : ""}`;
  // Frees up as running executions end; the consumer's retries give it that time.
  if (name === "ExecutionLimitExceeded") return "too many running executions";
  if (TRANSIENT.has(name) || (typeof e.code === "string" && TRANSIENT_CODES.has(e.code))) return "network";
  if (e.$retryable) return "the service marks it retryable";
  return undefined;
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message ? `${error.name}: ${error.message}` : error.name;
  return String(error);
}

/**
 * A request StartExecution would refuse, caught before calling it; named like the Step Functions
 * error it stands for, so messages read the same as the service's. The cause of a {@link WorkflowStartError}.
 */
export class InvalidStartRequestError extends RuntimeError {
  constructor(code: "InvalidArn" | "InvalidName", message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = code;
  }
}

/** Who asked for a start, as every starter's errors say it: ` for event <type> <id> of consumer group "<group>"`. */
export function requestOrigin(request: StartWorkflowRequest): string {
  const event = [request.eventType, request.eventId].filter((part) => part !== undefined).join(" ");
  return (event ? ` for event ${event}` : "") + (request.group === undefined ? "" : ` of consumer group "${request.group}"`);
}

/** The message every starter uses, so logs read the same on AWS and locally. */
function startFailure(request: StartWorkflowRequest, error: unknown): WorkflowStartError {
  const because = retryableBecause(error);
  const origin = requestOrigin(request);
  return new WorkflowStartError(
    `Could not start execution "${request.name}" of state machine ${request.stateMachine}${origin}: ${describeError(error)}. ` +
      (because
        ? `Retryable (${because}): the record is reported as failed and retried.`
        : "Not retryable: retries will fail the same way until the cause is fixed."),
    { cause: error, retryable: because !== undefined },
  );
}

/**
 * The AWS adapter: `StartExecution` on the state machine ARN. An `ExecutionAlreadyExists` answer
 * resolves with `started: false` and the ARN that execution has; every other failure rejects
 * with a {@link WorkflowStartError}. The SDK has already retried throttling and 5xx answers by
 * then (its standard retry strategy), so such an error means the record should be retried later.
 *
 * Note that Step Functions answers a repeated start with the same name and input *while the
 * first execution runs* with success (the same ARN), so `started: true` can also mean "a start
 * of this name already succeeded"; either way exactly one execution exists.
 *
 * @example
 * // Created once per Lambda container, outside the handler, so the client is reused.
 * const starter = new SfnWorkflowStarter();
 * const { executionId, started } = await starter.start({
 *   stateMachine: process.env.SHIPPING_STATE_MACHINE_ARN!,
 *   name: executionName("ship-order", event.id),
 *   input: { orderId: event.data.orderId },
 *   traceHeader: process.env._X_AMZN_TRACE_ID,
 *   eventId: event.id,
 * });
 */
export class SfnWorkflowStarter implements WorkflowStarter {
  constructor(private readonly client: SFNClient = new SFNClient({})) {}

  async start(request: StartWorkflowRequest): Promise<StartWorkflowResult> {
    const { stateMachine, name, traceHeader } = request;
    // Checked before calling AWS: the already-exists answer needs it, and a wrong ARN is config.
    const expectedArn = executionArn(stateMachine, name);
    if (expectedArn === undefined) {
      throw startFailure(request, new InvalidStartRequestError("InvalidArn", `"${stateMachine}" is not a state machine ARN; give arn:<partition>:states:<region>:<account>:stateMachine:<name>`));
    }
    let input: string;
    try {
      // `undefined` would leave the input out; Step Functions wants at least "{}".
      input = request.input === undefined ? "{}" : JSON.stringify(request.input);
    } catch (error) {
      throw startFailure(request, error); // a BigInt or a cycle: no retry will fix it
    }
    // The started execution's own span, in the caller's trace; Step Functions' X-Ray segment for
    // the execution comes under it (a no-op without a provider: the header goes on as given).
    const span = tracer().startSpan(
      `start ${stateMachine.slice(stateMachine.lastIndexOf(":") + 1)}`,
      { kind: SpanKind.CLIENT, attributes: { "ensemble.execution": expectedArn, ...(request.eventId ? { "messaging.message.id": request.eventId } : {}) } },
      contextUnder(fromXRayHeader(traceHeader)),
    );
    const command: StartExecutionCommandInput = { stateMachineArn: stateMachine, name, input };
    const header = span.isRecording() ? toXRayHeader(span.spanContext()) : traceHeader;
    if (header !== undefined) command.traceHeader = header;
    try {
      const output = await this.client.send(new StartExecutionCommand(command));
      span.setAttribute("ensemble.started", true);
      return { executionId: output.executionArn ?? expectedArn, started: true };
    } catch (error) {
      // By name, not instanceof: robust to two copies of the SDK in one bundle.
      if ((error as { name?: unknown } | null)?.name === "ExecutionAlreadyExists") {
        span.setAttribute("ensemble.started", false);
        return { executionId: expectedArn, started: false };
      }
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw startFailure(request, error);
    } finally {
      span.end();
    }
  }
}

/**
 * An in-memory {@link WorkflowStarter} for tests: records every request and models
 * `ExecutionAlreadyExists` by (state machine, name), as Step Functions does. It refuses names
 * StartExecution would refuse, and `fail` can make chosen requests fail.
 *
 * @example
 * const starter = new RecordingWorkflowStarter();
 * await starter.start({ stateMachine: "shipping", name: "ship-order_e1", input: { orderId: "o1" } });
 * await starter.start({ stateMachine: "shipping", name: "ship-order_e1", input: { orderId: "o1" } });
 * starter.requests.length; // 2
 * starter.started.length;  // 1 — the second was a redelivery
 *
 * @example
 * // Every start is throttled, as far as the code under test can tell: the SDK error SFNClient would throw.
 * const throttled = new RecordingWorkflowStarter({
 *   fail: () => new SFNServiceException({ name: "ThrottlingException", $fault: "client", $metadata: {}, message: "Rate exceeded" }),
 * });
 */
export class RecordingWorkflowStarter implements WorkflowStarter {
  /** Every request, in order, including repeats and failures. */
  readonly requests: StartWorkflowRequest[] = [];
  /** The requests that started an execution, in order. */
  readonly started: StartWorkflowRequest[] = [];
  private readonly executions = new Set<string>();
  private readonly fail: ((request: StartWorkflowRequest) => unknown) | undefined;

  /**
   * @param options.fail returns the error a request fails with (wrapped like the AWS adapter
   *   wraps SDK errors), or `undefined` to let it through.
   */
  constructor(options: { fail?: (request: StartWorkflowRequest) => unknown } = {}) {
    this.fail = options.fail;
  }

  async start(request: StartWorkflowRequest): Promise<StartWorkflowResult> {
    this.requests.push(request);
    const invalid = invalidNameReason(request.name);
    if (invalid !== undefined) {
      throw startFailure(request, new InvalidStartRequestError("InvalidName", `the execution name ${invalid}`));
    }
    const error = this.fail?.(request);
    if (error !== undefined) throw startFailure(request, error);

    const executionId = executionArn(request.stateMachine, request.name) ?? `${request.stateMachine}:${request.name}`;
    // A NUL cannot occur in a valid name, so the key is unambiguous.
    const key = `${request.stateMachine}\u0000${request.name}`;
    if (this.executions.has(key)) return { executionId, started: false };
    this.executions.add(key);
    this.started.push(request);
    return { executionId, started: true };
  }
}
