import * as path from "node:path";
import type { ContextDefinition } from "./context";
import { TaskModuleError } from "./errors";
import { taskFile, taskImport } from "./files";

/** A task's handler, as a Lambda task invocation calls it. */
export type TaskHandler = (state: unknown) => Promise<unknown>;

/**
 * The `handler` of a task's module, loaded through the context's own reference to it
 * (`() => import("./tasks/<task>.js")`). When the context declares its `dir`, the module must be
 * the file infra deploys for the task, `tasks/<task in kebab-case>.ts` there: otherwise the task
 * would run one handler here and another on AWS.
 */
export async function loadTaskHandler(context: ContextDefinition, taskName: string): Promise<TaskHandler> {
  const task = context.tasks.find((t) => t.name === taskName);
  const subject = `Task ${context.name}.${taskName}`;
  if (!task) throw new TaskModuleError(`${subject} is not declared by the context.`);
  let module: { handler?: unknown };
  try {
    module = await task.module();
  } catch (error) {
    throw new TaskModuleError(`${subject}: its module could not be loaded: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (typeof module?.handler !== "function") {
    throw new TaskModuleError(`${subject}: its module exports no handler function; export one (export async function handler(state) { ... }).`);
  }
  const deployed = taskFile(context, taskName);
  if (deployed !== undefined && !deploysThis(deployed, module.handler)) {
    const file = path.relative(process.cwd(), deployed);
    throw new TaskModuleError(
      `${subject}: its reference loads another module than ${file}, the one deployed for it. ` +
        `Fix: reference it as ${taskName}: () => import("${taskImport(taskName)}") with its module at ${file}, or rename the task after its module.`,
    );
  }
  return module.handler as TaskHandler;
}

/** Whether the module at `file` (already loaded, or loaded now) exports `handler`. */
function deploysThis(file: string, handler: unknown): boolean {
  try {
    return (require(file) as { handler?: unknown }).handler === handler;
  } catch {
    return false;
  }
}
