import { subscribe, unsubscribe } from "node:diagnostics_channel";
import * as path from "node:path";
import type { Admin, Kafka } from "kafkajs";
import { type ConsumerDefinition, type ContextDefinition, names, type StartingPosition, type ValidTopology } from "../model";
import { type ConsumerGroupPlan, planConsumerGroups } from "../model/consumer-group-plan";
import { defaultStackConfig, type StackConfig } from "../model/stack-config";
import { BATCH_STATS_CHANNEL, type BatchStats, type KafkaHandler } from "../runtime/consumer";
import { MilestonePublisher, type PublishOptions } from "../runtime/publisher";
import { useWorkflowStarter } from "../runtime/consumer-starts-workflow";
import { correlatorHandler, useTaskCompleter } from "../runtime/correlator";
import { correlatorName } from "../model/correlator";
import { INVARIANTS_GROUP, type Violation } from "../model/invariant";
import { InMemoryInvariantStore } from "../runtime/invariant-store";
import { type InvariantsHandler, invariantsHandler } from "../runtime/invariants";
import { ConsumerGroupNotFoundError, EventNotReachedError, HandlerNotFoundError, WorkflowNotFoundError } from "./errors";
import { type DeliveredRecord, type InvocationReport, Limiter, LocalEventSourceMapping, offsetLag, type PartialBatchReading } from "./event-source-mapping";
import { type ExecutionObserver, type LocalExecution, LocalStateMachine } from "./state-machine";
import { LocalWorkflowStarter } from "./workflow-starter";
import { LocalTaskTokens } from "./task-tokens";
import { ensureTopics } from "./topics";

/** A milestone the runtime published, in publish order. */
export interface PublishedEvent {
  readonly eventId: string;
  readonly type: string;
  readonly key: string;
  readonly context: string;
  /** The event's data, for checks by business key. */
  readonly data: unknown;
  /** When the publish was acknowledged (epoch ms), for a key's timeline in the live view. */
  readonly at: number;
}

/** What one consumer group has received so far. */
export interface GroupProgress {
  readonly name: string;
  /** Event ids handled at least once, with their type. */
  readonly delivered: Map<string, string>;
  /** Every delivery in order, duplicates included (at-least-once). */
  readonly deliveries: {
    readonly id: string;
    readonly type: string;
    readonly key: string | undefined;
    readonly topic: string;
    readonly partition: number;
    readonly offset: number;
  }[];
  /** Records a batch reported as failed, and so retried. */
  failed: number;
  /** Records the mapping sent to the on-failure destination after its retries. */
  onFailure: number;
  /**
   * Records dropped without effect: by the mapping's filter (on AWS, the mapping's
   * `FilteredOutEventCount`), or by the wrapper for a binary-mode event of a type the group does
   * not subscribe to.
   */
  filtered: number;
  running: boolean;
}

export interface LocalRuntimeOptions {
  readonly topology: ValidTopology;
  /** Names group ids and state machines, as on AWS. @default "local" */
  readonly stack?: string;
  readonly kafka: Kafka;
  /** The brokers `kafka` talks to: handlers' own producers (dead-letter topics) connect there. */
  readonly brokers: readonly string[];
  /**
   * The stack's settings (`Pulumi.<stack>.yaml`'s `ensemble:*` keys, parsed): each group's batch,
   * pollers and concurrency after the stack's overrides, as infra deploys them.
   * @default the settings of a stack with no keys
   */
  readonly config?: StackConfig;
  /** Partitions of the topics it creates. @default the config's `kafka.partitions` */
  readonly partitions?: number;
  readonly observer?: ExecutionObserver;
  /**
   * Where every group starts when it has no committed offsets, overriding each group's own
   * `startingPosition`: `LATEST` makes a run see only what it publishes itself, on a broker
   * that already holds other runs' events (tests). @default each group's own
   */
  readonly startingPosition?: StartingPosition;
  /** Every mapping's session timeout (see `EventSourceMappingOptions.sessionTimeoutMs`). @default the mapping's */
  readonly sessionTimeoutMs?: number;
  /** How the mappings read partial batch responses. @default the mapping's */
  readonly partialBatchReading?: PartialBatchReading;
  /**
   * The functions' timeout (the stack's `functions.timeoutSeconds`): each consumer invocation's
   * Lambda context counts down from it, which bounds an idempotency claim as on AWS, and a task or
   * publisher invocation still running after it fails with `Lambda.Unknown`.
   * @default the config's `functions.timeoutSeconds`
   */
  readonly functionTimeoutSeconds?: number;
}

