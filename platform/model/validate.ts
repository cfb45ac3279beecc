import * as fs from "node:fs";
import * as path from "node:path";
import type { ConsumerDefinition } from "./consumer";
import type { ContextDefinition } from "./context";
import { type TopologyIssue, TopologyError } from "./errors";
import type { ContextEvent } from "./event";
import { contextFile, kebab, taskFile, taskImport } from "./files";
import { CONSUMER_LIMITS, KEBAB_NAME, NAME_LIMITS, type NameKind, PASCAL_NAME, STACK_NAME } from "./limits";
import { names } from "./names";
import { closest } from "./suggest";
import { transitionProblems } from "./workflow";

export interface Topology {
  readonly contexts: readonly ContextDefinition[];
  readonly consumers: readonly ConsumerDefinition[];
}

export interface ValidateOptions {
  /**
   * The stack the topology is deployed to. Without it, names are checked against the longest
   * stack name allowed, so a topology that validates fits every stack.
   */
  readonly stack?: string;
  /** Whether to check that each task's and consumer's module, and each context's context.ts, exists. @default true */
  readonly checkFiles?: boolean;
}

export interface Topic {
  readonly name: string;
  /** `events` carries a context's milestones; `dead-letter` a group's failed records. */
  readonly purpose: "events" | "dead-letter";
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

/** Checks a topology and returns it enriched, or throws a `TopologyError` listing every issue. */
export function validate(topology: Topology, options: ValidateOptions = {}): ValidTopology {
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
    ],
    subscribersOf: (eventType) => topology.consumers.filter((c) => c.on.some((e) => e.type === eventType)),
  };
}

/** Every issue of a topology, in declaration order; empty when it is valid. */
export function findIssues(topology: Topology, options: ValidateOptions = {}): TopologyIssue[] {
  const issues: TopologyIssue[] = [];
  const report = (file: string | undefined, subject: string, problem: string, fix: string) =>
    issues.push({ file, subject, problem, fix });

  const stack = checkStack(options.stack, report);
  const physical = new PhysicalNames(stack, report, options.checkFiles ?? true);

  checkContexts(topology.contexts, physical, report);
  checkConsumers(topology, physical, options.checkFiles ?? true, report);
  checkStartLoops(topology, report);
  physical.reportCollisions();
  return issues;
}

type Report = (file: string | undefined, subject: string, problem: string, fix: string) => void;

interface StackForNames {
  readonly name: string;
  /** How to describe the stack in a message. */
  readonly described: string;
}

function checkStack(stack: string | undefined, report: Report): StackForNames {
  const longest: StackForNames = {
    name: "s".repeat(STACK_NAME.maxLength),
    described: `the longest stack name allowed (${STACK_NAME.maxLength} characters)`,
  };
  if (stack === undefined) return longest;
  if (stack.length > STACK_NAME.maxLength || !STACK_NAME.pattern.test(stack)) {
    report(
      undefined,
      `stack "${stack}"`,
      `is not a valid stack name: it goes into topic, group and function names.`,
      `use at most ${STACK_NAME.maxLength} lowercase letters, digits and hyphens, starting with a letter (e.g. "dev", "prod-eu").`,
    );
    return longest;
  }
  return { name: stack, described: `stack "${stack}"` };
}

function checkContexts(contexts: readonly ContextDefinition[], physical: PhysicalNames, report: Report) {
  const seen = new Map<string, ContextDefinition>();
  for (const context of contexts) {
    const subject = `context "${context.name}"`;
    const first = seen.get(context.name);
    if (first) {
      report(
        context.definedIn,
        subject,
        `is declared twice${first.definedIn ? ` (first in ${first.definedIn})` : ""}.`,
        `give each context a unique name, or list it once in contexts/index.ts.`,
      );
      continue;
    }
    seen.set(context.name, context);

    if (!KEBAB_NAME.test(context.name)) {
      report(context.definedIn, subject, `has an invalid name.`, kebabFix("context", context.name));
    } else {
      physical.check(context.definedIn, subject, "kafkaTopic", names.contextTopic(context.name), "context");
      physical.check(context.definedIn, subject, "stateMachine", names.stateMachine(physical.stack, context.name), "context");
      physical.check(
        context.definedIn,
        subject,
        "lambdaFunction",
        names.publisherFunction(physical.stack, context.name),
        "context",
      );
    }
    checkEvents(context, report);
    checkTasks(context, physical, report);
    checkWorkflow(context, report);
  }
}

