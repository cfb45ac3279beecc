/*
 * A stream of the orders context's milestones through Ensemble's real parts, for failure tests
 * that break the broker (or a cluster node) under it: the real MilestonePublisher publishing
 * without pause, and per consumer group an emulated MSK event source mapping
 * (LocalEventSourceMapping) invoking the real consumer wrapper (consume()) around a handler that
 * counts every run of it. Nothing here deduplicates: a second run of an effect, a second delivery
 * of a record, each is one more entry.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Kafka } from "kafkajs";
import orders from "../../../contexts/orders/context";
import { LocalEventSourceMapping, type PartialBatchReading } from "../../../platform/local/event-source-mapping";
import { type ConsumerDefinition, names } from "../../../platform/model";
import { planConsumerGroup } from "../../../platform/model/consumer-group-plan";
import { defaultStackConfig } from "../../../platform/model/stack-config";
import { milestoneRetry } from "../../../platform/model/workflow-states";
import { consume, type KafkaHandler } from "../../../platform/runtime/consumer";
import { InMemoryPersistenceLayer } from "../../../platform/runtime/idempotency";
import { MilestonePublisher } from "../../../platform/runtime/publisher";
import { silentLogger } from "../../support/runtime";
import type { Signal } from "../../support/wait";

/** A milestone the stream published (acknowledged by the broker). */
export interface PublishedMilestone {
  readonly eventId: string;
  readonly type: "orders.OrderPlaced" | "orders.OrderRejected";
  /** The order id: the record key. */
  readonly key: string;
  readonly partition: number;
  /** Where the broker said it appended it. */
  readonly offset: string;
  readonly at: number;
  /** Publish attempts it took: more than 1 when the broker did not take it at first. */
  readonly attempts: number;
}

export interface MilestoneStreamOptions {
  readonly kafka: Kafka;
  /** Names the orders, and so the executions and event ids: one per test. */
  readonly prefix: string;
  /** Milestones started per second. */
  readonly rate: number;
  readonly signal: Signal;
}

/**
 * One milestone per order, every 1/rate s, each published by a task of its own as an execution's
 * milestone state would be: a `Milestone.PublishFailed` is retried with the same input (and so the
 * same event id) on the orders workflow's own Retry (`milestoneRetry`: 1 s, doubling, 6 retries).
 * Every tenth order is rejected, the others placed.
 *
 * @example
 * const stream = new MilestoneStream({ kafka, prefix: "kill-1a2b3c", rate: 40, signal });
 * stream.start();
 * // ... break something ...
 * await stream.stop(); // waits for the milestones still being retried
 */
export class MilestoneStream {
  readonly published: PublishedMilestone[] = [];
  /** Publish attempts the broker did not take; each was retried. */
  readonly failedAttempts: { readonly key: string; readonly at: number; readonly error: string }[] = [];
  /** Milestones that failed every attempt, or with an error that is not retried: their executions would have failed. */
  readonly abandoned: { readonly key: string; readonly error: string }[] = [];
  private readonly publisher: MilestonePublisher;
  private readonly tasks = new Set<Promise<void>>();
  private running = false;
  private scheduler: Promise<void> | undefined;

  constructor(private readonly options: MilestoneStreamOptions) {
    this.publisher = new MilestonePublisher(orders, { kafka: options.kafka });
  }

  /** Milestones started so far (published, being retried, or abandoned). */
  get started(): number {
    return this.published.length + this.tasks.size + this.abandoned.length;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const startedAt = Date.now();
    this.scheduler = (async () => {
      for (let i = 0; this.running; i++) {
        const due = startedAt + (i * 1000) / this.options.rate;
        if (due > Date.now()) await sleep(due - Date.now());
        if (!this.running) break;
        const task: Promise<void> = this.publishWithRetry(i).finally(() => this.tasks.delete(task));
        this.tasks.add(task);
      }
    })();
  }

  /** Starts no more milestones, waits for those still being published, and disconnects. */
  async stop(): Promise<void> {
    this.running = false;
    await this.scheduler;
    while (this.tasks.size > 0) await Promise.all([...this.tasks]);
    await this.publisher.close();
  }

  private async publishWithRetry(index: number): Promise<void> {
    const enteredTime = new Date().toISOString();
    const [retrier] = milestoneRetry;
    for (let attempt = 1; ; attempt++) {
      // As Step Functions fills them: a retry says so ($$.State.RetryCount), and the publisher looks before it sends again.
      const input = { ...milestoneOf(this.options.prefix, index), attempt: attempt - 1, enteredTime };
      try {
        const { eventId, partition, offset } = await this.publisher.publish(input);
        this.published.push({ eventId, type: input.type, key: input.key, partition, offset, at: Date.now(), attempts: attempt });
        return;
      } catch (error) {
        const { name, message } = error as Error;
        if (!retrier!.ErrorEquals.includes(name) || attempt > retrier!.MaxAttempts!) {
          this.abandoned.push({ key: input.key, error: `${name}: ${message}` });
          return;
        }
        this.failedAttempts.push({ key: input.key, at: Date.now(), error: message });
        await sleep(retrier!.IntervalSeconds! * retrier!.BackoffRate! ** (attempt - 1) * 1000);
      } finally {
        this.options.signal.notify();
      }
    }
  }
}

