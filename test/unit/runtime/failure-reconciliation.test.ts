import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { billing } from "../../../contexts";
import { FAILURE_STATE, RECONCILE_FAILURES_INPUT } from "../../../platform/model";
import { RECONCILE_LOOKBACK_SECONDS } from "../../../platform/model/failure-milestone";
import { isReconcileRequest, reconcileFailures } from "../../../platform/runtime/failure-backstop";
import type { MilestoneInput } from "../../../platform/runtime/publisher";

const MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:dev-billing";
const NOW = Date.parse("2026-12-07T12:00:00.000Z");
const exec = (name: string) => `arn:aws:states:eu-west-1:123456789012:execution:dev-billing:${name}`;
const input = (orderId: string) => JSON.stringify({ orderId, customerId: "c-1", totalCents: 5_000, currency: "NOK" });

describe("the reconciliation of failed executions (EventBridge delivers status changes best effort)", () => {
  const sfn = mockClient(SFNClient);
  beforeEach(() => sfn.reset());

  it("publishes the failure milestone of each execution that stopped within the lookback, as a repeat, and pages back only as far as an execution can run", async () => {
    // Prepare: FAILED: one recent (page 1), one stopped before the lookback (page 2); TIMED_OUT: one recent; ABORTED: none.
    sfn
      .on(ListExecutionsCommand, { stateMachineArn: MACHINE, statusFilter: "FAILED", nextToken: undefined })
      .resolves({ executions: [{ executionArn: exec("recent"), stateMachineArn: MACHINE, name: "recent", status: "FAILED", startDate: new Date(NOW - 600_000), stopDate: new Date(NOW - 60_000) }], nextToken: "page-2" })
      .on(ListExecutionsCommand, { stateMachineArn: MACHINE, statusFilter: "FAILED", nextToken: "page-2" })
      .resolves({
        executions: [
          { executionArn: exec("old"), stateMachineArn: MACHINE, name: "old", status: "FAILED", startDate: new Date(NOW - 7_200_000), stopDate: new Date(NOW - (RECONCILE_LOOKBACK_SECONDS + 60) * 1000) },
          // Started longer ago than a billing execution may run (its TimeoutSeconds): nothing older can have stopped recently.
          { executionArn: exec("ancient"), stateMachineArn: MACHINE, name: "ancient", status: "FAILED", startDate: new Date(NOW - 9 * 86_400_000), stopDate: new Date(NOW - 8.5 * 86_400_000) },
        ],
        nextToken: "page-3",
      })
      .on(ListExecutionsCommand, { stateMachineArn: MACHINE, statusFilter: "TIMED_OUT" })
      .resolves({ executions: [{ executionArn: exec("slow"), stateMachineArn: MACHINE, name: "slow", status: "TIMED_OUT", startDate: new Date(NOW - 900_000), stopDate: new Date(NOW - 120_000) }] })
      .on(ListExecutionsCommand, { stateMachineArn: MACHINE, statusFilter: "ABORTED" })
      .resolves({ executions: [] });
    sfn
      .on(DescribeExecutionCommand, { executionArn: exec("recent") })
      .resolves({ executionArn: exec("recent"), stateMachineArn: MACHINE, status: "FAILED", startDate: new Date(NOW - 600_000), stopDate: new Date(NOW - 60_000), input: input("o-1"), error: "UnsupportedCurrency", cause: "no rate" })
      .on(DescribeExecutionCommand, { executionArn: exec("slow") })
      .resolves({ executionArn: exec("slow"), stateMachineArn: MACHINE, status: "TIMED_OUT", startDate: new Date(NOW - 900_000), stopDate: new Date(NOW - 120_000), input: input("o-2") });
    const sent: MilestoneInput[] = [];

    // Act: the first was published by its Announce state already; the second was not.
    const result = await reconcileFailures(billing, async (failed) => (sent.push(failed), { alreadyPublished: failed.key === "o-1" }), { sfn: sfn as unknown as SFNClient, stateMachineArn: MACHINE, now: NOW });

    // Assess
    expect(result).toEqual({ checked: 2, published: 1 });
    expect(sent.map((s) => [s.key, s.state, s.attempt, s.executionId, (s.data as { reason: string }).reason])).toEqual([
      ["o-1", FAILURE_STATE, 1, exec("recent"), "UnsupportedCurrency"],
      ["o-2", FAILURE_STATE, 1, exec("slow"), "Execution.TIMED_OUT"],
    ]);
    expect(sfn.commandCalls(DescribeExecutionCommand).map((c) => c.args[0].input.executionArn)).toEqual([exec("recent"), exec("slow")]);
    expect(sfn.commandCalls(ListExecutionsCommand).map((c) => [c.args[0].input.statusFilter, c.args[0].input.nextToken])).toEqual([
      ["FAILED", undefined],
      ["FAILED", "page-2"],
      ["TIMED_OUT", undefined],
      ["ABORTED", undefined],
    ]);
    expect(isReconcileRequest(RECONCILE_FAILURES_INPUT)).toBe(true);
    expect(isReconcileRequest({ "detail-type": "Scheduled Event" })).toBe(false);
  });

  it("says what is missing when the publisher has no state machine to reconcile", async () => {
    await expect(reconcileFailures(billing, async () => ({ alreadyPublished: false }), { sfn: sfn as unknown as SFNClient })).rejects.toThrow(/has no ENSEMBLE_STATE_MACHINE_ARN; redeploy the stack/);
  });
});
