// Checks of the declared invariants and of each context's failure milestone.
import { KEBAB_NAME } from "./limits";
import type { ContextEvent } from "./event";
import { followersOf, INVARIANTS_GROUP, type InvariantDefinition } from "./invariant";
import type { Topology } from "./topology";
import { kebabFix, type Report } from "./validate-names";
import { keyProblem } from "./validate-waits";
import { SIMPLE_PATH } from "./wait-for";
import { failStatesOf, type FailurePath } from "./failure-milestone";

/** The longest bound an invariant may have: a key's events are kept this long past it, within a topic's retention. */
export const INVARIANT_MAX_WITHIN_SECONDS = 7 * 86_400;

export function checkInvariants(topology: Topology, report: Report) {
  const published = new Map<string, ContextEvent>(topology.contexts.flatMap((c) => c.eventList.map((e) => [e.type, e] as const)));
  const seen = new Set<string>();
  const invariants = topology.invariants ?? [];
  for (const invariant of invariants) {
    const file = invariant.definedIn;
    const subject = `invariant "${invariant.name}"`;
    if (!KEBAB_NAME.test(invariant.name)) report(file, subject, `has an invalid name.`, kebabFix("invariant", invariant.name));
    if (seen.has(invariant.name)) report(file, subject, `is declared twice.`, `give each invariant a unique name.`);
    seen.add(invariant.name);
    const hasBoth = "exactlyOne" in invariant && "never" in invariant;
    if (hasBoth) report(file, subject, `says both exactlyOne and never.`, `declare two invariants, one for what must follow and one for what must not.`);
    const followers = followersOf(invariant);
    const rule = "exactlyOne" in invariant ? "exactlyOne" : "never";
    if (followers.length === 0) report(file, subject, `lists no event in ${rule}.`, `name at least one event object, e.g. ${rule}: [billing.events.InvoiceIssued].`);
    for (const event of [invariant.after, ...followers]) {
      const declared = published.get(event.type);
      if (!declared) {
        report(file, subject, `reads "${event.type}", which no context in the topology publishes.`, `declare the event in its context's events and list that context in contexts/index.ts, or name another event.`);
        continue;
      }
      if (declared.schema !== event.schema) report(file, subject, `reads "${event.type}" with a schema other than the one its context declares.`, `pass the event object that context lists in its events.`);
      if (!SIMPLE_PATH.test(invariant.key)) continue;
      const problem = keyProblem(declared, invariant.key);
      if (problem) report(file, subject, `its key "${invariant.key}" ${problem}`, `give every event the invariant reads a required string field for the business key, or name another event.`);
    }
    if (!SIMPLE_PATH.test(invariant.key)) report(file, subject, `its key "${invariant.key}" is not a simple JSONPath.`, `use "$" and field names separated by dots, e.g. key: "$.orderId".`);
    const types = followers.map((e) => e.type);
    if (types.includes(invariant.after.type)) {
      report(file, subject, `lists ${invariant.after.type} in ${rule} as well as in after.`, `an event cannot follow itself for the same key; name the event that closes the flow.`);
    }
    const twice = types.filter((type, i) => types.indexOf(type) !== i);
    if (twice.length > 0) report(file, subject, `lists ${[...new Set(twice)].join(", ")} twice in ${rule}.`, `list each event once.`);
    if ("exactlyOne" in invariant) {
      const seconds = invariant.withinSeconds ?? 0;
      if (!Number.isInteger(seconds) || seconds < 1 || seconds > INVARIANT_MAX_WITHIN_SECONDS) {
        report(file, subject, `has a bound of ${seconds} s.`, `give within a whole number of seconds from 1 to ${INVARIANT_MAX_WITHIN_SECONDS} (7 days), e.g. within: { minutes: 15 }.`);
      }
    }
  }
  checkContradictions(invariants, report);
  if (invariants.length > 0) {
    const impostor = topology.consumers.find((c) => c.name === INVARIANTS_GROUP && !c.checks);
    if (impostor) report(impostor.definedIn, `consumer "${impostor.name}"`, `takes the name of the platform's invariants group.`, `rename the consumer group: "${INVARIANTS_GROUP}" checks the topology's invariants.`);
  }
  checkFailureMilestones(topology, report);
}

