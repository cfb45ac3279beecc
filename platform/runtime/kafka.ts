import { FunctionEnvironment } from "../model/function-environment";
import { generateAuthToken } from "aws-msk-iam-sasl-signer-js";
import { type Consumer, Kafka, type KafkaConfig, logLevel, Partitioners, type Producer, type ProducerRecord, type RecordMetadata } from "kafkajs";
import { RuntimeConfigError } from "./errors";

export const KafkaAuth = {
  /** Plaintext, no authentication: the local broker. */
  None: "none",
  /** TLS + SASL/OAUTHBEARER with an MSK IAM token: Amazon MSK with IAM auth. */
  Iam: "iam",
} as const;
export type KafkaAuth = (typeof KafkaAuth)[keyof typeof KafkaAuth];

export interface KafkaSettings {
  readonly brokers: readonly string[];
  readonly auth: KafkaAuth;
  /** Region of the MSK cluster, for IAM tokens. */
  readonly region?: string | undefined;
  readonly clientId: string;
}

/**
 * Kafka settings from the environment the infra sets on each Lambda:
 * `ENSEMBLE_KAFKA_BROKERS` (or `KAFKA_BROKERS` locally), `ENSEMBLE_KAFKA_AUTH` (`iam` | `none`,
 * default `none`) and `AWS_REGION`.
 */
export function kafkaSettingsFromEnv(clientId: string, env: NodeJS.ProcessEnv = process.env): KafkaSettings {
  const list = env[FunctionEnvironment.KafkaBrokers] ?? env.KAFKA_BROKERS;
  if (!list) {
    throw new RuntimeConfigError(
      `${clientId}: no Kafka brokers configured. Set ${FunctionEnvironment.KafkaBrokers} (the infra does on AWS) or KAFKA_BROKERS locally.`,
    );
  }
  const auth = (env[FunctionEnvironment.KafkaAuth] ?? KafkaAuth.None) as KafkaAuth;
  if (!Object.values(KafkaAuth).includes(auth)) {
    throw new RuntimeConfigError(
      `${clientId}: ${FunctionEnvironment.KafkaAuth}="${auth}" is not one of ${Object.values(KafkaAuth).join(", ")}. ` +
        `Set ${FunctionEnvironment.KafkaAuth}=iam for Amazon MSK with IAM auth (the infra does), or unset it (none) for a plaintext local broker.`,
    );
  }
  if (auth === KafkaAuth.Iam && !env.AWS_REGION) {
    throw new RuntimeConfigError(
      `${clientId}: ${FunctionEnvironment.KafkaAuth}=iam needs AWS_REGION for the MSK IAM token. Set AWS_REGION to the cluster's region (Lambda sets it on AWS).`,
    );
  }
  return {
    brokers: list.split(",").map((b) => b.trim()).filter(Boolean),
    auth,
    region: env.AWS_REGION,
    clientId,
  };
}

/**
 * Timeouts and retries of every Kafka client the runtime makes, chosen for a Lambda that must
 * give up, with a named error, well before its own timeout rather than be killed mid-request.
 * kafkajs' defaults (a 30 s request timeout, backoff growing to 30 s) would outlast most function
 * timeouts. A client retries within ~4 s of backoff (100 ms doubling, at most 2 s a step, 5
 * retries) plus its requests; callers with a deadline (the publisher) bound the whole of it.
 */
export const CLIENT_TIMEOUTS = {
  /** TCP + TLS connect to a broker. */
  connectionTimeoutMs: 3_000,
  /** SASL (MSK IAM) handshake. */
  authenticationTimeoutMs: 3_000,
  /** One request, e.g. a produce waiting for `acks: -1`. */
  requestTimeoutMs: 5_000,
  retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: 5 },
} as const;

/** The kafkajs configuration for the settings: plaintext locally, TLS + IAM on MSK. */
export function kafkaConfig(settings: KafkaSettings): KafkaConfig {
  const base: KafkaConfig = {
    clientId: settings.clientId,
    brokers: [...settings.brokers],
    logLevel: logLevel.WARN,
    connectionTimeout: CLIENT_TIMEOUTS.connectionTimeoutMs,
    authenticationTimeout: CLIENT_TIMEOUTS.authenticationTimeoutMs,
    requestTimeout: CLIENT_TIMEOUTS.requestTimeoutMs,
    retry: { ...CLIENT_TIMEOUTS.retry },
  };
  if (settings.auth === KafkaAuth.None) return base;
  const region = settings.region!;
  return {
    ...base,
    ssl: true,
    sasl: {
      mechanism: "oauthbearer",
      oauthBearerProvider: async () => ({ value: (await generateAuthToken({ region })).token }),
    },
  };
}

