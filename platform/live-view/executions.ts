import { randomUUID } from "node:crypto";
import type * as http from "node:http";
import { ExecutionAlreadyExistsError } from "../local/errors";
import type { LocalRuntime } from "../local/runtime";
import { bodyTooLarge, contentTypeRefusal, type Refusal } from "./request-guard";

/** Writes a JSON answer, with headers of its own when given. */
export type Reply = (status: number, body: unknown, headers?: Readonly<Record<string, string>>) => void;

/**
 * `POST /executions/<context>` with `{ "name"?: string, "input": {...} }` (or the input itself),
 * sent as `content-type: application/json`: starts one, calls `started`, and answers 202 with its
 * ARN. Another content type answers 415, a body over 1 MiB 413, a body that is not JSON or an
 * unknown context 400, a name already used 409.
 */
export function startExecution(
  runtime: Pick<LocalRuntime, "startExecution">,
  context: string,
  request: http.IncomingMessage,
  reply: Reply,
  started: () => void = () => {},
): void {
  const refused = contentTypeRefusal(request.headers["content-type"]) ?? bodyTooLarge(Number(request.headers["content-length"] ?? 0));
  if (refused) return refuse(request, reply, refused);
  const chunks: Buffer[] = [];
  let bytes = 0;
  let done = false;
  request.on("data", (chunk: Buffer) => {
    if (done) return;
    bytes += chunk.length;
    const tooLarge = bodyTooLarge(bytes);
    if (tooLarge) {
      done = true;
      return refuse(request, reply, tooLarge);
    }
    chunks.push(chunk);
  });
  request.on("end", () => {
    if (done) return;
    try {
      const body = Buffer.concat(chunks).toString("utf8");
      const parsed = JSON.parse(body || "{}") as { name?: string; input?: unknown };
      const execution = runtime.startExecution(context, parsed.name ?? randomUUID(), parsed.input ?? parsed);
      started();
      reply(202, { executionArn: execution.executionArn });
    } catch (error) {
      reply(error instanceof ExecutionAlreadyExistsError ? 409 : 400, { error: (error as Error).message });
    }
  });
}

/** Answers at once and closes the connection after: what is left of the body is read into nothing. */
function refuse(request: http.IncomingMessage, reply: Reply, refusal: Refusal): void {
  reply(refusal.status, { error: refusal.message }, { connection: "close" });
  request.resume();
}
