import * as fs from "node:fs";
import * as path from "node:path";
import { policies } from "../../../policy/policies";
import { stackPolicyConfig } from "../../support/policy";

const ROOT = path.resolve(__dirname, "../../..");

/** The policy table of docs/security.md: per policy, its cells by column heading. */
function policyTable(): Map<string, Record<string, string>> {
  const lines = fs.readFileSync(path.join(ROOT, "docs/security.md"), "utf8").split("\n");
  const cells = (line: string) => line.trim().replace(/^\||\|$/g, "").split("|").map((cell) => cell.trim());
  const header = lines.findIndex((line) => line.startsWith("| Policy |"));
  const columns = cells(lines[header]!);
  const rows = new Map<string, Record<string, string>>();
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith("|")) break;
    const row = Object.fromEntries(cells(line).map((cell, i) => [columns[i]!, cell]));
    rows.set(row.Policy!.replace(/`/g, ""), row);
  }
  return rows;
}

describe("docs/security.md", () => {
  it("has a row for every policy of the pack, and none for a policy it does not have", () => {
    // Prepare, Act
    const documented = [...policyTable().keys()];

    // Assess
    expect(documented.sort()).toEqual(policies.map((p) => p.name).sort());
  });

  it.each(["dev", "prod"])("describes each exception of policy/stacks/%s.json, and only those", (stack) => {
    // Prepare
    const configured = Object.keys(stackPolicyConfig(stack));

    // Act
    const rows = [...policyTable().entries()].map(([name, row]) => ({ name, cell: row[stack] ?? "", reason: row["Exception and reason"] ?? "" }));

    // Assess
    expect(rows.filter((r) => configured.includes(r.name) && !(r.cell.startsWith("exception:") && r.reason !== "")).map((r) => r.name)).toEqual([]);
    expect(rows.filter((r) => !configured.includes(r.name) && r.cell !== "passes").map((r) => r.name)).toEqual([]);
  });
});
