import * as fs from "node:fs";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import * as z from "zod";
import type { ConsumerDefinition, ContextDefinition, ContextEvent, Topology, TopologyIssue } from "../model";
import { KEBAB_NAME } from "../model/limits";
import type { FilePlan, PlanOutcome } from "./file-plan";
import { IndexShapeError, registerConsumer } from "./index-files";
import { asWorkflowInput, dataFields, entityField, keyFor, milestoneOf, sampleFor } from "./sample-data";
import { consumerSource, handlerSource, handlerTestSource, type ScaffoldEvent, type ScaffoldSettings, type ScaffoldSpec } from "./consumer-code";

/** What `npm run add-consumer` was asked for, before anything is checked. */
export interface AddConsumerRequest {
  readonly name: string;
  /** `<context>.<Event>`, as typed. */
  readonly on: readonly string[];
  /** The context whose workflow each event starts. */
  readonly startWorkflow?: string;
  readonly description?: string;
  readonly settings: ScaffoldSettings;
}

export interface ConsumerPlan extends FilePlan {
  readonly spec: ScaffoldSpec;
  /** The name consumers/index.ts imports the group under. */
  readonly identifier: string;
  /** Worth saying, not worth refusing for. */
  readonly notes: readonly string[];
}

export type PlanResult = PlanOutcome<ConsumerPlan>;

/** The repository a group or context is added to, loaded from its own files (not from this CLI's copy). */
export interface Repo {
  readonly model: typeof import("../model");
  readonly topology: Topology;
  /** The named exports of contexts/index.ts. */
  readonly contextExports: Readonly<Record<string, unknown>>;
  /** The tests' example event data (test/unit/consumers/deliveries.ts). */
  readonly examples: Readonly<Record<string, unknown>> | undefined;
}

/** The tests' example event data, which a generated handler test delivers. */
export const DELIVERIES = "test/unit/consumers/deliveries.ts";
const INDEX = "consumers/index.ts";

/**
 * Checks a request against the repository's own model and builds every file it would write,
 * without writing. The would-be topology (the current one plus the new group) goes through
 * `findIssues`, so names, limits, ranges, duplicates and unknown events get the model's own
 * messages; on top of that: `--on` entries that are not `<context>.<Event>`, a workflow that
 * does not exist or would start itself in a loop, files already there, a context
 * contexts/index.ts does not export by name, and a consumers/index.ts of unknown shape.
 */
