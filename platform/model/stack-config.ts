import * as z from "zod";
import { CONSUMER_LIMITS, FUNCTION_DEFAULTS, TOPIC_DEFAULTS } from "./limits";
import { RETENTION_DEFAULTS } from "./retention";
import { closest } from "./suggest";
import { ModelError } from "./errors";
import {
  ENHANCED_MONITORING_DEFAULT,
  ENHANCED_MONITORING_LEVELS,
  LOG_RETENTION_DEFAULT_DAYS,
  STATE_MACHINE_LOG_LEVELS,
  STATE_MACHINE_LOGS_DEFAULT,
} from "./security-baseline";

const positiveInt = z.number().int().positive();


/** Bring an existing VPC, or let the stack create a minimal one. */
const NetworkKeys = z
  .object({
    /** An existing VPC; needs `privateSubnetIds`. */
    vpcId: z.string().regex(/^vpc-[0-9a-f]+$/, "expected a VPC id such as vpc-0abc1234").optional(),
    /** Private subnets of `vpcId`, one per AZ the brokers spread over. */
    privateSubnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, "expected subnet ids such as subnet-0abc1234")).min(2).optional(),
    /** AZs of a created VPC (MSK needs 2 or 3). */
    azCount: z.number().int().min(2).max(3).default(2),
    /** CIDR of a created VPC. */
    cidr: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, "expected a CIDR such as 10.40.0.0/16").default("10.40.0.0/16"),
    /**
     * How functions in a created VPC reach AWS APIs: `endpoints` (interface endpoints for Lambda,
     * STS and Step Functions, a gateway endpoint for DynamoDB) or `nat` (one NAT gateway).
     */
    egress: z.enum(["endpoints", "nat"]).default("endpoints"),
    /**
     * More interface endpoints for a created VPC with `egress: endpoints`, by service name (as in
     * `com.amazonaws.<region>.<service>`), for AWS APIs that task functions in the VPC call.
     */
    endpoints: z.array(z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, "expected a service name such as secretsmanager")).default([]),
  })
  .strict();
const Network = NetworkKeys.refine((n) => (n.vpcId === undefined) === (n.privateSubnetIds === undefined), {
  message: "give both vpcId and privateSubnetIds to use an existing VPC, or neither to create one",
});

function atLeastKafka28(version: string): boolean {
  const [, major, minor] = /^(\d+)\.(\d+)/.exec(version) ?? [];
  return major !== undefined && (Number(major) > 2 || (Number(major) === 2 && Number(minor) >= 8));
}

/** The MSK cluster: created here, or an existing one by ARN. */
const Kafka = z
  .object({
    /** Use this cluster instead of creating one (IAM auth must be enabled on it). */
    existingClusterArn: z.string().regex(/^arn:aws[a-z-]*:kafka:[a-z0-9-]+:\d{12}:cluster\/[^/]+\/[^/]+$/, "expected an MSK cluster ARN").optional(),
    /** Bootstrap brokers (IAM) of the existing cluster; looked up when omitted. */
    existingBootstrapBrokers: z.string().optional(),
    /**
     * MSK version string, KRaft metadata mode. 2.8 or later: Lambda bundles carry only the highest
     * version of each Kafka request kafkajs implements (platform/infra/bundle-trim.ts), which
     * brokers from 2.8 on support.
     */
    version: z
      .string()
      .refine((v) => atLeastKafka28(v), { message: "expected Kafka 2.8 or later (for example 3.9.x or 4.1.x.kraft): Lambda bundles speak only the newest version of each request kafkajs knows" })
      .default("4.1.x.kraft"),
    /** Broker nodes: a multiple of the number of private subnets. */
    brokers: positiveInt.default(2),
    instanceType: z.string().regex(/^kafka\.[a-z0-9]+\.[a-z0-9]+$/, "expected an MSK broker type such as kafka.t3.small").default("kafka.t3.small"),
    /** EBS volume per broker, GiB. */
    volumeGb: z.number().int().min(1).max(16384).default(20),
    /** Partitions of each context topic (dead-letter topics get half, at least 1). */
    partitions: positiveInt.default(TOPIC_DEFAULTS.partitions),
    /** Replicas of every topic; defaults to min(3, brokers). */
    replicationFactor: positiveInt.optional(),
    /**
     * Retention of context topics, hours. With `deadLetterRetentionHours` it sets each consumer
     * group's deduplication window (see `dedupeWindowSeconds`): there is no separate setting.
     */
    retentionHours: positiveInt.default(RETENTION_DEFAULTS.eventsHours),
    /** Retention of dead-letter topics, hours: how long a group's dead letters can be redriven. */
    deadLetterRetentionHours: positiveInt.default(RETENTION_DEFAULTS.deadLettersHours),
    /**
     * MSK's enhanced monitoring level; Security Hub's MSK.2 asks for `PER_TOPIC_PER_BROKER` or
     * more. Each level adds CloudWatch metrics (and their cost).
     */
    enhancedMonitoring: z.enum(ENHANCED_MONITORING_LEVELS).default(ENHANCED_MONITORING_DEFAULT),
  })
  .strict();

