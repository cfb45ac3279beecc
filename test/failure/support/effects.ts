/** The distinct ids, sorted, and those seen more than once: `{ ids: expected, repeated: [] }` says "each exactly once". */
export function tally(ids: readonly string[]): { ids: string[]; repeated: string[] } {
  const seen = countEach(ids);
  return {
    ids: [...seen.keys()].sort(),
    repeated: [...seen].filter(([, n]) => n > 1).map(([id]) => id).sort(),
  };
}

/** How many times each id occurs in a list of calls or deliveries. */
export function countEach(ids: readonly string[]): Map<string, number> {
  const seen = new Map<string, number>();
  for (const id of ids) seen.set(id, (seen.get(id) ?? 0) + 1);
  return seen;
}

/**
 * Polls an asynchronous condition (broker metadata, a group's lag) until it holds; rejects after
 * `timeoutMs` with its last state. For what no callback reports; everything else waits on a Signal.
 */
export async function eventually<T>(probe: () => Promise<T>, holds: (state: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const state = await probe();
      if (holds(state)) return state;
      last = state;
    } catch (error) {
      last = error instanceof Error ? error.message : error; // a broker that just died may answer nothing; ask again
    }
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; last state: ${JSON.stringify(last, replacer)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Maps print as objects in a timeout message. */
function replacer(_key: string, value: unknown) {
  return value instanceof Map ? Object.fromEntries(value) : value;
}