function checkTasks(context: ContextDefinition, physical: PhysicalNames, report: Report) {
  const file = context.definedIn;
  for (const task of context.tasks) {
    const subject = `task "${context.name}.${task.name}"`;
    if (!PASCAL_NAME.test(task.name)) {
      report(file, subject, `has an invalid name.`, `name tasks in PascalCase: letters and digits, starting with an uppercase letter (e.g. "ReserveStock").`);
    } else if (KEBAB_NAME.test(context.name)) {
      physical.check(file, subject, "lambdaFunction", names.taskFunction(physical.stack, context.name, task.name), "task");
    }
    if (physical.checkFiles) checkTaskFile(context, task.name, report);
  }
  const own = contextFile(context);
  if (physical.checkFiles && own && !fs.existsSync(own)) {
    report(
      file,
      `context "${context.name}"`,
      `its publisher would be bundled from ${relative(own)}, which does not exist.`,
      `set \`dir\` to the folder of the context's context.ts (\`dir: __dirname\` there), which default-exports the context.`,
    );
  }
}

/** A task is deployed from one file, found from the context's `dir`: say when there is none, or not there. */
function checkTaskFile(context: ContextDefinition, task: string, report: Report) {
  const subject = `task "${context.name}.${task}"`;
  const module = taskFile(context, task);
  if (module === undefined) {
    report(
      context.definedIn,
      subject,
      `cannot be bundled: its context does not say which folder it is in, so the task's module cannot be found.`,
      `add \`dir: __dirname\` to the defineContext({ ... }) of context "${context.name}" in its context.ts; the task's module is then tasks/${kebab(task)}.ts beside it.`,
    );
  } else if (!fs.existsSync(module)) {
    report(
      context.definedIn,
      subject,
      `its module ${relative(module)} does not exist: a task is deployed from tasks/<its name in kebab-case>.ts in its context's folder.`,
      `move the task's handler module to ${relative(module)} and reference it as ${task}: () => import("${taskImport(task)}"), or rename the task after its module.`,
    );
  }
}

function relative(file: string): string {
  return path.relative(process.cwd(), file).split(path.sep).join("/");
}

