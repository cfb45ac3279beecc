import { type SpanContext, SpanStatusCode } from "@opentelemetry/api";
import type { Context as LambdaContext } from "aws-lambda";
import type { ContextDefinition } from "../model";
import { correlatorOf, keepSecondsOf } from "../model/correlator";
import { valueAt, WAIT_REGISTRATION_FAILED, type WaitRegistration } from "../model/wait-for";
import { type ConsumeOptions, consume, type KafkaHandler } from "./consumer";
import { RuntimeConfigError, RuntimeError } from "./errors";
import { contextUnder, fromTraceparent, fromXRayHeader, toTraceparent, tracer } from "./trace-context";
import { isKafkaEvent, type KafkaBatchResponse } from "./msk";
import { SfnTaskCompleter, type TaskCompleter } from "./task-completer";
import { type Waiter, waitSlot, type WaitStore, waitStoreFromEnv } from "./wait-store";

/** The error a wait fails with when the execution's state has no value at the wait's state key. */
export class WaitKeyMissingError extends RuntimeError {
  constructor(message: string) {
    super(message);
    this.name = "Ensemble.WaitKeyMissing";
  }
}

export interface CorrelatorOptions extends ConsumeOptions {
  /** @default the store the environment asks for (`waitStoreFromEnv`) */
  readonly store?: WaitStore;
  /** @default Step Functions (`SfnTaskCompleter`), or the one registered with `useTaskCompleter` */
  readonly completer?: TaskCompleter;
}

/** A registration that could not be stored or answered (DynamoDB, Step Functions): the wait state retries it. */
export class WaitRegistrationError extends RuntimeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = WAIT_REGISTRATION_FAILED;
  }
}

/** What registering a wait answered: completed at once by an event already kept, or waiting. */
export interface RegistrationResult {
  readonly waiting: boolean;
  readonly eventId?: string;
}

/** The function of a correlator: a Lambda handler for both of the ways it is invoked. */
export interface CorrelatorHandler {
  (event: unknown, context?: LambdaContext): Promise<KafkaBatchResponse | RegistrationResult>;
  close(): Promise<void>;
}

let registeredCompleter: TaskCompleter | undefined;

/**
 * Makes `completer` the default of every correlator in this process (the local runtime's
 * executor); returns a function that undoes it.
 */
export function useTaskCompleter(completer: TaskCompleter): () => void {
  registeredCompleter = completer;
  return () => {
    registeredCompleter = undefined;
  };
}

/**
 * The handler of context `context`'s correlator. Invoked two ways:
 * - by a wait state (`lambda:invoke.waitForTaskToken`) with the task token: it registers the
 *   wait and, when the awaited event came first and is kept, completes the wait at once;
 * - by its event source mapping with awaited events: it keeps each event and completes every
 *   wait registered for its key with the event's data (SendTaskSuccess).
 * A duplicate event, or a wait that timed out or was completed already, ends quietly (see
 * `TaskCompleter`); anything else fails the record, which is retried, then dead-lettered.
 */
