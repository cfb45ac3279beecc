import * as path from "node:path";
import type { ContextDefinition } from "./context";

/**
 * Where a context's code is, from the `dir` it declares: the files infra bundles and `validate()`
 * looks for. The context's task references, `() => import("./tasks/<task>.js")`, name the same
 * files; the type checker checks those, and the local runtime checks that each loads the task's
 * file before it runs it.
 */

/** `ValidateOrder` → `validate-order`, `SendSMSReceipt` → `send-sms-receipt`: a task's name as its file's. */
export function kebab(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/([A-Z])([A-Z][a-z])/g, "$1-$2")
    .toLowerCase();
}

/** The import a context's tasks hold for a task, relative to its context.ts: `./tasks/validate-order.js`. */
export function taskImport(task: string): string {
  return `./tasks/${kebab(task)}.js`;
}

/** The module a task is deployed from, `<dir>/tasks/<task in kebab-case>.ts`; undefined when the context declares no `dir`. */
export function taskFile(context: Pick<ContextDefinition, "dir">, task: string): string | undefined {
  return context.dir === undefined ? undefined : path.join(context.dir, "tasks", `${kebab(task)}.ts`);
}

/** The module a context's milestone publisher imports the context from, `<dir>/context.ts`; undefined without a `dir`. */
export function contextFile(context: Pick<ContextDefinition, "dir">): string | undefined {
  return context.dir === undefined ? undefined : path.join(context.dir, "context.ts");
}
