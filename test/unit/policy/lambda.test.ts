import { lambdaCases } from "./cases/lambda";
import { expectedMessages, messagesOf, rows } from "./run-case";

describe("the Lambda policies", () => {
  it.each(rows(lambdaCases))("%s %s", async (_policy, _title, policyCase) => {
    // Prepare: the case's function, permission or program of real resources under the mocks

    // Act
    const messages = await messagesOf(policyCase);

    // Assess
    expect(messages).toEqual(expectedMessages(policyCase));
  });
});
