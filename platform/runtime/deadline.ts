/**
 * `work`, or, once `ms` have passed, a rejection with `timedOut()` after `abandon()` ran. The
 * abandoned work's own outcome, whenever it comes, is ignored: a caller that gave up on an
 * attempt must stop what it started through `abandon`, not by waiting for it.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, timedOut: () => Error, abandon?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abandon?.();
      reject(timedOut());
    }, Math.max(0, ms));
  });
  work.catch(() => {});
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
