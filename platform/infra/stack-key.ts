import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type Transform, transform } from "./transform";

export interface StackKeyArgs {
  /**
   * The alias the key is found by, without `alias/`.
   * @example
   * aliasName: "dev-ensemble"
   */
  aliasName: string;
  /**
   * Let EventBridge encrypt what it sends to SQS queues under the key: the failure backstops'
   * dead-letter queues, for a stack with a context that declares a failure milestone.
   * @default false
   * @example
   * eventBridgeQueues: topology.contexts.some((context) => context.failure)
   */
  eventBridgeQueues?: boolean;
  /**
   * Edits the args of each resource the component creates, before it is created.
   * @default no change
   * @example
   * transform: { key: { deletionWindowInDays: 7 } }
   */
  transform?: {
    key?: Transform<aws.kms.KeyArgs>;
    alias?: Transform<aws.kms.AliasArgs>;
  };
}

/**
 * The stack's customer-managed KMS key (symmetric, yearly rotation): it encrypts every log group
 * the stack creates, the alarm topic, the MSK cluster's data at rest and the failure backstops'
 * dead-letter queues. Its policy lets the account's IAM policies govern it (as KMS's default policy
 * does), CloudWatch Logs use it for this account's log groups in this region only, CloudWatch
 * alarms publish to the topic it encrypts and, when asked, EventBridge send to queues it encrypts.
 *
 * @example
 * const key = new StackKey("Key", { aliasName: "dev-ensemble" });
 * new aws.cloudwatch.LogGroup("Logs", { kmsKeyId: key.arn });
 */
export class StackKey extends pulumi.ComponentResource {
  readonly arn: pulumi.Output<string>;
  readonly nodes: { key: aws.kms.Key; alias: aws.kms.Alias };

  constructor(name: string, args: StackKeyArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("ensemble:infra:StackKey", name, {}, opts);
    const parent = this;
    const identity = aws.getCallerIdentityOutput({}, { parent });
    const region = aws.getRegionOutput({}, { parent }).region;
    const partition = aws.getPartitionOutput({}, { parent }).partition;

    const key = createKey();
    const alias = createAlias();

    this.arn = key.arn;
    this.nodes = { key, alias };
    this.registerOutputs({ arn: this.arn });

    function createKey() {
      return new aws.kms.Key(
        `${name}Key`,
        transform(args.transform?.key, `${name}Key`, {
          description: `Ensemble ${args.aliasName}: log groups, alarm topic, MSK at rest`,
          keyUsage: "ENCRYPT_DECRYPT",
          customerMasterKeySpec: "SYMMETRIC_DEFAULT",
          enableKeyRotation: true,
          deletionWindowInDays: 30,
          policy: pulumi
            .all([partition, region, identity.accountId])
            .apply(([p, r, account]) => JSON.stringify(stackKeyPolicy({ partition: p, region: r, account, eventBridgeQueues: args.eventBridgeQueues ?? false }))),
        }),
        { parent },
      );
    }

    function createAlias() {
      return new aws.kms.Alias(`${name}Alias`, transform(args.transform?.alias, `${name}Alias`, { name: `alias/${args.aliasName}`, targetKeyId: key.keyId }), { parent });
    }
  }
}

/**
 * The key's policy, as plain data:
 *
 * - the account's IAM policies decide who else may use it (the statement of KMS's default key
 *   policy, https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html); MSK
 *   encrypts at rest through grants its caller creates this way;
 * - CloudWatch Logs may use it for this account's log groups in this region only, the
 *   encryption-context condition of
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html;
 * - CloudWatch may generate data keys and decrypt, which alarms need to publish to a
 *   KMS-encrypted SNS topic (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services);
 * - grants only for AWS services (Control Tower's CT.KMS.PR.3,
 *   https://docs.aws.amazon.com/controltower/latest/controlreference/kms-rules.html): MSK's grant
 *   for the cluster's volumes is one, a person's grant is refused;
 * - with `eventBridgeQueues`, EventBridge may generate data keys and decrypt, which it needs to
 *   send to a queue encrypted with the key, a rule's dead-letter queue
 *   (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html);
 *   the queue's own policy decides which rule may send.
 */
export function stackKeyPolicy({ partition, region, account, eventBridgeQueues = false }: { partition: string; region: string; account: string; eventBridgeQueues?: boolean }) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AccountIamPolicies",
        Effect: "Allow",
        Principal: { AWS: `arn:${partition}:iam::${account}:root` },
        Action: "kms:*",
        Resource: "*",
      },
      {
        Sid: "CloudWatchLogs",
        Effect: "Allow",
        Principal: { Service: `logs.${region}.amazonaws.com` },
        Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        Resource: "*",
        Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:${partition}:logs:${region}:${account}:log-group:*` } },
      },
      {
        Sid: "GrantsOnlyForAwsServices",
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: "kms:CreateGrant",
        Resource: "*",
        Condition: { BoolIfExists: { "kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false" } },
      },
      {
        Sid: "CloudWatchAlarmsToEncryptedTopic",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
      },
      ...(eventBridgeQueues
        ? [{ Sid: "EventBridgeToEncryptedQueues", Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: "*" }]
        : []),
    ],
  };
}
