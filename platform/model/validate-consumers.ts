// Checks of each consumer group: its names, subscriptions, settings and handler, and workflow-start loops.
import * as fs from "node:fs";
import * as path from "node:path";
import type { ConsumerDefinition } from "./consumer";
import type { ContextEvent } from "./event";
import { CONSUMER_LIMITS, KEBAB_NAME } from "./limits";
import { names } from "./names";
import { closest } from "./suggest";
import type { Topology } from "./validate";
import { kebabFix, type PhysicalNames, type Report } from "./validate-names";

export function checkConsumers(topology: Topology, physical: PhysicalNames, checkFiles: boolean, report: Report) {
  const declared = new Map<string, ContextEvent>();
  for (const context of topology.contexts) for (const event of context.eventList) declared.set(event.type, event);
  const contextNames = new Set(topology.contexts.map((c) => c.name));

  const seen = new Map<string, ConsumerDefinition>();
  for (const consumer of topology.consumers) {
    const subject = `consumer "${consumer.name}"`;
    const file = consumer.definedIn;
    const first = seen.get(consumer.name);
    if (first) {
      report(
        file,
        subject,
        `is declared twice${first.definedIn ? ` (first in ${first.definedIn})` : ""}; two groups would share one group id and split its events.`,
        `give each consumer group a unique name, or list it once in consumers/index.ts.`,
      );
      continue;
    }
    seen.set(consumer.name, consumer);

    if (!KEBAB_NAME.test(consumer.name)) {
      report(file, subject, `has an invalid name.`, kebabFix("consumer group", consumer.name));
    } else {
      for (const context of new Set(consumer.on.map((event) => event.context))) {
        physical.check(file, subject, "consumerGroupId", names.consumerGroupId(physical.stack, consumer.name, context), "consumer");
      }
      physical.check(file, subject, "lambdaFunction", names.consumerFunction(physical.stack, consumer.name), "consumer");
      physical.check(file, subject, "kafkaTopic", names.deadLetterTopic(consumer.name), "consumer");
    }

    checkSubscriptions(consumer, declared, contextNames, report);
    if (consumer.startWorkflow && contextNames.has(consumer.startWorkflow.name) && !topology.contexts.find((c) => c.name === consumer.startWorkflow!.name)?.workflow) {
      report(file, subject, `starts the workflow of context "${consumer.startWorkflow.name}", which has no workflow.`, `give that context a workflow, or start another one.`);
    }
    if (consumer.reaches && !consumer.startWorkflow) report(file, subject, `says which events its executions reach, but starts no workflow.`, `remove reaches, or add startWorkflow.`);
    for (const event of consumer.reaches ?? []) {
      if (consumer.startWorkflow && event.context !== consumer.startWorkflow.name) {
        report(file, subject, `says its executions reach "${event.type}", an event of another context than the one it starts ("${consumer.startWorkflow.name}").`, `list events of ${consumer.startWorkflow.name} only.`);
      }
    }
    if (consumer.startWorkflow && !contextNames.has(consumer.startWorkflow.name)) {
      const suggestions = closest(consumer.startWorkflow.name, [...contextNames]);
      report(
        file,
        subject,
        `starts the workflow of context "${consumer.startWorkflow.name}", which is not in the topology.`,
        `add the context to contexts/index.ts, or start a declared context's workflow${suggestions.length > 0 ? ` (did you mean "${suggestions[0]}"?)` : ""}.`,
      );
    }
    checkSettings(consumer, report);
    // A correlator's handler is the platform's (see correlatorOf): no file of the user's.
    if (checkFiles && file && !consumer.correlates && !consumer.checks) checkHandlerFile(consumer, file, report);
  }
}

/**
 * Workflow starts that lead back to themselves: context A's events start B, whose events start
 * ... A again. Every execution would start another, forever.
 */
export function checkStartLoops(topology: Topology, report: Report) {
  const starters = topology.consumers.filter((c) => c.startWorkflow);
  const eventsOf = new Map(topology.contexts.map((c) => [c.name, new Set<string>(c.eventList.map((e) => e.type))]));
  // What the executions a group starts can publish: the events it says they reach, else all of the context's.
  const reached = (group: ConsumerDefinition) => (group.reaches ? new Set<string>(group.reaches.map((e) => e.type)) : (eventsOf.get(group.startWorkflow!.name) ?? new Set<string>()));
  const reported = new Set<string>();
  const walk = (context: string, publishable: ReadonlySet<string>, path: { group: ConsumerDefinition; from: string }[]) => {
    for (const group of starters.filter((g) => g.on.some((e) => publishable.has(e.type)))) {
      const loopStart = path.findIndex((step) => step.group === group);
      if (loopStart >= 0) {
        const loop = path.slice(loopStart);
        const culprit = loop[loop.length - 1]!.group;
        // The same loop is found from each of its contexts: report it once.
        const key = loop.map((step) => step.group.name).sort().join(",");
        if (reported.has(key)) continue;
        reported.add(key);
        const chain = loop.map((s) => `${s.from} → (${s.group.name})`).join(" ");
        report(
          culprit.definedIn,
          `consumer "${culprit.name}"`,
          `starts workflows in a loop: ${chain} → ${context}; every execution would start another, forever.`,
          `start a workflow whose events do not lead back here, subscribe to other events, or say which events the started executions reach (reaches: [...]) when their input takes a path that does not.`,
        );
        continue;
      }
      if (path.length < 32) walk(group.startWorkflow!.name, reached(group), [...path, { group, from: context }]);
    }
  };
  for (const [context, events] of eventsOf) walk(context, events, []);
}

