import * as path from "node:path";
import { jsonSchemaOf, type JsonSchema } from "../model/json-schema";
import { type ContextDefinition, correlatorName, INVARIANTS_GROUP, MILESTONE_FUNCTION, names, partitionsOf, type StartingPosition, type State, type TopicPurpose, type ValidTopology } from "../model";
import { planConsumerGroups } from "../model/consumer-group-plan";
import { followersOf } from "../model/invariant";
import { defaultStackConfig, type StackConfig } from "../model/stack-config";
import { CatalogOptionsError } from "./errors";
import { ruleText } from "./wording";

export { jsonSchemaOf, type JsonSchema };

export interface CatalogOptions {
  /**
   * The stack whose physical names the catalog shows: consumer group ids, state machine and
   * function names, the cluster.
   */
  readonly stack: string;
  /**
   * The stack's settings: each group's batch and pollers after the stack's overrides, and the
   * topics' partitions, as infra deploys them.
   * @default the settings of a stack with no keys
   */
  readonly config?: StackConfig;
  /**
   * Partitions of each context topic (dead-letter topics get half, at least 1).
   * @default the config's `kafka.partitions`
   */
  readonly partitions?: number;
  /** `info` of the AsyncAPI document and the page's title. */
  readonly info?: { readonly title?: string; readonly version?: string; readonly description?: string };
}

/** A milestone state that publishes an event. */
export interface MilestoneFacts {
  readonly state: string;
  /** JSONPath of the entity id in the state: the Kafka key and the CloudEvent `subject`. */
  readonly key: string | undefined;
  readonly inMap: boolean;
}

export interface EventFacts {
  /** CloudEvent `type`, `<context>.<Event>`. */
  readonly type: string;
  readonly name: string;
  readonly context: string;
  readonly version: number;
  readonly description: string | undefined;
  readonly topic: string;
  readonly dataschema: string;
  /** JSON Schema (draft-07) of `data`, from the event's zod schema. */
  readonly schema: JsonSchema;
  readonly milestones: readonly MilestoneFacts[];
  /** The distinct key paths of its milestones. */
  readonly keys: readonly string[];
  /** Groups receiving it, in declaration order. */
  readonly consumers: readonly { readonly group: string; readonly groupId: string; readonly startsWorkflow: string | undefined }[];
  /** The invariants that read it, in declaration order. */
  readonly invariants: readonly string[];
  /** The context whose failure milestone it is (published once whenever an execution fails). */
  readonly failureMilestoneOf: string | undefined;
}

export interface ContextFacts {
  readonly name: string;
  readonly description: string | undefined;
  readonly topic: string;
  readonly events: readonly EventFacts[];
  readonly tasks: readonly string[];
  readonly stateMachine: string;
  readonly publisherFunction: string;
  /** Groups that start this context's workflow. */
  readonly startedBy: readonly string[];
  /** Its wait states: the event each awaits, how they correlate, and the correlator that completes them. */
  readonly waits: readonly WaitFacts[];
  readonly failure: FailureFacts | undefined;
  readonly definedIn: string | undefined;
}

/** A context's failure milestone (see the model's `onFailure`). */
export interface FailureFacts {
  readonly eventType: string;
  /** Path into the execution's input: the event's key. */
  readonly key: string;
  /** Each field of the event's data and where it comes from (`$.error`, `$.cause`, `$.input.…`). */
  readonly data: Readonly<Record<string, string>>;
  /** The `Announce<Fail>` states that publish it; the backstop publishes it for any other failure. */
  readonly states: readonly string[];
}

export interface WaitFacts {
  readonly state: string;
  readonly eventType: string;
  /** JSONPath into the event's data, and into the execution's state, whose values must be equal. */
  readonly key: { readonly event: string; readonly state: string };
  readonly timeoutSeconds: number;
  readonly correlator: string;
}

/** A group's subscription to one context's topic: one event source mapping, one group id. */
export interface SubscriptionFacts {
  readonly context: string;
  readonly topic: string;
  readonly groupId: string;
  /** Event types received from this topic, in the order the group lists them. */
  readonly types: readonly string[];
}

