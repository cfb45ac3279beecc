import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { FUNCTION_DEFAULTS } from "../model";
import { LOG_RETENTION_DEFAULT_DAYS } from "../model/security-baseline";
import { bundle, type Bundle, LAMBDA_ENVIRONMENT, LAMBDA_HANDLER, LAMBDA_RUNTIME, lambdaCode } from "./bundle";
import type { PolicyStatement } from "./kafka-iam";
import { LAMBDA_VPC_ACTIONS } from "./lambda-iam";
import { roleName } from "./role-name";
import { type Transform, transform } from "./transform";

/** How a component's log groups are kept. */
export interface LogSettings {
  /** Retention, days (a value CloudWatch Logs accepts). */
  retentionDays?: number;
  /** KMS key the log group is encrypted with; its policy must let CloudWatch Logs use it ({@link StackKey}'s does). */
  kmsKeyArn?: pulumi.Input<string>;
}



/** An IAM statement whose ARNs may not be known until deployment. */
export type StatementInput = pulumi.Input<PolicyStatement>;

export interface LambdaFunctionArgs {
  /**
   * Physical function name, from `platform/model/names.ts`; also names the log group and, with a
   * kind suffix ({@link roleName}), the role.
   * @example
   * functionName: "dev-notify-customer"
   */
  functionName: string;
  /**
   * Source of the bundle's entry module, imports relative to the repository root.
   * @example
   * entry: `export { handler } from "./consumers/notify-customer/handler";`
   */
  entry: string;
  /**
   * The function's description in the Lambda console.
   * @default none
   * @example
   * description: "consumer group notify-customer"
   */
  description?: string;
  /**
   * Memory, MB (CPU scales with it).
   * @default 256
   * @example
   * memoryMb: 512
   */
  memoryMb?: number;
  /**
   * Timeout, seconds.
   * @default 30
   * @example
   * timeoutSeconds: 60
   */
  timeoutSeconds?: number;
  /**
   * Reserved concurrency: a share of the account's quota only this function may use, and its cap.
   * @default none: the function draws on the account's unreserved pool
   * @example
   * reservedConcurrency: 12
   */
  reservedConcurrency?: number;
  /**
   * Environment variables, added to the runtime's own ({@link LAMBDA_ENVIRONMENT}).
   * @default none
   * @example
   * environment: { POWERTOOLS_SERVICE_NAME: "notify-customer" }
   */
  environment?: Record<string, pulumi.Input<string>>;
  /**
   * Run inside these subnets with these security groups (to reach the MSK brokers); adds the
   * EC2 network-interface actions Lambda needs to the policy.
   * @default outside any VPC
   * @example
   * vpc: { subnetIds: network.privateSubnetIds, securityGroupIds: [network.functionSecurityGroupId] }
   */
  vpc?: { subnetIds: pulumi.Input<pulumi.Input<string>[]>; securityGroupIds: pulumi.Input<pulumi.Input<string>[]> };
  /**
   * What the function may do beyond writing its own logs and traces; repeated `Sid`s are numbered.
   * @default nothing more
   * @example
   * statements: [{ Sid: "Table", Effect: "Allow", Action: ["dynamodb:GetItem"], Resource: [table.arn] }]
   */
  statements?: pulumi.Input<StatementInput[]>;
  /**
   * The function's log group: retention and encryption.
   * @default kept 365 days, encrypted with CloudWatch Logs' own key
   * @example
   * logs: { retentionDays: 365, kmsKeyArn: key.arn }
   */
  logs?: LogSettings;
  /**
   * Edits the args of each resource the component creates, before it is created.
   * @default no change
   * @example
   * transform: { function: { memorySize: 1024 } }
   * @example
   * transform: { policy: (args) => { args.policy = pulumi.output(args.policy).apply(addStatement); } }
   */
  transform?: {
    function?: Transform<aws.lambda.FunctionArgs>;
    role?: Transform<aws.iam.RoleArgs>;
    policy?: Transform<aws.iam.RolePolicyArgs>;
    logGroup?: Transform<aws.cloudwatch.LogGroupArgs>;
  };
}

