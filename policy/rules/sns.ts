import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forTypes, subject } from "../lib/define";
import { isPublicPrincipal, parseDocument } from "../lib/policy-document";

const TOPIC = "aws:sns/topic:Topic";
const TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy";
const SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription";

export const snsPolicies: ResourceValidationPolicy[] = [
  {
    name: "sns-topic-kms-cmk",
    description:
      "SNS.1: an SNS topic is encrypted at rest with a customer managed KMS key (kmsMasterKeyId set, not alias/aws/sns): CloudWatch alarms cannot publish to a topic under the AWS managed key, whose key policy cannot be changed to let them.",
    enforcementLevel: "mandatory",
    validateResource: forTypes(TOPIC, (props, args, report) => {
      const key = props.kmsMasterKeyId;
      if (!key) {
        report(`${subject("SNS topic", args)} is not encrypted at rest; set kmsMasterKeyId to a customer managed key whose policy lets cloudwatch.amazonaws.com use it.`);
      } else if (typeof key === "string" && /(^|:)alias\/aws\/sns$/.test(key)) {
        report(`${subject("SNS topic", args)} uses the AWS managed key alias/aws/sns, which CloudWatch alarms cannot publish through; set kmsMasterKeyId to a customer managed key.`);
      }
    }),
  },
  {
    name: "sns-topic-policy-not-public",
    description: "SNS.4: no statement of an SNS topic's access policy allows everyone (Principal \"*\") without a condition that narrows it.",
    enforcementLevel: "mandatory",
    validateResource: forTypes([TOPIC, TOPIC_POLICY], (props, args, report) => {
      const document = parseDocument(props.policy);
      if (!document || "error" in document) return;
      const open = document.statements.filter((statement) => statement.effect === "Allow" && isPublicPrincipal(statement) && Object.keys(statement.condition ?? {}).length === 0);
      if (open.length > 0) {
        report(`${subject("SNS topic policy", args)} lets anyone ${open.flatMap((statement) => statement.actions).join(", ")}; name the principals (cloudwatch.amazonaws.com for alarms) or add a condition such as aws:SourceAccount.`);
      }
    }),
  },
  {
    name: "sns-subscription-no-http",
    description: "Custom: an SNS subscription never delivers over plain HTTP (protocol http), which would send notifications unencrypted; use https.",
    enforcementLevel: "mandatory",
    validateResource: forTypes(SUBSCRIPTION, (props, args, report) => {
      if (typeof props.protocol === "string" && props.protocol.toLowerCase() === "http") {
        report(`${subject("SNS subscription", args)} delivers over plain HTTP; set protocol to "https" and give an https:// endpoint.`);
      }
    }),
  },
];
