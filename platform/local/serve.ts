import { randomUUID } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { takeSnapshot } from "./demo";
import { ExecutionAlreadyExistsError } from "./errors";
import type { LocalRuntime } from "./runtime";

export interface Server {
  /** The port it listens on (the one asked for, or the one the system chose for 0). */
  readonly port: number;
  /** The address it listens on: 127.0.0.1 unless asked for more. */
  readonly address: string;
  close(): Promise<void>;
}

/**
 * `npm start -- --keep`: accepts executions over HTTP on a running runtime.
 * `POST /executions/<context>` with `{ "name"?: string, "input": {...} }` (or the input itself)
 * starts one and answers 202 with its ARN; a body that is not JSON or an unknown context answers
 * 400, a name already used 409; `GET /status` answers the runtime's snapshot; anything else 404.
 *
 * @example
 * const server = await serve(runtime, 4040); // on 127.0.0.1 only; pass a host to listen wider
 * // curl -X POST localhost:4040/executions/orders -d '{"input": {...}}'
 * await server.close();
 */
export async function serve(runtime: LocalRuntime, port: number, host = "127.0.0.1"): Promise<Server> {
  const startedAt = Date.now();
  const server = http.createServer((request, response) => {
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(`${JSON.stringify(body, null, 2)}\n`);
    };
    const match = /^\/executions\/([a-z0-9-]+)$/.exec(request.url ?? "");
    if (request.method === "GET" && request.url === "/status") {
      takeSnapshot(runtime, 0, 0, startedAt).then(
        (snapshot) => reply(200, snapshot),
        (error: unknown) => reply(500, { error: (error as Error).message }),
      );
      return;
    }
    if (request.method !== "POST" || !match) return reply(404, { error: "use POST /executions/<context> or GET /status" });
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      try {
        const parsed = JSON.parse(body || "{}") as { name?: string; input?: unknown };
        const execution = runtime.startExecution(match[1]!, parsed.name ?? randomUUID(), parsed.input ?? parsed);
        reply(202, { executionArn: execution.executionArn });
      } catch (error) {
        reply(error instanceof ExecutionAlreadyExistsError ? 409 : 400, { error: (error as Error).message });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    address: (server.address() as AddressInfo).address,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