function checkWorkflow(context: ContextDefinition, report: Report) {
  const file = context.definedIn;
  const subject = `context "${context.name}"`;
  const workflow = context.workflow;
  if (!workflow) {
    if (context.tasks.length > 0) {
      report(file, subject, `declares tasks but no workflow calls them.`, `add a workflow (defineWorkflow) that calls the tasks, or remove them.`);
    }
    return;
  }
  const declared = new Set(context.tasks.map((t) => t.name));
  for (const name of workflow.tasks) {
    if (declared.has(name)) continue;
    const hint = closest(name, [...declared]);
    report(
      file,
      subject,
      `its workflow calls task "${name}", which the context does not declare.`,
      `add ${name}: () => import("${taskImport(name)}") to the context's tasks${hint.length > 0 ? `, or call "${hint[0]}"` : ""}.`,
    );
  }
  for (const name of declared) {
    if (!workflow.tasks.includes(name)) {
      report(file, subject, `declares task "${name}", which its workflow never calls.`, `call it from a task("${name}", ...) state, or remove it from tasks.`);
    }
  }
  const own = new Set<string>(context.eventList.map((e) => e.type));
  for (const milestone of workflow.milestones) {
    if (!own.has(milestone.eventType)) {
      report(
        file,
        subject,
        `milestone state "${milestone.state}" publishes "${milestone.eventType}", which is not an event of this context.`,
        `a context publishes only its own events: declare the event in this context's events, or publish it from its own context.`,
      );
    }
  }
  const published = new Set<string>(workflow.milestones.map((m) => m.eventType));
  for (const event of context.eventList) {
    if (!published.has(event.type)) {
      report(file, subject, `declares event "${event.type}", but no milestone state publishes it.`, `add a milestone(${event.name}, ...) state to the workflow, or remove the event.`);
    }
  }
  const seen = new Set<string>();
  for (const state of workflow.stateNames) {
    if (seen.has(state)) {
      report(file, subject, `its workflow has two states named "${state}".`, `state names must be unique across the whole state machine, nested Map and Parallel states included: rename one.`);
    }
    seen.add(state);
  }
  for (const map of workflow.mapsWithoutSelector) {
    report(
      file,
      subject,
      `Map state "${map}" reaches a milestone but has no ItemSelector.`,
      `give it an ItemSelector (e.g. { "line.$": "$$.Map.Item.Value" }): Ensemble adds the item index to it, because milestone ids inside a Map need $$.Map.Item.Index, which Step Functions offers only there.`,
    );
  }
  for (const milestone of workflow.milestones) {
    if (milestone.loop.length === 0 || milestone.occurrence) continue;
    const event = milestone.eventType.slice(milestone.eventType.indexOf(".") + 1);
    report(
      file,
      subject,
      `milestone state "${milestone.state}" can be entered more than once in one execution (loop ${[...milestone.loop, milestone.loop[0]].join(" → ")}), so its passes would publish the same event id and every pass after the first would be dropped as a duplicate.`,
      `give it an occurrence that differs on every pass, e.g. milestone(${event}, { ..., occurrence: "$.attempt" }) with a counter the loop increments.`,
    );
  }
  for (const problem of transitionProblems(workflow.asl)) {
    report(file, subject, `its workflow: ${problem}.`, `point every StartAt, Next, Default and Catch at a state of the same scope, and remove unreachable states.`);
  }
}

function checkEvents(context: ContextDefinition, report: Report) {
  const seen = new Set<string>();
  for (const event of context.eventList) {
    const subject = `event "${event.type}"`;
    if (seen.has(event.name)) {
      report(
        context.definedIn,
        subject,
        `is declared twice in context "${context.name}".`,
        `give each event of a context a unique name, or list it once in the context's events.`,
      );
      continue;
    }
    seen.add(event.name);
    if (!PASCAL_NAME.test(event.name)) {
      report(
        context.definedIn,
        subject,
        `has an invalid name "${event.name}".`,
        `name events in PascalCase: letters and digits, starting with an uppercase letter (e.g. "OrderPlaced").`,
      );
    }
    if (!Number.isInteger(event.version) || event.version < 1) {
      report(context.definedIn, subject, `has version ${event.version}.`, `use a positive integer version (1, 2, ...).`);
    }
    if (typeof (event.schema as { safeParse?: unknown } | undefined)?.safeParse !== "function") {
      report(context.definedIn, subject, `has no zod schema.`, `set \`schema\` to a zod schema, e.g. z.object({ ... }).`);
    }
  }
}

function checkConsumers(topology: Topology, physical: PhysicalNames, checkFiles: boolean, report: Report) {
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
    if (checkFiles && file) checkHandlerFile(consumer, file, report);
  }
}

/**
 * Workflow starts that lead back to themselves: context A's events start B, whose events start
 * ... A again. Every execution would start another, forever.
 */
