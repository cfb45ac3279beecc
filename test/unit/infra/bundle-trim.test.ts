/*
 * platform/infra/bundle-trim.ts leaves parts of kafkajs, the CloudEvents SDK and zod out of Lambda
 * bundles by their file names. These tests fail when a rule no longer matches the installed
 * package (the part would silently come back, or a stand-in would lack an export) and pin what a
 * stand-in does when reached: throw LeftOutOfBundle, naming what and why.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { bundle, LAZY_SOURCE, LEFT_OUT_SOURCE } from "../../../platform/infra/bundle";
import { lazyModuleSource } from "../../../platform/infra/bundle-lazy";
import * as zodStub from "../../../platform/infra/bundle-stubs/zod-to-json-schema";
import { checkPinnedVersions, kafkaUsesOf, PINNED } from "../../../platform/infra/bundle-trim";
import { BundleError } from "../../../platform/infra/errors";

const ROOT = path.resolve(__dirname, "../../..");
const temporary: string[] = [];

afterAll(() => {
  for (const dir of temporary) fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs `script` with node in the bundle's package folder; returns its JSON output. */
function runIn(dir: string, script: string): Record<string, unknown> {
  return JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 })) as Record<string, unknown>;
}

/** An entry reaching every package the rules touch, through their public APIs only. */
const ENTRY = `import { Kafka } from "kafkajs";
import { CloudEvent, HTTP, Kafka as KafkaBinding } from "cloudevents";
import * as z from "zod";
export const handler = () => ({ Kafka, CloudEvent, HTTP, KafkaBinding, z });`;

