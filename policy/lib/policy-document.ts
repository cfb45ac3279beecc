/**
 * IAM policy documents (identity policies and KMS key policies) as the policies read them: the
 * JSON text a resource carries, parsed, with every one-or-many element turned into a list.
 */

/** One statement, with `Action`, `Resource` and principals always lists. */
export interface Statement {
  sid?: string;
  effect: "Allow" | "Deny";
  actions: string[];
  /** Present only when the statement uses `NotAction`. */
  notActions?: string[];
  resources: string[];
  /** `"*"` for `Principal: "*"`; else the principal lists by kind (`AWS`, `Service`, ...). */
  principal?: "*" | Record<string, string[]>;
  condition?: Record<string, Record<string, unknown>>;
}

export type ParsedDocument = { statements: Statement[] } | { error: string };

/**
 * Parses a policy document. `undefined` when there is nothing to check yet: the value is not a
 * string, as during a preview when the document is built from outputs not yet known.
 */
export function parseDocument(text: unknown): ParsedDocument | undefined {
  if (typeof text !== "string") return undefined;
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return { error: `is not valid JSON (${(error as Error).message})` };
  }
  const raw = (document as { Statement?: unknown } | null)?.Statement;
  if (raw === undefined) return { error: "has no Statement" };
  return { statements: (Array.isArray(raw) ? raw : [raw]).map(statementOf) };
}

function statementOf(raw: Record<string, unknown>): Statement {
  const statement: Statement = {
    effect: raw.Effect === "Deny" ? "Deny" : "Allow",
    actions: strings(raw.Action),
    resources: strings(raw.Resource),
  };
  if (typeof raw.Sid === "string") statement.sid = raw.Sid;
  if (raw.NotAction !== undefined) statement.notActions = strings(raw.NotAction);
  if (raw.Principal === "*") statement.principal = "*";
  else if (raw.Principal && typeof raw.Principal === "object") {
    statement.principal = Object.fromEntries(Object.entries(raw.Principal).map(([kind, value]) => [kind, strings(value)]));
  }
  if (raw.Condition && typeof raw.Condition === "object") statement.condition = raw.Condition as Statement["condition"];
  return statement;
}

function strings(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** Whether an IAM pattern (`*` and `?` wildcards, case-insensitive) matches a value. */
export function matches(pattern: string, value: string): boolean {
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${regex}$`, "i").test(value);
}

/** Whether a statement's actions cover `action`, through a wildcard or `NotAction`. */
export function grants(statement: Statement, action: string): boolean {
  if (statement.notActions) return !statement.notActions.some((pattern) => matches(pattern, action));
  return statement.actions.some((pattern) => matches(pattern, action));
}

/** Whether a statement names everyone as principal: `"*"` or `{ "AWS": "*" }`. */
export function isPublicPrincipal(statement: Statement): boolean {
  return statement.principal === "*" || (statement.principal?.AWS ?? []).includes("*");
}

/** The value a condition sets for a key under an operator (keys compared case-insensitively). */
export function conditionValues(statement: Statement, operator: string, key: string): string[] {
  const block = Object.entries(statement.condition ?? {}).find(([op]) => op.toLowerCase() === operator.toLowerCase())?.[1];
  const value = Object.entries(block ?? {}).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
  return strings(value).map((v) => v.toLowerCase());
}
