/**
 * Pulumi's own mocks, set up to record what a component asks for, so a unit test can count
 * resources by type and read their inputs without the Pulumi CLI or AWS.
 *
 * ```ts
 * import { awaitOutput, recordResources } from "../../support/pulumi-mocks";
 *
 * it("creates one VPC", async () => {
 *   // Prepare
 *   const mocks = recordResources();            // sets the mocks; call it before creating resources
 *
 *   // Act
 *   const network = new Network("Network", {});
 *   await mocks.settled();                      // every registration done, inputs resolved
 *
 *   // Assess
 *   expect(mocks.byType("aws:ec2/vpc:Vpc")).toHaveLength(1);
 *   expect(mocks.named("NetworkVpc").inputs.cidrBlock).toBe("10.40.0.0/16");
 *   expect(await awaitOutput(network.vpcId)).toBe("NetworkVpc-id");
 * });
 * ```
 *
 * Fake outputs: every resource gets the id `<name>-id` and its inputs back as state, plus an
 * `arn` (`arn:aws:<module>:eu-west-1:123456789012:<type>/<name>`), and these, shaped like AWS's:
 *
 * | Type | Outputs |
 * | --- | --- |
 * | `aws:msk/cluster:Cluster` | `arn` `arn:aws:kafka:eu-west-1:123456789012:cluster/<clusterName>/<uuid>`, `bootstrapBrokersSaslIam`, `currentVersion` |
 * | `aws:msk/configuration:Configuration` | `arn` `...:configuration/<name>/<uuid>`, `latestRevision: 1` |
 * | `aws:msk/topic:Topic` | `arn` `...:topic/<cluster name>/<uuid>/<topic>` |
 * | `aws:cloudwatch/logGroup:LogGroup` | `name` (the input, else the resource name) |
 * | `aws:ec2/eip:Eip` | `allocationId` `eipalloc-<name>` |
 * | `aws:lambda/eventSourceMapping:EventSourceMapping` | `uuid` `<name>-uuid` |
 * | `aws:ec2/vpc:Vpc` | `defaultNetworkAclId` `acl-<name>`, `defaultSecurityGroupId` `sg-<name>` |
 *
 * Invokes answer as AWS would in eu-west-1 / account 123456789012: `getAvailabilityZones`
 * (eu-west-1a, b, c), `getRegion`, `getCallerIdentity`, `getPartition`, and
 * `msk.getBootstrapBrokers` (brokers named after the cluster in the ARN); any other invoke
 * returns its inputs. `options.outputs` and `options.calls` add to or override these.
 *
 * Components (`custom: false`) are recorded too; {@link PulumiMocks.countsByType} counts
 * only the resources a provider would create.
 *
 * {@link PulumiMocks.policyGraph} gives the same resources as the Pulumi engine hands a policy
 * pack: each with its (mock) URN, parent, dependencies and property dependencies, as the program
 * registered them; `test/support/policy.ts` evaluates `policy/` over it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as pulumiSettings from "@pulumi/pulumi/runtime/settings";

export const MOCK_REGION = "eu-west-1";
export const MOCK_ACCOUNT = "123456789012";
/** The UUID part of every fake MSK cluster ARN. */
export const MOCK_CLUSTER_UUID = "5d7e1a2b-0c3d-4e5f-8a9b-0123456789ab-2";

/** A resource as the mocks saw it: type token, logical name, resolved inputs. */
export interface RecordedResource {
  type: string;
  name: string;
  /** Resolved inputs; `any` so a test can index into nested args without casts. */
  inputs: Record<string, any>;
  /** `false` for component resources. */
  custom: boolean;
}

/** An invoke (data source) as the mocks saw it. */
export interface RecordedCall {
  token: string;
  inputs: Record<string, any>;
}