/** Per-group overrides of what `consumers/<group>/consumer.ts` declares, for this stack only. */
const ConsumerOverride = z
  .object({
    batchSize: z.number().int().min(CONSUMER_LIMITS.batchSize.min).max(CONSUMER_LIMITS.batchSize.max).optional(),
    windowSeconds: z.number().int().min(CONSUMER_LIMITS.batchWindowSeconds.min).max(CONSUMER_LIMITS.batchWindowSeconds.max).optional(),
    minPollers: z.number().int().min(CONSUMER_LIMITS.minPollers.min).max(CONSUMER_LIMITS.minPollers.max).optional(),
    maxPollers: z.number().int().min(CONSUMER_LIMITS.maxPollers.min).max(CONSUMER_LIMITS.maxPollers.max).optional(),
    /** Reserved concurrency of the group's function (raised to its pollers' maximum, as below). */
    reservedConcurrency: positiveInt.optional(),
    memoryMb: z.number().int().min(128).max(10240).optional(),
  })
  .strict();

/** Who hears of an alarm: the stack's alarm topic's subscribers, and other topics told directly. */
const Notify = z
  .object({
    /** Email addresses subscribed to the stack's alarm topic (each confirms by mail once). */
    emails: z.array(z.email("expected an email address")).default([]),
    /** HTTPS endpoints subscribed to the stack's alarm topic (a chat or paging webhook). */
    https: z.array(z.url({ protocol: /^https$/, error: "expected an https:// URL" })).default([]),
    /**
     * Existing SNS topics every alarm also notifies (an on-call team's topic). If one is
     * KMS-encrypted, its key must let CloudWatch use it (see docs/deploying.md).
     */
    topicArns: z.array(z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/, "expected an SNS topic ARN")).default([]),
  })
  .strict()
  .superRefine((notify, context) => {
    for (const key of ["emails", "https", "topicArns"] as const) {
      const seen = new Set<string>();
      notify[key].forEach((value, index) => {
        if (seen.has(value.toLowerCase())) context.addIssue({ code: "custom", path: [key, index], message: `${value} is listed twice; list each once` });
        seen.add(value.toLowerCase());
      });
    }
  });

const Alarms = z
  .object({
    /** Offset lag (records behind) that raises a group's lag alarms (per function and per group id). */
    offsetLag: positiveInt.default(10_000),
    /** Function errors per period that raise a group's error alarm. */
    errors: positiveInt.default(5),
    /** Records a group dead-letters per period that raise its dead-letter alarm. */
    deadLettered: positiveInt.default(1),
    /** Failed executions of a context's state machine per period that raise its alarm. */
    executionsFailed: positiveInt.default(1),
    /** Timed-out executions of a context's state machine per period that raise its alarm. */
    executionsTimedOut: positiveInt.default(1),
    /** Errors of a context's milestone publisher per period that raise its alarm. */
    publisherErrors: positiveInt.default(1),
    /** Percent of a broker's data volume in use that raises the cluster's disk alarm. */
    brokerDiskPercent: z.number().min(1).max(100).default(80),
    /** Minutes over which each alarm is evaluated. */
    periodMinutes: positiveInt.default(5),
    /** Consecutive periods before an alarm fires. */
    evaluationPeriods: positiveInt.default(3),
    notify: Notify.prefault({}),
  })
  .strict();

const Functions = z
  .object({
    /** Memory of every function unless a task or group sets its own, MB. */
    memoryMb: z.number().int().min(128).max(10240).default(FUNCTION_DEFAULTS.memoryMb),
    /** Timeout of every function unless a task sets its own, seconds. */
    timeoutSeconds: z.number().int().min(1).max(840).default(FUNCTION_DEFAULTS.timeoutSeconds),
    /**
     * Reserved concurrency of each consumer group's function, unless overridden per group; raised
     * to `maxPollers` x the group's event source mappings, so its pollers are never throttled.
     */
    consumerConcurrency: positiveInt.default(10),
    /**
     * Reserve concurrency for consumer functions at all. Off for an account whose Lambda
     * concurrency quota is low: AWS keeps 100 of it unreserved, so reservations can fail there.
     */
    reserveConcurrency: z.boolean().default(true),
    /**
     * The account's Lambda concurrency quota in this region. When set, the stack's reserved
     * concurrency must leave the 100 that Lambda keeps unreserved, or the program stops before
     * creating anything.
     */
    accountConcurrencyLimit: positiveInt.optional(),
    /**
     * Run task functions in the VPC's private subnets (the publisher and consumer groups always
     * are). They then reach AWS APIs only through the VPC's endpoints (`network.endpoints`) or NAT.
     */
    tasksInVpc: z.boolean().default(true),
    /**
     * Put the stack's event source mappings into shared provisioned poller groups (up to 100
     * mappings and 2,000 maximum pollers each), so they share event poller capacity and its cost
     * instead of each keeping its own. Off: every mapping has dedicated pollers.
     */
    sharedPollers: z.boolean().default(false),
  })
  .strict();

