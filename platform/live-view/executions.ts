import { randomUUID } from "node:crypto";
import type * as http from "node:http";
import { ExecutionAlreadyExistsError } from "../local/errors";
import type { LocalRuntime } from "../local/runtime";

/**
 * `POST /executions/<context>` with `{ "name"?: string, "input": {...} }` (or the input itself):
 * starts one and answers 202 with its ARN; a body that is not JSON or an unknown context answers
 * 400, a name already used 409.
 */
export function startExecution(runtime: LocalRuntime, context: string, request: http.IncomingMessage, reply: (status: number, body: unknown) => void): void {
  let body = "";
  request.on("data", (chunk: Buffer) => (body += chunk.toString()));
  request.on("end", () => {
    try {
      const parsed = JSON.parse(body || "{}") as { name?: string; input?: unknown };
      const execution = runtime.startExecution(context, parsed.name ?? randomUUID(), parsed.input ?? parsed);
      reply(202, { executionArn: execution.executionArn });
    } catch (error) {
      reply(error instanceof ExecutionAlreadyExistsError ? 409 : 400, { error: (error as Error).message });
    }
  });
}
