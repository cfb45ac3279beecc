/*
 * Event identity: one id per milestone occurrence. The workflows below are declared with the
 * model's helpers and executed by the local executor (aws-local-stepfunctions, the definition as
 * deployed); the publisher computes each id as the real one does.
 */
import * as z from "zod";
import { LocalStateMachine } from "../../../platform/local/state-machine";
import { defineContext, defineEvent, defineWorkflow, findIssues, formatIssue, milestone, succeed, type Topology } from "../../../platform/model";
import { MilestoneErrors } from "../../../platform/runtime/errors";
import { MilestonePublisher } from "../../../platform/runtime/publisher";

const THIS_FILE = "test/unit/model/event-identity.test.ts";
const Packed = defineEvent({ name: "Packed", schema: z.object({ box: z.string() }) });
const Reminded = defineEvent({ name: "Reminded", schema: z.object({ orderId: z.string(), reminder: z.number() }) });

/** Records each publish (with its id) and answers as the publisher does; `fail` makes chosen attempts fail. */
function recordingPublisher(context: ReturnType<typeof defineContext>, fail?: (input: Record<string, unknown>) => Error | undefined) {
  const validator = new MilestonePublisher(context);
  const published: { id: string; input: Record<string, unknown> }[] = [];
  return {
    published,
    async publish(raw: unknown) {
      const input = raw as Record<string, unknown>;
      const error = fail?.(input);
      if (error) throw error;
      const id = validator.eventIdOf(input);
      published.push({ id, input });
      return { eventId: id, topic: `${context.name}.events`, partition: 0, offset: String(published.length - 1), alreadyPublished: false };
    },
  };
}

describe("event ids in nested Maps", () => {
  const workflow = defineWorkflow({
    StartAt: "Boxes",
    States: {
      Boxes: {
        Type: "Map",
        ItemsPath: "$.boxes",
        ItemSelector: { "box.$": "$$.Map.Item.Value" },
        ItemProcessor: {
          StartAt: "Items",
          States: {
            Items: {
              Type: "Map",
              ItemsPath: "$.box.items",
              ItemSelector: { "box.$": "$.box.name", "item.$": "$$.Map.Item.Value" },
              ItemProcessor: { StartAt: "Packed", States: { Packed: milestone(Packed, { key: "$.box", data: "$", end: true }) } },
              End: true,
            },
          },
        },
        End: true,
      },
    },
  });
  const context = defineContext({ name: "warehouse", events: [Packed], workflow });

  it("passes the full index path, so every item of every box has its own id", async () => {
    // Prepare: two boxes of three items
    const publisher = recordingPublisher(context);
    const machine = new LocalStateMachine(context, { stack: "local", publisher });
    const boxes = ["a", "b"].map((name) => ({ name, items: ["x", "y", "z"] }));

    // Act
    const execution = machine.start("nested-1", { boxes });
    await execution.done;

    // Assess: six events, six index paths, six ids (before, a nested Map's index overwrote the outer one: three ids)
    expect(execution.status).toBe("SUCCEEDED");
    expect(publisher.published.map((p) => p.input.mapIndex).sort()).toEqual(["0.0", "0.1", "0.2", "1.0", "1.1", "1.2"]);
    expect(new Set(publisher.published.map((p) => p.id)).size).toBe(6);
  });
});

describe("event ids in a loop", () => {
  const loop = (withOccurrence: boolean) =>
    defineWorkflow({
      StartAt: "Remind",
      States: {
        Remind: milestone(Reminded, { key: "$.orderId", ...(withOccurrence ? { occurrence: "$.reminder" } : {}), next: "Count" }),
        Count: { Type: "Pass", Parameters: { "orderId.$": "$.orderId", "reminder.$": "States.MathAdd($.reminder, 1)" }, Next: "Again" },
        Again: { Type: "Choice", Choices: [{ Variable: "$.reminder", NumericLessThan: 3, Next: "Remind" }], Default: "Done" },
        Done: succeed(),
      },
    });

  it("gives every pass through the milestone its own id, and a retry of a pass the same one", async () => {
    // Prepare: the second pass fails once, as a publish that timed out would
    const context = defineContext({ name: "payments", events: [Reminded], workflow: loop(true) });
    let failed = false;
    const publisher = recordingPublisher(context, (input) => {
      if ((input.data as { reminder: number }).reminder !== 1 || failed) return undefined;
      failed = true;
      return Object.assign(new Error("broker did not answer"), { name: MilestoneErrors.PublishFailed });
    });
    const machine = new LocalStateMachine(context, { stack: "local", publisher });

    // Act
    const execution = machine.start("loop-1", { orderId: "o-1", reminder: 0 });
    await execution.done;

    // Assess: three passes, three ids; the retried pass went out once, as its second attempt
    expect(execution.status).toBe("SUCCEEDED");
    expect(publisher.published.map((p) => [p.input.occurrence, p.input.attempt])).toEqual([
      [0, 0],
      [1, 1],
      [2, 0],
    ]);
    expect(new Set(publisher.published.map((p) => p.id)).size).toBe(3);
    expect(publisher.published[1]!.id).toBe(new MilestonePublisher(context).eventIdOf({ ...publisher.published[1]!.input, attempt: 0 }));
  });

  it("is refused by validate() without an occurrence, naming the state, its loop and the fix", () => {
    // Prepare
    const context = defineContext({ name: "payments", events: [Reminded], workflow: loop(false) });

    // Act
    const problems = findIssues({ contexts: [context], consumers: [] } as Topology).map(formatIssue);

    // Assess
    expect(problems).toEqual([
      `${THIS_FILE}: context "payments": milestone state "Remind" can be entered more than once in one execution (loop Remind → Count → Again → Remind), so its passes would publish the same event id and every pass after the first would be dropped as a duplicate. Fix: give it an occurrence that differs on every pass, e.g. milestone(Reminded, { ..., occurrence: "$.attempt" }) with a counter the loop increments.`,
    ]);
  });

  it("is refused too when the loop goes around the Map the milestone is in", () => {
    // Prepare: the milestone itself is not on a loop, but its Map is
    const workflow = defineWorkflow({
      StartAt: "Each",
      States: {
        Each: {
          Type: "Map",
          ItemsPath: "$.boxes",
          ItemSelector: { "box.$": "$$.Map.Item.Value" },
          ItemProcessor: { StartAt: "Packed", States: { Packed: milestone(Packed, { key: "$.box", end: true }) } },
          ResultPath: null,
          Next: "More",
        },
        More: { Type: "Choice", Choices: [{ Variable: "$.again", BooleanEquals: true, Next: "Each" }], Default: "Done" },
        Done: succeed(),
      },
    });
    const context = defineContext({ name: "warehouse", events: [Packed], workflow });

    // Act / Assess
    expect(findIssues({ contexts: [context], consumers: [] } as Topology).map(formatIssue)).toEqual([
      expect.stringContaining(`milestone state "Packed" can be entered more than once in one execution (loop Each → More → Each)`),
    ]);
  });
});