/** CloudWatch Logs' accepted retentions, days. */
const Retention = z.union(
  [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653].map((days) => z.literal(days)) as unknown as [z.ZodLiteral<number>, ...z.ZodLiteral<number>[]],
  { error: "expected a retention CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653" },
);

/** The stack's log groups (all encrypted with the stack's KMS key) and what state machines log. */
const Logs = z
  .object({
    /** Retention of every log group the stack creates, days. */
    retentionDays: Retention.default(LOG_RETENTION_DEFAULT_DAYS),
    /** What state machines log: `ALL` events, `ERROR` (failures only), `FATAL`, or `OFF`. */
    stateMachineLevel: z.enum(STATE_MACHINE_LOG_LEVELS).default(STATE_MACHINE_LOGS_DEFAULT.level),
    /** Include execution input and output in state machine logs (payloads can hold customer data). */
    stateMachineExecutionData: z.boolean().default(STATE_MACHINE_LOGS_DEFAULT.includeExecutionData),
  })
  .strict();

/** The stack's DynamoDB tables (each consumer group's idempotency table). */
const Tables = z
  .object({
    /** Refuse deletion of a table until this is turned off (`pulumi destroy` fails on it). */
    deletionProtection: z.boolean().default(true),
  })
  .strict();

/**
 * Export the platform's OpenTelemetry spans (publish, each record a group processes, executions
 * started, completed waits) from every Lambda: the AWS Distro for OpenTelemetry layer's handler
 * wrapper registers an SDK that the runtime's spans (`@opentelemetry/api`) then go to.
 */
