import { createHash } from "node:crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { pascal } from "../model";
import { type Transform, transform } from "./transform";

export interface AlarmTopicArgs {
  /**
   * Physical name of the topic.
   * @example
   * topicName: "dev-ensemble-alarms"
   */
  topicName: string;
  /**
   * The KMS key the topic is encrypted with; its policy must let CloudWatch use it ({@link StackKey}'s does).
   * @example
   * kmsKeyArn: key.arn
   */
  kmsKeyArn: pulumi.Input<string>;
  /**
   * Email addresses to subscribe; each gets a confirmation mail, and hears nothing until it confirms.
   * @default none
   * @example
   * emails: ["oncall@example.com"]
   */
  emails?: readonly string[];
  /**
   * HTTPS endpoints to subscribe (a webhook must answer SNS's subscription confirmation).
   * @default none
   * @example
   * https: ["https://hooks.example.com/alarms"]
   */
  https?: readonly string[];
  /**
   * Edits the args of each resource the component creates, before it is created.
   * @default no change
   * @example
   * transform: { topic: { displayName: "Ensemble alarms" } }
   */
  transform?: {
    topic?: Transform<aws.sns.TopicArgs>;
    policy?: Transform<aws.sns.TopicPolicyArgs>;
    subscription?: Transform<aws.sns.TopicSubscriptionArgs>;
  };
}

/**
 * The stack's alarm topic: every alarm of the stack notifies it when it fires and when it clears.
 * Encrypted with a customer-managed key (CloudWatch cannot publish to a topic under the
 * AWS-managed `alias/aws/sns` key); only this account's CloudWatch alarms may publish, over TLS;
 * email and HTTPS subscribers from the stack's config.
 *
 * @example
 * const alarms = new AlarmTopic("Alarms", { topicName: "dev-ensemble-alarms", kmsKeyArn: key.arn, emails: ["oncall@example.com"] });
 * alarms.arn; // every alarm's alarm and OK action
 */
export class AlarmTopic extends pulumi.ComponentResource {
  readonly arn: pulumi.Output<string>;
  readonly nodes: { topic: aws.sns.Topic; policy: aws.sns.TopicPolicy; subscriptions: aws.sns.TopicSubscription[] };

  constructor(name: string, args: AlarmTopicArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("ensemble:infra:AlarmTopic", name, {}, opts);
    const parent = this;
    const identity = aws.getCallerIdentityOutput({}, { parent });
    const region = aws.getRegionOutput({}, { parent }).region;
    const partition = aws.getPartitionOutput({}, { parent }).partition;

    const topic = createTopic();
    const policy = createPolicy();
    const subscriptions = [
      ...(args.emails ?? []).map((endpoint) => subscribe("email", endpoint)),
      ...(args.https ?? []).map((endpoint) => subscribe("https", endpoint)),
    ];

    this.arn = topic.arn;
    this.nodes = { topic, policy, subscriptions };
    this.registerOutputs({ arn: this.arn });

    function createTopic() {
      return new aws.sns.Topic(
        `${name}Topic`,
        transform(args.transform?.topic, `${name}Topic`, { name: args.topicName, kmsMasterKeyId: args.kmsKeyArn }),
        { parent },
      );
    }

    // Same-account alarms only (the confused-deputy conditions of
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html),
    // and never over plain HTTP.
    function createPolicy() {
      return new aws.sns.TopicPolicy(
        `${name}Policy`,
        transform(args.transform?.policy, `${name}Policy`, {
          arn: topic.arn,
          policy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "CloudWatchAlarmsOfThisAccount",
                Effect: "Allow",
                Principal: { Service: "cloudwatch.amazonaws.com" },
                Action: "sns:Publish",
                Resource: topic.arn,
                Condition: {
                  ArnLike: { "aws:SourceArn": pulumi.interpolate`arn:${partition}:cloudwatch:${region}:${identity.accountId}:alarm:*` },
                  StringEquals: { "aws:SourceAccount": identity.accountId },
                },
              },
              {
                Sid: "TlsOnly",
                Effect: "Deny",
                Principal: "*",
                Action: "sns:Publish",
                Resource: topic.arn,
                Condition: { Bool: { "aws:SecureTransport": "false" } },
              },
            ],
          }),
        }),
        { parent },
      );
    }

    // Named by a hash of the address as well: "a.b@x.com" and "a-b@x.com" read the same in PascalCase.
    function subscribe(protocol: "email" | "https", endpoint: string) {
      const id = `${name}Subscription${pascal(protocol)}${pascal(endpoint)}${createHash("sha256").update(endpoint).digest("hex").slice(0, 8)}`;
      return new aws.sns.TopicSubscription(id, transform(args.transform?.subscription, id, { topic: topic.arn, protocol, endpoint }), { parent });
    }
  }
}
