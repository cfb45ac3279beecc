import { consumers } from "./consumers";
import { contexts } from "./contexts";
import { ordersDemo } from "./contexts/orders/demo";
import { invariants } from "./invariants";
import { type DemoDefinition, defineTopology, type Topology } from "./platform/model";

/** The system as declared in contexts/, consumers/ and invariants/ (and the platform's correlators and checker): what every interpreter starts from. */
export const topology: Topology = defineTopology({ contexts, consumers, invariants });

/** What `npm start` plays on it. */
export const demo: DemoDefinition = ordersDemo;