/** The milestone input the orders workflow's Placed (or Rejected) state would hand the publisher. */
function milestoneOf(prefix: string, index: number) {
  const orderId = `${prefix}-${String(index).padStart(5, "0")}`;
  const customerId = `customer-${index % 37}`;
  const executionId = `arn:aws:states:local:000000000000:execution:${prefix}-orders:order-${orderId}`;
  if (index % 10 === 4) {
    return { type: "orders.OrderRejected" as const, key: orderId, data: { orderId, customerId, reason: "payment-declined" }, executionId, state: "Rejected" };
  }
  const lines = [{ sku: "kettle-steel", quantity: 1 + (index % 3) }];
  return { type: "orders.OrderPlaced" as const, key: orderId, data: { orderId, customerId, lines, totalCents: 1_000 + index, currency: "EUR" }, executionId, state: "Placed" };
}

/**
 * Holds a run of a handler, once armed, until released: a way to have an invocation in flight,
 * with effects made before the held record and records left after it, at a moment the test
 * chooses (a broker killed under it), instead of hoping one is.
 */
export class Gate {
  /** The event id whose handler run is (or was) held. */
  held: string | undefined;
  /** Held once this many runs of the same invocation have had their effect. */
  private armed: number | undefined;
  private open!: () => void;
  private readonly opened = new Promise<void>((resolve) => (this.open = resolve));

  constructor(private readonly signal: Signal) {}

  /** Holds the first run that comes after `runsBefore` runs of its invocation. */
  arm(runsBefore = 0): void {
    this.armed = runsBefore;
  }

  release(): void {
    this.open();
  }

  /** Called by the handler before its effect, with the runs of its invocation before it. */
  async pass(eventId: string, runsBefore: number): Promise<void> {
    if (this.armed === undefined || runsBefore < this.armed) return;
    this.armed = undefined;
    this.held = eventId;
    this.signal.notify();
    await this.opened;
  }
}

export interface CountedGroupOptions {
  readonly kafka: Kafka;
  /** A real consumer group's definition: its batch size and window, pollers, retries and bisect apply. */
  readonly consumer: ConsumerDefinition;
  /** Names its Kafka consumer group id, `<stack>.<group>.orders`: one per test and reading. */
  readonly stack: string;
  readonly partialBatchReading: PartialBatchReading;
  /** The stack's function timeout, as the mapping passes it to each invocation. */
  readonly functionTimeoutSeconds: number;
  readonly signal: Signal;
  /** How long one effect takes. @default 0 */
  readonly effectMs?: number;
}

/** A record handed to the function (duplicates included), and when. */
export interface Delivery {
  readonly id: string;
  readonly partition: number;
  readonly offset: number;
  readonly at: number;
}

/**
 * One consumer group on the orders topic: an emulated event source mapping with the group's own
 * settings, invoking the real `consume()` wrapper (its own in-memory idempotency store) around a
 * handler whose effect is one entry in `effects` per run. What the mapping and the wrapper did is
 * counted as it happens, duplicates included.
 */
export class CountedGroup {
  readonly name: string;
  readonly groupId: string;
  readonly reading: PartialBatchReading;
  /** Holds a run of the handler before its effect (see {@link Gate}); counts runs per invocation, so for a group with one poller. */
  readonly gate: Gate;
  /** Every record the mapping handed to the function, in order, redeliveries included. */
  readonly deliveries: Delivery[] = [];
  /** Each batch the function was invoked with: the event ids, in offset order. */
  readonly batches: string[][] = [];
  /** One entry per run of the handler, that is per effect made: counted before any deduplication. */
  readonly effects: { readonly id: string; readonly at: number }[] = [];
  /** The wrapper's BatchStats, summed over invocations. */
  readonly stats = { handled: 0, duplicates: 0, failed: 0, skipped: 0, deadLettered: 0 };
  /** Records the mapping sent to the on-failure destination. */
  onFailure = 0;
  /** When the mapping's Kafka consumer crashed (kafkajs then restarts it from the committed offsets). */
  readonly crashes: number[] = [];
  private readonly handler: KafkaHandler;
  private readonly mapping: LocalEventSourceMapping;
  /** Runs of the handler in the current invocation. */
  private runsInBatch = 0;

