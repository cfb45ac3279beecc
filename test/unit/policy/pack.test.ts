import * as fs from "node:fs";
import * as path from "node:path";
import type { PolicyConfigSchema } from "@pulumi/policy";
import { policies } from "../../../policy/policies";
import { type PolicyPackConfig, stackPolicyConfig } from "../../support/policy";
import { cloudwatchCases } from "./cases/cloudwatch";
import { dynamodbCases } from "./cases/dynamodb";
import { iamCases } from "./cases/iam";
import { kmsCases } from "./cases/kms";
import { lambdaCases } from "./cases/lambda";
import { mskCases } from "./cases/msk";
import { networkCases } from "./cases/network";
import { snsCases } from "./cases/sns";
import { stepFunctionsCases } from "./cases/step-functions";
import { tagsCases } from "./cases/tags";

const ROOT = path.resolve(__dirname, "../../..");
const STACKS = fs.readdirSync(path.join(ROOT, "policy/stacks")).filter((f) => f.endsWith(".json")).map((f) => f.replace(/\.json$/, ""));
const ALL_CASES = [...mskCases, ...lambdaCases, ...stepFunctionsCases, ...dynamodbCases, ...cloudwatchCases, ...snsCases, ...kmsCases, ...networkCases, ...iamCases, ...tagsCases];

/**
 * The control ids a description may name: the Security Hub FSBP and Control Tower proactive ids
 * confirmed against AWS's control references when the pack was written. An id not here was not
 * confirmed; look it up before adding it.
 */
const CONFIRMED_CONTROLS = new Set([
  "MSK.1", "MSK.2", "MSK.4", "MSK.6",
  "Lambda.1", "Lambda.2", "Lambda.3", "Lambda.5", "Lambda.6", "Lambda.7",
  "StepFunctions.1",
  "DynamoDB.2", "DynamoDB.5", "DynamoDB.6",
  "CloudWatch.15", "CloudWatch.16", "CloudWatch.17",
  "SNS.1", "SNS.3", "SNS.4",
  "KMS.1", "KMS.2", "KMS.4", "KMS.5",
  "EC2.2", "EC2.6", "EC2.15", "EC2.18", "EC2.19", "EC2.21",
  "IAM.1", "IAM.21",
  "CT.MSK.PR.1", "CT.MSK.PR.2",
  "CT.LAMBDA.PR.2", "CT.LAMBDA.PR.3",
  "CT.STEPFUNCTIONS.PR.1", "CT.STEPFUNCTIONS.PR.2",
  "CT.DYNAMODB.PR.1", "CT.DYNAMODB.PR.2",
  "CT.CLOUDWATCH.PR.1", "CT.CLOUDWATCH.PR.2", "CT.CLOUDWATCH.PR.3", "CT.CLOUDWATCH.PR.4",
  "CT.KMS.PR.1", "CT.KMS.PR.3",
  "CT.IAM.PR.1", "CT.IAM.PR.2", "CT.IAM.PR.3", "CT.IAM.PR.5",
  "CT.EC2.PR.3", "CT.EC2.PR.4", "CT.EC2.PR.5",
]); // prettier-ignore

const CONTROL_ID = /\b(?:CT\.[A-Z0-9]+\.PR\.\d+|[A-Z][A-Za-z0-9]*\.\d+)\b/g;

