import * as pulumi from "@pulumi/pulumi";
import { EnsemblePlatform } from "./platform/infra/platform";
import { validate } from "./platform/model";
import { stackConfigFromPulumi } from "./platform/model/stack-config";
import { topology } from "./topology";

const stack = pulumi.getStack();
const config = stackConfigFromPulumi(stack, pulumi.runtime.allConfig(), topology.consumers.map((c) => c.name));
const system = validate(topology, { stack });
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