  constructor(options: CountedGroupOptions) {
    const { consumer, signal } = options;
    this.name = consumer.name;
    this.reading = options.partialBatchReading;
    this.gate = new Gate(signal);
    const subscription = planConsumerGroup(consumer, options.stack, defaultStackConfig()).mappings.find((s) => s.context === orders.name);
    if (!subscription) throw new Error(`Consumer group ${consumer.name} does not subscribe to the orders context.`);
    this.groupId = subscription.groupId;
    this.handler = consume(
      consumer,
      async (event) => {
        await this.gate.pass(event.id, this.runsInBatch);
        if (options.effectMs) await sleep(options.effectMs);
        this.effects.push({ id: event.id, at: Date.now() });
        this.runsInBatch++;
        signal.notify();
      },
      {
        kafka: options.kafka,
        idempotency: new InMemoryPersistenceLayer(),
        logger: silentLogger(),
        onBatch: (stats) => {
          this.stats.handled += stats.handled;
          this.stats.duplicates += stats.duplicates;
          this.stats.failed += stats.failed;
          this.stats.skipped += stats.skipped;
          this.stats.deadLettered += stats.deadLettered;
          signal.notify();
        },
      },
    );
    this.mapping = new LocalEventSourceMapping({
      kafka: options.kafka,
      group: consumer.name,
      groupId: this.groupId,
      topic: subscription.topic,
      handler: this.handler,
      batchSize: consumer.batch.size,
      windowSeconds: consumer.batch.windowSeconds,
      filters: [...subscription.filters],
      retries: consumer.retries,
      maxRecordAgeSeconds: consumer.maxRecordAgeSeconds,
      bisectOnError: consumer.bisectOnError,
      startingPosition: consumer.startingPosition,
      maxPollers: consumer.scaling.maxPollers,
      onFailureTopic: names.deadLetterTopic(consumer.name),
      functionTimeoutSeconds: options.functionTimeoutSeconds,
      partialBatchReading: options.partialBatchReading,
      observer: {
        onDelivered: (records) => {
          const at = Date.now();
          for (const r of records) if (r.id) this.deliveries.push({ id: r.id, partition: r.partition, offset: r.offset, at });
          this.batches.push(records.flatMap((r) => (r.id ? [r.id] : [])));
          this.runsInBatch = 0;
        },
        onFailureDestination: (records) => {
          this.onFailure += records.length;
          signal.notify();
        },
        onError: () => {
          this.crashes.push(Date.now());
          signal.notify();
        },
      },
    });
  }

  start(): Promise<void> {
    return this.mapping.start();
  }

  async stop(): Promise<void> {
    await this.mapping.stop();
    await this.handler.close();
  }

  /** Records published but not committed by the group. */
  lag(): Promise<number> {
    return this.mapping.lag();
  }

  /**
   * The published milestones this group has made no effect for yet, with where the broker said
   * each went, what the mapping delivered at that place (another event there means the broker
   * gave the offset twice) and the highest offset it delivered on that partition.
   */
  missing(published: readonly PublishedMilestone[]) {
    const made = new Set(this.effects.map((e) => e.id));
    return published
      .filter((p) => !made.has(p.eventId))
      .map((p) => {
        const onPartition = this.deliveries.filter((d) => d.partition === p.partition);
        return {
          group: this.groupId,
          eventId: p.eventId,
          partition: p.partition,
          offset: p.offset,
          attempts: p.attempts,
          publishedAt: p.at,
          deliveredThere: [...new Set(onPartition.filter((d) => d.offset === Number(p.offset)).map((d) => d.id))],
          highestDelivered: Math.max(-1, ...onPartition.map((d) => d.offset)),
          crashes: this.crashes,
        };
      });
  }

  /** Whether every id has had its effect (at least once). */
  hasEffectsFor(ids: readonly string[]): boolean {
    const made = new Set(this.effects.map((e) => e.id));
    return ids.every((id) => made.has(id));
  }

  /** The batch of the invocation that was held: the first to carry the held event id. */
  get heldBatch(): string[] | undefined {
    const held = this.gate.held;
    return held === undefined ? undefined : this.batches.find((batch) => batch.includes(held));
  }

  /** What the group did, for the figures: deliveries and effects counted before any deduplication. */
  figures(expected: readonly string[]) {
    const delivered = new Set(this.deliveries.map((d) => d.id));
    return {
      expected: expected.length,
      deliveries: this.deliveries.length,
      distinctDelivered: delivered.size,
      redeliveries: this.deliveries.length - delivered.size,
      duplicatesSkippedByWrapper: this.stats.duplicates,
      effects: this.effects.length,
      deadLettered: this.onFailure + this.stats.deadLettered,
      failedRecords: this.stats.failed,
      consumerCrashes: this.crashes.length,
    };
  }
}
