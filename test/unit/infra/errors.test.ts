import { assertValidAsl } from "../../../platform/infra/bounded-context";
import { bundle } from "../../../platform/infra/bundle";
import {
  BundleError,
  FunctionEntryError,
  InfraError,
  InvalidCidrError,
  InvalidComponentArgsError,
  StateMachineDefinitionError,
} from "../../../platform/infra/errors";
import { ModelError } from "../../../platform/model";
import { parseStackConfig, StackConfigError } from "../../../platform/model/stack-config";
import { consumerEntry } from "../../../platform/infra/function-entries";
import { KafkaCluster } from "../../../platform/infra/kafka-cluster";
import { consumerStatements } from "../../../platform/infra/kafka-iam";
import { Network } from "../../../platform/infra/network";
import { topology } from "../../../topology";
import { recordResources } from "../../support/pulumi-mocks";

// Every error is raised where the program raises it, so the messages asserted are the real ones.

const CLUSTER = "arn:aws:kafka:eu-west-1:123456789012:cluster/dev-ensemble/5d7e1a2b-0000-0000-0000-000000000000-2";
const existingVpc = { vpcId: "vpc-0abc1234", privateSubnetIds: ["subnet-0aaa1111", "subnet-0bbb2222"] };

function thrownBy(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

function expectInfraError(error: unknown, type: abstract new (...args: never[]) => InfraError, name: string) {
  expect(error).toBeInstanceOf(type);
  expect(error).toBeInstanceOf(InfraError);
  expect((error as Error).name).toBe(name);
}

describe("infra errors", () => {
  // A component registers its outputs after its constructor returns: let that finish before the next test's mocks.
  let mocks: ReturnType<typeof recordResources>;
  beforeEach(() => (mocks = recordResources({ stack: "dev" })));
  afterEach(() => mocks.settled());

  it("InfraError is an Error named InfraError that carries its cause", () => {
    // Prepare
    const cause = new Error("underneath");

    // Act
    const error = new InfraError("boom", { cause });

    // Assess
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: "InfraError", message: "boom", cause });
  });

  it("a contradictory network arg: InvalidComponentArgsError naming `existing`, the arg and what to do", () => {
    // Act
    const error = thrownBy(() => new Network("Bad", { existing: existingVpc, cidr: "10.50.0.0/16" }));

    // Assess
    expectInfraError(error, InvalidComponentArgsError, "InvalidComponentArgsError");
    expect((error as Error).message).toBe(
      'Network "Bad": `existing` cannot be combined with `cidr`, which shape a VPC this component creates. ' +
        "Leave them out to use the existing VPC, or leave out `existing` to create one.",
    );
  });

  it("a CIDR that is not one: InvalidCidrError naming the network's cidr arg and an example", () => {
    // Act
    const error = thrownBy(() => new Network("Bad", { cidr: "10.400.0.0/16" }));

    // Assess
    expectInfraError(error, InvalidCidrError, "InvalidCidrError");
    expect((error as Error).message).toBe('Network "Bad": cidr "10.400.0.0/16" is not an IPv4 CIDR; give one such as 10.40.0.0/16.');
  });

  it("bootstrap brokers without a cluster: InvalidComponentArgsError naming both args and the fix", () => {
    // Prepare
    const network = new Network("Network", { existing: existingVpc });

    // Act
    const error = thrownBy(() => new KafkaCluster("Bad", { network, existingBootstrapBrokers: "b-1:9098" }));

    // Assess
    expectInfraError(error, InvalidComponentArgsError, "InvalidComponentArgsError");
    expect((error as Error).message).toBe(
      'KafkaCluster "Bad": `existingBootstrapBrokers` needs `existingClusterArn`: give the ARN of the cluster they belong to, or leave `existingBootstrapBrokers` out.',
    );
  });

  it("a dead-letter topic the group also reads: InvalidComponentArgsError naming the topic, the group and the fix", () => {
    // Act
    const error = thrownBy(() => consumerStatements(CLUSTER, { topics: ["orders.events", "g.dlq"], groupId: "dev.g", deadLetterTopic: "g.dlq" }));

    // Assess
    expectInfraError(error, InvalidComponentArgsError, "InvalidComponentArgsError");
    expect((error as Error).message).toMatch(/^dead-letter topic "g\.dlq" of group "dev\.g" is also one of the topics it reads; give the group a dead-letter topic of its own/);
  });

  it("a bad stack config value: the model's StackConfigError naming the key, the value and what MSK needs", () => {
    // Act
    const error = thrownBy(() => parseStackConfig("dev", { kafka: { brokers: 3 } }));

    // Assess: stack config is the model's (every interpreter reads it), so is its error
    expect(error).toBeInstanceOf(StackConfigError);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as Error).name).toBe("StackConfigError");
    expect((error as Error).message).toBe(
      "Pulumi.dev.yaml has invalid config:\n  - ensemble:kafka.brokers: 3 brokers cannot spread evenly over 2 subnets; MSK needs a multiple of 2.",
    );
  });

  it("an entry importing a missing module: BundleError naming the function and the module, its esbuild failure as the cause", () => {
    // Act
    const error = thrownBy(() => bundle({ name: "broken", entry: `export { handler } from "./consumers/missing/handler";` }));

    // Assess
    expectInfraError(error, BundleError, "BundleError");
    expect((error as Error).message).toBe('Could not bundle Lambda "broken":\n  - broken.entry.ts:1:25: Could not resolve "./consumers/missing/handler"');
    expect((error as Error).cause).toBeDefined();
  });

  it("a consumer group whose declaring file is unknown: FunctionEntryError naming the group and where to declare it", () => {
    // Prepare
    const consumer = { ...topology.consumers[0]!, definedIn: undefined };

    // Act
    const error = thrownBy(() => consumerEntry(consumer));

    // Assess
    expectInfraError(error, FunctionEntryError, "FunctionEntryError");
    expect((error as Error).message).toBe(
      `Cannot locate the file that declares consumer group "${consumer.name}", so its bundle entry has nothing to import from; ` +
        "declare it with defineContext or defineConsumer in a file under contexts/ or consumers/.",
    );
  });

  it("a generated definition that is not ASL: StateMachineDefinitionError naming the context and the workflow to fix", () => {
    // Act
    const error = thrownBy(() => assertValidAsl("orders", { StartAt: "Missing", States: {} }));

    // Assess
    expectInfraError(error, StateMachineDefinitionError, "StateMachineDefinitionError");
    expect((error as Error).message).toMatch(/^The state machine generated for context "orders" is not valid ASL: .+\. Fix the states its workflow \(defineWorkflow\) declares\.$/s);
  });
});