export interface GroupFacts {
  readonly name: string;
  readonly description: string | undefined;
  readonly subscriptions: readonly SubscriptionFacts[];
  readonly deadLetterTopic: string;
  readonly startsWorkflow: string | undefined;
  /** For a correlator: the context whose waits it completes. */
  readonly completesWaitsOf: string | undefined;
  /** For the platform's invariants group: the invariants it checks, and where it reports violations. */
  readonly checksInvariants: { readonly invariants: readonly string[]; readonly violationTopic: string } | undefined;
  readonly function: string;
  readonly batch: { readonly size: number; readonly windowSeconds: number };
  readonly scaling: { readonly minPollers: number; readonly maxPollers: number };
  readonly retries: number;
  readonly maxRecordAgeSeconds: number;
  readonly bisectOnError: boolean;
  readonly startingPosition: StartingPosition;
  readonly definedIn: string | undefined;
}

export interface TopicFacts {
  readonly name: string;
  readonly purpose: TopicPurpose;
  /** The context or group it belongs to. */
  readonly owner: string;
  readonly partitions: number;
}

export interface InvariantFacts {
  readonly name: string;
  readonly description: string | undefined;
  /** JSONPath of the business key in the data of every event it reads. */
  readonly key: string;
  /** The event type that opens a key's flow. */
  readonly after: string;
  readonly rule: "exactlyOne" | "never";
  /** The event types expected (exactlyOne) or forbidden (never) after `after`. */
  readonly followers: readonly string[];
  /** exactlyOne's bound; undefined for never. */
  readonly withinSeconds: number | undefined;
  /** Every event type it reads, `after` first. */
  readonly reads: readonly string[];
  /** The rule in words (see `ruleText`). */
  readonly text: string;
  /** The group that checks it and the topic it reports violations to. */
  readonly checkedBy: string;
  readonly violationTopic: string;
  readonly definedIn: string | undefined;
}

/** Everything the catalog says, derived once from the validated model, in declaration order. */
export interface CatalogFacts {
  readonly stack: string;
  readonly partitions: number;
  readonly info: { readonly title: string; readonly version: string; readonly description: string | undefined };
  readonly contexts: readonly ContextFacts[];
  readonly events: readonly EventFacts[];
  readonly groups: readonly GroupFacts[];
  readonly topics: readonly TopicFacts[];
  readonly invariants: readonly InvariantFacts[];
}

