import type { ConsumerDefinition } from "./consumer";
import type { ContextDefinition } from "./context";
import { correlatorOf } from "./correlator";

/** The system: its contexts and every consumer group, the platform's correlators included. */
export interface Topology {
  readonly contexts: readonly ContextDefinition[];
  readonly consumers: readonly ConsumerDefinition[];
}

/**
 * The topology of `contexts` and the consumer groups declared in consumers/, with the correlator
 * of each context whose workflow waits for an event (see `correlatorOf`) added after them: every
 * interpreter then deploys, runs and documents it as a group like any other. Idempotent;
 * `validate()` applies it too, so a topology built by hand gets its correlators all the same.
 *
 * @example
 * export const topology = defineTopology({ contexts, consumers });
 */
export function defineTopology(declared: Topology): Topology {
  const correlators = declared.contexts.flatMap((context) => correlatorOf(context) ?? []);
  return { contexts: declared.contexts, consumers: [...declared.consumers, ...correlators.filter((c) => !declared.consumers.includes(c))] };
}
