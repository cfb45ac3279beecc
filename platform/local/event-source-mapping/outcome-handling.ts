import { OnFailureReason } from "../../model";
import { type Outcome, PartialBatchReading } from "./batch-response";
import type { FailureCause, Notify } from "./observer";
import type { Batch, Item, PartitionWork } from "./partition-work";
import type { Settings } from "./settings";

/** What handling an outcome needs from the mapping it works for. */
export interface OutcomeHandling {
  readonly settings: Settings;
  readonly notify: Notify;
  /** Writes records to the on-failure topic and reports them; settling them is left to the caller. */
  sendToOnFailure(items: readonly Item[], reason: OnFailureReason, detail: string, functionError: boolean, batchSize: number): Promise<void>;
}

/**
 * What Lambda does after an invocation of one partition's batch:
 * - success: the batch is settled;
 * - partial batch response: records before the first reported one are settled, the partition
 *   resumes from it (with bisect, only the rest of the batch is retried);
 * - function error (or invalid response): with bisect, the batch is split in two and each half
 *   retried — splitting does not count as a retry; otherwise the batch is retried whole.
 * A record failing more than `maxRetries` times goes to the on-failure topic (with a whole
 * failed batch, every record of it) and the partition goes on after it.
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html
 * https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html#streams-batchfailurereporting-bisect
 * https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html#services-kinesis-errors
 */
export async function handleOutcome(mapping: OutcomeHandling, work: PartitionWork, batch: Batch, outcome: Outcome): Promise<void> {
  const { settings, notify } = mapping;
  if (outcome.kind === "succeeded") return work.settle(batch.items);
  const records = (items: readonly Item[]) => items.map((item) => item.record);

  if (outcome.kind === "partial") {
    notify("onFailed", records(outcome.failed), "batch-item-failure");
    if (settings.partialBatchReading === PartialBatchReading.FailedRecordsOnly) {
      // Only the reported records come again; the others are done, whatever the function did with them.
      const failed = new Set(outcome.failed);
      work.settle(batch.items.filter((item) => !failed.has(item)));
      const retried = [...outcome.failed].sort((a, b) => a.offset - b.offset);
      const exhausted = retried.filter((item) => ++item.failures > settings.maxRetries);
      if (exhausted.length > 0) await giveUp(mapping, exhausted, "reported in batchItemFailures", false);
      const again = retried.filter((item) => !item.settled);
      for (const item of again) {
        const { topic, partition } = item.record;
        notify("onRetry", { topic, partition, offset: item.offset, retry: item.failures, maxRetries: settings.maxRetries, cause: "batch-item-failure" });
      }
      if (again.length > 0) work.putBack({ items: again, bisected: batch.bisected });
      return;
    }
    const first = outcome.failed.reduce((a, b) => (b.offset < a.offset ? b : a));
    work.settle(batch.items.filter((item) => item.offset < first.offset));
    await retryOrGiveUp(mapping, first, [first], "batch-item-failure", "reported in batchItemFailures", false);
    // A bisected batch is cut at the reported record and only its rest retried; otherwise the partition resumes from it.
    if (batch.bisected) work.putBack({ items: batch.items.filter((item) => item.offset >= first.offset), bisected: true });
    return;
  }

  notify("onFailed", records(batch.items), outcome.cause);
  if (settings.bisectOnError && batch.items.length > 1) {
    const middle = Math.ceil(batch.items.length / 2);
    const halves = [batch.items.slice(0, middle), batch.items.slice(middle)] as const;
    const { topic, partition } = batch.items[0]!.record;
    notify("onBisect", { topic, partition, offsets: batch.items.map((item) => item.offset), halves: [halves[0].length, halves[1].length] });
    work.putBack({ items: halves[1], bisected: true });
    work.putBack({ items: halves[0], bisected: true });
    return;
  }
  await retryOrGiveUp(mapping, batch.items[0]!, batch.items, outcome.cause, outcome.error.message, true);
  if (batch.bisected) work.putBack(batch);
}

/**
 * Counts a failure against `first`, the record the retry would start from. Within the retry
 * limit it is retried; past it, `discard` goes to the on-failure topic and is settled.
 */
async function retryOrGiveUp(mapping: OutcomeHandling, first: Item, discard: readonly Item[], cause: FailureCause, detail: string, functionError: boolean): Promise<void> {
  const { maxRetries } = mapping.settings;
  first.failures++;
  if (first.failures <= maxRetries) {
    const { topic, partition } = first.record;
    mapping.notify("onRetry", { topic, partition, offset: first.offset, retry: first.failures, maxRetries, cause });
    return;
  }
  await giveUp(mapping, discard, detail, functionError);
}

/** Sends records out of retries to the on-failure topic; the partition goes on after them. */
async function giveUp(mapping: OutcomeHandling, discard: readonly Item[], detail: string, functionError: boolean): Promise<void> {
  await mapping.sendToOnFailure(discard, OnFailureReason.RetriesExhausted, detail, functionError, discard.length);
  for (const item of discard) item.settled = true;
}
