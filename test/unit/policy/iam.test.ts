import { iamCases } from "./cases/iam";
import { expectedMessages, messagesOf, rows } from "./run-case";

describe("the IAM policies", () => {
  it.each(rows(iamCases))("%s %s", async (_policy, _title, policyCase) => {
    // Prepare: the case's role policy, managed policy or role, under its stack's policy config (prod unless it says dev)

    // Act
    const messages = await messagesOf(policyCase);

    // Assess
    expect(messages).toEqual(expectedMessages(policyCase));
  });
});
