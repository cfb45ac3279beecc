import { contexts } from "../../contexts";
import { type ContextEvent, defineConsumer } from "../../platform/model";

export default defineConsumer({
  name: "audit-archive",
  description: "Archives every event per entity, in order. Deliberately slow, one poller: it lags while the others keep up.",
  on: contexts.flatMap((context): readonly ContextEvent[] => context.eventList),
  batch: { size: 10, windowSeconds: 0 },
  scaling: { minPollers: 1, maxPollers: 1 },
});
