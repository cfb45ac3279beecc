import * as fs from "node:fs";
import * as z from "zod";
import type { ContextEvent } from "../event";
import { jsonSchemaOf, type JsonSchema } from "../json-schema";
import { names } from "../names";
import type { ValidTopology } from "../validate";
import { SchemaLockError } from "./errors";

/** The committed baseline, at the project root: the schemas last released, like a package lock. */
export const LOCK_FILE = "schemas.lock.json";

/** A breaking change someone accepted, and why. */
export interface AcceptedChange {
  readonly reason: string;
  /** The changes as the gate named them: `data.total: field removed`. */
  readonly changes: readonly string[];
  /** YYYY-MM-DD */
  readonly date: string;
}

/** One event as released. */
export interface LockEntry {
  readonly version: number;
  readonly dataschema: string;
  /**
   * JSON Schema of the data, its input side (`jsonSchemaOf(schema, { io: "input" })`): what a
   * reader's parse accepts, which is what records already in the topic must still pass. The
   * catalog shows the output side, the wire shape.
   */
  readonly schema: JsonSchema;
  /** Every consumer group that subscribes to the event, platform groups included, sorted. */
  readonly readers: readonly string[];
  readonly accepted?: readonly AcceptedChange[];
  /**
   * A tombstone: the event's removal was accepted (`accepted` says why), and the entry is kept,
   * as last released, only for that record. The gate compares nothing against it; an event
   * declared again under its type is a new event.
   */
  readonly removed?: true;
}

/** Entries keyed by CloudEvent type. */
export type SchemaLock = Readonly<Record<string, LockEntry>>;

const LOCK_SCHEMA = z.record(
  z.string(),
  z.object({
    version: z.number().int().positive(),
    dataschema: z.string(),
    schema: z.record(z.string(), z.unknown()),
    readers: z.array(z.string()),
    accepted: z.array(z.object({ reason: z.string().min(1), changes: z.array(z.string()), date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/) })).optional(),
    removed: z.literal(true).optional(),
  }),
);

/** The entry an event of the topology has now (without acceptances, which only the lock keeps). */
export function entryOf(topology: ValidTopology, event: ContextEvent): LockEntry {
  return {
    version: event.version,
    dataschema: names.dataSchema(event.context, event.name, event.version),
    schema: jsonSchemaOf(event.schema, { io: "input" }),
    readers: topology.subscribersOf(event.type).map((group) => group.name).sort(),
  };
}

/** The lock as `schemas.lock.json` holds it: keys sorted at every level, 2-space JSON, a final newline. */
export function serializeLock(lock: SchemaLock): string {
  return `${JSON.stringify(lock, sortedKeys, 2)}\n`;
}

function sortedKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function parseLock(text: string, file: string): SchemaLock {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SchemaLockError(`${file} is not JSON (${(error as Error).message}). Restore it from version control, or delete it and run npm run validate to write a fresh baseline.`, { cause: error });
  }
  const parsed = LOCK_SCHEMA.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new SchemaLockError(`${file} is not a schema lock: ${issue.path.join(".") || "(root)"}: ${issue.message}. Restore it from version control, or delete it and run npm run validate to write a fresh baseline.`);
  }
  return parsed.data as SchemaLock;
}

/** The baseline in `file`, or undefined when there is none yet. */
export function readLock(file: string, shownAs = file): SchemaLock | undefined {
  if (!fs.existsSync(file)) return undefined;
  return parseLock(fs.readFileSync(file, "utf8"), shownAs);
}

/** Whether `file` already holds exactly `lock`, as `serializeLock` writes it. */
export function lockIsCurrent(file: string, lock: SchemaLock): boolean {
  return fs.existsSync(file) && fs.readFileSync(file, "utf8") === serializeLock(lock);
}

export function writeLock(file: string, lock: SchemaLock): void {
  fs.writeFileSync(file, serializeLock(lock));
}
