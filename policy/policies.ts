/**
 * Every policy of the pack, by area. Importing this module starts nothing: `index.ts` hands the
 * list to a PolicyPack (which serves it to the Pulumi CLI), and the tests evaluate it directly.
 */
import type { Policies } from "@pulumi/policy";
import { cloudwatchPolicies } from "./rules/cloudwatch";
import { dynamodbPolicies } from "./rules/dynamodb";
import { iamPolicies } from "./rules/iam";
import { kmsPolicies } from "./rules/kms";
import { lambdaPolicies } from "./rules/lambda";
import { mskPolicies } from "./rules/msk";
import { networkPolicies } from "./rules/network";
import { snsPolicies } from "./rules/sns";
import { stepFunctionsPolicies } from "./rules/step-functions";
import { tagPolicies } from "./rules/tags";

export { TAGGABLE_TYPES } from "./rules/tags";

export const policies: Policies = [
  ...mskPolicies,
  ...lambdaPolicies,
  ...stepFunctionsPolicies,
  ...dynamodbPolicies,
  ...cloudwatchPolicies,
  ...snsPolicies,
  ...kmsPolicies,
  ...networkPolicies,
  ...iamPolicies,
  ...tagPolicies,
];
