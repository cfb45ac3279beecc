import type { TestResource } from "../../../support/policy";
import { type PolicyCase, variant } from "../run-case";

/** A table every DynamoDB policy accepts. */
const table: TestResource = {
  type: "aws:dynamodb/table:Table",
  name: "IdempotencyTable",
  inputs: {
    billingMode: "PAY_PER_REQUEST",
    hashKey: "id",
    attributes: [{ name: "id", type: "S" }],
    pointInTimeRecovery: { enabled: true },
    serverSideEncryption: { enabled: true, kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" },
    deletionProtectionEnabled: true,
  },
};

export const dynamodbCases: PolicyCase[] = [
  { policy: "dynamodb-point-in-time-recovery", title: "passes with point-in-time recovery", resources: [table] },
  {
    policy: "dynamodb-point-in-time-recovery",
    title: "fails without point-in-time recovery",
    resources: [variant(table, { pointInTimeRecovery: undefined })],
    fails: 'DynamoDB table "IdempotencyTable" has no point-in-time recovery; set pointInTimeRecovery to { enabled: true }',
  },
  { policy: "dynamodb-kms-encryption", title: "passes with KMS encryption", resources: [table] },
  {
    policy: "dynamodb-kms-encryption",
    title: "fails with only the AWS owned key",
    resources: [variant(table, { "serverSideEncryption.enabled": false })],
    fails: "is encrypted only with an AWS owned key; set serverSideEncryption to { enabled: true",
  },
  { policy: "dynamodb-deletion-protection", title: "passes with deletion protection", resources: [table] },
  {
    policy: "dynamodb-deletion-protection",
    title: "fails in prod without deletion protection",
    resources: [variant(table, { deletionProtectionEnabled: undefined })],
    fails: 'DynamoDB table "IdempotencyTable" can be deleted by a single call; set deletionProtectionEnabled to true',
  },
  { policy: "dynamodb-deletion-protection", title: "passes in dev without deletion protection (exception)", stack: "dev", resources: [variant(table, { deletionProtectionEnabled: false })] },
];
