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

export const snsCases: PolicyCase[] = [
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
