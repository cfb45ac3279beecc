/**
 * The source text of a new bounded context: events.ts with one event, one task, a workflow that
 * runs the task and then publishes the event, context.ts, and a test of the task and the
 * workflow, written the way the hand-written contexts in contexts/ are. Pure: it takes a plain
 * description of the context, so what it writes can be tested as text.
 */
import { kebab, taskImport } from "../model/files";
import { pascal } from "../model/names";
import { camel, RESERVED } from "./identifiers";

export interface ContextScaffoldSpec {
  /** The context's kebab-case name. */
  readonly name: string;
  /** The name contexts/index.ts exports it under, e.g. `loyaltyPoints`. */
  readonly identifier: string;
  readonly description: string;
  /** The event its workflow publishes (PascalCase). */
  readonly event: string;
  /** The task its workflow runs first (PascalCase). */
  readonly task: string;
}

/** The field of the request that names it: the milestone's key, so one request's events stay in order. */
export const KEY_FIELD = "id";

/** The workflow's last state; the others are named after the task and the event. */
export const DONE_STATE = "Done";

/** The value the handler adds to the state, and the event carries. */
const PROCESSED = "processed";

/** The files of a new context, by path relative to the repository root. */
export function contextFiles(spec: ContextScaffoldSpec): { path: string; text: string }[] {
  const dir = `contexts/${spec.name}`;
  return [
    { path: `${dir}/events.ts`, text: eventsSource(spec) },
    { path: `${dir}/tasks/${kebab(spec.task)}.ts`, text: taskSource(spec) },
    { path: `${dir}/workflow.ts`, text: workflowSource(spec) },
    { path: `${dir}/context.ts`, text: contextSource(spec) },
    { path: `test/unit/contexts/${spec.name}.test.ts`, text: contextTestSource(spec) },
  ];
}

export function eventsSource(spec: ContextScaffoldSpec): string {
  return lines(
    `import * as z from "zod";`,
    `import { defineEvent } from "../../platform/model";`,
    ``,
    `/** The milestone other contexts react to. Give it the data they need: its schema is the contract they read. */`,
    `export const ${spec.event} = defineEvent({`,
    `  name: ${JSON.stringify(spec.event)},`,
    `  description: ${JSON.stringify(`${spec.task} has done its work on a ${spec.name} request.`)},`,
    `  schema: z.object({`,
    `    /** The request the workflow ran for: the event's key and subject. */`,
    `    ${KEY_FIELD}: z.string().min(1),`,
    `    status: z.literal(${JSON.stringify(PROCESSED)}),`,
    `  }),`,
    `});`,
  );
}

export function taskSource(spec: ContextScaffoldSpec): string {
  const { request, state } = typeNames(spec);
  return lines(
    `/** What a ${spec.name} execution starts from: the workflow's input. */`,
    `export interface ${request} {`,
    `  /** Names the request: the key of the events it leads to. */`,
    `  readonly ${KEY_FIELD}: string;`,
    `}`,
    ``,
    `/** The state after ${spec.task}: the request, processed. */`,
    `export interface ${state} extends ${request} {`,
    `  readonly status: ${JSON.stringify(PROCESSED)};`,
    `}`,
    ``,
    `/**`,
    ` * Lambda task ${spec.task}: the context's work on one request. It returns the new state; an error it`,
    ` * throws is retried or caught by the workflow by its \`name\`.`,
    ` */`,
    `export async function handler(state: ${request}): Promise<${state}> {`,
    `  return { ...state, status: ${JSON.stringify(PROCESSED)} };`,
    `}`,
  );
}

export function workflowSource(spec: ContextScaffoldSpec): string {
  return lines(
    `import { defineWorkflow, milestone, succeed, task, transient } from "../../platform/model";`,
    `import { ${spec.event} } from "./events";`,
    ``,
    `/** ${spec.task}, then the ${spec.event} milestone. */`,
    `export default defineWorkflow({`,
    `  Comment: ${JSON.stringify(spec.description)},`,
    `  StartAt: ${JSON.stringify(spec.task)},`,
    `  States: {`,
    `    ${spec.task}: task(${JSON.stringify(spec.task)}, { next: ${JSON.stringify(spec.event)}, retry: transient }),`,
    `    ${spec.event}: milestone(${spec.event}, { key: ${JSON.stringify(`$.${KEY_FIELD}`)}, next: ${JSON.stringify(DONE_STATE)} }),`,
    `    ${DONE_STATE}: succeed(),`,
    `  },`,
    `});`,
  );
}

