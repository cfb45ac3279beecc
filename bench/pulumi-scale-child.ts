/**
 * One Pulumi scaling measurement, in a process of its own so its peak memory is its own:
 * index.ts's program for the example contexts plus N synthetic consumer groups, under Pulumi's
 * mocks. Prints one line, `BENCH_RESULT {json}`.
 *
 * Usage: node --import tsx bench/pulumi-scale-child.ts <groups>
 */
import * as pulumi from "@pulumi/pulumi";
import analytics from "../consumers/analytics/consumer";
import { contexts } from "../contexts";
import { bundleCacheStats } from "../platform/infra/bundle";
import { stackConfigFromPulumi } from "../platform/model/stack-config";
import { EnsemblePlatform } from "../platform/infra/platform";
import { type ConsumerDefinition, type ContextEvent, type Topology, validate } from "../platform/model";
import { recordResources } from "../test/support/pulumi-mocks";
import { stackFileConfig } from "../test/support/stack";
import { PULUMI_RESULT_PREFIX } from "./options";

const STACK = "dev";

/**
 * The example contexts as they are, and `groups` copies of the analytics group with distinct
 * names, each subscribing to 1–3 events spread over the contexts. They share the analytics
 * handler module, so their bundle entries are identical.
 */
function syntheticTopology(groups: number): Topology {
  const events = contexts.flatMap((context): readonly ContextEvent[] => context.eventList);
  const template: ConsumerDefinition = analytics;
  const consumers = Array.from({ length: groups }, (_, i): ConsumerDefinition => ({
    ...template,
    name: `bench-group-${i}`,
    on: Array.from({ length: 1 + (i % 3) }, (_, k) => events[(i + 2 * k) % events.length]!),
  }));
  return { contexts, consumers };
}

/** What index.ts does, for a given topology; its stack outputs are computed too. */
function program(topology: Topology) {
  const stack = pulumi.getStack();
  const config = stackConfigFromPulumi(stack, pulumi.runtime.allConfig(), topology.consumers.map((c) => c.name));
  const system = validate(topology, { stack });
  const platform = new EnsemblePlatform("Ensemble", { topology: system, stack, config });
  return {
    clusterArn: platform.cluster.arn,
    topics: system.topics.map((topic) => topic.name),
    stateMachineArns: Object.fromEntries(Object.entries(platform.contexts).map(([name, c]) => [name, c.stateMachineArn])),
    consumerFunctions: Object.fromEntries(Object.entries(platform.groups).map(([name, g]) => [name, g.functionName])),
    consumerGroupIds: Object.fromEntries(Object.entries(platform.groups).map(([name, g]) => [name, g.groupIds])),
    dashboardUrl: platform.observability.dashboardUrl,
  };
}

async function main(): Promise<void> {
  const groups = Number(process.argv[2]);
  if (!Number.isInteger(groups) || groups < 0) throw new Error(`usage: pulumi-scale-child.ts <groups>, got ${process.argv[2]}`);
  const topology = syntheticTopology(groups);
  const importedMs = performance.now();

  const mocks = recordResources({ stack: STACK });
  pulumi.runtime.setAllConfig(stackFileConfig(STACK));
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  program(topology);
  await mocks.settled();
  const programMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);

  const result = {
    groups,
    resources: mocks.resources.filter((r) => r.custom).length,
    components: mocks.resources.filter((r) => !r.custom).length,
    bundles: bundleCacheStats(),
    /** Process start to the program's resources settled: node, tsx and module loading included. */
    wallMs: performance.now(),
    importedMs,
    programMs,
    /** CPU time of the program (user + system, all threads): steadier than wall time on a shared machine. */
    programCpuMs: (cpu.user + cpu.system) / 1000,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(`\n${PULUMI_RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
