// Checks of each `waitFor` state: the awaited event, the correlation keys, the timeout and the
// correlator group that completes it.
import * as z from "zod";
import { correlatorName } from "./correlator";
import type { ContextEvent } from "./event";
import type { Topology } from "./topology";
import type { Report } from "./validate-names";
import { SIMPLE_PATH, WAIT_MAX_TIMEOUT_SECONDS } from "./wait-for";

export function checkWaits(topology: Topology, report: Report) {
  const published = new Map<string, ContextEvent>(topology.contexts.flatMap((c) => c.eventList.map((e) => [e.type, e] as const)));
  for (const context of topology.contexts) {
    const waits = context.workflow?.waits ?? [];
    const file = context.definedIn;
    for (const wait of waits) {
      const subject = `wait state "${context.name}.${wait.state}"`;
      if (!wait.event) {
        report(file, subject, `is written as plain ASL, so the correlator does not know the event it awaits.`, `write it with waitFor(<context>.events.<Event>, { key, timeoutSeconds, next }).`);
        continue;
      }
      const event = published.get(wait.eventType);
      if (!event) {
        report(file, subject, `awaits "${wait.eventType}", which no context in the topology publishes.`, `declare the event in its context's events and list that context in contexts/index.ts, or await another event.`);
      } else if (event.schema !== wait.event.schema) {
        report(file, subject, `awaits "${wait.eventType}" with a schema other than the one its context declares.`, `pass the event object that context lists in its events (import it from its events.ts).`);
      } else if (event.context === context.name) {
        report(
          file,
          subject,
          `awaits "${wait.eventType}", an event of its own context.`,
          `a wait coordinates with another context; within one context, continue the workflow itself (a Choice or the next task) instead of waiting for its own milestone.`,
        );
      }
      for (const [side, path] of [["event", wait.eventKey], ["state", wait.stateKey]] as const) {
        if (!SIMPLE_PATH.test(path)) {
          report(file, subject, `its ${side} key "${path}" is not a simple JSONPath.`, `use "$" and field names separated by dots, e.g. key: "$.orderId" or key: { event: "$.orderId", state: "$.order.id" }.`);
        }
      }
      if (event && SIMPLE_PATH.test(wait.eventKey)) {
        const problem = keyProblem(event, wait.eventKey);
        if (problem) report(file, subject, `its event key "${wait.eventKey}" ${problem}`, `point key.event at a required string or number field of ${event.name}'s data.`);
      }
      if (!Number.isInteger(wait.timeoutSeconds) || wait.timeoutSeconds < 1 || wait.timeoutSeconds > WAIT_MAX_TIMEOUT_SECONDS) {
        report(file, subject, `has timeoutSeconds ${wait.timeoutSeconds}.`, `wait a whole number of seconds from 1 to ${WAIT_MAX_TIMEOUT_SECONDS} (a year, the longest a standard execution runs).`);
      }
    }
    const correlator = topology.consumers.find((c) => c.name === correlatorName(context.name));
    if (waits.length > 0 && correlator && correlator.correlates !== context) {
      report(
        correlator.definedIn,
        `consumer "${correlator.name}"`,
        `takes the name of the correlator of context "${context.name}".`,
        `rename the consumer group: "${correlatorName(context.name)}" is the platform's group that completes that context's waits.`,
      );
    }
  }
}

/** Why `path` does not lead to a required scalar field of the event's data, or undefined when it does. */
export function keyProblem(event: ContextEvent, path: string): string | undefined {
  let node = z.toJSONSchema(event.schema, { io: "output", unrepresentable: "any" }) as JsonSchema;
  for (const field of path.split(".").slice(1)) {
    if (!node.properties?.[field]) return `names "${field}", which ${event.name}'s data does not have.`;
    if (!node.required?.includes(field)) return `names "${field}", which ${event.name}'s data may leave out.`;
    node = node.properties[field]!;
  }
  const type = node.type ?? (node.enum ? "string" : undefined);
  return type === "string" || type === "number" || type === "integer" ? undefined : `leads to a ${type ?? "value of no single type"}, not a string or number.`;
}

interface JsonSchema {
  readonly type?: string;
  readonly enum?: readonly unknown[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
}
