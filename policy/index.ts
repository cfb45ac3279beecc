// The Ensemble baseline, for `pulumi preview --policy-pack policy --policy-pack-config policy/stacks/<stack>.json`.
// Constructing the pack starts the gRPC server the Pulumi CLI talks to; the policies live in policies.ts.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("ensemble-baseline", {
  policies,
  enforcementLevel: "mandatory",
  description: "Security baseline for Ensemble (MSK, Lambda, Step Functions, DynamoDB, CloudWatch, SNS, KMS, VPC, IAM, tags), mapped to Security Hub FSBP and Control Tower proactive controls.",
  provider: "aws",
  tags: ["security", "aws"],
});
