/** The distinct ids, sorted, and those seen more than once: `{ ids: expected, repeated: [] }` says "each exactly once". */
export function tally(ids: readonly string[]): { ids: string[]; repeated: string[] } {
  const seen = new Map<string, number>();
  for (const id of ids) seen.set(id, (seen.get(id) ?? 0) + 1);
  return {
    ids: [...seen.keys()].sort(),
    repeated: [...seen].filter(([, n]) => n > 1).map(([id]) => id).sort(),
  };
}