describe("bundle-trim's rules, against the installed packages", () => {
  // Prepare: one build reaching the packages, no kafkajs admin or consumer in its own code
  const built = bundle({ name: "trim-rules", entry: ENTRY }, { cache: false });
  const sources = (JSON.parse(built.sourceMap) as { sources: string[] }).sources;

  it.each(Object.entries(PINNED))("are written for the installed %s %s", (name, version) => {
    expect(JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8")).version).toBe(version);
  });

  it.each([
    ["kafkajs' admin client", "kafkajs/src/admin/index.js"],
    ["kafkajs' consumer", "kafkajs/src/consumer/index.js"],
    ["an API no function sends", "kafkajs/src/protocol/requests/createTopics/index.js"],
    ["a transaction API", "kafkajs/src/protocol/requests/endTxn/index.js"],
    ["a consumer-only API", "kafkajs/src/protocol/requests/joinGroup/index.js"],
    ["an unused SASL mechanism", "kafkajs/src/broker/saslAuthenticator/scram256.js"],
    ["the CloudEvents HTTP binding", "cloudevents/dist/message/http/index.js"],
    ["the CloudEvents MQTT binding", "cloudevents/dist/message/mqtt/index.js"],
    ["the CloudEvents HTTP transport", "cloudevents/dist/transport/http/index.js"],
    ["json-bigint", "json-bigint/index.js"],
  ])("replace %s (%s) with a stand-in", (_, file) => {
    expect(fs.existsSync(path.join(ROOT, "node_modules", file))).toBe(true);
    expect(sources).not.toContain(`node_modules/${file}`);
    expect(sources).toContain(`left-out:node_modules/${file}`);
  });

  it("keep the highest version of each request and what it requires, but ApiVersions, which kafkajs negotiates from the top down", () => {
    const requests = (api: string) => sources.filter((s) => s.startsWith(`node_modules/kafkajs/src/protocol/requests/${api}/v`) && s.endsWith("/request.js"));
    const produce = "node_modules/kafkajs/src/protocol/requests/produce";

    // Produce v7's modules require v6's, v5's and v3's; v0-v2 and v4 are reached only from the versions table.
    expect(requests("produce")).toEqual([`${produce}/v3/request.js`, `${produce}/v5/request.js`, `${produce}/v6/request.js`, `${produce}/v7/request.js`]);
    expect((require("kafkajs/src/protocol/requests/produce") as { versions: string[] }).versions.map(Number).sort((a, b) => b - a)[0]).toBe(7);
    expect(requests("apiVersions")).toHaveLength((require("kafkajs/src/protocol/requests/apiVersions") as { versions: string[] }).versions.length);
    expect(sources).toContain(`left-out:${produce}/older-versions`);
  });

  it("replace zod's JSON Schema generator with a stand-in exporting the same names", () => {
    // zod ships each module twice; the CommonJS twin has the same exports.
    const original = require(path.join(ROOT, "node_modules/zod/v4/core/to-json-schema.cjs")) as object;

    expect(Object.keys(zodStub).sort()).toEqual(Object.keys(original).sort());
    expect(sources).not.toContain("node_modules/zod/v4/core/to-json-schema.js");
    expect(sources).toContain("platform/infra/bundle-stubs/zod-to-json-schema.ts");
  });

  it("count the stand-ins apart in the composition, and load nothing lazily here", () => {
    const parts = built.composition.map((part) => part.source);

    expect(parts).toContain(LEFT_OUT_SOURCE);
    expect(parts).not.toContain(LAZY_SOURCE);
    expect(parts).not.toContain("json-bigint");
    expect(parts).not.toContain("bignumber.js");
  });

  it("throw LeftOutOfBundle naming what and why when reached; the rest of the package works", () => {
    // Prepare
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ensemble-trim-"));
    temporary.push(dir);
    fs.cpSync(built.directory, dir, { recursive: true });

    // Act
    const result = runIn(
      dir,
      `const { Kafka, CloudEvent, HTTP, KafkaBinding, z } = require("./index.js").handler();
      const caught = (fn) => { try { fn(); return "no error"; } catch (error) { return { name: error.name, message: error.message }; } };
      const kafka = new Kafka({ brokers: ["127.0.0.1:1"], logLevel: 0 });
      const event = new CloudEvent({ id: "1", source: "/s", type: "t", data: { a: 1 } });
      process.stdout.write(JSON.stringify({
        admin: caught(() => kafka.admin()),
        consumer: caught(() => kafka.consumer({ groupId: "g" })),
        producer: typeof kafka.producer().send,
        http: caught(() => HTTP.binary(event)),
        kafka: KafkaBinding.binary(event).headers.ce_id,
        zod: z.object({ a: z.number() }).safeParse({ a: "x" }).success,
        jsonSchema: caught(() => z.object({}).toJSONSchema()),
        generatedId: new CloudEvent({ source: "/s", type: "t" }).id,
      }));`,
    );

    // Assess
    const leftOut = (what: string, why: RegExp) => ({ name: "LeftOutOfBundle", message: expect.stringMatching(new RegExp(`^${what} is left out of this Lambda bundle \\(platform/infra/bundle-trim\\.ts\\): .*${why.source}`)) });
    expect(result).toEqual({
      admin: leftOut("kafkajs admin client", /kafka\.admin\(\)/),
      consumer: leftOut("kafkajs consumer", /event source mapping/),
      producer: "function",
      http: leftOut("the CloudEvents SDK's HTTP binding", /on Kafka only/),
      kafka: "1",
      zod: false,
      jsonSchema: leftOut("zod's JSON Schema generation \\(toJSONSchema\\)", /build time/),
      // The SDK's uuid is node:crypto's: a random (version 4) UUID.
      generatedId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
    });
    expect(sources.filter((source) => source.includes("/uuid/"))).toEqual([]);
    expect(sources).toContain("platform/infra/bundle-stubs/uuid-v4.ts");
    expect(sources).toContain("package-bugs:../package.json");
  }, 30_000);
});

describe("kafkaUsesOf", () => {
  it("finds any .admin( and .consumer( call, however its arguments are written, and nothing else", () => {
    expect(kafkaUsesOf([`const admin = kafka.admin();`, `kafka.consumer({ groupId })`])).toEqual({ admin: true, consumer: true });
    expect(kafkaUsesOf([`const c = client.consumer (options);`])).toEqual({ admin: false, consumer: true });
    expect(kafkaUsesOf([`import { consumer } from "./x"; names.consumerFunction("a"); consumer(); kafka.producer()`])).toEqual({ admin: false, consumer: false });
  });
});

describe("checkPinnedVersions", () => {
  it("fails the build with a BundleError when an installed version differs from the pinned one", () => {
    // Prepare
    const nodeModules = fs.mkdtempSync(path.join(os.tmpdir(), "ensemble-pinned-"));
    temporary.push(nodeModules);
    fs.mkdirSync(path.join(nodeModules, "kafkajs"));
    fs.writeFileSync(path.join(nodeModules, "kafkajs", "package.json"), JSON.stringify({ version: "2.3.0" }));

    // Act & Assess
    expect(() => checkPinnedVersions(nodeModules)).toThrow(BundleError);
    expect(() => checkPinnedVersions(nodeModules)).toThrow(`leaves parts of kafkajs ${PINNED.kafkajs} out of Lambda bundles by their file names, but kafkajs 2.3.0 is installed`);
  });
});

describe("a lazy external's loader", () => {
  it("loads the module on the first read of an export, not when esbuild's import helper copies it", () => {
    // Prepare: the loader, with a require that counts, and esbuild's __toESM as it copies a module
    let loads = 0;
    const fakeRequire = () => (loads++, { __esModule: true, SFNClient: class SFNClient {}, answer: 42 });
    const module = { exports: {} as Record<string, unknown> };
    new Function("require", "module", lazyModuleSource("@aws-sdk/client-sfn", true))(fakeRequire, module);
    const toESM = (mod: object) => {
      const target = Object.create(Object.getPrototypeOf(mod)) as Record<string, unknown>;
      for (const key of Object.getOwnPropertyNames(mod)) Object.defineProperty(target, key, { get: () => (mod as Record<string, unknown>)[key], enumerable: true });
      return (mod as { __esModule?: boolean }).__esModule ? target : Object.assign(target, { default: mod });
    };

    // Act
    const imported = toESM(module.exports);
    const before = loads;
    const answer = imported.answer;

    // Assess
    expect({ before, answer, after: loads, esModule: imported.__esModule }).toEqual({ before: 0, answer: 42, after: 1, esModule: true });
    expect(typeof imported.SFNClient).toBe("function");
    expect(loads).toBe(1);
  });
});