export function createKafka(settings: KafkaSettings): Kafka {
  return new Kafka(kafkaConfig(settings));
}

/**
 * An idempotent producer (acks=all, one request in flight so retries cannot reorder) with
 * Java-compatible partitioning, so a key lands on the partition any Kafka tool expects.
 */
export function createIdempotentProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
}

/**
 * One idempotent producer for a container: it connects once, on first use, and sends one request
 * at a time; a send that fails drops the producer, so the next send gets a new producer id.
 *
 * That is a workaround for a kafkajs bug in our path (tulios/kafkajs#1005, open): an idempotent
 * kafkajs producer takes a partition's next sequence number when a send starts, and gives it back
 * when the send fails. When the broker had appended that batch and only the answer was lost (a
 * broker stopped or killed, a leader moved, a timeout), the next, different record goes out with
 * the same sequence, the broker answers it as a duplicate with the first record's offset, and it
 * is never written: a lost event reported as sent. Two sends in flight at once mix sequences up
 * the same way, so sends wait in one queue, in order, also across an `abandon()`: the sends
 * queued behind an abandoned one go first on the next producer, never beside later ones.
 * `test/integration/shared-producer.test.ts` reproduces each case and pins this fix.
 */
export class SharedProducer {
  private connecting: Promise<Producer> | undefined;
  /** Sends not started yet, in the order they were made. */
  private readonly waiting: (() => void)[] = [];
  /** The send in flight on the current producer, if any; the next one starts when it settles or is abandoned. */
  private inFlight: symbol | undefined;

  constructor(private readonly create: () => Producer) {}

  get(): Promise<Producer> {
    this.connecting ??= (async () => {
      const producer = this.create();
      await producer.connect();
      return producer;
    })().catch((error: unknown) => {
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }

  /** Sends `record` after the sends before it; on failure the producer is dropped (see above). */
  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push(() => void this.sendNow(record).then(resolve, reject));
      this.startNext();
    });
  }

  async disconnect(): Promise<void> {
    const connecting = this.connecting;
    this.connecting = undefined;
    if (connecting) await (await connecting.catch(() => undefined))?.disconnect();
  }

  /**
   * Drops the producer without waiting: its retries stop, and the next send goes out on a new one
   * rather than wait behind a send that may never answer.
   */
  abandon(): void {
    this.inFlight = undefined;
    void this.disconnect().catch(() => {});
    this.startNext();
  }

  private startNext(): void {
    if (this.inFlight !== undefined) return;
    const next = this.waiting.shift();
    if (!next) return;
    this.inFlight = Symbol("send");
    next();
  }

  private async sendNow(record: ProducerRecord): Promise<RecordMetadata[]> {
    const turn = this.inFlight;
    const connecting = this.get();
    try {
      const producer = await connecting;
      try {
        return await producer.send(record);
      } catch (error) {
        // Only if it is still the current one: a newer producer may already have replaced it.
        if (this.connecting === connecting) this.abandon();
        throw error;
      } finally {
        // Abandoned while this send was in flight: its retries may have connected it again after
        // abandon() disconnected it, and nothing else would close that connection.
        if (this.connecting !== connecting) void producer.disconnect().catch(() => {});
      }
    } finally {
      // An abandoned send no longer holds the queue: the send after it has already started.
      if (this.inFlight === turn) {
        this.inFlight = undefined;
        this.startNext();
      }
    }
  }
}

/** Resolves once `consumer` first joined its group, after `onJoin` ran; rejects if it crashes first. */
export function whenJoined(consumer: Consumer, onJoin: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const offJoin = consumer.on(consumer.events.GROUP_JOIN, () => (offJoin(), offCrash(), onJoin(), resolve()));
    const offCrash = consumer.on(consumer.events.CRASH, ({ payload }) => (offJoin(), offCrash(), reject(payload.error)));
  });
}
