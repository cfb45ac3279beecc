import type { ConsumerDefinition } from "./consumer";
import { StackConfigError } from "./stack-config";
import type { StackConfig } from "./stack-config";
import { names } from "./names";
import { assignPollerGroups } from "./poller-groups";
import { dedupeWindowSeconds } from "./retention";

/**
 * What one consumer group is on one stack: which events it receives from which context, through
 * which event source mappings, with which settings after the stack's overrides. Infra, the local
 * runtime, the catalog and the CLI all read this plan; none derives any of it on its own.
 */
export interface ConsumerGroupPlan {
  readonly name: string;
  /** The stack it is planned on. */
  readonly stack: string;
  readonly consumer: ConsumerDefinition;
  readonly functionName: string;
  readonly deadLetterTopic: string;
  /** Its DynamoDB table of handled event ids. */
  readonly idempotencyTable: string;
  /** A correlator's table of waits and early events; undefined for every other group. */
  readonly waitTable: string | undefined;
  /** The invariants group's table of each key's events; undefined for every other group. */
  readonly invariantTable: string | undefined;
  /** The topic the invariants group reports violations to; undefined for every other group. */
  readonly violationTopic: string | undefined;
  /** One per subscribed context, in first-subscription order; keyed by `groupId`, never by position. */
  readonly mappings: readonly MappingPlan[];
  readonly settings: ConsumerSettings;
}

/** One MSK event source mapping: a context's topic, read under its own Kafka group id. */
export interface MappingPlan {
  readonly context: string;
  readonly topic: string;
  /** The event types the group subscribes to on this topic, each once, in subscription order. */
  readonly types: readonly string[];
  /** `<stack>.<group>.<context>`: Lambda wants one group id per mapping. */
  readonly groupId: string;
  /** The mapping's filter criteria, ORed; see {@link filterPatterns}. */
  readonly filters: readonly string[];
  /** The shared provisioned poller group it joins, when the stack shares pollers (`functions.sharedPollers`). */
  readonly pollerGroup?: string;
}

/** The group's settings after the stack's overrides (`ensemble:consumers.<group>`). */
export interface ConsumerSettings {
  /** Records per batch, at most. */
  readonly batchSize: number;
  /** Seconds Lambda gathers records before invoking. */
  readonly windowSeconds: number;
  /** Provisioned pollers per event source mapping, at least. */
  readonly minPollers: number;
  /** Provisioned pollers per event source mapping, at most. */
  readonly maxPollers: number;
  /** Reserved concurrency of the function; `undefined` reserves none. */
  readonly reservedConcurrency: number | undefined;
  /**
   * Invocations of the function at once, at most: the reserved concurrency, else what its pollers
   * can ask for (`maxPollers` x mappings). The local runtime enforces this bound.
   */
  readonly concurrency: number;
  /** Memory of the function, MB. */
  readonly memoryMb: number;
  /** Timeout of the function, seconds. */
  readonly timeoutSeconds: number;
  /** How long the group remembers handled event ids: as long as a record it can read again lives. */
  readonly dedupeWindowSeconds: number;
}

/**
 * Plans a group on a stack. Each subscribed context has its own event source mapping, each with
 * up to `maxPollers` pollers invoking the function, so reserved concurrency is at least
 * `maxPollers` x mappings: provisioned pollers are never throttled by it. With
 * `ensemble:functions.reserveConcurrency` off, only an explicit per-group value is reserved.
 * @throws StackConfigError when the stack's overrides contradict the group's own settings.
 */
