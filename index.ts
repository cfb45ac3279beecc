import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig } from "./platform/infra/config";
import { names, validate } from "./platform/model";
import { topology } from "./topology";

const stack = pulumi.getStack();
const config = new pulumi.Config("ensemble");
const settings = parseStackConfig(stack, {
  kafka: config.getObject("kafka"),
  logRetentionDays: config.getObject("logRetentionDays"),
});
const system = validate(topology, { stack });

// The AWS resources (cluster, topics, state machines, consumer groups) arrive with platform/infra.
export const kafka = settings.kafka;
export const topics = system.topics.map((topic) => topic.name);
export const consumerGroupIds = system.consumers.map((consumer) => names.consumerGroupId(stack, consumer.name));
