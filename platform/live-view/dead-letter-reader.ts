import { randomUUID } from "node:crypto";
import type { Consumer, Kafka } from "kafkajs";
import { readDeadLetter } from "../redrive/dead-letters";
import { type DeadLetterSummary, summarizeDeadLetter } from "./live-data";

/** Where each partition of a topic ended when the run began: what is before is another run's. */
type StartOffsets = ReadonlyMap<string, ReadonlyMap<number, number>>;

/**
 * Reads a run's dead letters back from the groups' dead-letter topics, from where those topics
 * ended when the run began. It reads nothing until `read()` is first called (the live feed calls
 * it once a dead-lettered count rises), so a clean run costs one offset look-up; from then on one
 * consumer follows every dead-letter topic and commits nothing.
 */
export class DeadLetterReader {
  private readonly summaries: DeadLetterSummary[] = [];
  /** `<topic>:<partition>:<offset>` of each record read: one read again after a rebalance is not listed twice. */
  private readonly seen = new Set<string>();
  private consumer: Consumer | undefined;
  private starting: Promise<void> | undefined;

  private constructor(
    private readonly kafka: Kafka,
    /** Dead-letter topic → the group it belongs to. */
    private readonly groups: ReadonlyMap<string, string>,
    private readonly from: StartOffsets,
    private readonly groupId: string,
  ) {}

  /** Notes where each topic ends now; `topics` maps each dead-letter topic to its group. */
  static async from(kafka: Kafka, topics: ReadonlyMap<string, string>, stack: string): Promise<DeadLetterReader> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await Promise.all(
        [...topics.keys()].map(async (topic) => [topic, new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]))] as const),
      );
      return new DeadLetterReader(kafka, topics, new Map(offsets), `${stack}.live-view.${randomUUID().slice(0, 8)}`);
    } finally {
      await admin.disconnect();
    }
  }

  /** This run's dead letters read so far, in the order read. */
  get all(): readonly DeadLetterSummary[] {
    return this.summaries;
  }

  /** Starts following the topics, once; later calls return at once (and try again if it failed). */
  read(): Promise<void> {
    this.starting ??= this.follow().catch(async (error: unknown) => {
      this.starting = undefined;
      await this.consumer?.disconnect().catch(() => {});
      throw error;
    });
    return this.starting;
  }

  async stop(): Promise<void> {
    await this.starting?.catch(() => {});
    await this.consumer?.disconnect();
  }

  private async follow(): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: 250 });
    this.consumer = consumer;
    await consumer.connect();
    // From the beginning, then seek past what was there before the run; should a rebalance start
    // a partition over, the checks below still keep older and already listed records out.
    await consumer.subscribe({ topics: [...this.groups.keys()], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        const place = `${topic}:${partition}:${message.offset}`;
        if (Number(message.offset) < (this.from.get(topic)?.get(partition) ?? 0) || this.seen.has(place)) return;
        this.seen.add(place);
        this.summaries.push(summarizeDeadLetter(this.groups.get(topic) ?? topic, readDeadLetter(partition, message), Number(message.timestamp)));
      },
    });
    for (const [topic, partitions] of this.from) for (const [partition, offset] of partitions) consumer.seek({ topic, partition, offset: String(offset) });
  }
}
