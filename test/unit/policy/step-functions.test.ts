import { stepFunctionsCases } from "./cases/step-functions";
import { expectedMessages, messagesOf, rows } from "./run-case";

describe("the Step Functions policies", () => {
  it.each(rows(stepFunctionsCases))("%s %s", async (_policy, _title, policyCase) => {
    // Prepare: the case's resources, under its stack's policy config (prod unless it says dev)

    // Act
    const messages = await messagesOf(policyCase);

    // Assess
    expect(messages).toEqual(expectedMessages(policyCase));
  });
});