export interface PulumiMocks {
  /** Every resource registered since {@link recordResources}, in registration order. */
  resources: RecordedResource[];
  /** Every invoke since {@link recordResources}. */
  calls: RecordedCall[];
  /** The resources of one type token, e.g. `aws:ec2/subnet:Subnet`. */
  byType(type: string): RecordedResource[];
  /** The one resource with this logical name; throws when there is none or more than one. */
  named(name: string): RecordedResource;
  /** Custom resources counted by type token, for `toEqual` on a whole scenario. */
  countsByType(): Record<string, number>;
  /** The invokes of one token, e.g. `aws:msk/getBootstrapBrokers:getBootstrapBrokers`. */
  callsOf(token: string): RecordedCall[];
  /**
   * Every resource's URN as the Pulumi engine forms it (the whole chain of parent types, which
   * the mock monitor shortens to the nearest parent), sorted: what `pulumi up` keys state by.
   */
  urns(): string[];
  /** `<urn> <physical name>` per resource that sets one (`name`, `functionName`, ...), sorted. */
  physicalNames(): string[];
  /** Resolves once every resource registration and invoke started so far has finished. */
  settled(): Promise<void>;
  /**
   * Every registered resource with what a policy pack sees of it (URN, parent, dependencies,
   * property dependencies, inputs and outputs), in registration order. Call after {@link settled}.
   */
  policyGraph(): PolicyGraph;
}

/** A resource as the engine describes it to a policy pack. URNs are the mock monitor's. */
export interface PolicyGraphResource {
  urn: string;
  type: string;
  name: string;
  /** `false` for component resources. */
  custom: boolean;
  /** What the program gave: a resource policy's `props`. */
  inputs: Record<string, any>;
  /** The resource's state (inputs plus the fake outputs): a stack policy's `props`. */
  outputs: Record<string, any>;
  /** The parent's URN; absent at the top. */
  parent?: string;
  /** URNs of the resources it depends on (`dependsOn` and every resource its inputs came from). */
  dependencies: string[];
  /** Per input property, the URNs of the resources its value came from. */
  propertyDependencies: Record<string, string[]>;
  options: {
    protect: boolean;
    ignoreChanges: string[];
    deleteBeforeReplace?: boolean;
    aliases: string[];
    additionalSecretOutputs: string[];
    customTimeouts: { createSeconds: number; updateSeconds: number; deleteSeconds: number };
  };
}

/** The resources of one mocked run, with the project and stack their URNs name. */
export interface PolicyGraph {
  project: string;
  stack: string;
  resources: PolicyGraphResource[];
}

export interface RecordOptions {
  /** @default "ensemble" */
  project?: string;
  /** @default "test" */
  stack?: string;
  /** Extra or overriding outputs for a resource; merged over the defaults. */
  outputs?: (resource: RecordedResource) => Record<string, unknown> | undefined;
  /** Answers for invokes by token; override the defaults. */
  calls?: Record<string, (inputs: Record<string, unknown>) => Record<string, unknown>>;
}

/**
 * Sets Pulumi's mocks (not a preview, so every output is known) and returns the record they
 * fill. Each call starts a fresh record; call it before creating the resources under test.
 */
