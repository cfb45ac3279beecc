import { EnsemblePlatform } from "../../../platform/infra/platform";
import { validate } from "../../../platform/model";
import { parseStackConfig } from "../../../platform/model/stack-config";
import { topology } from "../../../topology";
import { recordResources } from "../../support/pulumi-mocks";

describe("EnsemblePlatform transforms", () => {
  it("forwards each component's transform to the resources it creates, and only those", async () => {
    // Prepare
    const mocks = recordResources({ stack: "dev" });
    const system = validate(topology, { stack: "dev" });
    const config = parseStackConfig("dev", {});

    // Act
    new EnsemblePlatform("Ensemble", {
      topology: system,
      stack: "dev",
      config,
      transform: {
        network: { vpc: { tags: { CostCenter: "events" } } },
        kafka: {
          cluster: (args) => {
            args.enhancedMonitoring = "PER_TOPIC_PER_PARTITION";
          },
        },
        context: {
          stateMachine: { tags: { team: "workflows" } },
          stateMachinePolicy: (args, name) => ({ ...args, name: `${name}-custom` }),
          task: {
            function: (args, name) => {
              if (name === "EnsembleOrdersValidateOrderFunction") args.memorySize = 1024;
            },
          },
          publisher: { role: { description: "milestone publisher" } },
        },
        group: {
          function: { function: { timeout: 120 }, logGroup: { retentionInDays: 30 } },
          eventSourceMapping: (args, name) => {
            if (name === "EnsembleNotifyCustomerEventSourceMappingOrders") args.startingPosition = "LATEST";
          },
        },
        observability: { dashboard: { dashboardName: "ensemble-overview" } },
      },
    });
    await mocks.settled();

    // Assess
    const fn = (name: string) => mocks.named(`${name}Function`).inputs;
    // A transform's tags sit beside the owner tag every taggable resource gets.
    expect(mocks.byType("aws:ec2/vpc:Vpc")[0]!.inputs.tags).toEqual({ CostCenter: "events", owner: "platform" });
    expect(mocks.byType("aws:msk/cluster:Cluster")[0]!.inputs.enhancedMonitoring).toBe("PER_TOPIC_PER_PARTITION");
    for (const machine of mocks.byType("aws:sfn/stateMachine:StateMachine")) expect(machine.inputs.tags).toEqual({ team: "workflows", owner: machine.inputs.name.replace(/^dev-/, "") });
    expect(mocks.named("EnsembleOrdersStateMachinePolicy").inputs.name).toBe("EnsembleOrdersStateMachinePolicy-custom");
    expect(fn("EnsembleOrdersValidateOrder").memorySize).toBe(1024);
    expect(fn("EnsembleOrdersReserveStock").memorySize).toBe(256);
    expect(mocks.named("EnsembleOrdersPublisherRole").inputs.description).toBe("milestone publisher");
    expect(mocks.named("EnsembleOrdersValidateOrderRole").inputs.description).toBeUndefined();
    for (const group of topology.consumers.map((c) => c.name)) {
      const component = `Ensemble${group.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase())}`;
      expect(fn(component).timeout).toBe(120);
      expect(mocks.named(`${component}LogGroup`).inputs.retentionInDays).toBe(30);
    }
    expect(fn("EnsembleOrdersValidateOrder").timeout).toBe(30);
    const startingPositions = Object.fromEntries(mocks.byType("aws:lambda/eventSourceMapping:EventSourceMapping").map((m) => [m.name, m.inputs.startingPosition]));
    expect(startingPositions.EnsembleNotifyCustomerEventSourceMappingOrders).toBe("LATEST");
    expect(Object.values(startingPositions).filter((p) => p === "LATEST")).toHaveLength(1);
    expect(mocks.byType("aws:cloudwatch/dashboard:Dashboard")[0]!.inputs.dashboardName).toBe("ensemble-overview");
  });
});