export function contextSource(spec: ContextScaffoldSpec): string {
  return lines(
    `import { defineContext } from "../../platform/model";`,
    `import { ${spec.event} } from "./events";`,
    `import workflow from "./workflow";`,
    ``,
    `export default defineContext({`,
    `  name: ${JSON.stringify(spec.name)},`,
    `  dir: __dirname,`,
    `  description: ${JSON.stringify(spec.description)},`,
    `  events: [${spec.event}],`,
    `  tasks: {`,
    `    ${spec.task}: () => import(${JSON.stringify(taskImport(spec.task))}),`,
    `  },`,
    `  workflow,`,
    `});`,
  );
}

/** `test/unit/contexts/<name>.test.ts`: the task on its own, then the workflow run locally with it. */
export function contextTestSource(spec: ContextScaffoldSpec): string {
  const { context, handler } = testVariables(spec);
  const request = JSON.stringify(`${spec.name}-1`);
  const processed = `{ ${KEY_FIELD}: ${request}, status: ${JSON.stringify(PROCESSED)} }`;
  return lines(
    `import { ${context === spec.identifier ? context : `${spec.identifier} as ${context}`} } from "../../../contexts";`,
    `import { handler as ${handler} } from "../../../contexts/${spec.name}/tasks/${kebab(spec.task)}";`,
    `import { runWorkflow } from "./run-workflow";`,
    ``,
    `describe(${JSON.stringify(`${spec.name} tasks`)}, () => {`,
    `  it(${JSON.stringify(`${spec.task} marks the request processed`)}, async () => {`,
    `    expect(await ${handler}({ ${KEY_FIELD}: ${request} })).toEqual(${processed});`,
    `  });`,
    `});`,
    ``,
    `describe(${JSON.stringify(`the ${spec.name} workflow`)}, () => {`,
    `  it(${JSON.stringify(`runs ${spec.task}, publishes ${spec.event} keyed by the request, and succeeds`)}, async () => {`,
    `    // Act: the deployed definition, run locally with the real task handler; the milestone is checked against the event's schema`,
    `    const run = await runWorkflow(${context}, { ${KEY_FIELD}: ${request} });`,
    ``,
    `    // Assess`,
    `    expect(run).toMatchObject({ status: "SUCCEEDED", tasks: [${JSON.stringify(spec.task)}] });`,
    `    expect(run.published).toEqual([`,
    `      {`,
    `        type: ${JSON.stringify(`${spec.name}.${spec.event}`)},`,
    `        key: ${request},`,
    `        state: ${JSON.stringify(spec.event)},`,
    `        mapIndex: undefined,`,
    `        data: ${processed},`,
    `      },`,
    `    ]);`,
    `  });`,
    `});`,
  );
}

/** `LoyaltyPointsRequest` and `LoyaltyPointsState`, the task's input and output types. */
function typeNames(spec: ContextScaffoldSpec): { request: string; state: string } {
  const base = pascal(spec.name);
  return { request: `${base}Request`, state: `${base}State` };
}

/** The test's names for the context (its export, unless that is `runWorkflow`) and the task's handler (the task in camelCase, unless taken). */
function testVariables(spec: ContextScaffoldSpec): { context: string; handler: string } {
  const context = spec.identifier === "runWorkflow" ? "runWorkflowContext" : spec.identifier;
  const handler = camel(spec.task);
  return { context, handler: [context, "runWorkflow"].includes(handler) || RESERVED.has(handler) ? `${handler}Handler` : handler };
}

function lines(...text: string[]): string {
  return `${text.join("\n")}\n`;
}
