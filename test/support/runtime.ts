import { Logger } from "@aws-lambda-powertools/logger";
import type { Admin, Kafka } from "kafkajs";
import * as z from "zod";
import { toMskEvent } from "../../platform/local/event-source-mapping";
import { ensureTopics } from "../../platform/local/topics";
import { defineContext, defineEvent, names } from "../../platform/model";
import type { KafkaEvent } from "../../platform/runtime/msk";
import type { Received } from "./kafka";
import { uniqueName } from "./kafka";

/** A context of its own per test file, so topics never carry another run's events. */
export function testContext() {
  const StepReached = defineEvent({
    name: "StepReached",
    schema: z.object({ entityId: z.string(), step: z.number().int().nonnegative() }),
  });
  const Finished = defineEvent({ name: "Finished", schema: z.object({ entityId: z.string(), steps: z.number().int() }) });
  return defineContext({ name: uniqueName("rt"), events: [StepReached, Finished] });
}

export const silentLogger = () => new Logger({ logLevel: "SILENT" });

/** Creates the context topic (3 partitions) and the groups' dead-letter topics. */
export async function createTopics(admin: Admin, context: string, groups: readonly string[]): Promise<void> {
  await ensureTopics(admin, [
    { name: names.contextTopic(context), purpose: "events", owner: context },
    ...groups.map((group) => ({ name: names.deadLetterTopic(group), purpose: "dead-letter" as const, owner: group })),
  ]);
}

/**
 * Cuts received records into MSK events of at most `size` records per partition, keeping each
 * partition's order, as an event source mapping would deliver them.
 */
export function mskBatches(topic: string, received: readonly Received[], size: number): KafkaEvent[] {
  const byPartition = new Map<number, Received["message"][]>();
  for (const { partition, message } of received) byPartition.set(partition, [...(byPartition.get(partition) ?? []), message]);
  const events: KafkaEvent[] = [];
  for (const [partition, messages] of byPartition) {
    for (let i = 0; i < messages.length; i += size) {
      events.push(toMskEvent([{ topic, partition, messages: messages.slice(i, i + size) }]));
    }
  }
  return events;
}

/** The end offset of every partition of a topic, summed: how many records it holds. */
export async function recordCount(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0);
}

export type { Kafka };
