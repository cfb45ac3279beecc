import type { KafkaBatchResponse } from "../../runtime/msk";
import { InvalidBatchResponseError } from "../errors";
import { isObject } from "../../runtime/is-object";
import type { Item } from "./partition-work";

/**
 * How Lambda reads a partial batch response. AWS's pages admit two readings, so the emulator
 * can run either and the tests run both:
 * - `failed-records-only`: the Kafka page, "so Lambda can retry only the failed records" —
 *   the records the response does not name are done, the named ones are retried;
 * - `checkpoint-at-lowest`: the Kinesis and DynamoDB pages — Lambda checkpoints before the
 *   lowest reported record and resumes there, so it and every later record come again.
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html
 * https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html
 */
export const PartialBatchReading = {
  FailedRecordsOnly: "failed-records-only",
  CheckpointAtLowest: "checkpoint-at-lowest",
} as const;
export type PartialBatchReading = (typeof PartialBatchReading)[keyof typeof PartialBatchReading];

/** What one invocation came to, as the mapping acts on it. */
export type Outcome =
  | { readonly kind: "succeeded" }
  | { readonly kind: "partial"; readonly failed: readonly Item[] }
  | { readonly kind: "failed"; readonly cause: "function-error" | "invalid-response"; readonly error: Error };

/**
 * Reads a function's answer. Nothing, `null` or no failures = the batch succeeded; failures must
 * name this batch's `<topic>-<partition>` and one of its offsets, or the whole batch failed.
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html#kafka-partial-batch-response
 */
export function readResponse(response: unknown, items: readonly Item[]): Outcome {
  if (response === undefined || response === null) return { kind: "succeeded" };
  const failures = (response as Partial<KafkaBatchResponse>).batchItemFailures;
  if (failures === undefined || failures === null || (Array.isArray(failures) && failures.length === 0)) return { kind: "succeeded" };
  const invalid = (why: string): Outcome => ({ kind: "failed", cause: "invalid-response", error: new InvalidBatchResponseError(`Invalid batchItemFailures: ${why}; the whole batch is retried.`) });
  if (!Array.isArray(failures)) return invalid("not an array");
  const failed: Item[] = [];
  for (const failure of failures as unknown[]) {
    const id = isObject(failure) && isObject(failure.itemIdentifier) ? failure.itemIdentifier : undefined;
    const item = items.find((i) => id && id.partition === `${i.record.topic}-${i.record.partition}` && id.offset === i.offset);
    if (!item) return invalid(`${JSON.stringify(failure)} names no record of this batch`);
    failed.push(item);
  }
  return { kind: "partial", failed };
}
