import { type Broker, startBroker } from "../../platform/broker/start-broker";

declare global {
  // Shared with global-teardown.ts, which jest runs in this same process.
  var __ENSEMBLE_BROKER__: Broker | undefined;
}

/** Starts one real broker for the whole integration run; workers inherit KAFKA_BROKERS. */
export default async function globalSetup(): Promise<void> {
  const broker = await startBroker();
  globalThis.__ENSEMBLE_BROKER__ = broker;
  process.env.KAFKA_BROKERS = broker.brokers.join(",");
  process.env.ENSEMBLE_BROKER_PATH = broker.path;
}
