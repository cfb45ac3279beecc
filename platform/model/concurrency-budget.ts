import type { ConsumerGroupPlan } from "./consumer-group-plan";
import { StackConfigError, type StackConfig } from "./stack-config";

/**
 * Concurrency Lambda keeps unreserved in every account and region: reservations may take the
 * account's quota minus this much, no more. "Configuring reserved concurrency",
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
 */
export const LAMBDA_UNRESERVED_MINIMUM = 100;

/** What a stack reserves of the account's Lambda concurrency. */
export interface ConcurrencyBudget {
  /** Reserved concurrency of all the stack's functions together. */
  readonly reserved: number;
  /** By consumer group; groups that reserve none are left out. */
  readonly byGroup: Readonly<Record<string, number>>;
  /** `ensemble:functions.accountConcurrencyLimit`, when the stack states it. */
  readonly accountLimit?: number;
  /** What the stack may reserve at most: the account limit less the unreserved minimum. */
  readonly reservable?: number;
}

/** Sums the reserved concurrency the stack's consumer groups ask for (tasks and publishers reserve none). */
export function concurrencyBudget(plans: readonly ConsumerGroupPlan[], config: StackConfig): ConcurrencyBudget {
  const byGroup = Object.fromEntries(plans.flatMap((plan) => (plan.settings.reservedConcurrency === undefined ? [] : [[plan.name, plan.settings.reservedConcurrency]])));
  const reserved = Object.values(byGroup).reduce((sum, value) => sum + value, 0);
  const accountLimit = config.functions.accountConcurrencyLimit;
  return accountLimit === undefined ? { reserved, byGroup } : { reserved, byGroup, accountLimit, reservable: Math.max(accountLimit - LAMBDA_UNRESERVED_MINIMUM, 0) };
}

/**
 * Stops a stack whose reservations the account cannot grant, before anything is created:
 * Lambda would refuse the functions one by one, halfway through a deployment.
 * @throws StackConfigError naming the total, the limit and the ways out.
 */
export function checkConcurrencyBudget(stack: string, budget: ConcurrencyBudget): void {
  if (budget.reservable === undefined || budget.reserved <= budget.reservable) return;
  const largest = Object.entries(budget.byGroup)
    .sort(([, a], [, b]) => b - a)
    .slice(0, 3)
    .map(([group, value]) => `${group} ${value}`)
    .join(", ");
  throw new StackConfigError(stack, [
    `ensemble:functions.accountConcurrencyLimit: the consumer groups reserve ${budget.reserved} concurrency (largest: ${largest}), ` +
      `but an account limit of ${budget.accountLimit} leaves ${budget.reservable} reservable (Lambda keeps ${LAMBDA_UNRESERVED_MINIMUM} unreserved). ` +
      `Lower ensemble:functions.consumerConcurrency or a group's ensemble:consumers.<group>.reservedConcurrency / maxPollers, ` +
      `set ensemble:functions.reserveConcurrency to false, or raise the account's quota (Service Quotas: "Concurrent executions") and this setting.`,
  ]);
}
