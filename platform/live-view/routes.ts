/** What each route answers, listed in a 404 so a wrong path says what exists. */
export const ROUTES: readonly string[] = [
  "GET / — the live view: the topology with counts updated as they change",
  "GET /live — Server-Sent Events: the run's state (JSON) now and whenever it changes",
  "GET /status — the run's snapshot (JSON)",
  "GET /dead-letters — this run's dead letters with their reasons (JSON)",
  "GET /keys/<key> — one business key's events across contexts and its spans, with timings (JSON)",
  "POST /executions/<context> — starts an execution: {name?, input} (or the input itself)",
];

export type Route =
  | { readonly kind: "page" }
  | { readonly kind: "live" }
  | { readonly kind: "status" }
  | { readonly kind: "dead-letters" }
  | { readonly kind: "key"; readonly key: string }
  | { readonly kind: "start"; readonly context: string };

/** The route a request asks for, or undefined (a 404). The query string is ignored. */
export function routeOf(method: string | undefined, url: string | undefined): Route | undefined {
  const pathname = (url ?? "/").split("?")[0]!;
  if (method === "GET") {
    if (pathname === "/") return { kind: "page" };
    if (pathname === "/live") return { kind: "live" };
    if (pathname === "/status") return { kind: "status" };
    if (pathname === "/dead-letters") return { kind: "dead-letters" };
    const key = /^\/keys\/([^/]+)$/.exec(pathname)?.[1];
    const decoded = key === undefined ? undefined : decodedSegment(key);
    if (decoded) return { kind: "key", key: decoded };
  }
  const context = /^\/executions\/([a-z0-9-]+)$/.exec(pathname)?.[1];
  if (method === "POST" && context) return { kind: "start", context };
  return undefined;
}

/** A path segment decoded, or undefined when its escapes are malformed (`%zz`). */
function decodedSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