describe("a publisher that outlives its function timeout", () => {
  it("fails the milestone with Lambda.Unknown, as AWS reports a timed-out function, and the Retry publishes it again with the same id", async () => {
    // Prepare: the first attempt never answers (a stuck connection, a GC pause)
    const Placed = defineEvent({ name: "Placed", schema: z.object({ orderId: z.string() }) });
    const workflow = defineWorkflow({ StartAt: "Placed", States: { Placed: milestone(Placed, { key: "$.orderId", end: true }) } });
    const context = defineContext({ name: "shop", events: [Placed], workflow });
    const validator = new MilestonePublisher(context);
    const attempts: { input: Record<string, unknown>; remainingMs: number | undefined }[] = [];
    const failures: string[] = [];
    const machine = new LocalStateMachine(context, {
      stack: "local",
      functionTimeoutSeconds: 1,
      observer: { onEvent: (_, event) => void (event.type === "StateFailed" && failures.push(event.Error)) },
      publisher: {
        async publish(raw, options) {
          const input = raw as Record<string, unknown>;
          attempts.push({ input, remainingMs: options?.remainingMs });
          if (attempts.length === 1) await new Promise(() => {});
          return { eventId: validator.eventIdOf(input), topic: "shop.events", partition: 0, offset: "0", alreadyPublished: false };
        },
      },
    });

    // Act
    const execution = machine.start("stuck-1", { orderId: "o-1" });
    await execution.done;

    // Assess: cut off after the function's 1 s, retried on Lambda.Unknown, published by the second attempt with the same id
    expect(failures).toEqual(["Lambda.Unknown"]);
    expect(execution.status).toBe("SUCCEEDED");
    expect(attempts.map((a) => [a.input.attempt, a.remainingMs])).toEqual([
      [0, 1000],
      [1, 1000],
    ]);
    expect(validator.eventIdOf(attempts[1]!.input)).toBe(validator.eventIdOf(attempts[0]!.input));
  });
});

describe("event ids across a redrive", () => {
  it("publishes the redriven milestone with the id its failed attempts had, as a redrive (so the publisher looks first)", async () => {
    // Prepare: the milestone fails with an error no Retry covers, so the execution fails there
    const Placed = defineEvent({ name: "Placed", schema: z.object({ orderId: z.string() }) });
    const workflow = defineWorkflow({
      StartAt: "Prepare",
      States: {
        Prepare: { Type: "Pass", Next: "Placed" },
        Placed: milestone(Placed, { key: "$.orderId", next: "Done" }),
        Done: succeed(),
      },
    });
    const context = defineContext({ name: "shop", events: [Placed], workflow });
    let broken = true;
    const attempts: Record<string, unknown>[] = [];
    const publisher = recordingPublisher(context, (input) => {
      attempts.push(input);
      return broken ? Object.assign(new Error("the broker's disk is full"), { name: "Broker.DiskFull" }) : undefined;
    });
    const machine = new LocalStateMachine(context, { stack: "local", publisher });
    const execution = machine.start("redrive-1", { orderId: "o-9" });
    await execution.done;
    const failedWith = execution.error;

    // Act: fixed, then redriven
    broken = false;
    const redriven = await machine.redrive("redrive-1");
    await redriven.done;

    // Assess: the same execution, resumed at the milestone; published once, with the failed attempt's id
    expect(failedWith).toEqual({ name: "Broker.DiskFull", message: "the broker's disk is full" });
    expect(redriven).toBe(execution);
    expect(execution.status).toBe("SUCCEEDED");
    expect(attempts.map((a) => [a.state, a.redriveCount, a.attempt, a.executionStartTime === attempts[0]!.executionStartTime])).toEqual([
      ["Placed", 0, 0, true],
      ["Placed", 1, 0, true],
    ]);
    expect(publisher.published).toHaveLength(1);
    expect(publisher.published[0]!.id).toBe(new MilestonePublisher(context).eventIdOf(attempts[0]));
    await expect(machine.redrive("redrive-1")).rejects.toMatchObject({ name: "ExecutionNotRedrivable" });
  });
});
