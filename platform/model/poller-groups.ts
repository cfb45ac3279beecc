import type { ConsumerGroupPlan, MappingPlan } from "./consumer-group-plan";

/**
 * What one provisioned poller group may hold: "You can group up to 100 ESMs per poller group and
 * aggregate maximum pollers across all ESMs in a group cannot exceed 2000", and only mappings
 * within one VPC (every mapping of a stack reads the stack's one cluster).
 * https://docs.aws.amazon.com/lambda/latest/api/API_ProvisionedPollerConfig.html
 */
export const POLLER_GROUP_LIMITS = { mappings: 100, maximumPollers: 2000 } as const;

/** `<stack>-pollers-<n>`: the stack's poller groups, numbered from 1. */
export const pollerGroupName = (stack: string, index: number) => `${stack}-pollers-${index + 1}`;

/**
 * Puts a stack's event source mappings into shared poller groups, so they share event poller
 * capacity instead of each paying for its own: in declaration order (groups, then each group's
 * mappings), a new group opening whenever the next mapping would break a limit. A group added
 * at the end of the topology joins the last poller group and moves no other mapping.
 */
export function assignPollerGroups(plans: readonly ConsumerGroupPlan[], stack: string): Map<string, string> {
  const assigned = new Map<string, string>();
  let index = 0;
  let mappings = 0;
  let maximumPollers = 0;
  for (const plan of plans) {
    for (const mapping of plan.mappings) {
      const pollers = plan.settings.maxPollers;
      if (mappings === POLLER_GROUP_LIMITS.mappings || maximumPollers + pollers > POLLER_GROUP_LIMITS.maximumPollers) {
        index++;
        mappings = 0;
        maximumPollers = 0;
      }
      mappings++;
      maximumPollers += pollers;
      assigned.set(mapping.groupId, pollerGroupName(stack, index));
    }
  }
  return assigned;
}

/** What a stack provisions of event pollers, for its `eventPollers` output. */
export interface EventPollers {
  /** Pollers the stack's mappings keep running at the least (the sum of their minimums). */
  readonly minimum: number;
  /** Pollers they can scale out to (the sum of their maximums). */
  readonly maximum: number;
  readonly mappings: number;
  /** Per consumer group, so a user sees what one more group adds. */
  readonly byGroup: Readonly<Record<string, { readonly minimum: number; readonly maximum: number; readonly mappings: number }>>;
  /** The shared poller groups, when the stack asks for them (`functions.sharedPollers`), with their mappings' pollers. */
  readonly pollerGroups: Readonly<Record<string, { readonly minimum: number; readonly maximum: number; readonly mappings: number }>>;
}

/** Sums the stack's provisioned pollers, overall, per consumer group and per shared poller group. */
export function eventPollers(plans: readonly ConsumerGroupPlan[]): EventPollers {
  const byGroup: Record<string, { minimum: number; maximum: number; mappings: number }> = {};
  const pollerGroups: Record<string, { minimum: number; maximum: number; mappings: number }> = {};
  const add = (into: { minimum: number; maximum: number; mappings: number }, plan: ConsumerGroupPlan) => {
    into.minimum += plan.settings.minPollers;
    into.maximum += plan.settings.maxPollers;
    into.mappings++;
  };
  for (const plan of plans) {
    byGroup[plan.name] = { minimum: 0, maximum: 0, mappings: 0 };
    for (const mapping of plan.mappings as readonly MappingPlan[]) {
      add(byGroup[plan.name]!, plan);
      if (mapping.pollerGroup) add((pollerGroups[mapping.pollerGroup] ??= { minimum: 0, maximum: 0, mappings: 0 }), plan);
    }
  }
  const total = Object.values(byGroup);
  return {
    minimum: total.reduce((sum, group) => sum + group.minimum, 0),
    maximum: total.reduce((sum, group) => sum + group.maximum, 0),
    mappings: total.reduce((sum, group) => sum + group.mappings, 0),
    byGroup,
    pollerGroups,
  };
}
