import { camel, isPlainIdentifier, LINE_WIDTH } from "./consumer-code";
import { ScaffoldError } from "./errors";

/** consumers/index.ts does not have the shape `registerConsumer` knows how to edit. */
export class ConsumersIndexShapeError extends ScaffoldError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConsumersIndexShapeError";
  }
}

export interface Registration {
  /** The new text of consumers/index.ts. */
  readonly text: string;
  /** The name the group is imported under. */
  readonly identifier: string;
}

const IMPORT = /^import (\w+) from "\.\/([^"]+)\/consumer";$/;
const LIST = /^export const consumers = \[([^\]]*)\] as const;$/m;

/**
 * Registers a group in consumers/index.ts: its import among the others (kept sorted by path if
 * they are) and its name at the end of the `consumers` list (one line while it fits, else one
 * name per line, as the list was written). Throws a {@link ConsumersIndexShapeError} when the
 * file is not one `import x from "./<group>/consumer";` per group and one
 * `export const consumers = [...] as const;` of plain names.
 *
 * @example
 * registerConsumer(fs.readFileSync("consumers/index.ts", "utf8"), "order-watch").identifier; // "orderWatch"
 */
export function registerConsumer(text: string, group: string): Registration {
  const lines = text.split("\n");
  const imports = lines.map((line, index) => ({ index, match: IMPORT.exec(line) })).filter((l) => l.match !== null);
  const list = LIST.exec(text);
  if (!list) {
    throw new ConsumersIndexShapeError(`it has no \`export const consumers = [...] as const;\` list to add the group to.`);
  }
  const listed = list[1]!
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
  const odd = listed.find((item) => !isPlainIdentifier(item));
  if (odd !== undefined) {
    throw new ConsumersIndexShapeError(`its consumers list holds \`${odd}\`, not only the names of imported groups.`);
  }
  const imported = new Map(imports.map((i) => [i.match![1]!, i.match![2]!]));
  const missing = listed.find((item) => !imported.has(item));
  if (missing !== undefined) {
    throw new ConsumersIndexShapeError(`its consumers list names \`${missing}\`, which no \`import ${missing} from "./<group>/consumer";\` line imports.`);
  }
  if ([...imported.values()].includes(group)) {
    throw new ConsumersIndexShapeError(`it already imports ./${group}/consumer.`);
  }

  const identifier = freeIdentifier(camel(group), text);
  const importLine = `import ${identifier} from "./${group}/consumer";`;
  const paths = imports.map((i) => i.match![2]!);
  const sorted = paths.every((p, i) => i === 0 || paths[i - 1]!.localeCompare(p) <= 0);
  const before = sorted ? imports.find((i) => group.localeCompare(i.match![2]!) < 0) : undefined;
  const lastImport = lines.reduce((last, line, index) => (/^import\s/.test(line) ? index : last), -1);
  const at = before ? before.index : imports.length > 0 ? imports[imports.length - 1]!.index + 1 : lastImport + 1;
  const withImport = [...lines.slice(0, at), importLine, ...lines.slice(at)].join("\n");

  const names = [...listed, identifier];
  const multiline = list[1]!.includes("\n");
  const oneLine = `export const consumers = [${names.join(", ")}] as const;`;
  const rendered =
    !multiline && oneLine.length <= LINE_WIDTH ? oneLine : `export const consumers = [\n${names.map((n) => `  ${n},`).join("\n")}\n] as const;`;
  return { text: withImport.replace(LIST, () => rendered), identifier };
}

/** `base`, or `base` + "Consumer" when that is a reserved word or already a name in the file. */
function freeIdentifier(base: string, text: string): string {
  const used = new Set(text.match(/[A-Za-z_$][A-Za-z0-9_$]*/g) ?? []);
  for (const candidate of [base, `${base}Consumer`, `${base}Group`]) {
    if (isPlainIdentifier(candidate) && !used.has(candidate)) return candidate;
  }
  let n = 2;
  while (used.has(`${base}Consumer${n}`)) n++;
  return `${base}Consumer${n}`;
}
