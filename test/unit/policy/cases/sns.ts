import type { TestResource } from "../../../support/policy";
import { type PolicyCase, variant } from "../run-case";

const topic: TestResource = {
  type: "aws:sns/topic:Topic",
  name: "AlarmTopic",
  inputs: { name: "prod-ensemble-alarms", kmsMasterKeyId: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" },
};

const subscription: TestResource = {
  type: "aws:sns/topicSubscription:TopicSubscription",
  name: "OnCallSubscription",
  inputs: { topic: "arn:aws:sns:eu-west-1:123456789012:prod-ensemble-alarms", protocol: "https", endpoint: "https://oncall.example.com/hooks/sns" },
};

const topicPolicy = (statement: Record<string, unknown>): TestResource => ({
  type: "aws:sns/topicPolicy:TopicPolicy",
  name: "AlarmTopicPolicy",
  inputs: { arn: "arn:aws:sns:eu-west-1:123456789012:prod-ensemble-alarms", policy: JSON.stringify({ Version: "2012-10-17", Statement: [statement] }) },
});

export const snsCases: PolicyCase[] = [
  {
    policy: "sns-topic-policy-not-public",
    title: "passes when only this account's alarms may publish",
    resources: [topicPolicy({ Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" }, Action: "sns:Publish", Resource: "*", Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } } })],
  },
  { policy: "sns-topic-policy-not-public", title: "passes with a deny for everyone", resources: [topicPolicy({ Effect: "Deny", Principal: "*", Action: "sns:Publish", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } })] },
  {
    policy: "sns-topic-policy-not-public",
    title: "fails when anyone may publish",
    resources: [topicPolicy({ Effect: "Allow", Principal: { AWS: "*" }, Action: "sns:Publish", Resource: "*" })],
    fails: 'SNS topic policy "AlarmTopicPolicy" lets anyone sns:Publish; name the principals',
  },
  { policy: "sns-topic-kms-cmk", title: "passes with a customer managed key", resources: [topic] },
  {
    policy: "sns-topic-kms-cmk",
    title: "fails unencrypted",
    resources: [variant(topic, { kmsMasterKeyId: undefined })],
    fails: 'SNS topic "AlarmTopic" is not encrypted at rest; set kmsMasterKeyId',
  },
  {
    policy: "sns-topic-kms-cmk",
    title: "fails with the AWS managed key, which alarms cannot publish through",
    resources: [variant(topic, { kmsMasterKeyId: "alias/aws/sns" })],
    fails: "uses the AWS managed key alias/aws/sns, which CloudWatch alarms cannot publish through",
  },
  { policy: "sns-subscription-no-http", title: "passes over https", resources: [subscription] },
  {
    policy: "sns-subscription-no-http",
    title: "fails over plain http",
    resources: [variant(subscription, { protocol: "http", endpoint: "http://oncall.example.com/hooks/sns" })],
    fails: 'SNS subscription "OnCallSubscription" delivers over plain HTTP; set protocol to "https"',
  },
];
