import * as fs from "node:fs";
import * as os from "node:os";
import { kafkaVersions } from "../platform/broker/kafka-versions";

export interface Machine {
  readonly os: string;
  readonly kernel: string;
  readonly cpus: { readonly model: string; readonly count: number };
  readonly memoryGb: number;
  readonly node: string;
  readonly kafkaVersion: string;
  /** Set once the broker is up: which path of platform/broker/start-broker.ts ran, and its line. */
  broker?: { readonly path: string; readonly description: string; readonly readyInMs: number };
  /** 1-minute load average when the run started and ended: a busy machine shows here. */
  readonly loadAverage: { readonly start: number; end?: number };
}

export function describeMachine(): Machine {
  const cpus = os.cpus();
  return {
    os: `${distribution() ?? os.type()} (${os.platform()} ${os.arch()})`,
    kernel: os.release(),
    cpus: { model: cpus[0]?.model.trim() ?? "unknown", count: cpus.length },
    memoryGb: Number((os.totalmem() / 1024 ** 3).toFixed(1)),
    node: process.version,
    kafkaVersion: kafkaVersions().KAFKA_VERSION,
    loadAverage: { start: Number(os.loadavg()[0]!.toFixed(2)) },
  };
}

/** PRETTY_NAME of /etc/os-release, where there is one. */
function distribution(): string | undefined {
  try {
    return /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(fs.readFileSync("/etc/os-release", "utf8"))?.[1];
  } catch {
    return undefined;
  }
}

export function machineLine(machine: Machine): string {
  const broker = machine.broker ? `, broker: ${machine.broker.path}` : "";
  return `${machine.cpus.count} x ${machine.cpus.model}, ${machine.memoryGb} GB, ${machine.os}, kernel ${machine.kernel}, Node ${machine.node}, Kafka ${machine.kafkaVersion}${broker}, load ${machine.loadAverage.start}`;
}
