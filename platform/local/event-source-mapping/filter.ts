import { InvalidFilterPatternError } from "../errors";
import { isObject } from "../../runtime/is-object";

type FilterRule = string | number | boolean | null | { readonly exists: boolean };
interface FilterLeaf {
  readonly path: readonly string[];
  readonly rules: readonly FilterRule[];
}

/** What a record's value reads as when it is not UTF-8 JSON: it matches no `value` pattern. */
export const NOT_JSON = Symbol("not JSON");
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** A compiled filter: over a record's value, or over its value already read by {@link readValueJson}. */
export interface RecordFilter {
  (value: Buffer | string | null | undefined): boolean;
  /** The same answer for a value read once, so the mapping parses each record's value once. */
  readonly acceptsJson: (json: unknown) => boolean;
}

/**
 * Compiles filter patterns into a predicate over a record's value: true when one pattern (they
 * are ORed) matches; no patterns accept everything. Implements the subset of Lambda's
 * EventBridge-style pattern language Ensemble uses — exact values and `exists` on the `value`
 * key, the only key Kafka mappings filter on — and rejects anything else, so a new operator
 * cannot be silently ignored. A value that is not UTF-8 JSON matches no `value` pattern and is
 * dropped, as the filter has no JSON to match against.
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-filtering.html
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html#filtering-syntax
 *
 * @example
 * const accepts = compileFilters(filterPatterns(["orders.OrderPlaced"]));
 * accepts(Buffer.from('{"type":"orders.OrderPlaced"}')); // true
 */
export function compileFilters(patterns: readonly string[]): RecordFilter {
  const compiled = patterns.map(parsePattern);
  const acceptsJson = (json: unknown): boolean => {
    if (compiled.length === 0) return true;
    if (json === NOT_JSON) return false;
    const record = { value: json };
    return compiled.some((leaves) => leaves.every((leaf) => leafMatches(valuesAt(record, leaf.path), leaf.rules)));
  };
  return Object.assign((value: Buffer | string | null | undefined) => compiled.length === 0 || acceptsJson(readValueJson(value)), { acceptsJson });
}

function parsePattern(pattern: string): FilterLeaf[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(pattern);
  } catch (error) {
    throw new InvalidFilterPatternError(`Filter pattern ${pattern} is not JSON (${(error as Error).message}); write it as filterPatterns() does.`, { cause: error });
  }
  if (!isObject(parsed)) throw new InvalidFilterPatternError(`Filter pattern ${pattern} is not a JSON object; write it as {"value": {...}}, as filterPatterns() does.`);
  const unsupportedKey = Object.keys(parsed).find((key) => key !== "value");
  if (unsupportedKey) {
    throw new InvalidFilterPatternError(`Filter pattern ${pattern} filters on "${unsupportedKey}"; Kafka mappings filter only on "value": move the rule under it.`);
  }
  return leavesOf(parsed, [], pattern);
}

/** Flattens a pattern to its leaves, as EventBridge matches on paths. */
function leavesOf(node: Record<string, unknown>, path: string[], pattern: string): FilterLeaf[] {
  return Object.entries(node).flatMap(([key, child]) => {
    if (Array.isArray(child)) {
      for (const rule of child) if (!isSupportedRule(rule)) throw new InvalidFilterPatternError(`Filter rule ${JSON.stringify(rule)} in ${pattern} is not supported locally (exact values and "exists" are).`);
      return [{ path: [...path, key], rules: child as FilterRule[] }];
    }
    if (isObject(child)) return leavesOf(child, [...path, key], pattern);
    throw new InvalidFilterPatternError(`Filter pattern ${pattern} has ${JSON.stringify(child)} at "${[...path, key].join(".")}"; leaves must be arrays of rules.`);
  });
}

function isSupportedRule(rule: unknown): rule is FilterRule {
  if (rule === null || ["string", "number", "boolean"].includes(typeof rule)) return true;
  return isObject(rule) && Object.keys(rule).length === 1 && typeof rule.exists === "boolean";
}

/** The leaf values at a path; arrays on the way are searched element by element, as EventBridge does. */
function valuesAt(node: unknown, path: readonly string[]): unknown[] {
  const [key, ...rest] = path;
  if (key === undefined) return Array.isArray(node) ? node.flatMap((item) => valuesAt(item, [])) : isObject(node) ? [] : [node];
  if (Array.isArray(node)) return node.flatMap((item) => valuesAt(item, path));
  return isObject(node) && key in node ? valuesAt(node[key], rest) : [];
}

function leafMatches(values: readonly unknown[], rules: readonly FilterRule[]): boolean {
  return rules.some((rule) => {
    if (rule !== null && typeof rule === "object") return rule.exists === (values.length > 0);
    return values.some((value) => value === rule);
  });
}

/** A record's value as the filter reads it: UTF-8 JSON, else {@link NOT_JSON}. */
export function readValueJson(value: Buffer | string | null | undefined): unknown {
  if (value === null || value === undefined || value.length === 0) return NOT_JSON;
  try {
    return JSON.parse(typeof value === "string" ? value : utf8.decode(value));
  } catch {
    return NOT_JSON;
  }
}
