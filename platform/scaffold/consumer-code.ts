/**
 * The source text of a new consumer group: `consumer.ts`, `handler.ts` and its handler test,
 * written the way the hand-written groups in consumers/ are (2 spaces, double quotes,
 * semicolons, lines up to about {@link LINE_WIDTH} characters). Pure: it takes a plain
 * description of the group, so what it writes can be tested as text.
 */

import { versionedEventName } from "../model/names";
import { camel, eventReference, isPlainIdentifier, RESERVED } from "./identifiers";

/** About as long as the repository's lines run before they are broken. */
export const LINE_WIDTH = 160;

/** A subscribed event, as the generated code refers to it and the generated test delivers it. */
export interface ScaffoldEvent {
  /** `<context>.<Event>`, the CloudEvent type. */
  readonly type: string;
  readonly context: string;
  /** The name contexts/index.ts exports the context under, e.g. `orders`. */
  readonly contextExport: string;
  /** The event's name in its context, e.g. `OrderPlaced`. */
  readonly name: string;
  /** Its schema version: from 2 on, its own type (`orders.OrderPlaced.v2`) and key in the context's `events`. */
  readonly version: number;
  /** Top-level fields of the event's data, in schema order; empty when the data is not an object. */
  readonly fields: readonly string[];
  /** A required string field naming the entity the event is about (`orderId`), if there is one. */
  readonly entityField: string | undefined;
  /** Valid example data for the test: an expression (`examples.placed`) or a value to write out. */
  readonly sample: { readonly expression: string; readonly value: unknown } | { readonly literal: unknown };
  /** Whether the workflow's input built from the sample equals the sample (so the test can expect the sample itself). */
  readonly inputIsSample: boolean;
  /** The milestone that publishes it: its Kafka key for the sample, its state, its Map index if inside a Map. */
  readonly key: string;
  readonly state: string;
  readonly mapIndex: number | undefined;
}

export interface ScaffoldSettings {
  readonly batchSize?: number;
  readonly windowSeconds?: number;
  readonly minPollers?: number;
  readonly maxPollers?: number;
  readonly retries?: number;
  readonly maxRecordAgeSeconds?: number;
  readonly startingPosition?: "TRIM_HORIZON" | "LATEST";
}

export interface ScaffoldSpec {
  /** The group's kebab-case name. */
  readonly name: string;
  readonly description: string;
  /** In the order of `--on`. */
  readonly events: readonly ScaffoldEvent[];
  /** The context whose workflow each event starts, by name and by its export from contexts/index.ts. */
  readonly startWorkflow?: { readonly context: string; readonly contextExport: string };
  /** Only what was asked for: defaults are left to the model, as in the hand-written groups. */
  readonly settings: ScaffoldSettings;
}

/** `consumers/<name>/consumer.ts`. */
export function consumerSource(spec: ScaffoldSpec): string {
  const contexts = unique([...spec.events.map((e) => e.contextExport), ...(spec.startWorkflow ? [spec.startWorkflow.contextExport] : [])]);
  const modelImports = ["defineConsumer", ...(spec.settings.startingPosition ? ["StartingPosition"] : [])];
  const s = spec.settings;
  const batch = objectLiteral([
    ["size", s.batchSize],
    ["windowSeconds", s.windowSeconds],
  ]);
  const scaling = objectLiteral([
    ["minPollers", s.minPollers],
    ["maxPollers", s.maxPollers],
  ]);
  const properties: [string, string | undefined][] = [
    ["name", JSON.stringify(spec.name)],
    ["description", JSON.stringify(spec.description)],
    ["on", list(spec.events.map(eventReference), "  on: ".length, ",".length)],
    ["startWorkflow", spec.startWorkflow?.contextExport],
    ["batch", batch],
    ["scaling", scaling],
    ["retries", s.retries === undefined ? undefined : number(s.retries)],
    ["maxRecordAgeSeconds", s.maxRecordAgeSeconds === undefined ? undefined : number(s.maxRecordAgeSeconds)],
    ["startingPosition", s.startingPosition && `StartingPosition.${s.startingPosition === "LATEST" ? "Latest" : "TrimHorizon"}`],
  ];
  return lines(
    `import { ${sortNames(contexts).join(", ")} } from "../../contexts";`,
    `import { ${modelImports.join(", ")} } from "../../platform/model";`,
    ``,
    `export default defineConsumer({`,
    ...properties.filter(([, value]) => value !== undefined).map(([key, value]) => `  ${key}: ${value},`),
    `});`,
  );
}

/** `consumers/<name>/handler.ts`: a typed handler with an in-memory effect, or a workflow starter. */
export function handlerSource(spec: ScaffoldSpec): string {
  return spec.startWorkflow ? workflowHandlerSource(spec, spec.startWorkflow.context) : plainHandlerSource(spec);
}

