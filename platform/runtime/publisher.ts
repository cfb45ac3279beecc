import { FunctionEnvironment } from "../model/function-environment";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { Kafka } from "kafkajs";
import * as z from "zod";
import { type ContextDefinition, type ContextEvent, names, TOPIC_MAX_MESSAGE_BYTES } from "../model";
import { eventId, toCloudEvent, toKafkaRecord } from "./envelope";
import { EventTooLargeError, InvalidEventError, MilestoneInputError, PublishFailedError, PublishTimeoutError, UnknownEventError } from "./errors";
import { withDeadline } from "./deadline";
import { contextUnder, fromXRayHeader, propagated, toTraceparent, tracer } from "./trace-context";
import { createIdempotentProducer, createKafka, kafkaSettingsFromEnv, SharedProducer } from "./kafka";
import { failureMilestoneInput, isExecutionStatusChange, isReconcileRequest, type Reconciliation, reconcileFailures } from "./failure-backstop";
import { findPublished } from "./published-check";
import { recordBatchBytes } from "./record-size";
import { schemaProblems } from "./schema";

/** What a milestone Task passes to the publisher (see the milestone helper). */
export const MilestoneInput = z.object({
  /** `<context>.<Event>` */
  type: z.string().min(1),
  /** Entity id: Kafka key and CloudEvent subject. */
  key: z.string().min(1),
  data: z.unknown(),
  /** `$$.Execution.Id` */
  executionId: z.string().min(1),
  /** The milestone state's name. */
  state: z.string().min(1),
  /** Inside a Map: `$$.Map.Item.Index`, or the index path `"<outer>.<inner>"` in nested Maps. */
  mapIndex: z.union([z.number().int().nonnegative(), z.string().regex(/^\d+(\.\d+)*$/, "expected an index path such as 2.0")]).optional(),
  /** What tells a loop's passes through the state apart (the milestone's `occurrence`). */
  occurrence: z.union([z.string(), z.number(), z.boolean()]).optional(),
  /** `$$.State.RetryCount`: above 0, an earlier attempt may have published already. */
  attempt: z.number().int().nonnegative().optional(),
  /** `$$.Execution.RedriveCount`: above 0, so may an attempt before the redrive. */
  redriveCount: z.number().int().nonnegative().optional(),
  /** `$$.State.EnteredTime`: the event's time, the same on every retry. */
  enteredTime: z.string().optional(),
  /** `$$.Execution.StartTime`: how far back a redriven publish looks for an earlier attempt. */
  executionStartTime: z.string().optional(),
  /** The event's time, when the workflow sets one. @default `enteredTime`, else now */
  time: z.string().optional(),
});
export type MilestoneInput = z.input<typeof MilestoneInput>;

export interface MilestoneResult {
  readonly eventId: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** An earlier attempt of this occurrence had published it: found on the topic, not sent again. */
  readonly alreadyPublished: boolean;
}

export interface MilestonePublisherOptions {
  /** @default a client from `kafkaSettingsFromEnv()` */
  readonly kafka?: Kafka;
  /**
   * Consumer groups that look for an earlier attempt's record are named `<prefix>.<uuid>`; the
   * publisher's IAM role may use exactly these. @default `ENSEMBLE_PUBLISH_CHECK_GROUP_PREFIX`, else `local.<context>.publish-check`
   */
  readonly checkGroupPrefix?: string;
}

export interface PublishOptions {
  /** What the Lambda has left (`getRemainingTimeInMillis()`): the publish gives up before. */
  readonly remainingMs?: number;
  /**
   * The execution's X-Ray trace header: on Lambda, `_X_AMZN_TRACE_ID`, which Step Functions
   * passes to the functions its tasks invoke. The event's `traceparent` continues its trace.
   */
  readonly traceHeader?: string | undefined;
}

/** The longest one publish may take when the caller has no deadline. */
export const PUBLISH_TIMEOUT_MS = 10_000;
/** What the publisher keeps of the Lambda's remaining time to report a failure, rather than be killed. */
export const PUBLISH_RESERVE_MS = 1_000;
/** Clocks differ between Step Functions and the brokers: look this much further back. */
const CLOCK_SKEW_MS = 60_000;