export function recordResources(options: RecordOptions = {}): PulumiMocks {
  const resources: RecordedResource[] = [];
  const calls: RecordedCall[] = [];
  // What newResource saw, per `<type>::<name>`, until the monitor answers that registration.
  const pending = new Map<string, { resource: RecordedResource; state: Record<string, unknown> }[]>();
  void pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const resource: RecordedResource = { type: args.type, name: args.name, inputs: args.inputs, custom: args.custom !== false };
        resources.push(resource);
        const state = { ...args.inputs, ...fakeOutputs(resource), ...options.outputs?.(resource) };
        const key = `${args.type}::${args.name}`;
        pending.set(key, [...(pending.get(key) ?? []), { resource, state }]);
        return { id: `${args.name}-id`, state };
      },
      call: (args) => {
        calls.push({ token: args.token, inputs: args.inputs });
        const answer = options.calls?.[args.token] ?? DEFAULT_CALLS[args.token];
        return answer ? answer(args.inputs) : args.inputs;
      },
    },
    options.project ?? "ensemble",
    options.stack ?? "test",
    false,
  );
  const registrations = recordRegistrations((type, name) => {
    const queue = pending.get(`${type}::${name}`);
    return queue?.shift();
  });
  return {
    resources,
    calls,
    byType: (type) => resources.filter((resource) => resource.type === type),
    named: (name) => {
      const found = resources.filter((resource) => resource.name === name);
      if (found.length !== 1) {
        throw new Error(`expected one resource named "${name}", found ${found.length}; registered: ${resources.map((r) => r.name).join(", ")}`);
      }
      return found[0]!;
    },
    countsByType: () => {
      const counts: Record<string, number> = {};
      for (const resource of resources.filter((r) => r.custom)) counts[resource.type] = (counts[resource.type] ?? 0) + 1;
      return counts;
    },
    callsOf: (token) => calls.filter((call) => call.token === token),
    urns: () => registrations.map(engineUrnOf(registrations)).sort(),
    physicalNames: () => {
      const engineUrn = engineUrnOf(registrations);
      const urnOf = new Map(registrations.map((registration) => [`${registration.type}::${registration.name}`, engineUrn(registration)]));
      return resources
        .flatMap((resource) => {
          const key = PHYSICAL_NAME_INPUTS.find((input) => typeof resource.inputs[input] === "string");
          return key ? [`${urnOf.get(`${resource.type}::${resource.name}`)} ${key}=${resource.inputs[key]}`] : [];
        })
        .sort();
    },
    settled: waitForRegistrations,
    policyGraph: () => ({
      project: options.project ?? "ensemble",
      stack: options.stack ?? "test",
      resources: registrations.map(({ graph }) => graph),
    }),
  };
}

/**
 * Inputs as plain data, to compare two runs: a Lambda code archive becomes the text of its files
 * (what the engine hashes), whether it names a folder or holds the files.
 */
export async function comparable(value: unknown): Promise<unknown> {
  if (Array.isArray(value)) return Promise.all(value.map(comparable));
  if (value === null || typeof value !== "object") return value;
  const archive = value as { __pulumiArchive?: boolean; path?: Promise<string>; assets?: Promise<Record<string, { text: Promise<string> }>> };
  if (archive.__pulumiArchive && archive.path) {
    const folder = await archive.path;
    return Object.fromEntries(fs.readdirSync(folder).sort().map((file) => [file, fs.readFileSync(path.join(folder, file), "utf8")]));
  }
  if (archive.__pulumiArchive) {
    const assets = await archive.assets!;
    return Object.fromEntries(await Promise.all(Object.entries(assets).map(async ([file, asset]) => [file, await asset.text])));
  }
  return Object.fromEntries(await Promise.all(Object.entries(value).map(async ([key, child]) => [key, await comparable(child)])));
}

/** The value of an Output (or any Input), once known. */
export function awaitOutput<T>(value: pulumi.Input<T>): Promise<pulumi.Unwrap<T>> {
  return new Promise((resolve) => {
    pulumi.output(value).apply((resolved) => {
      resolve(resolved);
      return resolved;
    });
  });
}

const PHYSICAL_NAME_INPUTS = ["name", "functionName", "clusterName", "roleName", "alarmName", "dashboardName", "tableName", "bucket"];

interface Registration {
  urn: string;
  parent: string;
  type: string;
  name: string;
  graph: PolicyGraphResource;
}

