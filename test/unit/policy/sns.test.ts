import { snsCases } from "./cases/sns";
import { expectedMessages, messagesOf, rows } from "./run-case";

describe("the SNS policies", () => {
  it.each(rows(snsCases))("%s %s", async (_policy, _title, policyCase) => {
    // Prepare: the case's resources, under its stack's policy config (prod unless it says dev)

    // Act
    const messages = await messagesOf(policyCase);

    // Assess
    expect(messages).toEqual(expectedMessages(policyCase));
  });
});