/** What is wrong with `value` under one property schema (the subset of JSON Schema the pack uses). */
function schemaProblems(value: unknown, schema: PolicyConfigSchema["properties"][string], where: string): string[] {
  if (typeof schema === "boolean") return schema ? [] : [`${where}: not allowed`];
  const problems: string[] = [];
  const actual = Array.isArray(value) ? "array" : Number.isInteger(value) ? "integer" : typeof value;
  const types = [schema.type ?? []].flat();
  if (types.length > 0 && !types.some((t) => t === actual || (t === "number" && actual === "integer"))) problems.push(`${where}: ${actual}, not ${types.join(" or ")}`);
  if (schema.enum && !schema.enum.includes(value as never)) problems.push(`${where}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === "number" && schema.minimum !== undefined && value < schema.minimum) problems.push(`${where}: ${value} < ${schema.minimum}`);
  if (Array.isArray(value) && schema.items && !Array.isArray(schema.items)) value.forEach((item, i) => problems.push(...schemaProblems(item, schema.items as typeof schema, `${where}[${i}]`)));
  if (Array.isArray(value) && schema.uniqueItems && new Set(value).size !== value.length) problems.push(`${where}: repeats an item`);
  return problems;
}

describe("the policy pack", () => {
  it("names each policy once, in kebab-case", () => {
    // Prepare, Act
    const names = policies.map((p) => p.name);

    // Assess
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
    expect(names.filter((name) => !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name))).toEqual([]);
  });

  it("makes every policy mandatory", () => {
    expect(policies.filter((p) => p.enforcementLevel !== "mandatory").map((p) => p.name)).toEqual([]);
  });

  it("says in every description which controls the policy encodes, or that it is custom", () => {
    // Prepare, Act
    const unmapped = policies.filter((p) => !(p.description.match(CONTROL_ID) ?? []).length && !/\bcustom\b/i.test(p.description));

    // Assess
    expect(unmapped.map((p) => p.name)).toEqual([]);
  });

  it("names only confirmed control ids", () => {
    // Prepare, Act
    const named = policies.flatMap((p) => (p.description.match(CONTROL_ID) ?? []).map((id) => `${p.name}: ${id}`));

    // Assess
    expect(named.filter((entry) => !CONFIRMED_CONTROLS.has(entry.split(": ")[1]!))).toEqual([]);
  });

  it("has, for every policy, a tested case it passes and one it fails", () => {
    // Prepare, Act
    const untested = policies.flatMap((p) => {
      const own = ALL_CASES.filter((c) => c.policy === p.name);
      return [...(own.some((c) => !c.fails) ? [] : [`${p.name}: no passing case`]), ...(own.some((c) => c.fails) ? [] : [`${p.name}: no failing case`])];
    });

    // Assess
    expect(untested).toEqual([]);
    expect(ALL_CASES.filter((c) => !policies.some((p) => p.name === c.policy)).map((c) => c.policy)).toEqual([]);
  });

  it("ships a package.json the policy server reads its version from, pinned like the project's", () => {
    // Prepare
    const pack = JSON.parse(fs.readFileSync(path.join(ROOT, "policy/package.json"), "utf8")) as { name: string; version: string; main: string; dependencies: Record<string, string> };
    const project = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

    // Act, Assess
    expect(pack).toMatchObject({ name: "ensemble-policy", version: "0.1.0", main: "index.ts" });
    expect(pack.dependencies).toEqual({ "@pulumi/policy": project.devDependencies["@pulumi/policy"], "@pulumi/pulumi": project.dependencies["@pulumi/pulumi"] });
  });

  describe.each(STACKS)("policy/stacks/%s.json", (stack) => {
    let config: PolicyPackConfig;

    beforeAll(() => {
      config = stackPolicyConfig(stack);
    });

    it("configures only policies of the pack", () => {
      expect(Object.keys(config).filter((name) => !policies.some((p) => p.name === name))).toEqual([]);
    });

    it("sets only what each policy's configSchema declares, with values it accepts", () => {
      // Prepare, Act
      const problems = Object.entries(config).flatMap(([name, settings]) => {
        const schema = policies.find((p) => p.name === name)?.configSchema;
        return Object.entries(settings).flatMap(([key, value]) => {
          if (key === "enforcementLevel") return ["advisory", "mandatory", "remediate", "disabled"].includes(value as string) ? [] : [`${name}.enforcementLevel: ${String(value)}`];
          const property = schema?.properties[key];
          return property === undefined ? [`${name}.${key}: not in the configSchema`] : schemaProblems(value, property, `${name}.${key}`);
        });
      });

      // Assess
      expect(problems).toEqual([]);
    });

    it("gives a reason next to every exception", () => {
      // Prepare, Act
      const unexplained = Object.entries(config).filter(([, settings]) => typeof settings.reason !== "string" || settings.reason.trim() === "");

      // Assess
      expect(unexplained.map(([name]) => name)).toEqual([]);
    });
  });
});
