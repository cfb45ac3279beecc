import * as http from "node:http";
import { ExecutionAlreadyExistsError } from "../../../platform/local/errors";
import { listen, type Listener } from "../../../platform/live-view";
import { type Reply, startExecution } from "../../../platform/live-view/executions";
import { MAX_BODY_BYTES } from "../../../platform/live-view/request-guard";

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** One request with whatever headers (node:http, so Host can be anything). */
function request(listener: Listener, options: { method?: string; path?: string; headers?: http.OutgoingHttpHeaders; body?: string | Buffer }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request({ host: "127.0.0.1", port: listener.port, method: options.method ?? "GET", path: options.path ?? "/", headers: options.headers ?? {} }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    outgoing.on("error", reject);
    outgoing.end(options.body);
  });
}

/** The route `serveLive` gives `POST /executions/<context>`, on a runtime that only starts executions. */
function executionsRoute(started: string[]): (request: http.IncomingMessage, response: http.ServerResponse) => void {
  const runtime = {
    startExecution: (context: string, name: string) => {
      if (started.includes(name)) throw new ExecutionAlreadyExistsError(`Execution "${name}" already exists.`);
      started.push(name);
      return { executionArn: `arn:aws:states:local:000000000000:execution:test-${context}:${name}` } as ReturnType<Parameters<typeof startExecution>[0]["startExecution"]>;
    },
  };
  return (incoming, response) => {
    const reply: Reply = (status, body, headers = {}) => {
      response.writeHead(status, { ...headers, "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    startExecution(runtime, "orders", incoming, reply);
  };
}

describe("the live view's listener, before and after its routes exist", () => {
  let listener: Listener;

  beforeEach(async () => {
    listener = await listen({ port: 0 });
  });

  afterEach(async () => {
    await new Promise((resolve) => {
      listener.server.close(resolve);
      listener.server.closeAllConnections();
    });
  });

  it("answers 503 starting… until it is served: a page that reloads itself, JSON elsewhere", async () => {
    // Act
    const [page, status] = await Promise.all([request(listener, { path: "/" }), request(listener, { path: "/status" })]);

    // Assess
    expect([page.status, page.headers["retry-after"], page.headers["content-type"]]).toEqual([503, "1", "text/html; charset=utf-8"]);
    expect(page.body).toContain(`<meta http-equiv="refresh" content="1">`);
    expect(page.body).toContain("starting…");
    expect([status.status, JSON.parse(status.body)]).toEqual([503, { error: "starting… (the broker and the runtime are starting): try again in a second" }]);
  });

  it("hands requests to what serves it, marking every answer nosniff", async () => {
    // Prepare
    listener.serve((_, response) => response.end("served"));

    // Act
    const answer = await request(listener, {});

    // Assess
    expect([answer.status, answer.body, answer.headers["x-content-type-options"]]).toEqual([200, "served", "nosniff"]);
  });

  it("refuses a request addressed to another Host (DNS rebinding) with a 403, before and after it is served", async () => {
    // Act
    const before = await request(listener, { headers: { host: `rebind.attacker.example:${listener.port}` } });
    listener.serve((_, response) => response.end("served"));
    const after = await request(listener, { headers: { host: `rebind.attacker.example:${listener.port}` } });
    const local = await request(listener, { headers: { host: `localhost:${listener.port}` } });

    // Assess
    expect([before.status, after.status, local.status]).toEqual([403, 403, 200]);
    expect(JSON.parse(after.body).error).toContain(`Host "rebind.attacker.example:${listener.port}" is not this server's name`);
    expect(after.headers["x-content-type-options"]).toBe("nosniff");
  });

  it("accepts any Host when it listens on every interface (--host 0.0.0.0)", async () => {
    // Prepare
    const everywhere = await listen({ port: 0, host: "0.0.0.0" });
    everywhere.serve((_, response) => response.end("served"));

    try {
      // Act
      const answer = await request(everywhere, { headers: { host: `my-laptop.lan:${everywhere.port}` } });

      // Assess
      expect(answer.status).toBe(200);
    } finally {
      everywhere.server.close();
    }
  });
});

describe("POST /executions/<context>", () => {
  let listener: Listener;
  const started: string[] = [];

  beforeAll(async () => {
    listener = await listen({ port: 0 });
    listener.serve(executionsRoute(started));
  });

  afterAll(async () => {
    await new Promise((resolve) => {
      listener.server.close(resolve);
      listener.server.closeAllConnections();
    });
  });

  it("starts one for a JSON body sent as application/json", async () => {
    // Act
    const answer = await request(listener, { method: "POST", path: "/executions/orders", headers: { "content-type": "application/json; charset=utf-8" }, body: JSON.stringify({ name: "json-1", input: {} }) });

    // Assess
    expect([answer.status, JSON.parse(answer.body)]).toEqual([202, { executionArn: "arn:aws:states:local:000000000000:execution:test-orders:json-1" }]);
    expect(started).toEqual(["json-1"]);
  });

  it("refuses text/plain (what another site's page may send without a preflight) and no content type with a 415, starting nothing", async () => {
    // Act
    const plain = await request(listener, { method: "POST", path: "/executions/orders", headers: { "content-type": "text/plain;charset=UTF-8" }, body: JSON.stringify({ name: "plain-1", input: {} }) });
    const none = await request(listener, { method: "POST", path: "/executions/orders", body: JSON.stringify({ name: "none-1", input: {} }) });

    // Assess
    expect([plain.status, none.status]).toEqual([415, 415]);
    expect(JSON.parse(plain.body).error).toContain("content-type: application/json");
    expect(started).toEqual(["json-1"]);
  });

  it("refuses a body over 1 MiB with a 413, whether its length is declared or not", async () => {
    // Prepare
    const large = Buffer.alloc(MAX_BODY_BYTES + 1, " ");

    // Act
    const declared = await request(listener, { method: "POST", path: "/executions/orders", headers: { "content-type": "application/json" }, body: large });
    const chunked = await request(listener, { method: "POST", path: "/executions/orders", headers: { "content-type": "application/json", "transfer-encoding": "chunked" }, body: large });

    // Assess
    expect([declared.status, chunked.status]).toEqual([413, 413]);
    expect(JSON.parse(declared.body).error).toContain("larger than 1048576 bytes");
    expect(started).toEqual(["json-1"]);
  });
});
