import * as pulumi from "@pulumi/pulumi";
import { stackConfigFromPulumi } from "./platform/infra/config";
import { EnsemblePlatform } from "./platform/infra/platform";
import { validate } from "./platform/model";
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
export const consumerGroupIds = Object.fromEntries(Object.entries(platform.groups).map(([name, g]) => [name, g.groupIds]));
export const dashboardUrl = platform.observability.dashboardUrl;