export function planConsumerGroup(consumer: ConsumerDefinition, stack: string, config: StackConfig): ConsumerGroupPlan {
  const mappings = mappingsOf(consumer, stack);
  const override = config.consumers[consumer.name] ?? {};
  const minPollers = override.minPollers ?? consumer.scaling.minPollers;
  const maxPollers = override.maxPollers ?? consumer.scaling.maxPollers;
  if (minPollers > maxPollers) {
    throw new StackConfigError(stack, [
      `ensemble:consumers.${consumer.name}: minPollers ${minPollers} is greater than maxPollers ${maxPollers} (after applying the stack's overrides to ${consumer.definedIn ?? consumer.name}).`,
    ]);
  }
  const pollerDemand = maxPollers * mappings.length;
  const reserve = override.reservedConcurrency !== undefined || config.functions.reserveConcurrency;
  const reservedConcurrency = reserve ? Math.max(override.reservedConcurrency ?? config.functions.consumerConcurrency, pollerDemand) : undefined;
  return {
    name: consumer.name,
    stack,
    consumer,
    functionName: names.consumerFunction(stack, consumer.name),
    deadLetterTopic: names.deadLetterTopic(consumer.name),
    idempotencyTable: names.idempotencyTable(stack, consumer.name),
    waitTable: consumer.correlates ? names.waitTable(stack, consumer.correlates.name) : undefined,
    invariantTable: consumer.checks ? names.invariantTable(stack) : undefined,
    violationTopic: consumer.checks ? names.violationTopic() : undefined,
    mappings,
    settings: {
      batchSize: override.batchSize ?? consumer.batch.size,
      windowSeconds: override.windowSeconds ?? consumer.batch.windowSeconds,
      minPollers,
      maxPollers,
      reservedConcurrency,
      concurrency: reservedConcurrency ?? Math.max(pollerDemand, 1),
      memoryMb: override.memoryMb ?? config.functions.memoryMb,
      timeoutSeconds: config.functions.timeoutSeconds,
      // Every context topic it reads has the stack's retention; its dead-letter topic is read by redrives.
      dedupeWindowSeconds: dedupeWindowSeconds([config.kafka.retentionHours, config.kafka.deadLetterRetentionHours]),
    },
  };
}

/**
 * Plans every group of a topology on a stack, in declaration order; when the stack shares
 * pollers, each mapping names the poller group it joins (see {@link assignPollerGroups}).
 */
export function planConsumerGroups(consumers: readonly ConsumerDefinition[], stack: string, config: StackConfig): ConsumerGroupPlan[] {
  const plans = consumers.map((consumer) => planConsumerGroup(consumer, stack, config));
  if (!config.functions.sharedPollers) return plans;
  const pollerGroups = assignPollerGroups(plans, stack);
  return plans.map((plan) => ({ ...plan, mappings: plan.mappings.map((mapping) => ({ ...mapping, pollerGroup: pollerGroups.get(mapping.groupId) })) }));
}

function mappingsOf(consumer: ConsumerDefinition, stack: string): MappingPlan[] {
  const byContext = new Map<string, string[]>();
  for (const event of consumer.on) {
    const types = byContext.get(event.context) ?? [];
    if (!types.includes(event.type)) types.push(event.type);
    byContext.set(event.context, types);
  }
  return [...byContext].map(([context, types]) => ({
    context,
    topic: names.contextTopic(context),
    types,
    groupId: names.consumerGroupId(stack, consumer.name, context),
    filters: filterPatterns(types),
  }));
}

/**
 * The event source mapping's filters (ORed). MSK filters only on the record's value, as JSON
 * (kafka-filtering.html), so they can tell a structured-mode CloudEvent by its `specversion` and
 * `type` in the value, and nothing else:
 * - structured events of the subscribed types;
 * - JSON values without a `specversion`: binary-mode events, whose type is in a header the filter
 *   cannot read, so the wrapper reads it (and skips types the group does not subscribe to);
 * - JSON values without a `type`: malformed, so they reach the wrapper and are dead-lettered
 *   rather than dropped.
 * Structured events of other types, and values that are not JSON, are dropped and counted
 * (`FilteredOutEventCount` on AWS, `filtered` locally).
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-filtering.html
 */
export function filterPatterns(types: readonly string[]): string[] {
  return [
    JSON.stringify({ value: { type: [...types] } }),
    JSON.stringify({ value: { specversion: [{ exists: false }] } }),
    JSON.stringify({ value: { type: [{ exists: false }] } }),
  ];
}