/**
 * A Lambda function built from TypeScript with esbuild at program time (no closure
 * serialization): its own role with one inline least-privilege policy, its own log group with a
 * retention, X-Ray tracing and JSON logs.
 *
 * @example
 * new LambdaFunction("NotifyCustomer", {
 *   functionName: "dev-notify-customer",
 *   entry: `export { handler } from "./consumers/notify-customer/handler";`,
 *   statements: [{ Sid: "Table", Effect: "Allow", Action: ["dynamodb:GetItem"], Resource: [table.arn] }],
 * });
 */
export class LambdaFunction extends pulumi.ComponentResource {
  readonly arn: pulumi.Output<string>;
  readonly name: pulumi.Output<string>;
  readonly roleArn: pulumi.Output<string>;
  readonly bundle: Bundle;
  readonly nodes: {
    function: aws.lambda.Function;
    role: aws.iam.Role;
    policy: aws.iam.RolePolicy;
    logGroup: aws.cloudwatch.LogGroup;
  };

  constructor(name: string, args: LambdaFunctionArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("ensemble:infra:LambdaFunction", name, {}, opts);
    const parent = this;

    const code = bundle({ name: args.functionName, entry: args.entry });
    const logGroup = createLogGroup();
    const role = createRole();
    const policy = createPolicy();
    const fn = createFunction();

    this.arn = fn.arn;
    this.name = fn.name;
    this.roleArn = role.arn;
    this.bundle = code;
    this.nodes = { function: fn, role, policy, logGroup };
    this.registerOutputs({ arn: this.arn, name: this.name });

    function createLogGroup() {
      return new aws.cloudwatch.LogGroup(
        `${name}LogGroup`,
        transform(args.transform?.logGroup, `${name}LogGroup`, {
          name: `/aws/lambda/${args.functionName}`,
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
          name: roleName(args.functionName, "lambda"),
          assumeRolePolicy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
          }),
        }),
        { parent },
      );
    }

    function createPolicy() {
      const statements: StatementInput[] = [
        {
          Sid: "OwnLogs",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: [pulumi.interpolate`${logGroup.arn}:*`] as unknown as string[],
        },
        // X-Ray accepts no resource narrower than "*" for these two actions.
        { Sid: "Traces", Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: ["*"] },
        ...(args.vpc ? [{ Sid: "VpcNetworkInterfaces", Effect: "Allow" as const, Action: [...LAMBDA_VPC_ACTIONS], Resource: ["*"] }] : []),
      ];
      return new aws.iam.RolePolicy(
        `${name}Policy`,
        transform(args.transform?.policy, `${name}Policy`, {
          role: role.id,
          policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: mergeSids(statements, args.statements ?? []) }),
        }),
        { parent },
      );
    }

    function createFunction() {
      return new aws.lambda.Function(
        `${name}Function`,
        transform(args.transform?.function, `${name}Function`, {
          name: args.functionName,
          description: args.description,
          runtime: LAMBDA_RUNTIME,
          architectures: ["arm64"],
          handler: LAMBDA_HANDLER,
          code: lambdaCode(code),
          role: role.arn,
          memorySize: args.memoryMb ?? 256,
          timeout: args.timeoutSeconds ?? FUNCTION_DEFAULTS.timeoutSeconds,
          reservedConcurrentExecutions: args.reservedConcurrency,
          tracingConfig: { mode: "Active" },
          loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
          environment: { variables: { ...LAMBDA_ENVIRONMENT, ...args.environment } },
          vpcConfig: args.vpc ? { subnetIds: args.vpc.subnetIds, securityGroupIds: args.vpc.securityGroupIds } : undefined,
        }),
        // The policy must exist before the function runs (or, in a VPC, creates its ENIs).
        { parent, dependsOn: [policy] },
      );
    }
  }
}

/** Statement ids must be unique in a policy; callers may reuse one, so number the repeats. */
function mergeSids(base: StatementInput[], extra: pulumi.Input<StatementInput[]>): pulumi.Output<PolicyStatement[]> {
  return pulumi.all([pulumi.output(base), pulumi.output(extra)]).apply(([first, second]) => {
    const resolved = [...first, ...second] as PolicyStatement[];
    const seen = new Map<string, number>();
    return resolved.map((statement) => {
      const count = (seen.get(statement.Sid) ?? 0) + 1;
      seen.set(statement.Sid, count);
      return count === 1 ? statement : { ...statement, Sid: `${statement.Sid}${count}` };
    });
  });
}
