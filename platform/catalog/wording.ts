import type { GroupFacts, InvariantFacts, WaitFacts } from "./catalog-contents";

/**
 * How the catalog puts a fact in words, once, so the markdown, the page and the AsyncAPI
 * document say the same sentence.
 */

/** `900` → `15 min`, `604800` → `7 d`: the largest whole unit, seconds as a last resort. */
export function durationText(seconds: number): string {
  if (seconds >= 86_400 && seconds % 86_400 === 0) return `${seconds / 86_400} d`;
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** One line per wait: `AwaitDispatch: shipping.ShipmentDispatched by $.orderId, up to 7 d`. */
export function waitLine(wait: WaitFacts): string {
  const key = wait.key.event === wait.key.state ? wait.key.event : `${wait.key.event} = ${wait.key.state}`;
  return `${wait.state}: ${wait.eventType} by ${key}, up to ${durationText(wait.timeoutSeconds)}`;
}

/**
 * An invariant's rule in words:
 * `after orders.OrderPlaced, exactly one of billing.InvoiceIssued, orders.OrderRefunded within 15 min, for the same $.orderId`,
 * `after orders.OrderRefunded, never shipping.ShipmentDispatched, for the same $.orderId`.
 * The key is said for both kinds: a `never` invariant, too, only compares events of one key.
 */
export function ruleText(invariant: Pick<InvariantFacts, "after" | "rule" | "followers" | "withinSeconds" | "key">): string {
  const list = invariant.followers.join(", ");
  const several = invariant.followers.length > 1;
  const then =
    invariant.rule === "exactlyOne"
      ? `exactly one ${several ? "of " : ""}${list} within ${durationText(invariant.withinSeconds ?? 0)}`
      : `never ${several ? "any of " : ""}${list}`;
  return `after ${invariant.after}, ${then}, for the same ${invariant.key}`;
}

/** What a context's failure milestone is, on its event's entry. */
export const failureMilestoneText = (context: string) => `failure milestone of ${context}: published once whenever an execution fails`;

/**
 * The failure marker as a sentence, with where the event is published from: its
 * `Announce<Fail>` states (`states`, already formatted for the output) and the backstop.
 */
export function failureMilestoneSentence(context: string, states: readonly string[]): string {
  const from = states.length === 0 ? "" : states.length === 1 ? `from ${states[0]} (before its Fail state) and ` : `from ${states.join(", ")} (one before each Fail state) and `;
  const text = failureMilestoneText(context);
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}, ${from}by the backstop for a failure that reaches no Fail state (an uncaught error, a timeout, an abort).`;
}

/** What a group of the platform's own is, and does; undefined for the user's groups. */
export function platformRole(group: Pick<GroupFacts, "completesWaitsOf" | "checksInvariants">): { readonly what: string; readonly does: string } | undefined {
  if (group.completesWaitsOf) return { what: "the platform's correlator", does: `completes the waits of ${group.completesWaitsOf}` };
  if (group.checksInvariants) return { what: "the platform's invariant checker", does: `reports violations to ${group.checksInvariants.violationTopic}` };
  return undefined;
}

/** `platformRole` in one phrase. */
export function platformRoleText(group: Pick<GroupFacts, "completesWaitsOf" | "checksInvariants">): string | undefined {
  const role = platformRole(group);
  return role && `${role.what}: ${role.does}`;
}
