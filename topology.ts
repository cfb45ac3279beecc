import { consumers } from "./consumers";
import { contexts } from "./contexts";
import { ordersDemo } from "./contexts/orders/demo";
import { type DemoDefinition, defineTopology, type Topology } from "./platform/model";

/** The system as declared in contexts/ and consumers/ (and the platform's correlators): what every interpreter starts from. */
export const topology: Topology = defineTopology({ contexts, consumers });

/** What `npm start` plays on it. */
export const demo: DemoDefinition = ordersDemo;
