/**
 * Something tests wait on: whoever records events calls `notify()`, and `until()` re-checks its
 * condition on each notification, so a test waits exactly as long as it has to, never on a
 * fixed sleep, and fails with what it was waiting for once its time is up.
 *
 * @example
 * const signal = new Signal();
 * observer.onInvoked = (report) => (invocations.push(report), signal.notify());
 * await signal.until(() => invocations.length >= 3, "3 invocations");
 */
export class Signal {
  private readonly checks = new Set<() => void>();

  notify(): void {
    for (const check of [...this.checks]) check();
  }

  /** Resolves once `condition()` holds; rejects after `timeoutMs` with `what` and `state()`. */
  until(condition: () => boolean, what: string, timeoutMs = 30_000, state?: () => unknown): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.checks.delete(check);
      };
      const check = () => {
        if (condition()) (done(), resolve());
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${state ? `; state: ${JSON.stringify(state())}` : ""}`));
      }, timeoutMs);
      this.checks.add(check);
    });
  }
}
