/*
 * Injected: the broker is killed with SIGKILL (kill -9: no clean shutdown, nothing flushed or
 * handed over) in the middle of a stream of the orders context's milestones, then started again
 * on the same port with the same data. The real MilestonePublisher publishes without pause,
 * retrying a failed publish as the orders workflow's milestone Retry does. Three consumer groups
 * with their real settings — notify-customer, analytics and the slow audit-archive (one poller,
 * 25 ms an effect) — read the stream through emulated event source mappings and the real consume()
 * wrapper, once per reading of partial batch responses, side by side on the same stream.
 *
 * Why a redelivery is certain, not likely: each audit-archive group's invocation is held inside
 * the handler (after the records before it in the batch, before its own effect) until the broker
 * is dead, so none of that batch can have been committed. Released, the batch has its effects and
 * its commit fails; the broker is started again only once that group's Kafka consumer has crashed,
 * which drops the positions it held in memory, so it resumes from the committed offset, before the
 * batch whose effects were made, and the whole batch comes again.
 *
 * Observed, under each reading: milestone publishes failed during the outage and their retries
 * went through after it; every published event reached every group and had its effect exactly
 * once (effects counted per handler run, before any deduplication); every record of the held
 * batch was delivered to audit-archive again, and the wrapper skipped them as duplicates; nothing
 * reached a dead-letter topic; every group is current again. Figures:
 * test-results/failure-broker-kill.json.
 */
import type { Admin } from "kafkajs";
import analytics from "../../consumers/analytics/consumer";
import auditArchive from "../../consumers/audit-archive/consumer";
import { ARCHIVE_DELAY_MS } from "../../consumers/audit-archive/handler";
import notifyCustomer from "../../consumers/notify-customer/consumer";
import { PartialBatchReading } from "../../platform/local/event-source-mapping";
import { ensureTopics } from "../../platform/local/topics";
import { names } from "../../platform/model";
import { recordCount } from "../support/runtime";
import { Signal } from "../support/wait";
import { OwnedBroker, runId } from "./support/broker";
import { countEach, eventually, tally } from "./support/effects";
import { FigureFile } from "./support/figures";
import { CountedGroup, MilestoneStream } from "./support/stream";

jest.setTimeout(150_000);

/** The stack's function timeout: each invocation's Lambda deadline, and so the mappings' session timeout. */
const FUNCTION_TIMEOUT_SECONDS = 3;
/** Milestones a second: enough to have every group busy, few enough for audit-archive to catch up in seconds. */
const RATE = 15;
const CONSUMERS = [notifyCustomer, analytics, auditArchive];
const READINGS = Object.values(PartialBatchReading);
/** audit-archive's invocation is held after this many effects of its batch, before the next. */
const HELD_AFTER = 4;

