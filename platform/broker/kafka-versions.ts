import * as fs from "node:fs";
import * as path from "node:path";
import { KafkaVersionsError } from "./errors";

/** The repository's `scripts/` folder, where the broker scripts and `kafka.env` live. */
export const SCRIPTS_DIR = path.resolve(__dirname, "../../scripts");

export interface KafkaVersions {
  readonly KAFKA_VERSION: string;
  readonly CP_VERSION: string;
  readonly LOCAL_KAFKA_IMAGE: string;
  readonly DEFAULT_KAFKA_IMAGE: string;
}

/** Reads `scripts/kafka.env`, the one place Kafka versions and image names are set. */
export function kafkaVersions(file = path.join(SCRIPTS_DIR, "kafka.env")): KafkaVersions {
  const values: Record<string, string> = {};
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith("#")) continue;
    const eq = trimmed.indexOf("=");
    if (eq > 0) values[trimmed.slice(0, eq)] = trimmed.slice(eq + 1);
  }
  for (const key of ["KAFKA_VERSION", "CP_VERSION", "LOCAL_KAFKA_IMAGE", "DEFAULT_KAFKA_IMAGE"] as const) {
    if (!values[key]) throw new KafkaVersionsError(`${file} does not set ${key}; restore it from git.`);
  }
  return values as unknown as KafkaVersions;
}