function checkStartLoops(topology: Topology, report: Report) {
  const starters = topology.consumers.filter((c) => c.startWorkflow);
  // context -> [group, started context] for each group started by one of its events
  const next = new Map<string, { group: ConsumerDefinition; to: string }[]>();
  for (const group of starters) {
    for (const from of new Set(group.on.map((e) => e.context))) {
      next.set(from, [...(next.get(from) ?? []), { group, to: group.startWorkflow!.name }]);
    }
  }
  const reported = new Set<string>();
  const walk = (context: string, path: { group: ConsumerDefinition; from: string }[]) => {
    for (const edge of next.get(context) ?? []) {
      const loopStart = path.findIndex((step) => step.from === edge.to);
      const steps = [...path, { group: edge.group, from: context }];
      if (edge.to === steps[0]!.from || loopStart >= 0) {
        const loop = steps.slice(Math.max(loopStart, 0));
        const culprit = loop[loop.length - 1]!.group;
        // The same loop is found from each of its contexts: report it once.
        const key = loop.map((step) => step.group.name).sort().join(",");
        if (reported.has(key)) continue;
        reported.add(key);
        const chain = loop.map((s) => `${s.from} → (${s.group.name})`).join(" ");
        report(
          culprit.definedIn,
          `consumer "${culprit.name}"`,
          `starts workflows in a loop: ${chain} → ${edge.to}; every execution would start another, forever.`,
          `start a workflow whose events do not lead back here, or subscribe to other events.`,
        );
        continue;
      }
      if (path.length < 32) walk(edge.to, steps);
    }
  };
  for (const context of next.keys()) walk(context, []);
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

function kebabFix(kind: string, name: string): string {
  const suggestion = name
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^[^a-z]+|-+$/g, "");
  const example = suggestion && KEBAB_NAME.test(suggestion) ? ` (e.g. "${suggestion}")` : "";
  return `name the ${kind} in kebab-case: lowercase letters, digits and single hyphens, starting with a letter${example}.`;
}

/**
 * Checks physical names against AWS and Kafka length limits and remembers them to find
 * collisions. Characters need no check here: a name is built only from a checked stack, kebab-case
 * context and group names and PascalCase task names, whose characters every limit's pattern allows.
 */
class PhysicalNames {
  // Keyed by kind and lowercased name: names that differ only in case are one keystroke apart for
  // whoever runs the CLI, searches logs or reads an alarm, so they count as a collision.
  private readonly claims = new Map<string, { file: string | undefined; subject: string; kind: NameKind; value: string }[]>();

  constructor(
    private readonly stackForNames: StackForNames,
    private readonly report: Report,
    readonly checkFiles: boolean,
  ) {}

  get stack(): string {
    return this.stackForNames.name;
  }

  check(file: string | undefined, subject: string, kind: NameKind, value: string, owner: "context" | "consumer" | "task") {
    const limit = NAME_LIMITS[kind];
    const claim = `${kind}:${value.toLowerCase()}`;
    this.claims.set(claim, [...(this.claims.get(claim) ?? []), { file, subject, kind, value }]);
    if (value.length > limit.maxLength) {
      const excess = value.length - limit.maxLength;
      this.report(
        file,
        subject,
        `its ${limit.label} "${value}" would be ${value.length} characters with ${this.stackForNames.described}; the limit is ${limit.maxLength}.`,
        `shorten the ${owner === "consumer" ? "consumer group" : owner} name by at least ${excess} character${excess === 1 ? "" : "s"}.`,
      );
    }
  }

  /**
   * Two resources of one kind cannot share a physical name, even one differing only in case
   * (e.g. consumer "orders-publisher", or consumer "orders-validate" against task orders.Validate).
   */
  reportCollisions() {
    for (const owners of this.claims.values()) {
      if (owners.length < 2) continue;
      const [first, ...others] = owners;
      const label = NAME_LIMITS[first!.kind].label;
      for (const other of others) {
        const same = other.value === first!.value;
        this.report(
          other.file,
          other.subject,
          same
            ? `its ${label} "${other.value}" is the same as that of ${first!.subject}.`
            : `its ${label} "${other.value}" differs only in case from "${first!.value}", that of ${first!.subject}.`,
          `rename one of them so the ${label}s differ${same ? "" : " in more than case"}.`,
        );
      }
    }
  }
}