export function correlatorHandler(context: ContextDefinition, options: CorrelatorOptions = {}): CorrelatorHandler {
  const consumer = correlatorOf(context);
  if (!consumer) throw new RuntimeConfigError(`Context "${context.name}" has no waitFor states, so no correlator; remove its correlator function.`);
  const waits = context.workflow!.waits;
  let fromEnv: WaitStore | undefined;
  const store = () => options.store ?? (fromEnv ??= waitStoreFromEnv(consumer.name));
  let sfn: SfnTaskCompleter | undefined;
  const completer = () => options.completer ?? registeredCompleter ?? (sfn ??= new SfnTaskCompleter());

  const onEvents: KafkaHandler = consume(
    consumer,
    async (event, { logger, trace: eventTrace }) => {
      const { id, type, data, time } = event as { id: string; type: string; data: unknown; time: string | undefined };
      const seconds = time ? Math.floor(Date.parse(time) / 1000) : Number.NaN;
      // One slot per (type, event key) among the waits for this type.
      const keys = [...new Set(waits.filter((w) => w.eventType === type).map((w) => w.eventKey))];
      for (const eventKey of keys) {
        const value = valueAt(data, eventKey);
        if (value === undefined || value === null) continue; // validate() requires the key; an optional field waits for nothing
        const slot = waitSlot(type, eventKey, value);
        const traceparent = eventTrace ? toTraceparent(eventTrace) : undefined;
        const arrived = { id, data, ...(Number.isFinite(seconds) ? { time: seconds } : {}), ...(traceparent ? { traceparent } : {}) };
        // Waiters get the kept event: this one, unless another for the key came first.
        const { waiters, event: kept } = await store().arrive(slot, arrived, keepSecondsOf(waits, type));
        const done: string[] = [];
        for (const waiter of waiters) {
          const completion = await completeTraced(waiter, eventTrace, () => completer().succeed(waiter.taskToken, kept.data));
          logger.info(completion === "completed" ? "wait completed" : "wait was no longer waiting", { state: waiter.state, executionId: waiter.executionId, key: value });
          done.push(waiter.taskToken);
        }
        await store().forget(slot, done);
      }
    },
    options,
  );

  async function register(input: WaitRegistration): Promise<RegistrationResult> {
    const wait = waits.find((w) => w.state === input.state);
    if (!wait) {
      throw new RuntimeConfigError(`Correlator of context "${context.name}" was invoked for state "${input.state}", which is not one of its waits (${waits.map((w) => w.state).join(", ")}); redeploy the stack.`);
    }
    if (input.key === undefined || input.key === null) {
      throw new WaitKeyMissingError(`Wait "${wait.state}" found no value at ${wait.stateKey} in execution ${input.executionId}'s state: nothing to correlate ${wait.eventType} with.`);
    }
    const slot = waitSlot(wait.eventType, wait.eventKey, input.key);
    const expiresAt = Math.floor(Date.now() / 1000) + wait.timeoutSeconds;
    // The waiting execution's trace: Step Functions passes it to this invocation (locally, the payload carries it).
    const traceHeader = input.traceHeader ?? process.env._X_AMZN_TRACE_ID;
    const waiter = { taskToken: input.taskToken, executionId: input.executionId, state: wait.state, expiresAt, ...(traceHeader ? { traceHeader } : {}) };
    try {
      const kept = await store().register(slot, waiter, keepSecondsOf(waits, wait.eventType));
      if (!kept) return { waiting: true };
      // The event came first: complete this wait now, and forget it.
      await completeTraced(waiter, fromTraceparent(kept.traceparent), () => completer().succeed(input.taskToken, kept.data));
      // Cleanup only: the wait is complete; a waiter left behind is answered "gone" and forgotten later.
      await store().forget(slot, [input.taskToken]).catch(() => {});
      return { waiting: false, eventId: kept.id };
    } catch (error) {
      throw new WaitRegistrationError(`Could not register wait "${wait.state}" of execution ${input.executionId}: ${(error as Error).message}`, { cause: error });
    }
  }

  const handler = (async (event: unknown, lambdaContext?: LambdaContext) =>
    isKafkaEvent(event) ? onEvents(event, lambdaContext) : register(event as WaitRegistration)) as CorrelatorHandler;
  handler.close = () => onEvents.close();
  return handler;
}

/**
 * A span for completing a wait, in the waiting execution's trace and linked to the awaited
 * event's: the one place the two flows meet (a no-op without a provider).
 */
async function completeTraced<T>(waiter: Waiter, eventTrace: SpanContext | undefined, complete: () => Promise<T>): Promise<T> {
  const span = tracer().startSpan(
    `complete wait ${waiter.state}`,
    { links: eventTrace ? [{ context: eventTrace }] : [], attributes: { "ensemble.execution": waiter.executionId } },
    contextUnder(fromXRayHeader(waiter.traceHeader)),
  );
  try {
    const result = await complete();
    span.setAttribute("ensemble.completion", String(result));
    return result;
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}
