import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

describe("the README and docs/", () => {
  it("keeps the README to a screen: at most 200 lines", () => {
    expect(fs.readFileSync(path.join(ROOT, "README.md"), "utf8").split("\n").length).toBeLessThanOrEqual(200);
  });

  it("link only to files and headings that exist, and the README to nothing outside the repository", () => {
    const check = spawnSync(process.execPath, [path.join(ROOT, "docs/check-links.mjs")], { encoding: "utf8" });
    expect({ status: check.status, stderr: check.stderr }).toEqual({ status: 0, stderr: "" });
    expect(check.stdout).toMatch(/^links: \d+ relative links in \d+ files, all resolve/);
  });

  it("name every npm script they show that package.json runs", () => {
    const scripts = Object.keys((JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts);
    const pages = ["README.md", ...fs.readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
    const shown = pages.flatMap((page) => [...fs.readFileSync(path.join(ROOT, page), "utf8").matchAll(/npm run ([a-z][a-z0-9:-]*[a-z0-9])/g)].map((m) => ({ page, script: m[1]! })));
    expect(shown.filter(({ script }) => !scripts.includes(script))).toEqual([]);
  });
});
