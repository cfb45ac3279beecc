// Checks of the names a topology turns into physical names (topics, functions, groups), and their collisions.
import { KEBAB_NAME, NAME_LIMITS, type NameKind, STACK_NAME } from "./limits";

/** Records one issue: the file, what it is about, the problem and the fix. */
export type Report = (file: string | undefined, subject: string, problem: string, fix: string) => void;

export interface StackForNames {
  readonly name: string;
  /** How to describe the stack in a message. */
  readonly described: string;
}

/** The stack names are checked against: the given one, else the longest a stack may have. */
export function checkStack(stack: string | undefined, report: Report): StackForNames {
  const longest: StackForNames = {
    name: "s".repeat(STACK_NAME.maxLength),
    described: `the longest stack name allowed (${STACK_NAME.maxLength} characters)`,
  };
  if (stack === undefined) return longest;
  if (stack.length > STACK_NAME.maxLength || !STACK_NAME.pattern.test(stack)) {
    report(
      undefined,
      `stack "${stack}"`,
      `is not a valid stack name: it goes into topic, group and function names.`,
      `use at most ${STACK_NAME.maxLength} lowercase letters, digits and hyphens, starting with a letter (e.g. "dev", "prod-eu").`,
    );
    return longest;
  }
  return { name: stack, described: `stack "${stack}"` };
}

export function kebabFix(kind: string, name: string): string {
  const suggestion = name
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^[^a-z]+|-+$/g, "");
  const example = suggestion && KEBAB_NAME.test(suggestion) ? ` (e.g. "${suggestion}")` : "";
  return `name the ${kind} in kebab-case: lowercase letters, digits and single hyphens, starting with a letter${example}.`;
}

/**
 * Checks physical names against AWS and Kafka length limits and remembers them to find
 * collisions. Characters need no check here: a name is built only from a checked stack, kebab-case
 * context and group names and PascalCase task names, whose characters every limit's pattern allows.
 */
export class PhysicalNames {
  // Keyed by kind and lowercased name: names that differ only in case are one keystroke apart for
  // whoever runs the CLI, searches logs or reads an alarm, so they count as a collision.
  private readonly claims = new Map<string, { file: string | undefined; subject: string; kind: NameKind; value: string }[]>();

  constructor(
    private readonly stackForNames: StackForNames,
    private readonly report: Report,
    readonly checkFiles: boolean,
  ) {}

  get stack(): string {
    return this.stackForNames.name;
  }

  check(file: string | undefined, subject: string, kind: NameKind, value: string, owner: "context" | "consumer" | "task") {
    const limit = NAME_LIMITS[kind];
    const claim = `${kind}:${value.toLowerCase()}`;
    this.claims.set(claim, [...(this.claims.get(claim) ?? []), { file, subject, kind, value }]);
    if (value.length > limit.maxLength) {
      const excess = value.length - limit.maxLength;
      this.report(
        file,
        subject,
        `its ${limit.label} "${value}" would be ${value.length} characters with ${this.stackForNames.described}; the limit is ${limit.maxLength}.`,
        `shorten the ${owner === "consumer" ? "consumer group" : owner} name by at least ${excess} character${excess === 1 ? "" : "s"}.`,
      );
    }
  }

  /**
   * Two resources of one kind cannot share a physical name, even one differing only in case
   * (e.g. consumer "orders-publisher", or consumer "orders-validate" against task orders.Validate).
   */
  reportCollisions() {
    for (const owners of this.claims.values()) {
      if (owners.length < 2) continue;
      const [first, ...others] = owners;
      const label = NAME_LIMITS[first!.kind].label;
      for (const other of others) {
        const same = other.value === first!.value;
        this.report(
          other.file,
          other.subject,
          same
            ? `its ${label} "${other.value}" is the same as that of ${first!.subject}.`
            : `its ${label} "${other.value}" differs only in case from "${first!.value}", that of ${first!.subject}.`,
          `rename one of them so the ${label}s differ${same ? "" : " in more than case"}.`,
        );
      }
    }
  }
}
