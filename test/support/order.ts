import type { GroupProgress } from "../../platform/local/runtime";

/**
 * Per entity (topic and key), the partition offsets of each event's first delivery to a group,
 * in delivery order: one key's records share a partition, so ascending offsets mean the group
 * saw that entity's events in the order they were published. Redeliveries (at-least-once) are
 * left out. `unordered: []` says every entity's events arrived in order.
 *
 * @example
 * expect(entityOrder(runtime.groups.get("analytics")!.deliveries)).toEqual({ entities: 40, unordered: [] });
 */
export function entityOrder(deliveries: GroupProgress["deliveries"]): { entities: number; unordered: { key: string; offsets: number[] }[] } {
  const seen = new Set<string>();
  const byKey = new Map<string, number[]>();
  for (const delivery of deliveries) {
    if (seen.has(delivery.id)) continue;
    seen.add(delivery.id);
    const key = `${delivery.topic}/${delivery.key}`;
    byKey.set(key, [...(byKey.get(key) ?? []), delivery.offset]);
  }
  const unordered = [...byKey]
    .filter(([, offsets]) => offsets.some((offset, i) => i > 0 && offset < offsets[i - 1]!))
    .map(([key, offsets]) => ({ key, offsets }));
  return { entities: byKey.size, unordered };
}
