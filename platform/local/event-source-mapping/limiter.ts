import { MappingSettingsError } from "../errors";
/**
 * A limit on concurrent invocations shared by a consumer group's mappings, as its reserved
 * concurrency limits its Lambda across all of them. Waiters are served in arrival order.
 *
 * @example
 * const limiter = new Limiter(5);
 * await limiter.run(() => handler(event));
 */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new MappingSettingsError(`A Limiter needs a whole limit of at least 1, got ${limit}; give the group a concurrency of 1 or more.`);
  }

  /** Invocations running now. */
  get running(): number {
    return this.active;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Hands the slot straight to the next waiter, so a newcomer cannot overtake it. */
  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}
