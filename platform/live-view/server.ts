import type * as http from "node:http";
import type { Kafka } from "kafkajs";
import type { Snapshot } from "../local/demo";
import type { LocalRuntime } from "../local/runtime";
import type { LocalTraces } from "../local/traces";
import { DeadLetterReader } from "./dead-letter-reader";
import { type Reply, startExecution } from "./executions";
import { LiveFeed } from "./feed";
import { keyFlow, type LiveState } from "./live-data";
import { type Listener, urlOf } from "./listen";
import { livePage, type PageOptions } from "./page";
import { ROUTES, routeOf } from "./routes";

export interface LiveViewOptions extends PageOptions {
  readonly runtime: LocalRuntime;
  /** The runtime's broker: the dead letters are read back from there. */
  readonly kafka: Kafka;
  /** Where `/keys/<key>` finds a key's spans; without it, only its events. */
  readonly traces?: LocalTraces;
  /** How often the runtime is polled for changes while a page is open (and no demo shows its snapshots). @default 500 */
  readonly pollMs?: number;
}

export interface LiveView {
  /** What to open in a browser, e.g. `http://127.0.0.1:4040/`. */
  readonly url: string;
  readonly port: number;
  readonly address: string;
  /** Shows a snapshot the demo took (its started/planned become the header's): no poll of its own is due meanwhile. */
  show(snapshot: Snapshot): void;
  close(): Promise<void>;
}

/**
 * `npm start`'s one HTTP server, on a bound listener (see `listen`): the live view of a running
 * runtime, and the API that starts executions (`ROUTES` lists every route). Counts start from
 * where the runtime is when it starts serving. Until it returns, the listener answers 503
 * "starting…"; it refuses other Hosts and non-JSON POSTs (see `request-guard.ts`).
 *
 * @example
 * const view = await serveLive(await listen({ port: 0 }), { runtime, kafka, topology, catalog: { stack } });
 * console.log(`Live view: ${view.url}`);
 * await view.close();
 */
export async function serveLive(listener: Listener, options: LiveViewOptions): Promise<LiveView> {
  const { runtime } = options;
  const topics = new Map([...runtime.plans.values()].map((plan) => [plan.deadLetterTopic, plan.name]));
  const deadLetters = await DeadLetterReader.from(options.kafka, topics, runtime.stack);
  const feed = await LiveFeed.start({ runtime, deadLetters, ...(options.pollMs ? { pollMs: options.pollMs } : {}) });
  const page = livePage(options);
  const streams = new Set<http.ServerResponse>();

  listener.serve((request: http.IncomingMessage, response: http.ServerResponse) => {
    const reply: Reply = (status, body, headers = {}) => {
      response.writeHead(status, { ...headers, "content-type": "application/json" });
      response.end(`${JSON.stringify(body, null, 2)}\n`);
    };
    const route = routeOf(request.method, request.url);
    switch (route?.kind) {
      case "page":
        response.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
        return void response.end(page);
      case "live":
        return stream(response, feed, streams);
      case "status":
        return void feed.snapshot().then(
          (snapshot) => reply(200, snapshot),
          (error: unknown) => reply(500, { error: (error as Error).message }),
        );
      case "dead-letters":
        return reply(200, deadLetters.all);
      case "key": {
        const flow = keyFlow(route.key, runtime.published, options.traces?.flowOf(route.key) ?? []);
        return reply(flow.message ? 404 : 200, flow);
      }
      case "start":
        return startExecution(runtime, route.context, request, reply, () => feed.countStartedOverHttp());
      case undefined:
        return reply(404, { error: `No route ${request.method} ${request.url}.`, routes: ROUTES });
    }
  });

  return {
    url: urlOf(listener),
    port: listener.port,
    address: listener.address,
    show: (snapshot) => feed.show(snapshot),
    close: async () => {
      feed.stop();
      for (const response of streams) response.end();
      await new Promise<void>((resolve) => {
        listener.server.close(() => resolve());
        listener.server.closeAllConnections();
      });
      await deadLetters.stop();
    },
  };
}

/** Server-Sent Events: the state now, then each change; a comment now and then keeps proxies from closing it. */
function stream(response: http.ServerResponse, feed: LiveFeed, streams: Set<http.ServerResponse>): void {
  response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
  const send = (state: LiveState) => response.write(`data: ${JSON.stringify(state)}\n\n`);
  response.write("retry: 1000\n\n");
  send(feed.state);
  const unsubscribe = feed.subscribe(send);
  const keepAlive = setInterval(() => response.write(": keep-alive\n\n"), 15_000);
  streams.add(response);
  response.on("close", () => {
    unsubscribe();
    clearInterval(keepAlive);
    streams.delete(response);
  });
}
