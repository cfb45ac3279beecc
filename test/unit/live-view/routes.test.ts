import { ROUTES, routeOf } from "../../../platform/live-view/routes";

describe("routeOf", () => {
  it("names each route the server answers, ignoring the query string", () => {
    // Act
    const routes = [
      routeOf("GET", "/"),
      routeOf("GET", "/?refresh=1"),
      routeOf("GET", "/live"),
      routeOf("GET", "/status"),
      routeOf("GET", "/dead-letters"),
      routeOf("GET", "/keys/demo-00001"),
      routeOf("POST", "/executions/orders"),
    ];

    // Assess
    expect(routes).toEqual([
      { kind: "page" },
      { kind: "page" },
      { kind: "live" },
      { kind: "status" },
      { kind: "dead-letters" },
      { kind: "key", key: "demo-00001" },
      { kind: "start", context: "orders" },
    ]);
  });

  it("decodes a key's escapes, so any key can be looked up", () => {
    expect(routeOf("GET", `/keys/${encodeURIComponent("order 1/€ <x>")}`)).toEqual({ kind: "key", key: "order 1/€ <x>" });
  });

  it("answers no route (a 404 listing ROUTES) for other methods, paths, and malformed escapes", () => {
    // Act
    const routes = [
      routeOf("POST", "/status"),
      routeOf("GET", "/executions/orders"),
      routeOf("POST", "/executions/Orders"),
      routeOf("GET", "/keys/"),
      routeOf("GET", "/keys/a/b"),
      routeOf("GET", "/keys/%zz"),
      routeOf("DELETE", "/"),
      routeOf("GET", "/nowhere"),
      // A CORS preflight is never granted: another site's page cannot POST JSON here.
      routeOf("OPTIONS", "/executions/orders"),
    ];

    // Assess
    expect(routes).toEqual([undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined]);
    expect(ROUTES.map((route) => route.split(" — ")[0])).toEqual(["GET /", "GET /live", "GET /status", "GET /dead-letters", "GET /keys/<key>", "POST /executions/<context>"]);
  });
});
