/*
 * What a Lambda bundle holds in place of code platform/infra/bundle-trim.ts leaves out: functions
 * that throw a named error saying what is missing and why, should a path nobody expected reach
 * one. Bundled once into every function with such stand-ins, so the reasons live here, not in each.
 */
import { BundleError } from "../errors";

/** Why each part is left out; every stand-in names what it replaces and one of these. */
export const REASONS = {
  admin: "no code in this function calls kafka.admin().",
  consumer: "no code in this function calls kafka.consumer(); Lambda's event source mapping consumes for it.",
  administration: "a function never administers the cluster (topics, configs, ACLs, groups) nor runs a transaction; the infra does.",
  consumerRequest: "only a kafkajs consumer or admin client sends it, and this function has neither.",
  olderVersion:
    "kafkajs sends the highest version of a request it implements that the broker supports; Amazon MSK and Apache Kafka 2.8 or later support the highest of each, so only that one is bundled. Use a broker of Kafka 2.8 or later.",
  sasl: "Amazon MSK IAM authenticates with OAUTHBEARER (platform/runtime/kafka.ts); no function uses another mechanism.",
  http: "functions read and write CloudEvents on Kafka only, never over HTTP or MQTT.",
  bigInt: "the CloudEvents SDK uses it only when CE_USE_BIG_INT=true, which no function sets.",
  jsonSchema: "no function turns a schema into JSON Schema at run time; the catalog does, at build time.",
} as const;

export type LeftOutReason = keyof typeof REASONS;

/** Code that cannot run in this function was reached; the message says what and why it was left out. */
export class LeftOutOfBundleError extends BundleError {
  constructor(what: string, reason: LeftOutReason) {
    super(`${what} is left out of this Lambda bundle (platform/infra/bundle-trim.ts): ${REASONS[reason]}`);
    this.name = "LeftOutOfBundle";
  }
}

/** A stand-in for a function (or class) that was left out: calling or constructing it throws. */
export function leftOut(what: string, reason: LeftOutReason): (...args: unknown[]) => never {
  return function leftOutOfBundle() {
    throw new LeftOutOfBundleError(what, reason);
  };
}