function plainHandlerSource(spec: ScaffoldSpec): string {
  const cases = spec.events.flatMap((event) => {
    const entity = event.entityField ? `event.data.${event.entityField}` : "event.subject ?? event.id";
    const logged = event.entityField ? `{ ${event.entityField}: event.data.${event.entityField} }` : "{ subject: event.subject }";
    return [
      `    case ${JSON.stringify(event.type)}:`,
      `      if (handled.record(event, ${entity})) logger.info(${JSON.stringify(words(event.name))}, ${logged});`,
      `      break;`,
    ];
  });
  return lines(
    `import { consume } from "../../platform/runtime";`,
    `import consumer from "./consumer";`,
    ``,
    `/** One event this group acted on. */`,
    `export interface HandledEvent {`,
    `  readonly eventId: string;`,
    `  readonly type: string;`,
    `  /** The entity the event is about. */`,
    `  readonly entity: string;`,
    `}`,
    ``,
    `/** What this group has done: each event once, in the order handled. Kept in memory, like the other example groups' effects. */`,
    `export class HandledEvents {`,
    `  private readonly entries = new Map<string, HandledEvent>();`,
    ``,
    `  /** Records an event once; a redelivered event changes nothing. Returns whether it was new. */`,
    `  record(event: { readonly id: string; readonly type: string }, entity: string): boolean {`,
    `    if (this.entries.has(event.id)) return false;`,
    `    this.entries.set(event.id, { eventId: event.id, type: event.type, entity });`,
    `    return true;`,
    `  }`,
    ``,
    `  /** Every event handled, oldest first. */`,
    `  get all(): HandledEvent[] {`,
    `    return [...this.entries.values()];`,
    `  }`,
    `}`,
    ``,
    `/** This container's record of what it handled. */`,
    `export const handled = new HandledEvents();`,
    ``,
    `/** The Lambda handler: each event has its effect once, however often it is delivered. */`,
    `export const handler = consume(consumer, async (event, { logger }) => {`,
    `  switch (event.type) {`,
    ...cases,
    `  }`,
    `});`,
  );
}

function workflowHandlerSource(spec: ScaffoldSpec, context: string): string {
  const inputFor = inputFunctionName(context);
  const body =
    spec.events.length === 1
      ? inputBody(spec.events[0]!, "  ")
      : [
          `  switch (event.type) {`,
          ...spec.events.flatMap((event) => {
            const body = inputBody(event, "      ");
            const label = `    case ${JSON.stringify(event.type)}:`;
            return body.length === 1 ? [label, ...body] : [`${label} {`, ...body, `    }`];
          }),
          `  }`,
        ];
  return lines(
    `import type { ConsumedEvent } from "../../platform/model";`,
    `import { startsWorkflow } from "../../platform/runtime";`,
    `import consumer from "./consumer";`,
    ``,
    `/** The ${context} workflow's input for an event: the event's data, field by field. Keep what the workflow needs. */`,
    `export function ${inputFor}(event: ConsumedEvent<typeof consumer>) {`,
    ...body,
    `}`,
    ``,
    `/** One ${context} execution per event, named after the event id: a redelivery starts nothing. */`,
    `export const handler = startsWorkflow(consumer, { input: ${inputFor} });`,
  );
}

/** Passes the event's data on field by field, so removing what the workflow does not need is one edit. */
function inputBody(event: ScaffoldEvent, indent: string): string[] {
  if (event.fields.length === 0) return [`${indent}return event.data;`];
  if (!event.fields.every(isPlainIdentifier)) return [`${indent}return { ...event.data };`];
  const fields = list(event.fields, indent.length + "const ".length, " = event.data;".length, "{ ", " }", indent);
  return [`${indent}const ${fields} = event.data;`, `${indent}return ${list(event.fields, indent.length + "return ".length, ";".length, "{ ", " }", indent)};`];
}

