import { z } from "zod";

/** The `ensemble:*` keys of a stack's `Pulumi.<stack>.yaml`, with their defaults. */
export const StackConfig = z.object({
  kafka: z
    .object({
      /** Broker nodes; MSK wants a multiple of the subnets' AZ count. */
      brokers: z.number().int().min(1).default(2),
      instanceType: z.string().regex(/^kafka\.[a-z0-9]+\.[a-z0-9]+$/, "expected an MSK broker type such as kafka.t3.small").default("kafka.t3.small"),
      /** Partitions of each context topic. */
      partitions: z.number().int().min(1).default(3),
    })
    .prefault({}),
  /** Retention of the CloudWatch log groups the stack creates. */
  logRetentionDays: z.number().int().positive().default(7),
});
export type StackConfig = z.output<typeof StackConfig>;

/** Raised when `Pulumi.<stack>.yaml` holds a value the schema refuses; names each key. */
export class StackConfigError extends Error {
  constructor(stack: string, issues: z.core.$ZodIssue[]) {
    super(
      `Pulumi.${stack}.yaml has invalid config:\n${issues
        .map((issue) => `  - ensemble:${issue.path.join(".") || "(root)"}: ${issue.message}`)
        .join("\n")}`,
    );
    this.name = "StackConfigError";
  }
}

/** Parses raw `ensemble:*` values (as `pulumi.Config#getObject` returns them). */
export function parseStackConfig(stack: string, raw: Record<string, unknown>): StackConfig {
  const result = StackConfig.safeParse(raw);
  if (!result.success) throw new StackConfigError(stack, result.error.issues);
  return result.data;
}
