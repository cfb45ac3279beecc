import * as fs from "node:fs";
import * as path from "node:path";
import { consumers } from "../../../consumers";
import { contexts } from "../../../contexts";
import { inExample } from "../../support/example";
import { runProgram } from "../../support/stack";

// A renamed resource is a replaced resource on `pulumi up`. Both stacks' URNs and physical names
// are recorded here: a refactor that changes one adds an alias (re-record with RECORD_NAMES=1).
const recorded = (file: string, lines: string[]): string[] => {
  const at = path.join(__dirname, "../../fixtures/resource-names", file);
  if (process.env.RECORD_NAMES === "1") fs.writeFileSync(at, `${lines.join("\n")}\n`);
  return fs.readFileSync(at, "utf8").trim().split("\n");
};

// Contexts and groups added since the example (npm run add-context, add-consumer) bring resources
// of their own, named `Ensemble<Name>...`, `EnsembleKafkaTopic<Name>Events|Dlq` and
// `...EventSourceMapping<Context>` in the groups that read them: new, not renamed. Everything
// recorded must still be there, and nothing else.
const additions = [...contexts, ...consumers].map((c) => c.name).filter((name) => !inExample(name));
const pascal = (name: string) => name.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
const ownedByAddition = (line: string): boolean => {
  const logical = /::([^:\s]+)(?:\s|$)/.exec(line)?.[1] ?? "";
  return additions.some((name) => new RegExp(`^Ensemble${pascal(name)}(?:[A-Z]|$)|^EnsembleKafkaTopic${pascal(name)}(?:Events|Dlq)$|EventSourceMapping${pascal(name)}$`).test(logical));
};

describe.each(["dev", "prod"])("the resources of stack %s", (stack) => {
  let run: Awaited<ReturnType<typeof runProgram>>;

  beforeAll(async () => {
    run = await runProgram(stack);
  });

  it("keep their recorded URNs", () => {
    const urns = run.mocks.urns().filter((urn) => !ownedByAddition(urn));
    const before = recorded(`${stack}.urns.txt`, urns);
    expect({ added: urns.filter((urn) => !before.includes(urn)), removed: before.filter((urn) => !urns.includes(urn)) }).toEqual({ added: [], removed: [] });
    expect(urns).toHaveLength(before.length);
  });

  it("keep their recorded physical names", () => {
    const names = run.mocks.physicalNames().filter((line) => !ownedByAddition(line));
    expect(names).toEqual(recorded(`${stack}.physical-names.txt`, names));
  });
});
