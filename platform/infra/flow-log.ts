import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { LOG_RETENTION_DEFAULT_DAYS } from "../model/security-baseline";
import type { LogSettings } from "./function";
import { roleName } from "./role-name";
import { type Transform, transform } from "./transform";

export interface VpcFlowLogArgs {
  /**
   * The VPC whose traffic is logged.
   * @example
   * vpcId: vpc.id
   */
  vpcId: pulumi.Input<string>;
  /**
   * Physical name the log group and the delivery role are named from.
   * @example
   * physicalName: "dev-EnsembleNetwork"
   */
  physicalName: string;
  /**
   * Retention and encryption of the flow log's log group.
   * @default kept 365 days, encrypted with CloudWatch Logs' own key
   * @example
   * logs: { retentionDays: 365, kmsKeyArn: key.arn }
   */
  logs?: LogSettings;
  /**
   * Edits the args of each resource the component creates, before it is created.
   * @default no change
   * @example
   * transform: { flowLog: { trafficType: "REJECT" } }
   */
  transform?: {
    flowLog?: Transform<aws.ec2.FlowLogArgs>;
    logGroup?: Transform<aws.cloudwatch.LogGroupArgs>;
    role?: Transform<aws.iam.RoleArgs>;
    policy?: Transform<aws.iam.RolePolicyArgs>;
  };
}

/**
 * VPC flow logs (accepted and rejected traffic) to a log group of their own, delivered by a role
 * that may write that log group only, and that only this account's flow logs may assume
 * ("IAM role for publishing flow logs to CloudWatch Logs",
 * https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html).
 *
 * @example
 * new VpcFlowLog("NetworkFlowLog", { vpcId: vpc.id, physicalName: "dev-EnsembleNetwork", logs: { kmsKeyArn: key.arn } });
 */
export class VpcFlowLog extends pulumi.ComponentResource {
  readonly nodes: { flowLog: aws.ec2.FlowLog; logGroup: aws.cloudwatch.LogGroup; role: aws.iam.Role; policy: aws.iam.RolePolicy };

  constructor(name: string, args: VpcFlowLogArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("ensemble:infra:VpcFlowLog", name, {}, opts);
    const parent = this;
    const account = aws.getCallerIdentityOutput({}, { parent }).accountId;
    const region = aws.getRegionOutput({}, { parent }).region;
    const partition = aws.getPartitionOutput({}, { parent }).partition;

    const logGroup = createLogGroup();
    const role = createRole();
    const policy = createPolicy();
    const flowLog = createFlowLog();

    this.nodes = { flowLog, logGroup, role, policy };
    this.registerOutputs({});

    function createLogGroup() {
      return new aws.cloudwatch.LogGroup(
        `${name}LogGroup`,
        transform(args.transform?.logGroup, `${name}LogGroup`, {
          name: `/aws/vpc-flow-logs/${args.physicalName}`,
          retentionInDays: args.logs?.retentionDays ?? LOG_RETENTION_DEFAULT_DAYS,
          kmsKeyId: args.logs?.kmsKeyArn,
        }),
        { parent },
      );
    }

    function createRole() {
      return new aws.iam.Role(
        `${name}Role`,
        transform(args.transform?.role, `${name}Role`, {
          name: roleName(args.physicalName.toLowerCase(), "flow-logs"),
          assumeRolePolicy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Principal: { Service: "vpc-flow-logs.amazonaws.com" },
                Action: "sts:AssumeRole",
                // Only this account's flow logs (the confused-deputy conditions of the page above).
                Condition: {
                  StringEquals: { "aws:SourceAccount": account },
                  ArnLike: { "aws:SourceArn": pulumi.interpolate`arn:${partition}:ec2:${region}:${account}:vpc-flow-log/*` },
                },
              },
            ],
          }),
        }),
        { parent },
      );
    }

    function createPolicy() {
      return new aws.iam.RolePolicy(
        `${name}Policy`,
        transform(args.transform?.policy, `${name}Policy`, {
          role: role.id,
          policy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "OwnLogGroup",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                Resource: [logGroup.arn, pulumi.interpolate`${logGroup.arn}:*`],
              },
              // A list action: it accepts no narrower resource.
              { Sid: "FindLogGroup", Effect: "Allow", Action: ["logs:DescribeLogGroups"], Resource: ["*"] },
            ],
          }),
        }),
        { parent },
      );
    }

    function createFlowLog() {
      return new aws.ec2.FlowLog(
        `${name}FlowLog`,
        transform(args.transform?.flowLog, `${name}FlowLog`, {
          vpcId: args.vpcId,
          trafficType: "ALL",
          logDestinationType: "cloud-watch-logs",
          logDestination: logGroup.arn,
          iamRoleArn: role.arn,
          maxAggregationInterval: 600,
          tags: { Name: args.physicalName },
        }),
        { parent, dependsOn: [policy] },
      );
    }
  }
}
