import type { ConsumerDefinition } from "./consumer";
import type { ContextDefinition } from "./context";
import { correlatorOf } from "./correlator";
import type { InvariantDefinition } from "./invariant";
import { invariantsGroupOf } from "./invariants-group";

/** The system: its contexts and every consumer group, the platform's correlators included. */
export interface Topology {
  readonly contexts: readonly ContextDefinition[];
  readonly consumers: readonly ConsumerDefinition[];
  /** What must hold across contexts for a business key (see `defineInvariant`), checked by the `invariants` group. */
  readonly invariants?: readonly InvariantDefinition[];
}

/**
 * The topology of `contexts` and the consumer groups declared in consumers/, with the correlator
 * of each context whose workflow waits for an event (see `correlatorOf`) and the group that checks
 * the invariants (see `invariantsGroupOf`) added after them: every
 * interpreter then deploys, runs and documents it as a group like any other. Idempotent;
 * `validate()` applies it too, so a topology built by hand gets its correlators all the same.
 *
 * @example
 * export const topology = defineTopology({ contexts, consumers });
 */
export function defineTopology(declared: Topology): Topology {
  const platformGroups = [...declared.contexts.flatMap((context) => correlatorOf(context) ?? []), ...[invariantsGroupOf(declared.invariants)].filter((g): g is ConsumerDefinition => g !== undefined)];
  return {
    contexts: declared.contexts,
    consumers: [...declared.consumers, ...platformGroups.filter((c) => !declared.consumers.includes(c))],
    ...(declared.invariants ? { invariants: declared.invariants } : {}),
  };
}
