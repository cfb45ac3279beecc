import type { TestResource } from "../../../support/policy";
import { type PolicyCase, variant } from "../run-case";

const ACCOUNT_ROOT = "arn:aws:iam::123456789012:root";

const keyPolicy = (...statements: Record<string, unknown>[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });

/** Key administration for the account, grants only for AWS services, and CloudWatch's use through a condition. */
const strictPolicy = keyPolicy(
  { Sid: "AccountAdministers", Effect: "Allow", Principal: { AWS: ACCOUNT_ROOT }, Action: ["kms:Describe*", "kms:Get*", "kms:List*", "kms:Put*", "kms:Enable*", "kms:Update*"], Resource: "*" },
  { Sid: "GrantsForAwsResources", Effect: "Allow", Principal: { AWS: ACCOUNT_ROOT }, Action: ["kms:CreateGrant"], Resource: "*", Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } } },
  { Sid: "CloudWatchAlarms", Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" }, Action: ["kms:Decrypt", "kms:GenerateDataKey*"], Resource: "*" },
);

const key: TestResource = { type: "aws:kms/key:Key", name: "EnsembleKey", inputs: { description: "Ensemble data", enableKeyRotation: true, policy: strictPolicy } };

export const kmsCases: PolicyCase[] = [
  { policy: "kms-key-rotation", title: "passes with rotation on", resources: [key] },
  { policy: "kms-key-rotation", title: "does not apply to an asymmetric key", resources: [variant(key, { customerMasterKeySpec: "RSA_2048", keyUsage: "SIGN_VERIFY", enableKeyRotation: undefined })] },
  {
    policy: "kms-key-rotation",
    title: "fails with rotation off",
    resources: [variant(key, { enableKeyRotation: undefined })],
    fails: 'KMS key "EnsembleKey" never rotates its key material; set enableKeyRotation to true',
  },
  { policy: "kms-key-policy-not-public", title: "passes when only the account and a service are principals", resources: [key] },
  { policy: "kms-key-policy-not-public", title: "passes without a policy of its own (AWS's default key policy)", resources: [variant(key, { policy: undefined })] },
  {
    policy: "kms-key-policy-not-public",
    title: 'passes with the principal "*" under a condition',
    resources: [variant(key, { policy: keyPolicy({ Sid: "Org", Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc123" } } }) })],
  },
  {
    policy: "kms-key-policy-not-public",
    title: 'fails when kms:* is allowed to "*"',
    resources: [variant(key, { policy: keyPolicy({ Sid: "Everyone", Effect: "Allow", Principal: { AWS: "*" }, Action: "kms:*", Resource: "*" }) })],
    fails: 'KMS key "EnsembleKey" key policy statement "Everyone" allows kms:* to the principal "*" without a condition',
  },
  {
    policy: "kms-key-policy-not-public",
    title: 'fails when "*" is allowed to "*"',
    resources: [variant(key, { policy: keyPolicy({ Effect: "Allow", Principal: "*", Action: "*", Resource: "*" }) })],
    fails: 'key policy statement #1 allows * to the principal "*" without a condition',
  },
  { policy: "kms-key-policy-grants-for-aws-resources", title: "passes when grants are conditioned on kms:GrantIsForAWSResource", resources: [key] },
  {
    policy: "kms-key-policy-grants-for-aws-resources",
    title: "passes with kms:* for the account when CT.KMS.PR.3's deny statement is there",
    resources: [
      variant(key, {
        policy: keyPolicy(
          { Sid: "Account", Effect: "Allow", Principal: { AWS: ACCOUNT_ROOT }, Action: "kms:*", Resource: "*" },
          {
            Sid: "CTKMSPR3",
            Effect: "Deny",
            Principal: { AWS: "*" },
            Action: "kms:CreateGrant",
            Resource: "*",
            Condition: { BoolIfExists: { "kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false" } },
          },
        ),
      }),
    ],
  },
  {
    policy: "kms-key-policy-grants-for-aws-resources",
    title: "fails when kms:* lets the account create any grant",
    resources: [variant(key, { policy: keyPolicy({ Sid: "Account", Effect: "Allow", Principal: { AWS: ACCOUNT_ROOT }, Action: "kms:*", Resource: "*" }) })],
    fails: 'key policy statement "Account" lets account principals create grants for any grantee; add "Condition": { "Bool": { "kms:GrantIsForAWSResource": "true" } }',
  },
];
