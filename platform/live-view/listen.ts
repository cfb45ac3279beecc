import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { PortInUseError } from "./errors";

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

/** An HTTP server bound to its port, with no routes yet: bound first so a taken port fails fast. */
export interface Listener {
  readonly server: http.Server;
  readonly port: number;
  readonly address: string;
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
  return { server, port: address.port, address: address.address };
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
