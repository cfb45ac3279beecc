import { mskCases } from "./cases/msk";
import { expectedMessages, messagesOf, rows } from "./run-case";

describe("the MSK policies", () => {
  it.each(rows(mskCases))("%s %s", async (_policy, _title, policyCase) => {
    // Prepare: the case's cluster, under its stack's policy config (prod unless it says dev)

    // Act
    const messages = await messagesOf(policyCase);

    // Assess
    expect(messages).toEqual(expectedMessages(policyCase));
  });
});
