import { contexts } from "../../../contexts";
import { defineConsumer } from "../../../platform/model";
import { planConsumerGroups } from "../../../platform/model/consumer-group-plan";
import { eventPollers, POLLER_GROUP_LIMITS } from "../../../platform/model/poller-groups";
import { parseStackConfig } from "../../../platform/model/stack-config";
import { topology } from "../../../topology";

const [orders, shipping, billing] = [contexts.find((c) => c.name === "orders")!, contexts.find((c) => c.name === "shipping")!, contexts.find((c) => c.name === "billing")!];

/** `count` groups reading all three contexts (three mappings each), `maxPollers` each. */
function groups(count: number, maxPollers: number) {
  return Array.from({ length: count }, (_, i) =>
    defineConsumer({
      name: `group-${String(i).padStart(3, "0")}`,
      on: [orders.events.OrderPlaced, shipping.events.ShipmentDispatched, billing.events.InvoiceIssued],
      scaling: { minPollers: 1, maxPollers },
    }),
  );
}

const shared = parseStackConfig("prod", { functions: { sharedPollers: true } });

describe("shared poller groups", () => {
  it("are off by default: no mapping names a poller group", () => {
    const plans = planConsumerGroups(topology.consumers, "dev", parseStackConfig("dev", {}));

    expect(plans.flatMap((plan) => plan.mappings.map((m) => m.pollerGroup))).toEqual(plans.flatMap((plan) => plan.mappings.map(() => undefined)));
  });

  it("hold at most 100 mappings each, in declaration order", () => {
    // Act: 40 groups x 3 mappings = 120 mappings of 2 pollers at most
    const plans = planConsumerGroups(groups(40, 2), "prod", shared);

    // Assess
    const names = plans.flatMap((plan) => plan.mappings.map((m) => m.pollerGroup));
    expect(names.filter((n) => n === "prod-pollers-1")).toHaveLength(POLLER_GROUP_LIMITS.mappings);
    expect(names.slice(100)).toEqual(Array(20).fill("prod-pollers-2"));
    expect(plans[33]!.mappings.map((m) => m.pollerGroup)).toEqual(["prod-pollers-1", "prod-pollers-2", "prod-pollers-2"]);
  });

  it("open a new group before the mappings' maximum pollers pass 2,000", () => {
    // Act: 30 mappings of 100 pollers at most: 20 fit (2,000), the 21st opens a group
    const plans = planConsumerGroups(groups(10, 100), "prod", shared);

    // Assess
    const counts = eventPollers(plans).pollerGroups;
    expect(counts).toEqual({
      "prod-pollers-1": { minimum: 20, maximum: 2000, mappings: 20 },
      "prod-pollers-2": { minimum: 10, maximum: 1000, mappings: 10 },
    });
  });

  it("keep every mapping where it was when a group is added at the end", () => {
    const before = planConsumerGroups(groups(40, 2), "prod", shared);
    const after = planConsumerGroups(groups(41, 2), "prod", shared);

    const byGroupId = (plans: typeof before) => Object.fromEntries(plans.flatMap((plan) => plan.mappings.map((m) => [m.groupId, m.pollerGroup])));
    expect(byGroupId(after)).toMatchObject(byGroupId(before));
  });
});

describe("eventPollers", () => {
  it("sums the stack's provisioned pollers, overall and per group, from the plans after overrides", () => {
    // Act: prod raises notify-customer to 2–10 pollers
    const plans = planConsumerGroups(topology.consumers, "prod", parseStackConfig("prod", { consumers: { "notify-customer": { minPollers: 2, maxPollers: 10 } } }));
    const pollers = eventPollers(plans);

    // Assess
    expect(pollers.byGroup["notify-customer"]).toEqual({ minimum: 6, maximum: 30, mappings: 3 });
    expect(pollers.mappings).toBe(plans.reduce((sum, plan) => sum + plan.mappings.length, 0));
    expect(pollers.minimum).toBe(plans.reduce((sum, plan) => sum + plan.settings.minPollers * plan.mappings.length, 0));
    expect(pollers.maximum).toBe(plans.reduce((sum, plan) => sum + plan.settings.maxPollers * plan.mappings.length, 0));
    expect(pollers.pollerGroups).toEqual({});
  });
});
