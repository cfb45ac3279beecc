import type { PolicyConfigSchema, PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { configOf, forTypes, list, REASON, subject } from "../lib/define";

const FUNCTION = "aws:lambda/function:Function";
const PERMISSION = "aws:lambda/permission:Permission";
const EVENT_SOURCE_MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping";

/** Lambda.2's list of supported runtimes (Security Hub, when this pack was written). */
export const SUPPORTED_RUNTIMES = [
  "dotnet8",
  "java25",
  "java21",
  "java17",
  "java11",
  "java8.al2",
  "nodejs24.x",
  "nodejs22.x",
  "nodejs20.x",
  "python3.14",
  "python3.13",
  "python3.12",
  "python3.11",
  "python3.10",
  "ruby3.4",
  "ruby3.3",
  "ruby3.2",
];

const runtimeSchema: PolicyConfigSchema = {
  properties: {
    runtimes: {
      type: "array",
      items: { type: "string" },
      default: SUPPORTED_RUNTIMES,
      description: "The runtimes a zip-packaged function may use; drop one as soon as AWS deprecates it.",
    },
    reason: REASON,
  },
};

const multiAzSchema: PolicyConfigSchema = {
  properties: {
    minimumSubnets: {
      type: "integer",
      minimum: 2,
      default: 2,
      description: "The fewest subnets (one per AZ) a function in a VPC may be placed in (Lambda.5's availabilityZones).",
    },
    reason: REASON,
  },
};

export const lambdaPolicies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  {
    name: "lambda-supported-runtime",
    description: "Lambda.2: a zip-packaged Lambda function uses a runtime AWS still supports (a configurable list; container images are not checked).",
    enforcementLevel: "mandatory",
    configSchema: runtimeSchema,
    validateResource: forTypes(FUNCTION, (props, args, report) => {
      if (props.packageType === "Image") return;
      const { runtimes } = configOf<{ runtimes: string[] }>(args, runtimeSchema);
      if (!runtimes.includes(props.runtime)) {
        report(`${subject("Lambda function", args)} uses runtime ${props.runtime ?? "(none)"}, which is not supported; set runtime to one of ${runtimes.join(", ")} (nodejs22.x for this project).`);
      }
    }),
  },
  {
    name: "lambda-xray-active",
    description:
      "Lambda.7: a Lambda function traces with X-Ray in Active mode, except a function an Amazon MSK, self-managed Kafka, Amazon MQ or DocumentDB event source mapping invokes, for which AWS documents that X-Ray tracing is not supported.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
      const exempt = new Set(args.resources.filter(isUntraceableSource).flatMap((mapping) => targetsOf(mapping, args.resources)));
      for (const fn of args.resources.filter((r) => r.type === FUNCTION)) {
        if (fn.props.tracingConfig?.mode === "Active" || exempt.has(fn)) continue;
        report(`${subject("Lambda function", fn)} does not trace with X-Ray; set tracingConfig to { mode: "Active" }.`, fn.urn);
      }
    },
  },
  {
    name: "lambda-in-vpc",
    description: "Lambda.3, CT.LAMBDA.PR.3: a Lambda function runs in a customer-managed VPC (vpcConfig with non-empty subnetIds and securityGroupIds).",
    enforcementLevel: "mandatory",
    validateResource: forTypes(FUNCTION, (props, args, report) => {
      const vpc = props.vpcConfig;
      if (list(vpc?.subnetIds).length === 0 || list(vpc?.securityGroupIds).length === 0) {
        report(`${subject("Lambda function", args)} does not run in a VPC; set vpcConfig.subnetIds (private subnets) and vpcConfig.securityGroupIds.`);
      }
    }),
  },
  {
    name: "lambda-multi-az",
    description: "Lambda.5: a Lambda function in a VPC is placed in at least the configured number of subnets (default 2), one per Availability Zone, so an AZ outage does not stop it.",
    enforcementLevel: "mandatory",
    configSchema: multiAzSchema,
    validateResource: forTypes(FUNCTION, (props, args, report) => {
      const subnets = list(props.vpcConfig?.subnetIds);
      if (subnets.length === 0) args.notApplicable("the function is not in a VPC");
      const { minimumSubnets } = configOf<{ minimumSubnets: number }>(args, multiAzSchema);
      if (subnets.length < minimumSubnets) {
        report(`${subject("Lambda function", args)} runs in ${subnets.length} subnet(s); give vpcConfig.subnetIds at least ${minimumSubnets} subnets in different Availability Zones.`);
      }
    }),
  },
  {
    name: "lambda-permission-not-public",
    description:
      "Lambda.1, CT.LAMBDA.PR.2: a Lambda permission never grants to the principal \"*\", and one granting to Amazon S3 names the source account (sourceAccount), so no one outside the account can invoke the function.",
    enforcementLevel: "mandatory",
    validateResource: forTypes(PERMISSION, (props, args, report) => {
      const principal = props.principal;
      if (typeof principal !== "string") return;
      if (principal.includes("*")) {
        report(`${subject("Lambda permission", args)} grants ${props.action ?? "access"} to the principal "${principal}", i.e. to anyone; set principal to the account, role or service principal that calls the function.`);
      } else if (principal === "s3.amazonaws.com" && !props.sourceAccount) {
        report(`${subject("Lambda permission", args)} lets Amazon S3 invoke the function for any bucket owner; set sourceAccount to the bucket's account.`);
      }
    }),
  },
];

/** An event source mapping whose invocations X-Ray cannot trace (Kafka, MQ, DocumentDB sources). */
function isUntraceableSource(resource: PolicyResource): boolean {
  if (resource.type !== EVENT_SOURCE_MAPPING) return false;
  const source = String(resource.props.eventSourceArn ?? "");
  return resource.props.selfManagedEventSource !== undefined || /^arn:[^:]+:(kafka|mq|rds):/.test(source);
}

/** The functions an event source mapping invokes: through the dependency of its functionName, or its value. */
function targetsOf(mapping: PolicyResource, resources: PolicyResource[]): PolicyResource[] {
  const linked = (mapping.propertyDependencies.functionName ?? []).filter((r) => r.type === FUNCTION);
  if (linked.length > 0) return linked;
  const name = mapping.props.functionName;
  return resources.filter((r) => r.type === FUNCTION && name !== undefined && (r.props.arn === name || r.props.name === name));
}