/**
 * The topology on one machine: its topics on a real broker, each context's state machine run by
 * aws-local-stepfunctions with the real task handlers and the real milestone publisher, and each
 * consumer group's real handler behind an emulated MSK event source mapping per subscribed
 * context. Workflow-starting groups start local executions through the WorkflowStarter port.
 *
 * @example
 * const runtime = new LocalRuntime({ topology, kafka, brokers });
 * await runtime.start();
 * runtime.startExecution("orders", "order-1", input);
 */
export class LocalRuntime {
  readonly stack: string;
  readonly config: StackConfig;
  /** Each group on this stack, as infra plans it. */
  readonly plans: ReadonlyMap<string, ConsumerGroupPlan>;
  readonly machines = new Map<string, LocalStateMachine>();
  readonly published: PublishedEvent[] = [];
  readonly groups = new Map<string, GroupProgress>();
  /** The event types each group subscribes to. */
  readonly subscriptions = new Map<string, ReadonlySet<string>>();
  private readonly publishers: MilestonePublisher[] = [];
  private readonly mappings = new Map<string, LocalEventSourceMapping[]>();
  private readonly handlers = new Map<string, KafkaHandler>();
  private readonly limiters = new Map<string, Limiter>();
  private admin: Admin | undefined;
  private restoreStarter: (() => void) | undefined;
  private restoreCompleter: (() => void) | undefined;
  /** The group that started each execution a group started: what its milestones are held to (`reaches`). */
  private readonly startedBy = new Map<string, string>();
  /** The task tokens of waiting executions, completed by the correlators as SendTaskSuccess would. */
  readonly taskTokens = new LocalTaskTokens();

  constructor(private readonly options: LocalRuntimeOptions) {
    this.stack = options.stack ?? "local";
    this.config = options.config ?? defaultStackConfig();
    this.plans = new Map(planConsumerGroups(options.topology.consumers, this.stack, this.config).map((plan) => [plan.name, plan]));
  }

  /** The functions' timeout: each invocation's Lambda context counts down from it. */
  private get functionTimeoutSeconds(): number {
    return this.options.functionTimeoutSeconds ?? this.config.functions.timeoutSeconds;
  }

  /** Creates the topics, the state machines and the event source mappings, and starts consuming. */
  async start(): Promise<void> {
    const { topology, kafka } = this.options;
    this.admin = kafka.admin();
    await this.admin.connect();
    await ensureTopics(this.admin, topology.topics, {
      partitions: this.options.partitions ?? this.config.kafka.partitions,
      retentionHours: this.config.kafka.retentionHours,
      deadLetterRetentionHours: this.config.kafka.deadLetterRetentionHours,
    });

    for (const context of topology.contexts) {
      if (!context.workflow) continue;
      this.machines.set(context.name, new LocalStateMachine(context, {
        stack: this.stack,
        publisher: this.recordingPublisher(context),
        functionTimeoutSeconds: this.functionTimeoutSeconds,
        ...(this.options.observer ? { observer: this.options.observer } : {}),
        // The correlator's function, invoked as the state machine invokes it on AWS.
        waits: { tokens: this.taskTokens, register: (registration) => this.invokeCorrelator(context, registration) },
      }));
    }
    // A task whose module cannot be loaded stops the start here, not as a failed state later.
    await Promise.all([...this.machines.values()].map((machine) => machine.ready()));

    subscribe(BATCH_STATS_CHANNEL, this.countWrapperFilters);
    // Handlers read these when they are loaded: where to dead-letter, how to start workflows.
    process.env.KAFKA_BROKERS = this.options.brokers.join(",");
    this.restoreStarter = useWorkflowStarter(new LocalWorkflowStarter(this.machines, (request, executionArn) => request.group && this.startedBy.set(executionArn, request.group)));
    this.restoreCompleter = useTaskCompleter(this.taskTokens);
    for (const consumer of topology.consumers) {
      this.handlers.set(consumer.name, loadHandler(consumer));
      const plan = this.plans.get(consumer.name)!;
      this.limiters.set(consumer.name, new Limiter(plan.settings.concurrency));
      this.groups.set(consumer.name, { name: consumer.name, delivered: new Map(), deliveries: [], failed: 0, onFailure: 0, filtered: 0, running: false });
      this.subscriptions.set(consumer.name, new Set(plan.mappings.flatMap((mapping) => mapping.types)));
      await this.startGroup(consumer.name);
    }
  }

