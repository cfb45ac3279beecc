import { contexts } from "../../contexts";
import { type ContextEvent, defineConsumer } from "../../platform/model";

export default defineConsumer({
  name: "analytics",
  description: "Counts every event of every context; large batches gathered for 2 s, few pollers.",
  // Every event of every context, so a new event is counted without touching this group.
  on: contexts.flatMap((context): readonly ContextEvent[] => context.eventList),
  batch: { size: 500, windowSeconds: 2 },
  scaling: { minPollers: 1, maxPollers: 2 },
});
