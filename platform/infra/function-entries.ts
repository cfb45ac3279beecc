import * as path from "node:path";
import { type ConsumerDefinition, type ContextDefinition, contextFile, names, type TaskDefinition, taskFile, type Topology } from "../model";
import { FunctionEntryError } from "./errors";

const REPO_ROOT = path.resolve(__dirname, "../..");

/** The entry module of a task's bundle: re-exports the handler of the task's module (`tasks/<task>.ts` in the context's `dir`), and nothing else. */
export function taskEntry(context: ContextDefinition, task: TaskDefinition): string {
  return `export { handler } from ${JSON.stringify(fromRoot(taskFile(context, task.name), context, `task ${task.name}`))};`;
}

/** The entry module of a context's milestone publisher: the runtime's handler bound to the context (`context.ts` in its `dir`). */
export function publisherEntry(context: ContextDefinition): string {
  const module = fromRoot(contextFile(context), context, "milestone publisher");
  return [
    `import context from ${JSON.stringify(module)};`,
    `import { milestoneHandler } from "./platform/runtime/publisher";`,
    `export const handler = milestoneHandler(context);`,
  ].join("\n");
}

/**
 * Where the project declares its invariants, from the repository root: `invariants/index.ts`,
 * exporting `invariants`. The invariants group's bundle binds the platform's handler to them.
 */
export const INVARIANTS_MODULE = "./invariants";

/**
 * The entry module of a consumer group's bundle: re-exports the group's handler (a correlator's:
 * the platform's, bound to its context; the invariants group's: the platform's, bound to the
 * project's invariants).
 */
export function consumerEntry(consumer: ConsumerDefinition): string {
  if (consumer.checks) {
    return [
      `import { invariants } from ${JSON.stringify(INVARIANTS_MODULE)};`,
      `import { invariantsHandler } from "./platform/runtime/invariants";`,
      `export const handler = invariantsHandler(invariants);`,
    ].join("\n");
  }
  if (consumer.correlates) {
    const context = consumer.correlates;
    return [
      `import context from ${JSON.stringify(fromRoot(contextFile(context), context, "correlator"))};`,
      `import { correlatorHandler } from "./platform/runtime/correlator";`,
      `export const handler = correlatorHandler(context);`,
    ].join("\n");
  }
  return `export { handler } from ${JSON.stringify(moduleOf(consumer.definedIn, consumer.handler, `consumer group "${consumer.name}"`))};`;
}

/** What a function is: a context's task, a context's milestone publisher, or a consumer group. */
export type FunctionKind = "task" | "publisher" | "consumer";

export interface FunctionEntry {
  readonly functionName: string;
  readonly kind: FunctionKind;
  readonly entry: string;
}

/** Every Lambda function a stack deploys for the topology, with its bundle entry. */
export function functionEntries(topology: Topology, stack: string): FunctionEntry[] {
  return [
    ...topology.contexts.flatMap((context) => [
      ...context.tasks.map((task) => ({ functionName: names.taskFunction(stack, context.name, task.name), kind: "task" as const, entry: taskEntry(context, task) })),
      { functionName: names.publisherFunction(stack, context.name), kind: "publisher" as const, entry: publisherEntry(context) },
    ]),
    ...topology.consumers.map((consumer) => ({ functionName: names.consumerFunction(stack, consumer.name), kind: "consumer" as const, entry: consumerEntry(consumer) })),
  ];
}

/** A context's file, as an import from the repository root. */
function fromRoot(file: string | undefined, context: ContextDefinition, what: string): string {
  if (!file) throw new FunctionEntryError(`Cannot bundle the ${what} of context "${context.name}": add \`dir: __dirname\` to its defineContext({ ... }) in its context.ts.`);
  return `./${path.relative(REPO_ROOT, file).split(path.sep).join("/")}`;
}

/** A handler path relative to the declaring file, as an import from the repository root. */
function moduleOf(definedIn: string | undefined, handler: string, what: string): string {
  if (!definedIn) {
    throw new FunctionEntryError(
      `Cannot locate the file that declares ${what}, so its bundle entry has nothing to import from; declare it with defineContext or defineConsumer in a file under contexts/ or consumers/.`,
    );
  }
  const absolute = path.resolve(path.dirname(path.resolve(definedIn)), handler);
  return `./${path.relative(REPO_ROOT, absolute).split(path.sep).join("/")}`;
}
