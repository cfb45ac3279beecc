import type { Listener } from "./listen";

/** What a request may not do, with the status and words it is answered with. */
export interface Refusal {
  readonly status: number;
  readonly message: string;
}

/** The most a request body may hold (an execution's input): 1 MiB. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** The addresses that mean every interface: listening there, the user asked to be reached by any name. */
const WILDCARDS = new Set(["0.0.0.0", "::"]);

/**
 * The Host values a listener answers: its own address, `localhost` and `127.0.0.1`, each with its
 * port (and without it on port 80, as browsers send it). Undefined on a wildcard address: any
 * Host is accepted there. A page of another site that a browser resolves to 127.0.0.1 (DNS
 * rebinding) still sends its own name, so it is refused.
 */
export function allowedHosts(listener: Pick<Listener, "address" | "port">): ReadonlySet<string> | undefined {
  if (WILDCARDS.has(listener.address)) return undefined;
  const names = new Set([listener.address.includes(":") ? `[${listener.address}]` : listener.address, "localhost", "127.0.0.1"]);
  return new Set([...names].flatMap((name) => [`${name}:${listener.port}`, ...(listener.port === 80 ? [name] : [])]));
}

/** A request whose Host is not one of `allowed` (see `allowedHosts`): 403, naming the ones that are. */
export function hostRefusal(host: string | undefined, allowed: ReadonlySet<string> | undefined): Refusal | undefined {
  if (!allowed || (host !== undefined && allowed.has(host.toLowerCase()))) return undefined;
  return {
    status: 403,
    message: `Host ${host === undefined ? "(none)" : `"${host}"`} is not this server's name (${[...allowed].join(", ")}): the live view answers only requests addressed to it, so that no other site can reach it through DNS rebinding. Listen on every interface (--host 0.0.0.0) to accept any Host.`,
  };
}

/**
 * A POST whose body is not declared JSON: 415. Requiring `application/json` is what keeps other
 * sites' pages out: a browser sends it cross-origin only after a CORS preflight, which this
 * server never grants, while a `text/plain` form or no-cors fetch would need none.
 */
export function contentTypeRefusal(contentType: string | undefined): Refusal | undefined {
  const media = contentType?.split(";")[0]!.trim().toLowerCase();
  if (media === "application/json") return undefined;
  return {
    status: 415,
    message: `A POST needs the header content-type: application/json (got ${contentType === undefined ? "none" : `"${contentType}"`}), e.g. curl -H 'content-type: application/json' -d '{"input": {...}}'.`,
  };
}

/** A body longer than `MAX_BODY_BYTES`: 413. */
export function bodyTooLarge(bytes: number): Refusal | undefined {
  return bytes > MAX_BODY_BYTES ? { status: 413, message: `The body is larger than ${MAX_BODY_BYTES} bytes (1 MiB), the most an execution's input may be here.` } : undefined;
}