/**
 * Invariants that cannot all hold: with the same opening event and key, one requires exactly one
 * of a set whose every event the `never` invariants, together, forbid.
 */
function checkContradictions(invariants: readonly InvariantDefinition[], report: Report) {
  for (const required of invariants) {
    if (!("exactlyOne" in required) || required.exactlyOne.length === 0) continue;
    const forbidding = invariants.filter((other) => "never" in other && other.after.type === required.after.type && other.key === required.key);
    const forbidden = new Set(forbidding.flatMap((other) => followersOf(other).map((e) => e.type)));
    if (!required.exactlyOne.every((e) => forbidden.has(e.type))) continue;
    const names = forbidding.map((other) => `"${other.name}"`).join(" and ");
    report(
      required.definedIn,
      `invariant "${required.name}"`,
      `contradicts ${forbidding.length === 1 ? "invariant" : "invariants"} ${names}: it requires one of ${required.exactlyOne.map((e) => e.type).join(", ")} after ${required.after.type}, which ${names} ${forbidding.length === 1 ? "forbids" : "forbid together"}.`,
      `drop the forbidden events from one of them, or remove one invariant.`,
    );
  }
}

const FAILURE_PATH = /^\$\.(error|cause|input(\.[A-Za-z_][A-Za-z0-9_]*)+)$/;

function checkFailureMilestones(topology: Topology, report: Report) {
  for (const context of topology.contexts) {
    const failure = context.failure;
    if (!failure) continue;
    const file = context.definedIn;
    const subject = `failure milestone of context "${context.name}"`;
    const event = context.eventList.find((e) => e.name === failure.event.name && e.version === failure.event.version);
    if (!event || event.schema !== failure.event.schema) {
      report(file, subject, `is "${failure.event.name}", which the context does not list in its events.`, `add ${failure.event.name} to the context's events: a failure milestone is declared like any event.`);
      continue;
    }
    if (!context.workflow) report(file, subject, `is declared, but the context has no workflow.`, `add the workflow, or remove failure.`);
    else if (failStatesOf(context.workflow.asl.States).length === 0) {
      // Still published by the backstop, but a Catch path should say why the work stopped.
      report(file, subject, `is declared, but the workflow has no top-level Fail state to publish it from.`, `end the workflow's Catch paths in a Fail state (fail("Reason", "...")): the platform publishes ${failure.event.name} before it.`);
    }
    if (!/^\$\.input(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(failure.key)) {
      report(file, subject, `its key "${failure.key}" is not a path into the execution's input.`, `use "$.input." and field names separated by dots, e.g. key: "$.input.orderId".`);
    }
    const shape = (event.schema as { shape?: Record<string, { isOptional?: () => boolean }> }).shape;
    for (const [field, path] of Object.entries(failure.data)) {
      if (!FAILURE_PATH.test(path as FailurePath)) {
        report(file, subject, `field "${field}" comes from "${path}", which is neither "$.error", "$.cause" nor a path into "$.input".`, `use "$.error", "$.cause" or "$.input.<field>".`);
      }
      if (shape && !(field in shape)) report(file, subject, `sets "${field}", which ${event.name}'s data does not have.`, `set only fields of ${event.name}'s schema.`);
    }
    if (shape) {
      for (const [field, schema] of Object.entries(shape)) {
        if (!(field in failure.data) && !schema.isOptional?.()) report(file, subject, `leaves out "${field}", which ${event.name}'s data requires.`, `say where "${field}" comes from in failure.data.`);
      }
    }
  }
}