function checkSubscriptions(
  consumer: ConsumerDefinition,
  declared: ReadonlyMap<string, ContextEvent>,
  contextNames: ReadonlySet<string>,
  report: Report,
) {
  const subject = `consumer "${consumer.name}"`;
  const file = consumer.definedIn;
  if (consumer.on.length === 0) {
    report(
      file,
      subject,
      `subscribes to no events.`,
      `list at least one event in \`on\`, e.g. on: [orders.events.OrderPlaced].`,
    );
    return;
  }
  const seen = new Set<string>();
  for (const event of consumer.on) {
    if (seen.has(event.type)) {
      report(file, subject, `subscribes to "${event.type}" twice.`, `list each event once in \`on\`.`);
      continue;
    }
    seen.add(event.type);
    if (declared.has(event.type)) continue;

    const suggestions = closest(event.type, [...declared.keys()]);
    const hint = suggestions.length > 0 ? ` Did you mean ${suggestions.map((s) => `"${s}"`).join(" or ")}?` : "";
    const problem = contextNames.has(event.context)
      ? `subscribes to "${event.type}", but context "${event.context}" declares no event "${event.name}".`
      : `subscribes to "${event.type}", but no context named "${event.context}" is in the topology.`;
    const fix = contextNames.has(event.context)
      ? `add "${event.name}" to the events of context "${event.context}", or subscribe to a declared event.${hint}`
      : `add context "${event.context}" to contexts/index.ts, or subscribe to a declared event.${hint}`;
    report(file, subject, problem, fix);
  }
}

function checkSettings(consumer: ConsumerDefinition, report: Report) {
  const subject = `consumer "${consumer.name}"`;
  const file = consumer.definedIn;
  const range = (setting: string, value: number, limit: { readonly min: number; readonly max: number }) => {
    if (Number.isInteger(value) && value >= limit.min && value <= limit.max) return true;
    report(
      file,
      subject,
      `${setting} is ${value}; it must be a whole number from ${limit.min} to ${limit.max}.`,
      `set ${setting} between ${limit.min} and ${limit.max} (the range Lambda accepts for Amazon MSK event source mappings).`,
    );
    return false;
  };

  range("batch.size", consumer.batch.size, CONSUMER_LIMITS.batchSize);
  range("batch.windowSeconds", consumer.batch.windowSeconds, CONSUMER_LIMITS.batchWindowSeconds);
  const minOk = range("scaling.minPollers", consumer.scaling.minPollers, CONSUMER_LIMITS.minPollers);
  const maxOk = range("scaling.maxPollers", consumer.scaling.maxPollers, CONSUMER_LIMITS.maxPollers);
  if (minOk && maxOk && consumer.scaling.minPollers > consumer.scaling.maxPollers) {
    report(
      file,
      subject,
      `scaling.minPollers (${consumer.scaling.minPollers}) is greater than scaling.maxPollers (${consumer.scaling.maxPollers}).`,
      `raise scaling.maxPollers to at least ${consumer.scaling.minPollers}, or lower scaling.minPollers.`,
    );
  }
  range("retries", consumer.retries, CONSUMER_LIMITS.retries);

  const age = consumer.maxRecordAgeSeconds;
  const ageLimit = CONSUMER_LIMITS.maxRecordAgeSeconds;
  if (!(age === ageLimit.unlimited || (Number.isInteger(age) && age >= ageLimit.min && age <= ageLimit.max))) {
    report(
      file,
      subject,
      `maxRecordAgeSeconds is ${age}; it must be ${ageLimit.unlimited} (no limit) or a whole number from ${ageLimit.min} to ${ageLimit.max}.`,
      `set maxRecordAgeSeconds to ${ageLimit.unlimited}, or between ${ageLimit.min} and ${ageLimit.max} seconds (7 days).`,
    );
  }
}

function checkHandlerFile(consumer: ConsumerDefinition, file: string, report: Report) {
  const handler = path.resolve(path.dirname(file), consumer.handler);
  if (fs.existsSync(handler)) return;
  report(
    file,
    `consumer "${consumer.name}"`,
    `its handler "${consumer.handler}" does not exist (looked for ${path.relative(process.cwd(), handler)}).`,
    `create the handler module, or point \`handler\` at it relative to ${file}.`,
  );
}