/**
 * Publishes one context's milestones: validates the data against the event's schema, wraps it
 * in a CloudEvent with a deterministic id and sends it, keyed by entity, with an idempotent
 * producer that connects once per container. Errors are named so a workflow can Retry
 * (`Milestone.PublishFailed`) or Catch (`Milestone.InvalidEvent`, `Milestone.EventTooLarge`) them.
 *
 * A publish never outlives its Lambda: it gives up `PUBLISH_RESERVE_MS` before the function's
 * timeout (or after `PUBLISH_TIMEOUT_MS`), drops its producer so nothing it started goes on
 * sending, and fails with `Milestone.PublishFailed`. A retried or redriven publish first looks
 * for the record an earlier attempt may have written anyway (`findPublished`), so the event is
 * on its topic once.
 */
export class MilestonePublisher {
  private readonly events: ReadonlyMap<string, ContextEvent>;
  private readonly topic: string;
  private readonly producer: SharedProducer;
  private readonly kafka: () => Kafka;
  private readonly checkGroupPrefix: string;

  constructor(
    readonly context: ContextDefinition,
    options: MilestonePublisherOptions = {},
  ) {
    this.events = new Map(context.eventList.map((event) => [event.type, event]));
    this.topic = names.contextTopic(context.name);
    const clientId = `${context.name}-publisher`;
    let kafka = options.kafka;
    this.kafka = () => (kafka ??= createKafka(kafkaSettingsFromEnv(clientId)));
    this.producer = new SharedProducer(() => createIdempotentProducer(this.kafka()));
    this.checkGroupPrefix = options.checkGroupPrefix ?? process.env[FunctionEnvironment.PublishCheckGroupPrefix] ?? names.publishCheckGroupPrefix("local", context.name);
  }