const Tracing = z
  .object({
    openTelemetry: z
      .object({
        /** The ADOT Lambda layer for Node.js, by ARN (one per region and architecture, arm64 here). */
        layerArn: z.string().regex(/^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:[^:]+:\d+$/, "expected a Lambda layer version ARN"),
        /**
         * OTLP endpoint the spans go to; default: the layer's collector, which sends them to X-Ray
         * (through an X-Ray endpoint the stack adds to an endpoints-only VPC). One of your own must
         * be reachable from the VPC (a collector in it, or `network.egress: nat`).
         */
        endpoint: z.string().url().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** The `ensemble:*` keys of a stack's `Pulumi.<stack>.yaml`, with their defaults. */
export const StackConfig = z.object({
  network: Network.prefault({}),
  kafka: Kafka.prefault({}),
  functions: Functions.prefault({}),
  alarms: Alarms.prefault({}),
  /** Per consumer group (by name): scaling overrides. */
  consumers: z.record(z.string(), ConsumerOverride).default({}),
  logs: Logs.prefault({}),
  tables: Tables.prefault({}),
  tracing: Tracing.prefault({}),
});
export type StackConfig = z.output<typeof StackConfig>;

/** The keys `Pulumi.<stack>.yaml` may set under `ensemble:`. */
export const STACK_CONFIG_KEYS = Object.keys(StackConfig.shape) as (keyof StackConfig)[];

/** The keys each nested object accepts, for "did you mean" on a key it does not. */
const NESTED_KEYS: Record<string, readonly string[]> = {
  network: Object.keys(NetworkKeys.shape),
  kafka: Object.keys(Kafka.shape),
  functions: Object.keys(Functions.shape),
  alarms: Object.keys(Alarms.shape),
  consumers: Object.keys(ConsumerOverride.shape),
  logs: Object.keys(Logs.shape),
  tables: Object.keys(Tables.shape),
  tracing: Object.keys(Tracing.shape),
};

/** Keys that moved, so a stack file written for an earlier Ensemble gets the new place. */
const MOVED_KEYS: Record<string, string> = {
  logRetentionDays: "logs.retentionDays",
  "alarms.notifyTopicArn": "alarms.notify.topicArns (a list)",
};

/** Raised when `Pulumi.<stack>.yaml` holds a value the schema refuses; names each key. */
export class StackConfigError extends ModelError {
  constructor(stack: string, problems: readonly string[], options?: ErrorOptions) {
    super(`Pulumi.${stack}.yaml has invalid config:\n${problems.map((p) => `  - ${p}`).join("\n")}`, options);
    this.name = "StackConfigError";
  }
}

/** The settings of a stack with no `ensemble:*` keys (the local runtime's `local` stack). */
export function defaultStackConfig(): StackConfig {
  return StackConfig.parse({});
}

/**
 * Parses the raw `ensemble:*` values (as `pulumi.Config#getObject` returns them) and checks what
 * spans keys: brokers spread evenly over subnets, overrides only for groups that exist.
 */
export function parseStackConfig(stack: string, raw: Record<string, unknown>, groups: readonly string[] = []): StackConfig {
  const result = StackConfig.safeParse(raw);
  if (!result.success) {
    throw new StackConfigError(
      stack,
      result.error.issues.flatMap((issue) =>
        issue.code === "unrecognized_keys"
          ? issue.keys.map((key) => unknownKey([...issue.path.map(String), key]))
          : [`ensemble:${issue.path.join(".") || "(root)"}: ${issue.message}`],
      ),
    );
  }
  const config = result.data;
  const problems: string[] = [];
  const subnets = config.network.privateSubnetIds?.length ?? config.network.azCount;
  if (!config.kafka.existingClusterArn && config.kafka.brokers % subnets !== 0) {
    problems.push(
      `ensemble:kafka.brokers: ${config.kafka.brokers} brokers cannot spread evenly over ${subnets} subnets; MSK needs a multiple of ${subnets}.`,
    );
  }
  const replication = config.kafka.replicationFactor;
  if (replication !== undefined && !config.kafka.existingClusterArn && replication > config.kafka.brokers) {
    problems.push(`ensemble:kafka.replicationFactor: ${replication} is more than the ${config.kafka.brokers} brokers.`);
  }
  for (const [group, override] of Object.entries(config.consumers)) {
    if (groups.length > 0 && !groups.includes(group)) {
      problems.push(`ensemble:consumers.${group}: no consumer group "${group}" in consumers/ (groups: ${groups.join(", ")}).`);
    }
    const min = override.minPollers;
    const max = override.maxPollers;
    if (min !== undefined && max !== undefined && min > max) {
      problems.push(`ensemble:consumers.${group}: minPollers ${min} is greater than maxPollers ${max}.`);
    }
  }
  if (problems.length > 0) throw new StackConfigError(stack, problems);
  return config;
}

/** `ensemble:kafka.broker: not a setting of ensemble:kafka; did you mean ensemble:kafka.brokers? (known: ...)` */
function unknownKey(path: string[]): string {
  const moved = MOVED_KEYS[path.join(".")];
  if (moved) return `ensemble:${path.join(".")}: moved to ensemble:${moved}; set it there.`;
  const parent = path.slice(0, -1).join(".");
  const known = NESTED_KEYS[path[0]!] ?? [];
  const hint = closest(path.at(-1)!, known)[0];
  return `ensemble:${path.join(".")}: not a setting of ensemble:${parent}; ${hint ? `did you mean ensemble:${parent}.${hint}?` : "remove it"} (known: ${known.join(", ")}).`;
}

/** Replicas of every topic: as configured, else as many as brokers allow, up to 3. */
export function replicationFactor(config: StackConfig): number {
  return config.kafka.replicationFactor ?? Math.min(3, config.kafka.brokers);
}

/**
 * Reads the stack's `ensemble:*` keys from Pulumi's config map (`pulumi.runtime.allConfig()`:
 * keys `ensemble:<key>`, values as text, objects as JSON) and parses them; a key the schema
 * does not know is an error too, with the closest known key, so a typo never goes unnoticed.
 */
export function stackConfigFromPulumi(stack: string, all: Record<string, string>, groups: readonly string[] = []): StackConfig {
  const raw: Record<string, unknown> = {};
  const unknown: string[] = [];
  for (const [fullKey, text] of Object.entries(all)) {
    if (!fullKey.startsWith("ensemble:")) continue;
    const key = fullKey.slice("ensemble:".length);
    if (MOVED_KEYS[key]) {
      unknown.push(unknownKey([key]));
      continue;
    }
    if (!(STACK_CONFIG_KEYS as string[]).includes(key)) {
      const hint = closest(key, STACK_CONFIG_KEYS);
      unknown.push(`ensemble:${key}: not a setting of Ensemble${hint.length > 0 ? `; did you mean ensemble:${hint[0]}?` : ""} (known: ${STACK_CONFIG_KEYS.join(", ")}).`);
      continue;
    }
    raw[key] = parseValue(text);
  }
  if (unknown.length > 0) throw new StackConfigError(stack, unknown);
  return parseStackConfig(stack, raw, groups);
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