describe("a broker killed with SIGKILL in the middle of a stream of milestones", () => {
  const signal = new Signal();
  const figures = new FigureFile("broker-kill", {
    injected: "SIGKILL of the single host broker mid-stream, restarted on the same port and data",
    functionTimeoutSeconds: FUNCTION_TIMEOUT_SECONDS,
    rate: RATE,
  });
  let broker: OwnedBroker;
  let admin: Admin;
  let stream: MilestoneStream | undefined;
  const groups: CountedGroup[] = [];

  beforeAll(async () => {
    broker = await OwnedBroker.start("kill");
    admin = broker.kafka("kill-admin").admin();
    await admin.connect();
    await ensureTopics(admin, [
      { name: names.contextTopic("orders"), purpose: "events", owner: "orders" },
      ...CONSUMERS.map((c) => ({ name: names.deadLetterTopic(c.name), purpose: "dead-letter" as const, owner: c.name })),
    ]);
  });

  afterAll(async () => {
    await stream?.stop();
    await Promise.all(groups.map((group) => group.stop()));
    await admin?.disconnect();
    await broker?.destroy();
  });

  it("loses no event, repeats no effect, and shows the redelivery it deduplicated, under both readings", async () => {
    // Prepare: per reading, the three groups (a stack of their own), then the stream
    const run = runId();
    const kafka = broker.kafka("kill");
    for (const reading of READINGS) {
      for (const consumer of CONSUMERS) {
        groups.push(
          new CountedGroup({
            kafka,
            consumer,
            stack: `kill-${run}-${reading === PartialBatchReading.FailedRecordsOnly ? "fro" : "cal"}`,
            partialBatchReading: reading,
            functionTimeoutSeconds: FUNCTION_TIMEOUT_SECONDS,
            signal,
            effectMs: consumer === auditArchive ? ARCHIVE_DELAY_MS : 0,
          }),
        );
      }
    }
    stream = new MilestoneStream({ kafka, prefix: `kill-${run}`, rate: RATE, signal });
    const audits = groups.filter((group) => group.name === auditArchive.name);

    // Act: the stream runs ahead, so audit-archive meets a backlog and takes full batches; each
    // audit-archive group's first invocation with more than HELD_AFTER records is held after their effects
    stream.start();
    await signal.until(() => stream!.published.length >= 2 * RATE, "a backlog of milestones", 30_000);
    for (const audit of audits) audit.gate.arm(HELD_AFTER);
    await Promise.all(groups.map((group) => group.start()));
    await signal.until(() => audits.every((group) => group.gate.held !== undefined), "an audit-archive invocation to be held under each reading", 30_000);
    const publishedBeforeKill = stream.published.length;

    // ...kill the broker under them, let them finish, and wait until their consumers have crashed
    const killedAt = Date.now();
    await broker.kill("SIGKILL");
    const releasedAt = Date.now();
    for (const audit of audits) audit.gate.release();
    await signal.until(
      () => audits.every((group) => group.crashes.some((at) => at > releasedAt)) && stream!.failedAttempts.some((f) => f.at > killedAt),
      "each audit-archive consumer to crash after its held batch, and a publish to fail",
      60_000,
      () => ({ crashes: audits.map((g) => g.crashes.length), failedAttempts: stream!.failedAttempts.length }),
    );
    const restartedAt = Date.now();
    await broker.restart();
    const servingAt = Date.now();

    // ...the stream goes on on the restarted broker; then every group catches up
    await signal.until(() => stream!.published.filter((p) => p.at > servingAt).length >= 2 * RATE, "milestones to be published after the restart", 60_000);
    await stream.stop();
    const published = stream.published.map((p) => p.eventId);
    await signal.until(() => groups.every((group) => group.hasEffectsFor(published)), "every group to have an effect for every published event", 90_000, () =>
      ({
        missing: groups.flatMap((g) => g.missing(stream!.published)).slice(0, 20),
        killedAt,
        releasedAt,
        restartedAt,
        servingAt,
        // Two acknowledged publishes at one place mean the broker lost the first in its crash.
        sharedPlaces: stream!.published.filter((p) => stream!.published.some((q) => q !== p && q.partition === p.partition && q.offset === p.offset)),
      }),
    );
    await eventually(() => Promise.all(groups.map((group) => group.lag())), (lags) => lags.every((lag) => lag === 0), "every group to commit to the end", 30_000);

    // Assess: the fault happened in the middle of the stream and was felt
    expect(publishedBeforeKill).toBeGreaterThan(0);
    expect(stream.failedAttempts.filter((f) => f.at > killedAt && f.at < servingAt).length).toBeGreaterThan(0);
    expect(stream.abandoned).toEqual([]);
    expect(new Set(published).size).toBe(published.length);

    for (const reading of READINGS) {
      const own = groups.filter((group) => group.reading === reading);
      for (const group of own) {
        // Assess: every published event reached the group, and had its effect exactly once
        expect({ group: group.groupId, effects: tally(group.effects.map((e) => e.id)) }).toEqual({ group: group.groupId, effects: { ids: [...published].sort(), repeated: [] } });
        expect({ group: group.groupId, delivered: [...new Set(group.deliveries.map((d) => d.id))].sort() }).toEqual({ group: group.groupId, delivered: [...published].sort() });
        // Assess: nothing was given up on
        expect({ group: group.groupId, onFailure: group.onFailure, deadLettered: group.stats.deadLettered, failed: group.stats.failed }).toEqual({
          group: group.groupId,
          onFailure: 0,
          deadLettered: 0,
          failed: 0,
        });
      }

      // Assess: the held batch came again, every record of it, and its second delivery was skipped
      const audit = own.find((group) => group.name === auditArchive.name)!;
      const held = audit.heldBatch!;
      const delivered = countEach(audit.deliveries.map((d) => d.id));
      expect({ reading, heldAt: held.indexOf(audit.gate.held!), deliveredAgain: held.filter((id) => delivered.get(id)! >= 2) }).toEqual({ reading, heldAt: HELD_AFTER, deliveredAgain: held });
      expect(audit.stats.duplicates).toBeGreaterThanOrEqual(held.length);

      figures.set(reading, {
        published: published.length,
        publishedBeforeKill,
        publishAttemptsFailed: stream.failedAttempts.length,
        heldBatch: held.length,
        groups: Object.fromEntries(own.map((group) => [group.name, group.figures(published)])),
      });
    }
    for (const consumer of CONSUMERS) expect({ dlq: consumer.name, records: await recordCount(admin, names.deadLetterTopic(consumer.name)) }).toEqual({ dlq: consumer.name, records: 0 });
    figures.set("timing", { outageMs: servingAt - killedAt, restartMs: servingAt - restartedAt, crashWaitMs: restartedAt - releasedAt });
  });
});
