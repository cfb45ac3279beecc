import type { Kafka } from "kafkajs";
import * as z from "zod";
import { type ContextDefinition, type ContextEvent, names, TOPIC_MAX_MESSAGE_BYTES } from "../model";
import { eventId, toCloudEvent, toKafkaRecord } from "./envelope";
import { EventTooLargeError, InvalidEventError, MilestoneInputError, PublishFailedError, UnknownEventError } from "./errors";
import { createIdempotentProducer, createKafka, kafkaSettingsFromEnv, SharedProducer } from "./kafka";
import { recordBatchBytes } from "./record-size";
import { schemaProblems } from "./schema";

/** What a milestone Task passes to the publisher (see the milestone helper). */
export const MilestoneInput = z.object({
  /** `<context>.<Event>` */
  type: z.string().min(1),
  /** Entity id: Kafka key and CloudEvent subject. */
  key: z.string().min(1),
  data: z.unknown(),
  /** `$$.Execution.Id` */
  executionId: z.string().min(1),
  /** The milestone state's name. */
  state: z.string().min(1),
  /** `$$.Map.Item.Index` inside a Map. */
  mapIndex: z.number().int().nonnegative().optional(),
  /** `$$.State.EnteredTime`, so a retried publish carries the same time. @default now */
  time: z.string().optional(),
});
export type MilestoneInput = z.input<typeof MilestoneInput>;

export interface MilestoneResult {
  readonly eventId: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export interface MilestonePublisherOptions {
  /** @default a client from `kafkaSettingsFromEnv()` */
  readonly kafka?: Kafka;
}

/**
 * Publishes one context's milestones: validates the data against the event's schema, wraps it
 * in a CloudEvent with a deterministic id and sends it, keyed by entity, with an idempotent
 * producer that connects once per container. Errors are named so a workflow can Retry
 * (`Milestone.PublishFailed`) or Catch (`Milestone.InvalidEvent`) them.
 */
export class MilestonePublisher {
  private readonly events: ReadonlyMap<string, ContextEvent>;
  private readonly topic: string;
  private readonly producer: SharedProducer;

  constructor(
    readonly context: ContextDefinition,
    options: MilestonePublisherOptions = {},
  ) {
    this.events = new Map(context.eventList.map((event) => [event.type, event]));
    this.topic = names.contextTopic(context.name);
    const clientId = `${context.name}-publisher`;
    this.producer = new SharedProducer(() => createIdempotentProducer(options.kafka ?? createKafka(kafkaSettingsFromEnv(clientId))));
  }

  async publish(raw: unknown): Promise<MilestoneResult> {
    const input = this.parseInput(raw);
    const event = this.events.get(input.type);
    if (!event) {
      const declared = [...this.events.keys()].join(", ") || "none";
      throw new UnknownEventError(
        `Context "${this.context.name}" declares no event "${input.type}" (declared: ${declared}), so it cannot go to topic ${this.topic}; fix the milestone's type.`,
      );
    }
    const parsed = event.schema.safeParse(input.data);
    if (!parsed.success) throw new InvalidEventError(event.type, schemaProblems(parsed.error));

    const cloudEvent = toCloudEvent({ ...input, event, data: parsed.data });
    const record = toKafkaRecord(cloudEvent);
    const bytes = recordBatchBytes(record);
    if (bytes > TOPIC_MAX_MESSAGE_BYTES) throw new EventTooLargeError(event.type, this.topic, bytes, TOPIC_MAX_MESSAGE_BYTES);
    try {
      const producer = await this.producer.get();
      const [meta] = await producer.send({ topic: this.topic, acks: -1, messages: [record] });
      return { eventId: cloudEvent.id, topic: this.topic, partition: meta!.partition, offset: meta!.baseOffset ?? "-1" };
    } catch (error) {
      throw new PublishFailedError(
        `Could not publish ${event.type} ${cloudEvent.id} (key ${input.key}) to topic ${this.topic}: ${(error as Error).message}. ` +
          `Retrying the task publishes the same event id.`,
        { cause: error },
      );
    }
  }

  /** The event id this input would get, without publishing. */
  eventIdOf(raw: unknown): string {
    return eventId(this.parseInput(raw));
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }

  private parseInput(raw: unknown) {
    const parsed = MilestoneInput.safeParse(raw);
    if (!parsed.success) {
      // Name the event when the input got that far, so the failing milestone state can be found.
      const type = (raw as { type?: unknown } | null)?.type;
      const of = typeof type === "string" && type ? `${type} ` : "";
      throw new MilestoneInputError(
        `Milestone task input ${of}for context "${this.context.name}" (topic ${this.topic}) is invalid: ${schemaProblems(parsed.error).join("; ")}. ` +
          `Build milestone states with the milestone() helper.`,
      );
    }
    return parsed.data;
  }
}

/**
 * The Lambda handler of a context's milestone publisher. The publisher (and its connection)
 * lives as long as the container.
 *
 * @example
 * // the bundle entry the infra generates for context "orders"
 * export const handler = milestoneHandler(orders);
 */
export function milestoneHandler(context: ContextDefinition, options: MilestonePublisherOptions = {}) {
  const publisher = new MilestonePublisher(context, options);
  return (input: unknown): Promise<MilestoneResult> => publisher.publish(input);
}