  /** Starts an execution of a context's state machine, as StartExecution would. */
  startExecution(context: string, name: string, input: unknown): LocalExecution {
    const machine = this.machines.get(context);
    if (!machine) throw new WorkflowNotFoundError(`No context "${context}" with a workflow; contexts: ${[...this.machines.keys()].join(", ")}.`);
    return machine.start(name, input);
  }

  /** Every execution of every context, in start order per context. */
  get executions(): LocalExecution[] {
    return [...this.machines.values()].flatMap((machine) => machine.all);
  }

  /** (Re)starts a consumer group's mappings; it resumes from its committed offsets. */
  async startGroup(name: string): Promise<void> {
    const consumer = this.consumer(name);
    const plan = this.plans.get(name)!;
    const progress = this.groups.get(name)!;
    const mappings = plan.mappings.map(
      (mapping) =>
        new LocalEventSourceMapping({
          kafka: this.options.kafka,
          group: consumer.name,
          groupId: mapping.groupId,
          topic: mapping.topic,
          handler: this.handlers.get(name)!,
          batchSize: plan.settings.batchSize,
          windowSeconds: plan.settings.windowSeconds,
          filters: [...mapping.filters],
          retries: consumer.retries,
          maxRecordAgeSeconds: consumer.maxRecordAgeSeconds,
          bisectOnError: consumer.bisectOnError,
          startingPosition: this.options.startingPosition ?? consumer.startingPosition,
          maxPollers: plan.settings.maxPollers,
          concurrency: this.limiters.get(name)!,
          onFailureTopic: plan.deadLetterTopic,
          functionTimeoutSeconds: this.functionTimeoutSeconds,
          ...(this.options.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: this.options.sessionTimeoutMs }),
          ...(this.options.partialBatchReading === undefined ? {} : { partialBatchReading: this.options.partialBatchReading }),
          observer: {
            onFiltered: (records: readonly DeliveredRecord[]) => {
              progress.filtered += records.length;
            },
            // A record counts as received once an invocation carrying it succeeded for it.
            onInvoked: (report: InvocationReport) => {
              const firstFailed = report.outcome === "partial" ? Math.min(...report.failedOffsets) : Number.POSITIVE_INFINITY;
              if (report.outcome === "failed") return;
              for (const record of report.records) {
                if (record.offset >= firstFailed || !record.id || !record.type) continue;
                progress.delivered.set(record.id, record.type);
                progress.deliveries.push({ id: record.id, type: record.type, key: record.key, topic: record.topic, partition: record.partition, offset: record.offset });
              }
            },
            onFailed: (records: readonly DeliveredRecord[]) => {
              progress.failed += records.length;
            },
            onFailureDestination: (records: readonly DeliveredRecord[]) => {
              progress.onFailure += records.length;
            },
          },
        }),
    );
    this.mappings.set(name, mappings);
    await Promise.all(mappings.map((mapping) => mapping.start()));
    progress.running = true;
  }

  /** Stops a consumer group's mappings after their in-flight batches; the others go on. */
  async stopGroup(name: string): Promise<void> {
    const mappings = this.mappings.get(name) ?? [];
    this.mappings.delete(name);
    await Promise.all(mappings.map((mapping) => mapping.stop()));
    const progress = this.groups.get(name);
    if (progress) progress.running = false;
  }

  /** A group's offset lag over all its mappings: records published but not yet committed by it. */
  async lag(name: string): Promise<number> {
    const consumer = this.consumer(name);
    const startingPosition = this.options.startingPosition ?? consumer.startingPosition;
    let lag = 0;
    for (const { groupId, topic } of this.plans.get(name)!.mappings) lag += await offsetLag(this.admin!, groupId, topic, startingPosition);
    return lag;
  }

  /** Records in a group's dead-letter topic: poison records and those its retries gave up on. */
  async deadLettered(name: string): Promise<number> {
    const offsets = await this.admin!.fetchTopicOffsets(names.deadLetterTopic(name));
    return offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0);
  }

  /** Aborts the executions still running, stops every group, then the publishers and handlers' connections. */
  async stop(): Promise<void> {
    for (const machine of this.machines.values()) machine.abortRunning();
    await Promise.all([...this.mappings.keys()].map((name) => this.stopGroup(name)));
    await Promise.all([...this.handlers.values()].map((handler) => handler.close()));
    await Promise.all(this.publishers.map((publisher) => publisher.close()));
    this.restoreStarter?.();
    this.restoreCompleter?.();
    unsubscribe(BATCH_STATS_CHANNEL, this.countWrapperFilters);
    await this.admin?.disconnect();
  }

  /** The wrappers' own filtering (binary-mode events of other types), from their batch stats. */
  private readonly countWrapperFilters = (message: unknown) => {
    const stats = message as BatchStats;
    const progress = this.groups.get(stats.group);
    if (progress) progress.filtered += stats.filtered;
  };

  private recordingPublisher(context: ContextDefinition) {
    const publisher = new MilestonePublisher(context, { kafka: this.options.kafka });
    this.publishers.push(publisher);
    return {
      publish: async (input: unknown, options?: PublishOptions) => {
        const { type, key, data, executionId } = input as { type: string; key: string; data: unknown; executionId: string };
        this.checkReached(executionId, type);
        const result = await publisher.publish(input, options);
        // A repeat that found a record already counted here (the failure backstop after its Announce state) sent nothing.
        if (!result.alreadyPublished || !this.published.some((e) => e.eventId === result.eventId)) this.published.push({ eventId: result.eventId, type, key, context: context.name, data, at: Date.now() });
        return result;
      },
    };
  }

  /** Fails a milestone of an execution whose starting group says its executions do not reach that event. */
  private checkReached(executionId: string, type: string): void {
    const group = this.startedBy.get(executionId);
    const reaches = group ? this.plans.get(group)?.consumer.reaches : undefined;
    if (!reaches || reaches.some((event) => event.type === type)) return;
    throw new EventNotReachedError(
      `Execution ${executionId}, started by group "${group}", publishes ${type}, but the group says its executions reach only ${reaches.map((e) => e.type).join(", ")}: ` +
        `the start-loop check trusted that. Fix the group's input so the workflow takes its path, or add ${type} to its reaches.`,
    );
  }

  private async invokeCorrelator(context: ContextDefinition, registration: unknown): Promise<unknown> {
    const handler = this.handlers.get(correlatorName(context.name));
    if (!handler) throw new HandlerNotFoundError(`Context "${context.name}" waits for events but its correlator group "${correlatorName(context.name)}" is not in the topology; build it with defineTopology.`);
    return handler(registration);
  }

  /**
   * Checks every invariant over what the invariants group has received, as if every flow were over
   * (the demo's end): answers each violation, reported once. Empty without invariants.
   */
  async settleInvariants(): Promise<Violation[]> {
    const handler = this.handlers.get(INVARIANTS_GROUP) as InvariantsHandler | undefined;
    return handler?.settle ? handler.settle() : [];
  }

  private consumer(name: string): ConsumerDefinition {
    const consumer = this.options.topology.consumers.find((c) => c.name === name);
    if (!consumer) throw new ConsumerGroupNotFoundError(`No consumer group "${name}"; groups: ${this.options.topology.consumers.map((c) => c.name).join(", ")}.`);
    return consumer;
  }
}

/** The `handler` export of a group's handler module, loaded once per process like a Lambda container. */
export function loadHandler(consumer: ConsumerDefinition): KafkaHandler {
  // A correlator's handler is the platform's, bound to the context it completes waits of.
  if (consumer.correlates) return correlatorHandler(consumer.correlates) as KafkaHandler;
  // So is the invariants group's, bound to the invariants it checks (a store in memory).
  if (consumer.checks) return invariantsHandler(consumer.checks, { store: new InMemoryInvariantStore() }) as unknown as KafkaHandler;
  if (!consumer.definedIn) {
    throw new HandlerNotFoundError(
      `Cannot locate consumer group "${consumer.name}" to load its handler: its definition records no file; declare it with defineConsumer() in a module of its own.`,
    );
  }
  const file = path.resolve(path.dirname(path.resolve(consumer.definedIn)), consumer.handler);
  const module = require(file) as { handler?: KafkaHandler };
  if (typeof module.handler !== "function") {
    throw new HandlerNotFoundError(`${file} exports no handler (consumer group ${consumer.name}); export const handler = consume(consumer, ...).`);
  }
  return module.handler;
}
