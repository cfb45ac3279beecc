import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { parse } from "yaml";

const ROOT = path.resolve(__dirname, "../../..");

describe("Pulumi.yaml", () => {
  it("runs the program with tsconfig.pulumi.json: Node's types only, transpiled without a type check, no tests", () => {
    // Prepare
    const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { runtime: { options: Record<string, unknown> } };
    const file = String(project.runtime.options.tsconfig);

    // Act
    const { config } = ts.readConfigFile(path.join(ROOT, file), ts.sys.readFile);
    const parsed = ts.parseJsonConfigFileContent(config, ts.sys, ROOT);

    // Assess
    expect(file).toBe("tsconfig.pulumi.json");
    // Pulumi reads noCheck from this file itself (not through "extends") to turn on transpile-only.
    expect(config.compilerOptions).toMatchObject({ noCheck: true, types: ["node"] });
    const files = parsed.fileNames.map((f) => path.relative(ROOT, f));
    expect(files).toContain("index.ts");
    expect(files.filter((f) => f.startsWith("test/") || f.startsWith("bench/") || f.startsWith("scripts/"))).toEqual([]);
  });
});