/** `test/unit/consumers/<name>.test.ts`: one event of each subscribed type through the real handler, twice. */
export function handlerTestSource(spec: ScaffoldSpec): string {
  // Delivered grouped by context: the MSK event groups records per topic-partition, so this is also the order handled.
  const events = groupedByContext(spec.events);
  const variables = milestoneVariables(events);
  const usesExamples = events.some((e) => "expression" in e.sample);
  const contexts = sortNames(unique(events.map((e) => e.contextExport)));
  const milestones = events.map((event, i) => milestoneLiteral(event, variables[i]!));
  const batch = `[${variables.join(", ")}]`;
  const act = [`    const first = await handler(delivery(${batch}));`, `    const again = await handler(delivery(${batch}));`];
  const deliveryImports = ["delivery", ...(usesExamples ? ["examples"] : []), "idOf"];

  if (spec.startWorkflow) {
    const context = spec.startWorkflow.context;
    const inputFor = inputFunctionName(context);
    const expected = events.map((event, i) => {
      const v = variables[i]!;
      const input = event.inputIsSample ? `${v}.data` : `${inputFor}({ type: ${JSON.stringify(event.type)}, data: ${sampleExpression(event, 0)} })`;
      return objectCode(
        [
          ["stateMachine", JSON.stringify(context)],
          ["name", `executionName(${JSON.stringify(spec.name)}, idOf(${v}))`],
          ["input", input],
          ["eventId", `idOf(${v})`],
          ["eventType", JSON.stringify(event.type)],
          ["group", JSON.stringify(spec.name)],
        ],
        "      ",
      );
    });
    const handlerImports = ["handler", ...(events.some((e) => !e.inputIsSample) ? [inputFor] : [])];
    return lines(
      `import { ${contexts.join(", ")} } from "../../../contexts";`,
      `import { ${sortNames(handlerImports).join(", ")} } from "../../../consumers/${spec.name}/handler";`,
      `import { executionName, RecordingWorkflowStarter, useWorkflowStarter } from "../../../platform/runtime";`,
      `import { ${deliveryImports.join(", ")} } from "./deliveries";`,
      ``,
      `// Starts are recorded instead of sent to Step Functions: the handler asks for its starter on each start.`,
      `const starter = new RecordingWorkflowStarter();`,
      `let restore: () => void;`,
      ``,
      `beforeAll(() => {`,
      `  restore = useWorkflowStarter(starter);`,
      `});`,
      `afterAll(() => restore());`,
      ``,
      `describe(${JSON.stringify(spec.name)}, () => {`,
      `  it(${JSON.stringify(`starts one ${context} execution per event, named after the event id, and none for a redelivery`)}, async () => {`,
      `    // Prepare: one event of each subscribed type, as its milestone publishes it`,
      ...milestones,
      ``,
      `    // Act: the batch is delivered twice, as Kafka may`,
      ...act,
      ``,
      `    // Assess`,
      `    expect(first.batchItemFailures).toEqual([]);`,
      `    expect(again.batchItemFailures).toEqual([]);`,
      `    expect(starter.started).toEqual([`,
      ...expected.map((e) => `      ${e},`),
      `    ]);`,
      `  });`,
      `});`,
    );
  }

  const expected = events.map((event, i) => {
    const entity = event.entityField ? entityOf(event) : undefined;
    const entityCode = entity === undefined ? `${variables[i]}.key` : JSON.stringify(entity);
    return objectCode(
      [
        ["eventId", `idOf(${variables[i]})`],
        ["type", JSON.stringify(event.type)],
        ["entity", entityCode],
      ],
      "      ",
    );
  });
  return lines(
    `import { ${contexts.join(", ")} } from "../../../contexts";`,
    `import { handled, handler } from "../../../consumers/${spec.name}/handler";`,
    `import { ${deliveryImports.join(", ")} } from "./deliveries";`,
    ``,
    `describe(${JSON.stringify(spec.name)}, () => {`,
    `  it("handles each event it subscribes to once, however often it is delivered", async () => {`,
    `    // Prepare: one event of each subscribed type, as its milestone publishes it`,
    ...milestones,
    ``,
    `    // Act: the batch is delivered twice, as Kafka may`,
    ...act,
    ``,
    `    // Assess`,
    `    expect(first.batchItemFailures).toEqual([]);`,
    `    expect(again.batchItemFailures).toEqual([]);`,
    `    expect(handled.all).toEqual([`,
    ...expected.map((e) => `      ${e},`),
    `    ]);`,
    `  });`,
    `});`,
  );
}

/** The entity the handler records for the sample (events without a subject set one; the test delivers each with its key). */
function entityOf(event: ScaffoldEvent): string | undefined {
  const value = "expression" in event.sample ? event.sample.value : event.sample.literal;
  const field = event.entityField && (value as Record<string, unknown> | null)?.[event.entityField];
  return typeof field === "string" ? field : undefined;
}

function milestoneLiteral(event: ScaffoldEvent, variable: string): string {
  const head = `    const ${variable} = `;
  const parts: [string, string][] = [
    ["event", eventReference(event)],
    ["key", JSON.stringify(event.key)],
    ["data", sampleExpression(event, head.length)],
    ["state", JSON.stringify(event.state)],
    ...(event.mapIndex === undefined ? [] : [["mapIndex", String(event.mapIndex)] as [string, string]]),
  ];
  const inline = `{ ${parts.map(([k, v]) => `${k}: ${v}`).join(", ")} }`;
  if (!inline.includes("\n") && head.length + inline.length + 1 <= LINE_WIDTH) return `${head}${inline};`;
  const nested = parts.map(([k, v]) => `      ${k}: ${k === "data" ? sampleExpression(event, "      data: ".length, "      ") : v},`);
  return [`${head}{`, ...nested, `    };`].join("\n");
}