/** The parts of the mock monitor's RegisterResourceRequest read here. */
interface RegisterRequest {
  getParent(): string;
  getType(): string;
  getName(): string;
  getCustom(): boolean;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { entries(): Iterable<[string, { getUrnsList(): string[] }]> } | undefined;
  getProtect(): boolean | undefined;
  getIgnorechangesList(): string[];
  getDeletebeforereplace(): boolean;
  getDeletebeforereplacedefined(): boolean;
  getAliasurnsList(): string[];
  getAdditionalsecretoutputsList(): string[];
  getCustomtimeouts(): { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
}

/**
 * Wraps the mock monitor's registerResource to keep each resource's parent, dependencies and
 * property dependencies; `seen` gives what newResource recorded for that registration.
 */
function recordRegistrations(seen: (type: string, name: string) => { resource: RecordedResource; state: Record<string, unknown> } | undefined): Registration[] {
  const registrations: Registration[] = [];
  type Callback = (error: unknown, response?: { getUrn(): string }) => void;
  const monitor = pulumiSettings.getMonitor() as unknown as { registerResource(request: RegisterRequest, callback: Callback): void };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (request, callback) =>
    register(request, (error, response) => {
      if (response) {
        const urn = response.getUrn();
        const recorded = seen(request.getType(), request.getName());
        registrations.push({ urn, parent: request.getParent(), type: request.getType(), name: request.getName(), graph: graphResource(urn, request, recorded) });
      }
      callback(error, response);
    });
  return registrations;
}

function graphResource(urn: string, request: RegisterRequest, recorded: { resource: RecordedResource; state: Record<string, unknown> } | undefined): PolicyGraphResource {
  const propertyDependencies: Record<string, string[]> = {};
  for (const [property, dependencies] of request.getPropertydependenciesMap()?.entries() ?? []) propertyDependencies[property] = dependencies.getUrnsList();
  const timeouts = request.getCustomtimeouts();
  const options: PolicyGraphResource["options"] = {
    protect: request.getProtect() ?? false,
    ignoreChanges: request.getIgnorechangesList(),
    aliases: request.getAliasurnsList(),
    additionalSecretOutputs: request.getAdditionalsecretoutputsList(),
    customTimeouts: { createSeconds: seconds(timeouts?.getCreate()), updateSeconds: seconds(timeouts?.getUpdate()), deleteSeconds: seconds(timeouts?.getDelete()) },
  };
  if (request.getDeletebeforereplacedefined()) options.deleteBeforeReplace = request.getDeletebeforereplace();
  return {
    urn,
    type: request.getType(),
    name: request.getName(),
    custom: request.getCustom(),
    inputs: recorded?.resource.inputs ?? {},
    outputs: recorded?.state ?? {},
    ...(request.getParent() ? { parent: request.getParent() } : {}),
    dependencies: request.getDependenciesList(),
    propertyDependencies,
    options,
  };
}

/** A custom timeout as Pulumi writes it (`"10m"`, `"1h30m"`, `"45s"`), in seconds; 0 when unset. */
function seconds(duration: string | undefined): number {
  const unit: Record<string, number> = { h: 3600, m: 60, s: 1 };
  return [...(duration ?? "").matchAll(/(\d+(?:\.\d+)?)([hms])/g)].reduce((sum, [, n, u]) => sum + Number(n) * unit[u!]!, 0);
}

// urn:pulumi:<stack>::<project>::<ancestor types and own type, joined by $>::<name>
// One lookup table for all the registrations, so naming every resource stays linear.
function engineUrnOf(all: Registration[]): (registration: Registration) => string {
  const byMockUrn = new Map(all.map((registration) => [registration.urn, registration]));
  const qualifiedType = (registration: Registration): string => {
    const parent = byMockUrn.get(registration.parent);
    // The engine leaves the root stack out of its children's types.
    return parent && parent.type !== "pulumi:pulumi:Stack" ? `${qualifiedType(parent)}$${registration.type}` : registration.type;
  };
  return (registration) => {
    const [stackPart, project] = registration.urn.split("::"); // "urn:pulumi:<stack>", "<project>"
    return [stackPart, project, qualifiedType(registration), registration.name].join("::");
  };
}

// Pulumi counts every registration and invoke it starts (even one still waiting for its inputs)
// and drains that count before a program exits; waiting on the same count here means a test sees
// every resource its component asked for. The function is internal to @pulumi/pulumi (3.270).
function waitForRegistrations(): Promise<void> {
  const { waitForRPCs } = pulumiSettings as unknown as { waitForRPCs?: () => Promise<void> };
  if (typeof waitForRPCs !== "function") {
    throw new Error("@pulumi/pulumi/runtime/settings no longer exports waitForRPCs; update test/support/pulumi-mocks.ts.");
  }
  return waitForRPCs();
}

function fakeOutputs(resource: RecordedResource): Record<string, unknown> {
  const { type, name, inputs } = resource;
  const [, module = "unknown", kind = "resource"] = /^aws:([^/]+)\/([^:]+):/.exec(type) ?? [];
  const base = { arn: `arn:aws:${module}:${MOCK_REGION}:${MOCK_ACCOUNT}:${kind}/${name}` };
  switch (type) {
    case "aws:msk/cluster:Cluster": {
      const clusterName = String(inputs.clusterName ?? name);
      return {
        arn: `arn:aws:kafka:${MOCK_REGION}:${MOCK_ACCOUNT}:cluster/${clusterName}/${MOCK_CLUSTER_UUID}`,
        bootstrapBrokersSaslIam: fakeBrokers(clusterName),
        currentVersion: "K3AEGXETSR30VB",
      };
    }
    case "aws:msk/configuration:Configuration":
      return { arn: `arn:aws:kafka:${MOCK_REGION}:${MOCK_ACCOUNT}:configuration/${name}/${MOCK_CLUSTER_UUID}`, latestRevision: 1 };
    case "aws:msk/topic:Topic": {
      const cluster = /:cluster\/(.+)$/.exec(String(inputs.clusterArn ?? ""))?.[1] ?? `unknown/${MOCK_CLUSTER_UUID}`;
      return { arn: `arn:aws:kafka:${MOCK_REGION}:${MOCK_ACCOUNT}:topic/${cluster}/${String(inputs.name ?? name)}` };
    }
    case "aws:cloudwatch/logGroup:LogGroup":
      return { ...base, name: inputs.name ?? name };
    case "aws:ec2/eip:Eip":
      return { ...base, allocationId: `eipalloc-${name}` };
    case "aws:ec2/vpc:Vpc":
      return { ...base, defaultNetworkAclId: `acl-${name}`, defaultSecurityGroupId: `sg-${name}` };
    case "aws:lambda/eventSourceMapping:EventSourceMapping":
      return { ...base, uuid: `${name}-uuid` };
    default:
      return resource.custom ? base : {};
  }
}

function fakeBrokers(clusterName: string): string {
  return [1, 2, 3].map((n) => `b-${n}.${clusterName}.abc123.c2.kafka.${MOCK_REGION}.amazonaws.com:9098`).join(",");
}

const DEFAULT_CALLS: Record<string, (inputs: Record<string, unknown>) => Record<string, unknown>> = {
  "aws:index/getAvailabilityZones:getAvailabilityZones": () => ({
    id: MOCK_REGION,
    names: ["a", "b", "c"].map((zone) => `${MOCK_REGION}${zone}`),
    zoneIds: [1, 2, 3].map((n) => `euw1-az${n}`),
    groupNames: [MOCK_REGION],
  }),
  "aws:index/getRegion:getRegion": () => ({
    id: MOCK_REGION,
    name: MOCK_REGION,
    region: MOCK_REGION,
    endpoint: `ec2.${MOCK_REGION}.amazonaws.com`,
    description: "Europe (Ireland)",
  }),
  "aws:index/getCallerIdentity:getCallerIdentity": () => ({
    id: MOCK_ACCOUNT,
    accountId: MOCK_ACCOUNT,
    arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/test`,
    userId: "AIDATEST",
  }),
  "aws:index/getPartition:getPartition": () => ({
    id: "aws",
    partition: "aws",
    dnsSuffix: "amazonaws.com",
    reverseDnsPrefix: "com.amazonaws",
  }),
  "aws:msk/getBootstrapBrokers:getBootstrapBrokers": (inputs) => {
    const clusterArn = String(inputs.clusterArn);
    const clusterName = /:cluster\/([^/]+)\//.exec(clusterArn)?.[1] ?? "unknown";
    return { id: clusterArn, clusterArn, bootstrapBrokersSaslIam: fakeBrokers(clusterName) };
  },
};
