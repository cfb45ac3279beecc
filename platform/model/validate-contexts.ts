// Checks of each context: its names, tasks and their modules, workflow and events.
import * as fs from "node:fs";
import * as path from "node:path";
import type { ContextDefinition } from "./context";
import { contextFile, kebab, taskFile, taskImport } from "./files";
import { KEBAB_NAME, PASCAL_NAME } from "./limits";
import { names } from "./names";
import { closest } from "./suggest";
import { transitionProblems } from "./workflow";
import { kebabFix, type PhysicalNames, type Report } from "./validate-names";

export function checkContexts(contexts: readonly ContextDefinition[], physical: PhysicalNames, report: Report) {
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
  // Two versions of one event are two events (side by side); one name at one version twice is not.
  const seen = new Set<string>();
  for (const event of context.eventList) {
    const subject = `event "${event.type}"`;
    if (seen.has(event.type)) {
      report(
        context.definedIn,
        subject,
        `is declared twice in context "${context.name}".`,
        `give each event of a context a unique name (or, for a new schema of the same event, a new version), or list it once in the context's events.`,
      );
      continue;
    }
    seen.add(event.type);
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
