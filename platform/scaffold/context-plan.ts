import * as fs from "node:fs";
import * as path from "node:path";
import * as z from "zod";
import type { ContextDefinition, TaskModule, TopologyIssue } from "../model";
import { KEBAB_NAME } from "../model/limits";
import type { Repo } from "./consumer-plan";
import { contextFiles, type ContextScaffoldSpec, DONE_STATE, KEY_FIELD } from "./context-code";
import { pascal } from "../model/names";
import type { FilePlan, PlanOutcome } from "./file-plan";
import { IndexShapeError, registerContext } from "./index-files";

/** What `npm run add-context` was asked for, before anything is checked. */
export interface AddContextRequest {
  readonly name: string;
  /** The event its workflow publishes. @default `<Name>Processed` */
  readonly event?: string;
  /** The task its workflow runs. @default `Process<Name>` */
  readonly task?: string;
  readonly description?: string;
}

export interface ContextPlan extends FilePlan {
  readonly spec: ContextScaffoldSpec;
}

const INDEX = "contexts/index.ts";
const RUN_WORKFLOW = "test/unit/contexts/run-workflow.ts";

/**
 * Checks a request against the repository's own model and builds every file it would write,
 * without writing. The would-be topology (the current one plus the new context, built with the
 * repository's model as the generated files build it) goes through `findIssues`, so names,
 * lengths and duplicates get the model's own messages; on top of that: a task, event and final
 * state that would share a state name, files already there, and a contexts/index.ts of unknown shape.
 */
export function planContext(root: string, request: AddContextRequest, repo: Repo): PlanOutcome<ContextPlan> {
  const { model, topology } = repo;
  const { name } = request;
  const base = pascal(name) || "Context";
  const event = request.event ?? `${base}Processed`;
  const task = request.task ?? `Process${base}`;
  const description = request.description ?? `Runs ${task} on each ${name} request and publishes ${event}.`;
  const dir = path.join(root, "contexts", name);
  // As `defineContext` will record it from the new file: relative to the working directory.
  const definedIn = path.relative(process.cwd(), path.join(dir, "context.ts"));
  const issues: TopologyIssue[] = [];
  const report = (file: string | undefined, subject: string, problem: string, fix: string) => issues.push({ file, subject, problem, fix });
  const subject = `context "${name}"`;

  const states = [task, event, DONE_STATE];
  if (new Set(states).size < states.length) {
    report(
      definedIn,
      subject,
      `its workflow's states would be named ${states.map((s) => `"${s}"`).join(", ")}: after the task, the event and the end, so they must differ.`,
      `choose a --task and an --event that differ from each other and from "${DONE_STATE}".`,
    );
  }

  const Event = model.defineEvent({ name: event, description, schema: z.object({ [KEY_FIELD]: z.string().min(1) }) });
  // Never loaded: the model checks names and the workflow, not the module (that is written below).
  const standIn: TaskModule = async () => ({ handler: async (state: unknown) => state });
  const candidate: ContextDefinition = {
    ...model.defineContext({
      name,
      dir,
      description,
      events: [Event],
      tasks: { [task]: standIn },
      workflow: model.defineWorkflow({
        Comment: description,
        StartAt: task,
        States: {
          [task]: model.task(task, { next: event, retry: model.transient }),
          [event]: model.milestone(Event, { key: `$.${KEY_FIELD}`, next: DONE_STATE }),
          [DONE_STATE]: model.succeed(),
        },
      }),
    }),
    definedIn,
  };

  const isNew = !topology.contexts.some((c) => c.name === name) && KEBAB_NAME.test(name);
  for (const file of isNew ? [`contexts/${name}`, `test/unit/contexts/${name}.test.ts`] : []) {
    if (fs.existsSync(path.join(root, file))) {
      report(file, subject, `${file} already exists, though no context of that name is registered in ${INDEX}.`, `remove it, register the context by hand, or pick another name.`);
    }
  }
  if (!fs.existsSync(path.join(root, RUN_WORKFLOW))) {
    report(RUN_WORKFLOW, subject, `${RUN_WORKFLOW} is missing; the generated test runs the workflow with its runWorkflow().`, `restore it from the repository.`);
  }

  const indexBefore = fs.readFileSync(path.join(root, INDEX), "utf8");
  let registration: ReturnType<typeof registerContext> | undefined;
  try {
    // A name that is taken or invalid is the model's to report; there is nothing to register.
    if (isNew) registration = registerContext(indexBefore, name);
  } catch (error) {
    if (!(error instanceof IndexShapeError)) throw error;
    report(
      INDEX,
      `the contexts index`,
      `cannot be edited: ${error.message}`,
      `register the context by hand, or keep the shape: one \`import x from "./<context>/context";\` per context, \`export const contexts = [x, ...] as const;\` and \`export { x, ... };\`.`,
    );
  }

  const existing = model.findIssues(topology);
  const wouldBe = { contexts: [...topology.contexts, candidate], consumers: topology.consumers };
  const all = [...existing, ...model.findIssues(wouldBe, { checkFiles: false }), ...issues].map(model.formatIssue);
  if (all.length > 0 || !registration) {
    const problems = all.length > 0 ? [...new Set(all)] : [`${subject}: cannot be registered in ${INDEX}.`];
    return { ok: false, problems, existing: new Set(existing.map(model.formatIssue)) };
  }

  const spec: ContextScaffoldSpec = { name, identifier: registration.identifier, description, event, task };
  return {
    ok: true,
    plan: { root, spec, created: contextFiles(spec), changed: [{ path: INDEX, text: registration.text, before: indexBefore }] },
  };
}
