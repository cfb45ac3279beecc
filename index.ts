import * as pulumi from "@pulumi/pulumi";
import { EnsemblePlatform } from "./platform/infra/platform";
import { validate } from "./platform/model";
import { checkConcurrencyBudget, concurrencyBudget } from "./platform/model/concurrency-budget";
import { planConsumerGroups } from "./platform/model/consumer-group-plan";
import { eventPollers as countEventPollers } from "./platform/model/poller-groups";
import { stackConfigFromPulumi } from "./platform/model/stack-config";
import { checkDefaultTags } from "./platform/model/tags";
import { topology } from "./topology";

const stack = pulumi.getStack();
// Checked before any resource is declared: a bad stack file stops the program with one message.
const config = stackConfigFromPulumi(stack, pulumi.runtime.allConfig(), topology.consumers.map((c) => c.name));
checkDefaultTags(pulumi.getProject(), stack, pulumi.runtime.allConfig());
const system = validate(topology, { stack });
const plans = planConsumerGroups(system.consumers, stack, config);
const budget = concurrencyBudget(plans, config);
checkConcurrencyBudget(stack, budget);
const platform = new EnsemblePlatform("Ensemble", { topology: system, stack, config });

export const clusterArn = platform.cluster.arn;
export const bootstrapBrokersIam = platform.cluster.bootstrapBrokersIam;
export const topics = system.topics.map((topic) => topic.name);
export const stateMachineArns = Object.fromEntries(Object.entries(platform.contexts).map(([name, c]) => [name, c.stateMachineArn]));
export const consumerFunctions = Object.fromEntries(Object.entries(platform.groups).map(([name, g]) => [name, g.functionName]));
/** By Kafka group id: the UUID the dashboard's per-mapping widgets show. */
export const eventSourceMappingUuids = Object.fromEntries(
  Object.values(platform.groups).flatMap((g) => Object.entries(g.nodes.eventSourceMappings).map(([groupId, mapping]) => [groupId, mapping.uuid])),
);
export const consumerGroupIds = Object.fromEntries(Object.entries(platform.groups).map(([name, g]) => [name, g.groupIds]));
export const dashboardUrl = platform.observability.dashboardUrl;
/** Where every alarm of the stack notifies; `pulumi stack output alarmTopicArn` to subscribe more. */
export const alarmTopicArn = platform.alarmTopic.arn;
/** What the stack reserves of the account's Lambda concurrency, in total and per group. */
export const reservedConcurrency = budget;
/**
 * Provisioned event pollers, overall, per group and per shared poller group: what a new consumer
 * group adds. Lambda bills provisioned mode in event poller units; see docs/deploying.md.
 */
export const eventPollers = countEventPollers(plans);
