import * as z from "zod";
import { generateCatalog, catalogFacts } from "../../../platform/catalog";
import { defineContext, defineEvent, findIssues, formatIssue, names } from "../../../platform/model";
import { dataSchema, eventId, toCloudEvent } from "../../../platform/runtime/envelope";
import { invoice, ledger, orders, validSideBySide } from "./side-by-side-topology";

describe("an event published in two versions side by side", () => {
  it("gives version 2 a type of its own and keeps version 1's type and dataschema as they were", () => {
    // Act
    const [v1, v2] = orders.eventList;

    // Assess
    expect([v1!.type, v2!.type]).toEqual(["orders.OrderPlaced", "orders.OrderPlaced.v2"]);
    expect([dataSchema(v1!), dataSchema(v2!)]).toEqual(["urn:ensemble:schema:orders.OrderPlaced:v1", "urn:ensemble:schema:orders.OrderPlaced:v2"]);
    expect(names.eventType("orders", "OrderPlaced")).toBe("orders.OrderPlaced");
    expect(orders.events["OrderPlaced.v2"]).toBe(v2);
    // The types say so too: each version's `type` is its own literal.
    const typeOfV2: "orders.OrderPlaced.v2" = orders.events["OrderPlaced.v2"].type;
    // @ts-expect-error version 2's type is not version 1's
    const typeOfV1: "orders.OrderPlaced" = orders.events["OrderPlaced.v2"].type;
    expect([typeOfV2, typeOfV1]).toEqual(["orders.OrderPlaced.v2", "orders.OrderPlaced.v2"]);
  });

  it("publishes each version from its own milestone state, so the two events' ids differ", () => {
    // Prepare
    const milestones = orders.workflow!.milestones.map((m) => [m.state, m.eventType]);
    const executionId = "arn:aws:states:eu-west-1:123456789012:execution:dev-orders:o-1";

    // Act
    const ids = orders.eventList.map((event, i) => toCloudEvent({ event, key: "o-1", data: {}, executionId, state: milestones[i]![0]!, time: "2025-01-01T00:00:00Z" }).id);

    // Assess
    expect(milestones).toEqual([
      ["Placed", "orders.OrderPlaced"],
      ["PlacedV2", "orders.OrderPlaced.v2"],
    ]);
    expect(ids).toEqual([eventId({ executionId, state: "Placed" }), eventId({ executionId, state: "PlacedV2" })]);
    expect(new Set(ids).size).toBe(2);
  });

  it("is a valid topology in which each group reads the version it subscribes to", () => {
    // Act
    const valid = validSideBySide();

    // Assess
    expect(valid.events.map((e) => e.type)).toEqual(["orders.OrderPlaced", "orders.OrderPlaced.v2"]);
    expect(valid.subscribersOf("orders.OrderPlaced")).toEqual([invoice]);
    expect(valid.subscribersOf("orders.OrderPlaced.v2")).toEqual([ledger]);
  });

  it("still rejects one name at one version declared twice", () => {
    // Prepare
    const Placed = defineEvent({ name: "OrderPlaced", version: 2, schema: z.object({ orderId: z.string() }) });
    const twice = defineContext({ name: "orders", events: [Placed, Placed] });

    // Act
    const problems = findIssues({ contexts: [twice], consumers: [] }, { checkFiles: false }).map(formatIssue);

    // Assess
    expect(problems).toContain(
      `test/unit/model/side-by-side.test.ts: event "orders.OrderPlaced.v2": is declared twice in context "orders". Fix: give each event of a context a unique name (or, for a new schema of the same event, a new version), or list it once in the context's events.`,
    );
  });

  it("shows both versions in the catalog, each with its schema and the group that reads it", () => {
    // Prepare
    const valid = validSideBySide();

    // Act
    const facts = catalogFacts(valid, { stack: "dev" });
    const files = generateCatalog(valid, { stack: "dev" });

    // Assess
    expect(facts.events.map((e) => [e.type, e.version, e.dataschema, e.consumers.map((c) => c.group), e.milestones.map((m) => m.state)])).toEqual([
      ["orders.OrderPlaced", 1, "urn:ensemble:schema:orders.OrderPlaced:v1", ["invoice"], ["Placed"]],
      ["orders.OrderPlaced.v2", 2, "urn:ensemble:schema:orders.OrderPlaced:v2", ["ledger"], ["PlacedV2"]],
    ]);
    const markdown = files["topology.md"];
    expect(markdown).toContain("### `orders.OrderPlaced`\n\n| Producer | Schema | Consumers |\n| --- | --- | --- |\n| `orders` → `orders.events`<br>milestone `Placed`<br>key `$.orderId` | `urn:ensemble:schema:orders.OrderPlaced:v1` | `invoice` (`dev.invoice.orders`) |");
    expect(markdown).toContain("### `orders.OrderPlaced.v2`\n\n| Producer | Schema | Consumers |\n| --- | --- | --- |\n| `orders` → `orders.events`<br>milestone `PlacedV2`<br>key `$.orderId` | `urn:ensemble:schema:orders.OrderPlaced:v2` | `ledger` (`dev.ledger.orders`) |");
    expect(files["index.html"]).toContain('<h3><code>orders.OrderPlaced.v2</code> <span class="muted">v2</span></h3>');
    expect(files["asyncapi.yaml"]).toContain("const: urn:ensemble:schema:orders.OrderPlaced:v2");
  });
});
