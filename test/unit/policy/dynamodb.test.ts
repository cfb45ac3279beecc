import { dynamodbCases } from "./cases/dynamodb";
import { expectedMessages, messagesOf, rows } from "./run-case";

describe("the DynamoDB policies", () => {
  it.each(rows(dynamodbCases))("%s %s", async (_policy, _title, policyCase) => {
    // Prepare: the case's resources, under its stack's policy config (prod unless it says dev)

    // Act
    const messages = await messagesOf(policyCase);

    // Assess
    expect(messages).toEqual(expectedMessages(policyCase));
  });
});
