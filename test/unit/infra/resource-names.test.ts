import * as fs from "node:fs";
import * as path from "node:path";
import { runProgram } from "../../support/stack";

// A renamed resource is a replaced resource on `pulumi up`. Both stacks' URNs and physical names
// are recorded here: a refactor that changes one adds an alias (re-record with RECORD_NAMES=1).
const recorded = (file: string, lines: string[]): string[] => {
  const at = path.join(__dirname, "../../fixtures/resource-names", file);
  if (process.env.RECORD_NAMES === "1") fs.writeFileSync(at, `${lines.join("\n")}\n`);
  return fs.readFileSync(at, "utf8").trim().split("\n");
};

describe.each(["dev", "prod"])("the resources of stack %s", (stack) => {
  let run: Awaited<ReturnType<typeof runProgram>>;

  beforeAll(async () => {
    run = await runProgram(stack);
  });

  it("keep their recorded URNs", () => {
    const urns = run.mocks.urns();
    const before = recorded(`${stack}.urns.txt`, urns);
    expect({ added: urns.filter((urn) => !before.includes(urn)), removed: before.filter((urn) => !urns.includes(urn)) }).toEqual({ added: [], removed: [] });
    expect(urns).toHaveLength(before.length);
  });

  it("keep their recorded physical names", () => {
    const names = run.mocks.physicalNames();
    expect(names).toEqual(recorded(`${stack}.physical-names.txt`, names));
  });
});
