import { ROLE_NAME_MAX_LENGTH, roleName } from "../../../platform/infra/role-name";

describe("roleName", () => {
  it("keeps a short lowercase name readable, with its kind as suffix", () => {
    expect(roleName("dev-notify-customer", "lambda")).toBe("dev-notify-customer-lambda");
    expect(roleName("dev-orders", "sfn")).toBe("dev-orders-sfn");
  });

  it("keeps a state machine's role apart from the role of a function with the same name", () => {
    expect(roleName("dev-orders", "sfn")).not.toBe(roleName("dev-orders", "lambda"));
  });

  it("keeps names apart that IAM would treat as one because it ignores case", () => {
    // Prepare
    const task = roleName("dev-orders-Validate", "lambda");
    const group = roleName("dev-orders-validate", "lambda");

    // Assess
    expect(group).toBe("dev-orders-validate-lambda");
    expect(task).toMatch(/^dev-orders-Validate\.[0-9a-f]{10}-lambda$/);
    expect(task.toLowerCase()).not.toBe(group.toLowerCase());
  });

  it("fits a long name into 64 characters, unique by a hash of the whole name", () => {
    // Prepare: an 80-character state machine name, and two 64-character function names that
    // differ only at the end
    const machine = `dev-${"a".repeat(76)}`;
    const first = `dev-${"b".repeat(59)}1`;
    const second = `dev-${"b".repeat(59)}2`;

    // Act
    const names = [roleName(machine, "sfn"), roleName(first, "lambda"), roleName(second, "lambda")];

    // Assess
    for (const name of names) expect(name.length).toBeLessThanOrEqual(ROLE_NAME_MAX_LENGTH);
    expect(names[0]).toMatch(/^dev-a+\.[0-9a-f]{10}-sfn$/);
    expect(names[1]).not.toBe(names[2]);
    expect(roleName(first, "lambda")).toBe(names[1]);
  });
});
