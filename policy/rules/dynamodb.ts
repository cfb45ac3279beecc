import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf, forTypes, REASON, subject } from "../lib/define";

const TABLE = "aws:dynamodb/table:Table";

const deletionProtectionSchema: PolicyConfigSchema = {
  properties: {
    required: {
      type: "boolean",
      default: true,
      description: "Whether tables must turn on deletion protection.",
    },
    reason: REASON,
  },
};

export const dynamodbPolicies: ResourceValidationPolicy[] = [
  {
    name: "dynamodb-point-in-time-recovery",
    description: "DynamoDB.2, CT.DYNAMODB.PR.1: a DynamoDB table has point-in-time recovery turned on (pointInTimeRecovery.enabled true).",
    enforcementLevel: "mandatory",
    validateResource: forTypes(TABLE, (props, args, report) => {
      if (props.pointInTimeRecovery?.enabled !== true) {
        report(`${subject("DynamoDB table", args)} has no point-in-time recovery; set pointInTimeRecovery to { enabled: true }.`);
      }
    }),
  },
  {
    name: "dynamodb-kms-encryption",
    description:
      "CT.DYNAMODB.PR.2: a DynamoDB table is encrypted at rest with an AWS KMS key (serverSideEncryption.enabled true; with kmsKeyArn a customer managed key, without it the AWS managed aws/dynamodb key).",
    enforcementLevel: "mandatory",
    validateResource: forTypes(TABLE, (props, args, report) => {
      if (props.serverSideEncryption?.enabled !== true) {
        report(`${subject("DynamoDB table", args)} is encrypted only with an AWS owned key; set serverSideEncryption to { enabled: true, kmsKeyArn: <a customer managed key> }.`);
      }
    }),
  },
  {
    name: "dynamodb-deletion-protection",
    description: "DynamoDB.6: a DynamoDB table has deletion protection (deletionProtectionEnabled true), unless the stack's config says it is not required.",
    enforcementLevel: "mandatory",
    configSchema: deletionProtectionSchema,
    validateResource: forTypes(TABLE, (props, args, report) => {
      const { required } = configOf<{ required: boolean }>(args, deletionProtectionSchema);
      if (required && props.deletionProtectionEnabled !== true) {
        report(`${subject("DynamoDB table", args)} can be deleted by a single call; set deletionProtectionEnabled to true.`);
      }
    }),
  },
];