  async publish(raw: unknown, options: PublishOptions = {}): Promise<MilestoneResult> {
    const started = Date.now();
    const input = this.parseInput(raw);
    const event = this.events.get(input.type);
    if (!event) {
      const declared = [...this.events.keys()].join(", ") || "none";
      throw new UnknownEventError(
        `Context "${this.context.name}" declares no event "${input.type}" (declared: ${declared}), so it cannot go to topic ${this.topic}; fix the milestone's type.`,
      );
    }
    const parsed = event.schema.safeParse(input.data);
    if (!parsed.success) throw new InvalidEventError(event.type, schemaProblems(parsed.error));

    // A span per publish, in the execution's trace; the event carries it on (a new trace when there is none).
    const parent = fromXRayHeader(options.traceHeader);
    const span = tracer().startSpan(
      `publish ${event.type}`,
      { kind: SpanKind.PRODUCER, attributes: { "messaging.system": "kafka", "messaging.destination.name": this.topic, "ensemble.key": input.key, "ensemble.execution": input.executionId } },
      contextUnder(parent),
    );
    const carried = propagated(span.spanContext(), parent);
    const trace = { traceparent: toTraceparent(carried), tracestate: carried.traceState?.serialize() };
    try {
      const result = await this.send(input, event, parsed.data, trace, started, options);
      span.setAttribute("messaging.message.id", result.eventId);
      return result;
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  }

  private async send(
    input: MilestoneInput,
    event: ContextEvent,
    data: unknown,
    trace: { traceparent: string; tracestate: string | undefined },
    started: number,
    options: PublishOptions,
  ): Promise<MilestoneResult> {
    const cloudEvent = toCloudEvent({ ...input, event, data, time: input.time ?? input.enteredTime, trace });
    const record = toKafkaRecord(cloudEvent);
    const bytes = recordBatchBytes(record);
    if (bytes > TOPIC_MAX_MESSAGE_BYTES) throw new EventTooLargeError(event.type, this.topic, bytes, TOPIC_MAX_MESSAGE_BYTES);

    const budgetMs = Math.min(PUBLISH_TIMEOUT_MS, (options.remainingMs ?? Number.POSITIVE_INFINITY) - PUBLISH_RESERVE_MS);
    const deadline = started + budgetMs;
    const repeated = (input.attempt ?? 0) > 0 || (input.redriveCount ?? 0) > 0;
    const failed = (why: string, cause?: unknown) =>
      new PublishFailedError(
        `Could not publish ${event.type} ${cloudEvent.id} (key ${input.key}) to topic ${this.topic}: ${why}. Retrying the task publishes the same event id.`,
        { cause },
      );
    if (budgetMs <= 0) throw failed(`only ${options.remainingMs} ms of the function's time were left`);

    const attempt = async (): Promise<MilestoneResult> => {
      const result = { eventId: cloudEvent.id, topic: this.topic };
      if (repeated) {
        // After a redrive, the earlier attempts ran since the execution started; otherwise since this state was entered.
        const from = (input.redriveCount ?? 0) > 0 ? input.executionStartTime : input.enteredTime;
        const since = (from ? Date.parse(from) : started) - CLOCK_SKEW_MS;
        const check = await findPublished({ kafka: this.kafka(), topic: this.topic, key: input.key, eventId: cloudEvent.id, since, groupPrefix: this.checkGroupPrefix, deadline });
        if (check.found) return { ...result, ...check.found, alreadyPublished: true };
      }
      const [meta] = await this.producer.send({ topic: this.topic, acks: -1, messages: [record] });
      return { ...result, partition: meta!.partition, offset: meta!.baseOffset ?? "-1", alreadyPublished: false };
    };
    try {
      const timedOut = () => new PublishTimeoutError(`no answer within ${budgetMs} ms, so the attempt was abandoned (its record may still reach the broker: a retry looks for it first)`);
      return await withDeadline(attempt(), budgetMs, timedOut, () => this.producer.abandon());
    } catch (error) {
      throw failed((error as Error).message, error);
    }
  }

  /** The event id this input would get, without publishing. */
  eventIdOf(raw: unknown): string {
    return eventId(this.parseInput(raw));
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }

  private parseInput(raw: unknown) {
    const parsed = MilestoneInput.safeParse(raw);
    if (!parsed.success) {
      // Name the event when the input got that far, so the failing milestone state can be found.
      const type = (raw as { type?: unknown } | null)?.type;
      const of = typeof type === "string" && type ? `${type} ` : "";
      throw new MilestoneInputError(
        `Milestone task input ${of}for context "${this.context.name}" (topic ${this.topic}) is invalid: ${schemaProblems(parsed.error).join("; ")}. ` +
          `Build milestone states with the milestone() helper.`,
      );
    }
    return parsed.data;
  }
}

/**
 * The Lambda handler of a context's milestone publisher. The publisher (and its connection)
 * lives as long as the container; each publish gives up before the invocation's timeout. Invoked
 * by milestone states, and, for a context with a failure milestone, by EventBridge when one of its
 * executions fails (the backstop: the failure event is published even when no Fail state was reached).
 *
 * @example
 * // the bundle entry the infra generates for context "orders"
 * export const handler = milestoneHandler(orders);
 */
export function milestoneHandler(context: ContextDefinition, options: MilestonePublisherOptions = {}) {
  const publisher = new MilestonePublisher(context, options);
  // Lambda sets _X_AMZN_TRACE_ID per invocation: read it at each call.
  return async (input: unknown, lambda?: { getRemainingTimeInMillis(): number }): Promise<MilestoneResult | Reconciliation | { published: false; status: string }> => {
    const publishOptions = { traceHeader: process.env._X_AMZN_TRACE_ID, ...(lambda ? { remainingMs: lambda.getRemainingTimeInMillis() } : {}) };
    // The reconciliation schedule: failed executions whose status change EventBridge did not deliver.
    if (isReconcileRequest(input)) return reconcileFailures(context, (failed) => publisher.publish(failed, { traceHeader: process.env._X_AMZN_TRACE_ID }));
    // The backstop: EventBridge tells the publisher an execution failed (see `failureMilestoneInput`).
    if (isExecutionStatusChange(input)) {
      const failed = failureMilestoneInput(context, input);
      return failed ? publisher.publish(failed, publishOptions) : { published: false, status: input.detail.status };
    }
    return publisher.publish(input, publishOptions);
  };
}
