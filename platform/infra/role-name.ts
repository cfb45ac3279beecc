import { createHash } from "node:crypto";

/** AWS's limit on IAM role names (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html). */
export const ROLE_NAME_MAX_LENGTH = 64;

/** What assumes the role. The suffix keeps a function's role apart from a state machine's. */
export type RoleKind = "lambda" | "sfn" | "flow-logs";

/**
 * The IAM role of a function or state machine, named from its physical name (unique among its
 * kind, as `validate()` checks) plus a kind suffix, so `<stack>-orders` the state machine and
 * `<stack>-orders` the consumer group get `dev-orders-sfn` and `dev-orders-lambda`.
 *
 * IAM compares role names case-insensitively and caps them at 64 characters, which the physical
 * names do not respect (task functions are PascalCase: `dev-orders-Validate` against a group
 * `orders-validate`; state machine names may have 80 characters). Such a name keeps as much of
 * itself as fits and gets `.<hash of the full name>` before the suffix; the `.` appears in no
 * physical name, so a hashed role can never equal a plain one.
 *
 * @example
 * roleName("dev-notify-customer", "lambda") // "dev-notify-customer-lambda"
 * roleName("dev-orders-ValidateOrder", "lambda") // "dev-orders-ValidateOrder.399b72d37c-lambda"
 */
export function roleName(physicalName: string, kind: RoleKind): string {
  const plain = `${physicalName}-${kind}`;
  if (plain.length <= ROLE_NAME_MAX_LENGTH && plain === plain.toLowerCase()) return plain;
  const tail = `.${createHash("sha256").update(plain).digest("hex").slice(0, 10)}-${kind}`;
  return `${physicalName.slice(0, ROLE_NAME_MAX_LENGTH - tail.length)}${tail}`;
}