export function planConsumer(root: string, request: AddConsumerRequest, repo: Repo): PlanResult {
  const { model, topology } = repo;
  const { name } = request;
  const consumerFile = path.join(root, "consumers", name, "consumer.ts");
  // As `defineConsumer` would record it from the new file: relative to the working directory.
  const definedIn = path.relative(process.cwd(), consumerFile);
  const issues: TopologyIssue[] = [];
  const report = (file: string | undefined, subject: string, problem: string, fix: string) => issues.push({ file, subject, problem, fix });
  const subject = `consumer "${name}"`;

  const on = request.on.flatMap((entry) => {
    const event = resolveEvent(entry, topology.contexts, model.closest);
    if ("problem" in event) report(definedIn, subject, event.problem, event.fix);
    return "problem" in event ? [] : [event];
  });

  const startContext = request.startWorkflow === undefined ? undefined : contextOrStandIn(request.startWorkflow, topology.contexts, model);
  if (startContext && topology.contexts.includes(startContext) && !startContext.workflow) {
    const startable = topology.contexts.filter((c) => c.workflow).map((c) => c.name);
    report(
      definedIn,
      subject,
      `starts the workflow of context "${startContext.name}", which has no workflow.`,
      `start a context that has one (${startable.join(", ") || "none has"}), or leave out --start-workflow.`,
    );
  }

  const candidate: ConsumerDefinition = {
    ...model.defineConsumer({
      name,
      on,
      ...(request.description === undefined ? {} : { description: request.description }),
      batch: { size: request.settings.batchSize, windowSeconds: request.settings.windowSeconds },
      scaling: { minPollers: request.settings.minPollers, maxPollers: request.settings.maxPollers },
      ...(request.settings.retries === undefined ? {} : { retries: request.settings.retries }),
      ...(request.settings.maxRecordAgeSeconds === undefined ? {} : { maxRecordAgeSeconds: request.settings.maxRecordAgeSeconds }),
      ...(request.settings.startingPosition === undefined ? {} : { startingPosition: request.settings.startingPosition }),
      ...(startContext ? { startWorkflow: startContext } : {}),
    }),
    definedIn,
  };
  const wouldBe: Topology = { contexts: topology.contexts, consumers: [...topology.consumers, candidate] };

  const loop = startContext?.workflow && topology.contexts.includes(startContext) ? workflowLoop(topology.consumers, candidate) : undefined;
  if (loop) {
    report(
      definedIn,
      subject,
      `would start workflows in a loop: ${loop}; every execution would end up starting another, forever.`,
      `start a workflow that does not lead back to the events this group subscribes to, or subscribe to other events.`,
    );
  }

  const isNew = !topology.consumers.some((c) => c.name === name) && KEBAB_NAME.test(name);
  for (const file of isNew ? [`consumers/${name}`, `test/unit/consumers/${name}.test.ts`] : []) {
    if (fs.existsSync(path.join(root, file))) {
      report(file, subject, `${file} already exists, though no consumer group of that name is registered in ${INDEX}.`, `remove it, register the group by hand, or pick another name.`);
    }
  }

  const exports = new Map<ContextDefinition, string>();
  for (const context of new Set([...on.map((e) => topology.contexts.find((c) => c.name === e.context)), startContext])) {
    if (!context || !topology.contexts.includes(context)) continue;
    const exported = exportNameOf(context, repo.contextExports);
    if (exported) exports.set(context, exported);
    else {
      report(
        "contexts/index.ts",
        `context "${context.name}"`,
        `is not exported by name from contexts/index.ts, so the new consumer.ts cannot import it.`,
        `add it to the \`export { ... }\` list of contexts/index.ts.`,
      );
    }
  }
  if (!fs.existsSync(path.join(root, DELIVERIES))) {
    report(DELIVERIES, subject, `${DELIVERIES} is missing; the generated handler test delivers its events with its delivery().`, `restore it from the repository.`);
  }

  const indexBefore = fs.readFileSync(path.join(root, INDEX), "utf8");
  let registration: ReturnType<typeof registerConsumer> | undefined;
  try {
    // A name that is taken or invalid is the model's to report; there is nothing to register.
    if (isNew) registration = registerConsumer(indexBefore, name);
  } catch (error) {
    if (!(error instanceof IndexShapeError)) throw error;
    report(
      INDEX,
      `the consumers index`,
      `cannot be edited: ${error.message}`,
      `register the group by hand, or keep the shape: one \`import x from "./<group>/consumer";\` per group and \`export const consumers = [x, ...] as const;\`.`,
    );
  }

  const existing = model.findIssues(topology);
  // The model also knows "no workflow" and "loop"; the CLI says both in its own terms (above).
  const covered = (issue: TopologyIssue) =>
    issue.subject === subject && (/which has no workflow\.$/.test(issue.problem) || issue.problem.startsWith("starts workflows in a loop"));
  const all = [...existing, ...model.findIssues(wouldBe, { checkFiles: false }).filter((issue) => !covered(issue)), ...issues].map(model.formatIssue);
  if (all.length > 0 || !registration) {
    const problems = all.length > 0 ? [...new Set(all)] : [`${subject}: cannot be registered in ${INDEX}.`];
    return { ok: false, problems, existing: new Set(existing.map(model.formatIssue)) };
  }

  const notes: string[] = [];
  const events = on.map((event): ScaffoldEvent => {
    const context = topology.contexts.find((c) => c.name === event.context)!;
    const sample = sampleFor(event, repo.examples);
    const data = "expression" in sample ? sample.value : sample.literal;
    if ("problem" in sample && sample.problem) {
      notes.push(
        `The test's data for ${event.type} does not pass its schema (${sample.problem}); edit it in test/unit/consumers/${name}.test.ts, or add an example to ${DELIVERIES}.`,
      );
    }
    const milestone = milestoneOf(context, event.type);
    return {
      type: event.type,
      context: event.context,
      contextExport: exports.get(context)!,
      name: event.name,
      version: event.version,
      fields: dataFields(event),
      entityField: entityField(event),
      sample: "expression" in sample ? { expression: sample.expression, value: sample.value } : { literal: sample.literal },
      inputIsSample: "literal" in sample || isDeepStrictEqual(asWorkflowInput(event, data), data),
      key: keyFor(event.context, milestone?.keyPath, data),
      state: milestone?.state ?? event.name,
      mapIndex: milestone?.inMap ? 0 : undefined,
    };
  });
  const spec: ScaffoldSpec = {
    name,
    description: request.description ?? defaultDescription(on, startContext?.name),
    events,
    ...(startContext ? { startWorkflow: { context: startContext.name, contextExport: exports.get(startContext)! } } : {}),
    settings: request.settings,
  };
  return {
    ok: true,
    plan: {
      root,
      spec,
      created: [
        { path: `consumers/${name}/consumer.ts`, text: consumerSource(spec) },
        { path: `consumers/${name}/handler.ts`, text: handlerSource(spec) },
        { path: `test/unit/consumers/${name}.test.ts`, text: handlerTestSource(spec) },
      ],
      changed: [{ path: INDEX, text: registration.text, before: indexBefore }],
      identifier: registration.identifier,
      notes,
    },
  };
}