function sampleExpression(event: ScaffoldEvent, column: number, indent = "    "): string {
  return "expression" in event.sample ? event.sample.expression : valueLiteral(event.sample.literal, column, indent);
}

/**
 * A value as TypeScript source: inline when it fits from `column` on, otherwise one property or
 * item per line, indented from `indent`, with trailing commas.
 */
export function valueLiteral(value: unknown, column = 0, indent = ""): string {
  if (value === undefined) return "undefined";
  if (value === null || typeof value !== "object") return typeof value === "number" ? number(value) : JSON.stringify(value);
  const inner = indent + "  ";
  const entries = Array.isArray(value)
    ? value.map((item) => ({ label: "", item }))
    : Object.entries(value).map(([key, item]) => ({ label: `${/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? key : JSON.stringify(key)}: `, item }));
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{ ", " }"];
  if (entries.length === 0) return Array.isArray(value) ? "[]" : "{}";
  const inline = `${open}${entries.map((e) => `${e.label}${valueLiteral(e.item)}`).join(", ")}${close}`;
  if (!inline.includes("\n") && column + inline.length + 2 <= LINE_WIDTH) return inline;
  const items = entries.map((e) => `${inner}${e.label}${valueLiteral(e.item, inner.length + e.label.length, inner)},`);
  return `${open.trim()}\n${items.join("\n")}\n${indent}${close.trim()}`;
}

/** `{ a: x, b: y }` as an array item at `indent`: on one line when it fits, else one property per line. */
function objectCode(parts: readonly [string, string][], indent: string): string {
  const inline = `{ ${parts.map(([k, v]) => `${k}: ${v}`).join(", ")} }`;
  if (indent.length + inline.length + 1 <= LINE_WIDTH) return inline;
  return `{\n${parts.map(([k, v]) => `${indent}  ${k}: ${v},`).join("\n")}\n${indent}}`;
}

/** camelCase variable per milestone, from the event's name; qualified by context or suffixed when names would clash. */
function milestoneVariables(events: readonly ScaffoldEvent[]): string[] {
  const taken = new Set(["handler", "handled", "delivery", "examples", "idOf", "first", "again", "starter", "restore", "executionName", ...events.map((e) => e.contextExport)]);
  const names = events.map((event) => camel(versionedEventName(event.name, event.version).replace(".", "-")));
  return events.map((event, i) => {
    const base = names.filter((n) => n === names[i]).length > 1 ? camel(`${event.context}-${names[i]!}`) : names[i]!;
    return taken.has(base) || RESERVED.has(base) || events.some((e) => inputFunctionName(e.context) === base) ? `${base}Event` : base;
  });
}

function groupedByContext(events: readonly ScaffoldEvent[]): ScaffoldEvent[] {
  const order = unique(events.map((e) => e.context));
  return order.flatMap((context) => events.filter((e) => e.context === context));
}

/** `shippingInputFor`: the exported function that maps an event to the started workflow's input. */
export function inputFunctionName(context: string): string {
  return `${camel(context)}InputFor`;
}

/** `OrderPlaced` → `order placed`, for log messages. */
export function words(name: string): string {
  return (name.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+/g) ?? [name]).map((w) => w.toLowerCase()).join(" ");
}

/** Numbers as the repository writes them: `2_000`, `-1`. */
function number(value: number): string {
  return Number.isInteger(value) && Math.abs(value) >= 1_000 ? String(value).replace(/\B(?=(\d{3})+(?!\d))/g, "_") : String(value);
}

/** `{ size: 50 }` from the properties that are set, or undefined when none is. */
function objectLiteral(properties: [string, number | undefined][]): string | undefined {
  const set = properties.filter(([, value]) => value !== undefined);
  return set.length === 0 ? undefined : `{ ${set.map(([key, value]) => `${key}: ${number(value!)}`).join(", ")} }`;
}

/**
 * `[a, b]` (or `{ a, b }`) on one line when it fits between `column` and `trailing` characters
 * after it, else one item per line.
 */
function list(items: readonly string[], column: number, trailing: number, open = "[", close = "]", indent = "  "): string {
  const inline = `${open}${items.join(", ")}${close}`;
  if (column + inline.length + trailing <= LINE_WIDTH) return inline;
  return `${open.trim()}\n${items.map((item) => `${indent}  ${item},`).join("\n")}\n${indent}${close.trim()}`;
}

/** Named imports sorted as in the repository: case-insensitively. */
function sortNames(names: readonly string[]): string[] {
  return [...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

function lines(...text: string[]): string {
  return `${text.join("\n")}\n`;
}
