import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { PortInUseError } from "./errors";
import { allowedHosts, hostRefusal } from "./request-guard";

export interface ListenOptions {
  /** 0 lets the system choose a free port. */
  readonly port: number;
  /** @default "127.0.0.1": this machine only */
  readonly host?: string;
  /**
   * When `port` is taken, listen on a free port instead of failing: right for a default port
   * (another `npm start` may hold it), wrong for one the user asked for. @default false
   */
  readonly fallback?: boolean;
}

export type RequestHandler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

/**
 * An HTTP server bound to its port, before its routes exist: bound first so a taken port fails
 * fast. Until `serve` gives it a handler it answers 503 "starting…" (its page reloads itself).
 * Whatever serves it, it refuses requests addressed to another Host (see `allowedHosts`) and
 * marks every response `X-Content-Type-Options: nosniff`.
 */
export interface Listener {
  readonly server: http.Server;
  readonly port: number;
  readonly address: string;
  /** Hands every request from now on to `handler`. */
  serve(handler: RequestHandler): void;
}

/**
 * Binds an HTTP server. A taken port falls back to a free one with `fallback`, otherwise fails
 * with a `PortInUseError` naming the port.
 */
export async function listen(options: ListenOptions): Promise<Listener> {
  const host = options.host ?? "127.0.0.1";
  const server = http.createServer();
  try {
    await bind(server, options.port, host);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    if (!options.fallback) {
      throw new PortInUseError(`Port ${options.port} on ${host} is in use by another process: pass --port <n> for another one, or --port 0 for any free one.`, { cause: error });
    }
    await bind(server, 0, host);
  }
  const address = server.address() as AddressInfo;
  const allowed = allowedHosts({ address: address.address, port: address.port });
  let handler: RequestHandler = starting;
  server.on("request", (request: http.IncomingMessage, response: http.ServerResponse) => {
    response.setHeader("x-content-type-options", "nosniff");
    const refused = hostRefusal(request.headers.host, allowed);
    if (!refused) return handler(request, response);
    response.writeHead(refused.status, { "content-type": "application/json" });
    response.end(`${JSON.stringify({ error: refused.message })}\n`);
  });
  return { server, port: address.port, address: address.address, serve: (next) => (handler = next) };
}

/** What is answered before the routes exist (the broker is starting): the page retries every second. */
function starting(request: http.IncomingMessage, response: http.ServerResponse): void {
  const html = (request.url ?? "/").split("?")[0] === "/";
  response.writeHead(503, { "content-type": html ? "text/html; charset=utf-8" : "application/json", "retry-after": "1", "cache-control": "no-store" });
  response.end(
    html
      ? `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="1"><meta http-equiv="Content-Security-Policy" content="default-src 'none'"><title>starting…</title></head><body><p>starting… (the broker and the runtime are starting; this page reloads itself)</p></body></html>\n`
      : `${JSON.stringify({ error: "starting… (the broker and the runtime are starting): try again in a second" })}\n`,
  );
}

/** The address to open in a browser: a wildcard address is reachable on the loopback one. */
export function urlOf(listener: Pick<Listener, "address" | "port">): string {
  const host = listener.address === "0.0.0.0" || listener.address === "::" ? "127.0.0.1" : listener.address;
  return `http://${host.includes(":") ? `[${host}]` : host}:${listener.port}/`;
}

function bind(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error) => reject(error);
    server.once("error", failed);
    server.listen(port, host, () => {
      server.off("error", failed);
      resolve();
    });
  });
}
