import type { ConsumerDefinition } from "./consumer";
import type { ContextDefinition } from "./context";
import { type TopologyIssue, TopologyError } from "./errors";
import type { ContextEvent } from "./event";
import { names } from "./names";
import { checkConsumers, checkStartLoops } from "./validate-consumers";
import { checkContexts } from "./validate-contexts";
import { checkStack, PhysicalNames } from "./validate-names";
import { defineTopology, type Topology } from "./topology";
import { checkWaits } from "./validate-waits";
import { checkInvariants } from "./validate-invariants";

export type { Topology };

export interface ValidateOptions {
  /**
   * The stack the topology is deployed to. Without it, names are checked against the longest
   * stack name allowed, so a topology that validates fits every stack.
   */
  readonly stack?: string;
  /** Whether to check that each task's and consumer's module, and each context's context.ts, exists. @default true */
  readonly checkFiles?: boolean;
}

/** `events` carries a context's milestones; `dead-letter` a group's failed records; `violations` what the invariants group reports. */
export type TopicPurpose = "events" | "dead-letter" | "violations";

export interface Topic {
  readonly name: string;
  readonly purpose: TopicPurpose;
  /** The context or consumer group the topic belongs to. */
  readonly owner: string;
}

/** A topology that passed `validate()`, with what interpreters derive from it. */
export interface ValidTopology extends Topology {
  readonly stack: string | undefined;
  readonly events: readonly ContextEvent[];
  readonly topics: readonly Topic[];
  /** Consumer groups subscribed to an event type. */
  subscribersOf(eventType: string): readonly ConsumerDefinition[];
}

/**
 * Checks a topology and returns it enriched (with the correlator of every waiting context, see
 * `defineTopology`), or throws a `TopologyError` listing every issue.
 */
export function validate(declared: Topology, options: ValidateOptions = {}): ValidTopology {
  const topology = defineTopology(declared);
  const issues = findIssues(topology, options);
  if (issues.length > 0) throw new TopologyError(issues);
  const events = topology.contexts.flatMap((context) => context.eventList);
  return {
    ...topology,
    stack: options.stack,
    events,
    topics: [
      ...topology.contexts.map((c): Topic => ({ name: names.contextTopic(c.name), purpose: "events", owner: c.name })),
      ...topology.consumers.map(
        (c): Topic => ({ name: names.deadLetterTopic(c.name), purpose: "dead-letter", owner: c.name }),
      ),
      ...topology.consumers.filter((c) => c.checks).map((c): Topic => ({ name: names.violationTopic(), purpose: "violations", owner: c.name })),
    ],
    subscribersOf: (eventType) => topology.consumers.filter((c) => c.on.some((e) => e.type === eventType)),
  };
}

/** Every issue of a topology, in declaration order; empty when it is valid. */
export function findIssues(declared: Topology, options: ValidateOptions = {}): TopologyIssue[] {
  const topology = defineTopology(declared);
  const issues: TopologyIssue[] = [];
  const report = (file: string | undefined, subject: string, problem: string, fix: string) =>
    issues.push({ file, subject, problem, fix });

  const stack = checkStack(options.stack, report);
  const physical = new PhysicalNames(stack, report, options.checkFiles ?? true);

  checkContexts(topology.contexts, physical, report);
  checkConsumers(topology, physical, options.checkFiles ?? true, report);
  checkStartLoops(topology, report);
  checkWaits(topology, report);
  checkInvariants(topology, report);
  physical.reportCollisions();
  return issues;
}
