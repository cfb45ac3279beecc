import { type PackedItem, type PackItem, packing } from "../domain";

/**
 * One iteration of the packing Map: packs one order line into its box. The item's other fields
 * (the Map index Ensemble adds for the milestone's event id among them) are kept.
 */
export async function handler(item: PackItem): Promise<PackedItem> {
  const box = packing.pack(item);
  return { ...item, boxId: box.boxId, weightGrams: box.weightGrams, volumeMl: box.volumeMl };
}