type Resolved = ContextEvent | { readonly problem: string; readonly fix: string };

/**
 * The declared event `entry` names. An undeclared `<context>.<Event>` comes back as a stand-in,
 * so the model reports it in its own words with its "did you mean"; an entry that is not of
 * that form comes back as a problem, with the closest declared types.
 */
export function resolveEvent(entry: string, contexts: readonly ContextDefinition[], closest: (input: string, candidates: readonly string[]) => string[]): Resolved {
  const declared = contexts.flatMap((c) => c.eventList);
  const found = declared.find((e) => e.type === entry);
  if (found) return found;
  // `<context>.<Event>`, or `<context>.<Event>.v<N>` for a later version of it.
  const match = /^([^.\s]+)\.([^.\s]+?)(?:\.v([1-9]\d*))?$/.exec(entry);
  if (match) {
    const [, context, name, version] = match as unknown as [string, string, string, string | undefined];
    return { kind: "event", name, context, type: entry as `${string}.${string}`, schema: z.never(), version: version ? Number(version) : 1, description: undefined };
  }
  const byName = declared.filter((e) => e.name.toLowerCase() === entry.toLowerCase()).map((e) => e.type);
  const suggestions = [...new Set([...byName, ...closest(entry, declared.map((e) => e.type))])].slice(0, 3);
  return {
    problem: `--on "${entry}" is not an event type: write it as <context>.<Event> (or <context>.<Event>.v<N> for a later version).`,
    fix: `name the context and the event, e.g. "${declared[0]?.type ?? "orders.OrderPlaced"}".${suggestions.length > 0 ? ` Did you mean ${suggestions.map((s) => `"${s}"`).join(" or ")}?` : ""}`,
  };
}

/** The context named `name`, or a stand-in with that name for the model to report as missing. */
function contextOrStandIn(name: string, contexts: readonly ContextDefinition[], model: Repo["model"]): ContextDefinition {
  return contexts.find((c) => c.name === name) ?? model.defineContext({ name, events: [] });
}

/**
 * The loop the candidate would close, as `orders → shipping (start-shipping) → orders (candidate)`:
 * its workflow's context leads, through workflow-starting groups, back to a context whose events
 * the candidate starts that workflow on. Undefined when there is none.
 */
export function workflowLoop(consumers: readonly ConsumerDefinition[], candidate: ConsumerDefinition): string | undefined {
  const target = candidate.startWorkflow?.name;
  if (!target) return undefined;
  const edges = [...consumers, candidate].flatMap((c) =>
    c.startWorkflow ? [...new Set(c.on.map((e) => e.context))].map((from) => ({ from, to: c.startWorkflow!.name, via: c.name })) : [],
  );
  const sources = new Set(candidate.on.map((e) => e.context));
  // Breadth first from the started context, so the loop reported is a shortest one.
  const reachedBy = new Map<string, { from: string; via: string } | null>([[target, null]]);
  const queue = [target];
  while (queue.length > 0) {
    const context = queue.shift()!;
    if (sources.has(context)) {
      const steps: string[] = [`${target} (${candidate.name})`];
      for (let at = context; reachedBy.get(at); at = reachedBy.get(at)!.from) steps.unshift(`${at} (${reachedBy.get(at)!.via})`);
      return [target, ...steps].join(" → ");
    }
    for (const edge of edges.filter((e) => e.from === context && !reachedBy.has(e.to))) {
      reachedBy.set(edge.to, { from: context, via: edge.via });
      queue.push(edge.to);
    }
  }
  return undefined;
}

/** The name contexts/index.ts exports a context under, preferring the camelCase of its name. */
function exportNameOf(context: ContextDefinition, exports: Readonly<Record<string, unknown>>): string | undefined {
  const names = Object.entries(exports)
    .filter(([, value]) => value === context)
    .map(([key]) => key);
  const preferred = context.name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return names.includes(preferred) ? preferred : names.find((n) => n !== "default");
}

function defaultDescription(events: readonly ContextEvent[], startWorkflow: string | undefined): string {
  const types = events.map((e) => e.type);
  const listed = types.length === 1 ? types[0]! : `${types.slice(0, -1).join(", ")} and ${types[types.length - 1]!}`;
  return startWorkflow ? `Starts the ${startWorkflow} workflow for every ${listed} event.` : `Reacts to ${listed}.`;
}