export function catalogFacts(topology: ValidTopology, options: CatalogOptions): CatalogFacts {
  const { stack } = options;
  const config = options.config ?? defaultStackConfig();
  const partitions = options.partitions ?? config.kafka.partitions;
  if (!Number.isInteger(partitions) || partitions < 1) throw new CatalogOptionsError(`partitions must be a whole number of at least 1, got ${partitions}; pass --partitions <n> or set ensemble:kafka.partitions.`);

  const groups = planConsumerGroups(topology.consumers, stack, config).map(({ consumer, mappings, settings, deadLetterTopic, functionName, violationTopic }): GroupFacts => {
    return {
      name: consumer.name,
      description: consumer.description,
      subscriptions: mappings.map(({ context, topic, groupId, types }) => ({ context, topic, groupId, types })),
      deadLetterTopic,
      startsWorkflow: consumer.startWorkflow?.name,
      completesWaitsOf: consumer.correlates?.name,
      checksInvariants: consumer.checks && { invariants: consumer.checks.map((i) => i.name), violationTopic: violationTopic ?? names.violationTopic() },
      function: functionName,
      batch: { size: settings.batchSize, windowSeconds: settings.windowSeconds },
      scaling: { minPollers: settings.minPollers, maxPollers: settings.maxPollers },
      retries: consumer.retries,
      maxRecordAgeSeconds: consumer.maxRecordAgeSeconds,
      bisectOnError: consumer.bisectOnError,
      startingPosition: consumer.startingPosition,
      definedIn: portable(consumer.definedIn),
    };
  });

  const invariants = (topology.invariants ?? []).map((invariant): InvariantFacts => {
    const checker = groups.find((g) => g.checksInvariants?.invariants.includes(invariant.name));
    const facts = {
      name: invariant.name,
      description: invariant.description,
      key: invariant.key,
      after: invariant.after.type,
      rule: "exactlyOne" in invariant ? ("exactlyOne" as const) : ("never" as const),
      followers: followersOf(invariant).map((e) => e.type),
      withinSeconds: invariant.withinSeconds,
      reads: invariant.reads.map((e) => e.type),
    };
    return {
      ...facts,
      text: ruleText(facts),
      checkedBy: checker?.name ?? INVARIANTS_GROUP,
      violationTopic: checker?.checksInvariants?.violationTopic ?? names.violationTopic(),
      definedIn: portable(invariant.definedIn),
    };
  });

  const contexts = topology.contexts.map((context): ContextFacts => {
    const milestones = milestonesOf(context);
    const topic = names.contextTopic(context.name);
    const events = context.eventList.map((event): EventFacts => {
      const own = milestones.filter((m) => m.eventType === event.type);
      return {
        type: event.type,
        name: event.name,
        context: context.name,
        version: event.version,
        description: event.description,
        topic,
        dataschema: names.dataSchema(event.context, event.name, event.version),
        schema: jsonSchemaOf(event.schema),
        milestones: own.map(({ state, key, inMap }) => ({ state, key, inMap })),
        keys: [...new Set(own.flatMap((m) => (m.key ? [m.key] : [])))],
        consumers: groups.flatMap((group) => {
          const subscription = group.subscriptions.find((s) => s.types.includes(event.type));
          return subscription ? [{ group: group.name, groupId: subscription.groupId, startsWorkflow: group.startsWorkflow }] : [];
        }),
        invariants: invariants.filter((i) => i.reads.includes(event.type)).map((i) => i.name),
        failureMilestoneOf: context.failure?.type === event.type ? context.name : undefined,
      };
    });
    return {
      name: context.name,
      description: context.description,
      topic,
      events,
      tasks: context.tasks.map((t) => t.name),
      stateMachine: names.stateMachine(stack, context.name),
      publisherFunction: names.publisherFunction(stack, context.name),
      startedBy: groups.filter((g) => g.startsWorkflow === context.name).map((g) => g.name),
      waits: (context.workflow?.waits ?? []).map((w) => ({
        state: w.state,
        eventType: w.eventType,
        key: { event: w.eventKey, state: w.stateKey },
        timeoutSeconds: w.timeoutSeconds,
        correlator: correlatorName(context.name),
      })),
      failure: context.failure && {
        eventType: context.failure.type,
        key: context.failure.key,
        data: context.failure.data,
        states: milestones.filter((m) => m.eventType === context.failure!.type).map((m) => m.state),
      },
      definedIn: portable(context.definedIn),
    };
  });

  const topics = topology.topics.map(
    (topic): TopicFacts => ({
      name: topic.name,
      purpose: topic.purpose,
      owner: topic.owner,
      partitions: partitionsOf(topic, partitions),
    }),
  );

  return {
    stack,
    partitions,
    info: {
      title: options.info?.title ?? "Ensemble",
      version: options.info?.version ?? "0.0.0",
      description: options.info?.description,
    },
    contexts,
    events: contexts.flatMap((c) => c.events),
    groups,
    topics,
    invariants,
  };
}

interface MilestoneAt extends MilestoneFacts {
  readonly eventType: string;
}

/** Every milestone state of a context's workflow with its key path, nested states included. */
function milestonesOf(context: ContextDefinition): MilestoneAt[] {
  const found: MilestoneAt[] = [];
  const visit = (states: Readonly<Record<string, State>> | undefined, inMap: boolean) => {
    for (const [name, state] of Object.entries(states ?? {})) {
      const parameters = state.Parameters as { FunctionName?: unknown; Payload?: Record<string, unknown> } | undefined;
      if (parameters?.FunctionName === MILESTONE_FUNCTION && parameters.Payload) {
        const key = parameters.Payload["key.$"] ?? parameters.Payload.key;
        found.push({ state: name, eventType: String(parameters.Payload.type), key: typeof key === "string" ? key : undefined, inMap });
      }
      const processor = (state.ItemProcessor ?? state.Iterator) as { States?: Record<string, State> } | undefined;
      if (state.Type === "Map") visit(processor?.States, true);
      if (state.Type === "Parallel") for (const branch of (state.Branches ?? []) as { States?: Record<string, State> }[]) visit(branch.States, inMap);
    }
  };
  visit(context.workflow?.asl.States, false);
  return found;
}

const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

/**
 * A declaring file as the catalog shows it: relative to the project root (the model records it
 * relative to the working directory) with forward slashes, so the output never depends on where
 * the command ran.
 */
function portable(file: string | undefined): string | undefined {
  return file === undefined ? undefined : path.relative(PROJECT_ROOT, path.resolve(file)).split(path.sep).join("/");
}
