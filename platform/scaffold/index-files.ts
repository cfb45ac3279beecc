import { LINE_WIDTH } from "./consumer-code";
import { ScaffoldError } from "./errors";
import { camel, isPlainIdentifier } from "./identifiers";

/** consumers/index.ts or contexts/index.ts does not have the shape the scaffolder knows how to edit. */
export class IndexShapeError extends ScaffoldError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "IndexShapeError";
  }
}

export interface Registration {
  /** The new text of the index file. */
  readonly text: string;
  /** The name the new folder's module is imported under. */
  readonly identifier: string;
}

/** One of the two index files: what each entry imports, the list it is added to, what it is called. */
interface IndexKind {
  /** The module imported from each folder: `./<folder>/<module>`. */
  readonly module: string;
  /** The exported list: `export const <list> = [...] as const;`. */
  readonly list: string;
  /** What a folder holds, in messages: "group". */
  readonly entry: string;
  /** Whether the file also exports each entry by name, `export { a, b };`. */
  readonly exportsByName: boolean;
  /** Tried, in order, after the camelCase name when it is taken or reserved. */
  readonly suffixes: readonly string[];
}

const CONSUMERS: IndexKind = { module: "consumer", list: "consumers", entry: "group", exportsByName: false, suffixes: ["Consumer", "Group"] };
const CONTEXTS: IndexKind = { module: "context", list: "contexts", entry: "context", exportsByName: true, suffixes: ["Context"] };

/**
 * Registers a group in consumers/index.ts: its import among the others (kept sorted by path if
 * they are) and its name at the end of the `consumers` list (one line while it fits, else one
 * name per line, as the list was written). Throws an {@link IndexShapeError} when the file is
 * not one `import x from "./<group>/consumer";` per group and one
 * `export const consumers = [...] as const;` of plain names.
 *
 * @example
 * registerConsumer(fs.readFileSync("consumers/index.ts", "utf8"), "order-watch").identifier; // "orderWatch"
 */
export function registerConsumer(text: string, group: string): Registration {
  return register(text, group, CONSUMERS);
}

/**
 * Registers a context in contexts/index.ts, as {@link registerConsumer} does a group, and adds
 * it to the `export { ... }` list too (sorted if it is), so consumers can import it by name.
 *
 * @example
 * registerContext(fs.readFileSync("contexts/index.ts", "utf8"), "loyalty-points").identifier; // "loyaltyPoints"
 */
export function registerContext(text: string, context: string): Registration {
  return register(text, context, CONTEXTS);
}

const EXPORTS = /^export \{([^}]*)\};$/m;

function register(text: string, folder: string, kind: IndexKind): Registration {
  const importPattern = new RegExp(`^import (\\w+) from "\\./([^"]+)/${kind.module}";$`);
  const listPattern = new RegExp(`^export const ${kind.list} = \\[([^\\]]*)\\] as const;$`, "m");
  const lines = text.split("\n");
  const imports = lines.map((line, index) => ({ index, match: importPattern.exec(line) })).filter((l) => l.match !== null);
  const list = listPattern.exec(text);
  if (!list) {
    throw new IndexShapeError(`it has no \`export const ${kind.list} = [...] as const;\` list to add the ${kind.entry} to.`);
  }
  const listed = names(list[1]!);
  const odd = listed.find((item) => !isPlainIdentifier(item));
  if (odd !== undefined) {
    throw new IndexShapeError(`its ${kind.list} list holds \`${odd}\`, not only the names of imported ${kind.entry}s.`);
  }
  const imported = new Map(imports.map((i) => [i.match![1]!, i.match![2]!]));
  const missing = listed.find((item) => !imported.has(item));
  if (missing !== undefined) {
    throw new IndexShapeError(`its ${kind.list} list names \`${missing}\`, which no \`import ${missing} from "./<${kind.entry}>/${kind.module}";\` line imports.`);
  }
  if ([...imported.values()].includes(folder)) {
    throw new IndexShapeError(`it already imports ./${folder}/${kind.module}.`);
  }
  const exported = kind.exportsByName ? EXPORTS.exec(text) : null;
  if (kind.exportsByName && !exported) {
    throw new IndexShapeError(`it has no \`export { ... };\` list to export the ${kind.entry} by name from.`);
  }

  const identifier = freeIdentifier(camel(folder), text, kind.suffixes);
  const importLine = `import ${identifier} from "./${folder}/${kind.module}";`;
  const paths = imports.map((i) => i.match![2]!);
  const before = isSorted(paths) ? imports.find((i) => folder.localeCompare(i.match![2]!) < 0) : undefined;
  const lastImport = lines.reduce((last, line, index) => (/^import\s/.test(line) ? index : last), -1);
  const at = before ? before.index : imports.length > 0 ? imports[imports.length - 1]!.index + 1 : lastImport + 1;
  let result = [...lines.slice(0, at), importLine, ...lines.slice(at)].join("\n");

  const rendered = renderList(`export const ${kind.list} = [`, [...listed, identifier], "] as const;", list[1]!.includes("\n"));
  result = result.replace(listPattern, () => rendered);
  if (exported) {
    const current = names(exported[1]!);
    const all = isSorted(current) ? [...current, identifier].sort((a, b) => a.localeCompare(b)) : [...current, identifier];
    result = result.replace(EXPORTS, () => renderList("export { ", all, " };", exported[1]!.includes("\n")));
  }
  return { text: result, identifier };
}

function names(list: string): string[] {
  return list
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

function isSorted(items: readonly string[]): boolean {
  return items.every((item, i) => i === 0 || items[i - 1]!.localeCompare(item) <= 0);
}

/** `<open>a, b<close>` while it fits on a line and was on one, else one name per line. */
function renderList(open: string, items: readonly string[], close: string, multiline: boolean): string {
  const oneLine = `${open}${items.join(", ")}${close}`;
  if (!multiline && oneLine.length <= LINE_WIDTH) return oneLine;
  return `${open.trimEnd()}\n${items.map((n) => `  ${n},`).join("\n")}\n${close.trimStart()}`;
}

/** `base`, or `base` + a suffix (then numbered) when that is a reserved word or already a name in the file. */
function freeIdentifier(base: string, text: string, suffixes: readonly string[]): string {
  const used = new Set(text.match(/[A-Za-z_$][A-Za-z0-9_$]*/g) ?? []);
  for (const candidate of [base, ...suffixes.map((suffix) => `${base}${suffix}`)]) {
    if (isPlainIdentifier(candidate) && !used.has(candidate)) return candidate;
  }
  let n = 2;
  while (used.has(`${base}${suffixes[0]}${n}`)) n++;
  return `${base}${suffixes[0]}${n}`;
}
