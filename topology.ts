import { consumers } from "./consumers";
import { contexts } from "./contexts";
import type { Topology } from "./platform/model";

/** The system as declared in contexts/ and consumers/: what every interpreter starts from. */
export const topology: Topology = { contexts, consumers };
