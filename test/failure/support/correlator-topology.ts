/*
 * The topology of the correlator-kill failure test, built the same in the test and in the
 * correlator's own process (correlator-process.ts) from one run suffix: a source context
 * publishing Ready, and a context whose workflow waits for Ready by key.
 */
import * as z from "zod";
import { defineContext, defineEvent, defineTopology, defineWorkflow, fail, succeed, validate, WAIT_TIMED_OUT, waitFor } from "../../../platform/model";

export function correlatorKillTopology(suffix: string, stack: string) {
  const Ready = defineEvent({ name: "Ready", schema: z.object({ key: z.string(), note: z.string() }) });
  const source = defineContext({ name: `src-${suffix}`, events: [Ready] });
  const waiter = defineContext({
    name: `wait-${suffix}`,
    events: [],
    workflow: defineWorkflow({
      StartAt: "AwaitReady",
      States: {
        AwaitReady: waitFor(source.events.Ready, { key: "$.key", timeoutSeconds: 300, resultPath: "$.ready", catch: { errors: [WAIT_TIMED_OUT], to: "NotReady" }, next: "Done" }),
        Done: succeed(),
        NotReady: fail("NotReady", "The awaited event did not come in time."),
      },
    }),
  });
  const topology = validate(defineTopology({ contexts: [source, waiter], consumers: [] }), { stack, checkFiles: false });
  return { source, waiter, topology };
}
