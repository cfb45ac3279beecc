import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { kafkaVersions, SCRIPTS_DIR } from "../platform/broker/kafka-versions";
import { benchContext, encodedRecord, topicOf, valueBytes } from "./fixtures";
import { benchKafka, createTopic, type Section, SectionFailure } from "./harness";
import type { PublishData } from "./publish";
import { compare, comparisonColumns, type Table } from "./report";
import { round } from "./stats";

const run = promisify(execFile);

export interface CeilingData {
  readonly records: number;
  readonly recordBytes: number;
  readonly recordsPerSecond: number;
  readonly mbPerSecond: number;
  readonly latencyMs: { readonly avg: number; readonly max: number; readonly p50: number; readonly p95: number; readonly p99: number; readonly p999: number };
  readonly command: string;
}

/**
 * The broker's ceiling on this machine: Apache Kafka's own `ProducerPerformance` from the cached
 * jars, as fast as it goes (`--throughput -1`), records the size of the CloudEvent, acks=all and
 * idempotence as the publisher uses. The Java producer batches records (linger, batch.size) and
 * pipelines up to 5 requests: the physical reference, not a like-for-like baseline.
 */
export const brokerCeilingSection: Section = {
  name: "broker-ceiling",
  needsBroker: true,
  async run(context) {
    const { options } = context;
    const kafka = benchKafka(context, "ceiling");
    const bench = benchContext(context.runId, "ceil");
    await createTopic(kafka, topicOf(bench), options.partitions);
    const recordBytes = valueBytes(encodedRecord(bench, 0));

    const libs = await kafkaLibs();
    const args = [
      "-Xmx512m",
      "-cp",
      `${libs}/*`,
      "org.apache.kafka.tools.ProducerPerformance",
      ...["--topic", topicOf(bench), "--num-records", String(options.ceilingRecords), "--record-size", String(recordBytes), "--throughput", "-1"],
      ...["--producer-props", `bootstrap.servers=${context.broker!.brokers.join(",")}`, "acks=all", "enable.idempotence=true"],
    ];
    const java = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, "bin", "java") : "java";
    context.log(`broker ceiling: ${java} ... ProducerPerformance --num-records ${options.ceilingRecords} --record-size ${recordBytes}`);
    let stdout: string;
    try {
      ({ stdout } = await run(java, args, { maxBuffer: 16 * 1024 * 1024, timeout: 30 * 60_000 }));
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr?.trim().split("\n").slice(-10).join("\n");
      throw new SectionFailure(`ProducerPerformance failed: ${(error as Error).message.split("\n")[0]}${stderr ? `\n${stderr}` : ""}`, { cause: error });
    }
    const data: CeilingData = { records: options.ceilingRecords, recordBytes, ...parseFinalLine(stdout), command: `${java} ${args.join(" ")}` };
    return { data, tables: [ceilingTable(data, context.earlier.get("publish")?.data as PublishData | undefined)] };
  },
};

function ceilingTable(ceiling: CeilingData, publish: PublishData | undefined): Table {
  const rows: (string | number)[][] = [
    ["ProducerPerformance records/s", ceiling.recordsPerSecond, "", ""],
    ["ProducerPerformance p50 ms", ceiling.latencyMs.p50, "", ""],
    ["ProducerPerformance p99 ms", ceiling.latencyMs.p99, "", ""],
  ];
  if (publish) {
    const { inFlight, publisher, raw } = publish.concurrent;
    rows.push(compare(`publisher events/s (${inFlight} in flight)`, publisher.eventsPerSecond, ceiling.recordsPerSecond));
    rows.push(compare(`raw kafkajs send events/s (${inFlight} in flight)`, raw.eventsPerSecond, ceiling.recordsPerSecond));
  }
  return {
    title: `Broker ceiling: Apache Kafka ProducerPerformance, ${ceiling.records} records of ${ceiling.recordBytes} B, acks=all, idempotent, unthrottled`,
    columns: comparisonColumns("figure", "ceiling"),
    rows,
    note: "The Java producer batches many records per request; kafkajs sends one request per send() call here.",
  };
}

/** `N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency, P50 ms 50th, ...` */
function parseFinalLine(stdout: string): Omit<CeilingData, "records" | "recordBytes" | "command"> {
  const line = stdout.trim().split("\n").reverse().find((l) => l.includes("50th"));
  const match = line && /records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th/.exec(line);
  if (!match) throw new SectionFailure(`unexpected ProducerPerformance output:\n${stdout.trim().split("\n").slice(-5).join("\n")}`);
  const [, rate, mb, avg, max, p50, p95, p99, p999] = match.map(Number) as number[];
  return { recordsPerSecond: round(rate!), mbPerSecond: round(mb!), latencyMs: { avg: round(avg!), max: max!, p50: p50!, p95: p95!, p99: p99!, p999: p999! } };
}

/** The jars scripts/kafka-jars.sh caches (it fetches them first if the cache is empty). */
async function kafkaLibs(): Promise<string> {
  const cache = process.env.ENSEMBLE_CACHE || path.join(os.homedir(), ".cache", "ensemble");
  const libs = path.join(cache, `kafka-${kafkaVersions().KAFKA_VERSION}`, "libs");
  if (fs.existsSync(path.join(libs, ".complete"))) return libs;
  const { stdout } = await run("bash", [path.join(SCRIPTS_DIR, "kafka-jars.sh")], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim().split("\n").at(-1)!;
}
