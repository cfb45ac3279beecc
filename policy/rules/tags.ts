import type { PolicyConfigSchema, PolicyProviderResource, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf, REASON } from "../lib/define";

/**
 * The resource types this stack uses whose Args take `tags` (checked against @pulumi/aws's
 * declarations by test/unit/policy/tags.test.ts). A type the stack starts using goes here too.
 */
export const TAGGABLE_TYPES: ReadonlySet<string> = new Set([
  "aws:kms/key:Key",
  "aws:sns/topic:Topic",
  "aws:ec2/vpc:Vpc",
  "aws:ec2/subnet:Subnet",
  "aws:ec2/routeTable:RouteTable",
  "aws:ec2/securityGroup:SecurityGroup",
  "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
  "aws:ec2/vpcEndpoint:VpcEndpoint",
  "aws:ec2/flowLog:FlowLog",
  "aws:ec2/internetGateway:InternetGateway",
  "aws:ec2/eip:Eip",
  "aws:ec2/natGateway:NatGateway",
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  "aws:iam/role:Role",
  "aws:iam/policy:Policy",
  "aws:lambda/function:Function",
  "aws:lambda/eventSourceMapping:EventSourceMapping",
  "aws:cloudwatch/logGroup:LogGroup",
  "aws:cloudwatch/metricAlarm:MetricAlarm",
  "aws:cloudwatch/eventRule:EventRule",
  "aws:sqs/queue:Queue",
  "aws:dynamodb/table:Table",
  "aws:sfn/stateMachine:StateMachine",
  "aws:msk/cluster:Cluster",
]);

const tagsSchema: PolicyConfigSchema = {
  properties: {
    requiredTags: {
      type: "array",
      items: { type: "string" },
      uniqueItems: true,
      default: ["project", "stack", "owner"],
      description: "Tag keys every taggable resource carries, from its own tags or its provider's defaultTags.",
    },
    reason: REASON,
  },
};

export const tagPolicies: ResourceValidationPolicy[] = [
  {
    name: "required-tags",
    description:
      "Custom, in the spirit of Lambda.6, DynamoDB.5 and SNS.3 (requiredTagKeys): every taggable resource carries the tags project, stack and owner, from its own tags merged over its AWS provider's defaultTags, so cost and ownership can be traced.",
    enforcementLevel: "mandatory",
    configSchema: tagsSchema,
    validateResource: (args, report) => {
      if (!TAGGABLE_TYPES.has(args.type)) args.notApplicable(`${args.type} takes no tags`);
      const defaults = providerDefaultTags(args.provider);
      if (defaults === undefined) return;
      const tags: Record<string, unknown> = { ...defaults, ...(args.props.tags ?? {}) };
      const { requiredTags } = configOf<{ requiredTags: string[] }>(args, tagsSchema);
      const missing = requiredTags.filter((key) => typeof tags[key] !== "string" || tags[key] === "");
      if (missing.length > 0) {
        report(`${args.type} "${args.name}" has no ${missing.join(", ")} tag(s); set them in the AWS provider's defaultTags.tags (aws:defaultTags in Pulumi.<stack>.yaml) or in the resource's tags.`);
      }
    },
  },
];

/**
 * The AWS provider's default tags. Provider inputs arrive JSON-encoded (`'{"tags":{...}}'`) or as
 * an object; undefined when the value is a string that is not JSON yet (unknown during a preview).
 */
function providerDefaultTags(provider: PolicyProviderResource | undefined): Record<string, unknown> | undefined {
  const raw = provider?.props.defaultTags;
  if (raw === undefined || raw === null) return {};
  let value: unknown = raw;
  if (typeof raw === "string") {
    try {
      value = JSON.parse(raw);
    } catch {
      return undefined;
    }
  }
  const tags = (value as { tags?: unknown } | null)?.tags;
  return tags && typeof tags === "object" ? (tags as Record<string, unknown>) : {};
}
