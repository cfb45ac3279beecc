import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { TestResource } from "../../../support/policy";
import { type PolicyCase, variant } from "../run-case";

/** A function every Lambda policy accepts. */
const fn: TestResource = {
  type: "aws:lambda/function:Function",
  name: "OrdersReserveStock",
  inputs: {
    runtime: "nodejs22.x",
    handler: "index.handler",
    role: "arn:aws:iam::123456789012:role/orders-reserve-stock",
    packageType: "Zip",
    tracingConfig: { mode: "Active" },
    vpcConfig: { subnetIds: ["subnet-a", "subnet-b"], securityGroupIds: ["sg-functions"] },
  },
};

const permission: TestResource = {
  type: "aws:lambda/permission:Permission",
  name: "AlarmTopicInvoke",
  inputs: { action: "lambda:InvokeFunction", function: "notify", principal: "sns.amazonaws.com", sourceArn: "arn:aws:sns:eu-west-1:123456789012:alarms" },
};

/** A function with no tracing, invoked by an event source mapping on `eventSourceArn`. */
function mappedFunction(eventSourceArn: string): () => void {
  return () => {
    const code = new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset("exports.handler = async () => {};") });
    const consumer = new aws.lambda.Function("NotifyCustomer", { role: "arn:aws:iam::123456789012:role/notify", runtime: "nodejs22.x", handler: "index.handler", code });
    new aws.lambda.EventSourceMapping("NotifyCustomerMapping", { functionName: consumer.arn, eventSourceArn, startingPosition: "TRIM_HORIZON" });
  };
}

export const lambdaCases: PolicyCase[] = [
  { policy: "lambda-supported-runtime", title: "passes on nodejs22.x", resources: [fn] },
  { policy: "lambda-supported-runtime", title: "skips a container image", resources: [variant(fn, { packageType: "Image", runtime: undefined })] },
  {
    policy: "lambda-supported-runtime",
    title: "fails on a deprecated runtime",
    resources: [variant(fn, { runtime: "nodejs16.x" })],
    fails: 'Lambda function "OrdersReserveStock" uses runtime nodejs16.x, which is not supported; set runtime to one of',
  },
  { policy: "lambda-xray-active", title: "passes in Active mode", resources: [fn] },
  {
    policy: "lambda-xray-active",
    title: "fails in PassThrough mode",
    resources: [variant(fn, { "tracingConfig.mode": "PassThrough" })],
    fails: 'Lambda function "OrdersReserveStock" does not trace with X-Ray; set tracingConfig to { mode: "Active" }',
  },
  {
    policy: "lambda-xray-active",
    title: "exempts a function an MSK event source mapping invokes (X-Ray cannot trace those)",
    program: mappedFunction("arn:aws:kafka:eu-west-1:123456789012:cluster/prod-ensemble/5d7e1a2b-0c3d-4e5f-8a9b-0123456789ab-2"),
  },
  {
    policy: "lambda-xray-active",
    title: "fails for a function a DynamoDB stream invokes",
    program: mappedFunction("arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000"),
    fails: 'Lambda function "NotifyCustomer" does not trace with X-Ray',
  },
  { policy: "lambda-in-vpc", title: "passes with subnets and security groups", resources: [fn] },
  {
    policy: "lambda-in-vpc",
    title: "fails outside a VPC",
    resources: [variant(fn, { vpcConfig: undefined })],
    fails: 'Lambda function "OrdersReserveStock" does not run in a VPC; set vpcConfig.subnetIds',
  },
  { policy: "lambda-in-vpc", title: "fails without security groups", resources: [variant(fn, { "vpcConfig.securityGroupIds": [] })], fails: "does not run in a VPC" },
  { policy: "lambda-multi-az", title: "passes in two subnets", resources: [fn] },
  { policy: "lambda-multi-az", title: "does not apply outside a VPC", resources: [variant(fn, { vpcConfig: undefined })] },
  {
    policy: "lambda-multi-az",
    title: "fails in one subnet",
    resources: [variant(fn, { "vpcConfig.subnetIds": ["subnet-a"] })],
    fails: "runs in 1 subnet(s); give vpcConfig.subnetIds at least 2 subnets in different Availability Zones",
  },
  { policy: "lambda-permission-not-public", title: "passes for a service principal", resources: [permission] },
  {
    policy: "lambda-permission-not-public",
    title: 'fails for the principal "*"',
    resources: [variant(permission, { principal: "*" })],
    fails: 'Lambda permission "AlarmTopicInvoke" grants lambda:InvokeFunction to the principal "*", i.e. to anyone',
  },
  {
    policy: "lambda-permission-not-public",
    title: "fails for Amazon S3 without a source account",
    resources: [variant(permission, { principal: "s3.amazonaws.com", sourceArn: "arn:aws:s3:::uploads" })],
    fails: "lets Amazon S3 invoke the function for any bucket owner; set sourceAccount",
  },
];
